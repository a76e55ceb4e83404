//! The crate's layers, held by a test: which module may import which.
//!
//! The table [`LAYERS`] says it in one place: the assignment's programs at
//! the bottom, the OS door, the pure data (scenario, run record), the pure
//! views of it (checks, reports), the runner and networks, the sandbox,
//! batches and grading, the command line on top. The test
//! `the_crate_keeps_its_layers` (run by `cargo test --lib`, so by CI)
//! reads every `mod`, `use` and path of `src/` with `syn` — following the
//! `mod` declarations from `lib.rs` and the binaries as the compiler does,
//! `#[path]`, inline modules, `super::`/`self::` and paths inside macro
//! calls resolved — and fails, naming file:line, on an arrow the table does
//! not allow, on a module in no layer, and on an import cycle between two
//! top-level modules (within a layer too). A re-export cannot launder an
//! arrow: the `pub use` is an import of its own module, judged like any.
//!
//! **Why a test in one crate, not a workspace of layer crates.** A
//! workspace would have the compiler refuse the arrow, as ripgrep and
//! nextest do; but the repository's top level is fixed (`Cargo.toml
//! README.md src experiments topo tests results`: seven crates would add
//! folders or nest manifests under `src/`), `sudo cargo run --bin
//! orchestrate experiments/case2.yaml` must keep working from the root,
//! and every path `crate::orchestrator::…` of the code, the tests and the
//! other branches in flight would change at once. The test gives the same
//! guarantee one `cargo test` later, with the rule written as data instead
//! of spread over seven manifests. What it cannot see: a `#[macro_export]`
//! macro called by its bare name (`outln!`; the paths inside it are judged
//! where it is defined). It reads what `cfg` leaves out too (test modules
//! included), which is stricter, not looser.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// A layer: its modules (paths under the library's root; a binary is
/// `bin::<name>`) and the layers it may import from. An entry names the
/// module and everything below it, except a root of [`ROOTS`], which
/// names itself alone. A module imports its own layer freely, cycles
/// between top-level modules aside.
pub struct Layer {
    pub name: &'static str,
    pub modules: &'static [&'static str],
    pub may_use: &'static [&'static str],
}

/// Modules that only declare others (`lib.rs`, `orchestrator/mod.rs`):
/// in a layer of their own, they do not lend it to their children.
pub const ROOTS: &[&str] = &["", "orchestrator"];

/// The layers, lowest first. Why each arrow is missing:
///
/// - `programs`, the assignment's server and clients (and their
///   binaries), are what students hand in the like of: they use nothing of
///   the orchestrator, so they read as the seed asks.
/// - `os`, the door to the kernel (processes, namespaces, PATH), knows
///   nothing of scenarios.
/// - `data`, the scenario and the run record, is pure: it asks the
///   machine nothing, so a record reads back anywhere.
/// - `views`, the checks and the reports, are pure functions of the data:
///   a verdict or a report never depends on how the run was made (the
///   limits it quotes travel in the record).
/// - `run` makes networks and runs programs; `sandbox` isolates a
///   student's copy; `batches` (batch, grade) put them together;
///   `front` is the command line.
pub const LAYERS: &[Layer] = &[
    Layer {
        name: "programs",
        modules: &["pa3", "bin::server", "bin::client"],
        may_use: &[],
    },
    Layer {
        name: "os",
        modules: &["orchestrator::sys"],
        may_use: &[],
    },
    Layer {
        name: "data",
        modules: &[
            "orchestrator::event",
            "orchestrator::record",
            "orchestrator::scenario",
            "orchestrator::link",
            "orchestrator::topology",
        ],
        may_use: &["programs"],
    },
    Layer {
        name: "views",
        modules: &["orchestrator::check", "orchestrator::report"],
        may_use: &["data", "programs"],
    },
    Layer {
        name: "run",
        modules: &[
            "orchestrator::net",
            "orchestrator::runner",
            "orchestrator::state",
            "orchestrator::results",
            "orchestrator::capture",
            "orchestrator::console",
        ],
        may_use: &["os", "data", "views", "programs"],
    },
    Layer {
        name: "sandbox",
        modules: &["orchestrator::sandbox"],
        may_use: &["os", "data"],
    },
    Layer {
        name: "batches",
        // The benchmark is a crate of its own (scripts/pa3-bench), above
        // the library.
        modules: &["orchestrator::batch", "orchestrator::grade"],
        may_use: &["run", "sandbox", "os", "data", "views", "programs"],
    },
    Layer {
        name: "front",
        // The test-only modules (property tests, this one) sit on top too.
        modules: &[
            "orchestrator::app",
            "bin::orchestrate",
            "orchestrator",
            "",
            "orchestrator::proptests",
            "layers",
        ],
        may_use: &[
            "batches", "run", "sandbox", "os", "data", "views", "programs",
        ],
    },
];

