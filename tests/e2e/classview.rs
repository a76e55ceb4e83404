//! The instructor's view of a class: `orchestrate similarity` on the test
//! class with the look-alikes of `tests/similarity` (the planted copies
//! flagged, the honest solution not), and — on a real grade — the class
//! page (`class.html`, its numbers checked against `gradebook.csv`, and
//! opened in a headless Chromium), the exports, and regrading one student
//! into an existing grade.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::classpage::{assert_class_page, assert_renders_in_chromium, require_chromium};
use crate::grade::{class_dir, copy_dir, gradebook};
use crate::support::{
    latest, manifest_dir, orchestrate, read_as, read_json, require_mininet, tempdir, timing_bound,
};
use pa3_mininet::orchestrator::grade::observe::RunFacts;
use pa3_mininet::orchestrator::grade::regrade::{Change, Entry};
use pa3_mininet::orchestrator::grade::rubric::{Cell, Evidence, ItemResult, SourceEvidence};
use pa3_mininet::orchestrator::grade::similarity::Report;
use pa3_mininet::orchestrator::grade::{book, page};
use pa3_mininet::orchestrator::grade::{
    Discovered, GradeSummary, GradedRun, Pairing, StudentGrade, GRADE_SCHEMA_VERSION,
};

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
fn similarity(class: &Path, results: &Path, args: &[&str]) -> (PathBuf, Report) {
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
    let json = read_as(&dir.join("similarity.json"));
    (dir, json)
}

/// The pairs of a `similarity.json` by name: (a, b) -> (score, flagged).
fn pairs(json: &Report) -> BTreeMap<(String, String), (f64, bool)> {
    json.pairs
        .iter()
        .map(|p| ((p.a.clone(), p.b.clone()), (p.score, p.flagged)))
        .collect()
}

