//! What the benchmark reads out of the records `orchestrate` wrote (pure):
//! the orchestrator's own reaction latencies inside a run, the per-run
//! figures of a batch on a reused network, and the timing of the two sends
//! of a fidelity-sweep run.
//!
//! # What "the programs' own work" is
//!
//! A run's `scenario` phase lasts from the server's start to the moment the
//! runner has seen every program exit. Inside it are the programs' own work
//! — starting (in the hosts' namespaces on Mininet), connecting, the exchange, and
//! printing their lines through the pipes — and four places where the
//! orchestrator itself is the one being waited for; each is measured from
//! the line that told the orchestrator it could go on (or from its own
//! previous step, when that came later) to the event of its next step:
//!
//! - *listening*: the server's `listening on` line → the `listening` step;
//! - *connected*: each `Accepted connection … as Client X/Y` line of the
//!   server → the `connected` step of that connection;
//! - *typed*: the later greeting of the clients of the first send → the
//!   first line typed into a client;
//! - *exit*: the last program's exit → the end of the scenario phase.
//!
//! A reaction can come out negative (the runner watches the server host's
//! TCP table, which may show a socket before the line saying so is read);
//! it counts as 0 in a total. The programs' own work is the scenario phase
//! minus these reactions and minus the scripted sleeps; the orchestration
//! overhead of a run is everything else: its wall time (start to the next
//! run's start, on a reused network) minus the programs' own work minus the
//! scripted sleeps — the network reset, the run directory, the checks, the
//! reports, and the reactions above.
//!
//! That reading counts as the programs' own work whatever slows the
//! programs down under the orchestrator (its spawning, its CPU use on a
//! busy machine). The bare exchange ([`super::bare`]) measures the
//! programs' own work directly; [`Milestones`] compares the two readings
//! stretch by stretch.

use pa3_mininet::orchestrator::batch::summary::BatchSummary;
use pa3_mininet::orchestrator::event::{Event, EventKind};
use pa3_mininet::orchestrator::record::RunRecord;
use pa3_mininet::pa3::client::SENT;
use pa3_mininet::pa3::protocol;

use super::stats::mean;

/// The orchestrator's reaction latencies inside one run, in ms (`None`
/// where the line they are measured from is missing, e.g. a server that
/// prints no `Accepted connection`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reactions {
    pub listening: Option<f64>,
    /// Summed over the connect steps.
    pub connected: Option<f64>,
    pub typed: Option<f64>,
    pub exit: Option<f64>,
}

impl Reactions {
    /// The sum, each reaction counted as at least 0.
    pub fn total(&self) -> f64 {
        [self.listening, self.connected, self.typed, self.exit]
            .into_iter()
            .flatten()
            .map(|v| v.max(0.0))
            .sum()
    }
}

fn stdout_lines<'a>(events: &'a [Event], process: &'a str) -> impl Iterator<Item = (f64, &'a str)> {
    events
        .iter()
        .filter_map(move |e| e.stdout_of(process).map(|t| (e.t_ms, t)))
}

/// The time of the first stdout line of `process` that `pred` accepts.
fn first_line(events: &[Event], process: &str, pred: impl Fn(&str) -> bool) -> Option<f64> {
    stdout_lines(events, process)
        .find(|(_, t)| pred(t))
        .map(|(t, _)| t)
}

/// The scenario phase of a run, in ms.
pub fn phase_ms(record: &RunRecord, name: &str) -> Option<f64> {
    record.phases.iter().find(|p| p.name == name).map(|p| p.ms)
}

/// The orchestrator's reaction latencies in one run (see the module doc).
/// Each is measured from the later of its line and the orchestrator's
/// previous step (before which the orchestrator could not have moved on
/// anyway), so that no stretch of time is counted twice.
pub fn reactions(record: &RunRecord) -> Reactions {
    let events = &record.events;
    let server_started = events
        .iter()
        .find(|e| e.process == "server" && matches!(e.kind, EventKind::Started { .. }))
        .map(|e| e.t_ms);
    Reactions {
        listening: listening_reaction(events, server_started),
        connected: connected_reaction(events),
        typed: typed_reaction(events),
        exit: exit_reaction(record, server_started),
    }
}

