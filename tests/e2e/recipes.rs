//! The recipes for grading where students hand in.
//!
//! Gradescope: `deploy/gradescope/run_autograder` run for real on an
//! autograder root of its own (`AUTOGRADER_ROOT`, a temporary directory
//! standing for `/autograder`), with the orchestrate under test; what it
//! writes must be Gradescope's `results.json`, with the cells
//! `tests/class/expected.yaml` gives for the loopback backend (where item
//! 10 is a person's). Most runs are made as in Gradescope's container:
//! root with Docker's default capabilities only (no CAP_SYS_ADMIN, no
//! CAP_NET_ADMIN), in a network namespace of its own, so that no namespace
//! can be made inside it and the programs share its loopback. Grading runs
//! the programs as the sandbox's users, which takes root.
//!
//! GitHub Classroom: no GitHub here. The workflow's `run:` steps are
//! carried out by bash as the runner does, with `sudo` and orchestrate
//! stood in for (what the grade step passes, the class of one it lays
//! out), and with the real orchestrate on Mininet (the summary, and the
//! points handed to GitHub's reporter).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use serde_yaml::Value as Yaml;

use crate::grade::{class_dir, copy_dir, expected, expected_cells};
use crate::support::{
    assert_nothing_of_a_grade_left, bin, grade_summary, interfaces, manifest_dir, output_within,
    read_json, require_mininet, require_root, tempdir, timing_bound,
};

const RUN_AUTOGRADER: &str = "deploy/gradescope/run_autograder";
const CLASSROOM: &str = "deploy/github-classroom.yml";

/// What a run of a recipe may take, at most (a grade of one student on
/// loopback takes about ten seconds, with retries a few times that).
const LIMIT: Duration = Duration::from_secs(300);

/// Root's capabilities in a Docker container, as Gradescope's are: the
/// default set, without CAP_SYS_ADMIN or CAP_NET_ADMIN.
const CONTAINER_CAPS: &str = "-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,\
                              +setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,\
                              +audit_write,+setfcap";

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// ---------------------------------------------------------------------------
// Gradescope

/// An autograder root laid out as Gradescope lays out `/autograder`:
/// `source/` (what setup.sh leaves of the zip: loopback.py; orchestrate is
/// the one under test, given by `PA3_ORCHESTRATE`), `submission/`,
/// `results/`.
struct Autograder {
    dir: tempfile::TempDir,
}

impl Autograder {
    fn new() -> Autograder {
        let dir = tempdir();
        // As /autograder: every user may pass through it (the sandboxed
        // programs reach loopback.py under it), not list it.
        chmod(dir.path(), 0o711);
        let ag = Autograder { dir };
        for d in ["source", "submission", "results"] {
            std::fs::create_dir(ag.root().join(d)).unwrap();
        }
        std::fs::copy(
            manifest_dir().join("deploy/gradescope/loopback.py"),
            ag.root().join("source/loopback.py"),
        )
        .unwrap();
        ag
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn submission(&self) -> PathBuf {
        self.root().join("submission")
    }

    /// Runs run_autograder with `orchestrate`; `contained`: as root in a
    /// Gradescope container (see the module's doc), else as this machine's
    /// root.
    fn run_with(&self, orchestrate: &Path, contained: bool) -> Output {
        let script = manifest_dir().join(RUN_AUTOGRADER);
        let mut cmd = if contained {
            let mut c = Command::new("unshare");
            c.args([
                "--net",
                "sh",
                "-c",
                r#"ip link set lo up && exec setpriv --bounding-set="$0" -- "$@""#,
                CONTAINER_CAPS,
            ])
            .arg(script);
            c
        } else {
            Command::new(script)
        };
        // Without CARGO, orchestrate takes server and client as cargo test
        // built them (see support::orchestrate).
        cmd.env("AUTOGRADER_ROOT", self.root())
            .env("PA3_ORCHESTRATE", orchestrate)
            .env_remove("CARGO");
        output_within(&mut cmd, LIMIT)
    }

    fn run(&self, contained: bool) -> Output {
        self.run_with(&bin("orchestrate"), contained)
    }

    /// `results/results.json`, checked against Gradescope's format. Read
    /// as JSON on purpose: its keys are Gradescope's, not the crate's (it
    /// writes them with `json!`).
    fn results(&self) -> Value {
        let results = read_json(&self.root().join("results/results.json"));
        assert_gradescope_format(&results);
        results
    }

    /// Nothing of the grade is left: no process, no interface, no working
    /// folder under the root.
    fn assert_nothing_left(&self, before: &[String]) {
        assert_nothing_of_a_grade_left(before);
        let left: Vec<String> = std::fs::read_dir(self.root())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".pa3-grade"))
            .collect();
        assert!(left.is_empty(), "run_autograder left {left:?}");
    }
}

