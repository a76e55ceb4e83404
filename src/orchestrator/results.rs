//! The run directory: `results/<UTC-time>-<name>/`, written whole or not at
//! all. Files go into a hidden `.incomplete-…` directory first, which is
//! renamed into place only when everything is written; `results/latest` is
//! then replaced atomically (a new symlink renamed over the old one). A run
//! that is interrupted or panics leaves no directory presented as a result.
//! Under sudo, everything is handed to the invoking user (SUDO_UID/SUDO_GID).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context, Result};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::orchestrator::event::{Event, EventKind, Stream};
use crate::orchestrator::sys;

/// A run directory being written.
pub struct RunDir {
    root: PathBuf,
    tmp: PathBuf,
    stem: String,
    files: Vec<String>,
    /// What was written before the directory was made ([`RunDir::deferred`]).
    pending: Vec<(String, Vec<u8>)>,
    /// Whether the directory exists.
    on_disk: bool,
    finished: bool,
    /// The name taken for it before it is finished ([`RunDir::reserve`]),
    /// held in [`RESERVED`] until the directory is put in place.
    reserved: Option<PathBuf>,
}

/// `20261126T121314Z`
pub fn stamp(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year][month][day]T[hour][minute][second]Z"
    ))
    .expect("a UTC time formats")
}

/// RFC 3339 to the millisecond, for summaries.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let ms = t
        .replace_nanosecond(t.millisecond() as u32 * 1_000_000)
        .unwrap_or(t);
    ms.format(&Rfc3339).expect("a UTC time formats")
}

/// Numbers the hidden directories of one process's runs being written, so
/// that parallel jobs never share one.
static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

/// The names reserved by this process's run directories ([`RunDir::reserve`])
/// and not yet on disk.
static RESERVED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// How a finished run directory is put in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// `<stem>`, and `latest` points at it (a run of its own).
    Latest,
    /// `<stem>`, `latest` untouched (a run of a batch; the batch is latest).
    Quiet,
    /// `<stem>.interrupted`, `latest` untouched: what was captured before
    /// Ctrl-C, kept for a person to see why it hung, never mistaken for a
    /// finished run (`orchestrate clean` removes it).
    Interrupted,
}

/// The suffix of an interrupted run's (or batch's) directory.
pub const INTERRUPTED_SUFFIX: &str = ".interrupted";

impl RunDir {
    /// `<root>/<UTC time>-<name>`, being written.
    pub fn create(root: &Path, name: &str, started: OffsetDateTime) -> Result<RunDir> {
        RunDir::create_named(root, &format!("{}-{name}", stamp(started)))
    }

    /// `<root>/<stem>`, being written (a run inside a batch's directory).
    pub fn create_named(root: &Path, stem: &str) -> Result<RunDir> {
        let mut dir = RunDir::deferred(root, stem)?;
        dir.materialize()?;
        Ok(dir)
    }

    /// `<root>/<stem>`, with nothing on disk yet: what is written goes to
    /// memory until [`RunDir::materialize`] (or [`RunDir::finish`]) makes
    /// the directory. A run on a reused network then creates no file
    /// before its programs start: on a filesystem where creating a file
    /// costs tenths of a millisecond, that is most of what separates one
    /// run from the next.
    pub fn deferred(root: &Path, stem: &str) -> Result<RunDir> {
        let created_root = !root.exists();
        fs::create_dir_all(root)
            .with_context(|| format!("cannot create the results directory {}", root.display()))?;
        if created_root {
            give_to_invoking_user(root);
        }
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let tmp = root.join(format!(".incomplete-{stem}-{}-{seq}", std::process::id()));
        Ok(RunDir {
            root: root.to_path_buf(),
            tmp,
            stem: stem.to_string(),
            files: Vec::new(),
            pending: Vec::new(),
            on_disk: false,
            finished: false,
            reserved: None,
        })
    }

