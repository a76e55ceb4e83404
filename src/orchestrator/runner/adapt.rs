//! `server.adapt_network`: the network fitted to programs we did not
//! write (see [`crate::orchestrator::net::route`] for how). The runner
//! lets the server's host bind any address before the server starts,
//! takes the server's listener from its host's sockets (any address, any
//! port), routes the other programs' connections to it, records what had
//! to be adapted as [`Adaptation`] events, and undoes every change when
//! the run ends, however it ends.

use std::net::{IpAddr, SocketAddr};

use super::process::ProcIdx;
use super::{with_causes, Runner};
use crate::orchestrator::event::{Adaptation, EventKind};
use crate::orchestrator::net::route::{self, HostChange, Listen, SocketAddrV4Like};
use crate::orchestrator::net::{local, TcpSocket};
use crate::orchestrator::scenario::ValidClient;
use crate::orchestrator::sys;

/// A change made in a host, with what it replaced.
pub(super) struct Changed {
    host: String,
    change: HostChange,
    before: Vec<(String, String)>,
}

impl Runner<'_> {
    /// Before the server starts: its host may bind any address.
    pub(super) fn prepare_server_host(&mut self) {
        if self.net.routable().is_ok() {
            let host = self.scenario.server().host().to_string();
            self.change(&host, route::before_server());
        }
    }

    /// The listener the server opened, on any address and port (the
    /// scenario's port first, IPv4 first): its host's, where the server's
    /// host is its own; else the one the server process holds.
    pub(super) fn server_listener(&self, server: ProcIdx) -> Option<TcpSocket> {
        let mut all = self.net.listeners(self.scenario.server().host());
        if self.net.routable() != Ok(false) {
            let held = self.procs[server]
                .group
                .map(|g| sys::socket_inodes(g.pid))
                .unwrap_or_default();
            if held.is_empty() {
                // Its descriptors cannot be read (root without
                // CAP_SYS_PTRACE, in a container): the scenario's port.
                all.retain(|s| s.local.port() == self.port);
            } else {
                all.retain(|s| held.contains(&s.inode));
            }
        }
        all.sort_by_key(|s| (s.local.port() != self.port, !s.local.is_ipv4()));
        all.into_iter().next()
    }

    /// Once the server listens at `listen`: routes the connections of the
    /// clients that are not ours to it, and records what it took.
    pub(super) fn route_to_server(&mut self, listen: SocketAddr) {
        match self.net.routable() {
            Err(why) => self.adapted(Adaptation::NotAdapted {
                why: why.to_string(),
            }),
            Ok(true) => {
                let host = self.scenario.server().host().to_string();
                match route::shared_namespace(listen, &local::ISOLATED_ADDRESSES) {
                    Some(change) => {
                        if !change.addresses.is_empty() {
                            self.adapted(Adaptation::ServerListens {
                                listen: listen.to_string(),
                                reached_as: route::shown(listen),
                            });
                        }
                        self.change(&host, change);
                    }
                    None => self.not_ipv4(listen),
                }
            }
            Ok(false) => self.route_across_hosts(listen),
        }
    }

    fn route_across_hosts(&mut self, listen: SocketAddr) {
        let server = self
            .net
            .host(self.scenario.server().host())
            .expect("validated host");
        let (server_name, server_ip, intf) = (server.name.clone(), server.ip, server.intf.clone());
        let kind = Listen::of(listen.ip(), server_ip);
        if let Listen::Ipv6(_) = kind {
            return self.not_ipv4(listen);
        }
        if let Some(change) = route::server_side(kind, listen.port(), &intf) {
            self.change(&server_name, change);
            self.adapted(Adaptation::ServerListens {
                listen: listen.to_string(),
                reached_as: format!("{server_name} ({server_ip}:{})", listen.port()),
            });
        }
        let IpAddr::V4(ip) = server_ip else {
            return;
        };
        let to = SocketAddrV4Like {
            ip,
            port: listen.port(),
        };
        for host in self.their_client_hosts() {
            let Some(intf) = self.net.host(&host).map(|h| h.intf.clone()) else {
                continue;
            };
            self.change(&host, route::client_side(to, &intf));
        }
    }

    /// The hosts of the clients that run a program of someone else's.
    fn their_client_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for c in self.scenario.clients() {
            if is_theirs(c)
                && !hosts.iter().any(|h| h == c.host())
                && c.host() != self.scenario.server().host()
            {
                hosts.push(c.host().to_string());
            }
        }
        hosts
    }

    fn not_ipv4(&mut self, listen: SocketAddr) {
        self.adapted(Adaptation::NotAdapted {
            why: format!("the server listens on {listen}, an IPv6 address, which is not routed"),
        });
    }

    fn adapted(&mut self, adaptation: Adaptation) {
        self.step(EventKind::Adapted { adaptation });
    }

    /// Makes `change` in `host`, recording it (or why it failed).
    fn change(&mut self, host: &str, change: HostChange) {
        let netns = match self.net.netns(host) {
            Ok(ns) => ns,
            Err(why) => {
                return self.adapted(Adaptation::NotAdapted {
                    why: why.to_string(),
                })
            }
        };
        match change.apply(netns) {
            Ok(before) => {
                self.step(EventKind::Routed {
                    host: host.to_string(),
                    changes: change.describe(),
                });
                self.changed.push(Changed {
                    host: host.to_string(),
                    change,
                    before,
                });
            }
            Err(why) => self.adapted(Adaptation::NotAdapted {
                why: format!("on {host}: {}", with_causes(&why)),
            }),
        }
    }

    /// At the end of a run: records where the clients dialed, when that
    /// was not the server, then undoes every change (last made, first
    /// undone).
    pub(super) fn unroute(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        self.record_dialed();
        while let Some(c) = self.changed.pop() {
            let netns = self.net.netns(&c.host).ok().flatten();
            if let Err(why) = c.change.undo(netns, &c.before) {
                self.step(EventKind::Stopping {
                    why: format!(
                        "could not undo the change to {}: {}",
                        c.host,
                        with_causes(&why)
                    ),
                });
            }
        }
    }

    /// What each adapted client host dialed that was not the server.
    fn record_dialed(&mut self) {
        let server = self
            .net
            .host(self.scenario.server().host())
            .expect("validated host");
        let expected = SocketAddr::new(server.ip, self.port);
        let reached = format!("{} ({expected})", server.name);
        let shared = matches!(self.net.routable(), Ok(true));
        let hosts: Vec<String> = self
            .changed
            .iter()
            .filter(|c| {
                c.change
                    .nft
                    .as_deref()
                    .is_some_and(|n| n.contains(route::DIALED))
            })
            .map(|c| c.host.clone())
            .collect();
        for host in hosts {
            let netns = self.net.netns(&host).ok().flatten();
            let Ok(dialed) = route::dialed(netns) else {
                continue;
            };
            let client = if shared {
                self.their_clients().join(" or ")
            } else {
                self.clients_on(&host).join(" or ")
            };
            for d in dialed {
                if !self.is_the_server(d, expected) {
                    self.adapted(Adaptation::ClientDials {
                        client: client.clone(),
                        dialed: route::shown(d),
                        routed_to: reached.clone(),
                    });
                }
            }
        }
    }

    /// Whether a client that dialed `d` reached the server without help:
    /// its address and port (on the loopback backend, where the server
    /// listens, or any loopback address of its port).
    fn is_the_server(&self, d: SocketAddr, expected: SocketAddr) -> bool {
        if d == expected {
            return true;
        }
        let listen = self.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::Listening { addr } => addr.parse::<SocketAddr>().ok(),
            _ => None,
        });
        match listen {
            Some(l) if matches!(self.net.routable(), Ok(true)) => {
                d.port() == l.port()
                    && (d.ip() == l.ip() || (l.ip().is_unspecified() && is_local(d.ip())))
            }
            _ => false,
        }
    }

    fn their_clients(&self) -> Vec<String> {
        self.scenario
            .clients()
            .iter()
            .filter(|c| is_theirs(c))
            .map(|c| c.id().to_string())
            .collect()
    }

    fn clients_on(&self, host: &str) -> Vec<String> {
        self.scenario
            .clients()
            .iter()
            .filter(|c| c.host() == host && is_theirs(c))
            .map(|c| c.id().to_string())
            .collect()
    }
}

/// Whether a client runs a program of someone else's (a `cmd` that is
/// not our `client`).
fn is_theirs(c: &ValidClient) -> bool {
    c.cmd()
        .and_then(|argv| argv.first())
        .is_some_and(|p| p != "client")
}

/// An address of the loopback backend's job namespace.
fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_loopback() || local::ISOLATED_ADDRESSES.contains(&a),
        IpAddr::V6(a) => a.is_loopback(),
    }
}
