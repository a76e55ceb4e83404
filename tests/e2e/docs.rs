//! The README and the guide in `docs/` kept true.
//!
//! Every command in a `sh` block of `README.md` and `docs/**/*.md` is
//! either run here or listed in [`COVERED`], which names the test or the
//! CI script that runs it (and this file checks that the name is there,
//! and that every listed command is still in the docs). Run here:
//! `orchestrate` however it is spelt (`sudo cargo run --bin orchestrate …`,
//! `cargo run -- …`, `orchestrate …`), as the binary this suite built, and
//! `mn` with the Mininet CLI session the page shows after it (a `text`
//! block of `mininet>` lines, typed into it, then `exit`). Each page's
//! commands run in order, in a scratch directory holding links to the
//! project's folders (so that what they write, `results/` or a shard,
//! lands there), and must exit 0. Those that need root run in
//! [`commands_that_need_root_run`]; a command that needs root must be
//! shown with `sudo`.
//!
//! Beside the commands: every relative link reaches a file (and a heading
//! in it, for `page.md#heading`), the README stays about 200 lines, its
//! Quick start is what CI runs, and the table of checks in
//! `docs/architecture.md` is the table of [`CHECKS`]. (The reference of
//! scenario keys in `docs/scenarios.md` is held to the parser by a unit
//! test, `scenario::reference_tests`.)

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use pa3_mininet::orchestrator::check::CHECKS;

use crate::support::{
    bin, manifest_dir, output_within, processes_whose_environment, require_mininet, tempdir,
    timing_bound, RUN_EVERYTHING,
};

/// A command shown in a `sh` block, and the Mininet CLI session shown
/// right after it, if any.
#[derive(Debug, Clone)]
struct DocCommand {
    /// `docs/page.md:12`.
    at: String,
    /// As written, comments and `\` continuations taken out; a line of
    /// `a && b` gives two commands.
    text: String,
    /// `mininet>` lines to type, without the prompt.
    session: Option<Vec<String>>,
}

/// A command this file does not run, and where it is run.
struct Covered {
    /// Exactly as the docs show it.
    command: &'static str,
    /// The test file or CI script that runs it…
    file: &'static str,
    /// …and what in that file does (a test's name, a line of the script).
    holds: &'static str,
}

