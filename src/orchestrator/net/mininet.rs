//! The Mininet backend. Runs the generated topology program as a *driver*:
//! it builds the net (Linux bridge, no controller), prints the hosts' names,
//! addresses and shell pids, and waits for its stdin to close before it
//! stops the net. A program runs on a host by being started from a thread
//! that has joined the host's network namespace ([`Netns::enter`]): what
//! `mnexec -a PID` does, one exec fewer per program. (`mnexec -a` also
//! joins the host's mount namespace, whose only difference is a `/sys`
//! that lists the host's interfaces; a thread of a process with several
//! cannot join a mount namespace, and no PA3 program reads `/sys`.)
//!
//! Teardown order matters: our programs first (the runner kills their
//! process groups; `net.stop()` would not), then the driver's stdin is
//! closed: the driver ends the hosts' and the bridge's shells, and exits.
//! The whole net lives in the driver's network namespace and the hosts'
//! own, so the kernel removes every interface and the bridge as those
//! namespaces go (what `net.stop()` did one command at a time, ~130 ms
//! slower). Last, whatever is still there under our run's switch name is
//! removed by hand. The switch name is unique per run (`s<pid>`), so two runs never
//! touch each other's interfaces, and `mn -c` is never needed.

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use os_pipe::{PipeReader, PipeWriter};
use serde::Deserialize;

use super::shaping::delayer::LinkFailure;
use super::shaping::{Applied, HostPort};
use super::{Host, Network, NoSuchHost, NotRoutable, SocketTable, TcpCounters};
use crate::orchestrator::event::ms;
use crate::orchestrator::link::LinksRecord;
use crate::orchestrator::link::{Conditions, LinkEngine};
use crate::orchestrator::record::Phase;
use crate::orchestrator::scenario::Links;
use crate::orchestrator::state::{self, StateFile};
use crate::orchestrator::sys::{self, on_path, Netns, ProcId, Signal};
use crate::orchestrator::topology::DRIVER_PREFIX;

/// How long building the net may take.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long Mininet may take to stop the net after stdin closes.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the driver may take to change a link (netem's `tc`).
const LINK_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Mininet {
    driver: Option<duct::Handle>,
    /// The driver's pid, which leads its process group; `None` when duct
    /// could not say (then there is nothing to signal).
    driver_pid: Option<u32>,
    stdin: Option<PipeWriter>,
    hosts: Vec<Host>,
    /// Each host's network namespace, by the host's index.
    netns: Vec<Netns>,
    /// Each host's TCP sockets, by the host's index.
    sockets: Vec<SocketTable>,
    switch: String,
    switch_intfs: Vec<String>,
    /// The host shells as started, to kill only those if Mininet did not;
    /// watched, since whether the network is still whole is asked before
    /// every run of a batch.
    shells: Vec<sys::Liveness>,
    phases: Vec<Phase>,
    /// Everything the driver printed that was not a driver event.
    pub log: Arc<Mutex<Vec<String>>>,
    lines: Receiver<(Instant, String)>,
    /// The impaired links (a delayer per host under nfqueue).
    links: Option<Applied>,
}

#[derive(Deserialize)]
struct DriverHost {
    name: String,
    ip: String,
    pid: u32,
    intf: String,
}

#[derive(Deserialize)]
struct DriverEvent {
    event: String,
    #[serde(default)]
    hosts: Vec<DriverHost>,
    #[serde(default)]
    switch_intfs: Vec<String>,
    /// A `link` event: the host whose link changed, and what went wrong.
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// The Python interpreter that can import Mininet: `$PA3_PYTHON`, else
/// Debian's `/usr/bin/python3` (where the `mininet` package installs), else
/// the first `python3` on PATH.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PA3_PYTHON") {
        return PathBuf::from(p);
    }
    let debian = Path::new("/usr/bin/python3");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("python3")
    }
}

/// Why Mininet cannot run here, if it cannot.
pub fn preflight() -> Result<()> {
    if !sys::is_root() {
        bail!(
            "Mininet needs root to create network namespaces and interfaces: run with sudo \
             (sudo cargo run --bin orchestrate FILE), or use `--backend local` to run on loopback"
        );
    }
    let missing: Vec<&str> = ["mnexec", "brctl", "ip", "unshare"]
        .into_iter()
        .filter(|p| !on_path(p))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} not found: install Mininet with `apt-get install -y mininet bridge-utils iproute2`",
            missing.join(", ")
        );
    }
    Ok(())
}

/// The driver as started: its handle, its pid (which leads its own
/// process group; `None` when duct could not say), its stdin, and its
/// stdout and stderr on one pipe.
struct Driver {
    handle: duct::Handle,
    pid: Option<u32>,
    stdin: PipeWriter,
    output: PipeReader,
}

