//! What one grading run showed of a submission, read once from its whole
//! record (before the batch keeps only a slim one): who connected, who
//! was greeted, what the acknowledgement said in what order, whether the
//! server read a message early, whether the run deadlocked, what the
//! network was adapted for, which of the student's programs died at once
//! and why, and what each used. The rubric ([`super::rubric`]) judges the
//! items from these facts and the run's verdicts.

use serde::{Deserialize, Serialize};

use crate::orchestrator::event::{Adaptation, EventKind, Stream};
use crate::orchestrator::record::{Role, RunRecord, Usage};
use crate::orchestrator::scenario::ValidScenario;
use crate::pa3::protocol::{self, Framing};

/// The facts of one run (kept in the grade's `summary.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    /// The clients (ids) the server's host saw connect, in order.
    pub connected: Vec<String>,
    /// The clients that printed a greeting (read leniently).
    pub greeted: Vec<String>,
    /// The clients typed into without a greeting: none came.
    pub ungreeted: Vec<String>,
    /// The server read a client's message before the other connected.
    pub read_early: Option<String>,
    /// The run was deadlocked: who waited for what.
    pub deadlock: Option<String>,
    pub adaptations: Vec<Adaptation>,
    /// The names the acknowledgement gave, first then second, with the
    /// letter of the first, as the clients heard it (the first heard).
    pub ack: Option<HeardAck>,
    /// The clients that heard an acknowledgement.
    pub heard_ack: Vec<String>,
    /// The names sent, in the order they were sent: typed, or given on
    /// the command line (sent as the client connected).
    pub sent: Vec<String>,
    /// The acknowledgement the server printed (what it meant to send).
    pub server_ack: Option<HeardAck>,
    /// The names typed that the server printed (on either stream).
    pub server_printed: Vec<String>,
    /// The names the scenario gives each client, by connect order (X's
    /// first).
    pub names: Vec<String>,
    /// Programs that ended on their own with an error before the run got
    /// anywhere: `(id, what they said last on stderr)`.
    pub crashed: Vec<(String, String)>,
    /// What each program of the student's used (its control group).
    pub usage: Vec<(String, Usage)>,
}

/// An acknowledgement as heard: `Y: Bob received before X: Alice`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeardAck {
    pub first_letter: char,
    pub first_name: String,
    pub second_name: String,
    /// The same letter twice (`Y: Bob received before Y: Alice`): no ack
    /// of the seed's form, but its names still show an order.
    #[serde(default)]
    pub same_letters: bool,
}

impl RunFacts {
    /// The facts of `record`, a run of `scenario`. `names_known`: whether
    /// the clients send the names the scenario gives (typed, or on their
    /// command line); a client with its own name written in does not, and
    /// what was sent is then not known.
    pub fn of(scenario: &ValidScenario, record: &RunRecord, names_known: bool) -> RunFacts {
        let mut facts = RunFacts {
            adaptations: record.adaptations.clone(),
            names: names_by_letter(scenario),
            ..RunFacts::default()
        };
        // Clients given their name on the command line send it as they
        // connect.
        let by_argv: Vec<(&str, &str)> = scenario
            .clients()
            .iter()
            .filter(|c| c.cmd().into_iter().flatten().any(|a| a.contains("{name}")))
            .map(|c| (c.id(), c.name()))
            .collect();
        for e in &record.events {
            match &e.kind {
                EventKind::Connected { client, .. } => {
                    facts.connected.push(client.clone());
                    let argv_name = by_argv.iter().find(|(id, _)| id == client);
                    if let (true, Some((_, name))) = (names_known, argv_name) {
                        facts.sent.push(name.to_string());
                    }
                }
                EventKind::NoGreeting { client, .. } => facts.ungreeted.push(client.clone()),
                EventKind::ReadEarly { .. } => {
                    facts.read_early.get_or_insert_with(|| e.kind.to_string());
                }
                EventKind::Deadlocked { who } => facts.deadlock = Some(who.clone()),
                EventKind::Typed { text } if names_known => facts.sent.push(text.clone()),
                _ => {}
            }
        }
        for p in record.processes.iter().filter(|p| p.role == Role::Client) {
            facts.hear(record, &p.id);
        }
        let server_said: Vec<&str> = record
            .events
            .iter()
            .filter(|e| e.process == "server")
            .filter_map(|e| e.output().map(|(_, t)| t))
            .collect();
        facts.server_ack = server_said.iter().find_map(|l| heard_ack(l));
        let server_lines: Vec<String> = server_said.iter().map(|t| t.to_lowercase()).collect();
        facts.server_printed = facts
            .sent
            .iter()
            .filter(|n| server_lines.iter().any(|l| l.contains(&n.to_lowercase())))
            .cloned()
            .collect();
        facts.crashed = crashed(record);
        facts.usage = record
            .processes
            .iter()
            .filter_map(|p| Some((p.id.clone(), p.usage?)))
            .collect();
        facts
    }

