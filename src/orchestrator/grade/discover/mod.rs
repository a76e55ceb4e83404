//! Finding a submission's programs the way a TA would, whatever they are
//! called: which file is the server, which the client (or the two
//! clients), what they are written in, how each is built and started, and
//! what would stop one from running. It reads files only (see
//! [`Interpreters`] for the one exception), and every choice it makes is
//! explained in a line for the student's report.
//!
//! **Where it looks.** The whole submission folder, four folders deep, so
//! that work handed in inside a subfolder is found; hidden folders,
//! `__pycache__`, virtual environments, `__MACOSX`, links, binaries and
//! files over 1 MiB are passed over. Programs are `.py` (Python), `.c`
//! (C) and `.cpp`/`.cc`/`.cxx` (C++) files; a C or C++ file is a program
//! when it defines `main`, and a Python file is one unless another file of
//! its folder imports it (then it is a module of that program, and what
//! the module does counts for the program).
//!
//! **Roles, by what the code does.** A *server* binds, listens and accepts
//! (`.bind(` `.listen(` `.accept(` in Python — or `serve_forever` — and
//! `bind(` `listen(` `accept(` in C and C++, not `std::bind`); a *client*
//! connects and does not accept. Comments and strings are not code: a
//! comment saying "accept the connection" makes nothing a server. A file
//! that does neither is listed as passed over, with what it does.
//!
//! **Several candidates for a role.** The one used is, in this order of
//! importance: not an earlier or side version (a folder like `old/`,
//! `test/`, `backup/`, `Alternate Concept/`, `EC/` — extra credit — or a
//! name like `server_old.py`, `threading_test.py`, `server (1).py`); not
//! the textbook's uppercase echo program (`.upper()`,
//! `capitalizedSentence`, receiving only once, and nothing of PA3); the
//! one whose folder or name says it was handed in (`PA3Submission/`,
//! `final/`); for a client, the one named like the server (`PA3Server.py`
//! and `PA3Client.py`); the one with most of PA3 in it (`received before`
//! counts most, then `Client X`, `connected`, an acknowledgment, and for a
//! server threads and a word on multithreading); the one whose name says
//! its role (`server`, `client`); the one nearest the top of the folder;
//! then the first by name. Every other candidate is listed as passed
//! over, and why.
//!
//! **One client program or two.** When the best client says which client
//! it is — it writes in `Client X` (not in a prompt), or its name says so
//! (`xClient.py`, `ClientY.cpp`, `clientA`/`clientB`, `client1`/`client2`)
//! — and another client says it is the other one, the submission has two
//! client programs: X's runs as the client that connects first, Y's as
//! the second. Otherwise one program plays both clients.
//!
//! **Language.** `.py` is Python 3 unless it shows Python 2: a `print`
//! statement, `raw_input(` (not defined by the file itself), `xrange(`,
//! `except E, e:`, `raise E, "…"`, backticks, `<>`, or a `python2` `#!`
//! line. Python 2 runs with `python2` where this machine has it; where it
//! has not, the program is not run and the report says why. `.c` is C,
//! `.cpp`/`.cc`/`.cxx` C++, built as a TA would: `make TARGET` when a
//! Makefile of the program's folder makes it (the rule whose `-o` names
//! it, variables put in), otherwise `g++`/`gcc -pthread -o NAME` with the
//! files of its folder it needs (those without `main` whose header it
//! includes); the build runs in the sandbox, not here.
//!
//! **What a client wants.** Its name is *typed* when it reads standard
//! input (`input(`, `raw_input(`, `sys.stdin`, `cin`, `fgets(…stdin)`,
//! `scanf`) and uses what it read (an `input("Press Enter")` standing
//! alone is a pause, not a name — the client still wants a line typed:
//! [`Client::reads_stdin`]), *given on the command line* when it reads
//! `sys.argv[N]` or `argv[N]` as a name, and otherwise *written in*
//! (`"Client X: Alice"`). What a command-line argument is comes from, in
//! order: how it is used (compared with 'X'/'Y' or put after "Client ":
//! the letter; given to `connect`, `inet_addr`, `gethostbyname`: the
//! server's address); the usage line its author wrote (`python3 client.py
//! X Bob`, `usage: %s <X|Y>`); the name of its variable (`letter`,
//! `client_id`, `which`, a bare `client`: the letter; `host`, `server`,
//! `ip`: the address; `port`, or made a number: the port); otherwise the
//! name (a server's: the port). Its letter comes from the command line, is
//! written in (`Client X`), is read from the server's greeting (it builds
//! "Client " + a letter, or compares with 'X'/'Y'), or is not used at all
//! (it sends what is typed; the server tells the clients apart).
//!
//! **What stops a program.** Found without running anything: a character
//! Python or the compiler refuses in code (a zero-width space, a
//! no-break space, curly quotes), with its line and column; a Python file
//! that is not UTF-8 (Python 2: not ASCII) without a `coding:` line;
//! Python 2 on a machine without `python2`; C or C++ written for Windows
//! (`winsock2.h`); a merge conflict left in (`<<<<<<< HEAD`). Where the
//! interpreter is at hand, Python itself parses the file (`ast.parse`,
//! which runs nothing) and its message — a `TabError`, an unclosed
//! bracket — is quoted. Line ends (CRLF) and tabs that Python accepts are
//! not problems.
//!
//! **Pins.** `grading.yaml` may name the server's or the clients' files,
//! or their commands ([`Pins`]); a pin replaces discovery for its role,
//! and the report says "pinned in grading.yaml".

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A regex compiled once, where it is used.
macro_rules! re {
    ($pattern:expr) => {{
        static RE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new($pattern).expect("a valid pattern"));
        &*RE
    }};
}

