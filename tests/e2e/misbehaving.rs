//! Misbehaving programs run in scenarios (`tests/scenarios/misbehaving/`,
//! with `cmd:`), each on the local backend and on Mininet: a server that
//! never replies, a client that never reads, 100 MB of output (short lines
//! and wide ones), programs that exit at once or do not exist, one that
//! ignores SIGTERM, and ones that fork grandchildren (kept in the group,
//! left behind, or escaped with `setsid`).
//!
//! Every case must end with exit code 3 and a failed verdict naming the
//! program and what it did; in bounded time (the scenarios' `timeout_s` is
//! 5 s, the bound is that plus 10 s) and bounded memory (peak RSS under
//! 100 MB: `/usr/bin/time -f %M` around the orchestrator, which counts the
//! largest of it and the programs it ran, and the orchestrator's own
//! VmHWM sampled while it runs; the kept output within the runner's caps);
//! and with nothing left behind: no process carrying the case's marker
//! (programs started in a Mininet host included), no process the run's
//! state file ever named (programs, Mininet's driver and host shells), no
//! interface of the run's switch `s<pid>`, no state file.
//!
//! Each test copies its scenario into a temporary directory with the
//! marker `pa3-misbehave-<case>` made unique (`-<pid>-<n>-<ns>`), next to
//! a link to `misbehave.py`, so that `pgrep -f` finds only its own
//! processes; `PA3_STATE_DIR` is a temporary directory per test.
//!
//! Tests on Mininet are `#[ignore = "needs root and Mininet"]` (see
//! `support`); `sudo cargo test -- --include-ignored` runs them.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use pa3_mininet::orchestrator::runner::{CUT_MARK, MAX_KEPT_BYTES, MAX_LINES, MAX_LINE_BYTES};

use crate::support::{
    bin, failed_verdicts, interfaces_of_run, manifest_dir, read_summary, require_mininet, tempdir,
    timing_bound, verdict,
};
use pa3_mininet::orchestrator::event::Stream;
use pa3_mininet::orchestrator::record::{Outcome, Verdict};
use pa3_mininet::orchestrator::state::RunState;

/// Every misbehaving scenario's `timeout_s`.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a case may take, start to exit: a bound against hanging
/// (the scenario's timeout plus the stopping grace is well under it), not a
/// speed test — reading 100 MB of output takes ~10 s on a busy 2-core
/// machine, and the bound must not flake there.
const WALL_BOUND: Duration = Duration::from_secs(40);
/// When a hung orchestrator is killed so that the test can report it.
const HARD_STOP: Duration = Duration::from_secs(60);
/// Peak resident memory allowed, in KiB.
const RSS_BOUND_KB: i64 = 100 * 1024;
/// How much the flooders print.
const FLOOD_BYTES: usize = 100_000_000;
/// The wide flooder's line, newline included (misbehave.py wide-flood).
const WIDE_LINE: usize = 8192;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Local,
    Mininet,
}

/// How a case must end.
struct Case {
    /// File stem in tests/scenarios/misbehaving/ (also the marker's tail).
    name: &'static str,
    /// Verdicts that must fail.
    failing: &'static [&'static str],
    /// Verdicts that must pass.
    passing: &'static [&'static str],
    /// (verdict id, or `*` for any failed verdict; texts its `observed`
    /// must all contain). `{marker}` stands for the case's unique marker.
    observed: &'static [(&'static str, &'static [&'static str])],
    /// The least time it can take (a timeout, a grace period).
    min_wall: Duration,
    /// Lines the server printed in all (kept + dropped), if known.
    server_lines: Option<fn(&str) -> u64>,
    /// Its verdicts rest on telling a deadlock (a second of standstill)
    /// before the scenario's 5 s timeout: it runs alone
    /// ([`crate::support::timing_bound`]).
    deadlock: bool,
}

const NOTHING: &[&str] = &[];

fn flood_lines(marker: &str) -> u64 {
    // `yes MARKER | head -c FLOOD_BYTES`; the last line may be partial.
    FLOOD_BYTES.div_ceil(marker.len() + 1) as u64
}

fn wide_flood_lines(_: &str) -> u64 {
    FLOOD_BYTES.div_ceil(WIDE_LINE) as u64
}

