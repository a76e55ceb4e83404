//! The Python interpreters of this machine, and Python's own word on a
//! file that does not parse.
//!
//! Both spawn an interpreter, never a student's program: `detect` asks each
//! interpreter its version, and `parse_error` has it build the syntax tree
//! of a file with `ast.parse`, which reads the file and runs none of it —
//! so it is safe outside the sandbox, and tells exactly what a student
//! would see (a `TabError`, an unclosed bracket, `invalid non-printable
//! character U+200B`) with its line and column.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The Python interpreters found on this machine (their command names).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreters {
    /// Runs Python 3 programs; also used to confirm a syntax error.
    pub python3: Option<String>,
    /// Runs Python 2 programs; without it they are not run.
    pub python2: Option<String>,
}

impl Interpreters {
    /// None: discovery then reads files only, spawning nothing.
    pub fn none() -> Interpreters {
        Interpreters::default()
    }

    /// The interpreters that answer to their name with the right major
    /// version. A name on `PATH` is not enough: a pyenv shim answers
    /// `python2: command not found` where no Python 2 is selected.
    pub fn detect() -> Interpreters {
        let find = |names: &[&str], major: &str| {
            names
                .iter()
                .find(|n| version_major(n).as_deref() == Some(major))
                .map(|n| n.to_string())
        };
        Interpreters {
            python3: find(&["python3"], "3"),
            python2: find(&["python2", "python2.7"], "2"),
        }
    }
}

/// What `name -c 'print major'` says, within a few seconds.
fn version_major(name: &str) -> Option<String> {
    let script = "import sys; sys.stdout.write(str(sys.version_info[0]))";
    let out = run_bounded(Command::new(name).args(["-E", "-S", "-c", script]))?;
    Some(out.trim().to_string())
}

/// Parses each file named after it; `ast.parse` builds the tree and runs
/// nothing. Written for Python 2.6+ and 3 alike; each syntax error is
/// `file NUL line:col:Kind: message NUL`.
const PARSE: &str = "import ast, sys
for f in sys.argv[1:]:
    try:
        ast.parse(open(f, 'rb').read(), f)
    except SyntaxError as e:
        sys.stdout.write('%s\\0%s:%s:%s: %s\\0' % (f, e.lineno, e.offset, type(e).__name__, e.msg))
    except Exception:
        pass
";

/// A syntax error Python finds in a file: line, column, `TabError: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PythonSays {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Python's syntax errors in `files` (relative to `dir`), by file; one
/// interpreter for them all, started in an empty folder. Empty as well
/// when the interpreter could not tell.
pub(super) fn parse_errors(
    interpreter: &str,
    dir: &Path,
    files: &[&Path],
) -> HashMap<PathBuf, PythonSays> {
    if files.is_empty() {
        return HashMap::new();
    }
    // Run in an empty folder: `-c` puts the working folder first on the
    // import path, and a student's `ast.py` must never be imported.
    let Ok(empty) = tempfile::tempdir() else {
        return HashMap::new();
    };
    let mut cmd = Command::new(executable(interpreter));
    cmd.current_dir(empty.path())
        .args(["-E", "-S", "-c", PARSE])
        .args(files.iter().map(|f| dir.join(f)));
    let Some(out) = run_bounded(&mut cmd) else {
        return HashMap::new();
    };
    let fields: Vec<&str> = out.split('\0').collect();
    fields
        .as_chunks::<2>()
        .0
        .iter()
        .filter_map(|pair| {
            let c = re!(r"^(\d+|None):(\d+|None):(.*)$").captures(pair[1].trim())?;
            let said = PythonSays {
                line: c[1].parse().unwrap_or(0),
                col: c[2].parse().unwrap_or(0),
                message: c[3].trim().to_string(),
            };
            let rel = Path::new(pair[0]).strip_prefix(dir).ok()?;
            Some((rel.to_path_buf(), said))
        })
        .collect()
}

/// The interpreter's own path: a pyenv shim takes a tenth of a second to
/// find it on every start. Asked once per name.
fn executable(name: &str) -> String {
    static FOUND: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let mut found = FOUND.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, exe)) = found.iter().find(|(n, _)| n == name) {
        return exe.clone();
    }
    let script = "import sys; sys.stdout.write(sys.executable)";
    let exe = run_bounded(Command::new(name).args(["-E", "-S", "-c", script]))
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| name.to_string());
    found.push((name.to_string(), exe.clone()));
    exe
}

/// How long an interpreter may take to answer.
const BOUND: Duration = Duration::from_secs(10);

/// The standard output of `cmd`, or None if it does not start or does
/// not end within [`BOUND`] (it is then killed).
fn run_bounded(cmd: &mut Command) -> Option<String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Read while it runs: a full pipe would stop it.
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).ok().map(|_| out)
    });
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < BOUND => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    reader.join().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python3_reports_a_tab_error_and_a_zero_width_space_where_they_are() {
        let Some(python3) = Interpreters::detect().python3 else {
            panic!("these tests need python3 on PATH (the grader's machines have it)");
        };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("tabs.py"), "if True:\n        x = 1\n\ty = 2\n").unwrap();
        std::fs::write(d.join("zw.py"), "x = 1\ny\u{200b} = 2\n").unwrap();
        std::fs::write(d.join("fine.py"), "import os\r\nos.system('touch ran')\r\n").unwrap();
        let files = [
            Path::new("tabs.py"),
            Path::new("zw.py"),
            Path::new("fine.py"),
        ];
        let said = parse_errors(&python3, d, &files);
        assert_eq!(said.len(), 2, "{said:?}");
        let tabs = &said[Path::new("tabs.py")];
        assert_eq!(tabs.line, 3);
        assert!(tabs.message.starts_with("TabError"), "{tabs:?}");
        let zw = &said[Path::new("zw.py")];
        assert_eq!((zw.line, zw.col), (2, 2));
        assert!(zw.message.contains("U+200B"), "{zw:?}");
        assert!(!d.join("ran").exists(), "nothing was run");
        // A student's `ast.py` beside the files is never imported.
        std::fs::write(
            d.join("ast.py"),
            "open('/dev/null')\nraise SystemExit(open('imported', 'w'))\n",
        )
        .unwrap();
        let said = parse_errors(&python3, d, &[Path::new("zw.py")]);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(!d.join("imported").exists() && !Path::new("imported").exists());
    }
}
