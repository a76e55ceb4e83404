//! The PA3 client: connects (retrying while the server is not up yet),
//! learns its letter from the server's greeting, sends `Client X: <name>`,
//! and prints the server's acknowledgement.
//!
//! The name comes from `--name` or, without it, from one line typed on
//! stdin after the greeting — whenever that is. The orchestrator "types"
//! through the same pipe at the moment a scenario says.

use std::io::{BufRead, IsTerminal, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::protocol::{self, MAX_MESSAGE_BYTES};
use super::say;
use super::wire::{self, MessageReader, Timing};

/// The prompt of the assignment.
pub const PROMPT: &str = "Enter message to send to server:";
/// How the client's lines begin, so that a person (and a report) can tell
/// them apart: the connection made, what it sent, what the server said.
pub const CONNECTED: &str = "Connected to";
pub const SENT: &str = "Sent to Server:";
pub const FROM_SERVER: &str = "From Server:";

/// What a client is told to do.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub server: String,
    pub port: u16,
    /// The name to send; `None` reads it from stdin after the greeting.
    pub name: Option<String>,
    /// How long to keep retrying the connection.
    pub connect_timeout: Duration,
    /// How long to wait for the greeting and for the acknowledgement
    /// (`None`: for ever).
    pub reply_timeout: Option<Duration>,
    /// Send the message without a trailing newline, as classic peers do.
    pub no_newline: bool,
}

/// Runs one client session. Reads the name from `input` when the config has
/// none; writes everything a person should see to stdout.
pub fn run(config: &ClientConfig, input: &mut dyn BufRead) -> Result<()> {
    let stream = connect(config)?;
    let peer = stream.peer_addr()?;
    say(&format!(
        "{CONNECTED} {peer}; waiting for the server's greeting"
    ));
    let mut reader = MessageReader::with_limit(
        stream.try_clone()?,
        Timing::with_idle(config.reply_timeout),
        protocol::MAX_ACK_BYTES,
    );

    let greeting = reader
        .next_message(|_| {})
        .context("while waiting for the server's greeting")?
        .ok_or_else(|| anyhow!("the server closed the connection before greeting us"))?;
    say(&format!("{FROM_SERVER} {greeting}"));
    let letter = protocol::parse_greeting(&greeting).ok_or_else(|| {
        anyhow!("the server's first message {greeting:?} is not a greeting (expected `Client X connected` or `Client Y connected`)")
    })?;

    let name = match &config.name {
        Some(n) => n.trim().to_string(),
        None => prompt_for_name(input)?,
    };
    if name.is_empty() {
        bail!("the name is empty");
    }
    if name.contains(['\n', '\r']) {
        bail!("the name must be one line");
    }
    let message = protocol::client_message(letter, &name);
    if message.len() > MAX_MESSAGE_BYTES {
        bail!(
            "the message is {} bytes; the limit is {MAX_MESSAGE_BYTES}",
            message.len()
        );
    }
    wire::send_message(&stream, &message, !config.no_newline).context("cannot send our message")?;
    say(&format!("{SENT} {message}"));

    let reply = reader
        .reply()
        .context("while waiting for the server's acknowledgment")?;
    if reply.is_empty() {
        bail!("the server closed the connection before acknowledging our message");
    }
    let reply = protocol::fold_lines(&reply);
    for line in &reply {
        say(&format!("{FROM_SERVER} {line}"));
    }
    if !reply.iter().any(|l| protocol::parse_ack(l).is_some()) {
        bail!("the server's reply is not an acknowledgment (expected `X: ... received before Y: ...`)");
    }
    Ok(())
}

/// Connects, retrying while the server is not listening yet.
fn connect(config: &ClientConfig) -> Result<TcpStream> {
    let deadline = Instant::now() + config.connect_timeout;
    let target = format!("{}:{}", config.server, config.port);
    loop {
        let attempt = target
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {target}"))
            .and_then(|addrs| {
                let mut last = None;
                for addr in addrs {
                    let left = deadline
                        .saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(100));
                    match TcpStream::connect_timeout(&addr, left) {
                        Ok(s) => return Ok(s),
                        Err(e) => last = Some(e),
                    }
                }
                Err(match last {
                    Some(e) => anyhow!(e),
                    None => anyhow!("{target} resolves to no address"),
                })
            });
        match attempt {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                return Err(e.context(format!(
                    "cannot connect to {target} within {:?}",
                    config.connect_timeout
                )))
            }
        }
    }
}

/// Asks for the name on stdin, as the assignment's clients do. Blank lines
/// ask again; EOF before a name is an error.
fn prompt_for_name(input: &mut dyn BufRead) -> Result<String> {
    let interactive = std::io::stdin().is_terminal();
    loop {
        {
            let mut out = std::io::stdout().lock();
            // On a terminal the typed line ends the prompt's line; through
            // a pipe nothing would, so the prompt gets its own line.
            if interactive {
                write!(out, "{PROMPT} ")?;
            } else {
                writeln!(out, "{PROMPT}")?;
            }
            out.flush()?;
        }
        let mut line = String::new();
        let n = input
            .read_line(&mut line)
            .context("cannot read the name from stdin")?;
        if n == 0 {
            bail!("stdin closed before a name was typed");
        }
        let name = line.trim();
        if !name.is_empty() {
            return Ok(name.to_string());
        }
    }
}