fn flagged(json: &Report) -> Vec<(String, String)> {
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
    let students = &json.submissions;
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
fn the_reality_set_written_student_by_student_has_no_flag() {
    // tests/class-real: twenty submissions written each on its own in the
    // ways real ones are (odd names, C++, Python 2, textbook stubs): alike
    // as solutions of one assignment are, copied from nowhere.
    let results = tempdir();
    let (_, json) = similarity(
        &manifest_dir().join("tests/class-real"),
        results.path(),
        &[],
    );
    assert_eq!(json.submissions.len(), 20);
    assert!(flagged(&json).is_empty(), "{:?}", flagged(&json));
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
    let refs: Vec<&str> = json
        .submissions
        .iter()
        .filter(|s| s.reference)
        .map(|s| s.name.as_str())
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

/// A made-up grade of `cells` (a student's twelve cells each), written
/// as `orchestrate grade` writes its directory, with the run directories
/// its links name.
fn made_up_grade(dir: &Path, students: &[(&str, [Cell; 12])]) {
    const POINTS: [f64; 12] = [5., 5., 5., 5., 5., 5., 10., 10., 10., 10., 20., 10.];
    let students: Vec<StudentGrade> = students
        .iter()
        .enumerate()
        .map(|(n, (name, cells))| {
            let items: Vec<ItemResult> = cells
                .iter()
                .zip(1..)
                .zip(POINTS)
                .map(|((&cell, item), max_points)| ItemResult {
                    item,
                    cell,
                    max_points,
                    points: if cell == Cell::Pass { max_points } else { 0.0 },
                    why: if cell == Cell::Pass { "" } else { "because" }.into(),
                    evidence: (cell == Cell::Fail)
                        .then(|| Evidence {
                            run: "server case2".into(),
                            dir: Some(format!("runs/{name}-server-case2")),
                            check: format!("check.{item}"),
                            expected: "x".into(),
                            observed: "y".into(),
                            note: None,
                        })
                        .into_iter()
                        .collect(),
                    notes: Vec::new(),
                })
                .collect();
            for case in ["server-case2", "pair-case2"] {
                let run = dir.join(format!("runs/{name}-{case}"));
                std::fs::create_dir_all(&run).unwrap();
                std::fs::write(run.join("report.md"), "# a run\n").unwrap();
                std::fs::write(run.join("timeline.svg"), "<svg/>").unwrap();
            }
            let runs = [Pairing::Server, Pairing::Pair]
                .into_iter()
                .map(|pairing| GradedRun {
                    pairing,
                    case: "case2".into(),
                    dir: Some(format!("runs/{name}-{}-case2", pairing.word())),
                    passed: !cells.contains(&Cell::Fail),
                    failed: Vec::new(),
                    notes: Vec::new(),
                    facts: RunFacts::default(),
                    duration_ms: 1000.0 * (n + 1) as f64,
                })
                .collect();
            StudentGrade {
                student: name.to_string(),
                score: items.iter().map(|i| i.points).sum(),
                max_score: 100.0,
                items,
                missing: Vec::new(),
                source: SourceEvidence::default(),
                discovered: Discovered::default(),
                runs,
            }
        })
        .collect();
    let summary = GradeSummary {
        schema_version: GRADE_SCHEMA_VERSION,
        kind: "grade".into(),
        started_utc: "2026-12-02T08:00:00.000Z".into(),
        duration_ms: 1000.0,
        backend: "mininet".into(),
        strict: false,
        shards: Vec::new(),
        plan_size: students.len(),
        interrupted: false,
        visibility: "visible".into(),
        students,
    };
    let files = book::files(&summary, "made up")
        .into_iter()
        .chain(page::files(&summary, "made up", page::Extras::default()));
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
#[ignore = "needs chromium"]
fn the_class_page_renders_in_chromium_and_sorts_and_filters_as_asked() {
    require_chromium();
    let dir = tempdir();
    let p = Cell::Pass;
    let (f, r) = (Cell::Fail, Cell::Review);
    made_up_grade(
        dir.path(),
        &[
            ("zoe", [p, p, p, p, p, f, p, f, p, p, r, r]),
            ("amy & <b>", [p, p, p, p, p, p, p, p, p, p, r, r]),
            ("bo", [p, p, p, p, f, p, f, f, p, p, r, r]),
            ("cy", [f, f, p, p, p, p, p, p, f, f, r, r]),
            ("dee", [p, p, p, p, p, p, r, p, p, p, r, r]),
        ],
    );
    assert_class_page(dir.path());
    assert_renders_in_chromium(dir.path());
}

/// A class of a few of tests/class and the Python look-alikes: the planted
/// copies (rita of alice, rory of frank), the honest one (ian), and bob.
const SMALL_CLASS: [&str; 6] = [
    "alice-correct",
    "bob-connect-order",
    "frank-never-exits",
    "ian-independent",
    "rita-renamed",
    "rory-reordered",
];

fn small_class(into: &Path) {
    for name in SMALL_CLASS {
        let from = [class_dir(), lookalikes_dir()]
            .into_iter()
            .map(|d| d.join(name))
            .find(|d| d.is_dir())
            .unwrap();
        copy_dir(&from, &into.join(name));
    }
}

fn grade(args: &[&std::ffi::OsStr]) -> Output {
    orchestrate().arg("grade").args(args).output().unwrap()
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_grade_shows_the_class_and_one_student_regraded_takes_their_place() {
    require_mininet();
    require_chromium();
    let _timing = timing_bound();
    let (class, results) = (tempdir(), tempdir());
    small_class(class.path());
    let out = grade(&[
        class.path().as_os_str(),
        os("--results"),
        results.path().as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = latest(results.path());

    // The page, its numbers against the gradebook, in the browser.
    assert_class_page(&dir);
    assert_renders_in_chromium(&dir);
    // The planted copies are flagged, in the page too; the honest one is not.
    let json: Report = read_as(&dir.join("similarity.json"));
    assert_eq!(
        flagged(&json),
        [
            pair_of("alice-correct", "rita-renamed"),
            pair_of("frank-never-exits", "rory-reordered")
        ]
    );
    let html = std::fs::read_to_string(dir.join("class.html")).unwrap();
    assert!(html.contains("<tr class=\"flagged\" data-a=\"alice-correct\" data-b=\"rita-renamed\""));
    assert!(
        !html.contains("class=\"flagged\" data-a=\"ian-independent\"")
            && !html.contains("data-b=\"ian-independent\" data-score=\"0.9")
    );
    // Bob acks in connect order: items 6 and 8.
    let (_, before) = gradebook(&dir);
    let bob = |rows: &[BTreeMap<String, String>]| {
        rows.iter()
            .find(|r| r["student"] == "bob-connect-order")
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            bob(&before)["item6"].as_str(),
            bob(&before)["score"].as_str()
        ),
        ("fail", "55")
    );

    // Bob resubmits with the threads started before either is joined.
    let server = class.path().join("bob-connect-order/server.py");
    let fixed = std::fs::read_to_string(&server)
        .unwrap()
        .replace("thread_x.start()\nthread_x.join()\n", "thread_x.start()\n")
        .replace(
            "thread_y.start()\nthread_y.join()\n",
            "thread_y.start()\nthread_x.join()\nthread_y.join()\n",
        );
    std::fs::write(&server, fixed).unwrap();
    let others = |d: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        ["alice-correct/report.md", "ian-independent/results.json"]
            .iter()
            .map(|f| (d.join(f), std::fs::read(d.join(f)).unwrap()))
            .collect()
    };
    let untouched = others(&dir);
    let out = grade(&[
        class.path().as_os_str(),
        os("--only"),
        os("bob-connect-order"),
        os("--into"),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("  bob-connect-order: 55 -> 70\n"),
        "{}",
        text(&out)
    );
    assert_eq!(
        stdout.lines().last(),
        Some(format!("gradebook: {}", dir.join("gradebook.md").display()).as_str()),
        "the gradebook's path is printed last"
    );
    let (_, after) = gradebook(&dir);
    assert_eq!(bob(&after)["score"], "70", "bob's fix gets items 6 and 8");
    let others_after: Vec<_> = after
        .iter()
        .filter(|r| r["student"] != "bob-connect-order")
        .collect();
    let others_before: Vec<_> = before
        .iter()
        .filter(|r| r["student"] != "bob-connect-order")
        .collect();
    assert_eq!(
        others_after, others_before,
        "the other rows are as they were"
    );
    assert_eq!(others(&dir), untouched);
    // Gradescope's results.json, read as JSON: its format is Gradescope's
    // (the crate writes it with `json!`, there is no type to read it as).
    let results_json = read_json(&dir.join("bob-connect-order/results.json"));
    assert_eq!(results_json["score"].as_f64(), Some(70.0));
    let report = std::fs::read_to_string(dir.join("bob-connect-order/report.md")).unwrap();
    assert!(
        report.contains("](../runs/regrade-"),
        "the new runs are linked: {report}"
    );
    assert_class_page(&dir);
    // The old grade is kept, whole, and the history says what changed.
    let history: Vec<Entry> = read_as(&dir.join("history.json"));
    let entry = &history[0];
    assert_eq!(
        entry.students,
        [Change {
            student: "bob-connect-order".into(),
            before: Some(55.0),
            after: 70.0
        }]
    );
    let kept = dir.join(&entry.dir);
    let old_report = std::fs::read_to_string(kept.join("bob-connect-order/report.md")).unwrap();
    assert!(
        old_report.starts_with("# bob-connect-order — 55 / 100"),
        "{old_report}"
    );
    for link in old_report
        .split("](")
        .skip(1)
        .map(|l| l.split(')').next().unwrap())
        .filter(|l| l.starts_with("../"))
    {
        assert!(
            kept.join("bob-connect-order").join(link).is_file(),
            "the kept report links to a missing {link}"
        );
    }
    assert!(std::fs::read_to_string(dir.join("class.html"))
        .unwrap()
        .contains("bob-connect-order: 55 → 70"));

    rescore(class.path(), &dir);
}

/// `--rescore`: grading.yaml's new points re-applied, nothing run; a
/// changed setting that decides how programs run is refused.
fn rescore(class: &Path, dir: &Path) {
    let runs_before = std::fs::read_dir(dir.join("runs")).unwrap().count();
    let (_, before) = gradebook(dir);
    std::fs::write(class.join("grading.yaml"), "points: {6: 20, 8: 0}\n").unwrap();
    let out = grade(&[
        class.as_os_str(),
        os("--rescore"),
        os("--into"),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (_, after) = gradebook(dir);
    for (b, a) in before.iter().zip(&after) {
        let pass = |i: u32| (a[&format!("item{i}")] == "pass") as u32 as f64;
        let want: f64 = b["score"].parse::<f64>().unwrap() + 15.0 * pass(6) - 10.0 * pass(8);
        assert_eq!(a["score"].parse::<f64>().unwrap(), want, "{}", a["student"]);
        assert_eq!(a["max_score"], "105");
    }
    assert_eq!(
        std::fs::read_dir(dir.join("runs")).unwrap().count(),
        runs_before,
        "nothing was run"
    );
    assert_eq!(read_as::<Vec<Entry>>(&dir.join("history.json")).len(), 2);
    assert_class_page(dir);

    std::fs::write(
        class.join("grading.yaml"),
        "points: {6: 20, 8: 0}\ntimeout_s: 30\n",
    )
    .unwrap();
    let out = grade(&[
        class.as_os_str(),
        os("--rescore"),
        os("--into"),
        dir.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("timeout_s changed"),
        "{}",
        text(&out)
    );
    assert_eq!(gradebook(dir).1, after, "a refused change changes nothing");
}

#[test]
#[ignore = "needs root and Mininet"]
fn the_class_page_counts_what_grading_adapted_to() {
    require_mininet();
    // Two of the reality set whose servers listen where no client looks
    // (ana: localhost:5000; sam: a home network's address).
    let (class, results) = (tempdir(), tempdir());
    for name in ["ana-localhost", "sam-lan-address"] {
        copy_dir(
            &manifest_dir().join("tests/class-real").join(name),
            &class.path().join(name),
        );
    }
    let out = grade(&[
        class.path().as_os_str(),
        os("--results"),
        results.path().as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = latest(results.path());
    // The page's adapted runs are the summary's (assert_class_page), and
    // both servers were reached where they listened.
    assert_class_page(&dir);
    let html = std::fs::read_to_string(dir.join("class.html")).unwrap();
    assert!(
        html.contains(
            "<tr data-kind=\"the server listened elsewhere: connections were routed to it\" data-students=\"2\""
        ),
        "{html}"
    );
}
