//! The loopback backend: every "host" is this machine, every address
//! 127.0.0.1, no root needed. The server gets a free port (when its
//! command takes the port from us) so that runs never fight over 12000.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;

use super::{free_port, Host, Network, PortSockets, SocketTable};
use crate::orchestrator::record::Phase;

pub struct Local {
    hosts: Vec<Host>,
    /// Every "host" is this machine: one table of sockets.
    sockets: SocketTable,
}

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
        }
    }
}

impl Network for Local {
    fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    fn port_sockets(&self, _host: &str, port: u16) -> PortSockets {
        self.sockets.port(port)
    }

    fn wrap(&self, _host: &str, argv: Vec<String>) -> Vec<String> {
        argv
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