/// Starts the topology program `topo_py` under `py` as the driver of a net
/// whose switch is called `switch`, in a process group of its own. The
/// switch is written into the run's state before the driver starts (so a
/// crash in between still names it), the driver right after.
fn spawn_driver(py: &Path, topo_py: &Path, switch: &str, state: &mut StateFile) -> Result<Driver> {
    let (in_r, in_w) = os_pipe::pipe()?;
    let (out_r, out_w) = os_pipe::pipe()?;
    let err_w = out_w.try_clone()?;
    state.state.switch = Some(switch.to_string());
    state.save()?;
    // The whole network lives in a network namespace of its own
    // (`unshare --net`): the bridge and every switch port are in it, not in
    // the machine's, so nothing of it can collide with another run or
    // outlive the driver (the namespace goes with its last process), and
    // the hosts get small TCP tables of their own (see the driver's
    // `--private-netns`).
    let expr = duct::cmd(
        "unshare",
        [
            "--net".as_ref(),
            "--".as_ref(),
            py.as_os_str(),
            topo_py.as_os_str(),
            "--switch".as_ref(),
            switch.as_ref(),
            "--private-netns".as_ref(),
        ],
    )
    .stdin_file(in_r)
    .stdout_file(out_w)
    .stderr_file(err_w)
    // The driver and the host shells it forks carry the run's mark, like
    // every program the run starts.
    .env(
        sys::RUN_ID_VAR,
        state.state.owner.map(state::run_mark).unwrap_or_default(),
    )
    .unchecked();
    let expr = sys::in_own_group(expr);
    let handle = expr
        .start()
        .with_context(|| format!("cannot start the Mininet driver with {}", py.display()))?;
    // The expression holds the output pipe's write ends: without dropping
    // it the reader would never see EOF.
    drop(expr);
    let pid = handle.pids().first().copied();
    state.state.driver = pid.and_then(ProcId::of);
    state.save()?;
    Ok(Driver {
        handle,
        pid,
        stdin: in_w,
        output: out_r,
    })
}

/// What the driver printed that was not a driver event.
type DriverLog = Arc<Mutex<Vec<String>>>;

/// Reads the driver's output on a thread of its own: its events (lines
/// starting with [`DRIVER_PREFIX`]) come out of the channel with the moment
/// each was read; everything else goes to the log.
fn read_driver_output(output: PipeReader) -> (DriverLog, Receiver<(Instant, String)>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, lines) = mpsc::channel();
    let log_w = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if line.starts_with(DRIVER_PREFIX) {
                let _ = tx.send((Instant::now(), line));
            } else {
                log_w.lock().expect("driver log").push(line);
            }
        }
    });
    (log, lines)
}

impl Mininet {
    /// Runs the topology program `topo_py` as the driver of a net whose
    /// switch is called `switch`, and waits until the net is up.
    pub fn start(
        topo_py: &Path,
        switch: &str,
        state: &mut StateFile,
        interrupted: &AtomicBool,
    ) -> Result<Mininet> {
        let t_spawn = Instant::now();
        let py = python();
        let driver = spawn_driver(&py, topo_py, switch, state)?;
        let (log, lines) = read_driver_output(driver.output);
        // From here on, dropping `net` (an error, `?`) tears it down.
        let mut net = Mininet {
            driver: Some(driver.handle),
            driver_pid: driver.pid,
            stdin: Some(driver.stdin),
            hosts: Vec::new(),
            netns: Vec::new(),
            sockets: Vec::new(),
            switch: switch.to_string(),
            switch_intfs: Vec::new(),
            shells: Vec::new(),
            phases: Vec::new(),
            log,
            lines,
            links: None,
        };
        let ready = net.await_ready(t_spawn, interrupted, &py)?;
        net.take_hosts(ready, state)?;
        Ok(net)
    }

