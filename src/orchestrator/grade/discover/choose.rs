//! The candidates for each role and the choice among them: programs (a C
//! or C++ file with `main`, a Python file no other one imports) with what
//! they and their modules do, ranked as a TA would rank them.

use std::cmp::Ordering;
use std::ffi::OsStr;

use super::args::words;
use super::facts::{facts, pa3_score, Facts};
use super::program::{self, Context};
use super::scan::{Source, SourceKind, Tree};
use super::{Clients, Ignored, Missing, Program};

/// A program that may play a role.
#[derive(Clone, Debug)]
pub(super) struct Candidate<'a> {
    pub source: &'a Source,
    /// Its own facts and those of its modules or linked files.
    pub facts: Facts,
    /// Modules it imports (Python), files compiled with it (C, C++).
    pub linked: Vec<&'a Source>,
    /// Why it looks like an earlier or side version: `under old/`.
    pub version: Option<String>,
}

/// The candidates of a folder.
#[derive(Debug, Default)]
pub(super) struct Found<'a> {
    pub servers: Vec<Candidate<'a>>,
    pub clients: Vec<Candidate<'a>>,
    /// Every program, whatever it does (pins may name any).
    pub programs: Vec<Candidate<'a>>,
    /// Files that are no program of this assignment.
    pub ignored: Vec<Ignored>,
    /// `client.py: connects (a client)`, for saying what was found.
    pub seen: Vec<String>,
}

/// The programs of `tree`, sorted into roles.
pub(super) fn candidates(tree: &Tree) -> Found<'_> {
    let own: Vec<Facts> = tree.sources.iter().map(facts).collect();
    let mut found = Found::default();
    for (i, source) in tree.sources.iter().enumerate() {
        if source.kind == SourceKind::Header {
            continue;
        }
        if let Some(why) = not_a_program(tree, &own, i) {
            found.ignored.push(Ignored {
                file: source.rel.clone(),
                why,
            });
            continue;
        }
        let linked = linked(tree, &own, i);
        let mut f = own[i].clone();
        for l in &linked {
            let j = tree.sources.iter().position(|s| std::ptr::eq(s, *l));
            f.absorb(&own[j.unwrap_or(i)]);
        }
        let c = Candidate {
            source,
            facts: f,
            linked,
            version: version_sign(source),
        };
        found
            .seen
            .push(format!("{}: {}", source.name(), does(&c.facts)));
        if c.facts.serves() {
            found.servers.push(c.clone());
        } else if c.facts.is_client() {
            found.clients.push(c.clone());
        } else {
            found.ignored.push(Ignored {
                file: source.rel.clone(),
                why: format!("{}: neither a server nor a client", does(&c.facts)),
            });
        }
        found.programs.push(c);
    }
    found
}

/// Why source `i` is no program: a module another file imports, C or C++
/// without `main`.
fn not_a_program(tree: &Tree, own: &[Facts], i: usize) -> Option<String> {
    let s = &tree.sources[i];
    if s.kind == SourceKind::Python {
        let main_guard = re!(r#"__name__\s*==\s*['"]__main__['"]"#).is_match(&s.lexed.code);
        let importer = tree.sources.iter().enumerate().find(|(j, t)| {
            *j != i
                && t.kind == SourceKind::Python
                && t.dir() == s.dir()
                && own[*j].imports.contains(&s.stem())
        });
        return match importer {
            Some((_, t)) if !main_guard => {
                Some(format!("a module {} imports, not a program", t.file_name()))
            }
            _ => None,
        };
    }
    if own[i].has_main {
        return None;
    }
    let user = tree.sources.iter().find(|t| {
        t.dir() == s.dir()
            && linked(tree, own, index_of(tree, t))
                .iter()
                .any(|l| std::ptr::eq(*l, s))
    });
    Some(match user {
        Some(t) => format!("no main(): compiled with {}", t.file_name()),
        None => "no main(), and no program includes its header".to_string(),
    })
}

fn index_of(tree: &Tree, s: &Source) -> usize {
    tree.sources
        .iter()
        .position(|t| std::ptr::eq(t, s))
        .unwrap_or(0)
}

/// What program `i` needs from its folder: the Python modules it imports;
/// for C and C++ (with `main`), the headers it includes and the files
/// without `main` that define them, followed from file to file.
fn linked<'a>(tree: &'a Tree, own: &[Facts], i: usize) -> Vec<&'a Source> {
    let entry = &tree.sources[i];
    let python = entry.kind == SourceKind::Python;
    if !python && !own[i].has_main {
        return Vec::new();
    }
    let mut out: Vec<&Source> = Vec::new();
    let mut todo = vec![i];
    while let Some(k) = todo.pop() {
        for (j, t) in tree.sources.iter().enumerate() {
            let wanted = j != i
                && t.dir() == entry.dir()
                && !out.iter().any(|o| std::ptr::eq(*o, t))
                && needs(&tree.sources[k], &own[k], t, &own[j], python);
            if wanted {
                out.push(t);
                todo.push(j);
            }
        }
    }
    out
}

