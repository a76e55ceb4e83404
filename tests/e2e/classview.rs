//! The instructor's view of a class: `orchestrate similarity` on the test
//! class with the look-alikes of `tests/similarity` (the planted copies
//! flagged, the honest solution not), and — on a real grade — the class
//! page (`class.html`, its numbers checked against `gradebook.csv`, and
//! opened in a headless Chromium), the exports, and regrading one student
//! into an existing grade.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::grade::{class_dir, copy_dir};
use crate::support::{manifest_dir, orchestrate, read_json, tempdir};

pub(crate) fn lookalikes_dir() -> PathBuf {
    manifest_dir().join("tests/similarity")
}

/// A class folder holding the test class and the look-alikes (their
/// reference solutions left out).
fn class_with_lookalikes(into: &Path) {
    for from in [class_dir(), lookalikes_dir()] {
        for e in std::fs::read_dir(&from).unwrap().flatten() {
            if e.path().is_dir() && e.file_name() != "reference" {
                copy_dir(&e.path(), &into.join(e.file_name()));
            }
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `orchestrate similarity CLASS ARGS…`; the directory it wrote (its
/// path is printed last) and its `similarity.json`.
fn similarity(class: &Path, results: &Path, args: &[&str]) -> (PathBuf, Value) {
    let out = orchestrate()
        .arg("similarity")
        .arg(class)
        .arg("--results")
        .arg(results)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let index = PathBuf::from(last.strip_prefix("similarity: ").expect(last));
    assert!(index.is_file(), "{}", index.display());
    let dir = index.parent().unwrap().parent().unwrap().to_path_buf();
    let json = read_json(&dir.join("similarity.json"));
    (dir, json)
}

/// The pairs of a `similarity.json` by name: (a, b) -> (score, flagged).
fn pairs(json: &Value) -> BTreeMap<(String, String), (f64, bool)> {
    json["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                (
                    p["a"].as_str().unwrap().to_string(),
                    p["b"].as_str().unwrap().to_string(),
                ),
                (
                    p["score"].as_f64().unwrap(),
                    p["flagged"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

fn flagged(json: &Value) -> Vec<(String, String)> {
    pairs(json)
        .into_iter()
        .filter(|(_, (_, f))| *f)
        .map(|(k, _)| k)
        .collect()
}

fn pair_of(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn the_planted_copies_are_flagged_and_the_independent_solution_is_not() {
    let (class, results) = (tempdir(), tempdir());
    class_with_lookalikes(class.path());
    let (dir, json) = similarity(class.path(), results.path(), &[]);
    assert_eq!(
        flagged(&json),
        [
            pair_of("alice-correct", "rita-renamed"),
            pair_of("carl-cpp", "cleo-cpp-copy"),
            pair_of("frank-never-exits", "rory-reordered"),
        ]
    );
    let all = pairs(&json);
    // A renamed copy is the same program: all of it matches.
    assert_eq!(all[&pair_of("alice-correct", "rita-renamed")].0, 1.0);
    assert!(
        all[&pair_of("carl-cpp", "cleo-cpp-copy")].0 >= 0.9,
        "{all:?}"
    );
    assert!(
        all[&pair_of("frank-never-exits", "rory-reordered")].0 >= 0.65,
        "{all:?}"
    );
    // The honest solution is far from everyone; so is pat without the
    // reference she copied.
    for ((a, b), (score, _)) in &all {
        if [a, b]
            .iter()
            .any(|n| *n == "ian-independent" || *n == "pat-public-copy")
        {
            assert!(*score < 0.25, "{a} ~ {b}: {score}");
        }
    }
    let students = json["submissions"].as_array().unwrap();
    assert_eq!(students.len(), 20, "14 of tests/class, 6 look-alikes");
    // A page per flagged pair shows the regions side by side, with the
    // lines of both; the index links to it.
    let page =
        std::fs::read_to_string(dir.join("similarity/alice-correct--rita-renamed.html")).unwrap();
    assert!(page.contains("<h2>alice-correct</h2>") && page.contains("<h2>rita-renamed</h2>"));
    assert!(
        page.contains("order_seen.append((tag, text))"),
        "rita's lines are shown"
    );
    assert!(
        page.contains("arrivals.append((letter, message))"),
        "alice's lines are shown"
    );
    let index = std::fs::read_to_string(dir.join("similarity/index.html")).unwrap();
    assert!(
        index.contains("href=\"alice-correct--rita-renamed.html\""),
        "{index}"
    );
    let csv = std::fs::read_to_string(dir.join("similarity.csv")).unwrap();
    assert!(csv.starts_with("a,b,reference,score,cover_a,cover_b,regions,flagged\n"));
    assert!(
        csv.contains("\nalice-correct,rita-renamed,false,1.0000,1.0000,1.0000,"),
        "{csv}"
    );
}

#[test]
fn a_reference_flags_the_submission_copied_from_it_and_no_other() {
    let (class, results) = (tempdir(), tempdir());
    class_with_lookalikes(class.path());
    let reference = lookalikes_dir().join("reference");
    let (_, json) = similarity(
        class.path(),
        results.path(),
        &["--reference", reference.to_str().unwrap()],
    );
    let against: Vec<(String, String)> = flagged(&json)
        .into_iter()
        .filter(|(_, b)| b == "public-pa3")
        .collect();
    assert_eq!(against, [pair_of("pat-public-copy", "public-pa3")]);
    let refs: Vec<&str> = json["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reference"] == true)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["public-pa3"]);
}

#[test]
fn a_missing_class_or_reference_folder_is_refused_and_nothing_is_written() {
    let results = tempdir();
    for args in [
        vec!["similarity", "/nonexistent/class"],
        vec![
            "similarity",
            "tests/class",
            "--reference",
            "/nonexistent/solutions",
        ],
    ] {
        let out = orchestrate()
            .args(&args)
            .arg("--results")
            .arg(results.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("/nonexistent/"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(std::fs::read_dir(results.path()).unwrap().count(), 0);
}
