//! Expectations → verdicts. Pure: the scenario and what was recorded go in,
//! verdicts come out, each with the events it rests on.
//!
//! The checks are a table, [`CHECKS`]: each row has a stable id, a title
//! and the function that judges it. A row may give one verdict (`ack.same`)
//! or one per program (`greeting` gives `greeting.a` and `greeting.b`);
//! every verdict carries its row's id in [`Verdict::check`], which is how
//! other features (a rubric's points) refer to checks. **To add a check,
//! write its function in the module of its subject and add a row.**
//!
//! The rows, in order: every step completed; each client's greeting
//! matches its connect position; no client was greeted before both had
//! connected; both clients received the same ack; the ack names each
//! letter's own name; the ack's order is right; the server printed both
//! messages and `Sent acknowledgment to both X and Y`; every process exited
//! 0 on its own and left no process of its own running; only for a process
//! that printed more than the runner keeps, a failed `output.<id>`; then
//! the user's `expect.lines`.
//!
//! **Lenient by default, strict on request.** Programs we did not write
//! print the seed's strings with slips a person would read past: `Client X
//! Connected`, `recieved`, `From Server:` sent inside the message, quotes,
//! a full stop ([`crate::pa3::protocol::Deviation`]). A verdict that
//! passes only because of such a reading passes with a [`Verdict::note`]
//! naming the slip and saying that the strict verdict is a failure; with
//! [`JudgeOptions::strict`] (`--strict`) it fails, and the note says why.
//! Its [`Verdict::leniency`] says the same as a value, for the rubric.
//! Each slip is charged to the one check that judges that string: the
//! greeting's to `greeting.<client>`, the ack's wording to `ack.same`, a
//! name's to `ack.names`, a printed message's to `server.messages`, the
//! last line's to `server.sent_ack`; `ack.order` judges only the order.
//! What our own client received is judged as the whole message it was
//! (its lines `From Server: <message>`: words before the string are the
//! server's slip); what another program printed, only for the string in
//! it (its own words around it are its business).
//!
//! "The ack's order is right" means: the user's `expect.ack` when given;
//! otherwise the order of the sends when they were at least
//! `order_margin_ms` apart; when they were closer than that, either order
//! can be right, and the ack must agree with the order the server itself
//! reports (our server prints `Acknowledgment: ...`).

use crate::orchestrator::event::{Event, EventKind, Stream};
use crate::orchestrator::record::{CheckId, Leniency, Limits, ProcessInfo, Verdict};
use crate::orchestrator::scenario::ValidScenario;
use crate::pa3::protocol::{self, Deviation};

mod ack;
mod facts;
mod greeting;
mod programs;
mod server;

#[cfg(test)]
mod tests;

pub use facts::Facts;

/// One row of the table.
pub struct Check {
    /// Stable id; verdicts of this row are `id` or `id.<process>` (in
    /// words, [`CheckId::word`]).
    pub id: CheckId,
    /// What the row checks, in one sentence.
    pub title: &'static str,
    /// Judges a run; returns this row's verdicts (none when it does not apply).
    pub judge: fn(&Run) -> Vec<Verdict>,
    /// Whether its verdict rests on when things happened, so that a
    /// program woken late on a busy machine can fail it: grading runs a
    /// run such a verdict failed again before charging it.
    pub timing: bool,
}

/// Every check, in the order its verdicts are reported.
pub const CHECKS: &[Check] = &[
    Check {
        id: CheckId::Steps,
        title: "Every step of the scenario was carried out",
        judge: programs::steps,
        timing: false,
    },
    Check {
        id: CheckId::Greeting,
        title: "Each client was greeted as the letter of its connect position",
        judge: greeting::letters,
        timing: false,
    },
    Check {
        id: CheckId::GreetingAfterBoth,
        title: "No client was greeted before both clients had connected",
        judge: greeting::after_both,
        timing: true,
    },
    Check {
        id: CheckId::AckSame,
        title: "Both clients received the same acknowledgment",
        judge: ack::same,
        timing: false,
    },
    Check {
        id: CheckId::AckNames,
        title: "The acknowledgment pairs each letter with that client's name",
        judge: ack::names,
        timing: false,
    },
    Check {
        id: CheckId::AckOrder,
        title: "The acknowledgment reports the arrival order",
        judge: ack::order,
        timing: true,
    },
    Check {
        id: CheckId::ServerMessages,
        title: "The server printed both clients' messages",
        judge: server::messages,
        timing: false,
    },
    Check {
        id: CheckId::ServerReadEarly,
        title: "The server read no message before both clients had connected",
        judge: server::read_early,
        timing: false,
    },
    Check {
        id: CheckId::ServerSentAck,
        title: "The server printed that it sent the acknowledgment to both",
        judge: server::sent_ack,
        timing: false,
    },
    Check {
        id: CheckId::Exit,
        title: "Every program exited with code 0 on its own and left nothing running",
        judge: programs::exits,
        timing: false,
    },
    Check {
        id: CheckId::Output,
        title: "No program printed more than the orchestrator keeps",
        judge: programs::output,
        timing: false,
    },
    Check {
        id: CheckId::Line,
        title: "The scenario's own expected lines (expect.lines)",
        judge: programs::lines,
        timing: false,
    },
];

