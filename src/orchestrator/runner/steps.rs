//! The scenario's steps, one method each. The server is started first and
//! awaited on its listening socket; then every step waits for the previous
//! one and for the condition that makes it meaningful (a connection in the
//! server host's TCP table, a greeting before typing).

use std::time::{Duration, Instant};

use super::process::ProcIdx;
use super::{Deadlocks, Ended, LinkError, Look, RunError, Runner, WaitEnd, STEP_TIMEOUT};
use crate::orchestrator::event::{millis, EventKind};
use crate::orchestrator::link::Conditions;
use crate::orchestrator::net::TcpCounters;
use crate::orchestrator::scenario::{ClientIdx, Matcher, ProcessRef, ValidStep};
use crate::orchestrator::sys;

/// Sleeps up to this long are one timer sleep (see [`Runner::sleep`]).
const SHORT_SLEEP: Duration = Duration::from_millis(5);
/// How long a greeted client may take to start reading its stdin before
/// it is typed into anyway.
const STDIN_WAIT: Duration = Duration::from_millis(500);
/// How long a client typed into may take to send before the next step
/// goes on anyway.
const SENT_WAIT: Duration = Duration::from_millis(100);

/// How often a `connect` step looks at the server host's counters at
/// first (see [`Look::Every`]).
const CONNECT_POLL: Duration = Duration::from_micros(250);
/// How often a wait for a listening socket looks at first: a server that
/// prints a line when it listens wakes the wait at once.
const LISTEN_POLL: Duration = Duration::from_millis(1);
/// How often a wait for a client's blocked read of its stdin looks at
/// first (cheap: a read of `/proc`; a client that prompts reads within a
/// fraction of a millisecond, and a longer wait looks less often).
const STDIN_POLL: Duration = Duration::from_micros(100);
/// How often a wait for a client typed into to send looks at first.
const SENT_POLL: Duration = Duration::from_micros(200);

/// How long a client may ask for its name, with nothing else happening,
/// before a `send` step stops waiting for its greeting and types: a
/// server that greets does so within milliseconds of the second
/// connection; one that never greets would otherwise hold the step.
const NO_GREETING_AFTER: Duration = Duration::from_millis(300);

/// [`Runner::has_connected`], asked often but answered cheaply: the server
/// host's sockets (a walk of its TCP hash table: about a millisecond in
/// the machine's own namespace) are listed again only when its TCP
/// counters moved since the last listing, or a [`super::POLL`] has passed
/// (a backend without counters: every time).
struct ConnectionWatch {
    /// When the sockets were last listed (or the watch began), and the
    /// counters read just before.
    listed: Instant,
    counters: Option<(u64, u64)>,
    /// The server host's passive opens before the client started.
    opens_before: Option<u64>,
    /// How long the last listing took: the next waits at least
    /// [`LISTING_SHARE`] times that, so that on a machine whose counters
    /// never stand still (a shared loopback: every other program's
    /// connections move them) the listings, a millisecond or more of the
    /// kernel's time each there, take a bounded share of the wait.
    cost: Duration,
}

/// The listings of a connect step take at most one part in this many of
/// its wait (see [`ConnectionWatch::cost`]).
const LISTING_SHARE: u32 = 4;

/// The counters that move when a connection is opened or established
/// (not every segment: those move all the time).
fn opens(c: Option<TcpCounters>) -> Option<(u64, u64)> {
    c.map(|c| (c.passive_opens, c.curr_estab))
}

impl From<Option<TcpCounters>> for ConnectionWatch {
    /// A watch that begins with `counters`, read before the client started:
    /// the sockets are listed once they move (or after a poll).
    fn from(counters: Option<TcpCounters>) -> ConnectionWatch {
        ConnectionWatch {
            listed: Instant::now(),
            counters: opens(counters),
            opens_before: counters.map(|c| c.passive_opens),
            cost: Duration::ZERO,
        }
    }
}

