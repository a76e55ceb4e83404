//! `class.html`: the instructor's view of a graded class, one static page
//! in the grade's directory (linked from `gradebook.md`), a pure function
//! of the grade. It opens from disk and from a CI artifact: its script
//! and style are inline, and its Content-Security-Policy lets it fetch
//! nothing at all.
//!
//! What it shows, top to bottom: the scores' distribution ([`histogram`],
//! with mean, median, spread); each rubric item's pass / fail / review
//! counts and its most common reasons ([`items`]); the students, sortable
//! and filterable by score or by item, each linked to their report and to
//! a run's sequence diagram and timeline, with the time their runs took
//! ([`students`]); what grading adapted to, or found could not run,
//! counted per kind ([`adapted`]); the similarity check's pairs (evidence
//! for a person, never a grade); and the grade's history of regrades.

use std::fmt::Write as _;

use super::regrade::Entry;
use super::similarity::{html as similarity_html, Report};
use super::{book::number, GradeSummary};

pub mod adapted;
pub mod histogram;
pub mod items;
pub mod students;

pub use similarity_html::esc;

/// What the page shows besides the grade itself.
#[derive(Clone, Copy, Default)]
pub struct Extras<'a> {
    /// The similarity check, its pages under `similarity/`.
    pub similarity: Option<&'a Report>,
    /// Regrades of the grade, oldest first.
    pub history: &'a [Entry],
}

/// A relative link, each path segment percent-encoded (a student's folder
/// may be called anything) and escaped for an attribute.
pub fn href(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    esc(&out)
}

/// The page's files: `class.html`, and the exports (`canvas.csv`,
/// `points.csv`) it links to.
pub fn files(summary: &GradeSummary, facts: &str, extras: Extras) -> Vec<(String, String)> {
    vec![
        ("class.html".into(), class_page(summary, facts, extras)),
        ("canvas.csv".into(), super::export::canvas(summary)),
        ("points.csv".into(), super::export::points(summary)),
    ]
}

/// Mean, median, least, most and standard deviation of `scores`.
pub fn stats(scores: &[f64]) -> Option<[f64; 5]> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let mean = scores.iter().sum::<f64>() / n;
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    };
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
    Some([
        mean,
        median,
        sorted[0],
        sorted[sorted.len() - 1],
        var.sqrt(),
    ])
}

/// The whole page.
pub fn class_page(summary: &GradeSummary, facts: &str, extras: Extras) -> String {
    let n = summary.students.len();
    let title = format!("Class: {n} student{}", if n == 1 { "" } else { "s" });
    let mut out = similarity_html::head(&title, include_str!("class.css"), true);
    let _ = writeln!(out, "<body>\n<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        out,
        "<p class=\"facts\">{}</p>",
        esc(&facts.replace("**", ""))
    );
    out.push_str("<nav><a href=\"gradebook.md\">gradebook.md</a><a href=\"gradebook.csv\">gradebook.csv</a><a href=\"canvas.csv\">canvas.csv</a><a href=\"points.csv\">points.csv</a><a href=\"summary.json\">summary.json</a>");
    if extras.similarity.is_some() {
        out.push_str("<a href=\"similarity/index.html\">similarity</a>");
    }
    out.push_str("</nav>\n");
    out.push_str(&distribution(summary));
    out.push_str("<h2 id=\"items\">Items</h2>\n");
    out.push_str(&items::table(&summary.students));
    out.push_str("<h2 id=\"students-title\">Students</h2>\n");
    out.push_str(&students::table(&summary.students));
    out.push_str(&adapted::section(&summary.students));
    out.push_str(&similarity_section(extras.similarity));
    out.push_str(&history_section(extras.history));
    let _ = writeln!(
        out,
        "<script>\n{}</script>\n</body>\n</html>",
        include_str!("class.js")
    );
    out
}

fn distribution(summary: &GradeSummary) -> String {
    let scores: Vec<f64> = summary.students.iter().map(|s| s.score).collect();
    let max = summary
        .students
        .iter()
        .map(|s| s.max_score)
        .fold(0.0, f64::max);
    let mut out = String::from("<h2 id=\"distribution\">Scores</h2>\n");
    if let Some([mean, median, lo, hi, sd]) = stats(&scores) {
        let _ = writeln!(
            out,
            "<table class=\"stats\"><tr><th>Students</th><th>Mean</th><th>Median</th><th>Lowest</th><th>Highest</th><th>Std. dev.</th><th>Out of</th></tr>\
             <tr><td data-stat=\"count\">{}</td><td data-stat=\"mean\">{mean:.1}</td><td data-stat=\"median\">{}</td><td data-stat=\"min\">{}</td><td data-stat=\"max\">{}</td><td data-stat=\"sd\">{sd:.1}</td><td>{}</td></tr></table>",
            scores.len(),
            number(median),
            number(lo),
            number(hi),
            number(max)
        );
    }
    out.push_str(&histogram::svg(&scores, max));
    out.push_str("<p class=\"legend\">The points of the items a person still has to grade (11 and 12, and any sent to review) are not in these scores.</p>\n");
    out
}

fn similarity_section(report: Option<&Report>) -> String {
    let mut out = String::from("<h2 id=\"similarity\">Similar submissions</h2>\n");
    match report {
        Some(r) => {
            let _ = writeln!(
                out,
                "<p class=\"note\">{}</p>",
                esc(similarity_html::EVIDENCE_NOT_VERDICT)
            );
            out.push_str(&similarity_html::table(r, "similarity/"));
        }
        None => out.push_str("<p>The similarity check was not run for this grade.</p>\n"),
    }
    out
}

fn history_section(history: &[Entry]) -> String {
    if history.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2 id=\"history\">History</h2>\n<table class=\"history\">\n<thead><tr><th>When (UTC)</th><th>What</th><th>Students: score before → after</th><th>Kept</th></tr></thead>\n<tbody>\n");
    for e in history {
        let changes: Vec<String> = e
            .students
            .iter()
            .map(|c| {
                format!(
                    "{}: {} → {}",
                    esc(&c.student),
                    c.before.map(number).unwrap_or_else(|| "new".into()),
                    number(c.after)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">{}</a></td></tr>",
            esc(&e.when_utc),
            esc(&e.what),
            changes.join("; "),
            href(&format!("{}/", e.dir)),
            esc(&e.dir)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

#[cfg(test)]
mod tests;
