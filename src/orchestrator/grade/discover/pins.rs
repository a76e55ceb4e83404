//! What `grading.yaml` pins: a role's file or command replaces discovery
//! for that role. A pinned file is taken as that role's program whatever
//! it does (built and run as discovered); a pinned command is run as
//! written, in the submission folder, and the file it names (or the
//! pinned file) still tells the language, the problems and, for a client,
//! how it gets its name and letter — unless the command says it with
//! `{name}` or `{letter}`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::choose::{missing, Candidate, Found};
use super::facts::facts;
use super::program::{self, Context};
use super::{Client, Clients, Lang, LetterFrom, Missing, NameFrom, Program};

/// The pins of a class or a student (none by default: all is discovered).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pins {
    /// The server's file, relative to the submission folder.
    pub server_file: Option<PathBuf>,
    /// The client's file; two: X's, then Y's.
    pub client_files: Vec<PathBuf>,
    /// The server's command, run in the submission folder.
    pub server_cmd: Option<Vec<String>>,
    /// The client's command; two: X's, then Y's.
    pub client_cmds: Vec<Vec<String>>,
}

const PINNED: &str = "pinned in grading.yaml";

impl Pins {
    /// The pinned server, if the server is pinned.
    pub(super) fn server(&self, ctx: &Context, found: &Found) -> Option<Result<Program, Missing>> {
        if self.server_file.is_none() && self.server_cmd.is_none() {
            return None;
        }
        let file = self.server_file.as_deref();
        let cand = match pinned_candidate(ctx, found, file, self.server_cmd.as_deref(), "server") {
            Ok(c) => c,
            Err(m) => return Some(Err(m)),
        };
        let base = cand.as_ref().map(|c| program::server(c, ctx));
        Some(Ok(pinned_program(base, self.server_cmd.as_deref(), file)))
    }

    /// The pinned client(s), if the clients are pinned.
    pub(super) fn clients(&self, ctx: &Context, found: &Found) -> Option<Result<Clients, Missing>> {
        let n = self.client_files.len().max(self.client_cmds.len()).min(2);
        let mut clients = Vec::new();
        for i in 0..n {
            let letter = (n == 2).then_some(if i == 0 { 'X' } else { 'Y' });
            match self.client(ctx, found, i, letter) {
                Ok(c) => clients.push(c),
                Err(m) => return Some(Err(m)),
            }
        }
        let y = clients.pop()?;
        Some(Ok(match clients.pop() {
            Some(x) => Clients::Two { x, y },
            None => Clients::One(y),
        }))
    }

    fn client(
        &self,
        ctx: &Context,
        found: &Found,
        i: usize,
        letter: Option<char>,
    ) -> Result<Client, Missing> {
        let file = self.client_files.get(i).map(PathBuf::as_path);
        let cmd = self.client_cmds.get(i).map(Vec::as_slice);
        let cand = pinned_candidate(ctx, found, file, cmd, "client")?;
        let base = cand.as_ref().map(|c| program::client(c, ctx, letter));
        let says = |p: &str| cmd.is_some_and(|c| c.iter().any(|w| w.contains(p)));
        let name_from = match &base {
            _ if says("{name}") => NameFrom::Argv,
            Some(b) => b.name_from.clone(),
            None => NameFrom::Stdin,
        };
        let letter_from = match &base {
            _ if says("{letter}") => LetterFrom::Argv,
            Some(b) => b.letter_from,
            None => LetterFrom::Unused,
        };
        let reads_stdin =
            name_from == NameFrom::Stdin || base.as_ref().is_some_and(|b| b.reads_stdin);
        let program = pinned_program(base.map(|b| b.program), cmd, file);
        let mut client = Client {
            program,
            name_from,
            letter_from,
            reads_stdin,
        };
        program::tell_inputs(&mut client);
        Ok(client)
    }
}

/// The candidate for a pinned role: the pinned file, else the file its
/// command names (`python3 srv.py`, `./server` built from `server.cpp`).
/// None: the command names no file of the folder (`java Server`).
fn pinned_candidate<'a>(
    ctx: &Context<'a>,
    found: &Found<'a>,
    file: Option<&Path>,
    cmd: Option<&[String]>,
    role: &str,
) -> Result<Option<Candidate<'a>>, Missing> {
    let sources = &ctx.tree.sources;
    let named = |p: &Path| sources.iter().find(|s| s.rel == p);
    let source = match (file, cmd) {
        (Some(f), _) => Some(named(f).ok_or_else(|| {
            missing(
                found,
                &format!("{} (the {role} file {PINNED})", f.display()),
            )
        })?),
        (None, Some(cmd)) => cmd.iter().find_map(|w| named(Path::new(w))).or_else(|| {
            let binary = cmd.first()?.strip_prefix("./")?;
            sources
                .iter()
                .find(|s| s.stem() == binary && s.dir().as_os_str().is_empty())
        }),
        (None, None) => None,
    };
    Ok(source.map(|s| {
        found
            .programs
            .iter()
            .find(|c| std::ptr::eq(c.source, s))
            .cloned()
            .unwrap_or_else(|| Candidate {
                source: s,
                facts: facts(s),
                linked: Vec::new(),
                version: None,
            })
    }))
}

/// `base` (the program of the pinned file) run by the pinned command.
fn pinned_program(base: Option<Program>, cmd: Option<&[String]>, file: Option<&Path>) -> Program {
    let shown = cmd.map(shell_words::join).unwrap_or_default();
    match (base, cmd) {
        (Some(mut p), None) => {
            p.why = format!("{PINNED}; {}", p.why);
            p
        }
        (Some(mut p), Some(cmd)) => {
            // The command runs in the submission folder: a build made in
            // a subfolder would not be where it looks.
            if !p.dir.as_os_str().is_empty() {
                p.build = None;
            }
            p.dir = PathBuf::new();
            p.run = cmd.to_vec();
            p.why = format!("{PINNED}: `{shown}`; {}", p.why);
            p
        }
        (None, cmd) => {
            let run = cmd.unwrap_or_default().to_vec();
            Program {
                entry: file
                    .map(Path::to_path_buf)
                    .or_else(|| run.first().map(PathBuf::from))
                    .unwrap_or_default(),
                dir: PathBuf::new(),
                sources: Vec::new(),
                lang: lang_of_command(run.first().map_or("", String::as_str)),
                build: None,
                run,
                why: format!("{PINNED}: `{shown}`"),
                problems: Vec::new(),
            }
        }
    }
}

fn lang_of_command(word: &str) -> Lang {
    if word.contains("python2") {
        Lang::Python2
    } else if word.contains("python") {
        Lang::Python3
    } else {
        Lang::Other
    }
}
