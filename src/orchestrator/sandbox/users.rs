//! The sandbox's users: one per job slot (`pa3-sandbox-0`, `-1`, …),
//! created on demand as system users without a home or a login shell, and
//! recognised as ours by a marker in their GECOS comment. A user with one
//! of our names but without the marker was not made by this tool: it is
//! never used (nor removed, nor signalled).
//!
//! Also here: finding a slot user's processes, and killing all of them at
//! once ([`sweep`]) with a `kill(-1, SIGKILL)` made *as that user*, so
//! that the kernel itself keeps it to that user's processes.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use nix::unistd::User;

use crate::orchestrator::sys::find_program;

/// The names of the slot users: this, then the slot number.
pub const USER_PREFIX: &str = "pa3-sandbox-";

/// The GECOS comment of every user this tool creates.
pub const MARKER: &str = "pa3-mininet sandbox (created by orchestrate; safe to delete)";

/// The most slots (and so users) there can be.
pub const MAX_SLOTS: usize = 64;

/// A slot's user, as the system knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The user name of slot `slot`.
pub fn user_name(slot: usize) -> String {
    format!("{USER_PREFIX}{slot}")
}

/// Whether a user with this GECOS comment is one this tool created.
pub fn is_ours(gecos: &str) -> bool {
    gecos == MARKER
}

/// Slot `slot`'s user, if it exists and is ours; an error if a user of
/// that name exists but is not ours, or is root.
fn lookup(slot: usize) -> Result<Option<SandboxUser>> {
    let name = user_name(slot);
    let Some(user) =
        User::from_name(&name).with_context(|| format!("cannot look up the user {name}"))?
    else {
        return Ok(None);
    };
    let gecos = user.gecos.to_string_lossy();
    if !is_ours(&gecos) {
        bail!(
            "the user {name} exists but was not created by this tool (its comment is {gecos:?}, \
             not {MARKER:?}); the sandbox will not run programs as it: remove it or rename it"
        );
    }
    if user.uid.is_root() || user.gid.as_raw() == 0 {
        bail!("the user {name} has uid or gid 0: refusing to use it as a sandbox");
    }
    Ok(Some(SandboxUser {
        name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    }))
}

/// Slot `slot`'s user, created if it does not exist yet. Idempotent, and
/// safe when two orchestrators create the same user at once.
pub fn ensure_user(slot: usize) -> Result<SandboxUser> {
    if slot >= MAX_SLOTS {
        bail!("there are at most {MAX_SLOTS} sandbox slots (asked for slot {slot})");
    }
    if let Some(user) = lookup(slot)? {
        return Ok(user);
    }
    let name = user_name(slot);
    let useradd = find_program("useradd").context(
        "useradd is not installed (package passwd): the sandbox needs it to create its users",
    )?;
    let out = Command::new(useradd)
        .args(["--system", "--no-create-home", "--home-dir", "/nonexistent"])
        .args([
            "--shell",
            "/usr/sbin/nologin",
            "--user-group",
            "--comment",
            MARKER,
        ])
        .arg(&name)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run useradd to create {name}"))?;
    // Someone else may have created it in the meantime: look again.
    match lookup(slot)? {
        Some(user) => Ok(user),
        None => bail!(
            "useradd could not create the user {name}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

/// The users of slots `0..n`, created where missing.
pub fn ensure_users(n: usize) -> Result<Vec<SandboxUser>> {
    (0..n).map(ensure_user).collect()
}

/// A process of a slot user, as found in `/proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserProcess {
    pub pid: u32,
    pub zombie: bool,
    pub command: String,
}

/// The processes whose real uid is `uid`, zombies included.
pub fn processes_of(uid: u32) -> Vec<UserProcess> {
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    all.filter_map(Result::ok)
        .filter_map(|p| {
            let status = p.status().ok()?;
            if status.ruid != uid {
                return None;
            }
            let zombie = p.stat().map(|s| s.state == 'Z').unwrap_or(false);
            let command = p
                .cmdline()
                .ok()
                .map(|a| a.join(" "))
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| format!("[{}]", status.name));
            Some(UserProcess {
                pid: u32::try_from(p.pid).ok()?,
                zombie,
                command,
            })
        })
        .collect()
}

/// What [`sweep`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// The live processes it killed (each once).
    pub killed: Vec<UserProcess>,
    /// Zombies not yet reaped by their parent when it gave up waiting: they
    /// hold nothing but a pid, yet count against the slot's process limit.
    pub zombies_left: usize,
}

/// Kills every process of `user` and waits (up to `bound`) until none is
/// left, not even a zombie. Each round is one `kill -KILL -1` run as the
/// user: the kernel signals all of that user's processes (and only them)
/// in one pass, which a fork cannot race.
pub fn sweep(user: &SandboxUser, bound: Duration) -> Result<Swept> {
    // `kill -1` as root would signal every process on the machine: only
    // ever as one of our users, checked again here.
    if user.uid == 0 || user.gid == 0 || !user.name.starts_with(USER_PREFIX) {
        bail!("refusing to sweep the processes of {user:?}: not a sandbox user");
    }
    let kill = find_program("kill").context("kill is not installed (package procps)")?;
    let mut swept = Swept::default();
    let deadline = Instant::now() + bound;
    loop {
        let live: Vec<UserProcess> = processes_of(user.uid)
            .into_iter()
            .filter(|p| !p.zombie)
            .collect();
        if live.is_empty() {
            break;
        }
        for p in live {
            if !swept.killed.iter().any(|k| k.pid == p.pid) {
                swept.killed.push(p);
            }
        }
        if Instant::now() >= deadline {
            break;
        }
        // Exit status 1 when it had nothing to kill but itself: not an error.
        Command::new(&kill)
            .args(["-KILL", "-1"])
            .uid(user.uid)
            .gid(user.gid)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("cannot run kill as {}", user.name))?;
        std::thread::sleep(Duration::from_millis(5));
    }
    while !processes_of(user.uid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    swept.zombies_left = processes_of(user.uid).len();
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_marker_makes_a_user_ours() {
        assert!(is_ours(MARKER));
        assert!(!is_ours(""));
        assert!(!is_ours("pa3-mininet sandbox"));
        assert!(!is_ours(&format!("{MARKER},,,")));
    }

    #[test]
    fn slot_users_are_named_by_their_slot() {
        assert_eq!(user_name(0), "pa3-sandbox-0");
        assert_eq!(user_name(17), "pa3-sandbox-17");
    }

    #[test]
    fn no_slot_past_the_last() {
        let e = ensure_user(MAX_SLOTS).unwrap_err().to_string();
        assert!(e.contains("at most 64"), "{e}");
    }

    #[test]
    fn root_and_strangers_are_never_swept() {
        for user in [
            SandboxUser {
                name: "pa3-sandbox-0".into(),
                uid: 0,
                gid: 0,
            },
            SandboxUser {
                name: "nobody".into(),
                uid: 65534,
                gid: 65534,
            },
        ] {
            let e = sweep(&user, Duration::ZERO).unwrap_err().to_string();
            assert!(e.contains("refusing"), "{e}");
        }
    }

    #[test]
    fn our_own_processes_are_found_by_uid() {
        let me = nix::unistd::getuid().as_raw();
        let mine = processes_of(me);
        assert!(mine.iter().any(|p| p.pid == std::process::id()));
    }
}
