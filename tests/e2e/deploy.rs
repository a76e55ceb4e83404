//! The recipes in `deploy/`, without the engines that run them: each
//! recipe's shard expression is taken from the file and carried out for N
//! shards — the Slurm recipe as the script it is, the Actions step and the
//! Kubernetes container command by the shell they name — against a stand-in
//! `orchestrate` that prints its arguments; the K values must be exactly
//! 1..N. The Slurm recipe also runs for real on loopback, task by task as
//! Slurm would start them, and is merged and compared with the whole batch.
//! (On a real Slurm cluster: `slurm.rs`. Syntax against each format's own
//! schema: `scripts/lint-deploy`.)

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value as Yaml;

use crate::orchestrate::CASE2_WRONG;
use crate::support::{
    batch_runs, batch_summary, bin, junit_testcases, manifest_dir, orchestrate, read_as, tempdir,
    write_scenario, SLURM_RECIPE,
};
use pa3_mininet::orchestrator::record::batch::BatchSummary;

/// A stand-in for orchestrate (or sudo) at `path`: prints `ARG:<arg>` for
/// each argument and `CWD:<dir>`.
fn stand_in(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        path,
        "#!/bin/sh\necho \"CWD:$(pwd)\"\nfor a in \"$@\"; do echo \"ARG:$a\"; done\n",
    )
    .unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A `sudo` that just runs its command (on PATH before the real one).
fn sudo_stand_in(dir: &Path) {
    let path = dir.join("sudo");
    std::fs::write(&path, "#!/bin/sh\nexec \"$@\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// What the stand-in was given.
fn args_given(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("ARG:"))
        .map(str::to_string)
        .collect()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The value after `--shard` in arguments, as (K, N).
fn shard_of(args: &[String]) -> (u32, u32) {
    let i = args
        .iter()
        .position(|a| a == "--shard")
        .unwrap_or_else(|| panic!("no --shard in {args:?}"));
    let (k, n) = args[i + 1].split_once('/').expect("--shard K/N");
    (k.parse().unwrap(), n.parse().unwrap())
}

// ---------------------------------------------------------------------------
// Slurm: the script, as a task of an array started with `--array=1-N`

/// Task `k` of an array of `n` (`--array=1-N`), run as Slurm runs it: the
/// recipe under bash in the submit directory `submit`, with the variables
/// Slurm sets, plus `env`.
fn slurm_task(submit: &Path, k: u32, n: u32, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(manifest_dir().join(SLURM_RECIPE))
        .args(args)
        .current_dir(submit)
        .env_remove("CARGO")
        .env_remove("PA3_RESULTS")
        .env_remove("PA3_SHARDS")
        .env_remove("PA3_ORCHESTRATE")
        .env("SLURM_SUBMIT_DIR", submit)
        .env("SLURM_ARRAY_TASK_ID", k.to_string())
        .env("SLURM_ARRAY_TASK_COUNT", n.to_string())
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_MAX", n.to_string());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_slurm_recipe_gives_task_k_of_n_shard_k_of_n_and_passes_the_arguments_through() {
    let submit = tempdir();
    // The default program: target/release/orchestrate in the submit directory.
    stand_in(&submit.path().join("target/release/orchestrate"));
    for n in [1, 3, 4] {
        let mut ks = Vec::new();
        for k in 1..=n {
            let out = slurm_task(submit.path(), k, n, &["grade", "class/"], &[]);
            assert!(out.status.success(), "{}", text(&out));
            let args = args_given(&out);
            assert_eq!(
                args,
                [
                    "grade".to_string(),
                    "class/".into(),
                    "--shard".into(),
                    format!("{k}/{n}"),
                    "--results".into(),
                    format!("results/shard-{k}"),
                ]
            );
            let (got_k, got_n) = shard_of(&args);
            assert_eq!(got_n, n);
            ks.push(got_k);
        }
        assert_eq!(ks, (1..=n).collect::<Vec<_>>());
    }
    // PA3_RESULTS moves the shards; PA3_SHARDS gives N to a lone task.
    let mut lone = Command::new("bash");
    lone.arg(manifest_dir().join(SLURM_RECIPE))
        .arg("experiments/")
        .current_dir(submit.path())
        .env("SLURM_SUBMIT_DIR", submit.path())
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "1")
        .env("SLURM_ARRAY_TASK_MIN", "2")
        .env("SLURM_ARRAY_TASK_MAX", "2")
        .env("PA3_SHARDS", "4")
        .env("PA3_RESULTS", "/somewhere/else")
        .env_remove("PA3_ORCHESTRATE");
    let out = lone.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let args = args_given(&out);
    assert_eq!(shard_of(&args), (2, 4));
    assert_eq!(args.last().unwrap(), "/somewhere/else/shard-2");
}

#[test]
fn the_slurm_recipe_refuses_what_it_cannot_run_and_says_why() {
    let submit = tempdir();
    // (what, PA3_ORCHESTRATE or none, arguments, what the recipe says)
    let cases: &[(&str, Option<&str>, &[&str], &str)] = &[
        (
            "no binary",
            None,
            &["experiments/"],
            "is missing: run `cargo build --release`",
        ),
        (
            "no arguments",
            Some("/bin/true"),
            &[],
            "no orchestrate arguments",
        ),
        (
            "its own --shard",
            Some("/bin/true"),
            &["--shard", "1/2", "experiments/"],
            "the recipe gives --shard and --results itself",
        ),
        (
            "its own --results",
            Some("/bin/true"),
            &["--results=x", "experiments/"],
            "set PA3_RESULTS",
        ),
    ];
    for (what, program, args, says) in cases {
        let env: Vec<(&str, &str)> = program.iter().map(|p| ("PA3_ORCHESTRATE", *p)).collect();
        let out = slurm_task(submit.path(), 1, 2, args, &env);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        assert!(text(&out).contains(says), "{what}: {}", text(&out));
    }

    // An array that is not 1-N: `--array=2` alone, `--array=0-2`.
    let run = |k: &str, min: &str, max: &str, count: &str| {
        Command::new("bash")
            .arg(manifest_dir().join(SLURM_RECIPE))
            .arg("experiments/")
            .current_dir(submit.path())
            .env("PA3_ORCHESTRATE", "/bin/true")
            .env_remove("PA3_SHARDS")
            .env("SLURM_ARRAY_TASK_ID", k)
            .env("SLURM_ARRAY_TASK_MIN", min)
            .env("SLURM_ARRAY_TASK_MAX", max)
            .env("SLURM_ARRAY_TASK_COUNT", count)
            .output()
            .unwrap()
    };
    let out = run("2", "2", "2", "1");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--export=ALL,PA3_SHARDS=N"),
        "{}",
        text(&out)
    );
    let out = run("0", "0", "2", "3");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("the array is not 1-N"),
        "{}",
        text(&out)
    );

    // Not an array task at all.
    let out = Command::new("bash")
        .arg(manifest_dir().join(SLURM_RECIPE))
        .arg("experiments/")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("sbatch --array=1-N"), "{}", text(&out));
}

