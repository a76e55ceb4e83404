//! The files of a submission folder a TA would open: program sources
//! (`.py`, `.c`, `.cpp`/`.cc`/`.cxx`, headers) and Makefiles, up to four
//! folders deep, past hidden folders, virtual environments, caches and
//! macOS archive litter; files over 1 MiB and binaries are skipped, and
//! links are never followed (a submission cannot point the grader at files
//! outside it).

use std::path::{Path, PathBuf};

use walkdir::{DirEntry, WalkDir};

use super::lex::{lex, Lexed, Syntax};

/// Folders below the submission that are searched (the submission is 0).
const MAX_FOLDERS_DEEP: usize = 4;
/// Larger files are not programs a student wrote.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// What a source file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SourceKind {
    Python,
    C,
    Cpp,
    /// `.h`, `.hpp`, `.hh`: never a program itself.
    Header,
}

impl SourceKind {
    fn of(path: &Path) -> Option<SourceKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "py" => SourceKind::Python,
            "c" => SourceKind::C,
            "cpp" | "cc" | "cxx" | "c++" => SourceKind::Cpp,
            "h" | "hpp" | "hh" | "hxx" => SourceKind::Header,
            _ => return None,
        })
    }

    pub(super) fn syntax(self) -> Syntax {
        match self {
            SourceKind::Python => Syntax::Python,
            _ => Syntax::C,
        }
    }
}

/// One source file.
#[derive(Debug)]
pub(super) struct Source {
    /// Relative to the submission folder.
    pub rel: PathBuf,
    pub kind: SourceKind,
    /// As read; bytes that are not UTF-8 replaced.
    pub text: String,
    /// Where the first byte that is not UTF-8 is (line, column).
    pub not_utf8_at: Option<(usize, usize)>,
    pub lexed: Lexed,
}

impl Source {
    /// The file's name, for messages.
    pub(super) fn name(&self) -> String {
        self.rel.display().to_string()
    }

    /// The folder it is in, relative to the submission.
    pub(super) fn dir(&self) -> PathBuf {
        self.rel.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The file name without its extension.
    pub(super) fn stem(&self) -> String {
        self.rel
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The file name.
    pub(super) fn file_name(&self) -> String {
        self.rel
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// What the folder holds.
#[derive(Debug, Default)]
pub(super) struct Tree {
    /// In path order.
    pub sources: Vec<Source>,
    /// Makefiles, relative to the submission folder.
    pub makefiles: Vec<PathBuf>,
    /// Every other file (for saying what was found instead).
    pub others: Vec<PathBuf>,
}

/// The files of `dir` worth reading.
pub(super) fn scan(dir: &Path) -> Tree {
    let mut tree = Tree::default();
    let walk = WalkDir::new(dir)
        .max_depth(MAX_FOLDERS_DEEP + 1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !skipped_folder(e));
    for entry in walk.flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir).map(Path::to_path_buf) else {
            continue;
        };
        let name = rel.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if matches!(&*name, "Makefile" | "makefile" | "GNUmakefile") {
            tree.makefiles.push(rel);
        } else if let Some(source) = read_source(entry.path(), rel.clone()) {
            tree.sources.push(source);
        } else {
            tree.others.push(rel);
        }
    }
    tree
}

/// Folders no student work is in: hidden ones, caches, virtual
/// environments, the `__MACOSX` folder of a zip made on a Mac.
fn skipped_folder(e: &DirEntry) -> bool {
    if !e.file_type().is_dir() {
        return false;
    }
    let name = e.file_name().to_string_lossy();
    name.starts_with('.')
        || matches!(
            &*name,
            "__pycache__" | "__MACOSX" | "venv" | "node_modules" | "site-packages"
        )
        || e.path().join("pyvenv.cfg").exists()
}

/// The source at `path`, unless it is none, too large, or binary.
fn read_source(path: &Path, rel: PathBuf) -> Option<Source> {
    let kind = SourceKind::of(path)?;
    if std::fs::metadata(path).ok()?.len() > MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    let not_utf8_at = std::str::from_utf8(&bytes)
        .err()
        .map(|e| position(&bytes[..e.valid_up_to()]));
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let lexed = lex(&text, kind.syntax());
    Some(Source {
        rel,
        kind,
        text,
        not_utf8_at,
        lexed,
    })
}

/// The 1-based line and column just after `valid` (UTF-8 text).
fn position(valid: &[u8]) -> (usize, usize) {
    let text = std::str::from_utf8(valid).unwrap_or_default();
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_files_a_ta_would_open_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in [
            "work/deep/a/b",
            ".git",
            "__pycache__",
            "__MACOSX",
            "env",
            "work/deep/a/b/c",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("env/pyvenv.cfg"), "home = /usr\n").unwrap();
        for f in [
            "server.py",
            "work/deep/a/b/client.cpp",
            "work/deep/a/b/c/too_deep.py",
            ".git/hook.py",
            "__pycache__/x.py",
            "__MACOSX/._server.py",
            "env/site.py",
            "notes.txt",
        ] {
            std::fs::write(d.join(f), "print('hi')\n").unwrap();
        }
        std::fs::write(d.join("work/Makefile"), "all:\n").unwrap();
        std::fs::write(d.join("binary.py"), b"\x7fELF\0\0").unwrap();
        std::fs::write(d.join("latin1.py"), b"# caf\xe9\nx = 1\n").unwrap();
        let tree = scan(d);
        let names: Vec<_> = tree.sources.iter().map(Source::name).collect();
        assert_eq!(
            names,
            ["latin1.py", "server.py", "work/deep/a/b/client.cpp"]
        );
        assert_eq!(tree.makefiles, [PathBuf::from("work/Makefile")]);
        assert_eq!(
            tree.others,
            [PathBuf::from("binary.py"), PathBuf::from("notes.txt")]
        );
        assert_eq!(tree.sources[0].not_utf8_at, Some((1, 6)));
        assert_eq!(tree.sources[1].not_utf8_at, None);
    }
}
