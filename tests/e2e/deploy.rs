//! The recipes in `deploy/`, without the engines that run them: the Slurm
//! recipe is run as the script it is, with the variables Slurm sets, against
//! a stand-in `orchestrate` that prints its arguments; for N tasks the K
//! values must be exactly 1..N. It also runs for real on loopback, task by
//! task as Slurm would start them, and is merged and compared with the
//! whole batch.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::orchestrate::CASE2_WRONG;
use crate::support::{
    batch_runs, batch_summary, bin, junit_testcases, manifest_dir, orchestrate, summary, tempdir,
    write_scenario, SLURM_RECIPE,
};

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
    let (m, w) = (batch_summary(&merged), summary(&whole));
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
