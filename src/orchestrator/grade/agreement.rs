//! How far a grader's verdicts agree with a teacher's, on the reality test
//! set (`tests/class-real`, issue 19).
//!
//! [`RealClass`] is `tests/class-real/expected.yaml` as written: per
//! student, the patterns it carries, what the grader should discover (its
//! programs, how they are started, where they listen and dial) and the
//! teacher's twelve cells with a `why` for each cell that is not a pass.
//! [`Agreement`] compares a grader's cells with the teacher's and gives the
//! figures issue 19 is judged on: the cells of items 1–10 where both agree;
//! of the cells of items 1–9 the teacher passes, how many the grader
//! failed, passed outright, or sent to review; of those the teacher fails,
//! how many the grader failed or sent to review. Items 11 and 12 are a
//! person's and are not scored. Pure: reading the files is the caller's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

use super::rubric::Cell;

/// The items a grader decides (11 and 12 are a person's).
const DECIDED: std::ops::RangeInclusive<u8> = 1..=10;
/// The items about behaviour, on which issue 19's thresholds are set.
const BEHAVIOUR: std::ops::RangeInclusive<u8> = 1..=9;

/// `tests/class-real/expected.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealClass {
    pub students: BTreeMap<String, RealStudent>,
}

/// One student of the reality test set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealStudent {
    /// The catalogue's names for what the submission does (PATTERNS.md).
    pub patterns: Vec<String>,
    pub discover: Discovery,
    /// The teacher's cell for each of the twelve items.
    pub teacher: BTreeMap<u8, Cell>,
    /// Why, for every cell that is not a pass.
    #[serde(default)]
    pub why: BTreeMap<u8, String>,
    /// What the teacher remarks on without it costing an item.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The cells where this project's grader is known to give another
    /// verdict than the teacher's, and why (`grader_why`): what it cannot
    /// observe, or leaves to a person. The end-to-end test holds the
    /// grader to these, and to the teacher's cells everywhere else.
    #[serde(default)]
    pub grader: BTreeMap<u8, Cell>,
    #[serde(default)]
    pub grader_why: BTreeMap<u8, String>,
}

/// What the grader should find out about a submission by itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    pub server: Program,
    /// One client program, or two (X's first).
    pub clients: Vec<Program>,
    /// Files that look like programs but are not the work.
    #[serde(default)]
    pub decoys: Vec<String>,
    pub name_from: NameFrom,
    /// When the client reads stdin (absent when it does not).
    pub name_when: Option<NameWhen>,
    /// The client's arguments: `{letter}` (X, then Y) and `{name}`.
    #[serde(default)]
    pub argv: Vec<String>,
    /// The server's address as written in the code.
    pub binds: String,
    /// Where the server listens, as observed; `None` if it never does.
    pub listens: Option<String>,
    /// The client's destination as written in the code.
    pub dials: String,
    /// Where the client's SYN goes, as observed; `None` if it never sends one.
    pub syn_to: Option<String>,
    pub sends: Sends,
}

/// A program of a submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    pub file: String,
    pub lang: Lang,
    /// The build command the student gives.
    pub compile: Option<String>,
    /// How the student starts it, when not by the interpreter on `file`.
    pub run: Option<String>,
    /// Why it does not start, when it does not.
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Lang {
    #[serde(rename = "python3")]
    Python3,
    #[serde(rename = "python2")]
    Python2,
    #[serde(rename = "c++")]
    Cpp,
    #[serde(rename = "c")]
    C,
}

/// Where the client's name comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameFrom {
    Stdin,
    Argv,
    /// The name is in the code.
    None,
}

/// When a client reads its line from stdin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameWhen {
    AfterGreeting,
    /// Right after connecting, without waiting for a greeting.
    AfterConnect,
    BeforeConnect,
}

/// What the client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sends {
    /// What was typed, raw (the server adds the letter).
    Typed,
    /// `Client X: <name>`, built by the client.
    Prefixed,
    /// Text in the code.
    Fixed,
}

impl RealClass {
    pub fn from_yaml(text: &str) -> Result<RealClass, serde_yaml::Error> {
        serde_yaml::from_str(text)
    }

