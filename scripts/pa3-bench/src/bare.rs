//! The bare exchange: the scenario `simultaneous` (connect a, connect b,
//! type both names at once) driven by the benchmark itself with nothing
//! but what the exchange needs — start a program, wait for the line that
//! says it may go on, write a client's stdin, wait for the exits. No
//! checks, no records, no reports: what is left is the programs' own work
//! (their startup, in the hosts' namespaces on Mininet, the connections, the
//! exchange, their lines through the pipes), the baseline the
//! orchestrator's per-run wall is compared with.
//!
//! On Mininet it runs on a network kept up by `orchestrate up`, whose
//! hosts it reads from what `up` prints.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use regex::Regex;

use super::analyse::Milestones;
use pa3_mininet::orchestrator::sys::{self, Netns, Signal};
use pa3_mininet::pa3::protocol;

/// How long any one thing of an exchange may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a program of the exchange runs.
#[derive(Clone, Debug, PartialEq)]
pub struct BareHost {
    pub ip: String,
    /// A process in the host's network namespace, where its programs start
    /// (as the orchestrator starts them); `None`: here (loopback).
    pub ns_pid: Option<u32>,
}

/// The server's host and the two clients'.
#[derive(Clone, Debug, PartialEq)]
pub struct BareNet {
    pub server: BareHost,
    pub clients: [BareHost; 2],
}

impl BareNet {
    /// Loopback.
    pub fn local() -> BareNet {
        let host = BareHost {
            ip: "127.0.0.1".into(),
            ns_pid: None,
        };
        BareNet {
            server: host.clone(),
            clients: [host.clone(), host],
        }
    }

    /// The network `orchestrate up` describes: `server_host` and the two
    /// clients' hosts, from its lines `  h1     10.0.0.1     namespace of pid 4242`.
    pub fn from_up_output(text: &str, hosts: [&str; 3]) -> Option<BareNet> {
        let re = Regex::new(r"^\s+(\S+)\s+(\d+\.\d+\.\d+\.\d+)\s+namespace of pid (\d+)\s*$")
            .expect("a valid regex");
        let find = |name: &str| {
            text.lines().find_map(|l| {
                let c = re.captures(l)?;
                (&c[1] == name).then(|| BareHost {
                    ip: c[2].to_string(),
                    ns_pid: c[3].parse().ok(),
                })
            })
        };
        Some(BareNet {
            server: find(hosts[0])?,
            clients: [find(hosts[1])?, find(hosts[2])?],
        })
    }
}

/// A network kept up by `orchestrate up` for bare exchanges; taken down
/// (SIGINT, as Ctrl-C would) when dropped.
pub struct UpNetwork {
    child: Child,
    pub net: BareNet,
}

impl UpNetwork {
    /// Runs `orchestrate up SCENARIO` and waits until it says the network is up.
    pub fn start(orchestrate: &Path, cwd: &Path, scenario: &Path) -> Result<UpNetwork> {
        let mut child = Command::new(orchestrate)
            .arg("up")
            .arg(scenario)
            .current_dir(cwd)
            .env_remove("CARGO")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start `orchestrate up`")?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut text = String::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut up = UpNetwork {
            child,
            net: BareNet::local(),
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let done = line.starts_with("Press Ctrl-C");
                    text.push_str(&line);
                    text.push('\n');
                    if done {
                        break;
                    }
                }
                Err(_) => bail!("`orchestrate up` did not bring the network up:\n{text}"),
            }
        }
        up.net = BareNet::from_up_output(&text, ["h1", "h2", "h3"])
            .with_context(|| format!("cannot read the hosts from `orchestrate up`:\n{text}"))?;
        Ok(up)
    }
}

