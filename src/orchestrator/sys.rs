//! The orchestrator's one door to the operating system's process table:
//! every signal, process-group and `/proc` call it makes is here (and the
//! `PATH` lookups), so the rules that keep it from touching anyone else's
//! processes are in one place. It knows no network backend, no run and no
//! scenario: the layers above call it, never the other way round. Signals and ids go through `nix`, `/proc` through `procfs`, so
//! every call here is a safe wrapper's.
//!
//! The rules: a process is named by its pid *and* the kernel's start time
//! of that pid ([`ProcId`]), so a pid the kernel has since given to another
//! program is not mistaken for ours; a zombie is not alive; pid 0 and
//! process group 0 (and 1) are never signalled, since `kill(0, …)` and
//! `killpg(0, …)` would reach our own group and `killpg(1, …)` everyone;
//! a process counts as a run's only if it carries the run's mark
//! ([`RUN_ID_VAR`]) in its environment.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nix::sys::signal;
use nix::unistd::{self, Pid};
use procfs::net::{TcpNetEntry, TcpState};
use procfs::process::{FDTarget, Process, Stat};
use serde::{Deserialize, Serialize};

pub use nix::sys::signal::Signal;

/// The environment variable that marks every program a run starts (and
/// whatever it forks) as that run's: `PA3_RUN_ID=<owner pid>-<start>`.
pub const RUN_ID_VAR: &str = "PA3_RUN_ID";

/// Whether this process runs as root (effective uid 0).
pub fn is_root() -> bool {
    unistd::geteuid().is_root()
}

/// This process's effective uid.
pub fn euid() -> u32 {
    unistd::geteuid().as_raw()
}

/// Where `program` is: on PATH, or in the system directories sudo's
/// secure_path holds (which a root shell's PATH may lack).
pub fn find_program(program: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let system = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from);
    on_path
        .into_iter()
        .chain(system)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Whether `program` can be found (see [`find_program`]).
pub fn on_path(program: &str) -> bool {
    find_program(program).is_some()
}

/// A process as recorded: pid plus the kernel's start time of that pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcId {
    pub pid: u32,
    /// Field 22 of `/proc/PID/stat` (clock ticks since boot).
    pub start: u64,
}

impl ProcId {
    /// The process as it is now, if it exists.
    pub fn of(pid: u32) -> Option<ProcId> {
        stat(pid).map(|s| ProcId {
            pid,
            start: s.starttime,
        })
    }

    /// Whether this very process (not a later one with the same pid) lives.
    pub fn alive(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.starttime == self.start && !is_zombie(&s))
    }
}

/// A process to ask, again and again, whether it still lives: through a
/// pidfd where the kernel has them (one poll(2), where [`ProcId::alive`]
/// opens, reads and parses `/proc/PID/stat`), else as [`ProcId::alive`].
#[derive(Debug)]
pub struct Liveness {
    id: ProcId,
    pidfd: Option<std::os::fd::OwnedFd>,
}

impl Liveness {
    /// Watches `id`; the pidfd is kept only if `id` still lived once it
    /// was opened, so that it names that very process.
    pub fn of(id: ProcId) -> Liveness {
        let pidfd = pidfd(id.pid).filter(|_| id.alive());
        Liveness { id, pidfd }
    }

    pub fn pid(&self) -> u32 {
        self.id.pid
    }

    /// Whether the process lives: it has not exited (a zombie has).
    pub fn alive(&self) -> bool {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        let Some(fd) = &self.pidfd else {
            return self.id.alive();
        };
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        let now = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // A pidfd is readable once its process has exited.
        poll(&mut fds, Some(&now)).is_ok_and(|ready| ready == 0)
    }
}

/// A pidfd of process `pid`, where the kernel has them (Linux 5.3+): it
/// names that very process, whatever later takes its pid.
pub fn pidfd(pid: u32) -> Option<std::os::fd::OwnedFd> {
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)?;
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
}

/// `/proc/PID/stat`, if the process exists.
fn stat(pid: u32) -> Option<Stat> {
    process(pid)?.stat().ok()
}

fn process(pid: u32) -> Option<Process> {
    Process::new(i32::try_from(pid).ok()?).ok()
}

