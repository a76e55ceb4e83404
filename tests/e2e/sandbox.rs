//! The sandbox (`orchestrator::sandbox`) against hostile programs: small
//! Python "submissions" run *through the wrapper* on loopback (no
//! Mininet), each test bounded to a few seconds. What they show: a fork
//! bomb stays within its slot's process limit while another job runs
//! normally, and every process of it is gone after; writes outside the
//! copy fail with EACCES; a file stops growing at the file-size limit
//! (EFBIG) and the private disk at its size (ENOSPC); a CPU loop dies of
//! SIGXCPU; a sleeper is stopped at the wall-clock limit; the results and
//! other submissions cannot be read; a classic PA3 pair still works.
//!
//! Every test needs root (`#[ignore = "needs root"]`). They leave no
//! process, no copy and no pool folder behind; the slot users
//! (`pa3-sandbox-N`, no home, no shell) are kept for the next run.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pa3_mininet::orchestrator::sandbox::users::{self, processes_of, MARKER};
use pa3_mininet::orchestrator::sandbox::{
    ensure_users, Isolation, Limits, Pool, PreparedCopy, SHARED_WRITABLE,
};
use pa3_mininet::orchestrator::sys::{self, ProcId, RUN_ID_VAR};

use crate::support::{manifest_dir, require_root};

const WHY_ROOT: &str = "the sandbox creates users and runs programs as them";

const BOTH: [Isolation; 2] = [Isolation::MountNamespace, Isolation::Permissions];

// ---------------------------------------------------------------------------
// A place like a grading session's: submissions and results, readable by
// anyone on disk (as a teacher's folders often are), outside /tmp.

struct Session {
    dir: tempfile::TempDir,
}

/// What a sandboxed program gets for a path hidden from it: in a mount
/// namespace, a path under one of the places given a private tmpfs
/// (`/tmp`, …: the tests' own files are there when the project is, as in
/// a clone under /tmp) is not there at all (ENOENT); anywhere else the
/// empty, unreadable mount over it, or its permissions, refuse it (EACCES).
fn refused_as(path: &Path, isolation: Isolation) -> &'static str {
    let private_tmp = SHARED_WRITABLE.iter().any(|d| path.starts_with(d));
    match isolation {
        Isolation::MountNamespace if private_tmp => "ENOENT",
        _ => "EACCES",
    }
}

