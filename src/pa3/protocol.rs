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
use std::sync::OnceLock;
use std::time::Duration;

use regex::{Captures, Regex};
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

// ---------------------------------------------------------------------------
// Reading leniently.
//
// Programs we did not write print the seed's strings with small slips: a
// capital letter, a doubled space, `recieved`, a `From Server:` label sent
// as part of the message, quotes, a full stop. A person grading them would
// read past the slip and note it; so do we. Every reader below returns what
// it understood *and* how the text differed from the seed's exact string
// (a list of [`Deviation`]s, empty when it was exact), so that a caller can
// accept it, note it, or — asked to be strict — refuse it.

/// How a message differed from the seed's exact string and was understood
/// all the same.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Deviation {
    /// Letters in another case: `Client X Connected`, `x: Alice`.
    Case,
    /// Spaces missing or extra: `X:Alice`, `Client  X connected`.
    Spacing,
    /// `recieved` for `received`.
    Recieved,
    /// `acknowledgement` for `acknowledgment`.
    Acknowledgement,
    /// An ack that keeps the clients' `Client` before each letter:
    /// `Client Y: Bob received before Client X: Alice`.
    ClientInAck,
    /// A client's message without `Client` before its letter: `X: Alice`.
    NoClientWord,
    /// A client's message that is the name alone: `Alice`.
    Bare,
    /// The message in quotes: `"Client X connected"`.
    Quotes,
    /// Words sent before the message, inside it: `From Server: Client X connected`.
    Prefix(String),
    /// Punctuation after the message or a name: `Client X connected.`, `Bob!`.
    Punctuation(String),
    /// Other words after the message: `Client X connected, waiting for Y`.
    Suffix(String),
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deviation::Case => f.write_str("letters in another case"),
            Deviation::Spacing => f.write_str("spaces missing or extra"),
            Deviation::Recieved => f.write_str("`recieved` for `received`"),
            Deviation::Acknowledgement => f.write_str("`acknowledgement` for `acknowledgment`"),
            Deviation::ClientInAck => f.write_str("`Client` before each letter"),
            Deviation::NoClientWord => f.write_str("no `Client` before the letter"),
            Deviation::Bare => f.write_str("no `Client X:` before the name"),
            Deviation::Quotes => f.write_str("in quotes"),
            Deviation::Prefix(p) => write!(f, "`{p}` before it"),
            Deviation::Punctuation(p) if p.is_empty() => f.write_str("its punctuation dropped"),
            Deviation::Punctuation(p) | Deviation::Suffix(p) => write!(f, "`{p}` after it"),
        }
    }
}

/// The deviations in words, `; `-separated: `letters in another case;
/// `recieved` for `received``.
pub fn describe(deviations: &[Deviation]) -> String {
    deviations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a text was read as, and how it differed from the seed's string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading<T> {
    pub value: T,
    /// The text that was read: the whole message, or the part of a printed
    /// line from the seed's string on.
    pub text: String,
    /// Empty when the text was the seed's string exactly.
    pub deviations: Vec<Deviation>,
}

impl<T> Reading<T> {
    /// Whether the text was the seed's string exactly.
    pub fn is_exact(&self) -> bool {
        self.deviations.is_empty()
    }
}

/// Where a text comes from, which decides what around the seed's string
/// counts as a deviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// A whole message as it travelled on the connection (what our client
    /// received, what our server received): words before the string,
    /// quotes around it and anything after it are deviations.
    Message,
    /// A line some program printed: its own words around the string
    /// (`From Server: `, `Received: `, `b'…'`) are its business; only the
    /// string itself is judged.
    Printed,
}

/// Opening and closing quotes we take off a quoted message.
const QUOTES: &[(char, char)] = &[('"', '"'), ('\'', '\''), ('“', '”'), ('‘', '’'), ('`', '`')];

/// Trailing punctuation a slip adds: `Client X connected.`
const PUNCTUATION: &[char] = &['.', '!', '?', ',', ';'];

