//! The TCP sockets of a host, asked of the kernel through `NETLINK_SOCK_DIAG`
//! (what `ss` uses) instead of reading `/proc/PID/net/tcp`: the text table
//! walks the whole established-hash of the machine on every read (about
//! 1.2 ms for each of tcp and tcp6 here, on every poll of every step),
//! while a sock_diag dump filtered by state costs tens of microseconds.
//!
//! A netlink socket belongs to the network namespace it was created in, so
//! the socket for a Mininet host is created once, while the thread is in
//! the host's namespace ([`Netns::enter`]), and then used from anywhere. When
//! netlink is not available the table falls back to `/proc`.
//!
//! The same socket destroys what a finished run left on a port of a reused
//! host (`SOCK_DESTROY`, what `ss -K` does, TIME_WAIT included), so that a
//! next server can bind the port even if it does not set `SO_REUSEADDR`.
//!
//! Listing a namespace's connections walks its whole established-hash, and
//! the machine's own namespace (the local backend's) has 262,144 buckets:
//! about a millisecond of kernel time per look. [`SocketTable::counters`]
//! is the cheap question asked first — the namespace's TCP counters, which
//! move whenever a connection is opened or established — so that a wait
//! for a connection looks often and lists the sockets only when something
//! changed.

use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::FileExt;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_sock_diag::{
    constants::{AF_INET, AF_INET6, IPPROTO_TCP},
    inet::{nlas::Nla, ExtensionFlags, InetRequest, InetResponse, SocketId, StateFlags},
    SockDiagMessage,
};
use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket};

use crate::orchestrator::sys::{self, Netns, PortSockets};

/// TCP's state numbers, as the kernel reports them.
const TCP_ESTABLISHED: u8 = 1;
const TCP_LISTEN: u8 = 10;
/// The sock_diag message that destroys a socket (`linux/sock_diag.h`).
const SOCK_DESTROY: u16 = 21;

/// One TCP socket as the kernel lists it: its two ends (as the socket has
/// them: a connection rewritten by NAT still shows the address its program
/// dialed) and the inode by which a process's file descriptors name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpSocket {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub listening: bool,
    pub inode: u64,
    /// Bytes received and not yet read by the program.
    pub unread: u32,
    /// Bytes received in all (`tcpi_bytes_received`), when asked for.
    pub received: Option<u64>,
    /// Segments sent and received in all (`tcpi_segs_out` + `tcpi_segs_in`,
    /// acknowledgements included), when asked for: while it stays the
    /// same, nothing moved on the connection.
    pub segments: Option<u64>,
}

/// The TCP sockets of one network namespace.
pub struct SocketTable {
    netlink: Option<Socket>,
    /// A process in the namespace, for the `/proc` fallback.
    ns_pid: u32,
    /// The namespace's `/proc/…/net/snmp`, kept open: the file belongs to
    /// the namespace it was opened in, whichever thread reads it later.
    snmp: Option<File>,
    /// Its `/proc/…/net/sockstat` and `sockstat6`, kept open likewise: how
    /// many TCP sockets it holds (see [`SocketTable::holds_sockets`]).
    sockstat: Option<(File, File)>,
}

/// TCP counters of a namespace that move whenever one of its connections is
/// opened or established: `PassiveOpens` (connections accepted: monotonic)
/// and `CurrEstab` (connections established now, which also moves at the
/// instant an accepted connection becomes established).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpCounters {
    pub passive_opens: u64,
    pub curr_estab: u64,
    /// `InSegs` + `OutSegs`: moves whenever a segment comes or goes (how
    /// a run tells that nothing is in flight any more).
    pub segments: u64,
}

