//! A control group per sandboxed run, and one per program in it: the run's
//! group bounds what its programs may use together (CPU time per period,
//! memory, processes), so that a busy-waiting or forking submission cannot
//! slow another run down; each program's group counts what it used (CPU
//! time, peak memory) for the report; and the run's group ends every
//! process in it at once when the run is over (`cgroup.kill`), however
//! they forked or hid.
//!
//! Two layouts are met in practice, and both are handled:
//! - **cgroup v2** (Ubuntu 22.04 and later, Debian 12 on systemd hosts):
//!   one hierarchy at `/sys/fs/cgroup` with the `cpu`, `memory` and `pids`
//!   controllers (`cpu.max`, `memory.max`, `pids.max`, `cpu.stat`,
//!   `memory.peak`, `cgroup.kill`);
//! - **a v1/v2 hybrid** (this project's CI machines): `cpu`, `cpuacct`,
//!   `memory` and `pids` are v1 hierarchies of their own
//!   (`cpu.cfs_quota_us`, `memory.limit_in_bytes`, `pids.max`,
//!   `cpuacct.usage`, `memory.max_usage_in_bytes`), and the v2 hierarchy
//!   at `/sys/fs/cgroup/unified` has no controllers but `cgroup.kill`. A
//!   program joins a group in every hierarchy.
//!
//! A program joins its groups before it runs: the sandbox's setup shell
//! (root) writes its own pid into each `cgroup.procs` and then `exec`s,
//! so the program and all it starts are in them from the first
//! instruction. Groups live under `pa3-mininet/` in each hierarchy, named
//! after the pool they belong to, so groups left by an orchestrator that
//! died are found and removed by the next one ([`sweep_dead`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use crate::orchestrator::record::Usage;

/// The folder of our groups in each hierarchy.
pub const PARENT: &str = "pa3-mininet";

/// The scheduler period a run's CPU bound is counted over: short, so that
/// a throttled program waits at most this long.
const PERIOD_US: u64 = 10_000;

/// The cgroup hierarchies of this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One v2 hierarchy with the controllers.
    V2(PathBuf),
    /// v1 hierarchies for the controllers, and v2 (without controllers)
    /// for `cgroup.kill` when there is one.
    Hybrid {
        cpu: PathBuf,
        cpuacct: PathBuf,
        memory: PathBuf,
        pids: PathBuf,
        unified: Option<PathBuf>,
    },
}

impl Layout {
    /// This machine's layout, when it has the controllers a run needs
    /// (read from its mounts: a hierarchy's root has few of the files its
    /// groups have).
    pub fn detect() -> Option<Layout> {
        let mounts = fs::read_to_string("/proc/self/mounts").ok()?;
        Layout::of_mounts(&mounts, &|dir| {
            fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_default()
        })
    }

    /// The layout `/proc/self/mounts` describes; `controllers` reads a v2
    /// hierarchy's `cgroup.controllers`.
    fn of_mounts(mounts: &str, controllers: &dyn Fn(&Path) -> String) -> Option<Layout> {
        let (mut v1, mut v2): (Vec<(PathBuf, String)>, Vec<PathBuf>) = (Vec::new(), Vec::new());
        for line in mounts.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                [_, dir, "cgroup2", ..] => v2.push(PathBuf::from(dir)),
                [_, dir, "cgroup", options, ..] => {
                    v1.push((PathBuf::from(dir), options.to_string()))
                }
                _ => {}
            }
        }
        for dir in &v2 {
            let have = controllers(dir);
            if ["cpu", "memory", "pids"]
                .iter()
                .all(|c| have.split_whitespace().any(|x| x == *c))
            {
                return Some(Layout::V2(dir.clone()));
            }
        }
        let with = |controller: &str| {
            v1.iter()
                .find(|(_, o)| o.split(',').any(|x| x == controller))
                .map(|(d, _)| d.clone())
        };
        Some(Layout::Hybrid {
            cpu: with("cpu")?,
            cpuacct: with("cpuacct")?,
            memory: with("memory")?,
            pids: with("pids")?,
            unified: v2.into_iter().next(),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Layout::V2(_) => "cgroup v2",
            Layout::Hybrid { .. } => "cgroup v1/v2 hybrid",
        }
    }

    /// Every hierarchy a program joins, with what it is for.
    fn hierarchies(&self) -> Vec<PathBuf> {
        match self {
            Layout::V2(root) => vec![root.clone()],
            Layout::Hybrid {
                cpu,
                cpuacct,
                memory,
                pids,
                unified,
            } => {
                let mut all: Vec<PathBuf> = Vec::new();
                // `cpu,cpuacct` is often one hierarchy mounted once.
                for h in [cpu, cpuacct, memory, pids].into_iter().chain(unified) {
                    if !all.contains(h) {
                        all.push(h.clone());
                    }
                }
                all
            }
        }
    }
}

