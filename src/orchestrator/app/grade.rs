//! `orchestrate grade SUBMISSIONS_DIR`: runs every submission's programs in
//! the sandbox against the rubric's scenarios (on Mininet by default, on
//! reused networks, `--jobs` at once), judges the twelve items, and writes
//! `results/<time>-grade/`: `gradebook.csv`, `gradebook.md`, a folder per
//! student with `report.md` and Gradescope's `results.json`, the runs
//! under `runs/`, and `summary.json` (what `merge` needs). Its path is
//! printed last; `results/latest` points at it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Result};
use clap::Args;
use time::OffsetDateTime;

use super::programs::Programs;
use super::progress::Progress;
use super::{install_signal_handler, open_owned_dir, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK};
use crate::orchestrator::batch::execute::RunContext;
use crate::orchestrator::batch::plan::Shard;
use crate::orchestrator::batch::pool::{self, Done, Live, Next};
use crate::orchestrator::batch::summary::{slim, BatchRun};
use crate::orchestrator::check;
use crate::orchestrator::console::stdout_wants_color;
use crate::orchestrator::event::ms;
use crate::orchestrator::grade::config::Grading;
use crate::orchestrator::grade::judge::{self, Blocks};
use crate::orchestrator::grade::judge_runs::StudentRun;
use crate::orchestrator::grade::observe::RunFacts;
use crate::orchestrator::grade::plan::{self, GradeRun, Submission};
use crate::orchestrator::grade::{build, discover, rubric};
use crate::orchestrator::grade::{
    Discovered, GradeSummary, GradedRun, StudentGrade, GRADE_SCHEMA_VERSION,
};
use crate::orchestrator::net::{local, mininet, Backend};
use crate::orchestrator::record::{Outcome, RunRecord};
use crate::orchestrator::report::style::Paint;
use crate::orchestrator::results::{self, Finish, RunDir};
use crate::orchestrator::sandbox::Pool;
use crate::orchestrator::state::{self, StateFile};
use crate::orchestrator::sys;

#[derive(Args, Debug)]
pub(crate) struct GradeArgs {
    /// The class: one folder per student (server.py and client.py by default).
    pub(super) submissions: PathBuf,
    /// How to run and score them (default: SUBMISSIONS_DIR/grading.yaml if it exists).
    #[arg(long, value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    /// Where the programs run (local: loopback, for a machine without Mininet).
    #[arg(long, value_enum, default_value_t = Backend::Mininet)]
    pub(super) backend: Backend,
    /// Directory for the grade's directory.
    #[arg(long, default_value = "results")]
    pub(super) results: PathBuf,
    /// Run N networks at once.
    #[arg(long, short, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
    jobs: u32,
    /// Fail the slips of the seed's strings (case, `recieved`, …) instead of noting them.
    #[arg(long)]
    pub(super) strict: bool,
    /// Grade only shard K of N of the students (whole students; `orchestrate merge` joins them).
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    /// Grade only the students whose folder name contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub(super) filter: Vec<String>,
    /// Print only the gradebook.
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print each run's whole output when it ends.
    #[arg(long, short)]
    verbose: bool,
    /// Known public solutions the similarity check compares each student with.
    #[arg(long, value_name = "DIR")]
    pub(super) reference: Option<PathBuf>,
    /// Grade only this student (their folder's name; repeatable), into `--into`.
    #[arg(long, value_name = "STUDENT", requires = "into", conflicts_with_all = ["filter", "shard", "rescore"])]
    pub(super) only: Vec<String>,
    /// An existing grade to update in place (its old results kept in its history).
    #[arg(long, value_name = "GRADE_DIR")]
    pub(super) into: Option<PathBuf>,
    /// Re-apply grading.yaml's points to the grade `--into` without running anything.
    #[arg(long, requires = "into", conflicts_with_all = ["filter", "shard"])]
    pub(super) rescore: bool,
}

/// A run of the class, as it came back.
struct Ran {
    what: GradeRun,
    run: BatchRun,
    /// What it showed, read from its whole record.
    facts: RunFacts,
    /// The attempts before it, which failed a check that timing decides.
    earlier: Vec<Attempt>,
}

