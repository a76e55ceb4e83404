//! The benchmark as data (`bench.json`, [`BenchReport`]) and as the table
//! a person reads; both are pure functions of the figures, so their shape
//! is tested without running anything.
//!
//! Every section is optional: a section that could not run here (Mininet
//! on the local backend, the Python baseline without `python3`) is absent
//! and `notes` says why.

use serde::{Deserialize, Serialize};

use super::stats::{Samples, Spread};

/// Bumped when a field changes meaning or disappears.
pub const BENCH_SCHEMA_VERSION: u32 = 1;

/// Orchestration overhead per scenario on a reused Mininet network, at most.
pub const TARGET_MININET_OVERHEAD_MS: f64 = 20.0;
/// Orchestration overhead per scenario on the local backend, at most.
pub const TARGET_LOCAL_OVERHEAD_MS: f64 = 10.0;
/// `--jobs 2` throughput over serial, at least.
pub const TARGET_JOBS_SPEEDUP: f64 = 1.7;
/// The gap at which the ack must follow the send order in every run.
pub const TARGET_ORDER_GAP_MS: f64 = 0.2;

/// `bench.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    /// Always `bench`.
    pub kind: String,
    /// `full` or `quick`.
    pub mode: String,
    /// `mininet`: every section; `local`: those that need no Mininet.
    pub backend: String,
    pub started_utc: String,
    pub duration_s: f64,
    pub machine: Machine,
    pub fresh: Option<Fresh>,
    /// On a reused Mininet network, then on the local backend.
    pub reused: Vec<Reused>,
    pub fidelity: Option<Fidelity>,
    pub jobs: Vec<Jobs>,
    pub throughput: Option<Throughput>,
    /// What every figure means (the words the table's footer prints).
    pub definitions: Vec<String>,
    /// What was skipped and why; what looked odd.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub kernel: String,
    pub cpus: usize,
    /// `release` or `debug`: the build of the binaries measured.
    pub build: String,
    /// CPU pressure (`some avg10`, %) when the benchmark started and ended.
    pub cpu_pressure_start: Option<f64>,
    pub cpu_pressure_end: Option<f64>,
    pub load_average_start: Option<f64>,
    pub load_average_end: Option<f64>,
}

/// One scenario on a fresh network next to Mininet's floor, alternately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fresh {
    pub scenario: String,
    pub floor_command: String,
    /// Wall time of each `mn … --test none`, ms.
    pub floor_ms: Samples,
    /// Wall time of each `orchestrate SCENARIO`, ms.
    pub run_ms: Samples,
    /// median run / median floor.
    pub ratio: f64,
    /// The median of each phase of the run's record, in the order they happen.
    pub phases: Vec<PhaseMedian>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseMedian {
    pub name: String,
    pub median_ms: f64,
}

/// One scenario repeated on a reused network: batches alternating with
/// the same exchange driven by the thinnest driver (the baseline). Each
/// figure is the median over the batches of the batch's figure, in ms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Reused {
    pub backend: String,
    pub scenario: String,
    /// Runs per batch.
    pub repeat: u32,
    pub batches: usize,
    /// Runs in all, and how many passed every check.
    pub runs: usize,
    pub passed: usize,
    pub batch_ms: f64,
    pub first_run_ms: f64,
    /// (batch − first run) / (N − 1), the final teardown included.
    pub per_run_after_first_ms: f64,
    /// Start-to-start after the first run.
    pub per_run_ms: f64,
    pub per_run_samples_ms: Vec<f64>,
    pub scenario_p50_ms: f64,
    pub scenario_mean_ms: f64,
    /// per run − scenario phase: network reset, run directory, checks, reports.
    pub outside_ms: f64,
    pub listening_ms: f64,
    pub connected_ms: f64,
    pub typed_ms: f64,
    pub exit_ms: f64,
    pub reactions_ms: f64,
    pub sleeps_ms: f64,
    /// scenario phase − reactions − sleeps.
    pub programs_ms: f64,
    /// per run − sleeps − programs' own work.
    pub overhead_ms: f64,
    pub overhead_samples_ms: Vec<f64>,
    pub target_ms: f64,
    /// The same exchange with the thinnest driver: mean per exchange of
    /// each round.
    pub bare_ms: Option<Samples>,
    pub bare_exchanges: usize,
    /// per run − bare exchange (medians).
    pub overhead_vs_bare_ms: Option<f64>,
    /// The exchange stretch by stretch, bare and orchestrated (means per
    /// batch or round, their median).
    pub stretches: Vec<Stretch>,
    /// The CPU time of a run after the first (the orchestrator and every
    /// program): (a batch's CPU − one run's on its own) / (N − 1).
    pub cpu_per_run_ms: f64,
    /// The CPU time of a bare exchange (its programs).
    pub bare_cpu_ms: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stretch {
    pub name: String,
    pub bare_ms: f64,
    pub orchestrated_ms: f64,
}

