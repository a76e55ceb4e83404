//! How a student's runs decide the rubric's items — as a teacher would:
//! the submission as handed in (the student's pair) is the first witness,
//! and the runs with our programs tell whose fault a failure is.
//!
//! - A program that cannot run (no such program, a character Python
//!   refuses, a merge conflict, a build that fails) fails the items it
//!   blocks, once, with that reason; one this machine cannot run (Python 2
//!   without `python2`) sends them to a person. The other program's items
//!   are judged from its runs with ours.
//! - **1, 2** (the client connects; one at a time): the student's clients
//!   connected, with our server or their own.
//! - **3** (both accepted before a message is read): the server read no
//!   message before the second client connected (the pair's `early` case,
//!   its clients typed into the moment they ask), and it accepted both.
//! - **4** (first to connect is X): the greetings' letters, where the
//!   server greets; where it greets no one, the acknowledgement's letters
//!   against the connect order when X sends first (and in `swapped`).
//! - **5** (the greeting, after both): a greeting of the seed's form to
//!   each, none before both connected; no greeting at all fails.
//! - **6** (receives both, finds the first): the acknowledgement names
//!   first the message sent first, Y's in `case2` — the order of the
//!   names, whatever the letters.
//! - **7** (the acknowledgement to both): both clients heard one of the
//!   seed's form naming what was typed; a fixed string does not.
//! - **8** (arrival order, not connect order): in `case2` the
//!   acknowledgement says `Y: Bob received before X: Alice`, names and
//!   letters; and, on Mininet, so it does in `delayed-x`, where X typed
//!   first but its link is 80 ms slower (arrival is neither the send nor
//!   the connect order there).
//! - **9** (each prints what it received): the server printed the names
//!   typed; the clients printed the acknowledgement our server sent.
//! - **10** (runs on Mininet): the pair completed an exchange on Mininet
//!   hosts; a network adapted to it (`localhost`, another address) sends
//!   it to a person with what was adapted.
//!
//! For each of 3–8 the pair decides when it shows the item; where its
//! failure is the client's doing (the same server passes with our
//! clients), or the pair cannot show it, the runs with our clients do.

use super::judge_runs::{RunsOf, StudentRun};
use super::plan::Blocked;
use super::rubric::{Cell, Evidence, ItemResult, SourceEvidence};
use super::Pairing;
use crate::orchestrator::record::CheckId;

/// Why a role's programs cannot run, if they cannot.
#[derive(Clone, Debug, Default)]
pub struct Blocks {
    pub server: Option<Blocked>,
    pub clients: Option<Blocked>,
}

/// An item's decision before points are given.
struct Decision {
    cell: Cell,
    why: String,
    evidence: Vec<Evidence>,
    notes: Vec<String>,
}

fn pass() -> Decision {
    Decision {
        cell: Cell::Pass,
        why: String::new(),
        evidence: Vec::new(),
        notes: Vec::new(),
    }
}

fn fail(why: impl Into<String>, evidence: Vec<Evidence>) -> Decision {
    Decision {
        cell: Cell::Fail,
        why: why.into(),
        evidence,
        notes: Vec::new(),
    }
}

fn person(why: impl Into<String>, evidence: Vec<Evidence>) -> Decision {
    Decision {
        cell: Cell::Review,
        why: why.into(),
        evidence,
        notes: Vec::new(),
    }
}

/// A blocked program's items: failed for what the student did, a
/// person's for what this machine lacks.
fn blocked(b: &Blocked) -> Decision {
    if b.students_doing {
        fail(b.why.clone(), Vec::new())
    } else {
        person(format!("{} — a person runs it", b.why), Vec::new())
    }
}

/// The twelve cells of one student.
pub fn judge(
    runs: &[StudentRun],
    blocks: &Blocks,
    points: &[f64; 12],
    source: &SourceEvidence,
) -> Vec<ItemResult> {
    let r = RunsOf(runs);
    let server_items: [fn(&RunsOf) -> Decision; 6] = [item3, item4, item5, item6, item7, item8];
    let mut out = Vec::new();
    for (n, decide) in [(1u8, item1 as fn(&RunsOf) -> Decision), (2, item2)] {
        let d = match &blocks.clients {
            Some(b) => blocked(b),
            None => decide(&r),
        };
        out.push(result(n, d, points));
    }
    for (i, decide) in server_items.iter().enumerate() {
        let d = match &blocks.server {
            Some(b) => blocked(b),
            None => decide(&r),
        };
        out.push(result(3 + i as u8, d, points));
    }
    out.push(result(9, item9(&r, blocks), points));
    out.push(result(10, item10(&r, blocks), points));
    out.push(source.item11(points[10]));
    out.push(source.item12(points[11]));
    out
}

