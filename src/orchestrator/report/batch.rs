//! The writers of a batch: its `index.md`, its JUnit file, and the lines a
//! terminal shows (one per run as it ends, and the summary at the end, in
//! the manner of cargo-nextest). Pure functions of a [`BatchSummary`].

use std::fmt::Write as _;

use crate::orchestrator::record::batch::{BatchRun, BatchSummary, ScenarioStats};
use crate::orchestrator::record::{Outcome, RunRecord};

use super::markdown::{code_in_table, link, md_text};
use super::style::{Paint, BOLD, BOLD_GREEN, BOLD_RED, DIM, GREEN, RED, YELLOW};
use super::text::{clean, duration, tally, truncate};

/// `PASS`, `FAIL`, `ERROR` or `INTR` (interrupted): the status column.
fn status_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "PASS",
        Outcome::Failed => "FAIL",
        Outcome::Interrupted => "INTR",
        Outcome::Error => "ERROR",
    }
}

/// The first failed check of a run, as `id: observed (expected …)`; or its
/// error.
pub fn first_failure(record: &RunRecord) -> Option<String> {
    if let Some(v) = record.verdicts.iter().find(|v| !v.passed) {
        return Some(truncate(
            &clean(&format!(
                "{}: {} (expected {})",
                v.id, v.observed, v.expected
            )),
            160,
        ));
    }
    record.error.as_ref().map(|e| truncate(&clean(e), 160))
}

/// One line for a run that ended: `    PASS [   0.412s] case2 #3`.
pub fn status_line(run: &BatchRun, paint: Paint) -> String {
    let record = &run.record;
    let word = status_word(record.outcome);
    let style = match record.outcome {
        Outcome::Passed => BOLD_GREEN,
        Outcome::Interrupted => YELLOW,
        Outcome::Failed | Outcome::Error => BOLD_RED,
    };
    let mut line = format!(
        "{:>12} [{:>8.3}s] {}",
        paint.paint(style, word),
        record.duration_ms / 1000.0,
        clean(&run.label)
    );
    if let (false, Some(why)) = (record.passed(), first_failure(record)) {
        line.push_str(&paint.paint(DIM, &format!(" — {why}")));
    }
    line
}

/// The end of a batch on a terminal: the totals, every run that did not
/// pass with its first failing check, the statistics of repeated
/// scenarios, and where the index is.
pub fn terminal_summary(summary: &BatchSummary, paint: Paint) -> String {
    let t = &summary.totals;
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.paint(DIM, &"─".repeat(12)));
    let style = if t.passed == t.runs {
        BOLD_GREEN
    } else {
        BOLD_RED
    };
    let mut parts = vec![format!("{} passed", t.passed)];
    for (n, what) in [
        (t.failed, "failed"),
        (t.errors, "errors"),
        (t.interrupted, "interrupted"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let _ = writeln!(
        out,
        "{:>12} [{:>8.3}s] {} run{}: {}",
        paint.paint(style, "Summary"),
        summary.duration_ms / 1000.0,
        t.runs,
        if t.runs == 1 { "" } else { "s" },
        parts.join(", ")
    );
    for run in summary.runs.iter().filter(|r| !r.record.passed()) {
        let _ = writeln!(out, "{}", status_line(run, paint));
    }
    if summary.scenarios.iter().any(|s| s.runs > 1) {
        out.push_str(&repeat_table(&summary.scenarios, paint));
    }
    out
}

/// One line per repeated scenario: pass rate, flakiness, acks, timing.
fn repeat_table(stats: &[ScenarioStats], paint: Paint) -> String {
    let mut out = String::new();
    let width = stats
        .iter()
        .map(|s| clean(&s.scenario).chars().count())
        .max()
        .unwrap_or(0);
    for s in stats {
        let rate = format!("{:.1}%", s.pass_rate * 100.0);
        let rate = if s.passed == s.runs {
            paint.paint(GREEN, &rate)
        } else {
            paint.paint(RED, &rate)
        };
        let flaky = if s.flaky {
            paint.paint(BOLD, " FLAKY")
        } else {
            String::new()
        };
        let name = clean(&s.scenario);
        let pad = " ".repeat(width - name.chars().count());
        let _ = writeln!(
            out,
            "  {name}{pad}  {:>5} runs  {rate} pass{flaky}  {}  {}",
            s.runs,
            phase_text(s),
            acks_text(s)
        );
    }
    out
}

/// `scenario p50 13.1 ms p95 15.0 ms` (the phase a scenario's own time is in).
fn phase_text(s: &ScenarioStats) -> String {
    match s.phases.iter().find(|p| p.name == "scenario") {
        Some(p) => format!(
            "scenario p50 {} p95 {}",
            duration_fine(p.p50_ms),
            duration_fine(p.p95_ms)
        ),
        None => String::new(),
    }
}

/// `12.3 ms`, `1.83 s`: one decimal below a second.
fn duration_fine(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        duration(ms)
    }
}

