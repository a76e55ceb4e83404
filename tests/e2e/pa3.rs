//! Server and client end to end on loopback.
//!
//! Every test starts its own `server --bind 127.0.0.1 --port 0` and learns
//! the port from the first line it prints (`listening on 127.0.0.1:PORT`),
//! so tests never share a port and can run in parallel. Steps are
//! synchronised on the lines the programs print (a reader thread per pipe
//! feeds a channel), never on guessed sleeps; the only sleeps are the
//! delays that are themselves the point of a test, each a named constant.
//! Every wait is bounded by [`WAIT`], after which the test panics with
//! everything the process printed so far, and every child is killed when
//! its [`Proc`] guard is dropped, so a failing test leaves nothing behind.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use pa3_mininet::pa3::protocol::{MAX_MESSAGE_BYTES, MESSAGE_DEADLINE};
use predicates::prelude::*;
use predicates::str::contains;

use crate::support::{bin, manifest_dir};

/// The longest any single wait in these tests may take. Every line they
/// wait for comes within milliseconds, so a server or client that has
/// gone wrong fails its test within seconds, not minutes.
const WAIT: Duration = Duration::from_secs(10);

/// The margin between one client's message leaving and the next client
/// being told to type. The server stamps a message's arrival when its
/// reader thread wakes up, so two sends a few microseconds apart could be
/// stamped either way on a loaded machine; the gap makes "X sent first"
/// unambiguous. It is the point of the case 1 / case 2 tests, not a guess
/// at how long something takes.
const ORDER_GAP: Duration = Duration::from_millis(150);

/// How long X, connected alone, must hear nothing (rubric item 5: the
/// greetings come only once both clients are connected). A server that
/// greets on accept does so within a millisecond of accepting.
const ALONE: Duration = Duration::from_millis(500);

/// How long the "person" at a stdin client takes to type their name.
const TYPING_DELAY: Duration = Duration::from_secs(1);

/// How late the classic Python client sends after its greeting (the issue's
/// "connects first but sends 0.6 s late").
const CLASSIC_LATE_S: &str = "0.6";

/// The slowloris peer's pace: one byte this often, never a newline. Faster
/// than the server's quiet period, so the message never counts as complete.
const TRICKLE_EVERY: Duration = Duration::from_millis(100);

// ---------------------------------------------------------------------------
// Processes: spawn, follow their output line by line, kill on drop.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pipe {
    Out,
    Err,
}

enum Event {
    Line(Pipe, String),
    Closed,
}

/// A child process whose stdout and stderr are read line by line by two
/// threads. Killed (and reaped) when dropped.
struct Proc {
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    events: Receiver<Event>,
    /// Every line received so far, per pipe (index 0 stdout, 1 stderr).
    lines: [Vec<String>; 2],
    /// How many lines of each pipe `expect` has already matched past.
    cursor: [usize; 2],
    open: usize,
}

