//! The benchmark (`pa3-bench`, run by `scripts/bench`): one benchmark,
//! every figure side by side, in one run — Mininet's floor next to one run on a fresh network; a scenario
//! repeated on a reused network next to the same exchange with nothing
//! around it (per-scenario overhead), on Mininet and on loopback; the
//! fidelity sweep (how close two sends may be and still be told apart);
//! the speed-up of `--jobs 2`; and `server --rounds 0` next to a minimal
//! Python server under a load generator that is not the bottleneck.
//!
//! A program of its own, not a command of the product: `orchestrate`
//! carries none of it (nor its probes of the machine, [`probes`]). It
//! drives the binaries as a user runs them (`orchestrate` as a child
//! process, the `server` beside it), reads back the records they
//! write, and measures each subject alternately with its baseline, so
//! that load from elsewhere on a shared machine hits both; it reports
//! medians. Targets are shown as figures (✓/✗), never asserted.
//!
//! - [`plan`](Plan): how much of everything, full or `--quick`;
//! - [`sections`]: one function per section;
//! - [`children`]: running `orchestrate` and `mn`, reading their results;
//! - [`bare`]: the exchange with the thinnest driver (the baseline);
//! - [`load`]: the servers and the load generator;
//! - [`analyse`]: what is read out of the records (pure);
//! - [`scenarios`]: the sweep's generated scenarios (pure);
//! - [`stats`], [`report`]: medians and percentiles; the JSON and the table (pure);
//! - [`probes`]: CPU time, peak memory and the machine's load, from `/proc`.

pub mod analyse;
pub mod bare;
pub mod children;
pub mod links;
pub mod load;
pub mod probes;
pub mod report;
pub mod scenarios;
pub mod sections;
pub mod stats;
pub mod throughput;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Result;
use time::OffsetDateTime;

use children::Tools;
use pa3_mininet::orchestrator::results;
use report::{
    BenchReport, Fidelity, Fresh, GapResult, Machine, Reused, BENCH_SCHEMA_VERSION,
    TARGET_ORDER_GAP_MS,
};
use scenarios::SWEEP_GAPS_MS;
use sections::Ctx;

/// The scenario of the fresh-network and reused-network sections.
pub const SCENARIO: &str = "experiments/simultaneous.yaml";

/// One batch that `--jobs` is measured on.
#[derive(Clone, Debug, PartialEq)]
pub struct JobsBatch {
    /// `experiments/ × 3`
    pub label: String,
    pub paths: Vec<String>,
    pub repeat: u32,
}

/// How much of everything.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub quick: bool,
    /// Run the sections that need Mininet (else only loopback).
    pub mininet: bool,
    /// Floor and fresh run, alternately, this many times each.
    pub fresh_rounds: usize,
    /// Runs per batch on a reused network.
    pub reused_repeat: u32,
    /// Batches on a reused network, each followed by bare exchanges.
    pub reused_batches: usize,
    pub bare_exchanges: usize,
    /// (gap in ms, runs); gap 0 is `send: [a, b]`.
    pub sweep: Vec<(f64, u32)>,
    pub jobs: u32,
    pub jobs_batches: Vec<JobsBatch>,
    /// Serial and parallel, alternately, this many times each.
    pub jobs_rounds: usize,
    pub pairs: u32,
    pub pair_runs: usize,
    pub warmup: u32,
    /// Keep the children's results here (else a temporary directory).
    pub keep_runs: Option<PathBuf>,
}

