//! The timeline's tests: well-formed plain SVG, escaping, labels that
//! never overlap, an axis that breaks only long idle stretches, and the
//! golden files.

use super::lanes::{lanes, place};
use super::*;
use crate::orchestrator::event::EventKind;
use crate::orchestrator::report::{
    fixtures,
    golden::{assert_golden, assert_well_formed_xml},
};

#[test]
fn the_timeline_is_well_formed_plain_svg_naming_every_lane() {
    for record in [
        fixtures::passing(),
        fixtures::failing(),
        fixtures::errored(),
    ] {
        let svg = timeline(&record);
        assert_well_formed_xml(&svg);
        assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\""));
        for forbidden in ["<script", "<style", "@import", "url(http", "<foreignObject"] {
            assert!(!svg.contains(forbidden), "{forbidden} in the SVG");
        }
        for p in &record.processes {
            assert!(
                svg.contains(&format!(">{}</text>", p.label())),
                "lane {}",
                p.label()
            );
        }
    }
    let svg = timeline(&fixtures::passing());
    assert!(svg.contains(">h1 server</text>"));
    assert!(svg.contains(">typed: Bob</text>"));
    assert!(svg.contains(">orchestrator</text>"));
}

#[test]
fn hostile_text_is_escaped() {
    let mut record = fixtures::failing();
    let line = fixtures::first_line(&record, "server");
    fixtures::set_text(
        &mut record.events[line],
        "<script>alert('x')</script> & \u{1b}[31mred\u{1b}[0m \"q\"",
    );
    let svg = timeline(&record);
    assert_well_formed_xml(&svg);
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;"));
}

#[test]
fn xml_escapes_all_five_for_text_and_either_attribute_quote() {
    assert_eq!(
        xml("a & b < c > d \"e\" 'f'\t\u{1b}[1mg"),
        "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos; g"
    );
}

#[test]
fn labels_of_one_lane_never_overlap() {
    for record in [fixtures::passing(), fixtures::failing()] {
        let end = record.duration_ms;
        let times: Vec<f64> = record.events.iter().map(|e| e.t_ms).collect();
        let axis = Axis::new(&times, end);
        for lane in lanes(&record) {
            let placed = place(&record, &axis, &lane);
            for (i, a) in placed.iter().enumerate() {
                for b in &placed[i + 1..] {
                    if a.row == b.row {
                        assert!(
                            a.lx + a.w <= b.lx || b.lx + b.w <= a.lx,
                            "{:?} and {:?} overlap on lane {}",
                            a.text,
                            b.text,
                            lane.title
                        );
                    }
                }
                assert!(
                    a.lx >= 0.0 && a.lx + a.w <= WIDTH,
                    "{:?} leaves the page",
                    a.text
                );
            }
        }
    }
}

#[test]
fn the_axis_is_monotonic_and_breaks_long_idle_stretches() {
    let record = fixtures::failing();
    let times: Vec<f64> = record.events.iter().map(|e| e.t_ms).collect();
    let axis = Axis::new(&times, record.duration_ms);
    let idle: Vec<(f64, f64)> = axis
        .segments
        .iter()
        .filter(|s| s.idle)
        .map(|s| (s.t0, s.t1))
        .collect();
    // the server waiting out the scenario's timeout: one break, from the
    // last thing it did to its being stopped, in the middle of the run
    let before = times
        .iter()
        .copied()
        .filter(|&t| t < record.duration_ms / 2.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let after = times
        .iter()
        .copied()
        .filter(|&t| t > before)
        .fold(f64::INFINITY, f64::min);
    assert!(after - before > 1000.0, "a long idle stretch in the record");
    assert_eq!(idle, vec![(before, after)]);
    let mut last = f64::NEG_INFINITY;
    for t in (0..=record.duration_ms as usize + 100).step_by(10) {
        let x = axis.x(t as f64);
        assert!(x >= last, "x({t}) went back");
        assert!((PLOT_LEFT..=PLOT_RIGHT).contains(&x));
        last = x;
    }
    // a 300 ms sleep between the sends of a 740 ms run stays to scale
    let axis = Axis::new(&[180.0, 230.0, 427.0, 727.0, 731.0, 740.0], 740.0);
    assert!(axis.segments.iter().all(|s| !s.idle));
    // the 200 ms between the two sends stays on a linear scale
    let passing = fixtures::passing();
    let times: Vec<f64> = passing.events.iter().map(|e| e.t_ms).collect();
    let axis = Axis::new(&times, passing.duration_ms);
    let sends: Vec<f64> = passing
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Typed { .. }))
        .map(|e| e.t_ms)
        .collect();
    let (a, b) = (axis.x(sends[0]), axis.x(sends[1]));
    let c = axis.x((sends[0] + sends[1]) / 2.0);
    assert!(((c - a) - (b - c)).abs() < 0.5);
    // while the network being built before the first event, and torn
    // down after the last, are breaks
    let idle: Vec<(f64, f64)> = axis
        .segments
        .iter()
        .filter(|s| s.idle)
        .map(|s| (s.t0, s.t1))
        .collect();
    let first = times.iter().copied().fold(f64::INFINITY, f64::min);
    let last = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(idle, vec![(0.0, first), (last, passing.duration_ms)]);
}

#[test]
fn golden_svg() {
    assert_golden("passing.timeline.svg", &timeline(&fixtures::passing()));
    assert_golden("failing.timeline.svg", &timeline(&fixtures::failing()));
}