/// An attempt at a run that failed only where timing decides.
struct Attempt {
    dir: Option<String>,
    failed: Vec<String>,
    duration_ms: f64,
}

impl Attempt {
    fn of(run: &BatchRun) -> Attempt {
        Attempt {
            dir: run.dir.clone(),
            failed: failed_ids(&run.record),
            duration_ms: run.record.duration_ms,
        }
    }
}

/// How many times a run that fails where timing decides is run in all
/// (see [`crate::orchestrator::check::Check::timing`]).
const ATTEMPTS: usize = 3;

pub(super) fn grade(args: &GradeArgs) -> Result<i32> {
    if let Some(into) = &args.into {
        return super::regrade::regrade(args, into);
    }
    let config = config_path(args);
    let (grading, subs, plan_size) = match plan_class(args, &config) {
        Ok(planned) => planned,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(EXIT_INVALID);
        }
    };
    let ready = prepare_to_run(args)?;
    run_class(args, &grading, subs, plan_size, &ready)
}

/// `--config`, or the class's `grading.yaml`.
pub(super) fn config_path(args: &GradeArgs) -> PathBuf {
    args.config
        .clone()
        .unwrap_or_else(|| args.submissions.join("grading.yaml"))
}

/// What running students' programs takes: root, Mininet (when it is the
/// backend), our binaries, the signal handler, and no dead run's
/// leftovers. The binaries' directory.
/// What running a class takes, once checked: our programs and the flag
/// Ctrl-C raises.
pub(super) struct Ready {
    pub programs: Programs,
    pub stop: &'static AtomicBool,
}

pub(super) fn prepare_to_run(args: &GradeArgs) -> Result<Ready> {
    if !sys::is_root() {
        bail!(
            "grading runs the students' programs as unprivileged sandbox users, which takes root: \
             run it with sudo (sudo cargo run --bin orchestrate grade {})",
            args.submissions.display()
        );
    }
    if args.backend == Backend::Mininet {
        mininet::preflight()?;
    }
    let programs = Programs::for_runs()?;
    let stop = install_signal_handler();
    for r in &state::clean_dead_runs()?.removed {
        eprintln!("removed a leftover of a dead run: {r}");
    }
    Ok(Ready { programs, stop })
}

/// The grading config and the students to grade (this shard's, filtered).
fn plan_class(args: &GradeArgs, config: &Path) -> Result<(Grading, Vec<Submission>, usize)> {
    let mut grading = Grading::load(config)?;
    grading.strict |= args.strict;
    if let Some(dir) = args.reference.as_ref().filter(|d| !d.is_dir()) {
        bail!("--reference {}: no such folder", dir.display());
    }
    let all = plan::folders(&args.submissions)?;
    let filtered: Vec<(String, PathBuf)> = all
        .into_iter()
        .filter(|(s, _)| args.filter.is_empty() || args.filter.iter().any(|p| s.contains(p)))
        .collect();
    if filtered.is_empty() {
        bail!(
            "{}: no student folder here{}",
            args.submissions.display(),
            if args.filter.is_empty() {
                String::new()
            } else {
                format!(" whose name contains {:?}", args.filter)
            }
        );
    }
    let plan_size = filtered.len();
    let folders = match args.shard {
        Some(shard) => filtered
            .into_iter()
            .filter(|(s, _)| shard.holds(s))
            .collect(),
        None => filtered,
    };
    let subs = build::discover_all(folders, &grading);
    Ok((grading, subs, plan_size))
}

