//! A job's network and ownership record, kept from run to run.
//!
//! A job (a worker of `--jobs N`) holds one [`Session`] for its whole life:
//! its ownership record (the state file, written as things are created) and
//! the network it built last. A run whose topology fits the network up runs
//! on it: before it starts, every TCP socket the previous run left on the
//! hosts is destroyed, so that nothing of one run is visible in the next and
//! a server that hard-codes its port can bind it at once. A run that does
//! not fit (other hosts or links), or a network that lost a host, gets a
//! fresh network; the run's record says which, and why.
//!
//! [`Session::close`] tears the network down and removes whatever is still
//! recorded, and says what it had to remove; on any other path (an error, a
//! panic) `Drop` does the same, so nothing is left behind however a batch
//! ends.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Result;

use super::writer::{Job, Writer};
use crate::orchestrator::event::ms;
use crate::orchestrator::net::{local::Local, mininet::Mininet, Backend, Network};
use crate::orchestrator::record::{NetworkUse, Phase};
use crate::orchestrator::scenario::ValidScenario;
use crate::orchestrator::state::StateFile;
use crate::orchestrator::topology;

/// A network up, and what it was built for.
struct NetUp {
    net: Box<dyn Network>,
    /// [`topology::network_key`] of the scenarios it fits.
    key: String,
    /// Runs it has carried so far.
    runs: u32,
}

/// A job's network and ownership record.
pub struct Session {
    pub state: StateFile,
    backend: Backend,
    /// On the local backend: a loopback of the job's own (see
    /// [`Local::isolated`]).
    isolated: bool,
    /// Names the job's bridge: `s<pid><letter>`.
    slot: usize,
    up: Option<NetUp>,
    /// Writes the job's run directories behind its runs, once it has one
    /// to write ([`writer`]).
    writer: Option<Writer>,
}

/// What closing a network found.
#[derive(Default)]
pub struct Closed {
    /// How long tearing it down took.
    pub teardown_ms: f64,
    /// What Mininet's own machinery printed.
    pub driver_log: Vec<String>,
    /// The teardown's error, if it failed.
    pub teardown_error: Option<String>,
    /// What had to be removed after the teardown (it should be nothing).
    pub leftovers: Vec<String>,
}

/// Why a network could not be had.
pub enum BuildError {
    /// Ctrl-C while it was being built (it was removed).
    Interrupted,
    Failed(anyhow::Error),
}

impl Session {
    /// Starts the ownership record of job `slot`.
    pub fn open(backend: Backend, slot: usize, tag: &str) -> Result<Session> {
        Ok(Session {
            state: StateFile::create(tag)?,
            backend,
            isolated: false,
            slot,
            up: None,
            writer: None,
        })
    }

    /// On the local backend, runs the job in a network namespace of its own
    /// (the calling thread moves into it when the network is built).
    pub fn isolating(mut self, isolated: bool) -> Session {
        self.isolated = isolated;
        self
    }

    /// A network for `scenario`: the one up when it fits, else a fresh one
    /// built from the topology program whose path `topo_py` gives (written
    /// on disk when asked). Returns how, and the timings of building it
    /// (none for a reused one).
    pub fn network_for(
        &mut self,
        scenario: &ValidScenario,
        topo_py: &mut dyn FnMut() -> Result<PathBuf>,
        interrupted: &AtomicBool,
    ) -> Result<(NetworkUse, Vec<Phase>), BuildError> {
        let key = topology::network_key(scenario);
        let why_fresh = match &self.up {
            None => "the job's first network".to_string(),
            Some(up) if up.key != key => {
                "the topology differs from the network that was up".to_string()
            }
            Some(up) if !up.net.alive() => "a host of the network that was up died".to_string(),
            Some(up) => match up.net.clear_sockets() {
                Ok(cleared) => {
                    let up = self.up.as_mut().expect("matched above");
                    up.runs += 1;
                    let note = reused_note(up.runs, cleared);
                    let fresh = false;
                    return Ok((NetworkUse { fresh, note }, Vec::new()));
                }
                Err(e) => format!("the previous run's sockets could not be removed ({e:#})"),
            },
        };
        if let Some(old) = self.up.take() {
            let _ = close_net(old);
        }
        let net = self.build(scenario, topo_py, interrupted)?;
        let phases = net.phases();
        self.up = Some(NetUp { net, key, runs: 1 });
        let note = format!("fresh: {why_fresh}");
        Ok((NetworkUse { fresh: true, note }, phases))
    }

