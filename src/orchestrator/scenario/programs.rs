//! Whether the programs a scenario's `cmd`s name can be started at all —
//! checked on the machine before any network is built, so that a program
//! that does not exist is one clear error of the scenario (exit 2), not ten
//! failed checks of a run that could not have worked.
//!
//! A program named without a `/` is looked up on `PATH` by the caller's
//! `on_path` (the OS door's, `sys::on_path`: the scenario is data and asks
//! the machine nothing itself; our own `server` and `client` always
//! exist); a path is taken relative to the scenario file's directory,
//! where the programs run. Placeholders in the program's own name cannot
//! be checked before the run and are left alone.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::locate::Locator;
use super::{ScenarioError, ValidScenario};

/// Our programs, which a `cmd` may name without a path.
const OURS: [&str; 2] = ["server", "client"];

/// What is wrong with the program each `cmd` names, if anything;
/// `on_path` tells whether a bare name is on `PATH`.
pub fn missing_programs(s: &ValidScenario, on_path: &dyn Fn(&str) -> bool) -> Vec<ScenarioError> {
    let mut cmds: Vec<(String, &[String])> = Vec::new();
    if let Some(cmd) = &s.server.cmd {
        cmds.push(("server.cmd".into(), cmd));
    }
    for (i, c) in s.clients.iter().enumerate() {
        if let Some(cmd) = &c.cmd {
            cmds.push((format!("clients[{i}].cmd"), cmd));
        }
    }
    if cmds.is_empty() {
        return Vec::new();
    }
    let locator = Locator::new(&s.source);
    let dir = match s.file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    cmds.into_iter()
        .filter_map(|(path, cmd)| {
            let program = cmd.first()?;
            let why = problem(program, dir, on_path)?;
            let (line, column) = locator.find(&path);
            Some(ScenarioError {
                file: s.file.clone(),
                line,
                column,
                message: format!("{path}: {why}"),
            })
        })
        .collect()
}

/// Why `program` cannot be started from `dir`, if it cannot.
fn problem(program: &str, dir: &Path, on_path: &dyn Fn(&str) -> bool) -> Option<String> {
    if program.contains('{') || OURS.contains(&program) {
        return None;
    }
    if !program.contains('/') {
        return (!on_path(program)).then(|| {
            format!(
                "no program {program:?} on PATH: give its path (relative to {}), or install it",
                shown_dir(dir)
            )
        });
    }
    let path = dir.join(program);
    match std::fs::metadata(&path) {
        Err(_) if Path::new(program).is_absolute() => Some(format!("{program:?} does not exist")),
        Err(_) => Some(format!(
            "{program:?} does not exist (a path in cmd is relative to the scenario's directory, {})",
            shown_dir(dir)
        )),
        Ok(m) if m.is_dir() => Some(format!("{program:?} is a directory, not a program")),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => Some(format!(
            "{program:?} is not executable: run it through its interpreter, e.g. [python3, {program}]"
        )),
        Ok(_) => None,
    }
}

fn shown_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    if shown == "." {
        "./".into()
    } else {
        format!("{shown}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::scenario::testing::*;

    /// A machine with python3 and sh, and nothing else.
    fn on_path(program: &str) -> bool {
        ["python3", "sh"].contains(&program)
    }

    fn with_cmd(server_cmd: &str) -> ValidScenario {
        ok(&CASE2.replace(
            "server: { host: h1 }",
            &format!("server: {{ host: h1, cmd: {server_cmd} }}"),
        ))
    }

    #[test]
    fn a_program_that_is_not_there_is_an_error_at_its_cmd() {
        let errors = missing_programs(&with_cmd("[no-such-program-here, x]"), &on_path);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "t.yaml:3:26: server.cmd: no program \"no-such-program-here\" on PATH: give its path (relative to ./), or install it"
        );
        let errors = missing_programs(&with_cmd("[./student/server.py]"), &on_path);
        assert!(
            errors[0].message.ends_with(
                "\"./student/server.py\" does not exist (a path in cmd is relative to the scenario's directory, ./)"
            ),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn ours_interpreters_and_placeholders_are_fine() {
        for cmd in [
            "[server, --port, \"{port}\"]",
            "[python3, x.py]",
            "[\"{prog}\"]",
            "[sh, -c, exit]",
        ] {
            assert!(
                missing_programs(&with_cmd(cmd), &on_path).is_empty(),
                "{cmd}"
            );
        }
    }
}
