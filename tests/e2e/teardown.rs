//! Teardown on every path: Ctrl-C, SIGTERM, kill -9 then `clean`, a panic,
//! and two orchestrators at once. "Nothing left" means: no live process
//! carrying the run's `PA3_RUN_ID`, no interface of its bridge, no results.
//!
//! Tests on Mininet are `#[ignore = "needs root and Mininet"]` (see
//! `support`); `sudo cargo test -- --include-ignored` runs them.

use assert_cmd::prelude::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use predicates::prelude::*;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    assert_nothing_of_run_left, experiment, interfaces_of_run, orchestrate, programs_of_run,
    read_as, require_mininet, tempdir, write_scenario,
};
use pa3_mininet::orchestrator::record::{Outcome, RunRecord};

struct Run {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// A long-gap scenario, started in the background.
fn start(backend: &str, extra_env: &[(&str, &str)]) -> Run {
    let dir = tempdir();
    let file = write_scenario(
        dir.path(),
        "gap.yaml",
        "name: gap\nclients:\n  - { id: a, host: h2, name: Alice }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 6000}, {send: a} ]\ntimeout_s: 30\n",
    );
    let mut cmd = orchestrate();
    cmd.args(["--backend", backend, "--results"])
        .arg(dir.path().join("results"))
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    Run {
        dir,
        child: Some(child),
    }
}

impl Run {
    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn results(&self) -> PathBuf {
        self.dir.path().join("results")
    }

    /// Waits until the run's server has both clients (seen in its log of
    /// steps on stdout), i.e. the middle of the long gap.
    fn wait_until_mid_run(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if programs_of_run(self.pid()).len() >= 3 {
                std::thread::sleep(Duration::from_millis(300));
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the run never got its three programs up");
    }

    fn signal(&self, sig: Signal) {
        // Our own child.
        let _ = kill(Pid::from_raw(self.pid() as i32), sig);
    }

    fn wait(&mut self) -> (i32, String) {
        let out = self.child.take().unwrap().wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn assert_nothing_left(run: &Run, pid: u32) {
    assert_nothing_of_run_left(pid);
    if run.results().exists() {
        let entries: Vec<String> = std::fs::read_dir(run.results())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            entries.is_empty(),
            "results written for an unfinished run: {entries:?}"
        );
    }
}

/// An interrupted run keeps what was captured, marked as such and never
/// as `latest`; `clean --results` removes it.
fn assert_interrupted_run_kept(run: &Run, pid: u32) {
    assert_nothing_of_run_left(pid);
    let entries: Vec<String> = std::fs::read_dir(run.results())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].ends_with("-gap.interrupted"), "{entries:?}");
    let kept = run.results().join(&entries[0]);
    let summary: RunRecord = read_as(&kept.join("summary.json"));
    assert_eq!(summary.outcome, Outcome::Interrupted);
    assert!(
        summary
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("interrupted")),
        "{:?}",
        summary.error
    );
    // What was captured is there: b typed, a not yet (the long gap).
    let b_log = std::fs::read_to_string(kept.join("b.log")).unwrap();
    assert!(b_log.contains("in  | Bob"), "{b_log}");
    let a_log = std::fs::read_to_string(kept.join("a.log")).unwrap();
    assert!(!a_log.contains("in  | Alice"), "{a_log}");
    orchestrate()
        .args(["clean", "--results"])
        .arg(run.results())
        .assert()
        .success()
        .stdout(predicate::str::contains("removed interrupted run"));
    assert!(std::fs::read_dir(run.results()).unwrap().next().is_none());
}

fn interrupt_mid_run(backend: &str, sig: Signal) {
    let mut run = start(backend, &[]);
    let pid = run.pid();
    run.wait_until_mid_run();
    if backend == "mininet" {
        assert!(
            !interfaces_of_run(pid).is_empty(),
            "no Mininet interfaces during the run"
        );
    }
    let t = Instant::now();
    run.signal(sig);
    let (code, stderr) = run.wait();
    assert_eq!(code, 130, "{stderr}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "teardown took {:?}",
        t.elapsed()
    );
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_interrupted_run_kept(&run, pid);
}

#[test]
fn ctrl_c_on_local_exits_130_and_leaves_nothing() {
    interrupt_mid_run("local", Signal::SIGINT);
}

#[test]
#[ignore = "needs root and Mininet"]
fn ctrl_c_on_mininet_exits_130_and_leaves_nothing() {
    require_mininet();
    interrupt_mid_run("mininet", Signal::SIGINT);
}

#[test]
#[ignore = "needs root and Mininet"]
fn sigterm_on_mininet_exits_130_and_leaves_nothing() {
    require_mininet();
    interrupt_mid_run("mininet", Signal::SIGTERM);
}

fn panic_mid_run(backend: &str) {
    let mut run = start(backend, &[("PA3_INJECT_PANIC_AT_STEP", "2")]);
    let pid = run.pid();
    let (code, stderr) = run.wait();
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("internal error"), "{stderr}");
    assert_nothing_left(&run, pid);
}

#[test]
fn a_panic_on_local_still_tears_down() {
    panic_mid_run("local");
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_panic_on_mininet_still_tears_down() {
    require_mininet();
    panic_mid_run("mininet");
}

#[test]
#[ignore = "needs root and Mininet"]
fn kill_9_then_clean_then_a_normal_run_passes() {
    require_mininet();
    let mut run = start("mininet", &[]);
    let pid = run.pid();
    run.wait_until_mid_run();
    run.signal(Signal::SIGKILL);
    let _ = run.wait();
    let out = orchestrate().arg("clean").output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    // The dead run's programs and unfinished results are gone; the
    // driver noticed its owner's death and stopped the net by itself.
    assert_nothing_left(&run, pid);
    assert!(
        !said.contains(&format!(
            "left alone: the run of live orchestrator pid {pid}"
        )),
        "{said}"
    );
    let results = tempdir();
    let status = orchestrate()
        .args(["--quiet", "--results"])
        .arg(results.path())
        .arg(experiment("case1.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
#[ignore = "needs root and Mininet"]
fn two_orchestrators_started_together_both_pass() {
    require_mininet();
    let file = experiment("case2.yaml");
    let dirs = [tempdir(), tempdir()];
    let children: Vec<Child> = dirs
        .iter()
        .map(|d| {
            orchestrate()
                .args(["--quiet", "--results"])
                .arg(d.path())
                .arg(&file)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let pid = c.id();
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(interfaces_of_run(pid).is_empty());
    }
}

#[test]
#[ignore = "needs root and Mininet"]
fn up_keeps_the_network_until_ctrl_c_and_then_removes_it() {
    require_mininet();
    use std::io::{BufRead, BufReader};
    let mut child = orchestrate()
        .arg("up")
        .arg(experiment("case1.yaml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let text = seen.join("\n");
    assert!(text.contains("h1     10.0.0.1"), "{text}");
    assert!(text.contains("/server"), "{text}");
    assert_eq!(
        interfaces_of_run(pid).len(),
        4,
        "bridge and three ports expected during `up`"
    );
    // Our own child.
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(
        interfaces_of_run(pid).is_empty(),
        "{:?}",
        interfaces_of_run(pid)
    );
}
