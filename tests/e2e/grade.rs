//! `orchestrate grade` end to end: the test class (`tests/class/`) graded
//! on Mininet, the gradebook compared cell by cell with what
//! `tests/class/expected.yaml` says each student should get, and
//! everything the grade writes read back: scores, the Markdown gradebook
//! and its links, each student's report and Gradescope `results.json`.
//! Also: `--strict`, submissions that lack a program, and what the
//! sandbox must keep the misbehaving students from doing; the class page
//! (`class.html`) against the gradebook, and in a headless Chromium.
//!
//! Grading runs the students' programs as sandbox users, which takes root;
//! on Mininet, root and Mininet. The class is copied first, so that
//! nothing a student's program might write can reach the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_yaml::Value as Yaml;

use crate::support::{
    assert_nothing_of_a_grade_left, grade_summary, interfaces, latest, manifest_dir, orchestrate,
    read_json, require_mininet, tempdir, timing_bound,
};

/// The seed's points for items 1–12 ("Grading Criteria").
const POINTS: [f64; 12] = [5., 5., 5., 5., 5., 5., 10., 10., 10., 10., 20., 10.];

pub(crate) fn class_dir() -> PathBuf {
    manifest_dir().join("tests/class")
}

pub(crate) fn expected() -> Yaml {
    let path = class_dir().join("expected.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A student's twelve expected cells, with `rubric_strict` over them when
/// `strict`.
pub(crate) fn expected_cells(expected: &Yaml, student: &str, strict: bool) -> Vec<String> {
    let s = &expected["students"][student];
    assert!(s.is_mapping(), "expected.yaml has no student {student}");
    let cell = |table: &str, i: u64| {
        s[table]
            .as_mapping()
            .and_then(|m| m.get(Yaml::from(i)))
            .and_then(Yaml::as_str)
    };
    (1..=12u64)
        .map(|i| {
            strict
                .then(|| cell("rubric_strict", i))
                .flatten()
                .or_else(|| cell("rubric", i))
                .unwrap_or_else(|| panic!("{student}: no cell for item {i}"))
                .to_string()
        })
        .collect()
}

/// Copies `students` of the test class (all of them: `None`) into a new
/// class folder.
fn copy_class(into: &Path, students: Option<&[&str]>) -> Vec<String> {
    let mut names = Vec::new();
    for e in std::fs::read_dir(class_dir()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !e.path().is_dir() || students.is_some_and(|s| !s.contains(&name.as_str())) {
            continue;
        }
        copy_dir(&e.path(), &into.join(&name));
        names.push(name);
    }
    names.sort();
    names
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Every file under `dir` with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Runs `orchestrate grade CLASS ARGS…` as root, results in `results`.
fn grade(class: &Path, results: &Path, args: &[&str]) -> Output {
    orchestrate()
        .arg("grade")
        .arg(class)
        .arg("--results")
        .arg(results)
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `gradebook.csv` as rows of (column → value), with its header.
pub(crate) fn gradebook(dir: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let text = std::fs::read_to_string(dir.join("gradebook.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "a short row: {l}");
            header
                .iter()
                .cloned()
                .zip(cells.iter().map(|c| c.to_string()))
                .collect()
        })
        .collect();
    (header, rows)
}

/// What must hold of every student's row, files and Gradescope results,
/// whatever the student: the score is the points of the passed items, the
/// report and results.json exist and agree with the row.
fn assert_row_consistent(dir: &Path, row: &BTreeMap<String, String>) {
    let student = &row["student"];
    let cells: Vec<&str> = (1..=12)
        .map(|i| row[&format!("item{i}")].as_str())
        .collect();
    let score: f64 = cells
        .iter()
        .zip(POINTS)
        .filter(|(c, _)| **c == "pass")
        .fold(0.0, |sum, (_, p)| sum + p);
    assert_eq!(
        row["score"].parse::<f64>().unwrap(),
        score,
        "{student}: score"
    );
    assert_eq!(row["max_score"], "100", "{student}: max_score");

    let report = std::fs::read_to_string(dir.join(student).join("report.md"))
        .unwrap_or_else(|e| panic!("{student}/report.md: {e}"));
    assert!(
        report.starts_with(&format!("# {student} — {score} / 100")),
        "{report}"
    );
    // Every run the report links to is there.
    for link in report.split("](../").skip(1) {
        let target = link.split(')').next().unwrap();
        assert!(
            dir.join(target).is_file(),
            "{student}/report.md links to a missing {target}"
        );
    }

    // Gradescope's format, which its autograder reads: checked as JSON,
    // key by key (the crate writes it with `json!`, there is no type).
    let results = read_json(&dir.join(student).join("results.json"));
    let tests = results["tests"]
        .as_array()
        .expect("results.json has tests[]");
    assert_eq!(tests.len(), 12, "{student}: one test per item");
    for ((t, cell), points) in tests.iter().zip(&cells).zip(POINTS) {
        // An item for a person is worth nothing here (Gradescope's manual
        // grading awards it), and says so; the others carry their points.
        let review = *cell == "review";
        let max = if review { 0.0 } else { points };
        assert_eq!(t["max_score"].as_f64(), Some(max), "{student}: {t}");
        let want = if *cell == "pass" { points } else { 0.0 };
        assert_eq!(t["score"].as_f64(), Some(want), "{student}: {t}");
        assert!(t["name"].as_str().is_some_and(|n| !n.is_empty()), "{t}");
        let output = t["output"].as_str().unwrap_or_default();
        assert_eq!(
            output.contains("graded by a person"),
            review,
            "{student}: {t}"
        );
        let status = t["status"].as_str().unwrap();
        assert_eq!(
            status == "passed",
            *cell == "pass" || review,
            "{student}: {t}"
        );
    }
    assert_eq!(
        results["score"].as_f64(),
        Some(score),
        "{student}: results.json score"
    );
}

#[test]
#[ignore = "needs root and Mininet"]
fn the_class_graded_on_mininet_gets_the_gradebook_expected_yaml_says() {
    require_mininet();
    let _timing = timing_bound();
    let expected = expected();
    let (class, results) = (tempdir(), tempdir());
    let students = copy_class(class.path(), None);
    let before_files = snapshot(class.path());
    let before_links = interfaces();

    let out = grade(class.path(), results.path(), &["--jobs", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = latest(results.path());
    assert!(dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .ends_with("-grade"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some(format!("gradebook: {}", dir.join("gradebook.md").display()).as_str()),
        "the grade's path is printed last"
    );

    let (header, rows) = gradebook(&dir);
    let mut want_header = "student,score,max_score".to_string();
    (1..=12).for_each(|i| want_header.push_str(&format!(",item{i}")));
    assert_eq!(header.join(","), want_header);
    let graded: Vec<&str> = rows.iter().map(|r| r["student"].as_str()).collect();
    assert_eq!(graded, students, "one row per student, in name order");

    let mut wrong = Vec::new();
    for row in &rows {
        let student = row["student"].as_str();
        let got: Vec<&str> = (1..=12)
            .map(|i| row[&format!("item{i}")].as_str())
            .collect();
        let want = expected_cells(&expected, student, false);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            if g != w {
                wrong.push(format!("{student} item {}: got {g}, expected {w}", i + 1));
            }
        }
        assert_row_consistent(&dir, row);
    }
    assert!(
        wrong.is_empty(),
        "cells that differ from expected.yaml:\n{}",
        wrong.join("\n")
    );
    let alice = rows
        .iter()
        .find(|r| r["student"] == "alice-correct")
        .unwrap();
    assert_eq!(
        alice["score"], "70",
        "a correct submission gets every automatic point"
    );

    // The class page says what the gradebook says, and renders in a browser.
    crate::classpage::assert_class_page(&dir);
    crate::classpage::assert_renders_in_chromium(&dir);

    // The Markdown gradebook has every student, linked to their report.
    let md = std::fs::read_to_string(dir.join("gradebook.md")).unwrap();
    for s in &students {
        assert!(
            md.contains(&format!("]({s}/report.md)")),
            "gradebook.md lacks {s}"
        );
    }

    // A failed item cites its evidence: the run, and what was observed.
    let bob = std::fs::read_to_string(dir.join("bob-connect-order/report.md")).unwrap();
    assert!(bob.contains("ack.order"), "{bob}");
    // A check that timing decides is run again before it is charged: the
    // report cites the last attempt and names the earlier ones.
    assert!(
        bob.contains("runs/bob-connect-order-server-case2-3/report.md"),
        "{bob}"
    );
    assert!(
        bob.contains("failed all 3 attempts (runs/bob-connect-order-server-case2 failed ack.order"),
        "{bob}"
    );
    let alice = std::fs::read_to_string(dir.join("alice-correct/report.md")).unwrap();
    assert!(!alice.contains("failed all"), "{alice}");

    // The sandbox held: the class is as it was (oscar wrote into a
    // sibling's folder, peggy into her own), nothing reached /etc.
    assert_eq!(
        snapshot(class.path()),
        before_files,
        "the class's files changed"
    );
    assert!(
        !Path::new("/etc/pa3-server.log").exists(),
        "oscar's server wrote to /etc"
    );
    assert_nothing_of_a_grade_left(&before_links);
}

#[test]
#[ignore = "needs root and Mininet"]
fn strict_grading_fails_the_slips_lenient_grading_noted() {
    require_mininet();
    let _timing = timing_bound();
    let expected = expected();
    let (class, results) = (tempdir(), tempdir());
    copy_class(class.path(), Some(&["dave-typos"]));
    let out = grade(class.path(), results.path(), &["--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = latest(results.path());
    let (_, rows) = gradebook(&dir);
    let got: Vec<&str> = (1..=12)
        .map(|i| rows[0][&format!("item{i}")].as_str())
        .collect();
    assert_eq!(got, expected_cells(&expected, "dave-typos", true));
    assert_ne!(
        expected_cells(&expected, "dave-typos", true),
        expected_cells(&expected, "dave-typos", false),
        "dave's slips must matter under --strict, or this test shows nothing"
    );
    assert_row_consistent(&dir, &rows[0]);
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_submission_without_a_program_is_graded_on_the_program_it_has() {
    require_mininet();
    let _timing = timing_bound();
    let (class, results) = (tempdir(), tempdir());
    let from = class_dir();
    // Alice's client alone, bob's server alone, and an empty folder.
    for (student, source, file) in [
        ("no-server", "alice-correct", "client.py"),
        ("no-client", "bob-connect-order", "server.py"),
    ] {
        std::fs::create_dir(class.path().join(student)).unwrap();
        std::fs::copy(
            from.join(source).join(file),
            class.path().join(student).join(file),
        )
        .unwrap();
    }
    std::fs::create_dir(class.path().join("nothing")).unwrap();
    let out = grade(class.path(), results.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = latest(results.path());
    let (_, rows) = gradebook(&dir);
    let cells = |student: &str| -> String {
        let row = rows.iter().find(|r| r["student"] == student).unwrap();
        assert_row_consistent(&dir, row);
        (1..=12)
            .map(|i| &row[&format!("item{i}")][..1])
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Alice's clients do items 1 and 2; every server item, 9 (both print)
    // and 10 (the pair) fail for want of a server.
    assert_eq!(cells("no-server"), "p p f f f f f f f f r r");
    // Bob's server does what bob's does (acks in connect order: 6, 8).
    assert_eq!(cells("no-client"), "f f p p p f p f f f r r");
    assert_eq!(cells("nothing"), "f f f f f f f f f f r r");
    let report = std::fs::read_to_string(dir.join("no-server/report.md")).unwrap();
    assert!(
        report.contains("no server (a program that binds, listens and accepts)"),
        "{report}"
    );
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_class_graded_in_shards_and_merged_is_the_class_graded_whole() {
    require_mininet();
    let _timing = timing_bound();
    let (class, results) = (tempdir(), tempdir());
    let students = ["alice-correct", "bob-connect-order", "carol-early-greeting"];
    copy_class(class.path(), Some(&students));
    let whole = results.path().join("whole");
    let out = grade(class.path(), &whole, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shards: Vec<PathBuf> = (1..=2)
        .map(|k| {
            let dir = results.path().join(format!("shard-{k}"));
            let out = grade(class.path(), &dir, &["--shard", &format!("{k}/2")]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            dir
        })
        .collect();

    let merge = |out_dir: &Path, shards: &[&Path]| {
        orchestrate()
            .args(["merge", "--out"])
            .arg(out_dir)
            .args(shards)
            .output()
            .unwrap()
    };
    let merged = results.path().join("merged");
    let out = merge(&merged, &[&shards[1], &shards[0]]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some(format!("gradebook: {}", merged.join("gradebook.md").display()).as_str())
    );

    // The same gradebook, row by row; every student's files, with links
    // that reach the runs in the shard that ran them.
    let whole_dir = latest(&whole);
    let csv = |d: &Path| std::fs::read_to_string(d.join("gradebook.csv")).unwrap();
    assert_eq!(csv(&merged), csv(&whole_dir));
    let (_, rows) = gradebook(&merged);
    for row in &rows {
        assert_row_consistent(&merged, row);
    }
    // The merged class page too, its links reaching into the shards.
    crate::classpage::assert_class_page(&merged);
    assert_eq!(grade_summary(&merged).shards, ["2/2", "1/2"]);

    // Refused, exit 2, nothing written: a shard missing, one given twice,
    // a grade's shard with a batch's.
    let refused = results.path().join("refused");
    for (shards, why) in [
        (vec![shards[0].as_path()], "shard 2/2 missing"),
        (vec![&shards[0], &shards[0]], "given twice"),
    ] {
        let out = merge(&refused, &shards);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{}",
            text(&out)
        );
        assert!(
            !refused.exists(),
            "a refused merge wrote {}",
            refused.display()
        );
    }
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_student_pointing_the_grader_at_their_own_folder_gets_a_class_of_one() {
    require_mininet();
    let _timing = timing_bound();
    let before = interfaces();
    let (dir, results) = (tempdir(), tempdir());
    // The programs under names of the student's own, at the folder's top.
    let mine = dir.path().join("my-pa3");
    std::fs::create_dir(&mine).unwrap();
    let from = class_dir().join("alice-correct");
    std::fs::copy(from.join("server.py"), mine.join("TCPServer.py")).unwrap();
    std::fs::copy(from.join("client.py"), mine.join("TCPClient.py")).unwrap();
    let out = grade(&mine, results.path(), &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = latest(results.path());
    let (_, rows) = gradebook(&dir);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["student"], "my-pa3");
    assert_eq!(rows[0]["score"], "70");
    let report = std::fs::read_to_string(dir.join("my-pa3/report.md")).unwrap();
    assert!(report.contains("server: TCPServer.py"), "{report}");
    assert!(
        report.contains("started as python3 TCPClient.py"),
        "{report}"
    );
    assert_nothing_of_a_grade_left(&before);
}