fn run_class(
    args: &GradeArgs,
    grading: &Grading,
    subs: Vec<Submission>,
    plan_size: usize,
    ready: &Ready,
) -> Result<i32> {
    let started = OffsetDateTime::now_utc();
    let t0 = Instant::now();
    let (dir, owner) = open_owned_dir(&args.results, "grade", "grade", started)?;
    let runs_dir = dir.path().join("runs");
    std::fs::create_dir_all(&runs_dir)?;
    let hidden = [args.submissions.clone(), args.results.clone()];
    let students = grade_students(args, grading, subs, ready, (&runs_dir, "runs"), &hidden)?;
    let summary = GradeSummary {
        schema_version: GRADE_SCHEMA_VERSION,
        kind: "grade".into(),
        started_utc: results::rfc3339(started),
        duration_ms: ms(t0.elapsed()),
        backend: args.backend.name().into(),
        strict: grading.strict,
        shards: args.shard.map(|s| s.to_string()).into_iter().collect(),
        plan_size,
        interrupted: ready.stop.load(Ordering::SeqCst),
        visibility: grading.visibility.clone(),
        students,
    };
    let view = super::regrade::View::of_new_grade(args, &summary);
    finish_grade(dir, owner, &summary, &view, stdout_wants_color())
}

/// Builds `subs`' C and C++ programs and runs their programs in the
/// sandbox (as `pa3-sandbox-N` users that may not see `hidden`), their
/// run directories in `runs.0` (named `runs.1/…` in the grades), and
/// judges them.
pub(super) fn grade_students(
    args: &GradeArgs,
    grading: &Grading,
    mut subs: Vec<Submission>,
    ready: &Ready,
    runs: (&Path, &str),
    hidden: &[PathBuf],
) -> Result<Vec<StudentGrade>> {
    let pool = Pool::new(grading.limits.clone(), hidden)?;
    let (isolate_local, jobs) = match args.backend {
        Backend::Local if !local::can_isolate() => {
            eprintln!(
                "note: no network namespace can be made here (root lacks CAP_SYS_ADMIN or \
                 CAP_NET_ADMIN, as in an unprivileged container): the programs share this \
                 machine's loopback, where 10.0.0.1 is not, one run at a time"
            );
            (false, 1)
        }
        Backend::Local => (true, args.jobs as usize),
        Backend::Mininet => (false, args.jobs as usize),
    };
    build::build_all(&mut subs, &pool)?;
    let items = runnable_on(args.backend, plan::items(&subs, grading)?);
    let ctx = RunContext {
        backend: args.backend,
        bin_dir: ready.programs.dir(),
        pcap: false,
        strict: grading.strict,
        interrupted: ready.stop,
        root: runs.0,
        alone: false,
        sandbox: Some(&pool),
        isolate_local,
    };
    let ran = run_items(args, &ctx, &items, jobs, runs.1);
    drop(pool);
    Ok(judge_class(&subs, grading, ran?))
}

/// Runs the class's items on `ctx`, `--jobs` at once, showing each as it
/// ends; a run that failed where timing decides is run again (see
/// [`on_done`]). What came back, or the error that stopped the runs.
/// The items a backend can run: loopback applies no link conditions, so a
/// delayed case is not run there rather than run as if its links were
/// clear (a note says so).
fn runnable_on(
    backend: Backend,
    mut items: Vec<(crate::orchestrator::batch::plan::Item, plan::GradeRun)>,
) -> Vec<(crate::orchestrator::batch::plan::Item, plan::GradeRun)> {
    if backend == Backend::Local {
        let before = items.len();
        items.retain(|(item, _)| item.scenario.links().engine.is_none());
        if items.len() < before {
            eprintln!(
                "note: the rubric's case with a delayed link (delayed-x) needs Mininet: not run on the local backend"
            );
        }
    }
    items
}

fn run_items(
    args: &GradeArgs,
    ctx: &RunContext,
    items: &[(crate::orchestrator::batch::plan::Item, GradeRun)],
    jobs: usize,
    prefix: &str,
) -> Result<Vec<Ran>> {
    let color = stdout_wants_color();
    let progress = Progress::new(items.len(), !args.quiet, Paint { color });
    let live = Live::Keep {
        keep: args.verbose,
        verbose: args.verbose,
        color,
    };
    let batch_items: Vec<_> = items.iter().map(|(i, _)| i.clone()).collect();
    let mut taken = Taken {
        prefix: prefix.to_string(),
        ..Taken::default()
    };
    pool::run(&batch_items, ctx, jobs, live, &mut |done: Done| {
        on_done(done, items, &progress, &mut taken, ctx.interrupted)
    })?;
    let Taken { ran, fatal, .. } = taken;
    progress.done();
    match fatal {
        Some(e) => Err(e),
        None => Ok(ran),
    }
}

