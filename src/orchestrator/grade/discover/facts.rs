//! What one source file does, read as a TA reads it: which socket calls it
//! makes (its role), how much of PA3 is in it, whether it is the textbook's
//! uppercase echo program, whether it is Python 2, and how a client gets
//! its name and letter (standard input, the command line, or written in).

use regex::Regex;

use super::args::{kind_by_words, ArgKind};
use super::lex::Lexed;
use super::scan::{Source, SourceKind};

/// The facts of one file.
#[derive(Clone, Debug, Default)]
pub(super) struct Facts {
    pub binds: bool,
    pub listens: bool,
    pub accepts: bool,
    pub connects: bool,
    /// C and C++: it defines `main` (Python: always).
    pub has_main: bool,
    /// The PA3 signs found (`"received before"`, threads, ...).
    pub pa3: Vec<&'static str>,
    /// The textbook's uppercase echo program, with nothing of PA3.
    pub stub: bool,
    /// Python 2 signs: `a print statement (line 12)`.
    pub python2: Vec<String>,
    /// It reads standard input (a name, or Enter to go on).
    pub reads_stdin: bool,
    /// What it reads there is used (not a "press Enter" pause).
    pub stdin_name: bool,
    /// The letter it says it is ("Client X" written in).
    pub fixed_letter: Option<char>,
    /// The name written in ("Client X: Alice").
    pub fixed_name: Option<String>,
    /// It builds "Client " + a letter, or compares something with 'X'/'Y'.
    pub uses_letter: bool,
    /// Python modules it imports; C headers it includes with quotes.
    pub imports: Vec<String>,
    /// Written for Windows (`winsock2.h`, `WSAStartup`).
    pub windows_only: bool,
}

impl Facts {
    pub(super) fn serves(&self) -> bool {
        self.binds && self.listens && self.accepts
    }

    pub(super) fn is_client(&self) -> bool {
        self.connects && !self.accepts
    }

    /// Adds what `other` (a module it imports, a file linked with it) does.
    pub(super) fn absorb(&mut self, other: &Facts) {
        self.binds |= other.binds;
        self.listens |= other.listens;
        self.accepts |= other.accepts;
        self.connects |= other.connects;
        self.reads_stdin |= other.reads_stdin;
        self.stdin_name |= other.stdin_name;
        self.uses_letter |= other.uses_letter;
        self.windows_only |= other.windows_only;
        for p in &other.pa3 {
            if !self.pa3.contains(p) {
                self.pa3.push(p);
            }
        }
    }
}

