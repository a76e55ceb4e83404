//! Batches end to end, one behaviour a user relies on per test: `--repeat`
//! and its statistics (a flaky scenario flagged), `--jobs` (every run once,
//! whole, judged as a serial run judges it), networks reused from run to
//! run on Mininet (nothing of one run visible in the next), `--shard` and
//! `merge`, `--filter`, `--fail-fast`, `--json`, `--quiet`, `--timeout`,
//! the notice of a long wait, `results/latest` and interrupted batches, and
//! the steps `send: [a, b]` and fractional `sleep_ms`.
//!
//! On the local backend unless the test's name says Mininet; those are
//! `#[ignore = "needs root and Mininet"]` (see `support`). Every scenario
//! here is short, a program that hangs is bounded with `--timeout`, and
//! every run of `orchestrate` must leave nothing behind (no process with
//! its mark, no network).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use predicates::prelude::*;
use regex::Regex;

use crate::support::{
    assert_nothing_of_run_left, batch_run, batch_summary, bin, drivers_of_run, event_texts,
    experiment, failed_verdicts, latest, manifest_dir, orchestrate, programs_of_run, read_as,
    require_mininet, summary, tempdir, verdict, write_scenario,
};
use pa3_mininet::orchestrator::record::batch::{BatchSummary, Totals};
use pa3_mininet::orchestrator::record::{NetworkUse, Outcome, Repeat, RunRecord, Verdict};

// ---------------------------------------------------------------------------
// Helpers

/// `orchestrate --backend BACKEND --results RESULTS`, without colour.
fn orchestrate_on(backend: &str, results: &Path) -> Command {
    let mut c = orchestrate();
    c.args(["--backend", backend, "--results"])
        .arg(results)
        .env("NO_COLOR", "1");
    c
}

/// Runs `cmd` to its end: its exit code, stdout and stderr. Fails unless
/// nothing of the run is left then (no process carrying its mark, no
/// network).
fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("orchestrate runs");
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_nothing_of_run_left(pid);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A run's line as it ends: `        PASS [   0.412s] case2 #3`, and for a
/// run that did not pass, ` — ` and its first failure.
const STATUS_LINE: &str = r"^ +(PASS|FAIL|ERROR|INTR) \[ {0,3}\d+\.\d{3}s\] (.+?)( — .*)?$";

/// The runs' lines of a batch's stdout, before its summary: (word, label).
fn status_lines(stdout: &str) -> Vec<(String, String)> {
    let re = Regex::new(STATUS_LINE).unwrap();
    stdout
        .lines()
        .take_while(|l| !l.starts_with('─'))
        .filter_map(|l| re.captures(l))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// Each run of a batch by label: its outcome and its verdicts (id, passed).
fn verdicts_by_label(batch: &BatchSummary) -> BTreeMap<String, (Outcome, Vec<(String, bool)>)> {
    batch
        .runs
        .iter()
        .map(|r| {
            let verdicts = r
                .record
                .verdicts
                .iter()
                .map(|v| (v.id.clone(), v.passed))
                .collect();
            (r.label.clone(), (r.record.outcome, verdicts))
        })
        .collect()
}

/// The labels of a batch's runs, in its order.
fn labels(batch: &BatchSummary) -> Vec<String> {
    batch.runs.iter().map(|r| r.label.clone()).collect()
}

/// The entries of a directory, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The summary.json of the run of `batch_dir` with this label.
fn run_summary(batch_dir: &Path, batch: &BatchSummary, label: &str) -> RunRecord {
    let dir = batch_run(batch, label)
        .dir
        .as_deref()
        .unwrap_or_else(|| panic!("{label} has no run directory"));
    read_as(&batch_dir.join(dir).join("summary.json"))
}

/// Writes `n` (at most 9) scenarios `job-1` … `job-n`, all on the same
/// three hosts, whose clients have names of their own (`Ann1`, `Ben1`…),
/// so that a line of output says which run it belongs to. Connect and send
/// orders alternate, so that the acks differ too.
fn distinct_scenarios(dir: &Path, n: usize) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let (first, second) = if k % 2 == 1 { ("a", "b") } else { ("b", "a") };
            write_scenario(
                dir,
                &format!("job-{k}.yaml"),
                &format!(
                    "name: job-{k}\nclients:\n  - {{ id: a, host: h2, name: Ann{k} }}\n  - {{ id: b, host: h3, name: Ben{k} }}\nsteps: [ {{connect: {first}}}, {{connect: {second}}}, {{send: {second}}}, {{sleep_ms: 100}}, {{send: {first}}} ]\ntimeout_s: 10\n"
                ),
            )
        })
        .collect()
}

