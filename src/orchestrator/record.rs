//! What a run leaves behind, as data: the event stream, the processes, the
//! verdicts and the timings. The runner fills a [`RunRecord`]; the checks
//! read its events; every report writer is a pure function of it.
//!
//! `summary.json` is this struct serialised; its `schema_version` changes
//! whenever a field changes meaning or disappears (adding one does not).
//! Version 2: events are typed ([`EventKind`]) instead of `stream` + `text`,
//! and every verdict names the `check` of the table that made it (and, added
//! since, may carry a `note` and its `leniency`).

use serde::{Deserialize, Serialize};

use crate::orchestrator::event::Adaptation;
pub use crate::orchestrator::link::{LinkRecord, LinksRecord};
use crate::pa3::protocol::Letter;

pub use super::event::{Event, EventKind, ExitInfo, Stream, ORCHESTRATOR};

pub mod batch;
mod verdict;

pub use verdict::{CheckId, Leniency, Verdict};

/// Bumped when a field of [`RunRecord`] changes meaning or is removed.
pub const SCHEMA_VERSION: u32 = 2;

/// How a run ended (or a batch, the worst of its runs). The one place
/// where an outcome becomes an exit code: the orchestrator's own, and
/// `exit_code` in a run's `summary.json` (the serialized form is that
/// number, as before the enum, so results files read back unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every check passed.
    Passed,
    /// A check failed.
    Failed,
    /// The run could not be carried out (the network, a teardown, the
    /// links), or the orchestrator met an error of its own.
    Error,
    /// Ctrl-C, SIGTERM or SIGHUP stopped it.
    Interrupted,
}

impl Outcome {
    /// The orchestrator's exit code for it (the README's table; 2, a bad
    /// scenario or usage, is no run's outcome).
    pub const fn exit_code(self) -> i32 {
        match self {
            Outcome::Passed => 0,
            Outcome::Error => 1,
            Outcome::Failed => 3,
            Outcome::Interrupted => 130,
        }
    }

    /// The outcome an exit code stands for (any code but 0, 3 and 130 is
    /// an error).
    pub const fn of_exit_code(code: i32) -> Outcome {
        match code {
            0 => Outcome::Passed,
            3 => Outcome::Failed,
            130 => Outcome::Interrupted,
            _ => Outcome::Error,
        }
    }
}

/// `summary.json` keeps a run's outcome as its exit code (`exit_code`).
mod as_exit_code {
    use super::Outcome;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(outcome: &Outcome, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(outcome.exit_code())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        i32::deserialize(d).map(Outcome::of_exit_code)
    }
}

/// Which part a process plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Server,
    Client,
}

/// One program of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// `server` or the client's id.
    pub id: String,
    pub role: Role,
    /// The host it ran on (`local` on the loopback backend).
    pub host: String,
    /// For clients: the name it sends.
    pub name: Option<String>,
    /// For clients: the letter its connect position gives it.
    pub letter: Option<Letter>,
    pub command: Vec<String>,
    pub exit: Option<ExitInfo>,
    /// Lines not kept because the process printed too much.
    pub dropped_lines: u64,
    /// File name of its log inside the run directory.
    pub log: String,
    /// What it used, where it ran in a control group of its own (a
    /// submission's program in the sandbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// What a program used, as its control group counted it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// CPU time of the program and all it started, in milliseconds.
    pub cpu_ms: Option<f64>,
    /// The most memory it held at once, in bytes.
    pub peak_memory_bytes: Option<u64>,
}

impl ProcessInfo {
    /// `h1 server`, `h2 client a`: how a person names it.
    pub fn label(&self) -> String {
        match self.role {
            Role::Server => format!("{} server", self.host),
            Role::Client => format!("{} client {}", self.host, self.id),
        }
    }
}

/// The bounds the runner held a run's programs to, which verdicts quote
/// (`output.<process>`: what is kept; `exit.<process>`: how long a program
/// is given between SIGTERM and SIGKILL). The runner says them; the checks
/// read them here, never from the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Lines kept per program and stream; the rest are counted.
    pub max_lines: usize,
    /// Bytes of lines kept per program and stream.
    pub max_kept_bytes: usize,
    /// Grace between SIGTERM and SIGKILL when the orchestrator stops a
    /// program, in milliseconds.
    pub kill_grace_ms: u64,
}

