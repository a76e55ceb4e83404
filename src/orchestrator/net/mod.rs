//! Where the programs of a scenario run. Two backends behind one trait:
//! [`mininet`] (the default: a real emulated network built by the generated
//! Python topology, programs started on its hosts with `mnexec`) and
//! [`local`] (loopback, no root, for quick work).

use std::net::IpAddr;
use std::path::Path;

use anyhow::Result;

use crate::orchestrator::record::Phase;

pub mod local;
pub mod mininet;

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

/// Whether `program` is on PATH (or in the system directories sudo's
/// secure_path holds, which a root shell's PATH may lack).
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
        || ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .any(|d| Path::new(d).join(program).is_file())
}

/// A port nobody on loopback listens on right now (the kernel picks it).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}
