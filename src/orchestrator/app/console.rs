//! The live output of a run on the terminal: one line per event, prefixed
//! with its time and the program's host and role (`[h1 server] …`),
//! coloured on a terminal unless `NO_COLOR` is set. The runner hands events
//! over in time order.

use std::io::{IsTerminal, Write};

use crate::orchestrator::event::{Event, EventKind, Stream};
use crate::orchestrator::report::style::{Paint, BOLD, CYAN, DIM, YELLOW};
use crate::orchestrator::runner::Console;

/// Live output in the terminal.
pub(super) struct Term {
    pub quiet: bool,
    pub verbose: bool,
    pub paint: Paint,
}

impl Term {
    pub fn new(quiet: bool, verbose: bool) -> Term {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Term {
            quiet,
            verbose,
            paint: Paint { color },
        }
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
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{:>8} {line}",
            self.paint.paint(DIM, &format!("{:.0}ms", e.t_ms))
        );
    }
}
