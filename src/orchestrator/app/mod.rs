//! The `orchestrate` command: argument parsing, the subcommands, and the
//! mapping of every outcome to an exit code. The binary only calls
//! [`main`].
//!
//! - this file: the command line, loading scenarios, `validate`, `topo`,
//!   `clean`, and the exit codes;
//! - [`run`]: running scenarios (one run, or a batch) and writing results;
//! - [`session`]: what a run owns while it runs (the ownership record, the
//!   network), removed on every path;
//! - [`console`]: the live output on the terminal;
//! - [`up`]: a network kept up for running the programs by hand.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::orchestrator::net::Backend;
use crate::orchestrator::scenario::{self, Capabilities, LoadError, ValidScenario};
use crate::orchestrator::state;
use crate::orchestrator::topology;

mod console;
mod run;
mod session;
mod up;

/// Every check passed.
pub const EXIT_OK: i32 = 0;
/// Internal or environment error (no root, Mininet missing, network failed).
pub const EXIT_ERROR: i32 = 1;
/// Invalid scenario or usage.
pub const EXIT_INVALID: i32 = 2;
/// A check failed.
pub const EXIT_CHECK_FAILED: i32 = 3;
/// Interrupted (Ctrl-C, SIGTERM, SIGHUP).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Run PA3 scenarios on a real Mininet network (or on loopback) and check
/// what the programs print against the expected acknowledgements.
///
/// Exit codes: 0 all checks passed, 1 internal or environment error,
/// 2 invalid scenario or usage, 3 a check failed, 130 interrupted.
#[derive(Parser, Debug)]
#[command(
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  sudo cargo run --bin orchestrate experiments/case2.yaml\n  orchestrate --backend local experiments/\n  orchestrate validate experiments/\n  sudo orchestrate up experiments/case1.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenario files, or every .yaml in a directory (the default command).
    Run(RunArgs),
    /// Check scenario files without running anything.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the Python topology generated for a scenario.
    Topo { path: PathBuf },
    /// Build a scenario's network and keep it up for running the programs by hand.
    Up {
        path: PathBuf,
        /// Open Mininet's own CLI (`mininet> h1 server &`) instead of waiting for Ctrl-C.
        #[arg(long)]
        cli: bool,
    },
    /// Remove what dead orchestrator runs left behind (only that).
    Clean,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Scenario files or directories.
    paths: Vec<PathBuf>,
    /// Where the programs run.
    #[arg(long, value_enum, default_value_t = Backend::Mininet)]
    backend: Backend,
    /// Directory for run directories.
    #[arg(long, default_value = "results")]
    results: PathBuf,
    /// Capture the PA3 traffic into capture.pcap (needs tcpdump).
    #[arg(long)]
    pcap: bool,
    /// Print only the verdicts.
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print commands, typed input and the network's own output.
    #[arg(long, short)]
    verbose: bool,
    /// Fail the checks that pass only by reading past a slip of the seed's
    /// strings (case, spacing, `recieved`, a `From Server:` prefix, quotes,
    /// punctuation); by default they pass with a note.
    #[arg(long)]
    strict: bool,
}

/// Set by the signal handler; every wait of a run looks at it.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Runs the command line; returns the process exit code. A panic (a bug)
/// still unwinds through every guard — programs stopped, network removed,
/// unfinished results deleted — and then exits 1.
pub fn main() -> i32 {
    match std::panic::catch_unwind(main_inner) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("error: internal error (a bug in orchestrate); everything it had started was removed");
            EXIT_ERROR
        }
    }
}

fn main_inner() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_INVALID
            } else {
                EXIT_OK
            };
        }
    };
    let result = match cli.command {
        Some(Command::Run(args)) => run::run(&args),
        None if cli.run.paths.is_empty() => {
            eprintln!("error: give a scenario file or directory, e.g. `orchestrate experiments/case2.yaml` (see --help)");
            Ok(EXIT_INVALID)
        }
        None => run::run(&cli.run),
        Some(Command::Validate { paths }) => validate(&paths),
        Some(Command::Topo { path }) => topo(&path),
        Some(Command::Up { path, cli }) => up::up(&path, cli),
        Some(Command::Clean) => clean(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    }
}

