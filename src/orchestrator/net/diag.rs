//! The TCP sockets of a host, asked of the kernel through `NETLINK_SOCK_DIAG`
//! (what `ss` uses) instead of reading `/proc/PID/net/tcp`: the text table
//! walks the whole established-hash of the machine on every read (about
//! 1.2 ms for each of tcp and tcp6 here, on every poll of every step),
//! while a sock_diag dump filtered by state costs tens of microseconds.
//!
//! A netlink socket belongs to the network namespace it was created in, so
//! the socket for a Mininet host is created once, on a short-lived thread
//! that has joined the host's namespace, and then used from anywhere. When
//! netlink is not available the table falls back to `/proc`.

use std::fs::File;
use std::io;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_sock_diag::{
    constants::{AF_INET, AF_INET6, IPPROTO_TCP},
    inet::{ExtensionFlags, InetRequest, SocketId, StateFlags},
    SockDiagMessage,
};
use netlink_sys::{protocols::NETLINK_SOCK_DIAG, Socket, SocketAddr};

/// TCP's state numbers, as the kernel reports them.
const TCP_ESTABLISHED: u8 = 1;
const TCP_LISTEN: u8 = 10;

/// How many sockets of a port are in each state that matters to a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortSockets {
    pub listening: usize,
    pub established: usize,
    /// Every other state (TIME_WAIT, FIN_WAIT, …): what a finished run
    /// leaves behind for a while.
    pub lingering: usize,
}

/// The TCP sockets of one network namespace.
pub struct SocketTable {
    netlink: Option<Socket>,
    /// A process in the namespace, for the `/proc` fallback.
    ns_pid: u32,
}

impl SocketTable {
    /// The table of the namespace process `ns_pid` is in (`None`: ours).
    pub fn open(ns_pid: Option<u32>) -> SocketTable {
        let netlink = match ns_pid {
            None => diag_socket().ok(),
            Some(pid) => in_namespace_of(pid, diag_socket).ok(),
        };
        SocketTable {
            netlink,
            ns_pid: ns_pid.unwrap_or_else(std::process::id),
        }
    }

    /// The sockets whose local port is `port`.
    pub fn port(&self, port: u16) -> PortSockets {
        if let Some(socket) = &self.netlink {
            if let Ok(counts) = dump(socket, port) {
                return counts;
            }
        }
        crate::orchestrator::sys::proc_sockets(self.ns_pid, port)
    }
}

/// A connected `NETLINK_SOCK_DIAG` socket in the calling thread's namespace.
fn diag_socket() -> io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    Ok(socket)
}

/// Runs `make` on a thread that has joined the network namespace of
/// `pid` (only that thread moves; it ends right after).
fn in_namespace_of<T: Send + 'static>(pid: u32, make: fn() -> io::Result<T>) -> io::Result<T> {
    let ns = File::open(format!("/proc/{pid}/ns/net"))?;
    std::thread::spawn(move || {
        nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
        make()
    })
    .join()
    .map_err(|_| io::Error::other("the namespace thread panicked"))?
}

/// Dumps the TCP sockets of both families and counts those of `port`.
fn dump(socket: &Socket, port: u16) -> io::Result<PortSockets> {
    let mut counts = PortSockets::default();
    for family in [AF_INET, AF_INET6] {
        request(socket, family)?;
        read_replies(socket, |state, local_port| {
            if local_port != port {
                return;
            }
            match state {
                TCP_LISTEN => counts.listening += 1,
                TCP_ESTABLISHED => counts.established += 1,
                _ => counts.lingering += 1,
            }
        })?;
    }
    Ok(counts)
}

fn request(socket: &Socket, family: u8) -> io::Result<()> {
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::all(),
            socket_id,
        })
        .into(),
    );
    packet.finalize();
    let mut buf = vec![0; packet.buffer_len()];
    packet.serialize(&mut buf[..]);
    socket.send(&buf, 0)?;
    Ok(())
}

/// Reads the dump's replies until its end, calling `seen(state, local
/// port)` for each socket.
fn read_replies(socket: &Socket, mut seen: impl FnMut(u8, u16)) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let size = socket.recv(&mut &mut buf[..], 0)?;
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&buf[offset..size])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            match &message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(r)) => {
                    seen(r.header.state, r.header.socket_id.source_port)
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) => {
                    return Err(io::Error::other(format!("sock_diag: {e:?}")))
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
        let _client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_served, _) = listener.accept().unwrap();
        let counts = table.port(port);
        // The server's end has the port locally; the client's end has it
        // as its remote port, so it is not counted.
        assert_eq!((counts.listening, counts.established), (1, 1));
        // The same as the /proc table says.
        assert_eq!(
            crate::orchestrator::sys::proc_sockets(std::process::id(), port),
            counts
        );
    }
}
