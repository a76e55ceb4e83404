//! The shards of one grade (`orchestrate grade --shard K/N`, each on its
//! own machine or array task) as one: every student once, in name order,
//! with their runs' links pointing into the shard that ran them. A shard
//! holds whole students, so nothing is judged again: the students' grades
//! are put side by side.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::{GradeSummary, StudentGrade, GRADE_SCHEMA_VERSION};
use crate::orchestrator::batch::summary::{absolute, check_coverage, rebase};

/// Reads a grade's `summary.json` from its directory.
pub fn read(dir: &Path) -> Result<GradeSummary> {
    let file = dir.join("summary.json");
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let summary: GradeSummary = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a grade's summary", file.display()))?;
    if summary.schema_version != GRADE_SCHEMA_VERSION {
        bail!(
            "{} has schema version {}; this orchestrate reads {GRADE_SCHEMA_VERSION}",
            file.display(),
            summary.schema_version
        );
    }
    Ok(summary)
}

/// Merges the shards' summaries (each with its grade directory) into one
/// whose run directories are relative to `out`. Refused: shards of
/// different gradings (backend, strictness, class size), a shard missing
/// or given twice, a student in two shards.
pub fn merge(shards: Vec<(PathBuf, GradeSummary)>, out: &Path) -> Result<GradeSummary> {
    let Some((first_dir, first)) = shards.first() else {
        bail!("no shard to merge");
    };
    for (dir, s) in &shards {
        if (&s.backend, s.strict, s.plan_size) != (&first.backend, first.strict, first.plan_size) {
            bail!(
                "{} is not a shard of the same grading as {} (backend, --strict or class differ)",
                dir.display(),
                first_dir.display()
            );
        }
    }
    check_coverage(shards.iter().map(|(d, s)| (d.as_path(), &s.shards[..])))?;
    let mut merged = GradeSummary {
        schema_version: GRADE_SCHEMA_VERSION,
        kind: "grade".into(),
        started_utc: shards
            .iter()
            .map(|(_, s)| s.started_utc.clone())
            .min()
            .unwrap_or_default(),
        duration_ms: shards
            .iter()
            .map(|(_, s)| s.duration_ms)
            .fold(0.0, f64::max),
        backend: first.backend.clone(),
        strict: first.strict,
        shards: shards.iter().flat_map(|(_, s)| s.shards.clone()).collect(),
        plan_size: first.plan_size,
        interrupted: shards.iter().any(|(_, s)| s.interrupted),
        visibility: first.visibility.clone(),
        students: Vec::new(),
    };
    let out_abs = absolute(out);
    for (dir, summary) in shards {
        let dir_abs = absolute(&dir);
        for mut student in summary.students {
            rebase_student(&mut student, &dir_abs, &out_abs);
            merged.students.push(student);
        }
    }
    merged.students.sort_by(|a, b| a.student.cmp(&b.student));
    check_students(&merged)?;
    Ok(merged)
}

/// Makes a student's run directories, relative to its shard's directory
/// `dir_abs`, relative to the merged one `out_abs`.
pub(crate) fn rebase_student(student: &mut StudentGrade, dir_abs: &Path, out_abs: &Path) {
    for run in &mut student.runs {
        run.dir = run.dir.take().map(|d| rebase(&d, dir_abs, out_abs));
    }
    for item in &mut student.items {
        for e in &mut item.evidence {
            e.dir = e.dir.take().map(|d| rebase(&d, dir_abs, out_abs));
        }
    }
}

/// Refuses merged students (in name order) that hold a student twice, or,
/// unless the grading was interrupted, not the whole class.
fn check_students(merged: &GradeSummary) -> Result<()> {
    if let Some(w) = merged
        .students
        .windows(2)
        .find(|w| w[0].student == w[1].student)
    {
        bail!(
            "the student {:?} is in two of the shards given",
            w[0].student
        );
    }
    if !merged.interrupted && merged.students.len() != merged.plan_size {
        bail!(
            "the shards hold {} students of a class of {}: a shard's grading is incomplete",
            merged.students.len(),
            merged.plan_size
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::{GradedRun, Pairing, StudentGrade};

    fn shard(k: u32, n: u32, students: &[&str]) -> GradeSummary {
        GradeSummary {
            schema_version: GRADE_SCHEMA_VERSION,
            kind: "grade".into(),
            started_utc: format!("2026-12-02T08:0{k}:00Z"),
            duration_ms: 1000.0 * k as f64,
            backend: "mininet".into(),
            strict: false,
            shards: vec![format!("{k}/{n}")],
            plan_size: 3,
            interrupted: false,
            visibility: "visible".into(),
            students: students
                .iter()
                .map(|s| StudentGrade {
                    student: s.to_string(),
                    score: 70.0,
                    max_score: 100.0,
                    items: Vec::new(),
                    missing: Vec::new(),
                    source: Default::default(),
                    discovered: Default::default(),
                    runs: vec![GradedRun {
                        pairing: Pairing::Server,
                        case: "case2".into(),
                        dir: Some(format!("runs/{s}-server-case2")),
                        passed: true,
                        failed: Vec::new(),
                        notes: Vec::new(),
                        facts: Default::default(),
                        duration_ms: 0.0,
                    }],
                })
                .collect(),
        }
    }

    #[test]
    fn shards_merge_into_one_class_in_name_order_with_links_into_each_shard() {
        let root = tempfile::tempdir().unwrap();
        let (a, b, out) = (
            root.path().join("a"),
            root.path().join("b"),
            root.path().join("out"),
        );
        let merged = merge(
            vec![
                (a.clone(), shard(1, 2, &["zoe", "ann"])),
                (b.clone(), shard(2, 2, &["max"])),
            ],
            &out,
        )
        .unwrap();
        let names: Vec<&str> = merged.students.iter().map(|s| s.student.as_str()).collect();
        assert_eq!(names, ["ann", "max", "zoe"]);
        assert_eq!(merged.shards, ["1/2", "2/2"]);
        assert_eq!(merged.duration_ms, 2000.0);
        assert_eq!(merged.started_utc, "2026-12-02T08:01:00Z");
        assert_eq!(
            merged.students[1].runs[0].dir.as_deref(),
            Some("../b/runs/max-server-case2")
        );
    }

    #[test]
    fn a_missing_repeated_or_foreign_shard_is_refused() {
        let out = Path::new("/tmp/out");
        let err =
            |shards: Vec<(PathBuf, GradeSummary)>| merge(shards, out).unwrap_err().to_string();
        let p = |s: &str| PathBuf::from(s);
        assert!(err(vec![(p("a"), shard(1, 2, &["ann", "zoe"]))]).contains("shard 2/2 missing"));
        assert!(err(vec![
            (p("a"), shard(1, 2, &["ann", "zoe"])),
            (p("b"), shard(1, 2, &["max"]))
        ])
        .contains("given twice"));
        let mut strict = shard(2, 2, &["max"]);
        strict.strict = true;
        assert!(err(vec![
            (p("a"), shard(1, 2, &["ann", "zoe"])),
            (p("b"), strict)
        ])
        .contains("not a shard of the same grading"));
        assert!(err(vec![
            (p("a"), shard(1, 2, &["ann", "max"])),
            (p("b"), shard(2, 2, &["max"]))
        ])
        .contains("\"max\" is in two"));
        assert!(err(vec![
            (p("a"), shard(1, 2, &["ann"])),
            (p("b"), shard(2, 2, &["max"]))
        ])
        .contains("2 students of a class of 3"));
    }
}
