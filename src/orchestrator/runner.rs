//! Carries out a scenario's steps on a network: starts the server and the
//! clients through duct (each in its own process group), reads every line
//! they print with a monotonic timestamp into one event stream, types into
//! their stdin at the scripted moments, and waits on events — a listening
//! socket, an established connection, a greeting line — never on guesses.
//!
//! Connections are observed in the server host's own TCP table
//! (`/proc/PID/net/tcp` of a process in that namespace), so `connect: a`
//! works the same for our server and for any program a scenario runs
//! instead of it. The runner records; it never judges ([`crate::orchestrator::check`]
//! does) and never formats reports ([`crate::orchestrator::report`] does).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use os_pipe::PipeWriter;

use crate::orchestrator::net::{sockets_on_port, Network};
use crate::orchestrator::record::{Event, ExitInfo, ProcessInfo, Role, Stream, ORCHESTRATOR};
use crate::orchestrator::scenario::{Matcher, ProcessRef, ValidScenario, ValidStep};
use crate::orchestrator::state::{self, ProcId, StateFile};
use crate::pa3::protocol;

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
/// How the event recorded against a program whose processes outlived it
/// begins (a `step` event of that program); [`crate::orchestrator::check`] fails the
/// program's exit check on it.
pub const LEFT_BEHIND: &str = "left behind:";
/// Environment variable set on every program a run starts: `PID-START` of
/// the orchestrator that owns it.
pub const RUN_ID_VAR: &str = "PA3_RUN_ID";
/// Appended to a line that was longer than [`MAX_LINE_BYTES`].
pub const CUT_MARK: &str = " […cut: the line was longer than 4096 bytes]";
/// Grace between SIGTERM and SIGKILL when the orchestrator stops a program.
pub const KILL_GRACE: Duration = Duration::from_secs(1);

/// Where live output goes while a run goes on.
pub trait Console {
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
}

/// What happened.
pub struct Outcome {
    pub processes: Vec<ProcessInfo>,
    pub events: Vec<Event>,
    /// The step that could not be carried out, and why.
    pub error: Option<String>,
    pub interrupted: bool,
    /// Wall time of the scenario itself (first start to last exit).
    pub scenario_ms: f64,
    /// The capture's own output (tcpdump's messages), when capturing.
    pub capture_log: Vec<String>,
    /// The port the server was told to listen on.
    pub port: u16,
}

enum Msg {
    Line {
        proc: usize,
        stream: Stream,
        at: Instant,
        text: String,
    },
    Dropped {
        proc: usize,
        lines: u64,
    },
    Eof {
        proc: usize,
    },
    Exit {
        proc: usize,
        at: Instant,
        code: Option<i32>,
        signal: Option<i32>,
    },
}

struct Proc {
    info: ProcessInfo,
    group: Option<ProcId>,
    stdin: Option<PipeWriter>,
    running: bool,
    streams_open: usize,
    /// Its stdin, stdout and stderr pipes as `/proc/PID/fd` shows them
    /// (`pipe:[INODE]`), to find processes that escaped its group.
    pipes: Vec<std::ffi::OsString>,
}

/// The capture process (tcpdump), which is not a participant.
struct Capture {
    group: Option<ProcId>,
    handle: duct::Handle,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

struct Runner<'a> {
    s: &'a ValidScenario,
    net: &'a dyn Network,
    opts: &'a RunOptions<'a>,
    state: &'a mut StateFile,
    t0: Instant,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    procs: Vec<Proc>,
    events: Vec<Event>,
    server_ip: String,
    port: u16,
    deadline: Instant,
    /// The run's mark (`PA3_RUN_ID`), set on every program it starts.
    mark: String,
}

/// Why a wait ended without its condition.
enum WaitEnd {
    TimedOut,
    Interrupted,
    /// The condition can no longer hold, and why.
    Impossible(String),
}

