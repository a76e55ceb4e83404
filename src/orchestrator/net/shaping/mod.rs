//! Link shaping: the engines that make a link's conditions
//! ([`crate::orchestrator::link`], the data) so on a network that is up.
//! Under the nfqueue engine, a delayer per impaired host ([`delayer`]: the
//! xtables `NFQUEUE` target ([`rules`]) hands the host's packets to a
//! thread of ours ([`nfqueue`]) that releases them from a queue ordered by
//! release time ([`schedule`])); under netem, what Mininet set up and what
//! the steps changed since (a `link:` step under netem is carried out by
//! the driver, see [`super::mininet`]). A run begins by setting every
//! impaired link back to its scenario's start (a reused network may have
//! been changed by the previous run's steps) and ends by reading what was
//! measured.

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use anyhow::{bail, Result};

use crate::orchestrator::link::measure::Measured;
use crate::orchestrator::link::{Conditions, LinkEngine, LinkRecord, LinksRecord};
use crate::orchestrator::scenario::{Capabilities, Links};
use crate::orchestrator::sys::{self, Netns};
use delayer::{Delayer, LinkFailure};

pub mod delayer;
pub mod nfqueue;
pub mod rules;
pub mod schedule;

/// What the running kernel offers for link conditions: netem is there when its module is
/// loaded or can be; NFQUEUE when the target is registered (or its
/// module can be loaded) and `iptables-restore` is installed. Looked at
/// once per process (grading parses many scenarios; the machine does not
/// change meanwhile).
pub fn capabilities() -> Capabilities {
    static CAPS: OnceLock<Capabilities> = OnceLock::new();
    *CAPS.get_or_init(|| {
        let netem = Path::new("/sys/module/sch_netem").exists() || loadable("sch_netem");
        let target = nfqueue_target(
            std::fs::read_to_string("/proc/net/ip_tables_targets"),
            Path::new("/proc/net/netfilter/nfnetlink_queue").exists(),
            || loadable("xt_NFQUEUE"),
        );
        let nfqueue = target && sys::on_path("iptables-restore");
        Capabilities::assume(netem, nfqueue)
    })
}

/// Whether the xtables `NFQUEUE` target is here, from the list of targets
/// the kernel has registered (`/proc/net/ip_tables_targets`), or else
/// whether its module could be loaded. The list is readable by root only:
/// without root (which builds no network, but validates scenarios and
/// plans grading all the same) the queue subsystem's presence
/// (`/proc/net/netfilter/nfnetlink_queue`, which any user sees) stands for
/// its target, so that a scenario is judged alike by root and by a user.
fn nfqueue_target(
    targets: std::io::Result<String>,
    queue_subsystem: bool,
    loadable: impl Fn() -> bool,
) -> bool {
    match targets {
        Ok(t) => t.lines().any(|l| l == "NFQUEUE") || loadable(),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => queue_subsystem || loadable(),
        Err(_) => loadable(),
    }
}

/// Whether `modprobe` could load `module`: from the running kernel's
/// module lists (`/lib/modules/RELEASE/modules.dep` and
/// `modules.builtin`, which modprobe itself reads), else by asking
/// `modprobe -n` (found where sudo's PATH would find it: a user's PATH may
/// lack /usr/sbin). Reading the lists takes well under a millisecond;
/// starting modprobe took 8 ms of every command here.
fn loadable(module: &str) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    match release.trim() {
        "" => modprobe_can_load(module),
        release => loadable_in(&Path::new("/lib/modules").join(release), module),
    }
}

/// [`loadable`], with the running kernel's modules in `dir`.
fn loadable_in(dir: &Path, module: &str) -> bool {
    if !dir.exists() {
        // No modules for this kernel (a container's, say): nothing loads.
        return false;
    }
    let listed = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .map(|text| in_module_list(&text, module))
            .ok()
    };
    match (listed("modules.dep"), listed("modules.builtin")) {
        (Some(dep), Some(builtin)) => dep || builtin,
        _ => modprobe_can_load(module),
    }
}

/// Whether a module list (`modules.dep`: `kernel/…/sch_netem.ko.xz: deps`;
/// `modules.builtin`: `kernel/…/sch_netem.ko`) names `module`.
fn in_module_list(text: &str, module: &str) -> bool {
    text.lines().any(|line| {
        let path = line.split(':').next().unwrap_or_default();
        let file = path.rsplit('/').next().unwrap_or_default();
        file.strip_prefix(module)
            .and_then(|rest| rest.strip_prefix(".ko"))
            .is_some_and(|ext| ["", ".xz", ".zst", ".gz"].contains(&ext))
    })
}

