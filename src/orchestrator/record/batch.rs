//! A batch as data: its `summary.json` ([`BatchSummary`]), the totals of
//! its runs' outcomes and the statistics of repeated scenarios. Pure: the
//! batch layer fills and merges it (`batch::summary`), the report writers
//! read it.
//!
//! Each run is kept slim (its verdicts, ack, phases and outcome; the run
//! directory has its events and evidence), so that a batch of thousands of
//! runs stays small.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Outcome, RunRecord};

/// Bumped when a field of [`BatchSummary`] changes meaning or is removed.
pub const BATCH_SCHEMA_VERSION: u32 = 1;

/// `summary.json` of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub schema_version: u32,
    /// Always `batch` (a run's summary.json has no `kind`).
    pub kind: String,
    pub started_utc: String,
    /// Wall time of the batch (of the longest shard, once merged).
    pub duration_ms: f64,
    pub backend: String,
    pub jobs: usize,
    /// How many times each scenario ran.
    pub repeat: u32,
    /// `K/N` when this is one shard; the shards merged, once merged.
    pub shards: Vec<String>,
    /// Items in the whole plan, every shard's together.
    pub plan_size: usize,
    /// Ctrl-C stopped it: the runs listed are those that ended.
    pub interrupted: bool,
    pub totals: Totals,
    pub scenarios: Vec<ScenarioStats>,
    pub runs: Vec<BatchRun>,
}

/// How the runs ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub runs: usize,
    pub passed: usize,
    /// A check failed.
    pub failed: usize,
    /// The run could not be carried out (network, teardown).
    pub errors: usize,
    pub interrupted: usize,
}

/// One run of a batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchRun {
    /// Its position in the whole plan: the order of every report.
    pub index: usize,
    /// The key its shard was chosen by.
    pub key: String,
    /// `case2`, `case2 #3`.
    pub label: String,
    /// Its run directory, relative to the batch's.
    pub dir: Option<String>,
    /// The run's record, slim (see [`slim`]).
    pub record: RunRecord,
}

/// The statistics of one scenario over its runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioStats {
    pub scenario: String,
    pub file: String,
    pub runs: usize,
    pub passed: usize,
    /// `passed / runs`.
    pub pass_rate: f64,
    /// Some runs passed and some did not.
    pub flaky: bool,
    /// How often each ack was observed (`none` when a run had none).
    pub acks: BTreeMap<String, usize>,
    /// How often each check failed.
    pub failed_checks: BTreeMap<String, usize>,
    /// p50 / p95 / max of each phase, in the order phases happen.
    pub phases: Vec<PhaseStats>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    pub name: String,
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

/// What a batch keeps of a finished run: not the event stream, the
/// processes or the evidence (the run directory has them all), and of a
/// passed check only its id, so that a long batch holds a few hundred
/// bytes per run.
pub fn slim(mut record: RunRecord) -> RunRecord {
    record.events = Vec::new();
    record.processes = Vec::new();
    record.files = Vec::new();
    record.capture = None;
    for v in record.verdicts.iter_mut().filter(|v| v.passed) {
        v.title = String::new();
        v.expected = String::new();
        v.observed = String::new();
        v.evidence = Vec::new();
    }
    for v in record.verdicts.iter_mut() {
        v.evidence = Vec::new();
    }
    record.verdicts.shrink_to_fit();
    record
}

impl Totals {
    pub fn of(runs: &[BatchRun]) -> Totals {
        let mut t = Totals {
            runs: runs.len(),
            ..Totals::default()
        };
        for r in runs {
            match r.record.outcome {
                Outcome::Passed => t.passed += 1,
                Outcome::Failed => t.failed += 1,
                Outcome::Interrupted => t.interrupted += 1,
                Outcome::Error => t.errors += 1,
            }
        }
        t
    }

    /// The batch's outcome: the worst of its runs' (interrupted, then an
    /// error, then a failed check); `interrupted` when Ctrl-C stopped the
    /// batch itself.
    pub fn outcome(&self, interrupted: bool) -> Outcome {
        if interrupted || self.interrupted > 0 {
            Outcome::Interrupted
        } else if self.errors > 0 {
            Outcome::Error
        } else if self.failed > 0 {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    }
}

/// The nearest-rank percentile `p` (0–100) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The statistics of every scenario, in the order they first appear.
pub fn scenario_stats(runs: &[BatchRun]) -> Vec<ScenarioStats> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<&RunRecord>> = BTreeMap::new();
    for r in runs {
        let key = (r.record.file.clone(), r.record.scenario.clone());
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(&r.record);
    }
    order
        .into_iter()
        .map(|key| stats_of(&key.1, &key.0, &groups[&key]))
        .collect()
}

fn stats_of(scenario: &str, file: &str, records: &[&RunRecord]) -> ScenarioStats {
    let runs = records.len();
    let passed = records.iter().filter(|r| r.passed()).count();
    let mut acks = BTreeMap::new();
    let mut failed_checks = BTreeMap::new();
    for r in records {
        let ack = r.ack_observed.clone().unwrap_or_else(|| "none".into());
        *acks.entry(ack).or_insert(0) += 1;
        for v in r.verdicts.iter().filter(|v| !v.passed) {
            *failed_checks.entry(v.id.clone()).or_insert(0) += 1;
        }
    }
    ScenarioStats {
        scenario: scenario.to_string(),
        file: file.to_string(),
        runs,
        passed,
        pass_rate: if runs == 0 {
            0.0
        } else {
            passed as f64 / runs as f64
        },
        flaky: passed > 0 && passed < runs,
        acks,
        failed_checks,
        phases: phase_stats(records),
    }
}

fn phase_stats(records: &[&RunRecord]) -> Vec<PhaseStats> {
    let mut names: Vec<String> = Vec::new();
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in records {
        for p in &r.phases {
            if !names.contains(&p.name) {
                names.push(p.name.clone());
            }
            values.entry(p.name.clone()).or_default().push(p.ms);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mut v = values.remove(&name).unwrap_or_default();
            v.sort_by(f64::total_cmp);
            PhaseStats {
                runs: v.len(),
                p50_ms: percentile(&v, 50.0),
                p95_ms: percentile(&v, 95.0),
                max_ms: v.last().copied().unwrap_or(0.0),
                name,
            }
        })
        .collect()
}
