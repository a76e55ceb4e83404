//! `orchestrate merge --out DIR SHARD...`: the results of the shards of one
//! batch (`--shard K/N`, run on other machines or as array tasks) combined
//! into one batch: one `index.md`, `junit.xml` and `summary.json` whose run
//! links point into the shards' directories. Every shard must be there,
//! each once.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::EXIT_OK;
use crate::orchestrator::batch::summary;
use crate::orchestrator::console::stdout_wants_color;
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

pub(super) fn merge(args: &MergeArgs) -> Result<i32> {
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
    let t = &merged.totals;
    Ok(if t.errors > 0 || t.interrupted > 0 {
        super::EXIT_ERROR
    } else if t.failed > 0 {
        super::EXIT_CHECK_FAILED
    } else {
        EXIT_OK
    })
}
