//! One function per section of the benchmark; each measures its subject
//! alternately with its baseline and returns its part of the report.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use super::analyse::{self, ReusedBatch};
use super::bare::{self, BareNet};
use super::children::{self, Tools};
use super::report::{
    Fidelity, Fresh, GapResult, Jobs, PhaseMedian, Reused, Reversal, Stretch, TARGET_JOBS_SPEEDUP,
    TARGET_LOCAL_OVERHEAD_MS, TARGET_MININET_OVERHEAD_MS, TARGET_ORDER_GAP_MS,
};
use super::scenarios::Gap;
use super::stats::{self, median, round3, Samples, Spread};
use super::{Plan, SCENARIO};
use crate::probes;
use pa3_mininet::orchestrator::sys;
use pa3_mininet::orchestrator::sys::find_program;

/// Reversed runs kept in the report, per gap.
const REVERSALS_KEPT: usize = 20;

/// What every section needs.
pub struct Ctx<'a> {
    pub plan: &'a Plan,
    pub tools: &'a Tools,
    pub interrupted: &'a AtomicBool,
    /// Says what is going on (stderr).
    pub say: &'a dyn Fn(&str),
}

impl Ctx<'_> {
    pub fn go_on(&self) -> Result<()> {
        if self.interrupted.load(Ordering::SeqCst) {
            bail!("interrupted");
        }
        Ok(())
    }
}

/// Mininet's floor and one run of the scenario on a fresh network,
/// alternately (ABBA, so that a drift in load hits both alike).
pub fn fresh(ctx: &Ctx) -> Result<Fresh> {
    let mut floor = Vec::new();
    let mut run = Vec::new();
    let mut records = Vec::new();
    for round in 0..ctx.plan.fresh_rounds {
        for subject in [round % 2 == 1, round % 2 == 0] {
            ctx.go_on()?;
            if subject {
                let inv = ctx.tools.orchestrate("fresh", &[SCENARIO.into()])?;
                let record = children::run_record(&inv.results)?;
                ctx.tools.done_with(&inv);
                run.push(inv.wall_ms);
                records.push(record);
            } else {
                floor.push(children::mininet_floor()?);
            }
        }
        (ctx.say)(&format!(
            "fresh network {}/{}: floor {:.0} ms, one run {:.0} ms",
            round + 1,
            ctx.plan.fresh_rounds,
            floor.last().copied().unwrap_or(0.0),
            run.last().copied().unwrap_or(0.0)
        ));
    }
    let (floor_ms, run_ms) = (Samples::of(&floor), Samples::of(&run));
    Ok(Fresh {
        scenario: SCENARIO.into(),
        floor_command: children::floor_command(),
        ratio: round3(run_ms.median / floor_ms.median.max(1e-9)),
        floor_ms,
        run_ms,
        phases: phase_medians(&records),
    })
}

/// The scenario repeated on a reused network (`backend`), each batch
/// followed by bare exchanges on `net`.
pub fn reused(ctx: &Ctx, backend: &str, net: &BareNet) -> Result<Reused> {
    let plan = ctx.plan;
    // One run on its own (network built, one run, network down): what a
    // batch costs besides its runs after the first.
    let one = ctx.tools.orchestrate(
        &format!("one-{backend}"),
        &["--backend".into(), backend.into(), SCENARIO.into()],
    )?;
    ctx.tools.done_with(&one);
    let mut rounds = Vec::new();
    for b in 0..plan.reused_batches {
        ctx.go_on()?;
        let (batch, cpu_ms) = reused_batch(ctx, backend, one.cpu_ms)?;
        let bare = bare_round(ctx, net)?;
        (ctx.say)(&format!(
            "reused {backend} {}/{}: {:.1} ms per run (scenario {:.1} ms), bare exchange {:.1} ms",
            b + 1,
            plan.reused_batches,
            batch.per_run_ms,
            batch.scenario_mean_ms,
            bare.mean_ms
        ));
        rounds.push(ReusedRound {
            batch,
            cpu_ms,
            bare,
        });
    }
    Ok(reused_figures(backend, plan, &rounds))
}