fn modprobe_can_load(module: &str) -> bool {
    let Some(modprobe) = sys::find_program("modprobe") else {
        return false;
    };
    std::process::Command::new(modprobe)
        .args(["-n", "-q", module])
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A host a delayer can be started for: its name, namespace and link.
pub struct HostPort<'a> {
    pub name: &'a str,
    pub netns: &'a Netns,
    pub intf: &'a str,
}

/// The impaired links of a network up.
pub struct Applied {
    pub engine: LinkEngine,
    /// Under nfqueue: one delayer per impaired host, with its seed.
    delayers: Vec<(Delayer, u64)>,
    /// Every impaired host's start, and (netem) the stretches of this run.
    start: Vec<(String, Option<f64>, Conditions)>,
    netem_stretches: Mutex<Vec<(String, Measured)>>,
}

impl Applied {
    /// Applies `links` to the hosts: under nfqueue starts a delayer for
    /// each impaired link (netem's were set up by Mininet as it built the
    /// network). `None` when no link is impaired.
    pub fn start(links: &Links, hosts: &[HostPort]) -> Result<Option<Applied>> {
        let Some(engine) = links.engine else {
            return Ok(None);
        };
        let mut delayers = Vec::new();
        let mut start = Vec::new();
        for link in links.impaired() {
            start.push((link.host.clone(), link.bw_mbit, link.conditions));
            if engine != LinkEngine::Nfqueue {
                continue;
            }
            let Some(host) = hosts.iter().find(|h| h.name == link.host) else {
                bail!("the network has no host {} for its link", link.host);
            };
            // Below 2^53: exact as a JSON number anywhere.
            let seed = fastrand::u64(..1 << 53);
            let delayer = Delayer::start(host.name, host.netns, host.intf, link.conditions, seed)?;
            delayers.push((delayer, seed));
        }
        Ok(Some(Applied {
            engine,
            delayers,
            start,
            netem_stretches: Mutex::new(Vec::new()),
        }))
    }

    /// A run starts at `t0`: every impaired link as its scenario starts.
    /// Under netem the caller resets the kernel's qdiscs (see
    /// [`Applied::changed_hosts`]).
    pub fn begin_run(&self, t0: Instant) {
        for (d, _) in &self.delayers {
            if let Some((_, _, c)) = self.start.iter().find(|(h, ..)| *h == d.host) {
                d.begin_run(*c, t0);
            }
        }
        let mut stretches = self.netem_stretches.lock().expect("stretches");
        stretches.clear();
        for (host, _, c) in &self.start {
            stretches.push((host.clone(), unmeasured(0.0, *c)));
        }
    }

    /// The hosts whose conditions a run's steps changed under netem, with
    /// their start (to set back before the next run).
    pub fn changed_hosts(&self) -> Vec<(String, Conditions)> {
        let stretches = self.netem_stretches.lock().expect("stretches");
        self.start
            .iter()
            .filter(|(h, ..)| stretches.iter().filter(|(s, _)| s == h).count() > 1)
            .map(|(h, _, c)| (h.clone(), *c))
            .collect()
    }

    /// A `link:` step at `since_ms`: under nfqueue the delayer takes the
    /// new conditions now; under netem the caller has changed the qdiscs.
    pub fn set(&self, host: &str, c: Conditions, since_ms: f64) -> Result<()> {
        if self.engine == LinkEngine::Nfqueue {
            match self.delayers.iter().find(|(d, _)| d.host == host) {
                Some((d, _)) => d.set(c),
                None => bail!("{host}'s link has no delayer"),
            }
        }
        let mut stretches = self.netem_stretches.lock().expect("stretches");
        stretches.push((host.to_string(), unmeasured(since_ms, c)));
        Ok(())
    }

    /// The CPU time `host`'s delayer thread has used, in ns (nfqueue).
    pub fn cpu_ns(&self, host: &str) -> Option<u64> {
        self.delayers
            .iter()
            .find(|(d, _)| d.host == host)?
            .0
            .cpu_ns()
    }

    /// Why a delayer stopped, if one did.
    pub fn failure(&self) -> Option<LinkFailure> {
        self.delayers.iter().find_map(|(d, _)| d.failure())
    }

