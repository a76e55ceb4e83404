//! Where the programs of a scenario run. Two backends behind one trait:
//! [`mininet`] (the default: a real emulated network built by the generated
//! Python topology, programs started in its hosts' network namespaces) and
//! [`local`] (loopback, no root, for quick work).

use std::net::IpAddr;
use std::time::Instant;

use anyhow::{bail, Result};

use crate::orchestrator::link::Conditions;
use crate::orchestrator::link::LinksRecord;
use crate::orchestrator::record::Phase;
use crate::orchestrator::sys::Netns;

pub mod diag;
pub mod local;
pub mod mininet;
pub mod route;
pub mod shaping;

pub use diag::{SocketTable, TcpCounters, TcpSocket};
pub use shaping::delayer::LinkFailure;

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

/// Why the hosts of a network may not be changed for programs we did not
/// write ([`Network::routable`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotRoutable {
    /// The backend has no way to change its hosts.
    #[error("this network cannot be adapted")]
    Unsupported,
    /// The loopback backend on the machine's own namespace.
    #[error("the programs share this machine's own loopback, which is not changed for them")]
    SharedLoopback,
}

/// A host name the network does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the network has no host {host}")]
pub struct NoSuchHost {
    pub host: String,
}

/// A network the runner can start programs on.
pub trait Network {
    fn host(&self, name: &str) -> Option<&Host>;
    /// How many sockets of `host` listen on `port`.
    fn listening(&self, host: &str, port: u16) -> usize;
    /// How many connections of `host` with local port `port` are
    /// established (without listing what lingers).
    fn established(&self, host: &str, port: u16) -> usize;
    /// `host`'s TCP counters ([`TcpCounters`]): while they stay the same,
    /// no connection of the host was opened or established, and there is
    /// no need to list its sockets again. `None`: not known.
    fn tcp_counters(&self, _host: &str) -> Option<TcpCounters> {
        None
    }
    /// Whether `host`'s counters count only the run's own connections
    /// (a namespace of the run's own), so that a rise in its passive
    /// opens is a connection of the run's.
    fn counters_are_the_runs(&self, _host: &str) -> bool {
        false
    }
    /// Every listening TCP socket of `host`, on any address and port.
    fn listeners(&self, _host: &str) -> Vec<TcpSocket> {
        Vec::new()
    }
    /// The established connections of `host`, with what each received in
    /// all and what its program has not read yet.
    fn connections_read(&self, _host: &str) -> Vec<TcpSocket> {
        Vec::new()
    }
    /// Whether the hosts may be changed for programs we did not write
    /// ([`route`]): `Err` says why not. `Ok(true)`: every host is one
    /// namespace (the loopback backend's job namespace).
    fn routable(&self) -> Result<bool, NotRoutable> {
        Err(NotRoutable::Unsupported)
    }
    /// Where a program of `host` starts: `Ok(None)` in the namespace of
    /// the thread that starts it (loopback), `Ok(Some(ns))` in the host's
    /// own; an error names a host the network does not have.
    fn netns(&self, host: &str) -> Result<Option<&Netns>, NoSuchHost>;
    /// The port the server should listen on, given the scenario's port and
    /// whether the server's command takes the port from us.
    fn server_port(&self, scenario_port: u16, port_is_ours: bool) -> u16;
    /// Timings of bringing the network up (and down, after teardown).
    fn phases(&self) -> Vec<Phase>;
    /// Whether every host of the network is still there (a network to reuse).
    fn alive(&self) -> bool {
        true
    }
    /// Removes every TCP socket left on the hosts (what a finished run
    /// leaves: TIME_WAIT and the like), so that the next run on this
    /// network starts with none; returns how many it removed.
    fn clear_sockets(&self) -> Result<usize> {
        Ok(0)
    }
    /// A run starts at `t0`: every impaired link set back to its
    /// scenario's start (the previous run's steps may have changed it),
    /// what was measured before forgotten.
    fn begin_links(&self, _t0: Instant) -> Result<()> {
        Ok(())
    }
    /// A `link:` step: `host`'s link has `conditions` from now on
    /// (`since_ms` into the run).
    fn set_link(&self, host: &str, _conditions: Conditions, _since_ms: f64) -> Result<()> {
        bail!("{host}'s link cannot change: this network applies no link conditions")
    }
    /// Why the link engine failed (a delayer that died), if it did: the
    /// run fails with it.
    fn link_failure(&self) -> Option<LinkFailure> {
        None
    }
    /// What the run's impaired links were and did; `None` without any.
    fn links_record(&self) -> Option<LinksRecord> {
        None
    }
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

/// A port nobody on loopback listens on right now (the kernel picks it).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}