fn result(item: u8, d: Decision, points: &[f64; 12]) -> ItemResult {
    let max = points[item as usize - 1];
    ItemResult {
        item,
        cell: d.cell,
        points: if d.cell == Cell::Pass { max } else { 0.0 },
        max_points: max,
        why: d.why,
        evidence: d.evidence,
        notes: d.notes,
    }
}

/// Item 1: a student's client connected to a server (ours, or theirs).
fn item1(r: &RunsOf) -> Decision {
    let theirs = r.with_their_clients();
    if theirs.iter().any(|run| !run.facts.connected.is_empty()) {
        return pass();
    }
    fail(
        "the student's client never connected, to our server or to their own",
        r.failed(&theirs, &[CheckId::Steps]),
    )
}

/// Item 2: both of the student's clients connected, one after the other.
fn item2(r: &RunsOf) -> Decision {
    let theirs = r.with_their_clients();
    if theirs.iter().any(|run| run.facts.connected.len() >= 2) {
        return pass();
    }
    fail(
        "the student's two clients, started one after the other, did not both connect",
        r.failed(&theirs, &[CheckId::Steps]),
    )
}

/// Item 3: no message read before both were connected; both accepted.
fn item3(r: &RunsOf) -> Decision {
    let early = r.case(Pairing::Pair, "early");
    let read = r.failed(&early, &[CheckId::ServerReadEarly]);
    if !read.is_empty() {
        return fail(
            "the server received a client's message before the other client had connected",
            read,
        );
    }
    let theirs = r.with_their_server();
    if theirs.iter().any(|run| run.facts.connected.len() >= 2) {
        return pass();
    }
    fail(
        "the server did not accept both clients' connections",
        r.failed(&theirs, &[CheckId::Steps]),
    )
}

/// Item 4: the first to connect is X, the second Y — by the letters the
/// acknowledgement pairs with the names, where X sent first (so that
/// arrival and connect order agree); where no acknowledgement can tell
/// (none came, or a fixed string), by the greetings' letters.
fn item4(r: &RunsOf) -> Decision {
    let x_first: Vec<&StudentRun> = r
        .with_their_server()
        .into_iter()
        .filter(|run| ["case1", "spaces", "swapped"].contains(&run.case))
        .collect();
    let judged: Vec<(bool, &StudentRun)> = x_first
        .iter()
        .filter_map(|run| Some((run.facts.letters_match_connect_order()?, *run)))
        .collect();
    if let Some((_, run)) = judged.iter().find(|(ok, _)| !ok) {
        return fail(
            "the acknowledgement gives X and Y otherwise than the order the clients connected in",
            vec![r.fact(
                run,
                "ack.letters",
                "X: the first to connect",
                &ack_text(run),
            )],
        );
    }
    if !judged.is_empty() {
        return pass();
    }
    let with_ours = r.pairing(Pairing::Server);
    let greeting_runs: Vec<&StudentRun> =
        if with_ours.iter().any(|run| !run.facts.greeted.is_empty()) {
            with_ours
        } else {
            r.pairing(Pairing::Pair)
                .into_iter()
                .filter(|run| !run.facts.greeted.is_empty())
                .collect()
        };
    if greeting_runs.is_empty() {
        return person(
            "the server greets no one and no acknowledgement told which client it takes for X",
            Vec::new(),
        );
    }
    let wrong = r.failed_letters(&greeting_runs);
    if wrong.is_empty() {
        pass()
    } else {
        fail(
            "a greeting named the first client to connect other than X, or the second other than Y",
            wrong,
        )
    }
}

fn ack_text(run: &StudentRun) -> String {
    run.facts.any_ack().map_or_else(
        || "no acknowledgement".to_string(),
        |a| {
            let other = if a.first_letter == 'X' { 'Y' } else { 'X' };
            format!(
                "{}: {} received before {other}: {}",
                a.first_letter, a.first_name, a.second_name
            )
        },
    )
}