impl ConnectionWatch {
    fn connected(&mut self, r: &Runner, idx: ProcIdx, want: usize) -> bool {
        // A greeting came over a connection: no need to look further.
        if r.greeted_already(idx) {
            return true;
        }
        let counters = opens(r.net.tcp_counters(r.scenario.server().host()));
        let since = self.listed.elapsed();
        let due = (counters.is_none() || counters != self.counters || since >= super::POLL)
            && since >= self.cost * LISTING_SHARE;
        if !due {
            return false;
        }
        // The counters are read before the listing: a connection
        // established while it walks moves them again.
        (self.listed, self.counters) = (Instant::now(), counters);
        let established = r.server_established() >= want;
        self.cost = self.listed.elapsed();
        established || self.opened(r, counters)
    }

    /// Whether the server's host accepted a connection since the client
    /// started, where its counters are the run's alone: a client that
    /// needs nothing typed may connect, be answered and close between
    /// two listings (seen on a loaded machine), leaving no socket to see.
    fn opened(&self, r: &Runner, now: Option<(u64, u64)>) -> bool {
        let host = &r.scenario.server().host();
        match (self.opens_before, now) {
            (Some(before), Some((opens, _))) => opens > before && r.net.counters_are_the_runs(host),
            _ => false,
        }
    }
}

