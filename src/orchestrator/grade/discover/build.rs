//! How a C or C++ program is built, as a TA would: `make TARGET` when a
//! Makefile in its folder has a rule that makes it (the binary named by
//! the rule's `-o`), otherwise `g++` (C++) or `gcc` (C) with `-pthread`,
//! the program's file and the files of its folder that it needs (those
//! without `main` whose header it includes), `-lm` for C that includes
//! `math.h`.

use std::collections::HashMap;
use std::path::Path;

use super::scan::{Source, SourceKind};

/// A build, run in the program's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Build {
    pub argv: Vec<String>,
    /// The program it makes, relative to the folder.
    pub binary: String,
    /// For the report: "built with `make server` (...)".
    pub how: String,
}

/// The build of `entry` (with `linked`, the files it needs), given the
/// text of the Makefile of its folder, if there is one; `is_dir` tells
/// whether a name in the folder is taken by a folder.
pub(super) fn build(
    entry: &Source,
    linked: &[&Source],
    makefile: Option<(&str, &str)>,
    is_dir: &dyn Fn(&str) -> bool,
) -> Build {
    if let Some((name, text)) = makefile {
        if let Some((target, binary)) = make_rule(text, entry) {
            return Build {
                argv: vec!["make".into(), target.clone()],
                how: format!("built with `make {target}` (the {name}'s rule that makes {binary})"),
                binary,
            };
        }
    }
    let mut build = compile(entry, linked, is_dir);
    if let Some((name, _)) = makefile {
        build.how += &format!(" (the {name} has no rule that makes it)");
    }
    build
}

/// `g++ -pthread -o server server.cpp util.cpp`.
fn compile(entry: &Source, linked: &[&Source], is_dir: &dyn Fn(&str) -> bool) -> Build {
    let cpp = std::iter::once(entry)
        .chain(linked.iter().copied())
        .any(|s| s.kind == SourceKind::Cpp);
    let compiler = if cpp { "g++" } else { "gcc" };
    let stem = entry.stem();
    let binary = if is_dir(&stem) {
        format!("{stem}.bin")
    } else {
        stem
    };
    let mut argv: Vec<String> = vec![compiler.into(), "-pthread".into(), "-o".into()];
    argv.push(binary.clone());
    argv.push(entry.file_name());
    argv.extend(
        linked
            .iter()
            .filter(|s| s.kind != SourceKind::Header)
            .map(|s| s.file_name()),
    );
    let math = std::iter::once(entry)
        .chain(linked.iter().copied())
        .any(|s| s.text.contains("<math.h>"));
    if !cpp && math {
        argv.push("-lm".into());
    }
    Build {
        how: format!("built with `{}`", argv.join(" ")),
        argv,
        binary,
    }
}

/// One rule of a Makefile.
#[derive(Debug, Default)]
struct Rule {
    targets: Vec<String>,
    deps: Vec<String>,
    recipe: Vec<String>,
}

/// The target that makes `entry`'s program, and the program's path.
fn make_rule(text: &str, entry: &Source) -> Option<(String, String)> {
    let (vars, rules) = parse_makefile(text);
    let file = entry.file_name();
    let stem = entry.stem();
    let object = format!("{stem}.o");
    for rule in rules.iter().filter(|r| real_target(&r.targets[0])) {
        let auto = Auto::of(rule);
        let mentions = |s: &str| s.split_whitespace().any(|w| w == file || w == object);
        let deps_mention = rule
            .deps
            .iter()
            .any(|d| mentions(&expand(d, &vars, &auto, 0)));
        for line in &rule.recipe {
            let line = expand(line, &vars, &auto, 0);
            let Some(out) = output_of(&line) else {
                continue;
            };
            let named_like = Path::new(&out).file_stem().is_some_and(|s| s == &*stem);
            if !out.ends_with(".o") && (mentions(&line) || deps_mention || named_like) {
                return Some((rule.targets[0].clone(), out));
            }
        }
        // No recipe: make's built-in rule makes `server` from `server.cpp`.
        if rule.recipe.is_empty() && rule.targets.contains(&stem) {
            return Some((stem.clone(), stem));
        }
    }
    None
}

fn real_target(t: &str) -> bool {
    !t.starts_with('.') && !matches!(t, "clean" | "install" | "run" | "test" | "distclean")
}

/// The word after `-o` in a command.
fn output_of(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == "-o" {
            return words.next().map(str::to_string);
        }
        if let Some(rest) = w.strip_prefix("-o").filter(|r| !r.is_empty()) {
            return Some(rest.to_string());
        }
    }
    None
}

