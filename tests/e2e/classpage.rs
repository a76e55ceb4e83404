//! What must hold of a grade's class page (`class.html`) and exports,
//! checked against the grade's own `gradebook.csv` by value: a row per
//! student with its score and cells, the histogram's bars, each item's
//! counts, the mean and median, every link reaching a file, the Canvas
//! and per-item CSVs. And the page in a real browser: Debian's Chromium,
//! headless, must render it with no console message at all (an error, or
//! anything the page's policy blocked from being fetched), run its script,
//! and sort and filter the students as the address's fragment asks.
//!
//! A test that opens the browser needs Chromium (`scripts/setup` installs
//! it) and fails, saying so, where it is missing.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::grade::gradebook;
use crate::support::tempdir;

/// `&amp;` and the others, back to text.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The rows of the students' table: each one's `data-` attributes
/// (`student`, `score`, `item1`…) and whether it is hidden, in page order.
pub(crate) fn student_rows(html: &str) -> Vec<(BTreeMap<String, String>, bool)> {
    let row = Regex::new(r#"<tr (data-student="[^>]*)>"#).unwrap();
    let attr = Regex::new(r#"([a-z0-9-]+)(?:="([^"]*)")?"#).unwrap();
    row.captures_iter(html)
        .map(|c| {
            let mut data = BTreeMap::new();
            let mut hidden = false;
            for a in attr.captures_iter(&c[1]) {
                match a[1].strip_prefix("data-") {
                    Some(name) => {
                        let value = a.get(2).map(|v| unescape(v.as_str())).unwrap_or_default();
                        data.insert(name.to_string(), value);
                    }
                    None => hidden |= &a[1] == "hidden",
                }
            }
            (data, hidden)
        })
        .collect()
}

fn capture_all(html: &str, pattern: &str) -> Vec<Vec<String>> {
    Regex::new(pattern)
        .unwrap()
        .captures_iter(html)
        .map(|c| {
            c.iter()
                .skip(1)
                .map(|m| m.unwrap().as_str().to_string())
                .collect()
        })
        .collect()
}

/// The bin of a score, as the page bins them: tenths of `max`, the last
/// closed.
fn bin_of(score: f64, max: f64) -> usize {
    ((score / (max / 10.0)).floor().max(0.0) as usize).min(9)
}

fn number(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

/// The class page and exports of the grade in `dir` agree with its
/// `gradebook.csv`, and every link of the page reaches a file.
pub(crate) fn assert_class_page(dir: &Path) {
    let (_, rows) = gradebook(dir);
    let html = std::fs::read_to_string(dir.join("class.html")).unwrap();
    let md = std::fs::read_to_string(dir.join("gradebook.md")).unwrap();
    assert!(
        md.contains("](class.html)"),
        "gradebook.md links the class page"
    );

    // A row per student, in the gradebook's order, with its score and cells.
    let page: Vec<BTreeMap<String, String>> =
        student_rows(&html).into_iter().map(|r| r.0).collect();
    assert_eq!(page.len(), rows.len(), "a row per student");
    for (p, csv) in page.iter().zip(&rows) {
        assert_eq!(p["student"], csv["student"]);
        assert_eq!(p["score"], csv["score"], "{}", csv["student"]);
        assert_eq!(p["max"], csv["max_score"], "{}", csv["student"]);
        for i in 1..=12 {
            let k = format!("item{i}");
            assert_eq!(p[&k], csv[&k], "{} {k}", csv["student"]);
        }
        let time: f64 = p["time"].parse().unwrap();
        assert!(time > 0.0, "{}: its runs took some time", csv["student"]);
    }

    // The histogram's bars: the gradebook's scores, binned.
    let scores: Vec<f64> = rows.iter().map(|r| r["score"].parse().unwrap()).collect();
    let max: f64 = rows[0]["max_score"].parse().unwrap();
    let mut want = [0usize; 10];
    scores.iter().for_each(|s| want[bin_of(*s, max)] += 1);
    let bars = capture_all(
        &html,
        r#"<rect class="bar" data-lo="([^"]*)" data-hi="[^"]*" data-count="(\d+)""#,
    );
    let got: Vec<usize> = bars.iter().map(|b| b[1].parse().unwrap()).collect();
    assert_eq!(got, want, "histogram bars");
    assert_eq!(bars[7][0], number(max * 0.7));

    // Each item's counts.
    let items = capture_all(
        &html,
        r#"<tr data-item="(\d+)" data-pass="(\d+)" data-fail="(\d+)" data-review="(\d+)" data-na="(\d+)">"#,
    );
    assert_eq!(items.len(), 12);
    for (i, counts) in items.iter().enumerate() {
        let count = |cell: &str| {
            rows.iter()
                .filter(|r| r[&format!("item{}", i + 1)] == cell)
                .count()
                .to_string()
        };
        assert_eq!(
            counts[1..4],
            [count("pass"), count("fail"), count("review")],
            "item {}",
            i + 1
        );
    }

    // Mean and median.
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    let mut sorted = scores.clone();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n.is_multiple_of(2) {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    } else {
        sorted[n / 2]
    };
    assert!(html.contains(&format!(
        "<td data-stat=\"mean\">{mean:.1}</td><td data-stat=\"median\">{}</td>",
        number(median)
    )));

    assert_adaptations(dir, &html);
    assert_links_reach_files(dir, &html);
    assert_exports(dir, &rows);
}

/// The page's count of the runs the network was adapted in is the
/// summary's.
fn assert_adaptations(dir: &Path, html: &str) {
    let summary = crate::support::grade_summary(dir);
    let want: usize = summary
        .students
        .iter()
        .flat_map(|s| &s.runs)
        .map(|r| r.facts.adaptations.len())
        .sum();
    let rows = capture_all(
        html,
        r#"<tr data-kind="([^"]*)" data-students="\d+" data-runs="(\d+)">"#,
    );
    let got: usize = rows
        .iter()
        .filter(|r| {
            r[0].starts_with("the server listened")
                || r[0].starts_with("a client dialed")
                || r[0].starts_with("the network could not")
        })
        .map(|r| r[1].parse::<usize>().unwrap())
        .sum();
    assert_eq!(got, want, "runs adapted");
    assert!(html.contains("<h2 id=\"adapted\">"));
}

/// Every relative link of `html` (in `dir`) reaches a file or folder.
fn assert_links_reach_files(dir: &Path, html: &str) {
    let mut links = 0;
    for l in capture_all(html, r##"href="([^"#]+)(?:#[^"]*)?""##) {
        let decoded = percent_decode(&unescape(&l[0]));
        assert!(
            !decoded.contains("://"),
            "no link leaves the grade: {decoded}"
        );
        assert!(
            dir.join(&decoded).exists(),
            "class.html links to a missing {decoded}"
        );
        links += 1;
    }
    assert!(links > 0);
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// `canvas.csv` and `points.csv` say what the gradebook says.
fn assert_exports(dir: &Path, rows: &[BTreeMap<String, String>]) {
    let canvas = std::fs::read_to_string(dir.join("canvas.csv")).unwrap();
    let lines: Vec<&str> = canvas.lines().collect();
    assert!(
        lines[0].starts_with("Student,ID,SIS User ID,SIS Login ID,Section,"),
        "{canvas}"
    );
    assert_eq!(
        lines[1],
        format!("Points Possible,,,,,{}", rows[0]["max_score"])
    );
    for (line, r) in lines[2..].iter().zip(rows) {
        assert_eq!(*line, format!("{0},,,{0},,{1}", r["student"], r["score"]));
    }
    // Each item's points, as the grade gave them (grading.yaml's).
    let summary = crate::support::grade_summary(dir);
    let max = |i: usize| summary.students[0].items[i].max_points;
    let points = std::fs::read_to_string(dir.join("points.csv")).unwrap();
    for (line, r) in points.lines().skip(1).zip(rows) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(
            cells[..3],
            [
                r["student"].as_str(),
                r["score"].as_str(),
                r["max_score"].as_str()
            ]
        );
        for i in 0..12 {
            let want = match r[&format!("item{}", i + 1)].as_str() {
                "pass" => number(max(i)),
                "fail" => "0".to_string(),
                _ => String::new(),
            };
            assert_eq!(cells[3 + i], want, "{} item {}", r["student"], i + 1);
        }
    }
}

// ---------------------------------------------------------------------------
// The page in Chromium

/// Debian's Chromium (or another build of it on PATH).
fn find_chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// First line of a test marked `#[ignore = "needs chromium"]`: Chromium,
/// or the test fails saying how to get it.
#[track_caller]
pub(crate) fn require_chromium() -> PathBuf {
    find_chromium().unwrap_or_else(|| {
        panic!(
            "this test opens the class page in a headless Chromium, which is not installed: \
             `sudo apt-get install -y chromium` (scripts/setup installs it)"
        )
    })
}

/// What Chromium made of a page: the document after its script ran, and
/// every console message it logged.
pub(crate) struct Rendered {
    pub dom: String,
    pub console: Vec<String>,
}

/// Opens `page#fragment` in a headless Chromium with a profile of its
/// own, nothing in the background, and returns the document once loaded.
pub(crate) fn render(chromium: &Path, page: &Path, fragment: &str) -> Rendered {
    let profile = tempdir();
    let url = format!(
        "file://{}{fragment}",
        page.canonicalize().unwrap().display()
    );
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(&url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    // Its own process group: the renderer, GPU and zygote processes go
    // with it whatever happens.
    .process_group(0);
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let out = loop {
        if let Ok(out) = done_rx.recv_timeout(Duration::from_millis(100)) {
            break out.unwrap();
        }
        if Instant::now() > deadline {
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            panic!("Chromium did not render {url} within 90 s");
        }
    };
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    assert!(
        out.status.success(),
        "Chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        console,
    }
}

/// The page renders in Chromium without a console message, its script
/// ran, and the fragments sort and filter the students as the gradebook
/// says they should.
pub(crate) fn assert_renders_in_chromium(dir: &Path) {
    let chromium = require_chromium();
    let (_, rows) = gradebook(dir);
    let page = dir.join("class.html");
    let visible = |r: &Rendered| -> Vec<String> {
        assert!(r.console.is_empty(), "console messages: {:#?}", r.console);
        assert!(
            r.dom.contains("data-ready=\"yes\""),
            "the page's script did not finish"
        );
        student_rows(&r.dom)
            .into_iter()
            .filter(|(_, hidden)| !hidden)
            .map(|(d, _)| d["student"].clone())
            .collect()
    };
    // By name first (a grade's rows are in name order already).
    let mut names: Vec<String> = rows.iter().map(|r| r["student"].clone()).collect();
    names.sort_by_key(|n| n.to_lowercase());
    assert_eq!(visible(&render(&chromium, &page, "")), names);

    // By score, highest first (equal scores by name).
    let mut by_score = rows.clone();
    by_score.sort_by(|a, b| {
        let (x, y): (f64, f64) = (a["score"].parse().unwrap(), b["score"].parse().unwrap());
        y.total_cmp(&x).then(a["student"].cmp(&b["student"]))
    });
    let want: Vec<String> = by_score.iter().map(|r| r["student"].clone()).collect();
    let r = render(&chromium, &page, "#sort=score&dir=desc");
    assert_eq!(visible(&r), want);
    assert!(r
        .dom
        .contains(&format!("{} of {} students shown", rows.len(), rows.len())));

    // The students who failed the item most failed, and no one else.
    let item = (1..=12)
        .max_by_key(|i| {
            rows.iter()
                .filter(|r| r[&format!("item{i}")] == "fail")
                .count()
        })
        .unwrap();
    let failed: Vec<String> = names
        .iter()
        .filter(|n| {
            rows.iter()
                .any(|r| &r["student"] == *n && r[&format!("item{item}")] == "fail")
        })
        .cloned()
        .collect();
    let r = render(&chromium, &page, &format!("#item={item}&cell=fail"));
    assert_eq!(visible(&r), failed, "item {item} failed");
    assert!(r.dom.contains(&format!("data-shown=\"{}\"", failed.len())));
}