/// Whether a failed verdict is one that timing can decide (see
/// [`Check::timing`]).
pub fn failed_on_timing(v: &Verdict) -> bool {
    !v.passed && v.check.and_then(check).is_some_and(|c| c.timing)
}

/// The row with this id.
pub fn check(id: CheckId) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// How to judge a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JudgeOptions {
    /// Fail the verdicts that pass only because a program's text was read
    /// past a slip (see the module's doc); the default notes them.
    pub strict: bool,
}

/// What a check sees of a run.
pub struct Run<'a> {
    pub scenario: &'a ValidScenario,
    pub processes: &'a [ProcessInfo],
    pub events: &'a [Event],
    /// Why the steps could not all be carried out, if they could not.
    pub step_error: Option<&'a str>,
    /// The bounds the runner held the programs to (the record's).
    pub limits: Limits,
    /// What several checks derive from the events, derived once.
    pub facts: Facts,
    /// Whether a slip fails a verdict ([`JudgeOptions::strict`]).
    pub strict: bool,
}

impl<'a> Run<'a> {
    pub fn new(
        scenario: &'a ValidScenario,
        processes: &'a [ProcessInfo],
        events: &'a [Event],
        step_error: Option<&'a str>,
        limits: Limits,
    ) -> Run<'a> {
        let facts = Facts::of(scenario, events);
        Run {
            scenario,
            processes,
            events,
            step_error,
            limits,
            facts,
            strict: false,
        }
    }

    /// A verdict that rests on text read past slips; `how` says which
    /// ([`slip`]), `None` when everything was read exactly. A verdict that
    /// passed passes with a note saying the strict verdict, or fails in
    /// strict mode with a note saying why; one that failed anyway notes
    /// the slip too.
    pub fn leniently(&self, mut verdict: Verdict, how: Option<String>) -> Verdict {
        let Some(how) = how else { return verdict };
        let (leniency, note) = if !verdict.passed {
            (
                Leniency::AlsoSlipped,
                format!("also read past a slip: {how}"),
            )
        } else if self.strict {
            verdict.passed = false;
            (
                Leniency::Strict,
                format!("failed by --strict (passes without it): {how}"),
            )
        } else {
            (
                Leniency::Lenient,
                format!("passed leniently (--strict fails it): {how}"),
            )
        };
        verdict.leniency = Some(leniency);
        verdict.note = Some(note);
        verdict
    }

    /// What `process` printed, on both streams.
    pub fn output(&self, process: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events
            .iter()
            .filter(move |e| e.process == process && e.output().is_some())
    }

    /// What `process` printed on stderr.
    pub fn stderr(&self, process: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| {
            e.process == process && matches!(e.output(), Some((Stream::Stderr, _)))
        })
    }

    /// The first event of `process` that `pick` accepts.
    pub fn first_of(&self, process: &str, pick: impl Fn(&EventKind) -> bool) -> Option<&'a Event> {
        self.events
            .iter()
            .find(|e| e.process == process && pick(&e.kind))
    }
}

/// The verdicts, the ack observed and the ack expected.
pub struct Judgement {
    pub verdicts: Vec<Verdict>,
    pub ack_observed: Option<String>,
    pub ack_expected: Option<String>,
}

/// `` `Client X Connected` is not the seed's `Client X connected`: letters
/// in another case ``: a slip, for a note.
pub fn slip(text: &str, seed: &str, deviations: &[Deviation]) -> String {
    format!(
        "`{text}` is not the seed's `{seed}`: {}",
        protocol::describe(deviations)
    )
}

/// Runs every row of [`CHECKS`] over a run.
pub fn judge(
    scenario: &ValidScenario,
    processes: &[ProcessInfo],
    events: &[Event],
    step_error: Option<&str>,
    limits: Limits,
    options: JudgeOptions,
) -> Judgement {
    let mut run = Run::new(scenario, processes, events, step_error, limits);
    run.strict = options.strict;
    let mut verdicts = Vec::new();
    for row in CHECKS {
        for mut v in (row.judge)(&run) {
            v.check = Some(row.id);
            verdicts.push(v);
        }
    }
    Judgement {
        verdicts,
        ack_observed: run.facts.observed_ack.as_ref().map(|a| a.line()),
        ack_expected: run.facts.expected.ack.clone(),
    }
}
