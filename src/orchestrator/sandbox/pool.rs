//! Where sandboxed runs get their slot, their user and their copy of a
//! submission, and where all of it is given back.
//!
//! A [`Pool`] is one grading session's: the limits, the isolation this
//! machine allows, the paths to hide, and a folder of its own
//! (`/var/lib/pa3-sandbox/pool-<pid>-<start>-…`, root's) holding the
//! copies. [`Pool::prepare`] takes a free slot — a lock file under
//! `/run/pa3-sandbox`, so that two orchestrators never share a slot
//! user — makes sure its user exists and runs nothing, and copies the
//! submission. The [`PreparedCopy`] it returns wraps programs, and when
//! finished (or dropped) kills whatever the slot user still runs, removes
//! the copy and frees the slot. Folders of pools whose orchestrator died
//! are removed by the next [`Pool::new`].

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::cgroup::{self, Bounds, Layout, RunGroup, Usage};
use super::users::{ensure_user, sweep, SandboxUser, UserProcess, MAX_SLOTS};
use super::{Isolation, Limits, Sandbox, NAMESPACE_WORKDIR};
use crate::orchestrator::sys::find_program;
use crate::orchestrator::sys::{self, ProcId};

/// Where pools keep their copies: on disk (not `/run`, a small tmpfs the
/// system needs), and not under a world-writable folder the private
/// `/tmp` would cover.
pub const POOL_ROOT: &str = "/var/lib/pa3-sandbox";

/// Where the slot locks are.
pub const LOCK_DIR: &str = "/run/pa3-sandbox";

/// How long the sweep of a slot user's processes may take.
const SWEEP_BOUND: Duration = Duration::from_secs(5);

/// The tools the wrapper runs, and the package each comes from.
const TOOLS: [(&str, &str); 6] = [
    ("sh", "dash"),
    ("env", "coreutils"),
    ("timeout", "coreutils"),
    ("prlimit", "util-linux"),
    ("setpriv", "util-linux"),
    ("kill", "procps"),
];

/// One grading session's sandboxes (see the module's doc). Dropping it
/// removes its folder, copies included: finish the copies first.
pub struct Pool {
    limits: Limits,
    isolation: Isolation,
    hidden: Vec<PathBuf>,
    dir: tempfile::TempDir,
    /// The machine's control groups, when it has the controllers a run
    /// needs ([`cgroup`]); without them the rlimits alone bound a run.
    cgroups: Option<Layout>,
    /// Runs prepared so far: each run's groups get a name of their own.
    runs: std::sync::atomic::AtomicUsize,
}

impl Pool {
    /// A pool with the isolation this machine allows
    /// ([`Isolation::detect`]). `hidden`: the paths no sandboxed program
    /// may see (other submissions, results); each must exist.
    pub fn new(limits: Limits, hidden: &[PathBuf]) -> Result<Pool> {
        Pool::with_isolation(limits, hidden, Isolation::detect())
    }

