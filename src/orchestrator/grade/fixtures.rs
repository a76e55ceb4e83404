//! Made-up grades for the tests of what is written from a grade (the class
//! page, the exports, regrading): students whose cells are chosen, with
//! evidence for each failed item and runs that took a known time.

use super::config::SEED_POINTS;
use super::rubric::{Cell, Evidence, ItemResult, SourceEvidence};
use super::{GradeSummary, GradedRun, Pairing, StudentGrade, GRADE_SCHEMA_VERSION};

/// A student whose items in `fails` failed (each with the evidence of a
/// run `server case2` that failed `check.N`), 11 and 12 for a person, the
/// rest passed; two runs of 1.5 s each.
pub fn student(name: &str, fails: &[u8]) -> StudentGrade {
    let items: Vec<ItemResult> = (1..=12u8)
        .map(|n| {
            let cell = if n >= 11 {
                Cell::Review
            } else if fails.contains(&n) {
                Cell::Fail
            } else {
                Cell::Pass
            };
            let max = SEED_POINTS[n as usize - 1];
            ItemResult {
                item: n,
                cell,
                points: if cell == Cell::Pass { max } else { 0.0 },
                max_points: max,
                why: match cell {
                    Cell::Pass => String::new(),
                    _ => format!("why item {n} is not a pass"),
                },
                evidence: if cell == Cell::Fail {
                    vec![Evidence {
                        run: "server case2".into(),
                        dir: Some(format!("runs/{name}-server-case2")),
                        check: format!("check.{n}"),
                        expected: "what was expected".into(),
                        observed: "what was seen".into(),
                        note: None,
                    }]
                } else {
                    Vec::new()
                },
                notes: Vec::new(),
            }
        })
        .collect();
    let runs = [Pairing::Server, Pairing::Pair]
        .into_iter()
        .map(|pairing| GradedRun {
            pairing,
            case: "case2".into(),
            dir: Some(format!("runs/{name}-{}-case2", pairing.word())),
            passed: fails.is_empty(),
            failed: Vec::new(),
            notes: Vec::new(),
            facts: Default::default(),
            duration_ms: 1500.0,
        })
        .collect();
    StudentGrade {
        student: name.into(),
        score: items.iter().map(|i| i.points).sum(),
        max_score: SEED_POINTS.iter().sum(),
        items,
        missing: Vec::new(),
        source: SourceEvidence::default(),
        discovered: Default::default(),
        runs,
    }
}

/// A grade of these students (on Mininet, lenient).
pub fn summary(students: Vec<StudentGrade>) -> GradeSummary {
    GradeSummary {
        schema_version: GRADE_SCHEMA_VERSION,
        kind: "grade".into(),
        started_utc: "2026-12-02T08:00:00.000Z".into(),
        duration_ms: 60_000.0,
        backend: "mininet".into(),
        strict: false,
        shards: Vec::new(),
        plan_size: students.len(),
        interrupted: false,
        visibility: "visible".into(),
        students,
    }
}