    /// Makes the directory, with what was written so far: for whatever
    /// must find it on disk (a topology program to start, a capture to
    /// write into it).
    pub fn materialize(&mut self) -> Result<&Path> {
        if !self.on_disk {
            if self.tmp.exists() {
                fs::remove_dir_all(&self.tmp).ok();
            }
            fs::create_dir(&self.tmp)
                .with_context(|| format!("cannot create {}", self.tmp.display()))?;
            self.on_disk = true;
            for (file, contents) in std::mem::take(&mut self.pending) {
                self.write(&file, contents)?;
            }
        }
        Ok(&self.tmp)
    }

    /// Where the files are (or will be) while the run goes on.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// [`RunDir::path`] made absolute, whether or not it exists yet (what
    /// an ownership record names, to be removed if this process dies).
    pub fn absolute_path(&self) -> PathBuf {
        match (fs::canonicalize(&self.root), self.tmp.file_name()) {
            (Ok(root), Some(name)) => root.join(name),
            _ => self.tmp.clone(),
        }
    }

    pub fn write(&mut self, file: &str, contents: impl AsRef<[u8]>) -> Result<()> {
        if !self.on_disk {
            self.pending
                .push((file.to_string(), contents.as_ref().to_vec()));
            self.note(file);
            return Ok(());
        }
        let path = self.tmp.join(file);
        fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
        self.note(file);
        Ok(())
    }

    /// Records a file something else wrote into [`RunDir::path`].
    pub fn note(&mut self, file: &str) {
        if !self.files.iter().any(|f| f == file) {
            self.files.push(file.to_string());
        }
    }

    pub fn files(&self) -> Vec<String> {
        let mut f = self.files.clone();
        f.sort();
        f
    }

    /// Takes the name [`Finish::Quiet`] will give the directory, now,
    /// while its files are still to be written (a batch's runs, whose
    /// files are written while the next run goes on): a name free on disk
    /// and not reserved by another run directory of this process, which
    /// [`RunDir::finish`] gives it. The reservation is kept in memory, not
    /// on disk (an empty directory cost half a millisecond between two
    /// runs here): it serves a batch's own unfinished directory, which
    /// only this process writes and nobody sees before the batch is whole.
    pub fn reserve(&mut self) -> Result<PathBuf> {
        if let Some(path) = &self.reserved {
            return Ok(path.clone());
        }
        let mut taken = RESERVED.lock().unwrap_or_else(PoisonError::into_inner);
        for name in candidates(&self.stem) {
            let candidate = self.root.join(&name);
            if taken.contains(&candidate) || fs::symlink_metadata(&candidate).is_ok() {
                continue;
            }
            taken.insert(candidate.clone());
            self.reserved = Some(candidate.clone());
            return Ok(candidate);
        }
        anyhow::bail!("cannot find a free name for the directory {}", self.stem)
    }

    /// Gives up the name [`RunDir::reserve`] took, if it took one.
    fn release_name(&mut self) -> Option<PathBuf> {
        let reserved = self.reserved.take()?;
        RESERVED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&reserved);
        Some(reserved)
    }

    /// Moves the directory into place (and, for [`Finish::Latest`], points
    /// `latest` at it): onto the name it reserved, if it did.
    pub fn finish(mut self, how: Finish) -> Result<PathBuf> {
        self.materialize()?;
        let stem = match how {
            Finish::Interrupted => format!("{}{INTERRUPTED_SUFFIX}", self.stem),
            Finish::Latest | Finish::Quiet => self.stem.clone(),
        };
        let final_path = match self.reserved.clone() {
            Some(reserved) if how == Finish::Quiet => {
                fs::rename(&self.tmp, &reserved)
                    .with_context(|| format!("cannot put {} in place", reserved.display()))?;
                reserved
            }
            _ => place(&self.tmp, &self.root, &stem)?,
        };
        // On disk now (or given up for another name): free in memory.
        self.release_name();
        self.finished = true;
        give_to_invoking_user(&final_path);
        if how == Finish::Latest {
            point_latest(&self.root, &final_path)?;
        }
        Ok(final_path)
    }
}

