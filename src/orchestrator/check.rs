//! Expectations → verdicts. Pure: the scenario and what was recorded go in,
//! one [`Verdict`] per check comes out, each with the lines it rests on.
//!
//! Derived checks (always): every step completed; each client's greeting
//! matches its connect position; both clients received the same ack; the
//! ack names each letter's own name; the ack's order is right; the server
//! printed both messages and `Sent acknowledgment to both X and Y`; every
//! process exited 0 on its own and left no process of its own running (the
//! runner records any it had to kill, see [`runner::LEFT_BEHIND`]); and,
//! only for a process that printed more than the runner keeps
//! ([`runner::MAX_LINES`], [`runner::MAX_KEPT_BYTES`]), a failed
//! `output.<id>` check saying so, because every other check then saw only
//! the beginning of its output. Then the user's `expect.lines`.
//!
//! "The ack's order is right" means: the user's `expect.ack` when given;
//! otherwise the order of the sends when they were at least
//! `order_margin_ms` apart; when they were closer than that, either order
//! can be right, and the ack must agree with the order the server itself
//! reports (our server prints `Acknowledgment: ...`).

use crate::orchestrator::record::{Event, ProcessInfo, Stream, Verdict};
use crate::orchestrator::runner;
use crate::orchestrator::scenario::{ProcessRef, ValidScenario};
use crate::pa3::protocol::{self, Ack, Letter};

/// The verdicts, the ack observed and the ack expected.
pub struct Judgement {
    pub verdicts: Vec<Verdict>,
    pub ack_observed: Option<String>,
    pub ack_expected: Option<String>,
}

fn output<'a>(events: &'a [Event], process: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    events.iter().filter(move |e| {
        e.process == process && matches!(e.stream, Stream::Stdout | Stream::Stderr)
    })
}

fn stdout<'a>(events: &'a [Event], process: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
    events
        .iter()
        .filter(move |e| e.process == process && e.stream == Stream::Stdout)
}

/// The first acknowledgement a client printed.
fn ack_of<'a>(events: &'a [Event], client: &'a str) -> Option<(Ack, &'a Event)> {
    stdout(events, client).find_map(|e| protocol::parse_ack(&e.text).map(|a| (a, e)))
}

