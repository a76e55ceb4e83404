//! One run: an item on a job's session, from its run directory to its
//! record. The network comes from the session (reused when it fits); the
//! runner carries out the steps; the checks judge; the logs and reports go
//! into the run directory, which is put in place whole — or, when Ctrl-C
//! stopped the run, kept as `<name>.interrupted` with what was captured, so
//! that a person can see why it hung.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Result};
use time::OffsetDateTime;

use super::plan::Item;
use super::session::{BuildError, Closed, Session};
use crate::orchestrator::check;
use crate::orchestrator::event::{ms, Event, EventKind, ORCHESTRATOR};
use crate::orchestrator::net::Backend;
use crate::orchestrator::record::{
    CaptureStats, NetworkUse, Outcome, Phase, Repeat, RunRecord, SCHEMA_VERSION,
};
use crate::orchestrator::report;
use crate::orchestrator::results::{self, Finish, RunDir};
use crate::orchestrator::runner::{self, with_causes, Console, Recording, RunOptions};
use crate::orchestrator::sandbox::{Pool, PreparedCopy};
use crate::orchestrator::scenario::ValidScenario;
use crate::orchestrator::topology;

/// What every run of a batch shares.
pub struct RunContext<'a> {
    pub backend: Backend,
    /// Directory of our `server` and `client`.
    pub bin_dir: &'a Path,
    pub pcap: bool,
    /// Fail the checks that pass only leniently (a slip of the seed's strings).
    pub strict: bool,
    pub interrupted: &'a AtomicBool,
    /// Where run directories go: `results/` for a run of its own, the
    /// batch's directory for a run of a batch.
    pub root: &'a Path,
    /// A run of its own: named by time, `latest` points at it, and its
    /// network is torn down before its record is written (so that the
    /// record holds the teardown).
    pub alone: bool,
    /// Where the programs of an item's submission run (see [`Item::submission`]).
    pub sandbox: Option<&'a Pool>,
    /// On the local backend, each job on a loopback of its own holding
    /// 10.0.0.1 too (root): programs that hard-code the Mininet address and
    /// port run there, several jobs at once.
    pub isolate_local: bool,
}

/// A run as it ended.
pub struct Finished {
    pub record: RunRecord,
    /// Its directory: finished, or `.interrupted`; `None` when nothing was
    /// captured (interrupted while the network was being built).
    pub dir: Option<PathBuf>,
}

/// Runs one item on the session's network.
pub fn run_item(
    item: &Item,
    session: &mut Session,
    ctx: &RunContext,
    console: &dyn Console,
) -> Result<Finished> {
    let s = item.scenario.as_ref();
    let started = OffsetDateTime::now_utc();
    let t0 = Instant::now();
    let mut dir = open_run_dir(item, ctx, started)?;
    session.begin_run(&dir.absolute_path())?;
    // Only a network being built needs the topology program on disk.
    let mut topo_py = || Ok(dir.materialize()?.join("topo.py"));
    let (network, mut phases) = match session.network_for(s, &mut topo_py, ctx.interrupted) {
        Ok(got) => got,
        Err(BuildError::Interrupted) => {
            session.end_run();
            return Ok(Finished {
                record: interrupted_record(item, ctx, started),
                dir: None,
            });
        }
        Err(BuildError::Failed(e)) if ctx.alone => return ended(session, e),
        Err(BuildError::Failed(e)) => return errored_run(item, ctx, session, dir, started, e),
    };
    if ctx.pcap {
        dir.materialize()?;
    }
    let mut outcome = match run_programs(item, session, ctx, console, &dir, t0) {
        Ok(outcome) => outcome,
        // The sandbox could not be prepared (or swept): the run ends here.
        Err(e) => return ended(session, e),
    };
    let (closed, leftovers) = close_run(session, ctx);
    let (port, capture_log) = (outcome.port, std::mem::take(&mut outcome.capture_log));
    let interrupted = outcome.interrupted() || ctx.interrupted.load(Ordering::SeqCst);
    phases.push(Phase {
        name: "scenario".into(),
        ms: outcome.scenario_ms,
    });
    if ctx.alone {
        phases.push(Phase {
            name: "teardown".into(),
            ms: closed.teardown_ms,
        });
    }
    let mut record = judged_record(item, ctx, started, outcome, &closed, &leftovers);
    record.phases = phases;
    record.network = Some(network);
    if interrupted {
        record.outcome = Outcome::Interrupted;
        record.error = Some("interrupted (Ctrl-C): what was captured until then".into());
    }
    if !(interrupted || ctx.alone || ctx.pcap) {
        return write_behind(session, dir, record, closed.driver_log, t0);
    }
    let capture = ctx.pcap.then_some((port, capture_log.as_slice()));
    let how = match (interrupted, ctx.alone) {
        (true, _) => Finish::Interrupted,
        (false, true) => Finish::Latest,
        (false, false) => Finish::Quiet,
    };
    write_now(dir, record, &closed.driver_log, capture, t0, how)
}