/// Variables and rules, recipe lines joined where they continue.
fn parse_makefile(text: &str) -> (HashMap<String, String>, Vec<Rule>) {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut vars = HashMap::new();
    let mut rules: Vec<Rule> = Vec::new();
    for raw in joined.lines() {
        let line = raw.trim_end_matches('\r');
        if let Some(cmd) = line.strip_prefix('\t') {
            if let Some(rule) = rules.last_mut() {
                rule.recipe
                    .push(cmd.trim_start_matches(['@', '-', '+']).to_string());
            }
            continue;
        }
        let line = line.split('#').next().unwrap_or("");
        if let Some(c) =
            re!(r"^\s*([A-Za-z_][\w.]*)\s*(?::{1,2}=|\+=|\?=|=)\s*(.*)$").captures(line)
        {
            vars.insert(c[1].to_string(), c[2].trim().to_string());
        } else if let Some((targets, deps)) = line.split_once(':') {
            let targets: Vec<String> = targets.split_whitespace().map(str::to_string).collect();
            if !targets.is_empty() {
                rules.push(Rule {
                    targets,
                    deps: deps.split_whitespace().map(str::to_string).collect(),
                    recipe: Vec::new(),
                });
            }
        }
    }
    // Targets and prerequisites are expanded as make reads them.
    let none = Auto::default();
    for rule in &mut rules {
        for word in rule.targets.iter_mut().chain(rule.deps.iter_mut()) {
            *word = expand(word, &vars, &none, 0);
        }
    }
    (vars, rules)
}

/// `$@`, `$<` and `$^` of a rule.
#[derive(Default)]
struct Auto {
    target: String,
    first: String,
    all: String,
}

impl Auto {
    fn of(rule: &Rule) -> Auto {
        Auto {
            target: rule.targets[0].clone(),
            first: rule.deps.first().cloned().unwrap_or_default(),
            all: rule.deps.join(" "),
        }
    }
}

/// `text` with its variables put in (a few levels deep).
fn expand(text: &str, vars: &HashMap<String, String>, auto: &Auto, depth: usize) -> String {
    let replaced =
        re!(r"\$(?:\(([^)]*)\)|\{([^}]*)\}|([@<^]))").replace_all(text, |c: &regex::Captures| {
            if let Some(a) = c.get(3) {
                return match a.as_str() {
                    "@" => auto.target.clone(),
                    "<" => auto.first.clone(),
                    _ => auto.all.clone(),
                };
            }
            let name = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
            vars.get(name).cloned().unwrap_or_default()
        });
    if depth < 4 && replaced.contains('$') && replaced != text {
        expand(&replaced, vars, auto, depth + 1)
    } else {
        replaced.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::discover::lex::lex;
    use std::path::PathBuf;

    fn source(name: &str, text: &str) -> Source {
        let kind = if name.ends_with(".c") {
            SourceKind::C
        } else if name.ends_with(".h") {
            SourceKind::Header
        } else {
            SourceKind::Cpp
        };
        Source {
            rel: PathBuf::from(name),
            kind,
            text: text.into(),
            not_utf8_at: None,
            lexed: lex(text, kind.syntax()),
        }
    }

    const NO_DIRS: &dyn Fn(&str) -> bool = &|_| false;

    #[test]
    fn a_makefile_rule_names_the_binary() {
        let mk = "CXX = g++\nCXXFLAGS = -Wall -pthread\nBIN = pa3_server\n\nall: $(BIN) client\n\n$(BIN): server.o\n\t$(CXX) $(CXXFLAGS) -o $@ server.cpp\n\nclient: client.cpp\n\t$(CXX) -o client client.cpp\n\nclean:\n\trm -f *.o $(BIN) client\n";
        let server = source("server.cpp", "int main() {}\n");
        let b = build(&server, &[], Some(("Makefile", mk)), NO_DIRS);
        assert_eq!(b.argv, ["make", "pa3_server"]);
        assert_eq!(b.binary, "pa3_server");
        let client = source("client.cpp", "int main() {}\n");
        let b = build(&client, &[], Some(("Makefile", mk)), NO_DIRS);
        assert_eq!(
            (b.argv, b.binary),
            (vec!["make".to_string(), "client".into()], "client".into())
        );
    }

    #[test]
    fn without_a_rule_it_is_compiled_directly_with_what_it_needs() {
        let entry = source(
            "server.c",
            "#include <math.h>\n#include \"util.h\"\nint main() {}\n",
        );
        let util = source("util.c", "int f() { return 1; }\n");
        let header = source("util.h", "int f();\n");
        let b = build(
            &entry,
            &[&util, &header],
            Some(("Makefile", "clean:\n\trm -f x\n")),
            &|n| n == "server",
        );
        assert_eq!(
            b.argv,
            [
                "gcc",
                "-pthread",
                "-o",
                "server.bin",
                "server.c",
                "util.c",
                "-lm"
            ]
        );
        assert!(b.how.contains("the Makefile has no rule"), "{}", b.how);
        let cpp = source("client.cpp", "int main() {}\n");
        assert_eq!(
            build(&cpp, &[], None, NO_DIRS).argv,
            ["g++", "-pthread", "-o", "client", "client.cpp"]
        );
    }
}
