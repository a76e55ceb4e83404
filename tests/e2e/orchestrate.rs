//! `orchestrate` end to end: every experiment on the local backend and on a
//! real Mininet network, a wrong expectation, a failing program, and the
//! run directory's contents.
//!
//! Mininet tests need root and Mininet. Without them they are skipped with
//! a message — unless `PA3_REQUIRE_MININET=1` (set by `.ci/run`), which
//! turns a missing Mininet into a failure, so CI can never pass by skipping.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;
use serde_json::Value;

fn orchestrate() -> Command {
    let mut c = Command::cargo_bin("orchestrate").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    // Keep each test's ownership records apart from real runs' and from
    // each other's (clean of dead runs happens at every start).
    c.env_remove("CARGO");
    c
}

fn experiment(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("experiments")
        .join(name)
}

/// Whether Mininet tests can run here; panics when CI requires them.
fn mininet_available() -> bool {
    let root = nix::unistd::geteuid().is_root();
    let mnexec = Path::new("/usr/bin/mnexec").exists();
    let py = Command::new("/usr/bin/python3")
        .args(["-c", "import mininet"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if root && mnexec && py {
        return true;
    }
    let why = format!("Mininet unavailable (root: {root}, mnexec: {mnexec}, python module: {py})");
    if std::env::var("PA3_REQUIRE_MININET").as_deref() == Ok("1") {
        panic!("{why}, and PA3_REQUIRE_MININET=1 requires it");
    }
    eprintln!("skipping: {why}");
    false
}

/// The interfaces that look like Mininet's (`name-ethN`), as `ip` lists them.
fn mininet_interfaces() -> Vec<String> {
    let out = Command::new("ip").args(["-o", "link"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .filter(|n| n.contains("-eth"))
        .collect()
}

fn summary(results: &Path) -> Value {
    let text = std::fs::read_to_string(results.join("latest/summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn failed_verdicts(s: &Value) -> Vec<String> {
    s["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["passed"] == false)
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

/// The ack the scenario file itself expects (or None: derived by the tool).
fn expected_ack_in_file(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    v.get("expect")?.get("ack")?.as_str().map(str::to_string)
}

/// Runs one experiment and checks that it passed with the ack both the
/// file and the tool agree on; returns the summary.
fn run_experiment(name: &str, backend: &str) -> Value {
    let results = tempfile::tempdir().unwrap();
    let file = experiment(name);
    let out = orchestrate()
        .args(["--backend", backend, "--quiet", "--results"])
        .arg(results.path())
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name} on {backend} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(results.path());
    assert_eq!(failed_verdicts(&s), Vec::<String>::new());
    assert_eq!(s["backend"], backend);
    assert!(s["ack_observed"].is_string(), "no ack observed");
    assert_eq!(s["ack_observed"], s["ack_expected"]);
    if let Some(ack) = expected_ack_in_file(&file) {
        assert_eq!(s["ack_observed"].as_str(), Some(ack.as_str()));
        assert!(
            text.contains(&ack),
            "the ack is not in the terminal output:\n{text}"
        );
    }
    for f in [
        "summary.json",
        "events.jsonl",
        "junit.xml",
        "report.md",
        "timeline.svg",
        "topo.py",
        "server.log",
        "a.log",
        "b.log",
        "scenario.yaml",
    ] {
        assert!(
            results.path().join("latest").join(f).exists(),
            "{f} missing"
        );
    }
    s
}

/// On Mininet, also proves the programs ran on the emulated hosts: the
/// server saw the clients come from the hosts' own 10.0.0.x addresses, the
/// network phases were timed, and nothing was left behind.
fn run_on_mininet(name: &str) {
    if !mininet_available() {
        return;
    }
    let s = run_experiment(name, "mininet");
    let accepted: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["process"] == "server")
        .filter_map(|e| e["text"].as_str())
        .filter(|t| t.contains("connection from"))
        .collect();
    assert_eq!(accepted.len(), 2, "{accepted:?}");
    for a in &accepted {
        assert!(
            a.contains("from 10.0.0.") || a.contains("('10.0.0."),
            "not a Mininet host address: {a}"
        );
    }
    let phases: Vec<&str> = s["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "python and import",
        "build",
        "start",
        "scenario",
        "teardown",
    ] {
        assert!(phases.contains(&p), "phase {p} missing: {phases:?}");
    }
}

fn assert_nothing_left(before: &[String]) {
    let after = mininet_interfaces();
    let new: Vec<&String> = after.iter().filter(|i| !before.contains(i)).collect();
    // Other tests run in parallel and have their own (live) interfaces;
    // ours are named after our orchestrator's pid, which has exited, so
    // any interface of a dead orchestrator's switch is a leak.
    for i in new {
        let pid: Option<u32> = i
            .strip_prefix('s')
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse().ok());
        if let Some(pid) = pid {
            assert!(
                Path::new(&format!("/proc/{pid}")).exists(),
                "interface {i} of a finished run was left behind"
            );
        }
    }
}

macro_rules! experiment_tests {
    ($($name:ident => $file:literal,)*) => {
        mod local_backend {
            $(#[test] fn $name() { super::run_experiment($file, "local"); })*
        }
        mod mininet_backend {
            $(#[test] fn $name() {
                let before = super::mininet_interfaces();
                super::run_on_mininet($file);
                super::assert_nothing_left(&before);
            })*
        }
    };
}

experiment_tests! {
    case1 => "case1.yaml",
    case2 => "case2.yaml",
    case3 => "case3.yaml",
    simultaneous => "simultaneous.yaml",
    long_gap => "long-gap.yaml",
    unicode_names => "unicode-names.yaml",
    bandwidth => "bandwidth.yaml",
    classic_python_server => "classic-python-server.yaml",
}

/// A scenario written next to a test, in a temp dir.
fn scenario_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CASE2_WRONG: &str = "\
name: wrong-expectation
clients:
  - { id: a, host: h2, name: Alice }
  - { id: b, host: h3, name: Bob }
steps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]
expect: { ack: 'X: Alice received before Y: Bob' }
";

fn wrong_expectation_exits_3(backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), "wrong.yaml", CASE2_WRONG);
    let results = dir.path().join("results");
    orchestrate()
        .args(["--backend", backend, "--results"])
        .arg(&results)
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("✗ ack.order"))
        .stdout(predicate::str::contains("FAIL wrong-expectation"));
    let s = summary(&results);
    assert_eq!(failed_verdicts(&s), vec!["ack.order"]);
    assert_eq!(s["ack_observed"], "Y: Bob received before X: Alice");
    assert_eq!(s["exit_code"], 3);
}

#[test]
fn a_wrong_expectation_exits_3_on_local() {
    wrong_expectation_exits_3("local");
}

#[test]
fn a_wrong_expectation_exits_3_on_mininet() {
    if mininet_available() {
        wrong_expectation_exits_3("mininet");
    }
}

#[test]
fn a_server_program_that_fails_is_a_failed_check_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "failing.yaml",
        "name: failing-server\nserver: { cmd: \"sh -c 'echo no port for you >&2; exit 7'\" }\nclients:\n  - { id: a, host: h2, name: Alice }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {send: a}, {send: b} ]\ntimeout_s: 10\n",
    );
    let results = dir.path().join("results");
    orchestrate()
        .args(["--backend", "local", "--quiet", "--results"])
        .arg(&results)
        .arg(&file)
        .assert()
        .code(3)
        .stdout(predicate::str::contains("exited with code 7"));
    let s = summary(&results);
    let failed = failed_verdicts(&s);
    assert!(failed.contains(&"steps".to_string()), "{failed:?}");
    assert!(failed.contains(&"exit.server".to_string()), "{failed:?}");
    let steps = s["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "steps")
        .unwrap();
    assert!(
        steps["observed"]
            .as_str()
            .unwrap()
            .contains("h1 server exited with code 7"),
        "{}",
        steps["observed"]
    );
}

