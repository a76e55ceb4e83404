//! The one thread that watches every program's output pipes and exit, for
//! the whole `orchestrate` process (started on first use, then shared by
//! every run of a batch), instead of three threads per program: on two
//! CPUs, a run's new reader and waiter threads competed with the program's
//! own exec and the runner's thread right after each start.
//!
//! It waits with poll(2) on its wake-up eventfd (a program registered or
//! forgotten), on every registered output pipe (our read end made
//! non-blocking) and on a pidfd per program, readable once it has exited.
//! A ready pipe gets one read of at most [`READ_CHUNK`] bytes per round,
//! turned into lines by its [`Lines`], so a program flooding its stdout
//! cannot starve another's lines. An exit is reaped through duct's handle
//! (`try_wait`, which no longer blocks once the pidfd is readable) and
//! sent as [`Msg::Exit`]. Where `pidfd_open` is missing (Linux before
//! 5.3), that program's exit is waited for by a thread of its own, as
//! before.
//!
//! A registration ends, its fd closed, at the end of its stream or at the
//! exit; when a send fails (the run's receiver is gone: the run is over);
//! or, for output pipes, when its program's [`Watch`] is dropped with the
//! run (a pipe a stray process still holds would otherwise stay watched).
//! An exit stays watched until the process ends, so that it is reaped.

use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use os_pipe::PipeReader;
use rustix::event::{eventfd, poll, EventfdFlags, PollFd, PollFlags};
use rustix::io::Errno;

use super::lines::Lines;
use super::process::{IoCounts, Msg, ProcIdx};
use crate::orchestrator::event::Stream;
use crate::orchestrator::sys;

/// Most bytes read from one pipe per round: a pipe's default capacity, so
/// a program that printed is drained in one read, and one that floods
/// gets no more of a round than any other.
const READ_CHUNK: usize = 64 * 1024;

/// The poller thread's mailbox.
pub(super) struct Poller {
    /// Registrations and forgettings not yet taken in by the thread.
    queue: Mutex<Vec<Cmd>>,
    /// Written to wake the thread: the queue has something.
    wake: OwnedFd,
}

enum Cmd {
    Add(Box<Source>),
    /// Stop watching the output of the program with this key.
    Forget(u64),
}

/// One fd the thread watches.
struct Source {
    /// The program it belongs to (see [`Watch`]).
    key: u64,
    fd: OwnedFd,
    kind: Kind,
}

enum Kind {
    Output {
        lines: Lines,
        /// Its program's output streams still watched.
        left: Arc<AtomicUsize>,
    },
    Exit(Exit),
}

/// What a ready source says about itself.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Keep,
    /// It ended (EOF, exit): say so and stop watching it.
    Done,
    /// Its run is over: stop watching it, silently.
    Gone,
}

/// A program's exit, to reap and report.
struct Exit {
    proc: ProcIdx,
    handle: duct::Handle,
    tx: Sender<Msg>,
}

/// A program's registration, kept with the program by the runner: dropped
/// with the run, it makes the poller forget the program's output pipes
/// still watched.
pub(super) struct Watch {
    poller: &'static Poller,
    key: u64,
    left: Arc<AtomicUsize>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Normally both streams have ended by now: nothing to wake for.
        if self.left.load(Ordering::SeqCst) > 0 {
            self.poller.send(vec![Cmd::Forget(self.key)]);
        }
    }
}

/// The process's poller, started on first use. A failure to start it is
/// not kept: the next program tries again.
pub(super) fn poller() -> std::io::Result<&'static Poller> {
    static POLLER: Mutex<Option<&'static Poller>> = Mutex::new(None);
    let mut slot = POLLER.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(p) = *slot {
        return Ok(p);
    }
    let wake = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
    // Lives as long as the process, as its thread does.
    let p: &'static Poller = Box::leak(Box::new(Poller {
        queue: Mutex::new(Vec::new()),
        wake,
    }));
    std::thread::Builder::new()
        .name("pa3-poller".into())
        .spawn(move || p.run())?;
    *slot = Some(p);
    Ok(p)
}

