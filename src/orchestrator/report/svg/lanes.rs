//! The lanes: one per process (server first, then the clients, the
//! orchestrator's steps last), each event's label placed in the first row
//! of its lane where it does not collide, and the lanes' backgrounds,
//! names and the leaders from a marker down to its label.

use std::fmt::Write as _;

use crate::orchestrator::event::{Event, EventKind, ORCHESTRATOR};
use crate::orchestrator::record::{ExitInfo, Role, RunRecord};
use crate::orchestrator::report::story;
use crate::orchestrator::report::text::{clean, truncate};

use super::axis::Axis;
use super::{
    xml, Page, CHAR_W, CLIENT_COLOURS, LABEL_CHARS, LABEL_GAP, MARKER_DY, PLOT_LEFT, ROW_H,
    SERVER_COLOUR, STEP_COLOUR, TEXT_COLOUR, WIDTH,
};

pub(super) struct Lane {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) detail: Vec<String>,
    pub(super) colour: &'static str,
    /// Indexes into `record.events`.
    pub(super) events: Vec<usize>,
}

/// The short lines under a lane's name: who it is, how it ended, its link.
fn detail_of(record: &RunRecord, p: &crate::orchestrator::record::ProcessInfo) -> Vec<String> {
    let mut detail = Vec::new();
    if p.role == Role::Client {
        let mut who: Vec<String> = Vec::new();
        if let Some(l) = story::letter_of(record, &p.id) {
            who.push(format!("Client {l}"));
        }
        if let Some(n) = &p.name {
            who.push(clean(n));
        }
        if !who.is_empty() {
            detail.push(who.join(" · "));
        }
    } else if let Some(program) = p.command.first() {
        detail.push(program_name(program));
    }
    if let Some(x) = &p.exit {
        detail.push(short_exit(x));
    }
    detail.extend(crate::orchestrator::report::links::lane_lines(
        record, &p.host,
    ));
    detail
}

pub(super) fn lanes(record: &RunRecord) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = Vec::new();
    let servers = record.processes.iter().filter(|p| p.role == Role::Server);
    let clients = record.processes.iter().filter(|p| p.role == Role::Client);
    for (i, p) in servers.chain(clients).enumerate() {
        let colour = match p.role {
            Role::Server => SERVER_COLOUR,
            Role::Client => CLIENT_COLOURS[(i.saturating_sub(1)) % CLIENT_COLOURS.len()],
        };
        let detail = detail_of(record, p);
        lanes.push(Lane {
            id: p.id.clone(),
            title: p.label(),
            detail,
            colour,
            events: Vec::new(),
        });
    }
    for (i, e) in record.events.iter().enumerate() {
        if e.process == ORCHESTRATOR {
            continue;
        }
        match lanes.iter_mut().find(|l| l.id == e.process) {
            Some(lane) => lane.events.push(i),
            None => lanes.push(Lane {
                id: e.process.clone(),
                title: e.process.clone(),
                detail: Vec::new(),
                colour: STEP_COLOUR,
                events: vec![i],
            }),
        }
    }
    let steps: Vec<usize> = record
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.process == ORCHESTRATOR)
        .map(|(i, _)| i)
        .collect();
    if !steps.is_empty() {
        lanes.push(Lane {
            id: ORCHESTRATOR.to_string(),
            title: ORCHESTRATOR.to_string(),
            detail: vec!["steps".to_string()],
            colour: STEP_COLOUR,
            events: steps,
        });
    }
    lanes
}

pub(super) fn program_name(path: &str) -> String {
    clean(path.rsplit('/').next().unwrap_or(path))
}

pub(super) fn short_exit(x: &ExitInfo) -> String {
    let how = match (x.code, x.signal) {
        (Some(c), _) => format!("exit {c}"),
        (None, Some(s)) => format!("signal {s}"),
        (None, None) => "ended".to_string(),
    };
    if x.killed_by_orchestrator {
        format!("{how}, stopped")
    } else {
        how
    }
}

/// The label of an event on its lane.
pub(super) fn label(e: &Event) -> String {
    let text = match &e.kind {
        EventKind::Typed { text } => format!("typed: {}", clean(text)),
        EventKind::Started { command } => match command.split_first() {
            Some((program, args)) => {
                let mut s = format!("start: {}", program_name(program));
                for a in args {
                    s.push(' ');
                    s.push_str(&clean(a));
                }
                s
            }
            None => "start".to_string(),
        },
        EventKind::Exited { exit } => short_exit(exit),
        kind => clean(&kind.to_string()),
    };
    truncate(text.trim(), LABEL_CHARS)
}

