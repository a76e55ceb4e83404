//! A grade changed after the fact, in place, its past kept: one student or
//! a few graded again (a resubmission, a regrade request) and put in the
//! place of their old grades, or a changed rubric's points re-applied to
//! the verdicts already recorded, without running anything. Pure: what the
//! grade becomes, what changed, and what of the old grade is kept in
//! `history/<time>/` (a whole snapshot: its gradebook, every report and
//! `results.json`, its `summary.json`, with links that still reach the
//! runs). `history.json` lists the changes, oldest first.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::rubric::Cell;
use super::{book, GradeSummary, StudentGrade};

/// One change of a grade, as `history.json` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub when_utc: String,
    /// What was done, in words: `graded again: alice-correct`.
    pub what: String,
    /// Where the grade as it was before is kept, relative to the grade's
    /// directory (`history/20261202T101500Z`).
    pub dir: String,
    pub students: Vec<Change>,
}

/// A student's score before and after a change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub student: String,
    /// `None`: the student was not in the grade before.
    pub before: Option<f64>,
    pub after: f64,
}

/// Puts `new` grades in the place of the same students' old ones (adding
/// those who were not there), keeping name order; the changes.
pub fn replace(summary: &mut GradeSummary, new: Vec<StudentGrade>) -> Vec<Change> {
    let mut by_name: BTreeMap<String, StudentGrade> = summary
        .students
        .drain(..)
        .map(|s| (s.student.clone(), s))
        .collect();
    let mut changes = Vec::new();
    for s in new {
        let before = by_name.get(&s.student).map(|old| old.score);
        if before.is_none() {
            summary.plan_size += 1;
        }
        changes.push(Change {
            student: s.student.clone(),
            before,
            after: s.score,
        });
        by_name.insert(s.student.clone(), s);
    }
    summary.students = by_name.into_values().collect();
    changes
}

/// Gives every item its points from `points` (items 1–12) — a pass all
/// of them, anything else none, as grading does — and every student the
/// sum; the cells stay as the runs decided them. The students whose
/// score moved.
pub fn rescore(summary: &mut GradeSummary, points: &[f64; 12]) -> Vec<Change> {
    let mut changes = Vec::new();
    for s in &mut summary.students {
        let before = s.score;
        for item in &mut s.items {
            let Some(max) = points.get(item.item as usize - 1) else {
                continue;
            };
            item.max_points = *max;
            item.points = if item.cell == Cell::Pass { *max } else { 0.0 };
        }
        s.score = s.items.iter().map(|i| i.points).sum();
        s.max_score = points.iter().sum();
        if s.score != before {
            changes.push(Change {
                student: s.student.clone(),
                before: Some(before),
                after: s.score,
            });
        }
    }
    changes
}

/// The settings of `grading.yaml` a rescore may change: the rest decide
/// how the programs run, so a change to them needs the runs again.
pub const RESCORABLE: [&str; 2] = ["points", "visibility"];

/// Why a `grading.yaml` text has no settings to compare.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Not YAML (serde_yaml's message says where).
    #[error(transparent)]
    Yaml(#[from] serde_yaml::Error),
    /// YAML, but a list or a scalar.
    #[error("not a mapping of settings")]
    NotAMapping,
}

/// The settings of two `grading.yaml` texts (empty: none, the defaults)
/// that differ, other than [`RESCORABLE`] ones; an error for text that is
/// no YAML mapping.
pub fn changed_settings(old: &str, new: &str) -> Result<Vec<String>, SettingsError> {
    let settings = |text: &str| -> Result<BTreeMap<String, serde_yaml::Value>, SettingsError> {
        let value: serde_yaml::Value = if text.trim().is_empty() {
            serde_yaml::Value::Null
        } else {
            serde_yaml::from_str(text)?
        };
        match value {
            serde_yaml::Value::Null => Ok(BTreeMap::new()),
            serde_yaml::Value::Mapping(m) => Ok(m
                .into_iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v)))
                .filter(|(k, _)| !RESCORABLE.contains(&k.as_str()))
                .collect()),
            _ => Err(SettingsError::NotAMapping),
        }
    };
    let (old, new) = (settings(old)?, settings(new)?);
    let mut keys: Vec<String> = old.keys().chain(new.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    Ok(keys
        .into_iter()
        .filter(|k| old.get(k) != new.get(k))
        .collect())
}

