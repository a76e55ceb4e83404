//! Starting one program: its command (ours, or the scenario's `cmd` with
//! placeholders filled), its own process group, its three standard streams
//! piped, its output and exit watched by the process's [`super::poller`],
//! which reports to the runner's channel.

use std::cell::RefCell;
use std::io::Write;
use std::ops::{Index, IndexMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use os_pipe::{PipeReader, PipeWriter};

use super::poller::{self, Watch};
use super::{RunError, Runner, StartError, TypeError, RUN_ID_VAR};
use crate::orchestrator::event::{Event, EventKind, ExitInfo, Stream};
use crate::orchestrator::record::{ProcessInfo, Role};
use crate::orchestrator::scenario::{ProcessRef, ValidClient};
use crate::orchestrator::sys::{self, Netns, ProcId};

/// What the poller reports of a program.
pub(super) enum Msg {
    Line {
        proc: ProcIdx,
        stream: Stream,
        at: Instant,
        text: String,
    },
    Dropped {
        proc: ProcIdx,
        lines: u64,
    },
    Eof {
        proc: ProcIdx,
    },
    Exit {
        proc: ProcIdx,
        at: Instant,
        code: Option<i32>,
        signal: Option<i32>,
    },
}

/// A program of the run, by its place in the runner's list of programs
/// (the order they were started in): not a client of the scenario
/// ([`crate::orchestrator::scenario::ClientIdx`]), nor a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ProcIdx(pub(super) usize);

impl Index<ProcIdx> for Vec<Proc> {
    type Output = Proc;

    fn index(&self, i: ProcIdx) -> &Proc {
        &self[i.0]
    }
}

impl IndexMut<ProcIdx> for Vec<Proc> {
    fn index_mut(&mut self, i: ProcIdx) -> &mut Proc {
        &mut self[i.0]
    }
}

/// A program of the run, as the runner tracks it.
pub(super) struct Proc {
    pub info: ProcessInfo,
    pub group: Option<ProcId>,
    pub stdin: Option<PipeWriter>,
    pub running: bool,
    pub streams_open: usize,
    /// Its exit, seen but not yet recorded (its output is still open).
    pub exit: Option<ExitInfo>,
    /// When its latest line was read.
    pub last_line_ms: f64,
    /// The orchestrator is stopping it: its exit is not its own.
    pub stopped_by_us: bool,
    /// Its name has been typed into it (a client asks for it once).
    pub name_typed: bool,
    /// It printed a greeting (`Client X connected`) on its stdout.
    pub greeted: bool,
    /// What went in and came out of its pipes so far, shared with its
    /// readers.
    pub io: Arc<IoCounts>,
    /// The inodes of its stdin, stdout and stderr pipes, to find processes
    /// that escaped its group (see [`sys::pipe_holders`]).
    pub pipes: Vec<u64>,
    /// Read ends of its stdout and stderr pipes (copies of its readers'),
    /// to tell whether all it printed has been read.
    pub outputs: Vec<PipeReader>,
    /// Its registration with the poller, which ends with the run.
    pub watch: Option<Watch>,
    /// The system calls its threads are in, asked often while it is about
    /// to read its stdin (a cache of open files, hence the cell: the
    /// waits' conditions look at the runner through a shared reference).
    pub calls: Option<RefCell<sys::ThreadCalls>>,
}

/// What went through a program's pipes, counted by the runner and the
/// poller.
#[derive(Default)]
pub struct IoCounts {
    /// Lines typed into it (see [`super::lines::Lines::take`]: a prompt's
    /// line ends where the program was typed into).
    pub typed: AtomicUsize,
    /// Bytes read from its stdout and stderr, kept or not: a program
    /// printing, however much of it is dropped, is not at a standstill.
    pub read: AtomicU64,
}

struct Spawned {
    pid: u32,
    stdin: PipeWriter,
    pipes: Vec<u64>,
    outputs: Vec<PipeReader>,
    watch: Watch,
}

/// Our own programs, which a scenario's `cmd` may name without a path.
const OUR_PROGRAMS: [&str; 2] = ["server", "client"];

impl Runner<'_> {
    /// Index of an already started program.
    pub(super) fn proc_index(&self, p: ProcessRef) -> ProcIdx {
        let id = self.scenario.process_id(p);
        let at = self.procs.iter().position(|x| x.info.id == id);
        ProcIdx(at.expect("process started before it is used"))
    }

    /// A scenario `cmd` with its placeholders filled in; `server` or
    /// `client` as the program means ours. `{letter}` is the client's
    /// letter (X for the first to connect), for programs that take it on
    /// their command line.
    fn expand(&self, argv: &[String], client: Option<&ValidClient>, id: &str) -> Vec<String> {
        let name = client.map_or("", |c| c.name());
        let letter = client.map_or(String::new(), |c| c.letter().to_string());
        let mut out: Vec<String> = argv
            .iter()
            .map(|a| {
                a.replace("{server_ip}", &self.server_ip)
                    .replace("{port}", &self.port.to_string())
                    .replace("{name}", name)
                    .replace("{letter}", &letter)
                    .replace("{id}", id)
            })
            .collect();
        if let Some(program) = out.first_mut() {
            if OUR_PROGRAMS.contains(&program.as_str()) {
                *program = self.bin(program);
            }
        }
        out
    }

    fn bin(&self, name: &str) -> String {
        self.opts.bin_dir.join(name).to_string_lossy().to_string()
    }

    /// The command line of a program (or why its sandbox could not be
    /// made), and what the record says of it.
    fn command_for(&self, p: ProcessRef) -> (Result<Vec<String>, StartError>, ProcessInfo) {
        let s = self.scenario;
        let timeout = format!("{}", s.timeout().as_secs_f64().ceil());
        let port = self.port.to_string();
        let (role, host, name, letter, argv) = match p {
            ProcessRef::Server => {
                let argv = match s.server().cmd() {
                    Some(c) => self.expand(c, None, "server"),
                    None => vec![
                        self.bin("server"),
                        "--bind".into(),
                        self.server_ip.clone(),
                        "--port".into(),
                        port,
                        "--rounds".into(),
                        "1".into(),
                        "--idle-timeout".into(),
                        timeout,
                    ],
                };
                let host = s.server().host().to_string();
                (Role::Server, host, None, None, argv)
            }
            ProcessRef::Client(i) => {
                let c = s.client(i);
                let argv = match c.cmd() {
                    Some(cmd) => self.expand(cmd, Some(c), c.id()),
                    None => vec![
                        self.bin("client"),
                        "--server".into(),
                        self.server_ip.clone(),
                        "--port".into(),
                        port,
                        "--connect-timeout".into(),
                        "10".into(),
                        "--reply-timeout".into(),
                        timeout,
                    ],
                };
                let (name, host) = (Some(c.name().to_string()), c.host().to_string());
                (Role::Client, host, name, Some(c.letter()), argv)
            }
        };
        let id = s.process_id(p).to_string();
        let shown = shown_argv(&argv);
        let argv = self.in_sandbox(&id, argv);
        let info = ProcessInfo {
            log: format!("{id}.log"),
            id,
            role,
            host,
            name,
            letter,
            command: shown,
            exit: None,
            dropped_lines: 0,
            usage: None,
        };
        (argv, info)
    }

    /// Anyone else's program (a scenario's `cmd` that is not ours) runs
    /// wrapped ([`super::Wrap`]: grading's sandbox, in a control group of
    /// its own) when the run has a wrapper; the record shows the program's
    /// own command.
    fn in_sandbox(&self, id: &str, argv: Vec<String>) -> Result<Vec<String>, StartError> {
        // Ours: exactly our `server` or `client` (the folder they are in
        // may hold other binaries: the build's own, beside the orchestrator).
        let theirs = !argv
            .first()
            .is_some_and(|p| OUR_PROGRAMS.iter().any(|name| *p == self.bin(name)));
        match (self.opts.wrap, theirs) {
            (Some(wrap), true) => wrap.wrap_program(id, argv).map_err(StartError::Wrap),
            _ => Ok(argv),
        }
    }

    /// Starts a program of the scenario; returns its index.
    pub(super) fn spawn(&mut self, p: ProcessRef) -> Result<ProcIdx, RunError> {
        let (argv, info) = self.command_for(p);
        let label = info.label();
        let command = info.command.first().cloned().unwrap_or_default();
        let cannot_start = |source: StartError| RunError::CannotStart {
            program: label.clone(),
            command: command.clone(),
            source,
        };
        let argv = argv.map_err(cannot_start)?;
        let netns = self
            .net
            .netns(&info.host)
            .map_err(|e| cannot_start(e.into()))?;
        let idx = ProcIdx(self.procs.len());
        let started = Event::new(
            self.now_ms(),
            info.id.clone(),
            EventKind::Started {
                command: info.command.clone(),
            },
        );
        self.procs.push(Proc {
            info,
            group: None,
            stdin: None,
            running: false,
            streams_open: 0,
            exit: None,
            last_line_ms: 0.0,
            stopped_by_us: false,
            name_typed: false,
            greeted: false,
            io: Arc::default(),
            pipes: Vec::new(),
            outputs: Vec::new(),
            watch: None,
            calls: None,
        });
        self.record(label.clone(), started);
        let io = Arc::clone(&self.procs[idx].io);
        let spawned = spawn_piped(&argv, netns, &self.opts.cwd, &self.mark, idx, io, &self.tx)
            .map_err(|e| cannot_start(e.into()))?;
        let proc = &mut self.procs[idx];
        proc.group = ProcId::of(spawned.pid);
        proc.calls = proc
            .group
            .map(|g| RefCell::new(sys::ThreadCalls::of(g.pid)));
        proc.stdin = Some(spawned.stdin);
        proc.running = true;
        proc.streams_open = 2;
        proc.pipes = spawned.pipes;
        proc.outputs = spawned.outputs;
        proc.watch = Some(spawned.watch);
        // Read once from /proc: the run's record and the ownership record.
        if let Some(leader) = proc.group {
            self.state.add_group(leader);
        }
        Ok(idx)
    }

    /// Whether program `idx` is blocked reading its stdin right now, and
    /// what it printed before has all been read from its pipes (and dated):
    /// its prompt then comes before what is typed, however late a busy
    /// machine runs the poller.
    pub(super) fn reads_stdin(&self, idx: ProcIdx) -> bool {
        let p = &self.procs[idx];
        p.running
            && p.calls
                .as_ref()
                .is_some_and(|c| c.borrow_mut().reads_stdin())
            && p.outputs.iter().all(|o| sys::unread_bytes(o) == Some(0))
    }

    /// Whether program `idx`, typed into, has settled elsewhere than its
    /// stdin (see [`sys::ThreadCalls::settled_off_stdin`]).
    pub(super) fn settled_off_stdin(&self, idx: ProcIdx) -> bool {
        let p = &self.procs[idx];
        !p.running
            || p.calls
                .as_ref()
                .is_some_and(|c| c.borrow_mut().settled_off_stdin())
    }

    /// Types one line into program `idx`'s stdin.
    pub(super) fn type_line(&mut self, idx: ProcIdx, text: &str) -> Result<(), RunError> {
        let label = self.procs[idx].info.label();
        let cannot = |source: TypeError| RunError::CannotType {
            program: label.clone(),
            source,
        };
        // Dated when the line is handed over: the program may answer (and
        // its answer be read) before the write returns.
        let t_ms = self.now_ms();
        let proc = &mut self.procs[idx];
        let Some(stdin) = proc.stdin.as_mut() else {
            return Err(cannot(TypeError::StdinClosed));
        };
        let mut line = text.as_bytes().to_vec();
        line.push(b'\n');
        proc.io.typed.fetch_add(1, Ordering::SeqCst);
        stdin
            .write_all(&line)
            .and_then(|_| stdin.flush())
            .map_err(|e| cannot(e.into()))?;
        let event = Event::new(
            t_ms,
            self.procs[idx].info.id.clone(),
            EventKind::Typed {
                text: text.to_string(),
            },
        );
        self.record(label, event);
        Ok(())
    }
}

