//! Checks about the run and its programs as programs: the steps were all
//! carried out, every program ended on its own with code 0 and left nothing
//! behind, none printed more than is kept, and the scenario's own
//! `expect.lines`.

use super::Run;
use crate::orchestrator::event::{Event, EventKind, ExitInfo};
use crate::orchestrator::record::{ProcessInfo, Verdict};
use crate::orchestrator::scenario::ProcessRef;

/// `steps`: every step was carried out.
pub fn steps(run: &Run) -> Vec<Verdict> {
    vec![Verdict::new(
        "steps",
        "Every step of the scenario was carried out",
        run.step_error.is_none(),
        "all steps done",
        run.step_error.unwrap_or("all steps done"),
        Vec::new(),
    )]
}

/// `exit.<process>`: each program exited with code 0 on its own, and left
/// no process running behind it.
pub fn exits(run: &Run) -> Vec<Verdict> {
    run.processes.iter().map(|p| exit_of(run, p)).collect()
}

/// Why a program stopped by the orchestrator was stopped, and how it took it.
fn stopped_because(run: &Run, exit: &ExitInfo) -> String {
    let deadlock = run.events.iter().find_map(|e| match &e.kind {
        EventKind::Deadlocked { who } => Some(who),
        _ => None,
    });
    let when = if let Some(who) = deadlock {
        format!("at a deadlock (every program waited with no end, nothing moved: {who})")
    } else if run.step_error.is_some() {
        "after a step failed".to_string()
    } else {
        format!(
            "at the scenario's timeout ({} s)",
            run.scenario.timeout().as_secs_f64()
        )
    };
    let mut why = format!(": it was still running when the run was stopped {when}");
    if exit.killed_by_sigkill() {
        why.push_str(&format!(
            ", ignored SIGTERM for {} s, and was killed with SIGKILL",
            run.limits.kill_grace_ms as f64 / 1000.0
        ));
    }
    why
}

fn exit_of(run: &Run, p: &ProcessInfo) -> Verdict {
    let (mut passed, mut observed) = match &p.exit {
        Some(x) => (x.success(), x.describe()),
        None => (false, "never started or never ended".into()),
    };
    let kept_running = run
        .events
        .iter()
        .find(|e| e.process == p.id && matches!(e.kind, EventKind::KeptRunning { .. }));
    if let (Some(e), true) = (kept_running, run.step_error.is_none()) {
        // The seed allows a server that serves for ever; the scenario said so.
        passed = true;
        observed = e.kind.to_string();
    } else if let Some(x) = p.exit.as_ref().filter(|x| x.killed_by_orchestrator) {
        observed.push_str(&stopped_because(run, x));
    }
    let left: Vec<&Event> = run
        .events
        .iter()
        .filter(|e| e.process == p.id && matches!(e.kind, EventKind::LeftBehind { .. }))
        .collect();
    for e in &left {
        passed = false;
        observed.push_str("; ");
        observed.push_str(&e.kind.to_string());
    }
    let stderr: Vec<&Event> = run.stderr(&p.id).collect();
    if let (Some(x), Some((_, said))) = (&p.exit, stderr.last().and_then(|e| e.output())) {
        if !x.success() && !x.killed_by_orchestrator {
            // Often the reason: `No such file or directory`, a traceback's last line.
            let said: String = said.chars().take(200).collect();
            observed.push_str(&format!(" (its last line on stderr: {said:?})"));
        }
    }
    let mut evidence: Vec<Event> = stderr[stderr.len().saturating_sub(3)..]
        .iter()
        .map(|e| (*e).clone())
        .collect();
    evidence.extend(left.into_iter().cloned());
    Verdict::new(
        format!("exit.{}", p.id),
        format!("{} exited with code 0 on its own", p.label()),
        passed,
        "exited with code 0",
        observed,
        if passed { Vec::new() } else { evidence },
    )
}

/// `output.<process>`, only for a program that printed more than the runner
/// keeps: every other check then saw only the beginning of its output.
pub fn output(run: &Run) -> Vec<Verdict> {
    run.processes
        .iter()
        .filter(|p| p.dropped_lines > 0)
        .map(|p| {
            let kept: Vec<&Event> = run.output(&p.id).collect();
            Verdict::new(
                format!("output.{}", p.id),
                format!("{} printed no more than the orchestrator keeps", p.label()),
                false,
                format!(
                    "at most {} lines and {} KiB per stream",
                    run.limits.max_lines,
                    run.limits.max_kept_bytes / 1024
                ),
                format!(
                    "{} lines past that were dropped unread ({} kept); every check saw only the beginning of its output",
                    p.dropped_lines,
                    kept.len()
                ),
                kept.last().map(|e| vec![(*e).clone()]).unwrap_or_default(),
            )
        })
        .collect()
}

/// `line.<n>`: the scenario's `expect.lines`, in order.
pub fn lines(run: &Run) -> Vec<Verdict> {
    let scenario = run.scenario;
    scenario
        .lines()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let id = scenario.process_id(l.process);
            let hits: Vec<Event> = run
                .output(id)
                .filter(|e| e.output().is_some_and(|(_, text)| l.matcher.matches(text)))
                .cloned()
                .collect();
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
            let observed = match hits.len() {
                0 => "no such line".to_string(),
                1 => "1 such line".to_string(),
                n => format!("{n} such lines"),
            };
            Verdict::new(
                format!("line.{}", i + 1),
                title,
                hits.is_empty() == l.absent,
                if l.absent {
                    format!("no such line from {who}")
                } else {
                    format!("such a line from {who}")
                },
                observed,
                hits.into_iter().take(5).collect(),
            )
        })
        .collect()
}