    /// What is wrong with the class against its folders (each folder name
    /// with the files it holds): a folder not listed or a student without
    /// a folder, a program or decoy that is not there, a missing cell, a
    /// cell that is not pass/fail/review, 11 or 12 not review, a cell that
    /// is not a pass without a `why`. Empty when all is well.
    pub fn problems(&self, folders: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
        let mut problems = Vec::new();
        for folder in folders.keys() {
            if !self.students.contains_key(folder) {
                problems.push(format!(
                    "{folder}: a folder that expected.yaml does not list"
                ));
            }
        }
        for (name, student) in &self.students {
            match folders.get(name) {
                None => problems.push(format!("{name}: listed, but there is no such folder")),
                Some(files) => problems.extend(student.missing_files(name, files)),
            }
            problems.extend(student.cell_problems(name));
        }
        problems
    }
}

impl RealStudent {
    fn missing_files(&self, name: &str, files: &BTreeSet<String>) -> Vec<String> {
        let d = &self.discover;
        let mut named: Vec<&str> = vec![d.server.file.as_str()];
        named.extend(d.clients.iter().map(|c| c.file.as_str()));
        named.extend(d.decoys.iter().map(String::as_str));
        let mut problems: Vec<String> = named
            .into_iter()
            .filter(|f| !files.contains(*f))
            .map(|f| format!("{name}: discover names {f}, which is not in the folder"))
            .collect();
        if !(1..=2).contains(&d.clients.len()) {
            problems.push(format!(
                "{name}: {} client programs (one or two)",
                d.clients.len()
            ));
        }
        problems
    }

    fn cell_problems(&self, name: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for item in 1..=12u8 {
            let Some(&cell) = self.teacher.get(&item) else {
                problems.push(format!("{name}: no teacher cell for item {item}"));
                continue;
            };
            if cell == Cell::NotApplicable {
                problems.push(format!("{name}: item {item} is n/a (pass, fail or review)"));
            }
            if item >= 11 && cell != Cell::Review {
                problems.push(format!(
                    "{name}: item {item} is a person's to judge (review)"
                ));
            }
            if cell != Cell::Pass && self.why.get(&item).is_none_or(|w| w.trim().is_empty()) {
                problems.push(format!(
                    "{name}: item {item} is {} without a why",
                    cell.word()
                ));
            }
        }
        for item in self.teacher.keys().chain(self.why.keys()) {
            if !(1..=12).contains(item) {
                problems.push(format!("{name}: there is no item {item}"));
            }
        }
        problems
    }
}

/// A grader's cells against a teacher's (see the module's doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Cells of items 1–10 compared, and how many agree.
    pub cells: usize,
    pub agree: usize,
    /// Cells of items 1–9 the teacher passes, and what the grader made of
    /// them (a cell the grader did not give is in none of the three).
    pub teacher_pass: usize,
    pub pass_failed: usize,
    pub pass_passed: usize,
    pub pass_review: usize,
    /// Cells of items 1–9 the teacher fails, and how many the grader
    /// failed or sent to review.
    pub teacher_fail: usize,
    pub fail_caught: usize,
    /// `student item` of each cell of items 1–10 the grader did not give.
    pub missing: Vec<String>,
}

impl Agreement {
    /// Compares a class: every student of the teacher's, with the grader's
    /// cells for it (a student the grader lacks has every cell missing).
    pub fn of_class(teacher: &RealClass, grader: &BTreeMap<String, BTreeMap<u8, Cell>>) -> Self {
        let none = BTreeMap::new();
        let mut agreement = Agreement::default();
        for (name, student) in &teacher.students {
            agreement.add(name, &student.teacher, grader.get(name).unwrap_or(&none));
        }
        agreement
    }

    /// Adds one student's cells.
    pub fn add(
        &mut self,
        student: &str,
        teacher: &BTreeMap<u8, Cell>,
        grader: &BTreeMap<u8, Cell>,
    ) {
        for item in DECIDED {
            let Some(&want) = teacher.get(&item) else {
                continue;
            };
            self.cells += 1;
            let got = grader.get(&item).copied();
            if got.is_none() {
                self.missing.push(format!("{student} {item}"));
            }
            if got == Some(want) {
                self.agree += 1;
            }
            if !BEHAVIOUR.contains(&item) {
                continue;
            }
            match want {
                Cell::Pass => {
                    self.teacher_pass += 1;
                    match got {
                        Some(Cell::Fail) => self.pass_failed += 1,
                        Some(Cell::Pass) => self.pass_passed += 1,
                        Some(Cell::Review) => self.pass_review += 1,
                        Some(Cell::NotApplicable) | None => {}
                    }
                }
                Cell::Fail => {
                    self.teacher_fail += 1;
                    if matches!(got, Some(Cell::Fail | Cell::Review)) {
                        self.fail_caught += 1;
                    }
                }
                Cell::Review | Cell::NotApplicable => {}
            }
        }
    }