fn is_zombie(stat: &Stat) -> bool {
    stat.state == 'Z'
}

/// Every process there is now (those that vanish while we look are left out).
fn all_processes() -> impl Iterator<Item = Process> {
    procfs::process::all_processes()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
}

/// Whether `process` carries a run's mark in its environment.
fn carries_mark(process: &Process, mark: &str) -> bool {
    process.environ().is_ok_and(|env| {
        env.get(OsStr::new(RUN_ID_VAR))
            .is_some_and(|v| v.as_os_str() == mark)
    })
}

/// The live (not zombie) processes of a group a run started: in process
/// group `group.pid`, started no earlier than its leader, and carrying the
/// run's mark. A group id the kernel has since given to someone else's
/// group fails the last test, so nobody else's process is ever counted.
pub fn group_members(group: ProcId, mark: &str) -> Vec<u32> {
    if !group_exists(group.pid) {
        // The common case after a run: one syscall instead of a scan of
        // every process's /proc entry.
        return Vec::new();
    }
    all_processes()
        .filter(|p| {
            p.stat().is_ok_and(|s| {
                u32::try_from(s.pgrp) == Ok(group.pid)
                    && s.starttime >= group.start
                    && !is_zombie(&s)
            })
        })
        .filter(|p| carries_mark(p, mark))
        .filter_map(|p| u32::try_from(p.pid).ok())
        .collect()
}

/// The system calls the threads of a process and of the processes it
/// started are in, for a wait that asks often (every 100 µs while a
/// client is about to read its stdin): each thread's
/// `/proc/PID/task/TID/syscall` is opened once and read again with
/// pread(2) — one system call per thread, where listing the threads and
/// opening and reading their files is a dozen. The threads are listed
/// again every [`RELIST`] (a new thread or child is seen that late at
/// most) and as soon as one of them has gone.
#[derive(Debug)]
pub struct ThreadCalls {
    pid: u32,
    files: Vec<std::fs::File>,
    listed: Option<Instant>,
}

/// How long a listing of a program's threads is used.
const RELIST: Duration = Duration::from_millis(2);

impl ThreadCalls {
    pub fn of(pid: u32) -> ThreadCalls {
        ThreadCalls {
            pid,
            files: Vec::new(),
            listed: None,
        }
    }

    /// Whether a thread of the process, or of a process it started (a
    /// wrapper such as `timeout` runs the program as its child), is
    /// blocked reading its stdin (a `read` or `readv` of fd 0): the
    /// program waits for what a person would type.
    pub fn reads_stdin(&mut self) -> bool {
        let mut reads = false;
        self.each(|call| {
            reads |= is_stdin_read(call);
            !reads
        });
        reads
    }

    /// Whether every thread of the process and of the processes it
    /// started is blocked in a system call, and none of them reads its
    /// stdin: a client that was typed into has done what the line made it
    /// do (sent its message) and waits for something else (the reply). A
    /// thread running, or preempted outside a system call, is not settled
    /// yet.
    pub fn settled_off_stdin(&mut self) -> bool {
        let mut settled = true;
        let mut threads = 0;
        self.each(|call| {
            threads += 1;
            let blocked = call
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<i64>().ok())
                .is_some_and(|n| n >= 0);
            settled &= blocked && !is_stdin_read(call);
            settled
        });
        settled && threads > 0
    }

    /// Calls `each` with every thread's `syscall` line while it returns
    /// true.
    fn each(&mut self, mut each: impl FnMut(&str) -> bool) {
        use std::os::unix::fs::FileExt;
        if self.listed.is_none_or(|at| at.elapsed() >= RELIST) {
            self.relist();
        }
        // A line is the call's number, six arguments, two addresses.
        let mut buf = [0u8; 512];
        for file in &self.files {
            match file.read_at(&mut buf, 0) {
                Ok(n) => {
                    if !each(std::str::from_utf8(&buf[..n]).unwrap_or("")) {
                        return;
                    }
                }
                // The thread has gone: list them again next time.
                Err(_) => self.listed = None,
            }
        }
    }

    /// Opens the `syscall` file of every thread of the process and of its
    /// descendants (up to 64 processes).
    fn relist(&mut self) {
        self.files.clear();
        self.listed = Some(Instant::now());
        let mut pending = vec![self.pid];
        let mut seen = 0;
        while let Some(pid) = pending.pop() {
            seen += 1;
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                if let Ok(file) = std::fs::File::open(task.path().join("syscall")) {
                    self.files.push(file);
                }
                if seen < 64 {
                    let children =
                        std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                    pending.extend(
                        children
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
        }
    }
}

/// What a thread waits for when it waits with no end in sight (a system
/// call without a timeout): see [`waits_for_ever`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Reads its stdin (fd 0).
    Stdin,
    /// Reads or receives on another descriptor (a socket, as a rule).
    Receive,
    /// Accepts a connection.
    Accept,
    /// Connects (TCP gives up on its own after about two minutes).
    Connect,
    /// Waits on a lock, a condition or a thread (`futex`).
    Lock,
    /// Waits on several descriptors at once (`poll`, `select`, `epoll`).
    Poll,
    /// Waits for a child process (a wrapper such as `timeout`) or a signal.
    Child,
    /// Sends, with the other side not reading.
    Send,
}

