//! The acknowledgement (rubric items 7 and 8): both clients got the same
//! one, it pairs each letter with its own name, and its order is the
//! arrival order. Its wording is judged by `ack.same`, its names by
//! `ack.names`; `ack.order` judges the order alone.

use super::{slip, Run};
use crate::orchestrator::event::Event;
use crate::orchestrator::record::Verdict;
use crate::pa3::protocol::{self, Ack, Deviation, Letter};

/// `ack.same`: every client printed an ack, and the same one.
pub fn same(run: &Run) -> Vec<Verdict> {
    let acks = &run.facts.acks;
    let all_received = acks.iter().all(|(_, a)| a.is_some());
    let same = all_received
        && acks
            .windows(2)
            .all(|w| w[0].1.as_ref().map(|x| &x.0.value) == w[1].1.as_ref().map(|x| &x.0.value));
    let observed = acks
        .iter()
        .map(|(id, a)| {
            let shown = a.as_ref().map_or_else(
                || "none".into(),
                |(r, _)| {
                    if r.is_exact() {
                        r.value.line()
                    } else {
                        r.text.clone()
                    }
                },
            );
            format!("{id} got \"{shown}\"")
        })
        .collect::<Vec<_>>()
        .join("; ");
    // The slips of the wording, once per different text.
    let mut slips: Vec<String> = Vec::new();
    for (r, _) in acks.iter().filter_map(|(_, a)| a.as_ref()) {
        let s = slip(&r.text, &r.value.line(), &r.deviations);
        if !r.is_exact() && !slips.contains(&s) {
            slips.push(s);
        }
    }
    let verdict = Verdict::new(
        "ack.same",
        "Both clients received the same acknowledgment",
        same,
        "one acknowledgment, received by both clients",
        observed,
        run.facts.ack_events(),
    );
    vec![run.leniently(verdict, (!slips.is_empty()).then(|| slips.join("; ")))]
}

/// The name the scenario gives the client playing `letter`.
fn name_of(run: &Run, letter: Letter) -> String {
    run.scenario
        .client_by_letter(letter)
        .map(|c| c.name().to_string())
        .unwrap_or_default()
}

/// The name the ack gives `letter`.
fn named(ack: &Ack, letter: Letter) -> &str {
    if ack.first == letter {
        &ack.first_name
    } else {
        &ack.second_name
    }
}

/// Whether the ack pairs each letter with that client's own name, leniently
/// ([`protocol::compare_name`]); the slips, in words, when it does.
fn names_ok(run: &Run, ack: &Ack) -> Option<Vec<String>> {
    let mut slips = Vec::new();
    for letter in [Letter::X, Letter::Y] {
        let (got, want) = (named(ack, letter), name_of(run, letter));
        let deviations: Vec<Deviation> = protocol::compare_name(got, &want)?;
        if !deviations.is_empty() {
            slips.push(slip(got, &want, &deviations));
        }
    }
    Some(slips)
}

/// `ack.names`: each letter of the ack carries its own client's name.
pub fn names(run: &Run) -> Vec<Verdict> {
    let (passed, observed, how) = match &run.facts.observed_ack {
        Some(a) => {
            // In the expectation's order (X first), whatever the ack's order.
            let observed = format!("X: {}, Y: {}", named(a, Letter::X), named(a, Letter::Y));
            match names_ok(run, a) {
                Some(slips) => (
                    true,
                    observed,
                    (!slips.is_empty()).then(|| slips.join("; ")),
                ),
                None => (false, observed, None),
            }
        }
        None => (false, "no acknowledgment".into(), None),
    };
    let verdict = Verdict::new(
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
    );
    vec![run.leniently(verdict, how)]
}

/// Whether `got` reports the same order as the ack `want` (a string the
/// seed's way): the same letter first, with the same names as far as
/// [`protocol::compare_name`] goes (their slips are `ack.names`' to judge).
fn same_order(got: &Ack, want: &str) -> bool {
    let Some(want) = protocol::parse_ack(want) else {
        return false;
    };
    got.first == want.first
        && protocol::compare_name(&got.first_name, &want.first_name).is_some()
        && protocol::compare_name(&got.second_name, &want.second_name).is_some()
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
        (Some(want), Some(got)) => same_order(got, want),
        (None, Some(got)) => names_ok(run, got).is_some(),
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