/// One batch on a reused network and the bare exchanges after it.
struct ReusedRound {
    batch: ReusedBatch,
    /// The batch's CPU per run after the first.
    cpu_ms: f64,
    bare: BareRound,
}

/// The bare exchanges after a batch.
struct BareRound {
    /// Their mean wall time.
    mean_ms: f64,
    /// The mean of each of [`analyse::STRETCHES`].
    stretches_ms: Vec<f64>,
    /// The CPU of one exchange.
    cpu_ms: f64,
}

/// One batch of the scenario repeated on a reused network: its figures,
/// and its CPU per run after the first (`one_cpu_ms`: a run's on its own).
fn reused_batch(ctx: &Ctx, backend: &str, one_cpu_ms: f64) -> Result<(ReusedBatch, f64)> {
    let repeat = ctx.plan.reused_repeat;
    let inv = ctx.tools.orchestrate(
        &format!("reused-{backend}"),
        &[
            "--backend".into(),
            backend.into(),
            "--repeat".into(),
            repeat.to_string(),
            SCENARIO.into(),
        ],
    )?;
    let (summary, records) = children::batch(&inv.results)?;
    ctx.tools.done_with(&inv);
    let cpu_ms = (inv.cpu_ms - one_cpu_ms) / f64::from(repeat - 1).max(1.0);
    let figures = analyse::reused_batch(&summary, &records)
        .context("the batch has too few runs to measure")?;
    Ok((figures, cpu_ms))
}

/// The plan's bare exchanges on `net`, one after the other.
fn bare_round(ctx: &Ctx, net: &BareNet) -> Result<BareRound> {
    let exchanges = ctx.plan.bare_exchanges;
    let mut runs = Vec::new();
    let cpu0 = probes::waited_children_cpu_time().unwrap_or_default();
    for _ in 0..exchanges {
        ctx.go_on()?;
        runs.push(bare::exchange(net, &ctx.tools.bin_dir)?);
    }
    let spent = probes::waited_children_cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu0);
    let walls: Vec<f64> = runs.iter().filter_map(|m| m.end).collect();
    Ok(BareRound {
        mean_ms: stats::mean(&walls),
        stretches_ms: analyse::mean_stretches(&runs),
        cpu_ms: spent.as_secs_f64() * 1e3 / exchanges.max(1) as f64,
    })
}

