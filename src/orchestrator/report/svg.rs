//! `timeline.svg`: the run as a picture. One horizontal lane per process
//! (server first, then the clients, the orchestrator's steps last), every
//! event a marker on its lane at its time with a short label, on a real time
//! axis in milliseconds. Typed input, starts and exits have their own
//! markers; arrows join a greeting or an ack the server sent to the line
//! the client printed on receiving it, and a client's message to the server.
//!
//! Plain SVG 1.1: no script, no style sheet, no external font (generic
//! families only), so that any viewer, `rsvg-convert` and GitHub draw it the
//! same. Labels that would collide are staggered into rows under their
//! markers; a long idle stretch (the server waited out its timeout) is
//! drawn as a break in the axis so that it does not squeeze the rest.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::orchestrator::event::{Event, EventKind, Stream, ORCHESTRATOR};
use crate::orchestrator::record::{Role, RunRecord};

use super::story::{self, Kind};
use super::text::{clean, duration, outcome, process_label, truncate};

const WIDTH: f64 = 1200.0;
/// Left edge of the plot; the lane names sit left of it.
const PLOT_LEFT: f64 = 180.0;
const PLOT_RIGHT: f64 = WIDTH - 40.0;
const AXIS_Y: f64 = 104.0;
const LANES_TOP: f64 = 114.0;
const ROW_H: f64 = 15.0;
const MARKER_DY: f64 = 13.0;
const LABEL_SIZE: f64 = 11.0;
/// Advance of one character of the monospace label font at `LABEL_SIZE`.
const CHAR_W: f64 = 6.7;
const LABEL_CHARS: usize = 60;
/// Horizontal room kept between two labels of one row.
const LABEL_GAP: f64 = 24.0;
/// Width given to an idle stretch drawn as an axis break.
const BREAK_W: f64 = 36.0;

const SANS: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";
const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, Courier New, monospace";

const SERVER_COLOUR: &str = "#1f77b4";
const CLIENT_COLOURS: [&str; 5] = ["#e8710a", "#2ca02c", "#8c564b", "#d6338a", "#17becf"];
const STEP_COLOUR: &str = "#6b6b6b";
const TYPED_COLOUR: &str = "#6a3d9a";
const OK_COLOUR: &str = "#2e8b3a";
const BAD_COLOUR: &str = "#d62728";
const TEXT_COLOUR: &str = "#222222";

struct Lane {
    id: String,
    title: String,
    detail: Vec<String>,
    colour: &'static str,
    /// Indexes into `record.events`.
    events: Vec<usize>,
}

/// A stretch of the axis: linear, or an idle stretch drawn as a break.
#[derive(Clone, Copy, Debug)]
struct Segment {
    t0: f64,
    t1: f64,
    x0: f64,
    x1: f64,
    idle: bool,
}

/// Where each time goes on the page.
struct Axis {
    segments: Vec<Segment>,
}

impl Axis {
    /// Lays `[0, end]` over the plot. Some stretches without events become
    /// breaks so that they do not squeeze what happened: before the first
    /// event (the network being built) and after the last (teardown) when
    /// longer than a quarter of the run; between events only when longer
    /// than half the run and than a second (a server waiting out its
    /// timeout), so that a scenario's sleep between two sends stays to scale.
    fn new(times: &[f64], end: f64) -> Axis {
        let mut points: Vec<f64> = times.iter().copied().filter(|t| t.is_finite()).collect();
        points.push(0.0);
        points.push(end);
        points.sort_by(f64::total_cmp);
        let gaps: Vec<(f64, f64)> = points.windows(2).map(|w| (w[0], w[1])).collect();
        let last = gaps.len().saturating_sub(1);
        let is_edge = |i: usize| i == 0 || i == last;
        let middle = (end / 2.0).max(1000.0);
        let middle_break = |i: usize, (a, b): (f64, f64)| !is_edge(i) && b - a > middle;
        // the edges are weighed against what is left once the middle breaks
        // are out, so a short setup before a long wait still counts as long
        let kept: f64 = end
            - gaps
                .iter()
                .enumerate()
                .filter(|(i, g)| middle_break(*i, **g))
                .map(|(_, (a, b))| b - a)
                .sum::<f64>();
        let edge = (kept / 4.0).max(100.0);
        let mut spans: Vec<(f64, f64, bool)> = Vec::new();
        let mut start = 0.0;
        for (i, &(a, b)) in gaps.iter().enumerate() {
            let idle = if is_edge(i) {
                b - a > edge
            } else {
                middle_break(i, (a, b))
            };
            if points.len() > 2 && idle {
                if a > start {
                    spans.push((start, a, false));
                }
                spans.push((a, b, true));
                start = b;
            }
        }
        if end > start || spans.is_empty() {
            spans.push((start, end.max(start), false));
        }
        let breaks = spans.iter().filter(|s| s.2).count() as f64;
        let linear_ms: f64 = spans.iter().filter(|s| !s.2).map(|s| s.1 - s.0).sum();
        let linear_px = PLOT_RIGHT - PLOT_LEFT - breaks * BREAK_W;
        let scale = if linear_ms > 0.0 {
            linear_px / linear_ms
        } else {
            0.0
        };
        let mut x = PLOT_LEFT;
        let segments = spans
            .into_iter()
            .map(|(t0, t1, idle)| {
                let w = if idle { BREAK_W } else { (t1 - t0) * scale };
                let s = Segment {
                    t0,
                    t1,
                    x0: x,
                    x1: x + w,
                    idle,
                };
                x += w;
                s
            })
            .collect();
        Axis { segments }
    }