    fn build(
        &mut self,
        scenario: &ValidScenario,
        topo_py: &mut dyn FnMut() -> Result<PathBuf>,
        interrupted: &AtomicBool,
    ) -> Result<Box<dyn Network>, BuildError> {
        Ok(match self.backend {
            Backend::Local if self.isolated => {
                Box::new(Local::isolated(scenario.hosts()).map_err(BuildError::Failed)?)
            }
            Backend::Local => Box::new(Local::new(scenario.hosts())),
            Backend::Mininet => {
                let switch = switch_name(std::process::id(), self.slot);
                let started = topo_py()
                    .and_then(|path| Mininet::start(&path, &switch, &mut self.state, interrupted))
                    .and_then(|mut n| n.apply_links(scenario.links()).map(|()| n));
                match started {
                    Ok(n) => Box::new(n),
                    Err(_) if interrupted.load(std::sync::atomic::Ordering::SeqCst) => {
                        return Err(BuildError::Interrupted)
                    }
                    Err(e) => {
                        return Err(BuildError::Failed(
                            e.context("the Mininet network could not be built"),
                        ))
                    }
                }
            }
        })
    }

    /// The network up, and the record the runner adds what it starts to.
    pub fn parts(&mut self) -> (&dyn Network, &mut StateFile) {
        let up = self.up.as_ref().expect("a network is had first");
        (up.net.as_ref(), &mut self.state)
    }

    /// Records the run directory being written, an absolute path (removed
    /// if the job dies before it finishes it; it may not exist yet).
    pub fn begin_run(&mut self, dir: &Path) -> Result<()> {
        self.state.state.incomplete_dir = Some(dir.to_path_buf());
        self.state.save()
    }

    /// Ends a run on the network up: its programs are gone (the runner
    /// stopped them all), so the record forgets their groups, after
    /// removing any that is, against all odds, still there.
    pub fn end_run(&mut self) -> Vec<String> {
        let leftovers = crate::orchestrator::state::remove_groups(&self.state.state);
        self.state.state.groups.clear();
        self.state.state.incomplete_dir = None;
        let _ = self.state.save();
        leftovers
    }

    /// Writes a run's directory on the job's writer thread, behind the
    /// runs; an error if an earlier one could not be written.
    pub fn write_behind(&mut self, job: Job) -> Result<()> {
        let writer = match &mut self.writer {
            Some(w) => w,
            None => self.writer.insert(Writer::start()?),
        };
        writer.submit(job)
    }

    /// Waits until every run directory given to [`Session::write_behind`]
    /// is written: the first that could not be, if any.
    pub fn flush_writes(&mut self) -> Result<()> {
        match self.writer.take() {
            Some(mut w) => w.finish(),
            None => Ok(()),
        }
    }

    /// Tears the network down (when one is up).
    pub fn close_network(&mut self) -> Closed {
        self.up.take().map(close_net).unwrap_or_default()
    }

    /// Tears the network down and removes whatever the record still names.
    pub fn close(mut self) -> Closed {
        let mut closed = self.close_network();
        closed.leftovers.extend(self.state.release());
        closed
    }
}

fn close_net(mut up: NetUp) -> Closed {
    let started = Instant::now();
    let teardown_error = up.net.teardown().err().map(|e| format!("{e:#}"));
    Closed {
        teardown_ms: ms(started.elapsed()),
        driver_log: up.net.driver_log(),
        teardown_error,
        leftovers: Vec::new(),
    }
}

fn reused_note(runs: u32, cleared: usize) -> String {
    let mut note = format!("reused: run {runs} on this network");
    if cleared > 0 {
        note.push_str(&format!(
            "; {cleared} socket{} the previous run left on the hosts removed",
            if cleared == 1 { "" } else { "s" }
        ));
    }
    note
}

/// The bridge of job `slot` of orchestrator `pid`: `s<pid>` for the first
/// job, `s<pid>b`, `s<pid>c`… for the next (a Linux interface name has at
/// most 15 bytes, and the bridge's ports add `-ethN`).
pub fn switch_name(pid: u32, slot: usize) -> String {
    match slot {
        0 => format!("s{pid}"),
        n => format!("s{pid}{}", (b'a' + (n % 26) as u8) as char),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_names_differ_per_job_and_leave_room_for_ports() {
        let names: Vec<String> = (0..8).map(|slot| switch_name(4194304, slot)).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
        for n in &names {
            assert!(format!("{n}-eth12").len() <= 15, "{n}");
        }
    }

    #[test]
    fn a_reused_network_says_what_was_removed() {
        assert_eq!(reused_note(2, 0), "reused: run 2 on this network");
        assert_eq!(
            reused_note(5, 3),
            "reused: run 5 on this network; 3 sockets the previous run left on the hosts removed"
        );
    }
}
