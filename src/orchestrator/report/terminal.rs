//! The verdict table printed at the end of a run in the terminal: one line
//! per check, what was observed under each failed one, the note under each
//! one that has one (a slip read past, or failed by `--strict`), and a last
//! line with the overall result and the ack. Colour only when asked for (the caller
//! knows whether stdout is a terminal and whether `NO_COLOR` is set).

use crate::orchestrator::record::{RunRecord, Verdict};

use super::style::{Paint, BOLD_GREEN, BOLD_RED, DIM, GREEN, RED, YELLOW};
use super::text::{clean, leniently, outcome, tally};

/// The table, one line per verdict, ending with the overall line and a
/// newline.
pub fn verdict_table(record: &RunRecord, color: bool) -> String {
    let p = Paint { color };
    let width = record
        .verdicts
        .iter()
        .map(|v| clean(&v.id).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for v in &record.verdicts {
        out.push_str(&verdict_lines(v, width, p));
    }
    if let Some(error) = &record.error {
        out.push_str(&format!(
            "  {} {}\n",
            p.paint(RED, "✗"),
            p.paint(
                RED,
                &format!("the run could not be carried out: {}", clean(error))
            )
        ));
    }
    if let Some(links) = &record.links {
        out.push_str(&format!(
            "  {}\n",
            p.paint(DIM, &format!("links, {}:", links.engine.name()))
        ));
        for line in super::links::lines(links) {
            out.push_str(&format!("    {}\n", clean(&line)));
        }
    }
    out.push_str(&overall_line(record, p));
    out
}

/// One verdict's line (its id padded to `width`), then what was expected
/// and observed if it failed, and its note if it has one.
fn verdict_lines(v: &Verdict, width: usize, p: Paint) -> String {
    let id = clean(&v.id);
    let pad = " ".repeat(width - id.chars().count());
    let (mark, style) = if v.passed {
        ("✓", GREEN)
    } else {
        ("✗", RED)
    };
    let mut out = format!(
        "  {} {}{pad}  {}\n",
        p.paint(style, mark),
        p.paint(DIM, &id),
        clean(&v.title)
    );
    let indent = " ".repeat(4 + width + 2);
    if !v.passed {
        out.push_str(&format!("{indent}expected: {}\n", clean(&v.expected)));
        out.push_str(&format!(
            "{indent}observed: {}\n",
            p.paint(RED, &clean(&v.observed))
        ));
    }
    if let Some(note) = &v.note {
        out.push_str(&format!(
            "{indent}note: {}\n",
            p.paint(YELLOW, &clean(note))
        ));
    }
    out
}

/// The last line: the overall result, the checks passed, and the ack.
fn overall_line(record: &RunRecord, p: Paint) -> String {
    let (passed, total) = tally(record);
    let result = outcome(record);
    let style = if record.passed() {
        BOLD_GREEN
    } else {
        BOLD_RED
    };
    let ack = match (&record.ack_observed, &record.ack_expected) {
        (Some(seen), Some(want)) if seen != want => {
            format!("ack: {} (expected {})", clean(seen), clean(want))
        }
        (Some(seen), _) => format!("ack: {}", clean(seen)),
        (None, Some(want)) => format!("no ack (expected {})", clean(want)),
        (None, None) => "no ack".to_string(),
    };
    let checked = if record.error.is_some() {
        "the run could not be carried out".to_string()
    } else {
        format!("{passed}/{total} checks passed{}", leniently(record))
    };
    format!(
        "{} {}: {checked} · {ack}\n",
        p.paint(style, result),
        clean(&record.scenario)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::report::{fixtures, golden::assert_golden};

    #[test]
    fn without_colour_there_is_no_escape_sequence() {
        for record in [
            fixtures::passing(),
            fixtures::failing(),
            fixtures::errored(),
        ] {
            assert!(!verdict_table(&record, false).contains('\u{1b}'));
            assert!(verdict_table(&record, true).contains('\u{1b}'));
        }
    }

    #[test]
    fn a_failed_check_shows_what_was_observed_and_the_last_line_sums_up() {
        let record = fixtures::failing();
        let table = verdict_table(&record, false);
        assert!(table.contains("✗ ack.order"));
        assert!(table.contains("observed: X: Zoë received before Y: Bob Marley"));
        let last = table.lines().last().unwrap();
        let (passed, total) = tally(&record);
        assert!(passed < total);
        assert_eq!(
            last,
            format!(
                "FAIL case2-python: {passed}/{total} checks passed · ack: X: Zoë received before Y: Bob Marley \
                 (expected Y: Bob Marley received before X: Zoë)"
            )
        );
    }

    #[test]
    fn ids_are_aligned() {
        let record = fixtures::passing();
        let table = verdict_table(&record, false);
        let columns: Vec<usize> = table
            .lines()
            .filter(|l| l.starts_with("  ✓"))
            .map(|l| {
                let after_id = l.char_indices().skip(4).find(|(_, c)| *c == ' ').unwrap().0;
                l[after_id..].find(|c: char| c != ' ').unwrap() + after_id
            })
            .collect();
        assert_eq!(columns.len(), record.verdicts.len());
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{table}");
    }

    #[test]
    fn output_cannot_smuggle_escape_sequences_into_the_terminal() {
        let mut record = fixtures::failing();
        record
            .verdicts
            .iter_mut()
            .find(|v| v.id == "ack.order")
            .unwrap()
            .observed = "\u{1b}]0;pwned\u{7}X".into();
        assert!(!verdict_table(&record, false).contains('\u{1b}'));
    }

    #[test]
    fn a_note_is_shown_under_its_check_and_counted_when_it_passed() {
        let record = fixtures::lenient();
        let table = verdict_table(&record, false);
        let lines: Vec<&str> = table.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("  ✓ greeting.a "))
            .unwrap();
        assert!(
            lines[at + 1]
                .trim_start()
                .starts_with("note: passed leniently (--strict fails it): `Client X Connected`"),
            "{table}"
        );
        assert!(
            table
                .lines()
                .last()
                .unwrap()
                .contains("checks passed (2 leniently)"),
            "{table}"
        );
    }

    #[test]
    fn golden_terminal() {
        assert_golden(
            "passing.terminal.txt",
            &verdict_table(&fixtures::passing(), false),
        );
        assert_golden(
            "failing.terminal.txt",
            &verdict_table(&fixtures::failing(), false),
        );
        assert_golden(
            "failing.terminal-color.txt",
            &verdict_table(&fixtures::failing(), true),
        );
        assert_golden(
            "errored.terminal.txt",
            &verdict_table(&fixtures::errored(), false),
        );
    }
}
