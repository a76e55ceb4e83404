//! The programs the benchmark measures, run as a user runs them: the
//! `orchestrate` binary (this very one) as a child process, timed from the
//! outside, its results written into a directory of the benchmark's own
//! and read back; and Mininet's own `mn` for the floor.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::probes;
use pa3_mininet::orchestrator::batch::summary::{self, BatchSummary};
use pa3_mininet::orchestrator::event::ms;
use pa3_mininet::orchestrator::record::RunRecord;
use pa3_mininet::orchestrator::sys::find_program;

/// The command of Mininet's floor.
pub const FLOOR_ARGS: [&str; 7] = [
    "--switch",
    "lxbr",
    "--controller",
    "none",
    "--topo",
    "single,3",
    "--test",
];

/// The floor's command as a person writes it.
pub fn floor_command() -> String {
    format!("mn {} none", FLOOR_ARGS.join(" "))
}

/// What the benchmark drives.
pub struct Tools {
    /// `orchestrate`: this program.
    pub orchestrate: PathBuf,
    /// Where `server` and `client` are.
    pub bin_dir: PathBuf,
    /// The repository: `experiments/` is here; children run here.
    pub repo: PathBuf,
    /// Where the children's results go (a directory per invocation).
    pub work: PathBuf,
    /// Keep the children's results (else they are removed when the
    /// benchmark ends).
    pub keep: bool,
    next: std::cell::Cell<usize>,
    /// Results read and no longer needed, removed when the benchmark ends.
    done: std::cell::RefCell<Vec<PathBuf>>,
}

/// One `orchestrate` invocation: its wall time and where its results are.
pub struct Invocation {
    pub wall_ms: f64,
    /// The CPU time it and everything it ran used.
    pub cpu_ms: f64,
    pub results: PathBuf,
    pub code: i32,
    pub output: Output,
}

impl Tools {
    pub fn new(
        orchestrate: PathBuf,
        bin_dir: PathBuf,
        repo: PathBuf,
        work: PathBuf,
        keep: bool,
    ) -> Tools {
        Tools {
            orchestrate,
            bin_dir,
            repo,
            work,
            keep,
            next: std::cell::Cell::new(0),
            done: std::cell::RefCell::default(),
        }
    }

    /// A fresh results directory, `work/<n>-<what>`.
    fn results_dir(&self, what: &str) -> Result<PathBuf> {
        let n = self.next.get();
        self.next.set(n + 1);
        let dir = self.work.join(format!("{n:03}-{what}"));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Runs `orchestrate --quiet --results DIR ARGS…` in the repository and
    /// times it. Exit 0 (passed) and 3 (a check failed) are results; any
    /// other code is an error, with what it printed.
    pub fn orchestrate(&self, what: &str, args: &[String]) -> Result<Invocation> {
        self.orchestrate_under(&[], what, args)
    }

    /// The same, under `prefix` (`chrt --rr 1`).
    pub fn orchestrate_under(
        &self,
        prefix: &[String],
        what: &str,
        args: &[String],
    ) -> Result<Invocation> {
        let results = self.results_dir(what)?;
        let mut cmd = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&self.orchestrate);
                c
            }
            None => Command::new(&self.orchestrate),
        };
        cmd.arg("--quiet")
            .arg("--results")
            .arg(&results)
            .args(args)
            .current_dir(&self.repo)
            // Under `cargo run` the child would otherwise build the binaries
            // again before every run.
            .env_remove("CARGO")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null());
        let cpu0 = probes::waited_children_cpu_time().unwrap_or_default();
        let t0 = Instant::now();
        let output = cmd
            .output()
            .with_context(|| format!("cannot run {}", self.orchestrate.display()))?;
        let wall_ms = ms(t0.elapsed());
        let cpu_ms = ms(probes::waited_children_cpu_time()
            .unwrap_or_default()
            .saturating_sub(cpu0));
        let code = output.status.code().unwrap_or(-1);
        if code != 0 && code != 3 {
            bail!(
                "`orchestrate {}` exited with {}:\n{}{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(Invocation {
            wall_ms,
            cpu_ms,
            results,
            code,
            output,
        })
    }

    /// Marks an invocation's results as read: they are removed when the
    /// benchmark ends, unless they are to be kept. Not now: on a
    /// filesystem without a journal (ext4 here), creating files for the
    /// next ~30 s after many were deleted costs a scan over the recently
    /// deleted inodes, which would slow the next batch's run directories
    /// and not the bare exchanges it is compared with.
    pub fn done_with(&self, inv: &Invocation) {
        if !self.keep {
            self.done.borrow_mut().push(inv.results.clone());
        }
    }
}

/// The results read are removed when the benchmark ends, whichever way.
impl Drop for Tools {
    fn drop(&mut self) {
        for dir in self.done.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The record of a run of its own (`results/latest/summary.json`).
pub fn run_record(results: &Path) -> Result<RunRecord> {
    let file = results.join("latest").join("summary.json");
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a run's summary", file.display()))
}

/// A batch's summary and its runs' full records (those whose directory
/// holds one), in plan order.
pub fn batch(results: &Path) -> Result<(BatchSummary, Vec<RunRecord>)> {
    let dir = summary::find_batch(results)?;
    let s = summary::read(&dir)?;
    let mut records = Vec::with_capacity(s.runs.len());
    for r in &s.runs {
        let Some(d) = &r.dir else { continue };
        let file = dir.join(d).join("summary.json");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        records.push(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a run's summary", file.display()))?,
        );
    }
    Ok((s, records))
}

/// One run of Mininet's floor: its wall time in ms. It builds in the
/// machine's own namespace with a bridge named `s1`, so it waits while
/// another `mn` has one up, and never runs beside one.
pub fn mininet_floor() -> Result<f64> {
    let mn = find_program("mn").context("`mn` not found: install Mininet (scripts/setup)")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Path::new("/sys/class/net/s1").exists() {
        if Instant::now() >= deadline {
            bail!(
                "a bridge `s1` (another `mn`?) stayed up for a minute: the floor was not measured"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let t0 = Instant::now();
    let out = Command::new(mn)
        .args(FLOOR_ARGS)
        .arg("none")
        .stdin(Stdio::null())
        .output()
        .context("cannot run mn")?;
    let wall = ms(t0.elapsed());
    if !out.status.success() {
        bail!(
            "`{}` failed ({}):\n{}",
            floor_command(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(wall)
}