    /// A pool with the given isolation (to insist on one, or to test the
    /// weaker one on a machine that allows both).
    pub fn with_isolation(
        limits: Limits,
        hidden: &[PathBuf],
        isolation: Isolation,
    ) -> Result<Pool> {
        if !sys::is_root() {
            bail!(
                "the sandbox needs root (to create its users and run programs as them); \
                 running as uid {}",
                sys::euid()
            );
        }
        if isolation == Isolation::MountNamespace && Isolation::detect() != isolation {
            bail!(
                "this machine does not let root make a mount namespace with a tmpfs in it \
                 (no CAP_SYS_ADMIN, as in an unprivileged container): use Isolation::Permissions"
            );
        }
        for (tool, package) in TOOLS {
            if find_program(tool).is_none() {
                bail!("the sandbox needs {tool}, which is not installed (package {package})");
            }
        }
        let hidden = hidden
            .iter()
            .map(|p| {
                p.canonicalize()
                    .with_context(|| format!("cannot hide {}: it cannot be found", p.display()))
            })
            .collect::<Result<Vec<_>>>()?;
        for h in &hidden {
            if Path::new("/tmp").starts_with(h) || Path::new(POOL_ROOT).starts_with(h) {
                bail!(
                    "cannot hide {}: it holds the sandbox's own folders (/tmp, {POOL_ROOT})",
                    h.display()
                );
            }
        }
        let root = Path::new(POOL_ROOT);
        make_root_dir(root, 0o711)?;
        remove_dead_pools(root);
        let cgroups = Layout::detect();
        if let Some(layout) = &cgroups {
            sweep_dead_groups(layout, root);
        }
        let me = ProcId::of(std::process::id()).context("cannot read this process's start time")?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("pool-{}-{}-", me.pid, me.start))
            .tempdir_in(root)
            .with_context(|| format!("cannot create a folder in {POOL_ROOT}"))?;
        // Slot users must pass through to their copies without the mount
        // namespace; with it, only root ever enters.
        let mode = match isolation {
            Isolation::Permissions => 0o711,
            Isolation::MountNamespace => 0o700,
        };
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(mode))?;
        Ok(Pool {
            limits,
            isolation,
            hidden,
            dir,
            cgroups,
            runs: Default::default(),
        })
    }

    /// The control groups runs get here ([`cgroup`]), if any.
    pub fn cgroups(&self) -> Option<&Layout> {
        self.cgroups.as_ref()
    }

    /// A run's groups, named `<pool>.<slot>.<run>` (see [`cgroup::sweep_dead`]).
    fn run_group(&self, slot: usize) -> Result<Option<RunGroup>> {
        let Some(layout) = &self.cgroups else {
            return Ok(None);
        };
        let n = self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let pool = self
            .dir
            .path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let bounds = Bounds {
            cpus: self.limits.run_cpu_millis as f64 / 1000.0,
            memory_bytes: self.limits.run_memory,
            processes: self.limits.processes,
        };
        let group =
            RunGroup::create(layout, &format!("{pool}.{slot}.{n}"), bounds).with_context(|| {
                format!("cannot create the run's control groups ({})", layout.name())
            })?;
        Ok(Some(group))
    }

    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The folder holding this pool's copies.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The paths to hide that a sandboxed program can still read: none
    /// with a mount namespace (all are covered); without one, those whose
    /// permissions let any user in.
    pub fn exposed(&self) -> Vec<PathBuf> {
        match self.isolation {
            Isolation::MountNamespace => Vec::new(),
            Isolation::Permissions => self
                .hidden
                .iter()
                .filter(|p| readable_by_anyone(p))
                .cloned()
                .collect(),
        }
    }

    /// A copy of `submission` in the first free slot.
    pub fn prepare(&self, submission: &Path) -> Result<PreparedCopy> {
        for slot in 0..MAX_SLOTS {
            if let Some(lock) = lock_slot(slot)? {
                return self.prepare_locked(submission, slot, lock);
            }
        }
        bail!("all {MAX_SLOTS} sandbox slots are in use");
    }

    /// A copy of `submission` in slot `slot`, which must be free.
    pub fn prepare_in(&self, submission: &Path, slot: usize) -> Result<PreparedCopy> {
        if slot >= MAX_SLOTS {
            bail!("there are at most {MAX_SLOTS} sandbox slots (asked for slot {slot})");
        }
        match lock_slot(slot)? {
            Some(lock) => self.prepare_locked(submission, slot, lock),
            None => bail!("sandbox slot {slot} is in use by another run"),
        }
    }

    fn prepare_locked(&self, submission: &Path, slot: usize, lock: File) -> Result<PreparedCopy> {
        let user = ensure_user(slot)?;
        // With the slot locked, anything its user runs was left by a run
        // that died: it goes before this one starts.
        let stale = sweep(&user, SWEEP_BOUND)?;
        let copy = tempfile::Builder::new()
            .prefix(&format!("copy-{slot}-"))
            .tempdir_in(self.dir.path())
            .context("cannot create the copy's folder")?
            .keep();
        let group = self.run_group(slot)?;
        let mut prepared = PreparedCopy {
            group,
            sandbox: Sandbox {
                limits: self.limits.clone(),
                user: user.clone(),
                isolation: self.isolation,
                workdir: copy.clone(),
                source: None,
                hidden: Vec::new(),
            },
            slot,
            copy: copy.clone(),
            skipped: Vec::new(),
            stale: stale.killed,
            lock: Some(lock),
            done: false,
        };
        let owner = match self.isolation {
            Isolation::Permissions => Some((user.uid, user.gid)),
            Isolation::MountNamespace => None,
        };
        prepared.skipped = copy_tree(submission, &copy, owner, self.limits.disk)
            .with_context(|| format!("cannot copy the submission {}", submission.display()))?;
        if self.isolation == Isolation::MountNamespace {
            prepared.sandbox.workdir = PathBuf::from(NAMESPACE_WORKDIR);
            prepared.sandbox.source = Some(copy);
            prepared.sandbox.hidden = self.hidden.clone();
        }
        Ok(prepared)
    }
}