impl Plan {
    /// The full benchmark (a few minutes) or the `--quick` smoke run
    /// (about 30 s); `sweep_runs` overrides the runs per gap.
    pub fn new(quick: bool, mininet: bool, sweep_runs: Option<u32>) -> Plan {
        let per_gap = sweep_runs.unwrap_or(if quick { 20 } else { 1000 });
        let jobs_batches = if quick {
            vec![JobsBatch {
                label: "simultaneous × 20".into(),
                paths: vec![SCENARIO.into()],
                repeat: 20,
            }]
        } else {
            vec![
                JobsBatch {
                    label: "experiments/ × 3".into(),
                    paths: vec!["experiments".into()],
                    repeat: 3,
                },
                JobsBatch {
                    label: "simultaneous × 200".into(),
                    paths: vec![SCENARIO.into()],
                    repeat: 200,
                },
            ]
        };
        Plan {
            quick,
            mininet,
            fresh_rounds: if quick { 2 } else { 5 },
            reused_repeat: if quick { 20 } else { 100 },
            reused_batches: if quick { 1 } else { 3 },
            bare_exchanges: if quick { 10 } else { 50 },
            sweep: SWEEP_GAPS_MS.iter().map(|&g| (g, per_gap)).collect(),
            jobs: 2,
            jobs_batches,
            jobs_rounds: if quick { 1 } else { 2 },
            pairs: if quick { 300 } else { 2000 },
            pair_runs: if quick { 2 } else { 7 },
            warmup: if quick { 20 } else { 100 },
            keep_runs: None,
        }
    }

    pub fn mode(&self) -> &'static str {
        if self.quick {
            "quick"
        } else {
            "full"
        }
    }

    /// Where the sections that may run on either backend run.
    pub fn backend(&self) -> &'static str {
        if self.mininet {
            "mininet"
        } else {
            "local"
        }
    }
}

/// Runs the plan; `say` tells a person what is going on.
pub fn run(
    plan: &Plan,
    tools: &Tools,
    interrupted: &AtomicBool,
    say: &dyn Fn(&str),
) -> Result<BenchReport> {
    let started = OffsetDateTime::now_utc();
    let t0 = Instant::now();
    let mut machine = machine();
    let ctx = Ctx {
        plan,
        tools,
        interrupted,
        say,
    };
    let mut notes = Vec::new();
    if cfg!(debug_assertions) {
        notes.push(
            "a debug build was measured: build with --release for figures that mean something"
                .into(),
        );
    }
    let mut report = empty_report(plan, started);
    if plan.mininet {
        let (fresh, reused) = mininet_sections(&ctx)?;
        report.fresh = Some(fresh);
        report.reused.push(reused);
    } else {
        notes.push(
            "--backend local: Mininet's floor, the fresh network and the reused Mininet network \
             were not measured; the sweep and --jobs ran on loopback"
                .into(),
        );
    }
    report
        .reused
        .push(sections::reused(&ctx, "local", &bare::BareNet::local())?);
    let (fidelity, more) = sections::fidelity(&ctx)?;
    notes.extend(more);
    notes.extend(fidelity_notes(&fidelity));
    report.fidelity = Some(fidelity);
    report.jobs = sections::jobs(&ctx)?;
    let (throughput, more) = throughput::throughput(&ctx)?;
    report.throughput = Some(throughput);
    notes.extend(more);
    if plan.mininet {
        report.links = Some(links::measure(interrupted, say)?);
    }
    machine.cpu_pressure_end = probes::cpu_pressure();
    machine.load_average_end = probes::load_average();
    report.machine = machine;
    report.notes = notes;
    report.duration_s = stats::round3(t0.elapsed().as_secs_f64());
    Ok(report)
}

/// Only the link engines' section (`bench --links-only`).
pub fn run_links_only(
    plan: &Plan,
    interrupted: &AtomicBool,
    say: &dyn Fn(&str),
) -> Result<BenchReport> {
    let started = OffsetDateTime::now_utc();
    let t0 = Instant::now();
    let mut report = empty_report(plan, started);
    report.mode = "links-only".into();
    let mut machine = machine();
    report.links = Some(links::measure(interrupted, say)?);
    machine.cpu_pressure_end = probes::cpu_pressure();
    machine.load_average_end = probes::load_average();
    report.machine = machine;
    report
        .notes
        .push("--links-only: the other sections were not measured".into());
    report.duration_s = stats::round3(t0.elapsed().as_secs_f64());
    Ok(report)
}