/// Gradescope's `results.json`: a score, and each test with a name, a
/// score within its max_score, `passed` or `failed`, and an output; the
/// score is the tests' sum.
fn assert_gradescope_format(results: &Value) {
    let score = results["score"]
        .as_f64()
        .unwrap_or_else(|| panic!("no score: {results}"));
    let visibilities = ["visible", "hidden", "after_due_date", "after_published"];
    if let Some(v) = results.get("visibility") {
        assert!(visibilities.contains(&v.as_str().unwrap()), "{results}");
    }
    let Some(tests) = results.get("tests") else {
        return;
    };
    let mut sum = 0.0;
    for t in tests.as_array().expect("tests is a list") {
        assert!(
            t["name"].as_str().is_some_and(|n| !n.is_empty()),
            "a test without a name: {t}"
        );
        let (s, max) = (
            t["score"].as_f64().unwrap(),
            t["max_score"].as_f64().unwrap(),
        );
        assert!((0.0..=max).contains(&s), "{t}");
        assert!(
            ["passed", "failed"].contains(&t["status"].as_str().unwrap()),
            "{t}"
        );
        assert!(t["output"].is_string(), "{t}");
        sum += s;
    }
    assert_eq!(score, sum, "the score is not the tests' sum: {results}");
}

/// The rubric cells results.json gives, item by item: an item for a person
/// is a passed test worth nothing that says so.
fn cells_of(results: &Value) -> Vec<String> {
    results["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let person = t["output"].as_str().unwrap().contains("graded by a person");
            match (t["status"].as_str().unwrap(), person) {
                ("failed", _) => "fail",
                ("passed", true) => "review",
                ("passed", false) => "pass",
                (other, _) => panic!("status {other}"),
            }
            .to_string()
        })
        .collect()
}

/// A student's cells as expected.yaml gives them for the loopback backend:
/// its rubric, with item 10 — a pass on Mininet — for a person (its header
/// says so).
fn loopback_cells(student: &str) -> Vec<String> {
    let mut cells = expected_cells(&expected(), student, false);
    if cells[9] == "pass" {
        cells[9] = "review".into();
    }
    cells
}

fn tests_of(results: &Value) -> &Vec<Value> {
    results["tests"].as_array().expect("results.json has tests")
}

#[test]
#[ignore = "needs root (the sandbox's users)"]
fn gradescope_gives_a_correct_submission_every_automatic_point_and_item_10_to_a_person() {
    require_root("grading runs the programs as the sandbox's users");
    let before = interfaces();
    let ag = Autograder::new();
    copy_dir(&class_dir().join("alice-correct"), &ag.submission());
    let out = ag.run(true);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    assert_eq!(cells_of(&results), loopback_cells("alice-correct"));
    let tests = tests_of(&results);
    let automatic: f64 = tests.iter().map(|t| t["max_score"].as_f64().unwrap()).sum();
    assert!(automatic > 0.0);
    assert_eq!(results["score"].as_f64(), Some(automatic), "{results}");
    assert!(
        tests[9]["output"]
            .as_str()
            .unwrap()
            .contains("graded on loopback"),
        "{}",
        tests[9]
    );
    // As in Gradescope's container: no namespace, the container's own
    // loopback, the students' 10.0.0.1 mapped onto it; both said.
    assert!(
        text(&out).contains("no network namespace can be made here"),
        "{}",
        text(&out)
    );
    let output = results["output"].as_str().unwrap();
    assert!(output.contains("item 10"), "{output}");
    assert!(output.contains("went to 127.0.0.1"), "{output}");
    ag.assert_nothing_left(&before);
}

