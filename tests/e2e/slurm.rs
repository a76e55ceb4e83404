//! The Slurm recipe on a real cluster: `deploy/slurm.sbatch` submitted as
//! the README shows, on the one-node cluster of `scripts/slurm-up`, waited
//! for with a dependent job, merged, and compared with the same batch run
//! whole.
//!
//! These tests are `#[ignore = "needs root, Mininet and Slurm"]` (or
//! without Mininet); [`require_slurm`] fails them, saying why, where Slurm
//! is missing, and otherwise brings the cluster up. Every wait has a
//! deadline, and a test that fails cancels its jobs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::orchestrate::CASE2_WRONG;
use crate::support::{
    assert_no_interface_of_a_finished_run, batch_owner, batch_runs, batch_summary, bin,
    grade_summary, interfaces, junit_testcases, orchestrate, processes_of_run, read_as,
    require_mininet, require_slurm, shared_tempdir, timing_bound, write_scenario, SlurmJob,
    SlurmTask,
};
use pa3_mininet::orchestrator::record::batch::BatchSummary;

/// `srun --dependency=afterany:JOB orchestrate merge --out OUT SHARDS...`,
/// the README's wait-and-merge.
fn merge_after(job: &SlurmJob, out: &Path, shards: &[PathBuf]) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec!["merge".as_ref(), "--out".as_ref(), out.as_os_str()];
    args.extend(shards.iter().map(|s| s.as_os_str()));
    job.run_after(&bin("orchestrate"), &args)
}

/// The shards' result directories of an array of `n` tasks.
fn shard_dirs(results: &Path, n: u32) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| results.join(format!("shard-{k}")))
        .collect()
}

/// The task logs of a job, for a failure message.
fn task_logs(dir: &Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("slurm-") {
            text += &format!(
                "--- {name}\n{}",
                std::fs::read_to_string(e.path()).unwrap_or_default()
            );
        }
    }
    text
}

/// Nothing of the job is left on the node: no task in the queue, no
/// process carrying its id, none carrying a task's run mark, no state
/// file of a task's orchestrate, no interface in the machine's namespace.
fn assert_nothing_left(job: &SlurmJob, shards: &[PathBuf], interfaces_before: &[String]) {
    job.wait();
    assert_eq!(job.processes_left(), vec![], "processes of job {}", job.id);
    for shard in shards {
        let pid = batch_owner(shard);
        assert_eq!(
            processes_of_run(pid),
            vec![],
            "processes of {}",
            shard.display()
        );
        let state = Path::new("/run/pa3-mininet");
        let leftovers: Vec<String> = std::fs::read_dir(state)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&format!("{pid}-")))
            .collect();
        assert_eq!(leftovers, Vec::<String>::new(), "state files of {pid}");
    }
    assert_no_interface_of_a_finished_run(interfaces_before);
}

#[test]
#[ignore = "needs root, Mininet and Slurm"]
fn three_array_tasks_on_mininet_merge_into_the_batch_run_whole() {
    require_mininet();
    require_slurm();
    let scratch = shared_tempdir();
    let results = scratch.path().join("results");
    let before = interfaces();

    let t0 = Instant::now();
    let output = format!("--output={}/slurm-%A_%a.out", scratch.path().display());
    let job = SlurmJob::submit(
        &["--array=1-3", &output],
        &["experiments/"],
        &[
            ("PA3_RESULTS", &results),
            ("PA3_ORCHESTRATE", &bin("orchestrate")),
        ],
    );
    let shards = shard_dirs(&results, 3);
    let merged = results.join("merged");
    let merge = merge_after(&job, &merged, &shards);
    let sharded = t0.elapsed();
    let logs = task_logs(scratch.path());
    assert!(
        merge.status.success(),
        "the merge failed ({}):\n{}{}\n{logs}",
        merge.status,
        String::from_utf8_lossy(&merge.stdout),
        String::from_utf8_lossy(&merge.stderr)
    );
    let ok = |task| SlurmTask {
        task,
        state: "COMPLETED".into(),
        exit_code: "0:0".into(),
    };
    assert_eq!(job.tasks(), vec![ok(1), ok(2), ok(3)], "{logs}");
    for (k, shard) in shards.iter().enumerate() {
        let s = batch_summary(shard);
        assert_eq!(s.shards, [format!("{}/3", k + 1)]);
    }
    assert_nothing_left(&job, &shards, &before);

    let whole = scratch.path().join("whole");
    let t1 = Instant::now();
    let out = orchestrate()
        .args(["--quiet", "--results"])
        .arg(&whole)
        .arg("experiments/")
        .output()
        .unwrap();
    let unsharded = t1.elapsed();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the batch run whole failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "three-task array, waited for and merged: {:.1} s; the same batch run whole: {:.1} s",
        sharded.as_secs_f64(),
        unsharded.as_secs_f64()
    );

    let m: BatchSummary = read_as(&merged.join("summary.json"));
    let w = batch_summary(&whole);
    assert_eq!(batch_runs(&m), batch_runs(&w));
    assert_eq!(m.totals, w.totals);
    assert_eq!(m.plan_size, w.plan_size);
    let cases = junit_testcases(&merged.join("junit.xml"));
    assert!(cases.len() > 8, "{cases:?}");
    assert_eq!(cases, junit_testcases(&whole.join("latest/junit.xml")));
}

