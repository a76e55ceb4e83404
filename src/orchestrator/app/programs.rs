//! Our `server` and `client` for a command's runs: the binaries of those
//! names built beside this executable when they are of its very build
//! (they carry its [`build::MARK`]: `cargo build` and `cargo
//! test` make all three at once), else links of those names to this very
//! executable. `orchestrate` started as `server` or `client` is that
//! program (`src/bin/orchestrate.rs`), so the programs a run starts are
//! always as fresh as the orchestrator, whichever binaries were built:
//! `cargo run --bin orchestrate`, which builds only `orchestrate`, needs
//! nothing else, and the orchestrator never runs `cargo`. The small
//! binaries are preferred because they start faster: the orchestrator is
//! more than twice their size, and a run starts three programs (about
//! 0.3 ms each on the development machine, measured in
//! docs/benchmarks/2026-12-08.md).
//!
//! The links live in `pa3-programs/` beside the executable
//! (`target/debug/pa3-programs/server`), made once and kept, so that the
//! command lines a report quotes still work after the run; under sudo the
//! folder is the invoking user's (`cargo clean` removes it). Where that
//! folder cannot be made (an executable in a folder we may not write), a
//! temporary one serves the command and goes with it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::orchestrator::results;
use crate::pa3::build;

const NAMES: [&str; 2] = ["server", "client"];

/// The directory of our programs.
pub(crate) struct Programs {
    dir: PathBuf,
    /// The temporary directory, when the one beside the executable could
    /// not be made; removed on drop (a panic's unwinding included).
    _temporary: Option<tempfile::TempDir>,
}

impl Programs {
    /// Links `server` and `client` to this executable.
    pub(crate) fn link() -> Result<Programs> {
        let exe = std::env::current_exe().context("cannot find this program's path")?;
        let beside = exe
            .parent()
            .context("this program has no directory")?
            .join("pa3-programs");
        if beside_ok(&exe, &beside).is_ok() {
            return Ok(Programs {
                dir: beside,
                _temporary: None,
            });
        }
        let temporary = tempfile::Builder::new()
            .prefix("pa3-programs-")
            .tempdir()
            .context("cannot make a directory for our server and client")?;
        make_links(temporary.path(), &exe)?;
        Ok(Programs {
            dir: temporary.path().to_path_buf(),
            _temporary: Some(temporary),
        })
    }

    /// Our programs for runs: the `server` and `client` beside this
    /// executable when they are of its build, else [`Programs::link`]'s.
    pub(crate) fn for_runs() -> Result<Programs> {
        let exe = std::env::current_exe().context("cannot find this program's path")?;
        match exe.parent() {
            Some(dir) if NAMES.iter().all(|n| of_this_build(&dir.join(n))) => Ok(Programs {
                dir: dir.to_path_buf(),
                _temporary: None,
            }),
            _ => Programs::link(),
        }
    }