/// The commands run elsewhere: by CI's script, by a test of their own, or
/// (`cargo test` and its parts) by the test command itself, which runs
/// every test they would.
const COVERED: &[Covered] = &[
    Covered { command: "scripts/setup", file: ".ci/run", holds: "\nscripts/setup && sudo cargo run --bin orchestrate experiments/case2.yaml || exit\n" },
    Covered { command: "sudo scripts/slurm-up", file: "scripts/setup", holds: "bash \"$here/slurm-up\"" },
    Covered { command: "sudo cargo test -- --include-ignored", file: ".ci/run", holds: "\nsudo cargo test -- --include-ignored\n" },
    Covered { command: "PA3_REQUIRE_MININET=1 sudo cargo test -- --include-ignored", file: ".ci/run", holds: "export PA3_REQUIRE_MININET=1\nsudo cargo test -- --include-ignored" },
    // Plain `cargo test` and a part of it: CI's test command runs them
    // all (and the ignored ones); the filters name real modules.
    Covered { command: "cargo test", file: ".ci/run", holds: "cargo test -- --include-ignored" },
    Covered { command: "cargo test --lib check", file: "src/orchestrator/mod.rs", holds: "pub mod check;" },
    Covered { command: "cargo test --test e2e pa3::", file: "tests/e2e/main.rs", holds: "mod pa3;" },
    Covered { command: "sudo cargo test --test e2e batch:: -- --include-ignored", file: "tests/e2e/main.rs", holds: "mod batch;" },
    Covered { command: "sudo cargo test sandbox -- --include-ignored", file: "tests/e2e/main.rs", holds: "mod sandbox;" },
    // The test command builds the binaries the end-to-end tests run; a
    // release build is the same code with optimisations, built by the
    // benchmark (not by CI).
    Covered { command: "cargo build", file: ".ci/run", holds: "cargo test -- --include-ignored" },
    Covered { command: "cargo build --release", file: "scripts/bench", holds: "cargo build --release" },
    // The programs by hand, in three terminals: the same on loopback.
    Covered { command: "target/debug/server --bind 127.0.0.1", file: "tests/e2e/pa3.rs", holds: "fn case2_x_connects_first_y_sends_first" },
    Covered { command: "target/debug/client --server 127.0.0.1", file: "tests/e2e/pa3.rs", holds: "fn case2_x_connects_first_y_sends_first" },
    // Whole classes graded on Mininet, each cell held to expected.yaml.
    Covered { command: "sudo cargo run --release --bin orchestrate grade tests/class/", file: "tests/e2e/grade.rs", holds: "fn the_class_graded_on_mininet_gets_the_gradebook_expected_yaml_says" },
    Covered { command: "sudo cargo run --release --bin orchestrate grade tests/class-real/", file: "tests/e2e/class_real.rs", holds: "fn real_submissions_are_graded_as_a_teacher_grades_them" },
    // Slurm, on the one-node cluster.
    Covered { command: "job=$(sudo sbatch --parsable --array=1-3 deploy/slurm.sbatch experiments/)", file: "tests/e2e/slurm.rs", holds: "fn three_array_tasks_on_mininet_merge_into_the_batch_run_whole" },
    Covered { command: "srun --dependency=afterany:$job target/release/orchestrate merge --out results/merged results/shard-{1..3}", file: "tests/e2e/slurm.rs", holds: "fn merge_after" },
    Covered { command: "job=$(sudo sbatch --parsable --array=1-4 deploy/slurm.sbatch grade class/)", file: "tests/e2e/slurm.rs", holds: "fn a_class_graded_by_an_array_merges_into_the_gradebook_graded_whole" },
    Covered { command: "srun --dependency=afterany:$job target/release/orchestrate merge --out results/merged results/shard-{1..4}", file: "tests/e2e/slurm.rs", holds: "fn a_class_graded_by_an_array_merges_into_the_gradebook_graded_whole" },
    // Gradescope's zip.
    Covered { command: "deploy/gradescope/make-zip --grading class/grading.yaml pa3-autograder.zip", file: "tests/e2e/recipes.rs", holds: "fn make_zip_packs_the_recipe_the_class_grading_and_the_source" },
    // The class page's tools (docs/grading-class.md).
    Covered { command: "orchestrate similarity class/", file: "tests/e2e/classview.rs", holds: "fn the_planted_copies_are_flagged_and_the_independent_solution_is_not" },
    Covered { command: "orchestrate similarity class/ --reference public-solutions/", file: "tests/e2e/classview.rs", holds: "fn a_reference_flags_the_submission_copied_from_it_and_no_other" },
    Covered { command: "sudo orchestrate grade class/ --reference public-solutions/", file: "tests/e2e/classview.rs", holds: "fn a_grade_shows_the_class_and_one_student_regraded_takes_their_place" },
    Covered { command: "sudo orchestrate grade class/ --only alice --into results/20261202T143702Z-grade", file: "tests/e2e/classview.rs", holds: "os(\"--only\")" },
    Covered { command: "orchestrate grade class/ --rescore --into results/20261202T143702Z-grade", file: "tests/e2e/classview.rs", holds: "os(\"--rescore\")" },
    // Mutation testing and the benchmark.
    Covered { command: "cargo install --locked cargo-mutants@27.1.0", file: ".ci/run", holds: "need cargo-mutants 27.1.0" },
    Covered { command: "cargo install --locked cargo-nextest@0.9.151 --no-default-features --features default-no-update", file: ".ci/run", holds: "need cargo-nextest 0.9.151 --no-default-features --features default-no-update" },
    Covered { command: "scripts/mutants --changed-since HEAD^", file: ".ci/run", holds: "scripts/mutants --changed-since 'HEAD^'" },
    Covered { command: "sudo scripts/bench --quick", file: "scripts/pa3-bench/tests/quick.rs", holds: "fn quick_mode_on_mininet_measures_the_floor_and_a_reused_network" },
    Covered { command: "scripts/bench --quick --backend local", file: "scripts/pa3-bench/tests/quick.rs", holds: "fn quick_mode_on_the_local_backend_prints_a_table_and_writes_json" },
];

/// Pages linked to that other work is writing; a link to one passes while
/// it does not exist, and the test fails once it does and is still listed
/// here (take it out then).
const UNDER_WAY: &[&str] = &[];

// ---------------------------------------------------------------------------
// Reading the pages

