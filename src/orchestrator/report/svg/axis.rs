//! The time axis: where each moment of the run goes on the page. Mostly
//! linear; a long stretch without events is drawn as a break (two slanted
//! strokes and its length) so that it does not squeeze what happened.

use std::fmt::Write as _;

use crate::orchestrator::report::text::duration;

use super::{xml, AXIS_Y, BREAK_W, PLOT_LEFT, PLOT_RIGHT};

/// A stretch of the axis: linear, or an idle stretch drawn as a break.
#[derive(Clone, Copy, Debug)]
pub(super) struct Segment {
    pub(super) t0: f64,
    pub(super) t1: f64,
    pub(super) x0: f64,
    pub(super) x1: f64,
    pub(super) idle: bool,
}

/// Where each time goes on the page.
pub(super) struct Axis {
    pub(super) segments: Vec<Segment>,
}

impl Axis {
    /// Lays `[0, end]` over the plot. Some stretches without events become
    /// breaks so that they do not squeeze what happened: before the first
    /// event (the network being built) and after the last (teardown) when
    /// longer than a quarter of the run; between events only when longer
    /// than half the run and than a second (a server waiting out its
    /// timeout), so that a scenario's sleep between two sends stays to scale.
    pub(super) fn new(times: &[f64], end: f64) -> Axis {
        Axis {
            segments: lay_out(spans(times, end)),
        }
    }

    pub(super) fn x(&self, t: f64) -> f64 {
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

/// `[0, end]` cut into spans `(from, to, idle)`: the stretches without
/// events that [`Axis::new`] draws as breaks, and the linear ones between.
fn spans(times: &[f64], end: f64) -> Vec<(f64, f64, bool)> {
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
    spans
}

/// The spans side by side over the plot: each break [`BREAK_W`] wide,
/// the linear spans sharing the rest in proportion to their length.
fn lay_out(spans: Vec<(f64, f64, bool)>) -> Vec<Segment> {
    let breaks = spans.iter().filter(|s| s.2).count() as f64;
    let linear_ms: f64 = spans.iter().filter(|s| !s.2).map(|s| s.1 - s.0).sum();
    let linear_px = PLOT_RIGHT - PLOT_LEFT - breaks * BREAK_W;
    let scale = if linear_ms > 0.0 {
        linear_px / linear_ms
    } else {
        0.0
    };
    let mut x = PLOT_LEFT;
    spans
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
        .collect()
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

/// The axis line, its ticks and their grid lines, and its breaks.
pub(super) fn grid(s: &mut String, axis: &Axis, bottom: f64) {
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

#[cfg(test)]
mod tests {
    use super::nice_step;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(33.0), 50.0);
        assert_eq!(nice_step(100.0), 100.0);
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(1300.0), 2000.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }
}