mod args;
mod build;
mod choose;
mod facts;
mod lex;
mod pins;
mod program;
mod scan;
mod syntax;
#[cfg(test)]
mod tests;

pub use pins::Pins;
pub use syntax::Interpreters;

/// What a program is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    Python3,
    Python2,
    C,
    Cpp,
    /// What a pinned command runs when it names no file of the folder
    /// (`java Server`).
    Other,
}

impl Lang {
    /// `Python 3`, `C++`.
    pub fn describe(self) -> &'static str {
        match self {
            Lang::Python3 => "Python 3",
            Lang::Python2 => "Python 2",
            Lang::C => "C",
            Lang::Cpp => "C++",
            Lang::Other => "a pinned command",
        }
    }
}

/// How a client gets the name it sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NameFrom {
    /// Typed: it reads standard input.
    Stdin,
    /// Given on its command line (`{name}` in [`Program::run`]).
    Argv,
    /// Written in the program; the name, when it could be read.
    Fixed(Option<String>),
}

/// How a client knows whether it is X or Y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LetterFrom {
    /// From the server's greeting ("Client X connected").
    Greeting,
    /// Given on its command line (`{letter}` in [`Program::run`]).
    Argv,
    /// Written in the program.
    Fixed(char),
    /// It never uses one: it sends what is typed, and the server tells the
    /// clients apart by their connections.
    Unused,
}

/// A program of the submission, and how to start it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// Its file, relative to the submission folder.
    pub entry: PathBuf,
    /// The folder it is built and run in, relative to the submission
    /// folder (empty: the submission folder itself).
    pub dir: PathBuf,
    /// Its files: the entry, then the modules or files compiled with it.
    pub sources: Vec<PathBuf>,
    pub lang: Lang,
    /// C and C++: the command that builds it, run in `dir`.
    pub build: Option<Vec<String>>,
    /// The command that runs it, in `dir`; `{name}`, `{letter}`,
    /// `{server_ip}` and `{port}` where it reads them on its command line.
    pub run: Vec<String>,
    /// One line for the report: what it is and why it was chosen.
    pub why: String,
    /// What stops it from running as found (nothing: it can run).
    pub problems: Vec<Problem>,
}

/// A client program and what it wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub program: Program,
    pub name_from: NameFrom,
    pub letter_from: LetterFrom,
    /// It reads standard input — the name, or only Enter to go on ("press
    /// Enter to send", with the name written in): a line must be typed
    /// when it is its turn to send.
    pub reads_stdin: bool,
}

/// The submission's client program(s).
// One value per submission: the size of `Two` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Clients {
    /// One program plays both clients.
    One(Client),
    /// Two programs: `x` says it is X (its code or its name), and runs as
    /// the client that connects first; `y` as the second.
    Two { x: Client, y: Client },
}

