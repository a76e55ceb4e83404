//! What grading had to adapt to, or found could not run, counted per
//! kind over the class: the network adapted to where a server listened or
//! a client dialed (each run's adaptations), programs that cannot run as
//! handed in (what discovery found: a syntax error, Python 2 without an
//! interpreter, code for Windows), builds that failed, programs missing,
//! programs that crashed at their start, runs that deadlocked. Each kind
//! with how many students and runs, and one example, so that an
//! instructor sees which of the class's habits the grading met.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{esc, href};
use crate::orchestrator::grade::StudentGrade;

/// One kind, over the class.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kind {
    pub label: &'static str,
    pub students: Vec<String>,
    /// Runs it happened in (0 for what is found before any run).
    pub runs: usize,
    /// The first student's, as it was said.
    pub example: String,
}

/// The label of an adaptation's kind (`Adaptation::kind`).
fn adaptation_label(kind: &str) -> &'static str {
    match kind {
        "server-listens" => "the server listened elsewhere: connections were routed to it",
        "client-dials" => "a client dialed elsewhere: its connection was routed to the server",
        "not-adapted" => "the network could not be adapted",
        _ => "another adaptation",
    }
}

/// The kinds met so far, by key (the table's order).
#[derive(Default)]
struct Tally(BTreeMap<String, Kind>);

impl Tally {
    fn note(
        &mut self,
        key: &str,
        label: &'static str,
        student: &str,
        runs: usize,
        example: String,
    ) {
        let k = self.0.entry(key.to_string()).or_insert_with(|| Kind {
            label,
            example,
            ..Kind::default()
        });
        if !k.students.iter().any(|s| s == student) {
            k.students.push(student.to_string());
        }
        k.runs += runs;
    }

    /// What a student's runs showed.
    fn runs(&mut self, s: &StudentGrade) {
        for r in &s.runs {
            for a in &r.facts.adaptations {
                let kind = a.kind();
                let key = format!("1 {kind}");
                self.note(&key, adaptation_label(kind), &s.student, 1, a.to_string());
            }
            for (id, said) in &r.facts.crashed {
                let label = "a program crashed at its start";
                self.note("5 crashed", label, &s.student, 1, format!("{id}: {said}"));
            }
            if let Some(d) = &r.facts.deadlock {
                self.note("6 deadlock", "a run deadlocked", &s.student, 1, d.clone());
            }
        }
    }

    /// What was found in a student's folder before anything ran.
    fn folder(&mut self, s: &StudentGrade) {
        for p in &s.discovered.problems {
            let label = "a program cannot run as handed in";
            self.note("2 problem", label, &s.student, 0, p.clone());
        }
        for b in s.discovered.builds.iter().filter(|b| !b.ok) {
            let label = "a C or C++ program did not build";
            self.note(
                "3 build",
                label,
                &s.student,
                0,
                b.program.display().to_string(),
            );
        }
        for m in &s.missing {
            self.note("4 missing", "no program to run", &s.student, 0, m.clone());
        }
    }
}

/// Every kind met, in the order of the table.
pub fn kinds(students: &[StudentGrade]) -> Vec<Kind> {
    let mut tally = Tally::default();
    for s in students {
        tally.runs(s);
        tally.folder(s);
    }
    tally.0.into_values().collect()
}

/// The section: a table of the kinds met, or a line saying there were none.
pub fn section(students: &[StudentGrade]) -> String {
    let mut out = String::from("<h2 id=\"adapted\">Adapted, or could not run</h2>\n");
    let kinds = kinds(students);
    if kinds.is_empty() {
        out.push_str("<p>Nothing was adapted: every program ran as handed in.</p>\n");
        return out;
    }
    out.push_str("<table class=\"adapted\">\n<thead><tr><th>What</th><th>Students</th><th>Runs</th><th>For example</th></tr></thead>\n<tbody>\n");
    for k in &kinds {
        let who: Vec<String> = k
            .students
            .iter()
            .map(|s| {
                format!(
                    "<a href=\"{}\">{}</a>",
                    href(&format!("{s}/report.md")),
                    esc(s)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr data-kind=\"{}\" data-students=\"{}\" data-runs=\"{}\"><td>{}</td><td><b>{}</b>: {}</td><td class=\"num\">{}</td><td><code>{}</code></td></tr>",
            esc(k.label),
            k.students.len(),
            k.runs,
            esc(k.label),
            k.students.len(),
            who.join(", "),
            if k.runs == 0 { "—".to_string() } else { k.runs.to_string() },
            esc(&k.example)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::event::Adaptation;
    use crate::orchestrator::grade::fixtures::student;

    #[test]
    fn each_kind_is_counted_by_students_and_runs_with_an_example() {
        let mut ann = student("ann", &[]);
        let listens = Adaptation::ServerListens {
            listen: "127.0.0.1:5000".into(),
            reached_as: "h1 (10.0.0.1:5000)".into(),
        };
        ann.runs[0].facts.adaptations = vec![listens.clone()];
        ann.runs[1].facts.adaptations = vec![listens];
        let mut bob = student("bob", &[1, 2]);
        bob.runs[0].facts.adaptations = vec![Adaptation::NotAdapted {
            why: "a listener on an IPv6 address".into(),
        }];
        bob.discovered.problems = vec!["client.py:3:1: a zero-width space".into()];
        bob.missing = vec!["no client".into()];
        let kinds = kinds(&[ann, bob, student("cy", &[])]);
        let rows: Vec<(&str, Vec<&str>, usize)> = kinds
            .iter()
            .map(|k| {
                (
                    k.label,
                    k.students.iter().map(String::as_str).collect(),
                    k.runs,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("the network could not be adapted", vec!["bob"], 1),
                (
                    "the server listened elsewhere: connections were routed to it",
                    vec!["ann"],
                    2
                ),
                ("a program cannot run as handed in", vec!["bob"], 0),
                ("no program to run", vec!["bob"], 0),
            ]
        );
        assert!(
            kinds[1].example.contains("127.0.0.1:5000"),
            "{}",
            kinds[1].example
        );
        let text = section(&[student("cy", &[])]);
        assert!(text.contains("every program ran as handed in"));
    }
}
