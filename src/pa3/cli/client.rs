//! The `client` program's command line (`src/bin/client.rs` and
//! `orchestrate` started as `client` run it). What it does is
//! [`crate::pa3::client`].
//!
//! Exit codes: 0 a reply arrived and was printed (an acknowledgement, or
//! anything else, noted on stderr); 1 no connection, no first message from
//! the server, no reply, or stdin closed before a name; 2 bad usage.

use std::process::ExitCode;
use std::time::Duration;

use crate::pa3::client::{run, ClientConfig};
use crate::pa3::protocol::DEFAULT_PORT;
use clap::Parser;

/// PA3 TCP client: connects, learns from the greeting whether it is X or Y,
/// sends `Client X: <name>`, and prints the server's acknowledgement.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Examples:\n  client                                   connect to 10.0.0.1:12000 (h1 on Mininet), ask for a name\n  client --server 127.0.0.1                on loopback\n  client --server 127.0.0.1 --name Alice   send `Alice` as soon as greeted\n\nExit codes: 0 the acknowledgement arrived; 1 no connection, no greeting, no reply,\nor stdin closed before a name; 2 bad usage."
)]
struct Args {
    /// The server's host name or address (10.0.0.1 is h1 on Mininet).
    #[arg(long, short, default_value = "10.0.0.1")]
    server: String,
    /// The server's port.
    #[arg(long, short, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The name to send; without it, the client asks for it on stdin after the greeting.
    #[arg(long, short)]
    name: Option<String>,
    /// Seconds to keep retrying the connection while the server is not up.
    #[arg(long, default_value_t = 10.0)]
    connect_timeout: f64,
    /// Seconds to wait for the greeting and for the acknowledgement; 0 waits for ever.
    #[arg(long, default_value_t = 600.0)]
    reply_timeout: f64,
    /// Send the message without a trailing newline, like classic Python clients.
    #[arg(long)]
    no_newline: bool,
}

/// The `client` program: its command line, then [`run`].
pub fn main() -> ExitCode {
    let args = Args::parse();
    let config = ClientConfig {
        server: args.server,
        port: args.port,
        name: args.name,
        connect_timeout: Duration::from_secs_f64(args.connect_timeout.max(0.0)),
        reply_timeout: (args.reply_timeout > 0.0)
            .then(|| Duration::from_secs_f64(args.reply_timeout)),
        no_newline: args.no_newline,
    };
    let stdin = std::io::stdin();
    match run(&config, &mut stdin.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
