//! What the end-to-end modules share: whether this machine can run the
//! tests that need root, Mininet or Slurm, the turn of the tests that must
//! run alone ([`timing_bound`]), the programs under test and the
//! experiments, a run's processes (programs, Mininet drivers) and network
//! interfaces, a finished run's, batch's or grade's `summary.json` read as
//! the crate's types, jobs on Slurm, what batches compare by, and
//! temporary directories.
//!
//! A test that needs root, or root and Mininet, is marked
//! `#[ignore = "needs root …"]` / `#[ignore = "needs root and Mininet"]`,
//! so that a plain `cargo test` reports it as *ignored* rather than
//! counting it as passed; `sudo cargo test -- --include-ignored` runs it.
//! Such a test starts with [`require_root`] or [`require_mininet`], which
//! fail it with the reason when it is included on a machine that cannot
//! run it: a test that did not run never shows as passed.
//!
//! Tests on Slurm (`#[ignore = "needs root, Mininet and Slurm"]`) start
//! with [`require_slurm`], which also brings the one-node cluster up with
//! `scripts/slurm-up`; [`SlurmJob`] submits the recipe users submit, waits
//! with a deadline, reads each task's exit code, and finds what a job left
//! on the node.
//!
//! `PA3_REQUIRE_MININET=1` (set by `.ci/run`) makes the one test at the
//! bottom of this file insist that Mininet is here and that the ignored
//! tests were included, so CI cannot go green by leaving them out.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use pa3_mininet::orchestrator::event::{Event, EventKind};
use pa3_mininet::orchestrator::grade::GradeSummary;
use pa3_mininet::orchestrator::record::batch::{BatchRun, BatchSummary};
use pa3_mininet::orchestrator::record::{Outcome, RunRecord, Verdict};
use serde::de::DeserializeOwned;
use serde_json::Value;

// ---------------------------------------------------------------------------
// What this machine can run

/// The command that runs every test, ignored ones included.
pub const RUN_EVERYTHING: &str = "sudo cargo test -- --include-ignored";

/// The environment variable with which CI requires Mininet.
pub const REQUIRE_MININET: &str = "PA3_REQUIRE_MININET";

/// What the tests that need privileges look for.
#[derive(Debug)]
pub struct Machine {
    /// Effective uid 0.
    pub root: bool,
    /// `/usr/bin/mnexec`, which runs programs on Mininet hosts.
    pub mnexec: bool,
    /// `/usr/bin/python3` imports `mininet` (the interpreter the
    /// orchestrator runs the topology with).
    pub mininet_module: bool,
}

impl Machine {
    /// Root, `mnexec` and the Python module: Mininet tests can run.
    pub fn has_mininet(&self) -> bool {
        self.root && self.mnexec && self.mininet_module
    }

    fn describe(&self) -> String {
        format!(
            "root: {}, /usr/bin/mnexec: {}, mininet module in /usr/bin/python3: {}",
            self.root, self.mnexec, self.mininet_module
        )
    }
}

