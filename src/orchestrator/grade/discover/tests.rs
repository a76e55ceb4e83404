//! Discovery on small folders shaped like real PA3 submissions: the
//! programs are written here, in the styles students hand in.

use std::path::{Path, PathBuf};

use super::*;

/// A threaded PA3 server in the seed's protocol.
const SERVER_PY: &str = r#"# PA3 server
# Multithreading: each client is read in a thread of its own, so the
# first message to arrive is seen first, whichever client connected first.
import threading
from socket import *

serverPort = 12000
serverSocket = socket(AF_INET, SOCK_STREAM)
serverSocket.bind(('', serverPort))
serverSocket.listen(2)
print('The server is ready to receive')

arrived = []
lock = threading.Lock()

def read_from(conn, letter):
    text = conn.recv(1024).decode()
    with lock:
        arrived.append(text)

conns = []
for letter in ['X', 'Y']:
    conn, addr = serverSocket.accept()
    print('Accepted connection, calling it client ' + letter)
    conns.append((conn, letter))
for conn, letter in conns:
    conn.send(('Client ' + letter + ' connected').encode())
readers = [threading.Thread(target=read_from, args=c) for c in conns]
for t in readers:
    t.start()
for t in readers:
    t.join()
ack = arrived[0] + ' received before ' + arrived[1]
for conn, letter in conns:
    conn.send(ack.encode())
print('Sent acknowledgment to both X and Y')
"#;

/// A client that reads its letter in the greeting and its name on stdin.
const CLIENT_PY: &str = r#"from socket import *

serverName = '10.0.0.1'
serverPort = 12000
clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect((serverName, serverPort))
greeting = clientSocket.recv(1024).decode()
print('From Server:', greeting)
letter = greeting.split()[1]
name = input('Enter your name: ')
message = 'Client ' + letter + ': ' + name
clientSocket.send(message.encode())
print(clientSocket.recv(1024).decode())
clientSocket.close()
"#;

/// The textbook's capitalization server, as students keep it around.
const STUB_SERVER_PY: &str = r#"from socket import *
port = 12000
listener = socket(AF_INET, SOCK_STREAM)
listener.bind(('', port))
listener.listen(1)
print('The server is ready to receive')
while True:
    conn, addr = listener.accept()
    line = conn.recv(1024).decode()
    capitalizedSentence = line.upper()
    conn.send(capitalizedSentence.encode())
    conn.close()
"#;

const STUB_CLIENT_PY: &str = r#"from socket import *
s = socket(AF_INET, SOCK_STREAM)
s.connect(('localhost', 12000))
sentence = input('Input lowercase sentence:')
s.send(sentence.encode())
modifiedSentence = s.recv(1024)
print('From Server: ', modifiedSentence.decode())
s.close()
"#;

