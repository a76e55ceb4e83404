//! The table of checks over recorded case-2 runs.
use super::*;
use crate::orchestrator::event::{EventKind, ExitInfo, Stream};
use crate::orchestrator::record::{Limits, Role};
use crate::orchestrator::scenario::{parse, Capabilities};
use crate::pa3::protocol::SENT_ACK;
use std::path::Path;

const CASE2: &str = "\
name: case2
clients:
  - { id: a, host: h2, name: Alice }
  - { id: b, host: h3, name: Bob }
steps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]
";

fn scenario(extra: &str) -> ValidScenario {
    parse(
        Path::new("t.yaml"),
        format!("{CASE2}{extra}").as_bytes(),
        Capabilities::assume(false, true),
    )
    .unwrap()
}

/// CASE2 with both clients run by `cmd` (YAML).
fn clients_run(cmd: &str) -> ValidScenario {
    let text = CASE2
        .replace("name: Alice }", &format!("name: Alice, cmd: {cmd} }}"))
        .replace("name: Bob }", &format!("name: Bob, cmd: {cmd} }}"));
    parse(
        Path::new("t.yaml"),
        text.as_bytes(),
        Capabilities::assume(false, true),
    )
    .unwrap()
}

/// A line `p` printed on stdout at `t`.
fn out(t: f64, p: &str, text: &str) -> Event {
    Event::new(
        t,
        p,
        EventKind::Output {
            stream: Stream::Stdout,
            text: text.into(),
        },
    )
}

/// A line `p` printed on stderr at `t`.
fn err(t: f64, p: &str, text: &str) -> Event {
    Event::new(
        t,
        p,
        EventKind::Output {
            stream: Stream::Stderr,
            text: text.into(),
        },
    )
}

/// `text` typed into `p` at `t`.
fn typed(t: f64, p: &str, text: &str) -> Event {
    Event::new(t, p, EventKind::Typed { text: text.into() })
}

/// `p` started at `t`.
fn started(t: f64, p: &str) -> Event {
    Event::new(
        t,
        p,
        EventKind::Started {
            command: vec![p.into()],
        },
    )
}

fn proc(id: &str, code: i32) -> ProcessInfo {
    ProcessInfo {
        id: id.into(),
        role: if id == "server" {
            Role::Server
        } else {
            Role::Client
        },
        host: "h1".into(),
        name: None,
        letter: None,
        command: vec![],
        exit: Some(ExitInfo {
            code: Some(code),
            signal: None,
            killed_by_orchestrator: false,
            t_ms: 900.0,
        }),
        dropped_lines: 0,
        log: format!("{id}.log"),
        usage: None,
    }
}

/// A recorded case-2 run, with the ack each client printed.
fn recorded(ack_a: &str, ack_b: &str, send_gap: f64) -> Vec<Event> {
    vec![
        started(0.5, "server"),
        out(1.0, "server", "listening on 10.0.0.1:12000"),
        started(5.0, "a"),
        started(12.0, "b"),
        out(20.0, "a", "From Server: Client X connected"),
        out(21.0, "b", "From Server: Client Y connected"),
        typed(30.0, "b", "Bob"),
        typed(30.0 + send_gap, "a", "Alice"),
        out(300.0, "server", "Arrived 1st: Client Y: Bob"),
        out(301.0, "server", "Arrived 2nd: Client X: Alice"),
        out(
            302.0,
            "server",
            "Acknowledgment: Y: Bob received before X: Alice",
        ),
        out(303.0, "server", "Sent acknowledgment to both X and Y"),
        out(304.0, "a", &format!("From Server: {ack_a}")),
        out(304.5, "b", &format!("From Server: {ack_b}")),
    ]
}

fn procs() -> Vec<ProcessInfo> {
    vec![proc("server", 0), proc("a", 0), proc("b", 0)]
}

fn failed(j: &Judgement) -> Vec<&str> {
    j.verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| v.id.as_str())
        .collect()
}

const YBX: &str = "Y: Bob received before X: Alice";

/// The bounds a run's record says the runner held its programs to: not
/// the runner's own (the checks quote the record's, whatever they are).
const LIMITS: Limits = Limits {
    max_lines: 300,
    max_kept_bytes: 64 << 10,
    kill_grace_ms: 2500,
};

#[test]
fn a_good_case2_run_passes_every_check() {
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(j.ack_observed.as_deref(), Some(YBX));
    assert_eq!(j.ack_expected.as_deref(), Some(YBX));
}

#[test]
fn the_wrong_order_fails_ack_order_only() {
    let xay = "X: Alice received before Y: Bob";
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(xay, xay, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["ack.order"]);
}

#[test]
fn clients_disagreeing_fail_ack_same() {
    let xay = "X: Alice received before Y: Bob";
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, xay, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert!(failed(&j).contains(&"ack.same"));
}

