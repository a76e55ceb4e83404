//! What grading a class runs: for every submission, the rubric's scenarios
//! in three pairings — the student's server with our clients, our server
//! with the student's clients, the student's pair as handed in — written as
//! scenario text and validated like any scenario file.
//!
//! The scenarios, with the student's server and our clients:
//! - `case1`: X connects, 250 ms later Y (a greeting sent before Y is there
//!   shows), X types first;
//! - `case2`: X, then Y at once (two connects a few milliseconds apart);
//!   Y types first — the ack must follow arrival, not connect order;
//! - `reversed`: the other client connects first, both named the same;
//! - `simultaneous`: both type at the same moment;
//! - `long-gap`: a second passes between the two messages;
//! - `spaces`: names with spaces;
//! - `delayed-x`: X types first, but X's link is 80 ms slower (a link
//!   condition, docs/links.md): the ack must name Y first — item 8 under
//!   real latency. It needs Mininet: on the loopback backend it is not run.
//!
//! With our server and the student's clients: `case2` and `spaces`; the
//! student's pair: `case2`. The server may keep serving after the round
//! (the seed allows it): it is stopped a second after the clients end.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, Result};

use super::config::Grading;
use super::rubric::{FileFacts, SourceEvidence};
use super::Pairing;
use crate::orchestrator::batch::plan::Item;
use crate::orchestrator::scenario::{self, Capabilities, ValidScenario};

/// One student's folder.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The folder's name: the student in the gradebook.
    pub student: String,
    pub dir: PathBuf,
    /// The files the grading needs that are not there.
    pub missing: Vec<String>,
}

impl Submission {
    /// Whether the submission lacks its server program.
    pub fn lacks_server(&self, g: &Grading) -> bool {
        self.missing.contains(&g.server_file)
    }

    /// Whether the submission lacks its client program.
    pub fn lacks_client(&self, g: &Grading) -> bool {
        self.missing.contains(&g.client_file)
    }

    /// The pairings its files allow: without a server, only our server
    /// with its clients; without a client, only its server with ours.
    pub fn runnable(&self, g: &Grading) -> Vec<Pairing> {
        [Pairing::Server, Pairing::Clients, Pairing::Pair]
            .into_iter()
            .filter(|p| match p {
                Pairing::Server => !self.lacks_server(g),
                Pairing::Clients => !self.lacks_client(g),
                Pairing::Pair => self.missing.is_empty(),
            })
            .collect()
    }
}

/// The folders of `dir` (not hidden), in name order.
pub fn submissions(dir: &Path, grading: &Grading) -> Result<Vec<Submission>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow!("cannot read the submissions folder {}: {e}", dir.display()))?;
    let mut found: Vec<Submission> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let student = e.file_name().to_str()?.to_string();
            (!student.starts_with('.')).then_some((student, e.path()))
        })
        .map(|(student, dir)| {
            let missing = [&grading.server_file, &grading.client_file]
                .into_iter()
                .filter(|f| !dir.join(f).is_file())
                .cloned()
                .collect();
            Submission {
                student,
                dir,
                missing,
            }
        })
        .collect();
    found.sort_by(|a, b| a.student.cmp(&b.student));
    Ok(found)
}

/// A scenario of the rubric set: its name, steps and client names.
struct Case {
    name: &'static str,
    names: (&'static str, &'static str),
    steps: &'static str,
    /// Extra top-level YAML (the links, an expectation), or nothing.
    extra: &'static str,
}

const CASES: [Case; 7] = [
    Case {
        name: "case1",
        names: ("Alice", "Bob"),
        steps:
            "[ {connect: a}, {sleep_ms: 250}, {connect: b}, {send: a}, {sleep_ms: 200}, {send: b} ]",
        extra: "",
    },
    Case {
        name: "case2",
        names: ("Alice", "Bob"),
        steps: "[ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]",
        extra: "",
    },
    Case {
        name: "reversed",
        names: ("Alex", "Alex"),
        steps: "[ {connect: b}, {connect: a}, {send: a}, {sleep_ms: 200}, {send: b} ]",
        extra: "",
    },
    Case {
        name: "simultaneous",
        names: ("Alice", "Bob"),
        steps: "[ {connect: a}, {connect: b}, {send: [a, b]} ]",
        extra: "",
    },
    Case {
        name: "long-gap",
        names: ("Alice", "Bob"),
        steps: "[ {connect: a}, {connect: b}, {send: a}, {sleep_ms: 1000}, {send: b} ]",
        extra: "",
    },
    Case {
        name: "spaces",
        names: ("Mary Ann", "Bob Marley Jr"),
        steps: "[ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 200}, {send: a} ]",
        extra: "",
    },
    Case {
        name: "delayed-x",
        names: ("Alice", "Bob"),
        steps: "[ {connect: a}, {connect: b}, {send: a}, {sleep_ms: 10}, {send: b} ]",
        extra: "links: { h2: { delay_ms: 80 } }\nexpect: { order_margin_ms: 20 }\n",
    },
];