pub fn run(
    s: &ValidScenario,
    net: &dyn Network,
    opts: &RunOptions,
    state: &mut StateFile,
) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let server_host = net.host(&s.server.host).expect("validated host");
    let port_is_ours = s
        .server
        .cmd
        .as_ref()
        .is_none_or(|c| c.iter().any(|a| a.contains("{port}")));
    let t0 = opts.t0;
    let started = Instant::now();
    let mark = state.state.owner.map(state::run_mark).unwrap_or_default();
    let mut r = Runner {
        s,
        net,
        opts,
        state,
        t0,
        tx,
        rx,
        procs: Vec::new(),
        events: Vec::new(),
        server_ip: server_host.ip.to_string(),
        port: net.server_port(s.server.port, port_is_ours),
        deadline: started + s.timeout,
        mark,
    };
    let capture = opts.capture.as_ref().and_then(|p| r.start_capture(p));
    let error = r.steps().err();
    let interrupted = matches!(&error, Some(e) if e == INTERRUPTED);
    if error.is_none() {
        drop_stdins(&mut r.procs);
        if let Err(e) = r.wait_all_exit() {
            r.step_event(format!("stopping: {e}"));
        }
    }
    r.stop_all();
    let capture_log = match capture {
        Some(c) => r.stop_capture(c),
        None => Vec::new(),
    };
    let scenario_ms = ms(started.elapsed());
    r.events.sort_by(|a, b| {
        a.t_ms
            .partial_cmp(&b.t_ms)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Outcome {
        processes: std::mem::take(&mut r.procs)
            .into_iter()
            .map(|p| p.info)
            .collect(),
        events: std::mem::take(&mut r.events),
        error: if interrupted { None } else { error },
        interrupted,
        scenario_ms,
        capture_log,
        port: r.port,
    }
}

const INTERRUPTED: &str = "interrupted";

fn drop_stdins(procs: &mut [Proc]) {
    for p in procs {
        p.stdin = None;
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

impl Runner<'_> {
    fn steps(&mut self) -> Result<(), String> {
        let server = self.spawn(ProcessRef::Server)?;
        let port = self.port;
        let ns = self.ns_pid();
        self.wait(
            &format!("the server to listen on port {port}"),
            STEP_TIMEOUT,
            |r| {
                if sockets_on_port(ns, port).0 > 0 {
                    return Ok(true);
                }
                r.gone(server)?;
                Ok(false)
            },
        )?;
        self.step_event(format!("server listening on {}:{port}", self.server_ip));

        let mut connected = 0usize;
        // Fault injection for the teardown tests: a panic in the middle of
        // a run must still leave nothing behind.
        let panic_at = std::env::var("PA3_INJECT_PANIC_AT_STEP")
            .ok()
            .and_then(|v| v.parse::<usize>().ok());
        for (n, step) in self.s.steps.clone().into_iter().enumerate() {
            if panic_at == Some(n) {
                panic!("PA3_INJECT_PANIC_AT_STEP={n}");
            }
            match step {
                ValidStep::Connect(c) => {
                    let id = self.s.clients[c].id.clone();
                    self.step_event(format!("connect {id}"));
                    let idx = self.spawn(ProcessRef::Client(c))?;
                    connected += 1;
                    let want = connected;
                    self.wait(&format!("client {id} to connect"), STEP_TIMEOUT, |r| {
                        if sockets_on_port(ns, port).1 >= want {
                            return Ok(true);
                        }
                        r.gone(idx)?;
                        r.gone(server)?;
                        Ok(false)
                    })?;
                    self.step_event(format!(
                        "{id} connected (server has {want} connection{})",
                        if want == 1 { "" } else { "s" }
                    ));
                }
                ValidStep::Send(c) => {
                    let idx = self.proc_index(ProcessRef::Client(c));
                    let id = self.s.clients[c].id.clone();
                    self.wait(
                        &format!("client {id} to print its greeting"),
                        STEP_TIMEOUT,
                        |r| {
                            if r.printed(idx, |l| protocol::parse_greeting(l).is_some()) {
                                return Ok(true);
                            }
                            r.gone(idx)?;
                            Ok(false)
                        },
                    )?;
                    let name = self.s.clients[c].name.clone();
                    self.step_event(format!("send {id}"));
                    self.type_line(idx, &name)?;
                }
                ValidStep::Sleep(d) => {
                    self.step_event(format!("sleep {} ms", d.as_millis()));
                    match self.wait_raw(d, true, |_| Ok(false)) {
                        Err(WaitEnd::TimedOut) => {}
                        Err(WaitEnd::Interrupted) => return Err(INTERRUPTED.into()),
                        Err(WaitEnd::Impossible(e)) => return Err(e),
                        Ok(()) => {}
                    }
                }
                ValidStep::WaitFor {
                    process,
                    matcher,
                    timeout,
                } => {
                    let idx = self.proc_index(process);
                    let what = format!(
                        "{} to print {}",
                        self.s.process_id(process),
                        matcher.describe()
                    );
                    self.step_event(format!("wait for {what}"));
                    let m: Matcher = matcher.clone();
                    self.wait(&what, timeout, |r| {
                        if r.printed(idx, |l| m.matches(l)) {
                            return Ok(true);
                        }
                        if !r.procs[idx].running && r.procs[idx].streams_open == 0 {
                            return Err(format!("{} ended", r.procs[idx].info.label()));
                        }
                        Ok(false)
                    })?;
                }
            }
        }
        Ok(())
    }

    fn ns_pid(&self) -> u32 {
        self.net
            .host(&self.s.server.host)
            .map(|h| h.ns_pid)
            .unwrap_or(0)
    }

    fn proc_index(&self, p: ProcessRef) -> usize {
        let id = self.s.process_id(p);
        self.procs
            .iter()
            .position(|x| x.info.id == id)
            .expect("process started before it is used")
    }

    /// Err when process `idx` has exited (a condition on it can no longer hold).
    fn gone(&self, idx: usize) -> Result<(), String> {
        let p = &self.procs[idx];
        if p.running {
            return Ok(());
        }
        let how = p
            .info
            .exit
            .as_ref()
            .map(ExitInfo::describe)
            .unwrap_or_else(|| "ended".into());
        Err(format!("{} {how}", p.info.label()))
    }

    fn printed(&self, idx: usize, pred: impl Fn(&str) -> bool) -> bool {
        let id = &self.procs[idx].info.id;
        self.events
            .iter()
            .any(|e| &e.process == id && e.stream == Stream::Stdout && pred(&e.text))
    }

    fn step_event(&mut self, text: String) {
        let ev = Event {
            t_ms: ms(self.t0.elapsed()),
            process: ORCHESTRATOR.into(),
            stream: Stream::Step,
            text,
        };
        self.opts.console.event(ORCHESTRATOR, &ev);
        self.events.push(ev);
    }

    fn expand(&self, argv: &[String], name: Option<&str>, id: &str) -> Vec<String> {
        argv.iter()
            .map(|a| {
                a.replace("{server_ip}", &self.server_ip)
                    .replace("{port}", &self.port.to_string())
                    .replace("{name}", name.unwrap_or(""))
                    .replace("{id}", id)
            })
            .collect()
    }

    fn bin(&self, name: &str) -> String {
        self.opts.bin_dir.join(name).to_string_lossy().to_string()
    }

    fn spawn(&mut self, p: ProcessRef) -> Result<usize, String> {
        let s = self.s;
        let timeout = format!("{}", s.timeout.as_secs_f64().ceil());
        let (role, host, name, letter, argv) = match p {
            ProcessRef::Server => {
                let argv = match &s.server.cmd {
                    Some(c) => self.expand(c, None, "server"),
                    None => vec![
                        self.bin("server"),
                        "--bind".into(),
                        self.server_ip.clone(),
                        "--port".into(),
                        self.port.to_string(),
                        "--rounds".into(),
                        "1".into(),
                        "--idle-timeout".into(),
                        timeout,
                    ],
                };
                (Role::Server, s.server.host.clone(), None, None, argv)
            }
            ProcessRef::Client(i) => {
                let c = &s.clients[i];
                let argv = match &c.cmd {
                    Some(cmd) => self.expand(cmd, Some(&c.name), &c.id),
                    None => vec![
                        self.bin("client"),
                        "--server".into(),
                        self.server_ip.clone(),
                        "--port".into(),
                        self.port.to_string(),
                        "--connect-timeout".into(),
                        "10".into(),
                        "--reply-timeout".into(),
                        timeout,
                    ],
                };
                (
                    Role::Client,
                    c.host.clone(),
                    Some(c.name.clone()),
                    Some(c.letter),
                    argv,
                )
            }
        };
        let id = s.process_id(p).to_string();
        let idx = self.procs.len();
        let info = ProcessInfo {
            id: id.clone(),
            role,
            host: host.clone(),
            name,
            letter,
            command: shown_argv(&argv),
            exit: None,
            dropped_lines: 0,
            log: format!("{id}.log"),
        };
        let wrapped = self.net.wrap(&host, argv);
        let label = info.label();
        self.procs.push(Proc {
            info,
            group: None,
            stdin: None,
            running: false,
            streams_open: 0,
            pipes: Vec::new(),
        });
        let start_ev = Event {
            t_ms: ms(self.t0.elapsed()),
            process: id.clone(),
            stream: Stream::Start,
            text: shell_words::join(&self.procs[idx].info.command),
        };
        self.opts.console.event(&label, &start_ev);
        self.events.push(start_ev);
        let spawned = spawn_piped(&wrapped, &self.opts.cwd, &self.mark, idx, &self.tx)
            .map_err(|e| format!("cannot start {label} ({}): {e}", wrapped[0]))?;
        let proc = &mut self.procs[idx];
        proc.group = ProcId::of(spawned.pid);
        proc.stdin = Some(spawned.stdin);
        proc.running = true;
        proc.streams_open = 2;
        proc.pipes = spawned.pipes;
        self.state.add_group(spawned.pid);
        Ok(idx)
    }

    fn type_line(&mut self, idx: usize, text: &str) -> Result<(), String> {
        let label = self.procs[idx].info.label();
        let id = self.procs[idx].info.id.clone();
        let ev = Event {
            t_ms: ms(self.t0.elapsed()),
            process: id,
            stream: Stream::Stdin,
            text: text.to_string(),
        };
        let Some(stdin) = self.procs[idx].stdin.as_mut() else {
            return Err(format!("{label}: stdin is already closed"));
        };
        let mut line = text.as_bytes().to_vec();
        line.push(b'\n');
        stdin
            .write_all(&line)
            .and_then(|_| stdin.flush())
            .map_err(|e| format!("cannot type into {label}: {e}"))?;
        self.opts.console.event(&label, &ev);
        self.events.push(ev);
        Ok(())
    }

    /// Takes in everything the processes reported so far.
    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Line {
                proc,
                stream,
                at,
                text,
            } => {
                let p = &self.procs[proc];
                let ev = Event {
                    t_ms: ms(at.saturating_duration_since(self.t0)),
                    process: p.info.id.clone(),
                    stream,
                    text,
                };
                self.opts.console.event(&p.info.label(), &ev);
                self.events.push(ev);
            }
            Msg::Dropped { proc, lines } => self.procs[proc].info.dropped_lines += lines,
            Msg::Eof { proc } => {
                let p = &mut self.procs[proc];
                p.streams_open = p.streams_open.saturating_sub(1);
            }
            Msg::Exit {
                proc,
                at,
                code,
                signal,
            } => {
                let p = &mut self.procs[proc];
                p.running = false;
                let exit = ExitInfo {
                    code,
                    signal,
                    killed_by_orchestrator: p.info.exit.is_some(),
                    t_ms: ms(at.saturating_duration_since(self.t0)),
                };
                p.info.exit = Some(exit.clone());
                let ev = Event {
                    t_ms: exit.t_ms,
                    process: p.info.id.clone(),
                    stream: Stream::Exit,
                    text: exit.describe(),
                };
                self.opts.console.event(&p.info.label(), &ev);
                self.events.push(ev);
            }
        }
    }

    /// Takes in events until `done` holds or the timeout passes. A
    /// `scenario_bound` wait also ends at the scenario's deadline and at
    /// Ctrl-C; cleanup waits are not.
    fn wait_raw(
        &mut self,
        timeout: Duration,
        scenario_bound: bool,
        mut done: impl FnMut(&Runner) -> Result<bool, String>,
    ) -> Result<(), WaitEnd> {
        let mut until = Instant::now() + timeout;
        if scenario_bound {
            until = until.min(self.deadline);
        }
        loop {
            while let Ok(m) = self.rx.try_recv() {
                self.handle(m);
            }
            match done(self) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(WaitEnd::Impossible(e)),
            }
            if scenario_bound && self.opts.interrupted.load(Ordering::SeqCst) {
                return Err(WaitEnd::Interrupted);
            }
            let now = Instant::now();
            if now >= until {
                return Err(WaitEnd::TimedOut);
            }
            match self
                .rx
                .recv_timeout((until - now).min(Duration::from_millis(5)))
            {
                Ok(m) => self.handle(m),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {}
            }
        }
    }

    /// Waits for `done`, as a step: a timeout or an impossible condition is
    /// the step's failure, described with `what`.
    fn wait(
        &mut self,
        what: &str,
        timeout: Duration,
        done: impl FnMut(&Runner) -> Result<bool, String>,
    ) -> Result<(), String> {
        let start = Instant::now();
        let global = self.deadline;
        match self.wait_raw(timeout, true, done) {
            Ok(()) => Ok(()),
            Err(WaitEnd::Interrupted) => Err(INTERRUPTED.into()),
            Err(WaitEnd::Impossible(why)) => Err(format!("waited for {what}, but {why}")),
            Err(WaitEnd::TimedOut) => {
                if Instant::now() >= global {
                    Err(format!(
                        "waited for {what}, but the scenario's timeout ({:?}) ran out",
                        self.s.timeout
                    ))
                } else {
                    Err(format!(
                        "waited {:.1} s for {what}; it did not happen",
                        start.elapsed().as_secs_f64()
                    ))
                }
            }
        }
    }

    fn all_exited(&self) -> bool {
        self.procs.iter().all(|p| !p.running)
    }

    fn wait_all_exit(&mut self) -> Result<(), String> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.wait_raw(left, true, |r| Ok(r.all_exited())) {
            Ok(()) => Ok(()),
            Err(WaitEnd::Interrupted) => Err(INTERRUPTED.into()),
            Err(_) => {
                let running: Vec<String> = self
                    .procs
                    .iter()
                    .filter(|p| p.running)
                    .map(|p| p.info.label())
                    .collect();
                Err(format!(
                    "the scenario's timeout ({:?}) ran out with {} still running",
                    self.s.timeout,
                    running.join(", ")
                ))
            }
        }
    }

    /// Stops every program still running (SIGTERM, grace, SIGKILL to its
    /// whole process group) and collects the rest of their output.
    fn stop_all(&mut self) {
        drop_stdins(&mut self.procs);
        let mut stopped = Vec::new();
        for (i, p) in self.procs.iter_mut().enumerate() {
            if p.running {
                // Marks the coming exit as ours (see handle()).
                p.info.exit = Some(ExitInfo {
                    code: None,
                    signal: None,
                    killed_by_orchestrator: true,
                    t_ms: 0.0,
                });
                stopped.push(i);
            }
        }
        let groups: Vec<ProcId> = stopped
            .iter()
            .filter_map(|&i| self.procs[i].group)
            .collect();
        let threads: Vec<_> = groups
            .into_iter()
            .map(|g| {
                let mark = self.mark.clone();
                std::thread::spawn(move || state::stop_group(g, &mark, KILL_GRACE))
            })
            .collect();
        for t in threads {
            let _ = t.join();
        }
        // A program that ended on its own but left processes running in its
        // group (a forked grandchild): the whole group goes, and the
        // program's record says so. (The groups just stopped went whole.)
        for i in 0..self.procs.len() {
            let Some(g) = self.procs[i].group else {
                continue;
            };
            if stopped.contains(&i) {
                if !state::group_members(g, &self.mark).is_empty() {
                    state::signal_members(g, &self.mark, libc::SIGKILL);
                }
                continue;
            }
            let mut left = live_members(g, &self.mark);
            let settle = Instant::now() + Duration::from_millis(100);
            while !left.is_empty() && Instant::now() < settle {
                std::thread::sleep(Duration::from_millis(5));
                left = live_members(g, &self.mark);
            }
            if !left.is_empty() {
                let who: Vec<String> = left.iter().map(|&p| describe_pid(p)).collect();
                state::signal_members(g, &self.mark, libc::SIGKILL);
                self.left_behind(
                    i,
                    format!(
                        "{} still running in its process group after it ended ({}); killed with SIGKILL",
                        count(left.len(), "process", "processes"),
                        who.join(", ")
                    ),
                );
            }
        }
        let _ = self.wait_raw(Duration::from_secs(3), false, |r| Ok(r.all_exited()));
        self.wait_groups_gone(Duration::from_secs(2));
        // The rest of the output, up to a bound.
        let _ = self.wait_raw(Duration::from_millis(500), false, |r| {
            Ok(r.procs.iter().all(|p| p.streams_open == 0))
        });
        // An output pipe still open now is held by a process outside the
        // program's group (a grandchild that called setsid()): find it by
        // the pipe it holds, kill it, and say so. A process that escaped
        // and closed the pipes cannot be found this way.
        for i in 0..self.procs.len() {
            if self.procs[i].streams_open == 0 {
                continue;
            }
            let holders = pipe_holders(&self.procs[i].pipes);
            if holders.is_empty() {
                continue;
            }
            let who: Vec<String> = holders.iter().map(|&p| describe_pid(p)).collect();
            for &pid in &holders {
                // SAFETY: kill(2) on a process holding this program's own
                // output pipe, which only its descendants can.
                unsafe {
                    libc::kill(pid as i32, libc::SIGKILL);
                }
            }
            self.left_behind(
                i,
                format!(
                    "{} outside its process group (it left with setsid or the like) still holding its output after it ended ({}); killed with SIGKILL",
                    count(holders.len(), "process", "processes"),
                    who.join(", ")
                ),
            );
        }
        let _ = self.wait_raw(Duration::from_millis(500), false, |r| {
            Ok(r.procs.iter().all(|p| p.streams_open == 0))
        });
    }

    /// Waits until nothing is left of the programs' process groups, not
    /// even a zombie not yet reaped (the state file's last-resort cleanup
    /// would otherwise count it as a leftover).
    fn wait_groups_gone(&self, bound: Duration) {
        let groups: Vec<ProcId> = self.procs.iter().filter_map(|p| p.group).collect();
        let until = Instant::now() + bound;
        while groups
            .iter()
            .any(|g| !state::group_members(*g, &self.mark).is_empty())
            && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Records, against program `idx`, processes it left running.
    fn left_behind(&mut self, idx: usize, what: String) {
        let p = &self.procs[idx];
        let ev = Event {
            t_ms: ms(self.t0.elapsed()),
            process: p.info.id.clone(),
            stream: Stream::Step,
            text: format!("{LEFT_BEHIND} {what}"),
        };
        self.opts.console.event(&p.info.label(), &ev);
        self.events.push(ev);
    }

    fn start_capture(&mut self, path: &std::path::Path) -> Option<Capture> {
        let host = self.net.host(&self.s.server.host)?;
        let argv = vec![
            "tcpdump".to_string(),
            "-i".into(),
            host.intf.clone(),
            "-U".into(),
            "--immediate-mode".into(),
            "-n".into(),
            "-w".into(),
            path.to_string_lossy().to_string(),
            "tcp".into(),
            "port".into(),
            self.port.to_string(),
        ];
        let wrapped = self.net.wrap(&self.s.server.host, argv);
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (in_r, _in_w) = os_pipe::pipe().ok()?;
        let (err_r, err_w) = os_pipe::pipe().ok()?;
        let expr = duct::cmd(&wrapped[0], &wrapped[1..])
            .stdin_file(in_r)
            .stdout_null()
            .stderr_file(err_w)
            .env(RUN_ID_VAR, &self.mark)
            .unchecked();
        let expr = state::in_own_group(expr);
        let handle = match expr.start() {
            Ok(h) => h,
            Err(e) => {
                self.step_event(format!("capture not started: {e}"));
                return None;
            }
        };
        drop(expr);
        let pid = handle.pids().first().copied().unwrap_or(0);
        self.state.add_group(pid);
        let (ready_tx, ready_rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(err_r).lines() {
                    let Ok(line) = line else { break };
                    if line.contains("listening on") {
                        let _ = ready_tx.send(());
                    }
                    log.lock().expect("capture log").push(line);
                }
            });
        }
        if ready_rx.recv_timeout(Duration::from_secs(5)).is_err() {
            self.step_event("capture: tcpdump did not start listening within 5 s".into());
        } else {
            self.step_event(format!(
                "capturing tcp port {} on {}",
                self.port,
                host_intf(self.net, &self.s.server.host)
            ));
        }
        Some(Capture {
            group: ProcId::of(pid),
            handle,
            log,
        })
    }

    fn stop_capture(&mut self, c: Capture) -> Vec<String> {
        if let Some(g) = c.group {
            // tcpdump writes out what it holds on SIGTERM.
            state::stop_group(g, &self.mark, Duration::from_secs(2));
        }
        let _ = c.handle.wait();
        let lines = c.log.lock().expect("capture log").clone();
        lines
    }
}

