//! Carries out a scenario's steps on a network: starts the server and the
//! clients through duct (each in its own process group), reads every line
//! they print with a monotonic timestamp into one stream of typed
//! [`Event`]s, types into their stdin at the scripted moments, and waits on
//! events — a listening socket, an established connection, a greeting line —
//! never on guesses.
//!
//! Connections are observed in the server host's own TCP table
//! (`/proc/PID/net/tcp` of a process in that namespace), so `connect: a`
//! works the same for our server and for any program a scenario runs
//! instead of it. The runner records; it never judges
//! ([`crate::orchestrator::check`] does) and never formats reports
//! ([`crate::orchestrator::report`] does).
//!
//! How it waits: the process's one [`poller`] thread sends every line,
//! end of output and exit of the run's programs to the run's channel, and
//! a wait sleeps on it until its next timer. A condition on what the
//! programs report is looked at only when a report comes
//! ([`Look::OnEvents`]); one on the kernel's state, which reports nothing
//! (a listening socket, a blocked read), is looked at every so often, less
//! often the longer it waits ([`Look::Every`]). The record counts the
//! wake-ups (`runner.wakeups`).
//!
//! By role:
//! - this file: what a run is given and gives back, and the event loop
//!   (taking in what the programs report, waiting on conditions);
//! - [`steps`]: the scenario's steps (`connect`, `send`, `sleep_ms`, `wait_for`);
//! - [`process`]: starting a program with piped streams;
//! - [`poller`]: the one thread reading every program's output and seeing
//!   its exit; [`lines`]: that output made lines, dated and capped;
//! - [`stop`]: stopping every program and whatever it left behind;
//! - [`capture`]: tcpdump on the server's host.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::orchestrator::event::{ms, Event, EventKind, ExitInfo, ORCHESTRATOR};
use crate::orchestrator::link::LinksRecord;
use crate::orchestrator::net::{LinkFailure, Network};
use crate::orchestrator::record::{Limits, ProcessInfo, Role, RunnerWork};
use crate::orchestrator::scenario::{ProcessRef, ValidScenario};
use crate::orchestrator::state::{self, StateFile};
use crate::orchestrator::sys;

mod adapt;
mod capture;
mod lines;
mod poller;
mod process;
mod standstill;
mod steps;
mod stop;

use process::{Msg, Proc, ProcIdx};

/// How long the server may take to listen, and a client to connect or be greeted.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// Lines kept per process and stream; the rest are counted, not stored.
pub const MAX_LINES: usize = 20_000;
/// Bytes kept per line; the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 4096;
/// Bytes of lines kept per process and stream: with [`MAX_LINES`] this
/// bounds memory however the output is shaped (20 000 lines of 4 KiB alone
/// would be 80 MiB per stream). Lines past either cap are counted, not stored.
pub const MAX_KEPT_BYTES: usize = 1 << 20;
/// Environment variable set on every program a run starts: `PID-START` of
/// the orchestrator that owns it (read back by [`sys::group_members`]).
pub use crate::orchestrator::sys::RUN_ID_VAR;
/// Appended to a line that was longer than [`MAX_LINE_BYTES`].
pub const CUT_MARK: &str = " […cut: the line was longer than 4096 bytes]";
/// Grace between SIGTERM and SIGKILL when the orchestrator stops a program.
pub const KILL_GRACE: Duration = Duration::from_secs(1);
/// The bounds above, as a run's record carries them (the checks quote them).
pub const LIMITS: Limits = Limits {
    max_lines: MAX_LINES,
    max_kept_bytes: MAX_KEPT_BYTES,
    kill_grace_ms: KILL_GRACE.as_millis() as u64,
};
/// How long live output is held back so that lines read by different
/// threads reach the terminal in the order they happened.
const REORDER_WINDOW: Duration = Duration::from_millis(30);
/// The longest a wait on the kernel's state ([`Look::Every`]) goes
/// between two looks, however long it has waited.
const POLL: Duration = Duration::from_millis(5);
/// How often a step's wait looks at what reports nothing by itself even
/// when it waits on events only: Ctrl-C, the link engine's health.
const HEARTBEAT: Duration = Duration::from_millis(50);

