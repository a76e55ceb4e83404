//! What a batch shows while it runs: one line per run as it ends (`PASS
//! [0.412s] case2 #3`), under a progress bar with an ETA when stdout is a
//! terminal (indicatif), plain lines otherwise; nothing with `--quiet` or
//! `--json`. With `--verbose`, each run's live output comes whole before
//! its line, never interleaved with another run's.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::orchestrator::batch::summary::BatchRun;
use crate::orchestrator::report::batch::status_line;
use crate::orchestrator::report::style::Paint;

pub(super) struct Progress {
    bar: Option<ProgressBar>,
    /// Print a line per run.
    lines: bool,
    pub paint: Paint,
}

impl Progress {
    /// For `total` runs; `lines`: a line per run (not `--quiet`/`--json`).
    pub fn new(total: usize, lines: bool, paint: Paint) -> Progress {
        let bar = (lines && total > 1 && std::io::stdout().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stdout_with_hz(10),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12} [{elapsed_precise}] [{bar:30}] {pos}/{len}, ETA {eta}",
                )
                .expect("a fixed template")
                .progress_chars("=> "),
            );
            bar.set_prefix("Running");
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress { bar, lines, paint }
    }

    /// A line above the bar (or just a line).
    pub fn say(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }

    /// A run ended: its kept live output, then its line.
    pub fn finished(&self, run: &BatchRun, output: &[String]) {
        if self.lines {
            for line in output {
                self.say(line);
            }
            self.say(&status_line(run, self.paint));
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// A run that will be run again: its lines and why, and the bar stays
    /// where it is (the run is not done yet).
    pub fn retried(&self, run: &BatchRun, output: &[String], why: &str) {
        if self.lines {
            for line in output {
                self.say(line);
            }
            self.say(&status_line(run, self.paint));
            self.say(why);
        }
    }

    /// The batch ended: the bar goes.
    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
