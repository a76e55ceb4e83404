//! The run's events: one typed value per thing that happened, at a
//! monotonic time since the run started. The runner emits them; the checks
//! and the report writers match on their variants, never on their text.
//!
//! The words a person reads (`a connected (server has 1 connection)`) are
//! made in one place, [`EventKind`]'s `Display`, for the logs and the
//! terminal; nothing parses them back. `events.jsonl` is one serialised
//! [`Event`] per line: `{"t_ms":…,"process":"a","kind":"output",…}`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The process name the orchestrator itself uses in the event stream.
pub const ORCHESTRATOR: &str = "orchestrator";

/// Which output stream of a program a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One thing that happened, at a monotonic time since the run started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the run started (monotonic clock).
    pub t_ms: f64,
    /// `server`, a client id, or [`ORCHESTRATOR`].
    pub process: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. The first group belongs to a program (its `process` is
/// the program's id); the steps belong to the orchestrator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A line the program printed.
    Output { stream: Stream, text: String },
    /// A line the orchestrator typed into the program's stdin.
    Typed { text: String },
    /// The program was started with this command.
    Started { command: Vec<String> },
    /// The program ended.
    Exited { exit: ExitInfo },
    /// Processes the program left running after it ended (or outside its
    /// group), which the orchestrator killed: `what` names them.
    LeftBehind { what: String },
    /// The server was still serving `grace_ms` after the clients ended, as
    /// its scenario allows (`server.keeps_running`): it is stopped, and
    /// that is not a failure.
    KeptRunning { grace_ms: f64 },

    /// The server's port is listening on its host.
    Listening { addr: String },
    /// The step `connect: client` starts the client.
    Connecting { client: String },
    /// The server's host has the client's connection (seen in its TCP
    /// table): `connections` established so far.
    Connected { client: String, connections: usize },
    /// The step `send: client` is about to type the client's name.
    Sending { client: String },
    /// The step `sleep_ms`.
    Sleeping { ms: f64 },
    /// The step `wait_for`, or a wait the run announces (`what` reads
    /// `server to print "…"`).
    WaitingFor { what: String },
    /// The run is stopping its programs early, and why.
    Stopping { why: String },
    /// tcpdump is capturing the server port.
    CaptureStarted { port: u16, intf: String },
    /// tcpdump could not capture, and why.
    CaptureFailed { why: String },
    /// The step `link`: `host`'s link has these conditions from now on.
    LinkChanged {
        host: String,
        conditions: crate::orchestrator::link::Conditions,
    },
    /// The network was changed on `host` for the programs
    /// (`server.adapt_network`): each change in words.
    Routed { host: String, changes: Vec<String> },
    /// What the programs needed that the network was adapted for, or could
    /// not be (see [`Adaptation`]).
    Adapted { adaptation: Adaptation },
    /// Nothing could happen any more: every program waited with no end and
    /// nothing moved; `who` says who waited for what.
    Deadlocked { who: String },
    /// Before `before` was started, the server had already read `bytes`
    /// bytes `client` sent: it received a message before both clients
    /// had connected (seen in its host's socket table: bytes received on
    /// the connection, none left unread).
    ReadEarly {
        client: String,
        before: String,
        bytes: u64,
    },
    /// The client asked for its name (read its stdin) and no greeting came
    /// for `waited_ms`: it is typed into without one.
    NoGreeting { client: String, waited_ms: f64 },
}

/// Something a program needed of the network that Mininet's hosts do not
/// give as they are, found by running it (`server.adapt_network`): where
/// it listens, where it dials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "adaptation", rename_all = "snake_case")]
pub enum Adaptation {
    /// The server listens only on a loopback address (`127.0.0.1`) or an
    /// address its host does not have (`192.168.1.20`): connections to its
    /// host's port were routed to it.
    ServerListens {
        /// As its socket shows it: `127.0.0.1:5000`.
        listen: String,
        /// `h1 (10.0.0.1:5000)`.
        reached_as: String,
    },
    /// A client dialed somewhere other than the server's host and port:
    /// its connection was routed to the server.
    ClientDials {
        client: String,
        /// As its socket shows it: `localhost:12000`.
        dialed: String,
        /// `h1 (10.0.0.1:5000)`.
        routed_to: String,
    },
    /// The network could not be adapted, and why (the machine's own
    /// loopback; a listener on an IPv6 address; nftables missing).
    NotAdapted { why: String },
}

