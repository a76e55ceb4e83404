//! Where the programs of a scenario run. Two backends behind one trait:
//! [`mininet`] (the default: a real emulated network built by the generated
//! Python topology, programs started on its hosts with `mnexec`) and
//! [`local`] (loopback, no root, for quick work).

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Result;

use crate::orchestrator::record::Phase;

pub mod diag;
pub mod local;
pub mod mininet;

pub use diag::{PortSockets, SocketTable};

/// A host the programs can run on.
#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub ip: IpAddr,
    /// A process inside the host's network namespace: its
    /// `/proc/PID/net/tcp` lists the host's sockets.
    pub ns_pid: u32,
    /// The host's network interface (for packet capture).
    pub intf: String,
}

/// A network the runner can start programs on.
pub trait Network {
    fn host(&self, name: &str) -> Option<&Host>;
    /// The TCP sockets of `host` with local port `port`.
    fn port_sockets(&self, host: &str, port: u16) -> PortSockets;
    /// The command line that runs `argv` on `host`.
    fn wrap(&self, host: &str, argv: Vec<String>) -> Vec<String>;
    /// The port the server should listen on, given the scenario's port and
    /// whether the server's command takes the port from us.
    fn server_port(&self, scenario_port: u16, port_is_ours: bool) -> u16;
    /// Timings of bringing the network up (and down, after teardown).
    fn phases(&self) -> Vec<Phase>;
    /// What the network's own machinery printed (Mininet's warnings).
    fn driver_log(&self) -> Vec<String> {
        Vec::new()
    }
    /// Stops the network and removes everything it created. Idempotent.
    fn teardown(&mut self) -> Result<()>;
}

/// Which backend a user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Mininet,
    Local,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Mininet => "mininet",
            Backend::Local => "local",
        }
    }
}

/// Where `program` is: on PATH, or in the system directories sudo's
/// secure_path holds (which a root shell's PATH may lack).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let system = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from);
    on_path
        .into_iter()
        .chain(system)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Whether `program` can be found (see [`find_program`]).
pub fn on_path(program: &str) -> bool {
    find_program(program).is_some()
}

/// A port nobody on loopback listens on right now (the kernel picks it).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// TCP sockets of the network namespace `ns_pid` is in, with local port
/// `port`, read from `/proc/PID/net/tcp{,6}` (the slow way: see [`diag`]).
pub fn proc_sockets(ns_pid: u32, port: u16) -> PortSockets {
    let mut total = PortSockets::default();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{ns_pid}/net/{table}")) else {
            continue;
        };
        let counts = count_sockets(&text, port);
        total.listening += counts.listening;
        total.established += counts.established;
        total.lingering += counts.lingering;
    }
    total
}

/// Counts the sockets with local port `port` in the text of a
/// `/proc/net/tcp` table. Pure, for tests.
pub fn count_sockets(table: &str, port: u16) -> PortSockets {
    let mut counts = PortSockets::default();
    for line in table.lines().skip(1) {
        let mut f = line.split_whitespace();
        let (Some(_), Some(local), Some(_remote), Some(state)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let Some(p) = local
            .rsplit(':')
            .next()
            .and_then(|h| u16::from_str_radix(h, 16).ok())
        else {
            continue;
        };
        if p != port {
            continue;
        }
        match state {
            "0A" => counts.listening += 1,
            "01" => counts.established += 1,
            _ => counts.lingering += 1,
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_listening_and_established_on_the_server_port_only() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:2EE0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100000A:2EE0 0200000A:8776 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0200000A:8776 0100000A:2EE0 01 00000000:00000000 00:00000000 00000000     0        0 3 1
   3: 0100000A:2EE0 0300000A:CEA0 06 00000000:00000000 03:00001751 00000000     0        0 0 3
";
        let at = |port| {
            let c = count_sockets(table, port);
            (c.listening, c.established, c.lingering)
        };
        assert_eq!(at(12000), (1, 1, 1));
        assert_eq!(at(34678), (0, 1, 0));
    }
}
