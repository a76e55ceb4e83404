//! `orchestrate merge --out DIR SHARD...`: the results of the shards of one
//! batch (`--shard K/N`, run on other machines or as array tasks) combined
//! into one batch: one `index.md`, `junit.xml` and `summary.json` whose run
//! links point into the shards' directories. Every shard must be there,
//! each once. The shards of a grade (`grade --shard K/N`) merge into one
//! grade: `gradebook.csv`, `gradebook.md`, each student's `report.md` and
//! `results.json`, `summary.json`, the class page and exports, and the
//! first shard's similarity check (each shard checks the whole class).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::EXIT_OK;
use crate::orchestrator::batch::summary::{self, Totals};
use crate::orchestrator::console::stdout_wants_color;
use crate::orchestrator::grade::{self, GradeSummary};
use crate::orchestrator::record::Outcome;
use crate::orchestrator::report;
use crate::orchestrator::report::style::Paint;
use crate::orchestrator::results;

#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// Directory for the merged index, junit.xml and summary.json.
    #[arg(long)]
    out: PathBuf,
    /// The shards' results: each a batch directory, or a results
    /// directory whose `latest` is one.
    #[arg(required = true, value_name = "SHARD_RESULTS")]
    shards: Vec<PathBuf>,
    /// Print the merged summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// The shards given, read and merged; an error here is the user's input
/// (exit 2): not a batch, a shard missing or given twice.
fn merged(args: &MergeArgs) -> Result<summary::BatchSummary> {
    let mut shards = Vec::new();
    for dir in &args.shards {
        let batch = summary::find_batch(dir)?;
        let read = summary::read(&batch)?;
        shards.push((batch, read));
    }
    summary::merge(shards, &args.out)
}

/// The kind of results the shards are (`batch` or `grade`): the first's,
/// which every other must share.
fn kind_of_shards(args: &MergeArgs) -> Result<String> {
    let mut kinds = Vec::new();
    for dir in &args.shards {
        match summary::find_results(dir)? {
            Some((_, kind)) if kind == "batch" || kind == "grade" => kinds.push((dir, kind)),
            _ => anyhow::bail!(
                "{}: no batch or grade here (neither it nor its `latest` holds one's summary.json)",
                dir.display()
            ),
        }
    }
    let (first_dir, first) = &kinds[0];
    if let Some((dir, kind)) = kinds.iter().find(|(_, k)| k != first) {
        anyhow::bail!(
            "{} is a {kind}'s results and {} a {first}'s: merge needs shards of one",
            dir.display(),
            first_dir.display()
        );
    }
    Ok(first.clone())
}

/// The shards of a grade, merged: one gradebook, every student's report
/// and results.json, written to `--out`.
fn merge_grade(args: &MergeArgs) -> Result<i32> {
    let read_all = || -> Result<(GradeSummary, super::regrade::View)> {
        let mut shards = Vec::new();
        for dir in &args.shards {
            let (found, _) = summary::find_results(dir)?.expect("a grade, as kind_of_shards found");
            shards.push((found.clone(), grade::merge::read(&found)?));
        }
        let view = super::regrade::View::of_shards(&shards[0].0)?;
        Ok((grade::merge::merge(shards, &args.out)?, view))
    };
    let (merged, view) = match read_all() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(super::EXIT_INVALID);
        }
    };
    for (file, contents) in view.files(&merged) {
        let path = args.out.join(&file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        results::write_atomic(&path, contents)?;
    }
    results::give_to_invoking_user(&args.out);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&merged)?);
    } else {
        super::grade::print_gradebook(&merged, &args.out, stdout_wants_color());
    }
    Ok(if merged.interrupted {
        super::EXIT_ERROR
    } else {
        EXIT_OK
    })
}

pub(super) fn merge(args: &MergeArgs) -> Result<i32> {
    match kind_of_shards(args) {
        Ok(kind) if kind == "grade" => return merge_grade(args),
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(super::EXIT_INVALID);
        }
    }
    let merged = match merged(args) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(super::EXIT_INVALID);
        }
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    results::write_atomic(
        &args.out.join("summary.json"),
        serde_json::to_string_pretty(&merged)? + "\n",
    )?;
    results::write_atomic(&args.out.join("index.md"), report::batch::index(&merged))?;
    results::write_atomic(&args.out.join("junit.xml"), report::batch::junit(&merged))?;
    results::give_to_invoking_user(&args.out);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&merged)?);
    } else {
        let paint = Paint {
            color: stdout_wants_color(),
        };
        out!("{}", report::batch::terminal_summary(&merged, paint));
        outln!("index: {}", args.out.join("index.md").display());
    }
    Ok(merged_outcome(&merged.totals).exit_code())
}

/// The merged batch's outcome: the worst of its runs', except that a run
/// interrupted in a shard makes the merge an error (the merge itself ran
/// to its end; 130 would say it was stopped).
fn merged_outcome(totals: &Totals) -> Outcome {
    match totals.outcome(false) {
        Outcome::Interrupted => Outcome::Error,
        worst => worst,
    }
}
