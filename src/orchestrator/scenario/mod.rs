//! Scenarios: the YAML a person writes, checked once into a
//! [`ValidScenario`] in which every name is resolved, every default filled
//! and every rule of the assignment holds. Nothing downstream re-checks.
//!
//! This module owns the way in (`load`, `parse`, `files_in`) and the
//! validated types the rest of the orchestrator reads. Behind it, by role:
//! `schema` is the scenario as written (serde, `deny_unknown_fields`);
//! `locate` finds where a node stands in the source, so that every error
//! names the file, line and column it is about (serde_yaml reports positions
//! for syntax and type errors; the rules checked after parsing name a path
//! like `clients[1].host`); `validate` checks those rules with a
//! `Validator` that has one method per section of the file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

use crate::orchestrator::link::{Conditions, EngineChoice, Engines, LinkEngine};
use crate::pa3::protocol::Letter;

mod locate;
mod programs;
mod schema;
mod validate;

#[cfg(test)]
mod reference_tests;

pub use programs::missing_programs;

/// Scenario files larger than this are refused before parsing.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Longest a scenario may run, and longest a single wait or sleep.
pub const MAX_SECONDS: f64 = 3600.0;
/// Longest client name, in bytes (the message must fit the 1 KiB limit).
pub const MAX_NAME_BYTES: usize = 200;
/// Longest scenario name, in characters.
pub const MAX_SCENARIO_NAME_CHARS: usize = 100;
/// Most hosts a topology may have.
pub const MAX_HOSTS: usize = 32;

// ---------------------------------------------------------------------------
// Validated

/// A client of a scenario, by its place in [`ValidScenario::clients`]:
/// made by validation only, so that it cannot be mixed up with another
/// number (a program's place in a run, a count of connections).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientIdx(usize);

impl ClientIdx {
    /// Its place in [`ValidScenario::clients`], from 0.
    pub fn index(self) -> usize {
        self.0
    }
}

/// Which process of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProcessRef {
    Server,
    Client(ClientIdx),
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
    Connect(ClientIdx),
    Send(ClientIdx),
    /// Both clients typed into back to back (`send: [a, b]`): their
    /// messages leave microseconds apart, in either order of arrival.
    SendTogether(Vec<ClientIdx>),
    Sleep(Duration),
    WaitFor {
        process: ProcessRef,
        matcher: Matcher,
        timeout: Duration,
    },
    /// `link:` — the host's link has these conditions from now on (the
    /// fields the step left out kept from before).
    Link {
        host: String,
        conditions: Conditions,
    },
}

/// One host's link, as the run starts.
#[derive(Clone, Debug, PartialEq)]
pub struct HostLink {
    pub host: String,
    /// Its rate (Mininet's HTB, on every kernel).
    pub bw_mbit: Option<f64>,
    pub conditions: Conditions,
    /// Whether the link is impaired at all during the run (conditions not
    /// clear, or a `link:` step names it): only such links get netem or a
    /// delayer.
    pub impaired: bool,
}

/// Every host's link, and the engine that impairs them.
#[derive(Clone, Debug, PartialEq)]
pub struct Links {
    /// One per host, in the order of the hosts.
    pub hosts: Vec<HostLink>,
    /// The engine, when some link is impaired.
    pub engine: Option<LinkEngine>,
}

impl Links {
    /// The links a run impairs.
    pub fn impaired(&self) -> impl Iterator<Item = &HostLink> {
        self.hosts.iter().filter(|l| l.impaired)
    }

    /// Host `host`'s link.
    pub fn of(&self, host: &str) -> Option<&HostLink> {
        self.hosts.iter().find(|l| l.host == host)
    }

    /// Whether any link has a rate.
    pub fn any_rate(&self) -> bool {
        self.hosts.iter().any(|l| l.bw_mbit.is_some())
    }
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
    host: String,
    port: u16,
    cmd: Option<Vec<String>>,
    keeps_running: bool,
    adapt_network: bool,
}

impl ValidServer {
    /// The host it runs on (one of the topology's).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port it is told to listen on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Another program instead of ours, argv with placeholders unexpanded.
    pub fn cmd(&self) -> Option<&[String]> {
        self.cmd.as_deref()
    }

    /// It may keep serving after the round: stopped once the clients have
    /// ended, which is not a failure.
    pub fn keeps_running(&self) -> bool {
        self.keeps_running
    }

    /// Find where it listens and route the clients' connections there
    /// (see [`crate::orchestrator::net::route`]).
    pub fn adapt_network(&self) -> bool {
        self.adapt_network
    }
}

#[derive(Clone, Debug)]
pub struct ValidClient {
    id: String,
    host: String,
    name: String,
    cmd: Option<Vec<String>>,
    letter: Letter,
    eager: bool,
}

impl ValidClient {
    /// Its id, unique in the scenario (`a`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The host it runs on (one of the topology's).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The name it sends, trimmed.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Another program instead of ours, argv with placeholders unexpanded.
    pub fn cmd(&self) -> Option<&[String]> {
        self.cmd.as_deref()
    }