/// The command as a person wants to read it: our binaries relative to the
/// directory the orchestrator runs in (`target/debug/server`), not as
/// absolute paths of this machine.
fn shown_argv(argv: &[String]) -> Vec<String> {
    let mut shown = argv.to_vec();
    if let (Some(first), Ok(cwd)) = (shown.first_mut(), std::env::current_dir()) {
        if let Ok(rel) = std::path::Path::new(first.as_str()).strip_prefix(&cwd) {
            *first = rel.to_string_lossy().into_owned();
        }
    }
    shown
}

/// A panic anywhere in the runner still stops every program it started.
impl Drop for Runner<'_> {
    fn drop(&mut self) {
        for p in &self.procs {
            if let (true, Some(g)) = (p.running, p.group) {
                state::stop_group(g, &self.mark, KILL_GRACE);
            }
        }
    }
}

/// `1 process`, `2 processes`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn host_intf(net: &dyn Network, host: &str) -> String {
    net.host(host).map(|h| h.intf.clone()).unwrap_or_default()
}

struct Spawned {
    pid: u32,
    stdin: PipeWriter,
    pipes: Vec<std::ffi::OsString>,
}

/// What `/proc/self/fd/FD` links to (`pipe:[INODE]` for a pipe).
fn fd_target(fd: &impl std::os::fd::AsRawFd) -> Option<std::ffi::OsString> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .ok()
        .map(PathBuf::into_os_string)
}

