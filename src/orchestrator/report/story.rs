//! What happened between the programs, read back from the event stream:
//! connects, greetings, messages, arrivals, acks and abnormal exits, in the
//! order they were observed. The Mermaid diagram draws these beats; the SVG
//! timeline draws arrows for them.
//!
//! The orchestrator's own events are matched by variant
//! ([`EventKind::Connected`], [`EventKind::Typed`], …); the programs' lines
//! are read the way a person reads the logs: a client's `From Server:
//! Client X connected`, `Sent to Server: Client X: Alice` (our client's
//! words, [`crate::pa3::client::SENT`]) and the ack it printed. A client
//! that prints none of our phrases (another program) still yields its
//! messages from what was typed into it.

use crate::orchestrator::event::{Event, EventKind};
use crate::orchestrator::record::{Role, RunRecord};
use crate::pa3::client::{CONNECTED, SENT};
use crate::pa3::protocol::{self, Letter};

use super::text::clean;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A client's TCP connection reached the server (client → server).
    Connect,
    /// The server's greeting reached a client (server → client).
    Greeting,
    /// A client sent its message (client → server).
    Message,
    /// The server printed a line naming a message it received (server note).
    Arrival,
    /// The acknowledgement reached a client (server → client).
    Ack,
    /// A process ended badly (note over it).
    Exit,
}

/// One step of the story.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Beat {
    pub kind: Kind,
    /// The client the beat is about; for `Arrival` and a server `Exit`, the
    /// server.
    pub process: String,
    /// What to write on the arrow or note (cleaned, not escaped).
    pub text: String,
    /// When it was observed.
    pub t_ms: f64,
    /// Index in `record.events` of the event it was read from.
    pub event: usize,
    /// For greetings and acks: the server's event that sent it, when its
    /// log names it.
    pub source: Option<usize>,
}

/// The id of the server process (`server` when the record has none).
pub(crate) fn server_id(record: &RunRecord) -> &str {
    record
        .processes
        .iter()
        .find(|p| p.role == Role::Server)
        .map_or("server", |p| p.id.as_str())
}

/// The client ids, in the record's order.
pub(crate) fn client_ids(record: &RunRecord) -> Vec<&str> {
    record
        .processes
        .iter()
        .filter(|p| p.role == Role::Client)
        .map(|p| p.id.as_str())
        .collect()
}

/// The letter a client played: the record's, or the one its greeting named.
pub(crate) fn letter_of(record: &RunRecord, id: &str) -> Option<Letter> {
    record.process(id).and_then(|p| p.letter).or_else(|| {
        record
            .events
            .iter()
            .find_map(|e| protocol::parse_greeting(e.stdout_of(id)?))
    })
}

/// The message of a `Sent to Server: …` line (any case, trimmed).
fn sent_to_server(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let head = t.get(..SENT.len())?;
    head.eq_ignore_ascii_case(SENT)
        .then(|| t[SENT.len()..].trim())
}

/// Whether `e` is `client`'s own `Connected to …` line.
fn says_connected(e: &Event, client: &str) -> bool {
    e.stdout_of(client)
        .is_some_and(|t| t.trim_start().starts_with(CONNECTED))
}

/// The server stdout event nearest in time to `t_ms` that `matches`.
fn nearest_server_event(
    events: &[Event],
    server: &str,
    t_ms: f64,
    matches: impl Fn(&str) -> bool,
) -> Option<usize> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.stdout_of(server).is_some_and(&matches))
        .min_by(|(_, a), (_, b)| (a.t_ms - t_ms).abs().total_cmp(&(b.t_ms - t_ms).abs()))
        .map(|(i, _)| i)
}

/// Builds the beats of one record.
struct Teller<'a> {
    record: &'a RunRecord,
    events: &'a [Event],
    server: &'a str,
    clients: Vec<&'a str>,
    beats: Vec<Beat>,
}

impl<'a> Teller<'a> {
    fn push(
        &mut self,
        kind: Kind,
        process: &str,
        text: String,
        event: usize,
        source: Option<usize>,
    ) {
        self.beats.push(Beat {
            kind,
            process: process.to_string(),
            text,
            t_ms: self.events[event].t_ms,
            event,
            source,
        });
    }

    fn has(&self, kind: Kind, id: &str) -> bool {
        self.beats.iter().any(|b| b.kind == kind && b.process == id)
    }

    /// The orchestrator saw `client`'s connection (event `i`). It sees it by
    /// polling, a few ms late; the client's own "Connected to" line, when it
    /// printed one earlier, dates it better.
    fn connected(&mut self, client: &str, i: usize) {
        if !self.clients.contains(&client) || self.has(Kind::Connect, client) {
            return;
        }
        let seen = self.events[i].t_ms;
        let own = self
            .events
            .iter()
            .position(|c| says_connected(c, client) && c.t_ms < seen);
        self.push(
            Kind::Connect,
            client,
            "connect".into(),
            own.unwrap_or(i),
            None,
        );
    }

