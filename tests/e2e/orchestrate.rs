//! `orchestrate` end to end: every experiment on the local backend and on a
//! real Mininet network, a wrong expectation, a failing program, and the
//! run directory's contents.
//!
//! Tests on Mininet are `#[ignore = "needs root and Mininet"]` (see
//! `support`); `sudo cargo test -- --include-ignored` runs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;

use crate::support::{
    assert_no_interface_of_a_finished_run, bin, experiment, failed_verdicts, interfaces, is_root,
    manifest_dir, orchestrate, read_as, require_mininet, require_root, summary, tempdir, text_of,
    verdict, write_scenario,
};
use pa3_mininet::orchestrator::record::batch::BatchSummary;
use pa3_mininet::orchestrator::record::{Outcome, RunRecord};

/// The ack the scenario file itself expects (or None: derived by the tool).
fn expected_ack_in_file(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    v.get("expect")?.get("ack")?.as_str().map(str::to_string)
}

/// Runs one experiment and checks that it passed with the ack both the
/// file and the tool agree on; returns the summary.
fn run_experiment(name: &str, backend: &str) -> RunRecord {
    let results = tempdir();
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
    assert_eq!(s.backend, backend);
    assert!(s.ack_observed.is_some(), "no ack observed");
    assert_eq!(s.ack_observed, s.ack_expected);
    if let Some(ack) = expected_ack_in_file(&file) {
        assert_eq!(s.ack_observed.as_deref(), Some(ack.as_str()));
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
    require_mininet();
    let before = interfaces();
    let s = run_experiment(name, "mininet");
    let accepted: Vec<&str> = s
        .events
        .iter()
        .filter(|e| e.process == "server")
        .filter_map(text_of)
        .filter(|t| t.contains("connection from"))
        .collect();
    assert_eq!(accepted.len(), 2, "{accepted:?}");
    for a in &accepted {
        assert!(
            a.contains("from 10.0.0.") || a.contains("('10.0.0."),
            "not a Mininet host address: {a}"
        );
    }
    let phases: Vec<&str> = s.phases.iter().map(|p| p.name.as_str()).collect();
    for p in [
        "python and import",
        "build",
        "start",
        "scenario",
        "teardown",
    ] {
        assert!(phases.contains(&p), "phase {p} missing: {phases:?}");
    }
    assert_no_interface_of_a_finished_run(&before);
}

macro_rules! experiment_tests {
    ($($name:ident => $file:literal,)*) => {
        mod local_backend {
            $(#[test] fn $name() { super::run_experiment($file, "local"); })*
        }
        mod mininet_backend {
            $(#[test]
            #[ignore = "needs root and Mininet"]
            fn $name() { super::run_on_mininet($file); })*
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

pub(crate) const CASE2_WRONG: &str = "\
name: wrong-expectation
clients:
  - { id: a, host: h2, name: Alice }
  - { id: b, host: h3, name: Bob }
steps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]
expect: { ack: 'X: Alice received before Y: Bob' }
";

fn wrong_expectation_exits_3(backend: &str) {
    let dir = tempdir();
    let file = write_scenario(dir.path(), "wrong.yaml", CASE2_WRONG);
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
    assert_eq!(
        s.ack_observed.as_deref(),
        Some("Y: Bob received before X: Alice")
    );
    assert_eq!(s.outcome, Outcome::Failed);
}

#[test]
fn a_wrong_expectation_exits_3_on_local() {
    wrong_expectation_exits_3("local");
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_wrong_expectation_exits_3_on_mininet() {
    require_mininet();
    wrong_expectation_exits_3("mininet");
}

/// A scenario in which X connects 300 ms before Y, run by a student-style
/// server that greets each client the moment it connects (rubric item 5's
/// fault): `tests/peers/early_greeting_server.py`.
fn early_greeting_scenario() -> PathBuf {
    manifest_dir().join("tests/scenarios/faulty/early-greeting-server.yaml")
}

/// The early-greeting server fails `greeting.after_both`, and only that:
/// X was greeted before Y was even started. Exit code 3.
fn early_greeting_fails_after_both(backend: &str) {
    let results = tempdir();
    orchestrate()
        .args(["--backend", backend, "--quiet", "--results"])
        .arg(results.path())
        .arg(early_greeting_scenario())
        .env("NO_COLOR", "1")
        .assert()
        .code(3)
        .stdout(predicate::str::contains("✗ greeting.after_both"))
        .stdout(predicate::str::contains("FAIL early-greeting-server"));
    let s = summary(results.path());
    assert_eq!(failed_verdicts(&s), vec!["greeting.after_both"]);
    assert_eq!(s.outcome, Outcome::Failed);
    let v = verdict(&s, "greeting.after_both").unwrap();
    let observed = &v.observed;
    assert!(
        observed.starts_with("client a was greeted at t=")
            && observed.contains("ms, before client b was started (t="),
        "{observed}"
    );
}

/// Our server in the same scenario (the same steps; only `cmd:` is gone)
/// passes every check, `greeting.after_both` among them.
fn our_server_greets_after_both(backend: &str) {
    let dir = tempdir();
    let text = std::fs::read_to_string(early_greeting_scenario()).unwrap();
    let ours: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("cmd:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = write_scenario(dir.path(), "ours.yaml", &ours);
    let results = dir.path().join("results");
    orchestrate()
        .args(["--backend", backend, "--quiet", "--results"])
        .arg(&results)
        .arg(&file)
        .assert()
        .success();
    let s = summary(&results);
    assert_eq!(failed_verdicts(&s), Vec::<String>::new());
    let v = verdict(&s, "greeting.after_both").unwrap();
    assert!(v.passed, "{v:?}");
}

#[test]
fn an_early_greeting_server_fails_greeting_after_both_on_local() {
    early_greeting_fails_after_both("local");
}

#[test]
#[ignore = "needs root and Mininet"]
fn an_early_greeting_server_fails_greeting_after_both_on_mininet() {
    require_mininet();
    let before = interfaces();
    early_greeting_fails_after_both("mininet");
    assert_no_interface_of_a_finished_run(&before);
}

#[test]
fn our_server_passes_greeting_after_both_on_local() {
    our_server_greets_after_both("local");
}

#[test]
#[ignore = "needs root and Mininet"]
fn our_server_passes_greeting_after_both_on_mininet() {
    require_mininet();
    our_server_greets_after_both("mininet");
}

#[test]
fn a_server_program_that_fails_is_a_failed_check_naming_it() {
    let dir = tempdir();
    let file = write_scenario(
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
    let steps = verdict(&s, "steps").unwrap();
    assert!(
        steps.observed.contains("h1 server exited with code 7"),
        "{}",
        steps.observed
    );
}

#[test]
fn a_broken_yaml_exits_2_with_its_location_and_runs_nothing() {
    let dir = tempdir();
    let file = write_scenario(
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
    let checked_in = std::fs::read_to_string(manifest_dir().join("topo/pa3.py")).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        checked_in,
        "topo/pa3.py is stale: regenerate it with `cargo run --bin orchestrate topo experiments/case1.yaml > topo/pa3.py`"
    );
}

#[test]
fn a_batch_writes_an_index_and_one_junit() {
    let results = tempdir();
    orchestrate()
        .args(["--backend", "local", "--quiet", "--results"])
        .arg(results.path())
        .args([experiment("case1.yaml"), experiment("case3.yaml")])
        .assert()
        .success()
        .stdout(predicate::str::contains("2 runs: 2 passed"));
    // `latest` is the batch, and the batch holds its runs.
    let batch = std::fs::canonicalize(results.path().join("latest")).unwrap();
    assert!(batch.to_string_lossy().contains("-batch-"), "{batch:?}");
    let index = std::fs::read_to_string(batch.join("index.md")).unwrap();
    assert!(
        index.contains("[case1](case1/report.md)") && index.contains("[case3](case3/report.md)"),
        "{index}"
    );
    for run in ["case1", "case3"] {
        assert!(batch.join(run).join("summary.json").is_file(), "{run}");
    }
    let junit = std::fs::read_to_string(batch.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testsuite ").count(), 2, "{junit}");
    let summary: BatchSummary = read_as(&batch.join("summary.json"));
    assert_eq!(summary.kind, "batch");
    assert_eq!(summary.totals.passed, 2);
}

/// Runs on every machine, with or without root: the orchestrator always
/// runs as an unprivileged user here — as the tester, or, when the tests
/// run as root, as `nobody`.
#[test]
fn the_mininet_backend_without_root_says_to_use_sudo_or_local() {
    let dir = tempdir();
    let mut cmd = if is_root() {
        orchestrate_as_nobody(dir.path(), &experiment("case1.yaml"))
    } else {
        let mut c = orchestrate();
        c.arg(experiment("case1.yaml"));
        c
    };
    cmd.assert()
        .code(1)
        .stderr(predicate::str::contains("sudo").and(predicate::str::contains("--backend local")));
}

/// `orchestrate scenario`, run by root as `nobody` (with `runuser`) from
/// copies of the binary and the scenario in `dir`.
fn orchestrate_as_nobody(dir: &Path, scenario: &Path) -> Command {
    let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("as root this test runs the orchestrator as `nobody` with runuser (util-linux), which is missing");
    let copy = dir.join(scenario.file_name().unwrap());
    std::fs::copy(scenario, &copy).unwrap();
    let mut perms = std::fs::metadata(dir).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o777);
    std::fs::set_permissions(dir, perms).unwrap();
    // The binary must be reachable by nobody; /work may not be. Copy it.
    let exe = dir.join("orchestrate");
    std::fs::copy(bin("orchestrate"), &exe).unwrap();
    let mut c = Command::new(runuser);
    c.args(["-u", "nobody", "--"])
        .arg(&exe)
        .arg(&copy)
        .current_dir(dir)
        .env("PA3_STATE_DIR", dir.join("state"));
    c
}

/// `cargo test` builds `server`, `client` and `orchestrate` together:
/// the runs start the small binaries, which carry the orchestrator's build
/// mark, not links to the orchestrator (see
/// `orchestrate_as_nobody`, which runs a copy of the orchestrator alone).
#[test]
fn the_runs_start_the_server_and_client_built_with_the_orchestrator() {
    let results = tempdir();
    orchestrate()
        .args(["--backend", "local", "--quiet", "--results"])
        .arg(results.path())
        .arg(experiment("case1.yaml"))
        .assert()
        .success();
    let record = summary(results.path());
    // Shown relative to the directory the command ran in.
    let programs: Vec<PathBuf> = record
        .processes
        .iter()
        .map(|p| manifest_dir().join(&p.command[0]))
        .collect();
    assert_eq!(programs, [bin("server"), bin("client"), bin("client")]);
}

#[test]
fn quiet_prints_only_the_verdicts_and_verbose_adds_commands() {
    let results = tempdir();
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
    let results = tempdir();
    orchestrate()
        .args(["--backend", backend, "--pcap", "--quiet", "--results"])
        .arg(results.path())
        .arg(experiment("case2.yaml"))
        .assert()
        .success();
    let s = summary(results.path());
    let c = s.capture.expect("capture statistics");
    // Two handshakes; two greetings, two messages and two acks pushed.
    assert_eq!(c.syns, 2, "{c:?}");
    assert_eq!(c.pushes, 6, "{c:?}");
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
#[ignore = "needs root (tcpdump)"]
fn pcap_on_local() {
    require_root("tcpdump captures the loopback traffic");
    pcap_holds_the_pa3_exchange("local");
}

#[test]
#[ignore = "needs root and Mininet"]
fn pcap_on_mininet() {
    require_mininet();
    pcap_holds_the_pa3_exchange("mininet");
}