/// A pipe's read end as the poller reads it: non-blocking, so that one
/// read takes what is there and never waits.
pub(super) fn output_fd(reader: PipeReader) -> std::io::Result<OwnedFd> {
    let fd = OwnedFd::from(reader);
    rustix::io::ioctl_fionbio(&fd, true)?;
    Ok(fd)
}

impl Poller {
    /// Watches program `proc`'s output streams (from [`output_fd`]) and,
    /// if given, its exit; everything is reported to `tx`.
    pub(super) fn watch(
        &'static self,
        proc: ProcIdx,
        outputs: Vec<(OwnedFd, Stream)>,
        child: Option<duct::Handle>,
        io: &Arc<IoCounts>,
        tx: &Sender<Msg>,
    ) -> Watch {
        static NEXT_KEY: AtomicU64 = AtomicU64::new(0);
        let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
        let left = Arc::new(AtomicUsize::new(outputs.len()));
        let mut cmds: Vec<Cmd> = outputs
            .into_iter()
            .map(|(fd, stream)| {
                let lines = Lines::new(proc, stream, Arc::clone(io), tx.clone());
                let left = Arc::clone(&left);
                Cmd::Add(Box::new(Source {
                    key,
                    fd,
                    kind: Kind::Output { lines, left },
                }))
            })
            .collect();
        if let Some(handle) = child {
            let exit = Exit {
                proc,
                handle,
                tx: tx.clone(),
            };
            match exit_fd(&exit.handle) {
                Some(fd) => cmds.push(Cmd::Add(Box::new(Source {
                    key,
                    fd,
                    kind: Kind::Exit(exit),
                }))),
                None => exit.wait_in_thread(),
            }
        }
        self.send(cmds);
        Watch {
            poller: self,
            key,
            left,
        }
    }

