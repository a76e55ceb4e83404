//! What a run owns, written down as it is created, so that whatever a dead
//! run left behind can be removed — and nothing else.
//!
//! One JSON file per run under [`state_dir`] (`/run/pa3-mininet` as root)
//! names the owner (pid and start time, so a recycled pid is not mistaken
//! for a live owner), the Linux bridge and its interfaces, the Mininet host
//! shells, and the process groups of the programs it started. `orchestrate
//! clean` (and the start of every run) removes what the files of *dead*
//! owners name. Every pid is checked against its recorded start time before
//! anything is killed, so a pid the kernel has since given to another
//! program is left alone. `mn -c` is never used: it is machine-wide.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

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
        start_time(pid).map(|start| ProcId { pid, start })
    }

    /// Whether this very process (not a later one with the same pid) lives.
    pub fn alive(&self) -> bool {
        start_time(self.pid) == Some(self.start) && !is_zombie(self.pid)
    }
}

/// What one run owns.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RunState {
    pub owner: Option<ProcId>,
    /// The Linux bridge (also the prefix of its interfaces, `s4242-eth1`).
    pub switch: Option<String>,
    pub switch_intfs: Vec<String>,
    pub driver: Option<ProcId>,
    /// Mininet's host shells (their network namespaces die with them).
    pub host_shells: Vec<ProcId>,
    /// Process groups of programs the run started (leader as started).
    pub groups: Vec<ProcId>,
    /// The run directory being written (`.incomplete-…`), removed if the
    /// run died before it could finish it.
    #[serde(default)]
    pub incomplete_dir: Option<PathBuf>,
}

/// The directory holding the state files.
pub fn state_dir() -> PathBuf {
    if let Ok(d) = std::env::var("PA3_STATE_DIR") {
        return PathBuf::from(d);
    }
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if uid == 0 {
        PathBuf::from("/run/pa3-mininet")
    } else {
        std::env::temp_dir().join(format!("pa3-mininet-{uid}"))
    }
}

/// The state file of this run; rewritten whole (temp file + rename) on
/// every change, and removed when the run has cleaned up after itself.
pub struct StateFile {
    path: PathBuf,
    pub state: RunState,
}

impl StateFile {
    /// Starts the record of a run owned by this process.
    pub fn create(tag: &str) -> Result<StateFile> {
        let dir = state_dir();
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let me = ProcId::of(std::process::id()).context("cannot read this process's start time")?;
        let path = dir.join(format!("{}-{}.json", me.pid, tag));
        let mut f = StateFile {
            path,
            state: RunState {
                owner: Some(me),
                ..RunState::default()
            },
        };
        f.save()?;
        Ok(f)
    }

    /// Rewrites the record (a temporary file renamed over it, so a reader
    /// never sees half of it). No fsync: the record only has to outlive
    /// this process (a `kill -9`), and the page cache does; a machine that
    /// crashes loses the network namespaces it describes as well. Syncing
    /// cost milliseconds at every program a run started.
    pub fn save(&mut self) -> Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&self.state)?;
        let mut file =
            fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(text.as_bytes())?;
        fs::rename(&tmp, &self.path)?;
        Ok(())
    }

    pub fn add_group(&mut self, leader: u32) {
        if let Some(p) = ProcId::of(leader) {
            self.state.groups.push(p);
            let _ = self.save();
        }
    }

    /// Removes what the record still names, and then the record; returns
    /// what it had to remove (after a clean teardown: nothing).
    pub fn release(mut self) -> Vec<String> {
        let removed = remove_owned(&self.state);
        self.state = RunState::default();
        removed
    }
}

/// Whatever path leaves a run — finished, failed, or unwinding from a
/// panic — removes what the record still names, then the record.
impl Drop for StateFile {
    fn drop(&mut self) {
        remove_owned(&self.state);
        let _ = fs::remove_file(&self.path);
    }
}

fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let close = text.rfind(')')?;
    let mut fields = vec![text[..close + 1].to_string()];
    fields.extend(text[close + 1..].split_whitespace().map(str::to_string));
    Some(fields)
}

fn start_time(pid: u32) -> Option<u64> {
    // After "pid (comm)": state is index 1, ... starttime is field 22 → index 20.
    stat_fields(pid)?.get(20)?.parse().ok()
}

fn is_zombie(pid: u32) -> bool {
    stat_fields(pid).and_then(|f| f.get(1).cloned()).as_deref() == Some("Z")
}

fn process_group(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(3)?.parse().ok()
}

/// The mark every program a run starts carries in its environment
/// (`PA3_RUN_ID=<mark>`): the owner's pid and start time.
pub fn run_mark(owner: ProcId) -> String {
    format!("{}-{}", owner.pid, owner.start)
}

fn carries_mark(pid: u32, mark: &str) -> bool {
    let needle = format!("PA3_RUN_ID={mark}");
    fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == needle.as_bytes()))
}

/// The live (not zombie) processes of a group a run started: in process
/// group `group.pid`, started no earlier than its leader, and carrying the
/// run's mark. A group id the kernel has since given to someone else's
/// group fails the last test, so nobody else's process is ever counted.
pub fn group_members(group: ProcId, mark: &str) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| process_group(pid) == Some(group.pid))
        .filter(|&pid| start_time(pid).is_some_and(|s| s >= group.start))
        .filter(|&pid| !is_zombie(pid))
        .filter(|&pid| carries_mark(pid, mark))
        .collect()
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