/// A named span of the run's wall time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub ms: f64,
}

/// Everything about one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema_version: u32,
    pub scenario: String,
    pub description: String,
    /// The scenario file as given.
    pub file: String,
    /// `mininet` or `local`.
    pub backend: String,
    /// UTC start time, RFC 3339.
    pub started_utc: String,
    pub duration_ms: f64,
    pub phases: Vec<Phase>,
    pub processes: Vec<ProcessInfo>,
    pub events: Vec<Event>,
    pub verdicts: Vec<Verdict>,
    /// The acknowledgement the clients received (when they agree).
    pub ack_observed: Option<String>,
    /// The acknowledgement the checks expected, if one was determined.
    pub ack_expected: Option<String>,
    /// How the run ended; `exit_code` in `summary.json` (the
    /// orchestrator's exit code for this run, [`Outcome::exit_code`]).
    #[serde(rename = "exit_code", with = "as_exit_code")]
    pub outcome: Outcome,
    /// A run that could not be carried out says why here.
    pub error: Option<String>,
    /// Files of the run directory, relative to it.
    pub files: Vec<String>,
    /// Packet capture statistics, when `--pcap` was given.
    pub capture: Option<CaptureStats>,
    /// How the run got its network: built for it, or reused from the
    /// previous run of its job (and what was reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkUse>,
    /// Which repeat of its scenario this run was, when repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Repeat>,
    /// The impaired links: the engine that ran, each link's configured
    /// conditions and what its packets experienced. Absent without any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<LinksRecord>,
    /// What the network was adapted for (`server.adapt_network`): where
    /// the server listened and the clients dialed, when the hosts did not
    /// give it as they are; or why it could not be adapted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adaptations: Vec<Adaptation>,
    /// What carrying out the steps cost the runner itself (the benchmark
    /// reads it). Absent when no program ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<RunnerWork>,
    /// The bounds the runner held the programs to (absent where nothing
    /// ran: an interrupted or errored run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
}

/// What the runner's own thread did while it carried out a run's steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerWork {
    /// How often it woke up from waiting (for a program's line or exit,
    /// a timer, or to look at a condition again).
    pub wakeups: u64,
}

/// How a run got its network: the record says so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkUse {
    /// `true`: built for this run; `false`: the previous run's, reused.
    pub fresh: bool,
    /// Why, in words: `fresh: the job's first network`, `reused: run 4 on
    /// this network; 2 sockets the previous run left on the hosts removed`.
    pub note: String,
}

/// Repeat `index` of `of` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeat {
    pub index: u32,
    pub of: u32,
}

/// What the packet capture saw of the PA3 traffic.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureStats {
    pub file: String,
    pub packets: u64,
    /// TCP handshakes (SYN without ACK) seen towards the server port.
    pub syns: u64,
    /// Segments with the PSH flag: each carries a message.
    pub pushes: u64,
    pub fins: u64,
}

impl RunRecord {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.verdicts.iter().all(|v| v.passed)
    }

    pub fn process(&self, id: &str) -> Option<&ProcessInfo> {
        self.processes.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Outcome; 4] = [
        Outcome::Passed,
        Outcome::Failed,
        Outcome::Error,
        Outcome::Interrupted,
    ];

    #[test]
    fn an_outcome_is_its_exit_code_and_back() {
        let codes: Vec<i32> = ALL.iter().map(|o| o.exit_code()).collect();
        assert_eq!(codes, [0, 3, 1, 130]);
        for o in ALL {
            assert_eq!(Outcome::of_exit_code(o.exit_code()), o);
        }
        // 2 (a bad scenario) and anything unknown read back as an error.
        assert_eq!(Outcome::of_exit_code(2), Outcome::Error);
        assert_eq!(Outcome::of_exit_code(-1), Outcome::Error);
    }

    #[test]
    fn a_record_keeps_its_outcome_as_the_exit_code_it_always_had() {
        let json = include_str!("report/golden/runs/passing.summary.json");
        let mut record: RunRecord = serde_json::from_str(json).unwrap();
        for o in ALL {
            record.outcome = o;
            let value = serde_json::to_value(&record).unwrap();
            assert_eq!(value["exit_code"], o.exit_code());
            assert!(value.get("outcome").is_none());
            let back: RunRecord = serde_json::from_value(value).unwrap();
            assert_eq!(back.outcome, o);
        }
    }
}
