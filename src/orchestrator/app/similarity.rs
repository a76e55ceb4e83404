//! `orchestrate similarity CLASS [--reference DIR]`: the class's
//! submissions compared pair by pair (see
//! [`crate::orchestrator::grade::similarity`]) without grading anything —
//! no root, no network. Writes `results/<time>-similarity/`: `index.html`
//! (the table of pairs), a side-by-side page per pair shown,
//! `similarity.json` and `similarity.csv`; prints the flagged pairs and
//! the index's path last. `orchestrate grade` does the same into its
//! grade's `similarity/`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use time::OffsetDateTime;

use super::{EXIT_INVALID, EXIT_OK};
use crate::orchestrator::grade::similarity::{self, html, Doc, Params, Report};
use crate::orchestrator::results::{Finish, RunDir};

#[derive(Args, Debug)]
pub(crate) struct SimilarityArgs {
    /// The class: one folder per student (their .py, .c, .cpp and .h files are read).
    submissions: PathBuf,
    /// Known public solutions to compare each student with: a folder per
    /// solution, or single files.
    #[arg(long, value_name = "DIR")]
    reference: Option<PathBuf>,
    /// Directory for the similarity's directory.
    #[arg(long, default_value = "results")]
    results: PathBuf,
}

/// The class's submissions and the references, read.
pub(super) fn read(submissions: &Path, reference: Option<&Path>) -> Result<(Vec<Doc>, Vec<Doc>)> {
    if !submissions.is_dir() {
        bail!("{}: no such class folder", submissions.display());
    }
    let students = similarity::read_class(submissions, false)?;
    let references = match reference {
        Some(dir) if !dir.is_dir() => bail!("--reference {}: no such folder", dir.display()),
        Some(dir) => similarity::read_class(dir, true)?,
        None => Vec::new(),
    };
    Ok((students, references))
}

/// Everything the similarity check writes, relative to the directory it
/// writes into: `similarity/…` pages, `similarity.json`, `similarity.csv`.
pub(crate) fn files(
    report: &Report,
    students: &[Doc],
    references: &[Doc],
) -> Vec<(String, String)> {
    let docs: Vec<&Doc> = students.iter().chain(references).collect();
    let mut out: Vec<(String, String)> = html::files(report, &docs)
        .into_iter()
        .map(|(name, text)| (format!("similarity/{name}"), text))
        .collect();
    out.push((
        "similarity.json".into(),
        serde_json::to_string_pretty(report).expect("JSON serialises") + "\n",
    ));
    out.push(("similarity.csv".into(), html::csv(report)));
    out
}

pub(super) fn similarity(args: &SimilarityArgs) -> Result<i32> {
    let (students, references) = match read(&args.submissions, args.reference.as_deref()) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(EXIT_INVALID);
        }
    };
    let report = similarity::compare(&students, &references, &Params::default());
    let mut dir = RunDir::create(&args.results, "similarity", OffsetDateTime::now_utc())?;
    std::fs::create_dir_all(dir.path().join("similarity"))?;
    for (file, text) in files(&report, &students, &references) {
        dir.write(&file, text)?;
    }
    let path = dir.finish(Finish::Quiet)?;
    print_flagged(&report);
    outln!(
        "similarity: {}",
        path.join("similarity/index.html").display()
    );
    Ok(EXIT_OK)
}

/// The flagged pairs on the terminal, a line each.
pub(super) fn print_flagged(report: &Report) {
    let students = report.submissions.iter().filter(|s| !s.reference).count();
    let flagged: Vec<_> = report.flagged().collect();
    outln!(
        "similarity: {students} submissions compared in {:.0} ms, {} pair{} flagged (evidence for a person; no grade changes)",
        report.duration_ms,
        flagged.len(),
        if flagged.len() == 1 { "" } else { "s" }
    );
    for p in flagged {
        outln!(
            "  {:>4}  {} ~ {}{}",
            html::percent(p.score),
            p.a,
            p.b,
            if p.reference { " (reference)" } else { "" }
        );
    }
}