const SERVER_HANGS: Case = Case {
    name: "server-hangs",
    failing: &[
        "steps",
        "greeting.a",
        "greeting.b",
        "server.sent_ack",
        "exit.server",
        "exit.a",
        "exit.b",
    ],
    passing: NOTHING,
    // Our clients wait for the greeting with a blocking read, the server
    // in accept: nothing can move, and the run ends as deadlocked instead
    // of waiting out its timeout.
    observed: &[
        (
            "steps",
            &[
                "waited for client a to print its greeting, but the run is deadlocked",
                "h1 server waits for a connection (accept)",
                "h2 client a waits to receive (recv)",
            ],
        ),
        (
            "exit.server",
            &[
                "was killed by signal 15 after the orchestrator stopped it",
                "still running when the run was stopped at a deadlock",
            ],
        ),
    ],
    min_wall: Duration::ZERO,
    server_lines: None,
    deadlock: true,
};

/// Ended a second after the last send, at the deadlock, not at the 5 s
/// timeout (the message says which).
const DEADLOCK: Case = Case {
    name: "deadlock",
    failing: &[
        "ack.same",
        "server.sent_ack",
        "exit.server",
        "exit.a",
        "exit.b",
    ],
    passing: &["steps", "greeting.a", "greeting.b"],
    observed: &[(
        "exit.server",
        &[
            "still running when the run was stopped at a deadlock",
            "h1 server waits to receive (recv)",
            "h2 client a waits to receive (recv)",
            "h3 client b waits to receive (recv)",
        ],
    )],
    min_wall: Duration::ZERO,
    server_lines: None,
    deadlock: true,
};

const CLIENT_NEVER_READS: Case = Case {
    name: "client-never-reads",
    failing: &["greeting.a", "ack.same", "exit.a"],
    passing: &[
        "steps",
        "greeting.b",
        "ack.order",
        "server.messages",
        "server.sent_ack",
        "exit.server",
        "exit.b",
    ],
    observed: &[
        ("greeting.a", &["no greeting"]),
        (
            "exit.a",
            &[
                "was killed by signal 15 after the orchestrator stopped it",
                "still running when the run was stopped at the scenario's timeout (5 s)",
            ],
        ),
    ],
    min_wall: SCENARIO_TIMEOUT,
    server_lines: None,
    deadlock: false,
};

const FLOOD: Case = Case {
    name: "flood",
    failing: &["steps", "output.server"],
    passing: &["exit.server"],
    observed: &[
        (
            "steps",
            &["waited for the server to listen on port 12000, but h1 server exited with code 0"],
        ),
        (
            "output.server",
            &["lines past that were dropped unread (20000 kept)"],
        ),
    ],
    min_wall: Duration::ZERO,
    server_lines: Some(flood_lines),
    deadlock: false,
};

const WIDE_FLOOD: Case = Case {
    name: "wide-flood",
    failing: &["steps", "output.server"],
    passing: &["exit.server"],
    observed: &[("output.server", &["lines past that were dropped unread"])],
    min_wall: Duration::ZERO,
    server_lines: Some(wide_flood_lines),
    deadlock: false,
};

const SERVER_EXITS_AT_ONCE: Case = Case {
    name: "server-exits-at-once",
    failing: &["steps", "exit.server"],
    passing: NOTHING,
    observed: &[
        (
            "steps",
            &["waited for the server to listen on port 12000, but h1 server exited with code 1"],
        ),
        ("exit.server", &["exited with code 1"]),
    ],
    min_wall: Duration::ZERO,
    server_lines: None,
    deadlock: false,
};

const CLIENT_EXITS_AT_ONCE: Case = Case {
    name: "client-exits-at-once",
    failing: &["steps", "greeting.a", "exit.server"],
    passing: &["exit.a"],
    observed: &[(
        "steps",
        &["waited for client a to connect, but h2 client a exited with code 0"],
    )],
    min_wall: Duration::ZERO,
    server_lines: None,
    deadlock: false,
};

const IGNORES_SIGTERM: Case = Case {
    name: "ignores-sigterm",
    failing: &["steps", "exit.server"],
    passing: NOTHING,
    observed: &[(
        "exit.server",
        &[
            "was killed by signal 9 after the orchestrator stopped it",
            "ignored SIGTERM for 1 s, and was killed with SIGKILL",
        ],
    )],
    // the timeout, then the grace between SIGTERM and SIGKILL
    min_wall: Duration::from_secs(6),
    server_lines: None,
    deadlock: false,
};

const FORK_TREE: Case = Case {
    name: "fork-tree",
    failing: &["steps", "exit.server"],
    passing: NOTHING,
    observed: &[(
        "exit.server",
        &["was killed by signal 15 after the orchestrator stopped it"],
    )],
    min_wall: SCENARIO_TIMEOUT,
    server_lines: None,
    deadlock: false,
};

