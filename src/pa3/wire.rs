//! Reading and writing PA3 messages on a TCP stream: the I/O half of
//! [`crate::pa3::protocol`]. Owns the timing rules a byte-splitter cannot know:
//! when a message without a line end is complete (EOF or a quiet period),
//! how long a peer may stay silent, and how long one message may take.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::protocol::{FrameError, Framer, MESSAGE_DEADLINE, QUIET_PERIOD};

/// Why no message could be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("sent nothing for {0:?}")]
    Silent(Duration),
    #[error("took longer than {0:?} to finish one message")]
    TooSlow(Duration),
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("{0}")]
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
    pub fn new(stream: TcpStream, timing: Timing) -> MessageReader {
        MessageReader {
            stream,
            framer: Framer::new(),
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
            // Whether this read, if it times out, will have waited a whole
            // quiet period (the message is complete) or only the rest of the
            // message deadline (the peer is too slow).
            let mut waits_whole_quiet = true;
            let timeout = match first_byte_at {
                Some(t) => {
                    let left = self.timing.deadline.checked_sub(t.elapsed());
                    match left {
                        Some(left) if !left.is_zero() => {
                            waits_whole_quiet = left >= self.timing.quiet;
                            Some(left.min(self.timing.quiet))
                        }
                        _ => return Err(WireError::TooSlow(self.timing.deadline)),
                    }
                }
                None => match self.timing.idle {
                    Some(idle) => match idle.checked_sub(started.elapsed()) {
                        Some(left) if !left.is_zero() => Some(left),
                        _ => return Err(WireError::Silent(idle)),
                    },
                    None => None,
                },
            };
            self.stream.set_read_timeout(timeout)?;
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
                }
                Err(e) if is_timeout(&e) => {
                    if first_byte_at.is_some() && !waits_whole_quiet {
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
pub fn enable_arrival_stamps(socket: &impl AsRawFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int
    // and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `read`, plus the kernel's arrival stamp of the data when the socket
/// has stamps enabled (since the Unix epoch).
fn recv_stamped(stream: &TcpStream, buf: &mut [u8]) -> io::Result<(usize, Option<Duration>)> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // u64s keep the control buffer aligned for cmsghdr.
    let mut control = [0u64; 8];
    // SAFETY: an all-zero msghdr is a valid empty one; we then point it at
    // live buffers that outlive the recvmsg call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    loop {
        // SAFETY: fd is a socket we own; msg points at valid buffers.
        let n = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let mut stamp = None;
        // SAFETY: the CMSG_* macros walk the control buffer the kernel
        // filled, bounded by msg_controllen; the timespec is read unaligned.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET
                    && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
                {
                    let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                    stamp = Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
                }
                cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
            }
        }
        return Ok((n as usize, stamp));
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
