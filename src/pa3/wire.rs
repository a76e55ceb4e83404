//! Reading and writing PA3 messages on a TCP stream: the I/O half of
//! [`crate::pa3::protocol`]. Owns the timing rules a byte-splitter cannot know:
//! when a message without a line end is complete (EOF or a quiet period),
//! how long a peer may stay silent, and how long one message may take.

use std::collections::VecDeque;
use std::io::{self, IoSliceMut, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags};
use nix::sys::time::TimeSpec;

use super::protocol::{FrameError, Framer, MAX_MESSAGE_BYTES, MESSAGE_DEADLINE, QUIET_PERIOD};

/// Why no message could be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("sent nothing for {0:?}")]
    Silent(Duration),
    #[error("took longer than {0:?} to finish one message")]
    TooSlow(Duration),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The timing rules of a reader.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// How long to wait for the first byte of a message (`None`: for ever).
    pub idle: Option<Duration>,
    /// How long a partial message may stay quiet before it counts as complete.
    pub quiet: Duration,
    /// How long one message may take from its first byte to its end.
    pub deadline: Duration,
}

impl Timing {
    pub fn with_idle(idle: Option<Duration>) -> Timing {
        Timing {
            idle,
            quiet: QUIET_PERIOD,
            deadline: MESSAGE_DEADLINE,
        }
    }

    /// How long the next read of a message may wait: before its first
    /// byte, what is left of the idle time since `started` (for ever
    /// without one); after it (read at `first_byte_at`), a quiet period,
    /// or what is left of the message deadline if that is shorter. An
    /// error once the idle time or the deadline has run out.
    fn next_wait(
        &self,
        started: Instant,
        first_byte_at: Option<Instant>,
    ) -> Result<Wait, WireError> {
        let mut whole_quiet = true;
        let timeout = match first_byte_at {
            Some(t) => {
                let left = self.deadline.checked_sub(t.elapsed());
                match left {
                    Some(left) if !left.is_zero() => {
                        whole_quiet = left >= self.quiet;
                        Some(left.min(self.quiet))
                    }
                    _ => return Err(WireError::TooSlow(self.deadline)),
                }
            }
            None => match self.idle {
                Some(idle) => match idle.checked_sub(started.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Err(WireError::Silent(idle)),
                },
                None => None,
            },
        };
        Ok(Wait {
            timeout,
            whole_quiet,
        })
    }
}

/// How long one read may wait for bytes.
struct Wait {
    /// The read's timeout (`None`: for ever).
    timeout: Option<Duration>,
    /// Whether this read, if it times out, will have waited a whole quiet
    /// period (the message is complete) or only the rest of the message
    /// deadline (the peer is too slow).
    whole_quiet: bool,
}

/// Reads messages from a stream, one at a time.
pub struct MessageReader {
    stream: TcpStream,
    framer: Framer,
    pending: VecDeque<String>,
    eof: bool,
    timing: Timing,
}

impl MessageReader {
    /// A reader of messages up to [`MAX_MESSAGE_BYTES`] (the server's).
    pub fn new(stream: TcpStream, timing: Timing) -> MessageReader {
        MessageReader::with_limit(stream, timing, MAX_MESSAGE_BYTES)
    }

    /// A reader of lines up to `limit` bytes (a client's: an ack holds
    /// two names, see [`MAX_ACK_BYTES`](super::protocol::MAX_ACK_BYTES)).
    pub fn with_limit(stream: TcpStream, timing: Timing, limit: usize) -> MessageReader {
        MessageReader {
            stream,
            framer: Framer::with_limit(limit),
            pending: VecDeque::new(),
            eof: false,
            timing,
        }
    }

    /// The next message, or `None` at EOF. `on_first_byte` runs when the
    /// first byte of a message that was not yet buffered is read, with the
    /// moment the kernel received it (see [`enable_arrival_stamps`]) when
    /// the socket stamps arrivals: that instant is the message's arrival.
    pub fn next_message(
        &mut self,
        on_first_byte: impl FnMut(Option<Duration>),
    ) -> Result<Option<String>, WireError> {
        self.next_message_or_complete(|_| false, on_first_byte)
    }

