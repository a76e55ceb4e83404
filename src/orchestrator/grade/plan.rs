//! What grading a class runs: for every submission, its programs as
//! [`discover`] found them (built first, for C and C++: [`super::build`]),
//! run against the rubric's scenarios in three pairings — the student's
//! server with our clients, our server with the student's clients, the
//! student's pair as handed in — on a network adapted to where they listen
//! and dial (`server.adapt_network`), each written as scenario text and
//! validated like any scenario file.
//!
//! The cases:
//! - `early` (pair): X connects, 300 ms later Y; each client is typed into
//!   the moment it asks (`eager`), greeted or not — a server that reads a
//!   message before both are connected, or greets X before Y is there,
//!   shows (items 3 and 5);
//! - `case1`: X connects, 250 ms later Y, X types first;
//! - `case2`: X, then Y at once; Y types first — the ack must follow
//!   arrival, not connect order (items 6 and 8);
//! - `spaces`: names with spaces, X types first (a server that answers a
//!   fixed string shows, item 7);
//! - `swapped` (pair, when the clients take their letter on the command
//!   line or are two programs): the client that connects first is started
//!   as Y — a server that names clients by what they say rather than by
//!   when they connected shows (item 4);
//! - `delayed-x` (with our clients, on Mininet only): X types first, but
//!   X's link is 80 ms slower (docs/links.md), so Y's message arrives
//!   first — item 8 under real latency: the ack must follow arrival,
//!   which here is neither the send nor the connect order.
//!
//! With our clients: `case1`, `case2`, `spaces`, `delayed-x`; with our
//! server: `case2`; the pair: `early`, `case2`, `spaces` (and `swapped`).
//! The server may keep serving after the round (the seed allows it): it
//! is stopped a second after the clients end.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Result};

use super::config::Grading;
use super::discover::{self, Client, Clients, Discovery, LetterFrom, ProblemKind, Program};
use super::rubric::{FileFacts, SourceEvidence};
use super::Pairing;
use crate::orchestrator::batch::plan::Item;
use crate::orchestrator::net::shaping;
use crate::orchestrator::scenario::{self, ValidScenario};

/// One student's folder, and what was found in it.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The folder's name: the student in the gradebook.
    pub student: String,
    /// The folder as handed in.
    pub source: PathBuf,
    /// The folder the programs run from: the one handed in, or the copy
    /// their C and C++ programs were built in.
    pub dir: PathBuf,
    pub discovery: Discovery,
    /// The builds of its C and C++ programs, and how they went.
    pub builds: Vec<Build>,
}

/// One build of a C or C++ program in the sandbox.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Build {
    /// The program's file, relative to the submission.
    pub program: PathBuf,
    pub command: Vec<String>,
    pub ok: bool,
    /// What the compiler printed (its errors, for the report).
    pub output: String,
}

/// Why a role's program cannot run, and whether that is the student's
/// doing (`fail`) or this machine's (`review`: no `python2` here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub why: String,
    pub students_doing: bool,
}

impl Submission {
    /// A submission with what discovery found in `dir`.
    pub fn found(student: String, dir: PathBuf, discovery: Discovery) -> Submission {
        Submission {
            student,
            source: dir.clone(),
            dir,
            discovery,
            builds: Vec::new(),
        }
    }

    /// Why its server cannot run, if it cannot.
    pub fn server_blocked(&self) -> Option<Blocked> {
        match &self.discovery.server {
            Err(missing) => Some(Blocked {
                why: format!("the submission has {missing}"),
                students_doing: true,
            }),
            Ok(p) => self.program_blocked(p),
        }
    }

    /// Why its client(s) cannot run, if they cannot.
    pub fn clients_blocked(&self) -> Option<Blocked> {
        match &self.discovery.clients {
            Err(missing) => Some(Blocked {
                why: format!("the submission has {missing}"),
                students_doing: true,
            }),
            Ok(clients) => clients
                .programs()
                .into_iter()
                .find_map(|c| self.program_blocked(&c.program)),
        }
    }

