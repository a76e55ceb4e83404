//! The seed's twelve grading items, and how the checks of a student's runs
//! decide them.
//!
//! A fault is charged to the program that has it: the items about the
//! server (3–8, and the server's half of 9) are judged from the runs of the
//! student's server with our clients; the items about the clients (1, 2,
//! and the clients' half of 9) from the runs of our server with the
//! student's clients. The runs of the student's pair as handed in are shown
//! in the report, and stand for item 10 (the programs ran on Mininet).
//! Items 11 and 12 are a person's to judge (`review`): the evidence (the
//! comment at the top of the server, the files) is quoted for them.
//!
//! A check that passed only by reading past a slip of the seed's strings
//! (`Client X Connected`, `recieved`) passes, with its note; under
//! `--strict` it fails — except for item 4, which is about *which* letter
//! each client got, not how it was written.

use serde::{Deserialize, Serialize};

use super::Pairing;
use crate::orchestrator::record::Verdict;

/// One item of the seed's rubric.
pub struct Item {
    pub number: u8,
    /// Whose item it is: `client`, `server`, `both`, `pair`, `source`.
    pub whose: &'static str,
    pub title: &'static str,
}

/// The seed's twelve items (points come from the grading config).
pub const ITEMS: [Item; 12] = [
    Item {
        number: 1,
        whose: "client",
        title: "Uses TCP sockets: the client establishes a connection first",
    },
    Item {
        number: 2,
        whose: "client",
        title: "Clients send their connection requests one at a time",
    },
    Item {
        number: 3,
        whose: "server",
        title: "The server accepts both connections before receiving a message",
    },
    Item {
        number: 4,
        whose: "server",
        title: "The first client to connect is X, the second Y",
    },
    Item {
        number: 5,
        whose: "server",
        title: "Once both are connected, the server greets each: \"Client X connected\"",
    },
    Item {
        number: 6,
        whose: "server",
        title: "The server receives both messages, in any order, and establishes the first",
    },
    Item {
        number: 7,
        whose: "server",
        title: "The server sends both the acknowledgement: \"X: … received before Y: …\"",
    },
    Item {
        number: 8,
        whose: "server",
        title: "The acknowledgement follows arrival order, not connect order",
    },
    Item {
        number: 9,
        whose: "both",
        title: "Each program prints the messages it received",
    },
    Item {
        number: 10,
        whose: "pair",
        title: "The programs run on Mininet",
    },
    Item {
        number: 11,
        whose: "source",
        title: "A comment at the top of the server explains why multithreading is needed",
    },
    Item {
        number: 12,
        whose: "source",
        title: "The programs are readable and documented; the files are in order",
    },
];

/// A cell of the gradebook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cell {
    Pass,
    Fail,
    Review,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Cell {
    pub fn word(self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "fail",
            Cell::Review => "review",
            Cell::NotApplicable => "n/a",
        }
    }
}

/// What a cell rests on: a verdict of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The run, as the gradebook names it: `server / case2`.
    pub run: String,
    /// Its run directory, relative to the grade's directory.
    pub dir: Option<String>,
    pub check: String,
    pub expected: String,
    pub observed: String,
    pub note: Option<String>,
}

/// One item of one student.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: u8,
    pub cell: Cell,
    pub points: f64,
    pub max_points: f64,
    /// Why, in words (always for `fail` and `review`).
    pub why: String,
    pub evidence: Vec<Evidence>,
    /// A passed item's notes (slips read past, a server that kept serving).
    pub notes: Vec<String>,
}

/// A finished run of a student, as the rubric reads it.
pub struct StudentRun<'a> {
    pub pairing: Pairing,
    /// `server / case2`.
    pub label: String,
    pub dir: Option<String>,
    pub verdicts: &'a [Verdict],
    /// A client printed a reply that is no acknowledgement of the seed's
    /// form (so the order it means cannot be read): `Y: Bob received before
    /// Y: Alice`.
    pub unreadable_reply: bool,
    pub mininet: bool,
}

/// Whether `verdict` is one of `checks` (an id, or a family `greeting.`).
fn is_one_of(verdict: &Verdict, checks: &[&str]) -> bool {
    checks.iter().any(|c| {
        if let Some(family) = c.strip_suffix('.') {
            verdict.id.starts_with(&format!("{family}."))
                && !(family == "greeting" && verdict.id == "greeting.after_both")
        } else {
            verdict.id == *c
        }
    })
}

/// Whether a failed verdict failed only under `--strict` (a slip).
fn strict_only(verdict: &Verdict) -> bool {
    verdict
        .note
        .as_deref()
        .is_some_and(|n| n.starts_with("failed by --strict"))
}