    fn send(&self, cmds: Vec<Cmd>) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(cmds);
        // Cannot fail short of the counter's overflow (2^64 - 2 wake-ups),
        // and then the thread is awake anyway.
        let _ = rustix::io::write(&self.wake, &1u64.to_ne_bytes());
    }

    /// The thread: forever, waits for something ready, reads or reaps it,
    /// takes in new registrations.
    fn run(&self) {
        let mut sources: Vec<Source> = Vec::new();
        let mut buf = vec![0u8; READ_CHUNK];
        let mut ready: Vec<bool> = Vec::new();
        loop {
            let woken = self.wait(&sources, &mut ready);
            // From the end, so that `swap_remove` only moves a source
            // already served this round.
            for i in (0..sources.len()).rev() {
                if !ready[i] {
                    continue;
                }
                match sources[i].ready(&mut buf) {
                    Step::Keep => {}
                    step => sources.swap_remove(i).end(step),
                }
            }
            if woken {
                self.take_in(&mut sources);
            }
        }
    }

    /// Waits until a source or the wake-up fd is ready; `ready[i]` says
    /// whether `sources[i]` is. Returns whether the thread was woken.
    fn wait(&self, sources: &[Source], ready: &mut Vec<bool>) -> bool {
        let mut fds = Vec::with_capacity(sources.len() + 1);
        fds.push(PollFd::new(&self.wake, PollFlags::IN));
        fds.extend(sources.iter().map(|s| PollFd::new(&s.fd, PollFlags::IN)));
        ready.clear();
        match poll(&mut fds, None) {
            Ok(_) => {}
            Err(Errno::INTR) => {}
            Err(_) => {
                // Not expected (ENOMEM): no busy loop while it lasts.
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        // HUP and ERR count as ready: the read then sees the end.
        ready.extend(fds[1..].iter().map(|f| !f.revents().is_empty()));
        !fds[0].revents().is_empty()
    }

    /// Takes in what was sent to the thread.
    fn take_in(&self, sources: &mut Vec<Source>) {
        let mut count = [0u8; 8];
        let _ = rustix::io::read(&self.wake, &mut count);
        let cmds = std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        for cmd in cmds {
            match cmd {
                Cmd::Add(s) => sources.push(*s),
                Cmd::Forget(key) => {
                    sources.retain(|s| s.key != key || matches!(s.kind, Kind::Exit(_)));
                }
            }
        }
    }
}

impl Source {
    /// Serves a ready source: one read of a pipe; an exit has happened.
    fn ready(&mut self, buf: &mut [u8]) -> Step {
        let Kind::Output { lines, .. } = &mut self.kind else {
            return Step::Done;
        };
        match rustix::io::read(&self.fd, &mut *buf) {
            Ok(0) => Step::Done,
            Ok(n) if lines.take(&buf[..n], Instant::now()) => Step::Keep,
            Ok(_) => Step::Gone,
            Err(Errno::AGAIN | Errno::INTR) => Step::Keep,
            // As a blocking read's error did: the stream ends there.
            Err(_) => Step::Done,
        }
    }

    /// Ends a source no longer watched (its fd is closed here).
    fn end(self, step: Step) {
        match self.kind {
            Kind::Output { lines, left } => {
                left.fetch_sub(1, Ordering::SeqCst);
                if step == Step::Done {
                    lines.finish();
                }
            }
            Kind::Exit(exit) => exit.reap(),
        }
    }
}

/// A pidfd for the program `handle` started, if this kernel has them. The
/// child is ours and not yet reaped, so its pid cannot have been reused.
fn exit_fd(handle: &duct::Handle) -> Option<OwnedFd> {
    sys::pidfd(handle.pids().first().copied()?)
}

impl Exit {
    /// Its pidfd is readable: the program has exited; reap it and say so.
    fn reap(self) {
        let at = Instant::now();
        match self.handle.try_wait() {
            Ok(Some(out)) => send_exit(&self.tx, self.proc, at, Ok(out.status)),
            // Not expected once the pidfd is readable; a blocking wait
            // then still reports it.
            Ok(None) => self.wait_in_thread(),
            Err(e) => send_exit(&self.tx, self.proc, at, Err(e)),
        }
    }

    /// Waits for the exit in a thread of its own (no pidfd).
    fn wait_in_thread(self) {
        std::thread::spawn(move || {
            let status = self.handle.wait().map(|o| o.status);
            send_exit(&self.tx, self.proc, Instant::now(), status);
        });
    }
}

fn send_exit(tx: &Sender<Msg>, proc: ProcIdx, at: Instant, status: std::io::Result<ExitStatus>) {
    use std::os::unix::process::ExitStatusExt;
    let (code, signal) = match status {
        Ok(s) => (s.code(), s.signal()),
        Err(_) => (None, None),
    };
    // A failed send: the run is over, nobody waits for this exit.
    let _ = tx.send(Msg::Exit {
        proc,
        at,
        code,
        signal,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc::{self, Receiver};

    const PATIENCE: Duration = Duration::from_secs(20);

    /// A pipe whose read end the poller watches as program `proc`'s stdout.
    fn watched_pipe(
        proc: usize,
        io: &Arc<IoCounts>,
        tx: &Sender<Msg>,
    ) -> (os_pipe::PipeWriter, Watch) {
        let (r, w) = os_pipe::pipe().unwrap();
        let fd = output_fd(r).unwrap();
        let outputs = vec![(fd, Stream::Stdout)];
        let watch = poller()
            .unwrap()
            .watch(ProcIdx(proc), outputs, None, io, tx);
        (w, watch)
    }

    /// The lines (text, when) of one program until its Eof.
    fn lines_until_eof(rx: &Receiver<Msg>) -> Vec<(String, Instant)> {
        let mut got = Vec::new();
        loop {
            match rx.recv_timeout(PATIENCE).expect("the poller reports") {
                Msg::Line { text, at, .. } => got.push((text, at)),
                Msg::Eof { .. } => return got,
                _ => {}
            }
        }
    }

    #[test]
    fn a_prompt_without_a_newline_ends_where_the_program_was_typed_into() {
        let (tx, rx) = mpsc::channel();
        let io = Arc::new(IoCounts::default());
        let (mut writer, _watch) = watched_pipe(0, &io, &tx);
        let (prompt, answer) = (b"Enter your name: ", b"From Server: Client X connected\nok");
        writer.write_all(prompt).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        // The name is typed; what the program prints next is a new line.
        io.typed.fetch_add(1, Ordering::SeqCst);
        writer.write_all(answer).unwrap();
        drop(writer);
        let lines = lines_until_eof(&rx);
        let texts: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            texts,
            ["Enter your name: ", "From Server: Client X connected", "ok"]
        );
        assert!(lines[1].1 - lines[0].1 >= Duration::from_millis(40));
        let read = io.read.load(Ordering::SeqCst);
        assert_eq!(read, (prompt.len() + answer.len()) as u64);
        // Without typing, bytes without a newline and what follows them are
        // one line, however long the pause.
        let (mut writer, _watch) = watched_pipe(0, &Arc::default(), &tx);
        writer.write_all(b"Y: Bob ").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        writer.write_all(b"received before X: Alice\n").unwrap();
        drop(writer);
        let texts: Vec<String> = lines_until_eof(&rx).into_iter().map(|l| l.0).collect();
        assert_eq!(texts, ["Y: Bob received before X: Alice"]);
    }

    #[test]
    fn a_program_flooding_its_output_does_not_starve_another() {
        let (tx, rx) = mpsc::channel();
        let (mut flood, _w0) = watched_pipe(0, &Arc::default(), &tx);
        let (mut quiet, _w1) = watched_pipe(1, &Arc::default(), &tx);
        // The flood goes on until the quiet program's lines have all come.
        let stop = Arc::new(AtomicBool::new(false));
        let flooding = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let chunk = b"flood flood flood\n".repeat(4096);
                let mut sent = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    flood.write_all(&chunk).unwrap();
                    sent += chunk.len();
                }
                sent
            })
        };
        for word in ["one", "two", "three"] {
            std::thread::sleep(Duration::from_millis(20));
            writeln!(quiet, "{word}").unwrap();
        }
        drop(quiet);
        let (mut quiet_lines, mut flood_lines) = (Vec::new(), 0);
        loop {
            match rx.recv_timeout(PATIENCE).expect("the quiet lines come") {
                Msg::Line {
                    proc: ProcIdx(1),
                    text,
                    ..
                } => quiet_lines.push(text),
                Msg::Line { .. } => flood_lines += 1,
                Msg::Eof { proc } => {
                    assert_eq!(proc, ProcIdx(1), "the flood ended first");
                    break;
                }
                _ => {}
            }
        }
        stop.store(true, Ordering::SeqCst);
        assert_eq!(quiet_lines, ["one", "two", "three"]);
        assert!(flood_lines > 0);
        // The flood was read on all along (else its writer would block).
        let sent = flooding.join().unwrap();
        assert!(sent > 4 * READ_CHUNK, "only {sent} bytes flooded");
    }

    #[test]
    fn a_dropped_watch_forgets_its_pipes() {
        let (tx, rx) = mpsc::channel();
        let (mut writer, watch) = watched_pipe(0, &Arc::default(), &tx);
        writer.write_all(b"seen\n").unwrap();
        assert_eq!(lines_until_eof_or_line(&rx), "seen");
        assert_eq!(watch.left.load(Ordering::SeqCst), 1);
        drop(watch);
        // The poller closed its read end: the writer sees a broken pipe.
        let until = Instant::now() + PATIENCE;
        while writer.write_all(b"more\n").is_ok() {
            assert!(Instant::now() < until, "the pipe is still read");
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(tx);
        // No Eof for a forgotten stream: the run is over.
        assert!(rx.iter().all(|m| matches!(m, Msg::Line { .. })));
    }

    #[test]
    fn without_a_pidfd_the_exit_is_waited_for_in_a_thread() {
        // What a kernel without pidfd_open (before 5.3) gets.
        let (tx, rx) = mpsc::channel();
        let handle = duct::cmd!("sh", "-c", "exit 5")
            .unchecked()
            .start()
            .unwrap();
        let proc = ProcIdx(2);
        Exit { proc, handle, tx }.wait_in_thread();
        match rx.recv_timeout(PATIENCE).expect("the exit is reported") {
            Msg::Exit { proc, code, .. } => assert_eq!((proc, code), (ProcIdx(2), Some(5))),
            _ => panic!("expected the exit"),
        }
    }

    fn lines_until_eof_or_line(rx: &Receiver<Msg>) -> String {
        match rx.recv_timeout(PATIENCE).expect("the poller reports") {
            Msg::Line { text, .. } => text,
            _ => panic!("expected a line"),
        }
    }
}
