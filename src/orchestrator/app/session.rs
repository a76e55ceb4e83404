//! What a run owns while it runs: its ownership record (the state file,
//! written as things are created) and its network. [`Session::close`] tears
//! the network down and removes whatever is still recorded, and says what
//! it had to remove; on any other path (an error, a panic) `Drop` does the
//! same, so nothing is left behind however a run ends.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

use super::INTERRUPTED;
use crate::orchestrator::event::ms;
use crate::orchestrator::net::{local::Local, mininet::Mininet, Backend, Network};
use crate::orchestrator::record::Phase;
use crate::orchestrator::scenario::ValidScenario;
use crate::orchestrator::state::StateFile;

/// A run's network and ownership record.
pub(super) struct Session {
    pub state: StateFile,
    net: Option<Box<dyn Network>>,
}

/// What closing a session found.
pub(super) struct Closed {
    /// Timings of bringing the network up (import, build, start).
    pub phases: Vec<Phase>,
    /// How long tearing it down took.
    pub teardown_ms: f64,
    /// What Mininet's own machinery printed.
    pub driver_log: Vec<String>,
    /// The teardown's error, if it failed.
    pub teardown_error: Option<String>,
    /// What had to be removed after the teardown (it should be nothing).
    pub leftovers: Vec<String>,
}

/// Why a network could not be built.
pub(super) enum BuildError {
    /// Ctrl-C while it was being built (it was removed).
    Interrupted,
    Failed(anyhow::Error),
}

impl Session {
    /// Starts the ownership record of a run; `results_dir` is the run
    /// directory being written, removed if the run dies before finishing it.
    pub fn open(tag: &str, results_dir: Option<&Path>) -> Result<Session> {
        let mut state = StateFile::create(tag)?;
        state.state.incomplete_dir =
            results_dir.map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()));
        state.save()?;
        Ok(Session { state, net: None })
    }

    /// Builds the scenario's network on `backend` from the topology program
    /// at `topo_py` (Mininet only).
    pub fn build(
        &mut self,
        backend: Backend,
        scenario: &ValidScenario,
        topo_py: &Path,
    ) -> Result<(), BuildError> {
        let net: Box<dyn Network> = match backend {
            Backend::Local => Box::new(Local::new(&scenario.hosts)),
            Backend::Mininet => {
                let switch = format!("s{}", std::process::id());
                match Mininet::start(topo_py, &switch, &mut self.state, &INTERRUPTED) {
                    Ok(n) => Box::new(n),
                    Err(_) if super::interrupted() => return Err(BuildError::Interrupted),
                    Err(e) => {
                        return Err(BuildError::Failed(
                            e.context("the Mininet network could not be built"),
                        ))
                    }
                }
            }
        };
        self.net = Some(net);
        Ok(())
    }

    /// The network built, and the record the runner adds what it starts to.
    pub fn parts(&mut self) -> (&dyn Network, &mut StateFile) {
        let net = self.net.as_deref().expect("the network is built first");
        (net, &mut self.state)
    }

    /// Tears the network down and removes whatever the record still names.
    pub fn close(mut self) -> Closed {
        let mut closed = Closed {
            phases: Vec::new(),
            teardown_ms: 0.0,
            driver_log: Vec::new(),
            teardown_error: None,
            leftovers: Vec::new(),
        };
        if let Some(mut net) = self.net.take() {
            let started = Instant::now();
            closed.teardown_error = net.teardown().err().map(|e| format!("{e:#}"));
            closed.teardown_ms = ms(started.elapsed());
            closed.driver_log = net.driver_log();
            closed.phases = net
                .phases()
                .into_iter()
                .filter(|p| p.name != "teardown")
                .collect();
        }
        // The run directory is the caller's to finish (or RunDir's Drop removes it).
        self.state.state.incomplete_dir = None;
        closed.leftovers = self.state.release();
        closed
    }
}
