//! `--pcap`: tcpdump on the server's host, capturing the server port into
//! the run directory. It is not a participant: its output goes to the
//! capture log, not to the event stream, and it is stopped (SIGTERM, so it
//! writes out what it holds) after the programs.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Runner, RUN_ID_VAR};
use crate::orchestrator::event::EventKind;
use crate::orchestrator::sys::{self, ProcId};

/// The capture process (tcpdump).
pub(super) struct Capture {
    group: Option<ProcId>,
    handle: duct::Handle,
    log: Arc<Mutex<Vec<String>>>,
}

/// How long tcpdump may take to say it is listening.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(5);

impl Runner<'_> {
    /// Starts tcpdump on the server host's interface; `None` (and a step
    /// event saying why) when it cannot start.
    pub(super) fn start_capture(&mut self, path: &Path) -> Option<Capture> {
        let host = self.net.host(self.scenario.server().host())?.clone();
        let argv = tcpdump_argv(&host.intf, path, self.port);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (in_r, _in_w) = os_pipe::pipe().ok()?;
        let (err_r, err_w) = os_pipe::pipe().ok()?;
        let expr = duct::cmd(&argv[0], &argv[1..])
            .stdin_file(in_r)
            .stdout_null()
            .stderr_file(err_w)
            .env(RUN_ID_VAR, &self.mark)
            .unchecked();
        let expr = sys::in_own_group(expr);
        let started = match self.net.netns(&host.name) {
            Ok(netns) => sys::start_in(netns, &expr),
            Err(why) => Err(std::io::Error::other(why)),
        };
        let handle = match started {
            Ok(h) => h,
            Err(e) => {
                let why = format!("tcpdump not started: {e}");
                self.step(EventKind::CaptureFailed { why });
                return None;
            }
        };
        drop(expr);
        let group = handle.pids().first().copied().and_then(ProcId::of);
        if let Some(leader) = group {
            self.state.add_group(leader);
        }
        let ready_rx = follow_log(err_r, Arc::clone(&log));
        if ready_rx.recv_timeout(LISTEN_TIMEOUT).is_err() {
            let why = format!(
                "tcpdump did not start listening within {} s",
                LISTEN_TIMEOUT.as_secs()
            );
            self.step(EventKind::CaptureFailed { why });
        } else {
            self.step(EventKind::CaptureStarted {
                port: self.port,
                intf: host.intf,
            });
        }
        Some(Capture { group, handle, log })
    }

    /// Stops tcpdump; returns what it printed.
    pub(super) fn stop_capture(&mut self, c: Capture) -> Vec<String> {
        if let Some(g) = c.group {
            // tcpdump writes out what it holds on SIGTERM.
            sys::stop_group(g, &self.mark, Duration::from_secs(2));
        }
        let _ = c.handle.wait();
        let lines = c.log.lock().expect("capture log").clone();
        lines
    }
}

/// tcpdump capturing TCP `port` on `intf` into `path`.
fn tcpdump_argv(intf: &str, path: &Path, port: u16) -> Vec<String> {
    vec![
        "tcpdump".to_string(),
        "-i".into(),
        intf.to_string(),
        "-U".into(),
        // Without it a short run captures nothing.
        "--immediate-mode".into(),
        "-n".into(),
        "-w".into(),
        path.to_string_lossy().to_string(),
        "tcp".into(),
        "port".into(),
        port.to_string(),
    ]
}

/// Reads tcpdump's stderr (`err`) into `log` until it closes; the
/// receiver hears when tcpdump says it is listening.
fn follow_log(err: os_pipe::PipeReader, log: Arc<Mutex<Vec<String>>>) -> mpsc::Receiver<()> {
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if line.contains("listening on") {
                let _ = ready_tx.send(());
            }
            log.lock().expect("capture log").push(line);
        }
    });
    ready_rx
}