    fn x(&self, t: f64) -> f64 {
        let t = if t.is_finite() { t } else { 0.0 };
        for s in &self.segments {
            if t <= s.t1 {
                let t = t.max(s.t0);
                let span = s.t1 - s.t0;
                return if span > 0.0 {
                    s.x0 + (t - s.t0) / span * (s.x1 - s.x0)
                } else {
                    s.x0
                };
            }
        }
        self.segments.last().map_or(PLOT_LEFT, |s| s.x1)
    }

    /// Tick times: multiples of a round step inside the linear stretches.
    fn ticks(&self) -> (Vec<f64>, f64) {
        let linear_ms: f64 = self
            .segments
            .iter()
            .filter(|s| !s.idle)
            .map(|s| s.t1 - s.t0)
            .sum();
        let step = nice_step(linear_ms / 10.0);
        let mut ticks = Vec::new();
        for s in self.segments.iter().filter(|s| !s.idle) {
            let mut k = (s.t0 / step).ceil();
            while k * step <= s.t1 + 1e-9 {
                ticks.push(k * step);
                k += 1.0;
            }
        }
        (ticks, step)
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

fn tick_label(t: f64, step: f64) -> String {
    if step >= 1000.0 {
        format!("{} s", fmt_num(t / 1000.0))
    } else {
        format!("{} ms", fmt_num(t))
    }
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Text for an SVG text node or attribute value: cleaned (see [`clean`]),
/// then escaped for both places — quick-xml's `escape` turns all five of
/// `& < > " '` into the predefined entities (`&apos;`, `&quot;`), so a
/// value is safe inside either kind of attribute quote.
fn xml(s: &str) -> String {
    escape(clean(s)).into_owned()
}

fn lanes(record: &RunRecord) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = Vec::new();
    let servers = record.processes.iter().filter(|p| p.role == Role::Server);
    let clients = record.processes.iter().filter(|p| p.role == Role::Client);
    for (i, p) in servers.chain(clients).enumerate() {
        let colour = match p.role {
            Role::Server => SERVER_COLOUR,
            Role::Client => CLIENT_COLOURS[(i.saturating_sub(1)) % CLIENT_COLOURS.len()],
        };
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

fn program_name(path: &str) -> String {
    clean(path.rsplit('/').next().unwrap_or(path))
}

fn short_exit(x: &crate::orchestrator::record::ExitInfo) -> String {
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

/// How an event is drawn: its marker's shape and its label's colour.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Stdout,
    Stderr,
    Typed,
    Start,
    Exit,
    Step,
}

fn mark(e: &Event) -> Mark {
    match &e.kind {
        EventKind::Output {
            stream: Stream::Stdout,
            ..
        } => Mark::Stdout,
        EventKind::Output {
            stream: Stream::Stderr,
            ..
        } => Mark::Stderr,
        EventKind::Typed { .. } => Mark::Typed,
        EventKind::Started { .. } => Mark::Start,
        EventKind::Exited { .. } => Mark::Exit,
        _ => Mark::Step,
    }
}

/// The label of an event on its lane.
fn label(e: &Event) -> String {
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

fn exit_ok(record: &RunRecord, e: &Event) -> bool {
    record
        .process(&e.process)
        .and_then(|p| p.exit.as_ref())
        .is_some_and(|x| x.success())
}

struct Placed {
    event: usize,
    x: f64,
    row: usize,
    /// Left end and width of the label.
    lx: f64,
    w: f64,
    anchor_end: bool,
    text: String,
}

/// Puts every label of a lane in the first row where it fits.
fn place(record: &RunRecord, axis: &Axis, lane: &Lane) -> Vec<Placed> {
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

fn lane_height(placed: &[Placed], detail_lines: usize) -> f64 {
    let rows = placed.iter().map(|p| p.row + 1).max().unwrap_or(0) as f64;
    let by_labels = MARKER_DY + rows * ROW_H + 10.0;
    let by_title = 26.0 + detail_lines as f64 * 14.0;
    by_labels.max(by_title).max(40.0)
}

/// The timeline of the run as an SVG document.
pub fn timeline(record: &RunRecord) -> String {
    let lanes = lanes(record);
    let end = record
        .events
        .iter()
        .map(|e| e.t_ms)
        .filter(|t| t.is_finite())
        .fold(record.duration_ms.max(1.0), f64::max);
    let times: Vec<f64> = record.events.iter().map(|e| e.t_ms).collect();
    let axis = Axis::new(&times, end);

    let placements: Vec<Vec<Placed>> = lanes.iter().map(|l| place(record, &axis, l)).collect();
    let mut tops = Vec::with_capacity(lanes.len());
    let mut y = LANES_TOP;
    for (lane, placed) in lanes.iter().zip(&placements) {
        tops.push(y);
        y += lane_height(placed, lane.detail.len());
    }
    let lanes_bottom = y;
    let legend_y = lanes_bottom + 28.0;
    let height = legend_y + 22.0;

    let mut s = String::new();
    let _ = writeln!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {height:.0}\" font-family=\"{SANS}\">"
    );
    let _ = writeln!(
        s,
        "<title>{}</title>",
        xml(&format!(
            "Timeline of {}: {}",
            record.scenario,
            outcome(record)
        ))
    );
    defs(&mut s, &lanes);
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>"
    );
    header(&mut s, record);

    // lane backgrounds and names
    for (k, (lane, top)) in lanes.iter().zip(&tops).enumerate() {
        let h = lane_height(&placements[k], lane.detail.len());
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

    grid(&mut s, &axis, lanes_bottom);

    // leaders from each marker down to its label
    for (k, lane) in lanes.iter().enumerate() {
        for p in &placements[k] {
            let my = tops[k] + MARKER_DY;
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

    arrows(&mut s, record, &axis, &lanes, &tops);

    // labels, on a patch of their lane's colour so that lines pass behind
    for (k, placed) in placements.iter().enumerate() {
        for p in placed.iter().filter(|p| !p.text.is_empty()) {
            let e = &record.events[p.event];
            let ly = tops[k] + MARKER_DY + (p.row as f64 + 1.0) * ROW_H;
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

    // markers on top, each with its full line as a tooltip
    for (k, lane) in lanes.iter().enumerate() {
        for p in &placements[k] {
            let e = &record.events[p.event];
            let my = tops[k] + MARKER_DY;
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
            marker(&mut s, record, e, p.x, my, lane.colour);
            s.push_str("</g>\n");
        }
    }

    legend(&mut s, legend_y);
    s.push_str("</svg>\n");
    s
}

fn lane_fill(k: usize) -> &'static str {
    if k.is_multiple_of(2) {
        "#f4f6f8"
    } else {
        "#ffffff"
    }
}

fn defs(s: &mut String, lanes: &[Lane]) {
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

fn header(s: &mut String, record: &RunRecord) {
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

fn grid(s: &mut String, axis: &Axis, bottom: f64) {
    let (ticks, step) = axis.ticks();
    let _ = writeln!(
        s,
        "<line x1=\"{PLOT_LEFT:.1}\" y1=\"{AXIS_Y:.1}\" x2=\"{PLOT_RIGHT:.1}\" y2=\"{AXIS_Y:.1}\" stroke=\"#444444\" stroke-width=\"1\"/>"
    );
    let mut last_label_end = f64::NEG_INFINITY;
    for t in ticks {
        let x = axis.x(t);
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\" stroke=\"#d0d4d8\" stroke-width=\"1\"/>",
            AXIS_Y
        );
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{AXIS_Y:.1}\" stroke=\"#444444\" stroke-width=\"1\"/>",
            AXIS_Y - 5.0
        );
        let text = tick_label(t, step);
        let half = text.len() as f64 * 3.3;
        if x - half > last_label_end + 8.0 {
            let _ = writeln!(
                s,
                "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444444\">{}</text>",
                AXIS_Y - 9.0,
                xml(&text)
            );
            last_label_end = x + half;
        }
    }
    for seg in axis.segments.iter().filter(|g| g.idle) {
        let (x0, x1) = (seg.x0 + 3.0, seg.x1 - 3.0);
        let _ = writeln!(
            s,
            "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e4e7eb\" fill-opacity=\"0.7\"/>",
            AXIS_Y - 4.0,
            x1 - x0,
            bottom - AXIS_Y + 4.0
        );
        // the break: two slanted strokes across the axis line
        for dx in [x0, x1 - 6.0] {
            let _ = writeln!(
                s,
                "<line x1=\"{dx:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#444444\" stroke-width=\"1.2\"/>",
                AXIS_Y + 5.0,
                dx + 6.0,
                AXIS_Y - 5.0
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#666666\">{}</text>",
            (seg.x0 + seg.x1) / 2.0,
            AXIS_Y - 20.0,
            xml(&format!("{} gap", duration(seg.t1 - seg.t0)))
        );
    }
}

fn arrows(s: &mut String, record: &RunRecord, axis: &Axis, lanes: &[Lane], tops: &[f64]) {
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

fn legend(s: &mut String, y: f64) {
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

#[cfg(test)]
mod tests {
    use super::*;
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
    fn nice_steps() {
        assert_eq!(nice_step(33.0), 50.0);
        assert_eq!(nice_step(100.0), 100.0);
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1300.0), 2000.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn golden_svg() {
        assert_golden("passing.timeline.svg", &timeline(&fixtures::passing()));
        assert_golden("failing.timeline.svg", &timeline(&fixtures::failing()));
    }
}