/// The server's `listening on` line (or its start, if later) → the
/// `listening` step.
fn listening_reaction(events: &[Event], server_started: Option<f64>) -> Option<f64> {
    let listening_line = first_line(events, "server", |l| l.starts_with("listening on"));
    let listening_step = events
        .iter()
        .find(|e| e.is_step() && matches!(e.kind, EventKind::Listening { .. }))
        .map(|e| e.t_ms);
    listening_line
        .zip(listening_step)
        .map(|(l, s)| s - l.max(server_started.unwrap_or(l)))
}

/// Each `Accepted connection` line of the server (or the client's start,
/// if later) → the `connected` step of that connection, summed; `None`
/// unless every connect step has its line.
fn connected_reaction(events: &[Event]) -> Option<f64> {
    let accepted: Vec<f64> = stdout_lines(events, "server")
        .filter(|(_, l)| l.starts_with("Accepted connection"))
        .map(|(t, _)| t)
        .collect();
    // (connections, when the client was started, when it was seen connected)
    let mut connects: Vec<(usize, f64, f64)> = Vec::new();
    let mut connecting_at = None;
    for e in events {
        match e.kind {
            EventKind::Connecting { .. } => connecting_at = Some(e.t_ms),
            EventKind::Connected { connections, .. } => {
                connects.push((connections, connecting_at.unwrap_or(e.t_ms), e.t_ms));
            }
            _ => {}
        }
    }
    (!connects.is_empty()
        && connects
            .iter()
            .all(|(n, _, _)| *n >= 1 && *n <= accepted.len()))
    .then(|| {
        connects
            .iter()
            .map(|(n, from, at)| (at - accepted[n - 1].max(*from)).max(0.0))
            .sum()
    })
}

/// The later greeting of the clients of the first send (or the previous
/// step, if later) → the first line typed into a client.
fn typed_reaction(events: &[Event]) -> Option<f64> {
    let first = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Typed { .. }))?;
    let before = &events[..first];
    // The clients of the first send: announced by a `sending` step
    // before the first line was typed.
    let greetings: Option<Vec<f64>> = before
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Sending { client } => Some(client.as_str()),
            _ => None,
        })
        .map(|c| first_line(events, c, |l| protocol::parse_greeting(l).is_some()))
        .collect();
    let previous_step = before
        .iter()
        .filter(|e| e.is_step() && !matches!(e.kind, EventKind::Sending { .. }))
        .map(|e| e.t_ms);
    let from = greetings?
        .into_iter()
        .chain(previous_step)
        .reduce(f64::max)?;
    Some(events[first].t_ms - from)
}

/// The last program's exit → the end of the scenario phase.
fn exit_reaction(record: &RunRecord, server_started: Option<f64>) -> Option<f64> {
    let last_exit = record
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Exited { .. }))
        .map(|e| e.t_ms)
        .reduce(f64::max);
    match (server_started, last_exit, phase_ms(record, "scenario")) {
        (Some(s), Some(x), Some(scenario)) => Some(s + scenario - x),
        _ => None,
    }
}

/// The moments of one exchange, in ms from the server's start, read the
/// same way from an orchestrated run and from a bare exchange, so that the
/// two can be compared stretch by stretch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Milestones {
    /// The server's `listening on` line.
    pub listening: Option<f64>,
    /// Its `Accepted connection … as Client X` line, and Y's.
    pub accepted_x: Option<f64>,
    pub accepted_y: Option<f64>,
    /// The later of the two clients' greeting lines.
    pub greeted: Option<f64>,
    /// The first line typed into a client.
    pub typed: Option<f64>,
    /// The last program's exit.
    pub last_exit: Option<f64>,
    /// The end: of the scenario phase, or of the bare driver's wait.
    pub end: Option<f64>,
}