impl Proc {
    fn spawn(label: &str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label} ({cmd:?}): {e}"));
        let (tx, events) = mpsc::channel();
        pump(Pipe::Out, child.stdout.take().unwrap(), tx.clone());
        pump(Pipe::Err, child.stderr.take().unwrap(), tx);
        Proc {
            label: label.to_string(),
            stdin: child.stdin.take(),
            child,
            events,
            lines: [Vec::new(), Vec::new()],
            cursor: [0, 0],
            open: 2,
        }
    }

    fn record(&mut self, event: Event) {
        match event {
            Event::Line(pipe, line) => self.lines[pipe as usize].push(line),
            Event::Closed => self.open -= 1,
        }
    }

    /// Everything this process printed so far, for failure messages.
    fn transcript(&mut self) -> String {
        while let Ok(e) = self.events.try_recv() {
            self.record(e);
        }
        let mut s = format!("--- {} stdout ---\n", self.label);
        for l in &self.lines[0] {
            s.push_str(l);
            s.push('\n');
        }
        s.push_str(&format!("--- {} stderr ---\n", self.label));
        for l in &self.lines[1] {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    /// Waits for a line containing `needle` on `pipe`, after the last line
    /// matched there; returns it.
    fn expect(&mut self, pipe: Pipe, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let p = pipe as usize;
        loop {
            if let Some(i) = self.lines[p][self.cursor[p]..]
                .iter()
                .position(|l| l.contains(needle))
            {
                let at = self.cursor[p] + i;
                self.cursor[p] = at + 1;
                return self.lines[p][at].clone();
            }
            if self.open == 0 {
                let t = self.transcript();
                panic!(
                    "{} ended without printing {needle:?} on {pipe:?}\n{t}",
                    self.label
                );
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) => self.record(e),
                Err(_) => {
                    let t = self.transcript();
                    panic!(
                        "{} printed no {needle:?} on {pipe:?} within {WAIT:?}\n{t}",
                        self.label
                    );
                }
            }
        }
    }

    fn out(&mut self, needle: &str) -> String {
        self.expect(Pipe::Out, needle)
    }

    fn err(&mut self, needle: &str) -> String {
        self.expect(Pipe::Err, needle)
    }

    /// Types one line on the process's stdin.
    fn type_line(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        stdin
            .write_all(format!("{text}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("cannot type into {}: {e}", self.label));
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits (at most [`WAIT`]) for the process to exit; returns everything
    /// it printed, ready for assert_cmd's `.assert()`.
    fn finish(&mut self) -> Output {
        self.close_stdin();
        let deadline = Instant::now() + WAIT;
        while self.open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) => self.record(e),
                Err(_) => {
                    let t = self.transcript();
                    panic!("{} did not exit within {WAIT:?}\n{t}", self.label);
                }
            }
        }
        // Both pipes are closed: the process has exited or is about to.
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(5));
                }
                _ => {
                    let t = self.transcript();
                    panic!("{} closed its output but did not exit\n{t}", self.label);
                }
            }
        };
        let join = |lines: &[String]| {
            let mut s = String::new();
            for l in lines {
                s.push_str(l);
                s.push('\n');
            }
            s.into_bytes()
        };
        Output {
            status,
            stdout: join(&self.lines[0]),
            stderr: join(&self.lines[1]),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pump(pipe: Pipe, source: impl Read + Send + 'static, tx: Sender<Event>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(source);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while matches!(buf.last(), Some(b'\n' | b'\r')) {
                        buf.pop();
                    }
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    if tx.send(Event::Line(pipe, line)).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

// ---------------------------------------------------------------------------
// Our programs.

/// Starts our server on an ephemeral loopback port; returns it and the port.
fn server(extra: &[&str]) -> (Proc, u16) {
    let mut cmd = Command::new(bin("server"));
    cmd.args(["--bind", "127.0.0.1", "--port", "0"]).args(extra);
    let mut server = Proc::spawn("server", cmd);
    let port = listening_port(&mut server, "listening on 127.0.0.1:");
    (server, port)
}

/// Reads the first stdout line, which must announce the address, and
/// returns the port in it.
fn listening_port(p: &mut Proc, prefix: &str) -> u16 {
    let line = p.out(prefix);
    assert_eq!(
        p.cursor[0], 1,
        "{}: the address must be the first line, got {:?}",
        p.label, p.lines[0]
    );
    let port = line.rsplit(':').next().unwrap().trim();
    port.parse()
        .unwrap_or_else(|_| panic!("no port in {}'s first line {line:?}", p.label))
}

/// Starts our client against `port`; with `name` it sends at once,
/// without it it asks on stdin (piped, so the test types).
fn client(label: &str, port: u16, name: Option<&str>) -> Proc {
    let mut cmd = Command::new(bin("client"));
    cmd.args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args(["--connect-timeout", "5", "--reply-timeout", "30"]);
    if let Some(name) = name {
        cmd.args(["--name", name]);
    }
    Proc::spawn(label, cmd)
}

/// A stdin client connects; waits until the server has accepted it as `letter`.
fn connect(server: &mut Proc, label: &str, port: u16, name: Option<&str>, letter: char) -> Proc {
    let c = client(label, port, name);
    server.out(&format!("as Client {letter}"));
    c
}

/// Waits until a stdin client has its greeting and asks for the name.
fn greeted(c: &mut Proc, letter: char) {
    c.out(&format!("From Server: Client {letter} connected"));
    c.out("Enter message to send to server:");
}

/// Types `name` into `c` and waits until the client reports it sent it.
fn type_and_send(c: &mut Proc, name: &str) {
    c.type_line(name);
    c.out("Sent to Server: Client ");
}

/// `first` types and sends, then (after [`ORDER_GAP`]) `second` types.
fn send_in_order(first: (&mut Proc, &str), second: (&mut Proc, &str)) {
    type_and_send(first.0, first.1);
    thread::sleep(ORDER_GAP);
    type_and_send(second.0, second.1);
}

/// Server plus two stdin clients, connected in this order and both greeted:
/// (server, port, X, Y).
fn greeted_pair(x: &str, y: &str) -> (Proc, u16, Proc, Proc) {
    let (mut server, port) = server(&[]);
    let mut cx = connect(&mut server, x, port, None, 'X');
    let mut cy = connect(&mut server, y, port, None, 'Y');
    server.out("Sent greetings");
    greeted(&mut cx, 'X');
    greeted(&mut cy, 'Y');
    (server, port, cx, cy)
}

/// Asserts a client exited 0 after sending `sent` and printing `ack`,
/// with no note on stderr (our server's strings are the seed's).
fn assert_client_ok(c: &mut Proc, sent: &str, ack: &str) {
    c.finish()
        .assert()
        .success()
        .stdout(
            contains(format!("Sent to Server: {sent}"))
                .and(contains(format!("From Server: {ack}"))),
        )
        .stderr(contains("note:").not());
}

/// Asserts the server printed both messages in arrival order, the ack and
/// the closing line, and exited 0.
fn assert_server_ok(s: &mut Proc, first: &str, second: &str, ack: &str) {
    s.finish().assert().success().stdout(
        contains(format!("Arrived 1st: {first}"))
            .and(contains(format!("Arrived 2nd: {second}")))
            .and(contains(format!("Acknowledgment: {ack}")))
            .and(contains("Sent acknowledgment to both X and Y")),
    );
}

// ---------------------------------------------------------------------------
// Peers written in the test: raw sockets.

/// A raw TCP peer with bounded reads.
struct Peer {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Peer {
    fn connect(port: u16) -> Peer {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the server");
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        stream.set_nodelay(true).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Peer { stream, reader }
    }

    /// One `\n`-terminated line (without it); panics on EOF or timeout.
    fn line(&mut self) -> String {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(_) if buf.ends_with(b"\n") => {
                buf.pop();
                String::from_utf8(buf).expect("the server sends UTF-8")
            }
            other => panic!(
                "no full line from the server ({other:?}); got {:?}",
                String::from_utf8_lossy(&buf)
            ),
        }
    }

    /// Everything until the server closes the connection.
    fn rest(&mut self) -> String {
        let mut buf = Vec::new();
        match self.reader.read_to_end(&mut buf) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!(
                "the server did not close the connection ({e}); got {:?}",
                String::from_utf8_lossy(&buf)
            ),
        }
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send to the server");
    }

    /// Asserts that the server sends nothing, and keeps the connection
    /// open, for `quiet`.
    fn assert_silent_for(&mut self, quiet: Duration) {
        self.stream.set_read_timeout(Some(quiet)).unwrap();
        let heard = self.reader.fill_buf().map(<[u8]>::to_vec);
        self.stream.set_read_timeout(Some(WAIT)).unwrap();
        match heard {
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Ok(bytes) if bytes.is_empty() => {
                panic!("the server closed the connection within {quiet:?}")
            }
            Ok(bytes) => panic!(
                "the server sent {:?} within {quiet:?}, when it should have said nothing",
                String::from_utf8_lossy(&bytes)
            ),
            Err(e) => panic!("reading from the server failed: {e}"),
        }
    }
}

