use super::*;
use pa3_mininet::orchestrator::batch::summary::{
    scenario_stats, BatchRun, Totals, BATCH_SCHEMA_VERSION,
};
use pa3_mininet::orchestrator::event::{Stream, ORCHESTRATOR};
use pa3_mininet::orchestrator::record::Phase;

/// The record fixtures of the report writers' tests (real runs, recorded
/// on Mininet; see `src/orchestrator/report/fixtures.rs`).
mod fixtures {
    use pa3_mininet::orchestrator::record::RunRecord;

    /// Case 2 on Mininet, our own programs, with `--pcap`: Bob typed
    /// first, Alice 200 ms later.
    pub fn passing() -> RunRecord {
        serde_json::from_str(include_str!(
            "../../../../src/orchestrator/report/golden/runs/passing.summary.json"
        ))
        .expect("a recorded summary.json reads back")
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn reactions_of_a_recorded_run_are_measured_from_the_later_of_line_and_step() {
    // Case 2 on Mininet (see the fixture's events).
    let r = reactions(&fixtures::passing());
    // listening step 292.712 − the line at 288.896
    assert!(close(r.listening.unwrap(), 3.816), "{r:?}");
    // a: 301.041 − accept 298.188; b: 313.689 − accept 304.513
    assert!(close(r.connected.unwrap(), 2.853 + 9.176), "{r:?}");
    // b's greeting (305.374) came before the step `connected b`
    // (313.689): the first line typed (315.392) is measured from the step.
    assert!(close(r.typed.unwrap(), 315.392 - 313.689), "{r:?}");
    // the server started at 283.163, the scenario phase lasted 302.594,
    // the last exit was at 521.727
    assert!(close(r.exit.unwrap(), 283.163 + 302.594 - 521.727), "{r:?}");
    assert!(close(
        r.total(),
        3.816 + 12.029 + 1.703 + (283.163 + 302.594 - 521.727)
    ));
    assert_eq!(sleeps_ms(&fixtures::passing()), 200.0);
}

fn line(t_ms: f64, process: &str, text: &str) -> Event {
    Event::new(
        t_ms,
        process,
        EventKind::Output {
            stream: Stream::Stdout,
            text: text.into(),
        },
    )
}

#[test]
fn a_reaction_without_its_line_is_none_and_an_early_step_counts_as_zero() {
    let mut record = fixtures::passing();
    // A server that prints neither `listening on` nor `Accepted connection`.
    record.events.retain(|e| {
        e.stdout_of("server")
            .is_none_or(|l| !l.starts_with("listening") && !l.starts_with("Accepted"))
    });
    let r = reactions(&record);
    assert_eq!((r.listening, r.connected), (None, None));
    assert!(r.typed.is_some() && r.exit.is_some());

    // The runner saw the listening socket before it read the line.
    let mut record = fixtures::passing();
    record
        .events
        .push(line(292.9, "server", "listening on 10.0.0.1:12000"));
    record.events.retain(|e| e.t_ms != 288.896);
    record.events.sort_by(|a, b| a.t_ms.total_cmp(&b.t_ms));
    let r = reactions(&record);
    assert!(r.listening.unwrap() < 0.0);
    let without = Reactions {
        listening: None,
        ..r.clone()
    };
    assert!(close(r.total(), without.total()), "counted as 0");
}

#[test]
fn utc_times_as_the_records_write_them() {
    assert_eq!(utc_ms("1970-01-01T00:00:01.500Z"), Some(1500.0));
    let a = utc_ms("2026-12-02T23:59:59.995Z").unwrap();
    let b = utc_ms("2026-12-03T00:00:00.005Z").unwrap();
    assert!(close(b - a, 10.0));
    assert_eq!(utc_ms("2026-12-02 07:00:00Z"), None);
    assert_eq!(utc_ms("yesterday"), None);
}

/// A run of `simultaneous` that started `start_ms` after 07:00:00 and
/// whose scenario phase lasted `scenario_ms`.
fn run_at(index: usize, start_ms: u32, scenario_ms: f64, duration_ms: f64) -> RunRecord {
    let mut r = fixtures::passing();
    r.scenario = "simultaneous".into();
    r.started_utc = format!(
        "2026-12-02T07:00:{:02}.{:03}Z",
        start_ms / 1000,
        start_ms % 1000
    );
    r.duration_ms = duration_ms;
    let mut phases = vec![Phase {
        name: "scenario".into(),
        ms: scenario_ms,
    }];
    if index == 0 {
        phases.insert(
            0,
            Phase {
                name: "build".into(),
                ms: 800.0,
            },
        );
    }
    r.phases = phases;
    r
}

#[test]
fn a_reused_batch_is_measured_start_to_start_after_its_first_run() {
    // Run 1 builds the network (900 ms); then a run every 20 ms, whose
    // scenario phase lasts 12 ms; the batch ends with a 500 ms teardown.
    let records = vec![
        run_at(0, 0, 12.0, 895.0),
        run_at(1, 900, 12.0, 15.0),
        run_at(2, 920, 12.0, 15.0),
        run_at(3, 940, 12.0, 15.0),
        run_at(4, 960, 12.0, 15.0),
    ];
    let runs: Vec<BatchRun> = records
        .iter()
        .enumerate()
        .map(|(i, r)| BatchRun {
            index: i,
            key: format!("simultaneous#{i}"),
            label: format!("simultaneous #{i}"),
            dir: None,
            record: r.clone(),
        })
        .collect();
    let summary = BatchSummary {
        schema_version: BATCH_SCHEMA_VERSION,
        kind: "batch".into(),
        started_utc: records[0].started_utc.clone(),
        duration_ms: 1480.0,
        backend: "mininet".into(),
        jobs: 1,
        repeat: 5,
        shards: vec![],
        plan_size: 5,
        interrupted: false,
        totals: Totals::of(&runs),
        scenarios: scenario_stats(&runs),
        runs,
    };
    let b = reused_batch(&summary, &records).expect("five runs");
    assert_eq!((b.runs, b.passed), (5, 5));
    assert_eq!(b.first_run_ms, 895.0);
    assert!(close(b.per_run_after_first_ms, (1480.0 - 895.0) / 4.0));
    assert!(close(b.per_run_ms, 20.0), "{b:?}");
    assert!(close(b.scenario_mean_ms, 12.0));
    assert_eq!(b.scenario_p50_ms, 12.0);
    assert!(close(b.outside_ms(), 8.0));
    // The fixture's reactions and its 200 ms sleep, in every run.
    let r = reactions(&records[1]);
    assert!(close(b.reactions_ms, r.total()));
    assert!(close(b.listening_ms, r.listening.unwrap()));
    assert_eq!(b.sleeps_ms, 200.0);
    assert!(close(b.programs_ms(), 12.0 - r.total() - 200.0));
    assert!(close(b.overhead_ms(), 8.0 + r.total()));

    assert_eq!(reused_batch(&summary, &records[..2]), None, "too few runs");
}

#[test]
fn the_sends_of_a_recorded_run() {
    // Case 2: b (Y, Bob) typed first, a 200 ms later.
    let t = send_timing(&fixtures::passing());
    assert_eq!(
        t.send_order_ack.as_deref(),
        Some("Y: Bob received before X: Alice")
    );
    assert_eq!(t.ack, t.send_order_ack);
    assert_eq!(t.server_ack, t.ack);
    assert!(t.follows_send_order() && t.server_agrees());
    assert!(close(t.typed_gap_ms.unwrap(), 515.715 - 315.392));
    assert!(close(t.sent_gap_ms.unwrap(), 515.886 - 318.033));
    assert_eq!(t.reply_ms.len(), 2);
    assert!(close(t.reply_ms[0], 318.033 - 315.392));
}

#[test]
fn a_reversed_ack_neither_follows_the_sends_nor_hides_from_the_server() {
    let mut record = fixtures::passing();
    record.ack_observed = Some("X: Alice received before Y: Bob".into());
    let t = send_timing(&record);
    assert!(!t.follows_send_order());
    assert!(!t.server_agrees());
    // No typed line at all: nothing to follow.
    record
        .events
        .retain(|e| !matches!(e.kind, EventKind::Typed { .. }) && e.process != ORCHESTRATOR);
    let t = send_timing(&record);
    assert_eq!((t.send_order_ack, t.typed_gap_ms), (None, None));
}

#[test]
fn the_milestones_of_a_recorded_run_count_from_the_servers_start() {
    // The server started at 283.163 (see the fixture's events).
    let m = milestones(&fixtures::passing());
    let from_start = |t: f64| t - 283.163;
    assert!(close(m.listening.unwrap(), from_start(288.896)));
    assert!(close(m.accepted_x.unwrap(), from_start(298.188)));
    assert!(close(m.accepted_y.unwrap(), from_start(304.513)));
    // a's greeting (310.112) came after b's (305.374)
    assert!(close(m.greeted.unwrap(), from_start(310.112)));
    assert!(close(m.typed.unwrap(), from_start(315.392)));
    assert!(close(m.last_exit.unwrap(), from_start(521.727)));
    assert_eq!(m.end, Some(302.594));
    let stretches = m.stretches();
    assert_eq!(stretches.len(), STRETCHES.len());
    let total: f64 = stretches.iter().map(|s| s.unwrap()).sum();
    assert!(close(total, 302.594), "the stretches add up to the phase");
    assert_eq!(mean_stretches(&[m.clone(), m])[1], stretches[1].unwrap());
}

#[test]
fn milestones_from_lines_as_the_bare_driver_reads_them() {
    let server = [
        (1.0, "listening on 127.0.0.1:40000"),
        (2.0, "Accepted connection from 127.0.0.1:1 as Client X"),
        (3.0, "Accepted connection from 127.0.0.1:2 as Client Y"),
    ];
    let a = [(4.0, "From Server: Client X connected")];
    let b = [(4.5, "From Server: Client Y connected")];
    let m = Milestones::from_lines(&server, &[&a, &b], Some(5.0), Some(7.0), Some(7.0));
    let s: Vec<f64> = m.stretches().into_iter().map(Option::unwrap).collect();
    assert_eq!(s, vec![1.0, 1.0, 1.0, 1.5, 0.5, 2.0, 0.0]);
    let without_b = Milestones::from_lines(&server, &[&a, &[]], None, None, Some(7.0));
    assert_eq!((without_b.greeted, without_b.typed), (None, None));
}
