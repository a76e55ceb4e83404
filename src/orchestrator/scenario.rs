//! Scenarios: the YAML a person writes ([`Scenario`], parsed with serde and
//! `deny_unknown_fields`), checked once by [`validate`] into a
//! [`ValidScenario`] in which every name is resolved, every default filled
//! and every rule of the assignment holds. Nothing downstream re-checks.
//!
//! Every error names the file, line and column it is about: serde_yaml
//! reports positions for syntax and type errors; for the rules checked after
//! parsing, [`Locator`] finds the node a path like `clients[1].host` names.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

use crate::pa3::protocol::{self, Ack, Letter, DEFAULT_PORT, MAX_MESSAGE_BYTES};

/// Scenario files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Longest a scenario may run, and longest a single wait or sleep.
pub const MAX_SECONDS: f64 = 3600.0;
/// Longest client name, in bytes (the message must fit the 1 KiB limit).
pub const MAX_NAME_BYTES: usize = 200;
/// Most hosts a topology may have.
pub const MAX_HOSTS: usize = 32;

// ---------------------------------------------------------------------------
// As written

/// A scenario as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub topology: TopologySpec,
    #[serde(default)]
    pub server: ServerSpec,
    pub clients: Vec<ClientSpec>,
    /// Written as one-key maps (`- connect: a`), not YAML tags.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub expect: ExpectSpec,
    /// Seconds the whole run may take before everything still running is stopped.
    pub timeout_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologySpec {
    pub hosts: Option<Vec<String>>,
    pub switch: Option<String>,
    pub link: Option<LinkSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub bw_mbit: Option<f64>,
    pub delay_ms: Option<f64>,
    pub loss_pct: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub cmd: Option<CommandSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub id: String,
    pub host: String,
    pub name: String,
    pub cmd: Option<CommandSpec>,
}

