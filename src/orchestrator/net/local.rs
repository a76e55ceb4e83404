//! The loopback backend: every "host" is this machine, every address
//! 127.0.0.1, no root needed. The server gets a free port (when its
//! command takes the port from us) so that runs never fight over 12000.
//!
//! [`Local::isolated`] (root) gives a job a loopback of its own instead: the
//! calling thread moves into a new network namespace (a thread's network
//! namespace is its own, and the programs it starts inherit it) whose
//! loopback also holds 10.0.0.1. Programs that hard-code `10.0.0.1:12000`
//! — students' clients and servers — then run on loopback, several jobs at
//! once, without fighting over the port or reaching anyone else. That takes
//! CAP_SYS_ADMIN and CAP_NET_ADMIN, which an unprivileged container
//! (Gradescope's) does not give root: [`can_isolate`] tells, and without
//! them a grade runs its jobs one at a time on the shared loopback.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::{bail, Context, Result};

use super::{free_port, Host, Network, NoSuchHost, NotRoutable, SocketTable, TcpCounters};
use crate::orchestrator::record::Phase;
use crate::orchestrator::sys::Netns;

pub struct Local {
    hosts: Vec<Host>,
    /// Every "host" is this machine: one table of sockets.
    sockets: SocketTable,
    /// In a network namespace of the job's own (see [`Local::isolated`]).
    isolated: bool,
}

/// The address students' programs hard-code for the server (h1 on Mininet).
const MININET_SERVER_IP: &str = "10.0.0.1/8";

/// The addresses an isolated job's loopback holds besides 127.0.0.0/8.
pub const ISOLATED_ADDRESSES: [Ipv4Addr; 1] = [Ipv4Addr::new(10, 0, 0, 1)];

impl Local {
    pub fn new(host_names: &[String]) -> Local {
        let hosts = host_names
            .iter()
            .map(|n| Host {
                name: n.clone(),
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                ns_pid: std::process::id(),
                intf: "lo".into(),
            })
            .collect();
        Local {
            hosts,
            sockets: SocketTable::open(None),
            isolated: false,
        }
    }

    /// A loopback of the calling thread's own, holding 10.0.0.1 too; the
    /// thread stays in it (a worker's thread, for the worker's life).
    pub fn isolated(host_names: &[String]) -> Result<Local> {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
            .context("cannot give this job a network namespace of its own (needs root)")?;
        for args in [
            vec!["link", "set", "lo", "up"],
            vec!["addr", "add", MININET_SERVER_IP, "dev", "lo"],
        ] {
            let out = std::process::Command::new("ip")
                .args(&args)
                .stdin(std::process::Stdio::null())
                .output()
                .context("cannot run ip")?;
            if !out.status.success() {
                bail!(
                    "`ip {}` failed in the job's namespace: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        let mut local = Local::new(host_names);
        local.isolated = true;
        Ok(local)
    }
}

/// Whether a job may have a loopback of its own here ([`Local::isolated`]):
/// tried on a thread of its own, whose namespace goes with it.
pub fn can_isolate() -> bool {
    std::thread::spawn(|| Local::isolated(&[]).is_ok())
        .join()
        .unwrap_or(false)
}

impl Network for Local {
    fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    fn listening(&self, _host: &str, port: u16) -> usize {
        self.sockets.listening(port)
    }

    fn established(&self, _host: &str, port: u16) -> usize {
        self.sockets.established(port)
    }

    fn listeners(&self, _host: &str) -> Vec<super::TcpSocket> {
        self.sockets.listeners()
    }

    fn connections_read(&self, _host: &str) -> Vec<super::TcpSocket> {
        self.sockets.connections_read()
    }

    fn routable(&self) -> Result<bool, NotRoutable> {
        if self.isolated {
            Ok(true)
        } else {
            Err(NotRoutable::SharedLoopback)
        }
    }

    fn tcp_counters(&self, _host: &str) -> Option<TcpCounters> {
        self.sockets.counters()
    }

    fn counters_are_the_runs(&self, _host: &str) -> bool {
        self.isolated
    }

    fn clear_sockets(&self) -> Result<usize> {
        // Only a namespace of our own holds nothing but our runs' sockets.
        if self.isolated {
            Ok(self.sockets.clear_all()?)
        } else {
            Ok(0)
        }
    }

    fn netns(&self, _host: &str) -> Result<Option<&Netns>, NoSuchHost> {
        // The thread's own: the machine's, or the job's (`isolated`).
        Ok(None)
    }

    fn server_port(&self, scenario_port: u16, port_is_ours: bool) -> u16 {
        if port_is_ours {
            free_port().unwrap_or(scenario_port)
        } else {
            scenario_port
        }
    }

    fn phases(&self) -> Vec<Phase> {
        Vec::new()
    }

    fn teardown(&mut self) -> Result<()> {
        Ok(())
    }
}
