//! Reading leniently.
//!
//! Programs we did not write print the seed's strings with small slips: a
//! capital letter, a doubled space, `recieved`, a `From Server:` label sent
//! as part of the message, quotes, a full stop. A person grading them would
//! read past the slip and note it; so do we. Every reader below returns what
//! it understood *and* how the text differed from the seed's exact string
//! (a list of [`Deviation`]s, empty when it was exact), so that a caller can
//! accept it, note it, or — asked to be strict — refuse it.

use std::fmt;
use std::sync::OnceLock;

use regex::{Captures, Regex};

use super::{client_message, Ack, ClientMessage, Letter, MessageError};

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
    /// A word inside the greeting: `Client X has connected`.
    Inserted(String),
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
            Deviation::Inserted(w) => write!(f, "`{w}` inside it"),
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
/// quotes, punctuation or words after; `has` or `is` before `connected`).
/// Not: another letter (`Client Z connected`), no `Client`,
/// `disconnected`.
pub fn read_greeting(text: &str, framing: Framing) -> Option<Reading<Letter>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?i)\b(client)(\s*)([xy])(\s+)(?:(has|is)\s+)?(connected)\b").unwrap()
    });
    let line = text.trim();
    let c = re.captures(line)?;
    let whole = c.get(0).unwrap();
    let letter = Letter::from_str_exact(&c[3])?;
    let mut deviations = case_and_spacing(
        &[
            (&c[1], "Client"),
            (&c[3], &letter.to_string()),
            (&c[6], "connected"),
        ],
        &[(&c[2], " "), (&c[4], " ")],
    );
    if let Some(word) = c.get(5) {
        deviations.push(Deviation::Inserted(word.as_str().to_string()));
    }
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