/// The command as a person wants to read it: our binaries relative to the
/// directory the orchestrator runs in (`target/debug/server`), not as
/// absolute paths of this machine.
fn shown_argv(argv: &[String]) -> Vec<String> {
    let mut shown = argv.to_vec();
    if let (Some(first), Ok(cwd)) = (shown.first_mut(), std::env::current_dir()) {
        if let Ok(rel) = Path::new(first.as_str()).strip_prefix(&cwd) {
            *first = rel.to_string_lossy().into_owned();
        }
    }
    shown
}

/// Starts `argv` in its own process group with all three standard streams
/// piped; the poller sends its lines and its exit.
fn spawn_piped(
    argv: &[String],
    netns: Option<&Netns>,
    cwd: &Path,
    run_id: &str,
    idx: ProcIdx,
    io: Arc<IoCounts>,
    tx: &Sender<Msg>,
) -> std::io::Result<Spawned> {
    // Everything that can fail is done before the program starts: once it
    // runs, its handle must reach the poller, which reaps it.
    let poller = poller::poller()?;
    let (in_r, in_w) = os_pipe::pipe()?;
    let (out_r, out_w) = os_pipe::pipe()?;
    let (err_r, err_w) = os_pipe::pipe()?;
    let outputs = vec![out_r.try_clone()?, err_r.try_clone()?];
    let pipes = std::iter::once(sys::pipe_inode(&in_w))
        .chain(outputs.iter().map(sys::pipe_inode))
        .flatten()
        .collect();
    let read_ends = vec![
        (poller::output_fd(out_r)?, Stream::Stdout),
        (poller::output_fd(err_r)?, Stream::Stderr),
    ];
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
    let expr = sys::in_own_group(expr);
    let handle = sys::start_in(netns, &expr)?;
    // The expression holds the pipes' write ends: without dropping it the
    // poller would never see EOF.
    drop(expr);
    let pid = handle.pids().first().copied().unwrap_or(0);
    let watch = poller.watch(idx, read_ends, Some(handle), &io, tx);
    Ok(Spawned {
        pid,
        stdin: in_w,
        pipes,
        outputs,
        watch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, Receiver};
    use std::time::Duration;

    /// What the poller reports of program `argv` until its exit and both
    /// its streams' ends: its lines and its (code, signal).
    fn run_to_end(argv: &[&str], rx_tx: (&Receiver<Msg>, &Sender<Msg>)) -> RunEnd {
        let (rx, tx) = rx_tx;
        let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
        let io = Arc::new(IoCounts::default());
        let s = spawn_piped(&argv, None, Path::new("."), "test", ProcIdx(7), io, tx).unwrap();
        let mut end = RunEnd {
            pid: s.pid,
            lines: Vec::new(),
            exit: None,
            eofs: 0,
        };
        drop(s.stdin);
        while end.exit.is_none() || end.eofs < 2 {
            match rx.recv_timeout(Duration::from_secs(20)).expect("reported") {
                Msg::Line {
                    proc, stream, text, ..
                } => {
                    assert_eq!(proc, ProcIdx(7));
                    end.lines.push((stream, text));
                }
                Msg::Eof { .. } => end.eofs += 1,
                Msg::Exit { code, signal, .. } => end.exit = Some((code, signal)),
                Msg::Dropped { .. } => {}
            }
        }
        end
    }

    struct RunEnd {
        pid: u32,
        lines: Vec<(Stream, String)>,
        exit: Option<(Option<i32>, Option<i32>)>,
        eofs: usize,
    }

    #[test]
    fn a_program_s_lines_and_exit_are_reported_and_it_is_reaped() {
        let (tx, rx) = mpsc::channel();
        let end = run_to_end(&["sh", "-c", "echo out; echo err >&2; exit 3"], (&rx, &tx));
        assert!(end.lines.contains(&(Stream::Stdout, "out".into())));
        assert!(end.lines.contains(&(Stream::Stderr, "err".into())));
        assert_eq!(end.exit, Some((Some(3), None)));
        // Reaped: no zombie is left.
        assert!(!Path::new(&format!("/proc/{}", end.pid)).exists());
    }

    #[test]
    fn a_killed_program_s_signal_is_reported() {
        let (tx, rx) = mpsc::channel();
        let end = run_to_end(&["sh", "-c", "kill -9 $$"], (&rx, &tx));
        assert_eq!(end.exit, Some((None, Some(9))));
    }
}
