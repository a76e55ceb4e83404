//! The test class (`tests/class/`) through `orchestrate --backend local`:
//! each well-behaved student's pairings give the verdicts that
//! `tests/class/expected.yaml` says (`checks`, and `checks_strict` with
//! `--strict`), so the file the grading work relies on stays true.
//!
//! The students' programs are as students write them: the server binds
//! port 12000 itself, the client connects to 10.0.0.1 itself. So each run
//! happens in a network namespace of its own (`unshare --net`) whose
//! loopback also holds 10.0.0.1: port 12000 is never shared, with other
//! runs or with anyone else, and a student's TIME_WAIT stays in it. That
//! needs root, hence `#[ignore = "needs root (…)"]`.
//!
//! The misbehaving students (a fork bomb, writes outside the submission, a
//! disk filler) are never run here: they are the sandbox's to contain, and
//! `expected.yaml` gives them no `checks`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_yaml::Value;

use crate::support::{bin, manifest_dir, read_summary, require_root, tempdir, write_scenario};
use pa3_mininet::orchestrator::record::Verdict;

/// The scenario every pairing runs: case 2 (X connects first, Y types
/// first), with a gap between the connects so that an early greeting shows.
/// Its timeout is generous because two students' programs never end and
/// wait it out, and because a loaded machine starts Python slowly.
const STEPS: &str = "steps:
  - connect: a
  - sleep_ms: 500
  - connect: b
  - send: b
  - sleep_ms: 500
  - send: a
expect: { ack: 'Y: Bob received before X: Alice' }
timeout_s: 20
";

/// The Python interpreter `python3` names, resolved once: a version
/// manager's `python3` is often a shell script that takes a while to start.
fn python3() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

fn class_dir() -> PathBuf {
    manifest_dir().join("tests/class")
}