impl SocketTable {
    /// The table of a host's namespace `ns`, which process `pid` is in
    /// (`None`: the calling thread's).
    pub fn open(host: Option<(&Netns, u32)>) -> SocketTable {
        let netlink = match host {
            None => diag_socket().ok(),
            Some((ns, _)) => ns.enter(diag_socket).ok().and_then(Result::ok),
        };
        // `thread-self`: a job's thread may have a namespace of its own.
        let snmp = match host {
            None => File::open("/proc/thread-self/net/snmp"),
            Some((_, pid)) => File::open(format!("/proc/{pid}/net/snmp")),
        };
        let proc_net = match host {
            None => "/proc/thread-self/net".to_string(),
            Some((_, pid)) => format!("/proc/{pid}/net"),
        };
        let sockstat = File::open(format!("{proc_net}/sockstat"))
            .and_then(|v4| Ok((v4, File::open(format!("{proc_net}/sockstat6"))?)));
        SocketTable {
            netlink,
            ns_pid: host.map_or_else(std::process::id, |(_, pid)| pid),
            snmp: snmp.ok(),
            sockstat: sockstat.ok(),
        }
    }

    /// Whether the namespace holds a TCP socket, of either family, in any
    /// state (TIME_WAIT included), from its own counts in `sockstat` and
    /// `sockstat6` (a read each, where a listing walks the machine's whole
    /// connection table); `None` when they cannot be read.
    pub fn holds_sockets(&self) -> Option<bool> {
        let (v4, v6) = self.sockstat.as_ref()?;
        let v4 = read_whole(v4)?;
        let v6 = read_whole(v6)?;
        let v4 = sockstat_field(&v4, "TCP:", "inuse")? + sockstat_field(&v4, "TCP:", "tw")?;
        Some(v4 + sockstat_field(&v6, "TCP6:", "inuse")? > 0)
    }

    /// The sockets whose local port is `port`, lingering ones included.
    #[cfg(test)]
    pub fn port(&self, port: u16) -> PortSockets {
        if let Some(socket) = &self.netlink {
            if let Ok(sockets) = port_sockets(socket, port, !StateFlags::LISTEN) {
                return sockets;
            }
        }
        sys::proc_sockets(self.ns_pid, port)
    }

    /// How many connections with local port `port` are established: as
    /// [`SocketTable::port`], without listing what lingers (a machine's
    /// loopback may hold thousands of TIME_WAIT sockets of past runs).
    pub fn established(&self, port: u16) -> usize {
        if let Some(socket) = &self.netlink {
            if let Ok(sockets) = port_sockets(socket, port, StateFlags::ESTABLISHED) {
                return sockets.established;
            }
        }
        sys::proc_sockets(self.ns_pid, port).established
    }

    /// The namespace's [`TcpCounters`] (a few microseconds to read; `None`
    /// when they cannot be read).
    pub fn counters(&self) -> Option<TcpCounters> {
        tcp_counters(&read_whole(self.snmp.as_ref()?)?)
    }

    /// How many sockets listen on `port`: the listening table alone, which
    /// the kernel walks without the (machine-sized) established table.
    pub fn listening(&self, port: u16) -> usize {
        if let Some(socket) = &self.netlink {
            if let Ok(sockets) = dump(socket, Some(port), StateFlags::LISTEN, &FAMILIES) {
                return sockets.len();
            }
        }
        sys::proc_sockets(self.ns_pid, port).listening
    }

    /// Every listening socket of the namespace, on any port (the listening
    /// table alone: cheap). Empty when sock_diag is not available.
    pub fn listeners(&self) -> Vec<TcpSocket> {
        self.sockets(StateFlags::LISTEN)
    }

    /// Every socket of the namespace that is connecting or connected
    /// (SYN_SENT, ESTABLISHED): what its programs dialed, and were dialed by.
    pub fn connections(&self) -> Vec<TcpSocket> {
        self.sockets(StateFlags::SYN_SENT | StateFlags::ESTABLISHED)
    }

    /// The established connections, with how much each has received in
    /// all and how much of it its program has not read yet.
    pub fn connections_read(&self) -> Vec<TcpSocket> {
        self.sockets_with(StateFlags::ESTABLISHED, ExtensionFlags::INFO)
    }

    fn sockets(&self, states: StateFlags) -> Vec<TcpSocket> {
        self.sockets_with(states, ExtensionFlags::empty())
    }