    fn program_blocked(&self, p: &Program) -> Option<Blocked> {
        if let Some(problem) = p.problems.first() {
            return Some(Blocked {
                why: format!("{} does not run: {problem}", p.entry.display()),
                students_doing: problem.kind != ProblemKind::Python2Unavailable,
            });
        }
        let failed = self.builds.iter().find(|b| b.program == p.entry && !b.ok)?;
        Some(Blocked {
            why: format!(
                "{} does not build (`{}`): {}",
                p.entry.display(),
                shell_words::join(&failed.command),
                last_lines(&failed.output, 3)
            ),
            students_doing: true,
        })
    }

    /// The pairings its programs allow.
    pub fn runnable(&self) -> Vec<Pairing> {
        let server = self.server_blocked().is_none();
        let clients = self.clients_blocked().is_none();
        [Pairing::Server, Pairing::Clients, Pairing::Pair]
            .into_iter()
            .filter(|p| match p {
                Pairing::Server => server,
                Pairing::Clients => clients,
                Pairing::Pair => server && clients,
            })
            .collect()
    }
}

/// The last `n` non-empty lines of a program's output, joined.
fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// The folders of `dir` (not hidden), in name order — or `dir` itself,
/// when it is one student's submission rather than a class (a student
/// checking their own work).
pub fn folders(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow!("cannot read the submissions folder {}: {e}", dir.display()))?;
    if discover::is_single_submission(dir) {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "submission".into());
        return Ok(vec![(name, dir.to_path_buf())]);
    }
    let mut found: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let student = e.file_name().to_str()?.to_string();
            (!student.starts_with('.')).then_some((student, e.path()))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// The case under real latency (X's link 80 ms slower): item 8's alone.
pub const LATENCY_CASE: &str = "delayed-x";

/// A scenario of the rubric set.
struct Case {
    name: &'static str,
    names: (&'static str, &'static str),
    steps: &'static str,
    /// The clients are typed into the moment they ask.
    eager: bool,
    /// The client that connects first is started as Y.
    swapped: bool,
    /// More of the scenario (its links, an expectation), or nothing.
    extra: &'static str,
}

const fn case(
    name: &'static str,
    names: (&'static str, &'static str),
    steps: &'static str,
) -> Case {
    Case {
        name,
        names,
        steps,
        eager: false,
        swapped: false,
        extra: "",
    }
}

const AB: (&str, &str) = ("Alice", "Bob");
const X_FIRST: &str = "[ {connect: a}, {connect: b}, {send: a}, {sleep_ms: 200}, {send: b} ]";

const CASES: [Case; 6] = [
    Case {
        eager: true,
        ..case(
            "early",
            AB,
            "[ {connect: a}, {sleep_ms: 300}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]",
        )
    },
    case(
        "case1",
        AB,
        "[ {connect: a}, {sleep_ms: 250}, {connect: b}, {send: a}, {sleep_ms: 200}, {send: b} ]",
    ),
    // Not the seed's Alice and Bob: a server that answers one of two
    // fixed strings written for those names shows.
    case(
        "case2",
        ("Carol", "Dave"),
        "[ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]",
    ),
    case("spaces", ("Mary Ann", "Bob Marley Jr"), X_FIRST),
    Case {
        swapped: true,
        ..case("swapped", AB, X_FIRST)
    },
    Case {
        extra: "links: { h2: { delay_ms: 80 } }\nexpect: { order_margin_ms: 20 }\n",
        ..case(
            "delayed-x",
            AB,
            "[ {connect: a}, {connect: b}, {send: a}, {sleep_ms: 10}, {send: b} ]",
        )
    },
];

/// Which cases each pairing runs (`swapped` only where it can show
/// something: see [`swaps`]).
fn cases_of(pairing: Pairing, sub: &Submission) -> Vec<&'static str> {
    match pairing {
        Pairing::Server => vec!["case1", "case2", "spaces", "delayed-x"],
        Pairing::Clients => vec!["case2"],
        Pairing::Pair => {
            let mut cases = vec!["early", "case2", "spaces"];
            if swaps(sub) {
                cases.push("swapped");
            }
            cases
        }
    }
}

