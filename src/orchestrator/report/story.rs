//! What happened between the programs, read back from the event stream:
//! connects, greetings, messages, arrivals, acks and abnormal exits, in the
//! order they were observed. The Mermaid diagram draws these beats; the SVG
//! timeline draws arrows for them.
//!
//! The event stream is the source of truth, read the way a person reads the
//! logs: the orchestrator's `a connected …` step, a client's `From Server:
//! Client X connected`, `Sent to Server: Client X: Alice` and the ack it
//! printed. A client that prints none of our phrases (another program) still
//! yields its messages from what was typed into it.

use std::sync::OnceLock;

use regex::Regex;

use crate::orchestrator::record::{Event, Role, RunRecord, Stream, ORCHESTRATOR};
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
            .filter(|e| e.process == id && e.stream == Stream::Stdout)
            .find_map(|e| protocol::parse_greeting(&e.text))
    })
}

fn connected_step(text: &str) -> Option<&str> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\s*(\S+) connected\b").unwrap());
    re.captures(text).map(|c| c.get(1).unwrap().as_str())
}

fn connect_step(text: &str) -> Option<&str> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^\s*connect (\S+)\s*$").unwrap());
    re.captures(text).map(|c| c.get(1).unwrap().as_str())
}

fn sent_to_server(text: &str) -> Option<&str> {
    const PREFIX: &str = "sent to server:";
    let t = text.trim_start();
    let head = t.get(..PREFIX.len())?;
    head.eq_ignore_ascii_case(PREFIX)
        .then(|| t[PREFIX.len()..].trim())
}

/// The server event nearest in time to `t_ms` that `matches`.
fn nearest_server_event(
    events: &[Event],
    server: &str,
    t_ms: f64,
    matches: impl Fn(&str) -> bool,
) -> Option<usize> {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.process == server && e.stream == Stream::Stdout && matches(&e.text))
        .min_by(|(_, a), (_, b)| (a.t_ms - t_ms).abs().total_cmp(&(b.t_ms - t_ms).abs()))
        .map(|(i, _)| i)
}

