//! The kernel's NFQUEUE, spoken over a netlink socket: bind a queue, take
//! the packets the `NFQUEUE` target sends to it, and give each its verdict.
//!
//! The socket is netlink-sys's (rust-netlink, which also carries our
//! sock_diag look at the hosts' sockets). The three messages of the
//! protocol (`linux/netfilter/nfnetlink_queue.h`) are encoded here: the
//! `nfq` crate (0.2.5, its latest release) speaks the same protocol but
//! gives no way to wait on its socket with a timeout, which a delayer
//! needs to release held packets on time while it waits for the next.
//! Only the packets' metadata is copied to us (`NFQNL_COPY_META`): their
//! id, the hook (which way they go) and, when the kernel stamped it, when
//! they arrived; the payload stays in the kernel.
//!
//! A netlink socket belongs to the network namespace it was created in:
//! [`Queue::open`] is called while the thread is in the host's.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netlink_sys::{protocols::NETLINK_NETFILTER, Socket, SocketAddr};

/// `NFNL_SUBSYS_QUEUE`, the high byte of every message type.
const SUBSYS_QUEUE: u16 = 3;
const MSG_PACKET: u16 = 0;
const MSG_VERDICT: u16 = 1;
const MSG_CONFIG: u16 = 2;

const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLMSG_ERROR: u16 = 2;
const NLMSG_HDRLEN: usize = 16;
/// `struct nfgenmsg`: family, version, queue number (big-endian).
const NFGEN_LEN: usize = 4;

const CFG_CMD: u16 = 1;
const CFG_PARAMS: u16 = 2;
const CFG_QUEUE_MAXLEN: u16 = 3;
const CFG_MASK: u16 = 4;
const CFG_FLAGS: u16 = 5;
const CMD_BIND: u8 = 1;
const COPY_META: u8 = 1;
/// `NFQA_CFG_F_FAIL_OPEN`: accept packets when the queue is full.
const F_FAIL_OPEN: u32 = 1;

const ATTR_PACKET_HDR: u16 = 1;
const ATTR_VERDICT_HDR: u16 = 2;
const ATTR_TIMESTAMP: u16 = 4;

/// The hook a packet was queued at: `NF_INET_PRE_ROUTING` (coming in).
pub const HOOK_PREROUTING: u8 = 0;
/// `NF_INET_LOCAL_OUT` (going out).
pub const HOOK_OUTPUT: u8 = 3;

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Drop = 0,
    Accept = 1,
}

/// A packet the kernel queued, as far as we need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    pub id: u32,
    pub hook: u8,
    /// When the kernel stamped it (wall clock), if it did.
    pub stamp: Option<SystemTime>,
}

/// A bound NFQUEUE.
pub struct Queue {
    socket: Socket,
    num: u16,
    seq: u32,
    buf: Vec<u8>,
}

impl Queue {
    /// Opens a netlink socket in the calling thread's network namespace and
    /// binds queue `num` of that namespace, metadata only, holding up to
    /// `max_len` packets (those held for their release count too); a full
    /// queue drops (fail-closed).
    pub fn open(num: u16, max_len: u32) -> io::Result<Queue> {
        let mut socket = Socket::new(NETLINK_NETFILTER)?;
        socket.bind_auto()?;
        socket.set_no_enobufs(true)?;
        // Room for bursts: each queued packet is a small message here.
        let _ = socket.set_rx_buf_sz(4 << 20);
        let mut queue = Queue {
            socket,
            num,
            seq: 0,
            buf: Vec::with_capacity(64 * 1024),
        };
        queue.config(&attr(CFG_CMD, &[CMD_BIND, 0, 0, 0]))?;
        let mut params = 0xffffu32.to_be_bytes().to_vec();
        params.push(COPY_META);
        queue.config(&attr(CFG_PARAMS, &params))?;
        queue.config(&attr(CFG_QUEUE_MAXLEN, &max_len.to_be_bytes()))?;
        let mut flags = attr(CFG_FLAGS, &0u32.to_be_bytes());
        flags.extend(attr(CFG_MASK, &F_FAIL_OPEN.to_be_bytes()));
        queue.config(&flags)?;
        queue.socket.set_non_blocking(true)?;
        Ok(queue)
    }