impl Session {
    fn new() -> Session {
        let dir = tempfile::Builder::new()
            .prefix("pa3-sandbox-e2e-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let s = Session { dir };
        for d in ["", "submissions", "submissions/bob", "results"] {
            let p = s.dir.path().join(d);
            std::fs::create_dir_all(&p).unwrap();
            chmod(&p, 0o755);
        }
        std::fs::write(s.bob().join("server.py"), "# Bob's answers\n").unwrap();
        std::fs::write(s.results().join("summary.json"), "{}\n").unwrap();
        chmod(&s.results().join("summary.json"), 0o644);
        s
    }

    fn submissions(&self) -> PathBuf {
        self.dir.path().join("submissions")
    }

    fn bob(&self) -> PathBuf {
        self.submissions().join("bob")
    }

    fn results(&self) -> PathBuf {
        self.dir.path().join("results")
    }

    /// A submission named `name` holding `files` (name, text).
    fn submission(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let d = self.submissions().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (f, text) in files {
            std::fs::write(d.join(f), text).unwrap();
        }
        d
    }

    fn pool(&self, limits: Limits, isolation: Isolation) -> Pool {
        Pool::with_isolation(limits, &[self.submissions(), self.results()], isolation).unwrap()
    }
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The peers of `tests/peers/`, as a submission's files.
fn classic_pair() -> Vec<(&'static str, String)> {
    ["classic_server.py", "classic_client.py"]
        .map(|f| {
            let text = std::fs::read_to_string(manifest_dir().join("tests/peers").join(f)).unwrap();
            (f, text)
        })
        .into()
}

// ---------------------------------------------------------------------------
// Running a program through the wrapper, as the runner does: its own
// process group, the run mark and PYTHONUNBUFFERED set, three pipes.

static RUNS: AtomicUsize = AtomicUsize::new(0);

struct Running {
    child: Child,
    group: ProcId,
    mark: String,
    lines: Receiver<String>,
    stdout: Vec<String>,
    stderr: JoinHandle<String>,
    started: Instant,
}

struct Finished {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: Vec<String>,
    stderr: String,
    elapsed: Duration,
}

/// A run mark of this test process's own.
fn mark() -> String {
    format!(
        "sandbox-e2e-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    )
}

fn start(copy: &PreparedCopy, argv: &[&str], mark: &str) -> Running {
    let wrapped = copy.wrap(argv.iter().map(|a| a.to_string()).collect());
    let mut child = Command::new(&wrapped[0])
        .args(&wrapped[1..])
        .current_dir(manifest_dir())
        .env(RUN_ID_VAR, mark)
        .env("PYTHONUNBUFFERED", "1")
        // What a sandboxed program must never see.
        .env("PA3_TEST_SECRET", "hunter2")
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let group = ProcId::of(child.id()).unwrap();
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    Running {
        child,
        group,
        mark: mark.to_string(),
        lines,
        stdout: Vec::new(),
        stderr,
        started: Instant::now(),
    }
}

impl Running {
    /// Waits for a line of stdout containing `text`.
    fn wait_line(&mut self, text: &str, bound: Duration) -> String {
        let deadline = Instant::now() + bound;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        self.kill();
        panic!(
            "no line with {text:?} within {bound:?}; stdout: {:?}",
            self.stdout
        );
    }

    /// SIGKILL to its group: the whole group while its leader lives, else
    /// only members carrying its mark (the leader's pid may be reused).
    fn kill(&self) {
        sys::signal_members(self.group, &self.mark, sys::Signal::SIGKILL);
    }

    /// Waits for it to exit (killing its group past `bound`, and failing).
    fn finish(mut self, bound: Duration) -> Finished {
        let deadline = Instant::now() + bound;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                self.kill();
                let _ = self.child.wait();
                panic!(
                    "still running after {bound:?}; stdout so far: {:?}",
                    self.stdout
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = self.started.elapsed();
        // Its own group: the escaped are another matter (see the fork bomb).
        self.kill();
        drop(self.child.stdin.take());
        let stderr = self.stderr.join().unwrap();
        self.stdout.extend(self.lines.try_iter());
        Finished {
            code: status.code(),
            signal: status.signal(),
            stdout: self.stdout,
            stderr,
            elapsed,
        }
    }
}

impl Finished {
    /// The value printed on a `KEY=value` line.
    fn value(&self, key: &str) -> &str {
        let prefix = format!("{key}=");
        self.stdout
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| {
                panic!(
                    "no {key}= line in {:?} (exit {:?}, signal {:?}, stderr: {})",
                    self.stdout, self.code, self.signal, self.stderr
                )
            })
    }
}

/// Runs `program` (a Python file's text) as `main.py` of a fresh
/// submission, with `args`, up to `bound`.
fn run_python(
    session: &Session,
    limits: Limits,
    isolation: Isolation,
    program: &str,
    args: &[&str],
    bound: Duration,
) -> Finished {
    let name = format!("s{}", RUNS.fetch_add(1, Ordering::Relaxed));
    let sub = session.submission(&name, &[("main.py", program)]);
    let pool = session.pool(limits, isolation);
    let copy = pool.prepare(&sub).unwrap();
    let mut argv = vec!["python3", "main.py"];
    argv.extend(args);
    let done = start(&copy, &argv, &mark()).finish(bound);
    let cleanup = copy.finish().unwrap();
    assert!(
        cleanup.killed.is_empty(),
        "left behind: {:?}",
        cleanup.killed
    );
    done
}

/// A Python helper every hostile program starts with: `attempt(label, f)`
/// prints `label=ok` or `label=<errno name>`.
const ATTEMPT: &str = r#"
import errno, os, sys
def attempt(label, f):
    try:
        f()
        print(label + "=ok")
    except OSError as e:
        print(label + "=" + errno.errorcode.get(e.errno, str(e.errno)))
"#;

// ---------------------------------------------------------------------------

#[test]
#[ignore = "needs root"]
fn a_classic_pa3_pair_works_through_the_wrapper() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let files = classic_pair();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    for isolation in BOTH {
        let sub = session.submission(&format!("pair-{}", isolation.name()), &files);
        let pool = session.pool(Limits::default(), isolation);
        let copy = pool.prepare(&sub).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
            .to_string();
        let mark = mark();
        let mut server = start(
            &copy,
            &["python3", "classic_server.py", "127.0.0.1", &port],
            &mark,
        );
        server.wait_line("ready to receive", Duration::from_secs(5));
        let client = |name, delay| {
            start(
                &copy,
                &[
                    "python3",
                    "classic_client.py",
                    "127.0.0.1",
                    &port,
                    name,
                    delay,
                ],
                &mark,
            )
        };
        // Alice connects first (X), Bob types 0.3 s after his greeting.
        let alice = client("Alice", "0");
        server.wait_line("as Client X", Duration::from_secs(5));
        let bob = client("Bob", "0.3");
        let ten = Duration::from_secs(10);
        let (server, alice, bob) = (server.finish(ten), alice.finish(ten), bob.finish(ten));
        for p in [&server, &alice, &bob] {
            assert_eq!(p.code, Some(0), "{:?} / {}", p.stdout, p.stderr);
        }
        let ack = "X: Alice received before Y: Bob";
        assert!(
            server.stdout.iter().any(|l| l == ack),
            "{:?}",
            server.stdout
        );
        for client in [&alice, &bob] {
            assert!(
                client
                    .stdout
                    .iter()
                    .any(|l| l == &format!("From Server: {ack}")),
                "{:?}",
                client.stdout
            );
        }
        let cleanup = copy.finish().unwrap();
        assert!(cleanup.killed.is_empty(), "{:?}", cleanup.killed);
    }
}

#[test]
#[ignore = "needs root"]
fn the_program_runs_unprivileged_in_its_copy_with_only_the_kept_environment() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let program = r#"
import json, os
print("uid=%d" % os.getuid())
print("euid=%d" % os.geteuid())
print("groups=%s" % os.getgroups())
print("cwd=" + os.getcwd())
print("files=" + ",".join(sorted(os.listdir("."))))
# Python may add LC_CTYPE itself (its C locale coercion).
print("env=" + ",".join(sorted(k for k in os.environ if k != "LC_CTYPE")))
print("run_id=" + os.environ.get("PA3_RUN_ID", ""))
status = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
for k in ("CapEff", "CapBnd", "NoNewPrivs"):
    print(k + "=" + status[k].strip())
"#;
    for isolation in BOTH {
        let done = run_python(
            &session,
            Limits::default(),
            isolation,
            program,
            &[],
            Duration::from_secs(10),
        );
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        let uid: u32 = done.value("uid").parse().unwrap();
        assert_ne!(uid, 0);
        assert_eq!(done.value("euid"), uid.to_string());
        assert_eq!(done.value("groups"), "[]");
        assert_eq!(done.value("files"), "main.py");
        match isolation {
            Isolation::MountNamespace => assert_eq!(done.value("cwd"), "/tmp/submission"),
            Isolation::Permissions => assert!(
                done.value("cwd").starts_with("/var/lib/pa3-sandbox/pool-"),
                "{}",
                done.value("cwd")
            ),
        }
        // Kept: the mark and unbuffered output; set: PATH, HOME, LANG.
        // Nothing else — no PA3_TEST_SECRET.
        assert_eq!(
            done.value("env"),
            "HOME,LANG,PA3_RUN_ID,PATH,PYTHONUNBUFFERED"
        );
        assert!(done.value("run_id").starts_with("sandbox-e2e-"));
        assert_eq!(done.value("CapEff"), "0000000000000000");
        assert_eq!(done.value("CapBnd"), "0000000000000000");
        assert_eq!(done.value("NoNewPrivs"), "1");
    }
}

#[test]
#[ignore = "needs root"]
fn writes_outside_the_copy_fail_with_eacces() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let program = format!(
        "{ATTEMPT}{}",
        r#"
def write(path):
    with open(path, "w") as f:
        f.write("pwned")
attempt("own", lambda: write("mine.txt"))
attempt("etc", lambda: write("/etc/pa3-sandbox-e2e"))
attempt("root", lambda: write("/root/pa3-sandbox-e2e"))
attempt("sibling", lambda: write(os.path.join(sys.argv[1], "pwned.txt")))
attempt("submissions", lambda: write(os.path.join(sys.argv[2], "server.py")))
attempt("tmp", lambda: write("/tmp/pa3-sandbox-e2e-leak"))
attempt("shm", lambda: write("/dev/shm/pa3-sandbox-e2e-leak"))
"#
    );
    for isolation in BOTH {
        let pool = session.pool(Limits::default(), isolation);
        let sub = session.submission(
            &format!("writer-{}", isolation.name()),
            &[("main.py", &program)],
        );
        // Another run's copy, alive at the same time in another slot.
        let sibling = pool.prepare(&sub).unwrap();
        let copy = pool.prepare(&sub).unwrap();
        assert_ne!(sibling.slot(), copy.slot());
        let sibling_dir = sibling.copy_dir().to_string_lossy().into_owned();
        let bob = session.bob().to_string_lossy().into_owned();
        let done = start(&copy, &["python3", "main.py", &sibling_dir, &bob], &mark())
            .finish(Duration::from_secs(10));
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        assert_eq!(done.value("own"), "ok");
        for target in ["etc", "root", "sibling"] {
            assert_eq!(done.value(target), "EACCES", "{target} ({isolation:?})");
        }
        assert_eq!(
            done.value("submissions"),
            refused_as(&session.bob(), isolation),
            "submissions ({isolation:?})"
        );
        let leaked = Path::new("/tmp/pa3-sandbox-e2e-leak");
        match isolation {
            // Its own /tmp: the write lands there and vanishes with it.
            Isolation::MountNamespace => {
                assert_eq!(done.value("tmp"), "ok");
                assert_eq!(done.value("shm"), "ok");
                assert!(!leaked.exists());
                assert!(!Path::new("/dev/shm/pa3-sandbox-e2e-leak").exists());
            }
            // Shared /tmp: the documented gap.
            Isolation::Permissions => {
                assert_eq!(done.value("tmp"), "ok");
                let _ = std::fs::remove_file(leaked);
                let _ = std::fs::remove_file("/dev/shm/pa3-sandbox-e2e-leak");
            }
        }
        assert!(!Path::new("/etc/pa3-sandbox-e2e").exists());
        assert!(!sibling.copy_dir().join("pwned.txt").exists());
        assert_eq!(
            std::fs::read_to_string(session.bob().join("server.py")).unwrap(),
            "# Bob's answers\n"
        );
        copy.finish().unwrap();
        sibling.finish().unwrap();
    }
}