/// What a run's programs may use together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// CPUs' worth of time per period (0.5: half of one CPU).
    pub cpus: f64,
    pub memory_bytes: u64,
    pub processes: u64,
}

/// One run's groups (see the module's doc). Dropping it kills what is
/// still in them and removes them.
#[derive(Debug)]
pub struct RunGroup {
    layout: Layout,
    /// `pa3-mininet/<name>`, the same in every hierarchy.
    rel: PathBuf,
    /// The programs given groups (made while the run goes on, through a
    /// shared reference to the run's sandbox).
    programs: std::sync::Mutex<Vec<String>>,
    removed: bool,
}

impl RunGroup {
    /// Creates the run's groups, `pa3-mininet/<name>` in every hierarchy,
    /// bounded by `bounds`.
    pub fn create(layout: &Layout, name: &str, bounds: Bounds) -> io::Result<RunGroup> {
        let rel = Path::new(PARENT).join(name);
        let group = RunGroup {
            layout: layout.clone(),
            rel: rel.clone(),
            programs: Default::default(),
            removed: false,
        };
        for h in layout.hierarchies() {
            fs::create_dir_all(h.join(&rel))?;
        }
        let quota = ((bounds.cpus * PERIOD_US as f64).round() as u64).max(1000);
        match layout {
            Layout::V2(root) => {
                // Controllers for the children, on the way down.
                for dir in [root.join(PARENT), root.join(&rel)] {
                    write(&dir.join("cgroup.subtree_control"), "+cpu +memory +pids")?;
                }
                let run = root.join(&rel);
                write(&run.join("cpu.max"), &format!("{quota} {PERIOD_US}"))?;
                write(&run.join("memory.max"), &bounds.memory_bytes.to_string())?;
                write(&run.join("pids.max"), &bounds.processes.to_string())?;
            }
            Layout::Hybrid {
                cpu, memory, pids, ..
            } => {
                let (cpu, memory, pids) = (cpu.join(&rel), memory.join(&rel), pids.join(&rel));
                write(&cpu.join("cpu.cfs_period_us"), &PERIOD_US.to_string())?;
                write(&cpu.join("cpu.cfs_quota_us"), &quota.to_string())?;
                write(
                    &memory.join("memory.limit_in_bytes"),
                    &bounds.memory_bytes.to_string(),
                )?;
                write(&pids.join("pids.max"), &bounds.processes.to_string())?;
            }
        }
        Ok(group)
    }

    /// Creates program `id`'s groups inside the run's; gives the
    /// `cgroup.procs` files a process joins them by.
    pub fn program(&self, id: &str) -> io::Result<Vec<PathBuf>> {
        let mut procs = Vec::new();
        for h in self.layout.hierarchies() {
            let dir = h.join(&self.rel).join(leaf(id));
            fs::create_dir_all(&dir)?;
            procs.push(dir.join("cgroup.procs"));
        }
        let mut programs = self.programs.lock().unwrap_or_else(|e| e.into_inner());
        if !programs.iter().any(|p| p == id) {
            programs.push(id.to_string());
        }
        Ok(procs)
    }

