//! The `orchestrate` command: argument parsing, the subcommands, and the
//! mapping of every outcome to an exit code. The binary only calls
//! [`main`].

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use time::OffsetDateTime;

use crate::orchestrator::check;
use crate::orchestrator::net::{local::Local, mininet, Backend, Network};
use crate::orchestrator::record::{Event, Phase, RunRecord, Stream, ORCHESTRATOR, SCHEMA_VERSION};
use crate::orchestrator::report;
use crate::orchestrator::results::{self, RunDir};
use crate::orchestrator::runner::{self, Console, RunOptions};
use crate::orchestrator::scenario::{self, Capabilities, LoadError, ValidScenario};
use crate::orchestrator::state::{self, StateFile};
use crate::orchestrator::topology;

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
struct RunArgs {
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
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

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
        Some(Command::Run(args)) => run(&args),
        None if cli.run.paths.is_empty() => {
            eprintln!("error: give a scenario file or directory, e.g. `orchestrate experiments/case2.yaml` (see --help)");
            Ok(EXIT_INVALID)
        }
        None => run(&cli.run),
        Some(Command::Validate { paths }) => validate(&paths),
        Some(Command::Topo { path }) => topo(&path),
        Some(Command::Up { path, cli }) => up(&path, cli),
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

/// Loads every scenario the paths name; prints every error of every file.
fn load_all(paths: &[PathBuf]) -> Result<Vec<ValidScenario>, i32> {
    let mut files = Vec::new();
    for p in paths {
        match scenario::files_in(p) {
            Ok(f) if f.is_empty() => {
                eprintln!("error: {}: no .yaml scenario files here", p.display());
                return Err(EXIT_INVALID);
            }
            Ok(f) => files.extend(f),
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                return Err(EXIT_INVALID);
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
        return Err(EXIT_INVALID);
    }
    if unreadable {
        return Err(EXIT_INVALID);
    }
    Ok(ok)
}

fn validate(paths: &[PathBuf]) -> Result<i32> {
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(code) => return Ok(code),
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
    let s = match load_all(&[path.to_path_buf()]) {
        Ok(mut s) => s.remove(0),
        Err(code) => return Ok(code),
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

/// Live output in the terminal.
struct Term {
    quiet: bool,
    verbose: bool,
    color: bool,
}

impl Term {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

impl Console for Term {
    fn event(&self, label: &str, e: &Event) {
        if self.quiet {
            return;
        }
        let line = match e.stream {
            Stream::Start if !self.verbose => return,
            Stream::Stdin => format!(
                "{} {}",
                self.paint("36", &format!("[{label}]")),
                self.paint("1", &format!("<typed> {}", e.text))
            ),
            Stream::Step => self.paint("2", &format!("==> {}", e.text)),
            Stream::Stderr => format!("{} {}", self.paint("33", &format!("[{label}]")), e.text),
            Stream::Start => self.paint("2", &format!("[{label}] $ {}", e.text)),
            Stream::Exit => self.paint("2", &format!("[{label}] {}", e.text)),
            Stream::Stdout => format!("{} {}", self.paint("36", &format!("[{label}]")), e.text),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{:>8} {line}",
            self.paint("2", &format!("{:.0}ms", e.t_ms))
        );
    }
}

fn run(args: &RunArgs) -> Result<i32> {
    let scenarios = match load_all(&args.paths) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if args.backend == Backend::Mininet {
        mininet::preflight()?;
    }
    if args.pcap
        && !["/usr/bin/tcpdump", "/usr/sbin/tcpdump"]
            .iter()
            .any(|p| Path::new(p).exists())
    {
        bail!("--pcap needs tcpdump: install it with `apt-get install -y tcpdump`");
    }
    let bin = bin_dir()?;
    install_signal_handler();
    let cleaned = state::clean_dead_runs()?;
    for r in &cleaned.removed {
        eprintln!("removed a leftover of a dead run: {r}");
    }
    let term = Term {
        quiet: args.quiet,
        verbose: args.verbose,
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut records: Vec<(RunRecord, PathBuf)> = Vec::new();
    let total = scenarios.len();
    for (i, s) in scenarios.iter().enumerate() {
        if total > 1 && !args.quiet {
            println!(
                "{}",
                term.paint(
                    "1",
                    &format!("[{}/{total}] {} ({})", i + 1, s.name, s.file.display())
                )
            );
        }
        let (record, dir) = run_one(s, args, &bin, &term)?;
        if record.exit_code == EXIT_INTERRUPTED {
            return Ok(EXIT_INTERRUPTED);
        }
        print!("{}", report::terminal::verdict_table(&record, term.color));
        if let Some(d) = &dir {
            println!("report: {}", d.join("report.md").display());
        }
        if let Some(d) = dir {
            records.push((slim(record), d));
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Ok(EXIT_INTERRUPTED);
        }
    }
    if records.len() > 1 {
        write_batch(&args.results, &records)?;
    }
    let codes: Vec<i32> = records.iter().map(|(r, _)| r.exit_code).collect();
    Ok(if codes.contains(&EXIT_ERROR) {
        EXIT_ERROR
    } else if codes.contains(&EXIT_CHECK_FAILED) {
        EXIT_CHECK_FAILED
    } else {
        EXIT_OK
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

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
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
    let topo_text = topology::python(s);
    dir.write("topo.py", &topo_text)?;
    dir.write("scenario.yaml", &s.source)?;
    let mut state = StateFile::create(&s.slug)?;
    state.state.incomplete_dir =
        Some(std::fs::canonicalize(dir.path()).unwrap_or_else(|_| dir.path().to_path_buf()));
    state.save()?;
    let mut phases = Vec::new();
    let cwd = s
        .file
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .to_path_buf();

    let mut net: Box<dyn Network> = match args.backend {
        Backend::Local => Box::new(Local::new(&s.hosts)),
        Backend::Mininet => {
            let switch = format!("s{}", std::process::id());
            match mininet::Mininet::start(
                &dir.path().join("topo.py"),
                &switch,
                &mut state,
                &INTERRUPTED,
            ) {
                Ok(n) => Box::new(n),
                Err(e) => {
                    state::remove_owned(&state.state);
                    state.remove();
                    if INTERRUPTED.load(Ordering::SeqCst) {
                        return Ok((interrupted_record(s, args, started), None));
                    }
                    return Err(e.context("the Mininet network could not be built"));
                }
            }
        }
    };
    let capture = args.pcap.then(|| dir.path().join("capture.pcap"));
    let opts = RunOptions {
        bin_dir: bin.to_path_buf(),
        cwd,
        capture: capture.clone(),
        console: term,
        interrupted: &INTERRUPTED,
        t0,
    };
    let outcome = runner::run(s, net.as_ref(), &opts, &mut state);
    let t_teardown = Instant::now();
    let teardown = net.teardown();
    let teardown_ms = ms(t_teardown.elapsed());
    let driver_log = net.driver_log();
    if !driver_log.is_empty() {
        dir.write("driver.log", driver_log.join("\n") + "\n")?;
    }
    phases.extend(net.phases().into_iter().filter(|p| p.name != "teardown"));
    drop(net);
    // The run directory is ours to finish (or RunDir's Drop removes it).
    state.state.incomplete_dir = None;
    let leftovers = state::remove_owned(&state.state);
    state.remove();
    phases.push(Phase {
        name: "scenario".into(),
        ms: outcome.scenario_ms,
    });
    phases.push(Phase {
        name: "teardown".into(),
        ms: teardown_ms,
    });

    if outcome.interrupted || INTERRUPTED.load(Ordering::SeqCst) {
        // Nothing half-done is presented as a result.
        return Ok((interrupted_record(s, args, started), None));
    }

    let judgement = check::judge(
        s,
        &outcome.processes,
        &outcome.events,
        outcome.error.as_deref(),
    );
    let mut error = None;
    if let Err(e) = teardown {
        error = Some(format!("teardown failed: {e:#}"));
    }
    if !leftovers.is_empty() {
        error = Some(format!(
            "had to remove leftovers after teardown: {}",
            leftovers.join(", ")
        ));
    }
    for p in &outcome.processes {
        dir.write(&p.log, results::process_log(&outcome.events, &p.id))?;
    }
    let orchestrator_log = results::process_log(&outcome.events, ORCHESTRATOR);
    dir.write("orchestrator.log", orchestrator_log)?;
    let capture_stats = match &capture {
        Some(path) if path.exists() => {
            dir.note("capture.pcap");
            let bytes = std::fs::read(path).unwrap_or_default();
            let mut stats = crate::orchestrator::capture::stats(&bytes, outcome.port);
            stats.file = "capture.pcap".into();
            if !outcome.capture_log.is_empty() {
                dir.write("capture.log", outcome.capture_log.join("\n") + "\n")?;
            }
            Some(stats)
        }
        _ => None,
    };
    let passed = error.is_none() && judgement.verdicts.iter().all(|v| v.passed);
    let duration_ms = ms(t0.elapsed());
    // The rest of the time: checks, logs, ownership records; so that the
    // phases add up to the whole run.
    let accounted: f64 = phases.iter().map(|p| p.ms).sum();
    phases.push(Phase {
        name: "checks and logs".into(),
        ms: ((duration_ms - accounted).max(0.0) * 1000.0).round() / 1000.0,
    });
    let mut record = RunRecord {
        duration_ms,
        phases,
        processes: outcome.processes,
        events: outcome.events,
        verdicts: judgement.verdicts,
        ack_observed: judgement.ack_observed,
        ack_expected: judgement.ack_expected,
        exit_code: if error.is_some() {
            EXIT_ERROR
        } else if passed {
            EXIT_OK
        } else {
            EXIT_CHECK_FAILED
        },
        error,
        capture: capture_stats,
        ..bare_record(s, args, started)
    };
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
    dir.write("junit.xml", report::junit::run(&record))?;
    dir.write("report.md", report::markdown::report(&record))?;
    dir.write("timeline.svg", report::svg::timeline(&record))?;
    dir.write("summary.json", report::json::summary(&record))?;
    let path = dir.finish()?;
    Ok((record, Some(path)))
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

fn up(path: &Path, cli: bool) -> Result<i32> {
    let s = match load_all(&[path.to_path_buf()]) {
        Ok(mut s) => s.remove(0),
        Err(code) => return Ok(code),
    };
    mininet::preflight()?;
    let bin = bin_dir()?;
    install_signal_handler();
    let _ = state::clean_dead_runs();
    let dir = tempfile_dir()?;
    let topo_path = dir.join("topo.py");
    std::fs::write(&topo_path, topology::python(&s))?;
    let mut state = StateFile::create(&format!("up-{}", s.slug))?;
    let switch = format!("s{}", std::process::id());
    let result = if cli {
        up_cli(&s, &topo_path, &switch, &bin, &mut state)
    } else {
        up_wait(&s, &topo_path, &switch, &bin, &mut state)
    };
    state::remove_owned(&state.state);
    state.remove();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("pa3-up-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn up_wait(
    s: &ValidScenario,
    topo_path: &Path,
    switch: &str,
    bin: &Path,
    state: &mut StateFile,
) -> Result<i32> {
    let mut net = mininet::Mininet::start(topo_path, switch, state, &INTERRUPTED)?;
    let server = net
        .host(&s.server.host)
        .ok_or_else(|| anyhow!("no server host"))?
        .clone();
    println!(
        "Network up ({} hosts on Linux bridge {switch}):",
        s.hosts.len()
    );
    for h in &s.hosts {
        if let Some(host) = net.host(h) {
            println!(
                "  {:<6} {:<12} namespace of pid {}",
                host.name, host.ip, host.ns_pid
            );
        }
    }
    println!("\nRun the programs by hand, each in its own terminal (as root):");
    let srv = net.host(&s.server.host).expect("server host");
    println!("  mnexec -a {} {}/server", srv.ns_pid, bin.display());
    for c in &s.clients {
        if let Some(h) = net.host(&c.host) {
            println!(
                "  mnexec -a {} {}/client --server {}      # {} ({}), then type a name",
                h.ns_pid,
                bin.display(),
                server.ip,
                c.id,
                c.host
            );
        }
    }
    println!("\nPress Ctrl-C to tear the network down.");
    let _ = std::io::stdout().flush();
    while !INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    net.teardown()?;
    println!("network removed");
    Ok(EXIT_OK)
}

fn up_cli(
    s: &ValidScenario,
    topo_path: &Path,
    switch: &str,
    bin: &Path,
    state: &mut StateFile,
) -> Result<i32> {
    let server_ip = {
        let idx = s
            .hosts
            .iter()
            .position(|h| *h == s.server.host)
            .unwrap_or(0);
        format!("10.0.0.{}", idx + 1)
    };
    println!("Starting Mininet's CLI; our binaries are on the hosts' PATH. Try:");
    println!("  mininet> {} server &", s.server.host);
    for c in &s.clients {
        println!(
            "  mininet> {} client --server {server_ip} --name {}",
            c.host,
            shell_words::quote(&c.name)
        );
    }
    println!("Type `exit` (or Ctrl-D) to tear the network down.\n");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    state.state.switch = Some(switch.to_string());
    state.save()?;
    // The CLI reads the terminal, so the driver stays in our process group;
    // Ctrl-C reaches Mininet's CLI, which handles it, and our handler only
    // sets a flag.
    let status = duct::cmd(
        mininet::python(),
        [
            topo_path.as_os_str(),
            "--switch".as_ref(),
            switch.as_ref(),
            "--cli".as_ref(),
        ],
    )
    .env("PATH", std::env::join_paths(paths)?)
    .unchecked()
    .run()?
    .status;
    let leftovers = state::delete_links(&state::links_of_switch(switch));
    if !leftovers.is_empty() {
        eprintln!("removed leftover interfaces: {}", leftovers.join(", "));
    }
    println!("network removed");
    Ok(if status.success() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}