impl Drop for UpNetwork {
    fn drop(&mut self) {
        sys::kill(self.child.id(), Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        sys::kill(self.child.id(), Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

/// A line a program printed: which program, when it was read, the text.
type Line = (usize, Instant, String);

/// The programs of one exchange; whatever still runs is killed on drop.
struct Programs {
    /// When the exchange started: what its times are measured from.
    t0: Instant,
    children: Vec<Child>,
    stdins: Vec<Option<ChildStdin>>,
    lines: Vec<Line>,
    rx: Receiver<Line>,
    tx: Sender<Line>,
}

impl Programs {
    /// No program yet; the exchange starts now.
    fn new() -> Programs {
        let (tx, rx) = mpsc::channel();
        Programs {
            t0: Instant::now(),
            children: Vec::new(),
            stdins: Vec::new(),
            lines: Vec::new(),
            rx,
            tx,
        }
    }

    fn spawn(&mut self, ns_pid: Option<u32>, program: &Path, args: &[String]) -> Result<usize> {
        let idx = self.children.len();
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let spawned = match ns_pid {
            Some(pid) => Netns::of(pid).and_then(|ns| ns.enter(|| cmd.spawn())?),
            None => cmd.spawn(),
        };
        let mut child = spawned
            .with_context(|| format!("cannot start {} {}", program.display(), args.join(" ")))?;
        let stdout = child.stdout.take().expect("piped");
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send((idx, Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        self.stdins.push(child.stdin.take());
        self.children.push(child);
        Ok(idx)
    }

    /// Waits until a line (of any program so far) satisfies `pred`.
    fn wait_line(&mut self, what: &str, pred: impl Fn(usize, &str) -> bool) -> Result<String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        loop {
            if let Some((_, _, l)) = self.lines.iter().find(|(i, _, l)| pred(*i, l)) {
                return Ok(l.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.lines.push(line),
                Err(_) => bail!("waited {STEP_TIMEOUT:?} for {what}"),
            }
        }
    }

    fn type_line(&mut self, idx: usize, text: &str) -> Result<()> {
        let stdin = self.stdins[idx].as_mut().context("stdin closed")?;
        stdin.write_all(format!("{text}\n").as_bytes())?;
        stdin.flush()?;
        Ok(())
    }

    /// Closes every program's stdin and waits for each to exit; an error
    /// for the first that failed.
    fn wait_exits(&mut self) -> Result<()> {
        for s in &mut self.stdins {
            *s = None;
        }
        for (i, child) in self.children.iter_mut().enumerate() {
            let status = child.wait()?;
            if !status.success() {
                bail!("program {i} of the bare exchange exited with {status}");
            }
        }
        Ok(())
    }

    /// The exchange's milestones, read from every line its programs
    /// printed (those still in the pipes too); `end` is its wall time.
    fn milestones(
        &mut self,
        server: usize,
        clients: &[usize],
        typed: Option<Instant>,
        end: Duration,
    ) -> Milestones {
        while let Ok(line) = self.rx.try_recv() {
            self.lines.push(line);
        }
        let t0 = self.t0;
        let at = |i: Instant| i.saturating_duration_since(t0).as_secs_f64() * 1e3;
        let of = |idx: usize| -> Vec<(f64, &str)> {
            self.lines
                .iter()
                .filter(|(i, _, _)| *i == idx)
                .map(|(_, t, l)| (at(*t), l.as_str()))
                .collect()
        };
        let server_lines = of(server);
        let client_lines: Vec<Vec<(f64, &str)>> = clients.iter().map(|&c| of(c)).collect();
        let refs: Vec<&[(f64, &str)]> = client_lines.iter().map(Vec::as_slice).collect();
        let end_ms = end.as_secs_f64() * 1e3;
        Milestones::from_lines(
            &server_lines,
            &refs,
            typed.map(at),
            Some(end_ms),
            Some(end_ms),
        )
    }
}

impl Drop for Programs {
    fn drop(&mut self) {
        for c in &mut self.children {
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// One exchange; returns its milestones (ms from starting the server), its
/// `end` being its wall time, to the last exit.
pub fn exchange(net: &BareNet, bin_dir: &Path) -> Result<Milestones> {
    let mut p = Programs::new();
    let server = p.spawn(
        net.server.ns_pid,
        &bin_dir.join("server"),
        &[
            "--bind".into(),
            net.server.ip.clone(),
            "--port".into(),
            "0".into(),
        ],
    )?;
    let port = listening_port(&mut p, server)?;
    let clients = connect_clients(&mut p, net, &bin_dir.join("client"), server, port)?;
    for &c in &clients {
        p.wait_line("a greeting", |i, l| {
            i == c && protocol::parse_greeting(l).is_some()
        })?;
    }
    let mut typed = None;
    for (&c, name) in clients.iter().zip(["Alice", "Bob"]) {
        p.type_line(c, name)?;
        typed.get_or_insert_with(Instant::now);
    }
    p.wait_exits()?;
    let end = p.t0.elapsed();
    Ok(p.milestones(server, &clients, typed, end))
}

/// The port the server says it listens on.
fn listening_port(p: &mut Programs, server: usize) -> Result<u16> {
    let listening = p.wait_line("the server to listen", |i, l| {
        i == server && l.starts_with("listening on ")
    })?;
    listening
        .rsplit(':')
        .next()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .with_context(|| format!("no port in {listening:?}"))
}

/// Starts the two clients (the program `client`) on their hosts, X then
/// Y, waiting after each until the server has accepted it; returns their
/// programs' indices.
fn connect_clients(
    p: &mut Programs,
    net: &BareNet,
    client: &Path,
    server: usize,
    port: u16,
) -> Result<Vec<usize>> {
    let mut clients = Vec::new();
    for (host, letter) in net.clients.iter().zip(["X", "Y"]) {
        let idx = p.spawn(
            host.ns_pid,
            client,
            &[
                "--server".into(),
                net.server.ip.clone(),
                "--port".into(),
                port.to_string(),
            ],
        )?;
        let accepted = format!("as Client {letter}");
        p.wait_line(&format!("the server to accept Client {letter}"), |i, l| {
            i == server && l.starts_with("Accepted connection") && l.ends_with(&accepted)
        })?;
        clients.push(idx);
    }
    Ok(clients)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_are_read_from_what_up_prints() {
        let text = "Network up (3 hosts on Linux bridge s4242):\n  \
                    h1     10.0.0.1     namespace of pid 101\n  \
                    h2     10.0.0.2     namespace of pid 102\n  \
                    h3     10.0.0.3     namespace of pid 103\n\n\
                    Run the programs by hand, each in its own terminal (as root):\n";
        let net = BareNet::from_up_output(text, ["h1", "h2", "h3"]).unwrap();
        assert_eq!(net.server.ip, "10.0.0.1");
        assert_eq!(net.server.ns_pid, Some(101));
        assert_eq!(net.clients[1].ip, "10.0.0.3");
        assert_eq!(net.clients[1].ns_pid, Some(103));
        assert_eq!(BareNet::from_up_output(text, ["h1", "h2", "h9"]), None);
    }
}