#[test]
fn swapped_names_fail_ack_names() {
    let bad = "Y: Alice received before X: Bob";
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(bad, bad, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert!(failed(&j).contains(&"ack.names"));
}

#[test]
fn near_simultaneous_sends_follow_the_servers_own_order() {
    // Sends 1 ms apart: the derived order (Y first) is not required, the
    // server's printed order is; here both say Y first.
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, YBX, 1.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    let v = j.verdicts.iter().find(|v| v.id == "ack.order").unwrap();
    assert!(v.title.contains("only 1 ms apart"), "{}", v.title);
}

#[test]
fn an_explicit_wrong_expectation_fails() {
    let j = judge(
        &scenario("expect: { ack: 'X: Alice received before Y: Bob' }\n"),
        &procs(),
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["ack.order"]);
}

#[test]
fn a_failed_exit_and_a_step_error_are_verdicts() {
    let mut p = procs();
    p[1] = proc("a", 1);
    let j = judge(
        &scenario(""),
        &p,
        &recorded(YBX, YBX, 200.0),
        Some("waited for b"),
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["steps", "exit.a"]);
}

fn observed<'a>(j: &'a Judgement, id: &str) -> &'a str {
    &j.verdicts.iter().find(|v| v.id == id).unwrap().observed
}

#[test]
fn a_process_left_running_fails_its_exit_check_and_is_named() {
    let mut events = recorded(YBX, YBX, 200.0);
    events.push(Event::new(
        305.0,
        "server",
        EventKind::LeftBehind {
            what: "1 process still running in its process group after it ended (pid 7 `sleep 1000`); killed with SIGKILL".into(),
        },
    ));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["exit.server"]);
    let o = observed(&j, "exit.server");
    assert!(
        o.starts_with("exited with code 0; left behind: 1 process"),
        "{o}"
    );
    assert!(o.contains("`sleep 1000`"), "{o}");
}

#[test]
fn a_stopped_process_says_why_and_sigkill_says_sigterm_was_ignored() {
    let mut p = procs();
    p[0].exit = Some(ExitInfo {
        code: None,
        signal: Some(libc::SIGKILL),
        killed_by_orchestrator: true,
        t_ms: 6000.0,
    });
    p[1].exit = Some(ExitInfo {
        code: None,
        signal: Some(libc::SIGTERM),
        killed_by_orchestrator: true,
        t_ms: 5000.0,
    });
    let j = judge(
        &scenario(""),
        &p,
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["exit.server", "exit.a"]);
    let o = observed(&j, "exit.server");
    assert!(o.contains("at the scenario's timeout (30 s)"), "{o}");
    assert!(
        o.contains("ignored SIGTERM for 2.5 s, and was killed with SIGKILL"),
        "{o}"
    );
    let o = observed(&j, "exit.a");
    assert!(o.contains("still running when the run was stopped"), "{o}");
    assert!(!o.contains("SIGKILL"), "{o}");
}

#[test]
fn a_failed_exit_quotes_the_last_stderr_line() {
    let mut p = procs();
    p[0] = proc("server", 1);
    let mut events = recorded(YBX, YBX, 200.0);
    events.push(err(
        2.0,
        "server",
        "/nonexistent/prog: No such file or directory",
    ));
    let j = judge(
        &scenario(""),
        &p,
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(
        observed(&j, "exit.server"),
        "exited with code 1 (its last line on stderr: \"/nonexistent/prog: No such file or directory\")"
    );
}

#[test]
fn output_past_the_caps_is_a_failed_check_only_when_there_was_some() {
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert!(!j.verdicts.iter().any(|v| v.id.starts_with("output.")));
    let mut p = procs();
    p[0].dropped_lines = 4_980_000;
    let j = judge(
        &scenario(""),
        &p,
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["output.server"]);
    let o = observed(&j, "output.server");
    assert!(o.starts_with("4980000 lines past that were dropped"), "{o}");
    let v = j.verdicts.iter().find(|v| v.id == "output.server").unwrap();
    assert_eq!(v.expected, "at most 300 lines and 64 KiB per stream");
}

#[test]
fn user_lines_present_and_absent() {
    let s = scenario(
        "expect:\n  lines:\n    - { process: server, contains: 'Arrived 1st: Client Y' }\n    - { process: a, absent: Traceback }\n    - { process: b, regex: '^Nope$' }\n",
    );
    let j = judge(
        &s,
        &procs(),
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["line.3"]);
}

#[test]
fn every_verdict_names_its_row_of_the_table() {
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    for v in &j.verdicts {
        let row = v
            .check
            .and_then(check)
            .unwrap_or_else(|| panic!("{} has no row", v.id));
        let word = row.id.word();
        assert!(
            v.id == word || v.id.starts_with(&format!("{word}.")),
            "{} made by {word}",
            v.id,
        );
    }
    // Every id has its row, once, in the enum's order.
    let ids: Vec<CheckId> = CHECKS.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::ALL, "a row for every check id, once");
}

#[test]
fn a_greeting_before_the_second_client_started_fails_after_both() {
    // An early-greeting server: X is greeted the moment it connects, before
    // Y is even started; Y's greeting comes after.
    let mut events = recorded(YBX, YBX, 200.0);
    events.retain(|e| {
        !(e.process == "a" && e.output().is_some_and(|(_, t)| t.contains("connected")))
    });
    events.push(out(8.0, "a", "From Server: Client X connected"));
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["greeting.after_both"]);
    let o = observed(&j, "greeting.after_both");
    assert_eq!(
        o,
        "client a was greeted at t=8 ms, before client b was started (t=12 ms)"
    );
    let v = j
        .verdicts
        .iter()
        .find(|v| v.id == "greeting.after_both")
        .unwrap();
    assert_eq!(v.evidence.len(), 2, "the early greeting and b's start");
}

