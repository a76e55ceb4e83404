//! The rubric's decisions on runs made up of facts, one behaviour each.

use super::*;
use crate::orchestrator::event::Adaptation;
use crate::orchestrator::grade::observe::{heard_ack, RunFacts};
use crate::orchestrator::record::{CheckId, Leniency, Verdict};

const POINTS: [f64; 12] = [5., 5., 5., 5., 5., 5., 10., 10., 10., 10., 20., 10.];

/// What a run of a correct pair shows in `case`: both connected and
/// greeted, the names sent in the case's order, the right ack heard.
fn good(case: &str) -> RunFacts {
    let (sent, ack): (&[&str], &str) = match case {
        "case2" => (&["Dave", "Carol"], "Y: Dave received before X: Carol"),
        "spaces" => (&["Mary Ann", "Bob"], "X: Mary Ann received before Y: Bob"),
        _ => (&["Alice", "Bob"], "X: Alice received before Y: Bob"),
    };
    let names: Vec<String> = match case {
        "case2" => vec!["Carol".into(), "Dave".into()],
        "spaces" => vec!["Mary Ann".into(), "Bob".into()],
        _ => vec!["Alice".into(), "Bob".into()],
    };
    RunFacts {
        connected: vec!["a".into(), "b".into()],
        greeted: vec!["a".into(), "b".into()],
        ack: heard_ack(ack),
        heard_ack: vec!["a".into(), "b".into()],
        sent: sent.iter().map(|s| s.to_string()).collect(),
        server_printed: sent.iter().map(|s| s.to_string()).collect(),
        names,
        ..RunFacts::default()
    }
}

/// The runs of a class, each case of each pairing with its facts.
struct Class {
    runs: Vec<(Pairing, &'static str, RunFacts, Vec<Verdict>)>,
}

impl Class {
    fn correct() -> Class {
        let mut runs = Vec::new();
        for (p, cases) in [
            (Pairing::Pair, &["early", "case2", "spaces"][..]),
            (Pairing::Server, &["case1", "case2", "spaces"][..]),
            (Pairing::Clients, &["case2"][..]),
        ] {
            for c in cases {
                runs.push((p, *c, good(c), Vec::new()));
            }
        }
        Class { runs }
    }

    /// Changes the facts of every run of `pairing` (`None`: all) in `case`
    /// (`None`: all).
    fn set(
        mut self,
        pairing: Option<Pairing>,
        case: Option<&str>,
        f: impl Fn(&mut RunFacts),
    ) -> Class {
        for (p, c, facts, _) in &mut self.runs {
            if pairing.is_none_or(|x| x == *p) && case.is_none_or(|x| x == *c) {
                f(facts);
            }
        }
        self
    }

    /// Adds a failed verdict `id` of the row `check` to the runs of
    /// `pairing` in `case`; `leniency` says whether only a slip failed it.
    fn fail_check(
        mut self,
        pairing: Pairing,
        case: &str,
        (check, id): (CheckId, &str),
        leniency: Option<Leniency>,
    ) -> Class {
        for (p, c, _, verdicts) in &mut self.runs {
            if *p == pairing && *c == case {
                let mut v = Verdict::new(id, id, false, "want", "got", Vec::new());
                v.check = Some(check);
                v.leniency = leniency;
                verdicts.push(v);
            }
        }
        self
    }

    fn items(&self) -> Vec<ItemResult> {
        let runs: Vec<StudentRun> = self
            .runs
            .iter()
            .map(|(p, c, facts, verdicts)| StudentRun {
                pairing: *p,
                case: c,
                label: format!("{} {c}", p.word()),
                dir: None,
                verdicts,
                facts,
                mininet: true,
            })
            .collect();
        judge(
            &runs,
            &Blocks::default(),
            &POINTS,
            &SourceEvidence::default(),
        )
    }

    fn cells_with(&self, blocks: &Blocks) -> Vec<Cell> {
        let runs: Vec<StudentRun> = self
            .runs
            .iter()
            .map(|(p, c, facts, verdicts)| StudentRun {
                pairing: *p,
                case: c,
                label: format!("{} {c}", p.word()),
                dir: None,
                verdicts,
                facts,
                mininet: true,
            })
            .collect();
        judge(&runs, blocks, &POINTS, &SourceEvidence::default())
            .iter()
            .map(|i| i.cell)
            .collect()
    }

