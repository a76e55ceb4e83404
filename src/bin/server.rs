//! `server`: the PA3 server. See `pa3_mininet::pa3::server` for what it does and
//! why it needs one thread per client.
//!
//! Exit codes: 0 every round finished with an acknowledgement sent to both
//! clients; 1 a round failed (a client disconnected, sent garbage or stayed
//! silent) or the port could not be bound; 2 bad usage.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use pa3_mininet::pa3::protocol::DEFAULT_PORT;
use pa3_mininet::pa3::server::{serve, ServerConfig};

/// PA3 TCP server: the first client to connect is X, the second Y; once both
/// are in, both are greeted; the acknowledgement tells both clients whose
/// message arrived first.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0")]
    bind: IpAddr,
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

fn main() -> ExitCode {
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
    let addr = SocketAddr::new(args.bind, args.port);
    let listener = bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    let config = ServerConfig {
        rounds: args.rounds,
        idle_timeout: (args.idle_timeout > 0.0).then(|| Duration::from_secs_f64(args.idle_timeout)),
    };
    serve(listener, &config)
}

/// std sets SO_REUSEADDR on Unix listeners, so a server restarted right
/// after a run does not trip over the previous run's TIME_WAIT sockets.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
}