/// The section's figures: the median over the rounds of each.
fn reused_figures(backend: &str, plan: &Plan, rounds: &[ReusedRound]) -> Reused {
    let m = |f: &dyn Fn(&ReusedBatch) -> f64| {
        round3(median(
            &rounds.iter().map(|r| f(&r.batch)).collect::<Vec<_>>(),
        ))
    };
    let bare_means: Vec<f64> = rounds.iter().map(|r| r.bare.mean_ms).collect();
    let bare_cpu: Vec<f64> = rounds.iter().map(|r| r.bare.cpu_ms).collect();
    let cpu: Vec<f64> = rounds.iter().map(|r| r.cpu_ms).collect();
    let bare_ms = (!bare_means.is_empty()).then(|| Samples::of(&bare_means));
    let per_run_ms = m(&|b| b.per_run_ms);
    Reused {
        backend: backend.into(),
        scenario: SCENARIO.into(),
        repeat: plan.reused_repeat,
        batches: rounds.len(),
        runs: rounds.iter().map(|r| r.batch.runs).sum(),
        passed: rounds.iter().map(|r| r.batch.passed).sum(),
        batch_ms: m(&|b| b.batch_ms),
        first_run_ms: m(&|b| b.first_run_ms),
        per_run_after_first_ms: m(&|b| b.per_run_after_first_ms),
        per_run_ms,
        per_run_samples_ms: rounds.iter().map(|r| round3(r.batch.per_run_ms)).collect(),
        scenario_p50_ms: m(&|b| b.scenario_p50_ms),
        scenario_mean_ms: m(&|b| b.scenario_mean_ms),
        outside_ms: m(&|b| b.outside_ms()),
        listening_ms: m(&|b| b.listening_ms),
        connected_ms: m(&|b| b.connected_ms),
        typed_ms: m(&|b| b.typed_ms),
        exit_ms: m(&|b| b.exit_ms),
        reactions_ms: m(&|b| b.reactions_ms),
        sleeps_ms: m(&|b| b.sleeps_ms),
        programs_ms: m(&|b| b.programs_ms()),
        overhead_ms: m(&|b| b.overhead_ms()),
        overhead_samples_ms: rounds
            .iter()
            .map(|r| round3(r.batch.overhead_ms()))
            .collect(),
        target_ms: if backend == "local" {
            TARGET_LOCAL_OVERHEAD_MS
        } else {
            TARGET_MININET_OVERHEAD_MS
        },
        overhead_vs_bare_ms: bare_ms.as_ref().map(|b| round3(per_run_ms - b.median)),
        stretches: stretches(rounds),
        cpu_per_run_ms: round3(median(&cpu)),
        bare_cpu_ms: (!bare_cpu.is_empty()).then(|| round3(median(&bare_cpu))),
        ratio_to_bare: bare_ms
            .as_ref()
            .map(|b| round3(per_run_ms / b.median.max(1e-9))),
        wakeups_per_run: m(&|b| b.wakeups),
        bare_ms,
        bare_exchanges: plan.bare_exchanges,
    }
}

/// Each stretch of the exchange: its median over the rounds, bare and
/// orchestrated.
fn stretches(rounds: &[ReusedRound]) -> Vec<Stretch> {
    analyse::STRETCHES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let bare: Vec<f64> = rounds
                .iter()
                .filter_map(|r| r.bare.stretches_ms.get(i).copied())
                .collect();
            let orchestrated: Vec<f64> = rounds
                .iter()
                .map(|r| r.batch.stretches_ms.get(i).copied().unwrap_or(0.0))
                .collect();
            Stretch {
                name: (*name).into(),
                bare_ms: round3(median(&bare)),
                orchestrated_ms: round3(median(&orchestrated)),
            }
        })
        .collect()
}

/// The generated scenarios of the sweep, each repeated on a reused network;
/// then, if the target gap reversed some acks, that gap again with every
/// program at real-time priority. Returns the figures and notes.
pub fn fidelity(ctx: &Ctx) -> Result<(Fidelity, Vec<String>)> {
    let dir = ctx.tools.work.join("sweep");
    std::fs::create_dir_all(&dir)?;
    let mut gaps = Vec::new();
    let mut notes = Vec::new();
    for &(ms, runs) in &ctx.plan.sweep {
        ctx.go_on()?;
        let result = sweep_gap(ctx, &dir, Gap { ms }, runs, &[])?;
        gaps.push(result);
    }
    let mut realtime = None;
    let reversed = gaps
        .iter()
        .find(|g| (g.gap_ms - TARGET_ORDER_GAP_MS).abs() < 1e-9 && g.send_order < g.runs);
    if let Some(g) = reversed {
        match find_program("chrt") {
            Some(chrt) if sys::is_root() => {
                ctx.go_on()?;
                let prefix = [chrt.to_string_lossy().into_owned(), "--rr".into(), "1".into()];
                let gap = Gap { ms: g.gap_ms };
                realtime = Some(sweep_gap(ctx, &dir, gap, g.runs as u32, &prefix)?);
            }
            _ => notes.push(format!(
                "gap {} reversed acks, and was not run again at real-time priority (that needs root and chrt)",
                Gap { ms: g.gap_ms }
            )),
        }
    }
    Ok((
        Fidelity {
            backend: ctx.plan.backend().into(),
            gaps,
            realtime,
        },
        notes,
    ))
}