/// The failed verdicts of `pairing`'s runs among `checks` (with
/// `slips_count`, failures only `--strict` made count too).
fn failures(
    runs: &[StudentRun],
    pairing: Pairing,
    checks: &[&str],
    slips_count: bool,
    skip: impl Fn(&StudentRun) -> bool,
) -> Vec<Evidence> {
    runs.iter()
        .filter(|r| r.pairing == pairing && !skip(r))
        .flat_map(|r| {
            r.verdicts
                .iter()
                .filter(|v| !v.passed && is_one_of(v, checks))
                .filter(|v| slips_count || !strict_only(v))
                .map(|v| Evidence {
                    run: r.label.clone(),
                    dir: r.dir.clone(),
                    check: v.id.clone(),
                    expected: v.expected.clone(),
                    observed: v.observed.clone(),
                    note: v.note.clone(),
                })
        })
        .collect()
}

/// The notes of passed verdicts among `checks` of `pairing`'s runs.
fn notes(runs: &[StudentRun], pairing: Pairing, checks: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in runs.iter().filter(|r| r.pairing == pairing) {
        for v in r
            .verdicts
            .iter()
            .filter(|v| v.passed && is_one_of(v, checks))
        {
            if let Some(n) = &v.note {
                let line = format!("{} ({}): {n}", v.id, r.label);
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
    }
    out
}

/// How each automatic item is decided: a rule over the runs.
struct Rule {
    /// Checks of the student-server runs that fail the item.
    server: &'static [&'static str],
    /// Checks of the student-client runs that fail the item.
    clients: &'static [&'static str],
    /// Checks of the student-server runs that make it `review`.
    server_review: &'static [&'static str],
    /// Checks of the student-client runs that make it `review`.
    clients_review: &'static [&'static str],
    /// Whether a slip failed only by `--strict` counts.
    slips_count: bool,
    why_fail: &'static str,
    why_review: &'static str,
}

const NONE: &[&str] = &[];

/// Items 1–9 (index 0–8). 6 and 8 are special about unreadable replies
/// (see [`judge`]).
const RULES: [Rule; 9] = [
    Rule { server: NONE, clients: &["steps", "greeting."], server_review: NONE, clients_review: NONE, slips_count: true,
        why_fail: "with our server, the student's client did not connect, or was not greeted over its connection", why_review: "" },
    Rule { server: NONE, clients: &["steps"], server_review: NONE, clients_review: NONE, slips_count: true,
        why_fail: "with our server, the student's clients did not connect one at a time as they were started", why_review: "" },
    Rule { server: &["steps"], clients: NONE, server_review: NONE, clients_review: NONE, slips_count: true,
        why_fail: "with our clients, the student's server did not accept both connections", why_review: "" },
    Rule { server: &["greeting."], clients: NONE, server_review: NONE, clients_review: NONE, slips_count: false,
        why_fail: "with our clients, the greetings did not name the first to connect X and the second Y", why_review: "" },
    Rule { server: &["greeting.", "greeting.after_both"], clients: NONE, server_review: NONE, clients_review: NONE, slips_count: true,
        why_fail: "with our clients, a greeting was missing, wrong, or sent before both clients had connected", why_review: "" },
    Rule { server: &["server.messages", "ack.order"], clients: NONE, server_review: NONE, clients_review: NONE, slips_count: true,
        why_fail: "with our clients, the server did not print both messages, or did not find which arrived first", why_review: "" },
    Rule { server: &["ack.same", "ack.names"], clients: NONE, server_review: &["server.sent_ack"], clients_review: NONE, slips_count: true,
        why_fail: "with our clients, an acknowledgement of the seed's form did not reach both clients",
        why_review: "the acknowledgements were sent, but the server did not print `Sent acknowledgment to both X and Y`, which no item names: a person decides what it costs" },
    Rule { server: &["ack.order"], clients: NONE, server_review: NONE, clients_review: NONE, slips_count: true,
        why_fail: "with our clients, the acknowledgement did not follow the order in which the messages arrived",
        why_review: "the reply names the messages in some order, but it is no acknowledgement of the seed's form, so which arrived first cannot be read from it: a person decides" },
    Rule { server: &["server.messages"], clients: &["ack.same"], server_review: NONE, clients_review: &["server.messages"], slips_count: true,
        why_fail: "a program did not print the message it received (the server both messages, or a client the acknowledgement)",
        why_review: "the client printed what it received, but what it sent was not the name typed into it: a person decides" },
];

