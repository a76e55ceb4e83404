//! The `orchestrate` command: argument parsing, the subcommands, and the
//! mapping of every outcome to an exit code. The binary only calls
//! [`main`].
//!
//! - this file: the command line, loading scenarios, `validate`, `topo`,
//!   `clean`, and the exit codes;
//! - [`run`]: running scenarios (one run, or a batch) and writing results;
//! - [`progress`]: what a batch shows while it runs;
//! - [`merge`]: shards' results into one;
//! - [`up`]: a network kept up for running the programs by hand;
//! - [`grade`]: grading a class; [`regrade`]: what a grade's directory
//!   holds besides its gradebook, and changing a grade in place;
//!   [`similarity`]: comparing a class's submissions without grading.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::orchestrator::batch::plan::Shard;
use crate::orchestrator::link::EngineChoice;
use crate::orchestrator::net::shaping;
use crate::orchestrator::net::Backend;
use crate::orchestrator::record::Outcome;
use crate::orchestrator::results;
use crate::orchestrator::scenario::{self, LoadError, ValidScenario};
use crate::orchestrator::state;
use crate::orchestrator::topology;

/// `println!` that never panics: a reader that went away (`orchestrate … |
/// head`) must not turn into a panic in the middle of a run — the run goes
/// on and cleans up after itself.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that never panics (see [`outln`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod grade;
mod merge;
mod programs;
mod progress;
mod regrade;
mod run;
mod similarity;
mod up;

/// Every check passed.
pub const EXIT_OK: i32 = Outcome::Passed.exit_code();
/// Internal or environment error (no root, Mininet missing, network failed).
pub const EXIT_ERROR: i32 = Outcome::Error.exit_code();
/// Invalid scenario or usage (no run's outcome: nothing ran).
pub const EXIT_INVALID: i32 = 2;
/// A check failed.
pub const EXIT_CHECK_FAILED: i32 = Outcome::Failed.exit_code();
/// Interrupted (Ctrl-C, SIGTERM, SIGHUP).
pub const EXIT_INTERRUPTED: i32 = Outcome::Interrupted.exit_code();

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
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// Check scenario files without running anything.
    #[command(after_help = VALIDATE_HELP)]
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The engine that would delay links (see `run --help`).
        #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
        link_engine: EngineChoice,
    },
    /// Print the Python topology generated for a scenario.
    #[command(
        after_help = "Example:\n  orchestrate topo experiments/case1.yaml > topo/pa3.py\n\nExit codes: 0 printed; 2 invalid scenario or usage."
    )]
    Topo {
        path: PathBuf,
        /// The engine that delays links: under netem the topology carries
        /// them, under nfqueue orchestrate's delayers do.
        #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
        link_engine: EngineChoice,
    },
    /// Build a scenario's network and keep it up for running the programs by hand.
    #[command(
        after_help = "Examples:\n  sudo orchestrate up experiments/case1.yaml         print the mnexec commands, Ctrl-C removes the network\n  sudo orchestrate up experiments/case1.yaml --cli   Mininet's own CLI: mininet> h1 server &\n\nExit codes: 0 the network was removed; 1 it could not be built; 2 invalid scenario or usage."
    )]
    Up {
        path: PathBuf,
        /// Open Mininet's own CLI (`mininet> h1 server &`) instead of waiting for Ctrl-C.
        #[arg(long)]
        cli: bool,
        /// The engine that delays links (see `run --help`).
        #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
        link_engine: EngineChoice,
    },
    /// Grade a class: every student's programs against the rubric, in the sandbox.
    #[command(after_help = GRADE_HELP)]
    Grade(grade::GradeArgs),
    /// Combine the results of shards (`--shard K/N`) into one batch.
    Merge(merge::MergeArgs),
    /// Compare a class's submissions pair by pair (no grading, no root).
    #[command(after_help = SIMILARITY_HELP)]
    Similarity(similarity::SimilarityArgs),
    /// Remove what dead orchestrator runs left behind (only that), and the
    /// captured output of interrupted runs kept in the results directory.
    Clean {
        /// The results directory whose `*.interrupted` runs to remove.
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
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
    /// Print only the verdicts (a batch: only its summary).
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print commands, typed input and the network's own output (a
    /// batch: each run's whole output when it ends).
    #[arg(long, short)]
    verbose: bool,
    /// Run each scenario N times (statistics: pass rate, acks, p50/p95).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    repeat: u32,
    /// Run N networks (or loopback groups) at once.
    #[arg(long, short, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=26))]
    jobs: u32,
    /// Run only shard K of N of the batch (stable: by hash of each run's key).
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Run only the scenarios whose name contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN")]
    filter: Vec<String>,
    /// Stop starting runs after the first that fails.
    #[arg(long)]
    fail_fast: bool,
    /// Print the batch's summary as JSON on stdout (and nothing else).
    #[arg(long, conflicts_with_all = ["quiet", "verbose"])]
    json: bool,
    /// Override every scenario's timeout_s (seconds).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<f64>,
    /// Fail the checks that pass only by reading past a slip of the seed's
    /// strings (case, spacing, `recieved`, a `From Server:` prefix, quotes,
    /// punctuation); by default they pass with a note.
    #[arg(long)]
    strict: bool,
    /// What delays, jitters and drops packets on the links a scenario
    /// impairs: the kernel's netem (Mininet's TCLink), our delayer on the
    /// NFQUEUE target, or netem where the kernel has it and nfqueue
    /// elsewhere. An engine that cannot run here is an error before the run.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    link_engine: EngineChoice,
}

