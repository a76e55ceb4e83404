//! `orchestrate run`: each scenario on its own network, its results written
//! whole into a run directory, and for more than one scenario a batch index
//! and a combined JUnit file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Result};
use time::OffsetDateTime;

use super::console::Term;
use super::session::{BuildError, Closed, Session};
use super::{
    bin_dir, install_signal_handler, interrupted, load_all, RunArgs, EXIT_CHECK_FAILED, EXIT_ERROR,
    EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, INTERRUPTED,
};
use crate::orchestrator::check;
use crate::orchestrator::event::{ms, ORCHESTRATOR};
use crate::orchestrator::net::{mininet, on_path, Backend};
use crate::orchestrator::record::{CaptureStats, Phase, RunRecord, SCHEMA_VERSION};
use crate::orchestrator::report;
use crate::orchestrator::results::{self, RunDir};
use crate::orchestrator::runner::{self, Outcome, RunOptions};
use crate::orchestrator::scenario::ValidScenario;
use crate::orchestrator::state;
use crate::orchestrator::topology;

/// Runs every scenario the arguments name; returns the exit code.
pub(super) fn run(args: &RunArgs) -> Result<i32> {
    let Ok(scenarios) = load_all(&args.paths) else {
        return Ok(EXIT_INVALID);
    };
    if args.backend == Backend::Mininet {
        mininet::preflight()?;
    }
    if args.pcap && !on_path("tcpdump") {
        bail!("--pcap needs tcpdump: install it with `apt-get install -y tcpdump`");
    }
    let bin = bin_dir()?;
    install_signal_handler();
    for r in &state::clean_dead_runs()?.removed {
        eprintln!("removed a leftover of a dead run: {r}");
    }
    let term = Term::new(args.quiet, args.verbose);
    let mut records: Vec<(RunRecord, PathBuf)> = Vec::new();
    let total = scenarios.len();
    for (i, s) in scenarios.iter().enumerate() {
        if total > 1 && !args.quiet {
            let title = format!("[{}/{total}] {} ({})", i + 1, s.name, s.file.display());
            println!("{}", term.paint.paint(report::style::BOLD, &title));
        }
        let (record, dir) = run_one(s, args, &bin, &term)?;
        if record.exit_code == EXIT_INTERRUPTED {
            return Ok(EXIT_INTERRUPTED);
        }
        print!(
            "{}",
            report::terminal::verdict_table(&record, term.paint.color)
        );
        if let Some(d) = dir {
            println!("report: {}", d.join("report.md").display());
            records.push((slim(record), d));
        }
        if interrupted() {
            return Ok(EXIT_INTERRUPTED);
        }
    }
    if records.len() > 1 {
        write_batch(&args.results, &records)?;
    }
    Ok(batch_exit_code(records.iter().map(|(r, _)| r.exit_code)))
}

/// The worst of the runs' exit codes: an error beats a failed check.
fn batch_exit_code(codes: impl Iterator<Item = i32>) -> i32 {
    codes.fold(EXIT_OK, |worst, code| match (worst, code) {
        (EXIT_ERROR, _) | (_, EXIT_ERROR) => EXIT_ERROR,
        (EXIT_CHECK_FAILED, _) | (_, EXIT_CHECK_FAILED) => EXIT_CHECK_FAILED,
        _ => EXIT_OK,
    })
}

/// What a batch keeps of a finished run for its index and combined JUnit,
/// which need of a passed check only its id: not the event stream, the
/// processes or the evidence (the run directory has them all), so that a
/// long batch holds a few hundred bytes per run, not kilobytes.
fn slim(mut record: RunRecord) -> RunRecord {
    record.events = Vec::new();
    record.processes = Vec::new();
    record.phases = Vec::new();
    record.files = Vec::new();
    record.capture = None;
    for v in record.verdicts.iter_mut().filter(|v| v.passed) {
        v.title = String::new();
        v.expected = String::new();
        v.observed = String::new();
        v.evidence = Vec::new();
    }
    record.verdicts.shrink_to_fit();
    record
}