/// Processes other than this one that hold any of `pipes` open.
fn pipe_holders(pipes: &[std::ffi::OsString]) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
                fds.flatten().any(|fd| {
                    std::fs::read_link(fd.path())
                        .is_ok_and(|t| pipes.iter().any(|p| p == t.as_os_str()))
                })
            })
        })
        .collect()
}

/// Live (not zombie) processes of the group `g`.
fn live_members(g: ProcId, mark: &str) -> Vec<u32> {
    state::group_members(g, mark)
        .into_iter()
        .filter(|&pid| ProcId::of(pid).is_some_and(|p| p.alive()))
        .collect()
}

/// `pid 123 `python3 server.py`` for a report.
fn describe_pid(pid: u32) -> String {
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .split('\0')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let mut cmd: String = cmd.chars().take(120).collect();
    if cmd.is_empty() {
        cmd = "?".into();
    }
    format!("pid {pid} `{cmd}`")
}

/// Starts `argv` in its own process group with all three standard streams
/// piped; reader threads send its lines, a waiter thread its exit.
fn spawn_piped(
    argv: &[String],
    cwd: &std::path::Path,
    run_id: &str,
    idx: usize,
    tx: &Sender<Msg>,
) -> std::io::Result<Spawned> {
    let (in_r, in_w) = os_pipe::pipe()?;
    let (out_r, out_w) = os_pipe::pipe()?;
    let (err_r, err_w) = os_pipe::pipe()?;
    let pipes = [fd_target(&in_w), fd_target(&out_r), fd_target(&err_r)]
        .into_iter()
        .flatten()
        .collect();
    let expr = duct::cmd(&argv[0], &argv[1..])
        .dir(cwd)
        // Python programs (students' servers) would otherwise hold their
        // prints in a block buffer until they exit, and every line would
        // get the same late timestamp.
        .env("PYTHONUNBUFFERED", "1")
        // Marks every program (and what it forks) as this run's.
        .env(RUN_ID_VAR, run_id)
        .stdin_file(in_r)
        .stdout_file(out_w)
        .stderr_file(err_w)
        .unchecked();
    let expr = state::in_own_group(expr);
    let handle = expr.start()?;
    // The expression holds the pipes' write ends: without dropping it our
    // readers would never see EOF.
    drop(expr);
    let pid = handle.pids().first().copied().unwrap_or(0);
    for (reader, stream) in [(out_r, Stream::Stdout), (err_r, Stream::Stderr)] {
        let tx = tx.clone();
        std::thread::spawn(move || read_lines(reader, idx, stream, &tx));
    }
    let tx = tx.clone();
    std::thread::spawn(move || {
        use std::os::unix::process::ExitStatusExt;
        let status = handle.wait().map(|o| o.status);
        let at = Instant::now();
        let (code, signal) = match status {
            Ok(s) => (s.code(), s.signal()),
            Err(_) => (None, None),
        };
        let _ = tx.send(Msg::Exit {
            proc: idx,
            at,
            code,
            signal,
        });
    });
    Ok(Spawned {
        pid,
        stdin: in_w,
        pipes,
    })
}

