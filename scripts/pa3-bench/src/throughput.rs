//! The throughput section: `server --rounds 0` and the Python baseline,
//! alternately, under the Rust load generator.

use std::ffi::OsString;
use std::path::Path;

use anyhow::Result;

use super::load::{self, LoadRun, ServerProc};
use super::report::{ServerFigures, Throughput};
use super::sections::Ctx;
use super::stats::{round3, Samples, Spread};
use super::Plan;
use pa3_mininet::orchestrator::sys::find_program;

/// The Python baseline server, written out next to the servers' output.
const PYTHON_SERVER: &str = include_str!("../../bench_server.py");

/// What one server's runs gave.
#[derive(Default)]
struct Side {
    rates: Vec<f64>,
    server_cpu: Vec<f64>,
    generator_cpu: Vec<f64>,
    latencies: Vec<f64>,
    failed: usize,
    first_error: Option<String>,
}

impl Side {
    fn measure(&mut self, server: &ServerProc, pairs: u32) {
        let before = server.cpu();
        let run: LoadRun = load::drive(server.addr, pairs);
        let cpu = server.cpu().saturating_sub(before);
        let per_pair = |d: std::time::Duration| d.as_secs_f64() * 1e6 / f64::from(pairs);
        self.rates.push(run.pairs_per_s());
        self.server_cpu.push(per_pair(cpu));
        self.generator_cpu.push(per_pair(run.generator_cpu));
        self.latencies.extend(run.latencies_us);
        self.failed += run.failed as usize;
        if self.first_error.is_none() {
            self.first_error = run.first_error;
        }
    }

    fn figures(self, command: String, server: &ServerProc) -> ServerFigures {
        ServerFigures {
            command,
            pairs_per_s: Samples::of(&self.rates),
            server_cpu_us_per_pair: Samples::of(&self.server_cpu),
            generator_cpu_us_per_pair: Samples::of(&self.generator_cpu),
            pair_latency_us: Spread::of(&self.latencies),
            peak_rss_kib: server.peak_rss_kib(),
            failed_pairs: self.failed,
            first_error: self.first_error,
        }
    }
}

/// `server --rounds 0` and the Python baseline, alternately, under the
/// Rust load generator. Returns the figures and notes (a missing Python).
pub fn throughput(ctx: &Ctx) -> Result<(Throughput, Vec<String>)> {
    let plan = ctx.plan;
    let dir = ctx.tools.work.join("throughput");
    std::fs::create_dir_all(&dir)?;
    let mut notes = Vec::new();
    let ours_argv: Vec<OsString> = vec![
        ctx.tools.bin_dir.join("server").into(),
        "--rounds".into(),
        "0".into(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--port".into(),
        "0".into(),
    ];
    let ours = ServerProc::start(&ours_argv, &dir, "ours")?;
    let python = start_python(&dir)?;
    if python.is_none() {
        notes.push("python3 not found: the Python baseline server was not measured".into());
    }
    let servers: Vec<&ServerProc> = std::iter::once(&ours).chain(python.as_ref()).collect();
    let sides = measure_servers(ctx, &servers)?;
    notes.extend(unacked_notes(plan, &servers, &sides));
    let mut sides = sides.into_iter();
    let ours_figures = sides
        .next()
        .expect("ours")
        .figures(shown(&ours_argv), &ours);
    let python_figures = python.as_ref().map(|p| {
        sides.next().expect("python").figures(
            "python3 scripts/bench_server.py --bind 127.0.0.1 --port 0".to_string(),
            p,
        )
    });
    let ratio = python_figures
        .as_ref()
        .map(|p| round3(ours_figures.pairs_per_s.median / p.pairs_per_s.median.max(1e-9)));
    Ok((
        Throughput {
            pairs: plan.pairs,
            runs: plan.pair_runs,
            warmup: plan.warmup,
            ours: ours_figures,
            python: python_figures,
            ratio,
        },
        notes,
    ))
}

/// The Python baseline server, started from its script written into
/// `dir`; `None` without a `python3`.
fn start_python(dir: &Path) -> Result<Option<ServerProc>> {
    let Some(py) = find_program("python3") else {
        return Ok(None);
    };
    let script = dir.join("bench_server.py");
    std::fs::write(&script, PYTHON_SERVER)?;
    let argv: Vec<OsString> = vec![
        py.into(),
        script.into(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--port".into(),
        "0".into(),
    ];
    Ok(Some(ServerProc::start(&argv, dir, "python")?))
}

/// Warms each server up, then measures them in turn, the order reversed
/// every other round: what each server's runs gave, in `servers`' order.
fn measure_servers(ctx: &Ctx, servers: &[&ServerProc]) -> Result<Vec<Side>> {
    let plan = ctx.plan;
    for s in servers {
        load::drive(s.addr, plan.warmup);
    }
    let mut sides: Vec<Side> = servers.iter().map(|_| Side::default()).collect();
    for round in 0..plan.pair_runs {
        let mut order: Vec<usize> = (0..servers.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            ctx.go_on()?;
            sides[i].measure(servers[i], plan.pairs);
        }
        (ctx.say)(&format!(
            "server {}/{}: ours {:.0} pairs/s{}",
            round + 1,
            plan.pair_runs,
            sides[0].rates.last().copied().unwrap_or(0.0),
            sides
                .get(1)
                .map(|p| format!(
                    ", python {:.0} pairs/s",
                    p.rates.last().copied().unwrap_or(0.0)
                ))
                .unwrap_or_default()
        ));
    }
    Ok(sides)
}

/// A note for each server whose `Sent acknowledgment` lines do not add
/// up, with its failed pairs, to the pairs it was driven with.
fn unacked_notes(plan: &Plan, servers: &[&ServerProc], sides: &[Side]) -> Vec<String> {
    let expected = (plan.warmup + plan.pairs * plan.pair_runs as u32) as usize;
    let mut notes = Vec::new();
    for (s, side) in servers.iter().zip(sides) {
        let acked = s.acks_sent();
        if acked + side.failed != expected {
            notes.push(format!(
                "a server printed {acked} `Sent acknowledgment` lines for {expected} pairs ({} failed)",
                side.failed
            ));
        }
    }
    notes
}

/// `server --rounds 0 …` as a person writes it.
fn shown(argv: &[OsString]) -> String {
    let mut parts: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(name) = Path::new(&parts[0]).file_name() {
        parts[0] = name.to_string_lossy().into_owned();
    }
    parts.join(" ")
}