#[test]
#[ignore = "needs root"]
fn the_results_and_other_submissions_cannot_be_read() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let program = format!(
        "{ATTEMPT}{}",
        r#"
attempt("list_results", lambda: os.listdir(sys.argv[1]))
attempt("read_summary", lambda: open(os.path.join(sys.argv[1], "summary.json")).read())
attempt("list_submissions", lambda: os.listdir(sys.argv[2]))
attempt("read_bob", lambda: open(os.path.join(sys.argv[2], "bob", "server.py")).read())
attempt("write_results", lambda: open(os.path.join(sys.argv[1], "summary.json"), "w"))
"#
    );
    let results = session.results().to_string_lossy().into_owned();
    let submissions = session.submissions().to_string_lossy().into_owned();
    let pool = session.pool(Limits::default(), Isolation::MountNamespace);
    assert!(pool.exposed().is_empty());
    let sub = session.submission("reader", &[("main.py", &program)]);
    let copy = pool.prepare(&sub).unwrap();
    let done = start(
        &copy,
        &["python3", "main.py", &results, &submissions],
        &mark(),
    )
    .finish(Duration::from_secs(10));
    copy.finish().unwrap();
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    for what in [
        "list_results",
        "read_summary",
        "list_submissions",
        "read_bob",
        "write_results",
    ] {
        assert_eq!(
            done.value(what),
            refused_as(session.dir.path(), Isolation::MountNamespace),
            "{what}"
        );
    }
    // Without a mount namespace only permissions protect them, and these
    // are open to anyone: the pool says so.
    let pool = session.pool(Limits::default(), Isolation::Permissions);
    assert_eq!(
        pool.exposed(),
        [
            session.submissions().canonicalize().unwrap(),
            session.results().canonicalize().unwrap()
        ]
    );
}

