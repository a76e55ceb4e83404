//! The Python interpreters of this machine, and Python's own word on a
//! file that does not parse.
//!
//! Both spawn an interpreter, never a student's program: `detect` asks each
//! interpreter its version, and `parse_error` has it build the syntax tree
//! of a file with `ast.parse`, which reads the file and runs none of it —
//! so it is safe outside the sandbox, and tells exactly what a student
//! would see (a `TabError`, an unclosed bracket, `invalid non-printable
//! character U+200B`) with its line and column.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
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

/// Parses the file; `ast.parse` builds the tree and runs nothing.
/// Written for Python 2.6+ and 3 alike.
const PARSE: &str = "import ast, sys
try:
    ast.parse(open(sys.argv[1], 'rb').read(), sys.argv[1])
except SyntaxError as e:
    sys.stdout.write('%s:%s:%s: %s' % (e.lineno, e.offset, type(e).__name__, e.msg))
";

/// A syntax error Python finds in a file: line, column, `TabError: ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PythonSays {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Python's syntax error in `file`, if it has one (None as well when the
/// interpreter could not tell).
pub(super) fn parse_error(interpreter: &str, file: &Path) -> Option<PythonSays> {
    let mut cmd = Command::new(interpreter);
    cmd.args(["-E", "-S", "-c", PARSE]).arg(file);
    let out = run_bounded(&mut cmd)?;
    let c = re!(r"^(\d+|None):(\d+|None):(.*)$").captures(out.trim())?;
    Some(PythonSays {
        line: c[1].parse().unwrap_or(0),
        col: c[2].parse().unwrap_or(0),
        message: c[3].trim().to_string(),
    })
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
    let mut out = String::new();
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    Some(out)
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
        let tabs = dir.path().join("tabs.py");
        std::fs::write(&tabs, "if True:\n        x = 1\n\ty = 2\n").unwrap();
        let said = parse_error(&python3, &tabs).unwrap();
        assert_eq!(said.line, 3);
        assert!(said.message.starts_with("TabError"), "{said:?}");
        let zw = dir.path().join("zw.py");
        std::fs::write(&zw, "x = 1\ny\u{200b} = 2\n").unwrap();
        let said = parse_error(&python3, &zw).unwrap();
        assert_eq!((said.line, said.col), (2, 2));
        assert!(said.message.contains("U+200B"), "{said:?}");
        let fine = dir.path().join("fine.py");
        std::fs::write(&fine, "import os\r\nos.system('touch ran')\r\n").unwrap();
        assert_eq!(parse_error(&python3, &fine), None);
        assert!(!dir.path().join("ran").exists() && !Path::new("ran").exists());
    }
}
