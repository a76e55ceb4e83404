//! The everyday command line: messages that say what is wrong and what to
//! do, help with examples and exit codes, and output in the order things
//! happened. Each test asserts the exact message and exit code a user sees.

use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;

use crate::support::{bin, experiment, is_root, orchestrate, tempdir, write_scenario};

const CASE: &str = "clients:\n  - { id: a, host: h2, name: Alice }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 50}, {send: a} ]\n";

#[test]
fn a_mistyped_command_gets_a_suggestion_not_a_file_error() {
    orchestrate()
        .args(["valdate", "experiments/"])
        .assert()
        .code(2)
        .stderr(
            "error: unrecognized command \"valdate\": did you mean `validate`? (or give a scenario file or directory; see --help)\n",
        );
}

#[test]
fn the_former_bench_command_points_to_the_benchmark_program() {
    orchestrate()
        .arg("bench")
        .assert()
        .code(2)
        .stderr(
            "error: the benchmark is a program of its own: `sudo scripts/bench` builds and runs it (`--help` for its options)\n",
        );
}

#[test]
fn a_program_that_does_not_exist_is_an_error_of_the_scenario() {
    let dir = tempdir();
    let file = write_scenario(
        dir.path(),
        "missing.yaml",
        &format!("server:\n  host: h1\n  cmd: [./student/server.py, \"{{port}}\"]\n{CASE}"),
    );
    let results = dir.path().join("results");
    orchestrate()
        .args(["--backend", "local", "--results"])
        .arg(&results)
        .arg(&file)
        .assert()
        .code(2)
        .stdout("")
        .stderr(format!(
            "{}:3:8: server.cmd: \"./student/server.py\" does not exist (a path in cmd is relative to the scenario's directory, {}/)\nerror: invalid scenario: nothing was run\n",
            file.display(),
            dir.path().display()
        ));
    assert!(!results.exists(), "nothing was run, nothing written");
    // `validate` says the same.
    orchestrate()
        .arg("validate")
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "server.cmd: \"./student/server.py\" does not exist",
        ));
    let on_path = write_scenario(
        dir.path(),
        "not-on-path.yaml",
        &format!("server: {{ host: h1, cmd: [pa3-no-such-server] }}\n{CASE}"),
    );
    orchestrate()
        .arg("validate")
        .arg(&on_path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "server.cmd: no program \"pa3-no-such-server\" on PATH: give its path (relative to",
        ));
}

#[test]
fn our_programs_can_be_named_without_a_path() {
    let dir = tempdir();
    let file = write_scenario(
        dir.path(),
        "ours.yaml",
        "server:\n  host: h1\n  cmd: [server, --bind, \"{server_ip}\", --port, \"{port}\"]\nclients:\n  - { id: a, host: h2, name: Alice, cmd: [client, --server, \"{server_ip}\", --port, \"{port}\"] }\n  - { id: b, host: h3, name: Bob }\nsteps: [ {connect: a}, {connect: b}, {send: b}, {sleep_ms: 50}, {send: a} ]\n",
    );
    orchestrate()
        .args(["--backend", "local", "--quiet", "--results"])
        .arg(dir.path().join("results"))
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASS ours"));
}

#[test]
fn bandwidth_on_the_local_backend_is_said_to_have_no_effect() {
    let dir = tempdir();
    orchestrate()
        .args(["--backend", "local", "--quiet", "--results"])
        .arg(dir.path())
        .arg("experiments/bandwidth.yaml")
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "note: experiments/bandwidth.yaml: bw_mbit shapes Mininet's links only; on the local backend (loopback) it has no effect",
        ));
}

#[test]
fn every_help_shows_an_example_and_the_exit_codes() {
    for (program, args) in [
        ("orchestrate", vec!["--help"]),
        ("orchestrate", vec!["run", "--help"]),
        ("orchestrate", vec!["validate", "--help"]),
        ("orchestrate", vec!["topo", "--help"]),
        ("orchestrate", vec!["up", "--help"]),
        ("server", vec!["--help"]),
        ("client", vec!["--help"]),
    ] {
        let out = Command::new(bin(program)).args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{program} {args:?}");
        assert!(
            text.contains("Example") && text.contains("Exit codes"),
            "{program} {args:?}:\n{text}"
        );
    }
}

#[test]
fn server_bind_takes_a_host_name() {
    let mut server = Command::new(bin("server"))
        .args(["--bind", "localhost", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(line.starts_with("listening on 127.0.0.1:"), "{line}");
}

#[test]
fn a_privileged_port_without_root_says_why() {
    if is_root() {
        // As root the port binds; run the same as `nobody`.
        let out = Command::new("runuser")
            .args(["-u", "nobody", "--"])
            .arg(bin_copy_for_nobody())
            .args(["--port", "80"])
            .output()
            .unwrap();
        assert_privileged_message(out);
    } else {
        let out = Command::new(bin("server"))
            .args(["--port", "80"])
            .output()
            .unwrap();
        assert_privileged_message(out);
    }
}

fn assert_privileged_message(out: std::process::Output) {
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot listen on 0.0.0.0:80: Permission denied (os error 13); ports below 1024 need root: use a port from 1024 up (the default is 12000), or run with sudo\n"
    );
}

/// The server binary where `nobody` can run it (the build directory may be
/// closed to other users).
fn bin_copy_for_nobody() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pa3-e2e-nobody-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("server");
    std::fs::copy(bin("server"), &copy).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for (p, mode) in [(&dir, 0o755), (&copy, 0o755)] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    copy
}

/// The orchestrator's and the programs' lines come in the order they
/// happened, and each program's exit is its last line, in the terminal and
/// in its log.
#[test]
fn live_output_and_logs_are_in_time_order_and_an_exit_is_last() {
    let dir = tempdir();
    let out = orchestrate()
        .args(["--backend", "local", "--results"])
        .arg(dir.path())
        .arg(experiment("case2.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let times: Vec<u64> = stdout
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .next()?
                .strip_suffix("ms")?
                .parse()
                .ok()
        })
        .collect();
    assert!(times.len() > 20, "{stdout}");
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "out of order:\n{stdout}"
    );
    for log in ["server.log", "a.log", "b.log"] {
        let text = std::fs::read_to_string(dir.path().join("latest").join(log)).unwrap();
        let last = text.lines().last().unwrap();
        assert!(last.contains(" end | exited with code 0"), "{log}:\n{text}");
        let stamps: Vec<f64> = text
            .lines()
            .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
            .collect();
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{log}:\n{text}");
    }
    // What our client prints before it reads its name comes before the name.
    let b = std::fs::read_to_string(dir.path().join("latest/b.log")).unwrap();
    let prompt = b.find("Enter message to send to server:").unwrap();
    let typed = b.find("in  | Bob").unwrap();
    assert!(prompt < typed, "{b}");
}
