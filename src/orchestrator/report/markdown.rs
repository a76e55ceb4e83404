//! `report.md` and `index.md`: what a person reads first. The report holds
//! the scenario, every check with its verdict, the evidence of the failed
//! ones, a Mermaid `sequenceDiagram` of what actually happened between the
//! programs (GitHub and most Markdown viewers draw it), the timings, the
//! processes and the capture statistics. The index links the reports of a
//! batch with pass/fail at a glance.
//!
//! Everything a program printed is untrusted text here: it is escaped for
//! Markdown in prose and tables, and with Mermaid's entity codes (`#59;`)
//! inside the diagram, so that names like `Zoë`, `Bob Marley` or `a;b #1`
//! cannot break either.

use std::fmt::Write as _;

use crate::orchestrator::link::fmt_num;
use crate::orchestrator::record::{Role, RunRecord};

use super::story::{self, Kind};
use super::text::{at, clean, command_line, duration, event_line, leniently, outcome, tally};

/// The report of one run.
pub fn report(record: &RunRecord) -> String {
    let mut out = String::new();
    let (passed, total) = tally(record);
    let result = outcome(record);
    let mark = if record.passed() { "✅" } else { "❌" };

    let _ = writeln!(out, "# {} — {mark} {result}\n", md_text(&record.scenario));
    if !record.description.trim().is_empty() {
        let _ = writeln!(out, "{}\n", md_text(&record.description));
    }
    if let Some(error) = &record.error {
        let _ = writeln!(
            out,
            "> **The run could not be carried out:** {}\n",
            md_text(error)
        );
    }
    let checked = if record.error.is_some() {
        "the run could not be carried out".to_string()
    } else {
        format!("{passed} of {total} checks passed{}", leniently(record))
    };
    let _ = writeln!(
        out,
        "- **Result:** {mark} {result}: {checked} (exit code {})",
        record.outcome.exit_code()
    );
    let _ = writeln!(out, "- **Ack observed:** {}", ack_summary(record));
    let _ = writeln!(out, "- **Scenario file:** {}", code(&record.file));
    let _ = writeln!(
        out,
        "- **Backend:** {} · **Started:** {} · **Duration:** {}\n",
        md_text(&record.backend),
        md_text(&record.started_utc),
        duration(record.duration_ms)
    );

    checks(&mut out, record);
    evidence(&mut out, record);
    links(&mut out, record);
    adaptations(&mut out, record);

    out.push_str("## What happened\n\n");
    let diagram = sequence_diagram(record);
    if diagram.is_empty() {
        out.push_str("_No exchange between the programs was recorded._\n\n");
    } else {
        out.push_str("```mermaid\n");
        out.push_str(&diagram);
        out.push_str("```\n\n");
    }
    if record.files.iter().any(|f| f == "timeline.svg") {
        out.push_str("![Timeline of the run: one lane per process](timeline.svg)\n\n");
    }

    timings(&mut out, record);
    processes(&mut out, record);
    capture(&mut out, record);
    if !record.files.is_empty() {
        let links: Vec<String> = record.files.iter().map(|f| link(f, f)).collect();
        let _ = writeln!(out, "## Files\n\n{}", links.join(" · "));
    }
    out
}

/// What the network was adapted for: the programs as handed in could not
/// have met across the hosts without it (see `server.adapt_network`).
fn adaptations(out: &mut String, record: &RunRecord) {
    if record.adaptations.is_empty() {
        return;
    }
    out.push_str(
        "## The network, adapted to the programs

",
    );
    out.push_str(
        "The programs were run as handed in; the network was changed for them          (NAT in the hosts' own namespaces), not their code:

",
    );
    for a in &record.adaptations {
        let _ = writeln!(out, "- {}", md_text(&a.to_string()));
    }
    out.push('\n');
}