/// One run's slot, user and copy of its submission (see the module's doc).
/// Finishing it — or dropping it — kills what the slot user still runs,
/// removes the copy and frees the slot.
#[derive(Debug)]
pub struct PreparedCopy {
    sandbox: Sandbox,
    /// The run's control groups, where the machine has them.
    group: Option<RunGroup>,
    slot: usize,
    copy: PathBuf,
    skipped: Vec<PathBuf>,
    stale: Vec<UserProcess>,
    lock: Option<File>,
    done: bool,
}

/// What finishing a run cleaned up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cleanup {
    /// Processes of the slot user still running after the run's programs
    /// were stopped (children that left their process group and pipes),
    /// now killed.
    pub killed: Vec<UserProcess>,
    /// Zombies not reaped in time by their parent (see [`super::users::Swept`]).
    pub zombies_left: usize,
    /// What each program used, by its id, where the run had control groups.
    pub usage: Vec<(String, Usage)>,
}

impl PreparedCopy {
    /// The sandbox to run this run's programs in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The same, to adjust (limits for one program, more paths to hide).
    pub fn sandbox_mut(&mut self) -> &mut Sandbox {
        &mut self.sandbox
    }

    /// `self.sandbox().wrap(argv)`.
    pub fn wrap(&self, argv: Vec<String>) -> Vec<String> {
        self.sandbox.wrap(argv)
    }

    /// The argv that runs program `id` of the run in the sandbox, in a
    /// control group of its own inside the run's (where there are any).
    pub fn wrap_program(&self, id: &str, argv: Vec<String>) -> Result<Vec<String>> {
        let procs = match &self.group {
            Some(g) => g
                .program(id)
                .with_context(|| format!("cannot create the control group of {id}"))?,
            None => Vec::new(),
        };
        Ok(self.sandbox.wrap_joining(argv, &procs))
    }

    pub fn slot(&self) -> usize {
        self.slot
    }

    pub fn user(&self) -> &SandboxUser {
        &self.sandbox.user
    }

    /// The copy on disk (with a mount namespace, what each program's
    /// private copy is made from; without, its working directory).
    pub fn copy_dir(&self) -> &Path {
        &self.copy
    }

    /// What was not copied (symbolic links, devices, pipes, sockets),
    /// relative to the submission.
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }

    /// Processes of the slot user found running before this run started
    /// (left by a run that died), and killed.
    pub fn stale(&self) -> &[UserProcess] {
        &self.stale
    }

    /// Kills what the slot user still runs, removes the copy, frees the
    /// slot; says what it killed. Call it after the run's programs were
    /// stopped.
    pub fn finish(mut self) -> Result<Cleanup> {
        self.cleanup()
    }

    /// Runs `argv` (a build: `make`, `g++ …`) in folder `subdir` of the
    /// copy itself, as the slot user, in the sandbox, for at most
    /// `wall_s` seconds: what it makes stays in the copy. Gives whether
    /// it succeeded and what it printed (both streams, up to 64 KiB).
    pub fn build_in_copy(
        &self,
        subdir: &Path,
        argv: Vec<String>,
        wall_s: u64,
    ) -> Result<(bool, String)> {
        let owner = (self.sandbox.user.uid, self.sandbox.user.gid);
        own_tree(&self.copy, owner)?;
        let mut sandbox = self.sandbox.clone();
        // The copy is the working directory (a mount namespace still hides
        // what it must and gives a private /tmp); it is entered by root
        // before the program runs, so the folders above may stay closed.
        sandbox.workdir = self.copy.join(subdir);
        sandbox.source = None;
        sandbox.limits.wall_s = wall_s;
        let groups = match &self.group {
            Some(g) => g.program("build")?,
            None => Vec::new(),
        };
        let wrapped = sandbox.wrap_joining(argv, &groups);
        let out = duct::cmd(&wrapped[0], &wrapped[1..])
            .stdin_null()
            .stderr_to_stdout()
            .stdout_capture()
            .unchecked()
            .run();
        own_tree(&self.copy, (0, 0))?;
        let out = out.context("cannot start the build")?;
        let text = String::from_utf8_lossy(&out.stdout);
        let text: String = text.chars().take(64 * 1024).collect();
        Ok((out.status.success(), text))
    }

    /// Moves the copy (a build's result) to `to`, root's and closed to
    /// others, before the slot is freed.
    pub fn keep_copy(mut self, to: &Path) -> Result<Cleanup> {
        fs::rename(&self.copy, to)
            .with_context(|| format!("cannot keep the built copy as {}", to.display()))?;
        fs::set_permissions(to, fs::Permissions::from_mode(0o700))?;
        self.cleanup()
    }

    fn cleanup(&mut self) -> Result<Cleanup> {
        self.done = true;
        // What each program used, then everything still in the groups
        // killed at once (a fork bomb cannot outrun it).
        let usage = self.group.as_ref().map_or_else(Vec::new, |g| {
            g.programs()
                .into_iter()
                .map(|p| {
                    let used = g.usage(&p);
                    (p, used)
                })
                .collect()
        });
        let grouped = self.group.take().map(RunGroup::finish);
        let swept = sweep(&self.sandbox.user, SWEEP_BOUND);
        let removed = match fs::remove_dir_all(&self.copy) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        // Freed only now: the next run of this slot finds nothing of ours.
        drop(self.lock.take());
        let swept = swept?;
        removed.with_context(|| format!("cannot remove {}", self.copy.display()))?;
        if let Some(Err(e)) = grouped {
            return Err(anyhow::anyhow!(
                "cannot remove the run's control groups: {e}"
            ));
        }
        Ok(Cleanup {
            killed: swept.killed,
            zombies_left: swept.zombies_left,
            usage,
        })
    }
}