/// A client of a pair whose letter and name are written in.
fn lettered_client(letter: char, name: &str) -> String {
    format!(
        "import socket\n\nsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nsock.connect(('127.0.0.1', 12000))\nprint(sock.recv(1024).decode())\nmsg = 'Client {letter}: {name}'\nsock.sendall(msg.encode())\nprint('Sent:', msg)\nprint(sock.recv(1024).decode())\nsock.close()\n"
    )
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn discover_in(files: &[(&str, &str)]) -> Discovery {
    let dir = folder(files);
    discover(dir.path(), &Pins::default(), &Interpreters::none())
}

fn server(d: &Discovery) -> &Program {
    d.server
        .as_ref()
        .unwrap_or_else(|m| panic!("no server: {m}"))
}

fn one(d: &Discovery) -> &Client {
    match d.clients.as_ref() {
        Ok(Clients::One(c)) => c,
        other => panic!("not one client: {other:?}"),
    }
}

fn two(d: &Discovery) -> (&Client, &Client) {
    match d.clients.as_ref() {
        Ok(Clients::Two { x, y }) => (x, y),
        other => panic!("not two clients: {other:?}"),
    }
}

fn ignored(d: &Discovery, file: &str) -> String {
    d.ignored
        .iter()
        .find(|i| i.file == Path::new(file))
        .unwrap_or_else(|| panic!("{file} not passed over: {:?}", d.ignored))
        .why
        .clone()
}

#[test]
fn the_classic_layout_is_found_as_it_is() {
    let d = discover_in(&[("server.py", SERVER_PY), ("client.py", CLIENT_PY)]);
    let s = server(&d);
    assert_eq!(
        (s.entry.clone(), s.dir.clone()),
        ("server.py".into(), PathBuf::new())
    );
    assert_eq!((s.lang, s.build.clone()), (Lang::Python3, None));
    assert_eq!(s.run, ["python3", "server.py"]);
    assert!(
        s.why
            .starts_with("server.py: binds, listens and accepts (a server) (Python 3)"),
        "{}",
        s.why
    );
    assert!(s.why.contains("\"received before\""), "{}", s.why);
    let c = one(&d);
    assert_eq!(c.program.run, ["python3", "client.py"]);
    assert_eq!(
        (c.name_from.clone(), c.letter_from),
        (NameFrom::Stdin, LetterFrom::Greeting)
    );
    assert!(d.ignored.is_empty() && d.problems().is_empty(), "{d:?}");
}

#[test]
fn textbook_file_names_and_team_names_are_found_by_what_the_code_does() {
    let d = discover_in(&[("TCPServer.py", SERVER_PY), ("TCPClient.py", CLIENT_PY)]);
    assert_eq!(server(&d).run, ["python3", "TCPServer.py"]);
    assert_eq!(one(&d).program.entry, Path::new("TCPClient.py"));
    let d = discover_in(&[
        ("PA2Server_smith_jones.py", SERVER_PY),
        ("PA2Client_smith_jones.py", CLIENT_PY),
        ("README.md", "# PA3\nRun the server first.\n"),
    ]);
    assert_eq!(server(&d).entry, Path::new("PA2Server_smith_jones.py"));
    assert_eq!(one(&d).program.entry, Path::new("PA2Client_smith_jones.py"));
}

#[test]
fn two_client_programs_with_written_in_letters_and_names_are_x_and_y() {
    let x = lettered_client('X', "Alice");
    let y = lettered_client('Y', "Bob");
    let d = discover_in(&[
        ("server.py", SERVER_PY),
        ("yClient.py", &y),
        ("xClient.py", &x),
    ]);
    let (x, y) = two(&d);
    assert_eq!(
        (x.program.entry.clone(), y.program.entry.clone()),
        ("xClient.py".into(), "yClient.py".into())
    );
    assert_eq!(x.letter_from, LetterFrom::Fixed('X'));
    assert_eq!(y.letter_from, LetterFrom::Fixed('Y'));
    assert_eq!(x.name_from, NameFrom::Fixed(Some("Alice".into())));
    assert_eq!(y.name_from, NameFrom::Fixed(Some("Bob".into())));
    assert!(
        x.program
            .why
            .contains("one of two client programs, the one for X (it says so)"),
        "{}",
        x.program.why
    );
}

#[test]
fn two_client_programs_told_apart_by_their_names_only() {
    let d = discover_in(&[
        ("server.py", SERVER_PY),
        ("clientB.py", CLIENT_PY),
        ("clientA.py", CLIENT_PY),
    ]);
    let (x, y) = two(&d);
    assert_eq!(x.program.entry, Path::new("clientA.py"));
    assert_eq!(y.program.entry, Path::new("clientB.py"));
    assert!(
        y.program.why.contains("the one for Y (its name says so)"),
        "{}",
        y.program.why
    );
    // Two copies of one generic client without letters are one program.
    let d = discover_in(&[
        ("server.py", SERVER_PY),
        ("client.py", CLIENT_PY),
        ("client_v2.py", CLIENT_PY),
    ]);
    assert_eq!(one(&d).program.entry, Path::new("client.py"));
    assert!(ignored(&d, "client_v2.py").starts_with("also a client; client.py is used"));
}

#[test]
fn a_textbook_stub_beside_the_real_work_in_a_subfolder_is_passed_over() {
    let d = discover_in(&[
        ("TCPServer.py", STUB_SERVER_PY),
        ("TCPClient.py", STUB_CLIENT_PY),
        ("PA3/pa3_server.py", SERVER_PY),
        ("PA3/pa3_client.py", CLIENT_PY),
    ]);
    let s = server(&d);
    assert_eq!(
        (s.entry.clone(), s.dir.clone()),
        ("PA3/pa3_server.py".into(), "PA3".into())
    );
    assert_eq!(s.run, ["python3", "pa3_server.py"]);
    assert_eq!(one(&d).program.entry, Path::new("PA3/pa3_client.py"));
    let why = ignored(&d, "TCPServer.py");
    assert!(
        why.starts_with("the textbook's uppercase echo server, nothing of PA3"),
        "{why}"
    );
    assert!(ignored(&d, "TCPClient.py").contains("echo client"));
    // Alone, the stub is still the server: what it does is graded.
    let d = discover_in(&[("TCPServer.py", STUB_SERVER_PY)]);
    assert!(server(&d).why.contains("textbook's uppercase echo program"));
}

#[test]
fn work_several_folders_down_and_earlier_versions_beside_it() {
    let d = discover_in(&[
        ("Smith_PA3/code/final/server.py", SERVER_PY),
        ("Smith_PA3/code/final/client.py", CLIENT_PY),
        ("Smith_PA3/code/old/server.py", SERVER_PY),
        ("Smith_PA3/code/final/server_backup.py", SERVER_PY),
    ]);
    assert_eq!(server(&d).dir, Path::new("Smith_PA3/code/final"));
    assert!(ignored(&d, "Smith_PA3/code/old/server.py").contains("(under old/)"));
    assert!(ignored(&d, "Smith_PA3/code/final/server_backup.py")
        .contains("named like a side copy (`backup`)"));
}

#[test]
fn python2_runs_with_python2_or_is_a_problem_without_it() {
    let server2 = "#!/usr/bin/env python\nimport thread\nfrom socket import *\nserverSocket = socket(AF_INET, SOCK_STREAM)\nserverSocket.bind(('', 12000))\nserverSocket.listen(2)\nprint 'The server is ready to receive'\nconnX, addrX = serverSocket.accept()\nconnY, addrY = serverSocket.accept()\nfirst = connX.recv(1024)\nsecond = connY.recv(1024)\nack = '%s received before %s' % (first, second)\nprint ack\n";
    let client2 = "from socket import *\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('10.0.0.1', 12000))\nprint s.recv(1024)\nname = raw_input('Name: ')\ns.send(name)\nprint s.recv(1024)\n";
    let dir = folder(&[("server.py", server2), ("client.py", client2)]);
    let d = discover(dir.path(), &Pins::default(), &Interpreters::none());
    let s = server(&d);
    assert_eq!(s.lang, Lang::Python2);
    assert!(
        s.why.contains("Python 2: a print statement (line 7)"),
        "{}",
        s.why
    );
    assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
    assert_eq!(s.problems[0].kind, ProblemKind::Python2Unavailable);
    assert_eq!(one(&d).name_from, NameFrom::Stdin);
    let have = Interpreters {
        python3: None,
        python2: Some("python2.7".into()),
    };
    let d = discover(dir.path(), &Pins::default(), &have);
    assert_eq!(server(&d).run, ["python2.7", "server.py"]);
    assert!(!d
        .problems()
        .iter()
        .any(|p| p.kind == ProblemKind::Python2Unavailable));
}

/// A C++ server with threads.
const SERVER_CPP: &str = r#"// PA3 server in C++. Threads: one per client, so the first message to
// arrive is found first.
#include <iostream>
#include <string>
#include <thread>
#include <mutex>
#include <cstring>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

std::mutex m;
std::string arrived[2];
int count = 0;

void reader(int fd) {
    char buf[1024] = {0};
    int n = recv(fd, buf, sizeof(buf) - 1, 0);
    std::lock_guard<std::mutex> g(m);
    arrived[count++] = std::string(buf, n > 0 ? n : 0);
}

int main() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = INADDR_ANY;
    addr.sin_port = htons(12000);
    bind(s, (sockaddr *)&addr, sizeof(addr));
    listen(s, 2);
    int x = accept(s, nullptr, nullptr);
    int y = accept(s, nullptr, nullptr);
    send(x, "Client X connected", 18, 0);
    send(y, "Client Y connected", 18, 0);
    std::thread tx(reader, x), ty(reader, y);
    tx.join();
    ty.join();
    std::string ack = arrived[0] + " received before " + arrived[1];
    send(x, ack.c_str(), ack.size(), 0);
    send(y, ack.c_str(), ack.size(), 0);
    std::cout << "Sent acknowledgment to both X and Y" << std::endl;
    close(s);
}
"#;