    fn sockets_with(&self, states: StateFlags, extensions: ExtensionFlags) -> Vec<TcpSocket> {
        let Some(socket) = &self.netlink else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for family in FAMILIES {
            let id = if family == AF_INET {
                SocketId::new_v4()
            } else {
                SocketId::new_v6()
            };
            if send_with(socket, family, id, None, states, extensions).is_err() {
                continue;
            }
            let _ = read_responses(socket, |r| {
                let id = &r.header.socket_id;
                found.push(TcpSocket {
                    local: SocketAddr::new(id.source_address, id.source_port),
                    remote: SocketAddr::new(id.destination_address, id.destination_port),
                    listening: r.header.state == TCP_LISTEN,
                    inode: u64::from(r.header.inode),
                    unread: r.header.recv_queue,
                    received: r.nlas.iter().find_map(|n| match n {
                        Nla::TcpInfo(info) => bytes_received(info),
                        _ => None,
                    }),
                    segments: r.nlas.iter().find_map(|n| match n {
                        Nla::TcpInfo(info) => segments(info),
                        _ => None,
                    }),
                })
            });
        }
        found
    }

    /// Destroys every socket whose local port is `port` (what a finished
    /// run left: TIME_WAIT, FIN_WAIT…); returns how many it destroyed.
    pub fn clear_port(&self, port: u16) -> io::Result<usize> {
        self.clear(Some(port))
    }

    /// Destroys every TCP socket of the namespace (a Mininet host between
    /// two runs: only the runs' programs ever had sockets there).
    pub fn clear_all(&self) -> io::Result<usize> {
        if self.holds_sockets() == Some(false) {
            return Ok(0);
        }
        self.clear(None)
    }

    fn clear(&self, port: Option<u16>) -> io::Result<usize> {
        let Some(socket) = &self.netlink else {
            return Err(io::Error::other("sock_diag is not available"));
        };
        let sockets = dump(socket, port, StateFlags::all(), &FAMILIES)?;
        for (family, _, id) in &sockets {
            destroy(socket, *family, id)?;
        }
        Ok(sockets.len())
    }
}

/// A `/proc` file kept open, read again from its start.
fn read_whole(file: &File) -> Option<String> {
    let mut text = Vec::with_capacity(4096);
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read_at(&mut buf, text.len() as u64).ok()?;
        if n == 0 {
            break;
        }
        text.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(text).ok()
}

/// The value after `name` on the line of `sockstat` that starts with
/// `line` (`TCP: inuse 3 orphan 0 tw 0 alloc 3 mem 1`).
pub fn sockstat_field(sockstat: &str, line: &str, name: &str) -> Option<u64> {
    let fields = sockstat.lines().find_map(|l| l.strip_prefix(line))?;
    let mut words = fields.split_whitespace();
    words.by_ref().find(|w| *w == name)?;
    words.next()?.parse().ok()
}

/// `PassiveOpens` and `CurrEstab` of the `Tcp:` lines of an snmp file (a
/// line of names, then a line of values).
fn tcp_counters(snmp: &str) -> Option<TcpCounters> {
    let mut tcp = snmp.lines().filter_map(|l| l.strip_prefix("Tcp:"));
    let (names, values) = (tcp.next()?, tcp.next()?);
    let value = |name: &str| {
        let at = names.split_whitespace().position(|n| n == name)?;
        values.split_whitespace().nth(at)?.parse::<i64>().ok()
    };
    Some(TcpCounters {
        passive_opens: value("PassiveOpens")? as u64,
        curr_estab: value("CurrEstab")? as u64,
        segments: value("InSegs").unwrap_or(0) as u64 + value("OutSegs").unwrap_or(0) as u64,
    })
}

fn count(sockets: &[(u8, u8, SocketId)]) -> PortSockets {
    let mut counts = PortSockets::default();
    for (_, state, _) in sockets {
        match *state {
            TCP_LISTEN => counts.listening += 1,
            TCP_ESTABLISHED => counts.established += 1,
            _ => counts.lingering += 1,
        }
    }
    counts
}

/// A connected `NETLINK_SOCK_DIAG` socket in the calling thread's namespace.
fn diag_socket() -> io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&netlink_sys::SocketAddr::new(0, 0))?;
    Ok(socket)
}

const FAMILIES: [u8; 2] = [AF_INET, AF_INET6];