/// The facts of `source`.
pub(super) fn facts(source: &Source) -> Facts {
    let python = source.kind == SourceKind::Python;
    let code = &source.lexed.code;
    let mut f = if python {
        python_calls(code)
    } else {
        c_calls(code)
    };
    let lower = source.text.to_lowercase();
    f.pa3 = pa3_signs(&lower);
    // The textbook's programs receive once; a PA3 program at least twice
    // (a greeting and an ack, or a message from each client).
    let receives = re!(r"\brecv(?:from)?\s*\(|\bread\s*\(")
        .find_iter(code)
        .count();
    f.stub = stub_signs(&lower)
        && receives < 2
        && !f.pa3.contains(&RECEIVED_BEFORE)
        && !f.pa3.contains(&CLIENT_XY);
    (f.reads_stdin, f.stdin_name) = reads_stdin(&source.lexed, python);
    let strings = strings_but_prompts(source, python);
    f.fixed_letter = fixed_letter(&strings, &source.lexed.no_comments);
    f.fixed_name = fixed_name(&strings);
    f.uses_letter = uses_letter(&strings, &source.lexed.no_comments);
    if python {
        f.python2 = python2_signs(source);
        f.imports = python_imports(code);
    } else {
        f.imports = re!(r#"#\s*include\s*"([^"]+)""#)
            .captures_iter(&source.lexed.no_comments)
            .map(|c| c[1].to_string())
            .collect();
        f.windows_only = re!(r"(?i)winsock2?\.h|\bWSAStartup\b").is_match(&source.text);
    }
    f
}

/// Python: a `coding:` line in the first two lines (PEP 263).
pub(super) fn has_coding_line(text: &str) -> bool {
    text.lines()
        .take(2)
        .any(|l| re!(r"^[ \t\f]*#.*coding[:=]").is_match(l))
}

fn python_calls(code: &str) -> Facts {
    let serve_forever = re!(r"\.serve_forever\s*\(").is_match(code);
    let create_server = re!(r"\bcreate_server\s*\(").is_match(code);
    Facts {
        binds: serve_forever || create_server || re!(r"\.bind\s*\(").is_match(code),
        listens: serve_forever || create_server || re!(r"\.listen\s*\(").is_match(code),
        accepts: serve_forever || re!(r"\.accept\s*\(").is_match(code),
        connects: re!(r"\.connect(?:_ex)?\s*\(|\bcreate_connection\s*\(").is_match(code),
        has_main: true,
        ..Facts::default()
    }
}

/// C and C++: the socket calls, not `std::bind` or a method of that name.
fn c_calls(code: &str) -> Facts {
    let call = |name: &str| {
        Regex::new(&format!(r"(?:^|[^\w.>:])(?:::)?{name}\s*\("))
            .map(|r| r.is_match(code))
            .unwrap_or(false)
    };
    Facts {
        binds: call("bind"),
        listens: call("listen"),
        accepts: call("accept"),
        connects: call("connect"),
        has_main: re!(r"\b(?:int|void)\s+main\s*\(").is_match(code),
        ..Facts::default()
    }
}

const RECEIVED_BEFORE: &str = "\"received before\"";
const CLIENT_XY: &str = "\"Client X/Y\"";
const THREADS: &str = "threads";
const ON_THREADS: &str = "a word on multithreading";

/// The signs of PA3 in a file (lowercased).
fn pa3_signs(lower: &str) -> Vec<&'static str> {
    let signs: [(&'static str, &Regex); 6] = [
        (RECEIVED_BEFORE, re!(r"rece?ie?ved\s+before")),
        (CLIENT_XY, re!(r"client\s*[xy]\b")),
        ("\"connected\"", re!(r"connected")),
        ("an acknowledgment", re!(r"ackn?owle?dg")),
        (
            THREADS,
            re!(r"\bthreading\b|\bthread\s*\(|pthread_create|std::thread|\b_thread\b"),
        ),
        (ON_THREADS, re!(r"multi-?\s?thread")),
    ];
    signs
        .iter()
        .filter(|s| s.1.is_match(lower))
        .map(|s| s.0)
        .collect()
}

/// How much of PA3 the signs make: `received before` weighs most;
/// threads count for a server only (a client of PA3 needs none, a chat
/// client does).
pub(super) fn pa3_score(f: &Facts, server: bool) -> u32 {
    f.pa3
        .iter()
        .map(|&s| match s {
            RECEIVED_BEFORE => 3,
            THREADS | ON_THREADS if !server => 0,
            _ => 1,
        })
        .sum()
}

/// The textbook's (Kurose & Ross) capitalization programs.
fn stub_signs(lower: &str) -> bool {
    re!(r"\.upper\(\)|capitalizedsentence|modifiedsentence|toupper\s*\(|input lowercase sentence")
        .is_match(lower)
}

/// Whether it reads standard input, and whether what it reads is used.
/// A Python `input(...)` standing alone, or put in a variable never used
/// again (in code or an f-string), is a pause ("press Enter to send"),
/// not a name.
fn reads_stdin(lexed: &Lexed, python: bool) -> (bool, bool) {
    let code = &lexed.code;
    if !python {
        let reads = re!(r"\bcin\s*>>|\bgetline\s*\(\s*(?:std::)?cin\b|\bfgets\s*\([^;]*\bstdin\b|\bf?scanf\s*\(|\bgetchar\s*\(|\bgets\s*\(|\bread\s*\(\s*(?:0|STDIN_FILENO)\s*,")
            .is_match(code);
        return (reads, reads);
    }
    let read = re!(r"(?:^|[^\w.])(?:raw_)?input\s*\(|\bsys\s*\.\s*stdin\b|\bstdin\s*\.\s*read");
    let lines: Vec<&str> = lexed.no_comments.lines().collect();
    let mut reads = false;
    let mut used = false;
    for (n, line) in code.lines().enumerate().filter(|(_, l)| read.is_match(l)) {
        reads = true;
        if re!(r"^\s*(?:raw_)?input\s*\(").is_match(line) {
            continue;
        }
        used |= match re!(r"^\s*(\w+)\s*=").captures(line) {
            Some(c) => Regex::new(&format!(r"\b{}\b", &c[1])).is_ok_and(|r| {
                let elsewhere = lines.iter().enumerate().filter(|(m, _)| *m != n);
                elsewhere.map(|(_, l)| l).any(|l| r.is_match(l))
            }),
            None => true,
        };
    }
    (reads, used)
}

/// The string literals, less the prompts of `input(...)` (a prompt that
/// says "type Client X: Alice" is not the program saying it is X).
fn strings_but_prompts(source: &Source, python: bool) -> Vec<String> {
    let prompts: Vec<String> = if python {
        re!(r#"\b(?:raw_)?input\s*\(\s*[fr]?(?:'([^'\n]*)'|"([^"\n]*)")"#)
            .captures_iter(&source.lexed.no_comments)
            .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().to_string()))
            .collect()
    } else {
        Vec::new()
    };
    source
        .lexed
        .strings
        .iter()
        .filter(|s| !prompts.contains(s))
        .cloned()
        .collect()
}

/// The one letter written in after "Client" (or put in a variable named
/// like a letter), if only one is.
fn fixed_letter(strings: &[String], text: &str) -> Option<char> {
    let mut letters: Vec<char> = Vec::new();
    for s in strings {
        for c in re!(r"(?i)\bclient\s+([xy])\b").captures_iter(s) {
            letters.push(c[1].to_ascii_uppercase().chars().next()?);
        }
    }
    for c in re!(r#"\b(\w+)\s*=\s*['"]([XYxy])['"]"#).captures_iter(text) {
        if kind_by_words(&c[1]) == Some(ArgKind::Letter) {
            letters.push(c[2].to_ascii_uppercase().chars().next()?);
        }
    }
    letters.sort_unstable();
    letters.dedup();
    match letters[..] {
        [one] => Some(one),
        _ => None,
    }
}