/// A C++ client that takes its letter on the command line.
const CLIENT_CPP: &str = r#"#include <iostream>
#include <string>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
using namespace std;

int main(int argc, char *argv[]) {
    if (argc < 2) {
        cerr << "usage: ./client X|Y" << endl;
        return 1;
    }
    string letter = argv[1];
    if (letter != "X" && letter != "Y") return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in srv{};
    srv.sin_family = AF_INET;
    srv.sin_port = htons(12000);
    inet_pton(AF_INET, "10.0.0.1", &srv.sin_addr);
    if (connect(fd, (sockaddr *)&srv, sizeof(srv)) < 0) return 1;
    char buf[1024] = {0};
    recv(fd, buf, sizeof(buf) - 1, 0);
    cout << buf << endl;
    string name;
    getline(cin, name);
    string msg = "Client " + letter + ": " + name;
    send(fd, msg.c_str(), msg.size(), 0);
    char ack[1024] = {0};
    recv(fd, ack, sizeof(ack) - 1, 0);
    cout << ack << endl;
    close(fd);
}
"#;

#[test]
fn cpp_with_a_makefile_is_built_by_its_rule() {
    let mk = "CXX=g++\nCXXFLAGS=-std=c++17 -pthread\n\nall: pa3server pa3client\n\npa3server: server.cpp\n\t$(CXX) $(CXXFLAGS) server.cpp -o pa3server\n\npa3client: client.cpp\n\t$(CXX) $(CXXFLAGS) client.cpp -o pa3client\n\nclean:\n\trm -f pa3server pa3client\n";
    let d = discover_in(&[
        ("server.cpp", SERVER_CPP),
        ("client.cpp", CLIENT_CPP),
        ("Makefile", mk),
    ]);
    let s = server(&d);
    assert_eq!(s.lang, Lang::Cpp);
    assert_eq!(
        s.build.as_deref(),
        Some(&["make".to_string(), "pa3server".into()][..])
    );
    assert_eq!(s.run, ["./pa3server"]);
    assert!(s.why.contains("built with `make pa3server`"), "{}", s.why);
    let c = one(&d);
    assert_eq!(c.program.run, ["./pa3client", "{letter}"]);
    assert_eq!(
        (c.name_from.clone(), c.letter_from),
        (NameFrom::Stdin, LetterFrom::Argv)
    );
}