/// The stretches between consecutive milestones, named as the table shows them.
pub const STRETCHES: [&str; 7] = [
    "server start → listening line",
    "→ X accepted",
    "→ Y accepted",
    "→ both clients greeted",
    "→ first line typed",
    "→ last exit",
    "→ end of the scenario phase",
];

impl Milestones {
    fn points(&self) -> [Option<f64>; 8] {
        [
            Some(0.0),
            self.listening,
            self.accepted_x,
            self.accepted_y,
            self.greeted,
            self.typed,
            self.last_exit,
            self.end,
        ]
    }

    /// The length of each of [`STRETCHES`] (`None` where a milestone is missing).
    pub fn stretches(&self) -> Vec<Option<f64>> {
        self.points()
            .windows(2)
            .map(|w| w[0].zip(w[1]).map(|(a, b)| b - a))
            .collect()
    }

    /// From what a server and two clients printed, each line with its
    /// time: the server's lines, then each client's (pure; the bare
    /// driver gives its lines this way).
    pub fn from_lines(
        server: &[(f64, &str)],
        clients: &[&[(f64, &str)]],
        typed: Option<f64>,
        last_exit: Option<f64>,
        end: Option<f64>,
    ) -> Milestones {
        let server_line =
            |pred: &dyn Fn(&str) -> bool| server.iter().find(|(_, l)| pred(l)).map(|(t, _)| *t);
        let accepted = |letter: &str| {
            let tail = format!("as Client {letter}");
            server_line(&|l| l.starts_with("Accepted connection") && l.ends_with(&tail))
        };
        let greetings: Option<Vec<f64>> = clients
            .iter()
            .map(|lines| {
                lines
                    .iter()
                    .find(|(_, l)| protocol::parse_greeting(l).is_some())
                    .map(|(t, _)| *t)
            })
            .collect();
        Milestones {
            listening: server_line(&|l| l.starts_with("listening on")),
            accepted_x: accepted("X"),
            accepted_y: accepted("Y"),
            greeted: greetings.and_then(|g| g.into_iter().reduce(f64::max)),
            typed,
            last_exit,
            end,
        }
    }
}

/// The milestones of an orchestrated run, from its server's start.
pub fn milestones(record: &RunRecord) -> Milestones {
    let events = &record.events;
    let Some(t0) = events
        .iter()
        .find(|e| e.process == "server" && matches!(e.kind, EventKind::Started { .. }))
        .map(|e| e.t_ms)
    else {
        return Milestones::default();
    };
    let server = lines_since(events, "server", t0);
    let clients: Vec<Vec<(f64, &str)>> = record
        .processes
        .iter()
        .filter(|p| p.id != "server")
        .map(|p| lines_since(events, &p.id, t0))
        .collect();
    let client_refs: Vec<&[(f64, &str)]> = clients.iter().map(Vec::as_slice).collect();
    let typed = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Typed { .. }))
        .map(|e| e.t_ms - t0);
    let last_exit = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Exited { .. }))
        .map(|e| e.t_ms - t0)
        .reduce(f64::max);
    Milestones::from_lines(
        &server,
        &client_refs,
        typed,
        last_exit,
        phase_ms(record, "scenario"),
    )
}

/// The stdout lines of `process`, timed from `t0`.
fn lines_since<'a>(events: &'a [Event], process: &str, t0: f64) -> Vec<(f64, &'a str)> {
    events
        .iter()
        .filter_map(|e| e.stdout_of(process).map(|l| (e.t_ms - t0, l)))
        .collect()
}

/// The mean of each stretch over several exchanges (those that have it).
pub fn mean_stretches(all: &[Milestones]) -> Vec<f64> {
    let each: Vec<Vec<Option<f64>>> = all.iter().map(Milestones::stretches).collect();
    (0..STRETCHES.len())
        .map(|i| mean(&each.iter().filter_map(|s| s[i]).collect::<Vec<_>>()))
        .collect()
}