#[test]
fn a_greeting_when_the_second_client_never_started_fails_after_both() {
    let mut events = recorded(YBX, YBX, 200.0);
    events.retain(|e| e.process != "b");
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        Some("b never started"),
        LIMITS,
        JudgeOptions::default(),
    );
    let o = observed(&j, "greeting.after_both");
    assert_eq!(o, "client a was greeted, and client b was never started");
}

#[test]
fn names_typed_before_the_greeting_leave_the_order_to_the_server() {
    // Both clients read their name before connecting: it was typed at the
    // connect steps, 200 ms apart, but both messages left when Y connected.
    let mut events = recorded(YBX, YBX, 200.0);
    for e in &mut events {
        if let EventKind::Typed { .. } = e.kind {
            e.t_ms = if e.process == "a" { 6.0 } else { 13.0 };
        }
    }
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    let v = j.verdicts.iter().find(|v| v.id == "ack.order").unwrap();
    assert!(
        v.title
            .contains("client a and client b asked for their names before they were greeted"),
        "{}",
        v.title
    );
    assert_eq!(
        j.ack_expected.as_deref(),
        Some(YBX),
        "the server's own order"
    );
}

/// `recorded` (acks in Y's favour) with b's name typed at 200 ms, client
/// a's at `a_typed`, and a's greeting (at 20 ms) kept or dropped.
fn a_typed_at(a_typed: f64, a_greeted: bool) -> Judgement {
    let mut events = recorded(YBX, YBX, 0.0);
    for e in &mut events {
        if matches!(e.kind, EventKind::Typed { .. }) {
            e.t_ms = if e.process == "a" { a_typed } else { 200.0 };
        }
    }
    if !a_greeted {
        events.retain(|e| e.stdout_of("a") != Some("From Server: Client X connected"));
    }
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    )
}

#[test]
fn one_name_typed_before_its_greeting_leaves_the_order_to_the_server() {
    // Only a read its name before connecting (typed at 6 ms, greeted at
    // 20): the run is judged by the server's order, and a alone is named.
    let j = a_typed_at(6.0, true);
    let v = left_to_the_server_as_a_asked_first(&j);
    assert!(!v.title.contains("client b"), "{}", v.title);
    assert_eq!(j.ack_expected.as_deref(), Some(YBX));
}

#[test]
fn a_name_typed_to_a_client_never_greeted_was_not_timed_by_a_step() {
    // a asked for its name before connecting and never printed a greeting
    // (it failed its greeting check): its message did not leave at the
    // send step either, so the send order says nothing.
    let j = a_typed_at(6.0, false);
    assert!(failed(&j).contains(&"greeting.a"), "{:?}", failed(&j));
    left_to_the_server_as_a_asked_first(&j);
}

/// The `ack.order` verdict of `j`, which passed, saying that client a
/// asked for its name before it was greeted.
fn left_to_the_server_as_a_asked_first(j: &Judgement) -> &Verdict {
    let v = verdict(j, "ack.order");
    assert!(v.passed, "{v:?}");
    assert!(
        v.title
            .contains("client a asked for its name before it was greeted"),
        "{}",
        v.title
    );
    v
}

#[test]
fn a_name_typed_the_moment_of_the_greeting_is_a_timed_send() {
    // Typed in the same instant as the greeting was seen: in answer to
    // it (the runner types once it has seen the greeting), so the run is
    // judged by the send order (the scenario's), not left to the server.
    let j = a_typed_at(20.0, true);
    let v = verdict(&j, "ack.order");
    assert!(v.passed, "{v:?}");
    assert!(
        v.title.contains("the sends were 180 ms apart") && !v.title.contains("asked for"),
        "{}",
        v.title
    );
}

// ---------------------------------------------------------------------------
// Lenient by default, strict on request.

/// `recorded`, with every line containing `from` rewritten to `to`.
fn rewrite(events: &mut [Event], from: &str, to: &str) {
    for e in events.iter_mut() {
        if let EventKind::Output { text, .. } = &mut e.kind {
            *text = text.replace(from, to);
        }
    }
}

/// A server with the typical slips: `Client X Connected`, `recieved`,
/// `acknowledgement` (the example, plus the sent line).
fn typos() -> Vec<Event> {
    let mut events = recorded(
        "Y: Bob recieved before X: Alice",
        "Y: Bob recieved before X: Alice",
        200.0,
    );
    rewrite(&mut events, "connected", "Connected");
    rewrite(&mut events, "Sent acknowledgment", "Sent acknowledgement");
    events
}

fn verdict<'a>(j: &'a Judgement, id: &str) -> &'a Verdict {
    j.verdicts.iter().find(|v| v.id == id).unwrap()
}

fn noted(j: &Judgement) -> Vec<&str> {
    j.verdicts
        .iter()
        .filter(|v| v.note.is_some())
        .map(|v| v.id.as_str())
        .collect()
}

