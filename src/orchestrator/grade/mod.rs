//! `orchestrate grade SUBMISSIONS_DIR`: a class's PA3 submissions (one
//! folder per student, `server.py` and `client.py` by default) run against
//! the rubric's scenarios on Mininet — in the sandbox, never as root — and
//! scored on the seed's twelve items, with evidence for every item that is
//! not a pass.
//!
//! - [`config`]: `grading.yaml` (file names, commands, timeouts, points);
//! - [`plan`]: the submissions and the scenarios each runs, in three
//!   pairings (see [`Pairing`]);
//! - [`rubric`]: the twelve items and how the checks decide them;
//! - [`book`]: the gradebook (CSV, Markdown), each student's report and
//!   Gradescope `results.json`;
//! - [`merge`]: the shards of a class (`--shard K/N`) as one grade;
//! - [`page`]: `class.html`, the instructor's view of the class;
//!   [`export`]: the Canvas and per-item CSVs;
//! - [`similarity`]: which submissions are alike (winnowing, as MOSS);
//! - [`regrade`]: a few students graded again, or a rubric's points
//!   re-applied, in place, the old grade kept in its history.

use serde::{Deserialize, Serialize};

pub mod agreement;
pub mod book;
pub mod build;
pub mod config;
pub mod discover;
pub mod export;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod judge;
pub mod judge_runs;
pub mod merge;
pub mod observe;
pub mod page;
pub mod plan;
pub mod regrade;
pub mod rubric;
pub mod similarity;

/// Which programs of a run are the student's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pairing {
    /// The student's server with our two clients: judges the server.
    Server,
    /// Our server with the student's two clients: judges the clients.
    Clients,
    /// The student's server and clients, as handed in.
    Pair,
}

impl Pairing {
    pub fn word(self) -> &'static str {
        match self {
            Pairing::Server => "server",
            Pairing::Clients => "clients",
            Pairing::Pair => "pair",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Pairing::Server => "the student's server with our clients",
            Pairing::Clients => "our server with the student's clients",
            Pairing::Pair => "the student's server and clients",
        }
    }
}

/// One student's grade.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StudentGrade {
    pub student: String,
    /// Points of the items that passed.
    pub score: f64,
    pub max_score: f64,
    pub items: Vec<rubric::ItemResult>,
    /// Programs the folder lacks, or that cannot run, and why.
    pub missing: Vec<String>,
    pub source: rubric::SourceEvidence,
    /// What was found in the folder and how it was started.
    #[serde(default)]
    pub discovered: Discovered,
    /// Every run of the student: `server case2` → its directory and result.
    pub runs: Vec<GradedRun>,
}

/// A run of a student, as its report lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradedRun {
    pub pairing: Pairing,
    pub case: String,
    /// Relative to the grade's directory.
    pub dir: Option<String>,
    pub passed: bool,
    /// The ids of the checks that failed.
    pub failed: Vec<String>,
    /// Notes of the run (slips read past, processes left behind).
    pub notes: Vec<String>,
    /// What the run showed, as the rubric read it.
    #[serde(default)]
    pub facts: observe::RunFacts,
    /// How long the run took, its earlier attempts included (0 in a grade
    /// written before this was recorded).
    #[serde(default)]
    pub duration_ms: f64,
}

/// What the grader found in a student's folder, for their report: each
/// program, why it was chosen and how it was started (and built), the
/// files passed over, and what stops a program from running.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Discovered {
    /// `server: TCPServer.py (Python 3): binds, listens and accepts — run as `python3 TCPServer.py``.
    pub programs: Vec<String>,
    pub ignored: Vec<String>,
    pub problems: Vec<String>,
    pub builds: Vec<plan::Build>,
}

/// `summary.json` of a grade: what merging shards needs to make one
/// gradebook (a shard holds whole students).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradeSummary {
    pub schema_version: u32,
    /// Always `grade`.
    pub kind: String,
    pub started_utc: String,
    pub duration_ms: f64,
    pub backend: String,
    pub strict: bool,
    /// `K/N` of this shard; the shards merged, once merged.
    pub shards: Vec<String>,
    /// Students in the whole class, every shard's together.
    pub plan_size: usize,
    pub interrupted: bool,
    /// Gradescope's visibility of each student's results.json.
    #[serde(default = "visible")]
    pub visibility: String,
    pub students: Vec<StudentGrade>,
}

fn visible() -> String {
    "visible".into()
}

/// Bumped when a field of [`GradeSummary`] changes meaning or is removed.
pub const GRADE_SCHEMA_VERSION: u32 = 1;