#[test]
#[ignore = "needs root"]
fn a_fork_bomb_stays_within_its_slot_and_is_swept_while_another_job_runs() {
    require_root(WHY_ROOT);
    let session = Session::new();
    // Every process forks as fast as it can; each child leaves the process
    // group (setsid) and closes its pipes, so neither the group nor the
    // pipes lead to it; the first refused fork is reported.
    let bomb = r#"
import os, sys, time
told = False
while True:
    try:
        pid = os.fork()
    except OSError as e:
        if not told:
            print("refused=" + os.strerror(e.errno), flush=True)
            told = True
        time.sleep(0.05)
        continue
    if pid == 0:
        os.setsid()
        told = True
        os.closerange(0, 3)
"#;
    let limits = Limits::default();
    let most = limits.processes as usize;
    let pool = session.pool(limits, Isolation::MountNamespace);
    let bomb_sub = session.submission("bomb", &[("main.py", bomb)]);
    let bomb_copy = pool.prepare(&bomb_sub).unwrap();
    let uid = bomb_copy.user().uid;
    let bomb_mark = mark();
    let mut running = start(&bomb_copy, &["python3", "main.py"], &bomb_mark);
    let refused = running.wait_line("refused=", Duration::from_secs(10));
    assert_eq!(refused, "refused=Resource temporarily unavailable");

    // Meanwhile another job (another slot) runs a PA3 exchange.
    let files = classic_pair();
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    let pair_sub = session.submission("pair", &files);
    let pair_copy = pool.prepare(&pair_sub).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let pair_mark = mark();
    let t = Instant::now();
    let mut server = start(
        &pair_copy,
        &["python3", "classic_server.py", "127.0.0.1", &port],
        &pair_mark,
    );
    let mut peak = 0;
    server.wait_line("ready to receive", Duration::from_secs(10));
    let client = |name| {
        start(
            &pair_copy,
            &["python3", "classic_client.py", "127.0.0.1", &port, name],
            &pair_mark,
        )
    };
    let (a, b) = (client("Alice"), client("Bob"));
    let ten = Duration::from_secs(10);
    let (server, a, b) = (server.finish(ten), a.finish(ten), b.finish(ten));
    let pair_took = t.elapsed();
    for p in [&server, &a, &b] {
        assert_eq!(p.code, Some(0), "{:?} / {}", p.stdout, p.stderr);
    }
    assert!(server
        .stdout
        .iter()
        .any(|l| l == "Sent acknowledgment to both X and Y"));
    pair_copy.finish().unwrap();

    // The bomb never had more than its slot's processes.
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        peak = peak.max(processes_of(uid).len());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(peak <= most, "{peak} processes (limit {most})");

    // The runner stops the program's group: the bomb's children are not in
    // it, hold none of its pipes, but keep the run mark.
    let top = running.group;
    running.kill();
    let finished = running.finish(Duration::from_secs(5));
    let escaped: Vec<u32> = processes_of(uid)
        .into_iter()
        .filter(|p| !p.zombie)
        .map(|p| p.pid)
        .collect();
    assert!(escaped.len() > 10, "{} escaped", escaped.len());
    assert!(sys::group_members(top, &bomb_mark).is_empty());
    let marked = escaped
        .iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| {
                env.split(|&b| b == 0)
                    .any(|v| v == format!("{RUN_ID_VAR}={bomb_mark}").as_bytes())
            })
        })
        .count();
    // The sweep by uid finds every one of them.
    let cleanup = bomb_copy.finish().unwrap();
    assert!(cleanup.killed.len() >= escaped.len().saturating_sub(1));
    assert_eq!(cleanup.zombies_left, 0);
    assert!(processes_of(uid).is_empty());
    eprintln!(
        "fork bomb: peak {peak} processes of its user (limit {most}), first refused fork: {refused:?}; \
         {} left the group and the pipes ({marked} of them still carrying the run mark); \
         the sweep killed {}; the other job's PA3 exchange took {pair_took:?}; bomb top exit {:?}/{:?}",
        escaped.len(),
        cleanup.killed.len(),
        finished.code,
        finished.signal
    );
}