/// One gap of the sweep: its scenario written into `dir`, run `runs`
/// times under `prefix`.
fn sweep_gap(ctx: &Ctx, dir: &Path, gap: Gap, runs: u32, prefix: &[String]) -> Result<GapResult> {
    let file = dir.join(format!("{}.yaml", gap.name()));
    std::fs::write(&file, gap.yaml())?;
    let t0 = Instant::now();
    let what = if prefix.is_empty() {
        gap.name()
    } else {
        format!("{}-realtime", gap.name())
    };
    let inv = ctx.tools.orchestrate_under(
        prefix,
        &what,
        &[
            "--backend".into(),
            ctx.plan.backend().into(),
            "--repeat".into(),
            runs.to_string(),
            file.to_string_lossy().into_owned(),
        ],
    )?;
    let (summary, records) = children::batch(&inv.results)?;
    ctx.tools.done_with(&inv);
    let names: Vec<String> = summary.runs.iter().filter_map(|r| r.dir.clone()).collect();
    let result = gap_result(
        gap,
        &records,
        &names,
        summary.totals.passed,
        t0.elapsed().as_secs_f64(),
    );
    (ctx.say)(&format!(
        "fidelity {gap}{}: {} runs, send order {}, server agrees {} ({:.0} s)",
        if prefix.is_empty() {
            ""
        } else {
            " at real-time priority"
        },
        result.runs,
        result.send_order,
        result.server_agrees,
        result.wall_s
    ));
    Ok(result)
}

/// The figures of one gap from its runs' records (`names`: their run
/// directories, in the same order).
pub fn gap_result(
    gap: Gap,
    records: &[pa3_mininet::orchestrator::record::RunRecord],
    names: &[String],
    passed: usize,
    wall_s: f64,
) -> GapResult {
    let timings: Vec<analyse::SendTiming> = records.iter().map(analyse::send_timing).collect();
    let reversed: Vec<(usize, &analyse::SendTiming)> = timings
        .iter()
        .enumerate()
        .filter(|(_, t)| !gap.together() && t.ack.is_some() && !t.follows_send_order())
        .collect();
    let typed: Vec<f64> = timings.iter().filter_map(|t| t.typed_gap_ms).collect();
    let replies: Vec<f64> = timings.iter().flat_map(|t| t.reply_ms.clone()).collect();
    let first_reply = |reversed: bool| -> Vec<f64> {
        timings
            .iter()
            .filter(|t| t.ack.is_some() && t.follows_send_order() != reversed)
            .filter_map(|t| t.reply_ms.first().copied())
            .collect()
    };
    GapResult {
        gap_ms: gap.ms,
        steps: gap.steps_text(),
        runs: records.len(),
        passed,
        send_order: timings.iter().filter(|t| t.follows_send_order()).count(),
        server_agrees: timings.iter().filter(|t| t.server_agrees()).count(),
        x_first: timings
            .iter()
            .filter(|t| t.ack.as_deref().is_some_and(|a| a.starts_with("X:")))
            .count(),
        typed_gap_ms: Spread::of(&typed),
        reply_ms: Spread::of(&replies),
        first_reply_ms_reversed: Spread::of(&first_reply(true)),
        first_reply_ms_in_order: Spread::of(&first_reply(false)),
        reversed: reversed.len(),
        reversed_sent_first: reversed
            .iter()
            .filter(|(_, t)| t.sent_gap_ms.is_some_and(|g| g < 0.0))
            .count(),
        reversed_runs: reversed
            .iter()
            .take(REVERSALS_KEPT)
            .map(|(i, t)| Reversal {
                run: names.get(*i).cloned().unwrap_or_default(),
                typed_gap_ms: t.typed_gap_ms.map(round3),
                sent_gap_ms: t.sent_gap_ms.map(round3),
                reply_ms: t.reply_ms.iter().map(|v| round3(*v)).collect(),
            })
            .collect(),
        wall_s: round3(wall_s),
    }
}

