//! The rules a parsed scenario must follow, checked section by section by a
//! [`Validator`] that collects every problem (not just the first) with its
//! position, and remembers what later sections refer to: the hosts, the
//! client ids, the connect and send order.
//!
//! Sections run in the order the file is usually written, and each later
//! one sees what the earlier ones found; the problems are sorted by position
//! at the end, so that order does not show in the output. This file holds
//! the validator and what the sections share (placing a problem, resolving
//! a name, a matcher, a command, a duration); the sections themselves are
//! in [`about`] (name, description), [`network`] (hosts, switch,
//! server), [`links`] (every host's link and the `link:` steps), [`clients`], [`steps`] and [`expect`] (the ack, expected lines,
//! the run's timeout).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::locate::Locator;
use super::schema::{CommandSpec, Scenario};
use super::{
    listed, num, shown, Capabilities, ClientIdx, Matcher, ProcessRef, ScenarioError,
    ScenarioErrors, ValidClient, ValidScenario, MAX_SECONDS,
};
use crate::pa3::protocol::Letter;

mod about;
mod clients;
mod expect;
mod links;
mod network;
mod steps;

/// Checks a parsed scenario and fills every default.
pub(super) fn validate(
    file: &Path,
    source: &str,
    scenario: Scenario,
    caps: Capabilities,
) -> Result<ValidScenario, ScenarioErrors> {
    let mut validator = Validator::new(file, source);
    let (name, slug) = validator.name(&scenario);
    let description = validator.description(&scenario);
    validator.hosts(&scenario);
    let switch = validator.switch(&scenario.topology);
    validator.links(&scenario);
    let server = validator.server(&scenario.server);
    validator.clients(&scenario.clients);
    let client_cmds = validator.client_commands(&scenario.clients);
    let (steps, steps_refused) = validator.steps(&scenario.steps, &scenario.clients);
    validator.untimed_sends(&scenario.clients, &client_cmds);
    let order_margin = validator.order_margin(&scenario.expect);
    validator.expected_ack(&scenario.expect);
    let lines = validator.lines(&scenario.expect.lines);
    let timeout = validator.timeout(scenario.timeout_s);
    let derived_ack = validator.derived_ack(&scenario, steps_refused);
    let links = validator.link_engine(caps);

    if !validator.problems.is_empty() {
        validator.problems.sort_by_key(|e| (e.line, e.column));
        validator.problems.dedup();
        return Err(ScenarioErrors(validator.problems));
    }
    validator.warnings.sort_by_key(|w| (w.line, w.column));
    let clients = scenario
        .clients
        .iter()
        .zip(client_cmds)
        .enumerate()
        .map(|(index, (client, cmd))| ValidClient {
            id: client.id.clone(),
            host: client.host.clone(),
            name: client.name.trim().to_string(),
            cmd,
            letter: validator
                .letter_of(ClientIdx(index))
                .expect("validated: every client connects"),
            eager: client.eager.unwrap_or(false),
        })
        .collect();
    Ok(ValidScenario {
        name,
        slug,
        description,
        file: file.to_path_buf(),
        source: source.to_string(),
        hosts: validator.hosts,
        switch,
        links,
        server,
        clients,
        steps,
        expect_ack: scenario.expect.ack,
        derived_ack,
        order_margin,
        lines,
        timeout,
        warnings: validator.warnings,
    })
}

/// The least a duration may be.
#[derive(Clone, Copy)]
enum Least {
    /// More than zero: a timeout.
    AboveZero,
    /// Zero or more: a pause, a margin.
    Zero,
}

/// The problems found so far, where to place them, and the names the
/// sections checked so far have defined.
struct Validator<'a> {
    file: &'a Path,
    locator: Locator,
    problems: Vec<ScenarioError>,
    /// What is valid but likely not what was meant.
    warnings: Vec<ScenarioError>,
    /// The topology's hosts, once [`Validator::hosts`] has run.
    hosts: Vec<String>,
    /// Every client id as written, valid or not, for "the clients are …".
    written_ids: Vec<String>,
    /// Each valid client id (first given) → its index in `clients`.
    client_index: HashMap<String, ClientIdx>,
    /// Clients in the order they connect: the first is X.
    connected: Vec<ClientIdx>,
    /// Clients in the order they send.
    sent: Vec<ClientIdx>,
    /// What the sleep steps add up to.
    total_sleep: Duration,
    /// The links, as the sections and steps set them.
    links: links::LinkState,
}

