//! Whether the programs a scenario's `cmd`s name can be started at all —
//! checked on the machine before any network is built, so that a program
//! that does not exist is one clear error of the scenario (exit 2), not ten
//! failed checks of a run that could not have worked.
//!
//! A program named without a `/` is looked up on `PATH` (our own `server`
//! and `client` always exist); a path is taken relative to the scenario
//! file's directory, where the programs run. Placeholders in the program's
//! own name cannot be checked before the run and are left alone.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::locate::Locator;
use super::{ScenarioError, ValidScenario};
use crate::orchestrator::sys::find_program;

/// Our programs, which a `cmd` may name without a path.
const OURS: [&str; 2] = ["server", "client"];

/// What is wrong with the program each `cmd` names, if anything.
pub fn missing_programs(s: &ValidScenario) -> Vec<ScenarioError> {
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
            let why = problem(program, dir)?;
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
fn problem(program: &str, dir: &Path) -> Option<String> {
    if program.contains('{') || OURS.contains(&program) {
        return None;
    }
    if !program.contains('/') {
        return find_program(program).is_none().then(|| {
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

    fn with_cmd(server_cmd: &str) -> ValidScenario {
        ok(&CASE2.replace(
            "server: { host: h1 }",
            &format!("server: {{ host: h1, cmd: {server_cmd} }}"),
        ))
    }

    #[test]
    fn a_program_that_is_not_there_is_an_error_at_its_cmd() {
        let errors = missing_programs(&with_cmd("[no-such-program-here, x]"));
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "t.yaml:3:26: server.cmd: no program \"no-such-program-here\" on PATH: give its path (relative to ./), or install it"
        );
        let errors = missing_programs(&with_cmd("[./student/server.py]"));
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
            assert!(missing_programs(&with_cmd(cmd)).is_empty(), "{cmd}");
        }
    }
}