#[test]
#[ignore = "needs root"]
fn filling_the_disk_stops_at_the_file_size_and_disk_limits() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let program = format!(
        "{ATTEMPT}{}",
        r#"
chunk = b"x" * (1024 * 1024)
def fill(name, most):
    written = 0
    try:
        with open(name, "wb", buffering=0) as f:
            while written < most:
                f.write(chunk)
                written += len(chunk)
        return written, "ok"
    except OSError as e:
        return written, errno.errorcode[e.errno]
written, why = fill("big", 1 << 40)
print("one_file=%s" % why)
print("one_file_bytes=%d" % os.path.getsize("big"))
os.remove("big")
total, why, i = 0, "ok", 0
while why == "ok" and i < 1000:
    n, why = fill("part%d" % i, 3 << 20)
    total += n
    i += 1
print("many_files=%s" % why)
print("many_files_bytes=%d" % total)
"#
    );
    let limits = Limits {
        file_size: 4 << 20,
        disk: 16 << 20,
        ..Limits::default()
    };
    let done = run_python(
        &session,
        limits.clone(),
        Isolation::MountNamespace,
        &program,
        &[],
        Duration::from_secs(20),
    );
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.value("one_file"), "EFBIG");
    assert_eq!(done.value("one_file_bytes"), (4u64 << 20).to_string());
    assert_eq!(done.value("many_files"), "ENOSPC");
    let total: u64 = done.value("many_files_bytes").parse().unwrap();
    assert!(total <= 16 << 20, "{total}");
    eprintln!("disk fill: one file stopped at EFBIG after 4 MiB; many files stopped at ENOSPC after {total} bytes (disk 16 MiB)");
}

