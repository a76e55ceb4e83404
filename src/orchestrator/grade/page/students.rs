//! The students' table: a row per student with the score, the twelve
//! cells, how long the student's runs took, and links to the report and
//! to one run's sequence diagram and timeline (the first run that failed,
//! else the student's pair as handed in). Every value a script sorts or
//! filters by is in a `data-` attribute of the row; the table reads the
//! same without the script, in name order.

use std::fmt::Write as _;

use super::{esc, href};
use crate::orchestrator::grade::book::number;
use crate::orchestrator::grade::rubric::{Cell, ITEMS};
use crate::orchestrator::grade::{GradedRun, Pairing, StudentGrade};

/// How long a student's runs took, attempts included, in seconds.
pub fn grading_s(s: &StudentGrade) -> f64 {
    s.runs.iter().map(|r| r.duration_ms).sum::<f64>() / 1000.0
}

/// The run a student's row links to: the first that failed, else the pair
/// as handed in, else the first.
pub fn featured(s: &StudentGrade) -> Option<&GradedRun> {
    s.runs
        .iter()
        .find(|r| !r.passed && r.dir.is_some())
        .or_else(|| {
            s.runs
                .iter()
                .find(|r| r.pairing == Pairing::Pair && r.dir.is_some())
        })
        .or_else(|| s.runs.iter().find(|r| r.dir.is_some()))
}

fn symbol(cell: Cell) -> &'static str {
    match cell {
        Cell::Pass => "✓",
        Cell::Fail => "✗",
        Cell::Review => "?",
        Cell::NotApplicable => "–",
    }
}

/// The filter controls and the table.
pub fn table(students: &[StudentGrade]) -> String {
    let mut out = String::from(
        "<div class=\"controls\">\n<label>Student <input id=\"q\" type=\"search\" placeholder=\"part of a name\"></label>\n<label>Item <select id=\"item\"><option value=\"\">any</option>",
    );
    for item in &ITEMS {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", item.number);
    }
    out.push_str("</select></label>\n<label>is <select id=\"cell\"><option value=\"\">anything</option><option>pass</option><option>fail</option><option>review</option></select></label>\n<label>Score at least <input id=\"min\" type=\"number\" min=\"0\" step=\"any\"></label>\n<span id=\"shown\"></span>\n</div>\n");
    out.push_str("<table id=\"students\">\n<thead><tr><th data-sort=\"student\">Student</th><th data-sort=\"score\" class=\"num\">Score</th>");
    for item in &ITEMS {
        let _ = write!(
            out,
            "<th data-sort=\"item{0}\" title=\"{1}\">{0}</th>",
            item.number,
            esc(item.title)
        );
    }
    out.push_str("<th data-sort=\"time\" class=\"num\">Grading time</th><th>Runs</th></tr></thead>\n<tbody>\n");
    for s in students {
        out.push_str(&row(s));
    }
    out.push_str("</tbody>\n</table>\n<p class=\"legend\">✓ pass · ✗ fail · ? a person reviews it (no points until then) · – not applicable. Click a column's title to sort by it.</p>\n");
    out
}

fn row(s: &StudentGrade) -> String {
    let time = grading_s(s);
    let mut out = format!(
        "<tr data-student=\"{}\" data-score=\"{}\" data-max=\"{}\" data-time=\"{time:.3}\"",
        esc(&s.student),
        number(s.score),
        number(s.max_score)
    );
    for item in &s.items {
        let _ = write!(out, " data-item{}=\"{}\"", item.item, item.cell.word());
    }
    let _ = write!(
        out,
        "><td><a href=\"{}\">{}</a>{}</td><td class=\"num\">{} / {}</td>",
        href(&format!("{}/report.md", s.student)),
        esc(&s.student),
        if s.missing.is_empty() {
            String::new()
        } else {
            format!(
                " <span class=\"missing\" title=\"the submission lacks {}\">(lacks {})</span>",
                esc(&s.missing.join(", ")),
                esc(&s.missing.join(", "))
            )
        },
        number(s.score),
        number(s.max_score)
    );
    for item in &s.items {
        let _ = write!(
            out,
            "<td class=\"cell {}\" title=\"{}\">{}</td>",
            item.cell.word().replace('/', ""),
            esc(&item.why),
            symbol(item.cell)
        );
    }
    let time_text = if time > 0.0 {
        format!("{time:.1} s")
    } else {
        "—".to_string()
    };
    let _ = write!(out, "<td class=\"num\">{time_text}</td><td>");
    if let Some(r) = featured(s) {
        let dir = r.dir.as_deref().expect("a featured run has a directory");
        let _ = write!(
            out,
            "{} {}: <a href=\"{}\">sequence diagram</a> · <a href=\"{}\">timeline</a>",
            r.pairing.word(),
            esc(&r.case),
            href(&format!("{dir}/report.md")) + "#what-happened",
            href(&format!("{dir}/timeline.svg"))
        );
    }
    out.push_str("</td></tr>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::fixtures::student;

    #[test]
    fn a_row_carries_what_is_sorted_and_filtered_by_and_links_the_runs() {
        let mut bob = student("bob <b>&", &[8]);
        bob.runs[0].passed = false;
        let text = row(&bob);
        assert!(text.starts_with("<tr data-student=\"bob &lt;b&gt;&amp;\" data-score=\"60\" data-max=\"100\" data-time=\"3.000\" data-item1=\"pass\""), "{text}");
        assert!(text.contains(" data-item8=\"fail\" "), "{text}");
        assert!(
            text.contains("href=\"bob%20%3Cb%3E%26/report.md\""),
            "{text}"
        );
        assert!(text.contains("server case2: <a href=\"runs/bob%20%3Cb%3E%26-server-case2/report.md#what-happened\">sequence diagram</a>"), "{text}");
        assert!(text.contains("<td class=\"num\">3.0 s</td>"), "{text}");
        // All passed: the pair's run is the one linked.
        let ann = student("ann", &[]);
        assert_eq!(featured(&ann).unwrap().pairing, Pairing::Pair);
    }
}