/// Writes the grade into its directory and puts it in place (`latest`
/// points at it), lets go of it, and prints the gradebook; returns the
/// exit code.
fn finish_grade(
    mut dir: RunDir,
    mut owner: StateFile,
    summary: &GradeSummary,
    view: &super::regrade::View,
    color: bool,
) -> Result<i32> {
    write_grade(&mut dir, summary, view)?;
    let how = if summary.interrupted {
        Finish::Interrupted
    } else {
        Finish::Latest
    };
    let path = dir.finish(how)?;
    owner.state.incomplete_dir = None;
    owner.release();
    print_gradebook(summary, &path, color);
    Ok(if summary.interrupted {
        EXIT_INTERRUPTED
    } else {
        EXIT_OK
    })
}

/// What the runs of a grade have brought back so far.
#[derive(Default)]
struct Taken {
    ran: Vec<Ran>,
    /// Failed attempts of runs under way, by position.
    attempts: BTreeMap<usize, Vec<Attempt>>,
    /// What the grade calls the runs' directory (`runs`).
    prefix: String,
    fatal: Option<anyhow::Error>,
}

fn on_done(
    done: Done,
    items: &[(crate::orchestrator::batch::plan::Item, GradeRun)],
    progress: &Progress,
    taken: &mut Taken,
    stop: &AtomicBool,
) -> Next {
    let (item, what) = &items[done.position];
    let finished = match done.result {
        Ok(finished) => finished,
        Err(e) => {
            let e = e.context(format!("the run {} failed", item.label));
            taken.fatal.get_or_insert(e);
            return Next::Stop;
        }
    };
    // A run that could not be carried out (its network was not built) has
    // no verdicts: nothing the student did failed, so every item would
    // pass. The grade stops instead of giving points nobody earned.
    if let Some(why) = not_carried_out(&finished.record) {
        let e = anyhow::anyhow!(
            "the run {} could not be carried out, so no grade was given: {why}",
            item.label
        );
        taken.fatal.get_or_insert(e);
        return Next::Stop;
    }
    let facts = RunFacts::of(&item.scenario, &finished.record, what.names_known);
    let run = BatchRun {
        index: item.index,
        key: item.key.clone(),
        label: item.label.clone(),
        dir: finished
            .dir
            .as_deref()
            .and_then(|d| d.file_name())
            .map(|n| format!("{}/{}", taken.prefix, n.to_string_lossy())),
        record: slim(finished.record),
    };
    let earlier = taken.attempts.entry(done.position).or_default();
    // Run again only a run that failed nothing but what timing decides: a
    // deadlock, a program that died on its own, or any other failure is no
    // matter of the machine's timing.
    let failed: Vec<_> = run.record.verdicts.iter().filter(|v| !v.passed).collect();
    let on_timing = !failed.is_empty()
        && failed.iter().all(|v| check::failed_on_timing(v))
        && facts.deadlock.is_none()
        && facts.crashed.is_empty();
    if on_timing && earlier.len() + 1 < ATTEMPTS && !stop.load(Ordering::SeqCst) {
        let why = format!(
            "        AGAIN {} failed where timing decides: attempt {} of {ATTEMPTS}",
            item.label,
            earlier.len() + 2
        );
        progress.retried(&run, &done.output, &why);
        earlier.push(Attempt::of(&run));
        return Next::Again;
    }
    progress.finished(&run, &done.output);
    let earlier = taken.attempts.remove(&done.position).unwrap_or_default();
    taken.ran.push(Ran {
        what: what.clone(),
        run,
        facts,
        earlier,
    });
    Next::Go
}

/// Why a run was not carried out — an error of the environment, and no
/// verdict — or `None` for a run that was (an interrupted run is neither:
/// the grade says it was interrupted).
fn not_carried_out(record: &RunRecord) -> Option<&str> {
    if record.outcome == Outcome::Error && record.verdicts.is_empty() {
        Some(record.error.as_deref().unwrap_or("no reason given"))
    } else {
        None
    }
}

