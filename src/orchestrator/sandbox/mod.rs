//! The sandbox that students' programs (untrusted code) run in when the
//! orchestrator grades them: never as root, inside resource limits, in a
//! private copy of their submission, unable to reach other submissions or
//! the results, and bounded in time.
//!
//! # How a program is wrapped
//!
//! [`Sandbox::wrap`] is a pure function from a program's argv to the argv
//! that runs it sandboxed; on Mininet that argv is started in the host's
//! network namespace (`<sandbox…> python3 server.py`). Every step is a
//! standard tool that `exec`s the next, so the program keeps the pid the
//! runner started (and its process group), its three pipes and its exit
//! status:
//!
//! ```text
//! unshare --mount --ipc --propagation private --   (Isolation::MountNamespace only)
//! sh -c SETUP pa3-sandbox WORK SRC UID:GID DISK [HIDDEN…] --      (root: mounts, copy, cd)
//! env -i PA3_RUN_ID=… PYTHONUNBUFFERED=… PATH=… HOME=WORK LANG=C.UTF-8
//! timeout --kill-after=1 WALL                        (root: the student cannot kill it)
//! prlimit --cpu=S:S+1 --as= --nproc= --fsize= --nofile= --core=0 --
//! setpriv --reuid=UID --regid=GID --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all --
//! python3 server.py
//! ```
//!
//! `SETUP` is one constant shell program: every path and number reaches it
//! as a positional argument, never spliced into its text. It keeps only
//! the environment variables the orchestrator relies on ([`KEPT_ENV`]:
//! the run mark `PA3_RUN_ID` and `PYTHONUNBUFFERED`), so root's `PATH`
//! (which may point into `/root`), `SUDO_*` and any token in the
//! orchestrator's environment never reach student code. Standard tools
//! rather than a pre-exec hook in Rust: the runner starts every program
//! through an argv (so an argv is the interface that fits it without
//! changing it), util-linux and coreutils are on every Debian machine and
//! in every CI image, and each step can be tried by hand.
//!
//! # What holds the program
//!
//! - **A user of its own per job slot** (`pa3-sandbox-0`, `-1`, … created
//!   on demand, see [`users`]), no supplementary groups, no capabilities
//!   (bounding set emptied), `no_new_privs` (no setuid binary gives them
//!   back). `RLIMIT_NPROC` counts the processes *of a user*: with one user
//!   per slot, a fork bomb exhausts its own slot's budget and no other
//!   job's. Root (the `timeout` above the program) is not counted.
//! - **Resource limits** ([`Limits`]): CPU seconds (SIGXCPU, then SIGKILL a
//!   second later), address space, processes, file size (Python ignores
//!   SIGXFSZ and gets `EFBIG`), open files, no core files, and a
//!   wall-clock bound enforced by a root `timeout` (exit 124).
//! - **A private copy** of the submission ([`Pool::prepare`]): a sanitized
//!   copy (regular files and folders only) made by root under
//!   `/var/lib/pa3-sandbox/pool-…`.
//! - With [`Isolation::MountNamespace`] (root with `CAP_SYS_ADMIN`: this
//!   machine, a CI runner under sudo, a privileged pod), each program gets
//!   a mount and IPC namespace of its own: a `tmpfs` of [`Limits::disk`]
//!   bytes on `/tmp` (also bound on `/var/tmp`, `/dev/shm`, `/run/lock`,
//!   the world-writable places), its copy in `/tmp/submission` as working
//!   directory, and an empty read-only mode-000 `tmpfs` over every path
//!   it must not see (other submissions, results). The kernel removes all
//!   of it when the program's last process exits, whatever happens to the
//!   orchestrator: nothing to clean up, and the total it can write is
//!   bounded.
//! - With [`Isolation::Permissions`] (no `CAP_SYS_ADMIN`, e.g. a Docker
//!   container such as Gradescope's), the copy itself is the working
//!   directory: owned by the slot user, mode 0700, under root-owned 0711
//!   folders, so other slot users can neither list nor enter it. Paths to
//!   hide are protected only by their own permissions ([`Pool::exposed`]
//!   names those any user can read); `/tmp` is shared and the total size
//!   written is not bounded (only each file's).
//!
//! # Cleanup
//!
//! The runner stops a program's process group and whatever still holds its
//! pipes; a child that called `setsid()` and closed its pipes escapes both.
//! It cannot escape its uid: [`PreparedCopy::finish`] (and its `Drop`)
//! kills every process of the slot user with one `kill(-1, SIGKILL)` made
//! *as that user* — the kernel then reaches that user's processes and no
//! one else's, all at once, so a fork bomb cannot outrun it — and reports
//! what it killed. A slot is held by a lock file, so two orchestrators on
//! one machine never share a slot user.
//!
//! # What this does not contain
//!
//! Memory is bounded per process (address space), not per job: a job may
//! hold up to `processes × address_space`. CPU is shared by fair
//! scheduling, not reserved. Network access is whatever the host has (a
//! Mininet host reaches only its network; on the loopback backend a
//! program can reach anything this machine can). Those need cgroups (a
//! `memory.max` and `cpu.max` per job) or a VM; see docs/sandbox.md.