    /// Issue 19's bar: at most 5 % of the teacher-pass cells failed, at
    /// least 85 % passed outright, at least 90 % of the teacher-fail cells
    /// failed or sent to review.
    pub fn meets_issue_19(&self) -> bool {
        let pass = self.teacher_pass as f64;
        let fail = self.teacher_fail as f64;
        self.pass_failed as f64 <= 0.05 * pass
            && self.pass_passed as f64 >= 0.85 * pass
            && self.fail_caught as f64 >= 0.90 * fail
    }
}

/// `part` of `whole` in percent (0 of nothing is 0 %).
fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pass = self.teacher_pass;
        write!(
            f,
            "agreement {}/{} cells of items 1-10 ({:.1} %); of {pass} teacher-pass cells \
             of items 1-9: {:.1} % failed, {:.1} % passed, {:.1} % review; of {} \
             teacher-fail cells: {:.1} % failed or review",
            self.agree,
            self.cells,
            percent(self.agree, self.cells),
            percent(self.pass_failed, pass),
            percent(self.pass_passed, pass),
            percent(self.pass_review, pass),
            self.teacher_fail,
            percent(self.fail_caught, self.teacher_fail),
        )?;
        if !self.missing.is_empty() {
            write!(f, "; {} cells not given", self.missing.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use Cell::{Fail as F, Pass as P, Review as R};

    /// Cells 1, 2, … from a list.
    fn cells(list: &[Cell]) -> BTreeMap<u8, Cell> {
        (1u8..).zip(list.iter().copied()).collect()
    }

    #[test]
    fn counts_agreement_and_issue_19_figures() {
        let teacher = cells(&[P, P, P, P, F, F, P, P, P, P, R, R]);
        let grader = cells(&[P, F, R, P, F, R, P, P, P, R, R, P]);
        let mut a = Agreement::default();
        a.add("s", &teacher, &grader);
        // items 1-10: 1, 4, 5, 7, 8, 9 agree; 11 and 12 are not scored
        assert_eq!((a.cells, a.agree), (10, 6));
        // teacher passes 1, 2, 3, 4, 7, 8, 9 (10 is outside 1-9)
        assert_eq!(a.teacher_pass, 7);
        assert_eq!((a.pass_failed, a.pass_passed, a.pass_review), (1, 5, 1));
        // teacher fails 5 (grader fail) and 6 (grader review): both caught
        assert_eq!((a.teacher_fail, a.fail_caught), (2, 2));
        assert!(a.missing.is_empty());
        assert!(
            !a.meets_issue_19(),
            "one of seven teacher-pass cells failed"
        );
    }

    #[test]
    fn a_missing_cell_or_student_agrees_with_nothing() {
        let class = RealClass::from_yaml(&yaml_student("s", "2: fail", "2: \"why\"")).unwrap();
        let mut grader = BTreeMap::new();
        let a = Agreement::of_class(&class, &grader);
        assert_eq!((a.cells, a.agree, a.missing.len()), (10, 0, 10));
        assert_eq!((a.pass_passed, a.fail_caught), (0, 0));
        grader.insert("s".to_string(), cells(&[P, P, P]));
        let a = Agreement::of_class(&class, &grader);
        // items 1 and 3 agree (pass); item 2 the teacher fails, the grader passes
        assert_eq!(
            (a.agree, a.pass_passed, a.teacher_fail, a.fail_caught),
            (2, 2, 1, 0)
        );
        assert_eq!(
            a.missing,
            ["s 4", "s 5", "s 6", "s 7", "s 8", "s 9", "s 10"]
        );
        assert!(a.to_string().ends_with("; 7 cells not given"), "{a}");
    }

    #[test]
    fn meets_issue_19_at_its_thresholds() {
        let at = |failed, passed, review, fail, caught| Agreement {
            teacher_pass: 100,
            pass_failed: failed,
            pass_passed: passed,
            pass_review: review,
            teacher_fail: fail,
            fail_caught: caught,
            ..Agreement::default()
        };
        assert!(at(5, 85, 10, 10, 9).meets_issue_19());
        assert!(!at(6, 85, 9, 10, 9).meets_issue_19(), "6 % failed");
        assert!(!at(0, 84, 16, 10, 9).meets_issue_19(), "84 % passed");
        assert!(!at(0, 100, 0, 10, 8).meets_issue_19(), "80 % caught");
        assert!(at(0, 100, 0, 0, 0).meets_issue_19(), "no teacher-fail cell");
    }

    #[test]
    fn displays_the_figures() {
        let teacher = cells(&[P, F, P, P, P, P, P, P, P, P, R, R]);
        let mut a = Agreement::default();
        a.add("s", &teacher, &teacher);
        assert_eq!(
            a.to_string(),
            "agreement 10/10 cells of items 1-10 (100.0 %); of 8 teacher-pass cells of \
             items 1-9: 0.0 % failed, 100.0 % passed, 0.0 % review; of 1 teacher-fail \
             cells: 100.0 % failed or review"
        );
    }

    /// A one-student expected.yaml whose cells are all pass but `cell`.
    fn yaml_student(name: &str, cell: &str, why: &str) -> String {
        let mut teacher: BTreeMap<u8, String> =
            (1..=10).map(|i| (i, format!("{i}: pass"))).collect();
        teacher.insert(11, "11: review".into());
        teacher.insert(12, "12: review".into());
        let (item, _) = cell.split_once(':').unwrap();
        teacher.insert(item.parse().unwrap(), cell.into());
        let cells: Vec<String> = teacher.into_values().collect();
        format!(
            "students:\n  {name}:\n    patterns: [binds-all]\n    discover:\n      \
             server: {{ file: server.py, lang: python3 }}\n      \
             clients: [{{ file: client.py, lang: python3 }}]\n      name_from: stdin\n      \
             name_when: after-greeting\n      binds: \"'':12000\"\n      \
             listens: \"0.0.0.0:12000\"\n      dials: \"10.0.0.1:12000\"\n      \
             syn_to: \"10.0.0.1:12000\"\n      sends: typed\n    \
             teacher: {{{}}}\n    why: {{11: a, 12: b, {why}}}\n",
            cells.join(", ")
        )
    }

    fn folder(files: &[&str]) -> BTreeSet<String> {
        files.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn problems_name_each_fault_of_the_file() {
        let class = RealClass::from_yaml(&yaml_student("s", "3: fail", "4: \"x\"")).unwrap();
        let mut folders = BTreeMap::from([("s".to_string(), folder(&["server.py"]))]);
        folders.insert("t".into(), folder(&[]));
        assert_eq!(
            class.problems(&folders),
            [
                "t: a folder that expected.yaml does not list",
                "s: discover names client.py, which is not in the folder",
                "s: item 3 is fail without a why",
            ]
        );
        let class = RealClass::from_yaml(&yaml_student("s", "12: pass", "3: \"x\"")).unwrap();
        let folders = BTreeMap::from([("s".to_string(), folder(&["server.py", "client.py"]))]);
        assert_eq!(
            class.problems(&folders),
            ["s: item 12 is a person's to judge (review)"]
        );
    }

    #[test]
    fn a_misspelt_field_is_an_error_with_its_place() {
        let text = yaml_student("s", "3: fail", "3: \"x\"").replace("name_from", "name_form");
        let error = RealClass::from_yaml(&text).unwrap_err().to_string();
        assert!(
            error.contains("name_form") && error.contains("line"),
            "{error}"
        );
    }

    /// The reality test set itself: every folder listed and every listed
    /// student a folder holding the programs named, all twelve cells, a why
    /// for every cell that is not a pass.
    #[test]
    fn tests_class_real_expected_yaml_is_complete() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/class-real");
        let text = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
        let class = RealClass::from_yaml(&text).unwrap_or_else(|e| panic!("expected.yaml: {e}"));
        let mut folders = BTreeMap::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_dir() {
                let files = std::fs::read_dir(entry.path()).unwrap();
                let files = files.map(|f| f.unwrap().file_name().to_string_lossy().into_owned());
                folders.insert(
                    entry.file_name().to_string_lossy().into_owned(),
                    files.collect(),
                );
            }
        }
        assert!(folders.len() >= 18, "{} students", folders.len());
        assert_eq!(class.problems(&folders), Vec::<String>::new());
        // the teacher agrees with itself, and the class fails some cells
        let own: BTreeMap<_, _> = class
            .students
            .iter()
            .map(|(n, s)| (n.clone(), s.teacher.clone()))
            .collect();
        let a = Agreement::of_class(&class, &own);
        assert_eq!((a.agree, a.cells), (a.cells, 10 * class.students.len()));
        assert!(a.teacher_fail > 0 && a.meets_issue_19(), "{a}");
    }
}
