use super::*;

fn samples(v: &[f64]) -> Samples {
    Samples::of(v)
}

/// A report with every section, figures as a full run might give them.
fn sample() -> BenchReport {
    let figures = |rate: f64, cpu: f64, rss: u64| ServerFigures {
        command: "server --rounds 0".into(),
        pairs_per_s: samples(&[rate, rate + 10.0, rate - 10.0]),
        server_cpu_us_per_pair: samples(&[cpu]),
        generator_cpu_us_per_pair: samples(&[40.0]),
        pair_latency_us: Spread {
            n: 3,
            p50: 250.0,
            p99: 900.0,
            max: 1200.0,
        },
        peak_rss_kib: rss,
        failed_pairs: 0,
        first_error: None,
    };
    BenchReport {
        schema_version: BENCH_SCHEMA_VERSION,
        kind: "bench".into(),
        mode: "full".into(),
        backend: "mininet".into(),
        started_utc: "2026-12-02T08:00:00.000Z".into(),
        duration_s: 312.5,
        machine: Machine {
            kernel: "Linux 6.18.44".into(),
            cpus: 2,
            build: "release".into(),
            cpu_pressure_start: Some(97.2),
            cpu_pressure_end: Some(98.0),
            load_average_start: Some(9.6),
            load_average_end: Some(8.1),
        },
        fresh: Some(Fresh {
            scenario: "experiments/simultaneous.yaml".into(),
            floor_command: "mn --switch lxbr --controller none --topo single,3 --test none".into(),
            floor_ms: samples(&[740.0, 760.0, 700.0]),
            run_ms: samples(&[830.0, 850.0, 820.0]),
            ratio: 1.122,
            phases: vec![
                PhaseMedian {
                    name: "build".into(),
                    median_ms: 256.0,
                },
                PhaseMedian {
                    name: "scenario".into(),
                    median_ms: 92.0,
                },
            ],
        }),
        reused: vec![Reused {
            backend: "mininet".into(),
            scenario: "experiments/simultaneous.yaml".into(),
            repeat: 100,
            batches: 3,
            runs: 300,
            passed: 300,
            per_run_ms: 18.0,
            scenario_p50_ms: 13.5,
            outside_ms: 4.5,
            reactions_ms: 1.5,
            programs_ms: 12.0,
            overhead_ms: 6.0,
            target_ms: TARGET_MININET_OVERHEAD_MS,
            bare_ms: Some(samples(&[12.1])),
            bare_exchanges: 50,
            overhead_vs_bare_ms: Some(5.9),
            stretches: vec![Stretch {
                name: "server start → listening line".into(),
                bare_ms: 1.9,
                orchestrated_ms: 2.5,
            }],
            ..Reused::default()
        }],
        fidelity: Some(Fidelity {
            backend: "mininet".into(),
            gaps: vec![
                GapResult {
                    gap_ms: 0.0,
                    steps: "send: [a, b]".into(),
                    runs: 1000,
                    passed: 1000,
                    server_agrees: 1000,
                    x_first: 517,
                    ..GapResult::default()
                },
                GapResult {
                    gap_ms: 0.2,
                    steps: "send: a, sleep_ms: 0.2, send: b".into(),
                    runs: 1000,
                    passed: 1000,
                    send_order: 997,
                    server_agrees: 1000,
                    reversed: 3,
                    reversed_sent_first: 3,
                    ..GapResult::default()
                },
            ],
            realtime: Some(GapResult {
                gap_ms: 0.2,
                steps: "send: a, sleep_ms: 0.2, send: b".into(),
                runs: 1000,
                passed: 1000,
                send_order: 1000,
                server_agrees: 1000,
                ..GapResult::default()
            }),
        }),
        jobs: vec![Jobs {
            backend: "mininet".into(),
            batch: "experiments/ × 3".into(),
            runs: 24,
            jobs: 2,
            serial_ms: samples(&[21000.0]),
            parallel_ms: samples(&[11200.0]),
            speedup: 1.875,
            schedule_bound: 1.95,
            serial_cpu_ms: samples(&[9000.0]),
            parallel_cpu_ms: samples(&[9500.0]),
            target: TARGET_JOBS_SPEEDUP,
        }],
        throughput: Some(Throughput {
            pairs: 2000,
            runs: 3,
            warmup: 100,
            ours: figures(3791.0, 120.0, 4096),
            python: Some(figures(2539.0, 390.0, 15258)),
            ratio: Some(1.493),
        }),
        links: None,
        definitions: definitions(),
        notes: vec!["gap 0.2 ms: 3 of 1000 acks reversed the send order".into()],
    }
}