/// Whether the clients say which client they are themselves (two
/// programs, or the letter on the command line): then starting the first
/// one as Y tells whether the server names them by connect order.
fn swaps(sub: &Submission) -> bool {
    match &sub.discovery.clients {
        Ok(Clients::Two { .. }) => true,
        Ok(Clients::One(c)) => c.letter_from == LetterFrom::Argv,
        Err(_) => false,
    }
}

/// Whether the student's clients send names the scenario can give them:
/// typed, on their command line, or written in where discovery read it.
fn names_known(sub: &Submission) -> bool {
    sub.discovery.clients.as_ref().is_ok_and(|clients| {
        clients
            .programs()
            .iter()
            .all(|c| c.name_from != discover::NameFrom::Fixed(None))
    })
}

/// A YAML flow list of a command's words (quoted: no word is YAML syntax).
fn yaml_argv(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|w| serde_json::to_string(w).expect("a string serialises"))
        .collect();
    format!("[{}]", words.join(", "))
}

/// The command that runs `p`, from the submission's folder: in its own
/// folder when that is another (`env -C DIR …`).
fn command(p: &Program) -> Vec<String> {
    let mut argv = Vec::new();
    if !p.dir.as_os_str().is_empty() {
        argv.extend(["env".to_string(), "-C".into(), p.dir.display().to_string()]);
    }
    argv.extend(p.run.iter().cloned());
    argv
}

/// The command of the client in connect position `first` (X's) or not,
/// in `case`: two programs give X's program to the first to connect (Y's
/// in a swapped case); a letter on the command line is given as the
/// position's (the other one, swapped).
fn client_command(clients: &Clients, first: bool, swapped: bool) -> Vec<String> {
    let (c, letter) = client_for(clients, first, swapped);
    command(&c.program)
        .into_iter()
        .map(|a| {
            if swapped {
                a.replace("{letter}", letter)
            } else {
                a
            }
        })
        .collect()
}

/// The client program of connect position `first`, and the letter it is
/// started as: X for the first to connect (Y when `swapped`).
fn client_for(clients: &Clients, first: bool, swapped: bool) -> (&Client, &'static str) {
    let x = first != swapped;
    let c = match clients {
        Clients::One(c) => c,
        Clients::Two { x: cx, y: cy } => {
            if x {
                cx
            } else {
                cy
            }
        }
    };
    (c, if x { "X" } else { "Y" })
}

/// The name written into the client program of connect position `first`
/// (see [`client_command`]), if it has one.
fn fixed_name(clients: &Clients, first: bool, swapped: bool) -> Option<&str> {
    match &client_for(clients, first, swapped).0.name_from {
        discover::NameFrom::Fixed(Some(n)) => Some(n),
        _ => None,
    }
}

/// Our server, on the port the student's clients dial (the grading
/// config's; the network routes whatever they dial to it).
fn our_server(g: &Grading) -> Vec<String> {
    [
        "server",
        "--bind",
        "0.0.0.0",
        "--port",
        &g.port.to_string(),
        "--rounds",
        "1",
        "--idle-timeout",
        &format!("{}", g.timeout_s.ceil()),
    ]
    .map(String::from)
    .to_vec()
}