/// A module's path under the library's root (`["orchestrator", "check"]`);
/// `["bin", "server"]` for a binary.
type ModPath = Vec<String>;

/// One arrow: where it is written and the module it reaches.
#[derive(Clone, Debug)]
pub struct Import {
    pub file: PathBuf,
    pub line: usize,
    pub from: ModPath,
    pub to: ModPath,
}

impl fmt::Display for Import {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} uses {}",
            self.file.display(),
            self.line,
            shown(&self.from),
            shown(&self.to)
        )
    }
}

fn shown(path: &[String]) -> String {
    if path.is_empty() {
        "the crate root".to_string()
    } else {
        path.join("::")
    }
}

/// The layer a module belongs to: the one naming its longest prefix.
pub fn layer_of(path: &[String]) -> Option<&'static Layer> {
    let mut best: Option<(&'static Layer, usize)> = None;
    for layer in LAYERS {
        for module in layer.modules {
            let prefix: Vec<&str> = if module.is_empty() {
                Vec::new()
            } else {
                module.split("::").collect()
            };
            let matches = if ROOTS.contains(module) {
                path.len() == prefix.len()
            } else {
                path.len() >= prefix.len()
            } && path.iter().zip(&prefix).all(|(a, b)| a == b);
            if matches && best.is_none_or(|(_, n)| prefix.len() > n) {
                best = Some((layer, prefix.len()));
            }
        }
    }
    best.map(|(layer, _)| layer)
}

/// The top-level module a path is in: `orchestrator::X`, `pa3`, a binary
/// `bin::X`, the crate root.
pub fn top_of(path: &[String]) -> String {
    match path {
        [first, second, ..] if first == "orchestrator" || first == "bin" => {
            format!("{first}::{second}")
        }
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

/// Every import of every module reachable from the crate roots under
/// `src`, and every `.rs` file under it that no `mod` reaches.
pub fn read_crate(src: &Path) -> Result<(Vec<Import>, Vec<PathBuf>), String> {
    let mut reader = Reader::default();
    reader.module_file(&src.join("lib.rs"), src, Vec::new())?;
    let bins = std::fs::read_dir(src.join("bin"))
        .map_err(|e| format!("{}: {e}", src.join("bin").display()))?;
    for entry in bins {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            let module = vec!["bin".to_string(), stem.into_owned()];
            reader.module_file(&path, &src.join("bin"), module)?;
        }
    }
    let unreached = rs_files(src)
        .into_iter()
        .filter(|f| !reader.seen.contains(f))
        .collect();
    Ok((reader.imports, unreached))
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rs_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

#[derive(Default)]
struct Reader {
    imports: Vec<Import>,
    seen: BTreeSet<PathBuf>,
}

impl Reader {
    /// Reads one module file: `dir` is where its `mod x;` files are
    /// (its own folder for `mod.rs`/`lib.rs`, `foo/` for `foo.rs`).
    fn module_file(&mut self, file: &Path, dir: &Path, module: ModPath) -> Result<(), String> {
        self.seen.insert(file.to_path_buf());
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let ast = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let bin = module.first().is_some_and(|m| m == "bin");
        let mut walker = Walker {
            file: file.to_path_buf(),
            stack: vec![Scope::of(module, &ast.items)],
            imports: Vec::new(),
            children: Vec::new(),
            dir: dir.to_path_buf(),
            bin,
        };
        walker.visit_file(&ast);
        self.imports.append(&mut walker.imports);
        for child in walker.children {
            let file = child.file.ok_or_else(|| {
                format!(
                    "{}: no file for mod {}",
                    file.display(),
                    shown(&child.module)
                )
            })?;
            self.module_file(&file, &child.dir, child.module)?;
        }
        Ok(())
    }
}

/// A module being read: its path and the names of its child modules (a
/// path starting with one of them is relative to it).
struct Scope {
    module: ModPath,
    children: BTreeSet<String>,
}

impl Scope {
    fn of(module: ModPath, items: &[syn::Item]) -> Scope {
        let children = items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) => Some(m.ident.to_string()),
                _ => None,
            })
            .collect();
        Scope { module, children }
    }
}