/// The twelve cells of one student.
pub fn judge(runs: &[StudentRun], points: &[f64; 12], source: &SourceEvidence) -> Vec<ItemResult> {
    let mut results: Vec<ItemResult> = ITEMS[..9]
        .iter()
        .zip(&RULES)
        .map(|(item, rule)| judge_item(item.number, rule, runs, points))
        .collect();
    results.push(item10(runs, points[9]));
    results.push(source.item11(points[10]));
    results.push(source.item12(points[11]));
    results
}

/// A program the submission lacks fails its items (and those of both
/// programs, and the pair's): there is nothing that could have done them.
/// The other program's items stand as its own runs judged them.
pub fn fail_what_is_missing(
    items: &mut [ItemResult],
    lacks_server: bool,
    lacks_client: bool,
    g: &super::config::Grading,
) {
    let missing: Vec<&str> = [
        (lacks_server, &g.server_file),
        (lacks_client, &g.client_file),
    ]
    .into_iter()
    .filter_map(|(lacks, f)| lacks.then_some(f.as_str()))
    .collect();
    for (item, result) in ITEMS.iter().zip(items.iter_mut()) {
        let charged = match item.whose {
            "server" => lacks_server,
            "client" => lacks_client,
            "both" | "pair" => lacks_server || lacks_client,
            _ => false,
        };
        if item.number == 11 && lacks_server {
            result.why = format!(
                "the submission has no {}: no comment to read",
                g.server_file
            );
        }
        if charged {
            result.cell = Cell::Fail;
            result.points = 0.0;
            result.why = format!("the submission has no {}", missing.join(" and no "));
            result.evidence.clear();
            result.notes.clear();
        }
    }
}

fn judge_item(number: u8, rule: &Rule, runs: &[StudentRun], points: &[f64; 12]) -> ItemResult {
    // An unreadable reply says nothing of the order: item 6 is then judged
    // by what the server printed, item 8 goes to a person.
    let unreadable = |r: &StudentRun| r.unreadable_reply;
    let (server_fail, server_review) = match number {
        6 => (
            [
                failures(runs, Pairing::Server, &["server.messages"], true, |_| false),
                failures(runs, Pairing::Server, &["ack.order"], true, unreadable),
            ]
            .concat(),
            Vec::new(),
        ),
        8 => (
            failures(runs, Pairing::Server, &["ack.order"], true, unreadable),
            failures(runs, Pairing::Server, &["ack.order"], true, |r| {
                !unreadable(r)
            }),
        ),
        _ => (
            failures(runs, Pairing::Server, rule.server, rule.slips_count, |_| {
                false
            }),
            failures(
                runs,
                Pairing::Server,
                rule.server_review,
                rule.slips_count,
                |_| false,
            ),
        ),
    };
    let mut fail = server_fail;
    fail.extend(failures(
        runs,
        Pairing::Clients,
        rule.clients,
        rule.slips_count,
        |_| false,
    ));
    let mut review = server_review;
    review.extend(failures(
        runs,
        Pairing::Clients,
        rule.clients_review,
        rule.slips_count,
        |_| false,
    ));
    let max = points[number as usize - 1];
    let mut all_notes = notes(runs, Pairing::Server, rule.server);
    all_notes.extend(notes(runs, Pairing::Clients, rule.clients));
    let (cell, why, evidence) = if !fail.is_empty() {
        (Cell::Fail, rule.why_fail.to_string(), fail)
    } else if !review.is_empty() {
        (Cell::Review, rule.why_review.to_string(), review)
    } else {
        (Cell::Pass, String::new(), Vec::new())
    };
    ItemResult {
        item: number,
        cell,
        points: if cell == Cell::Pass { max } else { 0.0 },
        max_points: max,
        why,
        evidence,
        notes: all_notes,
    }
}

/// Item 10: the student's programs ran on Mininet hosts.
fn item10(runs: &[StudentRun], max: f64) -> ItemResult {
    let theirs: Vec<&StudentRun> = runs.iter().filter(|r| r.pairing == Pairing::Pair).collect();
    let on_mininet = !theirs.is_empty() && theirs.iter().all(|r| r.mininet);
    let carried_out = theirs
        .iter()
        .any(|r| r.verdicts.iter().any(|v| v.id == "steps" && v.passed));
    let (cell, why) = match (on_mininet, carried_out) {
        (true, true) => (Cell::Pass, String::new()),
        (true, false) => (
            Cell::Review,
            "the student's server and clients ran on Mininet hosts, but no run of them together got through its steps".to_string(),
        ),
        (false, _) => (
            Cell::Review,
            "graded on loopback (no Mininet here, e.g. on Gradescope): whether the programs run on Mininet is a person's to check".to_string(),
        ),
    };
    ItemResult {
        item: 10,
        cell,
        points: if cell == Cell::Pass { max } else { 0.0 },
        max_points: max,
        why,
        evidence: Vec::new(),
        notes: Vec::new(),
    }
}