/// The closing quote that matches a quote `before` ends with, if any.
fn closing_quote(before: &str) -> Option<char> {
    let last = before.trim_end().chars().last()?;
    QUOTES.iter().find(|(o, _)| *o == last).map(|(_, c)| *c)
}

/// Judges what stands around a string found at `line[start..end]` in a
/// whole message: quotes around it, words before it, punctuation or words
/// after it. Returns nothing for a printed line.
fn around(line: &str, start: usize, end: usize, framing: Framing) -> Vec<Deviation> {
    if framing == Framing::Printed {
        return Vec::new();
    }
    let mut before = line[..start].trim_end();
    let mut after = line[end..].trim();
    let mut out = Vec::new();
    if let Some(close) = closing_quote(before) {
        let stripped = after
            .strip_prefix(close)
            .or_else(|| after.strip_suffix(close));
        if let Some(rest) = stripped {
            out.push(Deviation::Quotes);
            before =
                before[..before.len() - before.chars().last().map_or(0, char::len_utf8)].trim_end();
            after = rest.trim();
        }
    }
    if !before.is_empty() {
        out.push(Deviation::Prefix(before.to_string()));
    }
    if !after.is_empty() {
        if after.chars().all(|c| PUNCTUATION.contains(&c)) {
            out.push(Deviation::Punctuation(after.to_string()));
        } else {
            out.push(Deviation::Suffix(after.to_string()));
        }
    }
    out
}

/// `Case` when any of `(found, wanted)` differ but in case, `Spacing` when
/// any separator is not the one wanted.
fn case_and_spacing(words: &[(&str, &str)], spaces: &[(&str, &str)]) -> Vec<Deviation> {
    let mut out = Vec::new();
    if words.iter().any(|(found, want)| found != want) {
        out.push(Deviation::Case);
    }
    if spaces.iter().any(|(found, want)| found != want) {
        out.push(Deviation::Spacing);
    }
    out
}

/// Reads a greeting: `Client X connected`, or with the slips of
/// [`Deviation`] (case, spacing; in a whole message also words before,
/// quotes, punctuation or words after). Not: another letter
/// (`Client Z connected`), no `Client`, `disconnected`.
pub fn read_greeting(text: &str, framing: Framing) -> Option<Reading<Letter>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)\b(client)(\s*)([xy])(\s+)(connected)\b").unwrap());
    let line = text.trim();
    let c = re.captures(line)?;
    let whole = c.get(0).unwrap();
    let letter = Letter::from_str_exact(&c[3])?;
    let mut deviations = case_and_spacing(
        &[
            (&c[1], "Client"),
            (&c[3], &letter.to_string()),
            (&c[5], "connected"),
        ],
        &[(&c[2], " "), (&c[4], " ")],
    );
    deviations.extend(around(line, whole.start(), whole.end(), framing));
    Some(Reading {
        value: letter,
        text: match framing {
            Framing::Message => line.to_string(),
            Framing::Printed => whole.as_str().to_string(),
        },
        deviations,
    })
}

/// Reads an acknowledgement: `X: Alice received before Y: Bob`, or with
/// the slips of [`Deviation`] (case, spacing, `recieved`, `Client` before
/// the letters; in a whole message also words before it and quotes around
/// it). The second name runs to the end of the text, so punctuation after
/// it stays in the name: [`compare_name`] judges it. Not: the same letter
/// twice, `received after`, names without letters.
pub fn read_ack(text: &str, framing: Framing) -> Option<Reading<Ack>> {
    static CLIENT_BEFORE: OnceLock<Regex> = OnceLock::new();
    let client_before = CLIENT_BEFORE.get_or_init(|| Regex::new(r"(?i)\bclient\s*$").unwrap());
    let line = text.trim();
    let (at, c) = find_ack(line)?;
    let first = Letter::from_str_exact(&c[1])?;
    let second = Letter::from_str_exact(&c[11])?;
    if first == second {
        return None;
    }
    let mut begin = at;
    let mut client_word = c.get(10).is_some();
    if let Some(m) = client_before.find(&line[..at]) {
        begin = m.start();
        client_word = true;
    }
    let mut deviations = ack_slips(&c, first, second);
    if client_word {
        deviations.push(Deviation::ClientInAck);
    }
    // Quotes around the whole ack: the closing one ends the second name.
    let mut second_name = c[14].trim();
    let mut before = line[..begin].trim_end();
    if let Some(close) = closing_quote(before) {
        if let Some(rest) = second_name.strip_suffix(close) {
            second_name = rest.trim_end();
            if framing == Framing::Message {
                deviations.push(Deviation::Quotes);
            }
            before =
                before[..before.len() - before.chars().last().map_or(0, char::len_utf8)].trim_end();
        }
    }
    let core_len = line.len() - (c[14].len() - second_name.len()) - begin;
    let text = match framing {
        Framing::Message => {
            if !before.trim().is_empty() {
                deviations.push(Deviation::Prefix(before.trim().to_string()));
            }
            line.to_string()
        }
        Framing::Printed => line[begin..begin + core_len].to_string(),
    };
    Some(Reading {
        value: Ack {
            first,
            first_name: c[4].trim().to_string(),
            second_name: second_name.to_string(),
        },
        text,
        deviations,
    })
}