#[test]
#[ignore = "needs root"]
fn a_cpu_loop_is_killed_at_the_cpu_limit() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let limits = Limits {
        cpu_s: 1,
        ..Limits::default()
    };
    let done = run_python(
        &session,
        limits.clone(),
        Isolation::MountNamespace,
        "while True:\n    pass\n",
        &[],
        Duration::from_secs(10),
    );
    let sigxcpu = sys::Signal::SIGXCPU as i32;
    assert_eq!(
        done.signal,
        Some(sigxcpu),
        "{:?} {}",
        done.code,
        done.stderr
    );
    let why = limits.explain_exit(done.code, done.signal).unwrap();
    assert!(why.contains("CPU-time limit (1 s)"), "{why}");
    eprintln!("cpu loop: {why} after {:?}", done.elapsed);
}

#[test]
#[ignore = "needs root"]
fn a_program_that_never_reads_its_stdin_is_stopped_at_the_wall_clock_limit() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let limits = Limits {
        wall_s: 1,
        ..Limits::default()
    };
    // Asks for its name and never reads it; the second one ignores SIGTERM.
    let sleeper =
        "print('Enter message to send to server:')\nimport time\nwhile True:\n    time.sleep(1)\n";
    let stubborn =
        format!("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n{sleeper}");
    for (program, expected) in [
        (sleeper.to_string(), "wall-clock limit (1 s)"),
        (stubborn, "SIGKILL"),
    ] {
        let done = run_python(
            &session,
            limits.clone(),
            Isolation::MountNamespace,
            &program,
            &[],
            Duration::from_secs(10),
        );
        let why = limits
            .explain_exit(done.code, done.signal)
            .unwrap_or_default();
        assert!(
            why.contains(expected),
            "{:?}/{:?}: {why}",
            done.code,
            done.signal
        );
        assert!(done.elapsed < Duration::from_secs(4), "{:?}", done.elapsed);
        eprintln!(
            "sleeper: exit {:?} signal {:?} after {:?}: {why}",
            done.code, done.signal, done.elapsed
        );
    }
}

