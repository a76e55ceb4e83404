//! The benchmark as data (`bench.json`, [`BenchReport`]) and as the table
//! a person reads; both are pure functions of the figures, so their shape
//! is tested without running anything.
//!
//! Every section is optional: a section that could not run here (Mininet
//! on the local backend, the Python baseline without `python3`) is absent
//! and `notes` says why.

use serde::{Deserialize, Serialize};

use super::stats::{Samples, Spread};

/// Bumped when a field changes meaning or disappears.
pub const BENCH_SCHEMA_VERSION: u32 = 1;

/// Orchestration overhead per scenario on a reused Mininet network, at most.
pub const TARGET_MININET_OVERHEAD_MS: f64 = 20.0;
/// Wall per scenario on a reused Mininet network over the bare
/// exchange's, at most.
pub const TARGET_MININET_RATIO: f64 = 1.3;
/// Orchestration overhead per scenario on the local backend, at most.
pub const TARGET_LOCAL_OVERHEAD_MS: f64 = 10.0;
/// `--jobs 2` throughput over serial, at least.
pub const TARGET_JOBS_SPEEDUP: f64 = 1.7;
/// The gap at which the ack must follow the send order in every run.
pub const TARGET_ORDER_GAP_MS: f64 = 0.2;

/// `bench.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    /// Always `bench`.
    pub kind: String,
    /// `full`, `quick` or `links-only`.
    pub mode: String,
    /// `mininet`: every section; `local`: those that need no Mininet.
    pub backend: String,
    pub started_utc: String,
    pub duration_s: f64,
    pub machine: Machine,
    pub fresh: Option<Fresh>,
    /// On a reused Mininet network, then on the local backend.
    pub reused: Vec<Reused>,
    pub fidelity: Option<Fidelity>,
    pub jobs: Vec<Jobs>,
    pub throughput: Option<Throughput>,
    /// The link engines' accuracy and cost (Mininet only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<crate::links::LinkBench>,
    /// What every figure means (the words the table's footer prints).
    pub definitions: Vec<String>,
    /// What was skipped and why; what looked odd.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub kernel: String,
    pub cpus: usize,
    /// `release` or `debug`: the build of the binaries measured.
    pub build: String,
    /// CPU pressure (`some avg10`, %) when the benchmark started and ended.
    pub cpu_pressure_start: Option<f64>,
    pub cpu_pressure_end: Option<f64>,
    pub load_average_start: Option<f64>,
    pub load_average_end: Option<f64>,
}

/// One scenario on a fresh network next to Mininet's floor, alternately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fresh {
    pub scenario: String,
    pub floor_command: String,
    /// Wall time of each `mn … --test none`, ms.
    pub floor_ms: Samples,
    /// Wall time of each `orchestrate SCENARIO`, ms.
    pub run_ms: Samples,
    /// median run / median floor.
    pub ratio: f64,
    /// The median of each phase of the run's record, in the order they happen.
    pub phases: Vec<PhaseMedian>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseMedian {
    pub name: String,
    pub median_ms: f64,
}

/// One scenario repeated on a reused network: batches alternating with
/// the same exchange driven by the thinnest driver (the baseline). Each
/// figure is the median over the batches of the batch's figure, in ms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reused {
    pub backend: String,
    pub scenario: String,
    /// Runs per batch.
    pub repeat: u32,
    pub batches: usize,
    /// Runs in all, and how many passed every check.
    pub runs: usize,
    pub passed: usize,
    pub batch_ms: f64,
    pub first_run_ms: f64,
    /// (batch − first run) / (N − 1), the final teardown included.
    pub per_run_after_first_ms: f64,
    /// Start-to-start after the first run.
    pub per_run_ms: f64,
    pub per_run_samples_ms: Vec<f64>,
    pub scenario_p50_ms: f64,
    pub scenario_mean_ms: f64,
    /// per run − scenario phase: network reset, run directory, checks, reports.
    pub outside_ms: f64,
    pub listening_ms: f64,
    pub connected_ms: f64,
    pub typed_ms: f64,
    pub exit_ms: f64,
    pub reactions_ms: f64,
    pub sleeps_ms: f64,
    /// scenario phase − reactions − sleeps.
    pub programs_ms: f64,
    /// per run − sleeps − programs' own work.
    pub overhead_ms: f64,
    pub overhead_samples_ms: Vec<f64>,
    pub target_ms: f64,
    /// The same exchange with the thinnest driver: mean per exchange of
    /// each round.
    pub bare_ms: Option<Samples>,
    pub bare_exchanges: usize,
    /// per run − bare exchange (medians).
    pub overhead_vs_bare_ms: Option<f64>,
    /// The exchange stretch by stretch, bare and orchestrated (means per
    /// batch or round, their median).
    pub stretches: Vec<Stretch>,
    /// The CPU time of a run after the first (the orchestrator and every
    /// program): (a batch's CPU − one run's on its own) / (N − 1).
    pub cpu_per_run_ms: f64,
    /// The CPU time of a bare exchange (its programs).
    pub bare_cpu_ms: Option<f64>,
    /// per run / bare exchange (medians).
    #[serde(default)]
    pub ratio_to_bare: Option<f64>,
    /// How often the runner's thread woke up per scenario (mean over the
    /// measured runs; as their records say).
    #[serde(default)]
    pub wakeups_per_run: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stretch {
    pub name: String,
    pub bare_ms: f64,
    pub orchestrated_ms: f64,
}

