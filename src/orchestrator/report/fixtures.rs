//! Run records for the writers' tests and golden files: real ones, recorded
//! by `orchestrate` on Mininet from the scenarios in `golden/runs/`
//! (`scripts/record-fixtures` records them again).

use crate::orchestrator::record::{Leniency, Outcome, RunRecord};

fn recorded(json: &str) -> RunRecord {
    serde_json::from_str(json).expect("a recorded summary.json reads back")
}

/// Case 2 on Mininet, our own server and clients, with `--pcap`: X =
/// a/Alice on h2 connects first, Y = b/Bob on h3 second; Bob is typed
/// first, Alice 200 ms later; the ack is `Y: Bob received before X: Alice`.
pub(crate) fn passing() -> RunRecord {
    recorded(include_str!("golden/runs/passing.summary.json"))
}

/// Case 2 against a sequential `server.py` (reads X, then Y): Y types
/// first, but the server was blocked on X, so its ack names X first; it
/// misspells its last line and never exits (stopped at the 3 s timeout).
/// Names with a diaeresis and a space: X = a/Zoë, Y = b/Bob Marley.
pub(crate) fn failing() -> RunRecord {
    recorded(include_str!("golden/runs/failing.summary.json"))
}

/// The passing run, as the orchestrator records it when the teardown left
/// something it then had to remove: every check passed, the run did not.
pub(crate) fn errored() -> RunRecord {
    let mut record = passing();
    record.error = Some(
        "had to remove leftovers after teardown: interface s4242-eth1, interface s4242".into(),
    );
    record.outcome = Outcome::Error;
    record
}

/// The passing run as a server with slips would leave it: both greetings
/// read past their case (one noted, one failed by `--strict`), the sent
/// line past its spelling.
pub(crate) fn lenient() -> RunRecord {
    let mut record = passing();
    let note = |id: &str, note: &str, passed: bool| (id.to_string(), note.to_string(), passed);
    for (id, note, passed) in [
        note(
            "greeting.a",
            "passed leniently (--strict fails it): `Client X Connected` is not the seed's `Client X connected`: letters in another case",
            true,
        ),
        note(
            "greeting.b",
            "failed by --strict (passes without it): `Client Y Connected` is not the seed's `Client Y connected`: letters in another case",
            false,
        ),
        note(
            "server.sent_ack",
            "passed leniently (--strict fails it): `Sent acknowledgement to both X and Y` is not the seed's `Sent acknowledgment to both X and Y`: `acknowledgement` for `acknowledgment`",
            true,
        ),
    ] {
        let v = record
            .verdicts
            .iter_mut()
            .find(|v| v.id == id)
            .unwrap_or_else(|| panic!("the passing run has no verdict {id}"));
        v.note = Some(note);
        v.passed = passed;
        v.leniency = Some(if passed {
            Leniency::Lenient
        } else {
            Leniency::Strict
        });
    }
    record.outcome = Outcome::Failed;
    record
}

/// Index of the first line `process` printed.
pub(crate) fn first_line(record: &RunRecord, process: &str) -> usize {
    record
        .events
        .iter()
        .position(|e| e.process == process && e.output().is_some())
        .unwrap_or_else(|| panic!("{process} printed nothing in this record"))
}

/// Replaces the text of a printed or typed line (tests of hostile output).
pub(crate) fn set_text(event: &mut crate::orchestrator::event::Event, new: &str) {
    use crate::orchestrator::event::EventKind;
    match &mut event.kind {
        EventKind::Output { text, .. } | EventKind::Typed { text } => *text = new.to_string(),
        other => panic!("{other:?} has no text"),
    }
}