/// The fidelity sweep: the generated scenarios, each repeated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    pub backend: String,
    pub gaps: Vec<GapResult>,
    /// When the target gap reversed some acks: the same gap again with
    /// every program at real-time priority (`chrt --rr 1`), which takes
    /// CPU contention out of the clients' wake-ups.
    pub realtime: Option<GapResult>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GapResult {
    pub gap_ms: f64,
    /// `send: [a, b]` or `send: a, sleep_ms: 0.2, send: b`.
    pub steps: String,
    pub runs: usize,
    /// Every check passed.
    pub passed: usize,
    /// The ack follows the send order (a, X, first).
    pub send_order: usize,
    /// The clients' ack is the one the server printed.
    pub server_agrees: usize,
    /// The ack put X first.
    pub x_first: usize,
    /// Second typed line − first, as the orchestrator stamped them.
    pub typed_gap_ms: Spread,
    /// A typed client's `Sent to Server` line − the moment it was typed into.
    pub reply_ms: Spread,
    /// The same for the client typed into first, in the runs whose ack
    /// reversed the send order and in the others.
    pub first_reply_ms_reversed: Spread,
    pub first_reply_ms_in_order: Spread,
    /// Runs whose ack reversed the send order, and of those, how many
    /// clients' `Sent to Server` lines also came in reverse.
    pub reversed: usize,
    pub reversed_sent_first: usize,
    /// A few reversed runs, for a person to look at.
    pub reversed_runs: Vec<Reversal>,
    pub wall_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reversal {
    pub run: String,
    pub typed_gap_ms: Option<f64>,
    pub sent_gap_ms: Option<f64>,
    pub reply_ms: Vec<f64>,
}

/// One batch serially and with `--jobs N`, alternately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Jobs {
    pub backend: String,
    /// `experiments/ × 3`.
    pub batch: String,
    pub runs: usize,
    pub jobs: u32,
    pub serial_ms: Samples,
    pub parallel_ms: Samples,
    /// median serial / median parallel: the throughput ratio.
    pub speedup: f64,
    /// The most the batch's shape allows: the serial runs' durations dealt
    /// in plan order to N workers, as if CPUs were free.
    pub schedule_bound: f64,
    /// CPU time of each batch (it and everything it ran).
    pub serial_cpu_ms: Samples,
    pub parallel_cpu_ms: Samples,
    pub target: f64,
}

/// `server --rounds 0` and the Python baseline under the same load generator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub pairs: u32,
    pub runs: usize,
    pub warmup: u32,
    pub ours: ServerFigures,
    pub python: Option<ServerFigures>,
    /// ours / python, pairs per second (medians).
    pub ratio: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerFigures {
    pub command: String,
    pub pairs_per_s: Samples,
    pub server_cpu_us_per_pair: Samples,
    /// What the load generator itself spent per pair.
    pub generator_cpu_us_per_pair: Samples,
    /// One pair, connect to both acks, µs.
    pub pair_latency_us: Spread,
    pub peak_rss_kib: u64,
    pub failed_pairs: usize,
    pub first_error: Option<String>,
}