    fn cells(&self) -> Vec<Cell> {
        self.cells_with(&Blocks::default())
    }
}

use Cell::{Fail as F, Pass as P, Review as R};

#[test]
fn a_correct_pair_on_mininet_as_handed_in_passes_every_automatic_item() {
    assert_eq!(
        Class::correct().cells(),
        [P, P, P, P, P, P, P, P, P, P, R, R]
    );
}

#[test]
fn a_program_that_cannot_run_fails_its_items_once_or_goes_to_a_person() {
    let syntax = Blocks {
        server: None,
        clients: Some(Blocked {
            why: "client.py does not run: client.py:3:1: U+200B".into(),
            students_doing: true,
        }),
    };
    let c = Class::correct().set(Some(Pairing::Pair), None, |f| *f = RunFacts::default());
    assert_eq!(c.cells_with(&syntax), [F, F, P, P, P, P, P, P, F, F, R, R]);
    let python2 = Blocks {
        server: Some(Blocked {
            why: "server.py does not run: Python 2".into(),
            students_doing: false,
        }),
        clients: None,
    };
    assert_eq!(c.cells_with(&python2), [P, P, R, R, R, R, R, R, R, R, R, R]);
}

#[test]
fn a_message_read_before_the_second_client_connected_fails_item_3() {
    let c = Class::correct().fail_check(
        Pairing::Pair,
        "early",
        (CheckId::ServerReadEarly, "server.read_early"),
        None,
    );
    assert_eq!(c.cells()[2], F);
}

#[test]
fn no_greeting_fails_5_and_4_is_read_from_the_acks_letters() {
    let c = Class::correct().set(None, None, |f| f.greeted.clear());
    assert_eq!(&c.cells()[3..5], [P, F]);
    // Letters from the clients' own text: the first to connect called Y.
    let c = c.set(Some(Pairing::Pair), Some("spaces"), |f| {
        f.ack = heard_ack("Y: Mary Ann received before X: Bob")
    });
    assert_eq!(&c.cells()[3..5], [F, F]);
}

#[test]
fn acks_in_connect_order_fail_6_and_8_letters_in_arrival_slots_fail_8_alone() {
    let connect = Class::correct().set(None, Some("case2"), |f| {
        f.ack = heard_ack("X: Carol received before Y: Dave")
    });
    assert_eq!(&connect.cells()[5..8], [F, P, F]);
    let letters = Class::correct().set(None, Some("case2"), |f| {
        f.ack = heard_ack("X: Dave received before Y: Carol")
    });
    assert_eq!(&letters.cells()[5..8], [P, P, F]);
}

#[test]
fn a_fixed_string_fails_7_and_says_nothing_of_the_order() {
    let c = Class::correct().set(Some(Pairing::Pair), None, |f| {
        f.ack = heard_ack("X: Alice received before Y: Bob")
    });
    let cells = c.cells();
    assert_eq!(cells[6], F, "{cells:?}");
    // case2 with our clients still shows the order.
    assert_eq!((cells[5], cells[7]), (P, P));
}

#[test]
fn an_ack_with_the_same_letter_twice_fails_7_and_sends_8_to_a_person() {
    let c = Class::correct().set(None, None, |f| {
        f.ack = heard_ack("Y: Dave received before Y: Carol")
    });
    let cells = c.cells();
    assert_eq!((cells[6], cells[7]), (F, R), "{cells:?}");
}

#[test]
fn a_pair_that_needed_the_network_adapted_sends_10_to_a_person_with_what_was_adapted() {
    let c = Class::correct().set(Some(Pairing::Pair), None, |f| {
        f.adaptations = vec![Adaptation::ClientDials {
            client: "a".into(),
            dialed: "localhost:12000".into(),
            routed_to: "h1 (10.0.0.1:12000)".into(),
        }]
    });
    assert_eq!(c.cells()[9], R);
}

#[test]
fn clients_that_never_print_the_ack_fail_9_not_the_servers_7() {
    let c = Class::correct()
        .set(Some(Pairing::Clients), None, |f| f.heard_ack.clear())
        .set(Some(Pairing::Pair), None, |f| f.heard_ack.clear());
    let cells = c.cells();
    assert_eq!((cells[6], cells[8]), (P, F), "{cells:?}");
}

#[test]
fn a_deadlocked_server_fails_7_with_the_deadlock_as_evidence() {
    let runs_c = Class::correct().set(Some(Pairing::Server), None, |f| {
        f.heard_ack.clear();
        f.ack = None;
        f.deadlock = Some("h1 server waits to receive (recv)".into());
    });
    let c = runs_c.set(Some(Pairing::Pair), None, |f| {
        f.heard_ack.clear();
        f.ack = None;
    });
    assert_eq!(c.cells()[6], F);
}

#[test]
fn a_greeting_failed_only_by_strict_fails_5_not_4_and_a_wrong_letter_fails_both() {
    // No ack tells the letters, so item 4 reads the greetings.
    let no_ack = || Class::correct().set(None, None, |f| f.ack = None);
    let greeting = (CheckId::Greeting, "greeting.b");
    let slip = no_ack().fail_check(Pairing::Server, "case1", greeting, Some(Leniency::Strict));
    assert_eq!(&slip.cells()[3..5], [P, F]);
    let wrong = no_ack().fail_check(Pairing::Server, "case1", greeting, None);
    assert_eq!(&wrong.cells()[3..5], [F, F]);
}

#[test]
fn an_ack_failed_only_by_strict_fails_7_and_one_failed_anyway_does_not_say_strict() {
    let ack = (CheckId::AckSame, "ack.same");
    let slip = Class::correct().fail_check(Pairing::Pair, "case2", ack, Some(Leniency::Strict));
    let items = slip.items();
    assert_eq!(items[6].cell, F);
    assert!(items[6].why.contains("--strict"), "{}", items[6].why);
    // The same row failed for another reason, with a slip read past too.
    let other =
        Class::correct().fail_check(Pairing::Pair, "case2", ack, Some(Leniency::AlsoSlipped));
    assert!(!other.items()[6].why.contains("--strict"));
}