impl Wait {
    /// In words, for a report: `waits to receive (recv)`.
    pub fn describe(self) -> &'static str {
        match self {
            Wait::Stdin => "waits for input on its stdin",
            Wait::Receive => "waits to receive (recv)",
            Wait::Accept => "waits for a connection (accept)",
            Wait::Connect => "waits to connect (connect)",
            Wait::Lock => "waits on a lock or a thread (futex)",
            Wait::Poll => "waits on its sockets (poll/select)",
            Wait::Child => "waits for a child process or a signal",
            Wait::Send => "waits to send (the other side is not reading)",
        }
    }
}

/// What the threads of process `pid` and of the processes it started wait
/// for, when every one of them waits in a system call that has no timeout
/// (`/proc/PID/task/TID/syscall`: the call's number and arguments); `None`
/// when one runs, sleeps for a while (`sleep`, a `poll` with a timeout),
/// or cannot be seen. Only such a program can wait for ever.
pub fn waits_for_ever(pid: u32) -> Option<Vec<Wait>> {
    let mut waits = Vec::new();
    let mut all = true;
    ThreadCalls::of(pid).each(|call| {
        match classify_wait(call) {
            Some(w) => waits.push(w),
            None => all = false,
        }
        all
    });
    (all && !waits.is_empty()).then_some(waits)
}

/// The [`Wait`] of one `/proc/…/syscall` line, when it is one with no end.
fn classify_wait(call: &str) -> Option<Wait> {
    let mut fields = call.split_whitespace();
    let nr: i64 = fields.next()?.parse().ok()?;
    let args: Vec<u64> = fields
        .take(6)
        .map(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).unwrap_or(0))
        .collect();
    let arg = |i: usize| args.get(i).copied().unwrap_or(0);
    // An int timeout of -1 (however the register was extended).
    let for_ever = |v: u64| (v as u32) as i32 == -1;
    match nr {
        n if [libc::SYS_read, libc::SYS_readv].contains(&n) && arg(0) == 0 => Some(Wait::Stdin),
        n if [
            libc::SYS_read,
            libc::SYS_readv,
            libc::SYS_recvfrom,
            libc::SYS_recvmsg,
        ]
        .contains(&n) =>
        {
            Some(Wait::Receive)
        }
        n if [
            libc::SYS_write,
            libc::SYS_writev,
            libc::SYS_sendto,
            libc::SYS_sendmsg,
        ]
        .contains(&n) =>
        {
            Some(Wait::Send)
        }
        n if n == libc::SYS_accept || n == libc::SYS_accept4 => Some(Wait::Accept),
        n if n == libc::SYS_connect => Some(Wait::Connect),
        n if n == libc::SYS_futex || n == libc::SYS_futex_waitv => {
            (arg(3) == 0).then_some(Wait::Lock)
        }
        n if n == libc::SYS_poll => for_ever(arg(2)).then_some(Wait::Poll),
        n if n == libc::SYS_epoll_wait || n == libc::SYS_epoll_pwait => {
            for_ever(arg(3)).then_some(Wait::Poll)
        }
        n if n == libc::SYS_ppoll => (arg(2) == 0).then_some(Wait::Poll),
        n if n == libc::SYS_epoll_pwait2 => (arg(3) == 0).then_some(Wait::Poll),
        n if n == libc::SYS_select || n == libc::SYS_pselect6 => {
            (arg(4) == 0).then_some(Wait::Poll)
        }
        n if [
            libc::SYS_wait4,
            libc::SYS_waitid,
            libc::SYS_pause,
            libc::SYS_rt_sigsuspend,
        ]
        .contains(&n) =>
        {
            Some(Wait::Child)
        }
        n if n == libc::SYS_rt_sigtimedwait => (arg(2) == 0).then_some(Wait::Child),
        _ => None,
    }
}

