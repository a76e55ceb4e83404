//! `orchestrate bench`: the benchmark's command line. It finds what it
//! drives (this program, the `server` and `client` beside it, the
//! repository's `experiments/`), runs [`crate::orchestrator::bench`],
//! prints the table and writes the JSON.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{bail, Context, Result};
use clap::Args;

use super::programs::Programs;
use super::{install_signal_handler, EXIT_INTERRUPTED, EXIT_OK};
use crate::orchestrator::bench::{self, children::Tools, report, Plan, SCENARIO};
use crate::orchestrator::net::{mininet, Backend};
use crate::orchestrator::results;

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
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
    /// removed once read).
    #[arg(long, value_name = "DIR")]
    keep_runs: Option<PathBuf>,
    /// Only the link engines (delay and loss accuracy, cost per packet;
    /// needs Mininet): about half a minute.
    #[arg(long, conflicts_with = "backend")]
    links_only: bool,
}

pub(super) fn bench(args: &BenchArgs) -> Result<i32> {
    let mininet = args.backend == Backend::Mininet;
    if mininet {
        mininet::preflight()?;
    }
    let mut plan = Plan::new(args.quick, mininet, args.sweep_runs);
    plan.keep_runs = args.keep_runs.clone();
    let repo = repository()?;
    let orchestrate = std::env::current_exe().context("cannot find this program's path")?;
    let programs = Programs::link()?;
    let bin = programs.dir().to_path_buf();
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
    let stop = install_signal_handler();
    let tools = Tools::new(orchestrate, bin, repo, work, args.keep_runs.is_some());
    eprintln!(
        "orchestrate bench ({}, backend {}): {}",
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
    let measured = if args.links_only {
        bench::run_links_only(&plan, stop, &say)
    } else {
        bench::run(&plan, &tools, stop, &say)
    };
    let report = match measured {
        Ok(r) => r,
        Err(_) if stop.load(Ordering::SeqCst) => {
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

/// The repository whose `experiments/` the benchmark runs: the current
/// directory, else the one this program was built from.
fn repository() -> Result<PathBuf> {
    let here = std::env::current_dir()?;
    for dir in [here.as_path(), Path::new(env!("CARGO_MANIFEST_DIR"))] {
        if dir.join(SCENARIO).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    bail!(
        "{SCENARIO} is not here: run `orchestrate bench` from the repository (cd {})",
        env!("CARGO_MANIFEST_DIR")
    )
}