pub(super) struct Placed {
    pub(super) event: usize,
    pub(super) x: f64,
    pub(super) row: usize,
    /// Left end and width of the label.
    pub(super) lx: f64,
    pub(super) w: f64,
    pub(super) anchor_end: bool,
    pub(super) text: String,
}

/// Puts every label of a lane in the first row where it fits.
pub(super) fn place(record: &RunRecord, axis: &Axis, lane: &Lane) -> Vec<Placed> {
    let mut rows: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut placed = Vec::new();
    for &i in &lane.events {
        let e = &record.events[i];
        let x = axis.x(e.t_ms);
        let text = label(e);
        let w = text.chars().count() as f64 * CHAR_W;
        if text.is_empty() {
            // a blank line: a marker, no label, no room taken
            placed.push(Placed {
                event: i,
                x,
                row: 0,
                lx: x,
                w: 0.0,
                anchor_end: false,
                text,
            });
            continue;
        }
        let anchor_end = x + 6.0 + w > WIDTH - 6.0;
        let lx = if anchor_end { x - 6.0 - w } else { x + 6.0 };
        let (a, b) = (lx - LABEL_GAP / 2.0, lx + w + LABEL_GAP / 2.0);
        let row = match rows
            .iter()
            .position(|r| r.iter().all(|&(c, d)| b <= c || a >= d))
        {
            Some(r) => r,
            None => {
                rows.push(Vec::new());
                rows.len() - 1
            }
        };
        rows[row].push((a, b));
        placed.push(Placed {
            event: i,
            x,
            row,
            lx,
            w,
            anchor_end,
            text,
        });
    }
    placed
}

pub(super) fn lane_height(placed: &[Placed], detail_lines: usize) -> f64 {
    let rows = placed.iter().map(|p| p.row + 1).max().unwrap_or(0) as f64;
    let by_labels = MARKER_DY + rows * ROW_H + 10.0;
    let by_title = 26.0 + detail_lines as f64 * 14.0;
    by_labels.max(by_title).max(40.0)
}

pub(super) fn lane_fill(k: usize) -> &'static str {
    if k.is_multiple_of(2) {
        "#f4f6f8"
    } else {
        "#ffffff"
    }
}

/// Each lane's background, its colour bar, its name and details.
pub(super) fn backgrounds(s: &mut String, page: &Page) {
    for (k, (lane, top)) in page.lanes.iter().zip(&page.tops).enumerate() {
        let h = lane_height(&page.placements[k], lane.detail.len());
        let _ = writeln!(
            s,
            "<rect x=\"0\" y=\"{top:.1}\" width=\"{WIDTH:.0}\" height=\"{h:.1}\" fill=\"{}\"/>",
            lane_fill(k)
        );
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"4\" height=\"{:.1}\" fill=\"{}\"/>",
            PLOT_LEFT - 14.0,
            top + 4.0,
            h - 8.0,
            lane.colour
        );
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"13\" font-weight=\"bold\" fill=\"{TEXT_COLOUR}\">{}</text>",
            PLOT_LEFT - 22.0,
            top + 18.0,
            xml(&truncate(&lane.title, 20))
        );
        for (j, d) in lane.detail.iter().enumerate() {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555555\">{}</text>",
                PLOT_LEFT - 22.0,
                top + 33.0 + j as f64 * 14.0,
                xml(&truncate(d, 24))
            );
        }
    }
}

/// Leaders from each marker down to its label, when the label sits lower
/// than the first row.
pub(super) fn leaders(s: &mut String, page: &Page) {
    for (k, lane) in page.lanes.iter().enumerate() {
        for p in &page.placements[k] {
            let my = page.tops[k] + MARKER_DY;
            let ly = my + (p.row as f64 + 1.0) * ROW_H - 9.0;
            if ly > my + 5.0 && !p.text.is_empty() {
                let _ = writeln!(
                    s,
                    "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{ly:.1}\" stroke=\"{}\" stroke-width=\"0.8\" stroke-opacity=\"0.55\"/>",
                    my + 4.0,
                    lane.colour,
                    x = p.x
                );
            }
        }
    }
}
