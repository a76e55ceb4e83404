//! Where things stand in the YAML source, for messages.
//!
//! serde_yaml reports a position for syntax and type errors; [`yaml_error`]
//! turns its error into our `line:column: message` form in a person's words.
//! For the rules checked after parsing, [`Locator`] walks the YAML event
//! stream (yaml-rust2, which keeps markers) once and remembers where each
//! node named by a path like `clients[1].host` or `steps[3]` stands.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::shown;

/// serde_yaml's error as line, column and message. serde_yaml puts a
/// duplicate key at the start of its mapping and an alias bomb nowhere:
/// those point at the second key and at the first alias instead.
pub(super) fn yaml_error(e: &serde_yaml::Error, text: &str) -> (usize, usize, String) {
    let (mut line, mut column) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    let mut message = yaml_message(e, text, line, column);
    if let Some(key) = message
        .split_once("duplicate field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(key, _)| key.to_string())
    {
        let locator = Locator::new(text);
        if let Some((first, second)) = locator.duplicate_of(&key) {
            (line, column) = second;
            message.push_str(&format!(
                " (first given at line {} column {})",
                first.0, first.1
            ));
        }
    } else if message.contains("repetition limit") {
        if let Some(at) = Locator::new(text).first_alias {
            (line, column) = at;
        }
    }
    (line, column, message)
}

/// serde_yaml's message in a person's words: without the position our
/// `file:line:col:` prefix already says, with Rust's type names replaced by
/// what to write, and with a hint for the usual causes.
fn yaml_message(e: &serde_yaml::Error, text: &str, line: usize, column: usize) -> String {
    let mut msg = e.to_string();
    // The error's own position, wherever it stands (a syntax error also
    // names where the construct it was parsing began: that one stays).
    for here in [
        format!(" at line {line} column {column}, "),
        format!(" at line {line} column {column}"),
    ] {
        if let Some(i) = msg.find(&here) {
            let keep = if here.ends_with(", ") { ", " } else { "" };
            msg.replace_range(i..i + here.len(), keep);
            break;
        }
    }
    for (rust, words) in [
        ("expected u16", "expected a whole number from 0 to 65535"),
        ("expected f64", "expected a number"),
        (
            "expected struct Scenario",
            "expected a scenario: a map with `clients` and `steps`",
        ),
        (
            "expected struct ClientSpec",
            "expected a client: a map with `id`, `host` and `name`",
        ),
        ("expected struct TopologySpec", "expected a map"),
        ("expected struct ServerSpec", "expected a map"),
        ("expected struct LinkSpec", "expected a map"),
        ("expected struct ExpectSpec", "expected a map"),
        ("expected struct LineSpec", "expected a map"),
        ("expected struct WaitSpec", "expected a map"),
        (
            "data did not match any variant of untagged enum CommandSpec",
            "a command is one string or a list of strings",
        ),
    ] {
        if let Some(i) = msg.find(rust) {
            msg.replace_range(i..i + rust.len(), words);
        }
    }
    if let Some(unknown) = unknown_key(&msg) {
        return unknown;
    }
    if msg.contains("repetition limit") {
        msg.push_str(": aliases expand too far (an alias bomb?), refused");
    } else if msg.contains("recursion limit") {
        msg.push_str(": the YAML nests too deep, refused");
    } else if msg.contains("cannot start any token")
        && text
            .lines()
            .nth(line.saturating_sub(1))
            .and_then(|l| l.chars().nth(column.saturating_sub(1)))
            == Some('\t')
    {
        msg.push_str(" (a tab: YAML indents with spaces only)");
    }
    msg
}

/// serde's "unknown field `nam`, expected one of `id`, `host`, …" (and
/// "unknown variant" for a step, the one enum written as a key) with a
/// suggestion when a known key is close, the known keys listed plainly and
/// the unknown one shown safely (a key may hold any character).
fn unknown_key(msg: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?s)^(?:(?P<path>[^`]*?): )?unknown (?P<kind>field|variant) `(?P<key>.*)`, expected (?:one of )?(?P<known>`[^`]*`(?:(?:, | or )`[^`]*`)*)$",
        )
        .unwrap()
    });
    let found = re.captures(msg)?;
    let key = &found["key"];
    let known: Vec<&str> = found["known"].split('`').skip(1).step_by(2).collect();
    let hint = did_you_mean(key, &known)
        .map(|meant| format!(": did you mean `{meant}`?"))
        .unwrap_or_default();
    let key = if !key.is_empty()
        && key.chars().count() <= 60
        && key.chars().all(|c| !c.is_control() && c != '`')
    {
        format!("`{key}`")
    } else {
        shown(key)
    };
    let known = known.join(", ");
    Some(if &found["kind"] == "variant" {
        format!("unknown step {key}{hint} (steps are {known})")
    } else {
        let path = found
            .name("path")
            .map(|path| format!("{}: ", path.as_str()))
            .unwrap_or_default();
        format!("{path}unknown field {key}{hint} (the fields here are {known})")
    })
}

/// The known key that `key` most likely meant, if one is close: the only
/// one that starts the other (`bw` for `bw_mbit`, `acknowledgement` for
/// `ack`), or else the most similar by Jaro-Winkler, if similar enough to
/// catch a dropped, doubled or swapped letter and not much more.
fn did_you_mean<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    const CLOSE: f64 = 0.85;
    let starts: Vec<&str> = known
        .iter()
        .copied()
        .filter(|k| {
            let (short, long) = if k.len() < key.len() {
                (*k, key)
            } else {
                (key, *k)
            };
            short.len() >= 2 && long.starts_with(short)
        })
        .collect();
    if let [only] = starts[..] {
        return Some(only);
    }
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .filter(|(similarity, _)| *similarity >= CLOSE)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// The 1-based line and column of a byte offset.
pub(super) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

// ---------------------------------------------------------------------------
// Locating nodes for errors found after parsing

/// A key given twice in one mapping: its path, where it was first given
/// and where again (line, column).
type Duplicate = (String, (usize, usize), (usize, usize));

/// Finds where a node named by a path (`clients[1].host`, `steps[3]`) stands
/// in the source, using the YAML event stream's markers.
pub struct Locator {
    positions: HashMap<String, (usize, usize)>,
    /// Keys given twice in one mapping: (path, first, second position).
    duplicates: Vec<Duplicate>,
    /// Where the first alias (`*name`) stands.
    pub first_alias: Option<(usize, usize)>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, index: usize },
}

struct Collect {
    stack: Vec<Frame>,
    positions: HashMap<String, (usize, usize)>,
    duplicates: Vec<Duplicate>,
    first_alias: Option<(usize, usize)>,
}

impl Collect {
    /// The path of the value about to be read, and advances the parent.
    fn value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, key }) => key.take().map(|k| join(path, &k)),
            Some(Frame::Seq { path, index }) => {
                let item = format!("{path}[{index}]");
                *index += 1;
                Some(item)
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for Collect {
    fn on_event(&mut self, ev: yaml_rust2::Event, mark: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event;
        let pos = (mark.line().max(1), mark.col() + 1);
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                    if key.is_none() {
                        // A block mapping's start is marked at its first
                        // `:`; the first key stands before it.
                        if let Some(at) = self.positions.get_mut(path.as_str()) {
                            *at = (*at).min(pos);
                        }
                        let key_path = join(path, &value);
                        match self.positions.entry(format!("{key_path}#key")) {
                            std::collections::hash_map::Entry::Occupied(first) => {
                                self.duplicates.push((key_path, *first.get(), pos));
                            }
                            std::collections::hash_map::Entry::Vacant(slot) => {
                                slot.insert(pos);
                            }
                        }
                        *key = Some(value);
                        return;
                    }
                }
                if let Some(value_path) = self.value_path() {
                    self.positions.entry(value_path).or_insert(pos);
                }
            }
            Event::Alias(_) => {
                self.first_alias.get_or_insert(pos);
                if let Some(value_path) = self.value_path() {
                    self.positions.entry(value_path).or_insert(pos);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let path = self.value_path().unwrap_or_default();
                self.positions.entry(path.clone()).or_insert(pos);
                self.stack.push(if is_map {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

impl Locator {
    pub fn new(source: &str) -> Locator {
        let mut collect = Collect {
            stack: Vec::new(),
            positions: HashMap::new(),
            duplicates: Vec::new(),
            first_alias: None,
        };
        let mut parser = yaml_rust2::parser::Parser::new_from_str(source);
        // The text already parsed with serde_yaml; an error here only means
        // fewer positions are known.
        let _ = parser.load(&mut collect, false);
        Locator {
            positions: collect.positions,
            duplicates: collect.duplicates,
            first_alias: collect.first_alias,
        }
    }

    /// The first key `key` given twice in one mapping: where it was first
    /// given and where again.
    pub fn duplicate_of(&self, key: &str) -> Option<((usize, usize), (usize, usize))> {
        self.duplicates
            .iter()
            .find(|(path, ..)| path == key || path.ends_with(&format!(".{key}")))
            .map(|(_, first, second)| (*first, *second))
    }

    /// Line and column of the node at `path`, or of its nearest ancestor.
    pub fn find(&self, path: &str) -> (usize, usize) {
        let mut ancestor = path.to_string();
        loop {
            if let Some(&pos) = self.positions.get(&ancestor) {
                return pos;
            }
            match ancestor.rfind(['.', '[']) {
                Some(parent_end) => ancestor.truncate(parent_end),
                None => return self.positions.get("").copied().unwrap_or((1, 1)),
            }
        }
    }

    /// Line and column of a mapping key (`topology.link.delay_ms`), falling
    /// back to its value.
    pub fn find_key(&self, path: &str) -> (usize, usize) {
        self.positions
            .get(&format!("{path}#key"))
            .copied()
            .unwrap_or_else(|| self.find(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::scenario::testing::CASE2;

    const STEPS: &[&str] = &["connect", "send", "sleep_ms", "wait_for"];

    #[test]
    fn did_you_mean_catches_typos_and_prefixes_not_strangers() {
        for (typo, meant) in [
            ("slep_ms", "sleep_ms"),
            ("sleep", "sleep_ms"),
            ("sleepms", "sleep_ms"),
            ("conect", "connect"),
            ("sned", "send"),
            ("wait", "wait_for"),
            ("wait-for", "wait_for"),
        ] {
            assert_eq!(did_you_mean(typo, STEPS), Some(meant), "{typo}");
        }
        for stranger in ["jump", "s", "", "x\ny", "print", "exit"] {
            assert_eq!(did_you_mean(stranger, STEPS), None, "{stranger:?}");
        }
        let client = ["id", "host", "name", "cmd"];
        assert_eq!(did_you_mean("nam", &client), Some("name"));
        assert_eq!(did_you_mean("hostname", &client), Some("host"));
        assert_eq!(did_you_mean("address", &client), None);
        let expect = ["ack", "order_margin_ms", "lines"];
        assert_eq!(did_you_mean("acknowledgement", &expect), Some("ack"));
        assert_eq!(
            did_you_mean("order_margin", &expect),
            Some("order_margin_ms")
        );
    }

    #[test]
    fn unknown_keys_are_rewritten_with_a_suggestion() {
        let step = "steps[3]: unknown variant `slep_ms`, expected one of `connect`, `send`, `sleep_ms`, `wait_for`";
        assert_eq!(
            unknown_key(step).unwrap(),
            "unknown step `slep_ms`: did you mean `sleep_ms`? (steps are connect, send, sleep_ms, wait_for)"
        );
        let field = "server: unknown field `address`, expected one of `host`, `port`, `cmd`";
        assert_eq!(
            unknown_key(field).unwrap(),
            "server: unknown field `address` (the fields here are host, port, cmd)"
        );
        let two = "unknown field `b`, expected `a` or `bb`";
        assert_eq!(
            unknown_key(two).unwrap(),
            "unknown field `b`: did you mean `bb`? (the fields here are a, bb)"
        );
        assert_eq!(unknown_key("invalid type: map, expected a sequence"), None);
    }

    #[test]
    fn an_unknown_key_is_shown_safely() {
        // A key holding a newline and a backtick: the message stays one line.
        let e = super::super::testing::err(
            &CASE2.replace("name: Bob }", "name: Bob, \"na\\nme`\": x }"),
        );
        assert_eq!(
            e,
            "t.yaml:6:35: clients[1]: unknown field \"na\\nme`\": did you mean `name`? (the fields here are id, host, name, cmd, eager)"
        );
    }

    #[test]
    fn locator_finds_nested_paths() {
        let locator = Locator::new(CASE2);
        assert_eq!(locator.find("clients[1].host"), (6, 20));
        assert_eq!(locator.find("steps[2].send"), (10, 11));
        assert_eq!(locator.find("steps[2]").0, 10);
    }
}
