//! The PA3 wire protocol: the exact strings of the assignment, how they are
//! framed on a TCP stream, and how they are parsed back. Pure: no I/O here.
//!
//! The strings are the seed's, to the letter:
//! - server → each client, once both are connected: `Client X connected`;
//! - client → server: `Client X: Alice`;
//! - server → both clients: `X: Alice received before Y: Bob`.
//!
//! We *send* one message per line, `\n`-terminated, in one write. We *accept*
//! more than we send, because the peers of the course world (classic Python
//! solutions with one `send()` and a `recv(1024)`) send no terminator at all:
//! a message also ends at EOF or after a short quiet period (the I/O side in
//! [`crate::pa3::wire`] decides when that is; [`Framer`] only splits bytes).

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;
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

/// Finds the greeting in a line, wherever it stands (`From Server: Client X
/// connected` counts), so that output of other programs can be checked too.
pub fn parse_greeting(text: &str) -> Option<Letter> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)\bclient ([XY]) connected\b").unwrap());
    re.captures(text)
        .and_then(|c| Letter::from_str_exact(&c[1]))
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
/// says; `claimed` lets it log a prefix naming the wrong letter.
pub fn parse_client_message(text: &str) -> Result<ClientMessage, MessageError> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"^(?i:client\s+)?([XYxy])\s*:\s*(.*)$").unwrap());
    let text = text.trim();
    let (name, claimed) = match re.captures(text) {
        Some(c) => (c[2].trim().to_string(), Letter::from_str_exact(&c[1])),
        None => (text.to_string(), None),
    };
    if name.is_empty() {
        return Err(MessageError::Empty);
    }
    Ok(ClientMessage { name, claimed })
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

/// Finds an acknowledgement in a line, wherever it stands (`From Server: X:
/// Alice received before Y: Bob` counts). The two letters must differ.
pub fn parse_ack(text: &str) -> Option<Ack> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\b([XY]): (.*?)\s+received before\s+([XY]): (.*?)\s*$").unwrap()
    });
    let c = re.captures(text)?;
    let first = Letter::from_str_exact(&c[1])?;
    let second = Letter::from_str_exact(&c[3])?;
    if first == second {
        return None;
    }
    Some(Ack {
        first,
        first_name: c[2].trim().to_string(),
        second_name: c[4].trim().to_string(),
    })
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

/// Why bytes could not be framed into a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("more than {limit} bytes without a line end")]
    TooLong { limit: usize },
    #[error("the message is not valid UTF-8")]
    NotUtf8,
}

/// Splits a byte stream into messages: at `\n`, with `\r` stripped and empty
/// lines skipped. What is left without a line end stays buffered until more
/// comes or the caller decides it is complete ([`Framer::take_partial`]).
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    /// The longest line taken, in bytes, without its line end.
    limit: usize,
}

impl Default for Framer {
    fn default() -> Framer {
        Framer::with_limit(MAX_MESSAGE_BYTES)
    }
}

impl Framer {
    /// A framer of messages up to [`MAX_MESSAGE_BYTES`].
    pub fn new() -> Framer {
        Framer::default()
    }

    /// A framer of lines up to `limit` bytes.
    pub fn with_limit(limit: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            limit,
        }
    }

    /// Feeds bytes; returns the messages they completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, FrameError> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut self.buf);
                if let Some(text) = decode(line)? {
                    out.push(text);
                }
            } else {
                if self.buf.len() >= self.limit {
                    self.buf.clear();
                    return Err(FrameError::TooLong { limit: self.limit });
                }
                self.buf.push(b);
            }
        }
        Ok(out)
    }

    /// Whether bytes of an unfinished message are buffered.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Takes the unfinished message as complete (quiet period or EOF).
    pub fn take_partial(&mut self) -> Result<Option<String>, FrameError> {
        decode(std::mem::take(&mut self.buf))
    }
}

