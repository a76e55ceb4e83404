//! A batch's `summary.json` on disk: finding it, reading it, and merging
//! shards. The summary itself is data, [`crate::orchestrator::record::batch`]
//! (re-exported here): statistics are recomputed from the runs wherever
//! they are needed — after a batch, and after merging shards — so that
//! merged numbers are the numbers of one big batch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub use crate::orchestrator::record::batch::*;

/// The batch summary file of a results directory or batch directory: a
/// batch directory holds `summary.json` of kind `batch`; a results
/// directory's `latest` points at one.
pub fn find_batch(dir: &Path) -> Result<PathBuf> {
    match find_results(dir)? {
        Some((found, kind)) if kind == "batch" => Ok(found),
        _ => bail!(
            "{}: no batch here (neither it nor its `latest` holds a batch's summary.json)",
            dir.display()
        ),
    }
}

/// The directory of results `dir` is, or its `latest` points at, with the
/// `kind` its `summary.json` says (`batch`, `grade`, `run`); `None` when
/// neither holds a summary.json.
pub fn find_results(dir: &Path) -> Result<Option<(PathBuf, String)>> {
    for candidate in [dir.to_path_buf(), dir.join("latest")] {
        let file = candidate.join("summary.json");
        if let Ok(text) = std::fs::read_to_string(&file) {
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let kind = value["kind"].as_str().unwrap_or("run").to_string();
            return Ok(Some((candidate, kind)));
        }
    }
    Ok(None)
}

/// Reads a batch's `summary.json`.
pub fn read(batch_dir: &Path) -> Result<BatchSummary> {
    let file = batch_dir.join("summary.json");
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let summary: BatchSummary = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a batch summary", file.display()))?;
    if summary.schema_version != BATCH_SCHEMA_VERSION {
        bail!(
            "{} has schema version {}; this orchestrate reads {BATCH_SCHEMA_VERSION}",
            file.display(),
            summary.schema_version
        );
    }
    Ok(summary)
}

/// Merges the summaries of shards (each read from its batch directory)
/// into one, whose run directories are given relative to `out`.
pub fn merge(shards: Vec<(PathBuf, BatchSummary)>, out: &Path) -> Result<BatchSummary> {
    check_shards(&shards)?;
    let first = &shards[0].1;
    let mut merged = BatchSummary {
        schema_version: BATCH_SCHEMA_VERSION,
        kind: "batch".into(),
        started_utc: shards
            .iter()
            .map(|(_, s)| s.started_utc.clone())
            .min()
            .unwrap_or_default(),
        duration_ms: shards
            .iter()
            .map(|(_, s)| s.duration_ms)
            .fold(0.0, f64::max),
        backend: first.backend.clone(),
        jobs: first.jobs,
        repeat: first.repeat,
        shards: shards.iter().flat_map(|(_, s)| s.shards.clone()).collect(),
        plan_size: first.plan_size,
        interrupted: shards.iter().any(|(_, s)| s.interrupted),
        totals: Totals::default(),
        scenarios: Vec::new(),
        runs: Vec::new(),
    };
    let out_abs = absolute(out);
    for (dir, summary) in shards {
        let dir_abs = absolute(&dir);
        for mut run in summary.runs {
            run.dir = run.dir.map(|d| rebase(&d, &dir_abs, &out_abs));
            merged.runs.push(run);
        }
    }
    merged.runs.sort_by_key(|r| r.index);
    if let Some(w) = merged.runs.windows(2).find(|w| w[0].key == w[1].key) {
        bail!("the run {:?} is in two of the shards given", w[0].key);
    }
    merged.totals = Totals::of(&merged.runs);
    merged.scenarios = scenario_stats(&merged.runs);
    Ok(merged)
}