/// Which cases each pairing runs.
fn cases_of(pairing: Pairing) -> &'static [&'static str] {
    match pairing {
        Pairing::Server => &[
            "case1",
            "case2",
            "reversed",
            "simultaneous",
            "long-gap",
            "spaces",
            "delayed-x",
        ],
        Pairing::Clients => &["case2", "spaces"],
        Pairing::Pair => &["case2"],
    }
}

/// A YAML flow list of a command's words (quoted: no word is YAML syntax).
fn yaml_argv(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|w| serde_json::to_string(w).expect("a string serialises"))
        .collect();
    format!("[{}]", words.join(", "))
}

/// The scenario text of one case in one pairing.
fn scenario_text(sub: &Submission, pairing: Pairing, case: &Case, g: &Grading) -> String {
    // Our server listens where the student's clients connect: their port,
    // as the grading config gives it, never one the backend picks (`{port}`
    // is a free port on loopback, and their clients hard-code theirs).
    let ours = vec![
        "server".to_string(),
        "--bind".into(),
        "0.0.0.0".into(),
        "--port".into(),
        g.port.to_string(),
        "--rounds".into(),
        "1".into(),
        "--idle-timeout".into(),
        format!("{}", g.timeout_s.ceil()),
    ];
    let server_cmd = match pairing {
        Pairing::Clients => &ours,
        _ => &g.server_cmd,
    };
    let client = |id: &str, host: &str, name: &str| -> String {
        let name = serde_json::to_string(name).expect("a string serialises");
        match pairing {
            Pairing::Server => format!("  - {{ id: {id}, host: {host}, name: {name} }}\n"),
            _ => format!(
                "  - {{ id: {id}, host: {host}, name: {name}, cmd: {} }}\n",
                yaml_argv(&g.client_cmd)
            ),
        }
    };
    format!(
        "name: {}\ndescription: {} ({}), {}\ntopology: {{ hosts: [h1, h2, h3] }}\n{}server: {{ host: h1, port: {}, cmd: {}, keeps_running: true }}\nclients:\n{}{}steps: {}\ntimeout_s: {}\n",
        serde_json::to_string(&format!("{} {} {}", sub.student, pairing.word(), case.name)).expect("serialises"),
        case.name,
        pairing.describe(),
        serde_json::to_string(&sub.student).expect("serialises"),
        case.extra,
        g.port,
        yaml_argv(server_cmd),
        client("a", "h2", case.names.0),
        client("b", "h3", case.names.1),
        case.steps,
        g.timeout_s,
    )
}

/// A grading run: which student, pairing and case an item is.
#[derive(Clone, Debug)]
pub struct GradeRun {
    /// Index into the submissions.
    pub student: usize,
    pub pairing: Pairing,
    pub case: &'static str,
}