/// A run of its own, an interrupted run or one with a packet capture: its
/// directory written and put in place before the run returns.
fn write_now(
    mut dir: RunDir,
    mut record: RunRecord,
    driver_log: &[String],
    capture: Option<(u16, &[String])>,
    t0: Instant,
    how: Finish,
) -> Result<Finished> {
    write_logs(&mut dir, &record, driver_log)?;
    if let Some((port, log)) = capture {
        record.capture = capture_stats(&mut dir, port, log)?;
    }
    record.duration_ms = ms(t0.elapsed());
    add_rest_phase(&mut record);
    write_reports(&mut dir, &mut record)?;
    let path = dir.finish(how)?;
    Ok(Finished {
        record,
        dir: Some(path),
    })
}

/// Ends the run on the session, and fails with `e`.
fn ended<T>(session: &mut Session, e: anyhow::Error) -> Result<T> {
    session.end_run();
    Err(e)
}

/// The item's run directory (named by time for a run of its own), with
/// the topology and the scenario it runs. A batch's run directory is made
/// only when the run is written (see [`RunDir::deferred`]), unless
/// something needs it on disk first.
fn open_run_dir(item: &Item, ctx: &RunContext, started: OffsetDateTime) -> Result<RunDir> {
    let s = item.scenario.as_ref();
    let mut dir = if ctx.alone {
        RunDir::create(ctx.root, s.slug(), started)?
    } else {
        RunDir::deferred(ctx.root, &item.dir_name)?
    };
    dir.write("topo.py", topology::python(s))?;
    dir.write("scenario.yaml", s.source())?;
    Ok(dir)
}

/// Carries out the item's steps on the session's network, its programs
/// in the sandbox when they are a submission's; the capture (`--pcap`)
/// goes into `dir`.
fn run_programs(
    item: &Item,
    session: &mut Session,
    ctx: &RunContext,
    console: &dyn Console,
    dir: &RunDir,
    t0: Instant,
) -> Result<Recording> {
    let s = item.scenario.as_ref();
    let copy = match (&item.submission, ctx.sandbox) {
        (Some(submission), Some(pool)) => Some(pool.prepare(submission)?),
        (Some(_), None) => bail!(
            "{}: a submission's programs run only in the sandbox",
            item.label
        ),
        (None, _) => None,
    };
    let opts = RunOptions {
        bin_dir: ctx.bin_dir.to_path_buf(),
        cwd: scenario_dir(s),
        capture: ctx.pcap.then(|| dir.path().join("capture.pcap")),
        console,
        interrupted: ctx.interrupted,
        t0,
        wrap: copy.as_ref().map(|c| c as &dyn runner::Wrap),
    };
    let (net, state) = session.parts();
    let mut outcome = runner::run(s, net, &opts, state);
    drop(opts);
    if let Some(copy) = copy {
        sweep_sandbox(s, copy, &mut outcome)?;
    }
    Ok(outcome)
}

/// Ends the run on the session and, for a run of its own, tears its
/// network down: how that went, and every leftover either had to remove.
fn close_run(session: &mut Session, ctx: &RunContext) -> (Closed, Vec<String>) {
    let mut leftovers = session.end_run();
    let closed = if ctx.alone {
        session.close_network()
    } else {
        Closed::default()
    };
    leftovers.extend(closed.leftovers.iter().cloned());
    (closed, leftovers)
}