/// The scripted sleeps of a run, in ms.
pub fn sleeps_ms(record: &RunRecord) -> f64 {
    record
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Sleeping { ms } => Some(ms),
            _ => None,
        })
        .sum()
}

/// Milliseconds since 1970 of an RFC 3339 UTC time as the records write
/// it (`2026-12-02T07:00:50.123Z`).
pub fn utc_ms(text: &str) -> Option<f64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i32>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(y, month, u8::try_from(day).ok()?).ok()?;
    let days =
        f64::from(date.to_julian_day() - time::macros::date!(1970 - 01 - 01).to_julian_day());
    let mut t = time.split(':');
    let (h, min, s) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    Some(((days * 24.0 + h) * 60.0 + min) * 60_000.0 + s * 1000.0)
}

/// The figures of one batch of one scenario repeated on a reused network
/// (one job), in ms.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReusedBatch {
    pub runs: usize,
    pub passed: usize,
    /// The batch's own `duration_ms`: building the network, every run,
    /// tearing the network down.
    pub batch_ms: f64,
    /// The first run's `duration_ms` (it builds the network).
    pub first_run_ms: f64,
    /// (batch − first run) / (N − 1): every later run, plus the final
    /// teardown spread over them.
    pub per_run_after_first_ms: f64,
    /// The mean start-to-start interval of the runs after the first: one
    /// run's whole cost on the reused network, reports and bookkeeping
    /// included, without the final teardown.
    pub per_run_ms: f64,
    /// The scenario phase's p50, from the batch's statistics (every run).
    pub scenario_p50_ms: f64,
    /// Means over the runs measured by `per_run_ms`.
    pub scenario_mean_ms: f64,
    pub listening_ms: f64,
    pub connected_ms: f64,
    pub typed_ms: f64,
    pub exit_ms: f64,
    pub reactions_ms: f64,
    pub sleeps_ms: f64,
    /// The mean of each of [`STRETCHES`].
    pub stretches_ms: Vec<f64>,
    /// How often the runner's thread woke up, mean per run.
    pub wakeups: f64,
}

impl ReusedBatch {
    /// What lies outside the scenario phase, per run.
    pub fn outside_ms(&self) -> f64 {
        self.per_run_ms - self.scenario_mean_ms
    }

    /// The programs' own work per run (see the module doc).
    pub fn programs_ms(&self) -> f64 {
        self.scenario_mean_ms - self.reactions_ms - self.sleeps_ms
    }

    /// The orchestration overhead per run: wall − scripted sleeps − the
    /// programs' own work.
    pub fn overhead_ms(&self) -> f64 {
        self.per_run_ms - self.sleeps_ms - self.programs_ms()
    }
}

/// The figures of a batch of one scenario repeated on one job, from its
/// summary and its runs' full records (in plan order, as many as it has;
/// at least 3 are needed for a start-to-start interval after the first).
pub fn reused_batch(summary: &BatchSummary, records: &[RunRecord]) -> Option<ReusedBatch> {
    if records.len() < 3 || summary.runs.len() != records.len() {
        return None;
    }
    let n = records.len();
    let starts: Option<Vec<f64>> = records.iter().map(|r| utc_ms(&r.started_utc)).collect();
    let starts = starts?;
    // Runs 2..N-1: each is followed by a run, so its interval is known.
    let measured = &records[1..n - 1];
    let per_run_ms = (starts[n - 1] - starts[1]) / (n - 2) as f64;
    let each = |f: &dyn Fn(&RunRecord) -> Option<f64>| -> f64 {
        mean(&measured.iter().filter_map(f).collect::<Vec<_>>())
    };
    let reactions: Vec<Reactions> = measured.iter().map(reactions).collect();
    let of = |f: &dyn Fn(&Reactions) -> Option<f64>| -> f64 {
        mean(
            &reactions
                .iter()
                .filter_map(f)
                .map(|v| v.max(0.0))
                .collect::<Vec<_>>(),
        )
    };
    let first_run_ms = records[0].duration_ms;
    let scenario_p50_ms = summary
        .scenarios
        .first()
        .and_then(|s| s.phases.iter().find(|p| p.name == "scenario"))
        .map_or(0.0, |p| p.p50_ms);
    Some(ReusedBatch {
        runs: n,
        passed: summary.totals.passed,
        batch_ms: summary.duration_ms,
        first_run_ms,
        per_run_after_first_ms: (summary.duration_ms - first_run_ms) / (n - 1) as f64,
        per_run_ms,
        scenario_p50_ms,
        scenario_mean_ms: each(&|r| phase_ms(r, "scenario")),
        listening_ms: of(&|r| r.listening),
        connected_ms: of(&|r| r.connected),
        typed_ms: of(&|r| r.typed),
        exit_ms: of(&|r| r.exit),
        reactions_ms: mean(&reactions.iter().map(Reactions::total).collect::<Vec<_>>()),
        sleeps_ms: each(&|r| Some(sleeps_ms(r))),
        stretches_ms: mean_stretches(&measured.iter().map(milestones).collect::<Vec<_>>()),
        wakeups: each(&|r| r.runner.map(|w| w.wakeups as f64)),
    })
}