    /// What program `id` used so far.
    pub fn usage(&self, id: &str) -> Usage {
        let read = |dir: PathBuf, file: &str| fs::read_to_string(dir.join(file)).ok();
        match &self.layout {
            Layout::V2(root) => {
                let dir = root.join(&self.rel).join(leaf(id));
                Usage {
                    cpu_ms: read(dir.clone(), "cpu.stat")
                        .and_then(|t| field(&t, "usage_usec"))
                        .map(|us| us as f64 / 1e3),
                    peak_memory_bytes: read(dir, "memory.peak").and_then(|t| t.trim().parse().ok()),
                }
            }
            Layout::Hybrid {
                cpuacct, memory, ..
            } => Usage {
                cpu_ms: read(cpuacct.join(&self.rel).join(leaf(id)), "cpuacct.usage")
                    .and_then(|t| t.trim().parse::<u64>().ok())
                    .map(|ns| ns as f64 / 1e6),
                peak_memory_bytes: read(
                    memory.join(&self.rel).join(leaf(id)),
                    "memory.max_usage_in_bytes",
                )
                .and_then(|t| t.trim().parse().ok()),
            },
        }
    }

    /// The programs given groups, in order.
    pub fn programs(&self) -> Vec<String> {
        self.programs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Kills every process still in the run's groups and removes them;
    /// gives how many processes were still there.
    pub fn finish(mut self) -> io::Result<usize> {
        self.remove()
    }

    fn remove(&mut self) -> io::Result<usize> {
        self.removed = true;
        let left = kill_all(&self.layout, &self.rel);
        let mut first_error = None;
        for h in self.layout.hierarchies() {
            if let Err(e) = remove_tree(&h.join(&self.rel), Duration::from_secs(2)) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(left), Err)
    }
}

impl Drop for RunGroup {
    fn drop(&mut self) {
        if !self.removed {
            let _ = self.remove();
        }
    }
}

/// A program's id as a group's name (ids are a scenario's: letters,
/// digits, `_` and `-`; anything else becomes `_`).
fn leaf(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("prog-{name}")
}

/// `key value` lines (`cpu.stat`): the value of `key`.
fn field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
}

fn write(file: &Path, value: &str) -> io::Result<()> {
    fs::write(file, value).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))
}

/// The pids in a group and every group under it (`cgroup.procs`).
fn pids_under(dir: &Path) -> Vec<u32> {
    let mut pids: Vec<u32> = fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                pids.extend(pids_under(&e.path()));
            }
        }
    }
    pids
}

/// Kills every process of group `rel`: through `cgroup.kill` where there
/// is one (all at once: a fork bomb cannot outrun it), else by pid until
/// none is left; gives how many there were.
fn kill_all(layout: &Layout, rel: &Path) -> usize {
    let v2 = match layout {
        Layout::V2(root) => Some(root.join(rel)),
        Layout::Hybrid { unified, .. } => unified.as_ref().map(|u| u.join(rel)),
    };
    let counted = layout.hierarchies().first().map(|h| h.join(rel));
    let left = counted.as_deref().map_or(0, |d| pids_under(d).len());
    if left == 0 {
        return 0;
    }
    if let Some(dir) = v2.filter(|d| d.join("cgroup.kill").exists()) {
        let _ = fs::write(dir.join("cgroup.kill"), "1");
    } else if let Some(dir) = &counted {
        for _ in 0..50 {
            let pids = pids_under(dir);
            if pids.is_empty() {
                break;
            }
            for p in pids {
                crate::orchestrator::sys::kill(p, nix::sys::signal::Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    left
}

/// Removes a group and the groups under it, deepest first, waiting (up to
/// `bound`) for the killed processes to leave them.
fn remove_tree(dir: &Path, bound: Duration) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                remove_tree(&e.path(), bound)?;
            }
        }
    }
    let until = Instant::now() + bound;
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) if Instant::now() >= until => {
                return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display())))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Removes the groups of pools that are gone: those under `pa3-mininet/`