/// With `--verbose`, a batch prints each run's live output whole, then its
/// line: checks that the blocks of `stdout` are whole (every name in a
/// block is its run's own), each run's once, and in time order (the times
/// never go back, and what a client was typed comes before what it sent).
fn assert_blocks_whole_and_in_order(stdout: &str, runs: usize) {
    let status = Regex::new(STATUS_LINE).unwrap();
    let time = Regex::new(r"^ *(\d+)ms ").unwrap();
    let name = Regex::new(r"\b(Ann|Ben)(\d)\b").unwrap();
    let mut block: Vec<&str> = Vec::new();
    let mut seen = Vec::new();
    for line in stdout.lines().take_while(|l| !l.starts_with('─')) {
        let Some(end) = status.captures(line) else {
            block.push(line);
            continue;
        };
        let label = end[2].to_string();
        let k = label.strip_prefix("job-").expect("a job-k run");
        assert!(!seen.contains(&label), "{label} shown twice:\n{stdout}");
        let mut last = 0u64;
        for l in &block {
            let t: u64 = time
                .captures(l)
                .unwrap_or_else(|| panic!("not a live line: {l:?} in\n{stdout}"))[1]
                .parse()
                .unwrap();
            assert!(
                t >= last,
                "time goes back at {l:?} in {label}'s block:\n{stdout}"
            );
            last = t;
            for c in name.captures_iter(l) {
                assert_eq!(&c[2], k, "{l:?} is not of {label}:\n{stdout}");
            }
        }
        for who in ["Ann", "Ben"] {
            let typed = format!("<typed> {who}{k}");
            let sent = Regex::new(&format!(r"Sent to Server: Client [XY]: {who}{k}$")).unwrap();
            let at = |pred: &dyn Fn(&str) -> bool| {
                let found: Vec<usize> = (0..block.len()).filter(|&i| pred(block[i])).collect();
                assert_eq!(found.len(), 1, "in {label}'s block:\n{}", block.join("\n"));
                found[0]
            };
            let t = at(&|l: &str| l.ends_with(&typed));
            let s = at(&|l: &str| sent.is_match(l));
            assert!(t < s, "{who}{k} sent before typed:\n{}", block.join("\n"));
        }
        let listening = block
            .iter()
            .filter(|l| l.contains("==> server listening"))
            .count();
        assert_eq!(listening, 1, "{label}'s block:\n{}", block.join("\n"));
        seen.push(label);
        block.clear();
    }
    assert!(
        block.is_empty(),
        "lines after the last run's line: {block:?}"
    );
    assert_eq!(seen.len(), runs, "{stdout}");
}

// ---------------------------------------------------------------------------
// --repeat