#[test]
fn a_broken_yaml_exits_2_with_its_location_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        "broken.yaml",
        "name: broken\nclients:\n  - { id: a, host: h2, name: Alice\nsteps: []\n",
    );
    let results = dir.path().join("results");
    orchestrate()
        .arg("--results")
        .arg(&results)
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"broken\.yaml:4:\d+: ").unwrap())
        .stderr(predicate::str::contains("nothing was run"));
    assert!(!results.exists(), "a results directory was created");
}

#[test]
fn without_arguments_it_explains_usage_and_exits_2() {
    orchestrate()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give a scenario file"));
}

#[test]
fn validate_accepts_every_experiment() {
    orchestrate()
        .args(["validate", "experiments"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ok: experiments/case2.yaml (case2: 5 steps, expects Y: Bob received before X: Alice)",
        ));
}

#[test]
fn the_checked_in_topology_matches_the_generator() {
    let out = orchestrate()
        .args(["topo", "experiments/case1.yaml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let checked_in =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("topo/pa3.py")).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        checked_in,
        "topo/pa3.py is stale: regenerate it with `cargo run --bin orchestrate topo experiments/case1.yaml > topo/pa3.py`"
    );
}

#[test]
fn a_batch_writes_an_index_and_one_junit() {
    let results = tempfile::tempdir().unwrap();
    orchestrate()
        .args(["--backend", "local", "--quiet", "--results"])
        .arg(results.path())
        .args([experiment("case1.yaml"), experiment("case3.yaml")])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 passed, 0 failed"));
    let batch: Vec<PathBuf> = std::fs::read_dir(results.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("-batch-"))
        .collect();
    assert_eq!(batch.len(), 1);
    let index = std::fs::read_to_string(batch[0].join("index.md")).unwrap();
    assert!(
        index.contains("case1") && index.contains("case3"),
        "{index}"
    );
    let junit = std::fs::read_to_string(batch[0].join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testsuite ").count(), 2, "{junit}");
}

#[test]
fn the_mininet_backend_without_root_says_to_use_sudo_or_local() {
    if !nix::unistd::geteuid().is_root() {
        orchestrate()
            .arg(experiment("case1.yaml"))
            .assert()
            .code(1)
            .stderr(
                predicate::str::contains("sudo").and(predicate::str::contains("--backend local")),
            );
        return;
    }
    // As root: run as `nobody` when possible.
    let bin = assert_cmd::cargo::cargo_bin("orchestrate");
    let has_runuser =
        Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists();
    if !has_runuser {
        eprintln!("skipping: no runuser to drop root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("case1.yaml");
    std::fs::copy(experiment("case1.yaml"), &copy).unwrap();
    let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o777);
    std::fs::set_permissions(dir.path(), perms).unwrap();
    // The binary must be reachable by nobody; /work may not be. Copy it.
    let exe = dir.path().join("orchestrate");
    std::fs::copy(&bin, &exe).unwrap();
    Command::new("runuser")
        .args(["-u", "nobody", "--"])
        .arg(&exe)
        .arg(&copy)
        .current_dir(dir.path())
        .env("PA3_STATE_DIR", dir.path().join("state"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("sudo").and(predicate::str::contains("--backend local")));
}

#[test]
fn quiet_prints_only_the_verdicts_and_verbose_adds_commands() {
    let results = tempfile::tempdir().unwrap();
    let run = |flag: &str| {
        let out = orchestrate()
            .args(["--backend", "local", flag, "--results"])
            .arg(results.path())
            .arg(experiment("case1.yaml"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let quiet = run("--quiet");
    assert!(!quiet.contains("[h1 server]"), "{quiet}");
    assert!(quiet.contains("PASS case1"), "{quiet}");
    let verbose = run("--verbose");
    assert!(
        verbose.contains("[h1 server] listening on 127.0.0.1:"),
        "{verbose}"
    );
    assert!(
        verbose.contains("[h1 server] $ ") && verbose.contains("server --bind 127.0.0.1"),
        "{verbose}"
    );
    assert!(verbose.contains("<typed> Alice"), "{verbose}");
    // Not a terminal, and NO_COLOR: no escape sequences at all.
    assert!(!verbose.contains('\u{1b}'), "{verbose}");
}

fn pcap_holds_the_pa3_exchange(backend: &str) {
    let results = tempfile::tempdir().unwrap();
    orchestrate()
        .args(["--backend", backend, "--pcap", "--quiet", "--results"])
        .arg(results.path())
        .arg(experiment("case2.yaml"))
        .assert()
        .success();
    let s = summary(results.path());
    let c = &s["capture"];
    // Two handshakes; two greetings, two messages and two acks pushed.
    assert_eq!(c["syns"], 2, "{c}");
    assert_eq!(c["pushes"], 6, "{c}");
    let pcap = std::fs::read(results.path().join("latest/capture.pcap")).unwrap();
    let text = String::from_utf8_lossy(&pcap);
    for needle in [
        "Client X connected",
        "Client Y: Bob",
        "Y: Bob received before X: Alice",
    ] {
        assert!(text.contains(needle), "{needle} not in the capture");
    }
}

#[test]
fn pcap_on_local() {
    pcap_holds_the_pa3_exchange("local");
}

#[test]
fn pcap_on_mininet() {
    if mininet_available() {
        pcap_holds_the_pa3_exchange("mininet");
    }
}