/// whose name does not start with one of `alive` (the live pools' names).
/// Gives how many it removed.
pub fn sweep_dead(layout: &Layout, alive: &dyn Fn(&str) -> bool) -> usize {
    let Some(first) = layout.hierarchies().into_iter().next() else {
        return 0;
    };
    let Ok(entries) = fs::read_dir(first.join(PARENT)) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() && !alive(&name) {
            let rel = Path::new(PARENT).join(&name);
            kill_all(layout, &rel);
            for h in layout.hierarchies() {
                let _ = remove_tree(&h.join(&rel), Duration::from_secs(1));
            }
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v2_machine_and_a_hybrid_one_are_told_apart() {
        let v2 = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n";
        let all = |_: &Path| "cpuset cpu io memory pids\n".to_string();
        assert_eq!(
            Layout::of_mounts(v2, &all),
            Some(Layout::V2(PathBuf::from("/sys/fs/cgroup")))
        );
        // This project's CI machines: v1 controllers, a bare v2 beside them.
        let hybrid = "tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
";
        let none = |_: &Path| String::new();
        let got = Layout::of_mounts(hybrid, &none).unwrap();
        assert_eq!(got.name(), "cgroup v1/v2 hybrid");
        assert_eq!(got.hierarchies().len(), 5);
        // `cpu,cpuacct` mounted as one hierarchy is joined once.
        let joint = hybrid
            .replace("cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n", "")
            .replace(
                "/sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct",
                "/sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct",
            );
        assert_eq!(
            Layout::of_mounts(&joint, &none)
                .unwrap()
                .hierarchies()
                .len(),
            4
        );
        // Without a memory controller anywhere: none.
        let no_memory = hybrid.replace("rw,relatime,memory", "rw,relatime,devices");
        assert_eq!(Layout::of_mounts(&no_memory, &none), None);
    }

    #[test]
    fn a_programs_group_is_named_from_its_id_and_usage_is_read_by_key() {
        assert_eq!(leaf("server"), "prog-server");
        assert_eq!(leaf("a/../b"), "prog-a____b");
        assert_eq!(
            field("usage_usec 1234\nuser_usec 1000\n", "usage_usec"),
            Some(1234)
        );
        assert_eq!(field("user_usec 1000\n", "usage_usec"), None);
    }

    #[test]
    #[ignore = "needs root (cgroups)"]
    fn a_run_group_bounds_counts_and_kills_what_runs_in_it() {
        assert!(
            nix::unistd::geteuid().is_root(),
            "this test needs root (cgroups); run it as root"
        );
        let layout = Layout::detect().expect("this machine has cgroups with cpu, memory, pids");
        let name = format!("test-{}", std::process::id());
        let bounds = Bounds {
            cpus: 0.2,
            memory_bytes: 64 << 20,
            processes: 16,
        };
        let group = RunGroup::create(&layout, &name, bounds).unwrap();
        let procs = group.program("spinner").unwrap();
        // A shell that joins the group, then spins for ever (as a
        // busy-waiting student's program would).
        let joins: String = procs
            .iter()
            .map(|p| format!("echo $$ > {}; ", p.display()))
            .collect();
        let mut child = std::process::Command::new("sh")
            .args(["-c", &format!("{joins}exec sh -c 'while :; do :; done'")])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(600));
        let used = group.usage("spinner");
        let cpu = used.cpu_ms.expect("CPU time is counted");
        // 0.2 CPU for about 0.6 s: well under what it would take unbounded.
        assert!(cpu > 20.0 && cpu < 350.0, "{cpu} ms of CPU");
        assert!(used.peak_memory_bytes.is_some_and(|b| b > 0));
        assert_eq!(group.finish().unwrap(), 1);
        let status = child.wait().unwrap();
        assert!(!status.success(), "killed, not ended: {status:?}");
        for h in layout.hierarchies() {
            assert!(!h.join(PARENT).join(&name).exists());
        }
    }
}