/// A port on which nothing listens (bound, then released).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn peers_dir() -> PathBuf {
    manifest_dir().join("tests/peers")
}

fn python(label: &str, script: &str, args: &[&str]) -> Proc {
    let mut cmd = Command::new("python3");
    cmd.arg("-u").arg(peers_dir().join(script)).args(args);
    Proc::spawn(label, cmd)
}

// ---------------------------------------------------------------------------
// The assignment's cases.

#[test]
fn case1_x_connects_first_and_sends_first() {
    let (mut server, _port, mut alice, mut bob) = greeted_pair("alice", "bob");
    send_in_order((&mut alice, "Alice"), (&mut bob, "Bob"));
    let ack = "X: Alice received before Y: Bob";
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    assert_server_ok(&mut server, "Client X: Alice", "Client Y: Bob", ack);
}

/// Rubric item 5: the server greets the clients only once both are
/// connected. X, accepted and alone (the server has printed so), hears
/// nothing; once Y connects, each is told its letter.
#[test]
fn x_hears_nothing_until_y_has_connected() {
    let (mut server, port) = server(&[]);
    let mut x = Peer::connect(port);
    server.out("as Client X");
    x.assert_silent_for(ALONE);
    let mut y = Peer::connect(port);
    server.out("as Client Y");
    assert_eq!(x.line(), "Client X connected");
    assert_eq!(y.line(), "Client Y connected");
    x.send(b"Client X: Alice\n");
    thread::sleep(ORDER_GAP);
    y.send(b"Client Y: Bob\n");
    assert_eq!(x.line(), "X: Alice received before Y: Bob");
    server.finish().assert().success();
}

#[test]
fn case2_x_connects_first_y_sends_first() {
    let (mut server, _port, mut alice, mut bob) = greeted_pair("alice", "bob");
    send_in_order((&mut bob, "Bob"), (&mut alice, "Alice"));
    let ack = "Y: Bob received before X: Alice";
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    assert_server_ok(&mut server, "Client Y: Bob", "Client X: Alice", ack);
}

#[test]
fn connect_order_reversed_ack_follows_arrival_not_connection() {
    // Bob connects first, so Bob is X; Alice, connected second, types first.
    let (mut server, _port, mut bob, mut alice) = greeted_pair("bob", "alice");
    send_in_order((&mut alice, "Alice"), (&mut bob, "Bob"));
    let ack = "Y: Alice received before X: Bob";
    assert_client_ok(&mut bob, "Client X: Bob", ack);
    assert_client_ok(&mut alice, "Client Y: Alice", ack);
    assert_server_ok(&mut server, "Client Y: Alice", "Client X: Bob", ack);
}

