//! `pa3-bench`: the benchmark's command line (`scripts/bench` builds it
//! and runs it). It finds what it drives — `orchestrate`, `server` and
//! `client` beside it (the same cargo target directory), the repository's
//! `experiments/` — runs [`pa3_bench::run`], prints the table and writes
//! the JSON.
//!
//! Exit codes: 0 measured (the targets are figures, never a failure),
//! 1 something could not be measured (said on stderr), 2 bad arguments,
//! 130 interrupted (nothing written).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;

use pa3_bench::{children::Tools, probes, report, Plan, SCENARIO};
use pa3_mininet::orchestrator::net::{mininet, Backend};
use pa3_mininet::orchestrator::results;

/// Everything was measured.
const EXIT_OK: i32 = 0;
/// Something could not be measured.
const EXIT_ERROR: i32 = 1;
/// Bad arguments.
const EXIT_INVALID: i32 = 2;
/// Ctrl-C, SIGTERM or SIGHUP: nothing was written.
const EXIT_INTERRUPTED: i32 = 130;

/// Measure the orchestrator on this machine: Mininet's floor, a fresh and
/// a reused network next to the bare exchange, loopback, the fidelity
/// sweep, --jobs, and the server's pairs/s; prints a table and writes JSON.
#[derive(Parser, Debug)]
#[command(name = "pa3-bench", version)]
struct BenchArgs {
    /// A smoke run of about 30 s: small batches, 20 runs per gap, few pairs.
    #[arg(long)]
    quick: bool,
    /// `mininet`: every section (needs root); `local`: only what runs on
    /// loopback (the sweep and --jobs then run on loopback too).
    #[arg(long, value_enum, default_value_t = Backend::Mininet)]
    backend: Backend,
    /// Where to write the JSON.
    #[arg(long, default_value = "results/bench.json")]
    out: PathBuf,
    /// Runs per gap of the fidelity sweep (default 1000; 20 with --quick).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(3..=100_000))]
    sweep_runs: Option<u32>,
    /// Keep every run the benchmark makes under DIR (by default they are
    /// removed when the benchmark ends).
    #[arg(long, value_name = "DIR")]
    keep_runs: Option<PathBuf>,
    /// Only the link engines (delay and loss accuracy, cost per packet;
    /// needs Mininet): about half a minute.
    #[arg(long, conflicts_with = "backend")]
    links_only: bool,
}

fn main() {
    let args = match BenchArgs::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            });
        }
    };
    let code = bench(&args).unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        EXIT_ERROR
    });
    std::process::exit(code);
}

/// Set by Ctrl-C (SIGINT, SIGTERM, SIGHUP): the sections stop at the
/// next measurement and nothing is written.
fn interrupted_flag() -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(|| {
        eprintln!("\ninterrupted: stopping the measurement");
        INTERRUPTED.store(true, Ordering::SeqCst);
    });
    &INTERRUPTED
}

fn bench(args: &BenchArgs) -> Result<i32> {
    let mininet = args.backend == Backend::Mininet;
    if mininet {
        mininet::preflight()?;
    }
    let mut plan = Plan::new(args.quick, mininet, args.sweep_runs);
    plan.keep_runs = args.keep_runs.clone();
    let repo = repository()?;
    let bin = bin_dir()?;
    let orchestrate = bin.join("orchestrate");
    let temp;
    let work = match &args.keep_runs {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            std::fs::canonicalize(dir)?
        }
        None => {
            temp = tempfile::Builder::new().prefix("pa3-bench-").tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let interrupted = interrupted_flag();
    let tools = Tools::new(orchestrate, bin, repo, work, args.keep_runs.is_some());
    eprintln!(
        "pa3-bench ({}, backend {}): {}",
        plan.mode(),
        plan.backend(),
        if args.links_only {
            "the link engines only, about half a minute"
        } else if plan.quick {
            "about 30 s"
        } else {
            "a few minutes"
        }
    );
    let say = |s: &str| eprintln!("  {s}");
    let_time_wait_expire(interrupted, &say);
    let measured = if args.links_only {
        pa3_bench::run_links_only(&plan, interrupted, &say)
    } else {
        pa3_bench::run(&plan, &tools, interrupted, &say)
    };
    let report = match measured {
        Ok(r) => r,
        Err(_) if interrupted.load(Ordering::SeqCst) => {
            eprintln!("interrupted: nothing was written");
            return Ok(EXIT_INTERRUPTED);
        }
        Err(e) => return Err(e),
    };
    print!("{}", report::table(&report));
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    results::write_atomic(&args.out, serde_json::to_string_pretty(&report)? + "\n")?;
    results::give_to_invoking_user(&args.out);
    println!("json: {}", args.out.display());
    Ok(EXIT_OK)
}

/// More TIME_WAIT sockets than this on the machine are waited out first.
const TIME_WAIT_AT_MOST: u64 = 1000;

/// Waits (a minute at most: their lifetime) until the machine's TIME_WAIT
/// sockets are few. Every socket listing walks the kernel's connection
/// table, which holds them, Mininet's namespaces included: the 28,000 a
/// benchmark's server section leaves slowed the next benchmark's listings
/// for a minute (its local section took 34 ms per run instead of 13, and
/// the reused Mininet network's ratio moved from 1.23x to 1.32x).
fn let_time_wait_expire(interrupted: &AtomicBool, say: &dyn Fn(&str)) {
    let Some(now) = probes::time_wait_sockets().filter(|&n| n > TIME_WAIT_AT_MOST) else {
        return;
    };
    say(&format!(
        "waiting for the machine's {now} TIME_WAIT sockets to expire (a minute at most): every socket listing walks them"
    ));
    let deadline = Instant::now() + Duration::from_secs(65);
    while Instant::now() < deadline && !interrupted.load(Ordering::SeqCst) {
        if probes::time_wait_sockets().is_none_or(|n| n <= TIME_WAIT_AT_MOST) {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The repository whose `experiments/` the benchmark runs: the current
/// directory, else the one this program was built from.
fn repository() -> Result<PathBuf> {
    let here = std::env::current_dir()?;
    // This crate is scripts/pa3-bench/ of the repository.
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap_or(Path::new("."));
    for dir in [here.as_path(), built_from] {
        if dir.join(SCENARIO).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    bail!(
        "{SCENARIO} is not here: run the benchmark from the repository (cd {})",
        built_from.display()
    )
}

/// Where `orchestrate`, `server` and `client` are: beside this program
/// (cargo builds every binary of the workspace into one directory).
fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let dir = exe
        .parent()
        .context("this program has no directory")?
        .to_path_buf();
    for b in ["orchestrate", "server", "client"] {
        if !dir.join(b).is_file() {
            bail!(
                "{} is missing: build the programs beside the benchmark (`cargo build --release --workspace --bins`, as scripts/bench does)",
                dir.join(b).display()
            );
        }
    }
    Ok(dir)
}