impl Drop for PreparedCopy {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.cleanup();
        }
    }
}

/// Removes the control groups of pools whose folder under `root` is gone
/// (their orchestrator died): a run's groups are named `<pool>.<slot>.<run>`.
fn sweep_dead_groups(layout: &Layout, root: &Path) {
    cgroup::sweep_dead(layout, &|name| {
        name.split('.')
            .next()
            .is_some_and(|pool| root.join(pool).is_dir())
    });
}

/// The lock of slot `slot`, if no one else holds it.
fn lock_slot(slot: usize) -> Result<Option<File>> {
    let dir = Path::new(LOCK_DIR);
    make_root_dir(dir, 0o700)?;
    let path = dir.join(format!("slot-{slot}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Creates `dir` (root's, with `mode`) or checks that it is a real folder
/// of root's, and sets its mode.
fn make_root_dir(dir: &Path, mode: u32) -> Result<()> {
    match fs::DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
    }
    let meta =
        fs::symlink_metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if !meta.is_dir() || meta.uid() != 0 {
        bail!(
            "{} is not a folder of root's (someone else made it): the sandbox will not use it",
            dir.display()
        );
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))
}

/// Removes the folders of pools whose orchestrator is no longer running
/// (`pool-<pid>-<start>-…`, see [`Pool::with_isolation`]).
fn remove_dead_pools(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(owner) = pool_owner(&name) else {
            continue;
        };
        if !owner.alive() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// The orchestrator a pool folder's name says made it.
fn pool_owner(name: &str) -> Option<ProcId> {
    let mut parts = name.strip_prefix("pool-")?.splitn(3, '-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    parts.next()?;
    Some(ProcId { pid, start })
}

/// Whether any user can reach `path`: every folder above it lets others
/// through, and it lets others read or enter it.
fn readable_by_anyone(path: &Path) -> bool {
    let others = |p: &Path, bits: u32| fs::metadata(p).is_ok_and(|m| m.mode() & bits != 0);
    let ancestors_open = path.ancestors().skip(1).all(|a| others(a, 0o001));
    ancestors_open && others(path, 0o005)
}

/// Copies the folder `src` into `dst` (created, mode 0700): folders and
/// regular files only (files keep whether they are executable: 0700 or
/// 0600), each given to `owner` when there is one, at most `max_bytes` in
/// all. Returns what it left out (symbolic links, devices, pipes,
/// sockets), relative to `src`.
pub fn copy_tree(
    src: &Path,
    dst: &Path,
    owner: Option<(u32, u32)>,
    max_bytes: u64,
) -> Result<Vec<PathBuf>> {
    let meta = fs::metadata(src).with_context(|| format!("cannot read {}", src.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a folder", src.display());
    }
    let mut skipped = Vec::new();
    let mut total = 0u64;
    make_dir(dst, owner)?;
    copy_dir(
        src,
        dst,
        Path::new(""),
        owner,
        max_bytes,
        &mut total,
        &mut skipped,
    )?;
    Ok(skipped)
}

fn make_dir(dir: &Path, owner: Option<(u32, u32)>) -> Result<()> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            return Err(e).with_context(|| format!("cannot create {}", dir.display()))
        }
        _ => {}
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    give(dir, owner)
}

/// Gives `dir` and everything in it to `owner` (links not followed).
fn own_tree(dir: &Path, owner: (u32, u32)) -> Result<()> {
    give(dir, Some(owner))?;
    for e in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = e?.path();
        let meta = fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            own_tree(&path, owner)?;
        } else {
            give(&path, Some(owner))?;
        }
    }
    Ok(())
}

