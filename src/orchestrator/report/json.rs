//! `summary.json` and `events.jsonl`: the record as data, for scripts.
//!
//! `summary.json` is the whole [`RunRecord`] (its `schema_version` says which
//! shape it has), pretty-printed; `events.jsonl` holds one [`Event`] per line
//! so that `jq`, `grep` and line-oriented tools read it as it grows.

use crate::orchestrator::record::{Event, RunRecord};

/// The record as pretty JSON, with a trailing newline.
pub fn summary(record: &RunRecord) -> String {
    // Plain structs with string keys: serialising cannot fail.
    let mut out = serde_json::to_string_pretty(record).expect("a RunRecord serialises to JSON");
    out.push('\n');
    out
}

/// One JSON object per event, one per line.
pub fn events_jsonl(events: &[Event]) -> String {
    let mut out = String::new();
    for event in events {
        out.push_str(&serde_json::to_string(event).expect("an Event serialises to JSON"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::event::{EventKind, Stream};
    use crate::orchestrator::record::SCHEMA_VERSION;
    use crate::orchestrator::report::{fixtures, golden::assert_golden};

    #[test]
    fn summary_round_trips_and_carries_the_schema_version() {
        let record = fixtures::failing();
        let text = summary(&record);
        assert!(text.ends_with("}\n"));
        let back: RunRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema_version"], SCHEMA_VERSION);
        assert_eq!(
            value["ack_observed"],
            "X: Zoë received before Y: Bob Marley"
        );
        assert_eq!(value["events"][0]["kind"], "started");
        assert_eq!(value["verdicts"][0]["check"], "steps");
    }

    #[test]
    fn events_are_one_object_per_line() {
        let record = fixtures::passing();
        let text = events_jsonl(&record.events);
        assert_eq!(text.lines().count(), record.events.len());
        for (line, event) in text.lines().zip(&record.events) {
            let back: Event = serde_json::from_str(line).unwrap();
            assert_eq!(&back, event);
        }
        assert_eq!(events_jsonl(&[]), "");
        // a line with a newline inside stays on one JSON line
        let odd = Event::new(
            1.5,
            "a",
            EventKind::Output {
                stream: Stream::Stdout,
                text: "two\nlines \"quoted\"".into(),
            },
        );
        assert_eq!(
            events_jsonl(&[odd]),
            "{\"t_ms\":1.5,\"process\":\"a\",\"kind\":\"output\",\"stream\":\"stdout\",\"text\":\"two\\nlines \\\"quoted\\\"\"}\n"
        );
    }

    #[test]
    fn golden_json() {
        assert_golden("passing.summary.json", &summary(&fixtures::passing()));
        assert_golden("failing.summary.json", &summary(&fixtures::failing()));
        assert_golden(
            "passing.events.jsonl",
            &events_jsonl(&fixtures::passing().events),
        );
    }
}