fn is_stdin_read(call: &str) -> bool {
    [libc::SYS_read, libc::SYS_readv]
        .iter()
        .any(|n| call.starts_with(&format!("{n} 0x0 ")))
}

/// The inodes of the sockets process `pid` and the processes it started
/// hold open (`socket:[INODE]` in `/proc/PID/fd`): what names a program's
/// own sockets among those of its network namespace.
pub fn socket_inodes(pid: u32) -> Vec<u64> {
    let mut inodes = Vec::new();
    let mut pending = vec![pid];
    let mut seen = 0;
    while let Some(pid) = pending.pop() {
        seen += 1;
        if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            for fd in fds.flatten() {
                let Ok(target) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let target = target.to_string_lossy();
                if let Some(n) = target
                    .strip_prefix("socket:[")
                    .and_then(|t| t.strip_suffix(']'))
                    .and_then(|n| n.parse::<u64>().ok())
                {
                    inodes.push(n);
                }
            }
        }
        if seen < 64 {
            pending.extend(children(pid));
        }
    }
    inodes
}

/// The children of every thread of process `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .flat_map(|t| {
            std::fs::read_to_string(t.path().join("children"))
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether any process (a zombie included) has process group `pgid`:
/// `killpg(pgid, 0)` fails with ESRCH when none has.
fn group_exists(pgid: u32) -> bool {
    match i32::try_from(pgid) {
        Ok(id) if id > 1 => !matches!(
            signal::killpg(Pid::from_raw(id), None),
            Err(nix::errno::Errno::ESRCH)
        ),
        _ => true,
    }
}

/// Runs `expr` in a process group of its own: a terminal's Ctrl-C then
/// reaches only the orchestrator (which stops things in order), and the
/// program and whatever it forks can be stopped as one group.
pub fn in_own_group(expr: duct::Expression) -> duct::Expression {
    expr.before_spawn(|c| {
        use std::os::unix::process::CommandExt;
        c.process_group(0);
        Ok(())
    })
}

/// A network namespace to start programs in (a Mininet host's), opened
/// once from `/proc/PID/ns/net`.
#[derive(Debug)]
pub struct Netns(std::fs::File);

impl Netns {
    /// The network namespace process `pid` is in.
    pub fn of(pid: u32) -> std::io::Result<Netns> {
        std::fs::File::open(format!("/proc/{pid}/ns/net")).map(Netns)
    }

    /// Calls `start` while the calling thread is in this namespace, then
    /// moves the thread back: what `start` starts is born in it (a child
    /// process has the namespaces of the thread that made it). What
    /// `mnexec -a PID` does for a program, without a program of its own
    /// to run first: one exec less for every program of a run. Threads
    /// `start` makes stay in the namespace: it should make none.
    pub fn enter<T>(&self, start: impl FnOnce() -> T) -> std::io::Result<T> {
        use nix::sched::{setns, CloneFlags};
        let ours = std::fs::File::open("/proc/thread-self/ns/net")?;
        setns(&self.0, CloneFlags::CLONE_NEWNET)?;
        /// Moves the thread back however `start` ends (a panic included).
        struct Back(std::fs::File);
        impl Drop for Back {
            fn drop(&mut self) {
                if let Err(e) = setns(&self.0, CloneFlags::CLONE_NEWNET) {
                    // Left in a host's namespace, this thread would start
                    // the next programs there: never go on so.
                    panic!("cannot return to this thread's network namespace: {e}");
                }
            }
        }
        let _back = Back(ours);
        Ok(start())
    }
}