use std::path::{Path, PathBuf};

pub mod cgroup;
mod pool;
pub mod users;

pub use pool::{Cleanup, Pool, PreparedCopy};
pub use users::{ensure_users, SandboxUser};

/// The environment variables a sandboxed program keeps from the
/// orchestrator: the run mark (by which every process of a run is found)
/// and unbuffered Python output (so lines are timed when printed).
pub const KEPT_ENV: [&str; 2] = [crate::orchestrator::sys::RUN_ID_VAR, "PYTHONUNBUFFERED"];

/// The `PATH` a sandboxed program gets: system directories only (root's
/// own may point into `/root`, which it cannot read).
pub const SANDBOX_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The working directory of a program under [`Isolation::MountNamespace`]:
/// inside its private `/tmp`.
pub const NAMESPACE_WORKDIR: &str = "/tmp/submission";

/// The world-writable places covered by the private `/tmp` under
/// [`Isolation::MountNamespace`] (those that exist are bound to it).
pub const SHARED_WRITABLE: [&str; 4] = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"];

/// The exit status with which the sandbox's own setup reports that it
/// could not start the program (its stderr says why).
pub const SETUP_FAILED: i32 = 125;

/// The exit status of a program stopped at the wall-clock limit (the one
/// `timeout` uses).
pub const WALL_EXCEEDED: i32 = 124;

/// What one sandboxed program may use. Each bound is per process except
/// `processes`, which is per slot user (all the programs of one job), and
/// `disk`, which is per program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds (`RLIMIT_CPU`): SIGXCPU at this, SIGKILL one second later.
    pub cpu_s: u64,
    /// Address space in bytes (`RLIMIT_AS`).
    pub address_space: u64,
    /// Processes and threads of the slot user (`RLIMIT_NPROC`).
    pub processes: u64,
    /// Largest file in bytes (`RLIMIT_FSIZE`).
    pub file_size: u64,
    /// Open file descriptors (`RLIMIT_NOFILE`).
    pub open_files: u64,
    /// Bytes of the private `/tmp` holding the working copy
    /// ([`Isolation::MountNamespace`] only).
    pub disk: u64,
    /// Wall-clock seconds before the program is stopped (SIGTERM, then
    /// SIGKILL a second later).
    pub wall_s: u64,
    /// What all the programs of one run may use together, where the
    /// machine has control groups ([`cgroup`]): thousandths of a CPU
    /// (500: half of one), bytes of memory.
    pub run_cpu_millis: u64,
    pub run_memory: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    /// Generous for a PA3 program, tight for anything else. A threaded
    /// Python server reserves ~70 MiB of address space per thread (an
    /// 8 MiB stack and a 64 MiB malloc arena), so 1 GiB lets it run a
    /// dozen threads. A PA3 job (a server with a thread per client, two
    /// clients) needs 6 to 8 processes and threads: 32 leaves room, and
    /// keeps a fork bomb's CPU share (every process of it spinning
    /// competes with the other jobs) and its total memory (processes ×
    /// address space) as small as that allows. A PA3 exchange uses a few
    /// hundredths of a CPU second. Where there are control groups, a run's
    /// programs together get half a CPU and 1 GiB ([`cgroup`]).
    fn default() -> Limits {
        Limits {
            cpu_s: 10,
            address_space: 1024 * MIB,
            processes: 32,
            file_size: 16 * MIB,
            open_files: 256,
            disk: 64 * MIB,
            wall_s: 120,
            // Half a CPU: a PA3 exchange needs a few hundredths of a
            // second, and two jobs of busy-waiting programs then leave a
            // whole CPU to the orchestrator and our own programs.
            run_cpu_millis: 500,
            run_memory: 1024 * MIB,
        }
    }
}

