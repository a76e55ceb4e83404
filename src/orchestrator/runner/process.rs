//! Starting one program: its command (ours, or the scenario's `cmd` with
//! placeholders filled), its own process group, its three standard streams
//! piped, a reader thread per output stream and a waiter thread for its
//! exit, all reporting to the runner's channel.

use std::io::{BufRead, BufReader, Read, Write};
use std::ops::{Index, IndexMut};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use os_pipe::{PipeReader, PipeWriter};

use super::{
    RunError, Runner, StartError, TypeError, CUT_MARK, MAX_KEPT_BYTES, MAX_LINES, MAX_LINE_BYTES,
    RUN_ID_VAR,
};
use crate::orchestrator::event::{Event, EventKind, ExitInfo, Stream};
use crate::orchestrator::record::{ProcessInfo, Role};
use crate::orchestrator::scenario::{ProcessRef, ValidClient};
use crate::orchestrator::sys::{self, Netns, ProcId};

/// What a program's threads report.
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
}

/// What went through a program's pipes, counted by the runner and its
/// reader threads.
#[derive(Default)]
pub struct IoCounts {
    /// Lines typed into it (see `read_lines`: a prompt's line ends where
    /// the program was typed into).
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
        let theirs = !argv
            .first()
            .is_some_and(|p| Path::new(p).starts_with(&self.opts.bin_dir));
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
        });
        self.record(label.clone(), started);
        let io = Arc::clone(&self.procs[idx].io);
        let spawned = spawn_piped(&argv, netns, &self.opts.cwd, &self.mark, idx, io, &self.tx)
            .map_err(|e| cannot_start(e.into()))?;
        let proc = &mut self.procs[idx];
        proc.group = ProcId::of(spawned.pid);
        proc.stdin = Some(spawned.stdin);
        proc.running = true;
        proc.streams_open = 2;
        proc.pipes = spawned.pipes;
        proc.outputs = spawned.outputs;
        self.state.add_group(spawned.pid);
        Ok(idx)
    }

    /// Whether program `idx` is blocked reading its stdin right now, and
    /// what it printed before has all been read from its pipes (and dated):
    /// its prompt then comes before what is typed, however late a busy
    /// machine runs its reader threads.
    pub(super) fn reads_stdin(&self, idx: ProcIdx) -> bool {
        let p = &self.procs[idx];
        p.running
            && p.group.is_some_and(|g| sys::reads_stdin(g.pid))
            && p.outputs.iter().all(|o| sys::unread_bytes(o) == Some(0))
    }

    /// Whether program `idx`, typed into, has settled elsewhere than its
    /// stdin (see [`sys::settled_off_stdin`]).
    pub(super) fn settled_off_stdin(&self, idx: ProcIdx) -> bool {
        let p = &self.procs[idx];
        !p.running || p.group.is_some_and(|g| sys::settled_off_stdin(g.pid))
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
/// piped; reader threads send its lines, a waiter thread its exit.
fn spawn_piped(
    argv: &[String],
    netns: Option<&Netns>,
    cwd: &Path,
    run_id: &str,
    idx: ProcIdx,
    io: Arc<IoCounts>,
    tx: &Sender<Msg>,
) -> std::io::Result<Spawned> {
    let (in_r, in_w) = os_pipe::pipe()?;
    let (out_r, out_w) = os_pipe::pipe()?;
    let (err_r, err_w) = os_pipe::pipe()?;
    let outputs = vec![out_r.try_clone()?, err_r.try_clone()?];
    let pipes = std::iter::once(sys::pipe_inode(&in_w))
        .chain(outputs.iter().map(sys::pipe_inode))
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
    let expr = sys::in_own_group(expr);
    let handle = sys::start_in(netns, &expr)?;
    // The expression holds the pipes' write ends: without dropping it our
    // readers would never see EOF.
    drop(expr);
    let pid = handle.pids().first().copied().unwrap_or(0);
    for (reader, stream) in [(out_r, Stream::Stdout), (err_r, Stream::Stderr)] {
        let tx = tx.clone();
        let io = Arc::clone(&io);
        std::thread::spawn(move || read_lines(reader, idx, stream, &io, &tx));
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
        outputs,
    })
}

/// Keeps the beginning of a program's output within [`MAX_LINES`] and
/// [`MAX_KEPT_BYTES`], and counts the rest.
struct Keeper<'a> {
    proc: ProcIdx,
    stream: Stream,
    tx: &'a Sender<Msg>,
    kept: usize,
    kept_bytes: usize,
    /// Once either cap is reached every later line is dropped, so what is
    /// kept is always the beginning of the output.
    full: bool,
    dropped: u64,
}

impl Keeper<'_> {
    fn emit(&mut self, line: &mut Vec<u8>, cut: bool, at: Instant) {
        while line.last() == Some(&b'\r') {
            line.pop();
        }
        self.full =
            self.full || self.kept >= MAX_LINES || self.kept_bytes + line.len() > MAX_KEPT_BYTES;
        if self.full {
            self.dropped += 1;
        } else {
            self.kept += 1;
            self.kept_bytes += line.len();
            let mut text = String::from_utf8_lossy(line).into_owned();
            if cut {
                text.push_str(CUT_MARK);
            }
            let _ = self.tx.send(Msg::Line {
                proc: self.proc,
                stream: self.stream,
                at,
                text,
            });
        }
        line.clear();
    }
}