/// The story of the run, in observed order.
pub(crate) fn beats(record: &RunRecord) -> Vec<Beat> {
    let events = &record.events;
    let server = server_id(record);
    let clients = client_ids(record);
    let is_client = |id: &str| clients.contains(&id);
    let mut beats: Vec<Beat> = Vec::new();
    let beat = |kind, process: &str, text: String, i: usize, source| Beat {
        kind,
        process: process.to_string(),
        text,
        t_ms: events[i].t_ms,
        event: i,
        source,
    };

    for (i, e) in events.iter().enumerate() {
        match e.stream {
            Stream::Step if e.process == ORCHESTRATOR => {
                if let Some(id) = connected_step(&e.text).filter(|id| is_client(id)) {
                    let already = beats
                        .iter()
                        .any(|b| b.kind == Kind::Connect && b.process == id);
                    if !already {
                        // The orchestrator sees a connection by polling, a
                        // few ms late; the client's own "Connected to" line,
                        // when it printed one earlier, dates it better.
                        let own = events.iter().position(|c| {
                            c.process == id
                                && c.stream == Stream::Stdout
                                && c.text.trim_start().starts_with("Connected to")
                                && c.t_ms < e.t_ms
                        });
                        let at = own.unwrap_or(i);
                        beats.push(beat(Kind::Connect, id, "connect".into(), at, None));
                    }
                }
            }
            Stream::Stdout if is_client(&e.process) => {
                if let Some(ack) = protocol::parse_ack(&e.text) {
                    let source = nearest_server_event(events, server, e.t_ms, |t| {
                        protocol::parse_ack(t).as_ref() == Some(&ack)
                    })
                    .or_else(|| {
                        nearest_server_event(events, server, e.t_ms, |t| {
                            protocol::parse_ack(t).is_some()
                        })
                    });
                    beats.push(beat(Kind::Ack, &e.process, ack.line(), i, source));
                } else if let Some(letter) = protocol::parse_greeting(&e.text) {
                    let greeting = protocol::greeting(letter);
                    let source = nearest_server_event(events, server, e.t_ms, |t| {
                        protocol::parse_greeting(t).is_some()
                            && t.to_lowercase().contains(&greeting.to_lowercase())
                    });
                    beats.push(beat(Kind::Greeting, &e.process, greeting, i, source));
                } else if let Some(message) = sent_to_server(&e.text) {
                    // The client reports a send after its write returned,
                    // and its line reaches us later still; the moment the
                    // line was typed into it is when the message left.
                    let typed = events[..i]
                        .iter()
                        .rposition(|c| c.process == e.process && c.stream == Stream::Stdin);
                    let at = typed.unwrap_or(i);
                    beats.push(beat(Kind::Message, &e.process, clean(message), at, None));
                }
            }
            Stream::Exit => {
                let ok = record
                    .process(&e.process)
                    .and_then(|p| p.exit.as_ref())
                    .is_some_and(|x| x.success());
                if !ok && e.process != ORCHESTRATOR {
                    beats.push(beat(Kind::Exit, &e.process, clean(&e.text), i, None));
                }
            }
            _ => {}
        }
    }

    for &id in &clients {
        let has = |kind| {
            beats
                .iter()
                .any(|b: &Beat| b.kind == kind && b.process == id)
        };
        let (has_connect, has_message) = (has(Kind::Connect), has(Kind::Message));
        if !has_connect {
            // No observation of the connection: the step that made it, or
            // the client's own word.
            let found = events
                .iter()
                .position(|e| {
                    e.process == ORCHESTRATOR
                        && e.stream == Stream::Step
                        && connect_step(&e.text) == Some(id)
                })
                .or_else(|| {
                    events.iter().position(|e| {
                        e.process == id
                            && e.stream == Stream::Stdout
                            && e.text.trim_start().starts_with("Connected to")
                    })
                });
            if let Some(i) = found {
                beats.push(beat(Kind::Connect, id, "connect".into(), i, None));
            }
        }
        if !has_message {
            // A client that does not say what it sent: what was typed into
            // it, in the words of its own `Client X: …` line when it has one.
            let letter = letter_of(record, id);
            for (i, e) in events.iter().enumerate() {
                if e.process != id || e.stream != Stream::Stdin {
                    continue;
                }
                let typed = e.text.trim();
                let worded = letter.and_then(|l| {
                    let wanted = protocol::client_message(l, typed);
                    events
                        .iter()
                        .any(|o| {
                            o.process == id
                                && o.stream == Stream::Stdout
                                && o.text.contains(&wanted)
                        })
                        .then_some(wanted)
                });
                let text = clean(&worded.unwrap_or_else(|| typed.to_string()));
                beats.push(beat(Kind::Message, id, text, i, None));
            }
        }
    }

    // The server's own account of what it received.
    let messages: Vec<String> = beats
        .iter()
        .filter(|b| b.kind == Kind::Message && !b.text.is_empty())
        .map(|b| b.text.clone())
        .collect();
    for (i, e) in events.iter().enumerate() {
        if e.process == server
            && e.stream == Stream::Stdout
            && protocol::parse_ack(&e.text).is_none()
            && protocol::parse_greeting(&e.text).is_none()
            && messages.iter().any(|m| e.text.contains(m.as_str()))
        {
            beats.push(beat(Kind::Arrival, server, clean(&e.text), i, None));
        }
    }

    beats.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms).then(a.event.cmp(&b.event)));
    beats
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(
            summary(&beats),
            vec![
                (Kind::Connect, "a", "connect"),
                (Kind::Connect, "b", "connect"),
                (Kind::Greeting, "a", "Client X connected"),
                (Kind::Greeting, "b", "Client Y connected"),
                (Kind::Message, "b", "Client Y: Bob"),
                (Kind::Message, "a", "Client X: Alice"),
                (Kind::Arrival, "server", "Arrived 1st: Client Y: Bob"),
                (Kind::Arrival, "server", "Arrived 2nd: Client X: Alice"),
                (Kind::Ack, "a", "Y: Bob received before X: Alice"),
                (Kind::Ack, "b", "Y: Bob received before X: Alice"),
            ]
        );
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
        record
            .events
            .retain(|e| !(e.process == "b" && e.text.starts_with("Sent to Server")));
        record.processes[2].exit.as_mut().unwrap().code = Some(1);
        let b_messages = |record: &RunRecord| -> Vec<(String, Stream)> {
            beats(record)
                .iter()
                .filter(|x| x.kind == Kind::Message && x.process == "b")
                .map(|x| (x.text.clone(), record.events[x.event].stream))
                .collect()
        };
        // nothing it printed names its message: the typed text it is
        assert_eq!(
            b_messages(&record),
            vec![("Bob".to_string(), Stream::Stdin)]
        );
        assert!(beats(&record)
            .iter()
            .any(|x| x.kind == Kind::Exit && x.process == "b"));

        // it echoes `Client Y: Bob` in its own words: that is the label
        let echo = record
            .events
            .iter()
            .position(|e| e.process == "b" && e.stream == Stream::Stdin)
            .unwrap();
        let mut line = record.events[echo].clone();
        line.stream = Stream::Stdout;
        line.text = "me> Client Y: Bob".into();
        record.events.insert(echo + 1, line);
        assert_eq!(
            b_messages(&record),
            vec![("Client Y: Bob".to_string(), Stream::Stdin)]
        );
    }

    #[test]
    fn connect_falls_back_to_the_step_that_made_it() {
        let mut record = fixtures::passing();
        record
            .events
            .retain(|e| !(e.stream == Stream::Step && e.text.contains(" connected")));
        let beats = beats(&record);
        let connect_a = beats
            .iter()
            .find(|b| b.kind == Kind::Connect && b.process == "a")
            .unwrap();
        assert_eq!(record.events[connect_a.event].text, "connect a");
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