    /// Reads the driver's events until the net is up, timing each phase
    /// from `t_spawn` on, and gives back the `ready` event. Tears the net
    /// down when the run is interrupted, when the driver takes longer than
    /// [`READY_TIMEOUT`], or when it ends first (then the error says why,
    /// from what it printed).
    fn await_ready(
        &mut self,
        t_spawn: Instant,
        interrupted: &AtomicBool,
        py: &Path,
    ) -> Result<DriverEvent> {
        let mut last = t_spawn;
        let deadline = t_spawn + READY_TIMEOUT;
        loop {
            if interrupted.load(Ordering::SeqCst) {
                self.teardown()?;
                bail!("interrupted while the network was being built");
            }
            let (at, line) = match self.lines.recv_timeout(Duration::from_millis(20)) {
                Ok(x) => x,
                Err(RecvTimeoutError::Timeout) => {
                    if Instant::now() > deadline {
                        self.teardown()?;
                        bail!(
                            "the Mininet driver did not build the network within {READY_TIMEOUT:?}"
                        );
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.wait_driver(Duration::from_secs(2));
                    let output = self.log.lock().expect("driver log").join("\n");
                    self.teardown()?;
                    return Err(driver_failure(py, &output));
                }
            };
            let ev: DriverEvent =
                serde_json::from_str(&line[DRIVER_PREFIX.len()..]).with_context(|| {
                    format!("the Mininet driver printed an unreadable line: {line}")
                })?;
            let phase = match ev.event.as_str() {
                "imported" => "python and import",
                "built" => "build",
                "ready" => "start",
                _ => continue,
            };
            self.phases.push(Phase {
                name: phase.into(),
                ms: ms(at - last),
            });
            last = at;
            if ev.event == "ready" {
                return Ok(ev);
            }
        }
    }

    /// Takes the hosts and the switch's ports the `ready` event names, and
    /// records the host shells and the ports in the run's state.
    fn take_hosts(&mut self, ready: DriverEvent, state: &mut StateFile) -> Result<()> {
        for h in ready.hosts {
            let ip: IpAddr = h.ip.parse().map_err(|_| {
                anyhow!(
                    "the driver reported a bad address {:?} for {}",
                    h.ip,
                    h.name
                )
            })?;
            if let Some(p) = ProcId::of(h.pid) {
                state.state.host_shells.push(p);
                self.shells.push(sys::Liveness::of(p));
            }
            let netns = Netns::of(h.pid)
                .with_context(|| format!("cannot open the network namespace of {}", h.name))?;
            self.sockets.push(SocketTable::open(Some((&netns, h.pid))));
            self.netns.push(netns);
            self.hosts.push(Host {
                name: h.name,
                ip,
                ns_pid: h.pid,
                intf: h.intf,
            });
        }
        self.switch_intfs = ready.switch_intfs;
        state.state.switch_intfs = self.switch_intfs.clone();
        state.save()?;
        Ok(())
    }

    fn wait_driver(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while let Some(h) = &self.driver {
            if matches!(h.try_wait(), Ok(Some(_))) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }
}

impl Mininet {
    /// Applies a scenario's links once the net is up: under nfqueue a
    /// delayer per impaired host (netem's qdiscs Mininet set up itself).
    pub fn apply_links(&mut self, links: &Links) -> Result<()> {
        let t = Instant::now();
        let ports: Vec<HostPort> = self
            .hosts
            .iter()
            .zip(&self.netns)
            .map(|(h, netns)| HostPort {
                name: &h.name,
                netns,
                intf: &h.intf,
            })
            .collect();
        self.links = Applied::start(links, &ports)?;
        if self
            .links
            .as_ref()
            .is_some_and(|l| l.engine == LinkEngine::Nfqueue)
        {
            self.phases.push(Phase {
                name: "link delayers".into(),
                ms: ms(t.elapsed()),
            });
        }
        Ok(())
    }

    /// The impaired links, when there are any.
    pub fn applied(&self) -> Option<&Applied> {
        self.links.as_ref()
    }

    /// Asks the driver to change `host`'s netem qdiscs, and waits for it.
    fn netem_change(&self, host: &str, c: Conditions) -> Result<()> {
        use std::io::Write;
        let stdin = self.stdin.as_ref().context("the Mininet driver is gone")?;
        let command = serde_json::json!({
            "op": "link", "host": host, "delay_ms": c.delay_ms,
            "jitter_ms": c.jitter_ms, "loss_pct": c.loss_pct,
        });
        let mut writer: &PipeWriter = stdin;
        writer
            .write_all(format!("{command}\n").as_bytes())
            .context("cannot reach the Mininet driver")?;
        let deadline = Instant::now() + LINK_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (_, line) = self.lines.recv_timeout(left).map_err(|_| {
                anyhow!("the Mininet driver did not change {host}'s link within {LINK_TIMEOUT:?}")
            })?;
            let Ok(ev) = serde_json::from_str::<DriverEvent>(&line[DRIVER_PREFIX.len()..]) else {
                continue;
            };
            if ev.event == "link" && ev.host.as_deref() == Some(host) {
                return match ev.error {
                    None => Ok(()),
                    Some(e) => Err(anyhow!("netem refused to change {host}'s link: {e}")),
                };
            }
        }
    }

    /// The index of host `name` (in `hosts`, `netns` and `sockets`).
    fn index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// The socket table of host `name`.
    fn table(&self, name: &str) -> Option<&SocketTable> {
        self.sockets.get(self.index(name)?)
    }
}

fn driver_failure(py: &Path, output: &str) -> anyhow::Error {
    let tail: Vec<&str> = output
        .lines()
        .rev()
        .take(12)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let tail = tail.join("\n");
    if output.contains("No module named 'mininet'") {
        anyhow!(
            "{} cannot import Mininet's Python package: install it with `apt-get install -y mininet` \
             (Debian installs it for /usr/bin/python3; set PA3_PYTHON to another interpreter that has it)",
            py.display()
        )
    } else {
        anyhow!("the Mininet driver failed before the network was up:\n{tail}")
    }
}

impl Network for Mininet {
    fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    fn alive(&self) -> bool {
        self.driver.is_some() && self.shells.iter().all(sys::Liveness::alive)
    }

