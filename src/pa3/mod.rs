//! The assignment's programs: the PA3 server and client and the protocol
//! they speak. This folder stands alone: it imports nothing of
//! [`crate::orchestrator`], so the programs can be read (and graded) as the
//! assignment asks.
//!
//! - [`protocol`] — the exact strings, framing and lenient parsing (pure);
//! - [`wire`] — messages on a TCP stream, with the timing rules (quiet
//!   period, silent and slow peers, the kernel's arrival stamps);
//! - [`server`] and [`client`] — the two programs;
//! - [`cli`] — their command lines;
//! - [`build`] — the mark by which a binary of this build is known.
pub mod build;
pub mod cli;
pub mod client;
pub mod protocol;
pub mod server;
pub mod wire;

/// Prints one line to stdout and flushes it, so that whoever watches the
/// pipe (a person, the orchestrator) sees it now, not when a buffer fills.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
