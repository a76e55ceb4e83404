//! The live output of a run: one line per event, prefixed with its time and
//! the program's host and role (`[h1 server] …`), coloured on a terminal
//! unless `NO_COLOR` is set. The runner hands events over in time order.
//! A run of its own prints them as they come; a run of a batch keeps them
//! and they are printed whole when it ends, so that parallel runs never
//! interleave line by line.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use crate::orchestrator::event::{Event, EventKind, Stream};
use crate::orchestrator::report::style::{Paint, BOLD, CYAN, DIM, YELLOW};
use crate::orchestrator::runner::Console;

/// Whether stdout wants colour: a terminal, and no `NO_COLOR`.
pub fn stdout_wants_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Live output of one run.
pub struct Term {
    pub quiet: bool,
    pub verbose: bool,
    pub paint: Paint,
    /// `None`: print each line now; `Some`: keep them (see [`Term::take`]).
    kept: Option<Mutex<Vec<String>>>,
}

impl Term {
    /// Prints every line as it comes.
    pub fn new(quiet: bool, verbose: bool) -> Term {
        Term {
            quiet,
            verbose,
            paint: Paint {
                color: stdout_wants_color(),
            },
            kept: None,
        }
    }

    /// Keeps every line, for [`Term::take`].
    pub fn keeping(verbose: bool, color: bool) -> Term {
        Term {
            quiet: false,
            verbose,
            paint: Paint { color },
            kept: Some(Mutex::new(Vec::new())),
        }
    }

    /// The lines kept so far (and forgets them).
    pub fn take(&self) -> Vec<String> {
        self.kept
            .as_ref()
            .map(|k| std::mem::take(&mut *k.lock().expect("kept lines")))
            .unwrap_or_default()
    }

    /// The line shown for an event, without its time; `None`: not shown.
    fn line(&self, label: &str, e: &Event) -> Option<String> {
        let p = self.paint;
        let tag = |style| p.paint(style, &format!("[{label}]"));
        Some(match &e.kind {
            EventKind::Started { .. } if !self.verbose => return None,
            EventKind::Started { .. } => p.paint(DIM, &format!("[{label}] $ {}", e.kind)),
            EventKind::Typed { text } => {
                format!(
                    "{} {}",
                    tag(CYAN),
                    p.paint(BOLD, &format!("<typed> {text}"))
                )
            }
            EventKind::Output {
                stream: Stream::Stdout,
                text,
            } => format!("{} {text}", tag(CYAN)),
            EventKind::Output {
                stream: Stream::Stderr,
                text,
            } => format!("{} {text}", tag(YELLOW)),
            EventKind::Exited { .. } => p.paint(DIM, &format!("[{label}] {}", e.kind)),
            _ => p.paint(DIM, &format!("==> {}", e.kind)),
        })
    }
}

impl Console for Term {
    fn event(&self, label: &str, e: &Event) {
        if self.quiet {
            return;
        }
        let Some(line) = self.line(label, e) else {
            return;
        };
        let line = format!(
            "{:>8} {line}",
            self.paint.paint(DIM, &format!("{:.0}ms", e.t_ms))
        );
        match &self.kept {
            Some(kept) => kept.lock().expect("kept lines").push(line),
            None => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }
}
