//! pa3-mininet: the PA3 TCP client/server assignment in Rust, and the tool
//! that proves it on a real emulated network.
//!
//! The map, from the wire up:
//! - [`protocol`] — the assignment's exact strings, framing and lenient
//!   parsing (pure);
//! - [`wire`] — reading and writing those messages on a TCP stream, with
//!   the timing rules (quiet period, silent and slow peers);
//! - [`server`] and [`client`] — the two programs, behind the thin
//!   `server` and `client` binaries.
pub mod client;
pub mod protocol;
pub mod record;
pub mod report;
pub mod scenario;
pub mod server;
pub mod wire;