/// The fidelity sweep: the generated scenarios, each repeated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    pub backend: String,
    pub gaps: Vec<GapResult>,
    /// When the target gap reversed some acks: the same gap again with
    /// every program at real-time priority (`chrt --rr 1`), which takes
    /// CPU contention out of the clients' wake-ups.
    pub realtime: Option<GapResult>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapResult {
    pub gap_ms: f64,
    /// `send: [a, b]` or `send: a, sleep_ms: 0.2, send: b`.
    pub steps: String,
    pub runs: usize,
    /// Every check passed.
    pub passed: usize,
    /// The ack follows the send order (a, X, first).
    pub send_order: usize,
    /// The clients' ack is the one the server printed.
    pub server_agrees: usize,
    /// The ack put X first.
    pub x_first: usize,
    /// Second typed line − first, as the orchestrator stamped them.
    pub typed_gap_ms: Spread,
    /// A typed client's `Sent to Server` line − the moment it was typed into.
    pub reply_ms: Spread,
    /// The same for the client typed into first, in the runs whose ack
    /// reversed the send order and in the others.
    pub first_reply_ms_reversed: Spread,
    pub first_reply_ms_in_order: Spread,
    /// Runs whose ack reversed the send order, and of those, how many
    /// clients' `Sent to Server` lines also came in reverse.
    pub reversed: usize,
    pub reversed_sent_first: usize,
    /// A few reversed runs, for a person to look at.
    pub reversed_runs: Vec<Reversal>,
    pub wall_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reversal {
    pub run: String,
    pub typed_gap_ms: Option<f64>,
    pub sent_gap_ms: Option<f64>,
    pub reply_ms: Vec<f64>,
}

/// One batch serially and with `--jobs N`, alternately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Jobs {
    pub backend: String,
    /// `experiments/ × 3`.
    pub batch: String,
    pub runs: usize,
    pub jobs: u32,
    pub serial_ms: Samples,
    pub parallel_ms: Samples,
    /// median serial / median parallel: the throughput ratio.
    pub speedup: f64,
    /// The most the batch's shape allows: the serial runs' durations dealt
    /// to N workers in the order `--jobs` takes them (the longest scripted
    /// first), as if CPUs were free.
    pub schedule_bound: f64,
    /// CPU time of each batch (it and everything it ran).
    pub serial_cpu_ms: Samples,
    pub parallel_cpu_ms: Samples,
    pub target: f64,
}

/// `server --rounds 0` and the Python baseline under the same load generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub pairs: u32,
    pub runs: usize,
    pub warmup: u32,
    pub ours: ServerFigures,
    pub python: Option<ServerFigures>,
    /// ours / python, pairs per second (medians).
    pub ratio: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerFigures {
    pub command: String,
    pub pairs_per_s: Samples,
    pub server_cpu_us_per_pair: Samples,
    /// What the load generator itself spent per pair.
    pub generator_cpu_us_per_pair: Samples,
    /// One pair, connect to both acks, µs.
    pub pair_latency_us: Spread,
    pub peak_rss_kib: u64,
    pub failed_pairs: usize,
    pub first_error: Option<String>,
}

/// The words that say what each figure is (the table's footer, the JSON's
/// `definitions`).
pub fn definitions() -> Vec<String> {
    [
        "floor: wall time of `mn --switch lxbr --controller none --topo single,3 --test none` (build, start and stop a 3-host network, nothing run)",
        "per run: on a reused network, the mean interval from one run's start to the next's, runs after the first (the batch's first run builds the network)",
        "scenario phase: from the server's start to the moment every program has exited",
        "reactions: inside the scenario phase, the orchestrator's own latencies: the server's `listening on` line -> the `listening` step; each `Accepted connection` line -> its `connected` step; the later greeting -> the first typed line; the last exit -> the phase's end (each from the later of its line and the previous step)",
        "programs' own work: scenario phase - reactions - scripted sleeps (starting the programs, through mnexec on Mininet, connecting, the exchange, their lines through the pipes)",
        "orchestration overhead: per run - scripted sleeps - programs' own work = what lies outside the scenario phase (network reset, run directory, checks, reports) + the reactions; the `difference` of `wall per scenario` is the other reading: per run - the bare exchange",
        "bare exchange: the same scenario driven by the bench itself with nothing else (spawn, wait for the line, write stdin, wait for the exits), on the same kind of network: a direct measure of the programs' own work",
        "fidelity: generated scenarios (connect a, connect b, send a, sleep_ms G, send b; or send: [a, b]); `follows send order` = the ack names a (X) first; `server agrees` = the clients' ack is the server's own `Acknowledgment:` line",
        "--jobs: the same batch serially and with --jobs 2; speed-up = serial wall / parallel wall",
        "server: pairs one after another (connect X, connect Y, both greetings, both messages, both acks) from a Rust load generator; CPU per pair from /proc/PID/stat (utime+stime), the generator's from its thread's schedstat (on loopback the kernel's TCP work for a segment is done by its sender, so the generator's figure holds the server side of each handshake); peak RSS = VmHWM",
        "children run without RUST_BACKTRACE / RUST_LIB_BACKTRACE, as a user's would",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

mod table;

pub use table::{ms, table};

#[cfg(test)]
mod tests;