    /// Its letter, given by its position among the connect steps.
    pub fn letter(&self) -> Letter {
        self.letter
    }

    /// Its name is typed the moment it asks (see `ClientSpec::eager`).
    pub fn eager(&self) -> bool {
        self.eager
    }
}

/// A scenario in which everything has been checked: built only by
/// validation ([`load`], [`parse`]), read through its methods.
#[derive(Clone, Debug)]
pub struct ValidScenario {
    name: String,
    slug: String,
    description: String,
    file: PathBuf,
    source: String,
    hosts: Vec<String>,
    switch: String,
    links: Links,
    server: ValidServer,
    clients: Vec<ValidClient>,
    steps: Vec<ValidStep>,
    expect_ack: Option<String>,
    derived_ack: Option<String>,
    order_margin: Duration,
    lines: Vec<LineCheck>,
    timeout: Duration,
    warnings: Vec<ScenarioError>,
}

impl ValidScenario {
    /// As written (or the file's name): what reports show, escaped there.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name made safe for a file name (ASCII letters, digits, `.`, `_`,
    /// `-`): what names the run directory and the run's records.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// The file it was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The YAML as read, to keep beside the results.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The topology's hosts, in order.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub fn switch(&self) -> &str {
        &self.switch
    }

    /// Each host's link: rate, delay, jitter, loss.
    pub fn links(&self) -> &Links {
        &self.links
    }

    pub fn server(&self) -> &ValidServer {
        &self.server
    }

    /// The clients, in the order written (a [`ClientIdx`] is a place in it).
    pub fn clients(&self) -> &[ValidClient] {
        &self.clients
    }

    /// The client at `c`.
    pub fn client(&self, c: ClientIdx) -> &ValidClient {
        &self.clients[c.0]
    }

    /// Every client with its index, in the order written.
    pub fn indexed_clients(&self) -> impl Iterator<Item = (ClientIdx, &ValidClient)> {
        self.clients
            .iter()
            .enumerate()
            .map(|(i, c)| (ClientIdx(i), c))
    }

    pub fn steps(&self) -> &[ValidStep] {
        &self.steps
    }

    /// The ack the user wrote, if any.
    pub fn expect_ack(&self) -> Option<&str> {
        self.expect_ack.as_deref()
    }

    /// The ack the send order implies, if both clients send in the steps.
    pub fn derived_ack(&self) -> Option<&str> {
        self.derived_ack.as_deref()
    }

    pub fn order_margin(&self) -> Duration {
        self.order_margin
    }

    /// The line expectations the user wrote.
    pub fn lines(&self) -> &[LineCheck] {
        &self.lines
    }

    /// Longest the run may last.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Replaces the scenario's `timeout_s` with the command line's
    /// `--timeout` (checked by its parser to be within (0, [`MAX_SECONDS`]]).
    pub fn override_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// What is valid but likely not what was meant, in file order: for
    /// the caller to show (see [`ScenarioError::as_warning`]).
    pub fn warnings(&self) -> &[ScenarioError] {
        &self.warnings
    }

    /// `server` or the client's id.
    pub fn process_id(&self, p: ProcessRef) -> &str {
        match p {
            ProcessRef::Server => "server",
            ProcessRef::Client(c) => &self.client(c).id,
        }
    }

    /// The client with this letter.
    pub fn client_by_letter(&self, letter: Letter) -> Option<&ValidClient> {
        self.clients.iter().find(|c| c.letter == letter)
    }

    /// The scripted sleeps, added up: at least how long a run lasts.
    pub fn scripted(&self) -> Duration {
        self.steps
            .iter()
            .map(|s| match s {
                ValidStep::Sleep(d) => *d,
                _ => Duration::ZERO,
            })
            .sum()
    }
}

/// What the machine can emulate, and which link engine was asked for:
/// validation refuses a link property that could not be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether `sch_netem` (Mininet's delay, jitter and loss) is available.
    pub netem: bool,
    /// Whether the xtables `NFQUEUE` target and `iptables` are (our delayer).
    pub nfqueue: bool,
    /// `--link-engine`.
    pub engine: EngineChoice,
}

impl Capabilities {
    /// Capabilities stated rather than detected (`--link-engine auto`).
    pub const fn assume(netem: bool, nfqueue: bool) -> Capabilities {
        Capabilities {
            netem,
            nfqueue,
            engine: EngineChoice::Auto,
        }
    }

    /// The same machine, with `--link-engine choice`.
    pub fn with_engine(self, engine: EngineChoice) -> Capabilities {
        Capabilities { engine, ..self }
    }