/// This machine, looked at once per test binary.
pub fn machine() -> &'static Machine {
    static MACHINE: OnceLock<Machine> = OnceLock::new();
    MACHINE.get_or_init(|| Machine {
        root: is_root(),
        mnexec: Path::new("/usr/bin/mnexec").exists(),
        mininet_module: Command::new("/usr/bin/python3")
            .args(["-c", "import mininet"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
    })
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// First line of a test marked `#[ignore = "needs root and Mininet"]`:
/// fails it, saying why, where Mininet cannot run.
#[track_caller]
pub fn require_mininet() {
    let m = machine();
    assert!(
        m.has_mininet(),
        "this test needs root and Mininet, which it does not have here ({}); \
         it is marked ignored for that reason: run it as root on a machine with Mininet \
         (`{RUN_EVERYTHING}`, after `sudo scripts/setup`)",
        m.describe()
    );
}

/// First line of a test marked `#[ignore = "needs root (…)"]`: fails it,
/// saying why, when not root. `what` says what needs root.
#[track_caller]
pub fn require_root(what: &str) {
    assert!(
        is_root(),
        "this test needs root ({what}) and runs as uid {}; it is marked ignored for that \
         reason: run it as root (`{RUN_EVERYTHING}`)",
        nix::unistd::getuid()
    );
}

/// Whether this test binary was asked to run the ignored tests too
/// (`--include-ignored`) or only them (`--ignored`): cargo hands the
/// arguments after `--` to the binary as they are.
pub fn ignored_tests_included() -> bool {
    std::env::args().any(|a| a == "--include-ignored" || a == "--ignored")
}

/// GNU time (`/usr/bin/time`, Debian's package `time`), with which two
/// tests measure peak memory. Where it is missing they check everything
/// else and say on stderr what they left out; under
/// `PA3_REQUIRE_MININET=1` (CI) a missing one fails them instead, so that
/// CI never passes with the memory bounds unchecked.
#[track_caller]
pub fn gnu_time() -> Option<&'static Path> {
    let time = Path::new("/usr/bin/time");
    if time.exists() {
        return Some(time);
    }
    assert!(
        std::env::var(REQUIRE_MININET).as_deref() != Ok("1"),
        "{REQUIRE_MININET}=1, and /usr/bin/time, with which this test measures peak memory, \
         is missing: `apt-get install time` (scripts/setup installs it)"
    );
    eprintln!("no /usr/bin/time (`apt-get install time`): peak memory not measured");
    None
}

// ---------------------------------------------------------------------------
// Tests whose verdicts rest on timing: one at a time

/// The file whose lock (flock) a timing-bound test holds while it runs, in
/// the temporary directory: the same file the library's timing-bound unit
/// test takes (`net::shaping::delayer`), so that `cargo test`'s threads,
/// its test binaries, nextest's process per test and a second test run on
/// the same machine all take turns.
pub const TIMING_LOCK: &str = "pa3-mininet-timing.lock";

/// The nextest test group that runs the same tests one at a time
/// (`.config/nextest.toml`): there a test waiting for its turn takes no
/// thread, while under `cargo test` it waits holding one.
pub const TIMING_GROUP: &str = "timing";

/// Held by a timing-bound test until it ends (dropped, or its process
/// gone: the kernel releases the lock either way).
#[must_use = "the lock is held only while this lives"]
pub struct TimingBound {
    _lock: std::fs::File,
}

/// First line (after [`require_mininet`]) of a test whose verdict rests on
/// timing that a loaded machine upsets: how long packets are held on a
/// delayed link, which of two messages 10 ms apart reaches the server
/// first behind an 80 ms link (rubric item 8 of every grade on Mininet),
/// a deadlock told within the scenario's timeout. Waits until no other
/// such test runs, here or in another test process, and holds the turn
/// until dropped. Fails unless nextest's group [`TIMING_GROUP`] lists the
/// test too, so that the two runners agree on what runs alone.
#[track_caller]
pub fn timing_bound() -> TimingBound {
    let test = std::thread::current()
        .name()
        .unwrap_or_default()
        .to_string();
    let listed = timing_group_tests();
    assert!(
        listed.contains(&test),
        "{test} takes the timing lock, but the test group {TIMING_GROUP:?} of \
         .config/nextest.toml does not list it (it lists {listed:?}): add it there, \
         or nextest runs it beside the others"
    );
    let path = std::env::temp_dir().join(TIMING_LOCK);
    // Created by the first run; one of another user (root's, say) is only
    // read, which is all flock needs.
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .or_else(|_| std::fs::File::open(&path))
        .unwrap_or_else(|e| panic!("cannot open the timing lock {}: {e}", path.display()));
    let asked = Instant::now();
    file.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
    let waited = asked.elapsed();
    if waited > Duration::from_secs(1) {
        eprintln!("{test}: waited {waited:.1?} for its turn to run alone");
    }
    TimingBound { _lock: file }
}

/// The tests `.config/nextest.toml` puts in the group [`TIMING_GROUP`]:
/// each `test(=NAME)` of the override that names the group.
pub fn timing_group_tests() -> Vec<String> {
    let path = manifest_dir().join(".config/nextest.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let group = format!("test-group = \"{TIMING_GROUP}\"");
    let name = regex::Regex::new(r"test\(=([^)\s]+)\)").unwrap();
    text.split("[[")
        .filter(|block| block.contains(&group))
        .flat_map(|block| name.captures_iter(block).map(|c| c[1].to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// The programs and the files they run

pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The path of one of the crate's binaries (`server`, `client`, `orchestrate`).
pub fn bin(name: &str) -> PathBuf {
    cargo_bin(name)
}

/// `orchestrate`, started in the manifest directory (its runs start the
/// `server` and `client` built beside it, of its very build).
pub fn orchestrate() -> Command {
    let mut c = Command::new(bin("orchestrate"));
    c.current_dir(manifest_dir());
    c
}

/// One of the scenarios in `experiments/`.
pub fn experiment(name: &str) -> PathBuf {
    manifest_dir().join("experiments").join(name)
}

/// Writes a scenario into `dir` (a test's temporary directory) and returns
/// its path.
pub fn write_scenario(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
    p
}

/// A fresh temporary directory, removed when dropped; named `pa3-e2e-…`
/// so that one left by a killed test run is recognisable.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pa3-e2e-")
        .tempdir()
        .expect("cannot create a temporary directory")
}

// ---------------------------------------------------------------------------
// Network interfaces (what a Mininet run creates, and must remove)

/// The network interfaces in this test's namespace.
pub fn interfaces() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .expect("cannot list /sys/class/net")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The processes carrying the run mark of orchestrator `pid`
/// (`PA3_RUN_ID=<pid>-<start>`), zombies left out: the programs it
/// started, and on Mininet its driver and the host shells the driver forked.
pub fn processes_of_run(pid: u32) -> Vec<(u32, String)> {
    let needle = format!("PA3_RUN_ID={pid}-");
    processes_whose_environment(|var| var.starts_with(needle.as_bytes()))
}

/// The live processes (zombies left out) with a variable in their
/// environment for which `matches` holds, with their command lines.
pub fn processes_whose_environment(matches: impl Fn(&[u8]) -> bool) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        let marked = environ.split(|&b| b == 0).any(&matches);
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        if marked && !stat.contains(") Z ") {
            let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            found.push((p, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// The Mininet drivers of orchestrator `pid` (one per network up: the
/// Python process running a run's `topo.py`), by process id. A child the
/// driver has forked shows the driver's command line until it execs
/// (Mininet forks for every `ip`, `mnexec` and host shell): it is left out.
pub fn drivers_of_run(pid: u32) -> Vec<u32> {
    let running_topo: Vec<u32> = processes_of_run(pid)
        .into_iter()
        .filter(|(_, cmd)| cmd.contains("topo.py") && cmd.contains("--switch"))
        .map(|(p, _)| p)
        .collect();
    running_topo
        .iter()
        .copied()
        // One gone meanwhile (a fork that exited) is no driver either.
        .filter(|p| parent_of(*p).is_some_and(|parent| !running_topo.contains(&parent)))
        .collect()
}

/// The parent of process `pid`, while it lives.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The scenario's programs of orchestrator `pid` (not Mininet's driver and
/// host shells, which carry the run's mark too), by command line.
pub fn programs_of_run(pid: u32) -> Vec<String> {
    processes_of_run(pid)
        .into_iter()
        .map(|(_, cmd)| cmd)
        .filter(|cmd| !cmd.contains("topo.py") && !cmd.contains("mininet:"))
        .collect()
}

/// The network interfaces of the Mininet network of orchestrator `pid`:
/// its bridge and the bridge's ports, which live in a network namespace of
/// the run's own (its driver's), not in the machine's. Empty once the
/// driver is gone: the namespace, and every interface in it, goes with it.
pub fn interfaces_of_run(pid: u32) -> Vec<String> {
    let Some(&driver) = drivers_of_run(pid).first() else {
        return Vec::new();
    };
    let Ok(out) = Command::new("nsenter")
        .arg(format!("--net=/proc/{driver}/ns/net"))
        .args(["ip", "-o", "link", "show"])
        .output()
    else {
        return Vec::new();
    };
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .filter(|n| !n.is_empty() && n != "lo")
        .collect();
    names.sort();
    names
}

/// Fails unless, within 3 s, nothing of orchestrator `pid`'s run is left:
/// no live process carrying its mark, no interface of its network.
#[track_caller]
pub fn assert_nothing_of_run_left(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let procs = processes_of_run(pid);
        let links = interfaces_of_run(pid);
        if procs.is_empty() && links.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: processes {procs:?}, interfaces {links:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fails if a Mininet-style interface (`…-ethN`) appeared in the machine's
/// own namespace since `before`: a run's network lives in a namespace of
/// its own, so none should ever appear here.
pub fn assert_no_interface_of_a_finished_run(before: &[String]) {
    for i in interfaces() {
        assert!(
            before.contains(&i) || !i.contains("-eth"),
            "interface {i} appeared in the machine's namespace"
        );
    }
}

// ---------------------------------------------------------------------------
// A finished run's summary.json, a batch's and a grade's, as the crate's
// own types: a test reads fields, so that a field renamed in the record is
// a compile error here rather than a `null` compared at run time. Where a
// test checks the JSON itself (a key spelled so for others to read, the
// Gradescope format), it reads a [`Value`] with [`read_json`] and says so.

/// A JSON file as `T`; fails the test when it cannot be read or is not a `T`.
pub fn read_as<T: DeserializeOwned>(path: &Path) -> T {
    read_typed(path).unwrap_or_else(|e| panic!("{e}"))
}

fn read_typed<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a {}: {e}",
            path.display(),
            std::any::type_name::<T>()
        )
    })
}

/// `<results>/latest/summary.json`: a run's record.
pub fn read_summary(results: &Path) -> Result<RunRecord, String> {
    read_typed(&results.join("latest/summary.json"))
}

/// Like [`read_summary`], failing the test when there is none.
pub fn summary(results: &Path) -> RunRecord {
    read_summary(results).unwrap_or_else(|e| panic!("{e}"))
}

/// A JSON file, parsed as it is, for the tests that check the JSON
/// itself; fails the test when it cannot be.
pub fn read_json(path: &Path) -> Value {
    read_as(path)
}

/// The directory `<results>/latest` points at (a run's, or a batch's).
pub fn latest(results: &Path) -> PathBuf {
    let link = results.join("latest");
    std::fs::canonicalize(&link)
        .unwrap_or_else(|e| panic!("{} points nowhere: {e}", link.display()))
}

/// The `summary.json` of the batch `<results>/latest` points at; fails
/// the test unless it is a batch's.
pub fn batch_summary(results: &Path) -> BatchSummary {
    let s: BatchSummary = read_as(&latest(results).join("summary.json"));
    assert_eq!(s.kind, "batch", "not a batch's summary.json: {s:?}");
    s
}

/// The run of a batch with this label (`case2 #3`).
pub fn batch_run<'a>(batch: &'a BatchSummary, label: &str) -> &'a BatchRun {
    batch
        .runs
        .iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no run {label:?} in the batch"))
}

/// The verdict with this id, if the run has one.
pub fn verdict<'a>(record: &'a RunRecord, id: &str) -> Option<&'a Verdict> {
    record.verdicts.iter().find(|v| v.id == id)
}