/// `acks: "Y: Bob received before X: Alice" ×998, none ×2`.
fn acks_text(s: &ScenarioStats) -> String {
    let mut acks: Vec<(&String, &usize)> = s.acks.iter().collect();
    acks.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = acks
        .iter()
        .map(|(ack, n)| {
            if ack.as_str() == "none" {
                format!("no ack ×{n}")
            } else {
                format!("\"{}\" ×{n}", clean(ack))
            }
        })
        .collect();
    format!("acks: {}", parts.join(", "))
}

/// `index.md`: the totals, the statistics of repeated scenarios, what
/// failed, and every run with a link to its report.
pub fn index(summary: &BatchSummary) -> String {
    let mut out = String::from("# Runs\n\n");
    if summary.runs.is_empty() {
        out.push_str("_No runs._\n");
        return out;
    }
    let t = &summary.totals;
    let (checks_passed, checks_total) = summary
        .runs
        .iter()
        .map(|r| tally(&r.record))
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
    let noun = if t.runs == 1 { "run" } else { "runs" };
    let mut counts = format!("{} passed, {} failed", t.passed, t.failed);
    for (n, what) in [(t.errors, "errors"), (t.interrupted, "interrupted")] {
        if n > 0 {
            counts.push_str(&format!(", {n} {what}"));
        }
    }
    let _ = writeln!(
        out,
        "**{} {noun}: {counts}** · {checks_passed} of {checks_total} checks passed · {} in all",
        t.runs,
        duration(summary.duration_ms)
    );
    let mut facts = vec![
        format!("backend {}", md_text(&summary.backend)),
        format!(
            "{} job{}",
            summary.jobs,
            if summary.jobs == 1 { "" } else { "s" }
        ),
    ];
    if summary.repeat > 1 {
        facts.push(format!("each scenario {} times", summary.repeat));
    }
    if !summary.shards.is_empty() {
        facts.push(format!("shards {}", summary.shards.join(", ")));
    }
    if summary.interrupted {
        facts.push("**interrupted**: the runs that ended".into());
    }
    let _ = writeln!(out, "\n{}\n", facts.join(" · "));
    if summary.scenarios.iter().any(|s| s.runs > 1) {
        stats_table(&mut out, &summary.scenarios);
    }
    runs_table(&mut out, &summary.runs);
    out
}

fn stats_table(out: &mut String, stats: &[ScenarioStats]) {
    out.push_str("## Scenarios\n\n| Scenario | Runs | Pass rate | Flaky | Acks | Scenario time p50 / p95 |\n|---|---:|---:|---|---|---:|\n");
    for s in stats {
        let time = s
            .phases
            .iter()
            .find(|p| p.name == "scenario")
            .map(|p| format!("{} / {}", duration_fine(p.p50_ms), duration_fine(p.p95_ms)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {:.1}% | {} | {} | {time} |",
            md_text(&s.scenario),
            s.runs,
            s.pass_rate * 100.0,
            if s.flaky { "⚠️ yes" } else { "no" },
            md_text(&acks_text(s))
        );
    }
    out.push('\n');
}

fn runs_table(out: &mut String, runs: &[BatchRun]) {
    out.push_str("## Runs\n\n| Result | Run | Ack observed | Checks | Duration | Network | First failure |\n|---|---|---|---:|---:|---|---|\n");
    for run in runs {
        let r = &run.record;
        let result = match r.outcome {
            Outcome::Passed => "✅ PASS",
            Outcome::Failed => "❌ FAIL",
            Outcome::Interrupted => "⏸ INTERRUPTED",
            Outcome::Error => "❌ ERROR",
        };
        let name = match &run.dir {
            Some(dir) => link(
                &run.label,
                &format!("{}/report.md", dir.trim_end_matches('/')),
            ),
            None => md_text(&run.label),
        };
        let ack = r
            .ack_observed
            .as_deref()
            .map(code_in_table)
            .unwrap_or_else(|| "—".into());
        let (passed, total) = tally(r);
        let network = r
            .network
            .as_ref()
            .map(|n| if n.fresh { "fresh" } else { "reused" })
            .unwrap_or("—");
        let why = first_failure(r)
            .filter(|_| !r.passed())
            .map(|w| md_text(&w))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {result} | {name} | {ack} | {passed}/{total} | {} | {network} | {why} |",
            duration(r.duration_ms)
        );
    }
}

/// `junit.xml` of a batch: one suite per run, one test case per check —
/// or, when scenarios are repeated, one suite per scenario with one test
/// case per repeat (`case2 #3`), failed with the checks that failed.
pub fn junit(summary: &BatchSummary) -> String {
    if summary.repeat <= 1 {
        let records: Vec<RunRecord> = summary.runs.iter().map(|r| r.record.clone()).collect();
        return super::junit::combined(&records);
    }
    super::junit::repeated(&summary.runs)
}
