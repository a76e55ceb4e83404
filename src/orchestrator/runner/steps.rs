//! The scenario's steps, one method each. The server is started first and
//! awaited on its listening socket; then every step waits for the previous
//! one and for the condition that makes it meaningful (a connection in the
//! server host's TCP table, a greeting before typing).

use std::time::Duration;

use super::{RunError, Runner, WaitEnd, STEP_TIMEOUT};
use crate::orchestrator::event::{millis, EventKind};
use crate::orchestrator::scenario::{Matcher, ProcessRef, ValidStep};
use crate::orchestrator::sys::sockets_on_port;
use crate::pa3::protocol;

impl Runner<'_> {
    /// Starts the server, then carries out every step in order.
    pub(super) fn steps(&mut self) -> Result<(), RunError> {
        let server = self.start_server()?;
        // Fault injection for the teardown tests: a panic in the middle of
        // a run must still leave nothing behind.
        let panic_at = std::env::var("PA3_INJECT_PANIC_AT_STEP")
            .ok()
            .and_then(|v| v.parse::<usize>().ok());
        let mut connected = 0usize;
        let scenario = self.scenario;
        for (n, step) in scenario.steps.iter().enumerate() {
            if panic_at == Some(n) {
                panic!("PA3_INJECT_PANIC_AT_STEP={n}");
            }
            match step {
                ValidStep::Connect(c) => {
                    connected += 1;
                    self.connect(*c, connected, server)?;
                }
                ValidStep::Send(c) => self.send(*c)?,
                ValidStep::Sleep(d) => self.sleep(*d)?,
                ValidStep::WaitFor {
                    process,
                    matcher,
                    timeout,
                } => self.wait_for(*process, matcher, *timeout)?,
            }
        }
        Ok(())
    }

    /// The network namespace's pid of the server's host.
    fn server_ns(&self) -> u32 {
        self.net
            .host(&self.scenario.server.host)
            .map(|h| h.ns_pid)
            .expect("the server's host was validated")
    }

    /// Starts the server and waits until its port listens.
    fn start_server(&mut self) -> Result<usize, RunError> {
        let server = self.spawn(ProcessRef::Server)?;
        let (ns, port) = (self.server_ns(), self.port);
        let what = format!("the server to listen on port {port}");
        self.wait(&what, STEP_TIMEOUT, &mut |r| {
            if sockets_on_port(ns, port).0 > 0 {
                return Ok(true);
            }
            r.gone(server)?;
            Ok(false)
        })?;
        let addr = format!("{}:{port}", self.server_ip);
        self.step(EventKind::Listening { addr });
        Ok(server)
    }

    /// `connect: c`: starts the client and waits until the server's host
    /// has `want` established connections on its port.
    fn connect(&mut self, c: usize, want: usize, server: usize) -> Result<(), RunError> {
        let client = self.scenario.clients[c].id.clone();
        self.step(EventKind::Connecting {
            client: client.clone(),
        });
        let idx = self.spawn(ProcessRef::Client(c))?;
        let (ns, port) = (self.server_ns(), self.port);
        self.wait(
            &format!("client {client} to connect"),
            STEP_TIMEOUT,
            &mut |r| {
                if sockets_on_port(ns, port).1 >= want {
                    return Ok(true);
                }
                r.gone(idx)?;
                r.gone(server)?;
                Ok(false)
            },
        )?;
        self.step(EventKind::Connected {
            client,
            connections: want,
        });
        Ok(())
    }

    /// `send: c`: once the client has printed its greeting, types its name.
    fn send(&mut self, c: usize) -> Result<(), RunError> {
        let idx = self.proc_index(ProcessRef::Client(c));
        let client = &self.scenario.clients[c];
        let (id, name) = (client.id.clone(), client.name.clone());
        self.wait(
            &format!("client {id} to print its greeting"),
            STEP_TIMEOUT,
            &mut |r| {
                if r.printed(idx, |l| protocol::parse_greeting(l).is_some()) {
                    return Ok(true);
                }
                r.gone(idx)?;
                Ok(false)
            },
        )?;
        self.step(EventKind::Sending { client: id });
        self.type_line(idx, &name)
    }

    /// `sleep_ms`: lets time pass, taking in events meanwhile.
    fn sleep(&mut self, d: Duration) -> Result<(), RunError> {
        self.step(EventKind::Sleeping {
            ms: d.as_secs_f64() * 1e3,
        });
        match self.wait_raw(d, true, &mut |_| Ok(false)) {
            Err(WaitEnd::TimedOut) | Ok(()) => Ok(()),
            Err(WaitEnd::Interrupted) => Err(RunError::Interrupted),
            Err(WaitEnd::Impossible(why)) => Err(RunError::Impossible {
                what: format!("{} ms to pass", millis(d.as_secs_f64() * 1e3)),
                why,
            }),
        }
    }

    /// `wait_for`: until the process prints a matching line.
    fn wait_for(
        &mut self,
        process: ProcessRef,
        matcher: &Matcher,
        timeout: Duration,
    ) -> Result<(), RunError> {
        let idx = self.proc_index(process);
        let what = format!(
            "{} to print {}",
            self.scenario.process_id(process),
            matcher.describe()
        );
        self.step(EventKind::WaitingFor { what: what.clone() });
        self.wait(&what, timeout, &mut |r| {
            if r.printed(idx, |l| matcher.matches(l)) {
                return Ok(true);
            }
            let p = &r.procs[idx];
            if !p.running && p.streams_open == 0 {
                return Err(format!("{} ended", p.info.label()));
            }
            Ok(false)
        })
    }
}