fn decode(mut line: Vec<u8>) -> Result<Option<String>, FrameError> {
    while line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8(line).map_err(|_| FrameError::NotUtf8)?;
    if text.trim().is_empty() {
        Ok(None)
    } else {
        Ok(Some(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_strings_are_the_seeds() {
        assert_eq!(greeting(Letter::X), "Client X connected");
        assert_eq!(greeting(Letter::Y), "Client Y connected");
        assert_eq!(client_message(Letter::X, "Alice"), "Client X: Alice");
    }

    #[test]
    fn greeting_is_found_inside_a_labelled_line() {
        assert_eq!(
            parse_greeting("From Server: Client Y connected"),
            Some(Letter::Y)
        );
        assert_eq!(parse_greeting("Client X connected\n"), Some(Letter::X));
        assert_eq!(parse_greeting("client x connected"), Some(Letter::X));
        assert_eq!(parse_greeting("Client Z connected"), None);
        assert_eq!(parse_greeting("server busy"), None);
    }

    #[test]
    fn all_four_ack_orders_format_and_parse_back() {
        let cases = [
            (Letter::X, "Alice", "Bob", "X: Alice received before Y: Bob"),
            (Letter::Y, "Bob", "Alice", "Y: Bob received before X: Alice"),
            (Letter::X, "Bob", "Alice", "X: Bob received before Y: Alice"),
            (Letter::Y, "Alice", "Bob", "Y: Alice received before X: Bob"),
        ];
        for (first, a, b, text) in cases {
            let ack = Ack {
                first,
                first_name: a.into(),
                second_name: b.into(),
            };
            assert_eq!(ack.line(), text);
            assert_eq!(parse_ack(text), Some(ack.clone()));
            assert_eq!(parse_ack(&format!("From Server: {text}")), Some(ack));
        }
    }

    #[test]
    fn ack_with_spaces_and_non_ascii_names() {
        let ack = parse_ack("Y: Zoë received before X: Bob Marley").unwrap();
        assert_eq!(ack.first, Letter::Y);
        assert_eq!(ack.first_name, "Zoë");
        assert_eq!(ack.second_name, "Bob Marley");
    }

    #[test]
    fn ack_with_equal_letters_is_not_an_ack() {
        assert_eq!(parse_ack("X: Alice received before X: Bob"), None);
        assert_eq!(parse_ack("Alice received before Bob"), None);
    }

    #[test]
    fn client_messages_with_prefix_without_and_with_the_wrong_letter() {
        let m = parse_client_message("Client X: Alice").unwrap();
        assert_eq!((m.name.as_str(), m.claimed), ("Alice", Some(Letter::X)));
        let m = parse_client_message("  Alice  ").unwrap();
        assert_eq!((m.name.as_str(), m.claimed), ("Alice", None));
        let m = parse_client_message("Client Y: Bob Marley").unwrap();
        assert_eq!(
            (m.name.as_str(), m.claimed),
            ("Bob Marley", Some(Letter::Y))
        );
        let m = parse_client_message("Y:Zoë").unwrap();
        assert_eq!((m.name.as_str(), m.claimed), ("Zoë", Some(Letter::Y)));
        assert_eq!(parse_client_message("Client X: "), Err(MessageError::Empty));
        assert_eq!(parse_client_message("   "), Err(MessageError::Empty));
    }

    #[test]
    fn framer_splits_lines_strips_cr_and_skips_blank_lines() {
        let mut f = Framer::new();
        assert_eq!(f.push(b"Client X: Al").unwrap(), Vec::<String>::new());
        assert!(f.has_partial());
        assert_eq!(
            f.push(b"ice\r\n\r\nnext\nrest").unwrap(),
            vec!["Client X: Alice".to_string(), "next".to_string()]
        );
        assert_eq!(f.take_partial().unwrap(), Some("rest".to_string()));
        assert!(!f.has_partial());
        assert_eq!(f.take_partial().unwrap(), None);
    }

    #[test]
    fn framer_refuses_overlong_and_non_utf8_input() {
        let mut f = Framer::new();
        let big = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            f.push(&big),
            Err(FrameError::TooLong {
                limit: MAX_MESSAGE_BYTES
            })
        );
        let mut f = Framer::new();
        assert_eq!(f.push(b"\xff\xfe\n"), Err(FrameError::NotUtf8));
        // exactly the limit is fine
        let mut f = Framer::new();
        let mut ok = vec![b'a'; MAX_MESSAGE_BYTES];
        ok.push(b'\n');
        assert_eq!(f.push(&ok).unwrap().len(), 1);
    }

    #[test]
    fn the_longest_ack_is_exactly_what_a_client_framer_takes() {
        let longest = "n".repeat(MAX_MESSAGE_BYTES - "Client X: ".len());
        assert_eq!(client_message(Letter::Y, &longest).len(), MAX_MESSAGE_BYTES);
        let ack = Ack {
            first: Letter::Y,
            first_name: longest.clone(),
            second_name: longest,
        }
        .line();
        assert_eq!(ack.len(), MAX_ACK_BYTES);
        let mut f = Framer::with_limit(MAX_ACK_BYTES);
        assert_eq!(
            f.push(format!("{ack}\n").as_bytes()).unwrap(),
            vec![ack.clone()]
        );
        assert_eq!(
            f.push(format!("{ack}!").as_bytes()),
            Err(FrameError::TooLong {
                limit: MAX_ACK_BYTES
            })
        );
    }

    #[test]
    fn folding_rejoins_an_ack_split_by_a_stray_newline() {
        let lines = ["X: Alice", " received before Y: Bob"];
        assert_eq!(fold_lines(&lines), vec!["X: Alice received before Y: Bob"]);
        let lines = ["a", "b"];
        assert_eq!(fold_lines(&lines), vec!["a", "b"]);
    }
}