/// The report of a plan started at `started`, before any section has run.
fn empty_report(plan: &Plan, started: OffsetDateTime) -> BenchReport {
    BenchReport {
        schema_version: BENCH_SCHEMA_VERSION,
        kind: "bench".into(),
        mode: plan.mode().into(),
        backend: plan.backend().into(),
        started_utc: results::rfc3339(started),
        duration_s: 0.0,
        machine: Machine::default(),
        fresh: None,
        reused: Vec::new(),
        fidelity: None,
        jobs: Vec::new(),
        throughput: None,
        links: None,
        definitions: report::definitions(),
        notes: Vec::new(),
    }
}

/// The sections that need Mininet: the fresh network, and the reused one
/// next to bare exchanges on a network `orchestrate up` keeps up meanwhile.
fn mininet_sections(ctx: &Ctx) -> Result<(Fresh, Reused)> {
    let fresh = sections::fresh(ctx)?;
    let tools = ctx.tools;
    let up = bare::UpNetwork::start(
        &tools.orchestrate,
        &tools.repo,
        std::path::Path::new(SCENARIO),
    )?;
    let reused = sections::reused(ctx, "mininet", &up.net)?;
    drop(up);
    Ok((fresh, reused))
}

/// What the sweep's figures call for saying: fewer runs than its targets
/// are stated for, and the acks the target gap reversed.
fn fidelity_notes(fidelity: &Fidelity) -> Vec<String> {
    let mut notes = Vec::new();
    let fewest = fidelity.gaps.iter().map(|g| g.runs).min().unwrap_or(0);
    if fewest < 1000 {
        notes.push(format!(
            "fidelity: {fewest} runs per gap (the targets are stated for 1000 runs)"
        ));
    }
    for g in &fidelity.gaps {
        if (g.gap_ms - TARGET_ORDER_GAP_MS).abs() < 1e-9 && g.send_order < g.runs {
            notes.push(reversal_note(g, fidelity.realtime.as_ref()));
        }
    }
    notes
}

/// The target gap `g` reversed some acks: how many, and what `realtime`
/// (the gap again at real-time priority, if it ran) made of them.
fn reversal_note(g: &GapResult, realtime: Option<&GapResult>) -> String {
    let mut note = format!(
        "gap {} ms: {} of {} acks reversed the send order (fidelity.gaps[].reversed_runs in the JSON lists some)",
        event_millis(g.gap_ms),
        g.runs - g.send_order,
        g.runs
    );
    if let Some(rt) = realtime {
        note.push_str(&format!(
            "; with every program at real-time priority {} of {} followed it",
            rt.send_order, rt.runs
        ));
        if rt.send_order > g.send_order {
            note.push_str(
                ": the reversals come from CPU contention, which delays the wake-up of the client typed first past the gap",
            );
        }
        if rt.reversed > 0 {
            note.push_str(&format!(
                " (in the {} left, that client still took up to {} to send)",
                rt.reversed,
                report::ms(rt.first_reply_ms_reversed.max)
            ));
        }
    }
    note
}

fn event_millis(ms: f64) -> String {
    pa3_mininet::orchestrator::event::millis(ms)
}

/// The machine as the benchmark starts.
fn machine() -> Machine {
    Machine {
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| format!("Linux {}", k.trim()))
            .unwrap_or_else(|_| "Linux".into()),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .into(),
        cpu_pressure_start: probes::cpu_pressure(),
        cpu_pressure_end: None,
        load_average_start: probes::load_average(),
        load_average_end: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_plan_sweeps_every_gap_a_thousand_times_and_quick_is_small() {
        let full = Plan::new(false, true, None);
        assert_eq!(
            full.sweep,
            vec![
                (0.0, 1000),
                (0.05, 1000),
                (0.1, 1000),
                (0.2, 1000),
                (1.0, 1000)
            ]
        );
        assert_eq!((full.reused_repeat, full.jobs), (100, 2));
        assert_eq!(full.jobs_batches[0].label, "experiments/ × 3");
        let quick = Plan::new(true, false, None);
        assert!(quick.sweep.iter().all(|&(_, n)| n == 20));
        assert_eq!((quick.mode(), quick.backend()), ("quick", "local"));
        assert_eq!(Plan::new(true, true, Some(7)).sweep[3], (0.2, 7));
    }
}
