//! The benchmark as the table a person reads: a pure function of the
//! figures in [`BenchReport`].

use super::*;

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
                "the batch's shape allows {} (its serial runs dealt to {} workers, longest first) · \
                 its CPU allows {} (serial wall / (--jobs CPU / {}))",
                ratio(j.schedule_bound),
                j.jobs,
                ratio(cpu_bound(j)),
                j.jobs,
            )));
            lines.push(Line::Note(format!(
                "CPU used: serial {}, --jobs {}",
                ms(j.serial_cpu_ms.median),
                ms(j.parallel_cpu_ms.median)
            )));
        }
    }
    if let Some(t) = &r.throughput {
        throughput_lines(t, &mut lines);
    }
    if let Some(l) = &r.links {
        link_lines(l, &mut lines);
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
        "pa3-bench ({mode}, backend {backend}) — {started} · {kernel} · {cpus} CPUs · {build} build · {secs:.0} s\n\
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
        wall_target(u),
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
    lines.push(Line::Row([
        "runner wake-ups per scenario".into(),
        String::new(),
        format!("{:.1}", u.wakeups_per_run),
        String::new(),
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

/// The target of the wall per scenario: on Mininet a ratio to the bare
/// exchange, on loopback the overhead over it.
fn wall_target(u: &Reused) -> String {
    match (u.backend.as_str(), u.ratio_to_bare, u.overhead_vs_bare_ms) {
        ("mininet", Some(r), _) => format!(
            "{} ≤ {}× {}",
            ratio(r),
            TARGET_MININET_RATIO,
            check(r <= TARGET_MININET_RATIO)
        ),
        (_, _, Some(v)) => overhead_target(u, v),
        _ => String::new(),
    }
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
                pa3_mininet::orchestrator::event::millis(g.gap_ms)
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
        format!("{} ms", pa3_mininet::orchestrator::event::millis(g.gap_ms)),
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
/// The link engines: delay error at each delay, loss, cost per packet.
fn link_lines(l: &crate::links::LinkBench, lines: &mut Vec<Line>) {
    use crate::links::{LOSS_PACKETS, LOSS_PCT};
    for e in &l.engines {
        lines.push(Line::Section(format!(
            "link engine {}: one-way time of datagrams h2 → h1 minus the delay",
            e.engine.name()
        )));
        lines.push(row(["", "error p50", "error p99", "", ""]));
        for (delay, p50, p99) in &e.delay_error_ms {
            lines.push(Line::Row([
                format!("delay {delay} ms"),
                ms(*p50),
                ms(*p99),
                String::new(),
                String::new(),
            ]));
        }
        lines.push(Line::Row([
            "clear link (no engine)".into(),
            ms(e.clear_one_way_ms.0),
            ms(e.clear_one_way_ms.1),
            String::new(),
            String::new(),
        ]));
        lines.push(Line::Note(format!(
            "loss {LOSS_PCT} % over {LOSS_PACKETS} datagrams: {} lost ({} %) · at delay 0 each packet takes {} more than on a clear link{}",
            e.loss_sent - e.loss_received,
            e.loss_measured_pct,
            ms(e.added_per_packet_ms),
            e.cpu_per_packet_us
                .map(|us| format!(", and {us} µs of the delayer's CPU"))
                .unwrap_or_default()
        )));
    }
}

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

/// The most `--jobs` could gain with the CPU its batch used: its N workers
/// cannot take less wall than that CPU time spread over N CPUs (the bench
/// runs N workers on a machine of N CPUs).
pub fn cpu_bound(j: &Jobs) -> f64 {
    j.serial_ms.median * f64::from(j.jobs) / j.parallel_cpu_ms.median.max(1e-9)
}
