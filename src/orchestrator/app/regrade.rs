//! What a grade's directory holds besides its gradebook ([`View`]: the
//! class page, the exports, the similarity check, the grading config as
//! used, the history), and changing a grade in place:
//!
//! - `orchestrate grade CLASS --only STUDENT… --into GRADE_DIR` runs those
//!   students again (a resubmission, a regrade request) into
//!   `GRADE_DIR/runs/regrade-<time>/`, puts their grades in the place of
//!   the old ones and writes the gradebook, reports, Gradescope files, the
//!   class page and the exports again;
//! - `orchestrate grade CLASS --rescore --into GRADE_DIR` re-applies the
//!   class's `grading.yaml` to the verdicts recorded, running nothing — when
//!   only its points (or Gradescope visibility) changed.
//!
//! Either keeps the grade as it was in `GRADE_DIR/history/<time>/` and
//! notes the change in `history.json`. Refused (exit 2, nothing written):
//! a directory that is no grade, a `grading.yaml` whose other settings
//! changed (the runs would differ: grade again), another backend or
//! strictness, a student not in the class. Two changes of one grade at
//! once are refused too (a lock), as is a regrade that was interrupted
//! (the grade stays as it was, its runs removed).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use anyhow::{bail, Context, Result};
use time::OffsetDateTime;

use super::grade::{
    config_path, grade_facts, grade_students, prepare_to_run, print_gradebook, GradeArgs,
};
use super::{EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK};
use crate::orchestrator::console::stdout_wants_color;
use crate::orchestrator::grade::config::Grading;
use crate::orchestrator::grade::page::{self, Extras};
use crate::orchestrator::grade::regrade::{self, Change, Entry};
use crate::orchestrator::grade::similarity::{self, Doc, Params, Report};
use crate::orchestrator::grade::{book, build, merge, plan, GradeSummary, StudentGrade};
use crate::orchestrator::results;
use crate::orchestrator::state::StateFile;

/// The similarity check of a class, with the submissions it read (its
/// pages show their code).
pub(crate) struct Similar {
    report: Report,
    students: Vec<Doc>,
    references: Vec<Doc>,
}

/// Everything of a grade's directory but its runs.
#[derive(Default)]
pub(crate) struct View {
    /// Computed now: its pages are written.
    similar: Option<Similar>,
    /// Read from the directory: its pages are there already.
    kept_similarity: Option<Report>,
    /// `grading.yaml` as used, to keep with the grade.
    grading_text: Option<String>,
    history: Vec<Entry>,
    /// Files written as they are (a shard's similarity pages).
    copied: Vec<(String, String)>,
}

