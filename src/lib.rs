//! pa3-mininet: the PA3 TCP client/server assignment in Rust, and the tool
//! that proves it on a real emulated network. Two products, side by side:
//!
//! - [`pa3`] — the assignment's programs, standing alone: the wire strings
//!   and framing, messages on a TCP stream, the server and the client
//!   behind the thin `server` and `client` binaries. Nothing in it knows the
//!   orchestrator exists.
//! - [`orchestrator`] — everything that runs scenarios against those
//!   programs (or anyone's): YAML scenarios, the generated Mininet topology,
//!   the network backends, the runner and its typed events, the table of
//!   checks, the report writers and the `orchestrate` command behind its
//!   thin binary. It uses [`pa3::protocol`] to read what programs print.
pub mod orchestrator;
pub mod pa3;

#[cfg(test)]
mod layers;
