//! What grading writes, as pure functions of the grades: `gradebook.csv`
//! (a row per student, a cell per item), `gradebook.md` (the same, to
//! read, with links), each student's `report.md` (every item, its
//! evidence, links to the runs' reports and timelines) and Gradescope's
//! `results.json`.

use std::fmt::Write as _;

use serde_json::json;

use super::rubric::{Cell, Evidence, ItemResult, ITEMS};
use super::GradeSummary;
use super::StudentGrade;
use crate::orchestrator::report::markdown::{code_in_table, link, md_text};

/// `student,score,max_score,item1,…,item12`, a row per student.
pub fn csv(students: &[StudentGrade]) -> String {
    let mut out = String::from("student,score,max_score");
    for i in 1..=12 {
        let _ = write!(out, ",item{i}");
    }
    out.push('\n');
    for s in students {
        let _ = write!(
            out,
            "{},{},{}",
            csv_field(&s.student),
            number(s.score),
            number(s.max_score)
        );
        for item in &s.items {
            let _ = write!(out, ",{}", item.cell.word());
        }
        out.push('\n');
    }
    out
}

/// A CSV field: quoted when it must be (RFC 4180), and never read as a
/// formula by a spreadsheet (a leading `=`, `+`, `-`, `@` gets a `'`).
pub(crate) fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `12`, `7.5`: points without a useless `.0`.
pub(crate) fn number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

fn mark(cell: Cell) -> &'static str {
    match cell {
        Cell::Pass => "✅",
        Cell::Fail => "❌",
        Cell::Review => "👀",
        Cell::NotApplicable => "—",
    }
}

/// `gradebook.md`: the table, with each student's report linked.
pub fn markdown(students: &[StudentGrade], facts: &str) -> String {
    let mut out = String::from("# Gradebook\n\n");
    let _ = writeln!(out, "{facts}\n");
    out.push_str("The class at a glance — scores, each item's counts and reasons, similar submissions: [class.html](class.html)\n\n");
    out.push_str("| Student | Score |");
    for i in 1..=12 {
        let _ = write!(out, " {i} |");
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---|".repeat(12));
    out.push('\n');
    for s in students {
        let report = format!("{}/report.md", s.student);
        let _ = write!(
            out,
            "| {} | {}/{} |",
            link(&s.student, &report),
            number(s.score),
            number(s.max_score)
        );
        for item in &s.items {
            let _ = write!(out, " {} |", mark(item.cell));
        }
        out.push('\n');
    }
    out.push_str("\n✅ pass · ❌ fail · 👀 a person reviews it (no points until then) · — not applicable\n\n");
    out.push_str("Items: ");
    let items: Vec<String> = ITEMS
        .iter()
        .map(|i| format!("**{}** {}", i.number, md_text(i.title)))
        .collect();
    out.push_str(&items.join(" · "));
    out.push('\n');
    out
}

/// Every file of a grade's directory but its runs: each student's
/// `report.md` and `results.json`, the gradebook (CSV, Markdown) and
/// `summary.json` — paths relative to the directory.
pub fn files(summary: &GradeSummary, facts: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in &summary.students {
        out.push((format!("{}/report.md", s.student), report(s)));
        out.push((
            format!("{}/results.json", s.student),
            gradescope(s, &summary.visibility),
        ));
    }
    out.push(("gradebook.csv".into(), csv(&summary.students)));
    out.push(("gradebook.md".into(), markdown(&summary.students, facts)));
    out.push((
        "summary.json".into(),
        serde_json::to_string_pretty(summary).expect("JSON serialises") + "\n",
    ));
    out
}

/// A student's `report.md`.
pub fn report(s: &StudentGrade) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} — {} / {}\n",
        md_text(&s.student),
        number(s.score),
        number(s.max_score)
    );
    if !s.missing.is_empty() {
        let _ = writeln!(
            out,
            "> **Not run:** {}: {}.\n",
            s.missing
                .iter()
                .map(|m| md_text(m))
                .collect::<Vec<_>>()
                .join("; "),
            if s.runs.is_empty() {
                "nothing could be run"
            } else {
                "the items it blocks are judged once, with that reason; the others from the runs of the program that runs, with ours"
            }
        );
    }
    out.push_str("| | Item | Points | Why |\n|---|---|---:|---|\n");
    for (item, r) in ITEMS.iter().zip(&s.items) {
        let _ = writeln!(
            out,
            "| {} {} | {}. {} | {}/{} | {} |",
            mark(r.cell),
            r.cell.word(),
            item.number,
            md_text(item.title),
            number(r.points),
            number(r.max_points),
            md_text(&r.why)
        );
    }
    out.push('\n');
    evidence(&mut out, s);
    discovered(&mut out, s);
    source(&mut out, s);
    runs(&mut out, s);
    out
}