#[test]
fn cpp_without_a_makefile_is_compiled_with_the_files_it_needs() {
    let helper_h = "#pragma once\n#include <string>\nstd::string ack_of(const std::string &a, const std::string &b);\n";
    let helper_cpp = "#include \"ack.h\"\nstd::string ack_of(const std::string &a, const std::string &b) {\n    return a + \" received before \" + b;\n}\n";
    let with_ack = SERVER_CPP.replace(
        "#include <mutex>\n",
        "#include <mutex>\n#include \"ack.h\"\n",
    );
    let d = discover_in(&[
        ("src/server.cpp", &with_ack),
        ("src/ack.h", helper_h),
        ("src/ack.cpp", helper_cpp),
        ("src/client.cpp", CLIENT_CPP),
    ]);
    let s = server(&d);
    assert_eq!(s.dir, Path::new("src"));
    assert_eq!(
        s.build.clone().unwrap(),
        ["g++", "-pthread", "-o", "server", "server.cpp", "ack.cpp"]
    );
    assert_eq!(
        s.sources,
        [
            PathBuf::from("src/server.cpp"),
            "src/ack.cpp".into(),
            "src/ack.h".into()
        ]
    );
    assert!(ignored(&d, "src/ack.cpp").contains("compiled with server.cpp"));
    assert_eq!(one(&d).program.build.clone().unwrap()[4], "client.cpp");
}

#[test]
fn command_line_names_letters_and_addresses_get_their_placeholders() {
    let name_argv = "import sys\nfrom socket import *\nname = sys.argv[1]\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('10.0.0.1', 12000))\nprint(s.recv(1024).decode())\ns.send(name.encode())\nprint(s.recv(1024).decode())\n";
    let d = discover_in(&[("server.py", SERVER_PY), ("client.py", name_argv)]);
    let c = one(&d);
    assert_eq!(c.program.run, ["python3", "client.py", "{name}"]);
    assert_eq!(
        (c.name_from.clone(), c.letter_from),
        (NameFrom::Argv, LetterFrom::Unused)
    );

    let letter_argv = "import sys\nfrom socket import *\nif len(sys.argv) != 2 or sys.argv[1].upper() not in ('X', 'Y'):\n    print('usage: python3 client.py X|Y')\n    sys.exit(1)\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('localhost', 12000))\nprint(s.recv(1024).decode())\nname = input('Your name: ')\ns.send(('Client ' + sys.argv[1].upper() + ': ' + name).encode())\nprint(s.recv(1024).decode())\n";
    let d = discover_in(&[("server.py", SERVER_PY), ("client.py", letter_argv)]);
    let c = one(&d);
    assert_eq!(c.program.run, ["python3", "client.py", "{letter}"]);
    assert_eq!(
        (c.name_from.clone(), c.letter_from),
        (NameFrom::Stdin, LetterFrom::Argv)
    );

    let both = "import sys\nimport socket\nserverName = sys.argv[1]\nclientName = sys.argv[2]\nc = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\nc.connect((serverName, 12000))\nc.send(clientName.encode())\n";
    let d = discover_in(&[("client.py", both)]);
    assert_eq!(
        one(&d).program.run,
        ["python3", "client.py", "{server_ip}", "{name}"]
    );
    let port = "import sys\nfrom socket import *\nport = int(sys.argv[1])\ns = socket(AF_INET, SOCK_STREAM)\ns.bind(('', port))\ns.listen(2)\nc, a = s.accept()\n";
    assert_eq!(
        server(&discover_in(&[("srv.py", port)])).run,
        ["python3", "srv.py", "{port}"]
    );
}

