//! `pa3-bench`: the quick mode runs end to end, prints its table and
//! writes its JSON. The figures themselves are not tested (they are
//! figures); the test checks that each section was measured and says so.
//! The benchmark drives `orchestrate`, `server` and `client` from beside
//! its own binary: `cargo test` at the repository's root builds them there
//! (both packages are default members of the workspace).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Runs `pa3-bench --quick ARGS --out DIR/bench.json` from the repository's
/// root; returns the table it printed and the JSON it wrote.
fn quick_bench(args: &[&str]) -> (String, Value) {
    let dir = tempfile::Builder::new()
        .prefix("pa3-e2e-")
        .tempdir()
        .expect("a temporary directory");
    let out = dir.path().join("bench.json");
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Without CARGO in its environment `orchestrate` takes `server` and
    // `client` as cargo built them rather than running `cargo build`.
    let output = Command::new(env!("CARGO_BIN_EXE_pa3-bench"))
        .current_dir(repository)
        .env_remove("CARGO")
        .arg("--quick")
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("pa3-bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("bench.json"))
        .expect("bench.json is JSON");
    (stdout, json)
}

fn assert_common_sections(table: &str, json: &Value, backend: &str) {
    assert_eq!(json["kind"], "bench");
    assert_eq!(json["mode"], "quick");
    assert_eq!(json["backend"], backend);
    let local = json["reused"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["backend"] == "local")
        .expect("the local backend was measured");
    assert_eq!(local["runs"], local["passed"], "{local}");
    assert!(local["per_run_ms"].as_f64().unwrap() > 0.0);
    assert!(local["bare_ms"]["median"].as_f64().unwrap() > 0.0);
    let gaps = json["fidelity"]["gaps"].as_array().unwrap();
    let gap_ms: Vec<f64> = gaps.iter().map(|g| g["gap_ms"].as_f64().unwrap()).collect();
    assert_eq!(gap_ms, vec![0.0, 0.05, 0.1, 0.2, 1.0]);
    for g in gaps {
        assert_eq!(g["runs"], 20, "{g}");
        assert_eq!(
            g["server_agrees"], 20,
            "the clients' ack is the server's: {g}"
        );
    }
    assert_eq!(json["jobs"][0]["jobs"], 2);
    let ours = &json["throughput"]["ours"];
    assert!(
        ours["pairs_per_s"]["median"].as_f64().unwrap() > 0.0,
        "{ours}"
    );
    assert_eq!(ours["failed_pairs"], 0, "{ours}");
    assert!(ours["peak_rss_kib"].as_u64().unwrap() > 0, "{ours}");
    for heading in [
        "Reused network, local".to_string(),
        format!("Fidelity on {backend}"),
        format!("--jobs 2 on {backend}"),
        "Server, --rounds 0 over loopback".to_string(),
        "What the figures are:".to_string(),
    ] {
        assert!(table.contains(&heading), "no {heading:?} in\n{table}");
    }
}

#[test]
fn quick_mode_on_the_local_backend_prints_a_table_and_writes_json() {
    let (table, json) = quick_bench(&["--backend", "local"]);
    assert_common_sections(&table, &json, "local");
    assert!(json["fresh"].is_null(), "no Mininet floor on local");
    assert_eq!(json["reused"].as_array().unwrap().len(), 1);
    assert!(!table.contains("Fresh network"), "{table}");
    let notes = json["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("--backend local")),
        "the notes say what was not measured: {notes:?}"
    );
}

#[test]
#[ignore = "needs root and Mininet"]
fn quick_mode_on_mininet_measures_the_floor_and_a_reused_network() {
    let (table, json) = quick_bench(&[]);
    assert_common_sections(&table, &json, "mininet");
    let fresh = &json["fresh"];
    assert_eq!(fresh["floor_ms"]["n"], 2, "{fresh}");
    assert!(fresh["ratio"].as_f64().unwrap() > 0.0);
    let mininet = &json["reused"][0];
    assert_eq!(mininet["backend"], "mininet");
    assert_eq!(mininet["runs"], mininet["passed"], "{mininet}");
    assert!(table.contains("Fresh network: Mininet's floor"), "{table}");
}
