//! The orchestrator: runs PA3 scenarios on a real Mininet network (or on
//! loopback) and checks what the programs print.
//!
//! The map, in the order a run goes through it:
//! - [`scenario`] — the YAML a person writes, validated once into a
//!   `ValidScenario` (errors carry file:line:col);
//! - [`topology`] — a scenario → the Python program that builds its
//!   Mininet network (pure);
//! - [`net`] — the backends: Mininet (driver process + `mnexec`) and local
//!   loopback;
//! - [`runner`] — carries out the steps, records every line with a
//!   monotonic timestamp into one stream of typed events;
//! - [`check`] — the table of checks: events in, verdicts out (pure);
//! - [`event`] — the typed events of a run (what the checks and reports
//!   match on); [`record`] — the run as data; [`report`] — pure writers from it to
//!   Markdown, SVG, JUnit and JSON; [`results`] — the run directory;
//! - [`sandbox`] — how untrusted programs (students') run when graded:
//!   a user per job slot, resource limits, a private copy, hidden paths;
//! - [`state`] — what a run owns, so that nothing is left behind;
//!   [`sys`] — every signal, process-group and `/proc` call it takes;
//! - [`app`] — the `orchestrate` command's logic behind its thin binary.
//!
//! The benchmark that measures all of the above is a program of its own
//! (`scripts/pa3-bench`, package `pa3-bench`), outside this library.
pub mod app;
pub mod batch;
pub mod capture;
pub mod check;
pub mod console;
pub mod event;
pub mod grade;
pub mod link;
pub mod net;
pub mod record;
pub mod report;
pub mod results;
pub mod runner;
pub mod sandbox;
pub mod scenario;
pub mod state;
pub mod sys;
pub mod topology;

#[cfg(test)]
mod proptests;