/// Each batch of the plan serially and with `--jobs N`, alternately.
pub fn jobs(ctx: &Ctx) -> Result<Vec<Jobs>> {
    let backend = ctx.plan.backend();
    let mut out = Vec::new();
    for batch in &ctx.plan.jobs_batches {
        let mut serial = Vec::new();
        let mut parallel = Vec::new();
        let mut serial_cpu = Vec::new();
        let mut parallel_cpu = Vec::new();
        let mut bounds = Vec::new();
        let mut runs = 0;
        for round in 0..ctx.plan.jobs_rounds {
            for with_jobs in [round % 2 == 1, round % 2 == 0] {
                ctx.go_on()?;
                let jobs = if with_jobs { ctx.plan.jobs } else { 1 };
                let mut args: Vec<String> = vec![
                    "--backend".into(),
                    backend.into(),
                    "--repeat".into(),
                    batch.repeat.to_string(),
                    "--jobs".into(),
                    jobs.to_string(),
                ];
                args.extend(batch.paths.iter().cloned());
                let inv = ctx.tools.orchestrate(&format!("jobs{jobs}"), &args)?;
                let (summary, records) = children::batch(&inv.results)?;
                ctx.tools.done_with(&inv);
                runs = summary.totals.runs;
                if with_jobs {
                    parallel.push(inv.wall_ms);
                    parallel_cpu.push(inv.cpu_ms);
                } else {
                    serial.push(inv.wall_ms);
                    serial_cpu.push(inv.cpu_ms);
                    bounds.push(shape_bound(&records, ctx.plan.jobs as usize));
                }
            }
            (ctx.say)(&format!(
                "--jobs {}/{} on {}: serial {:.1} s, --jobs {} {:.1} s",
                round + 1,
                ctx.plan.jobs_rounds,
                batch.label,
                serial.last().copied().unwrap_or(0.0) / 1e3,
                ctx.plan.jobs,
                parallel.last().copied().unwrap_or(0.0) / 1e3
            ));
        }
        let (serial_ms, parallel_ms) = (Samples::of(&serial), Samples::of(&parallel));
        out.push(Jobs {
            backend: backend.into(),
            batch: batch.label.clone(),
            runs,
            jobs: ctx.plan.jobs,
            speedup: round3(serial_ms.median / parallel_ms.median.max(1e-9)),
            serial_ms,
            parallel_ms,
            schedule_bound: round3(median(&bounds)),
            serial_cpu_ms: Samples::of(&serial_cpu),
            parallel_cpu_ms: Samples::of(&parallel_cpu),
            target: TARGET_JOBS_SPEEDUP,
        });
    }
    Ok(out)
}

/// What a batch's shape allows `jobs` workers: its serial runs (the full
/// records: the summary's have no events) dealt as `--jobs` deals them,
/// the longest scripted first, ties in plan order.
fn shape_bound(records: &[pa3_mininet::orchestrator::record::RunRecord], jobs: usize) -> f64 {
    let mut runs: Vec<(f64, f64)> = records
        .iter()
        .map(|r| (analyse::sleeps_ms(r), r.duration_ms))
        .collect();
    runs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let durations: Vec<f64> = runs.iter().map(|r| r.1).collect();
    let makespan = stats::list_schedule(&durations, jobs);
    durations.iter().sum::<f64>() / makespan.max(1e-9)
}

/// The median of each named phase over several records, in the order
/// they first appear. Pure; for the fresh section's tests.
pub fn phase_medians(records: &[pa3_mininet::orchestrator::record::RunRecord]) -> Vec<PhaseMedian> {
    let mut order = Vec::new();
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in records {
        for p in &r.phases {
            if !values.contains_key(&p.name) {
                order.push(p.name.clone());
            }
            values.entry(p.name.clone()).or_default().push(p.ms);
        }
    }
    order
        .into_iter()
        .map(|name| PhaseMedian {
            median_ms: round3(median(&values[&name])),
            name,
        })
        .collect()
}