/// The sockets of `port`: its listeners and those in `others` states. Every
/// dump of a state other than LISTEN walks the whole established table of
/// the namespace, once per family: in the machine's own namespace (the
/// local backend) about a millisecond each. So the listeners come first
/// (cheap), and while there are some, the other states are asked of their
/// families only — a connection to a listener is of the listener's family
/// (a dual-stack listener's v4 peers are v4-mapped v6 sockets).
fn port_sockets(socket: &Socket, port: u16, others: StateFlags) -> io::Result<PortSockets> {
    let listeners = dump(socket, Some(port), StateFlags::LISTEN, &FAMILIES)?;
    let families: Vec<u8> = FAMILIES
        .into_iter()
        .filter(|f| listeners.is_empty() || listeners.iter().any(|(lf, _, _)| lf == f))
        .collect();
    let mut sockets = dump(socket, Some(port), others, &families)?;
    sockets.extend(listeners);
    Ok(count(&sockets))
}

/// Dumps the TCP sockets in `states` of `families`; gives those of local
/// port `port` (all of them for `None`) as (family, state, id).
fn dump(
    socket: &Socket,
    port: Option<u16>,
    states: StateFlags,
    families: &[u8],
) -> io::Result<Vec<(u8, u8, SocketId)>> {
    let mut found = Vec::new();
    for &family in families {
        let socket_id = if family == AF_INET {
            SocketId::new_v4()
        } else {
            SocketId::new_v6()
        };
        send(socket, family, socket_id, None, states)?;
        read_replies(socket, |state, id, _| {
            if port.is_none_or(|p| id.source_port == p) {
                found.push((family, state, id.clone()));
            }
        })?;
    }
    Ok(found)
}

/// Destroys one socket (it may be gone already: that is fine).
fn destroy(socket: &Socket, family: u8, id: &SocketId) -> io::Result<()> {
    send(
        socket,
        family,
        id.clone(),
        Some(SOCK_DESTROY),
        StateFlags::all(),
    )?;
    match read_replies(socket, |_, _, _| {}) {
        Err(e) if e.raw_os_error() == Some(libc_enoent()) => Ok(()),
        other => other,
    }
}

/// ENOENT: the socket was gone before it could be destroyed.
fn libc_enoent() -> i32 {
    nix::errno::Errno::ENOENT as i32
}

/// `tcpi_bytes_received` of a raw `struct tcp_info` (RFC 4898's
/// tcpEStatsAppHCThruOctetsReceived, at bytes 128..136 since Linux 4.1).
fn bytes_received(info: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = info.get(128..136)?.try_into().ok()?;
    Some(u64::from_ne_bytes(bytes))
}

/// `tcpi_segs_out` + `tcpi_segs_in` of a raw `struct tcp_info` (bytes
/// 136..144, since Linux 4.2).
fn segments(info: &[u8]) -> Option<u64> {
    let u32_at = |at: usize| -> Option<u64> {
        let bytes: [u8; 4] = info.get(at..at + 4)?.try_into().ok()?;
        Some(u64::from(u32::from_ne_bytes(bytes)))
    };
    Some(u32_at(136)? + u32_at(140)?)
}

/// Sends a request for `socket_id` of `family`: a dump of every socket, or
/// (with `message_type`) that message for the one socket.
fn send(
    socket: &Socket,
    family: u8,
    socket_id: SocketId,
    message_type: Option<u16>,
    states: StateFlags,
) -> io::Result<()> {
    send_with(
        socket,
        family,
        socket_id,
        message_type,
        states,
        ExtensionFlags::empty(),
    )
}

fn send_with(
    socket: &Socket,
    family: u8,
    socket_id: SocketId,
    message_type: Option<u16>,
    states: StateFlags,
    extensions: ExtensionFlags,
) -> io::Result<()> {
    let mut header = NetlinkHeader::default();
    header.flags = match message_type {
        None => NLM_F_REQUEST | NLM_F_DUMP,
        Some(_) => NLM_F_REQUEST | NLM_F_ACK,
    };
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions,
            states,
            socket_id,
        })
        .into(),
    );
    packet.finalize();
    if let Some(t) = message_type {
        packet.header.message_type = t;
    }
    let mut buf = vec![0; packet.buffer_len()];
    packet.serialize(&mut buf[..]);
    socket.send(&buf, 0)?;
    Ok(())
}

