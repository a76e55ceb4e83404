//! What the server printed (rubric items 6 and 9 on the server's side): both
//! messages it received, and that it sent the acknowledgement to both. Its
//! lines are printed lines: its own words around the strings are its
//! business, only the strings are judged ([`protocol::Framing::Printed`]).

use super::greeting::greeting_of;
use super::{slip, Run};
use crate::orchestrator::event::{Event, EventKind};
use crate::orchestrator::record::Verdict;
use crate::pa3::protocol::{self, Framing, Letter, Reading, SENT_ACK};

/// The first line the server printed (either stream) that `read` reads
/// exactly, else the first it reads at all.
fn server_line<'a, T>(
    run: &Run<'a>,
    read: impl Fn(&str) -> Option<Reading<T>>,
) -> Option<(Reading<T>, &'a Event)> {
    let mut lenient = None;
    for e in run.output("server") {
        let Some((_, text)) = e.output() else {
            continue;
        };
        if let Some(r) = read(text) {
            if r.is_exact() {
                return Some((r, e));
            }
            lenient.get_or_insert((r, e));
        }
    }
    lenient
}

/// `server.messages`: the server printed each client's message as the
/// client sent it: `Client X: name`, with the letter the server's own
/// greeting gave that client (a server that greeted both as Y printed
/// `Client Y: …` for both, which is what it received).
pub fn messages(run: &Run) -> Vec<Verdict> {
    let letters: Vec<Letter> = run
        .scenario
        .clients()
        .iter()
        .map(|c| greeting_of(run, c).map_or(c.letter(), |(r, _)| r.value))
        .collect();
    let wanted: Vec<String> = run
        .scenario
        .clients()
        .iter()
        .zip(&letters)
        .map(|(c, &l)| protocol::client_message(l, c.name()))
        .collect();
    let found: Vec<Option<(Reading<()>, &Event)>> = run
        .scenario
        .clients()
        .iter()
        .zip(&letters)
        .map(|(c, &letter)| {
            server_line(run, |text| {
                // An ack that keeps `Client` (`Client Y: Bob received
                // before Client X: Alice`) holds both strings, but it is
                // not the server printing what it received.
                if protocol::parse_ack(text).is_some() {
                    return None;
                }
                protocol::find_client_message(text, letter, c.name())
            })
        })
        .collect();
    let observed = wanted
        .iter()
        .zip(&found)
        .map(|(w, f)| {
            let seen = match f {
                Some((r, _)) if r.is_exact() => "printed".to_string(),
                Some((r, _)) => format!("printed as \"{}\"", r.text),
                None => "missing".to_string(),
            };
            format!("{w}: {seen}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    let slips: Vec<String> = wanted
        .iter()
        .zip(&found)
        .filter_map(|(w, f)| match f {
            Some((r, _)) if !r.is_exact() => Some(slip(&r.text, w, &r.deviations)),
            _ => None,
        })
        .collect();
    let verdict = Verdict::new(
        "server.messages",
        "The server printed both clients' messages",
        found.iter().all(Option::is_some),
        wanted.join(" and "),
        observed,
        found.iter().flatten().map(|(_, e)| (*e).clone()).collect(),
    );
    vec![run.leniently(verdict, (!slips.is_empty()).then(|| slips.join("; ")))]
}

/// `server.sent_ack`: the server printed `Sent acknowledgment to both X and Y`.
pub fn sent_ack(run: &Run) -> Vec<Verdict> {
    let sent = server_line(run, |text| protocol::read_sent_ack(text, Framing::Printed));
    let (observed, how) = match &sent {
        Some((r, _)) if r.is_exact() => (SENT_ACK.to_string(), None),
        Some((r, _)) => (r.text.clone(), Some(slip(&r.text, SENT_ACK, &r.deviations))),
        None => ("not printed".to_string(), None),
    };
    let verdict = Verdict::new(
        "server.sent_ack",
        "The server printed that it sent the acknowledgment to both",
        sent.is_some(),
        SENT_ACK,
        observed,
        sent.map(|(_, e)| vec![e.clone()]).unwrap_or_default(),
    );
    vec![run.leniently(verdict, how)]
}

/// `server.read_early`: the server received no client's message before
/// both clients were connected (rubric item 3). Seen in the server host's
/// socket table just before the second client was started: a connection
/// on which bytes had arrived and none were left unread had been read
/// from. Only a client that sends before it is greeted can show it (one
/// typed into the moment it asks, `eager`): without such a client the
/// check gives no verdict.
pub fn read_early(run: &Run) -> Vec<Verdict> {
    if !run.scenario.clients().iter().any(|c| c.eager()) {
        return Vec::new();
    }
    let early: Vec<&Event> = run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ReadEarly { .. }))
        .collect();
    let observed = match early.first() {
        Some(e) => e.kind.to_string(),
        None => "no message read before both clients had connected".to_string(),
    };
    vec![Verdict::new(
        "server.read_early",
        "The server read no message before both clients had connected",
        early.is_empty(),
        "no message read before both clients had connected",
        &observed,
        early.into_iter().cloned().collect(),
    )]
}