/// Where an ack reads from in `line`: the last letter from which the
/// ack's pattern matches to the end of the line (in `Sent to X: X: Alice
/// received before Y: Bob` that is the second `X`, not the label's), and
/// the pattern's groups there.
fn find_ack(line: &str) -> Option<(usize, Captures<'_>)> {
    static START: OnceLock<Regex> = OnceLock::new();
    static CORE: OnceLock<Regex> = OnceLock::new();
    let start = START.get_or_init(|| Regex::new(r"(?i)\b[xy]\s*:").unwrap());
    let core = CORE.get_or_init(|| {
        Regex::new(
            r"(?i)^([xy])(\s*):(\s*)(\S.*?)(\s+)(received|recieved)(\s+)(before)(\s+)(client\s*)?([xy])(\s*):(\s*)(\S.*?)\s*$",
        )
        .unwrap()
    });
    let starts: Vec<usize> = start.find_iter(line).map(|m| m.start()).collect();
    starts
        .iter()
        .rev()
        .find_map(|&s| core.captures(&line[s..]).map(|c| (s, c)))
}

/// The slips in the words and spaces of an ack [`find_ack`] found (its
/// letters `first` and `second`): case, spacing, `recieved`.
fn ack_slips(c: &Captures, first: Letter, second: Letter) -> Vec<Deviation> {
    let received = c[6].to_lowercase();
    let mut deviations = case_and_spacing(
        &[
            (&c[1], &first.to_string()),
            (&c[6], &received),
            (&c[8], "before"),
            (&c[11], &second.to_string()),
        ],
        &[
            (&c[2], ""),
            (&c[3], " "),
            (&c[5], " "),
            (&c[7], " "),
            (&c[9], " "),
            (&c[12], ""),
            (&c[13], " "),
        ],
    );
    if c[6].eq_ignore_ascii_case("recieved") {
        deviations.push(Deviation::Recieved);
    }
    deviations
}

/// Reads the server's closing line, `Sent acknowledgment to both X and Y`,
/// or with the slips of [`Deviation`] (case, spacing, `acknowledgement`; on
/// a whole message also what stands around it). Not: `to both clients`,
/// `Y and X`, the plural `acknowledgments`.
pub fn read_sent_ack(text: &str, framing: Framing) -> Option<Reading<()>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(sent)(\s+)(acknowledge?ment)(\s+)(to)(\s+)(both)(\s+)(x)(\s+)(and)(\s+)(y)\b",
        )
        .unwrap()
    });
    let line = text.trim();
    let c = re.captures(line)?;
    let whole = c.get(0).unwrap();
    let spelled_e = c[3].eq_ignore_ascii_case("acknowledgement");
    let ack_word = if spelled_e {
        // Case is judged on the word as spelled.
        "acknowledgement"
    } else {
        "acknowledgment"
    };
    let mut deviations = case_and_spacing(
        &[
            (&c[1], "Sent"),
            (&c[3], ack_word),
            (&c[5], "to"),
            (&c[7], "both"),
            (&c[9], "X"),
            (&c[11], "and"),
            (&c[13], "Y"),
        ],
        &[
            (&c[2], " "),
            (&c[4], " "),
            (&c[6], " "),
            (&c[8], " "),
            (&c[10], " "),
            (&c[12], " "),
        ],
    );
    if spelled_e {
        deviations.push(Deviation::Acknowledgement);
    }
    deviations.extend(around(line, whole.start(), whole.end(), framing));
    Some(Reading {
        value: (),
        text: match framing {
            Framing::Message => line.to_string(),
            Framing::Printed => whole.as_str().to_string(),
        },
        deviations,
    })
}