/// Reads the replies to one request until its end (a dump's `Done`, an
/// acknowledgement, or an error), calling `seen(state, id, inode)` for each
/// socket.
fn read_replies(socket: &Socket, mut seen: impl FnMut(u8, &SocketId, u32)) -> io::Result<()> {
    read_responses(socket, |r| {
        seen(r.header.state, &r.header.socket_id, r.header.inode)
    })
}

/// [`read_replies`], with each socket's whole response.
fn read_responses(socket: &Socket, mut seen: impl FnMut(&InetResponse)) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let size = socket.recv(&mut &mut buf[..], 0)?;
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&buf[offset..size])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            match &message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(r)) => seen(r),
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) => {
                    return match e.code {
                        None => Ok(()),
                        Some(code) => Err(io::Error::from_raw_os_error(-code.get())),
                    }
                }
                _ => {}
            }
            let length = message.header.length as usize;
            if length == 0 {
                break;
            }
            offset += length;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn counts_a_listener_and_a_connection_of_our_namespace() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let table = SocketTable::open(None);
        assert!(table.netlink.is_some(), "sock_diag is available here");
        assert_eq!(table.port(port).listening, 1);
        assert_eq!(table.listening(port), 1);
        let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_served, _) = listener.accept().unwrap();
        let counts = table.port(port);
        // The server's end has the port locally; the client's end has it
        // as its remote port, so it is not counted.
        assert_eq!((counts.listening, counts.established), (1, 1));
        // The same as the /proc table says.
        assert_eq!(sys::proc_sockets(std::process::id(), port), counts);
    }

    #[test]
    fn a_connection_moves_the_counters_and_is_counted_established() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let table = SocketTable::open(None);
        let before = table.counters().expect("/proc/thread-self/net/snmp");
        assert_eq!(table.established(port), 0);
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (served, _) = listener.accept().unwrap();
        let after = table.counters().unwrap();
        assert!(
            after.passive_opens > before.passive_opens,
            "{before:?} {after:?}"
        );
        assert_eq!(table.established(port), 1);
        // Once the server's end has closed first, it lingers (TIME_WAIT or
        // FIN_WAIT): no longer established, and not counted as such.
        drop(served);
        drop(client);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while table.established(port) != 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(table.established(port), 0);
    }

    #[test]
    fn what_a_connection_received_and_what_its_program_read_are_told_apart() {
        use std::io::{Read, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let table = SocketTable::open(None);
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut served, _) = listener.accept().unwrap();
        let served_end = |t: &SocketTable| {
            t.connections_read()
                .into_iter()
                .find(|s| s.local.port() == port)
                .expect("the served end is established")
        };
        client.write_all(b"Client X: Alice").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while served_end(&table).unread < 15 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let end = served_end(&table);
        assert_eq!((end.unread, end.received), (15, Some(15)));
        let mut buf = [0u8; 64];
        assert_eq!(served.read(&mut buf).unwrap(), 15);
        let end = served_end(&table);
        assert_eq!((end.unread, end.received), (0, Some(15)));
        // The handshake's segments and the message's, at the least.
        assert!(end.segments.is_some_and(|s| s >= 3), "{end:?}");
    }

    #[test]
    fn the_sockstat_fields_are_read_by_name_on_their_line() {
        let v4 =
            "sockets: used 11\nTCP: inuse 3 orphan 0 tw 2 alloc 5 mem 131\nUDP: inuse 7 mem 0\n";
        assert_eq!(sockstat_field(v4, "TCP:", "inuse"), Some(3));
        assert_eq!(sockstat_field(v4, "TCP:", "tw"), Some(2));
        assert_eq!(sockstat_field(v4, "UDP:", "inuse"), Some(7));
        assert_eq!(sockstat_field(v4, "TCP6:", "inuse"), None);
        assert_eq!(sockstat_field(v4, "TCP:", "nothing"), None);
        let v6 = "TCP6: inuse 1\nUDP6: inuse 0\n";
        assert_eq!(sockstat_field(v6, "TCP6:", "inuse"), Some(1));
    }

    #[test]
    #[ignore = "needs root (a network namespace of its own, SOCK_DESTROY)"]
    fn a_namespace_holding_no_socket_is_told_without_a_listing_and_cleared_of_all() {
        assert!(sys::is_root(), "this test needs root; run it as root");
        // A thread in a namespace of its own, where only this test's
        // sockets are.
        std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            let table = SocketTable::open(None);
            assert_eq!(table.holds_sockets(), Some(false));
            assert_eq!(table.clear_all().unwrap(), 0);
            let v4 = TcpListener::bind("0.0.0.0:0").unwrap();
            assert_eq!(table.holds_sockets(), Some(true), "a v4 listener");
            drop(v4);
            assert_eq!(table.holds_sockets(), Some(false));
            let _v6 = TcpListener::bind("[::]:0").unwrap();
            assert_eq!(table.holds_sockets(), Some(true), "a v6 listener");
            assert_eq!(table.clear_all().unwrap(), 1, "the listener destroyed");
            assert_eq!(table.holds_sockets(), Some(false));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn the_tcp_counters_are_read_by_name() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\n\
                    Tcp: RtoAlgorithm ActiveOpens PassiveOpens CurrEstab InSegs OutSegs\n\
                    Tcp: 1 7 42 3 100 90\nUdp: InDatagrams\nUdp: 9\n";
        assert_eq!(
            tcp_counters(snmp),
            Some(TcpCounters {
                passive_opens: 42,
                curr_estab: 3,
                segments: 190
            })
        );
        assert_eq!(tcp_counters("Tcp: PassiveOpens\n"), None);
        assert_eq!(tcp_counters("Tcp: CurrEstab\nTcp: 1\n"), None);
    }

    #[test]
    fn a_dual_stack_listener_and_its_v4_peer_are_counted_in_its_family() {
        // A v6 listener on every address takes v4 connections as
        // v4-mapped v6 sockets: asked of the listener's family only, they
        // are all found.
        let Ok(listener) = TcpListener::bind("[::]:0") else {
            return; // no IPv6 on this machine: nothing to count
        };
        let port = listener.local_addr().unwrap().port();
        let table = SocketTable::open(None);
        assert_eq!(table.listening(port), 1);
        let _v4 = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_served, _) = listener.accept().unwrap();
        let counts = table.port(port);
        assert_eq!((counts.listening, counts.established), (1, 1));
        drop(listener);
        // Without a listener both families are asked (what lingers).
        assert_eq!(table.listening(port), 0);
        assert_eq!(table.port(port).established, 1);
    }

    #[test]
    #[ignore = "needs root (SOCK_DESTROY needs CAP_NET_ADMIN)"]
    fn what_a_finished_exchange_leaves_on_the_port_is_cleared() {
        assert!(
            nix::unistd::geteuid().is_root(),
            "this test needs root (SOCK_DESTROY needs CAP_NET_ADMIN); run it as root"
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (served, _) = listener.accept().unwrap();
        drop(listener);
        // The server closes first: its end lingers in TIME_WAIT.
        drop(served);
        drop(client);
        let table = SocketTable::open(None);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while table.port(port).lingering == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(table.port(port).lingering > 0, "TIME_WAIT expected");
        assert!(table.clear_port(port).unwrap() > 0);
        assert_eq!(table.port(port), PortSockets::default());
        // A server without SO_REUSEADDR can bind it at once.
        let again = socket2_bind_without_reuse(port);
        assert!(again.is_ok(), "{again:?}");
    }

    /// `TcpListener::bind` sets SO_REUSEADDR on Unix; a student's Python
    /// server often does not.
    fn socket2_bind_without_reuse(port: u16) -> std::io::Result<()> {
        use nix::sys::socket::{bind, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::empty(),
            None,
        )?;
        let addr = SockaddrIn::new(127, 0, 0, 1, port);
        bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr)?;
        Ok(())
    }
}