pub fn judge(
    s: &ValidScenario,
    processes: &[ProcessInfo],
    events: &[Event],
    step_error: Option<&str>,
) -> Judgement {
    let mut v = Vec::new();
    v.push(Verdict::new(
        "steps",
        "Every step of the scenario was carried out",
        step_error.is_none(),
        "all steps done",
        step_error.unwrap_or("all steps done"),
        Vec::new(),
    ));

    // Greetings
    for c in &s.clients {
        let want = protocol::greeting(c.letter);
        let got =
            stdout(events, &c.id).find_map(|e| protocol::parse_greeting(&e.text).map(|l| (l, e)));
        let (passed, observed, evidence) = match got {
            Some((l, e)) => (l == c.letter, protocol::greeting(l), vec![e.clone()]),
            None => (false, "no greeting".to_string(), Vec::new()),
        };
        v.push(Verdict::new(
            format!("greeting.{}", c.id),
            format!(
                "Client {} ({}) was greeted as {}, its connect position",
                c.id, c.name, c.letter
            ),
            passed,
            want,
            observed,
            evidence,
        ));
    }

    // Acks
    let acks: Vec<(&str, Option<(Ack, &Event)>)> = s
        .clients
        .iter()
        .map(|c| (c.id.as_str(), ack_of(events, &c.id)))
        .collect();
    let shown = |a: &Option<(Ack, &Event)>| {
        a.as_ref()
            .map(|(a, _)| a.line())
            .unwrap_or_else(|| "none".into())
    };
    let evidence: Vec<Event> = acks
        .iter()
        .filter_map(|(_, a)| a.as_ref().map(|(_, e)| (*e).clone()))
        .collect();
    let all_received = acks.iter().all(|(_, a)| a.is_some());
    let same = all_received
        && acks
            .windows(2)
            .all(|w| w[0].1.as_ref().map(|x| &x.0) == w[1].1.as_ref().map(|x| &x.0));
    v.push(Verdict::new(
        "ack.same",
        "Both clients received the same acknowledgment",
        same,
        "one acknowledgment, received by both clients",
        acks.iter()
            .map(|(id, a)| format!("{id} got \"{}\"", shown(a)))
            .collect::<Vec<_>>()
            .join("; "),
        evidence.clone(),
    ));
    let observed_ack: Option<Ack> = acks
        .iter()
        .find_map(|(_, a)| a.as_ref().map(|(a, _)| a.clone()));

    // Names per letter
    let name_of = |l: Letter| {
        s.client_by_letter(l)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let (names_ok, names_observed) = match &observed_ack {
        Some(a) => {
            // In the expectation's order (X first), whatever the ack's order.
            let named = |l: Letter| {
                if a.first == l {
                    &a.first_name
                } else {
                    &a.second_name
                }
            };
            (
                a.first_name == name_of(a.first) && a.second_name == name_of(a.second()),
                format!("X: {}, Y: {}", named(Letter::X), named(Letter::Y)),
            )
        }
        None => (false, "no acknowledgment".into()),
    };
    v.push(Verdict::new(
        "ack.names",
        "The acknowledgment pairs each letter with that client's name",
        names_ok,
        format!("X: {}, Y: {}", name_of(Letter::X), name_of(Letter::Y)),
        names_observed,
        evidence.clone(),
    ));

    // Order
    let sends: Vec<&Event> = events
        .iter()
        .filter(|e| e.stream == Stream::Stdin)
        .collect();
    let gap_ms = (sends.len() >= 2).then(|| sends[1].t_ms - sends[0].t_ms);
    let margin_ms = s.order_margin.as_secs_f64() * 1000.0;
    let server_ack =
        stdout(events, "server").find_map(|e| protocol::parse_ack(&e.text).map(|a| (a, e)));
    let observed_line = observed_ack
        .as_ref()
        .map(Ack::line)
        .unwrap_or_else(|| "no acknowledgment".into());
    let (expected, basis) = if let Some(a) = &s.expect_ack {
        (
            Some(a.clone()),
            "as the scenario's expect.ack says".to_string(),
        )
    } else {
        match (gap_ms, &s.derived_ack) {
            (Some(gap), Some(d)) if gap >= margin_ms => (
                Some(d.clone()),
                format!("the sends were {gap:.0} ms apart (≥ {margin_ms:.0} ms), so arrival follows send order"),
            ),
            (Some(gap), Some(_)) => match &server_ack {
                Some((a, _)) => (
                    Some(a.line()),
                    format!("the sends were only {gap:.0} ms apart (< {margin_ms:.0} ms): either order may arrive first, so the ack must match the server's own observed order"),
                ),
                None => (
                    None,
                    format!("the sends were only {gap:.0} ms apart (< {margin_ms:.0} ms) and the server printed no order of its own: either order is right"),
                ),
            },
            (None, Some(d)) => (Some(d.clone()), "from the send order".into()),
            _ => (None, "no send order to compare with".into()),
        }
    };
    let mut order_evidence: Vec<Event> = sends.iter().map(|e| (*e).clone()).collect();
    if let Some((_, e)) = &server_ack {
        order_evidence.push((*e).clone());
    }
    order_evidence.extend(evidence.iter().cloned());
    let order_ok = match (&expected, &observed_ack) {
        (Some(want), Some(got)) => got.line() == *want,
        (None, Some(_)) => names_ok,
        (_, None) => false,
    };
    v.push(Verdict::new(
        "ack.order",
        format!("The acknowledgment reports the arrival order ({basis})"),
        order_ok,
        expected.clone().unwrap_or_else(|| "either order".into()),
        observed_line,
        order_evidence,
    ));

    // Server output
    let server_lines: Vec<&Event> = output(events, "server").collect();
    let wanted: Vec<String> = s
        .clients
        .iter()
        .map(|c| protocol::client_message(c.letter, &c.name))
        .collect();
    let found: Vec<Option<&&Event>> = wanted
        .iter()
        .map(|w| server_lines.iter().find(|e| e.text.contains(w.as_str())))
        .collect();
    v.push(Verdict::new(
        "server.messages",
        "The server printed both clients' messages",
        found.iter().all(Option::is_some),
        wanted.join(" and "),
        wanted
            .iter()
            .zip(&found)
            .map(|(w, f)| format!("{w}: {}", if f.is_some() { "printed" } else { "missing" }))
            .collect::<Vec<_>>()
            .join("; "),
        found.iter().flatten().map(|e| (**e).clone()).collect(),
    ));
    const SENT: &str = "Sent acknowledgment to both X and Y";
    let sent = server_lines.iter().find(|e| e.text.contains(SENT));
    v.push(Verdict::new(
        "server.sent_ack",
        "The server printed that it sent the acknowledgment to both",
        sent.is_some(),
        SENT,
        if sent.is_some() { SENT } else { "not printed" },
        sent.map(|e| vec![(*e).clone()]).unwrap_or_default(),
    ));

    // Exits
    for p in processes {
        let (mut passed, mut observed) = match &p.exit {
            Some(x) => (x.success(), x.describe()),
            None => (false, "never started or never ended".into()),
        };
        if let Some(x) = p.exit.as_ref().filter(|x| x.killed_by_orchestrator) {
            // Why it was stopped, and how it took it.
            let when = if step_error.is_some() {
                "after a step failed".to_string()
            } else {
                format!("at the scenario's timeout ({} s)", s.timeout.as_secs_f64())
            };
            observed = format!("{observed}: it was still running when the run was stopped {when}");
            if x.signal == Some(libc::SIGKILL) {
                observed.push_str(&format!(
                    ", ignored SIGTERM for {} s, and was killed with SIGKILL",
                    runner::KILL_GRACE.as_secs_f64()
                ));
            }
        }
        let left: Vec<&Event> = events
            .iter()
            .filter(|e| {
                e.process == p.id
                    && e.stream == Stream::Step
                    && e.text.starts_with(runner::LEFT_BEHIND)
            })
            .collect();
        for e in &left {
            passed = false;
            observed.push_str("; ");
            observed.push_str(&e.text);
        }
        let stderr: Vec<&Event> = output(events, &p.id)
            .filter(|e| e.stream == Stream::Stderr)
            .collect();
        if let (Some(x), Some(e)) = (&p.exit, stderr.last()) {
            if !x.success() && !x.killed_by_orchestrator {
                // Often the reason: `No such file or directory`, a traceback's last line.
                let said: String = e.text.chars().take(200).collect();
                observed.push_str(&format!(" (its last line on stderr: {said:?})"));
            }
        }
        let mut evidence: Vec<Event> = stderr[stderr.len().saturating_sub(3)..]
            .iter()
            .map(|e| (*e).clone())
            .collect();
        evidence.extend(left.into_iter().cloned());
        v.push(Verdict::new(
            format!("exit.{}", p.id),
            format!("{} exited with code 0 on its own", p.label()),
            passed,
            "exited with code 0",
            observed,
            if passed { Vec::new() } else { evidence },
        ));
    }

    // Output past the runner's caps (only when there was some)
    for p in processes.iter().filter(|p| p.dropped_lines > 0) {
        let kept: Vec<&Event> = output(events, &p.id).collect();
        v.push(Verdict::new(
            format!("output.{}", p.id),
            format!(
                "{} printed no more than the orchestrator keeps",
                p.label()
            ),
            false,
            format!(
                "at most {} lines and {} KiB per stream",
                runner::MAX_LINES,
                runner::MAX_KEPT_BYTES / 1024
            ),
            format!(
                "{} lines past that were dropped unread ({} kept); every check saw only the beginning of its output",
                p.dropped_lines,
                kept.len()
            ),
            kept.last().map(|e| vec![(*e).clone()]).unwrap_or_default(),
        ));
    }

    // The user's lines
    for (i, l) in s.lines.iter().enumerate() {
        let id = s.process_id(l.process);
        let hits: Vec<Event> = output(events, id)
            .filter(|e| l.matcher.matches(&e.text))
            .cloned()
            .collect();
        let passed = if l.absent {
            hits.is_empty()
        } else {
            !hits.is_empty()
        };
        let what = l.matcher.describe();
        let title = if l.absent {
            format!("{id} printed no {}", what.trim_start_matches("a "))
        } else {
            format!("{id} printed {what}")
        };
        let who = match l.process {
            ProcessRef::Server => "the server".to_string(),
            ProcessRef::Client(_) => format!("client {id}"),
        };
        v.push(Verdict::new(
            format!("line.{}", i + 1),
            title,
            passed,
            if l.absent {
                format!("no such line from {who}")
            } else {
                format!("such a line from {who}")
            },
            if hits.is_empty() {
                "no such line".to_string()
            } else {
                match hits.len() {
                    1 => "1 such line".to_string(),
                    n => format!("{n} such lines"),
                }
            },
            hits.into_iter().take(5).collect(),
        ));
    }

    Judgement {
        verdicts: v,
        ack_observed: observed_ack.map(|a| a.line()),
        ack_expected: expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::record::{ExitInfo, Role};
    use crate::orchestrator::scenario::{parse, Capabilities};
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
            Capabilities { netem: false },
        )
        .unwrap()
    }

    fn ev(t: f64, p: &str, stream: Stream, text: &str) -> Event {
        Event {
            t_ms: t,
            process: p.into(),
            stream,
            text: text.into(),
        }
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
        }
    }

    /// A recorded case-2 run, with the ack each client printed.
    fn recorded(ack_a: &str, ack_b: &str, send_gap: f64) -> Vec<Event> {
        use Stream::*;
        vec![
            ev(1.0, "server", Stdout, "listening on 10.0.0.1:12000"),
            ev(20.0, "a", Stdout, "From Server: Client X connected"),
            ev(21.0, "b", Stdout, "From Server: Client Y connected"),
            ev(30.0, "b", Stdin, "Bob"),
            ev(30.0 + send_gap, "a", Stdin, "Alice"),
            ev(300.0, "server", Stdout, "Arrived 1st: Client Y: Bob"),
            ev(301.0, "server", Stdout, "Arrived 2nd: Client X: Alice"),
            ev(
                302.0,
                "server",
                Stdout,
                "Acknowledgment: Y: Bob received before X: Alice",
            ),
            ev(
                303.0,
                "server",
                Stdout,
                "Sent acknowledgment to both X and Y",
            ),
            ev(304.0, "a", Stdout, &format!("From Server: {ack_a}")),
            ev(304.5, "b", Stdout, &format!("From Server: {ack_b}")),
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

    #[test]
    fn a_good_case2_run_passes_every_check() {
        let j = judge(&scenario(""), &procs(), &recorded(YBX, YBX, 200.0), None);
        assert_eq!(failed(&j), Vec::<&str>::new());
        assert_eq!(j.ack_observed.as_deref(), Some(YBX));
        assert_eq!(j.ack_expected.as_deref(), Some(YBX));
    }

    #[test]
    fn the_wrong_order_fails_ack_order_only() {
        let xay = "X: Alice received before Y: Bob";
        let j = judge(&scenario(""), &procs(), &recorded(xay, xay, 200.0), None);
        assert_eq!(failed(&j), vec!["ack.order"]);
    }

    #[test]
    fn clients_disagreeing_fail_ack_same() {
        let xay = "X: Alice received before Y: Bob";
        let j = judge(&scenario(""), &procs(), &recorded(YBX, xay, 200.0), None);
        assert!(failed(&j).contains(&"ack.same"));
    }

    #[test]
    fn swapped_names_fail_ack_names() {
        let bad = "Y: Alice received before X: Bob";
        let j = judge(&scenario(""), &procs(), &recorded(bad, bad, 200.0), None);
        assert!(failed(&j).contains(&"ack.names"));
    }

    #[test]
    fn near_simultaneous_sends_follow_the_servers_own_order() {
        // Sends 1 ms apart: the derived order (Y first) is not required, the
        // server's printed order is; here both say Y first.
        let j = judge(&scenario(""), &procs(), &recorded(YBX, YBX, 1.0), None);
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
        );
        assert_eq!(failed(&j), vec!["steps", "exit.a"]);
    }

    fn observed<'a>(j: &'a Judgement, id: &str) -> &'a str {
        &j.verdicts.iter().find(|v| v.id == id).unwrap().observed
    }

    #[test]
    fn a_process_left_running_fails_its_exit_check_and_is_named() {
        let mut events = recorded(YBX, YBX, 200.0);
        events.push(ev(
            305.0,
            "server",
            Stream::Step,
            &format!(
                "{} 1 process still running in its process group after it ended (pid 7 `sleep 1000`); killed with SIGKILL",
                runner::LEFT_BEHIND
            ),
        ));
        let j = judge(&scenario(""), &procs(), &events, None);
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
        let j = judge(&scenario(""), &p, &recorded(YBX, YBX, 200.0), None);
        assert_eq!(failed(&j), vec!["exit.server", "exit.a"]);
        let o = observed(&j, "exit.server");
        assert!(o.contains("at the scenario's timeout (30 s)"), "{o}");
        assert!(
            o.contains("ignored SIGTERM for 1 s, and was killed with SIGKILL"),
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
        events.push(ev(
            2.0,
            "server",
            Stream::Stderr,
            "/nonexistent/prog: No such file or directory",
        ));
        let j = judge(&scenario(""), &p, &events, None);
        assert_eq!(
            observed(&j, "exit.server"),
            "exited with code 1 (its last line on stderr: \"/nonexistent/prog: No such file or directory\")"
        );
    }

    #[test]
    fn output_past_the_caps_is_a_failed_check_only_when_there_was_some() {
        let j = judge(&scenario(""), &procs(), &recorded(YBX, YBX, 200.0), None);
        assert!(!j.verdicts.iter().any(|v| v.id.starts_with("output.")));
        let mut p = procs();
        p[0].dropped_lines = 4_980_000;
        let j = judge(&scenario(""), &p, &recorded(YBX, YBX, 200.0), None);
        assert_eq!(failed(&j), vec!["output.server"]);
        let o = observed(&j, "output.server");
        assert!(o.starts_with("4980000 lines past that were dropped"), "{o}");
    }

    #[test]
    fn user_lines_present_and_absent() {
        let s = scenario(
            "expect:\n  lines:\n    - { process: server, contains: 'Arrived 1st: Client Y' }\n    - { process: a, absent: Traceback }\n    - { process: b, regex: '^Nope$' }\n",
        );
        let j = judge(&s, &procs(), &recorded(YBX, YBX, 200.0), None);
        assert_eq!(failed(&j), vec!["line.3"]);
    }
}
