//! pa3-mininet: the PA3 TCP client/server assignment in Rust, and the tool
//! that proves it on a real emulated network.
//!
//! The map, from the wire up:
//! - [`protocol`] — the assignment's exact strings, framing and lenient
//!   parsing (pure);
//! - [`wire`] — reading and writing those messages on a TCP stream, with
//!   the timing rules (quiet period, silent and slow peers);
//! - [`server`] and [`client`] — the two programs, behind the thin
//!   `server` and `client` binaries;
//! - [`scenario`] — the YAML a person writes, validated once into a
//!   `ValidScenario` (errors carry file:line:col);
//! - [`topology`] — a scenario → the Python program that builds its
//!   Mininet network (pure);
//! - [`net`] — the backends: Mininet (driver process + `mnexec`) and local
//!   loopback;
//! - [`runner`] — carries out the steps, records every line with a
//!   monotonic timestamp into one event stream;
//! - [`check`] — expectations → verdicts (pure);
//! - [`record`] — the run as data; [`report`] — pure writers from it to
//!   Markdown, SVG, JUnit and JSON; [`results`] — the run directory;
//! - [`state`] — what a run owns, so that nothing is left behind;
//! - [`app`] — the `orchestrate` command's logic behind its thin binary.
pub mod app;
pub mod capture;
pub mod check;
pub mod client;
pub mod net;
pub mod protocol;
pub mod record;
pub mod report;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod server;
pub mod state;
pub mod topology;
pub mod wire;

#[cfg(test)]
mod proptests;
