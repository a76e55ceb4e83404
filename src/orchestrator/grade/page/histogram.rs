//! The class's score distribution as an SVG histogram, written here as
//! the run's timeline is (plain SVG, generic fonts, nothing fetched):
//! ten bins of equal width from 0 to the most points there are, the last
//! closed (a full score counts in it), each bar labelled with its count
//! and carrying it in `data-count` for tests and scripts to read.

use std::fmt::Write as _;

use crate::orchestrator::grade::book::number;

/// Bars of the histogram.
pub const BINS: usize = 10;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;

/// A bin: its range of scores and how many fall in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
}

/// `scores` into [`BINS`] bins from 0 to `max` (a score outside it goes to
/// the nearest end).
pub fn bins(scores: &[f64], max: f64) -> Vec<Bin> {
    let max = if max > 0.0 { max } else { 1.0 };
    let width = max / BINS as f64;
    let mut out: Vec<Bin> = (0..BINS)
        .map(|i| Bin {
            lo: width * i as f64,
            hi: width * (i + 1) as f64,
            count: 0,
        })
        .collect();
    for s in scores {
        let i = ((s / width).floor().max(0.0) as usize).min(BINS - 1);
        out[i].count += 1;
    }
    out
}

/// The histogram of `scores` out of `max`, as an SVG element to put
/// inline in a page.
pub fn svg(scores: &[f64], max: f64) -> String {
    let bins = bins(scores, max);
    let tallest = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let bar_w = plot_w / BINS as f64;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"histogram\" width=\"{WIDTH:.0}\" height=\"{HEIGHT:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {HEIGHT:.0}\" role=\"img\" aria-label=\"Score distribution\" \
         font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        s,
        "<title>Score distribution: {} students</title>",
        scores.len()
    );
    let base = TOP + plot_h;
    let _ = writeln!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"#444\"/>",
        WIDTH - RIGHT
    );
    for (i, b) in bins.iter().enumerate() {
        let h = plot_h * b.count as f64 / tallest as f64;
        let x = LEFT + bar_w * i as f64;
        let _ = writeln!(
            s,
            "<rect class=\"bar\" data-lo=\"{}\" data-hi=\"{}\" data-count=\"{}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#4a7fb5\"><title>{}–{}{}: {} student{}</title></rect>",
            number(b.lo),
            number(b.hi),
            b.count,
            x + 2.0,
            base - h,
            bar_w - 4.0,
            number(b.lo),
            number(b.hi),
            if i + 1 == BINS { " (inclusive)" } else { "" },
            b.count,
            if b.count == 1 { "" } else { "s" }
        );
        if b.count > 0 {
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + bar_w / 2.0,
                base - h - 4.0,
                b.count
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            base + 14.0,
            number(b.lo)
        );
    }
    s.push_str(&axis_end(max, base, plot_w));
    s.push_str("</svg>\n");
    s
}

/// The axis's last number and its title.
fn axis_end(max: f64, base: f64, plot_w: f64) -> String {
    format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{}</text>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">score (points)</text>\n",
        WIDTH - RIGHT,
        base + 14.0,
        number(max),
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_fall_in_bins_of_a_tenth_and_a_full_score_in_the_last() {
        let b = bins(
            &[0.0, 9.9, 10.0, 55.0, 70.0, 70.0, 100.0, 120.0, -5.0],
            100.0,
        );
        let counts: Vec<usize> = b.iter().map(|b| b.count).collect();
        assert_eq!(counts, [3, 1, 0, 0, 0, 1, 0, 2, 0, 2]);
        assert_eq!((b[7].lo, b[7].hi), (70.0, 80.0));
    }

    #[test]
    fn the_svg_carries_each_bins_count_and_is_well_formed() {
        let text = svg(&[70.0, 70.0, 55.0], 100.0);
        assert!(
            text.contains("data-lo=\"70\" data-hi=\"80\" data-count=\"2\""),
            "{text}"
        );
        assert!(
            text.contains("data-lo=\"50\" data-hi=\"60\" data-count=\"1\""),
            "{text}"
        );
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut bars = 0;
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Eof => break,
                quick_xml::events::Event::Start(e) if e.name().as_ref() == b"rect" => bars += 1,
                _ => {}
            }
        }
        assert_eq!(bars, BINS);
    }
}