/// How long a server that may keep running (`server.keeps_running`) is
/// given to end on its own after the clients have ended.
pub const SERVER_GRACE: Duration = Duration::from_secs(1);

/// A wait longer than this says what it is waiting for (once), so that a
/// hung program does not keep a person waiting in silence.
const NOTICE_AFTER: Duration = Duration::from_secs(2);

/// Where live output goes while a run goes on.
pub trait Console {
    /// `label` names the program (`h1 server`) or is `orchestrator`.
    fn event(&self, label: &str, event: &Event);
}

/// What the runner needs besides the scenario and the network.
pub struct RunOptions<'a> {
    /// Directory holding our `server` and `client` binaries.
    pub bin_dir: PathBuf,
    /// Working directory of the programs (the scenario file's directory).
    pub cwd: PathBuf,
    /// Write a packet capture of the server port here.
    pub capture: Option<PathBuf>,
    pub console: &'a dyn Console,
    pub interrupted: &'a AtomicBool,
    /// When the run started (before the network was built): event times
    /// count from here, so they line up with the run's phases.
    pub t0: Instant,
    /// Runs every program a scenario names in its `cmd` (not ours) through
    /// this wrapper: grading passes its sandbox, so that untrusted code (a
    /// student's) never runs as root.
    pub wrap: Option<&'a dyn Wrap>,
}

/// What runs anyone else's program (a scenario's `cmd` that is not ours)
/// inside something: grading's sandbox (`sandbox::PreparedCopy`, which the
/// batch layer implements this for). The runner knows only this.
pub trait Wrap {
    /// The argv that runs program `id` of the run (`argv` as the scenario
    /// has it) wrapped, or why it cannot be.
    fn wrap_program(&self, id: &str, argv: Vec<String>) -> anyhow::Result<Vec<String>>;
}

/// Why a scenario could not be carried out to its end.
///
/// Its `Display` says this run's part; the cause (why a program could not
/// start, what failed in a link) is its `source()`: the record keeps it
/// all, said by [`with_causes`].
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Ctrl-C, SIGTERM or SIGHUP.
    #[error("interrupted")]
    Interrupted,
    /// A condition that can no longer hold (the program it waited on ended).
    #[error("waited for {what}, but {why}")]
    Impossible { what: String, why: Ended },
    /// A step's own bound ran out.
    #[error("waited {waited_s:.1} s for {what}; it did not happen")]
    TimedOut { what: String, waited_s: f64 },
    /// The scenario's `timeout_s` ran out during a step.
    #[error("waited for {what}, but the scenario's timeout ({timeout:?}) ran out")]
    ScenarioTimeout { what: String, timeout: Duration },
    /// Every program waits for another and nothing moved (see
    /// [`standstill`]): `who` says who waits for what.
    #[error("waited for {what}, but the run is deadlocked: nothing moved for {after_s:.1} s and every program waits with no end: {who}")]
    Deadlock {
        what: String,
        who: String,
        after_s: f64,
    },
    /// A program could not be started at all.
    #[error("cannot start {program} ({command})")]
    CannotStart {
        program: String,
        command: String,
        #[source]
        source: StartError,
    },
    /// Typing into a program's stdin failed (it closed it, or ended).
    #[error("cannot type into {program}")]
    CannotType {
        program: String,
        #[source]
        source: TypeError,
    },
    /// The links could not be set, or their engine failed (a delayer that
    /// died): the network is not the one the scenario asked for.
    #[error(transparent)]
    Link(#[from] LinkError),
}

/// A program a wait depended on has ended: the condition can no longer
/// hold. `how`: as [`ExitInfo::describe`] says it (`exited with code 1`).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{program} {how}")]
pub struct Ended {
    pub program: String,
    pub how: String,
}