/// `README.md` and every page of `docs/`, relative to the project.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_string()];
    let mut dirs = vec![manifest_dir().join("docs")];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                let rel = path.strip_prefix(manifest_dir()).unwrap();
                pages.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    pages.sort();
    pages
}

fn read(page: &str) -> String {
    std::fs::read_to_string(manifest_dir().join(page))
        .unwrap_or_else(|e| panic!("cannot read {page}: {e}"))
}

/// A fenced block: its info string, first line number and lines.
struct Block {
    info: String,
    line: usize,
    lines: Vec<String>,
}

/// The fenced blocks of a page, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (open.take(), line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    line: i + 2,
                    lines: Vec::new(),
                })
            }
            (Some(b), Some(_)) => blocks.push(b),
            (Some(mut b), None) => {
                b.lines.push(line.to_string());
                open = Some(b);
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "a fenced block is never closed");
    blocks
}

/// A shell line without its comment (` # …` after the command).
fn without_comment(line: &str) -> &str {
    let mut cut = line.len();
    for (i, _) in line.match_indices(" #") {
        if line[..i].chars().filter(|&c| c == '\'' || c == '"').count() % 2 == 0 {
            cut = i;
            break;
        }
    }
    line[..cut].trim()
}

/// The commands of one page, each with the session shown after it.
fn commands_of(page: &str) -> Vec<DocCommand> {
    let blocks = blocks(&read(page));
    let mut commands = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        if block.info != "sh" {
            continue;
        }
        let mut joined: Vec<(usize, String)> = Vec::new();
        let mut pending = String::new();
        for (i, line) in block.lines.iter().enumerate() {
            let line = line.trim();
            if pending.is_empty() && (line.is_empty() || line.starts_with('#')) {
                continue;
            }
            match line.strip_suffix('\\') {
                Some(part) => pending.push_str(part),
                None => {
                    pending.push_str(line);
                    joined.push((block.line + i, std::mem::take(&mut pending)));
                }
            }
        }
        let session = blocks.get(b + 1).and_then(session_of);
        let last = joined.len();
        for (n, (line, text)) in joined.into_iter().enumerate() {
            for part in without_comment(&text).split(" && ") {
                commands.push(DocCommand {
                    at: format!("{page}:{line}"),
                    text: part.trim().to_string(),
                    session: if n + 1 == last { session.clone() } else { None },
                });
            }
        }
    }
    commands
}

/// The lines typed at `mininet>` in a `text` block of nothing else.
fn session_of(block: &Block) -> Option<Vec<String>> {
    if block.info != "text" {
        return None;
    }
    block
        .lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.strip_prefix("mininet> ").map(str::to_string))
        .collect()
}

fn all_commands() -> Vec<DocCommand> {
    pages().iter().flat_map(|p| commands_of(p)).collect()
}

// ---------------------------------------------------------------------------
// What each command is, and running it

/// How this file carries a command out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Plan {
    /// `orchestrate` (the binary this suite built) or `mn`.
    program: String,
    args: Vec<String>,
    /// Lines typed into it, then `exit`.
    session: Option<Vec<String>>,
    needs_root: bool,
}

/// The `orchestrate` subcommands that need no root (and `run` on the
/// local backend without `--pcap`).
const WITHOUT_ROOT: &[&str] = &["validate", "topo", "merge", "similarity", "help"];
const SUBCOMMANDS: &[&str] = &[
    "run",
    "validate",
    "topo",
    "up",
    "grade",
    "merge",
    "clean",
    "similarity",
    "help",
];

/// The arguments of `orchestrate` in `words`, however it is spelt.
fn orchestrate_args(words: &[String]) -> Option<Vec<String>> {
    match words.first().map(String::as_str)? {
        "orchestrate" | "target/debug/orchestrate" | "target/release/orchestrate" => {
            Some(words[1..].to_vec())
        }
        "cargo" if words.get(1).is_some_and(|w| w == "run") => {
            let mut i = 2;
            while let Some(w) = words.get(i) {
                match w.as_str() {
                    "--" => return Some(words[i + 1..].to_vec()),
                    "--release" | "-q" => i += 1,
                    "--bin" if words.get(i + 1).is_some_and(|b| b == "orchestrate") => i += 2,
                    "--bin" => return None,
                    _ => break,
                }
            }
            Some(words[i..].to_vec())
        }
        _ => None,
    }
}