#[test]
#[ignore = "needs root (the sandbox's users)"]
fn gradescope_charges_a_faulty_submission_what_expected_yaml_says_with_the_class_grading_yaml() {
    require_root("grading runs the programs as the sandbox's users");
    let before = interfaces();
    let ag = Autograder::new();
    copy_dir(&class_dir().join("bob-connect-order"), &ag.submission());
    let (item6, item9) = (7.0, 15.0);
    std::fs::write(
        ag.root().join("source/grading.yaml"),
        format!("visibility: after_due_date\npoints: {{6: {item6}, 9: {item9}}}\n"),
    )
    .unwrap();
    let out = ag.run(true);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    let want = loopback_cells("bob-connect-order");
    assert!(
        want.iter().any(|c| c == "fail"),
        "expected.yaml must fail bob somewhere, or this test shows nothing"
    );
    assert_eq!(cells_of(&results), want);
    // The class's grading.yaml: its visibility and points.
    assert_eq!(results["visibility"], "after_due_date");
    let tests = tests_of(&results);
    assert_eq!(tests[5]["max_score"].as_f64(), Some(item6), "{}", tests[5]);
    assert_eq!(tests[8]["max_score"].as_f64(), Some(item9), "{}", tests[8]);
    ag.assert_nothing_left(&before);
}

/// Writes a zip file at `zip` holding `files` (name in the zip, source).
fn write_zip(zip: &Path, files: &[(&str, PathBuf)]) {
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import sys, zipfile\n\
         with zipfile.ZipFile(sys.argv[1], 'w') as z:\n\
         \x20   for name, path in zip(sys.argv[2::2], sys.argv[3::2]):\n\
         \x20       z.write(path, name)\n",
    ])
    .arg(zip);
    for (name, path) in files {
        cmd.arg(name).arg(path);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
#[ignore = "needs root (the sandbox's users)"]
fn gradescope_grades_the_folder_or_zip_file_of_the_submission_that_holds_the_programs() {
    require_root("grading runs the programs as the sandbox's users");
    let before = interfaces();
    // Alice's programs two folders down, beside a file and a link.
    let ag = Autograder::new();
    let code = ag.submission().join("PA3/code");
    copy_dir(&class_dir().join("alice-correct"), &code);
    std::fs::write(ag.submission().join("PA3/README.txt"), "my PA3\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", code.join("passwords")).unwrap();
    // On this machine, which may make namespaces: the other way through.
    let out = ag.run(false);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    assert_eq!(cells_of(&results), loopback_cells("alice-correct"));
    let output = results["output"].as_str().unwrap();
    assert!(output.contains("Graded the folder PA3/code"), "{output}");
    // Its report (on stdout, for the instructor) lists the programs, not
    // the link.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| `server.py` |"), "{stdout}");
    assert!(!stdout.contains("passwords"), "{stdout}");
    ag.assert_nothing_left(&before);

    // Bob's programs in a folder of a zip file, in a folder.
    let ag = Autograder::new();
    std::fs::create_dir(ag.submission().join("upload")).unwrap();
    let bob = class_dir().join("bob-connect-order");
    write_zip(
        &ag.submission().join("upload/pa3.zip"),
        &[
            ("pa3-bob/server.py", bob.join("server.py")),
            ("pa3-bob/client.py", bob.join("client.py")),
        ],
    );
    let out = ag.run(true);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    assert_eq!(cells_of(&results), loopback_cells("bob-connect-order"));
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains("Graded the folder upload/pa3.zip/pa3-bob"),
        "{output}"
    );
    ag.assert_nothing_left(&before);
}