    /// Sends a config message and waits for the kernel's answer.
    fn config(&mut self, attrs: &[u8]) -> io::Result<()> {
        self.seq += 1;
        let msg = message(
            MSG_CONFIG,
            NLM_F_REQUEST | NLM_F_ACK,
            self.seq,
            self.num,
            attrs,
        );
        self.socket.send_to(&msg, &SocketAddr::new(0, 0), 0)?;
        loop {
            self.buf.clear();
            self.socket.recv(&mut self.buf, 0)?;
            if let Some(errno) = ack_of(&self.buf, self.seq) {
                return match errno {
                    0 => Ok(()),
                    e => Err(io::Error::from_raw_os_error(e)),
                };
            }
        }
    }

    /// The packets queued now (none when there are none: never blocks).
    pub fn take(&mut self, into: &mut Vec<Packet>) -> io::Result<()> {
        loop {
            self.buf.clear();
            match self.socket.recv(&mut self.buf, 0) {
                Ok(_) => packets(&self.buf, into)?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Lets packet `id` go on, or drops it.
    pub fn verdict(&mut self, id: u32, verdict: Verdict) -> io::Result<()> {
        let mut body = (verdict as u32).to_be_bytes().to_vec();
        body.extend(id.to_be_bytes());
        let msg = message(
            MSG_VERDICT,
            NLM_F_REQUEST,
            0,
            self.num,
            &attr(ATTR_VERDICT_HDR, &body),
        );
        self.socket.send_to(&msg, &SocketAddr::new(0, 0), 0)?;
        Ok(())
    }
}

impl AsFd for Queue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// One attribute: length, type, value, padded to 4 bytes.
fn attr(kind: u16, value: &[u8]) -> Vec<u8> {
    let len = 4 + value.len();
    let mut out = Vec::with_capacity(len.next_multiple_of(4));
    out.extend((len as u16).to_ne_bytes());
    out.extend(kind.to_ne_bytes());
    out.extend(value);
    out.resize(len.next_multiple_of(4), 0);
    out
}

/// A netlink message of the queue subsystem for queue `num`.
fn message(kind: u16, flags: u16, seq: u32, num: u16, attrs: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + NFGEN_LEN + attrs.len();
    let mut out = Vec::with_capacity(len);
    out.extend((len as u32).to_ne_bytes());
    out.extend(((SUBSYS_QUEUE << 8) | kind).to_ne_bytes());
    out.extend(flags.to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend(0u32.to_ne_bytes());
    out.extend([0u8 /* AF_UNSPEC */, 0 /* NFNETLINK_V0 */]);
    out.extend(num.to_be_bytes());
    out.extend(attrs);
    out
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The netlink messages of a datagram: (type, seq, body).
fn messages(buf: &[u8]) -> impl Iterator<Item = (u16, u32, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u32_at(buf, at)? as usize;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return None;
        }
        let kind = u16_at(buf, at + 4)?;
        let seq = u32_at(buf, at + 8)?;
        let body = &buf[at + NLMSG_HDRLEN..at + len];
        at += len.next_multiple_of(4);
        Some((kind, seq, body))
    })
}

/// The errno of the kernel's answer to message `seq` (0: done), if the
/// datagram holds it.
fn ack_of(buf: &[u8], seq: u32) -> Option<i32> {
    messages(buf)
        .find(|(kind, s, _)| *kind == NLMSG_ERROR && *s == seq)
        .and_then(|(_, _, body)| u32_at(body, 0))
        .map(|e| -(e as i32))
}

/// The attributes of a message body after its nfgenmsg: (type, value).
fn attrs(body: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = NFGEN_LEN;
    std::iter::from_fn(move || {
        let len = u16_at(body, at)? as usize;
        if len < 4 || at + len > body.len() {
            return None;
        }
        // The top bits of the type are flags (nested, byte order).
        let kind = u16_at(body, at + 2)? & 0x3fff;
        let value = &body[at + 4..at + len];
        at += len.next_multiple_of(4);
        Some((kind, value))
    })
}

/// Every packet a datagram from the queue holds.
fn packets(buf: &[u8], into: &mut Vec<Packet>) -> io::Result<()> {
    for (kind, _, body) in messages(buf) {
        if kind == NLMSG_ERROR {
            match u32_at(body, 0).map(|e| -(e as i32)) {
                Some(0) | None => continue,
                Some(errno) => return Err(io::Error::from_raw_os_error(errno)),
            }
        }
        if kind != (SUBSYS_QUEUE << 8) | MSG_PACKET {
            continue;
        }
        let mut packet = None;
        let mut stamp = None;
        for (attr, value) in attrs(body) {
            match attr {
                ATTR_PACKET_HDR if value.len() >= 7 => {
                    let id = u32::from_be_bytes(value[0..4].try_into().expect("4 bytes"));
                    packet = Some((id, value[6]));
                }
                ATTR_TIMESTAMP if value.len() >= 16 => {
                    let sec = u64::from_be_bytes(value[0..8].try_into().expect("8 bytes"));
                    let usec = u64::from_be_bytes(value[8..16].try_into().expect("8 bytes"));
                    stamp = Some(UNIX_EPOCH + Duration::new(sec, (usec * 1000) as u32));
                }
                _ => {}
            }
        }
        if let Some((id, hook)) = packet {
            into.push(Packet { id, hook, stamp });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_is_padded_to_four_bytes() {
        let a = attr(CFG_PARAMS, &[0, 0, 0xff, 0xff, COPY_META]);
        assert_eq!(a.len(), 12);
        assert_eq!(u16_at(&a, 0), Some(9));
        assert_eq!(u16_at(&a, 2), Some(CFG_PARAMS));
        assert_eq!(&a[4..9], &[0, 0, 0xff, 0xff, 1]);
        assert_eq!(&a[9..], &[0, 0, 0]);
    }

    #[test]
    fn a_verdict_message_is_laid_out_as_the_kernel_reads_it() {
        let mut body = 1u32.to_be_bytes().to_vec();
        body.extend(77u32.to_be_bytes());
        let m = message(
            MSG_VERDICT,
            NLM_F_REQUEST,
            9,
            5,
            &attr(ATTR_VERDICT_HDR, &body),
        );
        assert_eq!(u32_at(&m, 0), Some(m.len() as u32));
        assert_eq!(m.len(), 16 + 4 + 12);
        assert_eq!(u16_at(&m, 4), Some(0x0301));
        assert_eq!(u32_at(&m, 8), Some(9));
        // The queue number, big-endian, in the nfgenmsg.
        assert_eq!(&m[18..20], &[0, 5]);
        assert_eq!(&m[24..32], &[0, 0, 0, 1, 0, 0, 0, 77]);
    }

    /// A packet message as the kernel sends it: header, nfgenmsg, the
    /// packet header and a timestamp.
    fn packet_message(id: u32, hook: u8, stamp: Option<(u64, u64)>) -> Vec<u8> {
        let mut hdr = id.to_be_bytes().to_vec();
        hdr.extend(0x0800u16.to_be_bytes());
        hdr.push(hook);
        let mut attrs = attr(ATTR_PACKET_HDR, &hdr);
        if let Some((sec, usec)) = stamp {
            let mut ts = sec.to_be_bytes().to_vec();
            ts.extend(usec.to_be_bytes());
            attrs.extend(attr(ATTR_TIMESTAMP, &ts));
        }
        message(MSG_PACKET, 0, 0, 0, &attrs)
    }

    #[test]
    fn packets_are_read_back_with_their_hook_and_stamp() {
        let mut datagram = packet_message(7, HOOK_OUTPUT, None);
        datagram.extend(packet_message(
            8,
            HOOK_PREROUTING,
            Some((1_700_000_000, 250)),
        ));
        let mut got = Vec::new();
        packets(&datagram, &mut got).unwrap();
        assert_eq!(
            got,
            vec![
                Packet {
                    id: 7,
                    hook: HOOK_OUTPUT,
                    stamp: None
                },
                Packet {
                    id: 8,
                    hook: HOOK_PREROUTING,
                    stamp: Some(UNIX_EPOCH + Duration::new(1_700_000_000, 250_000))
                },
            ]
        );
    }

    #[test]
    fn the_kernels_answers_are_acks_or_errors() {
        let answer = |errno: i32, seq: u32| {
            let mut body = (-errno).to_ne_bytes().to_vec();
            body.extend([0u8; 16]);
            let mut m = message(0, 0, seq, 0, &[]);
            m.truncate(NLMSG_HDRLEN);
            m[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
            m.extend(body);
            let len = m.len() as u32;
            m[0..4].copy_from_slice(&len.to_ne_bytes());
            m
        };
        assert_eq!(ack_of(&answer(0, 3), 3), Some(0));
        assert_eq!(ack_of(&answer(1, 3), 3), Some(1));
        assert_eq!(ack_of(&answer(0, 2), 3), None);
        let mut got = Vec::new();
        let err = packets(&answer(22, 0), &mut got).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(22));
        // A truncated datagram yields what is whole in it, and no panic.
        let whole = packet_message(1, 0, None);
        packets(&whole[..whole.len() - 3], &mut got).unwrap();
        assert!(got.is_empty());
    }
}
