//! Getting a class ready to run: every student's programs discovered
//! ([`super::discover`]), with the pins of `grading.yaml`, and their C and
//! C++ programs built — in the sandbox, as the student's slot user, in a
//! copy of the submission that the runs are then made from (the compiler's
//! output kept for the report). Nothing a student wrote runs as root, a
//! Makefile included.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::config::Grading;
use super::discover::{self, Interpreters, Program};
use super::plan::{slug, Build, Submission};
use crate::orchestrator::sandbox::{Pool, SANDBOX_PATH};

/// How long one build may take.
const BUILD_WALL_S: u64 = 120;

/// The interpreters a sandboxed program finds on its `PATH` (root's own
/// `PATH` may hold others, which the sandbox's users cannot run).
pub fn sandbox_interpreters() -> Interpreters {
    let find = |names: &[&str]| {
        names.iter().find_map(|n| {
            SANDBOX_PATH
                .split(':')
                .map(|d| Path::new(d).join(n))
                .find(|p| p.is_file())
                .map(|_| n.to_string())
        })
    };
    Interpreters {
        python3: find(&["python3"]),
        python2: find(&["python2", "python2.7"]),
    }
}

/// Every folder's submission, discovered (no program is run).
pub fn discover_all(folders: Vec<(String, PathBuf)>, g: &Grading) -> Vec<Submission> {
    let have = sandbox_interpreters();
    folders
        .into_iter()
        .map(|(student, dir)| {
            let found = discover::discover(&dir, &g.pins_for(&student), &have);
            Submission::found(student, dir, found)
        })
        .collect()
}

/// The programs of `sub` that must be built, with their builds.
fn to_build(sub: &Submission) -> Vec<&Program> {
    let mut programs: Vec<&Program> = sub.discovery.server.iter().collect();
    if let Ok(clients) = &sub.discovery.clients {
        programs.extend(clients.programs().into_iter().map(|c| &c.program));
    }
    let mut out: Vec<&Program> = Vec::new();
    for p in programs {
        if p.build.is_some() && p.problems.is_empty() && !out.iter().any(|q| q.entry == p.entry) {
            out.push(p);
        }
    }
    out
}

/// Builds the C and C++ programs of each submission that has any, in a
/// copy of its own under the pool's folder; the runs are made from that
/// copy. A build that fails is recorded (the program then does not run).
pub fn build_all(subs: &mut [Submission], pool: &Pool) -> Result<()> {
    for sub in subs.iter_mut() {
        let programs: Vec<Program> = to_build(sub).into_iter().cloned().collect();
        if programs.is_empty() {
            continue;
        }
        let copy = pool.prepare(&sub.source)?;
        let mut builds = Vec::new();
        for p in &programs {
            let argv = p.build.clone().expect("a program to build has a build");
            let (ok, output) = copy.build_in_copy(&p.dir, argv.clone(), BUILD_WALL_S)?;
            builds.push(Build {
                program: p.entry.clone(),
                command: argv,
                ok,
                output,
            });
        }
        let built = pool.dir().join(format!("built-{}", slug(&sub.student)));
        copy.keep_copy(&built)?;
        sub.dir = built;
        sub.builds = builds;
    }
    Ok(())
}