/// The text of the grading config at `path`, as the grade keeps it.
fn config_text(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok("# no grading.yaml: the defaults\n".into())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The similarity check of the students of `class` named in `names`
/// (with `--reference`'s solutions); `None`, with a warning, when the
/// class cannot be read (the grade stands without it).
fn similar(class: &Path, reference: Option<&Path>, names: &[&str]) -> Option<Similar> {
    // The students as the grade found them (a folder each, or the class
    // folder itself when it is one submission), and the references.
    let read = || -> Result<(Vec<Doc>, Vec<Doc>)> {
        let mut students = Vec::new();
        for (name, dir) in plan::folders(class)? {
            if names.contains(&name.as_str()) {
                students.push(Doc::new(&name, similarity::read_sources(&dir)?));
            }
        }
        let references = match reference {
            Some(dir) => similarity::read_class(dir, true)?,
            None => Vec::new(),
        };
        Ok((students, references))
    };
    match read() {
        Ok((students, references)) => {
            let report = similarity::compare(&students, &references, &Params::default());
            Some(Similar {
                report,
                students,
                references,
            })
        }
        Err(e) => {
            eprintln!("warning: the similarity check was not done: {e:#}");
            None
        }
    }
}

impl View {
    /// The view of a grade just made: the similarity check of the class
    /// (every student the grade's `--filter` takes, whatever its shard:
    /// the shards' checks are then the same) and the config as used.
    pub(super) fn of_new_grade(args: &GradeArgs, summary: &GradeSummary) -> View {
        let names: Vec<String> = plan::folders(&args.submissions)
            .map(|folders| {
                folders
                    .into_iter()
                    .map(|(student, _)| student)
                    .filter(|s| args.filter.is_empty() || args.filter.iter().any(|p| s.contains(p)))
                    .collect()
            })
            .unwrap_or_else(|_| summary.students.iter().map(|s| s.student.clone()).collect());
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        View {
            similar: similar(&args.submissions, args.reference.as_deref(), &names),
            grading_text: config_text(&config_path(args)).ok(),
            ..View::default()
        }
    }

    /// The view of an existing grade's directory: its similarity check
    /// and history as they are.
    pub(super) fn of_dir(dir: &Path) -> Result<View> {
        let kept_similarity = match std::fs::read_to_string(dir.join("similarity.json")) {
            Ok(text) => Some(serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a similarity check",
                    dir.join("similarity.json").display()
                )
            })?),
            Err(_) => None,
        };
        let history = match std::fs::read_to_string(dir.join("history.json")) {
            Ok(text) => serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a grade's history",
                    dir.join("history.json").display()
                )
            })?,
            Err(_) => Vec::new(),
        };
        Ok(View {
            kept_similarity,
            history,
            ..View::default()
        })
    }

    /// The view of shards merged into one grade: the first shard's
    /// similarity check (each shard checks the whole class) and config.
    pub(super) fn of_shards(first: &Path) -> Result<View> {
        let mut view = View::of_dir(first)?;
        view.history.clear();
        view.grading_text = std::fs::read_to_string(first.join("grading.yaml")).ok();
        let mut names = vec!["similarity.json".to_string(), "similarity.csv".to_string()];
        if let Ok(pages) = std::fs::read_dir(first.join("similarity")) {
            names.extend(
                pages
                    .flatten()
                    .map(|e| format!("similarity/{}", e.file_name().to_string_lossy())),
            );
        }
        for name in names {
            if let Ok(text) = std::fs::read_to_string(first.join(&name)) {
                view.copied.push((name, text));
            }
        }
        Ok(view)
    }

    /// Every file of the grade's directory but its runs, relative to it.
    pub(super) fn files(&self, summary: &GradeSummary) -> Vec<(String, String)> {
        let facts = grade_facts(summary);
        let mut out = book::files(summary, &facts);
        let report = self
            .similar
            .as_ref()
            .map(|s| &s.report)
            .or(self.kept_similarity.as_ref());
        let extras = Extras {
            similarity: report,
            history: &self.history,
        };
        out.extend(page::files(summary, &facts, extras));
        if let Some(s) = &self.similar {
            out.extend(super::similarity::files(
                &s.report,
                &s.students,
                &s.references,
            ));
        }
        out.extend(self.copied.iter().cloned());
        if let Some(text) = &self.grading_text {
            out.push(("grading.yaml".into(), text.clone()));
        }
        if !self.history.is_empty() {
            let json = serde_json::to_string_pretty(&self.history).expect("JSON serialises");
            out.push(("history.json".into(), json + "\n"));
        }
        out
    }
}

/// An existing grade, held against a second change at the same time.
struct Held {
    summary: GradeSummary,
    _lock: File,
}

fn hold(dir: &Path) -> Result<Held> {
    let summary = merge::read(dir)?;
    let path = dir.join(".regrade.lock");
    let lock = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    if lock.try_lock().is_err() {
        bail!(
            "{}: another change of this grade is under way",
            dir.display()
        );
    }
    Ok(Held {
        summary,
        _lock: lock,
    })
}