    pub fn engines(&self) -> Engines {
        Engines {
            netem: self.netem,
            nfqueue: self.nfqueue,
            choice: self.engine,
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

impl ScenarioError {
    /// The same `file:line:col:` form, marked as a warning.
    pub fn as_warning(&self) -> String {
        format!(
            "{}:{}:{}: warning: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
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

impl ScenarioErrors {
    /// The one thing wrong with `file`, at `line`:`column`.
    fn one(file: &Path, line: usize, column: usize, message: String) -> ScenarioErrors {
        ScenarioErrors(vec![ScenarioError {
            file: file.to_path_buf(),
            line,
            column,
            message,
        }])
    }
}

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

/// Why a scenario file did not load.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read (missing, a directory, no permission):
    /// an I/O error, about no line of it.
    #[error("cannot read {}: {error}", file.display())]
    Unreadable {
        file: PathBuf,
        error: std::io::Error,
    },
    /// The file was read and is not a valid scenario.
    #[error("{0}")]
    Invalid(ScenarioErrors),
}

// ---------------------------------------------------------------------------
// Loading

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path, caps: Capabilities) -> Result<ValidScenario, LoadError> {
    let unreadable = |error| LoadError::Unreadable {
        file: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    // Refused unread; a directory is refused by the read itself.
    if meta.is_file() && meta.len() > MAX_FILE_BYTES as u64 {
        let too_big = ScenarioErrors::one(path, 1, 1, too_big(meta.len()));
        return Err(LoadError::Invalid(too_big));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    parse(path, &bytes, caps).map_err(LoadError::Invalid)
}

/// Parses and validates scenario text (`path` is only used in messages and
/// for the default name).
pub fn parse(
    path: &Path,
    bytes: &[u8],
    caps: Capabilities,
) -> Result<ValidScenario, ScenarioErrors> {
    let text = scenario_text(path, bytes)?;
    let scenario: schema::Scenario = serde_yaml::from_str(text).map_err(|e| {
        let (line, column, message) = locate::yaml_error(&e, text);
        ScenarioErrors::one(path, line, column, message)
    })?;
    validate::validate(path, text, scenario, caps)
}

/// The bytes as text, if they can be a scenario at all: not too big, UTF-8,
/// no NUL, not empty.
fn scenario_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ScenarioErrors> {
    let refuse = |(line, column): (usize, usize), message: &str| {
        ScenarioErrors::one(path, line, column, message.to_string())
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(refuse((1, 1), &too_big(bytes.len() as u64)));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        refuse(
            locate::line_col(bytes, e.valid_up_to()),
            "the file is not valid UTF-8 text",
        )
    })?;
    if let Some(pos) = text.find('\0') {
        return Err(refuse(
            locate::line_col(bytes, pos),
            "the file contains a NUL byte: is it binary?",
        ));
    }
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(refuse(
            (1, 1),
            "the file is empty: a scenario needs `clients` and `steps`",
        ));
    }
    Ok(text)
}

fn too_big(bytes: u64) -> String {
    format!(
        "the file is {bytes} bytes; scenario files are limited to {} KiB",
        MAX_FILE_BYTES / 1024
    )
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

// ---------------------------------------------------------------------------
// A user's text in messages

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

/// What the submodules' tests share: a valid scenario and two ways to
/// parse a variant of it.
#[cfg(test)]
mod testing {
    use super::*;

    /// This machine: no netem, the NFQUEUE target.
    pub const NO_NETEM: Capabilities = Capabilities::assume(false, true);

    pub fn ok(text: &str) -> ValidScenario {
        parse(Path::new("t.yaml"), text.as_bytes(), NO_NETEM).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn err(text: &str) -> String {
        parse(Path::new("t.yaml"), text.as_bytes(), NO_NETEM)
            .expect_err("should be invalid")
            .to_string()
    }

    pub const CASE2: &str = "\
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
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn unknown_key_is_located_by_serde() {
        let e = err(&CASE2.replace("name: Bob", "nam: Bob"));
        assert!(e.starts_with("t.yaml:6:"), "{e}");
        assert!(e.contains("unknown field `nam`"), "{e}");
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_io_error_not_a_scenario_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yaml");
        match load(&missing, NO_NETEM) {
            Err(e @ LoadError::Unreadable { .. }) => assert_eq!(
                e.to_string(),
                format!(
                    "cannot read {}: No such file or directory (os error 2)",
                    missing.display()
                )
            ),
            other => panic!("{other:?}"),
        }
        match load(dir.path(), NO_NETEM) {
            Err(LoadError::Unreadable { error, .. }) => {
                assert_eq!(error.kind(), std::io::ErrorKind::IsADirectory)
            }
            other => panic!("{other:?}"),
        }
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES + 1]).unwrap();
        match load(&big, NO_NETEM) {
            Err(LoadError::Invalid(errors)) => {
                assert_eq!((errors.0[0].line, errors.0[0].column), (1, 1))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_and_non_utf8_files() {
        assert!(err("").contains("t.yaml:1:1: the file is empty"));
        let bad = parse(Path::new("t.yaml"), b"name: x\n\xff\xfe", NO_NETEM)
            .unwrap_err()
            .to_string();
        assert_eq!(bad, "t.yaml:2:1: the file is not valid UTF-8 text");
    }
}