/// The ids of the verdicts that failed, in order.
pub fn failed_verdicts(record: &RunRecord) -> Vec<String> {
    record
        .verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| v.id.clone())
        .collect()
}

/// The text of every line a run's programs printed or were typed, in order.
pub fn event_texts(record: &RunRecord) -> Vec<&str> {
    record.events.iter().filter_map(text_of).collect()
}

/// The text of an event that has one: a program's line, or what it was typed.
pub fn text_of(e: &Event) -> Option<&str> {
    match &e.kind {
        EventKind::Output { text, .. } | EventKind::Typed { text } => Some(text),
        _ => None,
    }
}

/// The `summary.json` of a grade (`<dir>/summary.json`); fails the test
/// unless it is a grade's.
pub fn grade_summary(dir: &Path) -> GradeSummary {
    let s: GradeSummary = read_as(&dir.join("summary.json"));
    assert_eq!(
        s.kind,
        "grade",
        "not a grade's summary.json: {}",
        dir.display()
    );
    s
}

// ---------------------------------------------------------------------------
// Slurm: the one-node cluster of `scripts/slurm-up`, and jobs of the recipe
// `deploy/slurm.sbatch`

/// The recipe a user submits: `sbatch --array=1-N deploy/slurm.sbatch ARGS...`.
pub const SLURM_RECIPE: &str = "deploy/slurm.sbatch";

