//! A check's verdict as data: which row of the check table made it
//! ([`CheckId`]), whether it passed, and whether a slip was read past to
//! get there ([`Leniency`]). The rubric of `grade` and the reports match
//! these variants; the words in `summary.json` (`"check": "ack.same"`,
//! `"leniency": "strict"`) are made here alone.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Event;

/// A row of the check table ([`crate::orchestrator::check::CHECKS`]), as
/// the verdicts it makes name it. Its word is the stable id reports and
/// the grading config show: `greeting` for the verdicts `greeting.a` and
/// `greeting.b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckId {
    Steps,
    Greeting,
    GreetingAfterBoth,
    AckSame,
    AckNames,
    AckOrder,
    ServerMessages,
    ServerReadEarly,
    ServerSentAck,
    Exit,
    Output,
    Line,
}

impl CheckId {
    /// Every row, in the table's order.
    pub const ALL: [CheckId; 12] = [
        CheckId::Steps,
        CheckId::Greeting,
        CheckId::GreetingAfterBoth,
        CheckId::AckSame,
        CheckId::AckNames,
        CheckId::AckOrder,
        CheckId::ServerMessages,
        CheckId::ServerReadEarly,
        CheckId::ServerSentAck,
        CheckId::Exit,
        CheckId::Output,
        CheckId::Line,
    ];

    /// The stable id: `steps`, `greeting.after_both`, …
    pub const fn word(self) -> &'static str {
        match self {
            CheckId::Steps => "steps",
            CheckId::Greeting => "greeting",
            CheckId::GreetingAfterBoth => "greeting.after_both",
            CheckId::AckSame => "ack.same",
            CheckId::AckNames => "ack.names",
            CheckId::AckOrder => "ack.order",
            CheckId::ServerMessages => "server.messages",
            CheckId::ServerReadEarly => "server.read_early",
            CheckId::ServerSentAck => "server.sent_ack",
            CheckId::Exit => "exit",
            CheckId::Output => "output",
            CheckId::Line => "line",
        }
    }

    /// The row a stable id names.
    pub fn of_word(word: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.word() == word)
    }
}

/// How a verdict that rests on text read past a slip (`Client X
/// Connected`, `recieved`) came out; see the check module's doc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leniency {
    /// It passed only by reading past the slip; `--strict` fails it.
    Lenient,
    /// It failed only because of `--strict`; without it, it passes.
    Strict,
    /// It failed anyway; a slip was read past too.
    AlsoSlipped,
}

/// A check's outcome, with what it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Stored")]
pub struct Verdict {
    /// Stable identifier, e.g. `greeting.a`, `ack.order`.
    pub id: String,
    /// The row of the check table that made it: [`CheckId::Greeting`] for
    /// `greeting.a`. Filled by the table (`None` until then, and for a
    /// record whose row this orchestrate does not know). `summary.json`
    /// keeps its word, `""` for none.
    #[serde(with = "check_word")]
    pub check: Option<CheckId>,
    /// One sentence a person reads.
    pub title: String,
    pub passed: bool,
    pub expected: String,
    pub observed: String,
    /// The log lines the verdict rests on.
    pub evidence: Vec<Event>,
    /// Set when the verdict rests on a program's text read past a slip:
    /// what the slip was, and what the strict verdict is, in words.
    /// Absent from `summary.json` when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Set with `note`: how the slip counted. Absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leniency: Option<Leniency>,
}

impl Verdict {
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        passed: bool,
        expected: impl Into<String>,
        observed: impl Into<String>,
        evidence: Vec<Event>,
    ) -> Verdict {
        Verdict {
            id: id.into(),
            check: None,
            title: title.into(),
            passed,
            expected: expected.into(),
            observed: observed.into(),
            evidence,
            note: None,
            leniency: None,
        }
    }

    /// Whether it failed only because of `--strict` (a slip).
    pub fn failed_only_strictly(&self) -> bool {
        !self.passed && self.leniency == Some(Leniency::Strict)
    }
}

/// A verdict as `summary.json` holds it, older ones included.
#[derive(Deserialize)]
struct Stored {
    id: String,
    #[serde(default, with = "check_word")]
    check: Option<CheckId>,
    title: String,
    passed: bool,
    expected: String,
    observed: String,
    evidence: Vec<Event>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    leniency: Option<Leniency>,
}

impl From<Stored> for Verdict {
    fn from(s: Stored) -> Verdict {
        // Records written before `leniency` was a field said it only in
        // the note's first words (written by `check::Run::leniently`); a
        // grade rescored from such records still tells a strict failure.
        let leniency = s.leniency.or_else(|| {
            let note = s.note.as_deref()?;
            [
                ("passed leniently", Leniency::Lenient),
                ("failed by --strict", Leniency::Strict),
                ("also read past a slip", Leniency::AlsoSlipped),
            ]
            .into_iter()
            .find_map(|(start, l)| note.starts_with(start).then_some(l))
        });
        Verdict {
            id: s.id,
            check: s.check,
            title: s.title,
            passed: s.passed,
            expected: s.expected,
            observed: s.observed,
            evidence: s.evidence,
            note: s.note,
            leniency,
        }
    }
}

/// `check` as its word; `""` (and a row this orchestrate does not know)
/// reads back as none.
mod check_word {
    use super::*;

    pub fn serialize<S: Serializer>(check: &Option<CheckId>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(check.map_or("", CheckId::word))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CheckId>, D::Error> {
        Ok(CheckId::of_word(&String::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_id_reads_back_from_its_word() {
        for c in CheckId::ALL {
            assert_eq!(CheckId::of_word(c.word()), Some(c));
        }
        assert_eq!(CheckId::of_word(""), None);
        assert_eq!(CheckId::of_word("greeting.a"), None);
    }

    #[test]
    fn a_verdict_keeps_its_words_in_json_and_reads_them_back() {
        let mut v = Verdict::new("greeting.b", "t", false, "e", "o", Vec::new());
        v.check = Some(CheckId::Greeting);
        v.note = Some("failed by --strict (passes without it): a slip".into());
        v.leniency = Some(Leniency::Strict);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["check"], "greeting");
        assert_eq!(json["leniency"], "strict");
        assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), v);
        let plain = Verdict::new("steps", "t", true, "e", "o", Vec::new());
        let json = serde_json::to_value(&plain).unwrap();
        assert_eq!(json["check"], "");
        assert!(json.get("leniency").is_none() && json.get("note").is_none());
        assert_eq!(serde_json::from_value::<Verdict>(json).unwrap(), plain);
    }

    #[test]
    fn a_verdict_written_before_leniency_was_a_field_gets_it_from_its_note() {
        let json = serde_json::json!({
            "id": "greeting.b", "check": "greeting", "title": "t", "passed": false,
            "expected": "e", "observed": "o", "evidence": [],
            "note": "failed by --strict (passes without it): a slip"
        });
        let v: Verdict = serde_json::from_value(json).unwrap();
        assert!(v.failed_only_strictly());
        assert_eq!(v.check, Some(CheckId::Greeting));
    }
}