/// Item 5: a greeting of the seed's form to each, after both connected.
fn item5(r: &RunsOf) -> Decision {
    let theirs = r.with_their_server();
    if theirs.iter().all(|run| run.facts.greeted.is_empty()) {
        let said: Vec<Evidence> = r.failed(&r.pairing(Pairing::Server), &[CheckId::Greeting]);
        return fail("the server greets no one (no `Client X connected`)", said);
    }
    let with_ours = r.pairing(Pairing::Server);
    let judged = if with_ours.is_empty() {
        theirs.clone()
    } else {
        with_ours
    };
    let mut wrong = r.failed(&judged, &[CheckId::Greeting, CheckId::GreetingAfterBoth]);
    wrong.extend(r.failed(
        &r.case(Pairing::Pair, "early"),
        &[CheckId::GreetingAfterBoth],
    ));
    if wrong.is_empty() {
        let mut d = pass();
        d.notes = r.notes(&judged, &[CheckId::Greeting]);
        return d;
    }
    fail(
        "a greeting was missing, not of the seed's form, or sent before both clients had connected",
        wrong,
    )
}

/// Item 6: the first message named is the one sent first (`case2`).
fn item6(r: &RunsOf) -> Decision {
    decide_order(
        r,
        |run| run.facts.first_named_first_sent(),
        "the acknowledgement names first the message that arrived second: the server did not find which message came first",
    )
}

/// Item 8: the whole acknowledgement in arrival order (`case2`); one
/// with the same letter twice cannot say it, and goes to a person.
fn item8(r: &RunsOf) -> Decision {
    let same = r
        .with_their_server()
        .into_iter()
        .find(|run| run.facts.any_ack().is_some_and(|a| a.same_letters));
    if let Some(run) = same {
        return person(
            "the acknowledgement gives both messages the same letter: the names are in some order, but which client's came first cannot be read from it",
            vec![r.fact(run, "ack.letters", "X and Y", &ack_text(run))],
        );
    }
    let decided = decide_order(
        r,
        |run| Some(run.facts.first_named_first_sent()? && run.facts.letters_match_connect_order()?),
        "the acknowledgement does not follow the order in which the messages arrived (Y's came first)",
    );
    delayed_order(r).unwrap_or(decided)
}

/// Item 8 under real latency (`delayed-x`, with our clients, on Mininet):
/// X typed first but its link is 80 ms slower, so Y's message arrived
/// first; an acknowledgement naming X first follows the send or the
/// connect order, not arrival, and fails the item. `None` when the run
/// passed it or tells nothing (it was not run, or heard no ack).
fn delayed_order(r: &RunsOf) -> Option<Decision> {
    let run = *r.case(Pairing::Server, super::plan::LATENCY_CASE).first()?;
    let arrival_first = !run.facts.first_named_first_sent()?;
    if arrival_first && run.facts.letters_match_connect_order()? {
        return None;
    }
    Some(fail(
        "with X's link 80 ms slower, Y's message arrived first, but the acknowledgement does not say so",
        vec![r.fact(
            run,
            "ack.order",
            "Y: Bob received before X: Alice",
            &ack_text(run),
        )],
    ))
}

/// An order item from `case2`: the pair's run, else (or when the pair's
/// failure is its client's) the run with our clients.
fn decide_order(r: &RunsOf, judge: impl Fn(&StudentRun) -> Option<bool>, why: &str) -> Decision {
    let pair = r.case(Pairing::Pair, "case2");
    let ours = r.case(Pairing::Server, "case2");
    match (first_verdict(&pair, &judge), first_verdict(&ours, &judge)) {
        (Some((true, _)), _) | (_, Some((true, _))) => pass(),
        (Some((false, run)), _) | (None, Some((false, run))) => fail(
            why,
            vec![r.fact(
                run,
                "ack.order",
                "Y: Bob received before X: Alice",
                &ack_text(run),
            )],
        ),
        (None, None) => match r.server_died(&[pair.clone(), ours.clone()].concat()) {
            Some(evidence) => fail(
                "the server died before it acknowledged the messages",
                vec![evidence],
            ),
            None => person(
                "no client heard an acknowledgement when Y sent first: the order cannot be read",
                r.failed(&[pair, ours].concat(), &[CheckId::Steps, CheckId::AckSame]),
            ),
        },
    }
}

/// The first of `runs` that `judge` can tell, and what it tells.
fn first_verdict<'r, 'a>(
    runs: &[&'r StudentRun<'a>],
    judge: &impl Fn(&StudentRun) -> Option<bool>,
) -> Option<(bool, &'r StudentRun<'a>)> {
    runs.iter().find_map(|run| Some((judge(run)?, *run)))
}

