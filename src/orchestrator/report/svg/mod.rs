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
//!
//! By role: [`axis`] lays time over the page and draws it, breaks and all;
//! [`lanes`] makes one lane per process, places its labels and draws its
//! background, name and leaders; [`draw`] the markers, labels, arrows,
//! legend and header. This file holds the page's measures and puts the
//! parts on the page in drawing order (later parts are drawn on top).

use std::fmt::Write as _;

use quick_xml::escape::escape;

use crate::orchestrator::record::RunRecord;

use super::text::{clean, outcome};

mod axis;
mod draw;
mod lanes;
#[cfg(test)]
mod tests;

use axis::Axis;
use lanes::{Lane, Placed};

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

/// The timeline of the run as an SVG document.
pub fn timeline(record: &RunRecord) -> String {
    let page = Page::lay_out(record);
    let height = page.height;
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
    draw::defs(&mut s, &page.lanes);
    let _ = writeln!(
        s,
        "<rect x=\"0\" y=\"0\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>"
    );
    draw::header(&mut s, record);
    lanes::backgrounds(&mut s, &page);
    axis::grid(&mut s, &page.axis, page.lanes_bottom);
    lanes::leaders(&mut s, &page);
    draw::arrows(&mut s, record, &page.axis, &page.lanes, &page.tops);
    draw::labels(&mut s, record, &page);
    draw::markers(&mut s, record, &page);
    draw::legend(&mut s, page.legend_y);
    s.push_str("</svg>\n");
    s
}

/// Where everything goes: the time axis, the lanes with their labels
/// placed, the top of each lane, and the page's height.
struct Page {
    axis: Axis,
    lanes: Vec<Lane>,
    /// Per lane, its events with their markers' and labels' places.
    placements: Vec<Vec<Placed>>,
    tops: Vec<f64>,
    lanes_bottom: f64,
    legend_y: f64,
    height: f64,
}

impl Page {
    fn lay_out(record: &RunRecord) -> Page {
        let lanes = lanes::lanes(record);
        let end = record
            .events
            .iter()
            .map(|e| e.t_ms)
            .filter(|t| t.is_finite())
            .fold(record.duration_ms.max(1.0), f64::max);
        let times: Vec<f64> = record.events.iter().map(|e| e.t_ms).collect();
        let axis = Axis::new(&times, end);

        let placements: Vec<Vec<Placed>> = lanes
            .iter()
            .map(|l| lanes::place(record, &axis, l))
            .collect();
        let mut tops = Vec::with_capacity(lanes.len());
        let mut y = LANES_TOP;
        for (lane, placed) in lanes.iter().zip(&placements) {
            tops.push(y);
            y += lanes::lane_height(placed, lane.detail.len());
        }
        let lanes_bottom = y;
        let legend_y = lanes_bottom + 28.0;
        Page {
            axis,
            lanes,
            placements,
            tops,
            lanes_bottom,
            legend_y,
            height: legend_y + 22.0,
        }
    }
}

/// Text for an SVG text node or attribute value: cleaned (see [`clean`]),
/// then escaped for both places — quick-xml's `escape` turns all five of
/// `& < > " '` into the predefined entities (`&apos;`, `&quot;`), so a
/// value is safe inside either kind of attribute quote.
fn xml(s: &str) -> String {
    escape(clean(s)).into_owned()
}