/// Why a program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Its wrapper ([`Wrap`]: the sandbox) refused it.
    #[error(transparent)]
    Wrap(anyhow::Error),
    /// Its host is not one of the network's.
    #[error(transparent)]
    Host(#[from] crate::orchestrator::net::NoSuchHost),
    /// The system could not start it (no such program, not executable).
    #[error(transparent)]
    Spawn(#[from] std::io::Error),
}

/// Why a line could not be typed into a program.
#[derive(Debug, thiserror::Error)]
pub enum TypeError {
    #[error("its stdin is already closed")]
    StdinClosed,
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

/// Why a run's links are not the ones its scenario asked for.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A delayer stopped.
    #[error(transparent)]
    Failed(#[from] LinkFailure),
    /// The network could not set a link (at the run's start or a `link:`
    /// step): what it said, with its context.
    #[error(transparent)]
    NotSet(anyhow::Error),
}

/// An error and its causes in one line, as anyhow's `{:#}` shows them
/// (`on h2: cannot run nft -f -: No such file or directory`): what an
/// event or a record keeps of a typed error, whose `Display` says only
/// its own part.
pub fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    anyhow::Chain::new(error)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// What the runner recorded of a run (the checks judge it, the batch
/// layer makes it a record).
pub struct Recording {
    pub processes: Vec<ProcessInfo>,
    /// Every event, in time order.
    pub events: Vec<Event>,
    /// The step that could not be carried out, and why.
    pub error: Option<RunError>,
    /// Wall time of the scenario itself (first start to last exit).
    pub scenario_ms: f64,
    /// The capture's own output (tcpdump's messages), when capturing.
    pub capture_log: Vec<String>,
    /// The port the server was told to listen on.
    pub port: u16,
    /// What the run's impaired links were and did.
    pub links: Option<LinksRecord>,
    /// What carrying out the steps cost the runner's own thread.
    pub work: RunnerWork,
}

impl Recording {
    pub fn interrupted(&self) -> bool {
        matches!(self.error, Some(RunError::Interrupted))
    }
}

struct Runner<'a> {
    scenario: &'a ValidScenario,
    net: &'a dyn Network,
    opts: &'a RunOptions<'a>,
    state: &'a mut StateFile,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    procs: Vec<Proc>,
    events: Vec<Event>,
    /// Events not yet shown on the console (see [`REORDER_WINDOW`]).
    unshown: Vec<(String, Event)>,
    server_ip: String,
    port: u16,
    deadline: Instant,
    /// The run's mark (`PA3_RUN_ID`), set on every program it starts.
    mark: String,
    /// Each impaired link's conditions now (the `link:` steps so far).
    links_now: Vec<(String, crate::orchestrator::link::Conditions)>,
    /// What was changed in the hosts for the programs, to undo
    /// (`server.adapt_network`).
    changed: Vec<adapt::Changed>,
    /// What the runner's thread did (see [`RunnerWork`]).
    work: RunnerWork,
}

/// Why a wait ended without its condition.
enum WaitEnd {
    TimedOut,
    Interrupted,
    /// The condition can no longer hold, and why.
    Impossible(Ended),
    /// The link engine failed (a delayer died), and why.
    LinkFailed(LinkFailure),
    /// Nothing can happen any more: who waits for what.
    Deadlock(String),
}

/// When a wait looks at its condition. Besides, every wait wakes at its
/// own timers only: its end, the scenario's deadline, the notice of a long
/// wait, the deadlock watch, the console's reorder window, and the
/// [`HEARTBEAT`] of a step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Look {
    /// The condition depends only on what the programs report (lines,
    /// exits, closed output): it is looked at when a report comes.
    OnEvents,
    /// The condition is on the kernel's state (a socket, a blocked read),
    /// which reports nothing by itself: looked at every `d` at first, then
    /// less often as the wait goes on (an eighth of the time waited so
    /// far, up to [`POLL`]), so that a long wait costs few looks and a
    /// short one reacts within `d`.
    Every(Duration),
}