    fn clear_sockets(&self) -> Result<usize> {
        let mut cleared = 0;
        for table in &self.sockets {
            cleared += table.clear_all()?;
        }
        Ok(cleared)
    }

    fn listening(&self, host: &str, port: u16) -> usize {
        self.table(host).map_or(0, |t| t.listening(port))
    }

    fn established(&self, host: &str, port: u16) -> usize {
        self.table(host).map_or(0, |t| t.established(port))
    }

    fn listeners(&self, host: &str) -> Vec<super::TcpSocket> {
        self.table(host).map_or_else(Vec::new, |t| t.listeners())
    }

    fn connections_read(&self, host: &str) -> Vec<super::TcpSocket> {
        self.table(host)
            .map_or_else(Vec::new, |t| t.connections_read())
    }

    fn routable(&self) -> Result<bool, NotRoutable> {
        Ok(false)
    }

    fn tcp_counters(&self, host: &str) -> Option<TcpCounters> {
        self.table(host)?.counters()
    }

    fn counters_are_the_runs(&self, _host: &str) -> bool {
        // Every host is a namespace of the network's, which only the
        // runs on it use, one at a time.
        true
    }

    fn netns(&self, host: &str) -> Result<Option<&Netns>, NoSuchHost> {
        match self.index(host).and_then(|i| self.netns.get(i)) {
            Some(ns) => Ok(Some(ns)),
            None => Err(NoSuchHost {
                host: host.to_string(),
            }),
        }
    }

    fn server_port(&self, scenario_port: u16, _port_is_ours: bool) -> u16 {
        // Each run has its own namespaces: the scenario's port is free.
        scenario_port
    }

    fn phases(&self) -> Vec<Phase> {
        self.phases.clone()
    }

    fn driver_log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn begin_links(&self, t0: Instant) -> Result<()> {
        let Some(links) = &self.links else {
            return Ok(());
        };
        if links.engine == LinkEngine::Netem {
            for (host, start) in links.changed_hosts() {
                self.netem_change(&host, start)?;
            }
        }
        links.begin_run(t0);
        Ok(())
    }

    fn set_link(&self, host: &str, conditions: Conditions, since_ms: f64) -> Result<()> {
        let Some(links) = &self.links else {
            bail!("{host}'s link cannot change: the network applies no link conditions");
        };
        if links.engine == LinkEngine::Netem {
            self.netem_change(host, conditions)?;
        }
        links.set(host, conditions, since_ms)
    }

    fn link_failure(&self) -> Option<LinkFailure> {
        self.links.as_ref()?.failure()
    }

    fn links_record(&self) -> Option<LinksRecord> {
        self.links.as_ref().map(Applied::record)
    }

    fn teardown(&mut self) -> Result<()> {
        if self.driver.is_none() {
            return Ok(());
        }
        let t = Instant::now();
        // The delayers first: each lets what it holds go; their queues and
        // rules go with the hosts' namespaces.
        if let Some(links) = &mut self.links {
            links.stop();
        }
        drop(self.stdin.take());
        if let (false, Some(pgid)) = (self.wait_driver(STOP_TIMEOUT), self.driver_pid) {
            sys::signal_group(pgid, Signal::SIGTERM);
            if !self.wait_driver(Duration::from_secs(3)) {
                sys::signal_group(pgid, Signal::SIGKILL);
                self.wait_driver(Duration::from_secs(2));
            }
        }
        self.driver = None;
        // Whatever Mininet did not remove, we do: only this run's names.
        let mut leftovers = state::links_of_switch(&self.switch);
        for i in &self.switch_intfs {
            if !leftovers.contains(i) {
                leftovers.push(i.clone());
            }
        }
        state::delete_links(&leftovers);
        for p in &self.shells {
            if p.alive() {
                // A host shell this run created, watched since it started.
                sys::kill(p.pid(), Signal::SIGKILL);
            }
        }
        self.phases.push(Phase {
            name: "teardown".into(),
            ms: ms(t.elapsed()),
        });
        Ok(())
    }
}

impl Drop for Mininet {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}