const SLIPPED: [&str; 4] = ["greeting.a", "greeting.b", "ack.same", "server.sent_ack"];

#[test]
fn slips_pass_leniently_with_a_note_giving_the_strict_verdict() {
    let j = judge(
        &scenario(""),
        &procs(),
        &typos(),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(noted(&j), SLIPPED);
    assert_eq!(
        verdict(&j, "greeting.a").note.as_deref(),
        Some("passed leniently (--strict fails it): `Client X Connected` is not the seed's `Client X connected`: letters in another case")
    );
    assert_eq!(observed(&j, "greeting.a"), "Client X Connected");
    assert_eq!(
        verdict(&j, "ack.same").note.as_deref(),
        Some("passed leniently (--strict fails it): `Y: Bob recieved before X: Alice` is not the seed's `Y: Bob received before X: Alice`: `recieved` for `received`")
    );
    assert_eq!(
        verdict(&j, "server.sent_ack").note.as_deref(),
        Some("passed leniently (--strict fails it): `Sent acknowledgement to both X and Y` is not the seed's `Sent acknowledgment to both X and Y`: `acknowledgement` for `acknowledgment`")
    );
    let lenient: Vec<&str> = j
        .verdicts
        .iter()
        .filter(|v| v.leniency == Some(Leniency::Lenient))
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(lenient, SLIPPED);
    // The order is judged on its own: the ack's wording is ack.same's.
    assert_eq!(verdict(&j, "ack.order").note, None);
    assert_eq!(verdict(&j, "ack.order").leniency, None);
    assert_eq!(j.ack_observed.as_deref(), Some(YBX));
}

#[test]
fn strict_fails_exactly_the_slipped_verdicts_and_says_why() {
    let strict = JudgeOptions { strict: true };
    let j = judge(&scenario(""), &procs(), &typos(), None, LIMITS, strict);
    assert_eq!(failed(&j), SLIPPED);
    assert!(j
        .verdicts
        .iter()
        .filter(|v| !v.passed)
        .all(Verdict::failed_only_strictly));
    let note = verdict(&j, "greeting.b").note.as_deref().unwrap();
    assert!(
        note.starts_with("failed by --strict (passes without it): `Client Y Connected`"),
        "{note}"
    );
    // A run without slips is the same either way.
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, YBX, 200.0),
        None,
        LIMITS,
        strict,
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(noted(&j), Vec::<&str>::new());
}

#[test]
fn a_prefix_sent_inside_the_message_is_the_servers_slip() {
    // Our client prints `From Server: <message>`: a second label is the server's.
    let mut events = recorded(YBX, YBX, 200.0);
    rewrite(&mut events, "From Server: ", "From Server: Server says: ");
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(noted(&j), ["greeting.a", "greeting.b", "ack.same"]);
    let note = verdict(&j, "greeting.a").note.as_deref().unwrap();
    assert!(note.ends_with("`Server says:` before it"), "{note}");
}

#[test]
fn another_programs_own_words_around_the_strings_are_not_slips() {
    // A student's client (it has a cmd) printing the bytes it received.
    let s2 = clients_run("[python3, client.py]");
    let mut events = recorded(YBX, YBX, 200.0);
    rewrite(&mut events, "From Server: ", "Received: b'");
    for e in events.iter_mut().filter(|e| e.process != "server") {
        if let EventKind::Output { text, .. } = &mut e.kind {
            if text.starts_with("Received: b'") {
                text.push('\'');
            }
        }
    }
    let j = judge(
        &s2,
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions { strict: true },
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(noted(&j), Vec::<&str>::new());
}

#[test]
fn our_client_given_as_a_cmd_is_read_as_ours() {
    let s = clients_run("[client, --server, \"{server_ip}\"]");
    let mut events = recorded(YBX, YBX, 200.0);
    rewrite(&mut events, "From Server: ", "From Server: Server says: ");
    let j = judge(&s, &procs(), &events, None, LIMITS, JudgeOptions::default());
    assert_eq!(noted(&j), ["greeting.a", "greeting.b", "ack.same"]);
}

#[test]
fn names_in_another_case_are_ack_names_slip_not_the_orders() {
    let lower = "Y: bob received before X: alice";
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(lower, lower, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(noted(&j), ["ack.names"]);
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(lower, lower, 200.0),
        None,
        LIMITS,
        JudgeOptions { strict: true },
    );
    assert_eq!(failed(&j), ["ack.names"]);
}

#[test]
fn what_cannot_be_read_as_an_ack_fails_however_lenient() {
    let bad = "Y: Bob received before Y: Alice";
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(bad, bad, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), ["ack.same", "ack.names", "ack.order"]);
}

#[test]
fn a_failed_verdict_notes_its_slip_too() {
    // Greeted with the wrong letter, and in the wrong case (so a sent
    // `Client Y: Alice`, which the server printed as it received it).
    let mut events = recorded(YBX, YBX, 200.0);
    rewrite(&mut events, "Client X connected", "client y connected");
    rewrite(
        &mut events,
        "Arrived 2nd: Client X: Alice",
        "Arrived 2nd: Client Y: Alice",
    );
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), ["greeting.a"]);
    let note = verdict(&j, "greeting.a").note.as_deref().unwrap();
    assert!(
        note.starts_with("also read past a slip: `client y connected`"),
        "{note}"
    );
}