/// How long a test waits for a job of the one-node cluster before it
/// cancels it and fails: every experiment on Mininet takes seconds.
pub const SLURM_LIMIT: Duration = Duration::from_secs(300);

/// First line of a test marked `#[ignore = "needs root … and Slurm"]`:
/// fails it, saying why, where Slurm is not installed or does not answer;
/// otherwise runs `scripts/slurm-up` once per test binary, which starts
/// what of the one-node cluster is not running (and never touches a
/// cluster it did not configure). The daemons stay up afterwards, as a
/// machine's cluster does.
#[track_caller]
pub fn require_slurm() {
    require_root("scripts/slurm-up starts the one-node Slurm cluster's daemons");
    let installed = Path::new("/usr/sbin/slurmctld").exists()
        && Path::new("/usr/sbin/slurmd").exists()
        && Command::new("sbatch").arg("--version").output().is_ok();
    assert!(
        installed,
        "this test needs Slurm, which is not installed here; it is marked ignored for that \
         reason: `sudo scripts/slurm-up` installs slurm-wlm and munge and starts a one-node \
         cluster, then run `{RUN_EVERYTHING}`"
    );
    static UP: OnceLock<Result<(), String>> = OnceLock::new();
    let up = UP.get_or_init(|| {
        let out = Command::new(manifest_dir().join("scripts/slurm-up"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run scripts/slurm-up: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "scripts/slurm-up failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = up {
        panic!("this test needs a Slurm cluster that answers: {e}");
    }
}

/// A temporary directory that Slurm's tasks can see: in the project's
/// target directory rather than /tmp, since on a cluster of several nodes
/// /tmp is each node's own, while the project is where tasks find it.
pub fn shared_tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("pa3-e2e-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("cannot create a temporary directory under the target directory")
}

/// Runs `cmd` to its end, or fails the test once `limit` has passed
/// (killing it first). Its output goes through files, so that a program
/// that prints much never blocks on a full pipe.
pub fn output_within(cmd: &mut Command, limit: Duration) -> std::process::Output {
    let stdout = tempfile::tempfile().expect("cannot create a temporary file");
    let stderr = tempfile::tempfile().expect("cannot create a temporary file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout.try_clone().unwrap())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |mut f: std::fs::File| {
        let mut text = Vec::new();
        f.seek(SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut text).unwrap();
        text
    };
    std::process::Output {
        status,
        stdout: read(stdout),
        stderr: read(stderr),
    }
}

/// A job submitted to Slurm; cancelled when dropped, so that a test that
/// fails halfway leaves no job behind (cancelling a finished job does
/// nothing).
pub struct SlurmJob {
    pub id: String,
}

/// One task of an array job, as `scontrol show job` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmTask {
    pub task: u32,
    /// `COMPLETED`, `FAILED`, …
    pub state: String,
    /// `exit code:signal`, as sacct and scontrol print it: `0:0`, `3:0`.
    pub exit_code: String,
}

impl SlurmJob {
    /// `sbatch --parsable OPTIONS... deploy/slurm.sbatch ARGS...` from the
    /// project's root, as the README has a user do it, with `env` added to
    /// the environment sbatch hands the tasks. `CARGO` is removed from it,
    /// as for [`orchestrate`]: orchestrate would otherwise rebuild itself.
    pub fn submit(options: &[&str], args: &[&str], env: &[(&str, &Path)]) -> SlurmJob {
        let mut cmd = Command::new("sbatch");
        cmd.current_dir(manifest_dir())
            .env_remove("CARGO")
            .arg("--parsable")
            .args(options)
            .arg(SLURM_RECIPE)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = output_within(&mut cmd, Duration::from_secs(60));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "sbatch failed ({}): {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // `--parsable` prints `ID` or `ID;CLUSTER`.
        let id = text.trim().split(';').next().unwrap_or("").to_string();
        assert!(!id.is_empty(), "sbatch printed no job id: {text:?}");
        SlurmJob { id }
    }

    /// `--dependency=afterany:ID`: what waits for every task to end.
    pub fn after(&self) -> String {
        format!("--dependency=afterany:{}", self.id)
    }

    /// `srun --quiet --dependency=afterany:ID PROGRAM ARGS...` from the
    /// project's root: `program` runs as a job of its own once every task
    /// has ended — the README's way to wait and merge — with its output
    /// and exit code; at most [`SLURM_LIMIT`].
    pub fn run_after(&self, program: &Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
        let mut cmd = Command::new("srun");
        cmd.current_dir(manifest_dir())
            .env_remove("CARGO")
            .args(["--quiet", &self.after()])
            .arg(program)
            .args(args);
        output_within(&mut cmd, SLURM_LIMIT)
    }

    /// Waits until no task of the job is pending or running, at most
    /// [`SLURM_LIMIT`] (then the job is cancelled and the test fails).
    pub fn wait(&self) {
        let deadline = Instant::now() + SLURM_LIMIT;
        loop {
            let out = Command::new("squeue")
                .args(["-h", "-j", &self.id, "-o", "%i %T"])
                .output()
                .expect("cannot run squeue");
            let text = String::from_utf8_lossy(&out.stdout);
            if out.status.success() && text.trim().is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "job {} has not ended within {SLURM_LIMIT:?}:\n{text}",
                self.id
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every task of the (ended) array job, by task number.
    pub fn tasks(&self) -> Vec<SlurmTask> {
        let out = Command::new("scontrol")
            .args(["-o", "show", "job", &self.id])
            .output()
            .expect("cannot run scontrol");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "scontrol show job {}: {text}",
            self.id
        );
        let mut tasks: Vec<SlurmTask> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let field = |name: &str| {
                    line.split_whitespace()
                        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                        .unwrap_or_else(|| panic!("no {name} in {line}"))
                        .to_string()
                };
                SlurmTask {
                    task: field("ArrayTaskId")
                        .parse()
                        .unwrap_or_else(|_| panic!("a task not yet apart: {line}")),
                    state: field("JobState"),
                    exit_code: field("ExitCode"),
                }
            })
            .collect();
        tasks.sort_by_key(|t| t.task);
        tasks
    }

    /// The processes still carrying this job's id in their environment
    /// (`SLURM_ARRAY_JOB_ID`, or `SLURM_JOB_ID` of a job that is not an
    /// array), zombies left out, after allowing a few seconds for the
    /// node to finish tearing the job down.
    pub fn processes_left(&self) -> Vec<(u32, String)> {
        let needles = [
            format!("SLURM_ARRAY_JOB_ID={}", self.id),
            format!("SLURM_JOB_ID={}", self.id),
        ];
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found =
                processes_whose_environment(|var| needles.iter().any(|n| var == n.as_bytes()));
            if found.is_empty() || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SlurmJob {
    fn drop(&mut self) {
        let _ = Command::new("scancel")
            .arg(&self.id)
            .stderr(Stdio::null())
            .status();
    }
}

/// The pid of the orchestrate that wrote a batch directory
/// (`<time>-batch-<pid>`), from the shard directory's `latest`.
pub fn batch_owner(results: &Path) -> u32 {
    let batch = std::fs::read_link(results.join("latest"))
        .unwrap_or_else(|e| panic!("{}/latest: {e}", results.display()));
    let name = batch.file_name().unwrap().to_string_lossy().into_owned();
    name.rsplit_once("-batch-")
        .and_then(|(_, pid)| pid.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not a batch directory"))
}

// ---------------------------------------------------------------------------
// Batches: what must agree between a sharded batch, merged, and the same
// batch run whole

/// A run of a batch as a comparison sees it.
#[derive(Debug, PartialEq, Eq)]
pub struct ComparedRun {
    /// The key its shard is chosen by, and its label.
    pub key: String,
    pub label: String,
    pub outcome: Outcome,
    /// Its verdicts, in order: (id, passed).
    pub verdicts: Vec<(String, bool)>,
}

/// A batch's runs as a comparison sees them, in plan order: not their
/// times or acks (a simultaneous send may go either way), but which runs
/// there are and how each was judged.
pub fn batch_runs(summary: &BatchSummary) -> Vec<ComparedRun> {
    summary
        .runs
        .iter()
        .map(|r| ComparedRun {
            key: r.key.clone(),
            label: r.label.clone(),
            outcome: r.record.outcome,
            verdicts: r
                .record
                .verdicts
                .iter()
                .map(|v| (v.id.clone(), v.passed))
                .collect(),
        })
        .collect()
}

/// The test cases of a JUnit file: (suite, case, failed), in file order.
pub fn junit_testcases(file: &Path) -> Vec<(String, String, bool)> {
    use quick_xml::events::Event;
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut suite = String::new();
    let mut cases: Vec<(String, String, bool)> = Vec::new();
    let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .map(|a| a.unescape_value().unwrap().into_owned())
            .unwrap_or_default()
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                b"testsuite" => suite = attr(&e, b"name"),
                b"testcase" => cases.push((suite.clone(), attr(&e, b"name"), false)),
                b"failure" | b"error" => {
                    if let Some(last) = cases.last_mut() {
                        last.2 = true;
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => panic!("{} is not XML: {e}", file.display()),
            _ => {}
        }
    }
    cases
}

// ---------------------------------------------------------------------------

/// With `PA3_REQUIRE_MININET=1` (CI), this machine must have root, `mnexec`
/// and the Python module, and the ignored tests (which need them) must have
/// been included in this run: otherwise CI would be green with every
/// Mininet test left out. Without the variable it checks nothing.
#[test]
fn with_pa3_require_mininet_mininet_is_here_and_the_ignored_tests_run() {
    if std::env::var(REQUIRE_MININET).as_deref() != Ok("1") {
        return;
    }
    let m = machine();
    assert!(
        m.has_mininet(),
        "{REQUIRE_MININET}=1 requires root and Mininet, and this machine lacks them ({})",
        m.describe()
    );
    assert!(
        ignored_tests_included(),
        "{REQUIRE_MININET}=1, but the tests that need root and Mininet were left out \
         (they are ignored unless included): run `{RUN_EVERYTHING}` (arguments: {:?})",
        std::env::args().collect::<Vec<_>>()
    );
}

/// Every test nextest's group [`TIMING_GROUP`] lists is a test: one of
/// this binary (as `--list` names them), or a unit test of the library
/// (found in its source file), so that a test renamed does not quietly
/// leave the group. (A test that takes the lock unlisted fails by itself:
/// see [`timing_bound`].)
#[test]
fn every_test_of_the_timing_group_exists() {
    let listed = timing_group_tests();
    assert!(!listed.is_empty(), "no test in the group {TIMING_GROUP:?}");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--list", "--format", "terse"])
        .output()
        .expect("this test binary lists its tests");
    let here: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect();
    for name in listed {
        if here.contains(&name) {
            continue;
        }
        // `orchestrator::net::shaping::delayer::tests::NAME`: a unit test
        // in src/orchestrator/net/shaping/delayer.rs (or its mod.rs).
        let (module, test) = name
            .split_once("::tests::")
            .unwrap_or_else(|| panic!("{name} is in the group {TIMING_GROUP:?} but is no test"));
        let dir = manifest_dir().join("src").join(module.replace("::", "/"));
        let source = std::fs::read_to_string(dir.with_extension("rs"))
            .or_else(|_| std::fs::read_to_string(dir.join("mod.rs")))
            .unwrap_or_default();
        assert!(
            source.contains(&format!("fn {test}()")),
            "{name} is in the group {TIMING_GROUP:?} but is no test"
        );
    }
}

/// The live processes of the sandbox's users carrying a run's mark
/// (`PA3_RUN_ID=<pid>-<start>`, which the sandbox keeps) whose orchestrate
/// has exited: what a finished grade left behind. The runs of other tests,
/// under way at the same time as the same users, carry the marks of live
/// orchestrates (and the tests that kill an orchestrate on purpose do not
/// grade: their programs are root's).
pub fn orphans_of_finished_runs() -> Vec<(u32, String)> {
    let sandboxed: Vec<u32> = (0..pa3_mininet::orchestrator::sandbox::users::MAX_SLOTS)
        .filter_map(|slot| {
            nix::unistd::User::from_name(&pa3_mininet::orchestrator::sandbox::users::user_name(
                slot,
            ))
            .ok()?
        })
        .flat_map(|u| pa3_mininet::orchestrator::sandbox::users::processes_of(u.uid.as_raw()))
        .map(|p| p.pid)
        .collect();
    processes_whose_environment(|var| {
        let Some(mark) = var.strip_prefix(b"PA3_RUN_ID=") else {
            return false;
        };
        let mark = String::from_utf8_lossy(mark);
        let pid = mark.split('-').next().unwrap_or_default();
        !Path::new("/proc").join(pid).exists()
    })
    .into_iter()
    .filter(|(pid, _)| sandboxed.contains(pid))
    .collect()
}

/// Nothing a finished grade started is left (within 3 s): no process of
/// it, no Mininet interface in the machine's namespace.
pub fn assert_nothing_of_a_grade_left(before: &[String]) {
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let left = orphans_of_finished_runs();
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "left behind: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_no_interface_of_a_finished_run(before);
}