#[test]
#[ignore = "needs root (the sandbox's users)"]
fn gradescope_with_nothing_to_grade_scores_0_and_says_what_is_missing() {
    require_root("grading runs the programs as the sandbox's users");
    let before = interfaces();
    let ag = Autograder::new();
    std::fs::write(ag.submission().join("notes.txt"), "I ran out of time\n").unwrap();
    let out = ag.run(true);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    assert_eq!(results["score"].as_f64(), Some(0.0), "{results}");
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains("No server.py or client.py was found"),
        "{output}"
    );
    let tests = tests_of(&results);
    assert_eq!(tests.len(), 12);
    for t in &tests[..10] {
        assert_eq!(t["status"], "failed", "{t}");
        let said = t["output"].as_str().unwrap();
        assert!(
            said.contains("has no server (a program that binds, listens and accepts)")
                || said.contains("has no client (a program that connects"),
            "{t}"
        );
    }
    ag.assert_nothing_left(&before);
}

#[test]
fn gradescope_without_orchestrate_still_writes_results_json_scoring_0_and_says_why() {
    let ag = Autograder::new();
    copy_dir(&class_dir().join("alice-correct"), &ag.submission());
    let missing = ag.root().join("source/bin/orchestrate");
    let out = ag.run_with(&missing, false);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    assert_eq!(results["score"].as_f64(), Some(0.0), "{results}");
    let output = results["output"].as_str().unwrap();
    assert!(
        output.contains(&format!("{} is missing", missing.display())),
        "{output}"
    );
    assert!(
        output.contains("could not grade this submission"),
        "{output}"
    );
}

#[test]
#[ignore = "needs root (the sandbox's users)"]
fn gradescope_when_orchestrate_fails_scores_0_and_shows_its_error() {
    require_root("run_autograder checks, as root, what the sandbox's users can read");
    let ag = Autograder::new();
    copy_dir(&class_dir().join("alice-correct"), &ag.submission());
    let failing = ag.root().join("source/orchestrate-fails");
    std::fs::write(
        &failing,
        "#!/bin/sh\necho 'error: cannot create the sandbox user pa3-sandbox-0' >&2\nexit 1\n",
    )
    .unwrap();
    chmod(&failing, 0o755);
    let out = ag.run_with(&failing, true);
    assert!(out.status.success(), "{}", text(&out));
    let results = ag.results();
    assert_eq!(results["score"].as_f64(), Some(0.0), "{results}");
    let output = results["output"].as_str().unwrap();
    assert!(output.contains("exited with code 1"), "{output}");
    assert!(
        output.contains("cannot create the sandbox user pa3-sandbox-0"),
        "{output}"
    );
}

// ---------------------------------------------------------------------------
// GitHub Classroom

fn classroom() -> Yaml {
    let text = std::fs::read_to_string(manifest_dir().join(CLASSROOM)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{CLASSROOM}: {e}"))
}

/// The job GitHub's reporter updates: it looks for the check run of this name.
const JOB: &str = "run-autograding-tests";

fn steps(workflow: &Yaml) -> &Vec<Yaml> {
    workflow["jobs"][JOB]["steps"]
        .as_sequence()
        .unwrap_or_else(|| panic!("no job {JOB} with steps"))
}

/// The step whose `run:` holds `what`.
fn step_running<'a>(workflow: &'a Yaml, what: &str) -> &'a Yaml {
    steps(workflow)
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains(what)))
        .unwrap_or_else(|| panic!("no step runs {what:?}"))
}