    /// What client `id` printed: a greeting, an acknowledgement.
    fn hear(&mut self, record: &RunRecord, id: &str) {
        let lines: Vec<&str> = record
            .events
            .iter()
            .filter_map(|e| e.stdout_of(id))
            .collect();
        if lines
            .iter()
            .any(|l| protocol::read_greeting(l, Framing::Printed).is_some())
        {
            self.greeted.push(id.to_string());
        }
        let heard = protocol::fold_lines(&lines)
            .iter()
            .find_map(|l| heard_ack(l));
        if let Some(ack) = heard {
            self.heard_ack.push(id.to_string());
            self.ack.get_or_insert(ack);
        }
    }

    /// The acknowledgement a client heard, else the one the server printed
    /// (a server whose clients hung up before it sent).
    pub fn any_ack(&self) -> Option<&HeardAck> {
        self.ack.as_ref().or(self.server_ack.as_ref())
    }

    /// Whether the acknowledgement named first the message that was sent
    /// first (the order of the names alone, whatever the letters); `None`
    /// when it names other names than were sent (a fixed string).
    pub fn first_named_first_sent(&self) -> Option<bool> {
        let ack = self.any_ack()?;
        let first_sent = self.sent.first()?;
        if !self.names_sent(ack)? {
            return None;
        }
        Some(same_name(&ack.first_name, first_sent))
    }

    /// Whether `ack` names the two names sent (in any order).
    fn names_sent(&self, ack: &HeardAck) -> Option<bool> {
        if self.sent.len() < 2 {
            return None;
        }
        let named = [&ack.first_name, &ack.second_name];
        Some(
            self.sent
                .iter()
                .all(|s| named.iter().any(|n| same_name(n, s))),
        )
    }

    /// Whether the acknowledgement names the two names typed (in any
    /// order): a fixed string answered whatever was typed does not.
    pub fn ack_names_what_was_typed(&self) -> Option<bool> {
        self.names_sent(self.ack.as_ref()?)
    }

    /// Whether each letter of the acknowledgement is paired with the name
    /// of the client that connected in that position.
    pub fn letters_match_connect_order(&self) -> Option<bool> {
        let ack = self.any_ack()?;
        if ack.same_letters {
            return Some(false);
        }
        let (x, y) = (self.names.first()?, self.names.get(1)?);
        let named = [&ack.first_name, &ack.second_name];
        if !named.iter().any(|n| same_name(n, x)) || !named.iter().any(|n| same_name(n, y)) {
            // Other names than the clients'.
            return None;
        }
        let (first_is, second_is) = match ack.first_letter {
            'X' => (x, y),
            _ => (y, x),
        };
        Some(same_name(&ack.first_name, first_is) && same_name(&ack.second_name, second_is))
    }
}

/// The scenario's names by letter, X's first.
fn names_by_letter(s: &ValidScenario) -> Vec<String> {
    let mut by: Vec<(protocol::Letter, String)> = s
        .clients()
        .iter()
        .map(|c| (c.letter(), c.name().to_string()))
        .collect();
    by.sort_by_key(|(l, _)| l.index());
    by.into_iter().map(|(_, n)| n).collect()
}

/// An acknowledgement in a printed line, its names stripped of a
/// message's own `Client X:` (a server that puts the letter before the
/// whole message it received: `X: Client X: Alice received before …`).
pub fn heard_ack(line: &str) -> Option<HeardAck> {
    let Some(ack) = protocol::parse_ack(line) else {
        return same_letters_ack(line);
    };
    Some(HeardAck {
        first_letter: ack.first.to_string().chars().next().unwrap_or('X'),
        first_name: bare_name(&ack.first_name),
        second_name: bare_name(&ack.second_name),
        same_letters: false,
    })
}

/// `Y: Bob received before Y: Alice`: what [`protocol::parse_ack`] refuses
/// (the same letter twice), read for the order of its names.
fn same_letters_ack(line: &str) -> Option<HeardAck> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b([xy])\s*:\s*(\S.*?)\s+rec(?:ie|ei)ved\s+before\s+(?:client\s*)?([xy])\s*:\s*(\S.*?)\s*$",
        )
        .expect("a valid pattern")
    });
    let c = RE.captures(line)?;
    let letter = c[1].to_ascii_uppercase();
    (letter == c[3].to_ascii_uppercase()).then(|| HeardAck {
        first_letter: letter.chars().next().unwrap_or('X'),
        first_name: bare_name(&c[2]),
        second_name: bare_name(&c[4]),
        same_letters: true,
    })
}