#[test]
#[ignore = "needs root"]
fn memory_past_the_address_space_limit_fails_cleanly() {
    require_root(WHY_ROOT);
    let session = Session::new();
    let program = r#"
try:
    hog = bytearray(2 * 1024 ** 3)
    print("allocated=yes")
except MemoryError:
    print("allocated=MemoryError")
"#;
    let done = run_python(
        &session,
        Limits::default(),
        Isolation::MountNamespace,
        program,
        &[],
        Duration::from_secs(10),
    );
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.value("allocated"), "MemoryError");
}

#[test]
#[ignore = "needs root"]
fn slot_users_are_created_once_marked_and_unprivileged() {
    require_root(WHY_ROOT);
    let first = ensure_users(2).unwrap();
    let again = ensure_users(2).unwrap();
    assert_eq!(first, again);
    for (slot, user) in first.iter().enumerate() {
        assert_eq!(user.name, users::user_name(slot));
        assert_ne!(user.uid, 0);
        let entry = Command::new("getent")
            .args(["passwd", &user.name])
            .output()
            .unwrap();
        let entry = String::from_utf8_lossy(&entry.stdout);
        let fields: Vec<&str> = entry.trim().split(':').collect();
        assert_eq!(fields[4], MARKER);
        assert_eq!(fields[6], "/usr/sbin/nologin");
    }
}

#[test]
#[ignore = "needs root and Mininet"]
fn the_wrapper_works_inside_a_mininet_host() {
    crate::support::require_mininet();
    let session = Session::new();
    // A host as Mininet makes one: a process in a network and mount
    // namespace of its own (`mnexec -n`, which also remounts /sys).
    let mut host = Command::new("/usr/bin/mnexec")
        .args(["-n", "sleep", "30"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let host_pid = host.id().to_string();
    let program = format!(
        "{ATTEMPT}{}",
        r#"
import socket
print("interfaces=" + ",".join(n for _, n in socket.if_nameindex()))
print("uid=%d" % os.getuid())
print("cwd=" + os.getcwd())
s = socket.socket()
attempt("bind", lambda: s.bind(("0.0.0.0", 12000)))
attempt("etc", lambda: open("/etc/pa3-sandbox-e2e", "w"))
attempt("results", lambda: os.listdir(sys.argv[1]))
"#
    );
    let sub = session.submission("on-a-host", &[("main.py", &program)]);
    let pool = session.pool(Limits::default(), Isolation::MountNamespace);
    let copy = pool.prepare(&sub).unwrap();
    let results = session.results().to_string_lossy().into_owned();
    let mut argv = vec!["/usr/bin/mnexec", "-a", &host_pid];
    let wrapped = copy.wrap(vec!["python3".into(), "main.py".into(), results.clone()]);
    argv.extend(wrapped.iter().map(String::as_str));
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .env(RUN_ID_VAR, mark())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = host.kill();
    let _ = host.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let done = Finished {
        code: out.status.code(),
        signal: out.status.signal(),
        stdout: stdout.lines().map(String::from).collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: Duration::ZERO,
    };
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.value("interfaces"), "lo");
    assert_eq!(done.value("uid"), copy.user().uid.to_string());
    assert_eq!(done.value("cwd"), "/tmp/submission");
    assert_eq!(done.value("bind"), "ok");
    assert_eq!(done.value("etc"), "EACCES");
    assert_eq!(
        done.value("results"),
        refused_as(&session.results(), Isolation::MountNamespace)
    );
    assert!(copy.finish().unwrap().killed.is_empty());
}
