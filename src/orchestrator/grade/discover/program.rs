//! A chosen candidate as a [`Program`]: its language, its build and run
//! commands, what stops it from running, and the line that explains it.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::args::{args, ArgKind};
use super::build::build;
use super::choose::{does, Candidate};
use super::facts::has_coding_line;
use super::lex::describe_char;
use super::scan::{Source, SourceKind, Tree};
use super::syntax::{parse_errors, Interpreters, PythonSays};
use super::{Client, Lang, LetterFrom, NameFrom, Problem, ProblemKind, Program};

/// What making a program needs to know of the folder and the machine.
pub(super) struct Context<'a> {
    /// The submission folder.
    pub root: &'a Path,
    pub tree: &'a Tree,
    pub have: &'a Interpreters,
    /// What Python 3 and Python 2 say of the folder's Python files, asked
    /// once for them all when first needed.
    pub said: [OnceCell<HashMap<PathBuf, PythonSays>>; 2],
}

impl<'a> Context<'a> {
    pub(super) fn new(root: &'a Path, tree: &'a Tree, have: &'a Interpreters) -> Context<'a> {
        Context {
            root,
            tree,
            have,
            said: Default::default(),
        }
    }

    /// Python's syntax error in `file`, read as `lang`, when this machine
    /// has that Python.
    fn python_says(&self, lang: Lang, file: &Path) -> Option<PythonSays> {
        let (interpreter, cell) = match lang {
            Lang::Python3 => (self.have.python3.as_deref()?, &self.said[0]),
            Lang::Python2 => (self.have.python2.as_deref()?, &self.said[1]),
            _ => return None,
        };
        let said = cell.get_or_init(|| {
            let files: Vec<&Path> = self
                .tree
                .sources
                .iter()
                .filter(|s| s.kind == SourceKind::Python)
                .map(|s| s.rel.as_path())
                .collect();
            parse_errors(interpreter, self.root, &files)
        });
        said.get(file).cloned()
    }
}

/// The server program of candidate `c`.
pub(super) fn server(c: &Candidate, ctx: &Context) -> Program {
    program(c, ctx, true)
}

/// The client program of candidate `c`; `two`: it is one of two client
/// programs, the one for this letter. Its line does not yet say how it
/// gets its name and letter ([`tell_inputs`]).
pub(super) fn client(c: &Candidate, ctx: &Context, two: Option<char>) -> Client {
    let mut program = program(c, ctx, false);
    let args = args(c.source, false);
    let name_from = if args.contains(&ArgKind::Name) {
        NameFrom::Argv
    } else if c.facts.stdin_name {
        NameFrom::Stdin
    } else {
        NameFrom::Fixed(c.facts.fixed_name.clone())
    };
    let letter_from = if args.contains(&ArgKind::Letter) {
        LetterFrom::Argv
    } else if let Some(l) = c.facts.fixed_letter {
        LetterFrom::Fixed(l)
    } else if c.facts.uses_letter {
        LetterFrom::Greeting
    } else {
        LetterFrom::Unused
    };
    if let Some(l) = two {
        let said = super::choose::letter_of(c).map_or("", |m| m.1);
        program.why += &format!("; one of two client programs, the one for {l} ({said})");
    }
    Client {
        program,
        name_from,
        letter_from,
        reads_stdin: c.facts.reads_stdin,
    }
}

/// Ends the client's line with how it gets its name and letter.
pub(super) fn tell_inputs(c: &mut Client) {
    c.program.why += &format!(
        "; {}; {}",
        name_words(&c.name_from),
        letter_words(c.letter_from)
    );
}

fn name_words(n: &NameFrom) -> String {
    match n {
        NameFrom::Stdin => "the name is typed".into(),
        NameFrom::Argv => "the name is given on its command line".into(),
        NameFrom::Fixed(Some(name)) => format!("the name is written in ({name:?})"),
        NameFrom::Fixed(None) => "the name is written in".into(),
    }
}

fn letter_words(l: LetterFrom) -> String {
    match l {
        LetterFrom::Greeting => "its letter comes from the server's greeting".into(),
        LetterFrom::Argv => "its letter is given on its command line".into(),
        LetterFrom::Fixed(c) => format!("it says it is Client {c}"),
        LetterFrom::Unused => "it adds no letter (it sends what it reads)".into(),
    }
}

/// What `c` is written in.
pub(super) fn lang_of(c: &Candidate) -> Lang {
    match c.source.kind {
        SourceKind::Python if c.facts.python2.is_empty() => Lang::Python3,
        SourceKind::Python => Lang::Python2,
        SourceKind::C if c.linked.iter().all(|l| l.kind != SourceKind::Cpp) => Lang::C,
        _ => Lang::Cpp,
    }
}

fn program(c: &Candidate, ctx: &Context, server: bool) -> Program {
    let s = c.source;
    let lang = lang_of(c);
    let placeholders = args(s, server)
        .into_iter()
        .map(|k| k.placeholder().to_string());
    let (build_argv, mut run, how) = match lang {
        Lang::Python3 => (None, vec!["python3".to_string(), s.file_name()], None),
        Lang::Python2 => {
            let python2 = ctx.have.python2.clone().unwrap_or_else(|| "python2".into());
            (None, vec![python2, s.file_name()], None)
        }
        Lang::C | Lang::Cpp | Lang::Other => {
            let mk = makefile(ctx, s);
            let here = ctx.root.join(s.dir());
            let is_dir = |name: &str| here.join(name).is_dir();
            let b = build(
                s,
                &c.linked,
                mk.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
                &is_dir,
            );
            let binary = if b.binary.starts_with('/') || b.binary.starts_with("./") {
                b.binary.clone()
            } else {
                format!("./{}", b.binary)
            };
            (Some(b.argv), vec![binary], Some(b.how))
        }
    };
    run.extend(placeholders);
    Program {
        entry: s.rel.clone(),
        dir: s.dir(),
        sources: std::iter::once(s)
            .chain(c.linked.iter().copied())
            .map(|l| l.rel.clone())
            .collect(),
        lang,
        build: build_argv,
        run,
        why: why(c, lang, how),
        problems: problems(c, lang, ctx),
    }
}

/// The Makefile of `s`'s folder: its name and text.
fn makefile(ctx: &Context, s: &Source) -> Option<(String, String)> {
    ["Makefile", "makefile", "GNUmakefile"]
        .iter()
        .find_map(|name| {
            let rel = s.dir().join(name);
            if !ctx.tree.makefiles.contains(&rel) {
                return None;
            }
            let bytes = std::fs::read(ctx.root.join(&rel)).ok()?;
            Some((
                name.to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        })
}

/// `server.py: binds, listens and accepts (a server) (Python 3); PA3 signs: ...`.
fn why(c: &Candidate, lang: Lang, how: Option<String>) -> String {
    let mut parts = vec![format!(
        "{}: {} ({})",
        c.source.name(),
        does(&c.facts),
        lang.describe()
    )];
    if !c.linked.is_empty() {
        let names: Vec<String> = c.linked.iter().map(|l| l.file_name()).collect();
        parts.push(format!("with {}", names.join(", ")));
    }
    if lang == Lang::Python2 {
        parts.push(format!("Python 2: {}", c.facts.python2.join(", ")));
    }
    if c.facts.stub {
        parts.push("it looks like the textbook's uppercase echo program".into());
    }
    if !c.facts.pa3.is_empty() {
        parts.push(format!("PA3 signs: {}", c.facts.pa3.join(", ")));
    }
    if let Some(v) = &c.version {
        parts.push(format!("{v}, but the best there is"));
    }
    parts.extend(how);
    parts.join("; ")
}

/// What stops `c` from running as handed in.
fn problems(c: &Candidate, lang: Lang, ctx: &Context) -> Vec<Problem> {
    let mut out = Vec::new();
    for s in std::iter::once(c.source).chain(c.linked.iter().copied()) {
        out.extend(file_problems(s, lang, ctx));
    }
    let entry = c.source.rel.clone();
    if lang == Lang::Python2 && ctx.have.python2.is_none() {
        out.push(Problem {
            file: entry.clone(),
            at: None,
            kind: ProblemKind::Python2Unavailable,
            detail: format!(
                "Python 2 ({}), and this machine has no python2: it is not run",
                c.facts.python2.join(", ")
            ),
        });
    }
    if c.facts.windows_only {
        out.push(Problem {
            file: entry,
            at: None,
            kind: ProblemKind::WindowsOnly,
            detail: "written for Windows (winsock2.h, WSAStartup): it does not build on Linux"
                .into(),
        });
    }
    out
}

/// At most this many refused characters are listed per file.
const MAX_REFUSED: usize = 5;

/// The problems of one file of a program in `lang`.
fn file_problems(s: &Source, lang: Lang, ctx: &Context) -> Vec<Problem> {
    let python = s.kind == SourceKind::Python;
    let mut out: Vec<Problem> = encoding_problem(s, lang).into_iter().collect();
    out.extend(merge_conflict(s));
    let refuser = if python {
        "Python refuses the file"
    } else {
        "the compiler refuses it"
    };
    let refused = &s.lexed.refused;
    for (n, r) in refused.iter().take(MAX_REFUSED).enumerate() {
        let more = refused.len() - MAX_REFUSED.min(refused.len());
        let tail = if n + 1 == MAX_REFUSED && more > 0 {
            format!(" ({more} more after it)")
        } else {
            String::new()
        };
        out.push(Problem {
            file: s.rel.clone(),
            at: Some((r.line, r.col)),
            kind: ProblemKind::RefusedCharacter(r.ch),
            detail: format!(
                "{} outside strings and comments: {refuser}{tail}",
                describe_char(r.ch)
            ),
        });
    }
    if python {
        if let Some(said) = ctx.python_says(lang, &s.rel) {
            merge_python_says(&mut out, s, said);
        }
    }
    out
}

/// Python's message joins the problem on its line, or stands alone.
fn merge_python_says(out: &mut Vec<Problem>, s: &Source, said: PythonSays) {
    let words = format!("Python says: {}", said.message);
    let same_line = out
        .iter_mut()
        .find(|p| p.at.is_some_and(|(l, _)| l == said.line) || p.kind == ProblemKind::Encoding);
    match same_line {
        Some(p) => p.detail += &format!(" ({words})"),
        None => out.push(Problem {
            file: s.rel.clone(),
            at: (said.line > 0).then_some((said.line, said.col.max(1))),
            kind: ProblemKind::SyntaxError,
            detail: words,
        }),
    }
}

/// The first merge-conflict marker left in `s` (`<<<<<<< HEAD`).
fn merge_conflict(s: &Source) -> Option<Problem> {
    let line = s
        .text
        .lines()
        .position(|l| re!(r"^(?:<{7}|>{7})(?:\s|$)").is_match(l))?;
    Some(Problem {
        file: s.rel.clone(),
        at: Some((line + 1, 1)),
        kind: ProblemKind::MergeConflict,
        detail:
            "a merge conflict left in (`<<<<<<<`, `=======`, `>>>>>>>`): it does not run or build"
                .into(),
    })
}

/// A Python file Python cannot decode: not UTF-8 for Python 3, not ASCII
/// for Python 2, without a `coding:` line.
fn encoding_problem(s: &Source, lang: Lang) -> Option<Problem> {
    if s.kind != SourceKind::Python || has_coding_line(&s.text) {
        return None;
    }
    let (at, detail) = match lang {
        Lang::Python2 => {
            let at = s.text.lines().enumerate().find_map(|(i, l)| {
                l.chars()
                    .position(|c| !c.is_ascii())
                    .map(|col| (i + 1, col + 1))
            })?;
            (
                at,
                "a character outside ASCII, and no `# coding:` line: Python 2 refuses the file",
            )
        }
        _ => (
            s.not_utf8_at?,
            "bytes that are not UTF-8, and no `# coding:` line: Python 3 refuses the file",
        ),
    };
    Some(Problem {
        file: s.rel.clone(),
        at: Some(at),
        kind: ProblemKind::Encoding,
        detail: detail.into(),
    })
}