    /// [`MessageReader::next_message`], where a message without a line end
    /// is also complete the moment `complete` says its bytes so far are a
    /// whole message (a greeting the client can recognise), without waiting
    /// for the quiet period. A peer that sends a message in one write has
    /// it arrive whole; only one split inside a recognisable message would
    /// be cut at the split.
    pub fn next_message_or_complete(
        &mut self,
        complete: impl Fn(&str) -> bool,
        mut on_first_byte: impl FnMut(Option<Duration>),
    ) -> Result<Option<String>, WireError> {
        if let Some(m) = self.pending.pop_front() {
            return Ok(Some(m));
        }
        let started = Instant::now();
        let mut first_byte_at: Option<Instant> = None;
        let mut buf = [0u8; 4096];
        loop {
            if self.eof {
                return Ok(self.framer.take_partial()?);
            }
            let wait = self.timing.next_wait(started, first_byte_at)?;
            self.stream.set_read_timeout(wait.timeout)?;
            match recv_stamped(&self.stream, &mut buf) {
                Ok((0, _)) => self.eof = true,
                Ok((n, stamp)) => {
                    let mut lines = self.framer.push(&buf[..n])?;
                    let content = !lines.is_empty() || self.framer.has_partial();
                    if first_byte_at.is_none() && content {
                        on_first_byte(stamp);
                        first_byte_at = Some(Instant::now());
                    }
                    if !lines.is_empty() {
                        let first = lines.remove(0);
                        self.pending.extend(lines);
                        return Ok(Some(first));
                    }
                    if self.framer.partial_text().is_some_and(&complete) {
                        return Ok(self.framer.take_partial()?);
                    }
                }
                Err(e) if is_timeout(&e) => {
                    if first_byte_at.is_some() && !wait.whole_quiet {
                        return Err(WireError::TooSlow(self.timing.deadline));
                    }
                    if let Some(m) = self.framer.take_partial()? {
                        return Ok(Some(m));
                    }
                    // A blank partial, or the idle deadline (checked above).
                    first_byte_at = None;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => self.eof = true,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Every message that arrives until EOF or until the peer has been quiet
    /// for the quiet period after the first one: a whole reply, however the
    /// peer chose to split it.
    pub fn reply(&mut self) -> Result<Vec<String>, WireError> {
        let mut lines = Vec::new();
        match self.next_message(|_| {})? {
            Some(m) => lines.push(m),
            None => return Ok(lines),
        }
        let saved = self.timing.idle;
        self.timing.idle = Some(self.timing.quiet);
        loop {
            match self.next_message(|_| {}) {
                Ok(Some(m)) => lines.push(m),
                Ok(None) | Err(WireError::Silent(_)) => break,
                Err(e) => {
                    self.timing.idle = saved;
                    return Err(e);
                }
            }
        }
        self.timing.idle = saved;
        Ok(lines)
    }
}

/// Asks the kernel to stamp every segment this socket receives with the
/// time it arrived (`SO_TIMESTAMPNS`, the realtime clock). Two reader
/// threads woken a few microseconds apart may run in either order; the
/// kernel's stamps keep the order in which the bytes really came in.
pub fn enable_arrival_stamps(socket: &impl AsFd) -> io::Result<()> {
    setsockopt(socket, sockopt::ReceiveTimestampns, &true)?;
    Ok(())
}

/// `read`, plus the kernel's arrival stamp of the data when the socket
/// has stamps enabled (since the Unix epoch).
fn recv_stamped(stream: &TcpStream, buf: &mut [u8]) -> io::Result<(usize, Option<Duration>)> {
    let mut control = nix::cmsg_space!(TimeSpec);
    loop {
        let mut iov = [IoSliceMut::new(buf)];
        let msg = match recvmsg::<()>(
            stream.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::empty(),
        ) {
            Ok(msg) => msg,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        };
        let stamp = msg.cmsgs()?.find_map(|c| match c {
            ControlMessageOwned::ScmTimestampns(ts) => {
                Some(Duration::new(ts.tv_sec() as u64, ts.tv_nsec() as u32))
            }
            _ => None,
        });
        return Ok((msg.bytes, stamp));
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Sends one message as one `\n`-terminated write (or, with `newline`
/// false, bare, the way classic Python peers do).
pub fn send_message(mut stream: &TcpStream, text: &str, newline: bool) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    if newline {
        bytes.push(b'\n');
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::SystemTime;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn a_stamped_socket_reads_the_kernels_arrival_time_with_the_bytes() {
        let (mut client, server) = pair();
        enable_arrival_stamps(&server).unwrap();
        // The kernel turns stamping on for the whole machine a moment after
        // the first socket asks (a deferred static key): the first segments
        // may come unstamped, as the server allows for.
        let mut buf = [0u8; 64];
        for _ in 0..200 {
            let before = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap();
            client.write_all(b"Client X: Alice\n").unwrap();
            let (n, stamp) = recv_stamped(&server, &mut buf).unwrap();
            assert_eq!(&buf[..n], b"Client X: Alice\n");
            let after = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap();
            if let Some(stamp) = stamp {
                // The realtime clock, give or take a clock step in between.
                let slack = Duration::from_secs(1);
                assert!(stamp + slack >= before && stamp <= after + slack);
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("no SO_TIMESTAMPNS stamp came with the bytes");
    }

    fn reader(stream: TcpStream, quiet: Duration) -> MessageReader {
        let timing = Timing {
            idle: Some(Duration::from_secs(60)),
            quiet,
            deadline: Duration::from_secs(120),
        };
        MessageReader::new(stream, timing)
    }

    #[test]
    fn a_partial_message_the_caller_recognises_is_complete_without_the_quiet_period() {
        let (mut client, server) = pair();
        // A quiet period far longer than the test may take: only the
        // predicate can end the first message.
        let mut r = reader(server, Duration::from_secs(60));
        client.write_all(b"Client X connected").unwrap();
        let started = Instant::now();
        let first = r.next_message_or_complete(|t| t == "Client X connected", |_| {});
        assert_eq!(first.unwrap().as_deref(), Some("Client X connected"));
        assert!(started.elapsed() < Duration::from_secs(30));
        // What follows is a message of its own.
        client
            .write_all(b"Y: Bob received before X: Alice\n")
            .unwrap();
        let next = r.next_message(|_| {}).unwrap();
        assert_eq!(next.as_deref(), Some("Y: Bob received before X: Alice"));
    }

    #[test]
    fn a_partial_message_the_caller_does_not_recognise_waits_for_the_quiet_period() {
        let (mut client, server) = pair();
        let quiet = Duration::from_millis(300);
        let mut r = reader(server, quiet);
        client.write_all(b"Client X conn").unwrap();
        let started = Instant::now();
        let first = r.next_message_or_complete(|t| t == "Client X connected", |_| {});
        assert_eq!(first.unwrap().as_deref(), Some("Client X conn"));
        assert!(started.elapsed() >= quiet);
    }

    /// A socket that fails (here: one that was never connected) is
    /// reported at once as the error it is, not waited on as a silent peer.
    #[test]
    fn a_failing_socket_is_an_error_at_once_not_silence() {
        use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::empty(),
            None,
        )
        .unwrap();
        let idle = Duration::from_secs(2);
        let mut reader = MessageReader::new(TcpStream::from(fd), Timing::with_idle(Some(idle)));
        let started = Instant::now();
        match reader.next_message(|_| {}) {
            Err(WireError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::NotConnected),
            other => panic!("expected ENOTCONN, got {other:?}"),
        }
        assert!(started.elapsed() < idle / 2, "took {:?}", started.elapsed());
    }

    #[test]
    fn an_unstamped_socket_reads_bytes_without_a_stamp() {
        let (mut client, server) = pair();
        client.write_all(b"Bob").unwrap();
        let mut buf = [0u8; 64];
        let (n, stamp) = recv_stamped(&server, &mut buf).unwrap();
        assert_eq!((&buf[..n], stamp), (&b"Bob"[..], None));
    }
}
