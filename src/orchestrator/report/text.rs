//! Small text helpers the writers share: cleaning captured output, naming
//! processes, formatting times. Escaping for a particular format (XML,
//! Markdown, Mermaid) lives with the writer that needs it.

use crate::orchestrator::event::{Event, ORCHESTRATOR};
use crate::orchestrator::record::RunRecord;

/// A captured line made safe for any report: ANSI escape sequences removed,
/// tabs and line ends turned into spaces, other control characters dropped.
/// Programs print what they like; a stray `ESC` would make XML invalid.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in anstream::adapter::strip_str(s).flat_map(str::chars) {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `s`, with `…` when something was cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A moment of the run: `t=468 ms`.
pub(crate) fn at(t_ms: f64) -> String {
    format!("t={t_ms:.0} ms")
}

/// A span a person reads: `412 ms`, `1.83 s`.
pub(crate) fn duration(ms: f64) -> String {
    if ms.abs() < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// How a person names the process with this id: `h1 server`, `h2 client a`,
/// `orchestrator`; an id the record does not know is shown as it is.
pub(crate) fn process_label(record: &RunRecord, id: &str) -> String {
    match record.process(id) {
        Some(p) => p.label(),
        None => id.to_string(),
    }
}

/// One event as a log line: `   484.1 ms  [h3 client b] stdout: Sent to Server: Client Y: Bob`.
pub(crate) fn event_line(record: &RunRecord, event: &Event) -> String {
    let who = if event.process == ORCHESTRATOR {
        ORCHESTRATOR.to_string()
    } else {
        process_label(record, &event.process)
    };
    format!(
        "{:>9.1} ms  [{who}] {}: {}",
        event.t_ms,
        event.kind.word(),
        clean(&event.kind.to_string())
    )
}

/// `(passed, total)` verdicts.
pub(crate) fn tally(record: &RunRecord) -> (usize, usize) {
    let passed = record.verdicts.iter().filter(|v| v.passed).count();
    (passed, record.verdicts.len())
}

/// How many verdicts passed only leniently (with a note): ` (2 leniently)`,
/// or nothing.
pub(crate) fn leniently(record: &RunRecord) -> String {
    match record
        .verdicts
        .iter()
        .filter(|v| v.passed && v.note.is_some())
        .count()
    {
        0 => String::new(),
        n => format!(" ({n} leniently)"),
    }
}

/// `PASS` or `FAIL`.
pub(crate) fn outcome(record: &RunRecord) -> &'static str {
    if record.passed() {
        "PASS"
    } else {
        "FAIL"
    }
}

/// A command line as a person would type it.
pub(crate) fn command_line(command: &[String]) -> String {
    clean(&shell_words::join(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_ansi_and_control_characters() {
        assert_eq!(clean("\u{1b}[1;31mred\u{1b}[0m ok"), "red ok");
        assert_eq!(clean("a\tb\r\nc\u{7}d\u{0}"), "a b  cd");
        assert_eq!(clean("Zoë; #1"), "Zoë; #1");
    }

    #[test]
    fn clean_drops_whole_escape_strings_not_just_their_first_byte() {
        // An OSC window title, ended by BEL, and a character-set switch.
        assert_eq!(clean("\u{1b}]0;title\u{7}ok\u{1b}(B!"), "ok!");
        // A C1 control (8-bit CSI) is still dropped as a control character.
        assert_eq!(clean("a\u{9b}b\u{c}c"), "abc");
    }

    #[test]
    fn truncate_counts_characters_not_bytes() {
        assert_eq!(truncate("Zoëzoëzoë", 9), "Zoëzoëzoë");
        assert_eq!(truncate("Zoëzoëzoë", 5), "Zoëz…");
        assert_eq!(truncate("", 3), "");
    }

    #[test]
    fn durations_switch_to_seconds() {
        assert_eq!(duration(412.4), "412 ms");
        assert_eq!(duration(1834.0), "1.83 s");
        assert_eq!(at(468.44), "t=468 ms");
    }
}
