//! `orchestrate run`: one scenario on its own network with its live output,
//! or a batch — every scenario × `--repeat`, `--filter`ed, on `--jobs`
//! reused networks, one `--shard` of it — with a line per run, a summary
//! naming what failed, and an index, a JUnit file and a `summary.json`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use time::OffsetDateTime;

use super::programs::Programs;
use super::progress::Progress;
use super::{
    install_signal_handler, load_all, open_owned_dir, RunArgs, EXIT_INTERRUPTED, EXIT_INVALID,
};
use crate::orchestrator::batch::execute::{run_item, RunContext};
use crate::orchestrator::batch::plan::{self, Item};
use crate::orchestrator::batch::pool::{self, Done, Live, Next};
use crate::orchestrator::batch::session::Session;
use crate::orchestrator::batch::summary::{
    self, scenario_stats, BatchRun, BatchSummary, Totals, BATCH_SCHEMA_VERSION,
};
use crate::orchestrator::console::{stdout_wants_color, Term};
use crate::orchestrator::event::ms;
use crate::orchestrator::net::{mininet, Backend};
use crate::orchestrator::record::Outcome;
use crate::orchestrator::report;
use crate::orchestrator::report::style::Paint;
use crate::orchestrator::results::{self, Finish};
use crate::orchestrator::state;
use crate::orchestrator::sys::on_path;

/// Runs what the arguments name; returns the exit code.
pub(super) fn run(args: &RunArgs) -> Result<i32> {
    let Ok(mut scenarios) = load_all(&args.paths, args.link_engine) else {
        return Ok(EXIT_INVALID);
    };
    if let Some(seconds) = args.timeout {
        for s in &mut scenarios {
            s.override_timeout(Duration::from_secs_f64(seconds));
        }
    }
    let items = plan::filter(plan::items(scenarios, args.repeat), &args.filter);
    if items.is_empty() {
        eprintln!(
            "error: no scenario's name contains {} (see `orchestrate validate` for the names)",
            args.filter
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
                .join(" or ")
        );
        return Ok(EXIT_INVALID);
    }
    let plan_size = items.len();
    let items = match args.shard {
        Some(shard) => shard.select(items),
        None => items,
    };
    if args.backend == Backend::Mininet {
        mininet::preflight()?;
    }
    if args.backend == Backend::Local {
        let impaired: Vec<String> = items
            .iter()
            .filter(|i| i.scenario.links().engine.is_some())
            .map(|i| i.scenario.file().display().to_string())
            .collect();
        if let Some(file) = impaired.first() {
            eprintln!(
                "error: {file}: its links are delayed, jittered or lossy, which needs the Mininet backend (the local backend runs on this machine's loopback, which no link engine of ours touches): nothing was run"
            );
            return Ok(EXIT_INVALID);
        }
        for s in items
            .iter()
            .map(|i| &i.scenario)
            .filter(|s| s.links().any_rate())
        {
            eprintln!(
                "note: {}: bw_mbit shapes Mininet's links only; on the local backend (loopback) it has no effect",
                s.file().display()
            );
        }
    }
    if args.pcap && !on_path("tcpdump") {
        bail!("--pcap needs tcpdump: install it with `apt-get install -y tcpdump`");
    }
    let programs = Programs::for_runs()?;
    let bin = programs.dir();
    let stop = install_signal_handler();
    for r in &state::clean_dead_runs()?.removed {
        eprintln!("removed a leftover of a dead run: {r}");
    }
    let batch = plan_size > 1 || args.shard.is_some() || args.json;
    if batch {
        run_batch(args, bin, stop, items, plan_size)
    } else {
        run_alone(args, bin, stop, &items[0])
    }
}

/// One scenario: live output, the verdict table, the report's path.
fn run_alone(args: &RunArgs, bin: &Path, stop: &AtomicBool, item: &Item) -> Result<i32> {
    let term = Term::new(args.quiet, args.verbose);
    let ctx = RunContext {
        backend: args.backend,
        bin_dir: bin,
        pcap: args.pcap,
        strict: args.strict,
        interrupted: stop,
        root: &args.results,
        alone: true,
        sandbox: None,
        isolate_local: false,
    };
    let mut session = Session::open(args.backend, 0, item.scenario.slug())?;
    let finished = run_item(item, &mut session, &ctx, &term);
    let closed = session.close();
    let finished = finished?;
    for leftover in &closed.leftovers {
        eprintln!("removed a leftover of this run: {leftover}");
    }
    let record = &finished.record;
    if record.outcome == Outcome::Interrupted {
        if let Some(dir) = &finished.dir {
            eprintln!(
                "what was captured before the interruption: {}",
                dir.display()
            );
        }
        return Ok(EXIT_INTERRUPTED);
    }
    out!(
        "{}",
        report::terminal::verdict_table(record, term.paint.color)
    );
    if let Some(d) = &finished.dir {
        outln!("report: {}", d.join("report.md").display());
    }
    Ok(record.outcome.exit_code())
}