impl Limits {
    /// The `prlimit` options that apply these limits (soft = hard, except
    /// CPU, whose hard limit is a second later so SIGXCPU comes first).
    pub fn prlimit_args(&self) -> Vec<String> {
        vec![
            format!("--cpu={}:{}", self.cpu_s, self.cpu_s + 1),
            format!("--as={}", self.address_space),
            format!("--nproc={}", self.processes),
            format!("--fsize={}", self.file_size),
            format!("--nofile={}", self.open_files),
            "--core=0".to_string(),
        ]
    }

    /// What a sandboxed program's exit means, when it is one of the
    /// sandbox's limits: the line a grade report shows for it.
    pub fn explain_exit(&self, code: Option<i32>, signal: Option<i32>) -> Option<String> {
        use nix::sys::signal::Signal;
        match (code, signal.and_then(|s| Signal::try_from(s).ok())) {
            (Some(WALL_EXCEEDED), _) => Some(format!(
                "stopped at the sandbox's wall-clock limit ({} s)",
                self.wall_s
            )),
            (Some(SETUP_FAILED), _) => {
                Some("the sandbox could not start the program (its stderr says why)".into())
            }
            (_, Some(Signal::SIGXCPU)) => Some(format!(
                "killed at the sandbox's CPU-time limit ({} s)",
                self.cpu_s
            )),
            (_, Some(Signal::SIGXFSZ)) => Some(format!(
                "killed writing past the sandbox's file-size limit ({})",
                bytes(self.file_size)
            )),
            (_, Some(Signal::SIGKILL)) => Some(format!(
                "killed with SIGKILL (the sandbox's hard CPU-time limit of {} s, its wall-clock \
                 limit of {} s, the machine running out of memory, or the orchestrator stopping it)",
                self.cpu_s + 1,
                self.wall_s
            )),
            _ => None,
        }
    }
}

/// `16 MiB`, `512 KiB`, `100 bytes`.
fn bytes(n: u64) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// How a program is kept apart from the rest of the machine (see the
/// module's doc): chosen by [`Isolation::detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// A mount and IPC namespace per program: private `/tmp` holding its
    /// copy, bounded in total size; hidden paths covered.
    MountNamespace,
    /// File permissions only: a copy owned by the slot user, shared `/tmp`.
    Permissions,
}