/// Whether `user` needs `t`: imports it, includes it, or includes the
/// header of the same name.
fn needs(user: &Source, uf: &Facts, t: &Source, tf: &Facts, python: bool) -> bool {
    if python {
        return t.kind == SourceKind::Python && uf.imports.contains(&t.stem());
    }
    let included = |name: &str| {
        uf.imports.iter().any(|inc| {
            let inc = std::path::Path::new(inc);
            match t.kind {
                SourceKind::Header => inc.file_name().is_some_and(|f| f == name),
                _ => inc.file_stem().is_some_and(|f| f == &*t.stem()) && !tf.has_main,
            }
        })
    };
    user.kind != SourceKind::Python && t.kind != SourceKind::Python && included(&t.file_name())
}

/// `binds, listens and accepts (a server)`.
pub(super) fn does(f: &Facts) -> String {
    let calls: Vec<&str> = [
        (f.binds, "binds"),
        (f.listens, "listens"),
        (f.accepts, "accepts"),
        (f.connects, "connects"),
    ]
    .iter()
    .filter(|c| c.0)
    .map(|c| c.1)
    .collect();
    let what = match calls.len() {
        0 => return "makes no socket calls".to_string(),
        1 => calls[0].to_string(),
        n => format!("{} and {}", calls[..n - 1].join(", "), calls[n - 1]),
    };
    let role = if f.serves() {
        " (a server)"
    } else if f.is_client() {
        " (a client)"
    } else {
        ""
    };
    format!("{what}{role}")
}

/// Words of folder and file names that mark earlier or side work (and
/// extra credit: `EC/`, `server_ec.py`).
const VERSION_WORDS: [&str; 40] = [
    "old",
    "older",
    "archive",
    "archived",
    "backup",
    "backups",
    "bak",
    "copy",
    "test",
    "tests",
    "testing",
    "prototype",
    "prototypes",
    "draft",
    "drafts",
    "scratch",
    "tmp",
    "temp",
    "ec",
    "extra",
    "bonus",
    "unused",
    "deprecated",
    "previous",
    "prev",
    "practice",
    "example",
    "examples",
    "orig",
    "alternate",
    "alternative",
    "alt",
    "unfinished",
    "wip",
    "attempt",
    "attempts",
    "experiment",
    "experiments",
    "junk",
    "trash",
];

/// Whether a folder's name marks earlier or side work.
pub(super) fn version_folder(name: &OsStr) -> bool {
    words(&name.to_string_lossy())
        .iter()
        .any(|w| VERSION_WORDS.contains(&w.as_str()))
}

/// Why `s` looks like an earlier or side version, if it does.
fn version_sign(s: &Source) -> Option<String> {
    let parent = s.rel.parent().into_iter().flat_map(|p| p.components());
    if let Some(folder) = parent.map(|c| c.as_os_str()).find(|c| version_folder(c)) {
        return Some(format!("under {}/", folder.to_string_lossy()));
    }
    let stem = s.stem();
    if let Some(w) = words(&stem)
        .into_iter()
        .find(|w| VERSION_WORDS.contains(&w.as_str()))
    {
        return Some(format!("named like a side copy (`{w}`)"));
    }
    re!(r"\(\d+\)$")
        .is_match(stem.trim())
        .then(|| "named like a downloaded copy".to_string())
}

/// Whether a folder or the name of `c` says it is the work handed in
/// (`PA3Submission/`, `final/`, `server_final.py`).
fn handed_in(c: &Candidate) -> bool {
    let marks = [
        "final",
        "submission",
        "submit",
        "submitted",
        "turnin",
        "handin",
    ];
    c.source
        .rel
        .iter()
        .flat_map(|part| words(&part.to_string_lossy()))
        .any(|w| marks.contains(&w.as_str()))
}

/// What a ranking knows: the role, and the server's file name (a client
/// named like it — `PA3Server.py` and `PA3Client.py` — is its partner).
pub(super) struct Rank<'s> {
    pub role: &'static str,
    pub server_stem: Option<&'s str>,
}

impl Rank<'_> {
    /// Whether `c` is named like the server, `server` made `client`.
    fn partner(&self, c: &Candidate) -> bool {
        let Some(server) = self.server_stem.map(str::to_lowercase) else {
            return false;
        };
        let own = c.source.stem().to_lowercase();
        server.contains("server")
            && strsim::normalized_levenshtein(&server.replace("server", "client"), &own) >= 0.8
    }
}