const GRANDCHILD: Case = Case {
    name: "grandchild",
    failing: &["steps", "exit.server"],
    passing: NOTHING,
    observed: &[(
        "exit.server",
        &[
            "exited with code 0; left behind: 1 process still running in its process group after it ended",
            "misbehave.py orphan {marker}",
            "killed with SIGKILL",
        ],
    )],
    min_wall: Duration::ZERO,
    server_lines: None,
    deadlock: false,
};

const ESCAPED_GRANDCHILD: Case = Case {
    name: "escaped-grandchild",
    failing: &["steps", "exit.server"],
    passing: NOTHING,
    observed: &[(
        "exit.server",
        &[
            "exited with code 0; left behind: 1 process outside its process group",
            "misbehave.py escape {marker}",
            "killed with SIGKILL",
        ],
    )],
    min_wall: Duration::ZERO,
    server_lines: None,
    deadlock: false,
};

macro_rules! cases {
    ($($test:ident => $case:ident;)*) => {
        mod local {
            $(
                #[test]
                fn $test() {
                    super::run_case(&super::$case, super::Backend::Local);
                }
            )*
        }
        mod mininet {
            $(
                #[test]
                #[ignore = "needs root and Mininet"]
                fn $test() {
                    super::run_case(&super::$case, super::Backend::Mininet);
                }
            )*
        }
    };
}

cases! {
    server_that_never_replies_nor_exits => SERVER_HANGS;
    programs_that_wait_for_each_other_are_a_deadlock => DEADLOCK;
    client_that_never_reads => CLIENT_NEVER_READS;
    server_printing_100_mb_of_short_lines => FLOOD;
    server_printing_100_mb_of_wide_lines => WIDE_FLOOD;
    server_that_exits_at_once => SERVER_EXITS_AT_ONCE;
    client_that_exits_at_once => CLIENT_EXITS_AT_ONCE;
    server_that_ignores_sigterm => IGNORES_SIGTERM;
    server_with_children_that_never_exit => FORK_TREE;
    server_that_leaves_a_grandchild => GRANDCHILD;
    server_whose_grandchild_escapes_with_setsid => ESCAPED_GRANDCHILD;
}

// ---------------------------------------------------------------------------

fn scenarios_dir() -> PathBuf {
    manifest_dir().join("tests/scenarios/misbehaving")
}

/// A marker no other test or run shares.
fn unique_marker(case: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "pa3-misbehave-{case}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The case's scenario with its marker made unique, next to a link to the
/// helper, in `dir`; returns the scenario's path.
fn stage(case: &Case, marker: &str, dir: &Path) -> PathBuf {
    let src = scenarios_dir();
    let text = std::fs::read_to_string(src.join(format!("{}.yaml", case.name))).unwrap();
    let plain = format!("pa3-misbehave-{}", case.name);
    assert!(text.contains(&plain), "{} has no marker {plain}", case.name);
    let file = dir.join(format!("{}.yaml", case.name));
    std::fs::write(&file, text.replace(&plain, marker)).unwrap();
    std::os::unix::fs::symlink(src.join("misbehave.py"), dir.join("misbehave.py")).unwrap();
    file
}

/// A process as the state file records it.
type ProcId = (u64, u64);

/// Every (pid, start time) the state files in `dir` name right now.
fn recorded_processes(dir: &Path, into: &mut BTreeSet<ProcId>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        // Written whole (temp file + rename); a file removed meanwhile is fine.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(state) = serde_json::from_str::<RunState>(&text) else {
            continue;
        };
        let named = state.owner.iter().chain(&state.driver);
        for p in named.chain(&state.host_shells).chain(&state.groups) {
            into.insert((p.pid.into(), p.start));
        }
    }
}

/// The start time of `pid` (field 22 of /proc/PID/stat) and whether it is a
/// zombie.
fn proc_state(pid: u64) -> Option<(u64, bool)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some((fields.get(19)?.parse().ok()?, fields.first() == Some(&"Z")))
}

fn alive(p: ProcId) -> bool {
    matches!(proc_state(p.0), Some((start, zombie)) if start == p.1 && !zombie)
}