impl Look {
    /// The next look after having waited `waited`, if any.
    fn interval(self, waited: Duration) -> Option<Duration> {
        match self {
            Look::OnEvents => None,
            Look::Every(d) => Some((waited / 8).clamp(d, d.max(POLL))),
        }
    }
}

/// Whether a wait ends at a deadlock ([`standstill`]): a wait for the
/// programs does; a scripted sleep and the cleanup do not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Deadlocks {
    End,
    Ignore,
}

/// A wait's condition: `Ok(true)` done, `Ok(false)` not yet, `Err(why)`
/// it can no longer hold.
type Condition<'c> = dyn FnMut(&Runner) -> Result<bool, Ended> + 'c;

/// What a wait waits for, in words: asked for when the wait says it (a
/// wait for programs to exit names those still running then).
type Waiting<'w> = dyn Fn(&Runner) -> String + 'w;

/// Why the wait for every program to end on its own ended otherwise (the
/// run goes on to stop them; an event says why).
#[derive(Debug, thiserror::Error)]
enum NotExited {
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Link(LinkFailure),
    #[error("the run is deadlocked: nothing moved for {after_s:.0} s and every program waits with no end: {who}")]
    Deadlocked { after_s: f64, who: String },
    #[error("the scenario's timeout ({timeout:?}) ran out with {running} still running")]
    TimedOut { timeout: Duration, running: String },
}

/// Runs the scenario's steps on `net`, stops whatever is still running, and
/// returns everything that was observed.
pub fn run(
    scenario: &ValidScenario,
    net: &dyn Network,
    opts: &RunOptions,
    state: &mut StateFile,
) -> Recording {
    let (tx, rx) = mpsc::channel();
    let server_host = net.host(scenario.server().host()).expect("validated host");
    let port_is_ours = scenario
        .server()
        .cmd()
        .is_none_or(|c| c.iter().any(|a| a.contains("{port}")));
    let started = Instant::now();
    let mark = state.state.owner.map(state::run_mark).unwrap_or_default();
    let mut runner = Runner {
        scenario,
        net,
        opts,
        state,
        tx,
        rx,
        procs: Vec::new(),
        events: Vec::new(),
        unshown: Vec::new(),
        server_ip: server_host.ip.to_string(),
        port: net.server_port(scenario.server().port(), port_is_ours),
        deadline: started + scenario.timeout(),
        mark,
        links_now: links_at_start(scenario),
        changed: Vec::new(),
        work: RunnerWork::default(),
    };
    let capture = opts.capture.as_ref().and_then(|p| runner.start_capture(p));
    let mut error = runner.links_then_steps().err();
    if error.is_none() {
        runner.close_stdins();
        runner.wait_all_exit();
    }
    runner.stop_all();
    error = error.or_else(|| net.link_failure().map(|f| LinkError::Failed(f).into()));
    runner.unroute();
    let capture_log = match capture {
        Some(c) => runner.stop_capture(c),
        None => Vec::new(),
    };
    runner.settle_exits();
    let scenario_ms = ms(started.elapsed());
    runner.show(true);
    runner.events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    Recording {
        processes: std::mem::take(&mut runner.procs)
            .into_iter()
            .map(|p| p.info)
            .collect(),
        events: std::mem::take(&mut runner.events),
        error,
        scenario_ms,
        capture_log,
        port: runner.port,
        links: net.links_record(),
        work: runner.work,
    }
}

/// Each impaired link's conditions as the run starts.
fn links_at_start(
    scenario: &ValidScenario,
) -> Vec<(String, crate::orchestrator::link::Conditions)> {
    scenario
        .links()
        .impaired()
        .map(|l| (l.host.clone(), l.conditions))
        .collect()
}

