//! The two clients: ids unique and usable as names, hosts that exist,
//! names that can be sent, commands that split into words; and a warning
//! for a client whose send step cannot time it.

use std::path::Path;

use regex::Regex;

use super::{shown, Validator};
use crate::orchestrator::scenario::schema::ClientSpec;
use crate::orchestrator::scenario::{ClientIdx, MAX_NAME_BYTES};
use crate::pa3::protocol::{self, Letter, MAX_MESSAGE_BYTES};

impl Validator<'_> {
    /// Exactly two clients, with unique ids, known hosts and sendable names.
    pub(super) fn clients(&mut self, clients: &[ClientSpec]) {
        if clients.len() != 2 {
            self.at(
                "clients",
                format!(
                    "the assignment has exactly two clients (X and Y); this scenario has {}",
                    clients.len()
                ),
            );
        }
        self.written_ids = clients.iter().map(|c| c.id.clone()).collect();
        for (index, client) in clients.iter().enumerate() {
            self.client(index, client);
        }
    }

    /// Warns about each client that has a `send` step but is given its name
    /// on the command line: such a client sends as soon as it is greeted,
    /// so the step times nothing.
    pub(super) fn untimed_sends(&mut self, clients: &[ClientSpec], cmds: &[Option<Vec<String>>]) {
        for (index, (client, cmd)) in clients.iter().zip(cmds).enumerate() {
            let Some(how) = cmd.as_deref().and_then(name_given_by) else {
                continue;
            };
            if !self.sent.contains(&ClientIdx(index)) {
                continue;
            }
            let id = &client.id;
            self.warn(
                &format!("clients[{index}].cmd"),
                format!("client {id} is given its name on the command line ({how}), so it sends as soon as it is greeted and the step `send: {id}` cannot time it; drop {how} from cmd to have the name typed at the send step"),
            );
        }
    }

    fn client(&mut self, index: usize, client: &ClientSpec) {
        let base = format!("clients[{index}]");
        let id = &client.id;
        if !client_id_re().is_match(id) || id == "server" || id == "orchestrator" {
            self.at(
                &format!("{base}.id"),
                format!("client id {} must be a lowercase letter then up to 15 lowercase letters, digits or `_`, and not `server` or `orchestrator`", shown(id)),
            );
        } else if self
            .client_index
            .insert(id.clone(), ClientIdx(index))
            .is_some()
        {
            self.at(&format!("{base}.id"), format!("duplicate client id {id}"));
        }
        self.known_host(&format!("{base}.host"), &client.host);
        self.client_name(&format!("{base}.name"), &client.name);
    }

    /// A name the client can send: one line of printable text that fits a
    /// message.
    fn client_name(&mut self, path: &str, name: &str) {
        let name = name.trim();
        if name.is_empty() {
            self.at(path, "the name is empty");
        } else if name.len() > MAX_NAME_BYTES {
            self.at(
                path,
                format!(
                    "the name is {} bytes; the most allowed is {MAX_NAME_BYTES}",
                    name.len()
                ),
            );
        } else if let Some(control) = name.chars().find(|c| c.is_control()) {
            self.at(
                path,
                format!(
                    "the name {} contains the control character {control:?}: a name is one line of printable text",
                    shown(name)
                ),
            );
        } else if protocol::client_message(Letter::X, name).len() > MAX_MESSAGE_BYTES {
            self.at(path, "the message would exceed 1 KiB");
        }
    }

    pub(super) fn client_commands(&mut self, clients: &[ClientSpec]) -> Vec<Option<Vec<String>>> {
        clients
            .iter()
            .enumerate()
            .map(|(index, client)| self.command(&format!("clients[{index}].cmd"), &client.cmd))
            .collect()
    }
}

/// How a command gives the client its name, if it does: a `{name}`
/// placeholder, or our own `client` with `--name` (or `-n`).
fn name_given_by(argv: &[String]) -> Option<&'static str> {
    if argv.iter().any(|arg| arg.contains("{name}")) {
        return Some("{name}");
    }
    let ours = argv
        .first()
        .and_then(|program| Path::new(program).file_name())
        .is_some_and(|program| program == "client");
    let named = argv.iter().skip(1).any(|arg| {
        arg == "--name"
            || arg.starts_with("--name=")
            || (arg.starts_with("-n") && !arg.starts_with("--"))
    });
    (ours && named).then_some("--name")
}

fn client_id_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z][a-z0-9_]{0,15}$").unwrap())
}

#[cfg(test)]
mod tests {
    use super::name_given_by;
    use crate::orchestrator::scenario::testing::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_name_is_given_by_the_placeholder_or_our_clients_flag() {
        for (words, how) in [
            (
                &["python3", "client.py", "{server_ip}", "{name}"][..],
                Some("{name}"),
            ),
            (&["python3", "client.py", "--who={name}"], Some("{name}")),
            (&["client", "--name", "Bob"], Some("--name")),
            (&["target/debug/client", "--name=Bob"], Some("--name")),
            (&["/usr/local/bin/client", "-n", "Bob"], Some("--name")),
            (&["client", "--server", "{server_ip}"], None),
            (&["client", "--no-newline"], None),
            (&["python3", "client.py", "--name", "Bob"], None),
            (&["client"], None),
        ] {
            assert_eq!(name_given_by(&argv(words)), how, "{words:?}");
        }
    }

    /// CASE2 with client b run by `cmd`.
    fn b_runs(cmd: &str) -> String {
        CASE2.replace("name: Bob }", &format!("name: Bob, cmd: {cmd} }}"))
    }

    #[test]
    fn a_send_step_that_cannot_time_its_client_is_warned_about() {
        let s = ok(&b_runs("[python3, client.py, \"{server_ip}\", \"{name}\"]"));
        let warnings: Vec<String> = s.warnings.iter().map(|w| w.as_warning()).collect();
        assert_eq!(
            warnings,
            ["t.yaml:6:40: warning: client b is given its name on the command line ({name}), so it sends as soon as it is greeted and the step `send: b` cannot time it; drop {name} from cmd to have the name typed at the send step"]
        );
        let s = ok(&b_runs("\"client --server {server_ip} --name Bob\""));
        assert_eq!(s.warnings.len(), 1);
        assert!(
            s.warnings[0].message.contains("(--name)")
                && s.warnings[0].message.contains("drop --name from cmd"),
            "{}",
            s.warnings[0].message
        );
    }

    #[test]
    fn no_warning_without_a_send_step_or_a_name_on_the_command_line() {
        assert!(ok(CASE2).warnings.is_empty());
        assert!(ok(&b_runs("[python3, client.py, \"{server_ip}\"]"))
            .warnings
            .is_empty());
        // b has no send step: its ack is written out, nothing to time.
        let unsent = b_runs("[python3, client.py, \"{name}\"]").replace("  - send: b\n", "")
            + "expect: { ack: \"Y: Bob received before X: Alice\" }\n";
        assert!(ok(&unsent).warnings.is_empty());
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let e = err(&CASE2.replace("id: b", "id: a"));
        assert!(e.contains("t.yaml:6:11: duplicate client id a"), "{e}");
    }
}
