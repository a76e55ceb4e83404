//! The PA3 server: accepts two clients (the first is X, the second Y),
//! greets both once both are in, reads one message from each, and tells both
//! which message *arrived* first.
//!
//! # Why this server needs multithreading
//!
//! Once both clients are connected, the server must wait for a message on
//! two sockets at once, and it cannot know which client will type first.
//! A read on a socket blocks until that peer sends. A single-threaded server
//! has to pick one socket to read first — naturally X, the first to connect —
//! and while it is blocked there, Y's message may already have arrived
//! unnoticed; the order it reports would then be the order it *chose to read*
//! (connect order), not the order in which the messages *arrived*, which is
//! what the assignment asks for. So each client gets its own thread, blocked
//! on its own socket; the moment the first byte of a message reaches a
//! thread, that thread records its client's letter — with the time the
//! kernel received those bytes — in an arrival list shared by both threads.
//! The list sits behind one `Mutex` so that the two threads never write it
//! at once; each reader, once done, wakes the main thread through the
//! channel the acceptor also sends new connections on, so the main thread
//! sleeps until something happens (no timed polling), and once both
//! messages are complete it sends the acknowledgement in order of arrival. (The
//! kernel's stamp, not the order the threads happen to run in, decides
//! between two messages microseconds apart: two threads woken that close
//! together may be scheduled in either order.)
//!
//! A third thread accepts connections, so that a third client during a round
//! is turned away at once with a message instead of waiting in the backlog.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

use super::protocol::{self, Ack, Letter};
use super::say;
use super::wire::{self, MessageReader, Timing, WireError};

/// What a server is told to do.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// How many pairs of clients to serve; 0 serves pairs for ever.
    pub rounds: u64,
    /// How long a connected client may stay silent before its message
    /// (`None`: wait for ever, as for a person who has gone for coffee).
    pub idle_timeout: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            rounds: 1,
            idle_timeout: Some(Duration::from_secs(300)),
        }
    }
}

/// What one thread knows about its client's message, shared under one lock.
#[derive(Default)]
struct Round {
    /// When the first byte of each client's message arrived: the kernel's
    /// receive stamp where the socket has one (else the moment the thread
    /// read it), recorded the moment that thread reads it.
    arrivals: Vec<(Duration, Letter)>,
    /// Each client's message (by letter index), once complete.
    names: [Option<String>; 2],
    /// The first thing that went wrong, if anything did.
    failure: Option<RoundFailure>,
}

/// Why a round ended without an acknowledgement: which client, from where,
/// and what its connection did.
#[derive(Debug, thiserror::Error)]
enum RoundFailure {
    #[error("cannot greet Client {letter} ({peer})")]
    Greet {
        letter: Letter,
        peer: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("Client {letter} ({peer}) sent an unusable message")]
    Unusable {
        letter: Letter,
        peer: SocketAddr,
        #[source]
        source: protocol::MessageError,
    },
    #[error("Client {letter} ({peer}) disconnected before sending its message")]
    Disconnected { letter: Letter, peer: SocketAddr },
    /// Silent, too slow, not text, or the connection failed: the wire's
    /// error says it as the end of the sentence (`sent nothing for 10s`).
    #[error("Client {letter} ({peer}) {error}")]
    Read {
        letter: Letter,
        peer: SocketAddr,
        error: WireError,
    },
    /// Cannot happen while the readers hold senders; said anyway.
    #[error("the server's threads stopped")]
    ThreadsStopped,
}

type Shared = Arc<Mutex<Round>>;

/// What wakes the main thread: a connection the acceptor took, or a reader
/// done with its client (its outcome is in the [`Round`]). One channel for
/// both, so that the main thread blocks on one receive, with no timeout.
enum Wake {
    Connection(TcpStream, SocketAddr),
    ReaderDone,
}