    /// Where `server` and `client` are.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Whether the file at `path` is a binary of this build: its section
/// [`build::SECTION`] holds this build's mark. Only the file's headers and
/// that section are read (a debug build's binaries are over 100 MB).
fn of_this_build(path: &Path) -> bool {
    use object::{Object, ObjectSection};
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let cache = object::ReadCache::new(file);
    let Ok(binary) = object::File::parse(&cache) else {
        return false;
    };
    binary
        .section_by_name(build::SECTION)
        .and_then(|s| s.data().ok())
        .is_some_and(|data| data == build::MARK)
}

/// `dir` holds our links to `exe` (relative: `../orchestrate`), made now
/// if it did not: in a folder of another name first, then renamed into
/// place, so that two commands starting at once both find it whole.
fn beside_ok(exe: &Path, dir: &Path) -> Result<()> {
    let target = Path::new("..").join(exe.file_name().context("no file name")?);
    if links_to(dir, &target) {
        return Ok(());
    }
    if dir.exists() {
        // Links of another executable's name, or a folder we did not make.
        bail!("{} holds something else", dir.display());
    }
    let fresh = dir.with_file_name(format!(".pa3-programs.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir(&fresh).with_context(|| format!("cannot create {}", fresh.display()))?;
    let made =
        make_links(&fresh, &target).and_then(|()| std::fs::rename(&fresh, dir).map_err(Into::into));
    let _ = std::fs::remove_dir_all(&fresh);
    if made.is_err() && !links_to(dir, &target) {
        return made;
    }
    results::give_to_invoking_user(dir);
    Ok(())
}

/// Whether `dir` holds both links, to `target`.
fn links_to(dir: &Path, target: &Path) -> bool {
    NAMES
        .iter()
        .all(|n| std::fs::read_link(dir.join(n)).is_ok_and(|t| t == target))
}

/// Links both names in `dir` to `target`; `dir` opened to all (`up --cli`
/// puts it on the hosts' PATH, and anyone may run a command a report
/// quotes).
fn make_links(dir: &Path, target: &Path) -> Result<()> {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot open {} to all", dir.display()))?;
    for name in NAMES {
        let link = dir.join(name);
        std::os::unix::fs::symlink(target, &link)
            .with_context(|| format!("cannot link {} to {}", link.display(), target.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_links_beside_the_executable_are_made_once_and_kept() {
        let root = tempfile::tempdir().unwrap();
        let exe = root.path().join("orchestrate");
        std::fs::write(&exe, "").unwrap();
        let dir = root.path().join("pa3-programs");
        beside_ok(&exe, &dir).unwrap();
        for name in NAMES {
            let link = dir.join(name);
            assert_eq!(
                std::fs::read_link(&link).unwrap(),
                Path::new("../orchestrate")
            );
            assert_eq!(
                std::fs::canonicalize(&link).unwrap(),
                exe.canonicalize().unwrap()
            );
        }
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        // Found as it is the next time; nothing else left in the folder.
        beside_ok(&exe, &dir).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["orchestrate", "pa3-programs"]);
    }

    #[test]
    fn a_binary_is_of_this_build_only_when_its_section_holds_this_builds_mark() {
        use object::{Object, ObjectSection};
        use std::os::unix::fs::FileExt;
        // This test's own executable is built from these sources.
        let exe = std::env::current_exe().unwrap();
        assert!(of_this_build(&exe));
        // A copy whose mark names another build is not.
        let root = tempfile::tempdir().unwrap();
        let copy = root.path().join("server");
        std::fs::copy(&exe, &copy).unwrap();
        let data = std::fs::read(&copy).unwrap();
        let binary = object::File::parse(&*data).unwrap();
        let (offset, size) = binary
            .section_by_name(build::SECTION)
            .and_then(|s| s.file_range())
            .expect("the mark's section is in the file");
        assert_eq!(size as usize, build::MARK.len());
        let other = String::from_utf8(build::MARK.to_vec())
            .unwrap()
            .replace(build::ID, "0123456789abcdef");
        assert_eq!(other.len(), build::MARK.len());
        assert_ne!(other.as_bytes(), build::MARK);
        drop(binary);
        let file = std::fs::OpenOptions::new().write(true).open(&copy).unwrap();
        file.write_all_at(other.as_bytes(), offset).unwrap();
        assert!(!of_this_build(&copy));
        // Not a binary of ours at all, not an executable, not there.
        assert!(!of_this_build(Path::new("/bin/sh")));
        let text = root.path().join("client");
        std::fs::write(&text, build::MARK).unwrap();
        assert!(!of_this_build(&text), "the mark alone is no binary");
        assert!(!of_this_build(&root.path().join("missing")));
    }

    #[test]
    fn a_folder_of_that_name_holding_anything_else_is_not_used() {
        let root = tempfile::tempdir().unwrap();
        let exe = root.path().join("orchestrate");
        let dir = root.path().join("pa3-programs");
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink("/bin/sh", dir.join("server")).unwrap();
        assert!(beside_ok(&exe, &dir).is_err());
        assert_eq!(
            std::fs::read_link(dir.join("server")).unwrap(),
            Path::new("/bin/sh")
        );
    }
}