/// The scenario text of one case in one pairing.
fn scenario_text(sub: &Submission, pairing: Pairing, case: &Case, g: &Grading) -> Result<String> {
    let server_cmd = match (pairing, &sub.discovery.server) {
        (Pairing::Clients, _) => our_server(g),
        (_, Ok(p)) => command(p),
        (_, Err(m)) => return Err(anyhow!("{}: {m}", sub.student)),
    };
    let client = |id: &str, host: &str, name: &str, first: bool| -> Result<String> {
        // A client with its name written in sends that name, whatever is
        // typed: the scenario says so, so that the checks expect it.
        let name = match (pairing, &sub.discovery.clients) {
            (Pairing::Server, _) | (_, Err(_)) => name.to_string(),
            (_, Ok(clients)) => fixed_name(clients, first, case.swapped)
                .unwrap_or(name)
                .to_string(),
        };
        let name = serde_json::to_string(&name).expect("a string serialises");
        let eager = if case.eager { ", eager: true" } else { "" };
        match (pairing, &sub.discovery.clients) {
            (Pairing::Server, _) => Ok(format!("  - {{ id: {id}, host: {host}, name: {name} }}\n")),
            (_, Ok(clients)) => Ok(format!(
                "  - {{ id: {id}, host: {host}, name: {name}, cmd: {}{eager} }}\n",
                yaml_argv(&client_command(clients, first, case.swapped))
            )),
            (_, Err(m)) => Err(anyhow!("{}: {m}", sub.student)),
        }
    };
    Ok(format!(
        "name: {}\ndescription: {} ({}), {}\ntopology: {{ hosts: [h1, h2, h3] }}\n{}server: {{ host: h1, port: {}, cmd: {}, keeps_running: true, adapt_network: true }}\nclients:\n{}{}steps: {}\ntimeout_s: {}\n",
        serde_json::to_string(&format!("{} {} {}", sub.student, pairing.word(), case.name)).expect("serialises"),
        case.name,
        pairing.describe(),
        serde_json::to_string(&sub.student).expect("serialises"),
        case.extra,
        g.port,
        yaml_argv(&server_cmd),
        client("a", "h2", case.names.0, true)?,
        client("b", "h3", case.names.1, false)?,
        case.steps,
        g.timeout_s,
    ))
}

/// A grading run: which student, pairing and case an item is.
#[derive(Clone, Debug)]
pub struct GradeRun {
    /// Index into the submissions.
    pub student: usize,
    pub pairing: Pairing,
    pub case: &'static str,
    /// Whether the clients send the names the scenario gives them (not a
    /// name of their own written in, which discovery could not read).
    pub names_known: bool,
}

/// Every run of the class, as batch items (with the submission whose
/// programs run in the sandbox), and what each is.
pub fn items(subs: &[Submission], g: &Grading) -> Result<Vec<(Item, GradeRun)>> {
    let mut out = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        for pairing in sub.runnable() {
            for name in cases_of(pairing, sub) {
                let case = CASES.iter().find(|c| c.name == name).expect("a case");
                let text = scenario_text(sub, pairing, case, g)?;
                // The file's directory is the submission's: that is where
                // its programs' relative paths point (the sandbox's copy).
                let file = sub
                    .dir
                    .join(format!("{}-{}.yaml", pairing.word(), case.name));
                let scenario = scenario::parse(&file, text.as_bytes(), shaping::capabilities())
                    .map_err(|e| anyhow!("the grading scenario for {}: {e}", sub.student))?;
                let mut item = grading_item(out.len(), scenario, sub, pairing, case.name);
                item.submission = Some(sub.dir.clone());
                out.push((
                    item,
                    GradeRun {
                        student: i,
                        pairing,
                        case: case.name,
                        names_known: pairing == Pairing::Server || names_known(sub),
                    },
                ));
            }
        }
    }
    Ok(out)
}

fn grading_item(
    index: usize,
    scenario: ValidScenario,
    sub: &Submission,
    pairing: Pairing,
    case: &str,
) -> Item {
    let mut item = Item::of(index, Arc::new(scenario), 1, 1);
    item.key = format!("{}/{}/{case}", sub.student, pairing.word());
    item.label = format!("{} {} {case}", sub.student, pairing.word());
    item.dir_name = format!("{}-{}-{case}", slug(&sub.student), pairing.word());
    item
}

/// A student's name as part of a file name: letters, digits, `.`, `_`
/// and `-` kept, anything else `-` (a folder name may hold anything).
pub fn slug(student: &str) -> String {
    let s: String = student
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    match s.trim_start_matches('.') {
        "" => "student".to_string(),
        t => t.to_string(),
    }
}