/// What a person needs for items 11 and 12, read from the submission.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceEvidence {
    /// The comment at the top of the server (its first comment block or
    /// docstring), as written; `None` when there is none.
    pub server_comment: Option<String>,
    /// Every file of the submission: path, lines, comment lines.
    pub files: Vec<FileFacts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    pub path: String,
    pub lines: usize,
    pub comment_lines: usize,
}

impl SourceEvidence {
    fn item11(&self, max: f64) -> ItemResult {
        let why = match &self.server_comment {
            Some(_) => "a person reads the comment at the top of the server (quoted in the report)".to_string(),
            None => "there is no comment at the top of the server: the evidence this item asks for is missing".to_string(),
        };
        review(11, max, why)
    }

    fn item12(&self, max: f64) -> ItemResult {
        let commented: usize = self.files.iter().map(|f| f.comment_lines).sum();
        let lines: usize = self.files.iter().map(|f| f.lines).sum();
        review(
            12,
            max,
            format!(
                "a person reads the programs: {} file{}, {lines} lines, {commented} of them comments (listed in the report)",
                self.files.len(),
                if self.files.len() == 1 { "" } else { "s" }
            ),
        )
    }
}

fn review(item: u8, max: f64, why: String) -> ItemResult {
    ItemResult {
        item,
        cell: Cell::Review,
        points: 0.0,
        max_points: max,
        why,
        evidence: Vec::new(),
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::grade::config::Grading;

    const POINTS: [f64; 12] = [5., 5., 5., 5., 5., 5., 10., 10., 10., 10., 20., 10.];

    /// Every check a run of `pairing` judges, passed, except `failed`.
    fn verdicts(failed: &[&str]) -> Vec<Verdict> {
        let ids = [
            "steps",
            "greeting.a",
            "greeting.b",
            "greeting.after_both",
            "server.messages",
            "server.sent_ack",
            "ack.same",
            "ack.names",
            "ack.order",
        ];
        ids.iter()
            .map(|id| Verdict::new(*id, *id, !failed.contains(id), "want", "got", Vec::new()))
            .collect()
    }

    fn run(pairing: Pairing, verdicts: &[Verdict]) -> StudentRun<'_> {
        StudentRun {
            pairing,
            label: format!("{} / case2", pairing.word()),
            dir: None,
            verdicts,
            unreadable_reply: false,
            mininet: true,
        }
    }

    /// The cells of a student whose server runs failed `server` and whose
    /// client runs failed `clients`.
    fn cells(server: &[&str], clients: &[&str]) -> Vec<Cell> {
        let (s, c, p) = (verdicts(server), verdicts(clients), verdicts(&[]));
        let runs = [
            run(Pairing::Server, &s),
            run(Pairing::Clients, &c),
            run(Pairing::Pair, &p),
        ];
        judge(&runs, &POINTS, &SourceEvidence::default())
            .iter()
            .map(|r| r.cell)
            .collect()
    }

    use Cell::{Fail as F, Pass as P, Review as R};

    #[test]
    fn a_student_whose_runs_all_pass_gets_every_automatic_item() {
        let runs_v = verdicts(&[]);
        let runs: Vec<StudentRun> = [Pairing::Server, Pairing::Clients, Pairing::Pair]
            .into_iter()
            .map(|p| run(p, &runs_v))
            .collect();
        let items = judge(&runs, &POINTS, &SourceEvidence::default());
        let cells: Vec<Cell> = items.iter().map(|i| i.cell).collect();
        assert_eq!(cells, [P, P, P, P, P, P, P, P, P, P, R, R]);
        let score: f64 = items.iter().map(|i| i.points).sum();
        assert_eq!(score, 70.0);
    }

    #[test]
    fn each_failed_check_lands_on_its_item_of_the_program_that_has_it() {
        assert_eq!(
            cells(&["ack.order"], &[]),
            [P, P, P, P, P, F, P, F, P, P, R, R]
        );
        assert_eq!(
            cells(&["greeting.after_both"], &[]),
            [P, P, P, P, F, P, P, P, P, P, R, R]
        );
        assert_eq!(
            cells(&["greeting.a"], &[]),
            [P, P, P, F, F, P, P, P, P, P, R, R]
        );
        assert_eq!(cells(&["steps"], &[]), [P, P, F, P, P, P, P, P, P, P, R, R]);
        assert_eq!(
            cells(&["server.sent_ack"], &[]),
            [P, P, P, P, P, P, R, P, P, P, R, R]
        );
        assert_eq!(
            cells(&["ack.same"], &[]),
            [P, P, P, P, P, P, F, P, P, P, R, R]
        );
        assert_eq!(
            cells(&["server.messages"], &[]),
            [P, P, P, P, P, F, P, P, F, P, R, R]
        );
        // The same checks failing with the student's clients are the clients'.
        assert_eq!(cells(&[], &["steps"]), [F, F, P, P, P, P, P, P, P, P, R, R]);
        assert_eq!(
            cells(&[], &["greeting.b"]),
            [F, P, P, P, P, P, P, P, P, P, R, R]
        );
        assert_eq!(
            cells(&[], &["ack.same"]),
            [P, P, P, P, P, P, P, P, F, P, R, R]
        );
        assert_eq!(
            cells(&[], &["server.messages"]),
            [P, P, P, P, P, P, P, P, R, P, R, R]
        );
        assert_eq!(
            cells(&[], &["ack.order"]),
            [P, P, P, P, P, P, P, P, P, P, R, R]
        );
    }

    #[test]
    fn a_slip_failed_only_by_strict_fails_its_item_but_not_which_letter_was_given() {
        let mut s = verdicts(&["greeting.a"]);
        s[1].note = Some("failed by --strict: `Client X Connected`".into());
        let (c, p) = (verdicts(&[]), verdicts(&[]));
        let runs = [
            run(Pairing::Server, &s),
            run(Pairing::Clients, &c),
            run(Pairing::Pair, &p),
        ];
        let cells: Vec<Cell> = judge(&runs, &POINTS, &SourceEvidence::default())
            .iter()
            .map(|r| r.cell)
            .collect();
        assert_eq!(cells, [P, P, P, P, F, P, P, P, P, P, R, R]);
    }

    #[test]
    fn an_unreadable_reply_sends_the_order_to_a_person() {
        let (s, c, p) = (verdicts(&["ack.order"]), verdicts(&[]), verdicts(&[]));
        let mut server = run(Pairing::Server, &s);
        server.unreadable_reply = true;
        let runs = [server, run(Pairing::Clients, &c), run(Pairing::Pair, &p)];
        let cells: Vec<Cell> = judge(&runs, &POINTS, &SourceEvidence::default())
            .iter()
            .map(|r| r.cell)
            .collect();
        assert_eq!(cells, [P, P, P, P, P, P, P, R, P, P, R, R]);
    }

    #[test]
    fn item_10_needs_the_pair_on_mininet_through_its_steps() {
        let ok = verdicts(&[]);
        let stuck = verdicts(&["steps"]);
        let mut loopback = run(Pairing::Pair, &ok);
        loopback.mininet = false;
        assert_eq!(item10(&[run(Pairing::Pair, &ok)], 10.).cell, P);
        assert_eq!(item10(&[run(Pairing::Pair, &stuck)], 10.).cell, R);
        assert_eq!(item10(&[loopback], 10.).cell, R);
        assert_eq!(item10(&[], 10.).cell, R);
        assert_eq!(item10(&[run(Pairing::Pair, &ok)], 10.).points, 10.);
    }

    #[test]
    fn a_missing_program_fails_its_items_and_the_pairs() {
        let g = Grading::default();
        let all_pass = || {
            let v = verdicts(&[]);
            let runs = [
                run(Pairing::Server, &v),
                run(Pairing::Clients, &v),
                run(Pairing::Pair, &v),
            ];
            judge(&runs, &POINTS, &SourceEvidence::default())
        };
        let cells = |lacks_server, lacks_client| {
            let mut items = all_pass();
            fail_what_is_missing(&mut items, lacks_server, lacks_client, &g);
            assert!(items
                .iter()
                .all(|i| (i.cell == P) == (i.points == i.max_points)));
            items.iter().map(|i| i.cell).collect::<Vec<_>>()
        };
        assert_eq!(cells(true, false), [P, P, F, F, F, F, F, F, F, F, R, R]);
        assert_eq!(cells(false, true), [F, F, P, P, P, P, P, P, F, F, R, R]);
        assert_eq!(cells(true, true), [F, F, F, F, F, F, F, F, F, F, R, R]);
        assert_eq!(cells(false, false), [P, P, P, P, P, P, P, P, P, P, R, R]);
    }
}