/// A `mod x;` to read next.
struct Child {
    module: ModPath,
    file: Option<PathBuf>,
    dir: PathBuf,
}

struct Walker {
    file: PathBuf,
    stack: Vec<Scope>,
    imports: Vec<Import>,
    children: Vec<Child>,
    /// Where this file's `mod x;` files are, inline modules included.
    dir: PathBuf,
    /// A binary: `pa3_mininet::` is the library's root.
    bin: bool,
}

impl Walker {
    fn scope(&self) -> &Scope {
        self.stack.last().expect("a scope")
    }

    /// `segments` as written at `line`: recorded if it names a module of
    /// this crate.
    fn path(&mut self, segments: Vec<String>, line: usize) {
        if let Some(to) = self.resolve(segments) {
            let from = self.scope().module.clone();
            self.imports.push(Import {
                file: self.file.clone(),
                line,
                from,
                to,
            });
        }
    }

    fn resolve(&self, segments: Vec<String>) -> Option<ModPath> {
        let first = segments.first()?.as_str();
        if self.bin {
            // In a binary, only `pa3_mininet::` reaches the library; any
            // other path is the binary's own.
            return (first == "pa3_mininet").then(|| segments[1..].to_vec());
        }
        let scope = self.scope();
        let (mut base, rest): (ModPath, &[String]) = match first {
            "crate" => (Vec::new(), &segments[1..]),
            "self" => (scope.module.clone(), &segments[1..]),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let keep = scope.module.len().checked_sub(ups)?;
                (scope.module[..keep].to_vec(), &segments[ups..])
            }
            name if scope.children.contains(name) => (scope.module.clone(), &segments[..]),
            _ => return None,
        };
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut whole = prefix.clone();
                if n.ident != "self" {
                    whole.push(n.ident.to_string());
                }
                self.path(whole, n.ident.span().start().line);
            }
            syn::UseTree::Rename(r) => {
                let mut whole = prefix.clone();
                if r.ident != "self" {
                    whole.push(r.ident.to_string());
                }
                self.path(whole, r.ident.span().start().line);
            }
            syn::UseTree::Glob(g) => {
                let line = g.star_token.spans[0].start().line;
                self.path(prefix.clone(), line);
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    /// Paths inside a macro's tokens (`format!("{}", crate::x::y())`).
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            if let TokenTree::Group(g) = &trees[i] {
                self.tokens(g.stream());
                i += 1;
                continue;
            }
            let starts = matches!(&trees[i], TokenTree::Ident(id) if is_root_word(&id.to_string()))
                && !(i >= 2 && is_colons(&trees[i - 2], &trees[i - 1]));
            if !starts {
                i += 1;
                continue;
            }
            let line = trees[i].span().start().line;
            let mut segments = vec![trees[i].to_string()];
            let mut j = i + 1;
            while j + 2 < trees.len() + 1
                && j + 1 < trees.len()
                && is_colons(&trees[j], &trees[j + 1])
            {
                match trees.get(j + 2) {
                    Some(TokenTree::Ident(id)) => segments.push(id.to_string()),
                    _ => break,
                }
                j += 3;
            }
            if segments.len() > 1 {
                self.path(segments, line);
            }
            i = j;
        }
    }
}

fn is_root_word(word: &str) -> bool {
    matches!(word, "crate" | "super" | "self" | "pa3_mininet")
}

fn is_colons(a: &TokenTree, b: &TokenTree) -> bool {
    matches!((a, b), (TokenTree::Punct(x), TokenTree::Punct(y)) if x.as_char() == ':' && y.as_char() == ':')
}

impl<'ast> Visit<'ast> for Walker {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = path.segments.first() {
            let line = first.ident.span().start().line;
            // A lone name is an item in scope (`Event`), a value (`self`)
            // or a visibility (`pub(crate)`), never a module's item.
            if segments.len() > 1 {
                self.path(segments, line);
            }
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let mut module = self.scope().module.clone();
        module.push(item.ident.to_string());
        let explicit = item.attrs.iter().find_map(path_attr);
        match &item.content {
            Some((_, items)) => {
                let dir = self.dir.clone();
                self.dir = explicit
                    .map(|p| dir.join(p))
                    .unwrap_or_else(|| dir.join(item.ident.to_string()));
                self.stack.push(Scope::of(module, items));
                syn::visit::visit_item_mod(self, item);
                self.stack.pop();
                self.dir = dir;
            }
            None => {
                let name = item.ident.to_string();
                let (file, dir) = match explicit {
                    Some(p) => {
                        let file = self.file.parent().expect("a folder").join(p);
                        let dir = file.with_extension("");
                        (file, dir)
                    }
                    None => {
                        let flat = self.dir.join(format!("{name}.rs"));
                        let nested = self.dir.join(&name).join("mod.rs");
                        if flat.exists() {
                            (flat, self.dir.join(&name))
                        } else {
                            (nested, self.dir.join(&name))
                        }
                    }
                };
                let file = file.exists().then_some(file);
                self.children.push(Child { module, file, dir });
            }
        }
    }
}

