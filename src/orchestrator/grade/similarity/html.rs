//! The similarity check for a person to read: a page per pair worth a
//! look (the two submissions side by side, each matching region in its
//! own colour on both sides, numbered, with a table of the regions'
//! lines), the table of pairs the class page and `similarity/index.html`
//! show, and `similarity.csv` with every pair. Pages are static HTML:
//! no script, nothing fetched (a Content-Security-Policy says so to the
//! browser), so they open from disk and from a CI artifact.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::{Doc, Pair, Report};
use crate::orchestrator::grade::book::csv_field;
use crate::orchestrator::grade::plan::slug;

/// How many pairs that are not flagged the table shows too, best first, so
/// that a person sees how far the others are from a flag.
pub const UNFLAGGED_SHOWN: usize = 10;

/// What every page of the similarity check says of itself.
pub const EVIDENCE_NOT_VERDICT: &str = "Similarity is evidence for a person to read, never a verdict: \
     a flag changes no grade. Code that everyone writes alike (the socket calls, a skeleton handed out) \
     is left out of the comparison; what matches is the same program shape with names, comments and \
     layout ignored.";

/// The pairs the table shows (flagged, then the best others) with the
/// name of each one's page under `similarity/`.
pub fn shown(report: &Report) -> Vec<(&Pair, String)> {
    let mut names: Vec<String> = Vec::new();
    let flagged = report.pairs.iter().filter(|p| p.flagged);
    let others = report
        .pairs
        .iter()
        .filter(|p| !p.flagged)
        .take(UNFLAGGED_SHOWN);
    flagged
        .chain(others)
        .map(|p| {
            let mut name = format!("{}--{}.html", slug(&p.a), slug(&p.b));
            if names.contains(&name) {
                name = format!("{}--{}-{}.html", slug(&p.a), slug(&p.b), names.len());
            }
            names.push(name.clone());
            (p, name)
        })
        .collect()
}

/// Every file the similarity check writes under `similarity/` (relative
/// to it): a page per pair shown, and `index.html`.
pub fn files(report: &Report, docs: &[&Doc]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = shown(report)
        .into_iter()
        .map(|(p, name)| (name, pair_page(p, docs)))
        .collect();
    out.push(("index.html".into(), index(report)));
    out
}

pub fn esc(s: &str) -> String {
    escape(s).into_owned()
}

