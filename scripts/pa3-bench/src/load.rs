//! The server benchmark: a server that serves pairs for ever (`server
//! --rounds 0`, or the Python baseline), and a load generator that drives
//! it with pairs one after another over loopback.
//!
//! The generator is written to cost far less per pair than either server:
//! blocking sockets, no threads, a fixed buffer per connection, nothing
//! printed. It measures its own CPU time (its thread's schedstat, to the
//! nanosecond), so that the table can show it is not the bottleneck.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::probes;
use pa3_mininet::pa3::protocol::SENT_ACK;

/// How long a pair may take before the generator calls it failed.
const PAIR_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may take to print `listening on`.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);

const GREETING_X: &[u8] = b"Client X connected";
const GREETING_Y: &[u8] = b"Client Y connected";
const ACK_X_FIRST: &[u8] = b"X: Alice received before Y: Bob";
const ACK_Y_FIRST: &[u8] = b"Y: Bob received before X: Alice";

/// A server started for the benchmark; stopped (killed) when dropped.
pub struct ServerProc {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// Its stdout, in a file: writing it costs the server what a terminal
    /// or a log would, and reading it costs the measurement nothing.
    out: PathBuf,
}

impl ServerProc {
    /// Starts `argv` (a server told to listen on 127.0.0.1, port 0) with
    /// its output in `dir/<name>.out`, and waits for its `listening on`.
    pub fn start(argv: &[OsString], dir: &Path, name: &str) -> Result<ServerProc> {
        let out = dir.join(format!("{name}.out"));
        let file = std::fs::File::create(&out)?;
        let err = std::fs::File::create(dir.join(format!("{name}.err")))?;
        let child = Command::new(&argv[0])
            .args(&argv[1..])
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .with_context(|| format!("cannot start {}", argv[0].to_string_lossy()))?;
        let pid = child.id();
        let mut server = ServerProc {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            out,
        };
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            let text = std::fs::read_to_string(&server.out).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("listening on "))
                .and_then(|a| a.trim().parse().ok())
            {
                server.addr = addr;
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("{name} exited ({status}) before listening");
            }
            if Instant::now() >= deadline {
                bail!("{name} printed no `listening on` line within {LISTEN_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The CPU time it has used so far.
    pub fn cpu(&self) -> Duration {
        probes::cpu_time(self.pid).unwrap_or_default()
    }

    pub fn peak_rss_kib(&self) -> u64 {
        probes::peak_rss_kib(self.pid).unwrap_or(0)
    }

    /// How many rounds it says it finished (`Sent acknowledgment …`).
    pub fn acks_sent(&self) -> usize {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(SENT_ACK))
            .count()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of the generator measured.
#[derive(Clone, Debug, Default)]
pub struct LoadRun {
    pub pairs: u32,
    pub failed: u32,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// The generator's own CPU time over the run.
    pub generator_cpu: Duration,
    /// Per pair, µs.
    pub latencies_us: Vec<f64>,
}

impl LoadRun {
    pub fn pairs_per_s(&self) -> f64 {
        f64::from(self.pairs) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Drives `pairs` pairs one after another against the server at `addr`.
pub fn drive(addr: SocketAddr, pairs: u32) -> LoadRun {
    let mut run = LoadRun {
        pairs,
        latencies_us: Vec::with_capacity(pairs as usize),
        ..LoadRun::default()
    };
    let cpu0 = probes::thread_cpu_time().unwrap_or_default();
    let t0 = Instant::now();
    for _ in 0..pairs {
        let started = Instant::now();
        if let Err(e) = one_pair(addr) {
            run.failed += 1;
            run.first_error.get_or_insert_with(|| format!("{e:#}"));
        }
        run.latencies_us.push(started.elapsed().as_secs_f64() * 1e6);
    }
    run.elapsed = t0.elapsed();
    run.generator_cpu = probes::thread_cpu_time()
        .unwrap_or_default()
        .saturating_sub(cpu0);
    run
}

/// One connection of a pair, with the bytes read past the last line.
struct Conn {
    stream: TcpStream,
    buf: [u8; 256],
    len: usize,
}

impl Conn {
    /// A blocking connect (on loopback it returns as soon as the server's
    /// kernel has the connection in its backlog) and a read timeout: no
    /// more system calls than a pair needs. No `TCP_NODELAY`: each side
    /// writes once, on an idle connection, which Nagle never delays.
    fn open(addr: SocketAddr) -> Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(PAIR_TIMEOUT))?;
        Ok(Conn {
            stream,
            buf: [0; 256],
            len: 0,
        })
    }

    /// The next line, without its `\n`, compared with `want` (any of them).
    fn expect_line(&mut self, want: &[&[u8]]) -> Result<usize> {
        loop {
            if let Some(end) = self.buf[..self.len].iter().position(|&b| b == b'\n') {
                let line = &self.buf[..end];
                let found = want.iter().position(|w| *w == line);
                let shown = String::from_utf8_lossy(line).into_owned();
                self.buf.copy_within(end + 1..self.len, 0);
                self.len -= end + 1;
                return found.with_context(|| format!("unexpected line {shown:?}"));
            }
            if self.len == self.buf.len() {
                bail!("a line longer than {} bytes", self.buf.len());
            }
            let n = self.stream.read(&mut self.buf[self.len..])?;
            if n == 0 {
                bail!("the server closed the connection");
            }
            self.len += n;
        }
    }
}

/// Connect X, connect Y, both greetings, both messages, both acks.
fn one_pair(addr: SocketAddr) -> Result<()> {
    let mut x = Conn::open(addr).context("connecting X")?;
    let mut y = Conn::open(addr).context("connecting Y")?;
    x.expect_line(&[GREETING_X]).context("X's greeting")?;
    y.expect_line(&[GREETING_Y]).context("Y's greeting")?;
    x.stream.write_all(b"Client X: Alice\n")?;
    y.stream.write_all(b"Client Y: Bob\n")?;
    let ax = x
        .expect_line(&[ACK_X_FIRST, ACK_Y_FIRST])
        .context("X's ack")?;
    let ay = y
        .expect_line(&[ACK_X_FIRST, ACK_Y_FIRST])
        .context("Y's ack")?;
    if ax != ay {
        bail!("X and Y received different acks");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// A server of one pair, in a thread: enough to test the generator.
    fn one_round_server(split_lines: bool) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut x, _) = listener.accept().unwrap();
            let (mut y, _) = listener.accept().unwrap();
            x.write_all(b"Client X connected\n").unwrap();
            y.write_all(b"Client Y connected\n").unwrap();
            let mut buf = [0u8; 64];
            let _ = x.read(&mut buf).unwrap();
            let _ = y.read(&mut buf).unwrap();
            for s in [&mut x, &mut y] {
                if split_lines {
                    s.write_all(b"X: Alice received").unwrap();
                    std::thread::sleep(Duration::from_millis(20));
                    s.write_all(b" before Y: Bob\n").unwrap();
                } else {
                    s.write_all(b"Y: Bob received before X: Alice\n").unwrap();
                }
            }
        });
        addr
    }

    #[test]
    fn a_pair_is_two_greetings_two_messages_and_one_ack_to_both() {
        for split in [false, true] {
            let run = drive(one_round_server(split), 1);
            assert_eq!((run.pairs, run.failed), (1, 0), "{:?}", run.first_error);
            assert_eq!(run.latencies_us.len(), 1);
            assert!(run.pairs_per_s() > 0.0);
        }
    }

    #[test]
    fn a_server_that_goes_away_fails_the_pair_with_a_reason() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (x, _) = listener.accept().unwrap();
            let (_y, _) = listener.accept().unwrap();
            drop(x);
        });
        let run = drive(addr, 1);
        assert_eq!(run.failed, 1);
        let why = run.first_error.unwrap();
        assert!(why.contains("X's greeting"), "{why}");
    }
}