/// What to do with `cmd`, or why it can be neither run nor left out.
fn plan(cmd: &DocCommand) -> Result<Option<Plan>, String> {
    if COVERED.iter().any(|c| c.command == cmd.text) {
        return Ok(None);
    }
    let mut words = shell_words::split(&cmd.text).map_err(|e| format!("not shell words: {e}"))?;
    let sudo = words.first().is_some_and(|w| w == "sudo");
    if sudo {
        words.remove(0);
    }
    let plan = if let Some(args) = orchestrate_args(&words) {
        let sub = args
            .iter()
            .find(|a| !a.starts_with('-'))
            .filter(|a| SUBCOMMANDS.contains(&a.as_str()))
            .map_or("run", String::as_str);
        let local = args.windows(2).any(|w| w == ["--backend", "local"]);
        let help = args
            .iter()
            .any(|a| a == "--help" || a == "-h" || a == "--version");
        let needs_root = match sub {
            _ if help => false,
            "run" => !local || args.iter().any(|a| a == "--pcap"),
            s if WITHOUT_ROOT.contains(&s) => false,
            _ => true,
        };
        if sub == "up" && cmd.session.is_none() {
            return Err(format!("`orchestrate {sub}` is run here only with a Mininet CLI session after it (`up --cli`)"));
        }
        Plan {
            program: "orchestrate".into(),
            args,
            session: cmd.session.clone(),
            needs_root,
        }
    } else if words.first().is_some_and(|w| w == "mn") && cmd.session.is_some() {
        Plan {
            program: "mn".into(),
            args: words[1..].to_vec(),
            session: cmd.session.clone(),
            needs_root: true,
        }
    } else {
        return Err(
            "neither run here (orchestrate, or mn with a session) nor listed in COVERED \
                    with the test or CI script that runs it"
                .into(),
        );
    };
    if plan.needs_root && !sudo {
        return Err("needs root but is shown without sudo".into());
    }
    Ok(Some(plan))
}

/// A scratch directory standing for the project: a link to each of its
/// folders and files but `results` (and `target`: to the one this suite's
/// binaries are in), so that what a command writes lands in the scratch.
fn scratch_project() -> tempfile::TempDir {
    let dir = tempdir();
    for e in std::fs::read_dir(manifest_dir()).unwrap().flatten() {
        let name = e.file_name();
        if name != "results" && name != "target" && name != ".git" {
            std::os::unix::fs::symlink(e.path(), dir.path().join(&name)).unwrap();
        }
    }
    let target = bin("orchestrate")
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    std::os::unix::fs::symlink(target, dir.path().join("target")).unwrap();
    // Sandbox users grading from here must reach the submissions.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Runs `plan` in `dir`; its failure, with what it printed.
fn run(plan: &Plan, dir: &Path, mark: &str) -> Result<(), String> {
    let mut cmd = if plan.program == "mn" {
        // `mn` builds its network among the machine's interfaces (`s1`,
        // `h1-eth0`): in a namespace of its own, it meets no one else's.
        let mut c = Command::new("unshare");
        c.arg("--net").arg("mn");
        c
    } else {
        Command::new(bin("orchestrate"))
    };
    cmd.args(&plan.args)
        .current_dir(dir)
        .env_remove("CARGO")
        .env("NO_COLOR", "1")
        .env("PA3_DOCS_MARK", mark);
    let limit = Duration::from_secs(if plan.session.is_some() { 120 } else { 600 });
    let out = match &plan.session {
        Some(lines) => typed_at_prompts(&mut cmd, lines, limit),
        None => output_within(&mut cmd, limit),
    };
    // A session types the exchange: it must show the acknowledgement.
    // (Mininet's CLI prints what the hosts print on its stderr.)
    let shown = plan.session.is_none()
        || [&out.stdout, &out.stderr]
            .iter()
            .any(|t| String::from_utf8_lossy(t).contains(" received before "));
    if out.status.success() && shown {
        return Ok(());
    }
    Err(format!(
        "{}: {}{}\n--- stdout\n{}\n--- stderr\n{}",
        plan.program,
        out.status,
        if shown {
            ""
        } else {
            ", and the session shows no acknowledgement"
        },
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Runs `cmd`, typing each of `lines` (then `exit`) at a `mininet> `
/// prompt of its own, as a person does: the CLI hands what it reads while
/// a command runs to that command, so a line typed early would go to the
/// wrong program.
fn typed_at_prompts(cmd: &mut Command, lines: &[String], limit: Duration) -> Output {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
    let readers: Vec<Box<dyn Read + Send>> = vec![
        Box::new(child.stdout.take().unwrap()),
        Box::new(child.stderr.take().unwrap()),
    ];
    for (stream, mut r) in readers.into_iter().enumerate() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = r.read(&mut buf) {
                let _ = tx.send((stream, buf[..n].to_vec()));
            }
        });
    }
    drop(tx);
    let mut stdin = child.stdin.take();
    let mut text = [Vec::new(), Vec::new()];
    let mut to_type = lines.iter().map(String::as_str).chain(["exit"]);
    let mut typed = 0;
    let deadline = std::time::Instant::now() + limit;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok((stream, bytes)) => text[stream].extend(bytes),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let prompts: usize = text
            .iter()
            .map(|t| prompts_in(&String::from_utf8_lossy(t)))
            .sum();
        while typed < prompts {
            typed += 1;
            match (to_type.next(), stdin.as_mut()) {
                (Some(line), Some(w)) => {
                    let _ = writeln!(w, "{line}");
                }
                _ => stdin = None,
            }
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{cmd:?} did not end within {limit:?}\n{}",
                String::from_utf8_lossy(&text[0])
            );
        }
    }
    let status = child.wait().unwrap();
    let [stdout, stderr] = text;
    Output {
        status,
        stdout,
        stderr,
    }
}