#[test]
fn names_with_spaces_and_non_ascii() {
    let (mut server, _port, mut marley, mut zoe) = greeted_pair("marley", "zoe");
    send_in_order((&mut zoe, "Zoë"), (&mut marley, "Bob Marley"));
    let ack = "Y: Zoë received before X: Bob Marley";
    assert_client_ok(&mut marley, "Client X: Bob Marley", ack);
    assert_client_ok(&mut zoe, "Client Y: Zoë", ack);
    assert_server_ok(&mut server, "Client Y: Zoë", "Client X: Bob Marley", ack);
}

#[test]
fn simultaneous_named_clients_get_the_order_the_server_saw() {
    // Both send the moment they are greeted: either order is right, as long
    // as both clients get the order the server itself recorded.
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, Some("Alice"), 'X');
    let mut bob = connect(&mut server, "bob", port, Some("Bob"), 'Y');
    let first = server.out("Arrived 1st: Client ");
    let ack = if first.contains("Arrived 1st: Client X") {
        "X: Alice received before Y: Bob"
    } else {
        "Y: Bob received before X: Alice"
    };
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    server.finish().assert().success().stdout(
        contains(format!("Acknowledgment: {ack}"))
            .and(contains("Sent acknowledgment to both X and Y")),
    );
}

// ---------------------------------------------------------------------------
// Lenient framing: peers that send no newline.

/// X is our stdin client, Y a raw socket that sends `payload` with no line
/// end and keeps the connection open; Y sends first. Returns what the raw
/// peer received as its acknowledgement, and the server.
fn newline_less_y(payload: &[u8]) -> (String, Proc) {
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, None, 'X');
    let mut raw = Peer::connect(port);
    server.out("as Client Y");
    greeted(&mut alice, 'X');
    assert_eq!(raw.line(), "Client Y connected");
    raw.send(payload);
    thread::sleep(ORDER_GAP);
    type_and_send(&mut alice, "Alice");
    let ack = "Y: Bob received before X: Alice";
    let got = raw.line();
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    (got, server)
}

#[test]
fn newline_less_peer_with_prefix_is_understood() {
    let (got, mut server) = newline_less_y(b"Client Y: Bob");
    assert_eq!(got, "Y: Bob received before X: Alice");
    assert_server_ok(
        &mut server,
        "Client Y: Bob",
        "Client X: Alice",
        "Y: Bob received before X: Alice",
    );
}

#[test]
fn newline_less_bare_name_is_attributed_to_its_connection() {
    let (got, mut server) = newline_less_y(b"Bob");
    assert_eq!(got, "Y: Bob received before X: Alice");
    let out = server.finish();
    out.assert()
        .success()
        .stdout(contains("Arrived 1st: Client Y: Bob"))
        .stderr(contains("Client Y sent a bare message \"Bob\""));
}

/// Connects X then Y to a server of our own; X sends `x_message` (its
/// name is Alice), then Y `Client Y: Bob`; both get X's message first in
/// the ack. Gives what the server printed, once it has ended.
fn x_first_then_y_bob(x_message: &[u8]) -> assert_cmd::assert::Assert {
    let (mut server, port) = server(&[]);
    let mut x = Peer::connect(port);
    server.out("as Client X");
    let mut y = Peer::connect(port);
    assert_eq!(x.line(), "Client X connected");
    assert_eq!(y.line(), "Client Y connected");
    x.send(x_message);
    thread::sleep(ORDER_GAP);
    y.send(b"Client Y: Bob\n");
    let ack = "X: Alice received before Y: Bob";
    assert_eq!(x.line(), ack);
    assert_eq!(y.line(), ack);
    server.finish().assert()
}

/// A prefix naming the other letter (`Client Y: Alice` on X's connection)
/// counts for the connection it came on, and the server notes it; a
/// message with its own letter is taken without a note.
#[test]
fn a_message_naming_the_wrong_letter_counts_for_its_connection() {
    x_first_then_y_bob(b"Client Y: Alice\n")
        .success()
        .stdout(
            contains("Arrived 1st: Client X: Alice").and(contains("Arrived 2nd: Client Y: Bob")),
        )
        .stderr(
            contains("note: Client X (127.0.0.1:")
                .and(contains(
                    "wrote \"Client Y: Alice\", naming Y; it connected as X, so it counts as X's",
                ))
                .and(contains("\"Client Y: Bob\"").not()),
        );
}