/// What the grader found in the folder, how it started it, what it built
/// (the compiler's words when a build failed), and what it passed over.
fn discovered(out: &mut String, s: &StudentGrade) {
    let d = &s.discovered;
    if d.programs.is_empty() {
        return;
    }
    out.push_str(
        "## What was found and how it was run

",
    );
    for p in &d.programs {
        let _ = writeln!(out, "- {}", md_text(p));
    }
    for b in &d.builds {
        let verdict = if b.ok { "built" } else { "**did not build**" };
        let _ = writeln!(
            out,
            "- {}: {verdict} with {}",
            code_in_table(&b.program.display().to_string()),
            code_in_table(&shell_words::join(&b.command))
        );
        if !b.ok {
            out.push_str("\n```text\n");
            for line in b.output.lines().take(30) {
                let _ = writeln!(out, "{line}");
            }
            out.push_str("```\n");
        }
    }
    for p in &d.problems {
        let _ = writeln!(out, "- does not run: {}", md_text(p));
    }
    for i in &d.ignored {
        let _ = writeln!(out, "- passed over: {}", md_text(i));
    }
    let adapted = adaptations(s);
    if !adapted.is_empty() {
        out.push_str("\nThe network was adapted to the programs (their code was not changed):\n\n");
        for a in adapted {
            let _ = writeln!(out, "- {}", md_text(&a));
        }
    }
    let used = usage(s);
    if !used.is_empty() {
        let _ = writeln!(
            out,
            "\nWhat the student's programs used at most in one run: {}.",
            md_text(&used.join("; "))
        );
    }
    out.push('\n');
    out.push_str(
        "To pin what was found, give `server_file`, `client_file` (one, or X's and Y's), \
         `server_cmd` or `client_cmd` in the class's `grading.yaml`, for the class or under \
         `students:` for this student.\n\n",
    );
}

/// Each adaptation of the student's runs, once.
fn adaptations(s: &StudentGrade) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &s.runs {
        for a in &r.facts.adaptations {
            let said = a.to_string();
            if !out.contains(&said) {
                out.push(said);
            }
        }
    }
    out
}

/// The most each program used in any one run: `server 120 ms of CPU, 9.1 MiB`.
fn usage(s: &StudentGrade) -> Vec<String> {
    let mut most: Vec<(String, f64, u64)> = Vec::new();
    for r in &s.runs {
        for (id, u) in &r.facts.usage {
            let who = if id == "server" {
                format!("{} server", r.pairing.word())
            } else {
                format!("{} client {id}", r.pairing.word())
            };
            let (cpu, mem) = (u.cpu_ms.unwrap_or(0.0), u.peak_memory_bytes.unwrap_or(0));
            match most.iter_mut().find(|(w, _, _)| *w == who) {
                Some(m) => {
                    m.1 = m.1.max(cpu);
                    m.2 = m.2.max(mem);
                }
                None => most.push((who, cpu, mem)),
            }
        }
    }
    most.into_iter()
        .map(|(who, cpu, mem)| {
            format!(
                "{who} {cpu:.0} ms of CPU, {:.1} MiB",
                mem as f64 / (1024.0 * 1024.0)
            )
        })
        .collect()
}

fn evidence(out: &mut String, s: &StudentGrade) {
    for r in s
        .items
        .iter()
        .filter(|r| !r.evidence.is_empty() || !r.notes.is_empty())
    {
        let _ = writeln!(
            out,
            "## {} Item {} ({})\n",
            mark(r.cell),
            r.item,
            r.cell.word()
        );
        if !r.why.is_empty() {
            let _ = writeln!(out, "{}\n", md_text(&r.why));
        }
        for e in &r.evidence {
            let _ = writeln!(out, "- {}", evidence_line(e));
        }
        for n in &r.notes {
            let _ = writeln!(out, "- note: {}", md_text(n));
        }
        out.push('\n');
    }
}

fn evidence_line(e: &Evidence) -> String {
    let run = match &e.dir {
        Some(dir) => format!(
            "{} ({}, {})",
            md_text(&e.run),
            link("report", &format!("../{dir}/report.md")),
            link("timeline", &format!("../{dir}/timeline.svg"))
        ),
        None => md_text(&e.run),
    };
    let mut line = format!(
        "{run}: {} expected {}, observed {}",
        code_in_table(&e.check),
        md_text(&e.expected),
        md_text(&e.observed)
    );
    if let Some(n) = &e.note {
        let _ = write!(line, " — {}", md_text(n));
    }
    line
}

fn source(out: &mut String, s: &StudentGrade) {
    out.push_str("## Items 11 and 12: for a person\n\n");
    match &s.source.server_comment {
        Some(comment) => {
            out.push_str("The comment at the top of the server:\n\n");
            for line in comment.lines() {
                let _ = writeln!(out, "> {}", md_text(line));
            }
            out.push('\n');
        }
        None => out.push_str("_The server has no comment at its top._\n\n"),
    }
    out.push_str("| File | Lines | Comment lines |\n|---|---:|---:|\n");
    for f in &s.source.files {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            code_in_table(&f.path),
            f.lines,
            f.comment_lines
        );
    }
    out.push('\n');
}