fn expected() -> Value {
    let path = class_dir().join("expected.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The scenario of one pairing: `server` (the student's server, our
/// clients), `clients` (our server, the student's clients) or `pair`.
fn scenario(student: &str, pairing: &str) -> String {
    let dir = class_dir().join(student);
    let their_server = format!("{} {}", python3(), dir.join("server.py").display());
    let their_client = format!("{} {}", python3(), dir.join("client.py").display());
    // Our server where their clients will look for it: port 12000, every address.
    let our_server = "server --bind 0.0.0.0 --port 12000 --rounds 1 --idle-timeout 10";
    let server = match pairing {
        "clients" => our_server.to_string(),
        _ => their_server,
    };
    let client = |id: &str, host: &str, name: &str| match pairing {
        "server" => format!("  - {{ id: {id}, host: {host}, name: {name} }}\n"),
        _ => format!("  - {{ id: {id}, host: {host}, name: {name}, cmd: '{their_client}' }}\n"),
    };
    format!(
        "name: {student} {pairing}\nserver: {{ host: h1, cmd: '{server}' }}\nclients:\n{}{}{STEPS}",
        client("a", "h2", "Alice"),
        client("b", "h3", "Bob")
    )
}

/// The ids a pairing's expectation lists under `key`.
fn ids(expect: &Value, key: &str) -> BTreeSet<String> {
    expect[key]
        .as_sequence()
        .map(|s| s.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// Runs one pairing in a namespace of its own; returns (failed, noted).
fn run(
    student: &str,
    pairing: &str,
    strict: bool,
    scratch: &Path,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let name = format!("{pairing}{}", if strict { "-strict" } else { "" });
    let dir = scratch.join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = write_scenario(&dir, "scenario.yaml", &scenario(student, pairing));
    let results = dir.join("results");
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--net",
        "sh",
        "-c",
        "ip link set lo up && ip addr add 10.0.0.1/8 dev lo && exec \"$@\"",
        "namespace",
    ])
    .arg(bin("orchestrate"))
    .args(["--backend", "local", "--quiet", "--results"])
    .arg(&results)
    .args(strict.then_some("--strict"))
    .arg(&file)
    .env("PA3_STATE_DIR", dir.join("state"))
    .env("NO_COLOR", "1")
    .env_remove("CARGO");
    let out = cmd.output().expect("cannot run unshare");
    let summary = read_summary(&results).unwrap_or_else(|e| {
        panic!(
            "{student} {name}: no summary ({e})\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let pick = |f: &dyn Fn(&Verdict) -> bool| {
        summary
            .verdicts
            .iter()
            .filter(|v| f(v))
            .map(|v| v.id.clone())
            .collect::<BTreeSet<_>>()
    };
    (pick(&|v| !v.passed), pick(&|v| v.note.is_some()))
}

/// Every pairing of `student` that `expected.yaml` gives checks for, run
/// one after the other (each in its own namespace), against those checks.
fn student(student: &str) {
    require_root("a network namespace holding 10.0.0.1");
    let all = expected();
    let entry = &all["students"][student];
    assert!(entry.is_mapping(), "{student} is not in expected.yaml");
    let scratch = tempdir();
    let mut runs: Vec<(String, bool, Value)> = Vec::new();
    for (key, strict) in [("checks", false), ("checks_strict", true)] {
        let Some(pairings) = entry[key].as_mapping() else {
            continue;
        };
        for (pairing, expect) in pairings {
            runs.push((
                pairing.as_str().unwrap().to_string(),
                strict,
                expect.clone(),
            ));
        }
    }
    assert!(!runs.is_empty(), "{student} has no checks in expected.yaml");
    // One run at a time: the suite runs other timed tests beside these.
    let outcomes: Vec<_> = runs
        .iter()
        .map(|(pairing, strict, _)| run(student, pairing, *strict, scratch.path()))
        .collect();
    let mut wrong = Vec::new();
    for ((pairing, strict, expect), (failed, noted)) in runs.iter().zip(outcomes) {
        let (want_failed, want_noted) = (ids(expect, "failed"), ids(expect, "noted"));
        if failed != want_failed || noted != want_noted {
            wrong.push(format!(
                "{pairing}{}: failed {failed:?} (expected {want_failed:?}), noted {noted:?} (expected {want_noted:?})",
                if *strict { " --strict" } else { "" }
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{student} does not grade as expected.yaml says:\n  {}\n(runs kept in {})",
        wrong.join("\n  "),
        scratch.keep().display()
    );
}

macro_rules! students {
    ($($test:ident => $name:literal),* $(,)?) => {$(
        #[test]
        #[ignore = "needs root (a network namespace holding 10.0.0.1)"]
        fn $test() {
            student($name);
        }
    )*};
}

students! {
    alice_correct => "alice-correct",
    bob_connect_order => "bob-connect-order",
    carol_early_greeting => "carol-early-greeting",
    dave_typos => "dave-typos",
    erin_no_sent_line => "erin-no-sent-line",
    frank_never_exits => "frank-never-exits",
    grace_both_y => "grace-both-y",
    heidi_client_silent => "heidi-client-silent",
    ivan_no_threads => "ivan-no-threads",
    judy_name_first => "judy-name-first",
    trent_loops => "trent-loops",
}

/// Every student folder is in `expected.yaml` with all twelve rubric cells,
/// and every student with checks has a test above.
#[test]
fn expected_yaml_covers_the_class() {
    let all = expected();
    let students = all["students"].as_mapping().unwrap();
    let folders: BTreeSet<String> = std::fs::read_dir(class_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = students
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(folders, listed, "folders of tests/class vs expected.yaml");
    for (name, s) in students {
        let name = name.as_str().unwrap();
        for f in ["server.py", "client.py"] {
            assert!(class_dir().join(name).join(f).is_file(), "{name}/{f}");
        }
        let rubric = s["rubric"].as_mapping().unwrap();
        for item in 1..=12u64 {
            let cell = rubric
                .get(Value::from(item))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{name}: no rubric cell {item}"));
            assert!(
                ["pass", "fail", "review", "n/a"].contains(&cell),
                "{name}: rubric {item} is {cell:?}"
            );
            if item >= 11 {
                assert_eq!(
                    cell, "review",
                    "{name}: rubric {item} is a person's to judge"
                );
            }
        }
        for key in ["fault", "charged_to"] {
            assert!(s[key].is_string(), "{name}: no {key}");
        }
        let misbehaves = s["sandbox"].is_string();
        let has_checks = s["checks"].is_mapping();
        assert!(
            !(misbehaves && name != "trent-loops" && has_checks),
            "{name} must not be run outside a sandbox"
        );
    }
}
