//! The two clients: ids unique and usable as names, hosts that exist,
//! names that can be sent, commands that split into words.

use regex::Regex;

use super::{shown, Validator};
use crate::orchestrator::scenario::schema::ClientSpec;
use crate::orchestrator::scenario::MAX_NAME_BYTES;
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

    fn client(&mut self, index: usize, client: &ClientSpec) {
        let base = format!("clients[{index}]");
        let id = &client.id;
        if !client_id_re().is_match(id) || id == "server" || id == "orchestrator" {
            self.at(
                &format!("{base}.id"),
                format!("client id {} must be a lowercase letter then up to 15 lowercase letters, digits or `_`, and not `server` or `orchestrator`", shown(id)),
            );
        } else if self.client_index.insert(id.clone(), index).is_some() {
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

fn client_id_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z][a-z0-9_]{0,15}$").unwrap())
}

#[cfg(test)]
mod tests {
    use crate::orchestrator::scenario::testing::*;

    #[test]
    fn duplicate_ids_are_refused() {
        let e = err(&CASE2.replace("id: b", "id: a"));
        assert!(e.contains("t.yaml:6:11: duplicate client id a"), "{e}");
    }
}