#[test]
fn lines_the_clients_printed_do_not_count_as_the_servers() {
    // A server that prints nothing of what it received: the clients' own
    // "Sent to Server: Client X: Alice" lines are not the server's.
    let mut events = recorded(YBX, YBX, 200.0);
    events.retain(|e| {
        !(e.process == "server" && e.output().is_some_and(|(_, t)| t.starts_with("Arrived")))
    });
    events.push(out(30.5, "b", "Sent to Server: Client Y: Bob"));
    events.push(out(230.5, "a", "Sent to Server: Client X: Alice"));
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let s = scenario("expect:\n  lines:\n    - { process: server, contains: 'Client X: Alice' }\n");
    let j = judge(&s, &procs(), &events, None, LIMITS, JudgeOptions::default());
    assert_eq!(failed(&j), vec!["server.messages", "line.1"]);
    assert_eq!(
        observed(&j, "server.messages"),
        "Client X: Alice: missing; Client Y: Bob: missing"
    );
}

#[test]
fn a_failed_exit_quotes_its_own_last_stderr_line_not_another_programs() {
    // Y leaves without a word: the server says so and exits 1, then X,
    // left without an ack, says so on its own stderr and exits 1.
    let mut events = recorded(YBX, YBX, 200.0);
    events.retain(|e| e.t_ms < 30.0);
    events.push(err(
        40.0,
        "server",
        "error: Client Y (10.0.0.3:40000) disconnected before sending its message",
    ));
    events.push(out(41.0, "server", "closing"));
    events.push(err(
        42.0,
        "a",
        "error: the server closed the connection before acknowledging our message",
    ));
    let mut p = procs();
    p[0] = proc("server", 1);
    p[1] = proc("a", 1);
    let j = judge(
        &scenario(""),
        &p,
        &events,
        Some("b never sent"),
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(
        observed(&j, "exit.server"),
        "exited with code 1 (its last line on stderr: \"error: Client Y (10.0.0.3:40000) disconnected before sending its message\")"
    );
    assert_eq!(
        observed(&j, "exit.a"),
        "exited with code 1 (its last line on stderr: \"error: the server closed the connection before acknowledging our message\")"
    );
}

#[test]
fn an_ack_with_one_name_wrong_fails_ack_names_and_says_which() {
    // A server that mangles one name: Y's is right, X's is not.
    let bad = "Y: Bob received before X: Carol";
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(bad, bad, 200.0),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["ack.names", "ack.order"]);
    assert_eq!(observed(&j, "ack.names"), "X: Carol, Y: Bob");
}

#[test]
fn far_apart_sends_decide_the_order_whatever_the_server_claims() {
    // Y typed 200 ms before X (the margin is 100 ms), yet the server
    // claims, and told both clients, that X's message came first.
    let xay = "X: Alice received before Y: Bob";
    let mut events = recorded(xay, xay, 200.0);
    for e in &mut events {
        if let EventKind::Output { text, .. } = &mut e.kind {
            if text.starts_with("Acknowledgment: ") {
                *text = format!("Acknowledgment: {xay}");
            }
        }
    }
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["ack.order"]);
    let v = j.verdicts.iter().find(|v| v.id == "ack.order").unwrap();
    assert!(
        v.title
            .contains("the sends were 200 ms apart (≥ 100 ms), so arrival follows send order"),
        "{}",
        v.title
    );
    // The evidence: both sends, the server's claim, both clients' acks.
    let shown: Vec<(&str, String)> = v
        .evidence
        .iter()
        .map(|e| (e.process.as_str(), e.kind.to_string()))
        .collect();
    for (p, text) in [
        ("b", "Bob"),
        ("a", "Alice"),
        ("server", "Acknowledgment: X: Alice"),
        ("a", "From Server: X: Alice"),
        ("b", "From Server: X: Alice"),
    ] {
        assert!(
            shown.iter().any(|(q, t)| *q == p && t.contains(text)),
            "no {p} event with {text:?} in the evidence: {shown:?}"
        );
    }
}

#[test]
fn sub_millisecond_gaps_are_told_to_the_microsecond() {
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(YBX, YBX, 0.25),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    let v = j.verdicts.iter().find(|v| v.id == "ack.order").unwrap();
    assert!(
        v.title
            .contains("the sends were only 0.25 ms apart (< 100 ms)"),
        "{}",
        v.title
    );
}

#[test]
fn an_ack_that_keeps_client_is_not_the_server_printing_the_messages() {
    // The server printed only its ack, `Client Y: Bob received before
    // Client X: Alice`: both strings are in it, but no message was printed.
    let mut events = recorded(YBX, YBX, 200.0);
    events.retain(|e| {
        !e.stdout_of("server")
            .is_some_and(|t| t.starts_with("Arrived"))
    });
    rewrite(
        &mut events,
        "Acknowledgment: Y: Bob received before X: Alice",
        "Client Y: Bob received before Client X: Alice",
    );
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), ["server.messages"]);
}