fn runs(out: &mut String, s: &StudentGrade) {
    if s.runs.is_empty() {
        return;
    }
    out.push_str("## Runs\n\n| Run | Result | Failed checks | Notes |\n|---|---|---|---|\n");
    for r in &s.runs {
        let name = format!("{} {}", r.pairing.word(), r.case);
        let name = match &r.dir {
            Some(dir) => link(&name, &format!("../{dir}/report.md")),
            None => md_text(&name),
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} |",
            if r.passed { "✅ pass" } else { "❌ fail" },
            md_text(&r.failed.join(", ")),
            md_text(&r.notes.join("; "))
        );
    }
    out.push('\n');
}

/// Gradescope's `results.json` for one student: a test per item; items a
/// person reviews carry no points here (Gradescope's manual grading does).
pub fn gradescope(s: &StudentGrade, visibility: &str) -> String {
    let tests: Vec<serde_json::Value> = ITEMS
        .iter()
        .zip(&s.items)
        .map(|(item, r)| gradescope_test(item.number, item.title, r))
        .collect();
    let doc = json!({
        "score": s.score,
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    });
    serde_json::to_string_pretty(&doc).expect("JSON serialises") + "\n"
}

fn gradescope_test(number: u8, title: &str, r: &ItemResult) -> serde_json::Value {
    let mut output = r.why.clone();
    for e in &r.evidence {
        let _ = write!(
            output,
            "\n- {}: {} expected {}, observed {}",
            e.run, e.check, e.expected, e.observed
        );
    }
    for n in &r.notes {
        let _ = write!(output, "\n- note: {n}");
    }
    let review = matches!(r.cell, Cell::Review);
    if review {
        let _ = write!(
            output,
            "\n(graded by a person: {} points, not awarded here)",
            number_text(r.max_points)
        );
    }
    json!({
        "number": number.to_string(),
        "name": format!("{number}. {title}"),
        "score": r.points,
        "max_score": if review { 0.0 } else { r.max_points },
        "status": if r.cell == Cell::Pass || review { "passed" } else { "failed" },
        "output": output.trim(),
    })
}

fn number_text(n: f64) -> String {
    number(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::rubric::{ItemResult, SourceEvidence};

    fn grade(student: &str, cells: [Cell; 12]) -> StudentGrade {
        let points = crate::orchestrator::grade::config::SEED_POINTS;
        let items: Vec<ItemResult> = cells
            .iter()
            .enumerate()
            .map(|(i, &cell)| ItemResult {
                item: i as u8 + 1,
                cell,
                points: if cell == Cell::Pass { points[i] } else { 0.0 },
                max_points: points[i],
                why: if cell == Cell::Pass {
                    String::new()
                } else {
                    "because".into()
                },
                evidence: Vec::new(),
                notes: Vec::new(),
            })
            .collect();
        StudentGrade {
            student: student.into(),
            score: items.iter().map(|i| i.points).sum(),
            max_score: 100.0,
            items,
            missing: Vec::new(),
            source: SourceEvidence::default(),
            discovered: Default::default(),
            runs: Vec::new(),
        }
    }

    #[test]
    fn the_csv_has_the_seeds_columns_and_safe_fields() {
        use Cell::*;
        let cells = [
            Pass, Pass, Pass, Pass, Fail, Pass, Pass, Pass, Pass, Pass, Review, Review,
        ];
        let csv = csv(&[grade("carol", cells), grade("=evil,\"x\"", cells)]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "student,score,max_score,item1,item2,item3,item4,item5,item6,item7,item8,item9,item10,item11,item12"
        );
        assert_eq!(
            lines[1],
            "carol,65,100,pass,pass,pass,pass,fail,pass,pass,pass,pass,pass,review,review"
        );
        assert!(
            lines[2].starts_with("\"'=evil,\"\"x\"\"\",65,100,"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn gradescope_results_follow_its_format() {
        use Cell::*;
        let cells = [
            Pass, Pass, Pass, Pass, Fail, Pass, Pass, Pass, Pass, Pass, Review, Review,
        ];
        let doc: serde_json::Value =
            serde_json::from_str(&gradescope(&grade("carol", cells), "visible")).unwrap();
        assert_eq!(doc["score"], 65.0);
        let tests = doc["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 12);
        assert_eq!(tests[4]["status"], "failed");
        assert_eq!(tests[4]["max_score"], 5.0);
        assert_eq!(tests[10]["max_score"], 0.0);
        assert!(tests[10]["output"]
            .as_str()
            .unwrap()
            .contains("graded by a person: 20 points"));
        for t in tests {
            for key in ["name", "score", "max_score", "status", "output"] {
                assert!(!t[key].is_null(), "{key}");
            }
        }
    }
}