/// A message with its own letter but slips of the seed's form (`client
/// x:  Alice`) is taken for its connection, and the server tells its
/// operator how it differed from `Client X: Alice`; the exact one beside it
/// gets no note.
#[test]
fn a_message_with_slips_is_taken_and_noted() {
    x_first_then_y_bob(b"client x:  Alice\n")
        .success()
        .stdout(contains("Arrived 1st: Client X: Alice"))
        .stderr(
            contains(
                "note: Client X's message \"client x:  Alice\" is not written as the seed's \
                 `Client X: Alice`: letters in another case; spaces missing or extra",
            )
            .and(contains("\"Client Y: Bob\"").not()),
        );
}

// ---------------------------------------------------------------------------
// The stdin client and serving more than one pair.

#[test]
fn stdin_client_typing_later_is_waited_for() {
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, None, 'X');
    let mut bob = connect(&mut server, "bob", port, Some("Bob"), 'Y');
    greeted(&mut alice, 'X');
    // Bob sent at once; Alice is a person who takes a moment to type.
    bob.out("Sent to Server: Client Y: Bob");
    thread::sleep(TYPING_DELAY);
    alice.type_line("Alice");
    let ack = "Y: Bob received before X: Alice";
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    assert_server_ok(&mut server, "Client Y: Bob", "Client X: Alice", ack);
}

#[test]
fn two_rounds_serve_two_pairs_in_turn() {
    let (mut server, port) = server(&["--rounds", "2"]);
    let mut pairs = Vec::new();
    for (x, y) in [("Alice", "Bob"), ("Carol", "Dave")] {
        let cx = connect(&mut server, x, port, Some(x), 'X');
        let cy = connect(&mut server, y, port, Some(y), 'Y');
        server.out("Sent acknowledgment to both X and Y");
        pairs.push((cx, x, cy, y));
    }
    for (mut cx, x, mut cy, y) in pairs {
        let either = || {
            contains(format!("From Server: X: {x} received before Y: {y}")).or(contains(format!(
                "From Server: Y: {y} received before X: {x}"
            )))
        };
        cx.finish()
            .assert()
            .success()
            .stdout(contains("From Server: Client X connected").and(either()));
        cy.finish()
            .assert()
            .success()
            .stdout(contains("From Server: Client Y connected").and(either()));
    }
    server
        .finish()
        .assert()
        .success()
        .stdout(contains("Sent acknowledgment to both X and Y").count(2));
}

/// `--rounds 0` is the seed's "infinite loop": pair after pair, and a pair
/// that fails (X leaves without a word) is reported, not the end of the
/// server.
#[test]
fn rounds_0_serves_pair_after_pair_and_outlives_a_failed_one() {
    let (mut server, port) = server(&["--rounds", "0"]);
    let x = Peer::connect(port);
    server.out("as Client X");
    let mut y = Peer::connect(port);
    server.out("as Client Y");
    drop(x); // X leaves before sending anything: round 1 fails
    server.err("error: round 1 failed: ");
    y.rest(); // and Y is let go
    for round in 2..=3 {
        let (ack_x, ack_y) = raw_round(&mut server, port);
        assert_eq!(ack_x, ack_y, "round {round}");
        server.out("Sent acknowledgment to both X and Y");
    }
    assert!(
        matches!(server.child.try_wait(), Ok(None)),
        "the server stopped after three pairs\n{}",
        server.transcript()
    );
}

/// One round of two raw peers: X connects (the server accepts it), then
/// Y; both are greeted; X writes `Client X: Alice`, Y `Client Y: Bob`
/// right after. Returns the ack each received.
fn raw_round(server: &mut Proc, port: u16) -> (String, String) {
    let mut x = Peer::connect(port);
    server.out("as Client X");
    let mut y = Peer::connect(port);
    assert_eq!(x.line(), "Client X connected");
    assert_eq!(y.line(), "Client Y connected");
    x.send(b"Client X: Alice\n");
    y.send(b"Client Y: Bob\n");
    (x.line(), y.line())
}

// ---------------------------------------------------------------------------
// Bad peers: one clear message, a non-zero exit or a refused connection,
// within bounded time.

#[test]
fn early_disconnect_fails_the_round_naming_the_client() {
    let (mut server, port) = server(&[]);
    let raw = Peer::connect(port);
    server.out("as Client X");
    drop(raw); // X leaves before sending anything
    let mut bob = connect(&mut server, "bob", port, Some("Bob"), 'Y');
    server.finish().assert().code(1).stderr(
        contains("error: Client X (127.0.0.1:")
            .and(contains("disconnected before sending its message")),
    );
    bob.finish().assert().code(1).stderr(contains("error:"));
}

/// A client that dies after its greeting arrived, without reading it, is
/// gone with a reset rather than a clean close (the kernel resets a
/// connection closed with data unread): that too is a client that
/// disconnected before sending its message.
#[test]
fn a_client_gone_with_a_reset_is_reported_as_disconnected() {
    let (mut server, port) = server(&[]);
    let x = Peer::connect(port);
    server.out("as Client X");
    let _y = Peer::connect(port);
    server.out("Sent greetings");
    let mut byte = [0u8; 1];
    x.stream.peek(&mut byte).expect("the greeting arrives"); // there, unread
    drop(x);
    server.finish().assert().code(1).stderr(
        contains("error: Client X (127.0.0.1:")
            .and(contains("disconnected before sending its message")),
    );
}