/// Reads a client's message as our server receives it: `Client X: Alice`,
/// or with the slips of [`Deviation`] (case, spacing, quotes around it, no
/// `Client`, the name alone). The name is the user's text, kept as it is.
pub fn read_client_message(text: &str) -> Result<Reading<ClientMessage>, MessageError> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re =
        RE.get_or_init(|| Regex::new(r"(?i)^(?:(client)(\s*))?([xy])(\s*):(\s*)(.*)$").unwrap());
    let mut body = text.trim();
    let mut deviations = Vec::new();
    for (open, close) in QUOTES {
        if let Some(inner) = body
            .strip_prefix(*open)
            .and_then(|b| b.strip_suffix(*close))
        {
            body = inner.trim();
            deviations.push(Deviation::Quotes);
            break;
        }
    }
    let (name, claimed) = match re.captures(body) {
        Some(c) => {
            let letter = Letter::from_str_exact(&c[3]);
            let name = c[6].trim().to_string();
            let shown = letter.map(|l| l.to_string()).unwrap_or_default();
            match c.get(1) {
                Some(client) => deviations.extend(case_and_spacing(
                    &[(client.as_str(), "Client"), (&c[3], &shown)],
                    &[(&c[2], " "), (&c[4], ""), (&c[5], " ")],
                )),
                None => {
                    deviations.push(Deviation::NoClientWord);
                    deviations.extend(case_and_spacing(
                        &[(&c[3], &shown)],
                        &[(&c[4], ""), (&c[5], " ")],
                    ));
                }
            }
            (name, letter)
        }
        None => {
            deviations.push(Deviation::Bare);
            (body.to_string(), None)
        }
    };
    if name.is_empty() {
        return Err(MessageError::Empty);
    }
    Ok(Reading {
        value: ClientMessage { name, claimed },
        text: text.trim().to_string(),
        deviations,
    })
}

/// Finds `Client <letter>: <name>` in a line a server printed: exactly
/// (anywhere in the line), else leniently (case and spacing of `Client X:`;
/// the name as [`compare_name`] allows, running to the end of the line).
pub fn find_client_message(line: &str, letter: Letter, name: &str) -> Option<Reading<()>> {
    let exact = client_message(letter, name);
    if let Some(at) = line.find(&exact) {
        return Some(Reading {
            value: (),
            text: line[at..at + exact.len()].to_string(),
            deviations: Vec::new(),
        });
    }
    static START: OnceLock<Regex> = OnceLock::new();
    static CORE: OnceLock<Regex> = OnceLock::new();
    let start = START.get_or_init(|| Regex::new(r"(?i)\bclient\s*[xy]\s*:").unwrap());
    let core =
        CORE.get_or_init(|| Regex::new(r"(?i)^(client)(\s*)([xy])(\s*):(\s*)(.*?)\s*$").unwrap());
    start.find_iter(line).find_map(|m| {
        let c = core.captures(&line[m.start()..])?;
        if Letter::from_str_exact(&c[3])? != letter {
            return None;
        }
        let mut deviations = case_and_spacing(
            &[(&c[1], "Client"), (&c[3], &letter.to_string())],
            &[(&c[2], " "), (&c[4], ""), (&c[5], " ")],
        );
        for d in compare_name(&c[6], name)? {
            if !deviations.contains(&d) {
                deviations.push(d);
            }
        }
        Some(Reading {
            value: (),
            text: c[0].trim().to_string(),
            deviations,
        })
    })
}