#[test]
fn a_message_printed_with_slips_passes_leniently() {
    let mut events = recorded(YBX, YBX, 200.0);
    rewrite(&mut events, "Arrived 1st: Client Y: Bob", "client y: bob");
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(noted(&j), ["server.messages"]);
    assert_eq!(
        observed(&j, "server.messages"),
        "Client X: Alice: printed; Client Y: Bob: printed as \"client y: bob\""
    );
}

#[test]
fn a_server_that_keeps_serving_passes_where_the_scenario_allows_it() {
    let mut p = procs();
    p[0].exit = Some(ExitInfo {
        code: None,
        signal: Some(15),
        killed_by_orchestrator: true,
        t_ms: 1400.0,
    });
    let mut events = recorded(YBX, YBX, 200.0);
    let opts = JudgeOptions::default();
    // Without the scenario's leave: stopped at the timeout, a failure.
    let j = judge(&scenario(""), &p, &events, None, LIMITS, opts);
    assert_eq!(failed(&j), ["exit.server"]);
    // With it, the runner says the server kept running: not a failure.
    events.push(Event::new(
        1400.0,
        "server",
        EventKind::KeptRunning { grace_ms: 1000.0 },
    ));
    let s = scenario("").clone();
    let j = judge(&s, &p, &events, None, LIMITS, opts);
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(
        observed(&j, "exit.server"),
        "still serving 1000 ms after the clients ended, as the scenario allows (server.keeps_running): stopped"
    );
}

#[test]
fn without_typed_sends_the_order_of_the_send_steps_decides() {
    // Clients that sent on their own (given their names): nothing was
    // typed, and the steps' send order (b, then a) is what is expected.
    let xay = "X: Alice received before Y: Bob";
    let mut events = recorded(xay, xay, 200.0);
    events.retain(|e| !matches!(e.kind, EventKind::Typed { .. }));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["ack.order"]);
    assert_eq!(j.ack_expected.as_deref(), Some(YBX));
    let v = j.verdicts.iter().find(|v| v.id == "ack.order").unwrap();
    assert!(v.title.contains("(from the send order)"), "{}", v.title);
}

#[test]
fn clients_greeted_with_each_others_letters_fail_their_greeting_checks() {
    // A server that calls the first client to connect Y.
    let mut events = recorded(YBX, YBX, 200.0);
    for e in &mut events {
        if let EventKind::Output { text, .. } = &mut e.kind {
            *text = match text.as_str() {
                "From Server: Client X connected" => "From Server: Client Y connected".into(),
                "From Server: Client Y connected" => "From Server: Client X connected".into(),
                _ => continue,
            };
        }
    }
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    // And the server's lines, which name a's message `Client X: Alice`,
    // are not what a client greeted as Y sends (`Client Y: Alice`).
    assert_eq!(
        failed(&j),
        vec!["greeting.a", "greeting.b", "server.messages"]
    );
    assert_eq!(observed(&j, "greeting.a"), "Client Y connected");
}

#[test]
fn a_greeting_in_the_same_microsecond_as_the_last_start_is_not_early() {
    // The check fails a server only on proof: a greeting stamped in the
    // very microsecond the last client was started cannot be told from a
    // right one.
    let mut events = recorded(YBX, YBX, 200.0);
    for e in &mut events {
        if e.process == "a" && e.output().is_some_and(|(_, t)| t.contains("connected")) {
            e.t_ms = 12.0; // b was started at t = 12 ms
        }
    }
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
}

#[test]
fn a_program_that_exits_0_is_not_quoted_for_what_it_said_on_stderr() {
    // Our server notes a bare message on stderr and goes on to succeed.
    let mut events = recorded(YBX, YBX, 200.0);
    events.push(err(
        299.0,
        "server",
        "note: Client Y sent a bare message \"Bob\"; taking it as Client Y's",
    ));
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), Vec::<&str>::new());
    assert_eq!(observed(&j, "exit.server"), "exited with code 0");
}

#[test]
fn a_server_that_never_says_it_sent_the_ack_fails_server_sent_ack() {
    let mut events = recorded(YBX, YBX, 200.0);
    events.retain(|e| e.output().is_none_or(|(_, t)| t != SENT_ACK));
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert_eq!(failed(&j), vec!["server.sent_ack"]);
    assert_eq!(observed(&j, "server.sent_ack"), "not printed");
}