/// What decides between two candidates, most important first; each with
/// what it says of the winner.
type Criterion = (fn(&Candidate, &Rank) -> i64, &'static str);

const CRITERIA: [Criterion; 7] = [
    (
        |c, _| i64::from(c.version.is_none()),
        "it is not an earlier or side version",
    ),
    (
        |c, _| i64::from(!c.facts.stub),
        "it is not the textbook's uppercase echo program",
    ),
    (
        |c, _| i64::from(handed_in(c)),
        "its folder or name says it is the one handed in",
    ),
    (
        |c, r| i64::from(r.partner(c)),
        "its name matches the server's",
    ),
    (
        |c, r| i64::from(pa3_score(&c.facts, r.role == "server")),
        "it has more of PA3 in it",
    ),
    (
        |c, r| i64::from(c.source.stem().to_lowercase().contains(r.role)),
        "its name says what it is",
    ),
    (
        |c, _| -(c.source.rel.components().count() as i64),
        "it is nearer the top of the folder",
    ),
];

/// Which of `a`, `b` ranks higher, and what decided it.
fn compare(a: &Candidate, b: &Candidate, rank: &Rank) -> (Ordering, &'static str) {
    for (key, why) in CRITERIA {
        let o = key(a, rank).cmp(&key(b, rank));
        if o != Ordering::Equal {
            return (o, why);
        }
    }
    (b.source.rel.cmp(&a.source.rel), "its name comes first")
}

/// The best of `cands` first.
fn ranked<'c, 'a>(cands: &'c [Candidate<'a>], rank: &Rank) -> Vec<&'c Candidate<'a>> {
    let mut v: Vec<&Candidate> = cands.iter().collect();
    v.sort_by(|a, b| compare(b, a, rank).0);
    v
}

/// Why `loser` was passed over for `winner`.
fn passed_over(loser: &Candidate, winner: &Candidate, rank: &Rank) -> Ignored {
    let role = rank.role;
    let why = if let Some(v) = &loser.version {
        format!(
            "an earlier or side version ({v}); {} is used",
            winner.source.name()
        )
    } else if loser.facts.stub {
        format!(
            "the textbook's uppercase echo {role}, nothing of PA3; {} is used",
            winner.source.name()
        )
    } else {
        let (_, reason) = compare(winner, loser, rank);
        format!("also a {role}; {} is used: {reason}", winner.source.name())
    };
    Ignored {
        file: loser.source.rel.clone(),
        why,
    }
}

/// The server, and the other servers passed over.
pub(super) fn server(found: &Found, ctx: &Context) -> (Result<Program, Missing>, Vec<Ignored>) {
    let rank = Rank {
        role: "server",
        server_stem: None,
    };
    let order = ranked(&found.servers, &rank);
    let Some(best) = order.first() else {
        return (
            Err(missing(
                found,
                "server (a program that binds, listens and accepts)",
            )),
            Vec::new(),
        );
    };
    let ignored = order[1..]
        .iter()
        .map(|c| passed_over(c, best, &rank))
        .collect();
    (Ok(program::server(best, ctx)), ignored)
}

pub(super) fn missing(found: &Found, looked_for: &str) -> Missing {
    Missing {
        looked_for: looked_for.to_string(),
        found: found.seen.clone(),
    }
}

/// Which client `c` says it is: what its code writes in, else its name.
pub(super) fn letter_of(c: &Candidate) -> Option<(char, &'static str)> {
    if let Some(l) = c.facts.fixed_letter {
        return Some((l, "it says so"));
    }
    let stem = c.source.stem().to_lowercase();
    let m = re!(r"(?:^|[^a-z0-9])([xyab12])[_\- ]?client|client[_\- ]?([xyab12])(?:[^a-z0-9]|$)")
        .captures(&stem)?;
    let l = m.get(1).or(m.get(2))?.as_str();
    Some((
        if matches!(l, "x" | "a" | "1") {
            'X'
        } else {
            'Y'
        },
        "its name says so",
    ))
}

/// The client program(s), and the other clients passed over; a client
/// named like the server (`server_stem`) is preferred.
pub(super) fn clients(
    found: &Found,
    ctx: &Context,
    server_stem: Option<&str>,
) -> (Result<Clients, Missing>, Vec<Ignored>) {
    let rank = Rank {
        role: "client",
        server_stem,
    };
    let order = ranked(&found.clients, &rank);
    let Some(best) = order.first().copied() else {
        let looked_for = "client (a program that connects and does not accept)";
        return (Err(missing(found, looked_for)), Vec::new());
    };
    let eligible = |c: &&&Candidate| c.version.is_none() && !c.facts.stub;
    let other_half = letter_of(best).and_then(|(l, _)| {
        let other = if l == 'X' { 'Y' } else { 'X' };
        order[1..]
            .iter()
            .filter(eligible)
            .find(|c| letter_of(c).map(|m| m.0) == Some(other))
            .copied()
    });
    let chosen: Vec<&Candidate> = std::iter::once(best).chain(other_half).collect();
    let ignored = order
        .iter()
        .filter(|c| !chosen.iter().any(|k| std::ptr::eq(*k, **c)))
        .map(|c| passed_over(c, best, &rank))
        .collect();
    let client = |c: &Candidate, two: Option<char>| {
        let mut client = program::client(c, ctx, two);
        program::tell_inputs(&mut client);
        client
    };
    let clients = match other_half {
        None => Clients::One(client(best, None)),
        Some(p) => {
            let (x, y) = if letter_of(best).map(|m| m.0) == Some('X') {
                (best, p)
            } else {
                (p, best)
            };
            Clients::Two {
                x: client(x, Some('X')),
                y: client(y, Some('Y')),
            }
        }
    };
    (Ok(clients), ignored)
}