/// Compares a name as received with the one sent: `Some(vec![])` when
/// equal (white space around it aside), `Some(how)` when equal but for
/// case, spacing, quotes around it or punctuation after it, `None` when it
/// is another name.
pub fn compare_name(got: &str, want: &str) -> Option<Vec<Deviation>> {
    /// (quoted, the name, the punctuation after it)
    fn parts(s: &str) -> (bool, &str, &str) {
        let mut s = s.trim();
        let mut quoted = false;
        for (open, close) in QUOTES {
            if let Some(inner) = s.strip_prefix(*open).and_then(|b| b.strip_suffix(*close)) {
                s = inner.trim();
                quoted = true;
                break;
            }
        }
        let bare = s.trim_end_matches(PUNCTUATION).trim_end();
        (quoted, bare, s[bare.len()..].trim_start())
    }
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (got_quoted, got_name, got_punct) = parts(got);
    let (want_quoted, want_name, want_punct) = parts(want);
    if squash(got_name).to_lowercase() != squash(want_name).to_lowercase() {
        return None;
    }
    let mut out = Vec::new();
    if squash(got_name) != squash(want_name) {
        out.push(Deviation::Case);
    }
    if got_name.to_lowercase() != want_name.to_lowercase() {
        out.push(Deviation::Spacing);
    }
    if got_quoted != want_quoted {
        out.push(Deviation::Quotes);
    }
    if got_punct != want_punct {
        out.push(Deviation::Punctuation(got_punct.to_string()));
    }
    Some(out)
}

