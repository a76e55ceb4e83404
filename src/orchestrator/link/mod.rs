//! Link conditions, as data: what a scenario may ask of a host's link
//! (delay, jitter, loss, rate), which engine makes it so, and what packets
//! actually experienced (the record's [`LinksRecord`]). The engines
//! themselves run in the network layer, [`crate::orchestrator::net::shaping`].
//!
//! Two engines, one meaning (that of Mininet's `TCLink` on the host's
//! link, documented in `docs/links.md`): every packet that crosses the
//! link, in either direction, is held `delay ± jitter` (uniform) and is
//! dropped with probability `loss`; order is kept unless jitter reorders.
//! - [`LinkEngine::Netem`]: Mininet's `TCLink`, i.e. the kernel's netem
//!   queueing discipline on both ends of the link, where the kernel has
//!   `sch_netem`.
//! - [`LinkEngine::Nfqueue`]: where it has not, the xtables `NFQUEUE`
//!   target sends the host's packets to a delayer of ours (`net::shaping`),
//!   a thread of `orchestrate` per host that releases them from a queue
//!   ordered by release time.
//!
//! Rate (`bw_mbit`) is Mininet's HTB in both: it works on every kernel.
//! [`measure`] turns what a delayer saw into the figures a record keeps.

use serde::{Deserialize, Serialize};

pub mod measure;

use measure::Measured;

/// How a link impairs the packets that cross it (rate aside).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    /// Added to every packet, each way (milliseconds).
    pub delay_ms: f64,
    /// Each packet's delay is `delay_ms` plus a uniform draw in
    /// `[-jitter_ms, +jitter_ms]` (never more than `delay_ms`).
    pub jitter_ms: f64,
    /// The chance (percent) that a packet is dropped, each way.
    pub loss_pct: f64,
}

impl Conditions {
    /// Whether the link impairs nothing.
    pub fn is_clear(&self) -> bool {
        self.delay_ms == 0.0 && self.jitter_ms == 0.0 && self.loss_pct == 0.0
    }

    /// `delay 80 ms ± 5 ms, loss 1 %`: how a person reads them.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("delay {} ms", fmt_num(self.delay_ms))];
        if self.jitter_ms > 0.0 {
            parts[0].push_str(&format!(" ± {} ms", fmt_num(self.jitter_ms)));
        }
        if self.loss_pct > 0.0 {
            parts.push(format!("loss {} %", fmt_num(self.loss_pct)));
        }
        parts.join(", ")
    }
}

/// A number as written in a scenario: `80`, `0.5`, not `80.0`.
pub fn fmt_num(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

/// The engine that applies a link's delay, jitter and loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkEngine {
    /// Mininet's `TCLink`: the kernel's netem on both ends of the link.
    Netem,
    /// Our delayer on the xtables `NFQUEUE` target, in the host's namespace.
    Nfqueue,
}

impl LinkEngine {
    pub fn name(self) -> &'static str {
        match self {
            LinkEngine::Netem => "netem",
            LinkEngine::Nfqueue => "nfqueue",
        }
    }
}

/// `--link-engine`: which engine a user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// netem where the kernel has it, else nfqueue.
    #[default]
    Auto,
    Netem,
    Nfqueue,
}

/// What the kernel offers for link conditions, and what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Engines {
    /// `sch_netem` is loaded or loadable.
    pub netem: bool,
    /// The xtables `NFQUEUE` target is registered or loadable, and
    /// `iptables` is installed.
    pub nfqueue: bool,
    pub choice: EngineChoice,
}