fn give(path: &Path, owner: Option<(u32, u32)>) -> Result<()> {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .with_context(|| format!("cannot give {} to uid {uid}", path.display()))?;
    }
    Ok(())
}

fn copy_dir(
    src: &Path,
    dst: &Path,
    rel: &Path,
    owner: Option<(u32, u32)>,
    max_bytes: u64,
    total: &mut u64,
    skipped: &mut Vec<PathBuf>,
) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(src)
        .with_context(|| format!("cannot list {}", src.display()))?
        .collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let (from, to, rel) = (e.path(), dst.join(e.file_name()), rel.join(e.file_name()));
        let meta = fs::symlink_metadata(&from)?;
        if meta.is_dir() {
            make_dir(&to, owner)?;
            copy_dir(&from, &to, &rel, owner, max_bytes, total, skipped)?;
        } else if meta.is_file() {
            *total += meta.len();
            if *total > max_bytes {
                bail!(
                    "the submission is larger than the sandbox's {} MiB",
                    max_bytes / (1024 * 1024)
                );
            }
            fs::copy(&from, &to).with_context(|| format!("cannot copy {}", from.display()))?;
            let mode = if meta.mode() & 0o111 != 0 {
                0o700
            } else {
                0o600
            };
            fs::set_permissions(&to, fs::Permissions::from_mode(mode))?;
            give(&to, owner)?;
        } else {
            skipped.push(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_folder_names_its_owner() {
        assert_eq!(
            pool_owner("pool-123-456-AbC"),
            Some(ProcId {
                pid: 123,
                start: 456
            })
        );
        assert_eq!(pool_owner("pool-123-456"), None);
        assert_eq!(pool_owner("copy-1-x"), None);
        assert_eq!(pool_owner("pool-x-456-y"), None);
    }

    #[test]
    fn the_copy_holds_files_and_folders_only() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path();
        fs::write(s.join("server.py"), "print('hi')\n").unwrap();
        fs::write(s.join("run.sh"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(s.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir(s.join("lib")).unwrap();
        fs::write(s.join("lib/util.py"), "x = 1\n").unwrap();
        std::os::unix::fs::symlink("/etc/shadow", s.join("shadow")).unwrap();
        let _socket = std::os::unix::net::UnixListener::bind(s.join("sock")).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let d = dst.path().join("copy");
        let skipped = copy_tree(s, &d, None, 1024 * 1024).unwrap();
        assert_eq!(skipped, [PathBuf::from("shadow"), PathBuf::from("sock")]);
        assert_eq!(
            fs::read_to_string(d.join("lib/util.py")).unwrap(),
            "x = 1\n"
        );
        let mode = |p: &str| fs::metadata(d.join(p)).unwrap().mode() & 0o777;
        assert_eq!(mode(""), 0o700);
        assert_eq!(mode("lib"), 0o700);
        assert_eq!(mode("server.py"), 0o600);
        assert_eq!(mode("run.sh"), 0o700);
        assert!(!d.join("shadow").exists());
    }

    #[test]
    fn a_submission_past_the_size_bound_is_refused() {
        let src = tempfile::tempdir().unwrap();
        fs::write(src.path().join("big"), vec![0u8; 4096]).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let e = copy_tree(src.path(), &dst.path().join("c"), None, 1000)
            .unwrap_err()
            .to_string();
        assert!(e.contains("larger than"), "{e}");
    }

    #[test]
    fn a_path_is_readable_by_anyone_only_through_open_folders() {
        let top = tempfile::tempdir().unwrap();
        let inner = top.path().join("inner");
        fs::create_dir(&inner).unwrap();
        let set = |p: &Path, m| fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap();
        set(top.path(), 0o755);
        set(&inner, 0o755);
        assert!(readable_by_anyone(&inner));
        set(&inner, 0o700);
        assert!(!readable_by_anyone(&inner));
        set(&inner, 0o755);
        set(top.path(), 0o700);
        assert!(!readable_by_anyone(&inner));
    }
}