fn install_signal_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                eprintln!("\nstill cleaning up; it will not take long");
            } else {
                eprintln!("\ninterrupted: stopping the programs and removing the network");
            }
        });
    });
}

/// Why scenarios could not be loaded; each has been printed already.
#[derive(Debug)]
struct Invalid;

/// Loads every scenario the paths name; prints every error of every file.
fn load_all(paths: &[PathBuf]) -> Result<Vec<ValidScenario>, Invalid> {
    let mut files = Vec::new();
    for p in paths {
        match scenario::files_in(p) {
            Ok(f) if f.is_empty() => {
                eprintln!("error: {}: no .yaml scenario files here", p.display());
                return Err(Invalid);
            }
            Ok(f) => files.extend(f),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return Err(Invalid);
            }
        }
    }
    let caps = Capabilities::detect();
    let mut ok = Vec::new();
    let mut bad = false;
    let mut unreadable = false;
    for f in files {
        match scenario::load(&f, caps) {
            Ok(s) => ok.push(s),
            Err(e @ LoadError::Unreadable { .. }) => {
                unreadable = true;
                eprintln!("error: {e}");
            }
            Err(LoadError::Invalid(errors)) => {
                bad = true;
                for e in errors.0 {
                    eprintln!("{e}");
                }
            }
        }
    }
    if bad {
        eprintln!("error: invalid scenario: nothing was run");
        return Err(Invalid);
    }
    if unreadable {
        return Err(Invalid);
    }
    Ok(ok)
}

/// Loads exactly one scenario file.
fn load_one(path: &Path) -> Result<ValidScenario, Invalid> {
    load_all(&[path.to_path_buf()]).map(|mut s| s.remove(0))
}

fn validate(paths: &[PathBuf]) -> Result<i32> {
    let Ok(scenarios) = load_all(paths) else {
        return Ok(EXIT_INVALID);
    };
    for s in &scenarios {
        for warning in &s.warnings {
            eprintln!("{}", warning.as_warning());
        }
        println!(
            "ok: {} ({}: {} steps, expects {})",
            s.file.display(),
            s.name,
            s.steps.len(),
            s.expect_ack
                .as_deref()
                .or(s.derived_ack.as_deref())
                .unwrap_or("the server's own order")
        );
    }
    Ok(EXIT_OK)
}

fn topo(path: &Path) -> Result<i32> {
    let Ok(s) = load_one(path) else {
        return Ok(EXIT_INVALID);
    };
    print!("{}", topology::python(&s));
    Ok(EXIT_OK)
}

fn clean() -> Result<i32> {
    let report = state::clean_dead_runs()?;
    if report.removed.is_empty() {
        println!(
            "nothing to clean: no leftovers of dead runs in {}",
            state::state_dir().display()
        );
    } else {
        for r in &report.removed {
            println!("removed {r}");
        }
    }
    for pid in &report.live_runs {
        println!("left alone: the run of live orchestrator pid {pid}");
    }
    Ok(EXIT_OK)
}

/// The directory of our `server` and `client`. Under `cargo run`, which
/// builds only the binary it runs, they are built first so that they are
/// never missing or stale.
fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let dir = exe
        .parent()
        .context("this program has no directory")?
        .to_path_buf();
    let manifest = env!("CARGO_MANIFEST_DIR");
    let under_cargo = std::env::var("CARGO_MANIFEST_DIR").is_ok_and(|d| d == manifest);
    if let (true, Some(cargo)) = (under_cargo, std::env::var_os("CARGO")) {
        let mut cmd = std::process::Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "--bin",
            "server",
            "--bin",
            "client",
            "--manifest-path",
        ])
        .arg(Path::new(manifest).join("Cargo.toml"));
        if dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd
            .status()
            .context("cannot run cargo to build server and client")?;
        if !status.success() {
            bail!("building server and client failed");
        }
    }
    for b in ["server", "client"] {
        if !dir.join(b).is_file() {
            bail!(
                "{} is missing: build it with `cargo build --bins`",
                dir.join(b).display()
            );
        }
    }
    Ok(dir)
}