/// Item 7: both clients heard an acknowledgement naming what was sent —
/// in every scripted run of the pair, or else in every run with our
/// clients (the pair's failure then being its clients'); a fixed string
/// anywhere fails it.
fn item7(r: &RunsOf) -> Decision {
    let good = |run: &&StudentRun| {
        run.facts.heard_ack.len() >= 2
            && run.facts.ack_names_what_was_typed() == Some(true)
            && !run.facts.ack.as_ref().is_some_and(|a| a.same_letters)
    };
    let all_good = |runs: Vec<&StudentRun>| !runs.is_empty() && runs.iter().all(good);
    let scripted: Vec<&StudentRun> = r
        .pairing(Pairing::Pair)
        .into_iter()
        .filter(|run| run.case != "early")
        .collect();
    let theirs = r.with_their_server();
    let fixed = theirs
        .iter()
        .find(|run| run.facts.ack_names_what_was_typed() == Some(false));
    if let Some(run) = fixed {
        return fail(
            "the acknowledgement does not name the messages that were sent (a fixed string?)",
            vec![r.fact(
                run,
                "ack.names",
                &run.facts.sent.join(" and "),
                &ack_text(run),
            )],
        );
    }
    // Under --strict, a slip of the seed's strings in the ack fails it.
    let slips = r.failed_strictly(&theirs, &[CheckId::AckSame, CheckId::ServerSentAck]);
    if !slips.is_empty() {
        return fail(
            "the acknowledgement is not the seed's string exactly (--strict)",
            slips,
        );
    }
    if all_good(scripted) || all_good(r.pairing(Pairing::Server)) {
        let mut d = pass();
        d.notes = r.notes(&theirs, &[CheckId::AckSame, CheckId::ServerSentAck]);
        return d;
    }
    let mut evidence = r.failed(&theirs, &[CheckId::AckSame]);
    evidence.extend(r.deadlocks(&theirs));
    let same = theirs
        .iter()
        .find(|run| run.facts.ack.as_ref().is_some_and(|a| a.same_letters));
    if let Some(run) = same {
        evidence.insert(0, r.fact(run, "ack.letters", "X and Y", &ack_text(run)));
    }
    fail(
        "an acknowledgement of the seed's form (X and Y, each with its message) did not reach both clients",
        evidence,
    )
}

/// Item 9: the server printed what it received; the clients printed the
/// acknowledgement.
fn item9(r: &RunsOf, blocks: &Blocks) -> Decision {
    if let Some(b) = blocks.server.as_ref().or(blocks.clients.as_ref()) {
        return blocked(b);
    }
    let theirs = r.with_their_server();
    let server_ok = theirs
        .iter()
        .any(|run| run.facts.sent.len() >= 2 && run.facts.server_printed.len() >= 2);
    if !server_ok {
        return fail(
            "the server did not print the messages it received",
            r.failed(&theirs, &[CheckId::ServerMessages]),
        );
    }
    let ours = r.pairing(Pairing::Clients);
    let clients_ok = ours.iter().any(|run| run.facts.heard_ack.len() >= 2)
        || r.pairing(Pairing::Pair)
            .iter()
            .any(|run| run.facts.heard_ack.len() >= 2);
    if clients_ok {
        return pass();
    }
    fail(
        "the student's clients did not print the acknowledgement they received",
        r.failed(&ours, &[CheckId::AckSame]),
    )
}

/// Item 10: the pair completed an exchange on Mininet, as handed in.
fn item10(r: &RunsOf, blocks: &Blocks) -> Decision {
    if let Some(b) = blocks.server.as_ref().or(blocks.clients.as_ref()) {
        return blocked(b);
    }
    let pair = r.pairing(Pairing::Pair);
    // Together through every step, or heard by a client: the programs met.
    let exchanged: Vec<&StudentRun> = pair
        .iter()
        .copied()
        .filter(|run| {
            !run.facts.heard_ack.is_empty()
                || run
                    .verdicts
                    .iter()
                    .any(|v| v.check == Some(CheckId::Steps) && v.passed)
        })
        .collect();
    if exchanged.is_empty() {
        return person(
            "the student's server and clients never completed an exchange together: a person runs them",
            r.failed(&pair, &[CheckId::Steps]),
        );
    }
    if !pair.iter().all(|run| run.mininet) {
        return person(
            "graded on loopback (no Mininet here, e.g. on Gradescope): whether the programs run on Mininet is a person's to check",
            Vec::new(),
        );
    }
    let adapted = r.adaptations(&pair);
    if adapted.is_empty() {
        return pass();
    }
    person(
        "the programs ran on Mininet hosts only with the network adapted to them (what they listen on and dial is not h1's address): a person decides",
        adapted,
    )
}

#[cfg(test)]
#[path = "judge_tests.rs"]
mod tests;