#[test]
fn repeat_runs_a_scenario_n_times_with_its_statistics() {
    let results = tempdir();
    let (code, stdout, stderr) = run(orchestrate_on("local", results.path())
        .args(["--repeat", "3"])
        .arg(experiment("case1.yaml")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let dir = latest(results.path());
    assert_eq!(
        entries(&dir),
        [
            "case1-r1",
            "case1-r2",
            "case1-r3",
            "index.md",
            "junit.xml",
            "summary.json"
        ]
    );
    let batch = batch_summary(results.path());
    assert_eq!((batch.repeat, batch.plan_size), (3, 3));
    assert_eq!(labels(&batch), ["case1 #1", "case1 #2", "case1 #3"]);
    for k in 1..=3 {
        let r = batch_run(&batch, &format!("case1 #{k}"));
        assert_eq!(r.dir, Some(format!("case1-r{k}")));
        assert_eq!(r.record.repeat, Some(Repeat { index: k, of: 3 }));
        assert_eq!(
            run_summary(&dir, &batch, &format!("case1 #{k}")).outcome,
            Outcome::Passed
        );
    }
    let stats = &batch.scenarios;
    assert_eq!(stats.len(), 1, "{stats:?}");
    let case1 = &stats[0];
    assert_eq!(case1.scenario, "case1");
    assert_eq!((case1.runs, case1.passed), (3, 3));
    assert_eq!(case1.pass_rate, 1.0);
    assert!(!case1.flaky);
    assert_eq!(
        case1.acks,
        BTreeMap::from([("X: Alice received before Y: Bob".to_string(), 3)])
    );
    let phases = &case1.phases;
    assert!(phases.iter().any(|p| p.name == "scenario"), "{phases:?}");
    for p in phases {
        assert!(p.p50_ms <= p.p95_ms && p.p95_ms <= p.max_ms, "{p:?}");
        assert_eq!(p.runs, 3, "{p:?}");
    }

    // The terminal: a line per run, then the summary and the scenario's line.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        status_lines(&stdout),
        (1..=3)
            .map(|k| ("PASS".to_string(), format!("case1 #{k}")))
            .collect::<Vec<_>>()
    );
    let tail = &lines[lines.len() - 4..];
    assert_eq!(tail[0], "─".repeat(12), "{stdout}");
    assert!(
        Regex::new(r"^ {5}Summary \[ {0,3}\d+\.\d{3}s\] 3 runs: 3 passed$")
            .unwrap()
            .is_match(tail[1]),
        "{stdout}"
    );
    assert!(
        Regex::new(r#"^  case1  {5}3 runs  100\.0% pass  scenario p50 [\d.]+ m?s p95 [\d.]+ m?s  acks: "X: Alice received before Y: Bob" ×3$"#)
            .unwrap()
            .is_match(tail[2]),
        "{stdout}"
    );
    let index_path = results
        .path()
        .join(dir.file_name().unwrap())
        .join("index.md");
    assert_eq!(tail[3], format!("index: {}", index_path.display()));

    let index = std::fs::read_to_string(dir.join("index.md")).unwrap();
    assert!(
        index.contains("backend local · 1 job · each scenario 3 times"),
        "{index}"
    );
    assert!(
        Regex::new(r#"(?m)^\| case1 \| 3 \| 100\.0% \| no \| acks: "X: Alice received before Y: Bob" ×3 \| [\d.]+ m?s / [\d.]+ m?s \|$"#)
            .unwrap()
            .is_match(&index),
        "{index}"
    );
    for k in 1..=3 {
        assert!(
            index.contains(&format!("[case1 \\#{k}](case1-r{k}/report.md)")),
            "{index}"
        );
    }
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testsuite ").count(), 1, "{junit}");
    assert!(
        junit.contains(r#"<testsuite name="case1" tests="3""#),
        "{junit}"
    );
    for k in 1..=3 {
        assert!(
            junit.contains(&format!(r#"<testcase name="case1 #{k}" classname="case1""#)),
            "{junit}"
        );
    }
}

/// Our server, run by a wrapper that counts its runs in a file next to it
/// and fails every second one (exit 7) after the server did its job.
const FLAKY_WRAPPER: &str = r#"import os, subprocess, sys
count = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs")
n = int(open(count).read()) + 1 if os.path.exists(count) else 1
open(count, "w").write(str(n))
code = subprocess.call(sys.argv[1:])
sys.exit(code if n % 2 == 1 else 7)
"#;

#[test]
fn a_scenario_that_fails_every_second_repeat_is_flagged_flaky() {
    let dir = tempdir();
    std::fs::write(dir.path().join("flaky_server.py"), FLAKY_WRAPPER).unwrap();
    let server = serde_json::to_string(&bin("server").display().to_string()).unwrap();
    let file = write_scenario(
        dir.path(),
        "flaky.yaml",
        &format!(
            "name: flaky\nserver: {{ cmd: [python3, flaky_server.py, {server}, --bind, \"{{server_ip}}\", --port, \"{{port}}\"] }}\nclients:\n  - {{ id: a, host: h2, name: Alice }}\n  - {{ id: b, host: h3, name: Bob }}\nsteps: [ {{connect: a}}, {{connect: b}}, {{send: b}}, {{sleep_ms: 100}}, {{send: a}} ]\ntimeout_s: 10\n"
        ),
    );
    let results = dir.path().join("results");
    let (code, stdout, stderr) = run(orchestrate_on("local", &results)
        .args(["--repeat", "4"])
        .arg(&file));
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    let why = "exit.server: exited with code 7 (expected exited with code 0)";
    let mut expected = Vec::new();
    for k in 1..=4 {
        let word = if k % 2 == 1 { "PASS" } else { "FAIL" };
        expected.push((word.to_string(), format!("flaky #{k}")));
        if k % 2 == 0 {
            assert!(
                stdout.contains(&format!("] flaky #{k} — {why}\n")),
                "{stdout}"
            );
        }
    }
    assert_eq!(status_lines(&stdout), expected);
    assert!(
        Regex::new(r"(?m)^  flaky  {5}4 runs  50\.0% pass FLAKY  scenario p50 .+ acks: .+ ×4$")
            .unwrap()
            .is_match(&stdout),
        "{stdout}"
    );
    let batch = batch_summary(&results);
    let stats = &batch.scenarios[0];
    assert!(stats.flaky);
    assert_eq!((stats.runs, stats.passed), (4, 2));
    assert_eq!(stats.pass_rate, 0.5);
    assert_eq!(
        stats.failed_checks,
        BTreeMap::from([("exit.server".to_string(), 2)])
    );
    assert_eq!(batch.totals.failed, 2);
    let index = std::fs::read_to_string(latest(&results).join("index.md")).unwrap();
    assert!(index.contains("| flaky | 4 | 50.0% | ⚠️ yes |"), "{index}");
    let junit = std::fs::read_to_string(latest(&results).join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<failure ").count(), 2, "{junit}");
}

// ---------------------------------------------------------------------------
// --jobs

#[test]
fn jobs_2_on_local_runs_each_once_whole_and_judges_like_a_serial_run() {
    let dir = tempdir();
    let files = distinct_scenarios(dir.path(), 4);
    let serial = dir.path().join("serial");
    let (code, stdout, stderr) = run(orchestrate_on("local", &serial)
        .args(["--jobs", "1", "--quiet"])
        .args(&files));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let parallel = dir.path().join("parallel");
    let (code, stdout, stderr) = run(orchestrate_on("local", &parallel)
        .args(["--jobs", "2", "--verbose"])
        .args(&files));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_blocks_whole_and_in_order(&stdout, 4);
    let (serial, parallel) = (batch_summary(&serial), batch_summary(&parallel));
    assert_eq!(parallel.jobs, 2);
    assert_eq!(labels(&parallel), labels(&serial));
    assert_eq!(verdicts_by_label(&parallel), verdicts_by_label(&serial));
}

#[test]
#[ignore = "needs root and Mininet"]
fn jobs_2_on_mininet_has_two_networks_at_once_and_leaves_nothing() {
    require_mininet();
    let dir = tempdir();
    let files = distinct_scenarios(dir.path(), 4);
    let serial = dir.path().join("serial");
    let (code, stdout, stderr) = run(orchestrate_on("mininet", &serial)
        .args(["--jobs", "1", "--quiet"])
        .args(&files));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");

    let parallel = dir.path().join("parallel");
    let mut child = orchestrate_on("mininet", &parallel)
        .args(["--jobs", "2", "--verbose"])
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Every change in the set of drivers, with the time it was seen.
    let started = Instant::now();
    let mut seen: Vec<(u128, Vec<u32>)> = Vec::new();
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the batch did not end in 60 s");
        let drivers = drivers_of_run(pid);
        if seen.last().is_none_or(|(_, last)| *last != drivers) {
            seen.push((started.elapsed().as_millis(), drivers));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let most = seen.iter().map(|(_, d)| d.len()).max().unwrap_or(0);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(most, 2, "networks up at once (ms: drivers): {seen:?}");
    assert_nothing_of_run_left(pid);

    assert_blocks_whole_and_in_order(&stdout, 4);
    let (serial, parallel) = (batch_summary(&serial), batch_summary(&parallel));
    assert_eq!(verdicts_by_label(&parallel), verdicts_by_label(&serial));
    let fresh = parallel
        .runs
        .iter()
        .filter(|r| r.record.network.as_ref().is_some_and(|n| n.fresh))
        .count();
    assert_eq!(fresh, 2, "one network per job: {parallel:?}");
}

// ---------------------------------------------------------------------------
// Networks reused from run to run (Mininet)

#[test]
#[ignore = "needs root and Mininet"]
fn a_reused_network_shows_nothing_of_the_previous_run_and_other_hosts_get_a_fresh_one() {
    require_mininet();
    let dir = tempdir();
    let scenario = |name: &str, hosts: &str, (x, y): (&str, &str), b_host: &str| {
        format!(
            "name: {name}\ntopology: {{ hosts: [{hosts}] }}\nclients:\n  - {{ id: a, host: h2, name: {x} }}\n  - {{ id: b, host: {b_host}, name: {y} }}\nsteps: [ {{connect: a}}, {{connect: b}}, {{send: a}}, {{sleep_ms: 100}}, {{send: b}} ]\ntimeout_s: 10\n"
        )
    };
    let three = "h1, h2, h3";
    let files = [
        write_scenario(
            dir.path(),
            "1.yaml",
            &scenario("first", three, ("Alice", "Bob"), "h3"),
        ),
        write_scenario(
            dir.path(),
            "2.yaml",
            &scenario("second", three, ("Carol", "Dave"), "h3"),
        ),
        write_scenario(
            dir.path(),
            "3.yaml",
            &scenario("four-hosts", "h1, h2, h3, h4", ("Erin", "Frank"), "h4"),
        ),
    ];
    let results = dir.path().join("results");
    let (code, stdout, stderr) = run(orchestrate_on("mininet", &results).args(&files));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let batch = batch_summary(&results);
    let dir = latest(&results);

    let first = run_summary(&dir, &batch, "first");
    assert_eq!(
        first.network,
        Some(NetworkUse {
            fresh: true,
            note: "fresh: the job's first network".into()
        })
    );
    let second = run_summary(&dir, &batch, "second");
    let network = second
        .network
        .as_ref()
        .expect("how the run got its network");
    assert!(!network.fresh);
    let note = &network.note;
    assert!(
        Regex::new(r"^reused: run 2 on this network(; \d+ sockets? the previous run left on the hosts removed)?$")
            .unwrap()
            .is_match(note),
        "{note}"
    );
    let texts = event_texts(&second);
    for t in &texts {
        assert!(
            !t.contains("Alice") && !t.contains("Bob"),
            "of the first run: {t:?}"
        );
    }
    let accepted: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|t| t.contains("Accepted connection"))
        .collect();
    assert_eq!(accepted.len(), 2, "{accepted:?}");
    assert_eq!(
        second.ack_observed.as_deref(),
        Some("X: Carol received before Y: Dave")
    );

    let other = run_summary(&dir, &batch, "four-hosts");
    assert_eq!(
        other.network,
        Some(NetworkUse {
            fresh: true,
            note: "fresh: the topology differs from the network that was up".into()
        })
    );
    let index = std::fs::read_to_string(dir.join("index.md")).unwrap();
    let networks: Vec<&str> = index
        .lines()
        .filter(|l| l.starts_with("| ✅"))
        .map(|l| l.split(" | ").nth(5).unwrap())
        .collect();
    assert_eq!(networks, ["fresh", "reused", "fresh"], "{index}");
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_server_without_so_reuseaddr_binds_port_12000_again_on_a_reused_network() {
    require_mininet();
    let dir = tempdir();
    // The classic Python server, less its SO_REUSEADDR: after the first
    // run, port 12000 binds again only if its TIME_WAIT sockets are gone.
    let classic =
        std::fs::read_to_string(manifest_dir().join("tests/peers/classic_server.py")).unwrap();
    let without: String = classic
        .lines()
        .filter(|l| !l.contains("SO_REUSEADDR"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(classic.lines().count(), without.lines().count() + 1);
    std::fs::write(dir.path().join("no_reuseaddr.py"), without).unwrap();
    let file = write_scenario(
        dir.path(),
        "port12000.yaml",
        "name: port12000\nserver: { cmd: \"python3 no_reuseaddr.py 0.0.0.0 12000\" }\nclients:\n  - { id: a, host: h2, name: Alice }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 100}, {send: a} ]\ntimeout_s: 10\n",
    );
    let results = dir.path().join("results");
    let (code, stdout, stderr) = run(orchestrate_on("mininet", &results)
        .args(["--repeat", "2"])
        .arg(&file));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let batch = batch_summary(&results);
    let dir = latest(&results);
    for (k, fresh) in [(1, true), (2, false)] {
        let run = run_summary(&dir, &batch, &format!("port12000 #{k}"));
        assert_eq!(
            run.network.as_ref().map(|n| n.fresh),
            Some(fresh),
            "{:?}",
            run.network
        );
        assert!(
            event_texts(&run).contains(&"The server is ready to receive on 0.0.0.0:12000"),
            "run {k} did not bind"
        );
    }
}

// ---------------------------------------------------------------------------
// --shard and merge

/// The three cases, as `orchestrate` is given them (relative to the
/// manifest directory, so that the runs' keys, and shards, never change).
const CASES: [&str; 3] = [
    "experiments/case1.yaml",
    "experiments/case2.yaml",
    "experiments/case3.yaml",
];

/// Runs shard K of 4 of the three cases into `<dir>/shard-K`, for each K
/// (three runs in four shards: one shard at least is empty).
fn run_shards(dir: &Path) -> Vec<PathBuf> {
    (1..=4)
        .map(|k| {
            let results = dir.join(format!("shard-{k}"));
            let (code, stdout, stderr) = run(orchestrate_on("local", &results)
                .args(["--shard", &format!("{k}/4")])
                .args(CASES));
            assert_eq!(code, Some(0), "shard {k}/4:\n{stdout}\n{stderr}");
            results
        })
        .collect()
}

/// The runs of a batch by key: label and verdicts.
fn runs_by_key(batch: &BatchSummary) -> BTreeMap<String, (String, Vec<Verdict>)> {
    batch
        .runs
        .iter()
        .map(|r| (r.key.clone(), (r.label.clone(), r.record.verdicts.clone())))
        .collect()
}

#[test]
fn shards_together_are_the_whole_batch_and_merge_makes_it_one() {
    let dir = tempdir();
    let whole = dir.path().join("whole");
    let (code, stdout, stderr) = run(orchestrate_on("local", &whole).args(CASES));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let whole = batch_summary(&whole);
    let shards = run_shards(dir.path());

    let mut union = BTreeMap::new();
    let mut empty = 0;
    for (k, results) in shards.iter().enumerate() {
        let shard = batch_summary(results);
        assert_eq!(shard.shards, [format!("{}/4", k + 1)]);
        assert_eq!(shard.plan_size, 3);
        if shard.runs.is_empty() {
            empty += 1;
            assert_eq!(shard.totals.runs, 0);
        }
        for (key, run) in runs_by_key(&shard) {
            assert!(
                union.insert(key.clone(), run).is_none(),
                "{key} in two shards"
            );
        }
    }
    assert!(empty >= 1, "three runs in four shards, and no shard empty");
    assert_eq!(union, runs_by_key(&whole));

    let merged = dir.path().join("merged");
    let (code, stdout, stderr) = run(orchestrate()
        .env("NO_COLOR", "1")
        .args(["merge", "--out"])
        .arg(&merged)
        .args(&shards));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("3 runs: 3 passed"), "{stdout}");
    let one: BatchSummary = read_as(&merged.join("summary.json"));
    assert_eq!(runs_by_key(&one), runs_by_key(&whole));
    assert_eq!(labels(&one), labels(&whole));
    assert_eq!(one.totals, whole.totals);
    assert_eq!(one.shards, ["1/4", "2/4", "3/4", "4/4"]);
    // The merged index links into the shards' own run directories.
    let index = std::fs::read_to_string(merged.join("index.md")).unwrap();
    for run in &one.runs {
        let report = merged.join(run.dir.as_deref().unwrap()).join("report.md");
        assert!(report.is_file(), "{} in\n{index}", report.display());
    }
    assert!(merged.join("junit.xml").is_file());
}

#[test]
fn merge_refuses_a_missing_shard_and_a_shard_given_twice() {
    let dir = tempdir();
    let shards = run_shards(dir.path());
    let empty = shards
        .iter()
        .position(|s| batch_summary(s).runs.is_empty())
        .expect("an empty shard");
    let merge = |given: &[&PathBuf]| {
        let out = dir.path().join("merged");
        let mut c = orchestrate();
        c.args(["merge", "--out"]).arg(&out).args(given);
        c
    };
    // Without the empty shard: it is missing (an empty shard writes a batch,
    // so that merge can tell it ran).
    let without: Vec<&PathBuf> = shards
        .iter()
        .enumerate()
        .filter(|(k, _)| *k != empty)
        .map(|(_, s)| s)
        .collect();
    merge(&without).assert().code(2).stdout("").stderr(format!(
        "error: shard {}/4 missing: merge needs every shard\n",
        empty + 1
    ));
    let mut twice: Vec<&PathBuf> = shards.iter().collect();
    twice.insert(1, &shards[0]);
    let first = shards[0].join("latest");
    merge(&twice).assert().code(2).stdout("").stderr(format!(
        "error: shard 1/4 is given twice: {} and {}\n",
        first.display(),
        first.display()
    ));
    assert!(!dir.path().join("merged/summary.json").exists());
}

// ---------------------------------------------------------------------------
// --filter, --fail-fast, --json, --quiet

#[test]
fn filter_runs_the_scenarios_whose_name_contains_any_pattern() {
    let results = tempdir();
    let (code, stdout, stderr) = run(orchestrate_on("local", results.path()).args([
        "--filter",
        "ase1",
        "--filter",
        "3",
        "experiments",
    ]));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let batch = batch_summary(results.path());
    assert_eq!(labels(&batch), ["case1", "case3"]);
    assert_eq!(batch.plan_size, 2);
}

#[test]
fn a_filter_that_matches_nothing_exits_2_and_says_so() {
    let results = tempdir();
    orchestrate_on("local", results.path())
        .args(["--filter", "nothing", "--filter", "at all", "experiments"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "error: no scenario's name contains \"nothing\" or \"at all\" (see `orchestrate validate` for the names)\n",
        );
    assert!(entries(results.path()).is_empty());
}

const WRONG_EXPECTATION: &str = "\
name: wrong-expectation
clients:
  - { id: a, host: h2, name: Alice }
  - { id: b, host: h3, name: Bob }
steps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 100}, {send: a} ]
expect: { ack: 'X: Alice received before Y: Bob' }
";

#[test]
fn fail_fast_starts_no_run_after_the_first_failure_and_exits_3() {
    let dir = tempdir();
    let wrong = write_scenario(dir.path(), "wrong.yaml", WRONG_EXPECTATION);
    let results = dir.path().join("results");
    let (code, stdout, stderr) = run(orchestrate_on("local", &results)
        .args(["--jobs", "1", "--fail-fast"])
        .arg(experiment("case1.yaml"))
        .arg(&wrong)
        .arg(experiment("case3.yaml")));
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    assert_eq!(
        status_lines(&stdout),
        [
            ("PASS".to_string(), "case1".to_string()),
            ("FAIL".to_string(), "wrong-expectation".to_string())
        ]
    );
    let batch = batch_summary(&results);
    assert_eq!(labels(&batch), ["case1", "wrong-expectation"]);
    assert_eq!(batch.plan_size, 3);
    assert_eq!(
        entries(&latest(&results)),
        [
            "case1",
            "index.md",
            "junit.xml",
            "summary.json",
            "wrong-expectation"
        ]
    );
}

#[test]
fn json_prints_the_batch_summary_and_nothing_else() {
    let results = tempdir();
    let (code, stdout, stderr) = run(orchestrate_on("local", results.path())
        .arg("--json")
        .arg(experiment("case1.yaml"))
        .arg(experiment("case3.yaml")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // One document, whole stdout: from_str refuses anything after it.
    let printed: BatchSummary = serde_json::from_str(&stdout).expect("stdout is one batch summary");
    assert_eq!(printed, batch_summary(results.path()));
    assert_eq!(labels(&printed), ["case1", "case3"]);
}

#[test]
fn json_makes_even_one_scenario_a_batch() {
    let results = tempdir();
    let (code, stdout, stderr) = run(orchestrate_on("local", results.path())
        .arg("--json")
        .arg(experiment("case1.yaml")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let printed: BatchSummary = serde_json::from_str(&stdout).expect("stdout is one batch summary");
    assert_eq!(printed.kind, "batch");
    assert_eq!(printed, batch_summary(results.path()));
}

#[test]
fn quiet_batch_prints_only_its_summary() {
    let results = tempdir();
    let (code, stdout, stderr) = run(orchestrate_on("local", results.path())
        .arg("-q")
        .arg(experiment("case1.yaml"))
        .arg(experiment("case3.yaml")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let dir = results
        .path()
        .join(latest(results.path()).file_name().unwrap());
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0], "─".repeat(12));
    assert!(
        Regex::new(r"^ {5}Summary \[ {0,3}\d+\.\d{3}s\] 2 runs: 2 passed$")
            .unwrap()
            .is_match(lines[1]),
        "{stdout}"
    );
    assert_eq!(
        lines[2],
        format!("index: {}", dir.join("index.md").display())
    );
}

// ---------------------------------------------------------------------------
// A server that never exits: --timeout, and the notice of a long wait

/// Our server serving pairs for ever (`--rounds 0`): it answers, then never
/// exits. The scenario allows 30 s.
/// Our server, which after its round does not exit but sleeps: a program
/// still running at the timeout (one that waited with no end instead,
/// `--rounds 0` in `accept`, would be a deadlock, ended at once).
fn hung_server() -> String {
    format!(
        "\
name: hung-server
server: {{ cmd: [sh, -c, '\"$0\" --rounds 1 --bind {{server_ip}} --port {{port}}; exec sleep 60', {}] }}
clients:
  - {{ id: a, host: h2, name: Alice }}
  - {{ id: b, host: h3, name: Bob }}
steps: [ {{connect: a}}, {{connect: b}}, {{send: b}}, {{sleep_ms: 100}}, {{send: a}} ]
timeout_s: 30
",
        bin("server").display()
    )
}

#[test]
fn timeout_overrides_the_scenarios_and_stops_a_hung_server() {
    let dir = tempdir();
    let file = write_scenario(dir.path(), "hung.yaml", &hung_server());
    let results = dir.path().join("results");
    let started = Instant::now();
    let (code, stdout, stderr) = run(orchestrate_on("local", &results)
        .args(["--timeout", "3"])
        .arg(&file));
    let took = started.elapsed();
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(10),
        "took {took:?}"
    );
    assert!(
        stdout.contains(
            "==> stopping: the scenario's timeout (3s) ran out with h1 server still running\n"
        ),
        "{stdout}"
    );
    let s = summary(&results);
    assert_eq!(failed_verdicts(&s), ["exit.server"]);
    assert_eq!(
        verdict(&s, "exit.server").unwrap().observed,
        "was killed by signal 15 after the orchestrator stopped it: it was still running when the run was stopped at the scenario's timeout (3 s)"
    );
    assert_eq!(
        s.ack_observed.as_deref(),
        Some("Y: Bob received before X: Alice")
    );
}

#[test]
fn a_wait_for_a_hung_program_says_after_2_s_what_it_waits_for() {
    let dir = tempdir();
    let file = write_scenario(dir.path(), "hung.yaml", &hung_server());
    let results = dir.path().join("results");
    let (code, stdout, stderr) = run(orchestrate_on("local", &results)
        .args(["--timeout", "6"])
        .arg(&file));
    assert_eq!(code, Some(3), "{stdout}\n{stderr}");
    // The clients have exited by then: only the server is named.
    let notice = Regex::new(
        r"(?m)^ *(\d+)ms ==> wait for h1 server to exit \(still waiting; the scenario's timeout \(6 s\) stops the run in [1-4] s; --timeout changes it\)$",
    )
    .unwrap();
    let found: Vec<u64> = notice
        .captures_iter(&stdout)
        .map(|c| c[1].parse().unwrap())
        .collect();
    assert_eq!(found.len(), 1, "{stdout}");
    assert!(
        (2000..6000).contains(&found[0]),
        "noticed at {} ms",
        found[0]
    );
    let log = std::fs::read_to_string(latest(&results).join("orchestrator.log")).unwrap();
    assert!(
        log.contains("| wait for h1 server to exit (still waiting; the scenario's timeout (6 s)"),
        "{log}"
    );
}

// ---------------------------------------------------------------------------
// results/latest, and a batch interrupted

#[test]
fn latest_points_at_the_batch_and_then_at_a_single_run() {
    let results = tempdir();
    let (code, stdout, stderr) = run(orchestrate_on("local", results.path())
        .arg("-q")
        .arg(experiment("case1.yaml"))
        .arg(experiment("case3.yaml")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let batch = latest(results.path());
    let name = batch.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        Regex::new(r"^\d{8}T\d{6}Z-batch-\d+$")
            .unwrap()
            .is_match(&name),
        "{name}"
    );
    assert_eq!(
        entries(&batch),
        ["case1", "case3", "index.md", "junit.xml", "summary.json"]
    );

    let (code, stdout, stderr) = run(orchestrate_on("local", results.path())
        .arg("-q")
        .arg(experiment("case2.yaml")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let single = latest(results.path());
    let single_name = single.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        Regex::new(r"^\d{8}T\d{6}Z-case2$")
            .unwrap()
            .is_match(&single_name),
        "{single_name}"
    );
    assert_eq!(summary(results.path()).scenario, "case2");
    assert_eq!(
        entries(results.path()),
        [name, single_name, "latest".into()]
    );
}

#[test]
fn ctrl_c_keeps_a_batchs_finished_runs_marked_interrupted_and_clean_removes_them() {
    let dir = tempdir();
    let gap = write_scenario(
        dir.path(),
        "gap.yaml",
        "name: gap\nclients:\n  - { id: a, host: h2, name: Alice }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 6000}, {send: a} ]\ntimeout_s: 30\n",
    );
    let results = dir.path().join("results");
    let child = orchestrate_on("local", &results)
        .args(["--jobs", "1"])
        .arg(experiment("case1.yaml"))
        .arg(&gap)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // case1 finished (its directory is in the batch's, still hidden) and
    // gap's three programs up: the middle of its long sleep.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the batch never got to gap");
        let case1_done = std::fs::read_dir(&results)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                e.file_name().to_string_lossy().contains("batch") && e.path().join("case1").is_dir()
            });
        if case1_done && programs_of_run(pid).len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    // Our own child.
    kill(Pid::from_raw(pid as i32), Signal::SIGINT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert_nothing_of_run_left(pid);

    let kept = entries(&results);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        Regex::new(r"^\d{8}T\d{6}Z-batch-\d+\.interrupted$")
            .unwrap()
            .is_match(&kept[0]),
        "{kept:?}"
    );
    let batch_dir = results.join(&kept[0]);
    assert_eq!(
        entries(&batch_dir),
        [
            "case1",
            "gap.interrupted",
            "index.md",
            "junit.xml",
            "summary.json"
        ]
    );
    let batch: BatchSummary = read_as(&batch_dir.join("summary.json"));
    assert!(batch.interrupted);
    assert_eq!(
        batch.totals,
        Totals {
            runs: 2,
            passed: 1,
            failed: 0,
            errors: 0,
            interrupted: 1
        }
    );
    assert_eq!(
        run_summary(&batch_dir, &batch, "case1").outcome,
        Outcome::Passed
    );
    assert_eq!(
        run_summary(&batch_dir, &batch, "gap").outcome,
        Outcome::Interrupted
    );
    assert!(
        stdout.contains(&format!(
            "index: {}\n",
            batch_dir.join("index.md").display()
        )),
        "{stdout}"
    );

    orchestrate()
        .args(["clean", "--results"])
        .arg(&results)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "removed interrupted run {}\n",
            batch_dir.display()
        )));
    assert!(entries(&results).is_empty());
}

// ---------------------------------------------------------------------------
// Steps: send: [a, b] and fractional sleep_ms

#[test]
fn send_together_and_a_fractional_sleep_run_end_to_end() {
    let dir = tempdir();
    let file = write_scenario(
        dir.path(),
        "together.yaml",
        "name: together\nclients:\n  - { id: a, host: h2, name: Alice }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {sleep_ms: 0.2}, {send: [a, b]} ]\ntimeout_s: 10\n",
    );
    let results = dir.path().join("results");
    let (code, stdout, stderr) = run(orchestrate_on("local", &results).arg("-q").arg(&file));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let run = latest(&results);
    let log = std::fs::read_to_string(run.join("orchestrator.log")).unwrap();
    assert!(
        Regex::new(r"(?m)^ +[\d.]+ ms --- \| sleep 0\.2 ms$")
            .unwrap()
            .is_match(&log),
        "{log}"
    );
    for (client, name) in [("a", "Alice"), ("b", "Bob")] {
        let l = std::fs::read_to_string(run.join(format!("{client}.log"))).unwrap();
        assert!(l.contains(&format!("in  | {name}\n")), "{l}");
    }
    let s = summary(&results);
    let ack = s.ack_observed.as_deref().expect("an ack");
    let server = std::fs::read_to_string(run.join("server.log")).unwrap();
    assert!(
        server.contains(&format!("out | Acknowledgment: {ack}\n")),
        "the clients got {ack:?}; the server said:\n{server}"
    );
    assert!(failed_verdicts(&s).is_empty(), "{s:?}");
}