/// The name written in after "Client X:".
fn fixed_name(strings: &[String]) -> Option<String> {
    strings.iter().find_map(|s| {
        let c = re!(r"(?i)^\s*client\s+[xy]\s*:\s*([^\s{%\\][^{%\\]*?)\s*$").captures(s)?;
        Some(c[1].to_string())
    })
}

/// Whether the program builds "Client " + a letter it learnt, or compares
/// something with 'X' or 'Y'.
fn uses_letter(strings: &[String], text: &str) -> bool {
    let composes = strings
        .iter()
        .any(|s| re!(r"(?i)(?:^|\s)client\s*(?:\{[^}]*\}|%[sc])|^\s*client\s+$").is_match(s));
    composes || re!(r#"['"][XY]['"]\s*(?:==|!=|\bin\b)|(?:==|!=)\s*['"][XY]['"]"#).is_match(text)
}

/// The signs that a Python file is Python 2, each with its first line.
fn python2_signs(source: &Source) -> Vec<String> {
    let code = &source.lexed.code;
    let mut signs = Vec::new();
    let first_line = source.text.lines().next().unwrap_or("");
    if re!(r"^#!.*\bpython2").is_match(first_line) {
        signs.push("a python2 #! line".to_string());
    }
    let defined = |name: &str| {
        Regex::new(&format!(r"\b{name}\s*=|\bimport\b[^\n]*\b{name}\b"))
            .map(|r| r.is_match(code))
            .unwrap_or(false)
    };
    let checks: [(&str, &Regex, bool); 7] = [
        (
            "a print statement",
            re!(r"(?m)(?:^|[:;])[ \t]*print(?:[ \t]+[^\s(=.,)\]:;]|[ \t]*[\x22\x27])"),
            true,
        ),
        (
            "raw_input()",
            re!(r"\braw_input\s*\("),
            !defined("raw_input"),
        ),
        ("xrange()", re!(r"\bxrange\s*\("), !defined("xrange")),
        (
            "`except E, e:`",
            re!(r"(?m)^\s*except\s+[\w.]+\s*,\s*\w+\s*:"),
            true,
        ),
        (
            "`raise E, \"...\"`",
            re!(r"(?m)^\s*raise\s+[\w.]+\s*,"),
            true,
        ),
        ("backticks", re!(r"`"), true),
        ("the `<>` operator", re!(r"\w\s*<>\s*\w"), true),
    ];
    for (what, re, counts) in checks {
        if let Some(m) = re.find(code).filter(|_| counts) {
            let line = code[..m.start()].matches('\n').count() + 1;
            signs.push(format!("{what} (line {line})"));
        }
    }
    signs
}

/// The modules a Python file imports (their first name).
fn python_imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for c in re!(r"(?m)^[ \t]*import[ \t]+([\w., \t]+)").captures_iter(code) {
        for part in c[1].split(',') {
            let module = part.split_whitespace().next().unwrap_or("");
            found.push(module.split('.').next().unwrap_or("").to_string());
        }
    }
    for c in re!(r"(?m)^[ \t]*from[ \t]+\.?(\w+)").captures_iter(code) {
        found.push(c[1].to_string());
    }
    found.retain(|m| !m.is_empty());
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::discover::lex::lex;
    use std::path::PathBuf;

    fn source(name: &str, text: &str) -> Source {
        let kind = if name.ends_with(".py") {
            SourceKind::Python
        } else {
            SourceKind::Cpp
        };
        Source {
            rel: PathBuf::from(name),
            kind,
            text: text.to_string(),
            not_utf8_at: None,
            lexed: lex(text, kind.syntax()),
        }
    }

    #[test]
    fn python2_signs_name_their_line_and_skip_what_python3_also_reads() {
        let s = source(
            "c.py",
            "import sys\nprint (\"fine in both\")\nprint 'Client X'\nname = raw_input('> ')\ntry:\n    pass\nexcept socket.error, e:\n    print\n",
        );
        assert_eq!(
            python2_signs(&s),
            [
                "a print statement (line 3)",
                "raw_input() (line 4)",
                "`except E, e:` (line 7)"
            ]
        );
        let shim = source(
            "c.py",
            "try:\n    raw_input\nexcept NameError:\n    raw_input = input\nx = raw_input('> ')\n",
        );
        assert!(python2_signs(&shim).is_empty());
    }

    #[test]
    fn c_socket_calls_are_not_std_bind_or_methods() {
        let f = facts(&source(
            "s.cpp",
            "auto f = std::bind(g, 1);\nobj.listen(3);\nint main() { ::connect(fd, a, n); }\n",
        ));
        assert!(!f.binds && !f.listens && f.connects && f.has_main);
    }
}