impl Adaptation {
    /// One word per kind, for counting (`server-listens`, `client-dials`,
    /// `not-adapted`).
    pub fn kind(&self) -> &'static str {
        match self {
            Adaptation::ServerListens { .. } => "server-listens",
            Adaptation::ClientDials { .. } => "client-dials",
            Adaptation::NotAdapted { .. } => "not-adapted",
        }
    }
}

impl fmt::Display for Adaptation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Adaptation::ServerListens { listen, reached_as } => write!(
                f,
                "the server listens on {listen} only; connections to {reached_as} were routed to it"
            ),
            Adaptation::ClientDials {
                client,
                dialed,
                routed_to,
            } => write!(
                f,
                "client {client} dials {dialed}; it was routed to {routed_to}"
            ),
            Adaptation::NotAdapted { why } => write!(f, "the network was not adapted: {why}"),
        }
    }
}

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExitInfo {
    /// The exit code, when it exited on its own.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// Whether the orchestrator stopped it (timeout, failed step, Ctrl-C).
    pub killed_by_orchestrator: bool,
    pub t_ms: f64,
}

impl ExitInfo {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.killed_by_orchestrator
    }

    /// Whether SIGKILL ended it (a program that ignored SIGTERM).
    pub fn killed_by_sigkill(&self) -> bool {
        self.signal == Some(libc::SIGKILL)
    }

    pub fn describe(&self) -> String {
        let how = match (self.code, self.signal) {
            (Some(c), _) => format!("exited with code {c}"),
            (None, Some(s)) => format!("was killed by signal {s}"),
            (None, None) => "ended".to_string(),
        };
        if self.killed_by_orchestrator {
            format!("{how} after the orchestrator stopped it")
        } else {
            how
        }
    }
}

impl Event {
    pub fn new(t_ms: f64, process: impl Into<String>, kind: EventKind) -> Event {
        Event {
            t_ms,
            process: process.into(),
            kind,
        }
    }

    /// A line the program printed on `stream`, if this is one.
    pub fn output(&self) -> Option<(Stream, &str)> {
        match &self.kind {
            EventKind::Output { stream, text } => Some((*stream, text)),
            _ => None,
        }
    }

    /// A line `process` printed on stdout, if this is one.
    pub fn stdout_of(&self, process: &str) -> Option<&str> {
        match self.output() {
            Some((Stream::Stdout, text)) if self.process == process => Some(text),
            _ => None,
        }
    }

    /// Whether this is one of the orchestrator's own steps.
    pub fn is_step(&self) -> bool {
        self.kind.class() == Class::Step
    }
}

impl EventKind {
    /// The class a log line shows.
    pub fn class(&self) -> Class {
        match self {
            EventKind::Output {
                stream: Stream::Stdout,
                ..
            } => Class::Stdout,
            EventKind::Output {
                stream: Stream::Stderr,
                ..
            } => Class::Stderr,
            EventKind::Typed { .. } => Class::Typed,
            EventKind::Started { .. } => Class::Start,
            EventKind::Exited { .. } => Class::Exit,
            EventKind::LeftBehind { .. }
            | EventKind::KeptRunning { .. }
            | EventKind::Listening { .. }
            | EventKind::Connecting { .. }
            | EventKind::Connected { .. }
            | EventKind::Sending { .. }
            | EventKind::Sleeping { .. }
            | EventKind::WaitingFor { .. }
            | EventKind::Stopping { .. }
            | EventKind::CaptureStarted { .. }
            | EventKind::CaptureFailed { .. }
            | EventKind::LinkChanged { .. }
            | EventKind::Routed { .. }
            | EventKind::Adapted { .. }
            | EventKind::Deadlocked { .. }
            | EventKind::ReadEarly { .. }
            | EventKind::NoGreeting { .. } => Class::Step,
        }
    }

    /// The one-word class a log line shows: `stdout`, `stderr`, `typed`,
    /// `start`, `exit`, `step`.
    pub fn word(&self) -> &'static str {
        match self.class() {
            Class::Stdout => "stdout",
            Class::Stderr => "stderr",
            Class::Typed => "typed",
            Class::Start => "start",
            Class::Exit => "exit",
            Class::Step => "step",
        }
    }
}

/// What kind of line an event is: a program's output, what was typed to
/// it, its start or exit, or one of the orchestrator's own steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Stdout,
    Stderr,
    Typed,
    Start,
    Exit,
    Step,
}