/// A program to run: one string split like a shell would split words (no
/// shell ever runs it), or a list of arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CommandSpec {
    Line(String),
    Argv(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Start this client and wait until the server's host has its connection.
    Connect(String),
    /// Once this client has been greeted, type its name into its stdin.
    Send(String),
    /// Wait this many milliseconds.
    SleepMs(u64),
    /// Wait until a process prints a line.
    WaitFor(WaitSpec),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitSpec {
    pub process: String,
    pub contains: Option<String>,
    pub regex: Option<String>,
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// The exact acknowledgement both clients must receive.
    pub ack: Option<String>,
    /// Sends closer together than this are "simultaneous": the ack must then
    /// agree with the server's own observed order instead of the send order.
    pub order_margin_ms: Option<u64>,
    #[serde(default)]
    pub lines: Vec<LineSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineSpec {
    pub process: String,
    pub contains: Option<String>,
    pub regex: Option<String>,
    pub absent: Option<String>,
}

// ---------------------------------------------------------------------------
// Validated

/// Which process of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessRef {
    Server,
    /// Index into [`ValidScenario::clients`].
    Client(usize),
}

/// How a line is matched.
#[derive(Clone, Debug)]
pub enum Matcher {
    Contains(String),
    Regex(Regex),
}

impl Matcher {
    pub fn matches(&self, line: &str) -> bool {
        match self {
            Matcher::Contains(s) => line.contains(s.as_str()),
            Matcher::Regex(r) => r.is_match(line),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Matcher::Contains(s) => format!("a line containing {s:?}"),
            Matcher::Regex(r) => format!("a line matching /{}/", r.as_str()),
        }
    }
}

#[derive(Clone, Debug)]
pub enum ValidStep {
    Connect(usize),
    Send(usize),
    Sleep(Duration),
    WaitFor {
        process: ProcessRef,
        matcher: Matcher,
        timeout: Duration,
    },
}

/// A line expectation the user wrote.
#[derive(Clone, Debug)]
pub struct LineCheck {
    pub process: ProcessRef,
    pub matcher: Matcher,
    /// true: the line must NOT appear.
    pub absent: bool,
}

#[derive(Clone, Debug)]
pub struct ValidServer {
    pub host: String,
    pub port: u16,
    /// Another program instead of ours, argv with placeholders unexpanded.
    pub cmd: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct ValidClient {
    pub id: String,
    pub host: String,
    pub name: String,
    pub cmd: Option<Vec<String>>,
    /// Its letter, given by its position among the connect steps.
    pub letter: Letter,
}

/// A scenario in which everything has been checked.
#[derive(Clone, Debug)]
pub struct ValidScenario {
    pub name: String,
    pub description: String,
    pub file: PathBuf,
    /// The YAML as read, to keep beside the results.
    pub source: String,
    pub hosts: Vec<String>,
    pub switch: String,
    pub bw_mbit: Option<f64>,
    pub delay_ms: Option<f64>,
    pub loss_pct: Option<f64>,
    pub server: ValidServer,
    pub clients: Vec<ValidClient>,
    pub steps: Vec<ValidStep>,
    /// The ack the user wrote, if any.
    pub expect_ack: Option<String>,
    /// The ack the send order implies, if both clients send in the steps.
    pub derived_ack: Option<String>,
    pub order_margin: Duration,
    pub lines: Vec<LineCheck>,
    pub timeout: Duration,
}

impl ValidScenario {
    /// `server` or the client's id.
    pub fn process_id(&self, p: ProcessRef) -> &str {
        match p {
            ProcessRef::Server => "server",
            ProcessRef::Client(i) => &self.clients[i].id,
        }
    }

    /// The host a process runs on.
    pub fn process_host(&self, p: ProcessRef) -> &str {
        match p {
            ProcessRef::Server => &self.server.host,
            ProcessRef::Client(i) => &self.clients[i].host,
        }
    }

    /// The client with this letter.
    pub fn client_by_letter(&self, letter: Letter) -> Option<&ValidClient> {
        self.clients.iter().find(|c| c.letter == letter)
    }

    /// Whether the scenario runs our own server and clients only.
    pub fn all_ours(&self) -> bool {
        self.server.cmd.is_none() && self.clients.iter().all(|c| c.cmd.is_none())
    }
}

/// What the machine can emulate, which validation needs to know.
#[derive(Clone, Copy, Debug)]
pub struct Capabilities {
    /// Whether `sch_netem` (link delay and loss) is available.
    pub netem: bool,
}

impl Capabilities {
    /// Looks at the running kernel: netem is there when its module is
    /// loaded or can be.
    pub fn detect() -> Capabilities {
        let loaded = Path::new("/sys/module/sch_netem").exists();
        let loadable = std::process::Command::new("modprobe")
            .args(["-n", "-q", "sch_netem"])
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        Capabilities {
            netem: loaded || loadable,
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// One thing wrong with a scenario, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Everything wrong with a scenario file (at least one thing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

// ---------------------------------------------------------------------------
// Loading

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path, caps: Capabilities) -> Result<ValidScenario, ScenarioErrors> {
    let at_start = |message: String| {
        ScenarioErrors(vec![ScenarioError {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message,
        }])
    };
    let meta =
        std::fs::metadata(path).map_err(|e| at_start(format!("cannot read the file: {e}")))?;
    if meta.is_dir() {
        return Err(at_start("is a directory, not a scenario file".into()));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(at_start(format!(
            "the file is {} bytes; scenario files are limited to {} KiB",
            meta.len(),
            MAX_FILE_BYTES / 1024
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| at_start(format!("cannot read the file: {e}")))?;
    parse(path, &bytes, caps)
}

/// Parses and validates scenario text (`path` is only used in messages and
/// for the default name).
pub fn parse(
    path: &Path,
    bytes: &[u8],
    caps: Capabilities,
) -> Result<ValidScenario, ScenarioErrors> {
    let err_at = |line: usize, column: usize, message: String| {
        ScenarioErrors(vec![ScenarioError {
            file: path.to_path_buf(),
            line,
            column,
            message,
        }])
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(err_at(
            1,
            1,
            format!(
                "the file is {} bytes; scenario files are limited to {} KiB",
                bytes.len(),
                MAX_FILE_BYTES / 1024
            ),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = line_col(bytes, e.valid_up_to());
            return Err(err_at(
                line,
                column,
                "the file is not valid UTF-8 text".into(),
            ));
        }
    };
    if let Some(pos) = text.find('\0') {
        let (line, column) = line_col(bytes, pos);
        return Err(err_at(
            line,
            column,
            "the file contains a NUL byte: is it binary?".into(),
        ));
    }
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(err_at(
            1,
            1,
            "the file is empty: a scenario needs `clients` and `steps`".into(),
        ));
    }
    let scenario: Scenario = serde_yaml::from_str(text).map_err(|e| {
        let (mut line, mut column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let mut message = yaml_message(&e, text, line, column);
        // serde_yaml puts a duplicate key at the start of its mapping and an
        // alias bomb nowhere: point at the second key, at the first alias.
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
        err_at(line, column, message)
    })?;
    validate(path, text, scenario, caps)
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
        ("expected u64", "expected a whole number, 0 or more"),
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

fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
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
                let p = format!("{path}[{index}]");
                *index += 1;
                Some(p)
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
                        let p = join(path, &value);
                        match self.positions.entry(format!("{p}#key")) {
                            std::collections::hash_map::Entry::Occupied(first) => {
                                self.duplicates.push((p, *first.get(), pos));
                            }
                            std::collections::hash_map::Entry::Vacant(v) => {
                                v.insert(pos);
                            }
                        }
                        *key = Some(value);
                        return;
                    }
                }
                if let Some(p) = self.value_path() {
                    self.positions.entry(p).or_insert(pos);
                }
            }
            Event::Alias(_) => {
                self.first_alias.get_or_insert(pos);
                if let Some(p) = self.value_path() {
                    self.positions.entry(p).or_insert(pos);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let p = self.value_path().unwrap_or_default();
                self.positions.entry(p.clone()).or_insert(pos);
                self.stack.push(if is_map {
                    Frame::Map { path: p, key: None }
                } else {
                    Frame::Seq { path: p, index: 0 }
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
        let mut c = Collect {
            stack: Vec::new(),
            positions: HashMap::new(),
            duplicates: Vec::new(),
            first_alias: None,
        };
        let mut parser = yaml_rust2::parser::Parser::new_from_str(source);
        // The text already parsed with serde_yaml; an error here only means
        // fewer positions are known.
        let _ = parser.load(&mut c, false);
        Locator {
            positions: c.positions,
            duplicates: c.duplicates,
            first_alias: c.first_alias,
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
        let mut p = path.to_string();
        loop {
            if let Some(&pos) = self.positions.get(&p) {
                return pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
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

// ---------------------------------------------------------------------------
// Validation

struct Problems<'a> {
    file: &'a Path,
    locator: Locator,
    list: Vec<ScenarioError>,
}

impl Problems<'_> {
    fn at(&mut self, path: &str, message: impl Into<String>) {
        let (line, column) = self.locator.find(path);
        self.push(line, column, message.into());
    }

    fn at_key(&mut self, path: &str, message: impl Into<String>) {
        let (line, column) = self.locator.find_key(path);
        self.push(line, column, message.into());
    }

    fn push(&mut self, line: usize, column: usize, message: String) {
        self.list.push(ScenarioError {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
        });
    }
}

fn ident_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z][a-z0-9]{0,9}$").unwrap())
}

fn client_id_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z][a-z0-9_]{0,15}$").unwrap())
}

fn scenario_name_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$").unwrap())
}

/// Shows a user's text in a message without letting it break the message.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    format!("{out:?}")
}

/// A list of names for a message: identifiers as they are, anything else
/// quoted and escaped so that it cannot break the message.
fn listed(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| {
            if n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !n.is_empty() {
                n.to_string()
            } else {
                shown(n)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number as a person would write it: `1e300`, not 301 digits.
fn num(v: f64) -> String {
    let plain = format!("{v}");
    if plain.len() > 16 {
        format!("{v:e}")
    } else {
        plain
    }
}

/// Checks a duration written as `value` units, of which `per_second` make a
/// second; says what is wrong in the units the user wrote.
fn check_duration(p: &mut Problems, path: &str, what: &str, value: f64, per_second: f64) -> bool {
    if !value.is_finite() || value <= 0.0 {
        p.at(
            path,
            format!("{what} must be a positive number, not {}", num(value)),
        );
        false
    } else if value / per_second > MAX_SECONDS {
        p.at(
            path,
            format!(
                "{what} is {}; the most allowed is {} (an hour)",
                num(value),
                num(MAX_SECONDS * per_second)
            ),
        );
        false
    } else {
        true
    }
}

fn command(p: &mut Problems, path: &str, cmd: &Option<CommandSpec>) -> Option<Vec<String>> {
    let argv = match cmd.as_ref()? {
        CommandSpec::Argv(v) => v.clone(),
        CommandSpec::Line(line) => match shell_words::split(line) {
            Ok(v) => v,
            Err(e) => {
                p.at(path, format!("cannot split the command into words: {e}"));
                return None;
            }
        },
    };
    if argv.is_empty() || argv[0].trim().is_empty() {
        p.at(path, "the command is empty");
        return None;
    }
    if argv.iter().any(|a| a.contains('\0')) {
        p.at(path, "the command contains a NUL character");
        return None;
    }
    Some(argv)
}

/// Checks a parsed scenario and fills every default.
pub fn validate(
    file: &Path,
    source: &str,
    s: Scenario,
    caps: Capabilities,
) -> Result<ValidScenario, ScenarioErrors> {
    let mut p = Problems {
        file,
        locator: Locator::new(source),
        list: Vec::new(),
    };

    // name and description
    let name = match &s.name {
        Some(n) => {
            if !scenario_name_re().is_match(n) {
                p.at(
                    "name",
                    format!("name {} must be 1-64 letters, digits, `.`, `_` or `-` (it names the results directory)", shown(n)),
                );
            }
            n.clone()
        }
        None => {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let cleaned: String = stem
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "._-".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .take(64)
                .collect();
            if cleaned.is_empty() || cleaned.starts_with(['.', '_', '-']) {
                "scenario".to_string()
            } else {
                cleaned
            }
        }
    };
    let description = s.description.clone().unwrap_or_default();
    if description.len() > 4000 {
        p.at("description", "the description is longer than 4000 bytes");
    }

    // topology
    let server_host = s.server.host.clone();
    // Each host with the path of where it was written, for messages.
    let (hosts, host_paths): (Vec<String>, Vec<String>) = match &s.topology.hosts {
        Some(h) => h
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), format!("topology.hosts[{i}]")))
            .unzip(),
        None => {
            // Without a host list: the server's host (h1 unless given) and
            // the clients' hosts, in that order, so the server is 10.0.0.1.
            let server = server_host.clone().unwrap_or_else(|| "h1".into());
            let mut h: Vec<String> = Vec::new();
            let mut paths: Vec<String> = Vec::new();
            let written = std::iter::once((&server, "server.host".to_string())).chain(
                s.clients
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (&c.host, format!("clients[{i}].host"))),
            );
            for (name, path) in written {
                if !h.contains(name) {
                    h.push(name.clone());
                    paths.push(path);
                }
            }
            (h, paths)
        }
    };
    if hosts.is_empty() {
        p.at("topology.hosts", "the topology has no hosts");
    }
    if hosts.len() > MAX_HOSTS {
        p.at(
            "topology.hosts",
            format!("{} hosts; the most allowed is {MAX_HOSTS}", hosts.len()),
        );
    }
    let mut seen_hosts = HashSet::new();
    for (h, path) in hosts.iter().zip(&host_paths) {
        if !ident_re().is_match(h) {
            p.at(path, format!("host name {} must be a lowercase letter then up to 9 lowercase letters or digits (like h1)", shown(h)));
        } else if !seen_hosts.insert(h.clone()) {
            p.at(path, format!("host {h} is listed twice"));
        }
    }
    let switch = s.topology.switch.clone().unwrap_or_else(|| "s1".into());
    if !ident_re().is_match(&switch) {
        p.at(
            "topology.switch",
            format!("switch name {} must be a lowercase letter then up to 9 lowercase letters or digits (like s1)", shown(&switch)),
        );
    } else if hosts.contains(&switch) {
        p.at(
            "topology.switch",
            format!("the switch {switch} has the name of a host"),
        );
    }
    let link = s.topology.link.as_ref();
    let bw_mbit = link.and_then(|l| l.bw_mbit);
    if let Some(bw) = bw_mbit {
        if !(bw.is_finite() && bw > 0.0 && bw <= 1000.0) {
            p.at(
                "topology.link.bw_mbit",
                format!(
                    "bw_mbit must be more than 0 and at most 1000, not {}",
                    num(bw)
                ),
            );
        }
    }
    let delay_ms = link.and_then(|l| l.delay_ms);
    let loss_pct = link.and_then(|l| l.loss_pct);
    for (key, value, max) in [
        ("delay_ms", delay_ms, 10_000.0),
        ("loss_pct", loss_pct, 100.0),
    ] {
        let Some(v) = value else { continue };
        let path = format!("topology.link.{key}");
        if !caps.netem {
            p.at_key(
                &path,
                format!("link {key} needs the kernel's netem queueing discipline (sch_netem), which this kernel does not have (tc says \"Specified qdisc kind is unknown\"); remove it, or delay a send with a `sleep_ms` step"),
            );
        } else if !(v.is_finite() && v >= 0.0 && v <= max) {
            p.at(
                &path,
                format!("{key} must be between 0 and {max}, not {}", num(v)),
            );
        }
    }

    let known_host = |p: &mut Problems, path: &str, h: &str| {
        if !hosts.iter().any(|x| x == h) {
            p.at(
                path,
                format!(
                    "unknown host {} (the hosts are {})",
                    shown(h),
                    listed(&hosts.iter().map(String::as_str).collect::<Vec<_>>())
                ),
            );
        }
    };

    // server
    let server = ValidServer {
        host: server_host
            .clone()
            .unwrap_or_else(|| hosts.first().cloned().unwrap_or_else(|| "h1".into())),
        port: s.server.port.unwrap_or(DEFAULT_PORT),
        cmd: command(&mut p, "server.cmd", &s.server.cmd),
    };
    if server_host.is_some() {
        known_host(&mut p, "server.host", &server.host);
    }
    if server.port == 0 {
        p.at(
            "server.port",
            "port 0 is not a port a client can connect to",
        );
    }

    // clients
    if s.clients.len() != 2 {
        p.at(
            "clients",
            format!(
                "the assignment has exactly two clients (X and Y); this scenario has {}",
                s.clients.len()
            ),
        );
    }
    let mut ids: HashMap<String, usize> = HashMap::new();
    for (i, c) in s.clients.iter().enumerate() {
        let base = format!("clients[{i}]");
        if !client_id_re().is_match(&c.id) || c.id == "server" || c.id == "orchestrator" {
            p.at(
                &format!("{base}.id"),
                format!("client id {} must be a lowercase letter then up to 15 lowercase letters, digits or `_`, and not `server` or `orchestrator`", shown(&c.id)),
            );
        } else if ids.insert(c.id.clone(), i).is_some() {
            p.at(
                &format!("{base}.id"),
                format!("duplicate client id {}", c.id),
            );
        }
        known_host(&mut p, &format!("{base}.host"), &c.host);
        let name = c.name.trim();
        if name.is_empty() {
            p.at(&format!("{base}.name"), "the name is empty");
        } else if name.len() > MAX_NAME_BYTES {
            p.at(
                &format!("{base}.name"),
                format!(
                    "the name is {} bytes; the most allowed is {MAX_NAME_BYTES}",
                    name.len()
                ),
            );
        } else if let Some(ctl) = name.chars().find(|c| c.is_control()) {
            p.at(
                &format!("{base}.name"),
                format!(
                    "the name {} contains the control character {ctl:?}: a name is one line of printable text",
                    shown(name)
                ),
            );
        } else if protocol::client_message(Letter::X, name).len() > MAX_MESSAGE_BYTES {
            p.at(&format!("{base}.name"), "the message would exceed 1 KiB");
        }
    }
    let client_cmds: Vec<Option<Vec<String>>> = s
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| command(&mut p, &format!("clients[{i}].cmd"), &c.cmd))
        .collect();

    let resolve = |p: &mut Problems, path: &str, id: &str| -> Option<usize> {
        let found = ids.get(id).copied();
        if found.is_none() {
            let known: Vec<&str> = s.clients.iter().map(|c| c.id.as_str()).collect();
            p.at(
                path,
                format!(
                    "unknown client {} (the clients are {})",
                    shown(id),
                    listed(&known)
                ),
            );
        }
        found
    };
    let resolve_process = |p: &mut Problems, path: &str, id: &str| -> Option<ProcessRef> {
        if id == "server" {
            Some(ProcessRef::Server)
        } else {
            resolve(p, path, id).map(ProcessRef::Client)
        }
    };
    let matcher = |p: &mut Problems,
                   path: &str,
                   contains: &Option<String>,
                   regex: &Option<String>|
     -> Option<Matcher> {
        match (contains, regex) {
            (Some(c), None) => {
                if c.is_empty() {
                    p.at(path, "`contains` is empty: it would match every line");
                    None
                } else {
                    Some(Matcher::Contains(c.clone()))
                }
            }
            (None, Some(r)) => match regex::RegexBuilder::new(r).size_limit(1 << 20).build() {
                Ok(re) => Some(Matcher::Regex(re)),
                Err(e) => {
                    let why = e.to_string();
                    let why = why.lines().last().unwrap_or("");
                    p.at(
                        &format!("{path}.regex"),
                        format!(
                            "invalid regex {}: {}",
                            shown(r),
                            why.strip_prefix("error: ").unwrap_or(why)
                        ),
                    );
                    None
                }
            },
            _ => {
                p.at(path, "give exactly one of `contains` or `regex`");
                None
            }
        }
    };

    // steps
    let mut steps = Vec::new();
    let mut connected: Vec<usize> = Vec::new();
    let mut sent: Vec<usize> = Vec::new();
    let mut total_sleep = 0.0;
    let errors_before_steps = p.list.len();
    for (i, step) in s.steps.iter().enumerate() {
        let path = format!("steps[{i}]");
        match step {
            Step::Connect(id) => {
                let Some(c) = resolve(&mut p, &format!("{path}.connect"), id) else {
                    continue;
                };
                if connected.contains(&c) {
                    p.at(
                        &format!("{path}.connect"),
                        format!("client {id} connects twice"),
                    );
                    continue;
                }
                connected.push(c);
                steps.push(ValidStep::Connect(c));
            }
            Step::Send(id) => {
                let Some(c) = resolve(&mut p, &format!("{path}.send"), id) else {
                    continue;
                };
                if !connected.contains(&c) {
                    p.at(
                        &format!("{path}.send"),
                        format!("client {id} sends before it connects: add `- connect: {id}` before this step"),
                    );
                    continue;
                }
                if sent.contains(&c) {
                    p.at(
                        &format!("{path}.send"),
                        format!("client {id} sends twice; each client sends one message"),
                    );
                    continue;
                }
                sent.push(c);
                steps.push(ValidStep::Send(c));
            }
            Step::SleepMs(ms) => {
                let secs = *ms as f64 / 1000.0;
                if check_duration(
                    &mut p,
                    &format!("{path}.sleep_ms"),
                    "sleep_ms",
                    (*ms as f64).max(f64::MIN_POSITIVE),
                    1000.0,
                ) {
                    total_sleep += secs;
                    steps.push(ValidStep::Sleep(Duration::from_millis(*ms)));
                }
            }
            Step::WaitFor(w) => {
                let process =
                    resolve_process(&mut p, &format!("{path}.wait_for.process"), &w.process);
                let m = matcher(&mut p, &format!("{path}.wait_for"), &w.contains, &w.regex);
                let ms = w.timeout_ms.unwrap_or(10_000);
                let ok = check_duration(
                    &mut p,
                    &format!("{path}.wait_for.timeout_ms"),
                    "timeout_ms",
                    ms as f64,
                    1000.0,
                );
                if let (Some(process), Some(matcher), true) = (process, m, ok) {
                    steps.push(ValidStep::WaitFor {
                        process,
                        matcher,
                        timeout: Duration::from_millis(ms),
                    });
                }
            }
        }
    }
    // A step refused above already explains why a send is missing.
    let steps_refused = p.list.len() > errors_before_steps;
    if s.steps.is_empty() {
        p.at(
            "steps",
            "there are no steps: connect both clients and let them send",
        );
    }
    for (i, c) in s.clients.iter().enumerate() {
        if ids.get(&c.id) == Some(&i) && !connected.contains(&i) && s.clients.len() == 2 {
            p.at(
                "steps",
                format!("client {} never connects: add `- connect: {}`", c.id, c.id),
            );
        }
    }

    // expectations
    let order_margin = Duration::from_millis(s.expect.order_margin_ms.unwrap_or(100));
    if let Some(ack) = &s.expect.ack {
        if protocol::parse_ack(ack).is_none() {
            p.at(
                "expect.ack",
                format!("{} is not an acknowledgement (expected like `X: Alice received before Y: Bob`)", shown(ack)),
            );
        }
    }
    let mut lines = Vec::new();
    for (i, l) in s.expect.lines.iter().enumerate() {
        let path = format!("expect.lines[{i}]");
        let process = resolve_process(&mut p, &format!("{path}.process"), &l.process);
        let given = [l.contains.is_some(), l.regex.is_some(), l.absent.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given != 1 {
            p.at(&path, "give exactly one of `contains`, `regex` or `absent`");
            continue;
        }
        let (m, absent) = if let Some(a) = &l.absent {
            (matcher(&mut p, &path, &Some(a.clone()), &None), true)
        } else {
            (matcher(&mut p, &path, &l.contains, &l.regex), false)
        };
        if let (Some(process), Some(matcher)) = (process, m) {
            lines.push(LineCheck {
                process,
                matcher,
                absent,
            });
        }
    }
    let timeout_s = s.timeout_s.unwrap_or(30.0);
    if check_duration(&mut p, "timeout_s", "timeout_s", timeout_s, 1.0) && total_sleep >= timeout_s
    {
        p.at(
            "timeout_s",
            format!("the steps sleep {total_sleep} s, longer than timeout_s ({timeout_s} s): raise timeout_s"),
        );
    }

    // Letters come from connect order.
    let letter_of = |i: usize| {
        connected
            .iter()
            .position(|&c| c == i)
            .and_then(Letter::from_connect_index)
    };
    let derived_ack = if sent.len() == 2 {
        let (first, second) = (sent[0], sent[1]);
        letter_of(first).map(|l| {
            Ack {
                first: l,
                first_name: s.clients[first].name.trim().to_string(),
                second_name: s.clients[second].name.trim().to_string(),
            }
            .line()
        })
    } else {
        None
    };
    if derived_ack.is_none()
        && !steps_refused
        && s.expect.ack.is_none()
        && s.clients.len() == 2
        && connected.len() == 2
    {
        p.at(
            "steps",
            "not every client sends in the steps, so the expected acknowledgement cannot be derived: add the `send` steps or an `expect.ack`",
        );
    }

    if !p.list.is_empty() {
        p.list.sort_by_key(|e| (e.line, e.column));
        p.list.dedup();
        return Err(ScenarioErrors(p.list));
    }
    let clients = s
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| ValidClient {
            id: c.id.clone(),
            host: c.host.clone(),
            name: c.name.trim().to_string(),
            cmd: client_cmds[i].clone(),
            letter: letter_of(i).expect("validated: every client connects"),
        })
        .collect();
    Ok(ValidScenario {
        name,
        description,
        file: file.to_path_buf(),
        source: source.to_string(),
        hosts,
        switch,
        bw_mbit,
        delay_ms,
        loss_pct,
        server,
        clients,
        steps,
        expect_ack: s.expect.ack.clone(),
        derived_ack,
        order_margin,
        lines,
        timeout: Duration::from_secs_f64(timeout_s),
    })
}

/// The scenario files a path names: the file itself, or the `.yaml`/`.yml`
/// files of a directory in name order.
pub fn files_in(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_NETEM: Capabilities = Capabilities { netem: false };

    fn ok(text: &str) -> ValidScenario {
        parse(Path::new("t.yaml"), text.as_bytes(), NO_NETEM).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> String {
        parse(Path::new("t.yaml"), text.as_bytes(), NO_NETEM)
            .expect_err("should be invalid")
            .to_string()
    }

    const CASE2: &str = "\
name: case2
topology: { hosts: [h1, h2, h3] }
server: { host: h1 }
clients:
  - { id: a, host: h2, name: Alice }
  - { id: b, host: h3, name: Bob }
steps:
  - connect: a
  - connect: b
  - send: b
  - sleep_ms: 200
  - send: a
";

    #[test]
    fn case2_derives_its_ack_and_letters() {
        let s = ok(CASE2);
        assert_eq!(
            s.derived_ack.as_deref(),
            Some("Y: Bob received before X: Alice")
        );
        assert_eq!(s.clients[0].letter, Letter::X);
        assert_eq!(s.clients[1].letter, Letter::Y);
        assert_eq!(s.server.port, 12000);
        assert_eq!(s.switch, "s1");
        assert_eq!(s.steps.len(), 5);
    }

    #[test]
    fn reversed_connect_order_swaps_letters() {
        let s = ok(&CASE2.replace(
            "  - connect: a\n  - connect: b",
            "  - connect: b\n  - connect: a",
        ));
        assert_eq!(s.clients[0].letter, Letter::Y);
        assert_eq!(
            s.derived_ack.as_deref(),
            Some("X: Bob received before Y: Alice")
        );
    }

    #[test]
    fn unknown_host_names_line_and_column() {
        let e = err(&CASE2.replace("host: h3", "host: h9"));
        assert_eq!(
            e,
            "t.yaml:6:20: unknown host \"h9\" (the hosts are h1, h2, h3)"
        );
    }

    #[test]
    fn unknown_key_is_located_by_serde() {
        let e = err(&CASE2.replace("name: Bob", "nam: Bob"));
        assert!(e.starts_with("t.yaml:6:"), "{e}");
        assert!(e.contains("unknown field `nam`"), "{e}");
    }

    #[test]
    fn send_before_connect_is_refused() {
        let e = err(&CASE2.replace(
            "  - connect: a\n  - connect: b\n  - send: b",
            "  - send: b\n  - connect: a\n  - connect: b",
        ));
        assert!(
            e.contains("t.yaml:8:11: client b sends before it connects"),
            "{e}"
        );
    }

    #[test]
    fn link_delay_is_refused_with_the_kernel_reason() {
        let e = err(&CASE2.replace(
            "{ hosts: [h1, h2, h3] }",
            "{ hosts: [h1, h2, h3], link: { delay_ms: 10 } }",
        ));
        assert!(e.starts_with("t.yaml:2:"), "{e}");
        assert!(e.contains("sch_netem"), "{e}");
    }

    #[test]
    fn duplicate_ids_and_negative_sleep() {
        let e = err(&CASE2.replace("id: b", "id: a"));
        assert!(e.contains("t.yaml:6:11: duplicate client id a"), "{e}");
        let e = err(&CASE2.replace("sleep_ms: 200", "sleep_ms: -5"));
        assert!(e.starts_with("t.yaml:11:"), "{e}");
    }

    #[test]
    fn explicit_ack_must_be_an_ack() {
        let e = err(&format!("{CASE2}expect: {{ ack: hello }}\n"));
        assert!(e.contains("is not an acknowledgement"), "{e}");
    }

    #[test]
    fn empty_and_non_utf8_files() {
        assert!(err("").contains("t.yaml:1:1: the file is empty"));
        let bad = parse(Path::new("t.yaml"), b"name: x\n\xff\xfe", NO_NETEM)
            .unwrap_err()
            .to_string();
        assert_eq!(bad, "t.yaml:2:1: the file is not valid UTF-8 text");
    }

    #[test]
    fn cmd_line_is_split_into_words_without_a_shell() {
        let s = ok(&CASE2.replace(
            "server: { host: h1 }",
            "server: { host: h1, cmd: \"python3 'my server.py' $(rm -rf /)\" }",
        ));
        assert_eq!(
            s.server.cmd.unwrap(),
            vec!["python3", "my server.py", "$(rm", "-rf", "/)"]
        );
    }

    #[test]
    fn locator_finds_nested_paths() {
        let l = Locator::new(CASE2);
        assert_eq!(l.find("clients[1].host"), (6, 20));
        assert_eq!(l.find("steps[2].send"), (10, 11));
        assert_eq!(l.find("steps[2]").0, 10);
    }
}