/// Lets the calling thread run only on a CPU that has nothing else to do
/// (`SCHED_IDLE`): the run writer's. A thread at nice 19 still occupies a
/// CPU until it is preempted, and the kernel places a waking thread on an
/// idle CPU only: a program's or the poller's wake-up then waits behind
/// another program (up to a millisecond here) while the nice thread holds
/// the other CPU. A CPU that runs only `SCHED_IDLE` threads counts as idle
/// there, and such a thread is preempted at once. Falls back to nice 19
/// where the policy is refused.
pub fn run_when_idle() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param that outlives the call, which
    // only reads it; pid 0 is the calling thread.
    let set = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if set != 0 {
        let _ = rustix::process::setpriority_process(None, 19);
    }
}

/// How many bytes written to a pipe have not been read from it yet (`fd`:
/// one of its read ends); `None` when that cannot be told.
pub fn unread_bytes(fd: impl std::os::fd::AsFd) -> Option<u64> {
    rustix::io::ioctl_fionread(fd).ok()
}

/// Starts `expr` in `netns` ([`Netns::enter`]), or where this thread is.
pub fn start_in(netns: Option<&Netns>, expr: &duct::Expression) -> std::io::Result<duct::Handle> {
    match netns {
        Some(ns) => ns.enter(|| expr.start())?,
        None => expr.start(),
    }
}

/// Sends `signal` to a process group (a driver we hold the handle of).
/// Group 0 is no group: `killpg(0, …)` would signal our own; group 1 is
/// init's, and `kill(-1, …)` would signal every process.
pub fn signal_group(pgid: u32, signal: Signal) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    let _ = signal::killpg(Pid::from_raw(pgid), signal);
}

/// Sends `signal` to one process. Pid 0 is no process: `kill(0, …)` would
/// signal our own group (and a pid past `i32::MAX` would read as a group).
pub fn kill(pid: u32, signal: Signal) {
    let Ok(pid) = i32::try_from(pid) else {
        return;
    };
    if pid == 0 {
        return;
    }
    let _ = signal::kill(Pid::from_raw(pid), signal);
}

/// Sends `signal` to a run's group: the whole group while its leader (as
/// recorded) lives — then the id cannot have been reused — and otherwise
/// only the members that carry the run's mark.
pub fn signal_members(group: ProcId, mark: &str, signal: Signal) {
    if group.alive() {
        signal_group(group.pid, signal);
        return;
    }
    for pid in group_members(group, mark) {
        // Checked to be this run's.
        kill(pid, signal);
    }
}

/// Stops a run's group: SIGTERM, up to `grace` for it to go, then SIGKILL.
pub fn stop_group(group: ProcId, mark: &str, grace: Duration) {
    let members = || group_members(group, mark);
    if members().is_empty() {
        return;
    }
    signal_members(group, mark, Signal::SIGTERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if members().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    signal_members(group, mark, Signal::SIGKILL);
}

/// The inode of the pipe `fd` (of this process) is an end of, as
/// `/proc/PID/fd/FD` shows it (`pipe:[INODE]`): one fstat(2), where
/// reading the link under /proc takes seven system calls.
pub fn pipe_inode(fd: &impl std::os::fd::AsFd) -> Option<u64> {
    let st = rustix::fs::fstat(fd).ok()?;
    (rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Fifo)
        .then_some(st.st_ino)
}

/// Processes other than this one that hold an end of any of the pipes
/// `pipes` (inodes, see [`pipe_inode`]) open.
pub fn pipe_holders(pipes: &[u64]) -> Vec<u32> {
    let me = std::process::id();
    all_processes()
        .filter(|p| u32::try_from(p.pid).is_ok_and(|pid| pid != me))
        .filter(|p| {
            p.fd().is_ok_and(|mut fds| {
                fds.any(|fd| {
                    fd.is_ok_and(|fd| matches!(fd.target, FDTarget::Pipe(i) if pipes.contains(&i)))
                })
            })
        })
        .filter_map(|p| u32::try_from(p.pid).ok())
        .collect()
}

/// A process's command line, its arguments joined by spaces (empty when
/// it is gone, or when its arguments are not UTF-8).
pub fn command_line(pid: u32) -> String {
    process(pid)
        .and_then(|p| p.cmdline().ok())
        .map(|args| args.join(" "))
        .unwrap_or_default()
}

/// How many sockets of a port are in each state that matters to a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortSockets {
    pub listening: usize,
    pub established: usize,
    /// Every other state (TIME_WAIT, FIN_WAIT, …): what a finished run
    /// leaves behind for a while.
    pub lingering: usize,
}