/// A positive number of seconds, at most an hour.
fn parse_seconds(text: &str) -> Result<f64, NotSeconds> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(NotSeconds(text.to_string())),
    }
}

/// A `--timeout` that is not a number of seconds [`parse_seconds`] takes.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a number of seconds between 0 and 3600")]
struct NotSeconds(String);

const RUN_HELP: &str = "Examples:
  sudo orchestrate experiments/case2.yaml                 one scenario on Mininet
  orchestrate --backend local experiments/                every scenario, on loopback
  sudo orchestrate --repeat 100 experiments/simultaneous.yaml
  sudo orchestrate --jobs 2 --filter case experiments/
  orchestrate --backend local --shard 1/3 experiments/    then: orchestrate merge --out DIR ...

Exit codes: 0 all checks passed; 1 internal or environment error; 2 invalid
scenario or usage; 3 a check failed; 130 interrupted.";

const GRADE_HELP: &str = "Examples:
  sudo orchestrate grade class/                      every student, on Mininet, 2 at once
  sudo orchestrate grade class/ --strict             slips of the seed's strings fail
  sudo orchestrate grade class/ --filter alice       one student
  sudo orchestrate grade --backend local class/      no Mininet (as on Gradescope)

A student is a folder holding server.py and client.py (grading.yaml in the
class folder changes that, the commands, timeouts and points). Writes
results/<time>-grade/: gradebook.csv, gradebook.md, <student>/report.md,
<student>/results.json (Gradescope), runs/. On loopback, each run gets a
network namespace of its own; where none can be made (an unprivileged
container), the machine's loopback, one run at a time (a note says so).

It also writes class.html (the class at a glance: score distribution, each
item's counts and reasons, students sortable by score or item, similar
submissions), canvas.csv and points.csv. Changing a grade in place, the old
one kept in its history/:
  sudo orchestrate grade class/ --only alice --into results/<time>-grade
  orchestrate grade class/ --rescore --into results/<time>-grade   (grading.yaml's points)
See docs/grading-class.md.

Exit codes: 0 graded (whatever the grades); 1 internal or environment error
(no root: the sandbox needs it; a run that could not be carried out); 2 usage, or no student folder, or a bad
grading.yaml, or a change --into a grade refused; 130 interrupted.";

const SIMILARITY_HELP: &str = "Examples:
  orchestrate similarity class/
  orchestrate similarity class/ --reference public-solutions/

Every pair of submissions is compared on normalised code (comments,
whitespace and names ignored; Python and C/C++) with the winnowing
fingerprints of MOSS. Writes results/<time>-similarity/: similarity/index.html
(the pairs, best first; a page per pair with the matching regions side by
side), similarity.json, similarity.csv. A flag is evidence for a person,
never a grade. See docs/grading-class.md.

Exit codes: 0 compared (whatever was flagged); 1 internal error; 2 usage, or
no class folder, or no --reference folder.";

const VALIDATE_HELP: &str = "Examples:
  orchestrate validate experiments/
  orchestrate validate my-scenario.yaml

Exit codes: 0 every file is valid (warnings go to stderr); 2 an invalid file
(each error as file:line:col: message) or usage.";

/// A run directory `stem` under `results`, written down in a state file
/// of `kind` as this process's until it is finished: removed whole if the
/// process dies first.
pub(super) fn open_owned_dir(
    results: &Path,
    stem: &str,
    kind: &str,
    started: time::OffsetDateTime,
) -> Result<(results::RunDir, state::StateFile)> {
    let dir = results::RunDir::create(results, stem, started)?;
    let mut owner = state::StateFile::create(kind)?;
    owner.state.incomplete_dir = Some(std::fs::canonicalize(dir.path())?);
    owner.save()?;
    Ok((dir, owner))
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
        None => match mistyped_command(&cli.run.paths) {
            Some(message) => {
                eprintln!("error: {message}");
                Ok(EXIT_INVALID)
            }
            None => run::run(&cli.run),
        },
        Some(Command::Validate { paths, link_engine }) => validate(&paths, link_engine),
        Some(Command::Topo { path, link_engine }) => topo(&path, link_engine),
        Some(Command::Up {
            path,
            cli,
            link_engine,
        }) => up::up(&path, cli, link_engine),
        Some(Command::Grade(args)) => grade::grade(&args),
        Some(Command::Merge(args)) => merge::merge(&args),
        Some(Command::Similarity(args)) => similarity::similarity(&args),
        Some(Command::Clean { results }) => clean(&results),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_ERROR
        }
    }
}

