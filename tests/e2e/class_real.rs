//! The reality test set: `tests/class-real/`, twenty look-alikes of the
//! submissions students really hand in (hard-coded `localhost` and LAN
//! addresses, two client programs, raw typed text, busy-waits, Python 2,
//! C++, a zero-width space, a merge conflict), graded on Mininet and held
//! cell by cell to a teacher's verdicts (`expected.yaml`): every cell of
//! items 1–10 is the teacher's, except where the file says this grader
//! gives another (`grader:`, with `grader_why:`), and item 10, which a
//! network adapted to the programs sends to a person. The agreement
//! figures of issue 19 are printed and held to its bar.

use std::collections::BTreeMap;
use std::path::Path;

use pa3_mininet::orchestrator::grade::agreement::{Agreement, Lang, RealClass};
use pa3_mininet::orchestrator::grade::build::sandbox_interpreters;
use pa3_mininet::orchestrator::grade::rubric::Cell;
use pa3_mininet::orchestrator::grade::{GradeSummary, StudentGrade};

use crate::grade::copy_dir;
use crate::support::{
    assert_nothing_of_a_grade_left, interfaces, latest, manifest_dir, orchestrate, require_mininet,
    tempdir, timing_bound,
};

fn real_class() -> RealClass {
    let path = manifest_dir().join("tests/class-real/expected.yaml");
    RealClass::from_yaml(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The cell this grader must give `student` for `item`.
fn wanted(class: &RealClass, student: &str, item: u8, python2: bool) -> Cell {
    let s = &class.students[student];
    let python2_here = s.discover.server.lang != Lang::Python2 || python2;
    if !python2_here {
        // Not run at all here: every automatic item is a person's.
        return Cell::Review;
    }
    s.grader
        .get(&item)
        .or_else(|| s.teacher.get(&item))
        .copied()
        .unwrap_or_else(|| panic!("{student}: no cell for item {item}"))
}

/// Grades a copy of the class on Mininet; the summary.
fn grade(results: &Path) -> GradeSummary {
    let class = results.join("class");
    copy_dir(&manifest_dir().join("tests/class-real"), &class);
    let out = orchestrate()
        .args(["grade", "--quiet", "--jobs", "2", "--results"])
        .arg(results)
        .arg(&class)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(latest(results).join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Whether item 10 of `s` went to a person because the network was
/// adapted to the programs (its evidence names what was adapted).
fn adapted(s: &StudentGrade) -> bool {
    let ten = &s.items[9];
    ten.cell == Cell::Review
        && !ten.evidence.is_empty()
        && ten
            .evidence
            .iter()
            .all(|e| e.check == "server-listens" || e.check == "client-dials")
}

#[test]
#[ignore = "needs root and Mininet"]
fn real_submissions_are_graded_as_a_teacher_grades_them() {
    require_mininet();
    let _timing = timing_bound();
    let before = interfaces();
    let dir = tempdir();
    let summary = grade(dir.path());
    let class = real_class();
    let python2 = sandbox_interpreters().python2.is_some();
    let mut grader: BTreeMap<String, BTreeMap<u8, Cell>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for s in &summary.students {
        let cells: BTreeMap<u8, Cell> = s.items.iter().map(|i| (i.item, i.cell)).collect();
        for item in 1..=10u8 {
            let want = wanted(&class, &s.student, item, python2);
            let got = cells[&item];
            let adapted_ten = item == 10 && want == Cell::Pass && adapted(s);
            if got != want && !adapted_ten {
                let why = &s.items[item as usize - 1].why;
                wrong.push(format!(
                    "{} item {item}: {got:?}, want {want:?} ({why})",
                    s.student
                ));
            }
        }
        grader.insert(s.student.clone(), cells);
    }
    assert_eq!(
        summary.students.len(),
        class.students.len(),
        "every student is graded"
    );
    let agreement = Agreement::of_class(&class, &grader);
    println!("{agreement}");
    assert!(wrong.is_empty(), "cells off:\n{}", wrong.join("\n"));
    assert!(agreement.meets_issue_19(), "{agreement}");
    assert_nothing_of_a_grade_left(&before);
}
