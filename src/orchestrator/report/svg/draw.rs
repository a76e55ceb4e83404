//! What is drawn on the lanes and around them: the markers (one shape per
//! kind of event, each with its full line as a tooltip), the labels, the
//! arrows of the exchange between server and clients, the arrowheads they
//! need, the header and the legend.

use std::fmt::Write as _;

use crate::orchestrator::event::{Event, ORCHESTRATOR};
use crate::orchestrator::record::RunRecord;
use crate::orchestrator::report::story::{self, Kind};
use crate::orchestrator::report::text::{duration, outcome, process_label, truncate};

use super::axis::Axis;
use super::lanes::{lane_fill, Lane};
use super::{
    xml, Page, BAD_COLOUR, LABEL_SIZE, MARKER_DY, MONO, OK_COLOUR, PLOT_LEFT, ROW_H, SERVER_COLOUR,
    STEP_COLOUR, TEXT_COLOUR, TYPED_COLOUR,
};

/// How an event is drawn (its marker's shape and its label's colour):
/// by its class, as the record tells steps from output.
pub(super) use crate::orchestrator::event::Class as Mark;

pub(super) fn mark(e: &Event) -> Mark {
    e.kind.class()
}

pub(super) fn exit_ok(record: &RunRecord, e: &Event) -> bool {
    record
        .process(&e.process)
        .and_then(|p| p.exit.as_ref())
        .is_some_and(|x| x.success())
}

pub(super) fn defs(s: &mut String, lanes: &[Lane]) {
    s.push_str("<defs>\n");
    let mut colours: Vec<&str> = lanes.iter().map(|l| l.colour).collect();
    colours.dedup();
    let mut seen = Vec::new();
    for c in colours {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        let _ = writeln!(
            s,
            "<marker id=\"arrow-{}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{c}\"/></marker>",
            &c[1..]
        );
    }
    s.push_str("</defs>\n");
}

pub(super) fn header(s: &mut String, record: &RunRecord) {
    let result = outcome(record);
    let colour = if record.passed() {
        OK_COLOUR
    } else {
        BAD_COLOUR
    };
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"{TEXT_COLOUR}\">{} — <tspan fill=\"{colour}\">{result}</tspan></text>",
        xml(&record.scenario)
    );
    let mut ack = match &record.ack_observed {
        Some(a) => format!("ack: {a}"),
        None => "no ack".to_string(),
    };
    match &record.ack_expected {
        Some(want) if Some(want) != record.ack_observed.as_ref() => {
            ack.push_str(&format!("  (expected: {want})"));
        }
        Some(_) => ack.push_str("  (as expected)"),
        None => {}
    }
    if let Some(error) = &record.error {
        ack = format!("the run could not be carried out: {error}");
    }
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"50\" font-size=\"14\" fill=\"{}\">{}</text>",
        if record.passed() {
            TEXT_COLOUR
        } else {
            BAD_COLOUR
        },
        xml(&truncate(&ack, 150))
    );
    let sub = format!(
        "{} · started {} · {} · {} events · {}",
        record.backend,
        record.started_utc,
        duration(record.duration_ms),
        record.events.len(),
        record.description
    );
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"69\" font-size=\"12\" fill=\"#555555\">{}</text>",
        xml(&truncate(&sub, 170))
    );
}

pub(super) fn arrows(
    s: &mut String,
    record: &RunRecord,
    axis: &Axis,
    lanes: &[Lane],
    tops: &[f64],
) {
    let server = story::server_id(record);
    let lane_of = |id: &str| lanes.iter().position(|l| l.id == id);
    let Some(server_lane) = lane_of(server) else {
        return;
    };
    let server_y = tops[server_lane] + MARKER_DY;
    for b in story::beats(record) {
        let Some(k) = lane_of(&b.process) else {
            continue;
        };
        if k == server_lane {
            continue;
        }
        let client_y = tops[k] + MARKER_DY;
        let (x1, y1, x2, y2, colour, dash) = match b.kind {
            Kind::Greeting | Kind::Ack => {
                let Some(src) = b.source else { continue };
                let from = axis.x(record.events[src].t_ms);
                (from, server_y, axis.x(b.t_ms), client_y, SERVER_COLOUR, "")
            }
            Kind::Message => {
                let x = axis.x(b.t_ms);
                (x, client_y, x, server_y, lanes[k].colour, "")
            }
            Kind::Connect => {
                let x = axis.x(b.t_ms);
                (
                    x,
                    client_y,
                    x,
                    server_y,
                    lanes[k].colour,
                    " stroke-dasharray=\"4 3\"",
                )
            }
            Kind::Arrival | Kind::Exit => continue,
        };
        // stop short of the marker so that the arrowhead stays visible
        let dir = if y2 > y1 { 1.0 } else { -1.0 };
        let _ = writeln!(
            s,
            "<line x1=\"{x1:.1}\" y1=\"{:.1}\" x2=\"{x2:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"1.4\" stroke-opacity=\"0.8\"{dash} marker-end=\"url(#arrow-{})\"/>",
            y1 + dir * 5.0,
            y2 - dir * 6.0,
            &colour[1..]
        );
    }
}