/// The shards given must be the shards of one plan, each once, all of them.
fn check_shards(shards: &[(PathBuf, BatchSummary)]) -> Result<()> {
    let Some((_, first)) = shards.first() else {
        bail!("no shard to merge");
    };
    for (dir, s) in shards {
        if s.backend != first.backend || s.repeat != first.repeat || s.plan_size != first.plan_size
        {
            bail!(
                "{} is not a shard of the same batch as {} (backend, repeat or plan differ)",
                dir.display(),
                shards[0].0.display()
            );
        }
    }
    check_coverage(shards.iter().map(|(d, s)| (d.as_path(), &s.shards[..])))
}

/// That the shards given (each directory with the `K/N`s it holds) are
/// every shard of one N, each once.
pub fn check_coverage<'a>(
    shards: impl IntoIterator<Item = (&'a Path, &'a [String])>,
) -> Result<()> {
    let mut seen: BTreeMap<u32, PathBuf> = BTreeMap::new();
    let mut count = None;
    for (dir, held) in shards {
        for shard in held {
            let (k, n) = shard
                .split_once('/')
                .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                .with_context(|| format!("{}: bad shard {shard:?}", dir.display()))?;
            if *count.get_or_insert(n) != n {
                bail!(
                    "{} is shard {shard}, of another number of shards",
                    dir.display()
                );
            }
            if let Some(other) = seen.insert(k, dir.to_path_buf()) {
                bail!(
                    "shard {k}/{n} is given twice: {} and {}",
                    other.display(),
                    dir.display()
                );
            }
        }
    }
    if let Some(n) = count {
        let missing: Vec<String> = (1..=n)
            .filter(|k| !seen.contains_key(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() {
            bail!(
                "shard {} missing: merge needs every shard",
                missing.join(", ")
            );
        }
    }
    Ok(())
}

/// A path `dir` relative to a shard's directory (`shard`, absolute),
/// made relative to the merge's `out` (absolute).
pub fn rebase(dir: &str, shard: &Path, out: &Path) -> String {
    let target = shard.join(dir);
    pathdiff::diff_paths(&target, out)
        .unwrap_or(target)
        .to_string_lossy()
        .into_owned()
}

pub fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::record::{Outcome, Phase, RunRecord, Verdict, SCHEMA_VERSION};

    fn record(scenario: &str, ack: &str, passed: bool, ms: f64) -> RunRecord {
        RunRecord {
            schema_version: SCHEMA_VERSION,
            scenario: scenario.into(),
            description: String::new(),
            file: format!("experiments/{scenario}.yaml"),
            backend: "local".into(),
            started_utc: "2026-12-02T00:00:00.000Z".into(),
            duration_ms: ms,
            phases: vec![Phase {
                name: "scenario".into(),
                ms,
            }],
            processes: vec![],
            events: vec![],
            verdicts: vec![Verdict::new("ack.order", "", passed, "", "", vec![])],
            ack_observed: Some(ack.into()),
            ack_expected: None,
            outcome: if passed {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
            error: None,
            files: vec![],
            capture: None,
            network: None,
            repeat: None,
            links: None,
            adaptations: vec![],
            runner: None,
            limits: None,
        }
    }

    fn run(index: usize, record: RunRecord) -> BatchRun {
        BatchRun {
            index,
            key: format!("{}#{index}", record.file),
            label: record.scenario.clone(),
            dir: Some(format!("{}-r{index}", record.scenario)),
            record,
        }
    }

    #[test]
    fn repeats_give_a_pass_rate_acks_percentiles_and_flakiness() {
        let mut runs = Vec::new();
        for i in 0..20 {
            let ack = if i % 4 == 0 { "Y first" } else { "X first" };
            runs.push(run(i, record("simultaneous", ack, true, (i + 1) as f64)));
        }
        runs.push(run(20, record("case2", "Y first", true, 5.0)));
        runs.push(run(21, record("case2", "X first", false, 6.0)));
        let stats = scenario_stats(&runs);
        assert_eq!(stats.len(), 2);
        let sim = &stats[0];
        assert_eq!((sim.runs, sim.passed, sim.flaky), (20, 20, false));
        assert_eq!(sim.acks["X first"], 15);
        assert_eq!(sim.acks["Y first"], 5);
        assert_eq!(sim.phases[0].p50_ms, 10.0);
        assert_eq!(sim.phases[0].p95_ms, 19.0);
        assert_eq!(sim.phases[0].max_ms, 20.0);
        let case2 = &stats[1];
        assert!(case2.flaky);
        assert_eq!(case2.pass_rate, 0.5);
        assert_eq!(case2.failed_checks["ack.order"], 1);
        assert_eq!(
            Totals::of(&runs),
            Totals {
                runs: 22,
                passed: 21,
                failed: 1,
                ..Totals::default()
            }
        );
    }

    #[test]
    fn a_batch_ends_with_the_worst_of_its_runs() {
        let mut runs = vec![run(0, record("a", "X first", true, 1.0))];
        let totals = |runs: &[BatchRun]| Totals::of(runs);
        assert_eq!(totals(&runs).outcome(false), Outcome::Passed);
        assert_eq!(totals(&runs).outcome(true), Outcome::Interrupted);
        runs.push(run(1, record("a", "X first", false, 1.0)));
        assert_eq!(totals(&runs).outcome(false), Outcome::Failed);
        let mut errored = record("a", "X first", false, 1.0);
        errored.outcome = Outcome::Error;
        runs.push(run(2, errored));
        assert_eq!(totals(&runs).outcome(false), Outcome::Error);
        let mut stopped = record("a", "X first", false, 1.0);
        stopped.outcome = Outcome::Interrupted;
        runs.push(run(3, stopped));
        let t = totals(&runs);
        assert_eq!((t.passed, t.failed, t.errors, t.interrupted), (1, 1, 1, 1));
        assert_eq!(t.outcome(false), Outcome::Interrupted);
    }

    fn summary(shard: &str, runs: Vec<BatchRun>) -> BatchSummary {
        BatchSummary {
            schema_version: BATCH_SCHEMA_VERSION,
            kind: "batch".into(),
            started_utc: "2026-12-02T00:00:00.000Z".into(),
            duration_ms: 100.0,
            backend: "local".into(),
            jobs: 1,
            repeat: 1,
            shards: vec![shard.into()],
            plan_size: 3,
            interrupted: false,
            totals: Totals::of(&runs),
            scenarios: scenario_stats(&runs),
            runs,
        }
    }

    #[test]
    fn merged_shards_are_one_batch_in_plan_order() {
        let a = summary(
            "1/2",
            vec![
                run(0, record("case1", "X", true, 1.0)),
                run(2, record("case3", "X", true, 1.0)),
            ],
        );
        let b = summary("2/2", vec![run(1, record("case2", "Y", false, 1.0))]);
        let merged = merge(
            vec![
                (PathBuf::from("/r/shard-2/b"), b.clone()),
                (PathBuf::from("/r/shard-1/b"), a.clone()),
            ],
            Path::new("/r/merged"),
        )
        .unwrap();
        let order: Vec<usize> = merged.runs.iter().map(|r| r.index).collect();
        assert_eq!(order, vec![0, 1, 2]);
        assert_eq!(merged.runs[1].dir.as_deref(), Some("../shard-2/b/case2-r1"));
        assert_eq!((merged.totals.passed, merged.totals.failed), (2, 1));
        assert_eq!(merged.shards.len(), 2);

        let err = merge(vec![(PathBuf::from("/r/1"), a.clone())], Path::new("/r/m"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "shard 2/2 missing: merge needs every shard");
        let err = merge(
            vec![
                (PathBuf::from("/r/1"), a.clone()),
                (PathBuf::from("/r/1b"), a),
            ],
            Path::new("/r/m"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "shard 1/2 is given twice: /r/1 and /r/1b");
    }
}