impl Engines {
    /// The engine a scenario with delay, jitter or loss runs on, or why
    /// none can (a sentence naming what is missing).
    pub fn engine(&self) -> Result<LinkEngine, NoEngine> {
        match (self.choice, self.netem, self.nfqueue) {
            (EngineChoice::Netem, true, _) | (EngineChoice::Auto, true, _) => Ok(LinkEngine::Netem),
            (EngineChoice::Netem, false, _) => Err(NoEngine::NoNetem),
            (EngineChoice::Nfqueue, _, true) | (EngineChoice::Auto, false, true) => {
                Ok(LinkEngine::Nfqueue)
            }
            (EngineChoice::Nfqueue, _, false) => Err(NoEngine::NoNfqueue),
            (EngineChoice::Auto, false, false) => Err(NoEngine::Neither),
        }
    }
}

/// What this machine lacks for a link's delay, jitter or loss.
const NO_NETEM: &str =
    "this kernel has no netem queueing discipline (sch_netem; tc says \"Specified qdisc kind is unknown\")";
const NO_NFQUEUE: &str = "no xtables NFQUEUE target (or no iptables) here";

/// Why no engine can make a scenario's link conditions here ([`Engines::engine`]):
/// a sentence naming what is missing and what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoEngine {
    /// `--link-engine netem` on a kernel without netem.
    #[error("--link-engine netem: {NO_NETEM}; use --link-engine nfqueue (or auto), which delays packets with a delayer of our own")]
    NoNetem,
    /// `--link-engine nfqueue` without the NFQUEUE target or iptables.
    #[error("--link-engine nfqueue: {NO_NFQUEUE} (install iptables; the kernel needs CONFIG_NETFILTER_XT_TARGET_NFQUEUE)")]
    NoNfqueue,
    /// `auto`, and neither is here.
    #[error("{NO_NETEM}, and {NO_NFQUEUE}: nothing here can delay or drop packets")]
    Neither,
}

/// What a run's links were and did, for its record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinksRecord {
    /// `netem` or `nfqueue`: the engine that ran.
    pub engine: LinkEngine,
    pub links: Vec<LinkRecord>,
}

/// One impaired link of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bw_mbit: Option<f64>,
    /// The seed of the delayer's draws (loss, jitter), to replay them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Whether the delayer ran at real-time priority (nfqueue; false: at
    /// normal priority, where a loaded machine makes releases later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime: Option<bool>,
    /// Each stretch of the run under one set of conditions: configured
    /// and (under nfqueue) measured. Under netem, the kernel reports no
    /// per-packet holds: the stretches carry the conditions only.
    pub stretches: Vec<Measured>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engines(netem: bool, nfqueue: bool, choice: EngineChoice) -> Engines {
        Engines {
            netem,
            nfqueue,
            choice,
        }
    }

    #[test]
    fn auto_prefers_netem_then_nfqueue() {
        use EngineChoice::*;
        assert_eq!(engines(true, true, Auto).engine(), Ok(LinkEngine::Netem));
        assert_eq!(engines(false, true, Auto).engine(), Ok(LinkEngine::Nfqueue));
        let e = engines(false, false, Auto).engine().unwrap_err();
        assert_eq!(e, NoEngine::Neither);
        assert!(e.to_string().contains("nothing here can delay"), "{e}");
    }

    #[test]
    fn an_engine_asked_for_is_that_engine_or_an_error() {
        use EngineChoice::*;
        assert_eq!(
            engines(true, true, Nfqueue).engine(),
            Ok(LinkEngine::Nfqueue)
        );
        let e = engines(false, true, Netem)
            .engine()
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("--link-engine netem: this kernel has no netem"),
            "{e}"
        );
        assert!(engines(true, false, Nfqueue)
            .engine()
            .unwrap_err()
            .to_string()
            .starts_with("--link-engine nfqueue: no xtables NFQUEUE"));
    }

    #[test]
    fn conditions_read_as_written() {
        let c = Conditions {
            delay_ms: 80.0,
            jitter_ms: 5.0,
            loss_pct: 1.5,
        };
        assert_eq!(c.describe(), "delay 80 ms ± 5 ms, loss 1.5 %");
        assert_eq!(Conditions::default().describe(), "delay 0 ms");
        assert!(Conditions::default().is_clear());
    }
}