impl Runner<'_> {
    /// Every impaired link set to its start, then the steps.
    fn links_then_steps(&mut self) -> Result<(), RunError> {
        self.net
            .begin_links(self.opts.t0)
            .map_err(LinkError::NotSet)?;
        self.steps()
    }

    fn now_ms(&self) -> f64 {
        ms(self.opts.t0.elapsed())
    }

    fn at_ms(&self, at: Instant) -> f64 {
        ms(at.saturating_duration_since(self.opts.t0))
    }

    /// Records an event and queues it for the console.
    fn record(&mut self, label: String, event: Event) {
        self.unshown.push((label, event.clone()));
        self.events.push(event);
    }

    /// Records one of the orchestrator's own steps, now.
    fn step(&mut self, kind: EventKind) {
        let event = Event::new(self.now_ms(), ORCHESTRATOR, kind);
        self.record(ORCHESTRATOR.to_string(), event);
    }

    /// Shows the queued events older than the reorder window (all of them
    /// when `all`), in time order.
    fn show(&mut self, all: bool) {
        if self.unshown.is_empty() {
            return;
        }
        let horizon = self.now_ms() - REORDER_WINDOW.as_secs_f64() * 1e3;
        self.unshown.sort_by(|a, b| a.1.t_ms.total_cmp(&b.1.t_ms));
        let ready = if all {
            self.unshown.len()
        } else {
            self.unshown.partition_point(|(_, e)| e.t_ms <= horizon)
        };
        for (label, event) in self.unshown.drain(..ready) {
            self.opts.console.event(&label, &event);
        }
    }

    /// Takes in one thing a program's threads reported.
    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Line {
                proc,
                stream,
                at,
                text,
            } => {
                let t_ms = self.at_ms(at);
                let p = &mut self.procs[proc];
                p.last_line_ms = p.last_line_ms.max(t_ms);
                // Looked at once here rather than at each look of a wait.
                p.greeted |= stream == crate::orchestrator::event::Stream::Stdout
                    && crate::pa3::protocol::parse_greeting(&text).is_some();
                let event = Event::new(t_ms, p.info.id.clone(), EventKind::Output { stream, text });
                let label = p.info.label();
                self.record(label, event);
            }
            Msg::Dropped { proc, lines } => self.procs[proc].info.dropped_lines += lines,
            Msg::Eof { proc } => {
                let p = &mut self.procs[proc];
                p.streams_open = p.streams_open.saturating_sub(1);
                if p.streams_open == 0 {
                    self.record_exit(proc);
                }
            }
            Msg::Exit {
                proc,
                at,
                code,
                signal,
            } => {
                let t_ms = self.at_ms(at);
                let p = &mut self.procs[proc];
                p.running = false;
                p.exit = Some(ExitInfo {
                    code,
                    signal,
                    killed_by_orchestrator: p.stopped_by_us,
                    t_ms,
                });
                if p.streams_open == 0 {
                    self.record_exit(proc);
                }
            }
        }
    }

    /// Records program `idx`'s exit once it has both exited and closed its
    /// output, so that its exit is its last line: the poller may hand over
    /// the last line after it saw the exit.
    fn record_exit(&mut self, idx: ProcIdx) {
        let p = &mut self.procs[idx];
        let Some(mut exit) = p.exit.take() else {
            return;
        };
        exit.t_ms = exit.t_ms.max(p.last_line_ms);
        p.info.exit = Some(exit.clone());
        let event = Event::new(exit.t_ms, p.info.id.clone(), EventKind::Exited { exit });
        let label = p.info.label();
        self.record(label, event);
    }

    /// Records the exits still held back because something kept a program's
    /// output open (see [`stop`]): the run is over.
    fn settle_exits(&mut self) {
        for idx in 0..self.procs.len() {
            self.record_exit(ProcIdx(idx));
        }
    }

    /// Takes in events until `done` holds or the timeout passes, looking
    /// at `done` as `look` says. A `scenario_bound` wait also ends at the
    /// scenario's deadline and at Ctrl-C, and says what it waits for when
    /// that takes long; cleanup waits are not.
    fn wait_raw(
        &mut self,
        timeout: Duration,
        scenario_bound: Option<&Waiting>,
        deadlocks: Deadlocks,
        look: Look,
        done: &mut Condition,
    ) -> Result<(), WaitEnd> {
        let start = Instant::now();
        let mut until = start + timeout;
        if scenario_bound.is_some() {
            until = until.min(self.deadline);
        }
        let mut noticed = false;
        let mut standstill =
            (deadlocks == Deadlocks::End).then(|| standstill::Standstill::new(self));
        loop {
            while let Ok(m) = self.rx.try_recv() {
                self.handle(m);
            }
            self.show(false);
            if self.eager_untyped() {
                self.type_eager();
            }
            match done(self) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(WaitEnd::Impossible(e)),
            }
            if let Some(who) = standstill.as_mut().and_then(|s| s.check(self)) {
                return Err(WaitEnd::Deadlock(who));
            }
            let now = Instant::now();
            let mut wake = until.min(self.next_timer(now));
            if let Some(what) = scenario_bound {
                wake = wake.min(self.step_checks(what, (start, now, until), &mut noticed)?);
            }
            if now >= until {
                return Err(WaitEnd::TimedOut);
            }
            if let Some(d) = look.interval(now - start) {
                wake = wake.min(now + d);
            }
            if let Some(s) = &standstill {
                wake = wake.min(s.next_look());
            }
            let got = self.rx.recv_timeout(wake.saturating_duration_since(now));
            self.work.wakeups += 1;
            match got {
                Ok(m) => self.handle(m),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
            }
        }
    }

    /// What a step's wait looks at besides its condition, at `times` (its
    /// start, now, its end): Ctrl-C, the link engine's health, and whether
    /// to say what it waits for (once, `noticed`). Gives when to look again.
    fn step_checks(
        &mut self,
        what: &Waiting,
        (start, now, until): (Instant, Instant, Instant),
        noticed: &mut bool,
    ) -> Result<Instant, WaitEnd> {
        if self.opts.interrupted.load(Ordering::SeqCst) {
            return Err(WaitEnd::Interrupted);
        }
        if let Some(why) = self.net.link_failure() {
            return Err(WaitEnd::LinkFailed(why));
        }
        if !*noticed && now - start >= NOTICE_AFTER && until - now >= NOTICE_AFTER {
            *noticed = true;
            let what = what(self);
            self.notice(&what, until - now);
        }
        let mut next = now + HEARTBEAT;
        let notice_at = start + NOTICE_AFTER;
        if !*noticed && notice_at > now {
            next = next.min(notice_at);
        }
        Ok(next)
    }

    /// The runner's own timers, whatever a wait waits for: the console's
    /// reorder window (the oldest line held back is due), and a look at
    /// an eager client not yet typed into ([`POLL`]: whether it reads its
    /// stdin reports nothing by itself).
    fn next_timer(&self, now: Instant) -> Instant {
        let mut at = now + Duration::from_secs(3600);
        if let Some(oldest) = self.unshown.iter().map(|(_, e)| e.t_ms).reduce(f64::min) {
            // A millisecond past the window, so that the look finds it due
            // (times in ms are floats), and never now: no busy loop.
            let due = Duration::from_secs_f64(oldest.max(0.0) / 1e3) + REORDER_WINDOW;
            let at_least = now + Duration::from_millis(1);
            at = at.min((self.opts.t0 + due + Duration::from_millis(1)).max(at_least));
        }
        if self.eager_untyped() {
            at = at.min(now + POLL);
        }
        at
    }

    /// Whether an `eager` client has started and not yet been typed into.
    fn eager_untyped(&self) -> bool {
        self.scenario.clients().iter().any(|c| {
            c.eager()
                && self
                    .procs
                    .iter()
                    .any(|p| p.info.id == c.id() && p.running && !p.name_typed)
        })
    }

    /// Says, once, what a long wait is waiting for and how long it may last.
    fn notice(&mut self, what: &str, left: Duration) {
        let bound = if self.deadline - Instant::now() <= left + Duration::from_millis(50) {
            format!(
                "the scenario's timeout ({} s) stops the run in {:.0} s; --timeout changes it",
                self.scenario.timeout().as_secs_f64(),
                left.as_secs_f64()
            )
        } else {
            format!("it may take {:.0} s more", left.as_secs_f64())
        };
        self.step(EventKind::WaitingFor {
            what: format!("{what} (still waiting; {bound})"),
        });
    }

    /// Waits for `done`, as a step: a timeout or an impossible condition is
    /// the step's failure, described with `what`.
    fn wait(
        &mut self,
        what: &str,
        timeout: Duration,
        look: Look,
        done: &mut Condition,
    ) -> Result<(), RunError> {
        let start = Instant::now();
        match self.wait_raw(
            timeout,
            Some(&|_| what.to_string()),
            Deadlocks::End,
            look,
            done,
        ) {
            Ok(()) => Ok(()),
            Err(WaitEnd::Interrupted) => Err(RunError::Interrupted),
            Err(WaitEnd::LinkFailed(why)) => Err(LinkError::Failed(why).into()),
            Err(WaitEnd::Deadlock(who)) => {
                self.deadlocked(&who);
                Err(RunError::Deadlock {
                    what: what.to_string(),
                    who,
                    after_s: start
                        .elapsed()
                        .as_secs_f64()
                        .min(standstill::STANDSTILL_AFTER.as_secs_f64()),
                })
            }
            Err(WaitEnd::Impossible(why)) => Err(RunError::Impossible {
                what: what.to_string(),
                why,
            }),
            Err(WaitEnd::TimedOut) if Instant::now() >= self.deadline => {
                Err(RunError::ScenarioTimeout {
                    what: what.to_string(),
                    timeout: self.scenario.timeout(),
                })
            }
            Err(WaitEnd::TimedOut) => Err(RunError::TimedOut {
                what: what.to_string(),
                waited_s: start.elapsed().as_secs_f64(),
            }),
        }
    }

    fn all_exited(&self) -> bool {
        self.procs.iter().all(|p| !p.running)
    }

    /// Waits for every program to end on its own ([`Runner::all_exit`]);
    /// when they do not, an event says why they are stopped.
    fn wait_all_exit(&mut self) {
        if let Err(e) = self.all_exit() {
            self.step(EventKind::Stopping {
                why: with_causes(&e),
            });
        }
    }

    /// Waits, up to the scenario's deadline, for every program to end on
    /// its own; says which still run when it does not happen.
    fn all_exit(&mut self) -> Result<(), NotExited> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let what = |r: &Runner| format!("{} to exit", r.running().join(", "));
        let keeps_running = self.scenario.server().keeps_running();
        let mut clients_ended: Option<Instant> = None;
        let mut done = |r: &Runner| {
            if r.all_exited() {
                return Ok(true);
            }
            let clients_running = r
                .procs
                .iter()
                .any(|p| p.running && p.info.role == Role::Client);
            if !keeps_running || clients_running {
                return Ok(false);
            }
            // The server may keep serving: once the clients have ended,
            // a moment for it to end too, then it is stopped.
            let ended = *clients_ended.get_or_insert_with(Instant::now);
            Ok(ended.elapsed() >= SERVER_GRACE)
        };
        // The server's grace is a timer on the clients' exits: looked at
        // as for the kernel's state.
        let look = if keeps_running {
            Look::Every(POLL)
        } else {
            Look::OnEvents
        };
        match self.wait_raw(left, Some(&what), Deadlocks::End, look, &mut done) {
            Ok(()) if !self.all_exited() => {
                let server = self.scenario.process_id(ProcessRef::Server).to_string();
                let event = Event::new(
                    self.now_ms(),
                    server,
                    EventKind::KeptRunning {
                        grace_ms: SERVER_GRACE.as_secs_f64() * 1e3,
                    },
                );
                self.record(ORCHESTRATOR.to_string(), event);
                Ok(())
            }
            Ok(()) => Ok(()),
            Err(WaitEnd::Interrupted) => Err(NotExited::Interrupted),
            Err(WaitEnd::LinkFailed(why)) => Err(NotExited::Link(why)),
            Err(WaitEnd::Deadlock(who)) => {
                self.deadlocked(&who);
                Err(NotExited::Deadlocked {
                    after_s: standstill::STANDSTILL_AFTER.as_secs_f64(),
                    who,
                })
            }
            Err(_) => Err(NotExited::TimedOut {
                timeout: self.scenario.timeout(),
                running: self.running().join(", "),
            }),
        }
    }

    /// Records that the run is deadlocked, and who waits for what.
    fn deadlocked(&mut self, who: &str) {
        self.step(EventKind::Deadlocked {
            who: who.to_string(),
        });
    }

    /// The programs still running, by label.
    fn running(&self) -> Vec<String> {
        self.procs
            .iter()
            .filter(|p| p.running)
            .map(|p| p.info.label())
            .collect()
    }

    /// Whether program `idx` printed a stdout line that `pred` accepts
    /// among the events from the `from`th on (the run's events grow at the
    /// end until the run is over).
    fn printed_since(&self, from: usize, idx: ProcIdx, pred: impl Fn(&str) -> bool) -> bool {
        let id = &self.procs[idx].info.id;
        self.events[from.min(self.events.len())..]
            .iter()
            .any(|e| e.stdout_of(id).is_some_and(&pred))
    }

    /// Err when process `idx` has exited (a condition on it can no longer hold).
    fn gone(&self, idx: ProcIdx) -> Result<(), Ended> {
        let p = &self.procs[idx];
        if p.running {
            return Ok(());
        }
        let how = p
            .exit
            .as_ref()
            .or(p.info.exit.as_ref())
            .map(ExitInfo::describe)
            .unwrap_or_else(|| "ended".into());
        Err(Ended {
            program: p.info.label(),
            how,
        })
    }

    fn close_stdins(&mut self) {
        for p in &mut self.procs {
            p.stdin = None;
        }
    }
}