fn failed_ids(record: &RunRecord) -> Vec<String> {
    record
        .verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| v.id.clone())
        .collect()
}

/// Every student's twelve cells, from their runs.
fn judge_class(subs: &[Submission], g: &Grading, ran: Vec<Ran>) -> Vec<StudentGrade> {
    let mut by_student: BTreeMap<usize, Vec<Ran>> = BTreeMap::new();
    for r in ran {
        by_student.entry(r.what.student).or_default().push(r);
    }
    subs.iter()
        .enumerate()
        .map(|(i, sub)| {
            let mut runs = by_student.remove(&i).unwrap_or_default();
            runs.sort_by_key(|r| r.run.index);
            judge_student(sub, g, &runs)
        })
        .collect()
}

fn judge_student(sub: &Submission, g: &Grading, ran: &[Ran]) -> StudentGrade {
    let source = plan::source_evidence(sub);
    let student_runs: Vec<StudentRun> = ran
        .iter()
        .map(|r| StudentRun {
            pairing: r.what.pairing,
            case: r.what.case,
            label: format!("{} {}", r.what.pairing.word(), r.what.case),
            dir: r.run.dir.clone(),
            verdicts: &r.run.record.verdicts,
            facts: &r.facts,
            mininet: r.run.record.backend == "mininet",
        })
        .collect();
    let blocks = Blocks {
        server: sub.server_blocked(),
        clients: sub.clients_blocked(),
    };
    let items = judge::judge(&student_runs, &blocks, &g.points, &source);
    let missing = [&blocks.server, &blocks.clients]
        .into_iter()
        .flatten()
        .map(|b| b.why.clone())
        .collect();
    StudentGrade {
        student: sub.student.clone(),
        score: items.iter().map(|i| i.points).sum(),
        max_score: g.points.iter().sum(),
        items,
        missing,
        source,
        discovered: discovered(sub),
        runs: ran.iter().map(graded_run).collect(),
    }
}

/// What discovery found, in words for the report.
fn discovered(sub: &Submission) -> Discovered {
    let d = &sub.discovery;
    let mut programs = Vec::new();
    let say = |role: &str, p: &discover::Program| {
        format!(
            "{role}: {} — started as {}",
            p.why,
            shell_words::join(&p.run)
        )
    };
    match &d.server {
        Ok(p) => programs.push(say("server", p)),
        Err(m) => programs.push(format!("server: {m}")),
    }
    match &d.clients {
        Ok(discover::Clients::One(c)) => programs.push(say("client (both X and Y)", &c.program)),
        Ok(discover::Clients::Two { x, y }) => {
            programs.push(say("client X (the first to connect)", &x.program));
            programs.push(say("client Y", &y.program));
        }
        Err(m) => programs.push(format!("client: {m}")),
    }
    Discovered {
        programs,
        ignored: d
            .ignored
            .iter()
            .map(|i| format!("{}: {}", i.file.display(), i.why))
            .collect(),
        problems: d.problems().iter().map(|p| p.to_string()).collect(),
        builds: sub.builds.clone(),
    }
}

fn graded_run(r: &Ran) -> GradedRun {
    let record = &r.run.record;
    let mut notes: Vec<String> = record
        .verdicts
        .iter()
        .filter_map(|v| v.note.as_ref().map(|n| format!("{}: {n}", v.id)))
        .collect();
    if let Some(e) = &record.error {
        notes.push(e.clone());
    }
    if !r.earlier.is_empty() {
        notes.push(attempts_note(r));
    }
    GradedRun {
        pairing: r.what.pairing,
        case: r.what.case.to_string(),
        dir: r.run.dir.clone(),
        passed: record.passed(),
        failed: record
            .verdicts
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.id.clone())
            .collect(),
        notes,
        facts: r.facts.clone(),
        duration_ms: record.duration_ms + r.earlier.iter().map(|a| a.duration_ms).sum::<f64>(),
    }
}