/// The words that say what each figure is (the table's footer, the JSON's
/// `definitions`).
pub fn definitions() -> Vec<String> {
    [
        "floor: wall time of `mn --switch lxbr --controller none --topo single,3 --test none` (build, start and stop a 3-host network, nothing run)",
        "per run: on a reused network, the mean interval from one run's start to the next's, runs after the first (the batch's first run builds the network)",
        "scenario phase: from the server's start to the moment every program has exited",
        "reactions: inside the scenario phase, the orchestrator's own latencies: the server's `listening on` line -> the `listening` step; each `Accepted connection` line -> its `connected` step; the later greeting -> the first typed line; the last exit -> the phase's end (each from the later of its line and the previous step)",
        "programs' own work: scenario phase - reactions - scripted sleeps (starting the programs, through mnexec on Mininet, connecting, the exchange, their lines through the pipes)",
        "orchestration overhead: per run - scripted sleeps - programs' own work = what lies outside the scenario phase (network reset, run directory, checks, reports) + the reactions; the `difference` of `wall per scenario` is the other reading: per run - the bare exchange",
        "bare exchange: the same scenario driven by the bench itself with nothing else (spawn, wait for the line, write stdin, wait for the exits), on the same kind of network: a direct measure of the programs' own work",
        "fidelity: generated scenarios (connect a, connect b, send a, sleep_ms G, send b; or send: [a, b]); `follows send order` = the ack names a (X) first; `server agrees` = the clients' ack is the server's own `Acknowledgment:` line",
        "--jobs: the same batch serially and with --jobs 2; speed-up = serial wall / parallel wall",
        "server: pairs one after another (connect X, connect Y, both greetings, both messages, both acks) from a Rust load generator; CPU per pair from /proc/PID/stat (utime+stime), the generator's from its thread's schedstat (on loopback the kernel's TCP work for a segment is done by its sender, so the generator's figure holds the server side of each handshake); peak RSS = VmHWM",
        "children run without RUST_BACKTRACE / RUST_LIB_BACKTRACE, as a user's would",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

// ---------------------------------------------------------------------------
// The table

/// A line of the table.
enum Line {
    /// A section's title.
    Section(String),
    /// figure | baseline | subject | ratio | target
    Row([String; 5]),
    /// Free text under a row, indented.
    Note(String),
}

fn row(cells: [&str; 5]) -> Line {
    Line::Row(cells.map(String::from))
}

/// Milliseconds as a person reads them: `250 µs`, `12.3 ms`, `1.25 s`.
pub fn ms(v: f64) -> String {
    if v.abs() < 1.0 {
        format!("{:.0} µs", v * 1000.0)
    } else if v.abs() >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v.abs() >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

fn ratio(v: f64) -> String {
    format!("{v:.2}×")
}

fn check(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

fn count(k: usize, n: usize) -> String {
    format!("{k}/{n}")
}

/// The table a person reads.
pub fn table(r: &BenchReport) -> String {
    let mut lines = Vec::new();
    if let Some(f) = &r.fresh {
        fresh_lines(f, &mut lines);
    }
    for u in &r.reused {
        reused_lines(u, &mut lines);
    }
    if let Some(f) = &r.fidelity {
        fidelity_lines(f, &mut lines);
    }
    if !r.jobs.is_empty() {
        lines.push(Line::Section(format!(
            "--jobs {} on {} (median of {}, alternating with serial)",
            r.jobs[0].jobs, r.jobs[0].backend, r.jobs[0].serial_ms.n
        )));
        lines.push(row(["", "serial", "--jobs", "speed-up", "target"]));
        for j in &r.jobs {
            lines.push(Line::Row([
                format!("{} ({} runs)", j.batch, j.runs),
                ms(j.serial_ms.median),
                ms(j.parallel_ms.median),
                ratio(j.speedup),
                format!("≥ {:.1}× {}", j.target, check(j.speedup >= j.target)),
            ]));
            lines.push(Line::Note(format!(
                "the batch's shape allows {} (its serial runs dealt to {} workers) · CPU used: serial {}, --jobs {}",
                ratio(j.schedule_bound),
                j.jobs,
                ms(j.serial_cpu_ms.median),
                ms(j.parallel_cpu_ms.median)
            )));
        }
    }
    if let Some(t) = &r.throughput {
        throughput_lines(t, &mut lines);
    }
    let mut out = header(r);
    out.push_str(&render(&lines));
    if !r.notes.is_empty() {
        out.push_str("\nNotes:\n");
        for n in &r.notes {
            out.push_str(&format!("  - {n}\n"));
        }
    }
    out.push_str("\nWhat the figures are:\n");
    for d in &r.definitions {
        out.push_str(&format!("  - {d}\n"));
    }
    out
}

fn header(r: &BenchReport) -> String {
    let m = &r.machine;
    let pct = |v: Option<f64>| v.map_or("?".into(), |v| format!("{v:.0}%"));
    let load = |v: Option<f64>| v.map_or("?".into(), |v| format!("{v:.1}"));
    format!(
        "orchestrate bench ({mode}, backend {backend}) — {started} · {kernel} · {cpus} CPUs · {build} build · {secs:.0} s\n\
         CPU pressure (some avg10) {p0} → {p1} · load average {l0} → {l1}\n",
        mode = r.mode,
        backend = r.backend,
        started = r.started_utc,
        kernel = m.kernel,
        cpus = m.cpus,
        build = m.build,
        secs = r.duration_s,
        p0 = pct(m.cpu_pressure_start),
        p1 = pct(m.cpu_pressure_end),
        l0 = load(m.load_average_start),
        l1 = load(m.load_average_end),
    )
}

fn fresh_lines(f: &Fresh, lines: &mut Vec<Line>) {
    lines.push(Line::Section(format!(
        "Fresh network: Mininet's floor next to one run of {} (median of {}, alternating)",
        f.scenario, f.run_ms.n
    )));
    lines.push(row(["", "floor", "one run", "ratio", ""]));
    lines.push(Line::Row([
        "wall".into(),
        ms(f.floor_ms.median),
        ms(f.run_ms.median),
        ratio(f.ratio),
        String::new(),
    ]));
    let phases: Vec<String> = f
        .phases
        .iter()
        .map(|p| format!("{} {}", p.name, ms(p.median_ms)))
        .collect();
    lines.push(Line::Note(format!("phases: {}", phases.join(" · "))));
}

fn reused_lines(u: &Reused, lines: &mut Vec<Line>) {
    lines.push(Line::Section(format!(
        "Reused network, {}: {} × {} per batch (median of {} batches, alternating with {} bare exchanges)",
        u.backend, u.scenario, u.repeat, u.batches, u.bare_exchanges
    )));
    lines.push(row([
        "",
        "bare exchange",
        "orchestrated",
        "difference",
        "target",
    ]));
    let bare = u.bare_ms.as_ref().map(|b| b.median);
    lines.push(Line::Row([
        "wall per scenario".into(),
        bare.map_or("—".into(), ms),
        ms(u.per_run_ms),
        u.overhead_vs_bare_ms.map_or(String::new(), difference),
        u.overhead_vs_bare_ms
            .map_or(String::new(), |v| overhead_target(u, v)),
    ]));
    for s in &u.stretches {
        lines.push(Line::Row([
            format!("  {}", s.name),
            bare.map_or("—".into(), |_| ms(s.bare_ms)),
            ms(s.orchestrated_ms),
            bare.map_or(String::new(), |_| difference(s.orchestrated_ms - s.bare_ms)),
            String::new(),
        ]));
    }
    overhead_lines(u, lines);
    lines.push(Line::Row([
        "CPU per scenario".into(),
        u.bare_cpu_ms.map_or("—".into(), ms),
        ms(u.cpu_per_run_ms),
        u.bare_cpu_ms
            .map_or(String::new(), |b| difference(u.cpu_per_run_ms - b)),
        String::new(),
    ]));
    lines.push(Line::Note(format!(
        "{} of {} runs passed; CPU per run = (a batch's CPU − one run's on its own) / (N − 1)",
        u.passed, u.runs
    )));
}

/// Where an orchestrated scenario's time goes: outside the scenario phase,
/// the reactions inside it, the programs' own work; and the orchestration
/// overhead against its target.
fn overhead_lines(u: &Reused, lines: &mut Vec<Line>) {
    let sub = |label: &str, v: f64| {
        Line::Row([
            format!("  {label}"),
            String::new(),
            ms(v),
            String::new(),
            String::new(),
        ])
    };
    lines.push(sub("outside the scenario phase", u.outside_ms));
    lines.push(sub("reactions inside it", u.reactions_ms));
    lines.push(Line::Note(format!(
        "listening {} · connected {} · typed {} · exit {}",
        ms(u.listening_ms),
        ms(u.connected_ms),
        ms(u.typed_ms),
        ms(u.exit_ms)
    )));
    lines.push(sub("programs' own work inside it", u.programs_ms));
    lines.push(Line::Row([
        "orchestration overhead per scenario".into(),
        String::new(),
        ms(u.overhead_ms),
        String::new(),
        overhead_target(u, u.overhead_ms),
    ]));
    lines.push(Line::Note(format!(
        "scenario phase: mean {}, p50 {} · (batch − first run) / (N − 1) = {} (holds the final teardown) · first run {}",
        ms(u.scenario_mean_ms),
        ms(u.scenario_p50_ms),
        ms(u.per_run_after_first_ms),
        ms(u.first_run_ms),
    )));
}

/// A difference in ms with its sign: `+1.2 ms`, `−0.4 ms`.
fn difference(d: f64) -> String {
    format!("{}{}", if d >= 0.0 { "+" } else { "−" }, ms(d.abs()))
}

/// The overhead target of `u`, and whether `v` meets it.
fn overhead_target(u: &Reused, v: f64) -> String {
    format!("≤ {:.0} ms {}", u.target_ms, check(v <= u.target_ms))
}

fn fidelity_lines(f: &Fidelity, lines: &mut Vec<Line>) {
    lines.push(Line::Section(format!(
        "Fidelity on {}: connect a, connect b, send a, sleep_ms G, send b (G = 0: send: [a, b])",
        f.backend
    )));
    lines.push(row([
        "gap G",
        "server agrees",
        "send order",
        "typed gap p50",
        "target",
    ]));
    for g in &f.gaps {
        gap_lines(g, lines);
    }
    if let Some(g) = &f.realtime {
        lines.push(Line::Row([
            format!(
                "{} ms, at real-time priority",
                crate::orchestrator::event::millis(g.gap_ms)
            ),
            count(g.server_agrees, g.runs),
            count(g.send_order, g.runs),
            ms(g.typed_gap_ms.p50),
            format!(
                "order {} {}",
                count(g.runs, g.runs),
                check(g.send_order == g.runs)
            ),
        ]));
        lines.push(Line::Note(format!(
            "`chrt --rr 1 orchestrate …`: typed → `Sent to Server` p50 {} p99 {} (the same without it: see above)",
            ms(g.reply_ms.p50),
            ms(g.reply_ms.p99)
        )));
    }
}

/// One gap of the sweep: its row (with its target, for the gaps that
/// have one), and what its reversed runs show.
fn gap_lines(g: &GapResult, lines: &mut Vec<Line>) {
    let together = g.gap_ms == 0.0;
    let target = if together {
        format!(
            "server {} {}",
            count(g.runs, g.runs),
            check(g.server_agrees == g.runs)
        )
    } else if (g.gap_ms - TARGET_ORDER_GAP_MS).abs() < 1e-9 {
        format!(
            "order {} {}",
            count(g.runs, g.runs),
            check(g.send_order == g.runs)
        )
    } else {
        String::new()
    };
    lines.push(Line::Row([
        format!("{} ms", crate::orchestrator::event::millis(g.gap_ms)),
        count(g.server_agrees, g.runs),
        if together {
            format!("either (X first {})", g.x_first)
        } else {
            count(g.send_order, g.runs)
        },
        ms(g.typed_gap_ms.p50),
        target,
    ]));
    if g.reversed > 0 && !together {
        lines.push(Line::Note(format!(
            "{} reversed: there the client typed first took {} (p50) from being typed into to its `Sent to Server` line, against {} in the runs in order; in {} its line came after the other client's",
            g.reversed,
            ms(g.first_reply_ms_reversed.p50),
            ms(g.first_reply_ms_in_order.p50),
            g.reversed_sent_first
        )));
    }
}

fn throughput_lines(t: &Throughput, lines: &mut Vec<Line>) {
    lines.push(Line::Section(format!(
        "Server, --rounds 0 over loopback: {} pairs per run, median of {} (alternating), Rust load generator",
        t.pairs, t.runs
    )));
    lines.push(row(["", "python", "ours", "ratio", ""]));
    let o = &t.ours;
    let p = t.python.as_ref();
    let cell = |f: &dyn Fn(&ServerFigures) -> String| p.map_or("—".into(), f);
    let r = |a: f64, b: Option<f64>| b.map_or(String::new(), |b| ratio(a / b));
    lines.push(Line::Row([
        "pairs/s".into(),
        cell(&|s| format!("{:.0}", s.pairs_per_s.median)),
        format!("{:.0}", o.pairs_per_s.median),
        t.ratio.map_or(String::new(), ratio),
        String::new(),
    ]));
    lines.push(Line::Row([
        "server CPU per pair".into(),
        cell(&|s| format!("{:.0} µs", s.server_cpu_us_per_pair.median)),
        format!("{:.0} µs", o.server_cpu_us_per_pair.median),
        r(
            o.server_cpu_us_per_pair.median,
            p.map(|s| s.server_cpu_us_per_pair.median),
        ),
        String::new(),
    ]));
    lines.push(Line::Row([
        "load generator CPU per pair".into(),
        cell(&|s| format!("{:.0} µs", s.generator_cpu_us_per_pair.median)),
        format!("{:.0} µs", o.generator_cpu_us_per_pair.median),
        String::new(),
        String::new(),
    ]));
    let ceiling =
        |s: &ServerFigures| format!("{:.0}", 1e6 / s.generator_cpu_us_per_pair.median.max(1e-9));
    lines.push(Line::Row([
        "  its ceiling, pairs/s (1 s / its CPU per pair)".into(),
        cell(&ceiling),
        ceiling(o),
        String::new(),
        String::new(),
    ]));
    lines.push(Line::Row([
        "pair latency p50 / p99".into(),
        cell(&|s| {
            format!(
                "{:.0} / {:.0} µs",
                s.pair_latency_us.p50, s.pair_latency_us.p99
            )
        }),
        format!(
            "{:.0} / {:.0} µs",
            o.pair_latency_us.p50, o.pair_latency_us.p99
        ),
        String::new(),
        String::new(),
    ]));
    let mb = |kib: u64| format!("{:.1} MB", kib as f64 / 1024.0);
    lines.push(Line::Row([
        "peak RSS (VmHWM)".into(),
        cell(&|s| mb(s.peak_rss_kib)),
        mb(o.peak_rss_kib),
        r(o.peak_rss_kib as f64, p.map(|s| s.peak_rss_kib as f64)),
        String::new(),
    ]));
}

/// Lays the lines out in columns: the first left-aligned, the others right.
fn render(lines: &[Line]) -> String {
    let mut widths = [0usize; 5];
    for l in lines {
        if let Line::Row(cells) = l {
            for (w, c) in widths.iter_mut().zip(cells) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    for l in lines {
        match l {
            Line::Section(title) => {
                out.push('\n');
                out.push_str(title);
                out.push('\n');
            }
            Line::Row(cells) => {
                let mut text = format!("  {:<w$}", cells[0], w = widths[0]);
                for (c, w) in cells.iter().zip(widths).skip(1) {
                    let pad = w.saturating_sub(c.chars().count());
                    text.push_str("   ");
                    text.push_str(&" ".repeat(pad));
                    text.push_str(c);
                }
                out.push_str(text.trim_end());
                out.push('\n');
            }
            Line::Note(text) => {
                out.push_str("      ");
                out.push_str(text);
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