/// Renames `tmp` to `<root>/<stem>`, or `<stem>-2`, `-3`… if taken:
/// rename(2) onto an existing non-empty directory fails, so two runs
/// finishing in the same second never overwrite each other.
fn place(tmp: &Path, root: &Path, stem: &str) -> Result<PathBuf> {
    for name in candidates(stem) {
        let candidate = root.join(&name);
        if !candidate.exists() && fs::rename(tmp, &candidate).is_ok() {
            return Ok(candidate);
        }
    }
    anyhow::bail!("cannot find a free name for the directory {stem}")
}

/// The names a directory `stem` may take, in order: `stem`, `stem-2`…
fn candidates(stem: &str) -> impl Iterator<Item = String> + '_ {
    (1..=1000).map(move |n| match n {
        1 => stem.to_string(),
        n => format!("{stem}-{n}"),
    })
}

/// Points `<root>/latest` at `target` (a new symlink renamed over the old).
pub fn point_latest(root: &Path, target: &Path) -> Result<()> {
    let name = target.file_name().context("a directory has a name")?;
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let tmp_link = root.join(format!(".latest-{}-{seq}", std::process::id()));
    let _ = fs::remove_file(&tmp_link);
    std::os::unix::fs::symlink(name, &tmp_link)
        .and_then(|_| fs::rename(&tmp_link, root.join("latest")))
        .with_context(|| format!("cannot update {}/latest", root.display()))?;
    give_to_invoking_user(&root.join("latest"));
    Ok(())
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_dir_all(&self.tmp);
        }
        self.release_name();
    }
}

/// Writes a file that is not part of one run (a batch index) atomically.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    give_to_invoking_user(path);
    Ok(())
}

/// Under sudo, hands a path (recursively) to the user who ran sudo.
pub fn give_to_invoking_user(path: &Path) {
    let (Some(uid), Some(gid)) = (env_id("SUDO_UID"), env_id("SUDO_GID")) else {
        return;
    };
    if !sys::is_root() || uid == 0 {
        return;
    }
    chown_tree(path, uid, gid);
}

fn env_id(name: &str) -> Option<u32> {
    std::env::var(name).ok()?.parse().ok()
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    let _ = std::os::unix::fs::lchown(path, Some(uid), Some(gid));
    let is_dir = fs::symlink_metadata(path)
        .map(|m| m.is_dir())
        .unwrap_or(false);
    if is_dir {
        if let Ok(entries) = fs::read_dir(path) {
            for e in entries.flatten() {
                chown_tree(&e.path(), uid, gid);
            }
        }
    }
}