/// Splits a program's output into lines as it is read, and hands each to
/// its [`Keeper`].
struct Splitter<'a> {
    keeper: Keeper<'a>,
    /// The line being read, at most [`MAX_LINE_BYTES`] of it.
    line: Vec<u8>,
    /// When its first byte was read.
    started: Option<Instant>,
    /// Whether it lost bytes past [`MAX_LINE_BYTES`].
    cut: bool,
}

impl Splitter<'_> {
    /// Takes bytes read at `now`: each `\n` ends a line.
    fn push(&mut self, mut rest: &[u8], now: Instant) {
        while !rest.is_empty() {
            let at = *self.started.get_or_insert(now);
            let end = rest.iter().position(|&b| b == b'\n');
            let part = &rest[..end.unwrap_or(rest.len())];
            let room = MAX_LINE_BYTES.saturating_sub(self.line.len());
            self.cut |= part.len() > room;
            self.line.extend_from_slice(&part[..part.len().min(room)]);
            match end {
                Some(i) => {
                    self.end_line(at);
                    rest = &rest[i + 1..];
                }
                None => rest = &[],
            }
        }
    }

    /// Ends the line being read, dated `at`.
    fn end_line(&mut self, at: Instant) {
        self.keeper.emit(&mut self.line, self.cut, at);
        self.cut = false;
        self.started = None;
    }
}

/// Sends each line of `reader` (at most [`MAX_LINE_BYTES`] of it, `\r`
/// stripped, invalid UTF-8 replaced) until EOF, keeping at most
/// [`MAX_LINES`] and [`MAX_KEPT_BYTES`]; memory stays bounded however much
/// a program prints, and the program is never slowed (the rest is read and
/// counted). A line is dated by the moment its first byte was read.
fn read_lines(reader: impl Read, proc: ProcIdx, stream: Stream, io: &IoCounts, tx: &Sender<Msg>) {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let mut lines = Splitter {
        keeper: Keeper {
            proc,
            stream,
            tx,
            kept: 0,
            kept_bytes: 0,
            full: false,
            dropped: 0,
        },
        line: Vec::with_capacity(256),
        started: None,
        cut: false,
    };
    // How many lines had been typed into the program when its last bytes
    // were read.
    let mut typed_seen = io.typed.load(Ordering::SeqCst);
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let now = Instant::now();
        let typed_now = io.typed.load(Ordering::SeqCst);
        if typed_now != typed_seen && !lines.line.is_empty() {
            // A prompt printed without a newline (`Enter your name: `) ends
            // where the program was typed into: what it prints after the
            // answer is another line, at its own time.
            lines.end_line(lines.started.unwrap_or(now));
        }
        typed_seen = typed_now;
        let n = buf.len();
        lines.push(buf, now);
        reader.consume(n);
        io.read.fetch_add(n as u64, Ordering::Relaxed);
    }
    if !lines.line.is_empty() {
        lines.end_line(lines.started.unwrap_or_else(Instant::now));
    }
    if lines.keeper.dropped > 0 {
        let _ = tx.send(Msg::Dropped {
            proc,
            lines: lines.keeper.dropped,
        });
    }
    let _ = tx.send(Msg::Eof { proc });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// What `read_lines` reports for `input`: (lines kept, bytes kept, dropped).
    fn read_all(input: Vec<u8>) -> (usize, usize, u64) {
        let (tx, rx) = mpsc::channel();
        read_lines(
            std::io::Cursor::new(input),
            ProcIdx(0),
            Stream::Stdout,
            &IoCounts::default(),
            &tx,
        );
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
            read_lines(
                std::io::Cursor::new(input),
                ProcIdx(0),
                Stream::Stdout,
                &IoCounts::default(),
                &tx,
            );
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
    fn a_prompt_without_a_newline_ends_where_the_program_was_typed_into() {
        let (reader, mut writer) = os_pipe::pipe().unwrap();
        let (tx, rx) = mpsc::channel();
        let io = Arc::new(IoCounts::default());
        let io_r = Arc::clone(&io);
        let t = std::thread::spawn(move || {
            read_lines(reader, ProcIdx(0), Stream::Stdout, &io_r, &tx);
        });
        writer.write_all(b"Enter your name: ").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        // The name is typed; what the program prints next is a new line.
        io.typed.fetch_add(1, Ordering::SeqCst);
        writer
            .write_all(b"From Server: Client X connected\nok")
            .unwrap();
        drop(writer);
        t.join().unwrap();
        let lines: Vec<(String, Instant)> = rx
            .into_iter()
            .filter_map(|m| match m {
                Msg::Line { text, at, .. } => Some((text, at)),
                _ => None,
            })
            .collect();
        let texts: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            ["Enter your name: ", "From Server: Client X connected", "ok"]
        );
        assert!(lines[1].1 - lines[0].1 >= std::time::Duration::from_millis(40));
        // Without typing, bytes without a newline and what follows them are
        // one line, however long the pause.
        let (reader, mut writer) = os_pipe::pipe().unwrap();
        let (tx, rx) = mpsc::channel();
        let t = std::thread::spawn(move || {
            read_lines(
                reader,
                ProcIdx(0),
                Stream::Stdout,
                &IoCounts::default(),
                &tx,
            );
        });
        writer.write_all(b"Y: Bob ").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        writer.write_all(b"received before X: Alice\n").unwrap();
        drop(writer);
        t.join().unwrap();
        let texts: Vec<String> = rx
            .into_iter()
            .filter_map(|m| match m {
                Msg::Line { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["Y: Bob received before X: Alice"]);
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
