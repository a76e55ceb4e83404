//! What a run leaves behind, as data: the event stream, the processes, the
//! verdicts and the timings. The runner fills a [`RunRecord`]; the checks
//! read its events; every report writer is a pure function of it.
//!
//! `summary.json` is this struct serialised; its `schema_version` changes
//! whenever a field changes meaning or disappears (adding one does not).
//! Version 2: events are typed ([`EventKind`]) instead of `stream` + `text`,
//! and every verdict names the `check` of the table that made it (and, added
//! since, may carry a `note`).

use serde::{Deserialize, Serialize};

use crate::orchestrator::event::Adaptation;
pub use crate::orchestrator::link::applied::{LinkRecord, LinksRecord};
use crate::pa3::protocol::Letter;

pub use super::event::{Event, EventKind, ExitInfo, Stream, ORCHESTRATOR};

/// Bumped when a field of [`RunRecord`] changes meaning or is removed.
pub const SCHEMA_VERSION: u32 = 2;

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

/// A check's outcome, with what it rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Stable identifier, e.g. `greeting.a`, `ack.order`.
    pub id: String,
    /// The id of the check (a row of [`crate::orchestrator::check::CHECKS`])
    /// that made it: `greeting` for `greeting.a`. Filled by the table.
    #[serde(default)]
    pub check: String,
    /// One sentence a person reads.
    pub title: String,
    pub passed: bool,
    pub expected: String,
    pub observed: String,
    /// The log lines the verdict rests on.
    pub evidence: Vec<Event>,
    /// Set when the verdict rests on a program's text read past a slip
    /// (`Client X Connected`, `recieved`): what the slip was, and what the
    /// strict verdict is (`--strict` fails such a verdict, and says so
    /// here). Absent from `summary.json` when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Verdict {
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        passed: bool,
        expected: impl Into<String>,
        observed: impl Into<String>,
        evidence: Vec<Event>,
    ) -> Verdict {
        Verdict {
            id: id.into(),
            check: String::new(),
            title: title.into(),
            passed,
            expected: expected.into(),
            observed: observed.into(),
            evidence,
            note: None,
        }
    }
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
    /// The orchestrator's exit code for this run.
    pub exit_code: i32,
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
