//! The acknowledgement (rubric items 7 and 8): both clients got the same
//! one, it pairs each letter with its own name, and its order is the
//! arrival order.

use super::Run;
use crate::orchestrator::event::Event;
use crate::orchestrator::record::Verdict;
use crate::pa3::protocol::{Ack, Letter};

/// `ack.same`: every client printed an ack, and the same one.
pub fn same(run: &Run) -> Vec<Verdict> {
    let acks = &run.facts.acks;
    let all_received = acks.iter().all(|(_, a)| a.is_some());
    let same = all_received
        && acks
            .windows(2)
            .all(|w| w[0].1.as_ref().map(|x| &x.0) == w[1].1.as_ref().map(|x| &x.0));
    let observed = acks
        .iter()
        .map(|(id, a)| {
            let shown = a.as_ref().map_or_else(|| "none".into(), |(a, _)| a.line());
            format!("{id} got \"{shown}\"")
        })
        .collect::<Vec<_>>()
        .join("; ");
    vec![Verdict::new(
        "ack.same",
        "Both clients received the same acknowledgment",
        same,
        "one acknowledgment, received by both clients",
        observed,
        run.facts.ack_events(),
    )]
}

/// The name the scenario gives the client playing `letter`.
fn name_of(run: &Run, letter: Letter) -> String {
    run.scenario
        .client_by_letter(letter)
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

/// Whether the ack pairs each letter with that client's own name.
fn names_ok(run: &Run, ack: &Ack) -> bool {
    ack.first_name == name_of(run, ack.first) && ack.second_name == name_of(run, ack.second())
}

/// `ack.names`: each letter of the ack carries its own client's name.
pub fn names(run: &Run) -> Vec<Verdict> {
    let (passed, observed) = match &run.facts.observed_ack {
        Some(a) => {
            // In the expectation's order (X first), whatever the ack's order.
            let named = |l: Letter| {
                if a.first == l {
                    &a.first_name
                } else {
                    &a.second_name
                }
            };
            (
                names_ok(run, a),
                format!("X: {}, Y: {}", named(Letter::X), named(Letter::Y)),
            )
        }
        None => (false, "no acknowledgment".into()),
    };
    vec![Verdict::new(
        "ack.names",
        "The acknowledgment pairs each letter with that client's name",
        passed,
        format!(
            "X: {}, Y: {}",
            name_of(run, Letter::X),
            name_of(run, Letter::Y)
        ),
        observed,
        run.facts.ack_events(),
    )]
}

/// `ack.order`: the ack's order is the expected one (see [`super::Facts`]).
pub fn order(run: &Run) -> Vec<Verdict> {
    let facts = &run.facts;
    let expected = &facts.expected;
    let observed = facts
        .observed_ack
        .as_ref()
        .map(Ack::line)
        .unwrap_or_else(|| "no acknowledgment".into());
    let mut evidence: Vec<Event> = facts.sends.clone();
    if let Some((_, e)) = &facts.server_ack {
        evidence.push(e.clone());
    }
    evidence.extend(facts.ack_events());
    let passed = match (&expected.ack, &facts.observed_ack) {
        (Some(want), Some(got)) => got.line() == *want,
        (None, Some(got)) => names_ok(run, got),
        (_, None) => false,
    };
    vec![Verdict::new(
        "ack.order",
        format!(
            "The acknowledgment reports the arrival order ({})",
            expected.basis
        ),
        passed,
        expected
            .ack
            .clone()
            .unwrap_or_else(|| "either order".into()),
        observed,
        evidence,
    )]
}