    /// A client's stdout line `text` (event `i`): an ack, a greeting, or the
    /// message it says it sent.
    fn client_line(&mut self, client: &str, text: &str, i: usize) {
        let (events, server) = (self.events, self.server);
        let t_ms = events[i].t_ms;
        if let Some(ack) = protocol::parse_ack(text) {
            let source = nearest_server_event(events, server, t_ms, |t| {
                protocol::parse_ack(t).as_ref() == Some(&ack)
            })
            .or_else(|| {
                nearest_server_event(events, server, t_ms, |t| protocol::parse_ack(t).is_some())
            });
            self.push(Kind::Ack, client, ack.line(), i, source);
        } else if let Some(letter) = protocol::parse_greeting(text) {
            let greeting = protocol::greeting(letter);
            let source = nearest_server_event(events, server, t_ms, |t| {
                protocol::parse_greeting(t).is_some()
                    && t.to_lowercase().contains(&greeting.to_lowercase())
            });
            self.push(Kind::Greeting, client, greeting, i, source);
        } else if let Some(message) = sent_to_server(text) {
            // The client reports a send after its write returned, and its
            // line reaches us later still; the moment the line was typed
            // into it is when the message left.
            let typed = events[..i]
                .iter()
                .rposition(|c| c.process == client && matches!(c.kind, EventKind::Typed { .. }));
            self.push(
                Kind::Message,
                client,
                clean(message),
                typed.unwrap_or(i),
                None,
            );
        }
    }

    /// Reads every event once, in order.
    fn read_events(&mut self) {
        for (i, e) in self.events.iter().enumerate() {
            match &e.kind {
                EventKind::Connected { client, .. } => self.connected(client, i),
                EventKind::Output { .. } if self.clients.contains(&e.process.as_str()) => {
                    let text = e.stdout_of(&e.process).unwrap_or_default();
                    self.client_line(&e.process, text, i);
                }
                EventKind::Exited { exit } if !exit.success() => {
                    self.push(Kind::Exit, &e.process, clean(&e.kind.to_string()), i, None);
                }
                _ => {}
            }
        }
    }

    /// A client whose connection was not observed: the step that made it,
    /// or the client's own word.
    fn connect_fallback(&mut self, id: &str) {
        let step = self
            .events
            .iter()
            .position(|e| matches!(&e.kind, EventKind::Connecting { client } if client == id));
        let found = step.or_else(|| self.events.iter().position(|e| says_connected(e, id)));
        if let Some(i) = found {
            self.push(Kind::Connect, id, "connect".into(), i, None);
        }
    }

    /// A client that does not say what it sent: what was typed into it, in
    /// the words of its own `Client X: …` line when it has one.
    fn message_fallback(&mut self, id: &str) {
        let letter = letter_of(self.record, id);
        for (i, e) in self.events.iter().enumerate() {
            let EventKind::Typed { text } = &e.kind else {
                continue;
            };
            if e.process != id {
                continue;
            }
            let typed = text.trim();
            let worded = letter.and_then(|l| {
                let wanted = protocol::client_message(l, typed);
                self.events
                    .iter()
                    .any(|o| o.stdout_of(id).is_some_and(|t| t.contains(&wanted)))
                    .then_some(wanted)
            });
            let text = clean(&worded.unwrap_or_else(|| typed.to_string()));
            self.push(Kind::Message, id, text, i, None);
        }
    }

    /// The server's own account of what it received: its lines naming a
    /// message, other than greetings and acks.
    fn arrivals(&mut self) {
        let messages: Vec<String> = self
            .beats
            .iter()
            .filter(|b| b.kind == Kind::Message && !b.text.is_empty())
            .map(|b| b.text.clone())
            .collect();
        let server = self.server;
        for (i, e) in self.events.iter().enumerate() {
            let Some(text) = e.stdout_of(server) else {
                continue;
            };
            if protocol::parse_ack(text).is_none()
                && protocol::parse_greeting(text).is_none()
                && messages.iter().any(|m| text.contains(m.as_str()))
            {
                self.push(Kind::Arrival, server, clean(text), i, None);
            }
        }
    }
}