/// `Client X: Alice` → `Alice`; `Alice` as it is.
fn bare_name(name: &str) -> String {
    let t = name.trim();
    let lower = t.to_ascii_lowercase();
    match lower.strip_prefix("client ") {
        Some(rest) if rest.len() >= 2 && rest.as_bytes()[1] == b':' => t[9..].trim().to_string(),
        _ => t.to_string(),
    }
}

/// Names compared as a person would: case, quotes and spacing aside.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim_matches(|c: char| {
            c == '"' || c == '\'' || c.is_ascii_punctuation() || c.is_whitespace()
        })
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
    };
    norm(a) == norm(b)
}

/// The student's programs that ended with an error on their own, and the
/// last thing each printed on stderr (a Python traceback's last line).
fn crashed(record: &RunRecord) -> Vec<(String, String)> {
    record
        .processes
        .iter()
        .filter(|p| {
            p.exit
                .as_ref()
                .is_some_and(|x| !x.success() && !x.killed_by_orchestrator)
        })
        .map(|p| {
            let said = record
                .events
                .iter()
                .rev()
                .find_map(|e| match &e.kind {
                    EventKind::Output {
                        stream: Stream::Stderr,
                        text,
                    } if e.process == p.id && !text.trim().is_empty() => {
                        Some(text.trim().to_string())
                    }
                    _ => None,
                })
                .unwrap_or_else(|| p.exit.as_ref().map(|x| x.describe()).unwrap_or_default());
            (p.id.clone(), said)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_is_heard_with_the_messages_own_client_prefix_stripped() {
        let seed = heard_ack("From Server: Y: Bob received before X: Alice").unwrap();
        assert_eq!(
            (
                seed.first_letter,
                seed.first_name.as_str(),
                seed.second_name.as_str()
            ),
            ('Y', "Bob", "Alice")
        );
        // A server that adds the letter to the whole message it received.
        let added = heard_ack("X: Client X: Alice received before Y: Client Y: Bob").unwrap();
        assert_eq!(
            (
                added.first_letter,
                added.first_name.as_str(),
                added.second_name.as_str()
            ),
            ('X', "Alice", "Bob")
        );
        assert_eq!(heard_ack("Client X connected"), None);
        let same = heard_ack("From Server: Y: Bob received before Y: Alice").unwrap();
        assert_eq!(
            (
                same.first_name.as_str(),
                same.second_name.as_str(),
                same.same_letters
            ),
            ("Bob", "Alice", true)
        );
    }

    #[test]
    fn the_order_of_names_and_the_letters_are_judged_apart() {
        let facts = |ack: &str| RunFacts {
            ack: heard_ack(ack),
            sent: vec!["Bob".into(), "Alice".into()],
            names: vec!["Alice".into(), "Bob".into()],
            ..RunFacts::default()
        };
        let right = facts("Y: Bob received before X: Alice");
        assert_eq!(right.first_named_first_sent(), Some(true));
        assert_eq!(right.letters_match_connect_order(), Some(true));
        // The messages in arrival order, the letters always X then Y.
        let letters = facts("X: Bob received before Y: Alice");
        assert_eq!(letters.first_named_first_sent(), Some(true));
        assert_eq!(letters.letters_match_connect_order(), Some(false));
        // Connect order.
        let connect = facts("X: Alice received before Y: Bob");
        assert_eq!(connect.first_named_first_sent(), Some(false));
        assert_eq!(connect.letters_match_connect_order(), Some(true));
        assert_eq!(RunFacts::default().first_named_first_sent(), None);
        // A fixed string names others than were sent: neither can be told.
        let fixed = facts("Y: Carol received before X: Dave");
        assert_eq!(fixed.first_named_first_sent(), None);
        assert_eq!(fixed.letters_match_connect_order(), None);
        assert_eq!(fixed.ack_names_what_was_typed(), Some(false));
        // No client heard it: the server's own printed ack stands in.
        let printed = RunFacts {
            server_ack: heard_ack("Y: Bob received before X: Alice"),
            ..facts("nothing")
        };
        assert_eq!(printed.first_named_first_sent(), Some(true));
    }

    #[test]
    fn names_compare_as_a_person_reads_them() {
        assert!(same_name("'Bob'", "bob"));
        assert!(same_name("Mary  Ann.", "Mary Ann"));
        assert!(!same_name("Alice", "Bob"));
        assert_eq!(bare_name("Client Y: Bob Marley Jr"), "Bob Marley Jr");
        assert_eq!(bare_name("Clientele"), "Clientele");
    }
}