/// Sends each line of `reader` (at most [`MAX_LINE_BYTES`] of it, `\r`
/// stripped, invalid UTF-8 replaced) until EOF, keeping at most
/// [`MAX_LINES`] and [`MAX_KEPT_BYTES`]; memory stays bounded however much
/// a program prints, and the program is never slowed (the rest is read and
/// counted).
fn read_lines(reader: impl Read, proc: usize, stream: Stream, tx: &Sender<Msg>) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut started: Option<Instant> = None;
    let mut kept = 0usize;
    let mut kept_bytes = 0usize;
    let mut full = false;
    let mut dropped = 0u64;
    // Whether the line being read lost bytes past MAX_LINE_BYTES.
    let mut cut = false;
    let mut emit = |line: &mut Vec<u8>, cut: &mut bool, at: Instant| {
        while line.last() == Some(&b'\r') {
            line.pop();
        }
        // Once either cap is reached every later line is dropped, so what
        // is kept is always the beginning of the output.
        full = full || kept >= MAX_LINES || kept_bytes + line.len() > MAX_KEPT_BYTES;
        if !full {
            kept += 1;
            kept_bytes += line.len();
            let mut text = String::from_utf8_lossy(line).into_owned();
            if *cut {
                text.push_str(CUT_MARK);
            }
            let _ = tx.send(Msg::Line {
                proc,
                stream,
                at,
                text,
            });
        } else {
            dropped += 1;
        }
        line.clear();
        *cut = false;
    };
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let now = Instant::now();
        let n = buf.len();
        let mut rest = buf;
        while !rest.is_empty() {
            let at = *started.get_or_insert(now);
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let room = MAX_LINE_BYTES.saturating_sub(line.len());
                    cut |= i > room;
                    line.extend_from_slice(&rest[..i.min(room)]);
                    emit(&mut line, &mut cut, at);
                    started = None;
                    rest = &rest[i + 1..];
                }
                None => {
                    let room = MAX_LINE_BYTES.saturating_sub(line.len());
                    cut |= rest.len() > room;
                    line.extend_from_slice(&rest[..rest.len().min(room)]);
                    rest = &[];
                }
            }
        }
        reader.consume(n);
    }
    if !line.is_empty() {
        emit(&mut line, &mut cut, started.unwrap_or_else(Instant::now));
    }
    if dropped > 0 {
        let _ = tx.send(Msg::Dropped {
            proc,
            lines: dropped,
        });
    }
    let _ = tx.send(Msg::Eof { proc });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `read_lines` reports for `input`: (lines kept, bytes kept, dropped).
    fn read_all(input: Vec<u8>) -> (usize, usize, u64) {
        let (tx, rx) = mpsc::channel();
        read_lines(std::io::Cursor::new(input), 0, Stream::Stdout, &tx);
        drop(tx);
        let (mut lines, mut bytes, mut dropped) = (0, 0, 0);
        for m in rx {
            match m {
                Msg::Line { text, .. } => {
                    // A cut line says so; what it kept is within the cap.
                    let kept = text.strip_suffix(CUT_MARK).unwrap_or(&text);
                    assert!(kept.len() <= MAX_LINE_BYTES);
                    if text.ends_with(CUT_MARK) {
                        assert_eq!(kept.len(), MAX_LINE_BYTES);
                    }
                    lines += 1;
                    bytes += kept.len();
                }
                Msg::Dropped { lines, .. } => dropped += lines,
                _ => {}
            }
        }
        (lines, bytes, dropped)
    }

    #[test]
    fn short_lines_stop_at_the_line_cap() {
        let input = b"y\n".repeat(MAX_LINES + 500);
        assert_eq!(read_all(input), (MAX_LINES, MAX_LINES, 500));
    }

    #[test]
    fn wide_lines_are_cut_and_stop_at_the_byte_cap() {
        let mut line = vec![b'w'; 3 * MAX_LINE_BYTES];
        line.push(b'\n');
        let input = line.repeat(1000);
        let (lines, bytes, dropped) = read_all(input);
        assert_eq!(lines, MAX_KEPT_BYTES / MAX_LINE_BYTES);
        assert_eq!(bytes, lines * MAX_LINE_BYTES);
        assert_eq!(lines as u64 + dropped, 1000);
    }

    #[test]
    fn a_cut_line_says_so_and_a_line_at_the_limit_does_not() {
        let texts = |input: Vec<u8>| -> Vec<String> {
            let (tx, rx) = mpsc::channel();
            read_lines(std::io::Cursor::new(input), 0, Stream::Stdout, &tx);
            drop(tx);
            rx.into_iter()
                .filter_map(|m| match m {
                    Msg::Line { text, .. } => Some(text),
                    _ => None,
                })
                .collect()
        };
        let mut at_limit = vec![b'a'; MAX_LINE_BYTES];
        at_limit.push(b'\n');
        let mut over = vec![b'b'; MAX_LINE_BYTES + 1];
        over.extend_from_slice(b"\nshort\n");
        assert!(!texts(at_limit)[0].ends_with(CUT_MARK));
        let got = texts(over);
        assert!(got[0].ends_with(CUT_MARK));
        assert_eq!(got[1], "short");
    }

    #[test]
    fn what_is_kept_is_the_beginning() {
        // A short line after the byte cap is hit is dropped too.
        let mut input = Vec::new();
        for _ in 0..(MAX_KEPT_BYTES / MAX_LINE_BYTES + 1) {
            input.extend(vec![b'w'; MAX_LINE_BYTES]);
            input.push(b'\n');
        }
        input.extend(b"Sent acknowledgment to both X and Y\n");
        let (lines, _, dropped) = read_all(input);
        assert_eq!((lines, dropped), (MAX_KEPT_BYTES / MAX_LINE_BYTES, 2));
    }
}