/// The story of the run, in observed order.
pub(crate) fn beats(record: &RunRecord) -> Vec<Beat> {
    let mut teller = Teller {
        record,
        events: &record.events,
        server: server_id(record),
        clients: client_ids(record),
        beats: Vec::new(),
    };
    teller.read_events();
    for id in teller.clients.clone() {
        if !teller.has(Kind::Connect, id) {
            teller.connect_fallback(id);
        }
        if !teller.has(Kind::Message, id) {
            teller.message_fallback(id);
        }
    }
    teller.arrivals();
    let mut beats = teller.beats;
    beats.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms).then(a.event.cmp(&b.event)));
    beats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::event::Stream;
    use crate::orchestrator::report::fixtures;

    fn summary(beats: &[Beat]) -> Vec<(Kind, &str, &str)> {
        beats
            .iter()
            .map(|b| (b.kind, b.process.as_str(), b.text.as_str()))
            .collect()
    }

    #[test]
    fn the_passing_run_reads_as_the_assignment_describes() {
        let record = fixtures::passing();
        let beats = beats(&record);
        // Every beat of the assignment, each once…
        let mut told = summary(&beats);
        told.sort_by_key(|&(kind, process, _)| (kind as u8, process));
        assert_eq!(
            told,
            vec![
                (Kind::Connect, "a", "connect"),
                (Kind::Connect, "b", "connect"),
                (Kind::Greeting, "a", "Client X connected"),
                (Kind::Greeting, "b", "Client Y connected"),
                (Kind::Message, "a", "Client X: Alice"),
                (Kind::Message, "b", "Client Y: Bob"),
                (Kind::Arrival, "server", "Arrived 1st: Client Y: Bob"),
                (Kind::Arrival, "server", "Arrived 2nd: Client X: Alice"),
                (Kind::Ack, "a", "Y: Bob received before X: Alice"),
                (Kind::Ack, "b", "Y: Bob received before X: Alice"),
            ]
        );
        // …in the order of time, and each phase after the one before it.
        assert!(beats.windows(2).all(|w| w[0].t_ms <= w[1].t_ms));
        let phase: Vec<u8> = beats.iter().map(|b| b.kind as u8).collect();
        assert!(phase.windows(2).all(|w| w[0] <= w[1]), "{phase:?}");
        assert_eq!(beats[4].text, "Client Y: Bob", "Bob was typed first");
        // greetings and acks know the server line that sent them
        for b in beats
            .iter()
            .filter(|b| matches!(b.kind, Kind::Greeting | Kind::Ack))
        {
            let source = &record.events[b.source.expect("a source")];
            assert_eq!(source.process, "server");
        }
    }

    #[test]
    fn a_foreign_client_still_yields_its_typed_message_and_a_bad_exit_is_told() {
        let mut record = fixtures::passing();
        // a client that does not print `Sent to Server: …`
        record.events.retain(|e| {
            !e.stdout_of("b")
                .is_some_and(|t| t.starts_with("Sent to Server"))
        });
        for e in &mut record.events {
            if let (true, EventKind::Exited { exit }) = (e.process == "b", &mut e.kind) {
                exit.code = Some(1);
            }
        }
        record.processes[2].exit.as_mut().unwrap().code = Some(1);
        let b_messages = |record: &RunRecord| -> Vec<(String, &'static str)> {
            beats(record)
                .iter()
                .filter(|x| x.kind == Kind::Message && x.process == "b")
                .map(|x| (x.text.clone(), record.events[x.event].kind.word()))
                .collect()
        };
        // nothing it printed names its message: the typed text it is
        assert_eq!(b_messages(&record), vec![("Bob".to_string(), "typed")]);
        assert!(beats(&record)
            .iter()
            .any(|x| x.kind == Kind::Exit && x.process == "b"));

        // it echoes `Client Y: Bob` in its own words: that is the label
        let echo = record
            .events
            .iter()
            .position(|e| e.process == "b" && matches!(e.kind, EventKind::Typed { .. }))
            .unwrap();
        let mut line = record.events[echo].clone();
        line.kind = EventKind::Output {
            stream: Stream::Stdout,
            text: "me> Client Y: Bob".into(),
        };
        record.events.insert(echo + 1, line);
        assert_eq!(
            b_messages(&record),
            vec![("Client Y: Bob".to_string(), "typed")]
        );
    }

    #[test]
    fn connect_falls_back_to_the_step_that_made_it() {
        let mut record = fixtures::passing();
        record
            .events
            .retain(|e| !matches!(e.kind, EventKind::Connected { .. }));
        let beats = beats(&record);
        let connect_a = beats
            .iter()
            .find(|b| b.kind == Kind::Connect && b.process == "a")
            .unwrap();
        assert_eq!(
            record.events[connect_a.event].kind,
            EventKind::Connecting { client: "a".into() }
        );
    }

    #[test]
    fn sent_to_server_prefix_is_case_insensitive_and_trimmed() {
        assert_eq!(
            sent_to_server("Sent to Server: Client X: Alice"),
            Some("Client X: Alice")
        );
        assert_eq!(sent_to_server("sent to server:  Bob "), Some("Bob"));
        assert_eq!(sent_to_server("From Server: Bob"), None);
        assert_eq!(sent_to_server("Zoë"), None);
    }
}
