//! Where a scenario runs: its hosts (listed, or derived from the server's
//! and the clients'), the switch and the server.

use std::collections::HashSet;

use regex::Regex;

use super::{shown, Validator};
use crate::orchestrator::scenario::schema::{Scenario, ServerSpec, TopologySpec};
use crate::orchestrator::scenario::{ValidServer, MAX_HOSTS};
use crate::pa3::protocol::DEFAULT_PORT;

impl Validator<'_> {
    /// The topology's hosts, listed or derived, each a unique identifier.
    pub(super) fn hosts(&mut self, scenario: &Scenario) {
        // Each host with the path of where it was written, for messages.
        let (hosts, host_paths): (Vec<String>, Vec<String>) = match &scenario.topology.hosts {
            Some(listed) => listed
                .iter()
                .enumerate()
                .map(|(i, host)| (host.clone(), format!("topology.hosts[{i}]")))
                .unzip(),
            None => default_hosts(scenario),
        };
        if hosts.is_empty() {
            self.at("topology.hosts", "the topology has no hosts");
        }
        if hosts.len() > MAX_HOSTS {
            self.at(
                "topology.hosts",
                format!("{} hosts; the most allowed is {MAX_HOSTS}", hosts.len()),
            );
        }
        let mut seen = HashSet::new();
        for (host, path) in hosts.iter().zip(&host_paths) {
            if !ident_re().is_match(host) {
                self.at(path, format!("host name {} must be a lowercase letter then up to 9 lowercase letters or digits (like h1)", shown(host)));
            } else if !seen.insert(host.clone()) {
                self.at(path, format!("host {host} is listed twice"));
            }
        }
        self.hosts = hosts;
    }

    pub(super) fn switch(&mut self, topology: &TopologySpec) -> String {
        let switch = topology.switch.clone().unwrap_or_else(|| "s1".into());
        if !ident_re().is_match(&switch) {
            self.at(
                "topology.switch",
                format!("switch name {} must be a lowercase letter then up to 9 lowercase letters or digits (like s1)", shown(&switch)),
            );
        } else if self.hosts.contains(&switch) {
            self.at(
                "topology.switch",
                format!("the switch {switch} has the name of a host"),
            );
        }
        switch
    }

    /// The server: its host (the first host unless given), port and program.
    pub(super) fn server(&mut self, spec: &ServerSpec) -> ValidServer {
        let first_host = self.hosts.first().cloned();
        let server = ValidServer {
            host: spec
                .host
                .clone()
                .unwrap_or_else(|| first_host.unwrap_or_else(|| "h1".into())),
            port: spec.port.unwrap_or(DEFAULT_PORT),
            cmd: self.command("server.cmd", &spec.cmd),
            keeps_running: spec.keeps_running.unwrap_or(false),
            adapt_network: spec.adapt_network.unwrap_or(false),
        };
        if spec.host.is_some() {
            self.known_host("server.host", &server.host);
        }
        if server.port == 0 {
            self.at(
                "server.port",
                "port 0 is not a port a client can connect to",
            );
        }
        server
    }
}

/// Without a host list: the server's host (h1 unless given) and the
/// clients' hosts, in that order, so the server is 10.0.0.1. Each with the
/// path where it was written.
fn default_hosts(scenario: &Scenario) -> (Vec<String>, Vec<String>) {
    let server = scenario.server.host.clone().unwrap_or_else(|| "h1".into());
    let written = std::iter::once((&server, "server.host".to_string())).chain(
        scenario
            .clients
            .iter()
            .enumerate()
            .map(|(index, client)| (&client.host, format!("clients[{index}].host"))),
    );
    let mut hosts: Vec<String> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    for (host, path) in written {
        if !hosts.contains(host) {
            hosts.push(host.clone());
            paths.push(path);
        }
    }
    (hosts, paths)
}

fn ident_re() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[a-z][a-z0-9]{0,9}$").unwrap())
}

#[cfg(test)]
mod tests {
    use crate::orchestrator::scenario::testing::*;

    #[test]
    fn unknown_host_names_line_and_column() {
        let e = err(&CASE2.replace("host: h3", "host: h9"));
        assert_eq!(
            e,
            "t.yaml:6:20: unknown host \"h9\" (the hosts are h1, h2, h3)"
        );
    }
}