/// A panic anywhere in the runner still stops every program it started.
impl Drop for Runner<'_> {
    fn drop(&mut self) {
        for p in &self.procs {
            if let (true, Some(g)) = (p.running, p.group) {
                sys::stop_group(g, &self.mark, KILL_GRACE);
            }
        }
        // A reused network must not keep a panicked run's routes.
        self.unroute();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_said_with_its_causes_as_anyhow_says_it() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no nft here");
        let e = crate::orchestrator::net::route::RouteError::CannotRun {
            command: "nft -f -".into(),
            source: io,
        };
        assert_eq!(with_causes(&e), "cannot run nft -f -: no nft here");
        assert_eq!(with_causes(&e), format!("{:#}", anyhow::Error::new(e)));
    }

    #[test]
    fn a_run_error_keeps_its_cause_and_reads_as_one_sentence() {
        let refused = anyhow::anyhow!("no user left").context("the sandbox has no room");
        let e = RunError::CannotStart {
            program: "h2 client a".into(),
            command: "python3".into(),
            source: StartError::Wrap(refused),
        };
        assert_eq!(e.to_string(), "cannot start h2 client a (python3)");
        assert_eq!(
            with_causes(&e),
            "cannot start h2 client a (python3): the sandbox has no room: no user left"
        );
        let closed = RunError::CannotType {
            program: "h3 client b".into(),
            source: TypeError::StdinClosed,
        };
        assert_eq!(
            with_causes(&closed),
            "cannot type into h3 client b: its stdin is already closed"
        );
        let gone = RunError::Impossible {
            what: "h1 server to listen on port 12000".into(),
            why: Ended {
                program: "h1 server".into(),
                how: "exited with code 1".into(),
            },
        };
        assert_eq!(
            with_causes(&gone),
            "waited for h1 server to listen on port 12000, but h1 server exited with code 1"
        );
        let host = StartError::from(crate::orchestrator::net::NoSuchHost { host: "h9".into() });
        assert_eq!(host.to_string(), "the network has no host h9");
    }
}