/// Ends a run's sandbox: whatever the submission's user still runs (a
/// child that left its process group and pipes) is killed, and recorded
/// against the submission's program as left behind.
fn sweep_sandbox(s: &ValidScenario, copy: PreparedCopy, outcome: &mut Recording) -> Result<()> {
    let cleanup = copy.finish()?;
    for (id, used) in &cleanup.usage {
        if let Some(p) = outcome.processes.iter_mut().find(|p| &p.id == id) {
            p.usage = Some(*used);
        }
    }
    if cleanup.killed.is_empty() {
        return Ok(());
    }
    let theirs = if s.server().cmd().is_some() {
        "server".to_string()
    } else {
        s.clients()
            .iter()
            .find(|c| c.cmd().is_some())
            .map_or_else(|| "server".to_string(), |c| c.id().to_string())
    };
    let who: Vec<String> = cleanup
        .killed
        .iter()
        .map(|p| format!("pid {} `{}`", p.pid, p.command))
        .collect();
    let t_ms = outcome.events.last().map_or(0.0, |e| e.t_ms);
    outcome.events.push(Event::new(
        t_ms,
        theirs,
        EventKind::LeftBehind {
            what: format!(
                "{} of the submission's user still running after the run ({}); killed with SIGKILL",
                if who.len() == 1 {
                    "1 process".to_string()
                } else {
                    format!("{} processes", who.len())
                },
                who.join(", ")
            ),
        },
    ));
    Ok(())
}

/// A run of a batch whose network could not be built: an error of that run
/// (the batch goes on), with the reason in its record.
fn errored_run(
    item: &Item,
    ctx: &RunContext,
    session: &mut Session,
    mut dir: RunDir,
    started: OffsetDateTime,
    error: anyhow::Error,
) -> Result<Finished> {
    session.end_run();
    let mut record = bare_record(item, ctx, started);
    record.outcome = Outcome::Error;
    record.error = Some(format!("{error:#}"));
    write_reports(&mut dir, &mut record)?;
    let path = dir.finish(Finish::Quiet)?;
    Ok(Finished {
        record,
        dir: Some(path),
    })
}

/// The sandbox is what wraps a submission's programs for the runner.
impl runner::Wrap for PreparedCopy {
    fn wrap_program(&self, id: &str, argv: Vec<String>) -> Result<Vec<String>> {
        PreparedCopy::wrap_program(self, id, argv)
    }
}

/// The directory the scenario's programs run in: its file's.
fn scenario_dir(s: &ValidScenario) -> PathBuf {
    match s.file().parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The record of a finished run: its outcome judged by the checks.
fn judged_record(
    item: &Item,
    ctx: &RunContext,
    started: OffsetDateTime,
    outcome: Recording,
    closed: &Closed,
    leftovers: &[String],
) -> RunRecord {
    let s = item.scenario.as_ref();
    // A link that could not be set or whose delayer died: the network was
    // not the one the scenario asked for, so no verdict stands.
    let link_error = match &outcome.error {
        Some(runner::RunError::Link(why)) => Some(with_causes(why)),
        _ => None,
    };
    let step_error = outcome.error.as_ref().map(|e| with_causes(e));
    let judgement = check::judge(
        s,
        &outcome.processes,
        &outcome.events,
        step_error.as_deref(),
        runner::LIMITS,
        check::JudgeOptions { strict: ctx.strict },
    );
    let error = if let Some(why) = link_error {
        Some(format!("the run's link conditions failed: {why}"))
    } else if !leftovers.is_empty() {
        Some(format!(
            "had to remove leftovers after the run: {}",
            leftovers.join(", ")
        ))
    } else {
        closed
            .teardown_error
            .as_ref()
            .map(|e| format!("teardown failed: {e}"))
    };
    let passed = error.is_none() && judgement.verdicts.iter().all(|v| v.passed);
    let adaptations = outcome
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Adapted { adaptation } => Some(adaptation.clone()),
            _ => None,
        })
        .collect();
    RunRecord {
        links: outcome.links,
        adaptations,
        runner: Some(outcome.work),
        processes: outcome.processes,
        events: outcome.events,
        verdicts: judgement.verdicts,
        ack_observed: judgement.ack_observed,
        ack_expected: judgement.ack_expected,
        outcome: match (&error, passed) {
            (Some(_), _) => Outcome::Error,
            (None, true) => Outcome::Passed,
            (None, false) => Outcome::Failed,
        },
        error,
        limits: Some(runner::LIMITS),
        ..bare_record(item, ctx, started)
    }
}