fn write_batch(root: &Path, records: &[(RunRecord, PathBuf)]) -> Result<()> {
    let started = OffsetDateTime::now_utc();
    let dir = root.join(format!(
        "{}-batch-{}",
        results::stamp(started),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let rel: Vec<(RunRecord, String)> = records
        .iter()
        .map(|(r, d)| {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            (r.clone(), format!("../{name}"))
        })
        .collect();
    results::write_atomic(&dir.join("index.md"), report::markdown::index(&rel))?;
    let runs: Vec<RunRecord> = records.iter().map(|(r, _)| r.clone()).collect();
    results::write_atomic(&dir.join("junit.xml"), report::junit::combined(&runs))?;
    results::give_to_invoking_user(&dir);
    let passed = records.iter().filter(|(r, _)| r.passed()).count();
    println!(
        "{passed} passed, {} failed; index: {}",
        records.len() - passed,
        dir.join("index.md").display()
    );
    Ok(())
}

/// The directory the scenario's programs run in: its file's.
fn scenario_dir(s: &ValidScenario) -> PathBuf {
    match s.file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Runs one scenario; returns its record and, unless it was interrupted,
/// its finished run directory.
fn run_one(
    s: &ValidScenario,
    args: &RunArgs,
    bin: &Path,
    term: &Term,
) -> Result<(RunRecord, Option<PathBuf>)> {
    let started = OffsetDateTime::now_utc();
    let t0 = Instant::now();
    let mut dir = RunDir::create(&args.results, &s.slug, started)?;
    dir.write("topo.py", topology::python(s))?;
    dir.write("scenario.yaml", &s.source)?;
    let mut session = Session::open(&s.slug, Some(dir.path()))?;
    match session.build(args.backend, s, &dir.path().join("topo.py")) {
        Ok(()) => {}
        Err(BuildError::Interrupted) => return Ok((interrupted_record(s, args, started), None)),
        Err(BuildError::Failed(e)) => return Err(e),
    }
    let opts = RunOptions {
        bin_dir: bin.to_path_buf(),
        cwd: scenario_dir(s),
        capture: args.pcap.then(|| dir.path().join("capture.pcap")),
        console: term,
        interrupted: &INTERRUPTED,
        t0,
    };
    let (net, state) = session.parts();
    let mut outcome = runner::run(s, net, &opts, state);
    let closed = session.close();
    if outcome.interrupted() || interrupted() {
        // Nothing half-done is presented as a result (RunDir's Drop removes it).
        return Ok((interrupted_record(s, args, started), None));
    }
    let (port, capture_log) = (outcome.port, std::mem::take(&mut outcome.capture_log));
    let mut record = judged_record(s, args, started, outcome, &closed);
    write_logs(&mut dir, &record, &closed)?;
    if opts.capture.is_some() {
        record.capture = capture_stats(&mut dir, port, &capture_log)?;
    }
    record.duration_ms = ms(t0.elapsed());
    add_rest_phase(&mut record);
    write_reports(&mut dir, &mut record)?;
    let path = dir.finish()?;
    Ok((record, Some(path)))
}

/// The record of a finished run: its outcome judged by the checks.
fn judged_record(
    s: &ValidScenario,
    args: &RunArgs,
    started: OffsetDateTime,
    outcome: Outcome,
    closed: &Closed,
) -> RunRecord {
    let step_error = outcome.error.as_ref().map(ToString::to_string);
    let judgement = check::judge(
        s,
        &outcome.processes,
        &outcome.events,
        step_error.as_deref(),
        check::JudgeOptions {
            strict: args.strict,
        },
    );
    let error = if !closed.leftovers.is_empty() {
        Some(format!(
            "had to remove leftovers after teardown: {}",
            closed.leftovers.join(", ")
        ))
    } else {
        closed
            .teardown_error
            .as_ref()
            .map(|e| format!("teardown failed: {e}"))
    };
    let passed = error.is_none() && judgement.verdicts.iter().all(|v| v.passed);
    let mut phases = closed.phases.clone();
    phases.push(Phase {
        name: "scenario".into(),
        ms: outcome.scenario_ms,
    });
    phases.push(Phase {
        name: "teardown".into(),
        ms: closed.teardown_ms,
    });
    RunRecord {
        phases,
        processes: outcome.processes,
        events: outcome.events,
        verdicts: judgement.verdicts,
        ack_observed: judgement.ack_observed,
        ack_expected: judgement.ack_expected,
        exit_code: match (&error, passed) {
            (Some(_), _) => EXIT_ERROR,
            (None, true) => EXIT_OK,
            (None, false) => EXIT_CHECK_FAILED,
        },
        error,
        ..bare_record(s, args, started)
    }
}

/// Writes the logs of a run into its directory: one per program, the
/// orchestrator's steps, and Mininet's own output.
fn write_logs(dir: &mut RunDir, record: &RunRecord, closed: &Closed) -> Result<()> {
    if !closed.driver_log.is_empty() {
        dir.write("driver.log", closed.driver_log.join("\n") + "\n")?;
    }
    for p in &record.processes {
        dir.write(&p.log, results::process_log(&record.events, &p.id))?;
    }
    dir.write(
        "orchestrator.log",
        results::process_log(&record.events, ORCHESTRATOR),
    )
}

/// Writes the reports of a finished record, `summary.json` last.
fn write_reports(dir: &mut RunDir, record: &mut RunRecord) -> Result<()> {
    for f in [
        "events.jsonl",
        "summary.json",
        "junit.xml",
        "report.md",
        "timeline.svg",
    ] {
        dir.note(f);
    }
    record.files = dir.files();
    dir.write("events.jsonl", report::json::events_jsonl(&record.events))?;
    dir.write("junit.xml", report::junit::run(record))?;
    dir.write("report.md", report::markdown::report(record))?;
    dir.write("timeline.svg", report::svg::timeline(record))?;
    dir.write("summary.json", report::json::summary(record))
}

/// The capture's statistics, when tcpdump wrote a capture of `port`.
fn capture_stats(dir: &mut RunDir, port: u16, log: &[String]) -> Result<Option<CaptureStats>> {
    let path = dir.path().join("capture.pcap");
    if !path.exists() {
        return Ok(None);
    }
    dir.note("capture.pcap");
    let bytes = std::fs::read(&path).unwrap_or_default();
    let mut stats = crate::orchestrator::capture::stats(&bytes, port);
    stats.file = "capture.pcap".into();
    if !log.is_empty() {
        dir.write("capture.log", log.join("\n") + "\n")?;
    }
    Ok(Some(stats))
}

/// The rest of the time: checks, logs, ownership records; so that the
/// phases add up to the whole run.
fn add_rest_phase(record: &mut RunRecord) {
    let accounted: f64 = record.phases.iter().map(|p| p.ms).sum();
    record.phases.push(Phase {
        name: "checks and logs".into(),
        ms: ((record.duration_ms - accounted).max(0.0) * 1000.0).round() / 1000.0,
    });
}

/// A record of the scenario with nothing observed yet.
fn bare_record(s: &ValidScenario, args: &RunArgs, started: OffsetDateTime) -> RunRecord {
    RunRecord {
        schema_version: SCHEMA_VERSION,
        scenario: s.name.clone(),
        description: s.description.clone(),
        file: s.file.display().to_string(),
        backend: args.backend.name().into(),
        started_utc: results::rfc3339(started),
        duration_ms: 0.0,
        phases: Vec::new(),
        processes: Vec::new(),
        events: Vec::new(),
        verdicts: Vec::new(),
        ack_observed: None,
        ack_expected: None,
        exit_code: EXIT_OK,
        error: None,
        files: Vec::new(),
        capture: None,
    }
}

fn interrupted_record(s: &ValidScenario, args: &RunArgs, started: OffsetDateTime) -> RunRecord {
    RunRecord {
        exit_code: EXIT_INTERRUPTED,
        error: Some("interrupted".into()),
        ..bare_record(s, args, started)
    }
}
