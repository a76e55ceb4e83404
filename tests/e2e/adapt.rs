//! `server.adapt_network` on Mininet: programs that hard-code where they
//! listen and dial (as most students' do) run across the hosts as handed
//! in, and the record says what the network was adapted for. Each test
//! writes its student-style programs into a temporary folder.

use std::path::Path;

use pa3_mininet::orchestrator::event::Adaptation;
use pa3_mininet::orchestrator::record::RunRecord;

use crate::support::{
    assert_no_interface_of_a_finished_run, interfaces, orchestrate, require_mininet, tempdir,
    write_scenario,
};

/// A student's server: binds `@ADDR@`:`@PORT@` itself, one thread per client,
/// the ack in arrival order.
const SERVER: &str = r#"from socket import *
import threading
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
serverSocket.bind((@ADDR@, @PORT@))
serverSocket.listen(2)
print('The server is ready to receive')
conns = []
for letter in ['X', 'Y']:
    c, addr = serverSocket.accept()
    print('Accepted', letter, addr)
    conns.append((letter, c))
for letter, c in conns:
    c.send(('Client ' + letter + ' connected').encode())
msgs = []
lock = threading.Lock()
def read(letter, c):
    m = c.recv(1024).decode()
    with lock:
        msgs.append(m)
    print('Received: ' + m)
threads = [threading.Thread(target=read, args=x) for x in conns]
for t in threads: t.start()
for t in threads: t.join()
ack = msgs[0].replace('Client ', '') + ' received before ' + msgs[1].replace('Client ', '')
for letter, c in conns:
    c.send(ack.encode())
print(ack)
print('Sent acknowledgment to both X and Y')
"#;

/// A student's client: dials `@ADDR@`:`@PORT@` itself, reads the name after
/// the greeting.
const CLIENT: &str = r#"from socket import *
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((@ADDR@, @PORT@))
greeting = clientSocket.recv(1024).decode()
print('From Server:', greeting)
name = input('Enter your name: ')
message = 'Client ' + greeting.split()[1] + ': ' + name
clientSocket.send(message.encode())
print('Sent:', message)
print('From Server:', clientSocket.recv(1024).decode())
"#;

/// Writes the pair into `dir`, the server bound to `server_at` and the
/// client dialing `client_to` (Python literals: `'127.0.0.1', 5000`).
fn write_pair(dir: &Path, server_at: (&str, u16), client_to: (&str, u16)) {
    let fill = |text: &str, (addr, port): (&str, u16)| {
        text.replace("@ADDR@", &format!("'{addr}'"))
            .replace("@PORT@", &port.to_string())
    };
    std::fs::write(dir.join("server.py"), fill(SERVER, server_at)).unwrap();
    std::fs::write(dir.join("client.py"), fill(CLIENT, client_to)).unwrap();
}

/// The seed's case 2 with the student's programs (`ours_clients`: our
/// clients instead of theirs), on an adapted network or not.
fn scenario(ours_clients: bool, adapt: bool) -> String {
    let cmd = if ours_clients {
        String::new()
    } else {
        ", cmd: python3 client.py".to_string()
    };
    format!(
        "name: adapted\n\
         server: {{ host: h1, cmd: python3 server.py, keeps_running: true, adapt_network: {adapt} }}\n\
         clients:\n  - {{ id: a, host: h2, name: Alice{cmd} }}\n  - {{ id: b, host: h3, name: Bob{cmd} }}\n\
         steps: [ {{connect: a}}, {{connect: b}}, {{send: b}}, {{sleep_ms: 200}}, {{send: a}} ]\n\
         timeout_s: 8\n"
    )
}

