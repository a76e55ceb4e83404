//! The PA3 wire protocol: the exact strings of the assignment, how they are
//! framed on a TCP stream, and how they are parsed back. Pure: no I/O here.
//!
//! The strings are the seed's, to the letter:
//! - server → each client, once both are connected: `Client X connected`;
//! - client → server: `Client X: Alice`;
//! - server → both clients: `X: Alice received before Y: Bob`.
//!
//! We *send* one message per line, `\n`-terminated, in one write, and
//! always the seed's strings exactly. We *accept* more than we send, in
//! two ways. The strings: the `read_*` functions understand the slips real
//! programs make (a capital letter, `recieved`, a `From Server:` sent as
//! part of the message, quotes, a full stop) and say which ones they
//! read past ([`Deviation`]), so that a caller can accept, note or refuse
//! them. The framing, because the peers of the course world (classic Python
//! solutions with one `send()` and a `recv(1024)`) send no terminator at all:
//! a message also ends at EOF or after a short quiet period (the I/O side in
//! [`crate::pa3::wire`] decides when that is; [`Framer`] only splits bytes).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The port of the assignment.
pub const DEFAULT_PORT: u16 = 12000;

/// The longest message we accept, in bytes, without its line end. Longer
/// input is an error, not a reason to grow a buffer without bound.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// The longest acknowledgement the server can send: both names as long as
/// a message allows (`X: <name> received before Y: <name>`). A client
/// takes lines from the server up to this long.
pub const MAX_ACK_BYTES: usize =
    2 * (MAX_MESSAGE_BYTES - "Client X: ".len()) + "X:  received before Y: ".len();

/// How long a partial message (bytes without a line end) may stay quiet
/// before we take it as complete. Classic peers never send `\n`.
pub const QUIET_PERIOD: Duration = Duration::from_millis(200);

/// How long one message may take from its first byte to its end. A peer
/// trickling bytes slower than this (slowloris) is cut off.
pub const MESSAGE_DEADLINE: Duration = Duration::from_secs(5);

/// What the server prints once it has sent the acknowledgement to both
/// clients: the seed's words exactly.
pub const SENT_ACK: &str = "Sent acknowledgment to both X and Y";

/// A client's role, given by connect order: the first to connect is X.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Letter {
    X,
    Y,
}

impl Letter {
    /// The letter of the client that connected in position `index` (0-based).
    pub fn from_connect_index(index: usize) -> Option<Letter> {
        match index {
            0 => Some(Letter::X),
            1 => Some(Letter::Y),
            _ => None,
        }
    }

    pub fn index(self) -> usize {
        match self {
            Letter::X => 0,
            Letter::Y => 1,
        }
    }

    pub fn other(self) -> Letter {
        match self {
            Letter::X => Letter::Y,
            Letter::Y => Letter::X,
        }
    }

    fn from_str_exact(s: &str) -> Option<Letter> {
        match s {
            "X" | "x" => Some(Letter::X),
            "Y" | "y" => Some(Letter::Y),
            _ => None,
        }
    }
}

impl fmt::Display for Letter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Letter::X => "X",
            Letter::Y => "Y",
        })
    }
}

/// `Client X connected`
pub fn greeting(letter: Letter) -> String {
    format!("Client {letter} connected")
}

/// Finds the greeting in a printed line, wherever it stands (`From Server:
/// Client X connected` counts), read leniently ([`read_greeting`]).
pub fn parse_greeting(text: &str) -> Option<Letter> {
    read_greeting(text, Framing::Printed).map(|r| r.value)
}

/// `Client X: Alice`
pub fn client_message(letter: Letter, name: &str) -> String {
    format!("Client {letter}: {name}")
}

/// A client's message as the server understood it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientMessage {
    /// The text after `Client X:` (or the whole message when it was bare).
    pub name: String,
    /// The letter the client claimed in its prefix, if it wrote one.
    pub claimed: Option<Letter>,
}

/// Why a client's message could not be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the message is empty")]
    Empty,
}

/// Parses `Client X: Alice`, `X: Alice` or a bare `Alice`. The server
/// attributes the message to the connection it came on whatever the prefix
/// says; `claimed` lets it log a prefix naming the wrong letter. How the
/// message differed from the seed's: [`read_client_message`].
pub fn parse_client_message(text: &str) -> Result<ClientMessage, MessageError> {
    read_client_message(text).map(|r| r.value)
}

/// The acknowledgement: which message arrived first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub first: Letter,
    pub first_name: String,
    pub second_name: String,
}

impl Ack {
    /// The letter of the message that arrived second.
    pub fn second(&self) -> Letter {
        self.first.other()
    }

    /// `Y: Bob received before X: Alice`
    pub fn line(&self) -> String {
        format!(
            "{}: {} received before {}: {}",
            self.first,
            self.first_name,
            self.second(),
            self.second_name
        )
    }
}

impl fmt::Display for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

/// Finds an acknowledgement in a printed line, wherever it stands (`From
/// Server: X: Alice received before Y: Bob` counts), read leniently
/// ([`read_ack`]). The two letters must differ.
pub fn parse_ack(text: &str) -> Option<Ack> {
    read_ack(text, Framing::Printed).map(|r| r.value)
}

/// Joins continuation lines (lines that begin with white space) to the line
/// before them, the way mail headers fold. A classic server that builds its
/// ack from our `Client X: Alice\n` without stripping it sends
/// `X: Alice\n received before Y: Bob`; folded, that is one ack again.
pub fn fold_lines<S: AsRef<str>>(lines: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in lines {
        let line = line.as_ref();
        match out.last_mut() {
            Some(prev) if line.starts_with([' ', '\t']) => prev.push_str(line),
            _ => out.push(line.to_string()),
        }
    }
    out
}

mod framer;
mod lenient;

pub use framer::{FrameError, Framer};
pub use lenient::*;

#[cfg(test)]
mod tests;