/// `97%`
pub fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The head of a page: its policy (nothing fetched, no script unless
/// `script`), title and style.
pub fn head(title: &str, style: &str, script: bool) -> String {
    let scripts = if script {
        "script-src 'unsafe-inline'; "
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; {scripts}style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{style}</style>\n</head>\n",
        esc(title)
    )
}

/// The table of pairs shown, each linked to its page under `prefix`
/// (`similarity/` from the grade's directory, empty from the index).
pub fn table(report: &Report, prefix: &str) -> String {
    let shown = shown(report);
    let mut out = String::new();
    let flagged = report.pairs.iter().filter(|p| p.flagged).count();
    let _ = writeln!(
        out,
        "<p>{} submission{} compared ({} pair{} with a matching region, <strong>{flagged} flagged</strong> at {} or more) in {:.0} ms.</p>",
        report.submissions.iter().filter(|s| !s.reference).count(),
        if report.submissions.len() == 1 { "" } else { "s" },
        report.pairs.len(),
        if report.pairs.len() == 1 { "" } else { "s" },
        percent(report.params.flag_at),
        report.duration_ms
    );
    if shown.is_empty() {
        out.push_str("<p>No two submissions share a region long enough to show.</p>\n");
        return out;
    }
    out.push_str("<table class=\"pairs\">\n<thead><tr><th>Submission</th><th>Alike</th><th>Score</th><th>Share of each</th><th>Regions</th><th></th></tr></thead>\n<tbody>\n");
    for (p, page) in shown {
        let _ = writeln!(
            out,
            "<tr class=\"{}\" data-a=\"{}\" data-b=\"{}\" data-score=\"{:.4}\"><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{} · {}</td><td class=\"num\">{}</td><td><a href=\"{}\">side by side</a></td></tr>",
            if p.flagged { "flagged" } else { "" },
            esc(&p.a),
            esc(&p.b),
            p.score,
            esc(&p.a),
            esc(&p.b),
            if p.reference { " <em>(reference)</em>" } else { "" },
            percent(p.score),
            percent(p.cover_a),
            percent(p.cover_b),
            p.regions.len(),
            esc(&format!("{prefix}{page}"))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

const STYLE: &str = "body { font-family: DejaVu Sans, Verdana, Arial, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; }
td.num { text-align: right; }
tr.flagged td { background: #fde2e1; }
.note { background: #f4f4f4; border-left: 4px solid #888; padding: 0.5em 0.8em; max-width: 60em; }
.sides { display: flex; gap: 1em; align-items: flex-start; }
.side { flex: 1; min-width: 0; }
pre { font-family: DejaVu Sans Mono, Menlo, Consolas, monospace; font-size: 12px; line-height: 1.35; overflow-x: auto; border: 1px solid #ddd; padding: 0.3em 0; }
pre span.l { display: block; white-space: pre; padding-right: 0.5em; }
pre span.n { display: inline-block; width: 3.5em; color: #888; text-align: right; padding-right: 0.6em; user-select: none; }
pre span.t { display: inline-block; width: 2.2em; color: #555; font-weight: bold; }
";

/// Region colours, by region number (cycled).
const COLOURS: [&str; 8] = [
    "#ffd8a8", "#b2f2bb", "#a5d8ff", "#eebefa", "#ffec99", "#99e9f2", "#ffc9c9", "#d0bfff",
];

/// `similarity/index.html`: the table, on its own.
pub fn index(report: &Report) -> String {
    let mut out = head("Similarity of the submissions", STYLE, false);
    out.push_str("<body>\n<h1>Similarity of the submissions</h1>\n");
    let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(EVIDENCE_NOT_VERDICT));
    out.push_str(&table(report, ""));
    out.push_str(&params_line(report));
    out.push_str("</body>\n</html>\n");
    out
}

fn params_line(report: &Report) -> String {
    let p = &report.params;
    format!(
        "<p class=\"params\">Winnowing with k = {} tokens (shorter matches are noise), windows of {} (any match of {} tokens or more is found); matches under {} tokens dropped; code held by more than {} students' submissions is common ground between students, by more than {} against a reference.</p>\n",
        p.k,
        p.w,
        p.w + p.k - 1,
        p.min_run,
        report.common,
        report.reference_common
    )
}

/// The page of one pair: the regions' table, then both sides.
fn pair_page(p: &Pair, docs: &[&Doc]) -> String {
    let title = format!("{} and {}: {} alike", p.a, p.b, percent(p.score));
    let mut out = head(&title, STYLE, false);
    let _ = writeln!(out, "<body>\n<h1>{}</h1>", esc(&title));
    let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(EVIDENCE_NOT_VERDICT));
    let _ = writeln!(
        out,
        "<p>{} of {}'s tokens and {} of {}'s lie in the {} matching region{} below{}{}.</p>",
        percent(p.cover_a),
        esc(&p.a),
        percent(p.cover_b),
        esc(&p.b),
        p.regions.len(),
        if p.regions.len() == 1 { "" } else { "s" },
        if p.reference {
            format!("; {} is a known public solution", esc(&p.b))
        } else {
            String::new()
        },
        if p.flagged { " — flagged" } else { "" },
    );
    out.push_str("<table class=\"regions\">\n<thead><tr><th>#</th><th>");
    let _ = write!(
        out,
        "{}</th><th>{}</th><th>Tokens</th></tr></thead>\n<tbody>\n",
        esc(&p.a),
        esc(&p.b)
    );
    for (i, r) in p.regions.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr><td style=\"background:{}\">{}</td><td><a href=\"#a-{}\">{} lines {}–{}</a></td><td><a href=\"#b-{}\">{} lines {}–{}</a></td><td class=\"num\">{}</td></tr>",
            COLOURS[i % COLOURS.len()],
            i + 1,
            i + 1,
            esc(&r.a.file),
            r.a.first_line,
            r.a.last_line,
            i + 1,
            esc(&r.b.file),
            r.b.first_line,
            r.b.last_line,
            r.tokens
        );
    }
    out.push_str("</tbody>\n</table>\n<div class=\"sides\">\n");
    let files = |name: &str| -> &[super::SourceFile] {
        docs.iter()
            .find(|d| d.name == name)
            .map(|d| d.files.as_slice())
            .unwrap_or(&[])
    };
    out.push_str(&side(p, "a", &p.a, files(&p.a)));
    out.push_str(&side(p, "b", &p.b, files(&p.b)));
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

/// One side of a pair's page: every file, each line coloured by the
/// first (largest) region it lies in, the region's first line anchored.
fn side(p: &Pair, which: &str, name: &str, files: &[super::SourceFile]) -> String {
    let mut out = format!("<div class=\"side\">\n<h2>{}</h2>\n", esc(name));
    for f in files {
        let (path, text) = (&f.path, &f.text);
        let spans: Vec<(usize, u32, u32)> = p
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| if which == "a" { (i, &r.a) } else { (i, &r.b) })
            .filter(|(_, s)| &s.file == path)
            .map(|(i, s)| (i, s.first_line, s.last_line))
            .collect();
        let _ = writeln!(out, "<h3>{}</h3>\n<pre>", esc(path));
        for (n, line) in text.lines().enumerate() {
            let n = n as u32 + 1;
            let region = spans.iter().find(|(_, f, l)| (*f..=*l).contains(&n));
            match region {
                Some(&(i, first, _)) => {
                    let anchor = if first == n {
                        format!(" id=\"{which}-{}\"", i + 1)
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        out,
                        "<span class=\"l\"{anchor} style=\"background:{}\"><span class=\"n\">{n}</span><span class=\"t\">{}</span>{}</span>",
                        COLOURS[i % COLOURS.len()],
                        i + 1,
                        esc(line)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "<span class=\"l\"><span class=\"n\">{n}</span><span class=\"t\"></span>{}</span>",
                        esc(line)
                    );
                }
            }
        }
        out.push_str("</pre>\n");
    }
    out.push_str("</div>\n");
    out
}

/// `similarity.csv`: every pair with a matching region, best first.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("a,b,reference,score,cover_a,cover_b,regions,flagged\n");
    for p in &report.pairs {
        let _ = writeln!(
            out,
            "{},{},{},{:.4},{:.4},{:.4},{},{}",
            csv_field(&p.a),
            csv_field(&p.b),
            p.reference,
            p.score,
            p.cover_a,
            p.cover_b,
            p.regions.len(),
            p.flagged
        );
    }
    out
}