/// The orchestrate under test, for the recipe.
fn orchestrate_path() -> String {
    bin("orchestrate").to_string_lossy().into_owned()
}

#[test]
fn the_slurm_recipe_on_loopback_merges_into_the_batch_run_whole_and_a_rerun_replaces_only_its_shard(
) {
    let scratch = tempdir();
    let results = scratch.path().join("results");
    let env = [
        ("PA3_ORCHESTRATE", orchestrate_path()),
        ("PA3_RESULTS", results.to_string_lossy().into_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = ["--backend", "local", "--filter", "case", "experiments/"];
    for k in 1..=3 {
        let out = slurm_task(manifest_dir(), k, 3, &args, &env);
        assert_eq!(out.status.code(), Some(0), "task {k}: {}", text(&out));
    }
    let shards: Vec<PathBuf> = (1..=3)
        .map(|k| results.join(format!("shard-{k}")))
        .collect();
    let merged = results.join("merged");
    orchestrate()
        .args(["merge", "--out"])
        .arg(&merged)
        .args(&shards)
        .output()
        .map(|o| assert!(o.status.success(), "merge: {}", text(&o)))
        .unwrap();

    let whole = scratch.path().join("whole");
    let out = orchestrate()
        .args(["--quiet", "--results"])
        .arg(&whole)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let m: BatchSummary = read_as(&merged.join("summary.json"));
    let w = batch_summary(&whole);
    assert_eq!(batch_runs(&m).len(), 3);
    assert_eq!(batch_runs(&m), batch_runs(&w));
    assert_eq!(
        junit_testcases(&merged.join("junit.xml")),
        junit_testcases(&whole.join("latest/junit.xml"))
    );

    // Task 2 again: shard 2 holds its new batch alone; 1 and 3 are as they were.
    let listing = |dir: &Path| -> BTreeMap<String, PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name, std::fs::read_link(e.path()).unwrap_or_default())
            })
            .collect()
    };
    let before: Vec<_> = shards.iter().map(|s| listing(s)).collect();
    let mut env2 = env.clone();
    env2.push(("PA3_SHARDS", "3"));
    let out = slurm_task(manifest_dir(), 2, 1, &args, &env2);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after: Vec<_> = shards.iter().map(|s| listing(s)).collect();
    assert_eq!((&after[0], &after[2]), (&before[0], &before[2]));
    assert_ne!(after[1], before[1]);
    assert_eq!(after[1].len(), 2, "{:?}", after[1]);
    assert_eq!(
        PathBuf::from(after[1].keys().find(|n| *n != "latest").unwrap()),
        after[1]["latest"]
    );
}