/// What a person reads in a log or on the terminal.
impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::Output { text, .. } | EventKind::Typed { text } => f.write_str(text),
            EventKind::Started { command } => f.write_str(&shell_words::join(command)),
            EventKind::Exited { exit } => f.write_str(&exit.describe()),
            EventKind::LeftBehind { what } => write!(f, "left behind: {what}"),
            EventKind::KeptRunning { grace_ms } => write!(
                f,
                "still serving {} ms after the clients ended, as the scenario allows (server.keeps_running): stopped",
                millis(*grace_ms)
            ),
            EventKind::Listening { addr } => write!(f, "server listening on {addr}"),
            EventKind::Connecting { client } => write!(f, "connect {client}"),
            EventKind::Connected {
                client,
                connections,
            } => write!(
                f,
                "{client} connected (server has {connections} connection{})",
                if *connections == 1 { "" } else { "s" }
            ),
            EventKind::Sending { client } => write!(f, "send {client}"),
            EventKind::Sleeping { ms } => write!(f, "sleep {} ms", millis(*ms)),
            EventKind::WaitingFor { what } => write!(f, "wait for {what}"),
            EventKind::Stopping { why } => write!(f, "stopping: {why}"),
            EventKind::CaptureStarted { port, intf } => {
                write!(f, "capturing tcp port {port} on {intf}")
            }
            EventKind::CaptureFailed { why } => write!(f, "capture: {why}"),
            EventKind::LinkChanged { host, conditions } => {
                write!(f, "link {host}: {}", conditions.describe())
            }
            EventKind::Routed { host, changes } => {
                write!(f, "adapted {host}: {}", changes.join("; "))
            }
            EventKind::Adapted { adaptation } => write!(f, "{adaptation}"),
            EventKind::Deadlocked { who } => write!(f, "deadlocked: {who}"),
            EventKind::ReadEarly {
                client,
                before,
                bytes,
            } => write!(
                f,
                "the server has read {bytes} bytes from {client} before {before} was started"
            ),
            EventKind::NoGreeting { client, waited_ms } => write!(
                f,
                "{client} asks for its name and no greeting came in {} ms: typed without one",
                millis(*waited_ms)
            ),
        }
    }
}

/// `200`, `0.2`, `1.25`: milliseconds without a trailing `.0`.
pub fn millis(ms: f64) -> String {
    let text = format!("{ms:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Milliseconds, rounded to the microsecond, of a duration.
pub fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_flat_with_their_kind_and_read_back() {
        let events = vec![
            Event::new(
                1.5,
                "a",
                EventKind::Output {
                    stream: Stream::Stdout,
                    text: "From Server: Client X connected".into(),
                },
            ),
            Event::new(
                2.0,
                ORCHESTRATOR,
                EventKind::Connected {
                    client: "a".into(),
                    connections: 1,
                },
            ),
            Event::new(3.0, ORCHESTRATOR, EventKind::Sleeping { ms: 0.2 }),
            Event::new(
                4.0,
                "a",
                EventKind::Exited {
                    exit: ExitInfo {
                        code: Some(0),
                        signal: None,
                        killed_by_orchestrator: false,
                        t_ms: 4.0,
                    },
                },
            ),
        ];
        let line = serde_json::to_string(&events[0]).unwrap();
        assert_eq!(
            line,
            r#"{"t_ms":1.5,"process":"a","kind":"output","stream":"stdout","text":"From Server: Client X connected"}"#
        );
        for e in &events {
            let text = serde_json::to_string(e).unwrap();
            let back: Event = serde_json::from_str(&text).unwrap();
            assert_eq!(&back, e, "{text}");
        }
    }

    #[test]
    fn the_words_a_person_reads() {
        let connected = EventKind::Connected {
            client: "b".into(),
            connections: 2,
        };
        assert_eq!(
            connected.to_string(),
            "b connected (server has 2 connections)"
        );
        assert_eq!(connected.word(), "step");
        assert_eq!(EventKind::Sleeping { ms: 0.2 }.to_string(), "sleep 0.2 ms");
        assert_eq!(
            EventKind::Sleeping { ms: 300.0 }.to_string(),
            "sleep 300 ms"
        );
        assert_eq!(
            EventKind::Started {
                command: vec!["python3".into(), "my server.py".into()]
            }
            .to_string(),
            "python3 'my server.py'"
        );
    }
}