fn vm_hwm_kb(pid: u32) -> Option<i64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn drain(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// The pid the orchestrator wrote down through its `sh` prelude.
fn pid_in(file: &Path) -> Option<u32> {
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// What one run of the orchestrator did.
struct Run {
    output: Output,
    /// The orchestrator's pid (its switch is `s<pid>`).
    pid: u32,
    wall: Duration,
    /// Peak RSS of the orchestrator and the programs it ran (GNU time), KiB.
    tree_maxrss_kb: Option<i64>,
    /// The orchestrator's own VmHWM at the last sample, KiB.
    hwm_kb: i64,
    /// Every process its state file named while it ran.
    recorded: BTreeSet<ProcId>,
}

/// Runs `orchestrate` on `file`, sampling its state files and memory; kills
/// it (and fails) if it runs past [`HARD_STOP`].
fn run_orchestrate(backend: Backend, file: &Path, results: &Path, state: &Path) -> Run {
    let rss_file = state.with_file_name("maxrss");
    let pid_file = state.with_file_name("pid");
    // GNU time (when there is one) runs sh, which writes its pid down and
    // becomes the orchestrator: a run over in a millisecond still has a
    // known pid.
    // GNU time reports the peak RSS of what it ran (and of what that
    // waited for). Not `wait4` from here: a child forked from this test
    // process starts with the test's own high-water mark.
    let mut cmd = if let Some(time) = crate::support::gnu_time() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg("sh");
        c
    } else {
        Command::new("sh")
    };
    cmd.args(["-c", "echo $$ > \"$0\" && exec \"$@\""])
        .arg(&pid_file)
        .arg(bin("orchestrate"))
        .current_dir(manifest_dir())
        .env_remove("CARGO")
        .env("PA3_STATE_DIR", state)
        .env("NO_COLOR", "1")
        .args([
            "--backend",
            if backend == Backend::Local {
                "local"
            } else {
                "mininet"
            },
        ])
        .arg("--results")
        .arg(results)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t0 = Instant::now();
    let mut child = cmd.spawn().expect("cannot start orchestrate");
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let mut pid = None;
    let mut recorded = BTreeSet::new();
    let mut hwm_kb = 0;
    let status = loop {
        if pid.is_none() {
            pid = pid_in(&pid_file);
        }
        recorded_processes(state, &mut recorded);
        if let Some(kb) = pid.and_then(vm_hwm_kb) {
            hwm_kb = hwm_kb.max(kb);
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if t0.elapsed() > HARD_STOP {
            let _ = child.kill();
            if let Some(p) = pid {
                // The orchestrator this test started.
                let _ = kill(Pid::from_raw(p as i32), Signal::SIGKILL);
            }
            let _ = child.wait();
            panic!("orchestrate hung: still running after {HARD_STOP:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = t0.elapsed();
    let tree_maxrss_kb = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.lines().last()?.trim().parse().ok());
    Run {
        output: Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        },
        pid: pid
            .or_else(|| pid_in(&pid_file))
            .expect("the orchestrator's pid was never written down"),
        wall,
        tree_maxrss_kb,
        hwm_kb,
        recorded,
    }
}

fn run_case(case: &Case, backend: Backend) {
    if backend == Backend::Mininet {
        require_mininet();
    }
    let _timing = case.deadlock.then(timing_bound);
    let tmp = tempdir();
    let (scenario_dir, results, state) = (
        tmp.path().join("scenario"),
        tmp.path().join("results"),
        tmp.path().join("state"),
    );
    for d in [&scenario_dir, &results, &state] {
        std::fs::create_dir_all(d).unwrap();
    }
    let marker = unique_marker(case.name);
    let file = stage(case, &marker, &scenario_dir);
    let run = run_orchestrate(backend, &file, &results, &state);
    let what = format!("{} on {backend:?}", case.name);
    let transcript = format!(
        "--- stdout ---\n{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&run.output.stdout),
        String::from_utf8_lossy(&run.output.stderr)
    );

    // A failed check, not an error.
    run.output.clone().assert().code(3);

    // Bounded time.
    assert!(
        run.wall < WALL_BOUND,
        "{what} took {:?} (bound {WALL_BOUND:?})\n{transcript}",
        run.wall
    );
    assert!(
        run.wall >= case.min_wall,
        "{what} took only {:?}, less than its {:?}\n{transcript}",
        run.wall,
        case.min_wall
    );

    // Bounded memory.
    assert!(
        run.tree_maxrss_kb.unwrap_or(0) < RSS_BOUND_KB && run.hwm_kb < RSS_BOUND_KB,
        "{what}: peak RSS {:?} KiB (orchestrate alone, last sample: {} KiB), bound {RSS_BOUND_KB} KiB",
        run.tree_maxrss_kb,
        run.hwm_kb
    );

    // The verdicts.
    let summary = read_summary(&results)
        .unwrap_or_else(|e| panic!("{what}: no summary.json ({e})\n{transcript}"));
    assert_eq!(summary.outcome, Outcome::Failed, "{what}");
    assert!(summary.error.is_none(), "{what}: {:?}", summary.error);
    let failed = failed_verdicts(&summary);
    for id in case.failing {
        assert!(
            failed.iter().any(|f| f == id),
            "{what}: {id} should have failed; failed: {failed:?}\n{transcript}"
        );
    }
    for id in case.passing {
        let v = verdict(&summary, id).unwrap_or_else(|| panic!("{what}: no verdict {id}"));
        assert!(v.passed, "{what}: {id} should have passed: {v:?}");
    }
    for (id, needles) in case.observed {
        let needles: Vec<String> = needles
            .iter()
            .map(|n| n.replace("{marker}", &marker))
            .collect();
        let holds = |v: &Verdict| needles.iter().all(|n| v.observed.contains(n.as_str()));
        let ok = if *id == "*" {
            summary.verdicts.iter().any(|v| !v.passed && holds(v))
        } else {
            verdict(&summary, id).is_some_and(holds)
        };
        assert!(
            ok,
            "{what}: verdict {id} should say {needles:?}\n{transcript}"
        );
    }
    // The terminal shows the same verdicts.
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert!(stdout.contains("FAIL misbehave-"), "{what}\n{transcript}");

    // What was kept of the output stays within the runner's caps.
    let events = &summary.events;
    for p in &summary.processes {
        let id = p.id.as_str();
        let mut kept = 0u64;
        for stream in [Stream::Stdout, Stream::Stderr] {
            // A line cut at the limit carries the runner's mark; what it
            // kept of the program's output is what the caps bound.
            let lines: Vec<&str> = events
                .iter()
                .filter(|e| e.process == id)
                .filter_map(|e| e.output().filter(|(s, _)| *s == stream))
                .map(|(_, t)| t.strip_suffix(CUT_MARK).unwrap_or(t))
                .collect();
            assert!(lines.len() <= MAX_LINES, "{what}: {id} {stream:?}");
            assert!(
                lines.iter().map(|l| l.len()).sum::<usize>() <= MAX_KEPT_BYTES,
                "{what}: {id} {stream:?}"
            );
            assert!(lines.iter().all(|l| l.len() <= MAX_LINE_BYTES), "{what}");
            kept += lines.len() as u64;
        }
        let log = std::fs::read_to_string(results.join("latest").join(&p.log)).unwrap();
        assert!(
            log.lines().count() <= 2 * MAX_LINES + 10,
            "{what}: {id}.log has {} lines",
            log.lines().count()
        );
        if let (Some(total), "server") = (case.server_lines, id) {
            let dropped = p.dropped_lines;
            assert!(dropped > 0, "{what}: nothing dropped");
            assert_eq!(kept + dropped, total(&marker), "{what}: kept + dropped");
        }
    }
    let jsonl = std::fs::read_to_string(results.join("latest/events.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), events.len(), "{what}");

    // Nothing left behind.
    let pgrep = Command::new("pgrep")
        .args(["-a", "-f", &marker])
        .output()
        .unwrap();
    assert!(
        pgrep.stdout.is_empty(),
        "{what}: processes left behind:\n{}",
        String::from_utf8_lossy(&pgrep.stdout)
    );
    // (A run over in a few milliseconds may end between two samples.)
    assert!(
        !run.recorded.is_empty() || run.wall < Duration::from_secs(1),
        "{what}: the run recorded nothing in its state file"
    );
    let living: Vec<ProcId> = run.recorded.iter().copied().filter(|&p| alive(p)).collect();
    assert!(
        living.is_empty(),
        "{what}: processes the run recorded are still alive: {living:?}"
    );
    let links = interfaces_of_run(run.pid);
    assert!(
        links.is_empty(),
        "{what}: interfaces left behind: {links:?}"
    );
    let left: Vec<PathBuf> = std::fs::read_dir(&state)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "{what}: state files left behind: {left:?}");
    eprintln!(
        "{what}: exit 3 in {:.2} s, peak RSS {:?} KiB (orchestrate alone {} KiB), {} processes recorded, all gone",
        run.wall.as_secs_f64(),
        run.tree_maxrss_kb,
        run.hwm_kb,
        run.recorded.len()
    );
}
