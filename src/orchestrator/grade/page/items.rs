//! The rubric's items across the class: for each, how many students
//! passed, failed or were sent to a person, and the most common reasons
//! — the verdicts' own evidence (check, expected, observed) grouped, each
//! group with the students it holds for. What the class got wrong, at a
//! glance.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{esc, href};
use crate::orchestrator::grade::book::number;
use crate::orchestrator::grade::rubric::{Cell, ITEMS};
use crate::orchestrator::grade::StudentGrade;

/// How many reasons an item shows (the rest are counted).
pub const REASONS_SHOWN: usize = 5;

/// One item's counts over the class.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub review: usize,
    pub not_applicable: usize,
}

/// Each item's counts, items 1–12 in order.
pub fn counts(students: &[StudentGrade]) -> Vec<Counts> {
    let mut out = vec![Counts::default(); ITEMS.len()];
    for s in students {
        for (i, item) in s.items.iter().enumerate().take(ITEMS.len()) {
            let c = &mut out[i];
            match item.cell {
                Cell::Pass => c.pass += 1,
                Cell::Fail => c.fail += 1,
                Cell::Review => c.review += 1,
                Cell::NotApplicable => c.not_applicable += 1,
            }
        }
    }
    out
}

/// A reason an item was not passed, and whose.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    /// `fail` or `review`.
    pub cell: Cell,
    /// The check that failed, when the item rests on one.
    pub check: Option<String>,
    /// An example: what the check expected and observed (the first
    /// student's first run), or, for an item without evidence (a
    /// person's, a missing program), why it was not passed.
    pub text: String,
    pub students: Vec<String>,
}

/// What reasons are grouped by: the check, or for an item without
/// evidence its why with the numbers taken out (`2 files, 89 lines`).
fn group_key(check: &Option<String>, why: &str) -> String {
    match check {
        Some(c) => c.clone(),
        None => why
            .split(|c: char| c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("#"),
    }
}

/// The reasons of item `index` (0-based) not passed — the failed checks'
/// evidence grouped by check, across every run of every student — most
/// students first.
pub fn reasons(students: &[StudentGrade], index: usize) -> Vec<Reason> {
    let mut groups: BTreeMap<(u8, String), Reason> = BTreeMap::new();
    for s in students {
        let Some(item) = s.items.get(index) else {
            continue;
        };
        let (order, cell) = match item.cell {
            Cell::Pass | Cell::NotApplicable => continue,
            Cell::Fail => (0, Cell::Fail),
            Cell::Review => (1, Cell::Review),
        };
        let mut found: Vec<(Option<String>, String)> = item
            .evidence
            .iter()
            .map(|e| {
                (
                    Some(e.check.clone()),
                    format!("expected {}, observed {}", e.expected, e.observed),
                )
            })
            .collect();
        if found.is_empty() {
            found.push((None, item.why.clone()));
        }
        for (check, text) in found {
            let key = (order, group_key(&check, &text));
            let reason = groups.entry(key).or_insert_with(|| Reason {
                cell,
                check,
                text,
                students: Vec::new(),
            });
            if !reason.students.contains(&s.student) {
                reason.students.push(s.student.clone());
            }
        }
    }
    let mut out: Vec<Reason> = groups.into_values().collect();
    out.sort_by_key(|r| (std::cmp::Reverse(r.students.len()), r.cell != Cell::Fail));
    out
}

/// The items' table: counts as numbers and a bar, the reasons under each.
pub fn table(students: &[StudentGrade]) -> String {
    let counts = counts(students);
    let total = students.len().max(1);
    let mut out = String::from(
        "<table class=\"items\">\n<thead><tr><th>Item</th><th>Points</th><th>Pass</th><th>Fail</th><th>Review</th><th>n/a</th><th>Of the class</th><th>Most common reasons</th></tr></thead>\n<tbody>\n",
    );
    for (i, (item, c)) in ITEMS.iter().zip(&counts).enumerate() {
        let points = students
            .first()
            .and_then(|s| s.items.get(i))
            .map(|r| number(r.max_points))
            .unwrap_or_default();
        let bar = |n: usize, class: &str| {
            format!(
                "<span class=\"{class}\" style=\"width:{:.1}%\"></span>",
                100.0 * n as f64 / total as f64
            )
        };
        let _ = writeln!(
            out,
            "<tr data-item=\"{}\" data-pass=\"{}\" data-fail=\"{}\" data-review=\"{}\" data-na=\"{}\"><td><b>{}</b> {}</td><td class=\"num\">{points}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td><span class=\"stack\">{}{}{}</span></td><td>{}</td></tr>",
            item.number,
            c.pass,
            c.fail,
            c.review,
            c.not_applicable,
            item.number,
            esc(item.title),
            c.pass,
            c.fail,
            c.review,
            c.not_applicable,
            bar(c.pass, "pass"),
            bar(c.fail, "fail"),
            bar(c.review, "review"),
            reasons_cell(&reasons(students, i))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn reasons_cell(reasons: &[Reason]) -> String {
    if reasons.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<details><summary>{} reason{}</summary><ol class=\"reasons\">",
        reasons.len(),
        if reasons.len() == 1 { "" } else { "s" }
    );
    for r in reasons.iter().take(REASONS_SHOWN) {
        let who: Vec<String> = r
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
        let _ = write!(
            out,
            "<li class=\"{}\">{}{} — <b>{}</b> student{}: {}</li>",
            r.cell.word(),
            r.check
                .as_deref()
                .map(|c| format!("<code>{}</code> failed; e.g. ", esc(c)))
                .unwrap_or_default(),
            esc(&r.text),
            r.students.len(),
            if r.students.len() == 1 { "" } else { "s" },
            who.join(", ")
        );
    }
    out.push_str("</ol>");
    if reasons.len() > REASONS_SHOWN {
        let _ = write!(
            out,
            "<p>and {} more (each student's report has them all)</p>",
            reasons.len() - REASONS_SHOWN
        );
    }
    out.push_str("</details>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::fixtures::student;

    #[test]
    fn counts_and_reasons_are_the_classs_grouped_by_evidence() {
        let mut carl = student("carl", &[6, 8]);
        carl.items[7].evidence[0].observed = "something else".into();
        carl.items[11].why = "a person reads 3 files".into();
        let mut ann = student("ann", &[]);
        ann.items[11].why = "a person reads 12 files".into();
        let class = [ann, student("bob", &[8]), carl];
        let c = counts(&class);
        assert_eq!(
            (c[7].pass, c[7].fail, c[7].review),
            (1, 2, 0),
            "item 8: bob and carl fail"
        );
        assert_eq!((c[10].pass, c[10].review), (0, 3), "item 11 is a person's");
        let r = reasons(&class, 7);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].check.as_deref(), Some("check.8"));
        assert_eq!(
            r[0].text,
            "expected what was expected, observed what was seen"
        );
        assert_eq!(r[0].students, ["bob", "carl"]);
        // Without evidence, the reason is why, its numbers aside.
        let r = reasons(&class, 10);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].text, "why item 11 is not a pass");
        assert_eq!(r[0].students.len(), 3);
        let r = reasons(&class, 11);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].students, ["ann", "carl"]);
        assert_eq!(r[0].text, "a person reads 12 files");
        assert_eq!(r[0].cell, Cell::Review);
        assert_eq!(r[1].students, ["bob"]);
        assert!(reasons(&class, 0).is_empty());
    }
}