/// Why this change cannot be made to `old` as it was graded (`recorded`:
/// the config it kept, if any), or nothing.
fn refusal(
    old: &GradeSummary,
    args: &GradeArgs,
    g: &Grading,
    text: &str,
    recorded: Option<&str>,
) -> Result<()> {
    if !args.rescore && old.backend != args.backend.name() {
        bail!(
            "the grade was graded on {} and this would run on {}: give --backend {}",
            old.backend,
            args.backend.name(),
            old.backend
        );
    }
    if old.strict != g.strict {
        bail!(
            "the grade was graded {} and this would be {}: the verdicts differ (grade the class again)",
            if old.strict { "--strict" } else { "leniently" },
            if g.strict { "--strict" } else { "lenient" }
        );
    }
    let Some(recorded) = recorded else {
        if args.rescore {
            bail!("the grade keeps no grading.yaml (it was graded by an older orchestrate): whether only points changed cannot be told; grade the class again");
        }
        eprintln!("note: the grade keeps no grading.yaml (it was graded by an older orchestrate): the one given is assumed to be the same");
        return Ok(());
    };
    let changed = regrade::changed_settings(recorded, text).context("grading.yaml")?;
    if !changed.is_empty() {
        bail!(
            "grading.yaml's {} changed since the grade: the programs would run differently, so every student must be graded again (only points and visibility can be re-applied with --rescore)",
            changed.join(", ")
        );
    }
    let old_points: Vec<f64> = old
        .students
        .first()
        .map(|s| s.items.iter().map(|i| i.max_points).collect())
        .unwrap_or_default();
    if !args.rescore && !old_points.is_empty() && old_points != g.points {
        bail!("grading.yaml's points changed since the grade: re-apply them to everyone first (--rescore), then regrade");
    }
    Ok(())
}

/// `grade --into GRADE_DIR` with `--only` or `--rescore`.
pub(super) fn regrade(args: &GradeArgs, into: &Path) -> Result<i32> {
    if args.only.is_empty() && !args.rescore {
        eprintln!("error: --into changes an existing grade: give --only STUDENT (run them again) or --rescore (re-apply grading.yaml's points)");
        return Ok(EXIT_INVALID);
    }
    let checked = (|| -> Result<(Held, Grading, String)> {
        if let Some(dir) = args.reference.as_ref().filter(|d| !d.is_dir()) {
            bail!("--reference {}: no such folder", dir.display());
        }
        let held = hold(into)?;
        let config = config_path(args);
        let text = config_text(&config)?;
        let mut grading = Grading::load(&config)?;
        grading.strict |= args.strict;
        let recorded = std::fs::read_to_string(into.join("grading.yaml")).ok();
        refusal(&held.summary, args, &grading, &text, recorded.as_deref())?;
        Ok((held, grading, text))
    })();
    let (held, grading, text) = match checked {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(EXIT_INVALID);
        }
    };
    let mut view = View::of_dir(into)?;
    let mut new = held.summary.clone();
    let (what, changes) = if args.rescore {
        let changes = regrade::rescore(&mut new, &grading.points);
        new.visibility = grading.visibility.clone();
        view.grading_text = Some(text);
        ("grading.yaml's points re-applied".to_string(), changes)
    } else {
        let students = match run_again(args, &grading, into)? {
            Ok(students) => students,
            Err(code) => return Ok(code),
        };
        let names: Vec<&str> = students.iter().map(|s| s.student.as_str()).collect();
        let what = format!("graded again: {}", names.join(", "));
        let changes = regrade::replace(&mut new, students);
        let all: Vec<&str> = new.students.iter().map(|s| s.student.as_str()).collect();
        view.similar = similar(&args.submissions, args.reference.as_deref(), &all);
        (what, changes)
    };
    write_change(into, &held.summary, &new, view, (what, changes))?;
    Ok(EXIT_OK)
}