#[test]
fn the_json_reads_back_and_names_every_section() {
    let report = sample();
    let text = serde_json::to_string_pretty(&report).unwrap();
    let back: BenchReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "schema_version",
        "kind",
        "mode",
        "backend",
        "machine",
        "fresh",
        "reused",
        "fidelity",
        "jobs",
        "throughput",
        "definitions",
        "notes",
    ] {
        assert!(v.get(key).is_some(), "no {key} in {text}");
    }
    assert_eq!(v["kind"], "bench");
    assert_eq!(v["fresh"]["floor_ms"]["median"], 740.0);
    assert_eq!(v["reused"][0]["overhead_ms"], 6.0);
    assert_eq!(v["fidelity"]["gaps"][1]["send_order"], 997);
    assert_eq!(v["jobs"][0]["speedup"], 1.875);
    assert_eq!(v["throughput"]["ours"]["peak_rss_kib"], 4096);
    assert_eq!(v["throughput"]["python"]["pairs_per_s"]["median"], 2539.0);
}

#[test]
fn the_table_puts_baseline_next_to_subject_with_ratio_and_target() {
    let text = table(&sample());
    let line = |start: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start:?} in\n{text}"))
            .to_string()
    };
    assert!(
        text.starts_with("pa3-bench (full, backend mininet)"),
        "{text}"
    );
    assert!(
        text.contains("CPU pressure (some avg10) 97% → 98%"),
        "{text}"
    );
    let wall = line("wall ");
    assert!(
        wall.contains("740 ms") && wall.contains("830 ms") && wall.contains("1.12×"),
        "{wall}"
    );
    let per = line("wall per scenario");
    assert!(
        per.contains("12.1 ms") && per.contains("18.0 ms") && per.contains("+5.9 ms"),
        "{per}"
    );
    let overhead = line("orchestration overhead per scenario");
    assert!(
        overhead.contains("6.0 ms") && overhead.contains("≤ 20 ms ✓"),
        "{overhead}"
    );
    let gap0 = line("0 ms ");
    assert!(
        gap0.contains("1000/1000") && gap0.contains("X first 517") && gap0.contains("✓"),
        "{gap0}"
    );
    let gap2 = line("0.2 ms ");
    assert!(
        gap2.contains("997/1000") && gap2.contains("order 1000/1000 ✗"),
        "{gap2}"
    );
    let stretch = line("server start → listening line");
    assert!(
        stretch.contains("1.9 ms") && stretch.contains("2.5 ms") && stretch.contains("+600 µs"),
        "{stretch}"
    );
    let rt = line("0.2 ms, at real-time priority");
    assert!(
        rt.contains("1000/1000") && rt.contains("order 1000/1000 ✓"),
        "{rt}"
    );
    assert!(text.contains("the batch's shape allows 1.95×"), "{text}");
    // 21 s serial; the --jobs batch used 9.5 s of CPU over 2 CPUs.
    assert!(text.contains("its CPU allows 4.42×"), "{text}");
    let jobs = line("experiments/ × 3 (24 runs)");
    assert!(
        jobs.contains("21.00 s") && jobs.contains("1.88×") && jobs.contains("≥ 1.7× ✓"),
        "{jobs}"
    );
    let rate = line("pairs/s");
    assert!(
        rate.contains("2539") && rate.contains("3791") && rate.contains("1.49×"),
        "{rate}"
    );
    let ceiling = line("its ceiling, pairs/s");
    assert!(ceiling.contains("25000"), "1 s / 40 µs: {ceiling}");
    let rss = line("peak RSS");
    assert!(rss.contains("14.9 MB") && rss.contains("4.0 MB"), "{rss}");
    assert!(text.contains("Notes:\n  - gap 0.2 ms: 3 of 1000"), "{text}");
    assert!(text.contains("What the figures are:"), "{text}");
}

#[test]
fn a_section_not_measured_is_left_out_of_the_table() {
    let mut report = sample();
    report.fresh = None;
    report.throughput.as_mut().unwrap().python = None;
    report.throughput.as_mut().unwrap().ratio = None;
    let text = table(&report);
    assert!(!text.contains("Fresh network"), "{text}");
    let rate = text
        .lines()
        .find(|l| l.trim_start().starts_with("pairs/s"))
        .unwrap();
    assert!(rate.contains('—') && rate.contains("3791"), "{rate}");
}