/// Installs the handler of Ctrl-C, SIGTERM and SIGHUP (once) and returns
/// the flag it raises. A command passes that flag to whatever must stop
/// (every wait of a run looks at it); no one else reaches it: the static
/// is the handler's, which must outlive everything.
fn install_signal_handler() -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
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
    &INTERRUPTED
}

/// A first argument that is no file but looks like a mistyped command
/// (`orchestrate valdate experiments/`): what to say about it.
fn mistyped_command(paths: &[PathBuf]) -> Option<String> {
    let first = paths.first()?.to_str()?;
    if Path::new(first).exists() || first.contains(['/', '.']) {
        return None;
    }
    if first == "bench" {
        return Some(
            "the benchmark is a program of its own: `sudo scripts/bench` builds and runs it (`--help` for its options)".into(),
        );
    }
    // The commands as clap knows them: a new one is in the list by being
    // a command.
    let cli = <Cli as clap::CommandFactory>::command();
    let (best, distance) = cli
        .get_subcommands()
        .map(|c| (c.get_name(), strsim::levenshtein(first, c.get_name())))
        .min_by_key(|(_, d)| *d)?;
    (distance <= 2).then(|| {
        format!(
            "unrecognized command {first:?}: did you mean `{best}`? (or give a scenario file or directory; see --help)"
        )
    })
}

/// Why scenarios could not be loaded; each has been printed already.
#[derive(Debug)]
struct Invalid;

/// Loads every scenario the paths name, for `--link-engine engine`;
/// prints every error of every file.
fn load_all(paths: &[PathBuf], engine: EngineChoice) -> Result<Vec<ValidScenario>, Invalid> {
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
    let caps = shaping::capabilities().with_engine(engine);
    let mut ok = Vec::new();
    let mut bad = false;
    let mut unreadable = false;
    for f in files {
        match scenario::load(&f, caps) {
            Ok(s) => {
                let missing = scenario::missing_programs(&s, &crate::orchestrator::sys::on_path);
                bad |= !missing.is_empty();
                for e in missing {
                    eprintln!("{e}");
                }
                ok.push(s);
            }
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
fn load_one(path: &Path, engine: EngineChoice) -> Result<ValidScenario, Invalid> {
    load_all(&[path.to_path_buf()], engine).map(|mut s| s.remove(0))
}

fn validate(paths: &[PathBuf], engine: EngineChoice) -> Result<i32> {
    let Ok(scenarios) = load_all(paths, engine) else {
        return Ok(EXIT_INVALID);
    };
    for s in &scenarios {
        for warning in s.warnings() {
            eprintln!("{}", warning.as_warning());
        }
        outln!(
            "ok: {} ({}: {} steps, expects {})",
            s.file().display(),
            s.name(),
            s.steps().len(),
            match (s.expect_ack(), s.links().engine, s.derived_ack()) {
                (Some(ack), ..) => ack,
                // The run tells: the order the messages were due at the
                // server, with the links' delays (see docs/links.md).
                (None, Some(_), _) => "the order of arrival with the links' delays",
                (None, None, Some(ack)) => ack,
                (None, None, None) => "the server's own order",
            }
        );
    }
    Ok(EXIT_OK)
}

fn topo(path: &Path, engine: EngineChoice) -> Result<i32> {
    let Ok(s) = load_one(path, engine) else {
        return Ok(EXIT_INVALID);
    };
    out!("{}", topology::python(&s));
    Ok(EXIT_OK)
}

fn clean(results: &Path) -> Result<i32> {
    let mut report = state::clean_dead_runs()?;
    report.removed.extend(remove_interrupted(results));
    if report.removed.is_empty() {
        outln!(
            "nothing to clean: no leftovers of dead runs in {}, no interrupted run in {}",
            state::state_dir().display(),
            results.display()
        );
    } else {
        for r in &report.removed {
            outln!("removed {r}");
        }
    }
    for pid in &report.live_runs {
        outln!("left alone: the run of live orchestrator pid {pid}");
    }
    Ok(EXIT_OK)
}

/// Removes the `*.interrupted` run and batch directories of `results` (kept
/// after Ctrl-C so that a person could see why a run hung).
fn remove_interrupted(results: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(results) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let interrupted = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(results::INTERRUPTED_SUFFIX));
        if interrupted && path.is_dir() && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(format!("interrupted run {}", path.display()));
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_suggested_for_a_slip_of_its_name() {
        let said = |word: &str| mistyped_command(&[PathBuf::from(word)]);
        for (slip, command) in [
            ("simlarity", "similarity"),
            ("valdate", "validate"),
            ("grde", "grade"),
        ] {
            let message = said(slip).unwrap_or_else(|| panic!("nothing said of {slip}"));
            assert!(
                message.contains(&format!("did you mean `{command}`")),
                "{message}"
            );
        }
        // The benchmark is a program of its own now: said where it is.
        assert!(said("bench").is_some_and(|m| m.contains("scripts/bench")));
        assert_eq!(said("experiments/case1.yaml"), None);
        assert_eq!(said("zzzzzzzz"), None);
    }
}