/// A letter named as a word of its own (`You are X`), when a greeting
/// could not be read and names exactly one of the two: our client's best
/// guess at its role.
pub fn guess_letter(text: &str) -> Option<Letter> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\b([XY])\b").unwrap());
    let mut found = re
        .captures_iter(text)
        .filter_map(|c| Letter::from_str_exact(&c[1]));
    let first = found.next()?;
    found.all(|l| l == first).then_some(first)
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

    /// The unfinished message so far, as text (`None`: none, or not yet
    /// valid UTF-8), without the `\r` a line end would strip.
    pub fn partial_text(&self) -> Option<&str> {
        let text = std::str::from_utf8(&self.buf).ok()?;
        Some(text.trim_end_matches('\r')).filter(|t| !t.trim().is_empty())
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

    use Deviation::*;

    fn p(s: &str) -> Deviation {
        Prefix(s.into())
    }
    fn punct(s: &str) -> Deviation {
        Punctuation(s.into())
    }

    /// Greetings as servers really send them: (message, letter, deviations).
    const GREETINGS: &[(&str, Letter, &[Deviation])] = &[
        ("Client X connected", Letter::X, &[]),
        ("Client Y connected\n", Letter::Y, &[]),
        ("Client X Connected", Letter::X, &[Case]),
        ("client y connected", Letter::Y, &[Case]),
        ("CLIENT X CONNECTED", Letter::X, &[Case]),
        ("Client x connected", Letter::X, &[Case]),
        ("Client  X connected", Letter::X, &[Spacing]),
        ("ClientX connected", Letter::X, &[Spacing]),
        ("Client X\tconnected", Letter::X, &[Spacing]),
        (
            "Client X connected.",
            Letter::X,
            &[Punctuation(String::new())],
        ),
        (
            "Client Y connected!",
            Letter::Y,
            &[Punctuation(String::new())],
        ),
        ("\"Client X connected\"", Letter::X, &[Quotes]),
        ("'Client Y connected'", Letter::Y, &[Quotes]),
        (
            "\"Client X connected.\"",
            Letter::X,
            &[Quotes, Punctuation(String::new())],
        ),
        (
            "Client X connected, waiting for Y",
            Letter::X,
            &[Suffix(String::new())],
        ),
    ];

    /// The kinds of deviations, without the text of `Prefix`,
    /// `Punctuation` and `Suffix`, so that the tables need not repeat it.
    fn kinds(d: &[Deviation]) -> Vec<std::mem::Discriminant<Deviation>> {
        d.iter().map(std::mem::discriminant).collect()
    }

    #[test]
    fn greetings_of_the_real_world_are_read_with_how_they_differ() {
        for (text, letter, want) in GREETINGS {
            let r = read_greeting(text, Framing::Message)
                .unwrap_or_else(|| panic!("{text:?} should be read"));
            assert_eq!(r.value, *letter, "{text:?}");
            assert_eq!(
                kinds(&r.deviations),
                kinds(want),
                "{text:?}: {:?}",
                r.deviations
            );
        }
        let r = read_greeting("Client X connected!!", Framing::Message).unwrap();
        assert_eq!(r.deviations, vec![punct("!!")]);
        let r = read_greeting("From Server: Client Y connected", Framing::Message).unwrap();
        assert_eq!(r.deviations, vec![p("From Server:")]);
        let r = read_greeting("Server says: \"Client X connected\"", Framing::Message).unwrap();
        assert_eq!(r.deviations, vec![Quotes, p("Server says:")]);
        assert_eq!(r.text, "Server says: \"Client X connected\"");
    }

    #[test]
    fn in_a_printed_line_only_the_greeting_itself_is_judged() {
        // The client's own label, quotes of a printed bytes object, its
        // punctuation: all its business.
        for line in [
            "From Server: Client X connected",
            "Received from server: b'Client X connected'",
            "Client X connected.",
            "[client] Client X connected to 10.0.0.1",
        ] {
            let r = read_greeting(line, Framing::Printed).unwrap();
            assert_eq!((r.value, r.is_exact()), (Letter::X, true), "{line:?}");
            assert_eq!(r.text, "Client X connected");
        }
        let r = read_greeting("From Server: Client X Connected", Framing::Printed).unwrap();
        assert_eq!(r.deviations, vec![Case]);
    }

    #[test]
    fn what_is_not_a_greeting() {
        for text in [
            "Client Z connected",
            "Client XY connected",
            "Client X disconnected",
            "Client connected",
            "X connected",
            "Connected: Client X",
            "server busy",
            "Welcome, client 1",
            "",
        ] {
            assert_eq!(read_greeting(text, Framing::Message), None, "{text:?}");
            assert_eq!(parse_greeting(text), None, "{text:?}");
        }
    }

    /// Acks as servers really send them: (message, ack line it means,
    /// deviations).
    const ACKS: &[(&str, &str, &[Deviation])] = &[
        (
            "Y: Bob received before X: Alice",
            "Y: Bob received before X: Alice",
            &[],
        ),
        (
            "Y: Bob recieved before X: Alice",
            "Y: Bob received before X: Alice",
            &[Recieved],
        ),
        (
            "y: Bob received before x: Alice",
            "Y: Bob received before X: Alice",
            &[Case],
        ),
        (
            "X: Alice Received Before Y: Bob",
            "X: Alice received before Y: Bob",
            &[Case],
        ),
        (
            "X: Alice RECIEVED BEFORE Y: Bob",
            "X: Alice received before Y: Bob",
            &[Case, Recieved],
        ),
        (
            "X:Alice received before Y:Bob",
            "X: Alice received before Y: Bob",
            &[Spacing],
        ),
        (
            "X : Alice  received before  Y : Bob",
            "X: Alice received before Y: Bob",
            &[Spacing],
        ),
        (
            "Client Y: Bob received before Client X: Alice",
            "Y: Bob received before X: Alice",
            &[ClientInAck],
        ),
        (
            "Client X: Alice recieved before Client Y: Bob",
            "X: Alice received before Y: Bob",
            &[Recieved, ClientInAck],
        ),
        (
            "\"X: Alice received before Y: Bob\"",
            "X: Alice received before Y: Bob",
            &[Quotes],
        ),
        (
            "From Server: X: Alice received before Y: Bob",
            "X: Alice received before Y: Bob",
            &[Prefix(String::new())],
        ),
        (
            "Server says: 'Y: Bob received before X: Alice'",
            "Y: Bob received before X: Alice",
            &[Quotes, Prefix(String::new())],
        ),
        // Punctuation after the ack stays in the second name: names judge it.
        (
            "X: Alice received before Y: Bob.",
            "X: Alice received before Y: Bob.",
            &[],
        ),
        (
            "Y: Zoë received before X: Bob Marley",
            "Y: Zoë received before X: Bob Marley",
            &[],
        ),
    ];

    #[test]
    fn acks_of_the_real_world_are_read_with_how_they_differ() {
        for (text, line, want) in ACKS {
            let r = read_ack(text, Framing::Message)
                .unwrap_or_else(|| panic!("{text:?} should be read"));
            assert_eq!(r.value.line(), *line, "{text:?}");
            assert_eq!(
                kinds(&r.deviations),
                kinds(want),
                "{text:?}: {:?}",
                r.deviations
            );
        }
        let r = read_ack(
            "Server says: 'Y: Bob received before X: Alice'",
            Framing::Message,
        )
        .unwrap();
        assert_eq!(r.deviations, vec![Quotes, p("Server says:")]);
    }

    #[test]
    fn in_a_printed_line_the_label_and_quotes_are_the_printers() {
        for line in [
            "From Server: X: Alice received before Y: Bob",
            "Reply: b'X: Alice received before Y: Bob'",
            "Sent to X: X: Alice received before Y: Bob",
            "Acknowledgment: X: Alice received before Y: Bob",
        ] {
            let r = read_ack(line, Framing::Printed).unwrap();
            assert!(r.is_exact(), "{line:?}: {:?}", r.deviations);
            assert_eq!(
                r.value.line(),
                "X: Alice received before Y: Bob",
                "{line:?}"
            );
            assert_eq!(r.text, "X: Alice received before Y: Bob", "{line:?}");
        }
        let r = read_ack(
            "From Server: Client Y: Bob recieved before Client X: Alice",
            Framing::Printed,
        )
        .unwrap();
        assert_eq!(r.deviations, vec![Recieved, ClientInAck]);
        assert_eq!(r.text, "Client Y: Bob recieved before Client X: Alice");
    }

    #[test]
    fn what_is_not_an_ack() {
        for text in [
            "X: Alice received before X: Bob",
            "Y: Alice recieved before y: Bob",
            "X: Alice received after Y: Bob",
            "Alice received before Bob",
            "X: Alice recived before Y: Bob",
            "X: Alice received before Z: Bob",
            "X - Alice received before Y - Bob",
            "X: received before Y: Bob",
            "X: Alice received before Y:",
            "Client X connected",
            "Sent acknowledgment to both X and Y",
        ] {
            assert_eq!(read_ack(text, Framing::Message), None, "{text:?}");
            assert_eq!(parse_ack(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_sent_line_and_its_slips() {
        let cases: &[(&str, &[Deviation])] = &[
            ("Sent acknowledgment to both X and Y", &[]),
            ("Sent acknowledgement to both X and Y", &[Acknowledgement]),
            (
                "Sent Acknowledgement to both X and Y",
                &[Case, Acknowledgement],
            ),
            ("sent acknowledgment to both x and y", &[Case]),
            ("Sent acknowledgment  to both X and Y", &[Spacing]),
            (
                "Sent acknowledgment to both X and Y.",
                &[Punctuation(String::new())],
            ),
            (
                "Server: Sent acknowledgment to both X and Y",
                &[Prefix(String::new())],
            ),
        ];
        for (text, want) in cases {
            let r = read_sent_ack(text, Framing::Message)
                .unwrap_or_else(|| panic!("{text:?} should be read"));
            assert_eq!(
                kinds(&r.deviations),
                kinds(want),
                "{text:?}: {:?}",
                r.deviations
            );
        }
        // Printed: the program's own words around it are fine.
        let r = read_sent_ack(
            "[server] Sent acknowledgment to both X and Y.",
            Framing::Printed,
        )
        .unwrap();
        assert!(r.is_exact());
        for text in [
            "Sent acknowledgment to both clients",
            "Sent acknowledgment to both Y and X",
            "Sent acknowledgments to both X and Y",
            "Sent ack to both X and Y",
            "Acknowledgment: X: Alice received before Y: Bob",
        ] {
            assert_eq!(read_sent_ack(text, Framing::Printed), None, "{text:?}");
        }
    }

    #[test]
    fn client_messages_and_how_they_differ() {
        let cases: &[(&str, &str, Option<Letter>, &[Deviation])] = &[
            ("Client X: Alice", "Alice", Some(Letter::X), &[]),
            ("client x: Alice", "Alice", Some(Letter::X), &[Case]),
            ("Client X:Alice", "Alice", Some(Letter::X), &[Spacing]),
            ("Client X : Alice", "Alice", Some(Letter::X), &[Spacing]),
            ("X: Alice", "Alice", Some(Letter::X), &[NoClientWord]),
            ("Alice", "Alice", None, &[Bare]),
            ("\"Client Y: Bob\"", "Bob", Some(Letter::Y), &[Quotes]),
            ("Client Y: Bob Marley!", "Bob Marley!", Some(Letter::Y), &[]),
            ("Xena", "Xena", None, &[Bare]),
        ];
        for (text, name, claimed, want) in cases {
            let r = read_client_message(text).unwrap();
            assert_eq!(
                (r.value.name.as_str(), r.value.claimed),
                (*name, *claimed),
                "{text:?}"
            );
            assert_eq!(r.deviations, *want, "{text:?}");
        }
        assert_eq!(read_client_message("\"\""), Err(MessageError::Empty));
    }

    #[test]
    fn a_servers_printed_message_is_found_exactly_or_leniently() {
        let found =
            |line: &str| find_client_message(line, Letter::X, "Alice").map(|r| r.deviations);
        assert_eq!(found("Arrived 1st: Client X: Alice"), Some(vec![]));
        assert_eq!(
            found("Received Client X: Alice from 10.0.0.2"),
            Some(vec![])
        );
        assert_eq!(found("client x: alice"), Some(vec![Case]));
        assert_eq!(found("Client X:Alice"), Some(vec![Spacing]));
        assert_eq!(
            found("Client X sent: Client X: 'Alice'"),
            Some(vec![Quotes])
        );
        assert_eq!(found("Client X: Bob"), None);
        assert_eq!(found("Client Y: Alice"), None);
        assert_eq!(
            found("X: Alice"),
            None,
            "`Client` is what tells a message from an ack"
        );
    }

    #[test]
    fn names_compare_leniently_but_not_loosely() {
        assert_eq!(compare_name("Alice", "Alice"), Some(vec![]));
        assert_eq!(compare_name(" Alice ", "Alice"), Some(vec![]));
        assert_eq!(compare_name("alice", "Alice"), Some(vec![Case]));
        assert_eq!(
            compare_name("Bob  Marley", "Bob Marley"),
            Some(vec![Spacing])
        );
        assert_eq!(compare_name("Bob.", "Bob"), Some(vec![punct(".")]));
        assert_eq!(compare_name("'Bob'", "Bob"), Some(vec![Quotes]));
        assert_eq!(compare_name("Bob Jr.", "Bob Jr."), Some(vec![]));
        assert_eq!(compare_name("Zoë", "Zoë"), Some(vec![]));
        assert_eq!(compare_name("ZOË", "Zoë"), Some(vec![Case]));
        assert_eq!(compare_name("Bob", "Alice"), None);
        assert_eq!(compare_name("Bobby", "Bob"), None);
        assert_eq!(compare_name("Client X: Alice", "Alice"), None);
    }

    #[test]
    fn a_letter_is_guessed_only_when_one_is_named() {
        assert_eq!(guess_letter("You are X"), Some(Letter::X));
        assert_eq!(guess_letter("Welcome, client Y!"), Some(Letter::Y));
        assert_eq!(guess_letter("Welcome, client 1"), None);
        assert_eq!(guess_letter("X and Y are here"), None);
        assert_eq!(guess_letter("Xavier"), None);
    }

    #[test]
    fn deviations_read_as_words() {
        assert_eq!(
            describe(&[Case, Recieved, p("From Server:"), punct(".")]),
            "letters in another case; `recieved` for `received`; `From Server:` before it; `.` after it"
        );
        assert_eq!(punct("").to_string(), "its punctuation dropped");
    }

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