#[test]
fn only_a_failed_verdict_of_a_timing_row_is_a_failure_on_timing() {
    // The ack names X first although Y sent 200 ms earlier: ack.order fails
    // (a row timing decides); ack.same passes.
    let j = judge(
        &scenario(""),
        &procs(),
        &recorded(
            "X: Alice received before Y: Bob",
            "X: Alice received before Y: Bob",
            200.0,
        ),
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    let order = verdict(&j, "ack.order");
    assert!(!order.passed);
    assert!(crate::orchestrator::check::failed_on_timing(order));
    let same = verdict(&j, "ack.same");
    assert!(same.passed);
    assert!(!crate::orchestrator::check::failed_on_timing(same));
    // A failed verdict of a row timing does not decide is not one.
    let mut wrong = same.clone();
    wrong.passed = false;
    assert!(!crate::orchestrator::check::failed_on_timing(&wrong));
    // Nor a passed one of a timing row.
    let mut right = order.clone();
    right.passed = true;
    assert!(!crate::orchestrator::check::failed_on_timing(&right));
}

/// CASE2 with both clients typed into the moment they ask.
fn eager_scenario() -> ValidScenario {
    let text = CASE2
        .replace("name: Alice }", "name: Alice, eager: true }")
        .replace("name: Bob }", "name: Bob, eager: true }");
    parse(
        Path::new("t.yaml"),
        text.as_bytes(),
        Capabilities::assume(false, true),
    )
    .unwrap()
}

fn read_early_event() -> Event {
    Event::new(
        11.0,
        "orchestrator",
        EventKind::ReadEarly {
            client: "a".into(),
            before: "b".into(),
            bytes: 5,
        },
    )
}

#[test]
fn a_message_read_before_the_second_client_started_fails_read_early() {
    let mut events = recorded(YBX, YBX, 200.0);
    let j = judge(
        &eager_scenario(),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    let v = verdict(&j, "server.read_early");
    assert!(v.passed, "{v:?}");
    assert_eq!(v.check, Some(CheckId::ServerReadEarly));
    events.push(read_early_event());
    let j = judge(
        &eager_scenario(),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    let v = verdict(&j, "server.read_early");
    assert!(!v.passed);
    assert_eq!(
        v.observed,
        "the server has read 5 bytes from a before b was started"
    );
    assert_eq!(v.evidence.len(), 1);
    // Without an eager client nothing can show it: no verdict at all.
    let j = judge(
        &scenario(""),
        &procs(),
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    assert!(j.verdicts.iter().all(|v| v.id != "server.read_early"));
}

#[test]
fn a_program_stopped_at_a_deadlock_says_so_and_who_waited_for_what() {
    let mut p = procs();
    p[0].exit = Some(ExitInfo {
        code: None,
        signal: Some(libc::SIGTERM),
        killed_by_orchestrator: true,
        t_ms: 6000.0,
    });
    let mut events = recorded(YBX, YBX, 200.0);
    events.push(Event::new(
        5000.0,
        "orchestrator",
        EventKind::Deadlocked {
            who: "h1 server waits for a connection (accept)".into(),
        },
    ));
    let j = judge(
        &scenario(""),
        &p,
        &events,
        None,
        LIMITS,
        JudgeOptions::default(),
    );
    let o = observed(&j, "exit.server");
    assert!(
        o.contains("stopped at a deadlock (every program waited with no end, nothing moved: h1 server waits for a connection (accept))"),
        "{o}"
    );
    assert!(!o.contains("timeout"), "{o}");
}

// ---------------------------------------------------------------------------
// The expected ack under link conditions (check::facts::linked_expected)

const XAY: &str = "X: Alice received before Y: Bob";

/// Judges case 2 (b types at 30 ms, a 200 ms later) with `extra` YAML
/// (links, an expectation) and `more` events; returns the expected ack and
/// its basis.
fn expected_with(extra: &str, more: Vec<Event>) -> (Option<String>, String) {
    let mut events = recorded(XAY, XAY, 200.0);
    events.extend(more);
    events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let s = scenario(extra);
    let facts = super::facts::Facts::of(&s, &events);
    (facts.expected.ack, facts.expected.basis)
}

fn link_changed(t: f64, host: &str, delay_ms: f64) -> Event {
    Event::new(
        t,
        crate::orchestrator::event::ORCHESTRATOR,
        EventKind::LinkChanged {
            host: host.into(),
            conditions: crate::orchestrator::link::Conditions {
                delay_ms,
                ..Default::default()
            },
        },
    )
}

#[test]
fn a_slow_link_reverses_the_expected_order() {
    // b (Y) sent 200 ms before a (X), but its link adds 250 ms: due 50 ms later.
    let (ack, basis) = expected_with(
        "links: { h3: { delay_ms: 250 } }\nexpect: { order_margin_ms: 20 }\n",
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(XAY));
    assert!(
        basis.contains("due at the server 50 ms apart (≥ 20 ms with the margin and jitter): arrival follows the reverse of the send order"),
        "{basis}"
    );
    // A link that adds less keeps the send order.
    let (ack, basis) = expected_with(
        "links: { h3: { delay_ms: 150 } }\nexpect: { order_margin_ms: 20 }\n",
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(YBX));
    assert!(
        basis.contains("50 ms apart") && basis.contains("follows the send order"),
        "{basis}"
    );
    // The server's link delays both alike: the send order stands.
    let (ack, _) = expected_with(
        "links: { h1: { delay_ms: 400 } }\nexpect: { order_margin_ms: 20 }\n",
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(YBX));
}

#[test]
fn messages_due_closer_than_margin_and_jitter_take_the_servers_order() {
    // Due 40 ms apart, but the margin (20) and the jitters (30 + 10) make 60.
    let (ack, basis) = expected_with(
        "links:\n  h2: { delay_ms: 10, jitter_ms: 10 }\n  h3: { delay_ms: 250, jitter_ms: 30 }\nexpect: { order_margin_ms: 20 }\n",
        vec![],
    );
    // The server's own `Acknowledgment:` line in the recording names Y first.
    assert_eq!(ack.as_deref(), Some(YBX));
    assert!(
        basis.contains("due at the server 40 ms apart (< 60 ms with the margin and jitter)"),
        "{basis}"
    );
    // With less jitter they are told apart: X is due first.
    let (ack, _) = expected_with(
        "links:\n  h2: { delay_ms: 10, jitter_ms: 5 }\n  h3: { delay_ms: 250, jitter_ms: 5 }\nexpect: { order_margin_ms: 20 }\n",
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(XAY));
}

#[test]
fn a_lossy_link_leaves_the_order_to_the_server() {
    let (ack, basis) = expected_with("links: { h2: { loss_pct: 1 } }\n", vec![]);
    assert_eq!(ack.as_deref(), Some(YBX));
    assert!(basis.starts_with("a lossy link may retransmit either message: the ack must match the server's own observed order"), "{basis}");
}

#[test]
fn a_link_step_counts_from_when_it_was_carried_out() {
    let links = "links: { h3: { delay_ms: 250 } }\nexpect: { order_margin_ms: 20 }\n";
    // Cleared before b sent (at 30 ms): the send order stands.
    let (ack, _) = expected_with(links, vec![link_changed(10.0, "h3", 0.0)]);
    assert_eq!(ack.as_deref(), Some(YBX));
    // Cleared after both sent: b's message was still 250 ms slower.
    let (ack, _) = expected_with(links, vec![link_changed(500.0, "h3", 0.0)]);
    assert_eq!(ack.as_deref(), Some(XAY));
    // Another host's step changes nothing for b.
    let (ack, _) = expected_with(links, vec![link_changed(10.0, "h2", 0.0)]);
    assert_eq!(ack.as_deref(), Some(XAY));
}

#[test]
fn the_users_ack_stands_over_the_links() {
    let (ack, basis) = expected_with(
        &format!("links: {{ h3: {{ delay_ms: 250 }} }}\nexpect: {{ ack: \"{YBX}\" }}\n"),
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(YBX));
    assert_eq!(basis, "as the scenario's expect.ack says");
}

#[test]
fn the_servers_link_counts_when_it_changes_between_the_sends() {
    // h1 adds 300 ms to b's message (sent at 30 ms), nothing to a's (sent
    // at 230 ms, after a step cleared h1's link): a's is due first.
    let links = "links: { h1: { delay_ms: 300 } }\nexpect: { order_margin_ms: 20 }\n";
    let (ack, _) = expected_with(links, vec![link_changed(100.0, "h1", 0.0)]);
    assert_eq!(ack.as_deref(), Some(XAY));
    // The server's link's jitter widens both messages' windows.
    let jittery = "links:\n  h1: { delay_ms: 20, jitter_ms: 20 }\n  h3: { delay_ms: 250 }\nexpect: { order_margin_ms: 20 }\n";
    let (ack, basis) = expected_with(jittery, vec![]);
    assert_eq!(ack.as_deref(), Some(YBX), "{basis}");
    assert!(basis.contains("50 ms apart (< 60 ms"), "{basis}");
    // A lossy server link leaves the order to the server too.
    let (ack, basis) = expected_with("links: { h1: { loss_pct: 5 } }\n", vec![]);
    assert_eq!(ack.as_deref(), Some(YBX));
    assert!(
        basis.starts_with("a lossy link may retransmit either message"),
        "{basis}"
    );
}

#[test]
fn with_links_a_run_where_one_client_sent_expects_from_the_steps() {
    let events: Vec<Event> = recorded(XAY, XAY, 200.0)
        .into_iter()
        .filter(|e| !(e.process == "a" && matches!(e.kind, EventKind::Typed { .. })))
        .collect();
    let s = scenario("links: { h3: { delay_ms: 250 } }\nexpect: { order_margin_ms: 20 }\n");
    let facts = super::facts::Facts::of(&s, &events);
    assert_eq!(facts.sends.len(), 1);
    assert_eq!(facts.expected.ack.as_deref(), Some(YBX));
    assert_eq!(facts.expected.basis, "from the send order");
}

#[test]
fn due_exactly_the_margin_apart_is_apart_and_a_tie_is_the_servers() {
    // b due at 30 + 220 = 250 ms, a at 230 ms: 20 ms apart, the margin.
    let (ack, basis) = expected_with(
        "links: { h3: { delay_ms: 220 } }\nexpect: { order_margin_ms: 20 }\n",
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(XAY), "{basis}");
    assert!(basis.starts_with("the sends were 200 ms apart, and with the links' delays the messages were due at the server 20 ms apart (≥ 20 ms"), "{basis}");
    // Due at the same moment with no margin: only the server can tell.
    let (ack, basis) = expected_with(
        "links: { h3: { delay_ms: 200 } }\nexpect: { order_margin_ms: 0 }\n",
        vec![],
    );
    assert_eq!(ack.as_deref(), Some(YBX));
    assert!(
        basis.starts_with("with the links' delays the messages were due at the server at the same moment: the ack must match"),
        "{basis}"
    );
}
