//! The iptables rules that send a host's packets to its delayer: every
//! packet leaving by the host's link (`OUTPUT -o hN-eth0`) and every
//! packet coming in by it (`PREROUTING -i hN-eth0`) goes to the
//! namespace's NFQUEUE, in the `mangle` table, where nothing else of ours
//! stands (the grader's address rewriting is nftables' `nat`).
//!
//! The rules have no `--queue-bypass`: with no delayer bound to the queue
//! the kernel drops the packets (fail-closed), so a link whose delayer died
//! can never carry a packet undelayed and let a run pass as if it had been
//! delayed; the run is failed loudly besides (see
//! [`super::delayer::Delayer::failure`]).
//!
//! The rules live in the host's network namespace and go with it: when the
//! network is torn down (or its driver ends because `orchestrate` was
//! killed), the kernel removes them with the namespace.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::orchestrator::sys::find_program;
use crate::orchestrator::sys::Netns;

/// The comment every rule carries, to tell ours in `iptables -t mangle -S`.
pub const COMMENT: &str = "pa3-link";

/// The rules for a host whose link is interface `intf`, as
/// `iptables-restore` reads them.
pub fn rules(intf: &str, queue: u16) -> String {
    format!(
        "*mangle\n\
         -A PREROUTING -i {intf} -m comment --comment {COMMENT} -j NFQUEUE --queue-num {queue}\n\
         -A OUTPUT -o {intf} -m comment --comment {COMMENT} -j NFQUEUE --queue-num {queue}\n\
         COMMIT\n"
    )
}

/// Installs the rules in the namespace `netns` (one `iptables-restore`).
pub fn install(netns: &Netns, intf: &str, queue: u16) -> Result<()> {
    let program = find_program("iptables-restore")
        .context("iptables-restore not found: install iptables (`apt-get install -y iptables`)")?;
    let mut cmd = Command::new(program);
    cmd.args(["--noflush", "-w"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = netns
        .enter(|| cmd.spawn())
        .context("cannot enter the host's network namespace")?
        .context("cannot start iptables-restore")?;
    let text = rules(intf, queue);
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "iptables-restore refused the rules for {intf} ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// How many of our rules the namespace of process `pid` holds (for tests
/// and `orchestrate up`'s listing).
pub fn count(netns: &Netns) -> Result<usize> {
    let program = find_program("iptables").context("iptables not found")?;
    let mut cmd = Command::new(program);
    cmd.args(["-w", "-t", "mangle", "-S"]);
    let out = netns.enter(|| cmd.output())??;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(COMMENT))
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_of_the_link_go_to_the_queue_without_bypass() {
        let r = rules("h2-eth0", 0);
        assert!(r.contains(
            "-A PREROUTING -i h2-eth0 -m comment --comment pa3-link -j NFQUEUE --queue-num 0\n"
        ));
        assert!(r.contains(
            "-A OUTPUT -o h2-eth0 -m comment --comment pa3-link -j NFQUEUE --queue-num 0\n"
        ));
        assert!(!r.contains("bypass"));
        assert!(r.starts_with("*mangle\n") && r.ends_with("COMMIT\n"));
    }
}