#[test]
fn third_client_is_turned_away_and_the_round_succeeds() {
    let (mut server, port, mut alice, mut bob) = greeted_pair("alice", "bob");
    let mut third = Peer::connect(port);
    let said = third.rest();
    assert!(
        said.starts_with("server busy"),
        "the third client was told {said:?}"
    );
    server.err("Rejected connection from 127.0.0.1:");
    send_in_order((&mut alice, "Alice"), (&mut bob, "Bob"));
    let ack = "X: Alice received before Y: Bob";
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    assert_server_ok(&mut server, "Client X: Alice", "Client Y: Bob", ack);
}

#[test]
fn silent_client_times_out_naming_the_client() {
    let (mut server, port) = server(&["--idle-timeout", "1"]);
    let mut alice = connect(&mut server, "alice", port, Some("Alice"), 'X');
    let mut silent = Peer::connect(port);
    server.out("Sent greetings");
    let started = Instant::now();
    assert_eq!(silent.line(), "Client Y connected");
    server
        .finish()
        .assert()
        .code(1)
        .stderr(contains("error: Client Y (127.0.0.1:").and(contains("sent nothing for 1s")));
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the server took {took:?} to give up on a silent client"
    );
    alice.finish().assert().code(1);
}

#[test]
fn slowloris_is_cut_off_by_the_message_deadline() {
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, Some("Alice"), 'X');
    let mut slow = Peer::connect(port);
    server.out("as Client Y");
    assert_eq!(slow.line(), "Client Y connected");
    let started = Instant::now();
    let trickle = Trickle::start(slow.stream.try_clone().unwrap());
    server
        .finish()
        .assert()
        .code(1)
        .stderr(
            contains("error: Client Y (127.0.0.1:").and(contains(format!(
                "took longer than {MESSAGE_DEADLINE:?} to finish one message"
            ))),
        );
    let took = started.elapsed();
    assert!(
        took >= MESSAGE_DEADLINE - Duration::from_millis(500)
            && took < MESSAGE_DEADLINE + Duration::from_secs(10),
        "cut off after {took:?}; the deadline is {MESSAGE_DEADLINE:?}"
    );
    drop(trickle);
    alice.finish().assert().code(1);
}

/// Writes one byte every [`TRICKLE_EVERY`], never a newline, until dropped
/// or the connection breaks.
struct Trickle {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Trickle {
    fn start(mut stream: TcpStream) -> Trickle {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let bytes = b"Client Y: Bob".iter().chain(std::iter::repeat(&b'b'));
            for b in bytes {
                if flag.load(Ordering::Relaxed) || stream.write_all(&[*b]).is_err() {
                    return;
                }
                thread::sleep(TRICKLE_EVERY);
            }
        });
        Trickle {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Trickle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn megabyte_line_is_refused() {
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, Some("Alice"), 'X');
    let mut big = Peer::connect(port);
    server.out("as Client Y");
    assert_eq!(big.line(), "Client Y connected");
    let mut stream = big.stream.try_clone().unwrap();
    // The server stops reading after the first KiB, so this write ends in
    // an error (reset) or a timeout, never by itself: run it aside.
    let writer = thread::spawn(move || {
        let _ = stream.write_all(&vec![b'a'; 1 << 20]);
    });
    server
        .finish()
        .assert()
        .code(1)
        .stderr(
            contains("error: Client Y (127.0.0.1:").and(contains(format!(
                "more than {MAX_MESSAGE_BYTES} bytes without a line end"
            ))),
        );
    writer.join().unwrap();
    alice.finish().assert().code(1);
}

#[test]
fn non_utf8_bytes_are_refused() {
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, Some("Alice"), 'X');
    let mut latin1 = Peer::connect(port);
    server.out("as Client Y");
    assert_eq!(latin1.line(), "Client Y connected");
    latin1.send(b"Client Y: Zo\xeb\n"); // "Zoë" in Latin-1
    server
        .finish()
        .assert()
        .code(1)
        .stderr(contains("error: Client Y (127.0.0.1:").and(contains("not valid UTF-8")));
    alice.finish().assert().code(1);
}

// ---------------------------------------------------------------------------
// The client on its own.

#[test]
fn client_without_a_server_gives_up_after_its_connect_timeout() {
    let port = closed_port().to_string();
    let started = Instant::now();
    assert_cmd::Command::new(bin("client"))
        .args(["--server", "127.0.0.1", "--port", &port, "--name", "Alice"])
        .args(["--connect-timeout", "1"])
        .timeout(WAIT)
        .assert()
        .code(1)
        .stderr(contains(format!(
            "error: cannot connect to 127.0.0.1:{port} within 1s"
        )));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "gave up after {took:?}"
    );
}