impl Runner<'_> {
    /// Starts the server, then carries out every step in order.
    pub(super) fn steps(&mut self) -> Result<(), RunError> {
        let server = self.start_server()?;
        let panic_at = fault::panic_at_step();
        let mut connected = 0usize;
        let scenario = self.scenario;
        for (n, step) in scenario.steps().iter().enumerate() {
            if panic_at == Some(n) {
                panic!("PA3_INJECT_PANIC_AT_STEP={n}");
            }
            match step {
                ValidStep::Connect(c) => {
                    connected += 1;
                    self.connect(*c, connected, server)?;
                }
                ValidStep::Send(c) => self.send(*c)?,
                ValidStep::SendTogether(cs) => self.send_together(cs)?,
                ValidStep::Sleep(d) => self.sleep(*d)?,
                ValidStep::WaitFor {
                    process,
                    matcher,
                    timeout,
                } => self.wait_for(*process, matcher, *timeout)?,
                ValidStep::Link { host, conditions } => self.link(host, *conditions)?,
            }
        }
        Ok(())
    }

    /// ` (h2's link drops 100 % of packets)`: why a connection may not
    /// come, when client `c`'s or the server's link is lossy now.
    fn lossy_note(&self, c: ClientIdx) -> String {
        let hosts = [
            self.scenario.client(c).host(),
            self.scenario.server().host(),
        ];
        let lossy: Vec<String> = self
            .links_now
            .iter()
            .filter(|(h, cond)| hosts.contains(&h.as_str()) && cond.loss_pct > 0.0)
            .map(|(h, cond)| {
                format!(
                    "{h}'s link drops {} % of packets",
                    crate::orchestrator::link::fmt_num(cond.loss_pct)
                )
            })
            .collect();
        if lossy.is_empty() {
            String::new()
        } else {
            format!(" ({})", lossy.join("; "))
        }
    }

    /// `link: { host, … }`: the host's link changes now.
    fn link(&mut self, host: &str, conditions: Conditions) -> Result<(), RunError> {
        let since_ms = self.now_ms();
        self.net
            .set_link(host, conditions, since_ms)
            .map_err(LinkError::NotSet)?;
        if let Some(now) = self.links_now.iter_mut().find(|(h, _)| h == host) {
            now.1 = conditions;
        }
        self.step(EventKind::LinkChanged {
            host: host.to_string(),
            conditions,
        });
        Ok(())
    }

    /// Starts the server and waits until its port listens — on an adapted
    /// network (`server.adapt_network`), until it listens anywhere; the
    /// run's port is then the one it chose, and the clients' connections
    /// are routed to it.
    fn start_server(&mut self) -> Result<ProcIdx, RunError> {
        let adapt = self.scenario.server().adapt_network();
        if adapt {
            self.prepare_server_host();
        }
        let server = self.spawn(ProcessRef::Server)?;
        let port = self.port;
        let what = if adapt {
            "the server to listen".to_string()
        } else {
            format!("the server to listen on port {port}")
        };
        let mut found = None;
        self.wait(&what, STEP_TIMEOUT, Look::Every(LISTEN_POLL), &mut |r| {
            if adapt {
                found = r.server_listener(server);
                if found.is_some() {
                    return Ok(true);
                }
            } else if r.net.listening(r.scenario.server().host(), port) > 0 {
                return Ok(true);
            }
            r.gone(server)?;
            Ok(false)
        })?;
        match found {
            Some(listener) => {
                self.port = listener.local.port();
                let addr = listener.local.to_string();
                self.step(EventKind::Listening { addr });
                self.route_to_server(listener.local);
            }
            None => {
                let addr = format!("{}:{port}", self.server_ip);
                self.step(EventKind::Listening { addr });
            }
        }
        Ok(server)
    }

    /// `connect: c`: starts the client and waits until the server's host
    /// has `want` established connections on its port.
    fn connect(&mut self, c: ClientIdx, want: usize, server: ProcIdx) -> Result<(), RunError> {
        let client = self.scenario.client(c).id().to_string();
        if want >= 2 {
            self.note_read_early(&client);
        }
        self.step(EventKind::Connecting {
            client: client.clone(),
        });
        // Counted before the client starts: it cannot have connected yet,
        // and its connection moves them.
        let mut watch = ConnectionWatch::from(self.net.tcp_counters(self.scenario.server().host()));
        let idx = self.spawn(ProcessRef::Client(c))?;
        let what = format!("client {client} to connect{}", self.lossy_note(c));
        // The counters are cheap to look at: look often.
        let look = Look::Every(CONNECT_POLL);
        let mut seen = false;
        let connected = loop {
            let waited = self.wait(&what, STEP_TIMEOUT, look, &mut |r| {
                if watch.connected(r, idx, want) {
                    seen = true;
                    return Ok(true);
                }
                r.gone(idx)?;
                r.gone(server)?;
                // A client that asks for its name before it connects.
                Ok(!r.procs[idx].name_typed && r.reads_stdin(idx))
            });
            if let Err(e) = waited {
                break Err(e);
            }
            if seen || self.has_connected(idx, want) {
                break Ok(());
            }
            if let Err(e) = self.type_name(c, idx) {
                break Err(e);
            }
        };
        connected?;
        self.step(EventKind::Connected {
            client,
            connections: want,
        });
        Ok(())
    }

    /// Whether the server's host has `want` connections on its port — or
    /// client `idx` printed a greeting, which it can only have been sent
    /// over a connection: a pair that needs nothing typed may finish its
    /// whole round (and the server close every connection) between two
    /// looks at the sockets.
    fn has_connected(&self, idx: ProcIdx, want: usize) -> bool {
        self.server_established() >= want || self.greeted_already(idx)
    }

    /// How many connections the server's host has established on the
    /// run's port.
    fn server_established(&self) -> usize {
        self.net
            .established(self.scenario.server().host(), self.port)
    }

    /// Whether client `idx` printed a greeting already.
    fn greeted_already(&self, idx: ProcIdx) -> bool {
        self.procs[idx].greeted
    }

    /// Types client `c`'s name (once), announced by a `sending` step.
    fn type_name(&mut self, c: ClientIdx, idx: ProcIdx) -> Result<(), RunError> {
        let client = self.scenario.client(c);
        let (id, name) = (client.id().to_string(), client.name().to_string());
        self.step(EventKind::Sending { client: id });
        self.procs[idx].name_typed = true;
        self.type_line(idx, &name)
    }

    /// Waits until client `c` has printed its greeting — or asks for its
    /// name while nothing else happens (its server sends no greeting, or
    /// it does not wait for one): gives its index.
    fn greeted(&mut self, c: ClientIdx) -> Result<ProcIdx, RunError> {
        let idx = self.proc_index(ProcessRef::Client(c));
        let id = self.scenario.client(c).id().to_string();
        let mut asked: Option<Instant> = None;
        // Whether it asks for its name is the kernel's state.
        self.wait(
            &format!("client {id} to print its greeting"),
            STEP_TIMEOUT,
            Look::Every(super::POLL),
            &mut |r| {
                // Greeted, or an eager client typed into meanwhile.
                if r.procs[idx].name_typed || r.greeted_already(idx) {
                    return Ok(true);
                }
                r.gone(idx)?;
                if !r.reads_stdin(idx) {
                    asked = None;
                    return Ok(false);
                }
                let since = *asked.get_or_insert_with(Instant::now);
                let quiet = r.events.last().map_or(0.0, |e| r.now_ms() - e.t_ms);
                Ok(since.elapsed() >= NO_GREETING_AFTER
                    && quiet >= NO_GREETING_AFTER.as_secs_f64() * 1e3)
            },
        )?;
        if asked.is_some() && !self.greeted_already(idx) {
            let waited_ms = NO_GREETING_AFTER.as_secs_f64() * 1e3;
            self.step(EventKind::NoGreeting {
                client: id,
                waited_ms,
            });
        }
        Ok(idx)
    }

    /// Types the name of every `eager` client that asks for it now.
    pub(super) fn type_eager(&mut self) {
        let scenario = self.scenario;
        for (c, client) in scenario.indexed_clients() {
            if !client.eager() {
                continue;
            }
            let id = client.id();
            let Some(idx) = self.procs.iter().position(|p| p.info.id == id).map(ProcIdx) else {
                continue;
            };
            if !self.procs[idx].name_typed && self.reads_stdin(idx) {
                // A client that closed its stdin meanwhile: nothing to type.
                let _ = self.type_name(c, idx);
            }
        }
    }

    /// Before client `next` is started: the connections whose bytes the
    /// server has already read (received some, none left unread) — a
    /// message received before both clients were connected.
    fn note_read_early(&mut self, next: &str) {
        let server_host = self.scenario.server().host().to_string();
        let port = self.port;
        let read: Vec<_> = self
            .net
            .connections_read(&server_host)
            .into_iter()
            .filter(|s| s.local.port() == port && s.unread == 0)
            .filter_map(|s| Some((s.remote, s.received.filter(|&b| b > 0)?)))
            .collect();
        for (remote, bytes) in read {
            let client = self.client_at(remote).unwrap_or_else(|| remote.to_string());
            self.step(EventKind::ReadEarly {
                client,
                before: next.to_string(),
                bytes,
            });
        }
    }

    /// The started client whose connection comes from `remote`: by the
    /// port of one of its own sockets, else by its host's address.
    fn client_at(&self, remote: std::net::SocketAddr) -> Option<String> {
        let started = || {
            self.procs
                .iter()
                .filter(|p| p.info.role == crate::orchestrator::record::Role::Client)
        };
        for p in started() {
            let inodes = p
                .group
                .map(|g| sys::socket_inodes(g.pid))
                .unwrap_or_default();
            let ours = self
                .net
                .connections_read(&p.info.host)
                .into_iter()
                .any(|s| inodes.contains(&s.inode) && s.local.port() == remote.port());
            if ours {
                return Some(p.info.id.clone());
            }
        }
        let mut by_host = started().filter(|p| {
            self.net
                .host(&p.info.host)
                .is_some_and(|h| h.ip == remote.ip())
        });
        match (by_host.next(), by_host.next()) {
            (Some(p), None) => Some(p.info.id.clone()),
            _ => None,
        }
    }

    /// Waits, a little, until client `idx` reads its stdin: a program that
    /// prompts first is typed into once it waits (so that what it printed
    /// comes before what was typed); one that never seems to wait (it
    /// polls its stdin, say) is typed into anyway.
    fn until_it_reads(&mut self, idx: ProcIdx) -> Result<(), RunError> {
        let what = format!("{} to read its stdin", self.procs[idx].info.label());
        // A blocked read is seen by looking: look often, it is cheap.
        let waited = self.wait(&what, STDIN_WAIT, Look::Every(STDIN_POLL), &mut |r| {
            r.gone(idx)?;
            Ok(r.reads_stdin(idx))
        });
        match waited {
            Err(RunError::TimedOut { .. }) => Ok(()),
            other => other,
        }
    }

    /// `send: c`: once the client has printed its greeting and waits for
    /// its stdin, types its name — unless it asked for it before it even
    /// connected (then it sends when it is greeted, and nothing is typed).
    fn send(&mut self, c: ClientIdx) -> Result<(), RunError> {
        // An eager client's name was typed the moment it asked.
        let started = self.proc_index(ProcessRef::Client(c));
        if self.procs[started].name_typed {
            return Ok(());
        }
        let idx = self.greeted(c)?;
        if self.procs[idx].name_typed {
            return Ok(());
        }
        self.until_it_reads(idx)?;
        self.type_name(c, idx)?;
        self.until_it_sent(idx)
    }

    /// Waits, a little, until client `idx`, typed into, has sent: it is
    /// blocked elsewhere than on its stdin (on the reply, as a rule). A
    /// step after a send then starts from the message's departure, not
    /// from the typing: a gap of 0.2 ms between two sends is 0.2 ms
    /// between the messages even when the first client is woken late on a
    /// busy machine. One that never settles (it spins) is waited for a
    /// little only.
    fn until_it_sent(&mut self, idx: ProcIdx) -> Result<(), RunError> {
        if self.settled_off_stdin(idx) {
            return Ok(());
        }
        let what = format!("{} to send", self.procs[idx].info.label());
        let waited = self.wait(&what, SENT_WAIT, Look::Every(SENT_POLL), &mut |r| {
            Ok(r.settled_off_stdin(idx))
        });
        match waited {
            Err(RunError::TimedOut { .. }) => Ok(()),
            other => other,
        }
    }

    /// `send: [a, b]`: once both have been greeted and wait for their
    /// stdin, types both names back to back, so that the messages leave
    /// microseconds apart.
    fn send_together(&mut self, clients: &[ClientIdx]) -> Result<(), RunError> {
        let mut ready = Vec::new();
        for &c in clients {
            if self.procs[self.proc_index(ProcessRef::Client(c))].name_typed {
                continue;
            }
            let idx = self.greeted(c)?;
            if !self.procs[idx].name_typed {
                self.until_it_reads(idx)?;
                ready.push((c, idx));
            }
        }
        for &(c, _) in &ready {
            self.step(EventKind::Sending {
                client: self.scenario.client(c).id().to_string(),
            });
        }
        for &(c, idx) in &ready {
            self.procs[idx].name_typed = true;
            let name = self.scenario.client(c).name().to_string();
            self.type_line(idx, &name)?;
        }
        Ok(())
    }

    /// `sleep_ms`: lets time pass, taking in events meanwhile.
    fn sleep(&mut self, d: Duration) -> Result<(), RunError> {
        let started = Instant::now();
        self.step(EventKind::Sleeping {
            ms: d.as_secs_f64() * 1e3,
        });
        if d <= SHORT_SLEEP {
            // A gap between two sends, meant to the microsecond: one timer
            // sleep, without taking in events (the next wait does).
            std::thread::sleep(d.saturating_sub(started.elapsed()));
            self.work.wakeups += 1;
            return Ok(());
        }
        let what = format!("{} ms to pass", millis(d.as_secs_f64() * 1e3));
        let waited = self.wait_raw(
            d,
            Some(&|_| what.clone()),
            Deadlocks::Ignore,
            Look::OnEvents,
            &mut |_| Ok(false),
        );
        match waited {
            Err(WaitEnd::TimedOut) | Ok(()) | Err(WaitEnd::Deadlock(_)) => Ok(()),
            Err(WaitEnd::Interrupted) => Err(RunError::Interrupted),
            Err(WaitEnd::LinkFailed(why)) => Err(LinkError::Failed(why).into()),
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
        // Only the lines not yet looked at are looked at.
        let mut seen = 0;
        self.wait(&what, timeout, Look::OnEvents, &mut |r| {
            if r.printed_since(seen, idx, |l| matcher.matches(l)) {
                return Ok(true);
            }
            seen = r.events.len();
            let p = &r.procs[idx];
            if !p.running && p.streams_open == 0 {
                return Err(Ended {
                    program: p.info.label(),
                    how: "ended".into(),
                });
            }
            Ok(false)
        })
    }
}

/// Fault injection for the teardown tests: a panic in the middle of a run
/// must still leave nothing behind. Only in builds with the
/// `fault-injection` feature (what `cargo test` builds); the product never
/// reads the variable.
mod fault {
    /// The step before which to panic: `PA3_INJECT_PANIC_AT_STEP`.
    #[cfg(feature = "fault-injection")]
    pub fn panic_at_step() -> Option<usize> {
        std::env::var("PA3_INJECT_PANIC_AT_STEP")
            .ok()
            .and_then(|v| v.parse().ok())
    }

    #[cfg(not(feature = "fault-injection"))]
    pub fn panic_at_step() -> Option<usize> {
        None
    }
}
