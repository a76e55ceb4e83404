//! Hand-built run records shaped like real ones, for the writers' tests and
//! golden files. The lines are what the programs of this crate (and, for the
//! failing run, a classic sequential `server.py`) really print.

use crate::orchestrator::record::{
    CaptureStats, Event, ExitInfo, Phase, ProcessInfo, Role, RunRecord, Stream, Verdict,
    ORCHESTRATOR, SCHEMA_VERSION,
};
use crate::pa3::protocol::Letter;

fn ev(t_ms: f64, process: &str, stream: Stream, text: &str) -> Event {
    Event {
        t_ms,
        process: process.to_string(),
        stream,
        text: text.to_string(),
    }
}

fn step(t_ms: f64, text: &str) -> Event {
    ev(t_ms, ORCHESTRATOR, Stream::Step, text)
}

fn cmd(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn exited(code: i32, t_ms: f64) -> Option<ExitInfo> {
    Some(ExitInfo {
        code: Some(code),
        signal: None,
        killed_by_orchestrator: false,
        t_ms,
    })
}

fn client(id: &str, host: &str, name: &str, letter: Letter, exit: Option<ExitInfo>) -> ProcessInfo {
    ProcessInfo {
        id: id.into(),
        role: Role::Client,
        host: host.into(),
        name: Some(name.into()),
        letter: Some(letter),
        command: cmd(&[
            "target/release/client",
            "--server",
            "10.0.0.1",
            "--port",
            "12000",
        ]),
        exit,
        dropped_lines: 0,
        log: format!("{id}.log"),
    }
}

fn exit_verdict(id: &str, label: &str, passed: bool, observed: &str) -> Verdict {
    Verdict::new(
        format!("exit.{id}"),
        format!("{label} exited with code 0 on its own"),
        passed,
        "exited with code 0",
        observed,
        vec![],
    )
}

fn find(events: &[Event], process: &str, needle: &str) -> Event {
    events
        .iter()
        .find(|e| e.process == process && e.text.contains(needle))
        .unwrap_or_else(|| panic!("fixture has no {process} line with {needle:?}"))
        .clone()
}

/// Case 2 on Mininet, our own server and clients: X = a/Alice on h2
/// connects first, Y = b/Bob on h3 second; Bob is typed first, Alice 200 ms
/// later; the ack is `Y: Bob received before X: Alice`. Run with `--pcap`.
pub(crate) fn passing() -> RunRecord {
    use Stream::*;
    let events = vec![
        step(
            418.2,
            "network up: h1 10.0.0.1, h2 10.0.0.2, h3 10.0.0.3 on s1",
        ),
        ev(
            418.6,
            "server",
            Start,
            "target/release/server --bind 0.0.0.0 --port 12000 --rounds 1",
        ),
        ev(421.9, "server", Stdout, "listening on 0.0.0.0:12000"),
        step(422.1, "server listening on 10.0.0.1:12000"),
        step(422.3, "connect a"),
        ev(
            422.8,
            "a",
            Start,
            "target/release/client --server 10.0.0.1 --port 12000",
        ),
        ev(
            431.5,
            "a",
            Stdout,
            "Connected to 10.0.0.1:12000; waiting for the server's greeting",
        ),
        ev(
            431.7,
            "server",
            Stdout,
            "Accepted connection from 10.0.0.2:40000 as Client X",
        ),
        step(431.9, "a connected (server has 1 connection)"),
        step(432.0, "connect b"),
        ev(
            432.4,
            "b",
            Start,
            "target/release/client --server 10.0.0.1 --port 12000",
        ),
        ev(
            440.8,
            "b",
            Stdout,
            "Connected to 10.0.0.1:12000; waiting for the server's greeting",
        ),
        ev(
            441.0,
            "server",
            Stdout,
            "Accepted connection from 10.0.0.3:40002 as Client Y",
        ),
        step(441.2, "b connected (server has 2 connections)"),
        ev(441.6, "a", Stdout, "From Server: Client X connected"),
        ev(441.7, "a", Stdout, "Enter message to send to server:"),
        ev(441.8, "b", Stdout, "From Server: Client Y connected"),
        ev(441.9, "b", Stdout, "Enter message to send to server:"),
        ev(
            442.0,
            "server",
            Stdout,
            "Sent greetings: Client X connected, Client Y connected",
        ),
        step(442.3, "send b"),
        ev(442.5, "b", Stdin, "Bob"),
        ev(443.1, "b", Stdout, "Sent to Server: Client Y: Bob"),
        step(443.2, "sleep 200 ms"),
        step(643.4, "send a"),
        ev(643.6, "a", Stdin, "Alice"),
        ev(644.2, "a", Stdout, "Sent to Server: Client X: Alice"),
        ev(644.5, "server", Stdout, "Arrived 1st: Client Y: Bob"),
        ev(644.6, "server", Stdout, "Arrived 2nd: Client X: Alice"),
        ev(
            644.7,
            "server",
            Stdout,
            "Acknowledgment: Y: Bob received before X: Alice",
        ),
        ev(
            645.1,
            "a",
            Stdout,
            "From Server: Y: Bob received before X: Alice",
        ),
        ev(
            645.2,
            "b",
            Stdout,
            "From Server: Y: Bob received before X: Alice",
        ),
        ev(
            645.3,
            "server",
            Stdout,
            "Sent acknowledgment to both X and Y",
        ),
        ev(646.0, "server", Exit, "exited with code 0"),
        ev(646.4, "a", Exit, "exited with code 0"),
        ev(646.9, "b", Exit, "exited with code 0"),
        step(647.1, "all processes exited"),
    ];
    let ack = "Y: Bob received before X: Alice";
    let e = |p: &str, n: &str| find(&events, p, n);
    let acks = vec![e("a", "received before"), e("b", "received before")];
    let verdicts = vec![
        Verdict::new(
            "steps",
            "Every step of the scenario was carried out",
            true,
            "all steps done",
            "all steps done",
            vec![],
        ),
        Verdict::new(
            "greeting.a",
            "Client a (Alice) was greeted as X, its connect position",
            true,
            "Client X connected",
            "Client X connected",
            vec![e("a", "From Server: Client X connected")],
        ),
        Verdict::new(
            "greeting.b",
            "Client b (Bob) was greeted as Y, its connect position",
            true,
            "Client Y connected",
            "Client Y connected",
            vec![e("b", "From Server: Client Y connected")],
        ),
        Verdict::new(
            "ack.same",
            "Both clients received the same acknowledgment",
            true,
            "one acknowledgment, received by both clients",
            format!("a: {ack}; b: {ack}"),
            acks.clone(),
        ),
        Verdict::new(
            "ack.names",
            "The acknowledgment pairs each letter with that client's name",
            true,
            "X: Alice, Y: Bob",
            "Y: Bob, X: Alice",
            acks.clone(),
        ),
        Verdict::new(
            "ack.order",
            "The acknowledgment reports the arrival order (the sends were 201 ms apart \
             (≥ 100 ms), so arrival follows send order)",
            true,
            ack,
            ack,
            [
                vec![
                    e("b", "Bob"),
                    e("a", "Alice"),
                    e("server", "Acknowledgment:"),
                ],
                acks,
            ]
            .concat(),
        ),
        Verdict::new(
            "server.messages",
            "The server printed both clients' messages",
            true,
            "Client X: Alice and Client Y: Bob",
            "Client X: Alice: printed; Client Y: Bob: printed",
            vec![e("server", "Arrived 2nd"), e("server", "Arrived 1st")],
        ),
        Verdict::new(
            "server.sent_ack",
            "The server printed that it sent the acknowledgment to both",
            true,
            "Sent acknowledgment to both X and Y",
            "Sent acknowledgment to both X and Y",
            vec![e("server", "Sent acknowledgment")],
        ),
        exit_verdict("server", "h1 server", true, "exited with code 0"),
        exit_verdict("a", "h2 client a", true, "exited with code 0"),
        exit_verdict("b", "h3 client b", true, "exited with code 0"),
    ];
    RunRecord {
        schema_version: SCHEMA_VERSION,
        scenario: "case2".into(),
        description: "X connects first, then Y types first".into(),
        file: "experiments/case2.yaml".into(),
        backend: "mininet".into(),
        started_utc: "2025-05-14T09:21:07.412Z".into(),
        duration_ms: 744.6,
        phases: vec![
            Phase {
                name: "network up".into(),
                ms: 418.2,
            },
            Phase {
                name: "server ready".into(),
                ms: 3.9,
            },
            Phase {
                name: "clients connected".into(),
                ms: 19.1,
            },
            Phase {
                name: "messages and ack".into(),
                ms: 205.9,
            },
            Phase {
                name: "teardown".into(),
                ms: 97.5,
            },
        ],
        processes: vec![
            ProcessInfo {
                id: "server".into(),
                role: Role::Server,
                host: "h1".into(),
                name: None,
                letter: None,
                command: cmd(&[
                    "target/release/server",
                    "--bind",
                    "0.0.0.0",
                    "--port",
                    "12000",
                    "--rounds",
                    "1",
                ]),
                exit: exited(0, 646.0),
                dropped_lines: 0,
                log: "server.log".into(),
            },
            client("a", "h2", "Alice", Letter::X, exited(0, 646.4)),
            client("b", "h3", "Bob", Letter::Y, exited(0, 646.9)),
        ],
        events,
        verdicts,
        ack_observed: Some(ack.into()),
        ack_expected: Some(ack.into()),
        exit_code: 0,
        error: None,
        files: [
            "scenario.yaml",
            "topo.py",
            "server.log",
            "a.log",
            "b.log",
            "events.jsonl",
            "summary.json",
            "junit.xml",
            "report.md",
            "timeline.svg",
            "capture.pcap",
        ]
        .iter()
        .map(|f| f.to_string())
        .collect(),
        capture: Some(CaptureStats {
            file: "capture.pcap".into(),
            packets: 31,
            syns: 2,
            pushes: 6,
            fins: 4,
        }),
    }
}

/// Case 2 against a classic sequential `server.py` (reads X, then Y): Y
/// types first, but the server was blocked on X, so its ack names X first;
/// it misspells its last line and never exits. Names with a diaeresis and
/// a space: X = a/Zoë, Y = b/Bob Marley.
pub(crate) fn failing() -> RunRecord {
    use Stream::*;
    let events = vec![
        step(
            402.7,
            "network up: h1 10.0.0.1, h2 10.0.0.2, h3 10.0.0.3 on s1",
        ),
        ev(
            403.0,
            "server",
            Start,
            "python3 -u experiments/python/server.py",
        ),
        ev(447.3, "server", Stdout, "The server is ready to receive"),
        step(447.5, "server listening on 10.0.0.1:12000"),
        step(447.6, "connect a"),
        ev(
            448.0,
            "a",
            Start,
            "target/release/client --server 10.0.0.1 --port 12000",
        ),
        ev(
            456.2,
            "a",
            Stdout,
            "Connected to 10.0.0.1:12000; waiting for the server's greeting",
        ),
        ev(
            456.5,
            "server",
            Stdout,
            "Connection from ('10.0.0.2', 40000)",
        ),
        step(456.7, "a connected (server has 1 connection)"),
        step(456.8, "connect b"),
        ev(
            457.1,
            "b",
            Start,
            "target/release/client --server 10.0.0.1 --port 12000",
        ),
        ev(
            465.0,
            "b",
            Stdout,
            "Connected to 10.0.0.1:12000; waiting for the server's greeting",
        ),
        ev(
            465.3,
            "server",
            Stdout,
            "Connection from ('10.0.0.3', 40002)",
        ),
        step(465.5, "b connected (server has 2 connections)"),
        // no newline after the greeting: our clients wait out the quiet period
        ev(665.9, "a", Stdout, "From Server: Client X connected"),
        ev(666.0, "a", Stdout, "Enter message to send to server:"),
        ev(666.1, "b", Stdout, "From Server: Client Y connected"),
        ev(666.2, "b", Stdout, "Enter message to send to server:"),
        step(666.4, "send b"),
        ev(666.6, "b", Stdin, "Bob Marley"),
        ev(667.2, "b", Stdout, "Sent to Server: Client Y: Bob Marley"),
        step(667.3, "sleep 200 ms"),
        step(867.5, "send a"),
        ev(867.7, "a", Stdin, "Zoë"),
        ev(868.3, "a", Stdout, "Sent to Server: Client X: Zoë"),
        ev(868.6, "server", Stdout, "Client X: Zoë"),
        ev(868.7, "server", Stdout, "Client Y: Bob Marley"),
        ev(
            868.8,
            "server",
            Stdout,
            "X: Zoë received before Y: Bob Marley",
        ),
        ev(
            868.9,
            "server",
            Stdout,
            "Sent acknowledgement to both X and Y",
        ),
        ev(
            1069.2,
            "a",
            Stdout,
            "From Server: X: Zoë received before Y: Bob Marley",
        ),
        ev(
            1069.4,
            "b",
            Stdout,
            "From Server: X: Zoë received before Y: Bob Marley",
        ),
        ev(1070.1, "a", Exit, "exited with code 0"),
        ev(1070.5, "b", Exit, "exited with code 0"),
        step(
            1070.6,
            "clients done; waiting up to 5000 ms for the server to exit",
        ),
        step(
            6070.8,
            "server still running after 5000 ms; stopping it (SIGTERM)",
        ),
        ev(
            6072.4,
            "server",
            Exit,
            "was killed by signal 15 after the orchestrator stopped it",
        ),
    ];
    let expected = "Y: Bob Marley received before X: Zoë";
    let observed = "X: Zoë received before Y: Bob Marley";
    let e = |p: &str, n: &str| find(&events, p, n);
    let acks = vec![e("a", "received before"), e("b", "received before")];
    let verdicts = vec![
        Verdict::new(
            "steps",
            "Every step of the scenario was carried out",
            true,
            "all steps done",
            "all steps done",
            vec![],
        ),
        Verdict::new(
            "greeting.a",
            "Client a (Zoë) was greeted as X, its connect position",
            true,
            "Client X connected",
            "Client X connected",
            vec![e("a", "From Server: Client X connected")],
        ),
        Verdict::new(
            "greeting.b",
            "Client b (Bob Marley) was greeted as Y, its connect position",
            true,
            "Client Y connected",
            "Client Y connected",
            vec![e("b", "From Server: Client Y connected")],
        ),
        Verdict::new(
            "ack.same",
            "Both clients received the same acknowledgment",
            true,
            "one acknowledgment, received by both clients",
            format!("a: {observed}; b: {observed}"),
            acks.clone(),
        ),
        Verdict::new(
            "ack.names",
            "The acknowledgment pairs each letter with that client's name",
            true,
            "X: Zoë, Y: Bob Marley",
            "X: Zoë, Y: Bob Marley",
            acks.clone(),
        ),
        Verdict::new(
            "ack.order",
            "The acknowledgment reports the arrival order (the sends were 201 ms apart \
             (≥ 100 ms), so arrival follows send order)",
            false,
            expected,
            observed,
            [
                vec![
                    e("b", "Bob Marley"),
                    e("a", "Zoë"),
                    e("server", "X: Zoë received before"),
                ],
                acks,
            ]
            .concat(),
        ),
        Verdict::new(
            "server.messages",
            "The server printed both clients' messages",
            true,
            "Client X: Zoë and Client Y: Bob Marley",
            "Client X: Zoë: printed; Client Y: Bob Marley: printed",
            vec![
                e("server", "Client X: Zoë"),
                e("server", "Client Y: Bob Marley"),
            ],
        ),
        Verdict::new(
            "server.sent_ack",
            "The server printed that it sent the acknowledgment to both",
            false,
            "Sent acknowledgment to both X and Y",
            "not printed",
            vec![],
        ),
        exit_verdict(
            "server",
            "h1 server",
            false,
            "was killed by signal 15 after the orchestrator stopped it",
        ),
        exit_verdict("a", "h2 client a", true, "exited with code 0"),
        exit_verdict("b", "h3 client b", true, "exited with code 0"),
    ];
    RunRecord {
        schema_version: SCHEMA_VERSION,
        scenario: "case2-python".into(),
        description: "Case 2 against a classic sequential server.py: Y types first, X 200 ms later"
            .into(),
        file: "experiments/python/case2.yaml".into(),
        backend: "mininet".into(),
        started_utc: "2025-05-14T09:24:51.088Z".into(),
        duration_ms: 6168.3,
        phases: vec![
            Phase {
                name: "network up".into(),
                ms: 402.7,
            },
            Phase {
                name: "server ready".into(),
                ms: 44.8,
            },
            Phase {
                name: "clients connected".into(),
                ms: 18.0,
            },
            Phase {
                name: "messages and ack".into(),
                ms: 605.1,
            },
            Phase {
                name: "server exit wait".into(),
                ms: 5001.8,
            },
            Phase {
                name: "teardown".into(),
                ms: 95.9,
            },
        ],
        processes: vec![
            ProcessInfo {
                id: "server".into(),
                role: Role::Server,
                host: "h1".into(),
                name: None,
                letter: None,
                command: cmd(&["python3", "-u", "experiments/python/server.py"]),
                exit: Some(ExitInfo {
                    code: None,
                    signal: Some(15),
                    killed_by_orchestrator: true,
                    t_ms: 6072.4,
                }),
                dropped_lines: 0,
                log: "server.log".into(),
            },
            client("a", "h2", "Zoë", Letter::X, exited(0, 1070.1)),
            client("b", "h3", "Bob Marley", Letter::Y, exited(0, 1070.5)),
        ],
        events,
        verdicts,
        ack_observed: Some(observed.into()),
        ack_expected: Some(expected.into()),
        exit_code: 3,
        error: None,
        files: [
            "scenario.yaml",
            "topo.py",
            "server.log",
            "a.log",
            "b.log",
            "events.jsonl",
            "summary.json",
            "junit.xml",
            "report.md",
            "timeline.svg",
        ]
        .iter()
        .map(|f| f.to_string())
        .collect(),
        capture: None,
    }
}

/// A run that could not be carried out: the network never came up.
pub(crate) fn errored() -> RunRecord {
    RunRecord {
        schema_version: SCHEMA_VERSION,
        scenario: "case1".into(),
        description: "X connects first and types first".into(),
        file: "experiments/case1.yaml".into(),
        backend: "mininet".into(),
        started_utc: "2025-05-14T09:30:00.000Z".into(),
        duration_ms: 212.5,
        phases: vec![Phase {
            name: "network up".into(),
            ms: 212.5,
        }],
        processes: vec![],
        events: vec![step(
            212.5,
            "network failed: RTNETLINK answers: File exists (h1-eth0)",
        )],
        verdicts: vec![],
        ack_observed: None,
        ack_expected: Some("X: Alice received before Y: Bob".into()),
        exit_code: 1,
        error: Some(
            "cannot build the network: RTNETLINK answers: File exists (h1-eth0); \
             a previous run left its interfaces behind, run `orchestrate clean`"
                .into(),
        ),
        files: vec![
            "scenario.yaml".into(),
            "topo.py".into(),
            "events.jsonl".into(),
        ],
        capture: None,
    }
}