/// One process's log: every line it printed or was typed, with its time.
pub fn process_log(events: &[Event], process: &str) -> String {
    let mut out = String::new();
    for e in events.iter().filter(|e| e.process == process) {
        let tag = match &e.kind {
            EventKind::Output {
                stream: Stream::Stdout,
                ..
            } => "out",
            EventKind::Output {
                stream: Stream::Stderr,
                ..
            } => "err",
            EventKind::Typed { .. } => "in ",
            EventKind::Started { .. } => "run",
            EventKind::Exited { .. } => "end",
            _ => "---",
        };
        out.push_str(&format!("{:>10.3} ms {tag} | {}\n", e.t_ms, e.kind));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_run_directory_is_renamed_and_latest_follows() {
        let root = tempfile::tempdir().unwrap();
        let t = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        let mut d = RunDir::create(root.path(), "case2", t).unwrap();
        d.write("summary.json", "{}").unwrap();
        let tmp = d.path().to_path_buf();
        let done = d.finish(Finish::Latest).unwrap();
        assert!(!tmp.exists());
        assert!(done.join("summary.json").exists());
        assert_eq!(done.file_name().unwrap(), "20260921T141320Z-case2");
        let latest = fs::read_link(root.path().join("latest")).unwrap();
        assert_eq!(latest, Path::new("20260921T141320Z-case2"));
        // Same second, same name: a suffix, never an overwrite.
        let d2 = RunDir::create(root.path(), "case2", t).unwrap();
        let done2 = d2.finish(Finish::Latest).unwrap();
        assert_eq!(done2.file_name().unwrap(), "20260921T141320Z-case2-2");
    }

    #[test]
    fn an_unfinished_run_directory_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let mut d = RunDir::create(root.path(), "x", OffsetDateTime::now_utc()).unwrap();
        d.write("a.log", "half").unwrap();
        drop(d);
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
    }

    /// The names in `dir`, sorted.
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_reserved_name_is_kept_for_the_finished_directory_and_freed_if_it_never_is() {
        let root = tempfile::tempdir().unwrap();
        let mut d = RunDir::create_named(root.path(), "case2-r1").unwrap();
        let reserved = d.reserve().unwrap();
        assert_eq!(reserved, root.path().join("case2-r1"));
        assert!(!reserved.exists(), "reserved in memory, not on disk");
        // A second run of the same name takes the next one meanwhile, and
        // a name already on disk is skipped.
        fs::create_dir(root.path().join("case2-r1-2")).unwrap();
        let mut other = RunDir::create_named(root.path(), "case2-r1").unwrap();
        assert_eq!(other.reserve().unwrap(), root.path().join("case2-r1-3"));
        d.write("summary.json", "{}").unwrap();
        assert_eq!(d.finish(Finish::Quiet).unwrap(), reserved);
        assert!(reserved.join("summary.json").exists());
        // One that is never finished leaves neither its files nor its name.
        drop(other);
        assert_eq!(names_in(root.path()), ["case2-r1", "case2-r1-2"]);
        let mut again = RunDir::create_named(root.path(), "case2-r1").unwrap();
        assert_eq!(again.reserve().unwrap(), root.path().join("case2-r1-3"));
    }

    #[test]
    fn a_deferred_directory_is_on_disk_only_once_materialized_or_finished() {
        let root = tempfile::tempdir().unwrap();
        let entries = || fs::read_dir(root.path()).unwrap().count();
        let mut d = RunDir::deferred(root.path(), "case2-r1").unwrap();
        d.write("topo.py", "net").unwrap();
        assert_eq!(entries(), 0, "nothing is written before it is needed");
        assert!(d.absolute_path().is_absolute());
        assert_eq!(d.absolute_path().file_name(), d.path().file_name());
        // Something needs a file on disk: everything written so far is there.
        let path = d.materialize().unwrap().to_path_buf();
        assert_eq!(fs::read_to_string(path.join("topo.py")).unwrap(), "net");
        d.write("summary.json", "{}").unwrap();
        assert!(path.join("summary.json").exists());
        let done = d.finish(Finish::Quiet).unwrap();
        assert_eq!(fs::read_to_string(done.join("topo.py")).unwrap(), "net");

        // Never materialized: finishing writes it whole, with its name
        // reserved meanwhile; dropping it unfinished leaves nothing.
        let mut later = RunDir::deferred(root.path(), "case2-r2").unwrap();
        later.write("a.log", "x").unwrap();
        let reserved = later.reserve().unwrap();
        assert_eq!(later.files(), ["a.log"]);
        assert_eq!(later.finish(Finish::Quiet).unwrap(), reserved);
        assert_eq!(fs::read_to_string(reserved.join("a.log")).unwrap(), "x");
        let mut dropped = RunDir::deferred(root.path(), "case2-r3").unwrap();
        dropped.write("a.log", "x").unwrap();
        drop(dropped);
        assert_eq!(names_in(root.path()), ["case2-r1", "case2-r2"]);
    }

    #[test]
    fn process_log_has_times_and_streams() {
        let hi = EventKind::Output {
            stream: Stream::Stdout,
            text: "hi".into(),
        };
        let alice = EventKind::Typed {
            text: "Alice".into(),
        };
        let log = process_log(
            &[Event::new(1.5, "a", hi), Event::new(2.0, "a", alice)],
            "a",
        );
        assert_eq!(log, "     1.500 ms out | hi\n     2.000 ms in  | Alice\n");
    }
}