#[test]
#[ignore = "needs root and Slurm"]
fn a_failed_check_fails_its_task_and_a_resubmitted_task_replaces_only_its_shard() {
    require_slurm();
    let scratch = shared_tempdir();
    let scenarios = scratch.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    write_scenario(&scenarios, "wrong.yaml", CASE2_WRONG);
    let results = scratch.path().join("results");
    let output = format!("--output={}/slurm-%A_%a.out", scratch.path().display());
    let env = [
        ("PA3_RESULTS", results.as_path()),
        ("PA3_ORCHESTRATE", &bin("orchestrate")),
    ];
    let scenarios_arg = scenarios.to_string_lossy().into_owned();
    let args = ["--backend", "local", scenarios_arg.as_str()];

    // One scenario in two shards: one task runs it and fails its check,
    // the other runs nothing and passes.
    let job = SlurmJob::submit(&["--array=1-2", &output], &args, &env);
    job.wait();
    let logs = task_logs(scratch.path());
    let shards = shard_dirs(&results, 2);
    let runs = |k: usize| batch_summary(&shards[k - 1]).runs.len();
    let failing = if runs(1) == 1 { 1 } else { 2 };
    assert_eq!(runs(1) + runs(2), 1, "{logs}");
    let tasks = job.tasks();
    for t in &tasks {
        let (state, code) = if t.task as usize == failing {
            ("FAILED", "3:0")
        } else {
            ("COMPLETED", "0:0")
        };
        assert_eq!(
            (t.state.as_str(), t.exit_code.as_str()),
            (state, code),
            "{t:?}\n{logs}"
        );
    }
    assert_eq!(tasks.len(), 2);

    // Re-submitted, as the README says: only its shard changes.
    let listing = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let other = &shards[2 - failing];
    let other_before = (
        listing(other),
        std::fs::read_link(other.join("latest")).unwrap(),
    );
    let old = std::fs::read_link(shards[failing - 1].join("latest")).unwrap();
    let again = SlurmJob::submit(
        &[
            &format!("--array={failing}"),
            "--export=ALL,PA3_SHARDS=2",
            &output,
        ],
        &args,
        &env,
    );
    again.wait();
    let tasks = again.tasks();
    assert_eq!(
        tasks,
        vec![SlurmTask {
            task: failing as u32,
            state: "FAILED".into(),
            exit_code: "3:0".into()
        }],
        "{}",
        task_logs(scratch.path())
    );
    let new = std::fs::read_link(shards[failing - 1].join("latest")).unwrap();
    assert_ne!(new, old);
    assert_eq!(
        listing(&shards[failing - 1]),
        vec![new.to_string_lossy().into_owned(), "latest".to_string()]
    );
    assert_eq!(
        (
            listing(other),
            std::fs::read_link(other.join("latest")).unwrap()
        ),
        other_before
    );

    // The merge says the batch failed a check.
    let merge = merge_after(&again, &results.join("merged"), &shards);
    assert_eq!(
        merge.status.code(),
        Some(3),
        "{}{}",
        String::from_utf8_lossy(&merge.stdout),
        String::from_utf8_lossy(&merge.stderr)
    );
    assert_eq!(job.processes_left(), vec![]);
    assert_eq!(again.processes_left(), vec![]);
}

#[test]
#[ignore = "needs root, Mininet and Slurm"]
fn a_class_graded_by_an_array_merges_into_the_gradebook_graded_whole() {
    require_mininet();
    require_slurm();
    let _timing = timing_bound();
    let scratch = shared_tempdir();
    let class = scratch.path().join("class");
    for student in ["alice-correct", "bob-connect-order", "carol-early-greeting"] {
        let from = crate::support::manifest_dir()
            .join("tests/class")
            .join(student);
        std::fs::create_dir_all(class.join(student)).unwrap();
        for file in ["server.py", "client.py"] {
            std::fs::copy(from.join(file), class.join(student).join(file)).unwrap();
        }
    }
    let results = scratch.path().join("results");
    let before = interfaces();
    let output = format!("--output={}/slurm-%A_%a.out", scratch.path().display());
    let class_arg = class.to_string_lossy().into_owned();
    let job = SlurmJob::submit(
        &["--array=1-2", &output],
        &["grade", &class_arg],
        &[
            ("PA3_RESULTS", &results),
            ("PA3_ORCHESTRATE", &bin("orchestrate")),
        ],
    );
    let shards = shard_dirs(&results, 2);
    let merged = results.join("merged");
    let merge = merge_after(&job, &merged, &shards);
    let logs = task_logs(scratch.path());
    assert!(
        merge.status.success(),
        "the merge failed ({}):\n{}{}\n{logs}",
        merge.status,
        String::from_utf8_lossy(&merge.stdout),
        String::from_utf8_lossy(&merge.stderr)
    );
    let ok = |task| SlurmTask {
        task,
        state: "COMPLETED".into(),
        exit_code: "0:0".into(),
    };
    assert_eq!(job.tasks(), vec![ok(1), ok(2)], "{logs}");
    job.wait();
    assert_eq!(job.processes_left(), vec![], "processes of job {}", job.id);
    assert_no_interface_of_a_finished_run(&before);

    let whole = scratch.path().join("whole");
    let out = orchestrate()
        .args(["grade", "--quiet", "--results"])
        .arg(&whole)
        .arg(&class)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = |dir: &Path| std::fs::read_to_string(dir.join("gradebook.csv")).unwrap();
    assert_eq!(csv(&merged), csv(&whole.join("latest")));
    assert_eq!(csv(&merged).lines().count(), 1 + 3);
    let m = grade_summary(&merged);
    assert_eq!(m.shards.len(), 2);
}