#[test]
fn a_slurm_task_exits_with_orchestrates_exit_code() {
    let scratch = tempdir();
    write_scenario(scratch.path(), "wrong.yaml", CASE2_WRONG);
    let results = scratch.path().join("results");
    let out = slurm_task(
        manifest_dir(),
        1,
        1,
        &["--backend", "local", scratch.path().to_str().unwrap()],
        &[
            ("PA3_ORCHESTRATE", &orchestrate_path()),
            ("PA3_RESULTS", results.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

// ---------------------------------------------------------------------------
// GitHub Actions: a matrix of shards, then a merge

fn yaml(path: &str) -> Yaml {
    let text = std::fs::read_to_string(manifest_dir().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every document of a multi-document YAML file.
fn yaml_documents(path: &str) -> Vec<Yaml> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(manifest_dir().join(path)).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| Yaml::deserialize(d).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

fn str_of(v: &Yaml) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// `${{ expr }}` in `text`, with the values of the matrix job `k` of `n`;
/// any other expression fails the test (the test would not know its value).
fn github_expressions(text: &str, k: u32, n: u32) -> String {
    let re = regex::Regex::new(r"\$\{\{\s*([^}]*?)\s*\}\}").unwrap();
    re.replace_all(text, |c: &regex::Captures| match &c[1] {
        "matrix.shard" => k.to_string(),
        "strategy.job-total" => n.to_string(),
        "strategy.job-index" => (k - 1).to_string(),
        other => panic!("an expression this test cannot evaluate: {other}"),
    })
    .into_owned()
}

#[test]
fn the_actions_workflow_runs_shards_1_to_n_and_merges_them_all() {
    let wf = yaml("deploy/github-actions.yml");
    let jobs = &wf["jobs"];
    let shard = &jobs["shard"];
    let matrix = shard["strategy"]["matrix"].as_mapping().unwrap();
    assert_eq!(
        matrix.len(),
        1,
        "the matrix has only `shard`, so that strategy.job-total is N"
    );
    let values: Vec<u32> = matrix[&Yaml::from("shard")]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let n = values.len() as u32;
    assert_eq!(values, (1..=n).collect::<Vec<_>>());
    assert!(n <= 256, "a matrix holds at most 256 jobs");
    assert_eq!(shard["strategy"]["fail-fast"], Yaml::Bool(false));

    let steps = shard["steps"].as_sequence().unwrap();
    let step = steps
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("--shard")))
        .expect("a step runs a shard");
    let dir = tempdir();
    stand_in(&dir.path().join("target/release/orchestrate"));
    let stubs = dir.path().join("stubs");
    std::fs::create_dir(&stubs).unwrap();
    sudo_stand_in(&stubs);
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap());
    let mut ks = Vec::new();
    for &k in &values {
        // As the runner does: `bash -e` over the step, its env evaluated.
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(github_expressions(str_of(&step["run"]), k, n))
            .current_dir(dir.path())
            .env("PATH", &path);
        if let Some(env) = step["env"].as_mapping() {
            for (name, value) in env {
                let value = match value {
                    Yaml::String(s) => github_expressions(s, k, n),
                    v => serde_yaml::to_string(v).unwrap().trim().to_string(),
                };
                cmd.env(str_of(name), value);
            }
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "shard {k}: {}", text(&out));
        let args = args_given(&out);
        assert_eq!(shard_of(&args), (k, n), "{args:?}");
        let results = &args[args.iter().position(|a| a == "--results").unwrap() + 1];
        assert_eq!(results, &format!("results/shard-{k}"));
        ks.push(k);
    }
    assert_eq!(ks, (1..=n).collect::<Vec<_>>());

    // Each shard's results are uploaded under its own name, even when a
    // check failed; the merge runs after every shard, failed or not, and
    // merges what was downloaded.
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("the shard's results are uploaded");
    assert_eq!(
        github_expressions(str_of(&upload["with"]["name"]), 2, n),
        "shard-2"
    );
    assert!(str_of(&upload["if"]).contains("!cancelled()"));
    let merge = &jobs["merge"];
    assert_eq!(merge["needs"], Yaml::from("shard"));
    assert!(str_of(&merge["if"]).contains("!cancelled()"));
    let merge_steps = merge["steps"].as_sequence().unwrap();
    assert!(merge_steps
        .iter()
        .any(|s| s["with"]["pattern"] == "shard-*"));
    assert!(merge_steps.iter().any(|s| s["run"]
        .as_str()
        .is_some_and(|r| r.contains("orchestrate merge --out results/merged results/shard-*/"))));
}

// ---------------------------------------------------------------------------
// Kubernetes: an Indexed Job of privileged pods, then a merge Job

#[test]
fn the_kubernetes_job_gives_index_i_shard_i_plus_1_of_n_in_a_privileged_pod() {
    let docs = yaml_documents("deploy/k8s-indexed-job.yaml");
    let job = docs.iter().find(|d| d["kind"] == "Job").expect("a Job");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], Yaml::from("Indexed"));
    let n = spec["completions"].as_u64().unwrap() as u32;
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], Yaml::from("Never"));
    let containers = pod["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert_eq!(c["securityContext"]["privileged"], Yaml::Bool(true));
    // The failure policy names this container.
    for rule in spec["podFailurePolicy"]["rules"].as_sequence().unwrap() {
        assert_eq!(rule["onExitCodes"]["containerName"], c["name"]);
    }
    let env: BTreeMap<String, String> = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (str_of(&e["name"]).into(), str_of(&e["value"]).into()))
        .collect();
    assert_eq!(
        env["SHARDS"],
        n.to_string(),
        "SHARDS must equal completions"
    );
    let mount = str_of(&c["volumeMounts"][0]["mountPath"]).to_string();

    // The container's command, under its shell, for every index.
    let argv: Vec<String> = c["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(c["args"].as_sequence().unwrap())
        .map(|v| str_of(v).to_string())
        .collect();
    let dir = tempdir();
    stand_in(&dir.path().join("orchestrate"));
    let mut ks = Vec::new();
    for index in 0..n {
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    dir.path().display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .envs(&env)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "index {index}: {}", text(&out));
        let args = args_given(&out);
        let (k, got_n) = shard_of(&args);
        assert_eq!((k, got_n), (index + 1, n), "{args:?}");
        assert_eq!(args.last().unwrap(), &format!("{mount}/shard-{k}"));
        ks.push(k);
    }
    assert_eq!(ks, (1..=n).collect::<Vec<_>>());

    // The merge reads the same volume, from the same image.
    let merge = &yaml_documents("deploy/k8s-merge-job.yaml")[0];
    let mc = &merge["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(mc["image"], c["image"]);
    assert_eq!(
        mc["volumeMounts"][0]["mountPath"],
        Yaml::from(mount.as_str())
    );
    assert_eq!(
        merge["spec"]["template"]["spec"]["volumes"], pod["volumes"],
        "the merge mounts the shards' volume"
    );
    assert!(str_of(&mc["args"][0]).contains(&format!(
        "orchestrate merge --out {mount}/merged {mount}/shard-*"
    )));
}