/// `12 ms of CPU, 9.4 MiB of memory at most`: what a sandboxed program used.
pub fn used(u: &crate::orchestrator::record::Usage) -> Option<String> {
    let cpu = u.cpu_ms.map(|ms| format!("{ms:.0} ms of CPU"));
    let memory = u
        .peak_memory_bytes
        .map(|b| format!("{:.1} MiB of memory at most", b as f64 / (1024.0 * 1024.0)));
    let parts: Vec<String> = cpu.into_iter().chain(memory).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The impaired links: each stretch configured against measured.
fn links(out: &mut String, record: &RunRecord) {
    let Some(links) = &record.links else {
        return;
    };
    out.push_str("## Links\n\n");
    let _ = writeln!(
        out,
        "Engine: {}.\n",
        md_text(super::links::engine_words(links))
    );
    out.push_str("| Link | From | Configured | Measured |\n|---|---|---|---|\n");
    for l in &links.links {
        for m in &l.stretches {
            let _ = writeln!(
                out,
                "| {} | {} ms | {} | {} |",
                md_text(&l.host),
                fmt_num(m.since_ms),
                md_text(&super::links::configured(l, &m.conditions)),
                md_text(&super::links::measured_words(links.engine, m))
            );
        }
    }
    out.push('\n');
}

fn ack_summary(record: &RunRecord) -> String {
    match (&record.ack_observed, &record.ack_expected) {
        (Some(seen), Some(want)) if seen == want => format!("{} (as expected)", code(seen)),
        (Some(seen), Some(want)) => format!("{}, expected {}", code(seen), code(want)),
        (Some(seen), None) => code(seen),
        (None, Some(want)) => format!("none, expected {}", code(want)),
        (None, None) => "none".to_string(),
    }
}

fn checks(out: &mut String, record: &RunRecord) {
    out.push_str("## Checks\n\n");
    if record.verdicts.is_empty() {
        out.push_str("_No checks were run._\n\n");
        return;
    }
    out.push_str("| | Check | Expected | Observed |\n|---|---|---|---|\n");
    for v in &record.verdicts {
        let mark = if v.passed { "✅" } else { "❌" };
        // A note (a slip read past, or failed by --strict) goes under what
        // was observed, on a line of its own within the cell.
        let note = v
            .note
            .as_ref()
            .map(|n| format!("<br>⚠️ {}", md_text(n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {mark} | {} {} | {} | {}{note} |",
            md_text(&v.title),
            code_in_table(&v.id),
            md_text(&v.expected),
            md_text(&v.observed)
        );
    }
    out.push('\n');
}

fn evidence(out: &mut String, record: &RunRecord) {
    let failed: Vec<_> = record.verdicts.iter().filter(|v| !v.passed).collect();
    if failed.is_empty() {
        return;
    }
    out.push_str("## Evidence of the failed checks\n\n");
    for v in failed {
        let _ = writeln!(out, "### ❌ {} {}\n", md_text(&v.title), code(&v.id));
        let _ = writeln!(out, "- expected: {}", md_text(&v.expected));
        let _ = writeln!(out, "- observed: {}", md_text(&v.observed));
        if let Some(note) = &v.note {
            let _ = writeln!(out, "- note: {}", md_text(note));
        }
        out.push('\n');
        if v.evidence.is_empty() {
            out.push_str("_No log line recorded for this check._\n\n");
            continue;
        }
        let lines: Vec<String> = v.evidence.iter().map(|e| event_line(record, e)).collect();
        code_block(out, "text", &lines.join("\n"));
    }
}

fn timings(out: &mut String, record: &RunRecord) {
    out.push_str("## Timings\n\n");
    if !record.phases.is_empty() {
        out.push_str("| Phase | Time |\n|---|---:|\n");
        for phase in &record.phases {
            let _ = writeln!(out, "| {} | {:.1} ms |", md_text(&phase.name), phase.ms);
        }
        let _ = writeln!(
            out,
            "| **whole run** | **{:.1} ms** |\n",
            record.duration_ms
        );
    } else {
        let _ = writeln!(out, "The run took {}.\n", duration(record.duration_ms));
    }
}

fn processes(out: &mut String, record: &RunRecord) {
    if record.processes.is_empty() {
        return;
    }
    out.push_str("## Processes\n\n| Process | Command | Exit | Log |\n|---|---|---|---|\n");
    for p in &record.processes {
        let mut who = p.label();
        if p.role == Role::Client {
            let parts: Vec<String> = p
                .letter
                .map(|l| l.to_string())
                .into_iter()
                .chain(p.name.clone())
                .collect();
            if !parts.is_empty() {
                who = format!("{who} ({})", parts.join(", "));
            }
        }
        let exit = match &p.exit {
            Some(x) if x.success() => format!("✅ {}", x.describe()),
            Some(x) => format!("❌ {}", x.describe()),
            None => "❌ no exit recorded".to_string(),
        };
        let exit = if p.dropped_lines > 0 {
            format!("{exit}; {} lines not kept", p.dropped_lines)
        } else {
            exit
        };
        let log = if p.log.is_empty() {
            String::new()
        } else {
            link(&p.log, &p.log)
        };
        let exit = match p.usage.as_ref().and_then(used) {
            Some(u) => format!("{exit}; used {u}"),
            None => exit,
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {log} |",
            md_text(&who),
            code_in_table(&command_line(&p.command)),
            md_text(&exit)
        );
    }
    out.push('\n');
}

fn capture(out: &mut String, record: &RunRecord) {
    let Some(c) = &record.capture else { return };
    let _ = writeln!(
        out,
        "## Packet capture\n\n{} holds the PA3 traffic on the server port \
         (open it in Wireshark).\n\n\
         | Packets | TCP handshakes (SYN) | Segments with PSH (messages) | FIN |\n\
         |---:|---:|---:|---:|\n\
         | {} | {} | {} | {} |\n",
        link(&c.file, &c.file),
        c.packets,
        c.syns,
        c.pushes,
        c.fins
    );
}

/// The Mermaid `sequenceDiagram` of the run (without the code fence), or
/// an empty string when nothing passed between the programs.
pub fn sequence_diagram(record: &RunRecord) -> String {
    let beats = story::beats(record);
    if beats.is_empty() {
        return String::new();
    }
    let server = story::server_id(record);
    let clients = story::client_ids(record);
    // Participant ids of our own making: process ids are the user's words.
    let pid = |process: &str| -> String {
        if process == server {
            "srv".to_string()
        } else {
            match clients.iter().position(|c| *c == process) {
                Some(i) => format!("c{}", i + 1),
                None => "srv".to_string(),
            }
        }
    };
    let mut out = String::from("sequenceDiagram\n");
    let server_label = record
        .process(server)
        .map_or_else(|| "server".to_string(), |p| p.label());
    let client_line = |i: usize, id: &str| {
        let p = record.process(id).expect("client ids come from the record");
        let label = match (story::letter_of(record, id), &p.name) {
            (Some(l), Some(n)) => format!("{} ({l}, {n})", p.label()),
            (Some(l), None) => format!("{} ({l})", p.label()),
            _ => p.label(),
        };
        format!("    participant c{} as {}\n", i + 1, mermaid_text(&label))
    };
    // The server in the middle of two clients: no arrow then crosses a
    // third lifeline, which would cut through its label.
    let middle = clients.len().min(1);
    for (i, id) in clients.iter().enumerate().take(middle) {
        out.push_str(&client_line(i, id));
    }
    let _ = writeln!(
        out,
        "    participant srv as {}",
        mermaid_text(&server_label)
    );
    for (i, id) in clients.iter().enumerate().skip(middle) {
        out.push_str(&client_line(i, id));
    }
    for b in &beats {
        let added = (b.kind == Kind::Message)
            .then(|| record.process(&b.process))
            .flatten()
            .and_then(|p| super::links::added_by(record, &p.host, b.t_ms));
        let label = match added {
            Some(link) => format!("{} ({}; {link})", b.text, at(b.t_ms)),
            None => format!("{} ({})", b.text, at(b.t_ms)),
        };
        let label = mermaid_text(&label);
        let who = pid(&b.process);
        let _ = match b.kind {
            Kind::Connect | Kind::Message => writeln!(out, "    {who}->>srv: {label}"),
            Kind::Greeting | Kind::Ack => writeln!(out, "    srv-->>{who}: {label}"),
            Kind::Arrival | Kind::Exit => writeln!(out, "    Note over {who}: {label}"),
        };
    }
    out
}

/// Text for a Mermaid label: cleaned, then every character that Mermaid's
/// sequence grammar or its HTML rendering would take as syntax written as
/// an entity code (`#59;` is `;`). Mermaid decodes them when it draws.
fn mermaid_text(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        match c {
            '#' | ';' | '"' | '<' | '>' | '&' | '%' | '`' | '{' | '}' | '\\' => {
                let _ = write!(out, "#{};", c as u32);
            }
            c => out.push(c),
        }
    }
    // `wrap:` / `nowrap:` at the start of a label is a Mermaid directive.
    let lower = out.to_ascii_lowercase();
    if lower.starts_with("wrap:") || lower.starts_with("nowrap:") {
        let colon = out.find(':').expect("checked above");
        out.replace_range(colon..=colon, "#58;");
    }
    if out.is_empty() {
        out.push_str("#160;");
    }
    out
}

/// Plain text for Markdown prose or a table cell: cleaned, with everything
/// that Markdown, GitHub (math, autolinks, tables) or HTML would interpret
/// backslash-escaped.
pub(crate) fn md_text(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An inline code span that survives any backticks in the text.
fn code(s: &str) -> String {
    let s = clean(s);
    if s.is_empty() {
        return "—".to_string();
    }
    let longest = longest_run(&s, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '))
    {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code span inside a table cell: GitHub splits cells at `|` even inside
/// code, unless it is escaped.
pub(crate) fn code_in_table(s: &str) -> String {
    code(s).replace('|', "\\|")
}

fn longest_run(s: &str, c: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for ch in s.chars() {
        if ch == c {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

fn code_block(out: &mut String, lang: &str, body: &str) {
    let fence = "`".repeat(3.max(longest_run(body, '`') + 1));
    let _ = writeln!(out, "{fence}{lang}\n{body}\n{fence}\n");
}

/// A link to a file of the run directory (or to another run's report).
pub(crate) fn link(text: &str, target: &str) -> String {
    let mut dest = String::new();
    for c in clean(target).chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '[' | ']' | '"' | '%' | '|' | '`' => {
                let _ = write!(dest, "%{:02X}", c as u32);
            }
            c => dest.push(c),
        }
    }
    format!("[{}]({dest})", md_text(text))
}

/// The index of a batch: one row per run (its result, scenario linked to
/// its report, ack, checks, duration) and a totals line. Each run comes
/// with its directory relative to the index.
pub fn index(runs: &[(RunRecord, String)]) -> String {
    let mut out = String::from("# Runs\n\n");
    if runs.is_empty() {
        out.push_str("_No runs._\n");
        return out;
    }
    out.push_str(
        "| Result | Scenario | Ack observed | Checks | Duration | Run directory |\n\
         |---|---|---|---:|---:|---|\n",
    );
    let mut runs_passed = 0;
    let mut checks_passed = 0;
    let mut checks_total = 0;
    let mut total_ms = 0.0;
    for (record, dir) in runs {
        let (passed, total) = tally(record);
        checks_passed += passed;
        checks_total += total;
        total_ms += record.duration_ms;
        if record.passed() {
            runs_passed += 1;
        }
        let result = if record.passed() {
            "✅ PASS"
        } else if record.error.is_some() {
            "❌ ERROR"
        } else {
            "❌ FAIL"
        };
        let dir = dir.trim_end_matches('/');
        let report = if dir.is_empty() {
            "report.md".to_string()
        } else {
            format!("{dir}/report.md")
        };
        let ack = match &record.ack_observed {
            Some(a) => code_in_table(a),
            None => "—".to_string(),
        };
        let _ = writeln!(
            out,
            "| {result} | {} | {ack} | {passed}/{total} | {} | {} |",
            link(&record.scenario, &report),
            duration(record.duration_ms),
            code_in_table(if dir.is_empty() { "." } else { dir })
        );
    }
    let failed = runs.len() - runs_passed;
    let noun = if runs.len() == 1 { "run" } else { "runs" };
    let _ = writeln!(
        out,
        "\n**{} {noun}: {runs_passed} passed, {failed} failed** · \
         {checks_passed} of {checks_total} checks passed · {} in all",
        runs.len(),
        duration(total_ms)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::event::EventKind;
    use crate::orchestrator::report::{fixtures, golden::assert_golden};

    #[test]
    fn mermaid_labels_escape_what_mermaid_would_read_as_syntax() {
        assert_eq!(mermaid_text("Client X: Zoë"), "Client X: Zoë");
        assert_eq!(mermaid_text("a;b #1"), "a#59;b #35;1");
        assert_eq!(
            mermaid_text("say \"hi\" <b>&"),
            "say #34;hi#34; #60;b#62;#38;"
        );
        assert_eq!(mermaid_text("100%%"), "100#37;#37;");
        assert_eq!(mermaid_text("wrap: me"), "wrap#58; me");
        assert_eq!(mermaid_text("line\nbreak"), "line break");
        assert_eq!(mermaid_text("  "), "#160;");
    }

    #[test]
    fn every_diagram_line_is_a_sequence_diagram_statement() {
        let mut record = fixtures::failing();
        // a name full of Mermaid syntax must stay inside its label
        for e in &mut record.events {
            if let EventKind::Output { text, .. } | EventKind::Typed { text } = &mut e.kind {
                *text = text.replace("Bob Marley", "Bob; #1 -->> \"x\"");
            }
        }
        let diagram = sequence_diagram(&record);
        let mut lines = diagram.lines();
        assert_eq!(lines.next(), Some("sequenceDiagram"));
        let entity = regex::Regex::new(r"#\d+;").unwrap();
        for line in lines {
            let line = line.strip_prefix("    ").expect("indented");
            let ok = line.starts_with("participant ")
                || line.starts_with("Note over ")
                || line.starts_with("srv-->>c")
                || (line.starts_with('c') && line.contains("->>srv: "));
            assert!(ok, "unexpected statement: {line}");
            // `;` and `#` only as parts of entity codes
            let without_codes = entity.replace_all(line, "");
            assert!(
                !without_codes.contains(';') && !without_codes.contains('#'),
                "{line}"
            );
        }
        assert!(diagram.contains("Bob#59; #35;1 --#62;#62; #34;x#34;"));
    }

    #[test]
    fn the_diagram_names_the_participants_and_the_ack() {
        let record = fixtures::passing();
        let diagram = sequence_diagram(&record);
        assert!(diagram.contains(
            "participant c1 as h2 client a (X, Alice)\n    participant srv as h1 server\n    participant c2 as h3 client b (Y, Bob)\n"
        ));
        // Each arrow at the moment the record has for it: a connect at the
        // client's own `Connected to` line, a message when it was typed, a
        // greeting or ack when the client printed it.
        let at = |process: &str, pick: &dyn Fn(&EventKind) -> bool| {
            let e = record
                .events
                .iter()
                .find(|e| e.process == process && pick(&e.kind))
                .unwrap();
            format!("t={:.0} ms", e.t_ms)
        };
        let printed = |needle: &'static str| move |k: &EventKind| matches!(k, EventKind::Output { text, .. } if text.starts_with(needle));
        let connect_a = at("a", &printed("Connected to"));
        let greet_b = at("b", &printed("From Server: Client Y connected"));
        let typed_b = at("b", &|k| matches!(k, EventKind::Typed { .. }));
        let ack_a = at("a", &printed("From Server: Y: Bob"));
        assert!(
            diagram.contains(&format!("c1->>srv: connect ({connect_a})\n")),
            "{diagram}"
        );
        assert!(diagram.contains(&format!("srv-->>c2: Client Y connected ({greet_b})\n")));
        assert!(diagram.contains(&format!("c2->>srv: Client Y: Bob ({typed_b})\n")));
        assert!(diagram.contains(&format!(
            "srv-->>c1: Y: Bob received before X: Alice ({ack_a})\n"
        )));
        // Bob's message comes before Alice's, as observed
        assert!(
            diagram.find("Client Y: Bob (").unwrap() < diagram.find("Client X: Alice (").unwrap()
        );
    }

    #[test]
    fn markdown_text_and_code_escape_what_they_must() {
        assert_eq!(md_text("a|b *c* <x> $1"), "a\\|b \\*c\\* \\<x\\> \\$1");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code_in_table("a|b"), "`a\\|b`");
        assert_eq!(
            link("my log", "my log (1).txt"),
            "[my log](my%20log%20%281%29.txt)"
        );
    }

    #[test]
    fn a_failed_run_shows_its_evidence_and_an_errored_one_its_reason() {
        let md = report(&fixtures::failing());
        assert!(md.starts_with("# case2-python — ❌ FAIL\n"));
        assert!(md.contains("## Evidence of the failed checks"));
        assert!(md.contains("[h3 client b] typed: Bob Marley"));
        assert!(!md.contains("## Packet capture"));
        let mut errored = fixtures::errored();
        let md = report(&errored);
        assert!(md.contains(
            "> **The run could not be carried out:** had to remove leftovers after teardown"
        ));
        assert!(md.contains("```mermaid"));
        errored.events.clear();
        let md = report(&errored);
        assert!(md.contains("_No exchange between the programs was recorded._"));
    }

    #[test]
    fn notes_stand_under_what_was_observed_and_in_the_evidence() {
        let md = report(&fixtures::lenient());
        assert!(
            md.contains("| ✅ | Client a (Alice) was greeted as X, its connect position `greeting.a` | Client X connected | Client X connected<br>⚠️ passed leniently (--strict fails it): \\`Client X Connected\\` is not"),
            "{md}"
        );
        assert!(md.contains("11 of 12 checks passed (2 leniently)"), "{md}");
        assert!(
            md.contains("- note: failed by --strict (passes without it): \\`Client Y Connected\\`"),
            "{md}"
        );
    }

    #[test]
    fn index_links_every_report_and_totals() {
        let runs = vec![
            (fixtures::passing(), "20250514T092107Z-case2".to_string()),
            (
                fixtures::failing(),
                "20250514T092451Z-case2-python/".to_string(),
            ),
        ];
        let md = index(&runs);
        assert!(md.contains("[case2](20250514T092107Z-case2/report.md)"));
        assert!(md.contains("[case2-python](20250514T092451Z-case2-python/report.md)"));
        let checks: Vec<bool> = runs
            .iter()
            .flat_map(|(r, _)| r.verdicts.iter().map(|v| v.passed))
            .collect();
        let passed = checks.iter().filter(|&&p| p).count();
        let seconds: f64 = runs.iter().map(|(r, _)| r.duration_ms).sum::<f64>() / 1000.0;
        let totals = format!(
            "**2 runs: 1 passed, 1 failed** · {passed} of {} checks passed · {seconds:.2} s in all",
            checks.len()
        );
        assert!(md.contains(&totals), "{md}");
        assert_eq!(index(&[]), "# Runs\n\n_No runs._\n");
    }

    #[test]
    fn golden_markdown() {
        assert_golden("passing.report.md", &report(&fixtures::passing()));
        assert_golden("failing.report.md", &report(&fixtures::failing()));
        assert_golden("errored.report.md", &report(&fixtures::errored()));
        assert_golden(
            "index.md",
            &index(&[
                (fixtures::passing(), "20250514T092107Z-case2".into()),
                (fixtures::failing(), "20250514T092451Z-case2-python".into()),
                (fixtures::errored(), "20250514T093000Z-case1".into()),
            ]),
        );
    }
}