impl Isolation {
    /// Whether this machine lets root build a mount namespace with a
    /// `tmpfs` in it (tried in a namespace of its own, which vanishes).
    pub fn detect() -> Isolation {
        let probe = std::process::Command::new("unshare")
            .args(["--mount", "--ipc", "--propagation", "private", "--"])
            .args([
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=4k",
                "pa3-sandbox-probe",
                "/tmp",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        if probe.is_ok_and(|s| s.success()) {
            Isolation::MountNamespace
        } else {
            Isolation::Permissions
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Isolation::MountNamespace => "mount-namespace",
            Isolation::Permissions => "permissions",
        }
    }
}

/// Everything needed to run one program sandboxed: what [`Sandbox::wrap`]
/// turns into an argv. Made by [`Pool::prepare`]; its fields are public so
/// that a caller (or a test) can adjust the limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    pub limits: Limits,
    pub user: SandboxUser,
    pub isolation: Isolation,
    /// The program's working directory (and `HOME`).
    pub workdir: PathBuf,
    /// Copied into `workdir` when the program starts
    /// ([`Isolation::MountNamespace`]); `None` when `workdir` is the copy.
    pub source: Option<PathBuf>,
    /// Paths covered by an empty, unreadable `tmpfs`
    /// ([`Isolation::MountNamespace`]; those already covered by the
    /// private `/tmp` are left out, see [`paths_to_cover`]).
    pub hidden: Vec<PathBuf>,
}

/// The shell program that `wrap` runs as root (after `unshare`, when
/// there is one): private `/tmp`, the copy, the hidden paths, the working
/// directory, the environment, then `exec` of the rest of its arguments.
/// Its data come as arguments: `WORK SRC UID:GID DISK CGROUPS [HIDDEN…] --
/// REST…` (`SRC`, `DISK` and `CGROUPS` empty for none; `CGROUPS` the
/// `cgroup.procs` files to join, `:` between them).
fn setup_script() -> String {
    let mut s = String::from(
        r#"set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "pa3-sandbox: $*" >&2; exit 125; }
work=$1 src=$2 owner=$3 disk=$4 cgroups=$5
shift 5
if [ -n "$cgroups" ]; then
  # Join the run's control groups (a `cgroup.procs` file each, `:` between
  # them) before anything of the program runs; `exec` keeps the pid.
  old_ifs=$IFS IFS=:
  for procs in $cgroups; do echo $$ > "$procs" || fail "cannot join the control group $procs"; done
  IFS=$old_ifs
fi
if [ -n "$disk" ]; then
  mount -t tmpfs -o "size=$disk,mode=1777,nodev,nosuid" pa3-sandbox /tmp || fail "cannot mount a private /tmp"
  for d in /var/tmp /dev/shm /run/lock; do
    if [ -d "$d" ]; then mount --bind /tmp "$d" || fail "cannot cover $d"; fi
  done
fi
if [ -n "$src" ]; then
  mkdir -m 0700 -- "$work" || fail "cannot create $work"
  cp -R -- "$src/." "$work/" || fail "the submission does not fit in the sandbox's $disk bytes of disk"
  chown -R -- "$owner" "$work" || fail "cannot give $work to $owner"
fi
while [ "$1" != -- ]; do
  mount -t tmpfs -o ro,mode=000,size=4k,nodev,nosuid,noexec pa3-hidden "$1" || fail "cannot hide $1"
  shift
done
shift
cd -- "$work" || fail "cannot enter $work"
"#,
    );
    // Kept only when set, under the same name; the names are constants.
    for var in KEPT_ENV {
        s.push_str(&format!(
            "if [ -n \"${{{var}+x}}\" ]; then set -- \"{var}=${var}\" \"$@\"; fi\n"
        ));
    }
    s.push_str("exec env -i \"$@\"\n");
    s
}

/// The name `sh` shows as `$0` (in `ps` and in its own error messages).
const SCRIPT_NAME: &str = "pa3-sandbox";

impl Sandbox {
    /// The argv that runs `argv` in this sandbox (see the module's doc for
    /// the chain). Pure: nothing is checked or created here.
    pub fn wrap(&self, argv: Vec<String>) -> Vec<String> {
        self.wrap_joining(argv, &[])
    }

    /// [`Sandbox::wrap`], the program joining the control groups whose
    /// `cgroup.procs` files are `cgroups` before it starts.
    pub fn wrap_joining(&self, argv: Vec<String>, cgroups: &[PathBuf]) -> Vec<String> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let mut out: Vec<String> = Vec::new();
        let namespace = self.isolation == Isolation::MountNamespace;
        if namespace {
            out.extend(
                [
                    "unshare",
                    "--mount",
                    "--ipc",
                    "--propagation",
                    "private",
                    "--",
                ]
                .map(String::from),
            );
        }
        out.extend(["sh".to_string(), "-c".to_string(), setup_script()]);
        out.push(SCRIPT_NAME.to_string());
        out.push(path(&self.workdir));
        out.push(self.source.as_deref().map(path).unwrap_or_default());
        out.push(format!("{}:{}", self.user.uid, self.user.gid));
        out.push(if namespace {
            self.limits.disk.to_string()
        } else {
            String::new()
        });
        let joined: Vec<String> = cgroups.iter().map(|p| path(p)).collect();
        out.push(joined.join(":"));
        if namespace {
            out.extend(paths_to_cover(&self.hidden).iter().map(|p| path(p)));
        }
        out.push("--".to_string());
        // What `env -i` sets, after the kept variables.
        out.push(format!("PATH={SANDBOX_PATH}"));
        out.push(format!("HOME={}", path(&self.workdir)));
        out.push("LANG=C.UTF-8".to_string());
        out.extend([
            "timeout".to_string(),
            "--kill-after=1".to_string(),
            self.limits.wall_s.to_string(),
        ]);
        out.push("prlimit".to_string());
        out.extend(self.limits.prlimit_args());
        out.push("--".to_string());
        out.extend([
            "setpriv".to_string(),
            format!("--reuid={}", self.user.uid),
            format!("--regid={}", self.user.gid),
            "--clear-groups".to_string(),
            "--no-new-privs".to_string(),
            "--inh-caps=-all".to_string(),
            "--bounding-set=-all".to_string(),
            "--".to_string(),
        ]);
        out.extend(argv);
        out
    }
}