#[test]
fn a_prompt_that_shows_the_format_is_not_a_written_in_letter() {
    let raw = "from socket import *\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('10.0.0.1', 12000))\nprint(s.recv(1024).decode())\nmsg = input('Type your message (like Client X: Alice): ')\ns.send(msg.encode())\nprint(s.recv(1024).decode())\n";
    let d = discover_in(&[("client.py", raw)]);
    let c = one(&d);
    assert_eq!(
        (c.name_from.clone(), c.letter_from),
        (NameFrom::Stdin, LetterFrom::Unused)
    );
}

#[test]
fn a_zero_width_space_is_reported_at_its_line_and_column() {
    let broken = SERVER_PY.replace(
        "serverSocket.listen(2)\n",
        "serverSocket.listen(2)\u{200b}\n",
    );
    let line = broken.lines().position(|l| l.contains('\u{200b}')).unwrap() + 1;
    let dir = folder(&[
        ("server.py", &broken),
        ("client.py", &CLIENT_PY.replace('\n', "\r\n")),
    ]);
    let d = discover(dir.path(), &Pins::default(), &Interpreters::none());
    let p = &server(&d).problems;
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].at, p[0].kind),
        (Some((line, 23)), ProblemKind::RefusedCharacter('\u{200b}'))
    );
    assert_eq!(
        p[0].to_string(),
        format!("server.py:{line}:23: a U+200B zero-width space outside strings and comments: Python refuses the file")
    );
    assert!(
        one(&d).program.problems.is_empty(),
        "CRLF line ends are fine"
    );
    // With python3 at hand, Python's own words join the problem.
    let have = Interpreters::detect();
    assert!(have.python3.is_some(), "the grader's machines have python3");
    let d = discover(dir.path(), &Pins::default(), &have);
    let p = &server(&d).problems;
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].detail
            .contains("(Python says: SyntaxError: invalid non-printable character U+200B)"),
        "{}",
        p[0].detail
    );
    assert!(one(&d).program.problems.is_empty());
}

#[test]
fn python_finds_what_a_reader_misses_tab_errors() {
    let tabs = SERVER_PY.replace(
        "    with lock:\n        arrived",
        "    with lock:\n\tarrived",
    );
    let dir = folder(&[("server.py", &tabs)]);
    let d = discover(dir.path(), &Pins::default(), &Interpreters::detect());
    let p = &server(&d).problems;
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].kind, ProblemKind::SyntaxError);
    assert!(
        p[0].detail.starts_with("Python says: TabError"),
        "{}",
        p[0].detail
    );
}

#[test]
fn a_folder_with_only_a_server_says_what_the_clients_lack() {
    let d = discover_in(&[("server.py", SERVER_PY), ("notes.txt", "todo\n")]);
    assert_eq!(server(&d).entry, Path::new("server.py"));
    let m = d.clients.as_ref().unwrap_err();
    assert_eq!(
        m.to_string(),
        "no client (a program that connects and does not accept); found: server.py: binds, listens and accepts (a server)"
    );
    let d = discover_in(&[("Server.java", "class Server {}\n")]);
    assert!(d
        .server
        .unwrap_err()
        .to_string()
        .ends_with("the folder holds no .py, .c or .cpp file"));
}

#[test]
fn modules_count_for_the_program_that_imports_them() {
    let main = "from socket import *\nimport handlers\n\nlistener = socket(AF_INET, SOCK_STREAM)\nlistener.bind(('', 12000))\nlistener.listen(2)\nhandlers.serve_two(listener)\n";
    let module = "import threading\n\ndef serve_two(listener):\n    x, _ = listener.accept()\n    y, _ = listener.accept()\n    x.send(b'Client X connected')\n    y.send(b'Client Y connected')\n";
    let both_ways = "from socket import *\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('localhost', 12000))\nc, a = s.accept()\n";
    let d = discover_in(&[
        ("main.py", main),
        ("handlers.py", module),
        ("serverX.py", both_ways),
    ]);
    let s = server(&d);
    assert_eq!(s.entry, Path::new("main.py"));
    assert_eq!(s.sources, [PathBuf::from("main.py"), "handlers.py".into()]);
    assert_eq!(
        ignored(&d, "handlers.py"),
        "a module main.py imports, not a program"
    );
    assert_eq!(
        ignored(&d, "serverX.py"),
        "accepts and connects: neither a server nor a client"
    );
}