/// Serves `config.rounds` rounds on `listener`. Prints `listening on ADDR`
/// first so that tools and people can wait for it. Returns an error for the
/// first round that failed (in `rounds: 0` mode failed rounds are logged and
/// the server goes on).
pub fn serve(listener: TcpListener, config: &ServerConfig) -> Result<()> {
    let addr = listener.local_addr()?;
    say(&format!("listening on {addr}"));
    // Stamping on the listener (accepted sockets inherit it) keeps the
    // kernel's stamping switched on for the server's whole life; enabling it
    // only per connection would switch it on and off every round, which is
    // slow and leaves the first segments of a round unstamped.
    let _ = wire::enable_arrival_stamps(&listener);
    let (wake, incoming) = spawn_acceptor(listener)?;
    let mut round_no: u64 = 0;
    loop {
        round_no += 1;
        let result = serve_round(&incoming, &wake, config);
        match result {
            Ok(()) => {}
            Err(e) if config.rounds == 0 => {
                eprintln!("error: round {round_no} failed: {e:#}");
            }
            Err(e) => return Err(e),
        }
        if config.rounds != 0 && round_no >= config.rounds {
            return Ok(());
        }
    }
}

/// The acceptor thread, and the channel it sends connections on (the
/// sender, for the readers to wake the main thread on too).
fn spawn_acceptor(listener: TcpListener) -> Result<(Sender<Wake>, Receiver<Wake>)> {
    let (tx, rx) = mpsc::channel();
    let wake = tx.clone();
    thread::Builder::new()
        .name("acceptor".into())
        .spawn(move || loop {
            match listener.accept() {
                Ok((stream, peer)) => {
                    if tx.send(Wake::Connection(stream, peer)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    eprintln!("warning: accept failed: {e}");
                    thread::sleep(Duration::from_millis(50));
                }
            }
        })
        .context("cannot start the acceptor thread")?;
    Ok((wake, rx))
}

fn serve_round(
    incoming: &Receiver<Wake>,
    wake: &Sender<Wake>,
    config: &ServerConfig,
) -> Result<()> {
    let clients = accept_pair(incoming)?;
    let shared: Shared = Arc::new(Mutex::new(Round::default()));
    // Readers first, greetings second: each reader is already blocked on
    // its socket when its client learns it may send, so the arrival it
    // records is as close as possible to the moment the bytes came in.
    let readers = spawn_readers(&clients, &shared, wake, config)?;
    greet(&clients, &shared);
    let outcome = wait_for_messages(&shared, incoming);
    let result = match outcome {
        Err(failure) => {
            // Wake the other reader and tell both peers the round is over.
            for (stream, _) in &clients {
                let _ = stream.shutdown(Shutdown::Both);
            }
            Err(failure.into())
        }
        Ok((arrivals, names)) => finish_round(&clients, &arrivals, &names),
    };
    for r in readers {
        let _ = r.join();
    }
    for (stream, _) in &clients {
        let _ = stream.shutdown(Shutdown::Both);
    }
    result
}

/// Waits for the round's two clients: the first to connect is X.
fn accept_pair(incoming: &Receiver<Wake>) -> Result<Vec<(TcpStream, SocketAddr)>> {
    let mut clients: Vec<(TcpStream, SocketAddr)> = Vec::with_capacity(2);
    while clients.len() < 2 {
        let wake = incoming
            .recv()
            .map_err(|_| anyhow!("the listening socket stopped accepting"))?;
        // A reader of a failed round may report after its round ended.
        let Wake::Connection(stream, peer) = wake else {
            continue;
        };
        let letter = Letter::from_connect_index(clients.len()).expect("two letters");
        say(&format!(
            "Accepted connection from {peer} as Client {letter}"
        ));
        clients.push((stream, peer));
    }
    Ok(clients)
}

/// A thread per client, blocked on its socket until its message is in
/// ([`read_client`]).
fn spawn_readers(
    clients: &[(TcpStream, SocketAddr)],
    shared: &Shared,
    wake: &Sender<Wake>,
    config: &ServerConfig,
) -> Result<Vec<JoinHandle<()>>> {
    let mut readers = Vec::with_capacity(2);
    for (index, (stream, peer)) in clients.iter().enumerate() {
        let letter = Letter::from_connect_index(index).expect("two letters");
        let stream = stream.try_clone()?;
        let shared = Arc::clone(shared);
        let wake = wake.clone();
        let timing = Timing::with_idle(config.idle_timeout);
        let peer = *peer;
        readers.push(
            thread::Builder::new()
                .name(format!("client-{letter}"))
                .spawn(move || {
                    read_client(letter, peer, stream, timing, &shared);
                    // The main thread may have stopped listening (the
                    // server is ending): nothing to wake then.
                    let _ = wake.send(Wake::ReaderDone);
                })?,
        );
    }
    Ok(readers)
}

/// Greets each client with its letter. A client that cannot be greeted
/// fails the round, and the clients after it are not greeted.
fn greet(clients: &[(TcpStream, SocketAddr)], shared: &Shared) {
    let mut greeted = true;
    for (index, (stream, peer)) in clients.iter().enumerate() {
        let letter = Letter::from_connect_index(index).expect("two letters");
        if let Err(e) = wire::send_message(stream, &protocol::greeting(letter), true) {
            let mut round = shared.lock().expect("round lock");
            round.failure.get_or_insert(RoundFailure::Greet {
                letter,
                peer: *peer,
                source: e,
            });
            greeted = false;
            break;
        }
    }
    if greeted {
        say("Sent greetings: Client X connected, Client Y connected");
    }
}

/// Waits for both messages (or a failure) while turning away latecomers:
/// the letters in order of arrival and each client's message by letter
/// index, or what failed the round. Sleeps until a reader is done or a
/// connection comes ([`Wake`]); a reader records its outcome before it
/// wakes this thread, so a look at the round after each wake misses none.
fn wait_for_messages(
    shared: &Shared,
    incoming: &Receiver<Wake>,
) -> Result<(Vec<Letter>, [Option<String>; 2]), RoundFailure> {
    let mut round = loop {
        let round = shared.lock().expect("round lock");
        if round.failure.is_some() || round.names.iter().all(Option::is_some) {
            break round;
        }
        drop(round);
        match incoming.recv() {
            Ok(Wake::Connection(stream, peer)) => turn_away(stream, peer),
            Ok(Wake::ReaderDone) => {}
            Err(_) => return Err(RoundFailure::ThreadsStopped),
        }
    };
    match round.failure.take() {
        Some(f) => Err(f),
        None => {
            // Arrival order: by stamp; two equal stamps keep the order in
            // which their threads recorded them.
            let mut by_time = round.arrivals.clone();
            by_time.sort_by_key(|&(at, _)| at);
            let order: Vec<Letter> = by_time.into_iter().map(|(_, l)| l).collect();
            Ok((order, round.names.clone()))
        }
    }
}

fn finish_round(
    clients: &[(TcpStream, SocketAddr)],
    arrivals: &[Letter],
    names: &[Option<String>; 2],
) -> Result<()> {
    let name = |l: Letter| names[l.index()].clone().unwrap_or_default();
    let first = arrivals[0];
    for (place, letter) in ["1st", "2nd"].into_iter().zip([first, first.other()]) {
        say(&format!(
            "Arrived {place}: {}",
            protocol::client_message(letter, &name(letter))
        ));
    }
    let ack = Ack {
        first,
        first_name: name(first),
        second_name: name(first.other()),
    };
    say(&format!("Acknowledgment: {ack}"));
    let mut failed = Vec::new();
    for (index, (stream, _)) in clients.iter().enumerate() {
        if let Err(e) = wire::send_message(stream, &ack.line(), true) {
            failed.push(format!(
                "Client {}: {e}",
                Letter::from_connect_index(index).unwrap()
            ));
        }
    }
    if !failed.is_empty() {
        bail!("could not send the acknowledgment to {}", failed.join("; "));
    }
    say(protocol::SENT_ACK);
    Ok(())
}

fn read_client(
    letter: Letter,
    peer: SocketAddr,
    stream: TcpStream,
    timing: Timing,
    shared: &Shared,
) {
    let lock = &**shared;
    // Without kernel stamps (never seen on Linux) the thread's own clock
    // is the fallback: still a true order whenever the sends are apart.
    let _ = wire::enable_arrival_stamps(&stream);
    let record = |stamp: Option<Duration>| {
        let at = stamp.unwrap_or_else(now);
        let mut round = lock.lock().expect("round lock");
        if !round.arrivals.iter().any(|&(_, l)| l == letter) {
            round.arrivals.push((at, letter));
        }
    };
    let mut reader = MessageReader::new(stream, timing);
    let result = reader.next_message(record);
    let outcome = match result {
        Ok(Some(text)) => match protocol::read_client_message(&text) {
            Ok(reading) => {
                let msg = reading.value;
                match msg.claimed {
                    None => eprintln!(
                        "note: Client {letter} sent a bare message {text:?}; taking it as Client {letter}'s"
                    ),
                    Some(c) if c != letter => eprintln!(
                        "note: Client {letter} ({peer}) wrote {text:?}, naming {c}; it connected as {letter}, so it counts as {letter}'s"
                    ),
                    Some(_) if !reading.deviations.is_empty() => eprintln!(
                        "note: Client {letter}'s message {text:?} is not written as the seed's `{}`: {}",
                        protocol::client_message(letter, &msg.name),
                        protocol::describe(&reading.deviations)
                    ),
                    Some(_) => {}
                }
                Ok(msg.name)
            }
            Err(source) => Err(RoundFailure::Unusable {
                letter,
                peer,
                source,
            }),
        },
        Ok(None) => Err(RoundFailure::Disconnected { letter, peer }),
        Err(error) => Err(RoundFailure::Read {
            letter,
            peer,
            error,
        }),
    };
    let mut round = lock.lock().expect("round lock");
    match outcome {
        Ok(name) => {
            if !round.arrivals.iter().any(|&(_, l)| l == letter) {
                round.arrivals.push((now(), letter));
            }
            round.names[letter.index()] = Some(name);
        }
        Err(e) => {
            if round.failure.is_none() {
                round.failure = Some(e);
            }
        }
    }
}

/// The realtime clock since the Unix epoch: the clock of the kernel's
/// receive stamps, so the two can be compared.
fn now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// A third client during a round: told why, then closed.
fn turn_away(stream: TcpStream, peer: SocketAddr) {
    eprintln!("Rejected connection from {peer}: this round already has Client X and Client Y");
    let _ = wire::send_message(
        &stream,
        "server busy: two clients are already connected, try again later",
        true,
    );
    let _ = stream.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// What the server prints for a failed round (`error: {e:#}`): one
    /// sentence naming the client, its cause said once.
    #[test]
    fn a_failed_round_names_the_client_and_says_the_cause_once() {
        let peer: SocketAddr = "10.0.0.3:40000".parse().unwrap();
        let said = |f: RoundFailure| format!("{:#}", anyhow::Error::new(f));
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        assert_eq!(
            said(RoundFailure::Read {
                letter: Letter::Y,
                peer,
                error: WireError::Io(reset),
            }),
            "Client Y (10.0.0.3:40000) reset by peer"
        );
        assert_eq!(
            said(RoundFailure::Read {
                letter: Letter::Y,
                peer,
                error: WireError::Silent(Duration::from_secs(1)),
            }),
            "Client Y (10.0.0.3:40000) sent nothing for 1s"
        );
        let pipe = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "broken pipe");
        assert_eq!(
            said(RoundFailure::Greet {
                letter: Letter::X,
                peer,
                source: pipe,
            }),
            "cannot greet Client X (10.0.0.3:40000): broken pipe"
        );
        assert_eq!(
            said(RoundFailure::Unusable {
                letter: Letter::X,
                peer,
                source: protocol::MessageError::Empty,
            }),
            "Client X (10.0.0.3:40000) sent an unusable message: the message is empty"
        );
    }

    /// Arrivals the kernel stamped and arrivals it did not (timed by the
    /// reader thread with [`now`]) are ordered on one clock: the stamp of
    /// bytes sent between two readings of `now()` lies between them.
    #[test]
    fn the_fallback_clock_is_the_clock_of_the_kernels_stamps() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        wire::enable_arrival_stamps(&listener).unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let mut reader =
            MessageReader::new(server, Timing::with_idle(Some(Duration::from_secs(5))));
        // Clocks read microseconds apart may round differently.
        let slack = Duration::from_millis(1);
        // The kernel may leave the first segments unstamped while it
        // switches stamping on (see wire's tests).
        for _ in 0..200 {
            let before = now();
            client.write_all(b"Client X: Alice\n").unwrap();
            let mut stamp = None;
            let message = reader.next_message(|s| stamp = s).unwrap();
            let after = now();
            assert_eq!(message.as_deref(), Some("Client X: Alice"));
            if let Some(stamp) = stamp {
                assert!(
                    before <= stamp + slack && stamp <= after + slack,
                    "stamp {stamp:?} is not between {before:?} and {after:?}"
                );
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        panic!("no SO_TIMESTAMPNS stamp came with the bytes");
    }
}