/// Writes the logs of a run into its directory: one per program, the
/// orchestrator's steps, and Mininet's own output.
fn write_logs(dir: &mut RunDir, record: &RunRecord, driver_log: &[String]) -> Result<()> {
    if !driver_log.is_empty() {
        dir.write("driver.log", driver_log.join("\n") + "\n")?;
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
/// The reports every run directory holds.
const REPORTS: [&str; 5] = [
    "events.jsonl",
    "summary.json",
    "junit.xml",
    "report.md",
    "timeline.svg",
];

fn write_reports(dir: &mut RunDir, record: &mut RunRecord) -> Result<()> {
    for f in REPORTS {
        dir.note(f);
    }
    record.files = dir.files();
    write_report_files(dir, record)
}

fn write_report_files(dir: &mut RunDir, record: &RunRecord) -> Result<()> {
    dir.write("events.jsonl", report::json::events_jsonl(&record.events))?;
    dir.write("junit.xml", report::junit::run(record))?;
    dir.write("report.md", report::markdown::report(record))?;
    dir.write("timeline.svg", report::svg::timeline(record))?;
    dir.write("summary.json", report::json::summary(record))
}

/// A batch's run: its record finished now, with the files it will hold;
/// its directory written on the job's writer thread while the job goes on
/// ([`super::writer`]), under the name reserved for it now. The record's
/// last phase (`checks and logs`) then holds the checks and naming the
/// files, not writing them.
fn write_behind(
    session: &mut Session,
    mut dir: RunDir,
    mut record: RunRecord,
    driver_log: Vec<String>,
    t0: Instant,
) -> Result<Finished> {
    if !driver_log.is_empty() {
        dir.note("driver.log");
    }
    for p in &record.processes {
        dir.note(&p.log);
    }
    dir.note("orchestrator.log");
    for f in REPORTS {
        dir.note(f);
    }
    record.files = dir.files();
    record.duration_ms = ms(t0.elapsed());
    add_rest_phase(&mut record);
    let path = dir.reserve()?;
    let written = record.clone();
    session.write_behind(Box::new(move || {
        write_logs(&mut dir, &written, &driver_log)?;
        write_report_files(&mut dir, &written)?;
        dir.finish(Finish::Quiet).map(drop)
    }))?;
    Ok(Finished {
        record,
        dir: Some(path),
    })
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

/// A record of the item with nothing observed yet.
pub fn bare_record(item: &Item, ctx: &RunContext, started: OffsetDateTime) -> RunRecord {
    let s = item.scenario.as_ref();
    RunRecord {
        schema_version: SCHEMA_VERSION,
        scenario: s.name().to_string(),
        description: s.description().to_string(),
        file: s.file().display().to_string(),
        backend: ctx.backend.name().into(),
        started_utc: results::rfc3339(started),
        duration_ms: 0.0,
        phases: Vec::new(),
        processes: Vec::new(),
        events: Vec::new(),
        verdicts: Vec::new(),
        ack_observed: None,
        ack_expected: None,
        outcome: Outcome::Passed,
        error: None,
        files: Vec::new(),
        capture: None,
        network: None::<NetworkUse>,
        repeat: (item.repeats > 1).then_some(Repeat {
            index: item.repeat,
            of: item.repeats,
        }),
        links: None,
        adaptations: Vec::new(),
        runner: None,
        limits: None,
    }
}

fn interrupted_record(item: &Item, ctx: &RunContext, started: OffsetDateTime) -> RunRecord {
    RunRecord {
        outcome: Outcome::Interrupted,
        error: Some("interrupted".into()),
        ..bare_record(item, ctx, started)
    }
}