/// What a run's earlier attempts say: it failed a check that timing
/// decides, and was run again.
fn attempts_note(r: &Ran) -> String {
    let earlier: Vec<String> = r
        .earlier
        .iter()
        .map(|a| {
            format!(
                "{} failed {}",
                a.dir.as_deref().unwrap_or("an attempt"),
                a.failed.join(", ")
            )
        })
        .collect();
    let n = r.earlier.len() + 1;
    if r.run.record.passed() {
        format!(
            "passed on attempt {n} ({}): timing decides the checks that failed — a program woken late on a busy machine, or a race in the program",
            earlier.join("; ")
        )
    } else {
        format!(
            "failed all {n} attempts ({}): not the machine's timing",
            earlier.join("; ")
        )
    }
}

/// Everything the grade writes into its directory.
fn write_grade(
    dir: &mut RunDir,
    summary: &GradeSummary,
    view: &super::regrade::View,
) -> Result<()> {
    for (file, contents) in view.files(summary) {
        if let Some((parent, _)) = file.rsplit_once('/') {
            std::fs::create_dir_all(dir.path().join(parent))?;
        }
        dir.write(&file, contents)?;
    }
    Ok(())
}

/// The line under the gradebook's title: how it was graded.
pub(super) fn grade_facts(summary: &GradeSummary) -> String {
    let mut facts = vec![
        format!(
            "{} student{}",
            summary.students.len(),
            if summary.students.len() == 1 { "" } else { "s" }
        ),
        format!("backend {}", summary.backend),
        if summary.strict {
            "strict".to_string()
        } else {
            "lenient (slips of the seed's strings pass with a note)".to_string()
        },
    ];
    if !summary.shards.is_empty() {
        facts.push(format!("shards {}", summary.shards.join(", ")));
    }
    if summary.interrupted {
        facts.push("**interrupted**".into());
    }
    facts.join(" · ")
}

/// The gradebook on the terminal: a row per student, the path last.
pub(super) fn print_gradebook(summary: &GradeSummary, path: &Path, color: bool) {
    let paint = Paint { color };
    let width = summary
        .students
        .iter()
        .map(|s| s.student.chars().count())
        .max()
        .unwrap_or(0);
    for s in &summary.students {
        let cells: String = s
            .items
            .iter()
            .map(|i| match i.cell {
                rubric::Cell::Pass => paint.paint(crate::orchestrator::report::style::GREEN, "P"),
                rubric::Cell::Fail => paint.paint(crate::orchestrator::report::style::RED, "F"),
                rubric::Cell::Review => "R".to_string(),
                rubric::Cell::NotApplicable => "-".to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        let pad = " ".repeat(width - s.student.chars().count());
        outln!(
            "  {}{pad}  {:>5} / {:<5}  {cells}",
            s.student,
            s.score,
            s.max_score
        );
    }
    outln!("gradebook: {}", path.join("gradebook.md").display());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::record::Verdict;

    fn record(outcome: Outcome, error: Option<&str>, verdicts: Vec<Verdict>) -> RunRecord {
        let mut r: RunRecord = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "scenario": "s", "description": "", "file": "s.yaml",
            "backend": "local", "started_utc": "", "duration_ms": 0.0, "phases": [],
            "processes": [], "events": [], "verdicts": [], "ack_observed": null,
            "ack_expected": null, "exit_code": outcome.exit_code(), "error": error, "files": [],
            "capture": null
        }))
        .unwrap();
        r.verdicts = verdicts;
        r
    }

    #[test]
    fn a_run_whose_network_was_not_built_was_not_carried_out() {
        let why = "cannot give this job a network namespace of its own";
        assert_eq!(
            not_carried_out(&record(Outcome::Error, Some(why), Vec::new())),
            Some(why)
        );
        // A run that was carried out, whatever its end, was.
        let failed = Verdict::new("steps", "steps", false, "x", "y", Vec::new());
        let left = record(
            Outcome::Error,
            Some("had to remove leftovers"),
            vec![failed],
        );
        assert_eq!(not_carried_out(&left), None);
        assert_eq!(
            not_carried_out(&record(Outcome::Failed, None, Vec::new())),
            None
        );
        let interrupted = record(Outcome::Interrupted, Some("interrupted"), Vec::new());
        assert_eq!(not_carried_out(&interrupted), None);
    }
}