/// The CLI's prompts in `output`: `mininet> ` at the start of a line, and
/// again right after one (a command that printed nothing); not the
/// examples a program prints, indented, in its hints.
fn prompts_in(output: &str) -> usize {
    output
        .split('\n')
        .map(|line| {
            let mut rest = line;
            let mut n = 0;
            while let Some(after) = rest.strip_prefix("mininet> ") {
                rest = after;
                n += 1;
            }
            n
        })
        .sum()
}

/// Runs, page by page and in order, every command whose plan needs root
/// (`root`) or not; returns the failures.
fn run_commands(root: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let mut done: HashSet<Plan> = HashSet::new();
    let mark = format!("docs-{}-{root}", std::process::id());
    for page in pages() {
        let scratch = scratch_project();
        for cmd in commands_of(&page) {
            let Ok(Some(plan)) = plan(&cmd) else { continue };
            if plan.needs_root != root || !done.insert(plan.clone()) {
                continue;
            }
            eprintln!("{}: {}", cmd.at, cmd.text);
            if let Err(e) = run(&plan, scratch.path(), &mark) {
                failures.push(format!("{}: `{}` failed: {e}", cmd.at, cmd.text));
            }
        }
    }
    // What a session started by hand and left running (a server never
    // answered) goes with the test.
    let needle = format!("PA3_DOCS_MARK={mark}");
    for (pid, _) in processes_whose_environment(|v| v == needle.as_bytes()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    failures
}

#[test]
fn every_command_is_run_here_or_covered_by_a_named_test() {
    let problems: Vec<String> = all_commands()
        .iter()
        .filter_map(|c| {
            plan(c)
                .err()
                .map(|e| format!("{}: `{}`: {e}", c.at, c.text))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "commands in the docs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_covered_command_is_in_the_docs_and_its_test_or_script_holds_it() {
    let shown: BTreeSet<String> = all_commands().into_iter().map(|c| c.text).collect();
    for c in COVERED {
        assert!(
            shown.contains(c.command),
            "COVERED lists `{}`, which no page shows",
            c.command
        );
        let text = read(c.file);
        assert!(
            text.contains(c.holds),
            "COVERED says {} runs `{}`, but it does not hold {:?}",
            c.file,
            c.command,
            c.holds
        );
    }
}

#[test]
fn commands_that_need_no_root_run() {
    let failures = run_commands(false);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
#[ignore = "needs root and Mininet"]
fn commands_that_need_root_run() {
    require_mininet();
    let _timing = timing_bound();
    let failures = run_commands(true);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---------------------------------------------------------------------------
// Links, the README, CI, the table of checks

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_`
/// dropped, spaces made `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings (outside its fenced blocks).
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut found = BTreeSet::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.insert(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// The targets of a page's Markdown links and images, outside its fenced
/// blocks and code spans.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut fenced = false;
    let mut targets = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans are the odd pieces between backticks.
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 1 {
                continue;
            }
            for (_, rest) in piece
                .match_indices("](")
                .map(|(i, _)| piece.split_at(i + 2))
            {
                if let Some(end) = rest.find(')') {
                    targets.push(rest[..end].to_string());
                }
            }
        }
    }
    targets
}

#[test]
fn every_relative_link_reaches_a_file_and_its_heading() {
    let mut broken = Vec::new();
    for page in pages() {
        let dir = Path::new(&page)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        for target in link_targets(&read(&page)) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, heading) = target.split_once('#').unwrap_or((&target, ""));
            let rel: PathBuf = if file.is_empty() {
                PathBuf::from(&page)
            } else {
                dir.join(file)
            };
            let rel = normalize(&rel);
            let path = manifest_dir().join(&rel);
            if !path.exists() {
                if !UNDER_WAY.contains(&rel.to_string_lossy().as_ref()) {
                    broken.push(format!("{page}: ({target}): no {}", rel.display()));
                }
                continue;
            }
            if !heading.is_empty() && rel.extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(&path).unwrap();
                if !anchors(&text).contains(heading) {
                    broken.push(format!(
                        "{page}: ({target}): no heading #{heading} in {}",
                        rel.display()
                    ));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    for page in UNDER_WAY {
        assert!(
            !manifest_dir().join(page).exists(),
            "{page} exists now: take it out of UNDER_WAY in tests/e2e/docs.rs"
        );
    }
}

/// `a/../b` as `b`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn the_readme_is_read_in_five_minutes() {
    let lines = read("README.md").lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines: keep it to about 200, and move the rest into docs/"
    );
}

/// The Quick start's two commands are what CI runs: `scripts/setup` (whose
/// scenario run, the first command's second half, is run by
/// [`commands_that_need_root_run`]) and the test command, word for word.
#[test]
fn ci_runs_the_quick_starts_two_commands() {
    let readme = read("README.md");
    let quick = readme
        .split_once("\n## Quick start\n")
        .expect("README.md has a Quick start")
        .1;
    let quick = quick.split("\n## ").next().unwrap();
    let sh: Vec<Block> = blocks(quick)
        .into_iter()
        .filter(|b| b.info == "sh")
        .collect();
    let first = sh[0].lines.join("\n");
    let second = sh[1].lines.join("\n");
    assert_eq!(
        first,
        "scripts/setup && sudo cargo run --bin orchestrate experiments/case2.yaml"
    );
    assert_eq!(second, RUN_EVERYTHING);
    // Up to the test command, CI runs the first command and nothing the
    // README does not (no daemon of its own): only Mininet's two packages
    // (which setup would install too), its PATH, lints and the switch that
    // requires Mininet.
    let ci = read(".ci/run");
    let before_tests: Vec<&str> = ci
        .split_once(&format!("\n{RUN_EVERYTHING}\n"))
        .unwrap_or_else(|| panic!(".ci/run does not run `{RUN_EVERYTHING}` as the README shows it"))
        .0
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        before_tests,
        [
            "set -euo pipefail",
            "cd \"$(dirname \"$0\")/..\"",
            "export DEBIAN_FRONTEND=noninteractive",
            "apt-get update",
            "apt-get install -y mininet bridge-utils",
            // set -e does not stop at a failure left of `&&`.
            format!("{first} || exit").as_str(),
            "export PATH=\"$HOME/.cargo/bin:$PATH\"",
            "cargo fmt --all -- --check",
            "cargo clippy --all-targets -- -D warnings",
            "scripts/lint-deploy",
            "export PA3_REQUIRE_MININET=1",
        ],
        ".ci/run must run the Quick start's commands as written, with nothing set up beside them"
    );
}

#[test]
fn the_architecture_pages_table_of_checks_is_checks() {
    let page = read("docs/architecture.md");
    let section = page
        .split_once("\n## Adding a check\n")
        .expect("docs/architecture.md: ## Adding a check")
        .1;
    let section = section.split("\n## ").next().unwrap();
    let documented: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(id, _)| id))
        .collect();
    let ids: Vec<&str> = CHECKS.iter().map(|c| c.id.word()).collect();
    assert_eq!(
        documented, ids,
        "docs/architecture.md's table of checks is not CHECKS, in order"
    );
}