/// `${{ … }}` in an `env:` value, for the repository `student`; any other
/// expression fails the test (it would not know its value).
fn evaluate(value: &str, student: &str) -> String {
    let re = regex::Regex::new(r"\$\{\{\s*([^}]*?)\s*\}\}").unwrap();
    re.replace_all(value, |c: &regex::Captures| match &c[1] {
        "github.event.repository.name" => student.to_string(),
        other => panic!("an expression this test cannot evaluate: {other}"),
    })
    .into_owned()
}

/// Runs a step's `run:` as the runner does (`bash -e -o pipefail`) in the
/// workspace `dir`, with the workflow's and the step's environment, then
/// `extra`, and `stubs` first on PATH.
fn run_step(
    workflow: &Yaml,
    step: &Yaml,
    dir: &Path,
    student: &str,
    stubs: &Path,
    extra: &[(&str, &Path)],
) -> Output {
    let script = step["run"].as_str().unwrap();
    assert!(
        !script.contains("${{"),
        "an expression spliced into a script: {script}"
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_remove("CARGO")
        .env(
            "PATH",
            format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()),
        );
    for env in [&workflow["env"], &step["env"]] {
        for (name, value) in env.as_mapping().into_iter().flatten() {
            cmd.env(
                name.as_str().unwrap(),
                evaluate(value.as_str().unwrap(), student),
            );
        }
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    output_within(&mut cmd, LIMIT)
}

/// A workspace as the workflow's checkouts leave it: the student's
/// repository (`files` from the test class, a `.git` and the workflow) in
/// `submission/`; stubs for PATH in `stubs/`, with a `sudo` that runs its
/// command.
fn workspace(student_files: &Path) -> tempfile::TempDir {
    let ws = tempdir();
    let repo = ws.path().join("submission");
    copy_dir(student_files, &repo);
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    std::fs::copy(
        manifest_dir().join(CLASSROOM),
        repo.join(".github/workflows/classroom.yml"),
    )
    .unwrap();
    let stubs = ws.path().join("stubs");
    std::fs::create_dir(&stubs).unwrap();
    std::fs::write(stubs.join("sudo"), "#!/bin/sh\nexec \"$@\"\n").unwrap();
    chmod(&stubs.join("sudo"), 0o755);
    ws
}

/// Where the grade step finds orchestrate: the pa3-mininet checkout, built.
const ORCHESTRATE: &str = "pa3-mininet/target/release/orchestrate";

#[test]
fn the_classroom_workflow_grades_the_repository_as_a_class_of_one_with_the_grading_given() {
    let wf = classroom();
    let perms = &wf["permissions"];
    assert_eq!(perms["checks"], "write", "the reporter updates a check run");
    assert_eq!(
        perms["actions"], "read",
        "the reporter reads the workflow run"
    );
    let student = "pa3-alice";
    let ws = workspace(&class_dir().join("alice-correct"));
    let stand_in = ws.path().join(ORCHESTRATE);
    std::fs::create_dir_all(stand_in.parent().unwrap()).unwrap();
    // Prints its arguments and the class it was given.
    std::fs::write(
        &stand_in,
        "#!/bin/sh\nfor a in \"$@\"; do echo \"ARG:$a\"; done\n\
         find class -mindepth 1 | sort | sed 's/^/CLASS:/'\n",
    )
    .unwrap();
    chmod(&stand_in, 0o755);
    let step = step_running(&wf, "orchestrate grade");
    let stubs = ws.path().join("stubs");
    let lines = |out: &Output, prefix: &str| -> Vec<String> {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(str::to_string)
            .collect()
    };

    let out = run_step(&wf, step, ws.path(), student, &stubs, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        lines(&out, "ARG:"),
        ["grade", "class", "--results", "grade"]
    );
    // One student, named after the repository: its files, not .git or .github.
    assert_eq!(
        lines(&out, "CLASS:"),
        [
            format!("class/{student}"),
            format!("class/{student}/client.py"),
            format!("class/{student}/server.py"),
        ]
    );

    // PA3_GRADING names a grading.yaml in the pa3-mininet checkout: it is
    // the class's.
    std::fs::remove_dir_all(ws.path().join("class")).unwrap();
    let grading = "points: {11: 15}\n";
    std::fs::create_dir_all(ws.path().join("pa3-mininet/grading")).unwrap();
    std::fs::write(ws.path().join("pa3-mininet/grading/pa3.yaml"), grading).unwrap();
    let mut with_grading = wf.clone();
    with_grading["env"]["PA3_GRADING"] = Yaml::from("grading/pa3.yaml");
    let out = run_step(&with_grading, step, ws.path(), student, &stubs, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(lines(&out, "CLASS:").contains(&"class/grading.yaml".to_string()));
    assert_eq!(
        std::fs::read_to_string(ws.path().join("class/grading.yaml")).unwrap(),
        grading
    );
}

/// `base64 --decode` of `encoded`, as JSON: the format of GitHub
/// Classroom's grading reporter, whose keys the test checks as such.
fn decode(encoded: &str, scratch: &Path) -> Value {
    let file = scratch.join("payload.b64");
    std::fs::write(&file, encoded).unwrap();
    let out = Command::new("base64")
        .arg("--decode")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// Points as the reports print them: `45`, `7.5`.
fn points(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

#[test]
#[ignore = "needs root and Mininet"]
fn the_classroom_workflow_puts_a_real_grade_in_the_summary_and_its_points_in_the_reporters_format()
{
    require_mininet();
    let _timing = timing_bound();
    let before = interfaces();
    let wf = classroom();
    let student = "pa3-bob";
    let ws = workspace(&class_dir().join("bob-connect-order"));
    let orchestrate = ws.path().join(ORCHESTRATE);
    std::fs::create_dir_all(orchestrate.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(bin("orchestrate"), &orchestrate).unwrap();
    let stubs = ws.path().join("stubs");

    let out = run_step(
        &wf,
        step_running(&wf, "orchestrate grade"),
        ws.path(),
        student,
        &stubs,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let grade = ws.path().join("grade/latest");
    let summary = grade_summary(&grade);
    let graded = &summary.students[0];
    assert_eq!(graded.student, student);

    // The job's summary: the student's report, its score first.
    let job_summary = ws.path().join("summary.md");
    let out = run_step(
        &wf,
        step_running(&wf, "GITHUB_STEP_SUMMARY"),
        ws.path(),
        student,
        &stubs,
        &[("GITHUB_STEP_SUMMARY", &job_summary)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let md = std::fs::read_to_string(&job_summary).unwrap();
    assert!(
        md.starts_with(&format!(
            "# {student} — {} / {}",
            points(graded.score),
            points(graded.max_score)
        )),
        "{md}"
    );
    assert!(md.contains("ack.order"), "bob's evidence: {md}");

    // The points: a runner per item 1-10, in the reporter's format.
    let rubric = step_running(&wf, "GITHUB_OUTPUT");
    assert_eq!(rubric["id"], "rubric");
    let outputs = ws.path().join("outputs");
    let out = run_step(
        &wf,
        rubric,
        ws.path(),
        student,
        &stubs,
        &[("GITHUB_OUTPUT", &outputs)],
    );
    assert!(out.status.success(), "{}", text(&out));
    let reporter = steps(&wf)
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("autograding-grading-reporter"))
        })
        .expect("the reporter");
    let runners: Vec<String> = reporter["with"]["runners"]
        .as_str()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let want: Vec<String> = (1..=10).map(|i| format!("item{i}")).collect();
    assert_eq!(runners, want);
    let written = std::fs::read_to_string(&outputs).unwrap();
    let cells = expected_cells(&expected(), "bob-connect-order", false);
    let (mut score, mut max) = (0.0, 0.0);
    for (i, runner) in runners.iter().enumerate() {
        // The reporter reads `<RUNNER>_RESULTS`, which the step's env fills
        // from this step's output of the runner's name.
        let env = &reporter["env"][format!("{}_RESULTS", runner.to_uppercase()).as_str()];
        assert_eq!(
            env.as_str(),
            Some(format!("${{{{ steps.rubric.outputs.{runner} }}}}").as_str()),
            "{runner}"
        );
        let encoded = written
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{runner}=")))
            .unwrap_or_else(|| panic!("no output {runner}: {written}"));
        let result = decode(encoded, ws.path());
        assert_eq!(result["version"], 1);
        let tests = result["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 1, "{result}");
        let status = if cells[i] == "pass" { "pass" } else { "fail" };
        assert_eq!(result["status"], status, "{runner}: {result}");
        assert_eq!(tests[0]["status"], status, "{runner}: {result}");
        let item = &graded.items[i];
        assert_eq!(result["max_score"], item.max_points, "{runner}");
        assert_eq!(tests[0]["score"], item.points, "{runner}");
        score += tests[0]["score"].as_f64().unwrap();
        max += result["max_score"].as_f64().unwrap();
    }
    assert!(cells.iter().any(|c| c == "fail"), "bob fails somewhere");
    // What Classroom records: the student's score, out of items 1-10
    // (11 and 12 are a person's, and score nothing here).
    assert_eq!(score, graded.score);
    let items_1_to_10: f64 = graded.items[..10].iter().map(|i| i.max_points).sum();
    assert_eq!(max, items_1_to_10);

    // The artifact: the grade's directory without its `latest` link.
    let out = run_step(
        &wf,
        step_running(&wf, "rm -f grade/latest"),
        ws.path(),
        student,
        &stubs,
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    let upload = steps(&wf)
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .unwrap();
    let path = ws.path().join(upload["with"]["path"].as_str().unwrap());
    let entries: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].ends_with("-grade"), "{entries:?}");
    assert_nothing_of_a_grade_left(&before);
}

/// `deploy/gradescope/make-zip --grading class/grading.yaml
/// pa3-autograder.zip`, as the docs show it, from a class's parent folder:
/// Gradescope's three files at the top of the zip, executable, the
/// class's grading.yaml as it was, and the source setup.sh builds.
#[test]
fn make_zip_packs_the_recipe_the_class_grading_and_the_source() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("class")).unwrap();
    let grading = "points: { 11: 15, 12: 15 }\n";
    std::fs::write(dir.path().join("class/grading.yaml"), grading).unwrap();
    let out = Command::new(manifest_dir().join("deploy/gradescope/make-zip"))
        .args(["--grading", "class/grading.yaml", "pa3-autograder.zip"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // Each entry: its name, whether its owner may run it, and for
    // grading.yaml its text.
    let listing = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             for i in z.infolist():\n\
             \x20   print(i.filename, (i.external_attr >> 16) & 0o100 != 0)\n\
             print(repr(z.read('grading.yaml').decode()))",
        )
        .arg(dir.path().join("pa3-autograder.zip"))
        .output()
        .unwrap();
    assert!(listing.status.success(), "{}", text(&listing));
    let listing = String::from_utf8(listing.stdout).unwrap();
    for entry in ["setup.sh True", "run_autograder True", "loopback.py False"] {
        assert!(
            listing.lines().any(|l| l == entry),
            "no `{entry}` in\n{listing}"
        );
    }
    for file in [
        "pa3-mininet/Cargo.toml",
        "pa3-mininet/Cargo.lock",
        "pa3-mininet/src/lib.rs",
        "pa3-mininet/src/bin/orchestrate.rs",
        "pa3-mininet/scripts/bench_server.py",
    ] {
        assert!(
            listing.lines().any(|l| l.split(' ').next() == Some(file)),
            "no {file} in\n{listing}"
        );
    }
    assert_eq!(
        listing.lines().last().unwrap(),
        format!("{grading:?}").replace('"', "'")
    );
}
