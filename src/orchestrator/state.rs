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
//! program is left alone. `mn -c` is never used: it is machine-wide. This
//! file keeps the record; the signals and `/proc` reads are [`sys`]'s.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::sys::{self, ProcId, Signal};

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
    let uid = sys::euid();
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
    /// The record's file, once written, and how many bytes it holds.
    file: Option<(fs::File, usize)>,
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
            file: None,
        };
        f.save()?;
        Ok(f)
    }

    /// Rewrites the record. The first time, a temporary file renamed into
    /// place (so that a reader never finds a record without its owner);
    /// then in place, by one write at its start padded with spaces to its
    /// length so far (JSON allows them): a `kill -9` cannot stop one
    /// write(2) halfway, and the only readers that act on a record
    /// (`orchestrate clean`, another command's sweep) act on those of dead
    /// owners, which nobody writes. No fsync: the record only has to
    /// outlive this process, and the page cache does; a machine that
    /// crashes loses the network namespaces it describes as well. A new
    /// file for every save cost a file creation at every program a run
    /// started (milliseconds on a filesystem without a journal).
    pub fn save(&mut self) -> Result<()> {
        use std::os::unix::fs::FileExt;
        let mut text = serde_json::to_string_pretty(&self.state)?;
        if let Some((file, len)) = &mut self.file {
            let written = text.len();
            text.extend(std::iter::repeat_n(' ', len.saturating_sub(written)));
            file.write_all_at(text.as_bytes(), 0)
                .with_context(|| format!("cannot write {}", self.path.display()))?;
            *len = text.len();
            return Ok(());
        }
        let tmp = self.path.with_extension("json.tmp");
        let mut file =
            fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        file.write_all(text.as_bytes())?;
        fs::rename(&tmp, &self.path)?;
        self.file = Some((file, text.len()));
        Ok(())
    }

    /// Records a process group this run started (by its leader, as
    /// [`ProcId::of`] read it).
    pub fn add_group(&mut self, leader: ProcId) {
        self.state.groups.push(leader);
        let _ = self.save();
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

/// The mark every program a run starts carries in its environment
/// ([`sys::RUN_ID_VAR`]`=<mark>`): the owner's pid and start time.
pub fn run_mark(owner: ProcId) -> String {
    format!("{}-{}", owner.pid, owner.start)
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
    let mut done = remove_groups(state);
    if let Some(d) = state.driver {
        if d.alive() {
            sys::signal_group(d.pid, Signal::SIGKILL);
            done.push(format!("driver {}", d.pid));
        }
    }
    for h in &state.host_shells {
        if h.alive() {
            sys::kill(h.pid, Signal::SIGKILL);
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

/// Stops the process groups a record names that still have members; says
/// which it stopped.
pub fn remove_groups(state: &RunState) -> Vec<String> {
    let grace = std::time::Duration::from_millis(500);
    let mark = state.owner.map(run_mark).unwrap_or_default();
    let mut done = Vec::new();
    for g in &state.groups {
        if !sys::group_members(*g, &mark).is_empty() {
            sys::stop_group(*g, &mark, grace);
            done.push(format!("process group {}", g.pid));
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