#[test]
fn c_written_for_windows_is_a_problem() {
    let win = "#include <winsock2.h>\n#include <stdio.h>\nint main() {\n    WSADATA w;\n    WSAStartup(MAKEWORD(2, 2), &w);\n    SOCKET s = socket(AF_INET, SOCK_STREAM, 0);\n    connect(s, 0, 0);\n    char name[64];\n    fgets(name, sizeof name, stdin);\n    return 0;\n}\n";
    let d = discover_in(&[("client.c", win)]);
    let c = one(&d);
    assert_eq!(
        (c.program.lang, c.name_from.clone()),
        (Lang::C, NameFrom::Stdin)
    );
    assert_eq!(c.program.build.clone().unwrap()[0], "gcc");
    assert_eq!(c.program.problems[0].kind, ProblemKind::WindowsOnly);
}

#[test]
fn pins_replace_discovery_for_their_role() {
    let dir = folder(&[
        ("server.py", SERVER_PY),
        ("srv_final.py", SERVER_PY),
        ("client.py", CLIENT_PY),
    ]);
    let pins = Pins {
        server_file: Some("srv_final.py".into()),
        client_cmds: vec![vec![
            "python3".into(),
            "client.py".into(),
            "--as".into(),
            "{name}".into(),
        ]],
        ..Pins::default()
    };
    let d = discover(dir.path(), &pins, &Interpreters::none());
    let s = server(&d);
    assert_eq!(s.entry, Path::new("srv_final.py"));
    assert!(
        s.why
            .starts_with("pinned in grading.yaml; srv_final.py: binds"),
        "{}",
        s.why
    );
    let c = one(&d);
    assert_eq!(c.program.run, ["python3", "client.py", "--as", "{name}"]);
    assert_eq!(
        (c.name_from.clone(), c.letter_from),
        (NameFrom::Argv, LetterFrom::Greeting)
    );
    assert!(
        c.program.why.starts_with(
            "pinned in grading.yaml: `python3 client.py --as {name}`; client.py: connects"
        ),
        "{}",
        c.program.why
    );
    assert!(
        c.program.why.ends_with(
            "; the name is given on its command line; its letter comes from the server's greeting"
        ),
        "{}",
        c.program.why
    );
    let pins = Pins {
        server_file: Some("nope.py".into()),
        server_cmd: None,
        client_cmds: vec![
            vec!["java".into(), "Client".into()],
            vec!["java".into(), "Client".into()],
        ],
        ..Pins::default()
    };
    let d = discover(dir.path(), &pins, &Interpreters::none());
    assert!(d
        .server
        .as_ref()
        .unwrap_err()
        .to_string()
        .starts_with("no nope.py (the server file pinned in grading.yaml)"));
    let (x, _) = two(&d);
    assert_eq!(
        (x.program.lang, x.name_from.clone()),
        (Lang::Other, NameFrom::Stdin)
    );
}

#[test]
fn a_students_own_folder_is_one_submission_and_a_class_is_not() {
    let own = folder(&[
        ("server.py", SERVER_PY),
        ("client.py", CLIENT_PY),
        ("old/server.py", SERVER_PY),
        ("test/t.py", CLIENT_PY),
        ("backup/client.py", CLIENT_PY),
    ]);
    assert!(is_single_submission(own.path()));
    let class = folder(&[
        ("alice/server.py", SERVER_PY),
        ("bob/work/TCPServer.py", SERVER_PY),
        ("carol/client.py", CLIENT_PY),
        ("make_report.py", "import csv\nprint('report')\n"),
    ]);
    assert!(!is_single_submission(class.path()));
    let with_script = folder(&[
        ("alice/server.py", SERVER_PY),
        ("bob/server.py", SERVER_PY),
        ("carol/server.py", SERVER_PY),
        ("reference_client.py", CLIENT_PY),
    ]);
    assert!(!is_single_submission(with_script.path()));
    let nested = folder(&[("PA3/server.py", SERVER_PY)]);
    assert!(
        !is_single_submission(nested.path()),
        "a folder of folders is a class (of one)"
    );
}