/// The files that keep `old` in `history/<stamp>/` (`dir`, relative to
/// the grade's directory): its gradebook, every student's report and
/// `results.json`, and its `summary.json`, run links rebased to reach
/// the runs from there.
pub fn snapshot(old: &GradeSummary, dir: &str, facts: &str) -> Vec<(String, String)> {
    let mut kept = old.clone();
    for s in &mut kept.students {
        super::merge::rebase_student(s, Path::new(""), Path::new(dir));
    }
    book::files(&kept, facts)
        .into_iter()
        .map(|(file, text)| (format!("{dir}/{file}"), text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::fixtures::{student, summary};

    #[test]
    fn a_regraded_student_takes_the_old_ones_place_and_a_new_one_joins() {
        let mut s = summary(vec![student("ann", &[6]), student("cy", &[])]);
        let changes = replace(&mut s, vec![student("ann", &[]), student("bo", &[7])]);
        let names: Vec<&str> = s.students.iter().map(|s| s.student.as_str()).collect();
        assert_eq!(names, ["ann", "bo", "cy"]);
        assert_eq!(s.plan_size, 3);
        assert_eq!(
            changes,
            [
                Change {
                    student: "ann".into(),
                    before: Some(65.0),
                    after: 70.0
                },
                Change {
                    student: "bo".into(),
                    before: None,
                    after: 60.0
                },
            ]
        );
    }

    #[test]
    fn rescoring_moves_points_and_keeps_the_cells() {
        let mut s = summary(vec![student("ann", &[]), student("bo", &[11])]);
        let mut points = crate::orchestrator::grade::config::SEED_POINTS;
        points[0] = 15.0; // item 1: 5 -> 15
        points[6] = 0.0; // item 7: 10 -> 0
        let changes = rescore(&mut s, &points);
        assert_eq!(s.students[0].score, 70.0 + 10.0 - 10.0);
        assert_eq!(s.students[0].max_score, 100.0);
        assert_eq!(s.students[0].items[0].points, 15.0);
        assert_eq!(s.students[0].items[6].max_points, 0.0);
        assert_eq!(s.students[0].items[10].cell, Cell::Review);
        assert_eq!(s.students[0].items[10].points, 0.0);
        assert!(changes.is_empty(), "the sum did not move: {changes:?}");
        points[1] = 10.0;
        let changes = rescore(&mut s, &points);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].after, 75.0);
    }

    #[test]
    fn only_points_and_visibility_can_change_without_running_again() {
        let old = "# mine\npoints: {11: 20}\nserver_cmd: python3 server.py\n";
        assert_eq!(
            changed_settings(
                old,
                "server_cmd: 'python3 server.py'\npoints: {11: 5, 12: 15}\nvisibility: hidden\n"
            )
            .unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            changed_settings(
                old,
                "points: {11: 5}\nserver_cmd: python3 srv.py\ntimeout_s: 20\n"
            )
            .unwrap(),
            ["server_cmd", "timeout_s"]
        );
        assert!(changed_settings("", "points: {1: 10}\n")
            .unwrap()
            .is_empty());
        assert_eq!(changed_settings("", "strict: true\n").unwrap(), ["strict"]);
        assert!(matches!(
            changed_settings("", "- a list\n"),
            Err(SettingsError::NotAMapping)
        ));
        assert!(matches!(
            changed_settings("points: [", ""),
            Err(SettingsError::Yaml(_))
        ));
    }

    #[test]
    fn the_snapshot_keeps_every_report_with_links_that_reach_the_runs() {
        let old = summary(vec![student("ann", &[6])]);
        let files = snapshot(&old, "history/20261202T101500Z", "1 student");
        let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
        assert!(
            names.contains(&"history/20261202T101500Z/ann/report.md"),
            "{names:?}"
        );
        assert!(
            names.contains(&"history/20261202T101500Z/gradebook.csv"),
            "{names:?}"
        );
        assert!(
            names.contains(&"history/20261202T101500Z/summary.json"),
            "{names:?}"
        );
        let report = &files
            .iter()
            .find(|(f, _)| f.ends_with("ann/report.md"))
            .unwrap()
            .1;
        // history/<stamp>/ann/report.md -> ../../../runs/…
        assert!(
            report.contains("](../../../runs/ann-server-case2/report.md)"),
            "{report}"
        );
    }
}
