//! The greetings (rubric items 4 and 5): each client is told the letter of
//! its connect position, and only once *both* clients are connected.

use super::{facts::heard, slip, Run};
use crate::orchestrator::event::{Event, EventKind};
use crate::orchestrator::record::Verdict;
use crate::orchestrator::scenario::{ValidClient, ValidStep};
use crate::pa3::protocol::{self, Letter, Reading};

/// The first greeting `client` heard, as read, and its event.
pub(super) fn greeting_of<'a>(
    run: &Run<'a>,
    client: &'a ValidClient,
) -> Option<(Reading<Letter>, &'a Event)> {
    heard(client, run.events)
        .find_map(|(text, framing, e)| protocol::read_greeting(text, framing).map(|r| (r, e)))
}

/// `greeting.<client>`: the greeting names the client's connect position.
pub fn letters(run: &Run) -> Vec<Verdict> {
    run.scenario
        .clients()
        .iter()
        .map(|c| {
            let (passed, observed, evidence, how) = match greeting_of(run, c) {
                Some((r, e)) => {
                    let seed = protocol::greeting(r.value);
                    let how = (!r.is_exact()).then(|| slip(&r.text, &seed, &r.deviations));
                    let observed = if r.is_exact() { seed } else { r.text };
                    (r.value == c.letter(), observed, vec![e.clone()], how)
                }
                None => (false, "no greeting".to_string(), Vec::new(), None),
            };
            let verdict = Verdict::new(
                format!("greeting.{}", c.id()),
                format!(
                    "Client {} ({}) was greeted as {}, its connect position",
                    c.id(),
                    c.name(),
                    c.letter()
                ),
                passed,
                protocol::greeting(c.letter()),
                observed,
                evidence,
            );
            run.leniently(verdict, how)
        })
        .collect()
}

/// `greeting.after_both`: no client printed a greeting before the client
/// that connected last had even been started. (The start of that client
/// is a sound bound: its connection cannot exist before it runs, so a
/// greeting earlier than that was sent with one connection only. A
/// greeting after the start but before the connection cannot be told from
/// a right one by timing; scenarios that test this leave a gap between the
/// two connects.)
pub fn after_both(run: &Run) -> Vec<Verdict> {
    let last_connect = run.scenario.steps().iter().rev().find_map(|s| match s {
        ValidStep::Connect(c) => Some(run.scenario.client(*c).id()),
        _ => None,
    });
    let Some(last) = last_connect else {
        return Vec::new();
    };
    let started = run.first_of(last, |k| matches!(k, EventKind::Started { .. }));
    let early: Vec<(&str, &Event)> = run
        .scenario
        .clients()
        .iter()
        .filter_map(|c| greeting_of(run, c).map(|(_, e)| (c.id(), e)))
        .filter(|(_, e)| started.is_none_or(|s| e.t_ms < s.t_ms))
        .collect();
    let observed = if early.is_empty() {
        "no greeting before both had connected".to_string()
    } else {
        let who: Vec<String> = early
            .iter()
            .map(|(id, e)| match started {
                Some(s) => format!(
                    "client {id} was greeted at t={:.0} ms, before client {last} was started (t={:.0} ms)",
                    e.t_ms, s.t_ms
                ),
                None => format!("client {id} was greeted, and client {last} was never started"),
            })
            .collect();
        who.join("; ")
    };
    let mut evidence: Vec<Event> = early.iter().map(|(_, e)| (*e).clone()).collect();
    if let (false, Some(s)) = (early.is_empty(), started) {
        evidence.push(s.clone());
    }
    vec![Verdict::new(
        "greeting.after_both",
        "No client was greeted before both clients had connected",
        early.is_empty(),
        "greetings only after both connections",
        observed,
        evidence,
    )]
}