/// The longest message the server takes (`MAX_MESSAGE_BYTES`, its line
/// end not counted) is one the client sends; and the ack that names two
/// such names, twice as long, reaches both clients whole.
#[test]
fn the_client_sends_the_longest_message_the_server_takes() {
    let room = MAX_MESSAGE_BYTES - "Client X: ".len();
    let (a, b) = ("a".repeat(room), "b".repeat(room));
    let (mut server, port) = server(&[]);
    let mut x = connect(&mut server, "x", port, Some(&a), 'X');
    let mut y = connect(&mut server, "y", port, Some(&b), 'Y');
    let first = server.out("Arrived 1st: Client ");
    let ack = if first.contains("Client X") {
        format!("X: {a} received before Y: {b}")
    } else {
        format!("Y: {b} received before X: {a}")
    };
    assert_client_ok(&mut x, &format!("Client X: {a}"), &ack);
    assert_client_ok(&mut y, &format!("Client Y: {b}"), &ack);
    server.finish().assert().success();
}

/// A name that would make the message one byte longer than the server
/// takes is refused by the client itself, saying why, before anything
/// is sent.
#[test]
fn the_client_refuses_a_message_longer_than_the_server_takes() {
    let too_long = "b".repeat(MAX_MESSAGE_BYTES - "Client X: ".len() + 1);
    let (mut server, port) = server(&[]);
    let mut x = connect(&mut server, "x", port, Some(&too_long), 'X');
    let _y = Peer::connect(port);
    x.finish()
        .assert()
        .code(1)
        .stdout(contains("Sent to Server:").not())
        .stderr(contains(format!(
            "error: the message is {} bytes; the limit is {MAX_MESSAGE_BYTES}",
            MAX_MESSAGE_BYTES + 1
        )));
    server.finish().assert().code(1).stderr(
        contains("Client X (127.0.0.1:").and(contains("disconnected before sending its message")),
    );
}

#[test]
fn client_whose_stdin_closes_before_a_name_fails() {
    let (mut server, port) = server(&[]);
    let mut alice = connect(&mut server, "alice", port, None, 'X');
    alice.close_stdin();
    let mut raw = Peer::connect(port);
    server.out("as Client Y");
    assert_eq!(raw.line(), "Client Y connected");
    alice
        .finish()
        .assert()
        .code(1)
        .stdout(contains("Enter message to send to server:"))
        .stderr(contains("error: stdin closed before a name was typed"));
    server.finish().assert().code(1).stderr(
        contains("Client X (127.0.0.1:").and(contains("disconnected before sending its message")),
    );
}

/// A server written in the test that sends `greeting`, reads one message
/// and answers `reply` (or closes without one): returns its port and a
/// thread that yields the message it read.
fn scripted_server(
    greeting: &'static str,
    reply: Option<&'static str>,
) -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut out = stream.try_clone().unwrap();
        out.write_all(format!("{greeting}\n").as_bytes()).unwrap();
        let mut message = String::new();
        BufReader::new(stream).read_line(&mut message).unwrap();
        if let Some(reply) = reply {
            out.write_all(format!("{reply}\n").as_bytes()).unwrap();
        }
        message.trim_end().to_string()
    });
    (port, server)
}

/// Our client, named Alice, against `port`.
fn alice_at(port: u16) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(bin("client"));
    cmd.args(["--server", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--name",
            "Alice",
            "--connect-timeout",
            "5",
            "--reply-timeout",
            "10",
        ])
        .timeout(WAIT);
    cmd
}

#[test]
fn client_reads_past_a_servers_slips_and_notes_them() {
    let (port, server) = scripted_server(
        "Client X Connected",
        Some("Y: Bob recieved before X: Alice"),
    );
    alice_at(port).assert().success().stdout(
        contains("From Server: Client X Connected")
            .and(contains("Sent to Server: Client X: Alice"))
            .and(contains("From Server: Y: Bob recieved before X: Alice")),
    ).stderr(
        contains("note: the greeting is not written as the seed's `Client X connected`: letters in another case")
            .and(contains("note: the acknowledgment is not written as the seed's `Y: Bob received before X: Alice`: `recieved` for `received`")),
    );
    assert_eq!(server.join().unwrap(), "Client X: Alice");
}

#[test]
fn client_prints_a_reply_that_is_no_ack_and_leaves_judging_it_to_the_checks() {
    let (port, server) = scripted_server("Client Y connected", Some("Thanks, got it!"));
    alice_at(port)
        .assert()
        .success()
        .stdout(contains("From Server: Thanks, got it!"))
        .stderr(contains(
            "note: the server's reply is not an acknowledgment",
        ));
    assert_eq!(server.join().unwrap(), "Client Y: Alice");
}