/// The `--only` students of the class, graded again into
/// `runs/regrade-<time>/` of the grade; an exit code instead when they
/// cannot be (not in the class: 2; interrupted: 130, nothing kept).
fn run_again(
    args: &GradeArgs,
    grading: &Grading,
    into: &Path,
) -> Result<Result<Vec<StudentGrade>, i32>> {
    let subs = match students_named(args, grading) {
        Ok(subs) => subs,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(Err(EXIT_INVALID));
        }
    };
    let ready = prepare_to_run(args)?;
    let stamp = results::stamp(OffsetDateTime::now_utc());
    let runs = into.join("runs");
    std::fs::create_dir_all(&runs).with_context(|| format!("cannot create {}", runs.display()))?;
    // Written under a hidden name that a dead orchestrate's leftovers are
    // removed by, and renamed when every run is in.
    let tmp_name = format!(".incomplete-regrade-{stamp}-{}", std::process::id());
    let tmp = runs.join(&tmp_name);
    std::fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut owner = StateFile::create("grade")?;
    owner.state.incomplete_dir = Some(std::fs::canonicalize(&tmp)?);
    owner.save()?;
    let hidden = [
        args.submissions.clone(),
        into.to_path_buf(),
        args.results.clone(),
    ];
    let prefix = format!("runs/{tmp_name}");
    let mut students = grade_students(args, grading, subs, &ready, (&tmp, &prefix), &hidden)?;
    if ready.stop.load(Ordering::SeqCst) {
        owner.release();
        eprintln!("interrupted: the grade is as it was");
        return Ok(Err(EXIT_INTERRUPTED));
    }
    let done = free_name(&runs, &format!("regrade-{stamp}"));
    std::fs::rename(&tmp, runs.join(&done))
        .with_context(|| format!("cannot rename {}", tmp.display()))?;
    owner.state.incomplete_dir = None;
    owner.release();
    let (from, to) = (format!("{prefix}/"), format!("runs/{done}/"));
    for s in &mut students {
        rename_runs(s, &from, &to);
    }
    Ok(Ok(students))
}

/// The class's students `--only` names; an error naming those it lacks.
fn students_named(args: &GradeArgs, grading: &Grading) -> Result<Vec<plan::Submission>> {
    let all = plan::folders(&args.submissions)?;
    let unknown: Vec<String> = args
        .only
        .iter()
        .filter(|o| !all.iter().any(|(s, _)| s == *o))
        .map(|u| format!("{u:?}"))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "{}: no such student folder in {}",
            unknown.join(", "),
            args.submissions.display()
        );
    }
    let named = all
        .into_iter()
        .filter(|(s, _)| args.only.contains(s))
        .collect();
    Ok(build::discover_all(named, grading))
}

/// `name`, or `name-2`, `-3`… if `dir` holds it already.
fn free_name(dir: &Path, name: &str) -> String {
    (1..)
        .map(|n| {
            if n == 1 {
                name.to_string()
            } else {
                format!("{name}-{n}")
            }
        })
        .find(|n| !dir.join(n).exists())
        .expect("a free name")
}

/// A student's run directories under `from` moved to `to`.
fn rename_runs(s: &mut StudentGrade, from: &str, to: &str) {
    let moved = |d: &mut Option<String>| {
        if let Some(rest) = d.as_deref().and_then(|d| d.strip_prefix(from)) {
            *d = Some(format!("{to}{rest}"));
        }
    };
    for r in &mut s.runs {
        moved(&mut r.dir);
    }
    for item in &mut s.items {
        for e in &mut item.evidence {
            moved(&mut e.dir);
        }
    }
}

/// Keeps `old` in the history, writes `new` over it, and says what
/// changed.
fn write_change(
    into: &Path,
    old: &GradeSummary,
    new: &GradeSummary,
    mut view: View,
    (what, changes): (String, Vec<Change>),
) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let history = into.join("history");
    let kept = format!("history/{}", free_name(&history, &results::stamp(now)));
    for (file, text) in regrade::snapshot(old, &kept, &grade_facts(old)) {
        write(into, &file, &text)?;
    }
    view.history.push(Entry {
        when_utc: results::rfc3339(now),
        what: what.clone(),
        dir: kept.clone(),
        students: changes.clone(),
    });
    if view.similar.is_some() {
        let _ = std::fs::remove_dir_all(into.join("similarity"));
    }
    for (file, text) in view.files(new) {
        write(into, &file, &text)?;
    }
    results::give_to_invoking_user(into);
    outln!(
        "{what}; the grade before is kept in {}",
        into.join(&kept).display()
    );
    for c in &changes {
        outln!(
            "  {}: {} -> {}",
            c.student,
            c.before.map(book::number).unwrap_or_else(|| "new".into()),
            book::number(c.after)
        );
    }
    // The gradebook last, its path the last line, as a grade prints it.
    print_gradebook(new, into, stdout_wants_color());
    Ok(())
}

/// Writes `file` (relative to `dir`) whole or not at all.
fn write(dir: &Path, file: &str, text: &str) -> Result<()> {
    let path: PathBuf = dir.join(file);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    results::write_atomic(&path, text)
}
