//! The PA3 client: connects (retrying while the server is not up yet),
//! learns its letter from the server's greeting, sends `Client X: <name>`,
//! and prints the server's acknowledgement.
//!
//! It sends the seed's strings exactly and accepts what a person would:
//! whatever the server says is printed as it came (`From Server: …`); a
//! greeting or an ack with a slip (`Client X Connected`, `recieved`) is
//! understood, with a note on stderr naming the slip. A first message that
//! is no greeting at all is printed too, and the client goes on: with the
//! letter it names, if it names exactly one (`You are X`), else sending
//! the name alone. A reply that is no ack is printed, noted, and ends the
//! session like an ack: judging it is the checks' business, not an exit
//! code's. The client fails (exit 1) only when something did not arrive
//! or could not be sent: no connection, no first message, no name on
//! stdin, no reply.
//!
//! The name comes from `--name` or, without it, from one line typed on
//! stdin after the greeting — whenever that is. The orchestrator "types"
//! through the same pipe at the moment a scenario says.

use std::io::{BufRead, IsTerminal, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use super::protocol::{self, Framing, Letter, MAX_MESSAGE_BYTES};
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
        .next_message_or_complete(is_whole_greeting, |_| {})
        .context("while waiting for the server's greeting")?
        .ok_or_else(|| anyhow!("the server closed the connection before greeting us"))?;
    say(&format!("{FROM_SERVER} {greeting}"));
    let letter = learn_letter(&greeting);

    let message = our_message(config, letter, input)?;
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
    note_reply(&reply);
    Ok(())
}

/// The message we send: `Client X: <name>` with our letter, else the name
/// alone. The name is `--name`, else the line [`prompt_for_name`] reads
/// from `input` now.
fn our_message(
    config: &ClientConfig,
    letter: Option<Letter>,
    input: &mut dyn BufRead,
) -> Result<String> {
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
    let message = match letter {
        Some(letter) => protocol::client_message(letter, &name),
        None => name,
    };
    if message.len() > MAX_MESSAGE_BYTES {
        bail!(
            "the message is {} bytes; the limit is {MAX_MESSAGE_BYTES}",
            message.len()
        );
    }
    Ok(message)
}

/// A note on stderr when the server's reply holds no ack written as the
/// seed's: the slips of the ack it holds, or that it holds none.
fn note_reply(reply: &[String]) {
    match reply
        .iter()
        .find_map(|l| protocol::read_ack(l, Framing::Message))
    {
        Some(ack) if ack.is_exact() => {}
        Some(ack) => eprintln!(
            "note: the acknowledgment is not written as the seed's `{}`: {}",
            ack.value.line(),
            protocol::describe(&ack.deviations)
        ),
        None => eprintln!(
            "note: the server's reply is not an acknowledgment (expected `X: … received before Y: …`); printed as it came"
        ),
    }
}

/// Whether the server's first bytes are a whole greeting already: the
/// seed's, or one with a slip that cannot go on (words after it could).
/// Such a greeting is taken at once; anything else waits for its line end
/// or the quiet period.
fn is_whole_greeting(text: &str) -> bool {
    protocol::read_greeting(text, Framing::Message).is_some_and(|r| {
        !r.deviations
            .iter()
            .any(|d| matches!(d, protocol::Deviation::Suffix(_)))
    })
}

/// Our letter, from the server's first message: its greeting, read past
/// slips (noted on stderr); else the one letter the message names, if any
/// (noted). `None`: we cannot tell, and send the name alone.
fn learn_letter(greeting: &str) -> Option<Letter> {
    if let Some(r) = protocol::read_greeting(greeting, Framing::Message) {
        if !r.is_exact() {
            eprintln!(
                "note: the greeting is not written as the seed's `{}`: {}",
                protocol::greeting(r.value),
                protocol::describe(&r.deviations)
            );
        }
        return Some(r.value);
    }
    let guess = protocol::guess_letter(greeting);
    eprintln!(
        "note: the server's first message is not a greeting (expected `Client X connected` or `Client Y connected`); {}",
        match guess {
            Some(l) => format!("it names {l}, so we take that letter"),
            None => "it names no letter, so we send the name alone".to_string(),
        }
    );
    guess
}

/// Connects, retrying while the server is not listening yet.
fn connect(config: &ClientConfig) -> Result<TcpStream> {
    let deadline = Instant::now() + config.connect_timeout;
    let target = format!("{}:{}", config.server, config.port);
    let mut said_retrying = false;
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
                if !said_retrying {
                    // Once: a person should not wait in silence.
                    eprintln!(
                        "cannot connect to {target} yet ({e:#}); retrying for up to {} s (is the server running?)",
                        config.connect_timeout.as_secs_f64()
                    );
                    said_retrying = true;
                }
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

#[cfg(test)]
mod tests {
    use super::is_whole_greeting;

    #[test]
    fn a_greeting_is_whole_when_nothing_could_follow_it() {
        for whole in [
            "Client X connected",
            "Client Y connected",
            "client x Connected",
            "Client X connected.",
            "From Server: Client Y connected",
            "\"Client X connected\"",
        ] {
            assert!(is_whole_greeting(whole), "{whole:?}");
        }
        for partial in [
            "Client X",
            "Client X conn",
            "Client X connected, waiting for",
            "Hello",
        ] {
            assert!(!is_whole_greeting(partial), "{partial:?}");
        }
    }
}