/// Runs `scenario` from `dir` on Mininet; gives the exit code and record.
fn run(dir: &Path, text: &str) -> (i32, RunRecord) {
    let before = interfaces();
    let file = write_scenario(dir, "adapted.yaml", text);
    let results = dir.join("results");
    let out = orchestrate()
        .args(["--quiet", "--results"])
        .arg(&results)
        .arg(&file)
        .output()
        .unwrap();
    let json = std::fs::read_to_string(results.join("latest/summary.json")).unwrap_or_else(|e| {
        panic!(
            "no summary ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_no_interface_of_a_finished_run(&before);
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&json).unwrap(),
    )
}

fn failed(r: &RunRecord) -> Vec<&str> {
    r.verdicts
        .iter()
        .filter(|v| !v.passed)
        .map(|v| v.id.as_str())
        .collect()
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_pair_on_localhost_runs_across_hosts_and_the_record_says_how() {
    require_mininet();
    let dir = tempdir();
    write_pair(dir.path(), ("127.0.0.1", 5000), ("localhost", 5000));
    let (code, r) = run(dir.path(), &scenario(false, true));
    assert_eq!((code, failed(&r)), (0, vec![]), "{:?}", r.adaptations);
    assert_eq!(
        r.ack_observed.as_deref(),
        Some("Y: Bob received before X: Alice")
    );
    assert_eq!(
        r.adaptations[0],
        Adaptation::ServerListens {
            listen: "127.0.0.1:5000".into(),
            reached_as: "h1 (10.0.0.1:5000)".into()
        }
    );
    let dials: Vec<String> = r.adaptations[1..].iter().map(|a| a.to_string()).collect();
    assert_eq!(
        dials,
        [
            "client a dials localhost:5000; it was routed to h1 (10.0.0.1:5000)",
            "client b dials localhost:5000; it was routed to h1 (10.0.0.1:5000)"
        ]
    );
    // The server saw the clients' own addresses, not the NAT's.
    let text = std::fs::read_to_string(dir.path().join("results/latest/server.log")).unwrap();
    assert!(text.contains("('10.0.0.2', "), "{text}");
    assert!(text.contains("('10.0.0.3', "), "{text}");
}

#[test]
#[ignore = "needs root and Mininet"]
fn without_adapting_the_same_pair_cannot_meet_across_hosts() {
    require_mininet();
    let dir = tempdir();
    write_pair(dir.path(), ("127.0.0.1", 5000), ("localhost", 5000));
    let (code, r) = run(
        dir.path(),
        &scenario(false, false).replace("name: adapted", "name: not adapted"),
    );
    assert_eq!(code, 3);
    assert!(failed(&r).contains(&"steps"), "{:?}", failed(&r));
    assert!(r.adaptations.is_empty());
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_server_bound_to_the_students_home_lan_address_is_reached_there() {
    require_mininet();
    let dir = tempdir();
    write_pair(dir.path(), ("192.168.1.20", 12000), ("192.168.1.20", 12000));
    let (code, r) = run(dir.path(), &scenario(false, true));
    assert_eq!((code, failed(&r)), (0, vec![]), "{:?}", r.adaptations);
    let said: Vec<String> = r.adaptations.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        said,
        [
            "the server listens on 192.168.1.20:12000 only; connections to h1 (10.0.0.1:12000) were routed to it",
            "client a dials 192.168.1.20:12000; it was routed to h1 (10.0.0.1:12000)",
            "client b dials 192.168.1.20:12000; it was routed to h1 (10.0.0.1:12000)"
        ]
    );
}

#[test]
#[ignore = "needs root and Mininet"]
fn our_clients_find_a_server_on_another_port_and_nothing_needed_adapting() {
    require_mininet();
    let dir = tempdir();
    write_pair(dir.path(), ("", 6000), ("10.0.0.1", 6000));
    let (code, r) = run(dir.path(), &scenario(true, true));
    assert_eq!((code, failed(&r)), (0, vec![]));
    assert!(r.adaptations.is_empty(), "{:?}", r.adaptations);
    // And the pair itself, as handed in, needs nothing either.
    let (code, r) = run(dir.path(), &scenario(false, true));
    assert_eq!((code, failed(&r)), (0, vec![]));
    assert!(r.adaptations.is_empty(), "{:?}", r.adaptations);
}

#[test]
#[ignore = "needs root and Mininet"]
fn a_client_that_puts_the_server_on_its_own_host_is_routed_to_h1() {
    require_mininet();
    let dir = tempdir();
    // The student ran the server on h2 when testing: the client dials 10.0.0.2.
    write_pair(dir.path(), ("", 12000), ("10.0.0.2", 12000));
    let (code, r) = run(dir.path(), &scenario(false, true));
    assert_eq!((code, failed(&r)), (0, vec![]));
    let said: Vec<String> = r.adaptations.iter().map(|a| a.to_string()).collect();
    assert_eq!(
        said,
        [
            "client a dials 10.0.0.2:12000; it was routed to h1 (10.0.0.1:12000)",
            "client b dials 10.0.0.2:12000; it was routed to h1 (10.0.0.1:12000)"
        ]
    );
}