/// Items 11 and 12's evidence: the server's top comment and the files.
pub fn source_evidence(sub: &Submission) -> SourceEvidence {
    let server = sub
        .discovery
        .server
        .as_ref()
        .ok()
        .and_then(|p| std::fs::read_to_string(sub.source.join(&p.entry)).ok())
        .unwrap_or_default();
    let mut files = Vec::new();
    collect_files(&sub.source, &sub.source, &mut files);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    SourceEvidence {
        server_comment: top_comment(&server),
        files,
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<FileFacts>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() && out.len() < 200 {
            collect_files(root, &path, out);
        } else if meta.is_file() && out.len() < 200 {
            let text = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            out.push(FileFacts {
                path: path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
                lines: text.lines().count(),
                comment_lines: text
                    .lines()
                    .filter(|l| {
                        let t = l.trim_start();
                        t.starts_with('#') || t.starts_with("//") || t.starts_with("\"\"\"")
                    })
                    .count(),
            });
        }
    }
}

/// The comment at the top of a program: its first block of `#` (or `//`)
/// lines (a `#!` line and blank lines before it skipped), its first `/*`
/// block, or its docstring.
pub fn top_comment(source: &str) -> Option<String> {
    let mut lines = source
        .lines()
        .skip_while(|l| l.starts_with("#!") || l.trim().is_empty())
        .peekable();
    let first = lines.peek()?.trim_start();
    let text = if let Some(mark) = ["#", "//"].into_iter().find(|m| first.starts_with(m)) {
        lines
            .take_while(|l| l.trim_start().starts_with(mark))
            .map(|l| l.trim_start().trim_start_matches(mark).trim_end())
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    } else if let Some((open, close)) = [("\"\"\"", "\"\"\""), ("'''", "'''"), ("/*", "*/")]
        .into_iter()
        .find(|(o, _)| first.starts_with(o))
    {
        let body: String = lines.collect::<Vec<_>>().join("\n");
        let body = body.trim_start().trim_start_matches(open);
        body.split(close)
            .next()
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().trim_start_matches('*').trim())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    } else {
        return None;
    };
    let text: String = text.trim().chars().take(4000).collect();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::discover::{Interpreters, Pins};

    fn class(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Submission>) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let subs = folders(dir.path())
            .unwrap()
            .into_iter()
            .map(|(student, d)| {
                let found = discover::discover(&d, &Pins::default(), &Interpreters::none());
                Submission::found(student, d, found)
            })
            .collect();
        (dir, subs)
    }

    const SERVER: &str = "from socket import *\ns = socket(AF_INET, SOCK_STREAM)\ns.bind(('', 12000))\ns.listen(2)\nc, a = s.accept()\nprint('received before')\n";
    const CLIENT: &str = "from socket import *\nc = socket(AF_INET, SOCK_STREAM)\nc.connect(('localhost', 12000))\nname = input('name: ')\nc.send(name.encode())\n";

    #[test]
    fn the_top_comment_is_the_first_comment_block_or_docstring() {
        let hashed = "#!/usr/bin/env python3\n\n# PA3 server\n# Why threads: recv blocks.\nimport socket\n# later\n";
        assert_eq!(
            top_comment(hashed).as_deref(),
            Some("PA3 server\nWhy threads: recv blocks.")
        );
        let doc = "\"\"\"PA3 server.\n\nOne thread per client.\n\"\"\"\nimport socket\n";
        assert_eq!(
            top_comment(doc).as_deref(),
            Some("PA3 server.\n\nOne thread per client.")
        );
        let c = "/* PA3 server\n * Threads: recv blocks.\n */\n#include <stdio.h>\n";
        assert_eq!(
            top_comment(c).as_deref(),
            Some("PA3 server\nThreads: recv blocks.")
        );
        assert_eq!(top_comment("import socket\n# late comment\n"), None);
        assert_eq!(top_comment(""), None);
    }

    #[test]
    fn every_pairing_and_case_is_a_valid_adapted_scenario() {
        let (_dir, subs) = class(&[
            ("o'neil/TCPServer.py", SERVER),
            ("o'neil/TCPClient.py", CLIENT),
        ]);
        let g = Grading::default();
        let items = items(&subs, &g).unwrap();
        assert_eq!(items.len(), 4 + 1 + 3);
        let keys: Vec<&str> = items.iter().map(|(i, _)| i.key.as_str()).collect();
        assert!(keys.contains(&"o'neil/pair/early"), "{keys:?}");
        // Item 8 under real latency: X's link 80 ms slower, X types first.
        let (delayed, _) = items
            .iter()
            .find(|(i, _)| i.key == "o'neil/server/delayed-x")
            .unwrap();
        let h2 = delayed.scenario.links().of("h2").unwrap();
        assert_eq!(h2.conditions.delay_ms, 80.0);
        assert!(delayed.scenario.links().engine.is_some());
        let (item, _) = &items[0];
        assert!(item.scenario.server().keeps_running() && item.scenario.server().adapt_network());
        assert_eq!(
            item.scenario.server().cmd(),
            Some(&["python3".to_string(), "TCPServer.py".into()][..])
        );
        let (early, _) = items
            .iter()
            .find(|(i, _)| i.key.ends_with("pair/early"))
            .unwrap();
        assert!(early.scenario.clients().iter().all(|c| c.eager()));
        assert_eq!(
            early.scenario.clients()[0].cmd(),
            Some(&["python3".to_string(), "TCPClient.py".into()][..])
        );
    }

    #[test]
    fn two_client_programs_give_x_to_the_first_to_connect_and_y_in_a_swapped_case() {
        let x = CLIENT.replace("name = input('name: ')", "name = 'Client X: Alice'");
        let y = CLIENT.replace("name = input('name: ')", "name = 'Client Y: Bob'");
        let (_dir, subs) = class(&[
            ("ben/Server.py", SERVER),
            ("ben/xClient.py", &x),
            ("ben/yClient.py", &y),
        ]);
        let items = items(&subs, &Grading::default()).unwrap();
        let cmds = |key: &str| -> Vec<String> {
            let (item, _) = items.iter().find(|(i, _)| i.key.ends_with(key)).unwrap();
            item.scenario
                .clients()
                .iter()
                .map(|c| c.cmd().unwrap().last().unwrap().clone())
                .collect()
        };
        assert_eq!(cmds("pair/case2"), ["xClient.py", "yClient.py"]);
        assert_eq!(cmds("pair/swapped"), ["yClient.py", "xClient.py"]);
        assert_eq!(cmds("clients/case2"), ["xClient.py", "yClient.py"]);
    }

    #[test]
    fn a_program_that_cannot_run_leaves_out_the_pairings_it_is_in() {
        let broken = CLIENT.replace("name = ", "\u{200b}name = ");
        let (_dir, subs) = class(&[("kim/server.py", SERVER), ("kim/client.py", &broken)]);
        let sub = &subs[0];
        let blocked = sub.clients_blocked().expect("the client does not run");
        assert!(blocked.students_doing);
        assert!(blocked.why.contains("client.py"), "{}", blocked.why);
        assert_eq!(sub.runnable(), [Pairing::Server]);
        let (_dir, subs) = class(&[("zoe/server.py", SERVER)]);
        assert_eq!(subs[0].runnable(), [Pairing::Server]);
        assert!(subs[0].clients_blocked().unwrap().why.contains("no "));
    }

    #[test]
    fn our_server_listens_on_the_port_the_grading_config_gives() {
        let (_dir, subs) = class(&[("ann/server.py", SERVER), ("ann/client.py", CLIENT)]);
        let g = Grading {
            port: 12345,
            ..Grading::default()
        };
        let items = items(&subs, &g).unwrap();
        let (ours, _) = items
            .iter()
            .find(|(_, r)| r.pairing == Pairing::Clients)
            .unwrap();
        let cmd = ours.scenario.server().cmd().unwrap();
        let port = cmd.iter().position(|a| a == "--port").unwrap();
        assert_eq!(cmd[port + 1], "12345", "{cmd:?}");
    }

    #[test]
    fn a_folder_of_one_submission_is_a_class_of_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("server.py"), SERVER).unwrap();
        std::fs::write(dir.path().join("client.py"), CLIENT).unwrap();
        let found = folders(dir.path()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].1, dir.path());
    }
}