/// The paths that need a covering mount of their own: those not already
/// under one of [`SHARED_WRITABLE`] (covered by the private `/tmp`), and
/// none twice.
pub fn paths_to_cover(hidden: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in hidden {
        let covered = SHARED_WRITABLE.iter().any(|w| p.starts_with(w));
        if !covered && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(isolation: Isolation) -> Sandbox {
        Sandbox {
            limits: Limits::default(),
            user: SandboxUser {
                name: "pa3-sandbox-3".into(),
                uid: 990,
                gid: 985,
            },
            isolation,
            workdir: PathBuf::from(NAMESPACE_WORKDIR),
            source: Some(PathBuf::from("/var/lib/pa3-sandbox/pool-1-2/copy-3 it's")),
            hidden: vec![
                PathBuf::from("/srv/submissions"),
                PathBuf::from("/tmp/results"),
                PathBuf::from("/srv/submissions"),
            ],
        }
    }

    fn argv() -> Vec<String> {
        vec!["python3".into(), "server.py".into(), "$(reboot)".into()]
    }

    /// The argument after `flag` in `v`.
    fn after<'a>(v: &'a [String], flag: &str) -> &'a str {
        let i = v.iter().position(|a| a == flag).unwrap();
        &v[i + 1]
    }

    #[test]
    fn the_program_comes_last_and_untouched_after_setpriv() {
        let w = sandbox(Isolation::MountNamespace).wrap(argv());
        assert_eq!(&w[w.len() - 3..], argv().as_slice());
        let setpriv = w.iter().position(|a| a == "setpriv").unwrap();
        assert_eq!(
            &w[setpriv..w.len() - 3],
            [
                "setpriv",
                "--reuid=990",
                "--regid=985",
                "--clear-groups",
                "--no-new-privs",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--"
            ]
        );
    }

    #[test]
    fn the_chain_is_unshare_sh_env_timeout_prlimit_setpriv_in_that_order() {
        let w = sandbox(Isolation::MountNamespace).wrap(argv());
        let at = |x: &str| w.iter().position(|a| a == x).unwrap();
        assert_eq!(w[0], "unshare");
        assert!(at("sh") < at("timeout"));
        assert!(at("timeout") < at("prlimit"));
        assert!(at("prlimit") < at("setpriv"));
        assert!(at("setpriv") < at("python3"));
        // Without a mount namespace there is no unshare, and sh comes first.
        let w = sandbox(Isolation::Permissions).wrap(argv());
        assert_eq!(w[0], "sh");
        assert!(!w.contains(&"unshare".to_string()));
    }

    #[test]
    fn data_reach_the_script_as_arguments_never_as_its_text() {
        let s = sandbox(Isolation::MountNamespace);
        let w = s.wrap(argv());
        let script = after(&w, "-c");
        assert_eq!(script, setup_script());
        assert!(!script.contains("copy-3"));
        assert!(!script.contains("990"));
        // $0, then WORK SRC OWNER DISK CGROUPS, each one argument however
        // it is spelt.
        let i = w.iter().position(|a| a == SCRIPT_NAME).unwrap();
        assert_eq!(
            &w[i + 1..i + 6],
            [
                NAMESPACE_WORKDIR,
                "/var/lib/pa3-sandbox/pool-1-2/copy-3 it's",
                "990:985",
                &(64 * MIB).to_string(),
                ""
            ]
        );
        // The hidden paths follow (the one under /tmp and the repeat left
        // out), then `--`.
        assert_eq!(&w[i + 6..i + 8], ["/srv/submissions", "--"]);
        // The control groups to join, `:` between them.
        let groups = [
            PathBuf::from("/sys/fs/cgroup/pa3-mininet/p.0.1/prog-server/cgroup.procs"),
            PathBuf::from("/sys/fs/cgroup/unified/pa3-mininet/p.0.1/prog-server/cgroup.procs"),
        ];
        let w = s.wrap_joining(argv(), &groups);
        assert_eq!(
            w[i + 5],
            "/sys/fs/cgroup/pa3-mininet/p.0.1/prog-server/cgroup.procs:\
             /sys/fs/cgroup/unified/pa3-mininet/p.0.1/prog-server/cgroup.procs"
        );
    }

    #[test]
    fn without_a_namespace_there_is_no_disk_and_nothing_to_hide() {
        let mut s = sandbox(Isolation::Permissions);
        s.workdir = PathBuf::from("/var/lib/pa3-sandbox/pool-1-2/copy-3");
        s.source = None;
        let w = s.wrap(argv());
        let i = w.iter().position(|a| a == SCRIPT_NAME).unwrap();
        assert_eq!(
            &w[i + 1..i + 7],
            [
                "/var/lib/pa3-sandbox/pool-1-2/copy-3",
                "",
                "990:985",
                "",
                "",
                "--"
            ]
        );
    }

    #[test]
    fn the_environment_is_the_kept_variables_and_a_system_path() {
        let w = sandbox(Isolation::MountNamespace).wrap(argv());
        let script = setup_script();
        assert!(script.contains(r#"set -- "PA3_RUN_ID=$PA3_RUN_ID" "$@""#));
        assert!(script.contains(r#"set -- "PYTHONUNBUFFERED=$PYTHONUNBUFFERED" "$@""#));
        assert!(script.ends_with("exec env -i \"$@\"\n"));
        let name = w.iter().position(|a| a == SCRIPT_NAME).unwrap();
        let script_end = name + w[name..].iter().position(|a| a == "--").unwrap();
        assert_eq!(
            &w[script_end + 1..script_end + 4],
            [
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "HOME=/tmp/submission",
                "LANG=C.UTF-8"
            ]
        );
    }

    #[test]
    fn limits_become_prlimit_options_with_the_cpu_hard_limit_a_second_later() {
        let w = sandbox(Isolation::MountNamespace).wrap(argv());
        let i = w.iter().position(|a| a == "prlimit").unwrap();
        assert_eq!(
            &w[i + 1..i + 8],
            [
                "--cpu=10:11",
                "--as=1073741824",
                "--nproc=32",
                "--fsize=16777216",
                "--nofile=256",
                "--core=0",
                "--"
            ]
        );
        assert_eq!(after(&w, "--kill-after=1"), "120");
    }

    #[test]
    fn exits_at_a_limit_are_explained() {
        let l = Limits::default();
        let says = |code, signal| l.explain_exit(code, signal).unwrap_or_default();
        assert!(says(Some(124), None).contains("wall-clock limit (120 s)"));
        assert!(says(None, Some(24)).contains("CPU-time limit (10 s)"));
        // `timeout` raises the program's signal itself: an exit code past
        // 128 is the program's own.
        assert_eq!(l.explain_exit(Some(128 + 24), None), None);
        assert!(says(None, Some(25)).contains("file-size limit (16 MiB)"));
        assert!(says(None, Some(9)).contains("SIGKILL"));
        assert!(says(Some(125), None).contains("could not start"));
        assert_eq!(l.explain_exit(Some(0), None), None);
        assert_eq!(l.explain_exit(Some(1), None), None);
        assert_eq!(l.explain_exit(None, Some(15)), None);
    }

    #[test]
    fn paths_under_the_private_tmp_need_no_cover_of_their_own() {
        let got = paths_to_cover(&[
            PathBuf::from("/tmp/x"),
            PathBuf::from("/dev/shm"),
            PathBuf::from("/tmpfoo"),
            PathBuf::from("/home/t/subs"),
        ]);
        assert_eq!(
            got,
            [PathBuf::from("/tmpfoo"), PathBuf::from("/home/t/subs")]
        );
    }

    #[test]
    fn sizes_read_as_a_person_writes_them() {
        assert_eq!(bytes(16 * MIB), "16 MiB");
        assert_eq!(bytes(512 * 1024), "512 KiB");
        assert_eq!(bytes(100), "100 bytes");
    }
}
