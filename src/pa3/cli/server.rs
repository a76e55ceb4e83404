//! The `server` program's command line (`src/bin/server.rs` and
//! `orchestrate` started as `server` run it): its options, its exit codes,
//! and the bind error a person can act on. What it serves is
//! [`crate::pa3::server`].
//!
//! Exit codes: 0 every round finished with an acknowledgement sent to both
//! clients; 1 a round failed (a client disconnected, sent garbage or stayed
//! silent) or the port could not be bound; 2 bad usage.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use crate::pa3::protocol::DEFAULT_PORT;
use crate::pa3::server::{serve, ServerConfig};
use anyhow::{Context, Result};
use clap::Parser;

/// PA3 TCP server: the first client to connect is X, the second Y; once both
/// are in, both are greeted; the acknowledgement tells both clients whose
/// message arrived first.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  server                          listen on 0.0.0.0:12000 (h1 on Mininet: 10.0.0.1)\n  server --bind 127.0.0.1         on loopback, three terminals on one machine\n  server --port 0 --rounds 0      any free port, serve pairs for ever\n\nExit codes: 0 every round acknowledged; 1 a round failed or the port could not\nbe bound; 2 bad usage."
)]
struct Args {
    /// Address or host name to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    bind: String,
    /// Port to listen on (0 picks a free one; the `listening on` line says which).
    #[arg(long, short, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// How many pairs of clients to serve; 0 serves pairs for ever.
    #[arg(long, default_value_t = 1)]
    rounds: u64,
    /// Seconds a connected client may stay silent before its message; 0 waits for ever.
    #[arg(long, default_value_t = 300.0)]
    idle_timeout: f64,
}

/// The `server` program: its command line, then [`serve`].
pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> Result<()> {
    let addr = (args.bind.as_str(), args.port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve --bind {}", args.bind))?
        .next()
        .with_context(|| format!("--bind {} resolves to no address", args.bind))?;
    let listener = bind(addr).map_err(|e| why_not(e, addr))?;
    let config = ServerConfig {
        rounds: args.rounds,
        idle_timeout: (args.idle_timeout > 0.0).then(|| Duration::from_secs_f64(args.idle_timeout)),
    };
    serve(listener, &config)
}

/// The bind error, with the reason a person needs.
fn why_not(e: std::io::Error, addr: SocketAddr) -> anyhow::Error {
    let hint = match e.kind() {
        ErrorKind::PermissionDenied if addr.port() < 1024 => {
            "; ports below 1024 need root: use a port from 1024 up (the default is 12000), or run with sudo"
        }
        ErrorKind::AddrInUse => "; another program listens there: stop it, or choose another --port",
        ErrorKind::AddrNotAvailable => {
            "; this machine has no such address: use one of its own (0.0.0.0 listens on all)"
        }
        _ => "",
    };
    anyhow::anyhow!("cannot listen on {addr}: {e}{hint}")
}

/// std sets SO_REUSEADDR on Unix listeners, so a server restarted right
/// after a run does not trip over the previous run's TIME_WAIT sockets.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
}
