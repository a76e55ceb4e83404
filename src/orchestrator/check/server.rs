//! What the server printed (rubric items 6 and 9 on the server's side): both
//! messages it received, and that it sent the acknowledgement to both.

use super::Run;
use crate::orchestrator::event::Event;
use crate::orchestrator::record::Verdict;
use crate::pa3::protocol::{self, SENT_ACK};

/// The server's first line (either stream) containing `needle`.
fn server_line<'a>(run: &Run<'a>, needle: &str) -> Option<&'a Event> {
    run.output("server")
        .find(|e| e.output().is_some_and(|(_, text)| text.contains(needle)))
}

/// `server.messages`: the server printed each client's `Client X: name`.
pub fn messages(run: &Run) -> Vec<Verdict> {
    let wanted: Vec<String> = run
        .scenario
        .clients
        .iter()
        .map(|c| protocol::client_message(c.letter, &c.name))
        .collect();
    let found: Vec<Option<&Event>> = wanted.iter().map(|w| server_line(run, w)).collect();
    let observed = wanted
        .iter()
        .zip(&found)
        .map(|(w, f)| format!("{w}: {}", if f.is_some() { "printed" } else { "missing" }))
        .collect::<Vec<_>>()
        .join("; ");
    vec![Verdict::new(
        "server.messages",
        "The server printed both clients' messages",
        found.iter().all(Option::is_some),
        wanted.join(" and "),
        observed,
        found.iter().flatten().map(|e| (*e).clone()).collect(),
    )]
}

/// `server.sent_ack`: the server printed `Sent acknowledgment to both X and Y`.
pub fn sent_ack(run: &Run) -> Vec<Verdict> {
    let sent = server_line(run, SENT_ACK);
    vec![Verdict::new(
        "server.sent_ack",
        "The server printed that it sent the acknowledgment to both",
        sent.is_some(),
        SENT_ACK,
        if sent.is_some() {
            SENT_ACK
        } else {
            "not printed"
        },
        sent.map(|e| vec![e.clone()]).unwrap_or_default(),
    )]
}