/// Many runs: a line each as they end, then the summary and the index.
fn run_batch(
    args: &RunArgs,
    bin: &Path,
    stop: &AtomicBool,
    items: Vec<Item>,
    plan_size: usize,
) -> Result<i32> {
    let started = OffsetDateTime::now_utc();
    let t0 = Instant::now();
    let stem = format!("batch-{}", std::process::id());
    let (mut dir, mut owner) = open_owned_dir(&args.results, &stem, "batch", started)?;
    let color = stdout_wants_color() && !args.json;
    let ctx = RunContext {
        backend: args.backend,
        bin_dir: bin,
        pcap: args.pcap,
        strict: args.strict,
        interrupted: stop,
        root: dir.path(),
        alone: false,
        sandbox: None,
        isolate_local: false,
    };
    let live = Live::Keep {
        keep: args.verbose,
        verbose: args.verbose,
        color,
    };
    let progress = Progress::new(items.len(), !args.quiet && !args.json, Paint { color });
    let (runs, fatal) = execute(&items, &ctx, args, live, &progress)?;
    progress.done();
    let summary = BatchSummary {
        schema_version: BATCH_SCHEMA_VERSION,
        kind: "batch".into(),
        started_utc: results::rfc3339(started),
        duration_ms: ms(t0.elapsed()),
        backend: args.backend.name().into(),
        jobs: args.jobs as usize,
        repeat: args.repeat,
        shards: args.shard.map(|s| s.to_string()).into_iter().collect(),
        plan_size,
        interrupted: stop.load(Ordering::SeqCst),
        totals: Totals::of(&runs),
        scenarios: scenario_stats(&runs),
        runs,
    };
    dir.write(
        "summary.json",
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    dir.write("index.md", report::batch::index(&summary))?;
    dir.write("junit.xml", report::batch::junit(&summary))?;
    let how = if summary.interrupted {
        Finish::Interrupted
    } else {
        Finish::Latest
    };
    let path = dir.finish(how)?;
    owner.state.incomplete_dir = None;
    owner.release();
    if let Some(e) = fatal {
        return Err(e);
    }
    report_batch(args, &summary, &path, color)?;
    Ok(summary.totals.outcome(summary.interrupted).exit_code())
}

/// Runs the items on the pool; returns every run that ended, slim, in plan
/// order, and the first error that stopped the batch.
fn execute(
    items: &[Item],
    ctx: &RunContext,
    args: &RunArgs,
    live: Live,
    progress: &Progress,
) -> Result<(Vec<BatchRun>, Option<anyhow::Error>)> {
    let mut runs: Vec<BatchRun> = Vec::new();
    let mut fatal = None;
    let mut on_done = |done: Done| -> Next {
        let item = &items[done.position];
        match done.result {
            Ok(finished) => {
                let run = BatchRun {
                    index: item.index,
                    key: item.key.clone(),
                    label: item.label.clone(),
                    dir: finished.dir.as_deref().map(dir_name),
                    record: summary::slim(finished.record),
                };
                progress.finished(&run, &done.output);
                let failed = !run.record.passed();
                runs.push(run);
                if args.fail_fast && failed {
                    return Next::Stop;
                }
                Next::Go
            }
            Err(e) => {
                fatal.get_or_insert(e.context(format!("the run {} failed", item.label)));
                Next::Stop
            }
        }
    };
    let closed = pool::run(items, ctx, args.jobs as usize, live, &mut on_done)?;
    for c in closed {
        for leftover in c.leftovers {
            // On stderr: stdout may be --json's one document.
            eprintln!("removed a leftover of this batch: {leftover}");
        }
        if let Some(e) = c.teardown_error {
            eprintln!("a network's teardown failed: {e}");
        }
    }
    runs.sort_by_key(|r| r.index);
    Ok((runs, fatal))
}

/// The name of a run directory inside its batch's.
fn dir_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The end of a batch: its summary (or, with `--json`, the whole summary
/// as JSON on stdout), and where the index is.
fn report_batch(args: &RunArgs, summary: &BatchSummary, path: &Path, color: bool) -> Result<()> {
    if args.json {
        outln!("{}", serde_json::to_string_pretty(summary)?);
        return Ok(());
    }
    out!(
        "{}",
        report::batch::terminal_summary(summary, Paint { color })
    );
    outln!("index: {}", path.join("index.md").display());
    Ok(())
}