/// TCP sockets of the network namespace `ns_pid` is in, with local port
/// `port`: (listening, established). Reads `/proc/PID/net/tcp` and `tcp6`,
/// which list the sockets of that process's namespace.
pub fn proc_sockets(ns_pid: u32, port: u16) -> PortSockets {
    let Some(p) = process(ns_pid) else {
        return PortSockets::default();
    };
    let mut total = PortSockets::default();
    for table in [p.tcp(), p.tcp6()].into_iter().flatten() {
        let counts = count_sockets(&table, port);
        total.listening += counts.listening;
        total.established += counts.established;
        total.lingering += counts.lingering;
    }
    total
}

/// Counts the sockets with local port `port` in a TCP table. Pure, for tests.
pub fn count_sockets(table: &[TcpNetEntry], port: u16) -> PortSockets {
    let mut counts = PortSockets::default();
    for socket in table.iter().filter(|s| s.local_address.port() == port) {
        match socket.state {
            TcpState::Listen => counts.listening += 1,
            TcpState::Established => counts.established += 1,
            _ => counts.lingering += 1,
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore = "needs root (setns needs CAP_SYS_ADMIN)"]
    fn a_program_started_in_a_netns_is_born_there_and_the_thread_comes_back() {
        assert!(is_root(), "this test needs root (setns); run it as root");
        let ns_of = |path: &str| std::fs::read_link(path).unwrap();
        // A namespace of a thread's own, held open by a sleeping child.
        let holder = std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            std::process::Command::new("sleep")
                .arg("30")
                .spawn()
                .unwrap()
        })
        .join()
        .unwrap();
        let ns = Netns::of(holder.id()).unwrap();
        let theirs = ns_of(&format!("/proc/{}/ns/net", holder.id()));
        let ours = ns_of("/proc/thread-self/ns/net");
        assert_ne!(theirs, ours);
        let (inside, child) = ns
            .enter(|| {
                let inside = ns_of("/proc/thread-self/ns/net");
                (
                    inside,
                    std::process::Command::new("sleep")
                        .arg("30")
                        .spawn()
                        .unwrap(),
                )
            })
            .unwrap();
        assert_eq!(inside, theirs);
        assert_eq!(ns_of(&format!("/proc/{}/ns/net", child.id())), theirs);
        assert_eq!(
            ns_of("/proc/thread-self/ns/net"),
            ours,
            "the thread came back"
        );
        for mut c in [child, holder] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `program args…` with a pipe as its stdin, its output dropped.
    fn with_piped_stdin(program: &str, args: &[&str]) -> std::process::Child {
        std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    #[test]
    fn a_program_blocked_on_its_stdin_is_seen_reading_it() {
        let mut child = with_piped_stdin("cat", &[]);
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ThreadCalls::of(pid).reads_stdin() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(ThreadCalls::of(pid).reads_stdin(), "cat waits on its stdin");
        drop(child.stdin.take());
        child.wait().unwrap();
        // A sleeping program reads nothing.
        let mut sleeper = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!ThreadCalls::of(sleeper.id()).reads_stdin());
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
    }

    #[test]
    fn a_program_run_by_a_wrapper_is_seen_reading_its_stdin() {
        // `timeout` runs `cat` as its child: the child reads the stdin.
        let mut child = with_piped_stdin("timeout", &["10", "cat"]);
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ThreadCalls::of(pid).reads_stdin() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            ThreadCalls::of(pid).reads_stdin(),
            "timeout's cat waits on its stdin"
        );
        drop(child.stdin.take());
        child.wait().unwrap();
    }

    #[test]
    fn one_watch_of_the_calls_follows_a_program_through_reading_and_a_child() {
        use std::io::Write;
        // A shell that reads a line, then starts `cat` (a child), which
        // reads the rest: one ThreadCalls, made before either happens,
        // sees the shell read, then not, then the child read.
        let mut child = with_piped_stdin("sh", &["-c", "read x; sleep 0.2; cat"]);
        let mut calls = ThreadCalls::of(child.id());
        let until = |calls: &mut ThreadCalls, holds: fn(&mut ThreadCalls) -> bool| {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !holds(calls) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
            holds(calls)
        };
        assert!(
            until(&mut calls, ThreadCalls::reads_stdin),
            "the shell waits on its stdin"
        );
        let stdin = child.stdin.as_mut().unwrap();
        stdin.write_all(b"a line\n").unwrap();
        assert!(
            until(&mut calls, ThreadCalls::settled_off_stdin),
            "the shell read its line and waits for `sleep`: blocked, not on its stdin"
        );
        assert!(
            until(&mut calls, ThreadCalls::reads_stdin),
            "its child `cat` waits on the stdin"
        );
        drop(child.stdin.take());
        child.wait().unwrap();
        assert!(!calls.reads_stdin(), "gone: nothing reads");
        assert!(!calls.settled_off_stdin(), "gone: no thread is settled");
    }

    #[test]
    fn this_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = ProcId::of(std::process::id()).unwrap();
        assert!(me.alive());
        let other = ProcId {
            pid: me.pid,
            start: me.start + 1,
        };
        assert!(!other.alive());
    }

    #[test]
    fn a_watched_process_lives_until_it_exits_and_a_zombie_does_not() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let id = ProcId::of(child.id()).unwrap();
        let watched = Liveness::of(id);
        assert!(watched.pidfd.is_some(), "this kernel has pidfds");
        assert!(watched.alive());
        child.kill().unwrap();
        // Killed, not yet reaped: a zombie, which no longer lives.
        let deadline = Instant::now() + Duration::from_secs(5);
        while watched.alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!watched.alive());
        assert!(!id.alive(), "the /proc reading agrees");
        child.wait().unwrap();
        assert!(!watched.alive());
        // A process that was gone before it was watched has no pidfd.
        let gone = Liveness::of(id);
        assert!(gone.pidfd.is_none() && !gone.alive());
    }

    #[test]
    fn a_thread_made_to_run_when_idle_has_the_idle_policy() {
        let policy = || {
            std::fs::read_to_string("/proc/thread-self/sched")
                .unwrap()
                .lines()
                .find(|l| l.starts_with("policy"))
                .and_then(|l| l.rsplit(':').next())
                .map(|v| v.trim().to_string())
        };
        let (before, after) = std::thread::spawn(move || {
            let before = policy();
            run_when_idle();
            (before, policy())
        })
        .join()
        .unwrap();
        assert_eq!(before.as_deref(), Some("0"), "SCHED_OTHER at first");
        assert_eq!(after.as_deref(), Some("5"), "SCHED_IDLE after");
        assert_eq!(policy().as_deref(), Some("0"), "the calling thread only");
    }

    #[test]
    fn our_group_has_members() {
        let pgid = unistd::getpgrp().as_raw() as u32;
        // Our own group has no run mark: it is nobody's run.
        let me = ProcId::of(std::process::id()).unwrap();
        let group = ProcId {
            pid: pgid,
            start: 0,
        };
        assert!(group_members(group, &format!("{}-{}", me.pid, me.start)).is_empty());
    }

    #[test]
    fn our_own_pipes_are_found_by_inode_and_held_by_nobody_else() {
        let (r, w) = os_pipe::pipe().unwrap();
        let inode = pipe_inode(&r).expect("a pipe");
        assert_eq!(pipe_inode(&w), Some(inode));
        // The inode is the one /proc names, which pipe_holders compares.
        let fd = std::os::fd::AsRawFd::as_raw_fd(&r);
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert_eq!(link, std::path::Path::new(&format!("pipe:[{inode}]")));
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        assert_eq!(pipe_inode(&file), None, "not a pipe");
        assert!(pipe_holders(&[inode]).is_empty());
    }

    #[test]
    fn counts_listening_and_established_on_the_server_port_only() {
        use procfs::{ExplicitSystemInfo, FromReadSI};
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:2EE0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100000A:2EE0 0200000A:8776 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0200000A:8776 0100000A:2EE0 01 00000000:00000000 00:00000000 00000000     0        0 3 1
   3: 0100000A:2EE0 0300000A:CEA0 06 00000000:00000000 03:00001751 00000000     0        0 0 3
";
        let system = ExplicitSystemInfo {
            boot_time_secs: 0,
            ticks_per_second: 100,
            page_size: 4096,
            is_little_endian: cfg!(target_endian = "little"),
        };
        let procfs::net::TcpNetEntries(table) =
            FromReadSI::from_read(table.as_bytes(), &system).unwrap();
        let at = |port| {
            let c = count_sockets(&table, port);
            (c.listening, c.established, c.lingering)
        };
        assert_eq!(at(12000), (1, 1, 1));
        assert_eq!(at(34678), (0, 1, 0));
    }

    #[test]
    fn this_process_has_a_tcp_table_to_read() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = proc_sockets(std::process::id(), port);
        assert_eq!((counts.listening, counts.established), (1, 0));
    }

    #[test]
    fn a_wait_with_no_end_is_told_from_one_with_a_timeout() {
        let w = |line: &str| classify_wait(line);
        // Python's thread join: FUTEX_WAIT_BITSET with no timeout.
        assert_eq!(
            w("202 0x7fc4d4000b70 0x189 0x0 0x0 0x0 0xffffffff 0x7ffc2aaa2570 0x7fc4e44a3f16"),
            Some(Wait::Lock)
        );
        assert_eq!(
            w("202 0x7f 0x189 0x0 0x7ffd1000 0x0 0xffffffff 0x1 0x2"),
            None
        );
        // time.sleep: clock_nanosleep ends by itself.
        assert_eq!(
            w("230 0x1 0x1 0x7fc4e36c1ab0 0x0 0x0 0x7fc 0x7fc 0x7fc"),
            None
        );
        assert_eq!(
            w("0 0x0 0x55d0 0x400 0x0 0x0 0x0 0x1 0x2"),
            Some(Wait::Stdin)
        );
        assert_eq!(
            w("45 0x3 0x7f00 0x400 0x0 0x0 0x0 0x1 0x2"),
            Some(Wait::Receive)
        );
        assert_eq!(w("43 0x3 0x0 0x0 0x0 0x0 0x0 0x1 0x2"), Some(Wait::Accept));
        assert_eq!(
            w("288 0x3 0x7ff 0x7ff 0x80000 0x0 0x0 0x1 0x2"),
            Some(Wait::Accept)
        );
        // poll: an int timeout of -1 waits for ever, 1000 ms does not.
        assert_eq!(
            w("7 0x7ff 0x1 0xffffffff 0x0 0x0 0x0 0x1 0x2"),
            Some(Wait::Poll)
        );
        assert_eq!(
            w("7 0x7ff 0x1 0xffffffffffffffff 0x0 0x0 0x0 0x1 0x2"),
            Some(Wait::Poll)
        );
        assert_eq!(w("7 0x7ff 0x1 0x3e8 0x0 0x0 0x0 0x1 0x2"), None);
        assert_eq!(w("23 0x4 0x7ff 0x0 0x0 0x0 0x0 0x1 0x2"), Some(Wait::Poll));
        assert_eq!(w("23 0x4 0x7ff 0x0 0x0 0x7ff00 0x0 0x1 0x2"), None);
        assert_eq!(
            w("61 0xffffffffffffffff 0x7ff 0x0 0x0 0x0 0x0 0x1 0x2"),
            Some(Wait::Child)
        );
        // Running, or between system calls: not waiting at all.
        assert_eq!(w("running"), None);
        assert_eq!(w("-1 0x7ffc 0x55d0"), None);
    }
}