#[test]
fn the_usage_line_its_author_wrote_names_the_arguments() {
    let py = "# Run as: python3 client.py X Bob\nimport sys\nfrom socket import *\na = sys.argv[1]\nb = sys.argv[2]\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('10.0.0.1', 12000))\ns.send((a + ': ' + b).encode())\nprint(s.recv(1024).decode())\n";
    let c = one(&discover_in(&[("client.py", py)])).clone();
    assert_eq!(
        c.program.run,
        ["python3", "client.py", "{letter}", "{name}"]
    );
    let cpp = CLIENT_CPP
        .replace("string letter = argv[1];", "string who = argv[1];")
        .replace("letter != \"X\" && letter != \"Y\"", "who.empty()")
        .replace("\"Client \" + letter", "who")
        .replace("usage: ./client X|Y", "usage: %s <X|Y>");
    let c = one(&discover_in(&[("client.cpp", &cpp)])).clone();
    assert_eq!(c.program.run, ["./client", "{letter}"]);
    assert_eq!(c.letter_from, LetterFrom::Argv);
}

#[test]
fn a_press_enter_pause_is_not_a_typed_name() {
    let paused = "from socket import *\nclientSocket = socket(AF_INET, SOCK_STREAM)\nclientSocket.connect(('localhost', 12000))\nsentence = 'Client Y: Bob'\ninput('Press Enter to send your message')\nclientSocket.send(sentence.encode())\nprint('From Server:', clientSocket.recv(1024).decode())\n";
    let c = one(&discover_in(&[("PA3ClientY.py", paused)])).clone();
    assert_eq!(c.name_from, NameFrom::Fixed(Some("Bob".into())));
    assert_eq!(c.letter_from, LetterFrom::Fixed('Y'));
    assert!(c.reads_stdin, "a line must still be typed for it to go on");
    let unused = paused.replace("input('Press", "ok = input('Press");
    assert_eq!(
        one(&discover_in(&[("c.py", &unused)])).name_from,
        NameFrom::Fixed(Some("Bob".into()))
    );
}

#[test]
fn a_client_named_like_the_server_is_its_partner() {
    let chat = "import threading\nimport sys\nfrom socket import *\n\ndef listen_to(sock):\n    while True:\n        print(sock.recv(1024).decode())\n\ns = socket(AF_INET, SOCK_STREAM)\ns.connect(('localhost', 12000))\nprint('connected')\nthreading.Thread(target=listen_to, args=(s,)).start()\nwhile True:\n    s.send(input('').encode())\n";
    let d = discover_in(&[
        ("PA3Server.py", SERVER_PY),
        ("PA3Client.py", CLIENT_PY),
        ("PA3ChatClient.py", chat),
    ]);
    assert_eq!(one(&d).program.entry, Path::new("PA3Client.py"));
    assert_eq!(
        ignored(&d, "PA3ChatClient.py"),
        "also a client; PA3Client.py is used: its name matches the server's"
    );
}

#[test]
fn the_folder_handed_in_wins_over_working_files_beside_it() {
    let d = discover_in(&[
        ("ServerCode_lee.py", SERVER_PY),
        ("ClientCode_lee.py", CLIENT_PY),
        ("PA3Submission/PA3Server_lee_kim.py", SERVER_PY),
        ("PA3Submission/PA3Client_lee_kim.py", CLIENT_PY),
    ]);
    assert_eq!(
        server(&d).entry,
        Path::new("PA3Submission/PA3Server_lee_kim.py")
    );
    assert_eq!(
        one(&d).program.entry,
        Path::new("PA3Submission/PA3Client_lee_kim.py")
    );
    assert!(ignored(&d, "ServerCode_lee.py")
        .ends_with("its folder or name says it is the one handed in"));
}

#[test]
fn a_pa3_client_that_kept_the_textbooks_names_is_no_stub() {
    let kept = "from socket import *\nclientSocket = socket(AF_INET, SOCK_STREAM)\nclientSocket.connect(('10.0.0.1', 12000))\nmodifiedSentence = clientSocket.recv(1024)\nprint('From Server: ', modifiedSentence.decode())\nsentence = input('Enter message to send to server: ')\nclientSocket.send(sentence.encode())\nmodifiedSentence = clientSocket.recv(1024)\nprint('From Server: ', modifiedSentence.decode())\nclientSocket.close()\n";
    let d = discover_in(&[("client.py", kept), ("TCPClient.py", STUB_CLIENT_PY)]);
    let c = one(&d);
    assert_eq!(c.program.entry, Path::new("client.py"));
    assert!(!c.program.why.contains("textbook"), "{}", c.program.why);
    assert!(ignored(&d, "TCPClient.py").starts_with("the textbook's uppercase echo client"));
}

#[test]
fn a_name_used_only_in_an_f_string_is_still_typed() {
    let fstring = "import socket\n\ndef main():\n    name = input(\"What's your name? \")\n    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    s.connect(('10.0.0.1', 12000))\n    letter = s.recv(1024).decode()[7]\n    s.sendall(f'Client {letter}: {name}'.encode())\n    print(s.recv(1024).decode())\n\nif __name__ == '__main__':\n    main()\n";
    let c = one(&discover_in(&[("client.py", fstring)])).clone();
    assert_eq!(
        (c.name_from, c.letter_from),
        (NameFrom::Stdin, LetterFrom::Greeting)
    );
}

