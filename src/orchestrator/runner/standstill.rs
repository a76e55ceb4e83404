//! A run in which nothing can happen any more: every program waits with no
//! end in sight (in a system call without a timeout: `recv`, `accept`, a
//! thread join), none of them for a line the runner is about to type, no
//! line was printed and not a TCP segment moved on any host for
//! [`STANDSTILL_AFTER`]. A server that waits for its clients to close
//! first while they wait for its reply is the classic case. Such a run is
//! ended at once and reported as a deadlock naming who waits for what,
//! instead of waiting out the scenario's timeout; grading does not run it
//! again (its timing cannot change it).
//!
//! A program that sleeps (`time.sleep`), polls with a timeout or spins is
//! never at a standstill: it may still act on its own.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Runner;
use crate::orchestrator::net::TcpCounters;
use crate::orchestrator::record::Role;
use crate::orchestrator::sys::{self, Wait};

/// How long nothing may move before a run is at a standstill.
pub const STANDSTILL_AFTER: Duration = Duration::from_secs(1);

/// How often the programs' system calls are looked at (a few reads of
/// `/proc` per thread).
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// What a wait remembers of the run, to tell when it stopped moving.
pub(super) struct Standstill {
    /// Since when nothing moved.
    since: Instant,
    looked: Instant,
    /// How many events there were, and what moved on the network: taken
    /// at the first look, not when the wait starts, so that the many short
    /// waits of a run (most end within milliseconds) never pay for
    /// listing the programs' sockets.
    events: usize,
    motion: Option<Vec<u64>>,
    /// The bound: [`STANDSTILL_AFTER`], longer on a link that holds
    /// packets (a delayed segment is in flight, not lost).
    after: Duration,
}

/// The longest a link of the scenario holds a packet (delay + jitter, ms,
/// at its start or after a `link:` step), and whether any drops packets.
fn held_at_most(s: &crate::orchestrator::scenario::ValidScenario) -> (f64, bool) {
    use crate::orchestrator::scenario::ValidStep;
    let stepped = s.steps().iter().filter_map(|step| match step {
        ValidStep::Link { conditions, .. } => Some(*conditions),
        _ => None,
    });
    let all: Vec<_> = s
        .links()
        .hosts
        .iter()
        .map(|l| l.conditions)
        .chain(stepped)
        .collect();
    let delay = all
        .iter()
        .map(|c| c.delay_ms + c.jitter_ms)
        .fold(0.0, f64::max);
    (delay, all.iter().any(|c| c.loss_pct > 0.0))
}

impl Standstill {
    pub(super) fn new(r: &Runner) -> Standstill {
        let (delay_ms, lossy) = held_at_most(r.scenario);
        // A lossy link waits for TCP's retransmissions (a lost SYN is sent
        // again after 1 s, then 2 s, then 4 s): that is not a standstill.
        let retransmissions = if lossy {
            Duration::from_secs(8)
        } else {
            Duration::ZERO
        };
        Standstill {
            since: Instant::now(),
            looked: Instant::now(),
            events: r.events.len(),
            motion: None,
            after: STANDSTILL_AFTER
                + Duration::from_secs_f64(delay_ms * 4.0 / 1000.0)
                + retransmissions,
        }
    }

    /// When [`Standstill::check`] next looks.
    pub(super) fn next_look(&self) -> Instant {
        self.looked + LOOK_EVERY
    }

    /// Who waits for what, once the run has been at a standstill for the
    /// bound; `None` while anything moves (looked at every [`LOOK_EVERY`]).
    pub(super) fn check(&mut self, r: &Runner) -> Option<String> {
        let now = Instant::now();
        if now - self.looked < LOOK_EVERY {
            return None;
        }
        self.looked = now;
        // The cheap looks first: a line printed, a segment sent.
        let motion = Some(motion(r));
        let moved = r.events.len() != self.events || motion != self.motion;
        let waits = if moved { None } else { waits(r) };
        match waits {
            Some(w) if now - self.since >= self.after => Some(w.join("; ")),
            Some(_) => None,
            None => {
                (self.since, self.events, self.motion) = (now, r.events.len(), motion);
                None
            }
        }
    }
}

/// What has moved so far: the bytes read from the programs' output (a
/// program blocked writing to a pipe we are draining is printing, not
/// stuck), and on the network the segments each connection of the run's
/// own programs sent and received — so that other traffic on a shared
/// loopback is no motion — or, where their sockets cannot be told (their
/// descriptors unreadable), every host's TCP counters.
fn motion(r: &Runner) -> Vec<u64> {
    let printed = r.procs.iter().map(|p| p.io.read.load(Ordering::Relaxed));
    printed.chain(network_motion(r)).collect()
}

fn network_motion(r: &Runner) -> Vec<u64> {
    let s = r.scenario;
    let mut hosts: Vec<&str> = std::iter::once(s.server().host())
        .chain(s.clients().iter().map(|c| c.host()))
        .collect();
    hosts.dedup();
    let ours: Vec<u64> = r
        .procs
        .iter()
        .filter(|p| p.running)
        .filter_map(|p| p.group)
        .flat_map(|g| sys::socket_inodes(g.pid))
        .collect();
    if ours.is_empty() {
        return hosts
            .iter()
            .map(|h| r.net.tcp_counters(h).map_or(0, |c: TcpCounters| c.segments))
            .collect();
    }
    let mut seen: Vec<(u64, u64)> = hosts
        .iter()
        .flat_map(|h| r.net.connections_read(h))
        .filter(|c| ours.contains(&c.inode))
        .map(|c| (c.inode, c.segments.unwrap_or(0)))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.into_iter().flat_map(|(i, n)| [i, n]).collect()
}

/// What each running program waits for (`h1 server waits for a
/// connection (accept)`), when every one waits with no end and none waits
/// for a line still to be typed; `None` otherwise.
fn waits(r: &Runner) -> Option<Vec<String>> {
    let clients_running = r
        .procs
        .iter()
        .any(|p| p.running && p.info.role == Role::Client);
    if r.scenario.server().keeps_running() && !clients_running {
        // A server that serves for ever once its clients have ended, as
        // the scenario allows: not a deadlock (see `wait_all_exit`).
        return None;
    }
    let mut out = Vec::new();
    for p in r.procs.iter().filter(|p| p.running) {
        let mut w = sys::waits_for_ever(p.group?.pid)?;
        if w.contains(&Wait::Stdin) && !p.name_typed {
            return None;
        }
        w.sort_by_key(|w| w.describe());
        w.dedup();
        let said: Vec<&str> = w.iter().map(|w| w.describe()).collect();
        out.push(format!("{} {}", p.info.label(), said.join(" and ")));
    }
    (!out.is_empty()).then_some(out)
}