/// Every run of the class, as batch items (with the submission whose
/// programs run in the sandbox), and what each is.
pub fn items(subs: &[Submission], g: &Grading) -> Result<Vec<(Item, GradeRun)>> {
    let mut out = Vec::new();
    for (i, sub) in subs.iter().enumerate() {
        for pairing in sub.runnable(g) {
            for name in cases_of(pairing) {
                let case = CASES.iter().find(|c| c.name == *name).expect("a case");
                let text = scenario_text(sub, pairing, case, g);
                // The file's directory is the submission's: that is where
                // its programs' relative paths point (the sandbox's copy).
                let file = sub
                    .dir
                    .join(format!("{}-{}.yaml", pairing.word(), case.name));
                let scenario = scenario::parse(&file, text.as_bytes(), Capabilities::detect())
                    .map_err(|e| anyhow!("the grading scenario for {}: {e}", sub.student))?;
                let mut item = grading_item(out.len(), scenario, sub, pairing, case.name);
                item.submission = Some(sub.dir.clone());
                out.push((
                    item,
                    GradeRun {
                        student: i,
                        pairing,
                        case: case.name,
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
pub fn source_evidence(sub: &Submission, g: &Grading) -> SourceEvidence {
    let server = std::fs::read_to_string(sub.dir.join(&g.server_file)).unwrap_or_default();
    let mut files = Vec::new();
    collect_files(&sub.dir, &sub.dir, &mut files);
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

/// The comment at the top of a program: its first block of `#` lines (a
/// `#!` line and blank lines before it skipped), or its docstring.
pub fn top_comment(source: &str) -> Option<String> {
    let mut lines = source
        .lines()
        .skip_while(|l| l.starts_with("#!") || l.trim().is_empty())
        .peekable();
    let first = lines.peek()?.trim_start();
    let text = if first.starts_with('#') {
        lines
            .take_while(|l| l.trim_start().starts_with('#'))
            .map(|l| l.trim_start().trim_start_matches('#').trim_end())
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    } else if let Some(quote) = ["\"\"\"", "'''"].into_iter().find(|q| first.starts_with(q)) {
        let body: String = lines.collect::<Vec<_>>().join("\n");
        let body = body.trim_start().trim_start_matches(quote);
        body.split(quote)
            .next()
            .unwrap_or_default()
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
        assert_eq!(top_comment("import socket\n# late comment\n"), None);
        assert_eq!(top_comment(""), None);
    }

    #[test]
    fn every_pairing_and_case_is_a_valid_scenario() {
        let dir = tempfile::tempdir().unwrap();
        let student = dir.path().join("o'neil");
        std::fs::create_dir(&student).unwrap();
        for f in ["server.py", "client.py"] {
            std::fs::write(student.join(f), "").unwrap();
        }
        let g = Grading::default();
        let subs = submissions(dir.path(), &g).unwrap();
        let items = items(&subs, &g).unwrap();
        assert_eq!(items.len(), 7 + 2 + 1);
        let keys: Vec<&str> = items.iter().map(|(i, _)| i.key.as_str()).collect();
        assert!(keys.contains(&"o'neil/clients/spaces"), "{keys:?}");
        // Item 8 under real latency: X's link 80 ms slower, X types first.
        let (delayed, _) = items
            .iter()
            .find(|(i, _)| i.key == "o'neil/server/delayed-x")
            .unwrap();
        let h2 = delayed.scenario.links.of("h2").unwrap();
        assert_eq!(h2.conditions.delay_ms, 80.0);
        assert!(delayed.scenario.links.engine.is_some());
        let (item, _) = &items[0];
        assert!(item.scenario.server.keeps_running);
        assert_eq!(item.scenario.server.cmd.as_deref(), Some(&g.server_cmd[..]));
        assert_eq!(item.submission.as_deref(), Some(student.as_path()));
    }

    #[test]
    fn our_server_listens_on_the_port_the_students_clients_connect_to() {
        let dir = tempfile::tempdir().unwrap();
        let student = dir.path().join("ann");
        std::fs::create_dir(&student).unwrap();
        for f in ["server.py", "client.py"] {
            std::fs::write(student.join(f), "").unwrap();
        }
        let g = Grading {
            port: 12345,
            ..Grading::default()
        };
        let subs = submissions(dir.path(), &g).unwrap();
        let items = items(&subs, &g).unwrap();
        let (ours, _) = items
            .iter()
            .find(|(_, r)| r.pairing == Pairing::Clients)
            .unwrap();
        let cmd = ours.scenario.server.cmd.as_deref().unwrap();
        let port = cmd.iter().position(|a| a == "--port").unwrap();
        assert_eq!(cmd[port + 1], "12345", "{cmd:?}");
        assert_eq!(ours.scenario.server.port, 12345);
    }

    #[test]
    fn a_folder_without_the_files_is_listed_with_what_it_lacks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("zoe")).unwrap();
        std::fs::write(dir.path().join("zoe/server.py"), "").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let subs = submissions(dir.path(), &Grading::default()).unwrap();
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].missing, ["client.py"]);
    }

    #[test]
    fn a_folder_with_one_program_runs_the_pairing_that_program_is_in() {
        let dir = tempfile::tempdir().unwrap();
        for (student, file) in [("ann", "server.py"), ("ben", "client.py")] {
            std::fs::create_dir(dir.path().join(student)).unwrap();
            std::fs::write(dir.path().join(student).join(file), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("cat")).unwrap();
        let g = Grading::default();
        let subs = submissions(dir.path(), &g).unwrap();
        let runnable: Vec<Vec<Pairing>> = subs.iter().map(|s| s.runnable(&g)).collect();
        assert_eq!(
            runnable,
            [vec![Pairing::Server], vec![Pairing::Clients], vec![]]
        );
        let keys: Vec<String> = items(&subs, &g)
            .unwrap()
            .into_iter()
            .map(|(i, _)| i.key)
            .collect();
        assert_eq!(keys.len(), 7 + 2, "{keys:?}");
        assert!(keys
            .iter()
            .all(|k| k.starts_with("ann/server/") || k.starts_with("ben/clients/")));
    }
}