#[test]
fn a_merge_conflict_left_in_is_a_problem_where_it_starts() {
    let conflicted = SERVER_PY.replace(
        "    with lock:\n        arrived.append(text)\n",
        "    with lock:\n<<<<<<< HEAD\n        arrived.append(text)\n=======\n        arrived += [text]\n>>>>>>> fix-threads\n",
    );
    let line = conflicted
        .lines()
        .position(|l| l.starts_with("<<<<<<<"))
        .unwrap()
        + 1;
    let d = discover_in(&[("server.py", &conflicted)]);
    let p = &server(&d).problems;
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        (p[0].kind, p[0].at),
        (ProblemKind::MergeConflict, Some((line, 1)))
    );
}

/// `tests/class-real/expected.yaml`: what a teacher says each look-alike's
/// programs are.
fn class_real() -> (PathBuf, serde_yaml::Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/class-real");
    let text = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
    (dir, serde_yaml::from_str(&text).unwrap())
}

fn lang_named(word: &str) -> Lang {
    match word {
        "python3" => Lang::Python3,
        "python2" => Lang::Python2,
        "c++" => Lang::Cpp,
        "c" => Lang::C,
        other => panic!("no language {other}"),
    }
}

/// `p` is the program `want` (expected.yaml's `{file, lang, compile, run,
/// error}`) describes.
fn assert_program(student: &str, p: &Program, want: &serde_yaml::Value) {
    let at = format!("{student}: {}", p.why);
    assert_eq!(p.entry, Path::new(want["file"].as_str().unwrap()), "{at}");
    assert_eq!(p.lang, lang_named(want["lang"].as_str().unwrap()), "{at}");
    match want["compile"].as_str() {
        Some("make") => assert_eq!(p.build.as_ref().unwrap()[0], "make", "{at}"),
        Some(cmd) => assert_eq!(p.build.as_ref().unwrap().join(" "), cmd, "{at}"),
        None => assert_eq!(p.build, None, "{at}"),
    }
    if let Some(run) = want["run"].as_str() {
        assert_eq!(p.run.join(" ").replace("{port}", "12000"), run, "{at}");
    }
    match want["error"].as_str() {
        Some(error) => {
            let python_says = error.split(" (").next().unwrap();
            assert!(
                p.problems.iter().any(|e| e.detail.contains(python_says)),
                "{at}: {:?}",
                p.problems
            );
        }
        None => assert!(
            p.problems.is_empty() || p.lang == Lang::Python2,
            "{at}: {:?}",
            p.problems
        ),
    }
}

#[test]
fn the_class_real_look_alikes_are_found_as_their_teacher_says() {
    let (dir, expected) = class_real();
    let have = Interpreters::detect();
    let students = expected["students"].as_mapping().unwrap();
    assert!(students.len() >= 20);
    for (name, s) in students {
        let student = name.as_str().unwrap();
        let want = &s["discover"];
        let d = discover(&dir.join(student), &Pins::default(), &have);
        assert_program(student, server(&d), &want["server"]);
        let clients = d.clients.as_ref().unwrap().programs();
        let wanted = want["clients"].as_sequence().unwrap();
        assert_eq!(clients.len(), wanted.len(), "{student}");
        for (c, w) in clients.iter().zip(wanted) {
            assert_program(student, &c.program, w);
            let argv: Vec<&str> = want["argv"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let skip = if c.program.lang.describe().starts_with("Python") {
                2
            } else {
                1
            };
            assert_eq!(c.program.run[skip..], argv, "{student}");
            let name_from = match want["name_from"].as_str().unwrap() {
                "stdin" => matches!(c.name_from, NameFrom::Stdin),
                "argv" => matches!(c.name_from, NameFrom::Argv),
                _ => matches!(c.name_from, NameFrom::Fixed(_)),
            };
            assert!(name_from, "{student}: {:?}", c.name_from);
            let sends = match want["sends"].as_str().unwrap() {
                "typed" => c.letter_from == LetterFrom::Unused,
                "fixed" => matches!(c.letter_from, LetterFrom::Fixed(_)),
                _ => matches!(c.letter_from, LetterFrom::Greeting | LetterFrom::Argv),
            };
            assert!(sends, "{student}: {:?}", c.letter_from);
        }
        for decoy in want["decoys"].as_sequence().into_iter().flatten() {
            ignored(&d, decoy.as_str().unwrap());
        }
    }
}