/// Sends `signal` to a process group (a driver we hold the handle of).
/// Group 0 is no group: `kill(-0, …)` would signal our own.
pub fn signal_group(pgid: u32, signal: i32) {
    if pgid == 0 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; no memory
    // is involved.
    unsafe {
        libc::kill(-(pgid as i32), signal);
    }
}

/// Sends `signal` to one process. Pid 0 is no process: `kill(0, …)` would
/// signal our own group.
pub fn kill(pid: u32, signal: i32) {
    if pid == 0 {
        return;
    }
    // SAFETY: kill(2) on one pid; no memory is involved.
    unsafe {
        libc::kill(pid as i32, signal);
    }
}

/// Processes other than this one that hold any of `pipes` open (as
/// `/proc/PID/fd` shows them: `pipe:[INODE]`).
pub fn pipe_holders(pipes: &[std::ffi::OsString]) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|&pid| {
            fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
                fds.flatten().any(|fd| {
                    fs::read_link(fd.path()).is_ok_and(|t| pipes.iter().any(|p| p == t.as_os_str()))
                })
            })
        })
        .collect()
}

/// A process's command line, its arguments joined by spaces (empty when
/// it is gone).
pub fn command_line(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .split('\0')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Sends `signal` to a run's group: the whole group while its leader (as
/// recorded) lives — then the id cannot have been reused — and otherwise
/// only the members that carry the run's mark.
pub fn signal_members(group: ProcId, mark: &str, signal: i32) {
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
pub fn stop_group(group: ProcId, mark: &str, grace: std::time::Duration) {
    let members = || group_members(group, mark);
    if members().is_empty() {
        return;
    }
    signal_members(group, mark, libc::SIGTERM);
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline {
        if members().is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    signal_members(group, mark, libc::SIGKILL);
}

/// Deletes network interfaces by name (`ip link del`), ignoring those that
/// are already gone. Returns the ones it removed.
pub fn delete_links(names: &[String]) -> Vec<String> {
    let mut removed = Vec::new();
    for name in names {
        if Path::new("/sys/class/net").join(name).exists() {
            let ok = Command::new("ip")
                .args(["link", "del", "dev", name])
                .stderr(std::process::Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                removed.push(name.clone());
            }
        }
    }
    removed
}

/// Interfaces whose name starts with `<switch>-` (the switch's ports) plus
/// the bridge itself.
pub fn links_of_switch(switch: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir("/sys/class/net") {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name == switch || name.starts_with(&format!("{switch}-eth")) {
                out.push(name);
            }
        }
    }
    // Ports first, then the bridge.
    out.sort_by_key(|n| n == switch);
    out
}

/// Removes what a run's state names. Used on a dead run's leftovers and
/// as the last resort of a live run's own teardown.
pub fn remove_owned(state: &RunState) -> Vec<String> {
    let mut done = Vec::new();
    let grace = std::time::Duration::from_millis(500);
    let mark = state.owner.map(run_mark).unwrap_or_default();
    for g in &state.groups {
        if !group_members(*g, &mark).is_empty() {
            stop_group(*g, &mark, grace);
            done.push(format!("process group {}", g.pid));
        }
    }
    if let Some(d) = state.driver {
        if d.alive() {
            signal_group(d.pid, libc::SIGKILL);
            done.push(format!("driver {}", d.pid));
        }
    }
    for h in &state.host_shells {
        if h.alive() {
            kill(h.pid, libc::SIGKILL);
            done.push(format!("host shell {}", h.pid));
        }
    }
    if let Some(dir) = &state.incomplete_dir {
        let is_ours = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(".incomplete-"));
        if is_ours && dir.is_dir() && fs::remove_dir_all(dir).is_ok() {
            done.push(format!("unfinished results {}", dir.display()));
        }
    }
    if let Some(sw) = &state.switch {
        let mut names = links_of_switch(sw);
        for i in &state.switch_intfs {
            if !names.contains(i) {
                names.push(i.clone());
            }
        }
        for n in delete_links(&names) {
            done.push(format!("interface {n}"));
        }
    }
    done
}

/// What `clean` found and removed.
#[derive(Debug, Default)]
pub struct CleanReport {
    pub removed: Vec<String>,
    /// State files of runs still alive, left alone.
    pub live_runs: Vec<u32>,
}

/// Removes the leftovers of every dead run recorded in the state directory.
pub fn clean_dead_runs() -> Result<CleanReport> {
    let dir = state_dir();
    let mut report = CleanReport::default();
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(report);
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name.ends_with(".json.tmp") {
            // A record being written by a live run, or half-written by a dead one.
            let owner_pid = name.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if owner_pid.and_then(ProcId::of).is_none() {
                let _ = fs::remove_file(&path);
            }
            continue;
        }
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let Ok(state) = serde_json::from_str::<RunState>(&text) else {
            continue;
        };
        match state.owner {
            Some(o) if o.alive() => {
                report.live_runs.push(o.pid);
                continue;
            }
            _ => {}
        }
        report.removed.extend(remove_owned(&state));
        let _ = fs::remove_file(&path);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn our_group_has_members() {
        let pgid = process_group(std::process::id()).unwrap();
        // Our own group has no run mark: it is nobody's run.
        let me = ProcId::of(std::process::id()).unwrap();
        let group = ProcId {
            pid: pgid,
            start: 0,
        };
        assert!(group_members(group, &run_mark(me)).is_empty());
    }
}