impl<'a> Validator<'a> {
    fn new(file: &'a Path, source: &str) -> Validator<'a> {
        Validator {
            file,
            locator: Locator::new(source),
            problems: Vec::new(),
            warnings: Vec::new(),
            hosts: Vec::new(),
            written_ids: Vec::new(),
            client_index: HashMap::new(),
            connected: Vec::new(),
            sent: Vec::new(),
            total_sleep: Duration::ZERO,
            links: links::LinkState::default(),
        }
    }

    // -----------------------------------------------------------------------
    // Problems

    /// A problem with the node at `path` (or its nearest ancestor).
    fn at(&mut self, path: &str, message: impl Into<String>) {
        let (line, column) = self.locator.find(path);
        self.push(line, column, message.into());
    }

    /// A problem with the key at `path` rather than its value.
    fn at_key(&mut self, path: &str, message: impl Into<String>) {
        let (line, column) = self.locator.find_key(path);
        self.push(line, column, message.into());
    }

    fn push(&mut self, line: usize, column: usize, message: String) {
        let problem = self.error_at(line, column, message);
        self.problems.push(problem);
    }

    /// Something valid but likely not what was meant, about the node at
    /// `path`.
    fn warn(&mut self, path: &str, message: impl Into<String>) {
        let (line, column) = self.locator.find(path);
        let warning = self.error_at(line, column, message.into());
        self.warnings.push(warning);
    }

    fn error_at(&self, line: usize, column: usize, message: String) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
        }
    }

    // -----------------------------------------------------------------------
    // What the sections share

    /// A client's letter comes from its position in the connect order.
    fn letter_of(&self, client: ClientIdx) -> Option<Letter> {
        self.connected
            .iter()
            .position(|&c| c == client)
            .and_then(Letter::from_connect_index)
    }

    fn known_host(&mut self, path: &str, host: &str) {
        if !self.hosts.iter().any(|known| known == host) {
            let hosts = listed(&self.hosts.iter().map(String::as_str).collect::<Vec<_>>());
            self.at(
                path,
                format!("unknown host {} (the hosts are {hosts})", shown(host)),
            );
        }
    }

    fn resolve_client(&mut self, path: &str, id: &str) -> Option<ClientIdx> {
        let found = self.client_index.get(id).copied();
        if found.is_none() {
            let known = listed(
                &self
                    .written_ids
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            );
            self.at(
                path,
                format!("unknown client {} (the clients are {known})", shown(id)),
            );
        }
        found
    }

    fn resolve_process(&mut self, path: &str, id: &str) -> Option<ProcessRef> {
        if id == "server" {
            Some(ProcessRef::Server)
        } else {
            self.resolve_client(path, id).map(ProcessRef::Client)
        }
    }

    /// Exactly one of a non-empty `contains` or a valid `regex`.
    fn matcher(
        &mut self,
        path: &str,
        contains: &Option<String>,
        regex: &Option<String>,
    ) -> Option<Matcher> {
        match (contains, regex) {
            (Some(text), None) => {
                if text.is_empty() {
                    self.at(path, "`contains` is empty: it would match every line");
                    None
                } else {
                    Some(Matcher::Contains(text.clone()))
                }
            }
            (None, Some(pattern)) => match regex::RegexBuilder::new(pattern)
                .size_limit(1 << 20)
                .build()
            {
                Ok(re) => Some(Matcher::Regex(re)),
                Err(e) => {
                    let why = e.to_string();
                    let why = why.lines().last().unwrap_or("");
                    self.at(
                        &format!("{path}.regex"),
                        format!(
                            "invalid regex {}: {}",
                            shown(pattern),
                            why.strip_prefix("error: ").unwrap_or(why)
                        ),
                    );
                    None
                }
            },
            _ => {
                self.at(path, "give exactly one of `contains` or `regex`");
                None
            }
        }
    }

    /// A command as argv: a list as given, or a line split into words.
    fn command(&mut self, path: &str, cmd: &Option<CommandSpec>) -> Option<Vec<String>> {
        let argv = match cmd.as_ref()? {
            CommandSpec::Argv(argv) => argv.clone(),
            CommandSpec::Line(line) => match shell_words::split(line) {
                Ok(argv) => argv,
                Err(e) => {
                    self.at(path, format!("cannot split the command into words: {e}"));
                    return None;
                }
            },
        };
        if argv.is_empty() || argv[0].trim().is_empty() {
            self.at(path, "the command is empty");
            return None;
        }
        if argv.iter().any(|arg| arg.contains('\0')) {
            self.at(path, "the command contains a NUL character");
            return None;
        }
        Some(argv)
    }

    /// A duration written as `value` units (fractions allowed), of which
    /// `per_second` make a second, if it is at least `least` and at most
    /// [`MAX_SECONDS`]; otherwise says what is wrong, in the units the user
    /// wrote. Kept to the nanosecond.
    fn duration(
        &mut self,
        path: &str,
        what: &str,
        value: f64,
        per_second: f64,
        least: Least,
    ) -> Option<Duration> {
        let (too_small, floor) = match least {
            Least::AboveZero => (!value.is_finite() || value <= 0.0, "a positive number"),
            Least::Zero => (value.is_nan() || value < 0.0, "a number, 0 or more"),
        };
        if too_small {
            self.at(path, format!("{what} must be {floor}, not {}", num(value)));
            None
        } else if value / per_second > MAX_SECONDS {
            self.at(
                path,
                format!(
                    "{what} is {}; the most allowed is {} (an hour)",
                    num(value),
                    num(MAX_SECONDS * per_second)
                ),
            );
            None
        } else {
            Some(Duration::from_nanos(
                (value / per_second * 1e9).round() as u64
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::orchestrator::scenario::testing::*;
    use crate::pa3::protocol::Letter;

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
}