fn path_attr(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("path") {
        return None;
    }
    match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

/// The arrows the table forbids, each named by file:line; and an import
/// from or to a module in no layer (a new top-level module is given its
/// layer in [`LAYERS`] before it is used).
pub fn forbidden(imports: &[Import]) -> Vec<String> {
    let mut out = Vec::new();
    for import in imports {
        let (Some(from), Some(to)) = (layer_of(&import.from), layer_of(&import.to)) else {
            out.push(format!("{import}: a module in no layer of LAYERS"));
            continue;
        };
        if from.name != to.name && !from.may_use.contains(&to.name) {
            out.push(format!(
                "{import}: layer `{}` may not use layer `{}`",
                from.name, to.name
            ));
        }
    }
    out
}

/// The top-level modules' graph: for each arrow, the first import that
/// makes it.
pub fn top_graph(imports: &[Import]) -> BTreeMap<(String, String), &Import> {
    let mut graph = BTreeMap::new();
    for import in imports {
        let (from, to) = (top_of(&import.from), top_of(&import.to));
        if from != to && !to.is_empty() && to != "orchestrator" {
            graph.entry((from, to)).or_insert(import);
        }
    }
    graph
}

/// Every cycle of the top-level graph, shown as the imports around it
/// (one cycle per group of modules that reach each other).
pub fn cycles(imports: &[Import]) -> Vec<String> {
    let graph = top_graph(imports);
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in graph.keys() {
        next.entry(from).or_default().push(to);
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for start in next.keys() {
        if reported.contains(*start) {
            continue;
        }
        if let Some(cycle) = shortest_way(&next, start, start) {
            let arrows: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("  {}", graph[&(w[0].to_string(), w[1].to_string())]))
                .collect();
            reported.extend(cycle.iter().map(|s| s.to_string()));
            out.push(format!(
                "cycle {}:\n{}",
                cycle.join(" → "),
                arrows.join("\n")
            ));
        }
    }
    out
}

/// The shortest way from `from` to `to` (at least one arrow), by breadth.
fn shortest_way<'a>(
    next: &BTreeMap<&'a str, Vec<&'a str>>,
    from: &'a str,
    to: &str,
) -> Option<Vec<&'a str>> {
    let mut came: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(at) = queue.pop_front() {
        for &n in next.get(at).into_iter().flatten() {
            if n == to {
                let mut way = vec![n, at];
                let mut cur = at;
                while cur != from {
                    cur = came[cur];
                    way.push(cur);
                }
                way.reverse();
                return Some(way);
            }
            if n != from && !came.contains_key(n) {
                came.insert(n, at);
                queue.push_back(n);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    fn path(p: &str) -> ModPath {
        if p.is_empty() {
            Vec::new()
        } else {
            p.split("::").map(str::to_string).collect()
        }
    }

    fn import(from: &str, to: &str) -> Import {
        Import {
            file: PathBuf::from("src/x.rs"),
            line: 7,
            from: path(from),
            to: path(to),
        }
    }

    #[test]
    fn the_crate_keeps_its_layers() {
        let (imports, unreached) = read_crate(&src()).expect("src/ reads");
        assert_eq!(unreached, Vec::<PathBuf>::new(), "files no `mod` reaches");
        // The reader sees the crate: arrows every version of it has.
        let graph = top_graph(&imports);
        for (from, to) in [
            ("orchestrator::report", "orchestrator::record"),
            ("orchestrator::check", "pa3"),
            ("bin::server", "pa3"),
            ("bin::orchestrate", "orchestrator::app"),
        ] {
            assert!(
                graph.contains_key(&(from.to_string(), to.to_string())),
                "{from} → {to} not seen: the reader lost its way"
            );
        }
        let wrong = forbidden(&imports);
        assert!(
            wrong.is_empty(),
            "arrows the layers forbid:\n{}",
            wrong.join("\n")
        );
        let cycles = cycles(&imports);
        assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
    }

    #[test]
    fn every_layer_it_may_use_is_a_layer_below_it() {
        for (i, layer) in LAYERS.iter().enumerate() {
            for used in layer.may_use {
                let at = LAYERS.iter().position(|l| l.name == *used);
                assert!(
                    at.is_some_and(|j| j < i),
                    "{} may use {used}, which is no layer below it",
                    layer.name
                );
            }
        }
    }

    #[test]
    fn the_arrows_that_must_never_exist_are_caught() {
        for (from, to) in [
            ("orchestrator::check::programs", "orchestrator::runner"),
            ("orchestrator::check", "orchestrator::net::shaping"),
            ("orchestrator::check", "orchestrator::sys"),
            ("orchestrator::report::batch", "orchestrator::runner"),
            ("orchestrator::report", "orchestrator::net"),
            ("pa3::server", "orchestrator::record"),
            ("bin::client", "orchestrator::app"),
            ("orchestrator::sys", "orchestrator::net"),
            ("orchestrator::record", "orchestrator::runner"),
            ("orchestrator::nothing_yet", "orchestrator::record"),
        ] {
            let found = forbidden(&[import(from, to)]);
            assert_eq!(found.len(), 1, "{from} → {to} let through");
            assert!(found[0].starts_with("src/x.rs:7: "), "{}", found[0]);
        }
        for (from, to) in [
            ("orchestrator::check", "orchestrator::record"),
            ("orchestrator::report", "pa3::protocol"),
            ("orchestrator::runner", "orchestrator::sys"),
            ("orchestrator::app", "orchestrator::grade"),
            ("orchestrator::check::ack", "orchestrator::check"),
        ] {
            assert_eq!(forbidden(&[import(from, to)]), Vec::<String>::new());
        }
    }

    #[test]
    fn a_cycle_between_top_level_modules_is_caught_even_within_a_layer() {
        let arrows = [
            import("orchestrator::net::diag", "orchestrator::sys"),
            import("orchestrator::sys", "orchestrator::state"),
            import("orchestrator::state::file", "orchestrator::net"),
            import("orchestrator::report", "orchestrator::record"),
        ];
        let found = cycles(&arrows);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("orchestrator::net → orchestrator::sys"));
        // Within one module, no cycle counts.
        let inside = [
            import("orchestrator::check::ack", "orchestrator::check"),
            import("orchestrator::check", "orchestrator::check::ack"),
        ];
        assert!(cycles(&inside).is_empty());
    }

    #[test]
    fn an_import_written_in_the_source_is_found_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        std::fs::create_dir_all(src.join("bin")).unwrap();
        std::fs::create_dir_all(src.join("orchestrator/check")).unwrap();
        std::fs::create_dir_all(src.join("pa3")).unwrap();
        let write = |p: &str, text: &str| std::fs::write(src.join(p), text).unwrap();
        write("lib.rs", "pub mod orchestrator;\npub mod pa3;\n");
        write("orchestrator/mod.rs", "pub mod check;\npub mod runner;\n");
        write("orchestrator/runner.rs", "pub const KILL_GRACE: u64 = 1;\n");
        write("orchestrator/check/mod.rs", "mod programs;\n");
        write(
            "orchestrator/check/programs.rs",
            "fn f() -> u64 {\n    super::super::runner::KILL_GRACE\n}\n",
        );
        write(
            "pa3/mod.rs",
            "use crate::orchestrator::check;\nfn g() { println!(\"{}\", crate::orchestrator::runner::KILL_GRACE); }\n",
        );
        write(
            "bin/server.rs",
            "use pa3_mininet::orchestrator::runner;\nmod own;\nuse own::x;\n",
        );
        write("bin/own.rs", "pub fn x() {}\n");
        let (imports, unreached) = read_crate(src).unwrap();
        assert!(unreached.is_empty(), "{unreached:?}");
        let found = forbidden(&imports);
        let at = |file: &str, line: usize| {
            let at = format!("{}:{line}: ", src.join(file).display());
            found.iter().any(|f| f.starts_with(&at))
        };
        assert!(at("orchestrator/check/programs.rs", 2), "{found:#?}");
        assert!(at("pa3/mod.rs", 1), "{found:#?}");
        assert!(at("pa3/mod.rs", 2), "a path in a macro: {found:#?}");
        assert!(at("bin/server.rs", 1), "{found:#?}");
        assert_eq!(found.len(), 4, "{found:#?}");
    }
}