impl Clients {
    /// The programs, X's first.
    pub fn programs(&self) -> Vec<&Client> {
        match self {
            Clients::One(c) => vec![c],
            Clients::Two { x, y } => vec![x, y],
        }
    }
}

/// A role no program was found for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    /// `a server (a program that binds, listens and accepts)`.
    pub looked_for: String,
    /// What the folder holds instead: `client.py: connects (a client)`.
    pub found: Vec<String>,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no {}", self.looked_for)?;
        if self.found.is_empty() {
            write!(f, "; the folder holds no .py, .c or .cpp file")
        } else {
            write!(f, "; found: {}", self.found.join("; "))
        }
    }
}

/// A file passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    pub file: PathBuf,
    pub why: String,
}

/// What a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProblemKind {
    /// A character refused in code (a zero-width space, a curly quote).
    RefusedCharacter(char),
    /// Not UTF-8 (Python 2: not ASCII), and no `coding:` line.
    Encoding,
    /// Python's own syntax error (a `TabError`, an unclosed bracket).
    SyntaxError,
    /// Python 2, and this machine has no `python2`.
    Python2Unavailable,
    /// C or C++ written for Windows (`winsock2.h`).
    WindowsOnly,
    /// Git's conflict markers left in the file.
    MergeConflict,
}

/// Something that stops a program from running as handed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Relative to the submission folder.
    pub file: PathBuf,
    /// 1-based line and column (columns in characters, as Python counts).
    pub at: Option<(usize, usize)>,
    pub kind: ProblemKind,
    /// For people: what it is and what it does.
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.at {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// What was found in a submission folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    pub server: Result<Program, Missing>,
    pub clients: Result<Clients, Missing>,
    /// Program files passed over (a textbook stub, a test file, an earlier
    /// version, a module), in path order.
    pub ignored: Vec<Ignored>,
}

impl Discovery {
    /// Every problem of the programs found, the server's first.
    pub fn problems(&self) -> Vec<&Problem> {
        let server = self.server.iter().flat_map(|p| &p.problems);
        let clients = self
            .clients
            .iter()
            .flat_map(Clients::programs)
            .flat_map(|c| &c.program.problems);
        server.chain(clients).collect()
    }
}

/// The programs of the submission in `dir`: pinned ones as pinned, the
/// others discovered. `have` says which interpreters this machine has
/// (with `python3`, syntax errors are confirmed by `ast.parse`).
pub fn discover(dir: &Path, pins: &Pins, have: &Interpreters) -> Discovery {
    let tree = scan::scan(dir);
    let found = choose::candidates(&tree);
    let ctx = program::Context::new(dir, &tree, have);
    let (server, mut ignored) = match pins.server(&ctx, &found) {
        Some(pinned) => (pinned, Vec::new()),
        None => choose::server(&found, &ctx),
    };
    let server_stem = server
        .as_ref()
        .ok()
        .and_then(|p| p.entry.file_stem())
        .map(|s| s.to_string_lossy().into_owned());
    let (clients, passed) = match pins.clients(&ctx, &found) {
        Some(pinned) => (pinned, Vec::new()),
        None => choose::clients(&found, &ctx, server_stem.as_deref()),
    };
    ignored.extend(passed);
    ignored.extend(found.ignored.iter().cloned());
    ignored.sort_by(|a, b| a.file.cmp(&b.file));
    Discovery {
        server,
        clients,
        ignored,
    }
}

/// Whether `dir` is one submission rather than a class (one folder per
/// student): it holds a server or a client program itself, and fewer than
/// three of its folders (not counting `old/`, `test/` and the like) hold
/// programs — so a student can point the grader at their own folder,
/// while a class folder with a helper script at its top is still a class.
pub fn is_single_submission(dir: &Path) -> bool {
    let tree = scan::scan(dir);
    let found = choose::candidates(&tree);
    let programs = found.servers.iter().chain(&found.clients);
    let mut top = false;
    let mut folders: Vec<&std::ffi::OsStr> = Vec::new();
    for c in programs {
        let mut parts = c.source.rel.components();
        let first = parts.next().map(|p| p.as_os_str());
        match (first, parts.next()) {
            (_, None) => top = true,
            (Some(folder), Some(_)) if !choose::version_folder(folder) => folders.push(folder),
            _ => {}
        }
    }
    folders.sort();
    folders.dedup();
    top && folders.len() < 3
}