#[test]
fn the_image_holds_what_the_kubernetes_job_runs() {
    let text = std::fs::read_to_string(manifest_dir().join("deploy/Containerfile")).unwrap();
    // orchestrate finds server and client beside itself, and is on PATH.
    let copy = text
        .lines()
        .find(|l| l.starts_with("COPY --from=build") && l.contains("orchestrate"))
        .expect("the image copies the binaries");
    for b in ["orchestrate", "server", "client"] {
        assert!(copy.contains(&format!("/target/release/{b} ")), "{copy}");
    }
    assert!(copy.ends_with(" /usr/local/bin/"), "{copy}");
    // The Job's working directory holds the experiments and the peers they run.
    let docs = yaml_documents("deploy/k8s-indexed-job.yaml");
    let job = docs.iter().find(|d| d["kind"] == "Job").unwrap();
    let workdir = str_of(&job["spec"]["template"]["spec"]["containers"][0]["workingDir"]);
    assert!(
        text.contains(&format!("WORKDIR {workdir}\n")),
        "WORKDIR {workdir}"
    );
    for dir in ["experiments", "tests/peers"] {
        assert!(text.contains(&format!("COPY {dir} {dir}\n")), "{dir}");
    }
    // Mininet and what orchestrate's Mininet backend calls.
    for pkg in ["mininet", "bridge-utils", "iproute2", "util-linux"] {
        assert!(text.contains(pkg), "{pkg}");
    }
}