    /// What the run's links were and did.
    pub fn record(&self) -> LinksRecord {
        let stretches = self.netem_stretches.lock().expect("stretches");
        let links = self
            .start
            .iter()
            .map(|(host, bw_mbit, _)| {
                let delayer = self.delayers.iter().find(|(d, _)| d.host == *host);
                LinkRecord {
                    host: host.clone(),
                    bw_mbit: *bw_mbit,
                    seed: delayer.map(|(_, seed)| *seed),
                    realtime: delayer.map(|(d, _)| d.realtime),
                    stretches: match delayer {
                        Some((d, _)) => d.measured(),
                        None => stretches
                            .iter()
                            .filter(|(h, _)| h == host)
                            .map(|(_, m)| m.clone())
                            .collect(),
                    },
                }
            })
            .collect();
        LinksRecord {
            engine: self.engine,
            links,
        }
    }

    /// Stops every delayer (each lets what it holds go).
    pub fn stop(&mut self) {
        for (d, _) in &mut self.delayers {
            d.stop();
        }
    }
}

/// A stretch whose packets no one timed (netem's).
fn unmeasured(since_ms: f64, conditions: Conditions) -> Measured {
    Measured {
        since_ms,
        conditions,
        packets: 0,
        dropped: 0,
        hold_ms: None,
        late_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_is_found_in_the_kernels_lists_by_its_file_name() {
        let dep = "kernel/net/sched/sch_netem.ko.zst:\n\
                   kernel/net/netfilter/xt_NFQUEUE.ko: kernel/net/netfilter/nfnetlink_queue.ko\n\
                   kernel/net/sched/sch_netem_extra.ko:\n";
        assert!(in_module_list(dep, "sch_netem"));
        assert!(in_module_list(dep, "xt_NFQUEUE"));
        // A dependency named after the colon is not a module of the list.
        assert!(!in_module_list(dep, "nfnetlink_queue"));
        assert!(!in_module_list(dep, "sch_tbf"));
        let builtin = "kernel/net/sched/sch_tbf.ko\nkernel/net/sched/sch_netem_x.ko\n";
        assert!(in_module_list(builtin, "sch_tbf"));
        assert!(!in_module_list(builtin, "sch_netem"));
        assert!(!in_module_list("", "sch_netem"));
    }

    #[test]
    fn a_kernel_without_modules_loads_none_and_one_without_lists_asks_modprobe() {
        let root = tempfile::tempdir().unwrap();
        assert!(!loadable_in(&root.path().join("6.0.0-none"), "sch_netem"));
        let dir = root.path().join("6.0.0-lists");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("modules.dep"),
            "kernel/net/sched/sch_netem.ko.xz:\n",
        )
        .unwrap();
        std::fs::write(dir.join("modules.builtin"), "kernel/net/sched/sch_tbf.ko\n").unwrap();
        assert!(loadable_in(&dir, "sch_netem"));
        assert!(loadable_in(&dir, "sch_tbf"));
        assert!(!loadable_in(&dir, "xt_NFQUEUE"));
        // Without its lists, modprobe is asked (and knows no such module).
        std::fs::remove_file(dir.join("modules.builtin")).unwrap();
        assert!(!loadable_in(&dir, "no_such_module_pa3"));
    }

    #[test]
    fn the_lists_say_what_modprobe_says() {
        for module in ["sch_netem", "xt_NFQUEUE", "sch_tbf", "no_such_module_pa3"] {
            let asked = sys::find_program("modprobe").is_some_and(|_| modprobe_can_load(module));
            assert_eq!(loadable(module), asked, "{module}");
        }
    }

    #[test]
    fn the_nfqueue_target_is_read_from_the_list_and_guessed_only_without_root() {
        use std::io::{Error, ErrorKind};
        let listed = || Ok("TCPMSS\nNFQUEUE\nMARK\n".to_string());
        let unlisted = || Ok("TCPMSS\nMARK\n".to_string());
        let denied = || Err(Error::from(ErrorKind::PermissionDenied));
        let absent = || Err(Error::from(ErrorKind::NotFound));
        assert!(nfqueue_target(listed(), false, || false));
        // Not registered yet: its module decides, not the subsystem.
        assert!(!nfqueue_target(unlisted(), true, || false));
        assert!(nfqueue_target(unlisted(), false, || true));
        // Unreadable without root: the queue subsystem stands for it.
        assert!(nfqueue_target(denied(), true, || false));
        assert!(!nfqueue_target(denied(), false, || false));
        assert!(nfqueue_target(denied(), false, || true));
        // No xtables at all: only a module could bring it.
        assert!(!nfqueue_target(absent(), true, || false));
        assert!(nfqueue_target(absent(), false, || true));
    }
}