/// How the two sends of a sweep run went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendTiming {
    /// The client typed into first, and its letter's ack: the ack that
    /// follows the send order.
    pub send_order_ack: Option<String>,
    /// The ack the clients received.
    pub ack: Option<String>,
    /// The ack the server printed (`Acknowledgment: …`).
    pub server_ack: Option<String>,
    /// Second typed line − first, as the orchestrator stamped them (after
    /// each write returned).
    pub typed_gap_ms: Option<f64>,
    /// The second-typed client's `Sent to Server` line − the first's, as
    /// read from their pipes: negative when the second client reported
    /// its send first.
    pub sent_gap_ms: Option<f64>,
    /// Each typed client (in typing order): its `Sent to Server` line −
    /// the moment it was typed into (its wake-up, the send, the print and
    /// the pipe).
    pub reply_ms: Vec<f64>,
}

impl SendTiming {
    pub fn follows_send_order(&self) -> bool {
        self.ack.is_some() && self.ack == self.send_order_ack
    }

    pub fn server_agrees(&self) -> bool {
        self.ack.is_some() && self.ack == self.server_ack
    }
}

/// The timing of the sends of one run (its full record).
pub fn send_timing(record: &RunRecord) -> SendTiming {
    let events = &record.events;
    let typed: Vec<(&str, f64)> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Typed { .. }))
        .map(|e| (e.process.as_str(), e.t_ms))
        .collect();
    let sent_at = |client: &str| first_line(events, client, |l| l.starts_with(SENT));
    let send_order_ack = typed.first().and_then(|(first, _)| {
        let letter = record.process(first)?.letter?;
        let name = |l| {
            record
                .processes
                .iter()
                .find(|p| p.letter == Some(l))
                .and_then(|p| p.name.clone())
        };
        Some(
            protocol::Ack {
                first: letter,
                first_name: name(letter)?,
                second_name: name(letter.other())?,
            }
            .line(),
        )
    });
    let server_ack = stdout_lines(events, "server")
        .find_map(|(_, l)| {
            l.strip_prefix("Acknowledgment: ")
                .and_then(protocol::parse_ack)
        })
        .map(|a| a.line());
    let (typed_gap_ms, sent_gap_ms) = match typed.as_slice() {
        [(a, ta), (b, tb), ..] => (
            Some(tb - ta),
            sent_at(a).zip(sent_at(b)).map(|(sa, sb)| sb - sa),
        ),
        _ => (None, None),
    };
    SendTiming {
        send_order_ack,
        ack: record.ack_observed.clone(),
        server_ack,
        typed_gap_ms,
        sent_gap_ms,
        reply_ms: typed
            .iter()
            .filter_map(|(c, t)| sent_at(c).map(|s| s - t))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