/// The labels, on a patch of their lane's colour so that lines pass behind.
pub(super) fn labels(s: &mut String, record: &RunRecord, page: &Page) {
    for (k, placed) in page.placements.iter().enumerate() {
        for p in placed.iter().filter(|p| !p.text.is_empty()) {
            let e = &record.events[p.event];
            let ly = page.tops[k] + MARKER_DY + (p.row as f64 + 1.0) * ROW_H;
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"13\" fill=\"{}\"/>",
                p.lx - 2.0,
                ly - 10.0,
                p.w + 4.0,
                lane_fill(k)
            );
            let (fill, weight) = match mark(e) {
                Mark::Typed => (TYPED_COLOUR, " font-weight=\"bold\""),
                Mark::Stderr => (BAD_COLOUR, ""),
                Mark::Exit if exit_ok(record, e) => (OK_COLOUR, ""),
                Mark::Exit => (BAD_COLOUR, " font-weight=\"bold\""),
                Mark::Start | Mark::Step => ("#555555", ""),
                Mark::Stdout => (TEXT_COLOUR, ""),
            };
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{ly:.1}\" font-family=\"{MONO}\" font-size=\"{LABEL_SIZE:.0}\" fill=\"{fill}\"{weight}{}>{}</text>",
                if p.anchor_end { p.lx + p.w } else { p.lx },
                if p.anchor_end { " text-anchor=\"end\"" } else { "" },
                xml(&p.text)
            );
        }
    }
}

/// The markers, on top of everything, each with its full line as a tooltip.
pub(super) fn markers(s: &mut String, record: &RunRecord, page: &Page) {
    for (k, lane) in page.lanes.iter().enumerate() {
        for p in &page.placements[k] {
            let e = &record.events[p.event];
            let my = page.tops[k] + MARKER_DY;
            let tip = format!(
                "t={:.1} ms · {} {}: {}",
                e.t_ms,
                if e.process == ORCHESTRATOR {
                    ORCHESTRATOR.to_string()
                } else {
                    process_label(record, &e.process)
                },
                e.kind.word(),
                e.kind
            );
            let _ = write!(s, "<g><title>{}</title>", xml(&tip));
            marker(s, record, e, p.x, my, lane.colour);
            s.push_str("</g>\n");
        }
    }
}

fn marker(s: &mut String, record: &RunRecord, e: &Event, x: f64, y: f64, colour: &str) {
    match mark(e) {
        Mark::Stdout => {
            let _ = write!(s, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"{colour}\" stroke=\"#ffffff\" stroke-width=\"1\"/>");
        }
        Mark::Stderr => {
            let _ = write!(s, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#ffffff\" stroke=\"{BAD_COLOUR}\" stroke-width=\"2\"/>");
        }
        Mark::Typed => {
            let _ = write!(
                s,
                "<path d=\"M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} z\" fill=\"{TYPED_COLOUR}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
                y - 7.0,
                x + 7.0,
                y + 7.0,
                x - 7.0
            );
        }
        Mark::Start => {
            let _ = write!(
                s,
                "<path d=\"M{:.1},{:.1} L{:.1},{y:.1} L{:.1},{:.1} z\" fill=\"#ffffff\" stroke=\"{colour}\" stroke-width=\"1.8\"/>",
                x - 4.0,
                y - 6.0,
                x + 6.0,
                x - 4.0,
                y + 6.0
            );
        }
        Mark::Exit => {
            let fill = if exit_ok(record, e) {
                OK_COLOUR
            } else {
                BAD_COLOUR
            };
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"1\"/>",
                x - 5.0,
                y - 5.0
            );
        }
        Mark::Step => {
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"14\" fill=\"{STEP_COLOUR}\"/>",
                x - 1.5,
                y - 7.0
            );
        }
    }
}

pub(super) fn legend(s: &mut String, y: f64) {
    let items: [(&str, &str); 7] = [
        ("stdout", "printed line"),
        ("stderr", "stderr line"),
        ("stdin", "typed into stdin"),
        ("start", "started"),
        ("exit", "exited (green: code 0)"),
        ("step", "orchestrator step"),
        ("arrow", "greeting / message / ack"),
    ];
    let mut x = PLOT_LEFT;
    for (kind, text) in items {
        let shape = match kind {
            "stdout" => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4.5\" fill=\"{SERVER_COLOUR}\"/>"),
            "stderr" => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#ffffff\" stroke=\"{BAD_COLOUR}\" stroke-width=\"2\"/>"),
            "stdin" => format!(
                "<path d=\"M{x:.1},{:.1} L{:.1},{y:.1} L{x:.1},{:.1} L{:.1},{y:.1} z\" fill=\"{TYPED_COLOUR}\"/>",
                y - 6.0,
                x + 6.0,
                y + 6.0,
                x - 6.0
            ),
            "start" => format!(
                "<path d=\"M{:.1},{:.1} L{:.1},{y:.1} L{:.1},{:.1} z\" fill=\"#ffffff\" stroke=\"{SERVER_COLOUR}\" stroke-width=\"1.8\"/>",
                x - 4.0,
                y - 6.0,
                x + 6.0,
                x - 4.0,
                y + 6.0
            ),
            "exit" => format!("<rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{OK_COLOUR}\"/>", x - 5.0, y - 5.0),
            "step" => format!("<rect x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"14\" fill=\"{STEP_COLOUR}\"/>", x - 1.5, y - 7.0),
            _ => format!(
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{SERVER_COLOUR}\" stroke-width=\"1.4\" marker-end=\"url(#arrow-{})\"/>",
                x - 8.0,
                x + 10.0,
                &SERVER_COLOUR[1..]
            ),
        };
        let _ = writeln!(
            s,
            "{shape}<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#444444\">{}</text>",
            x + 14.0,
            y + 4.0,
            xml(text)
        );
        x += 14.0 + text.len() as f64 * 6.4 + 26.0;
    }
}