#[test]
fn client_greeted_without_the_seeds_greeting_goes_on_with_what_it_can_tell() {
    let (port, server) = scripted_server(
        "Welcome to the server",
        Some("X: Alice received before Y: Bob"),
    );
    alice_at(port)
        .assert()
        .success()
        .stdout(
            contains("From Server: Welcome to the server").and(contains("Sent to Server: Alice")),
        )
        .stderr(contains("it names no letter, so we send the name alone"));
    assert_eq!(server.join().unwrap(), "Alice");
    let (port, server) =
        scripted_server("You are client Y", Some("Y: Alice received before X: Bob"));
    alice_at(port)
        .assert()
        .success()
        .stderr(contains("it names Y, so we take that letter"));
    assert_eq!(server.join().unwrap(), "Client Y: Alice");
}

#[test]
fn client_without_a_reply_fails() {
    let (port, server) = scripted_server("Client X connected", None);
    alice_at(port).assert().code(1).stderr(contains(
        "error: the server closed the connection before acknowledging our message",
    ));
    assert_eq!(server.join().unwrap(), "Client X: Alice");
}

// ---------------------------------------------------------------------------
// Interoperability with classic Python peers (tests/peers), which send with
// one send() and no newline and read with recv(1024).

#[test]
fn our_server_with_a_classic_client_that_connects_first_and_sends_late() {
    let (mut server, port) = server(&[]);
    let port_s = port.to_string();
    let mut classic = python(
        "classic client",
        "classic_client.py",
        &["127.0.0.1", &port_s, "Alice", CLASSIC_LATE_S],
    );
    server.out("as Client X");
    let mut bob = connect(&mut server, "bob", port, Some("Bob"), 'Y');
    let ack = "Y: Bob received before X: Alice";
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    classic.finish().assert().success().stdout(
        contains("From Server: Client X connected")
            .and(contains("Sent: Client X: Alice"))
            .and(contains(format!("From Server: {ack}"))),
    );
    assert_server_ok(&mut server, "Client Y: Bob", "Client X: Alice", ack);
}

#[test]
fn our_clients_with_a_classic_server_that_never_sends_a_newline() {
    let mut classic = python("classic server", "classic_server.py", &["127.0.0.1", "0"]);
    let port = listening_port(&mut classic, "The server is ready to receive on 127.0.0.1:");
    let mut alice = connect(&mut classic, "alice", port, None, 'X');
    let mut bob = connect(&mut classic, "bob", port, None, 'Y');
    greeted(&mut alice, 'X');
    greeted(&mut bob, 'Y');
    send_in_order((&mut alice, "Alice"), (&mut bob, "Bob"));
    // The classic server builds its ack from our messages unstripped
    // ("X: Alice\n received before Y: Bob\n"); our client folds it back.
    let ack = "X: Alice received before Y: Bob";
    assert_client_ok(&mut alice, "Client X: Alice", ack);
    assert_client_ok(&mut bob, "Client Y: Bob", ack);
    classic.finish().assert().success().stdout(
        contains("X: Alice\n received before Y: Bob")
            .and(contains("Sent acknowledgment to both X and Y")),
    );
}

/// Sends written microseconds apart, one right after the other from one
/// thread, still come out in order: the server orders by the kernel's
/// receive stamps, not by which of its two reader threads runs first.
#[test]
fn back_to_back_sends_are_ordered_by_arrival_every_time() {
    const ROUNDS: usize = 40;
    let (mut server, port) = server(&["--rounds", &ROUNDS.to_string()]);
    for round in 0..ROUNDS {
        let mut x = Peer::connect(port);
        server.expect(Pipe::Out, "as Client X");
        let mut y = Peer::connect(port);
        assert_eq!(x.line(), "Client X connected");
        assert_eq!(y.line(), "Client Y connected");
        x.send(b"Client X: Alice\n");
        y.send(b"Client Y: Bob\n");
        assert_eq!(
            x.line(),
            "X: Alice received before Y: Bob",
            "round {round}: X wrote first"
        );
        assert_eq!(y.line(), "X: Alice received before Y: Bob");
    }
    server.finish().assert().success();
}

/// A client started before its server says so once, then keeps trying
/// until its connect timeout.
#[test]
fn a_client_says_once_that_it_is_retrying() {
    let t = Instant::now();
    Command::new(bin("client"))
        .args(["--server", "127.0.0.1", "--port", "1", "--connect-timeout", "1", "--name", "Alice"])
        .assert()
        .code(1)
        .stderr(
            "cannot connect to 127.0.0.1:1 yet (Connection refused (os error 111)); retrying for up to 1 s (is the server running?)\nerror: cannot connect to 127.0.0.1:1 within 1s: Connection refused (os error 111)\n",
        );
    assert!(t.elapsed() < Duration::from_secs(5));
}
