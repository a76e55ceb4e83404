//! A student's runs as the rubric ([`super::judge`]) asks about them:
//! which runs have the student's server or clients, one case of one
//! pairing, the failed verdicts among some checks as evidence, the notes
//! of those passed leniently, what deadlocked, what was adapted.

use super::observe::RunFacts;
use super::rubric::Evidence;
use super::Pairing;
use crate::orchestrator::record::{CheckId, Verdict};

/// A finished run of a student, as the rubric reads it.
pub struct StudentRun<'a> {
    pub pairing: Pairing,
    /// `case2`.
    pub case: &'a str,
    /// `server / case2`.
    pub label: String,
    pub dir: Option<String>,
    pub verdicts: &'a [Verdict],
    pub facts: &'a RunFacts,
    pub mininet: bool,
}

/// The runs of one student.
pub struct RunsOf<'r, 'a>(pub &'r [StudentRun<'a>]);

/// Whether `verdict` was made by one of the rows `checks` (the row
/// `greeting` makes `greeting.a` and `greeting.b`; `greeting.after_both`
/// is a row of its own).
fn is_one_of(verdict: &Verdict, checks: &[CheckId]) -> bool {
    verdict.check.is_some_and(|c| checks.contains(&c))
}

impl<'r, 'a> RunsOf<'r, 'a> {
    /// The runs of `pairing` — but the one under real latency, which
    /// speaks to item 8 alone (see `judge::delayed_order`, which asks for
    /// it by [`RunsOf::case`]): every other item reads the same runs as
    /// without it.
    pub fn pairing(&self, pairing: Pairing) -> Vec<&'r StudentRun<'a>> {
        self.0
            .iter()
            .filter(|r| r.pairing == pairing && r.case != super::plan::LATENCY_CASE)
            .collect()
    }

    pub fn case(&self, pairing: Pairing, case: &str) -> Vec<&'r StudentRun<'a>> {
        self.0
            .iter()
            .filter(|r| r.pairing == pairing && r.case == case)
            .collect()
    }

    /// The runs of the student's server: the pair's first, then ours.
    pub fn with_their_server(&self) -> Vec<&'r StudentRun<'a>> {
        let mut runs = self.pairing(Pairing::Pair);
        runs.extend(self.pairing(Pairing::Server));
        runs
    }

    /// The runs of the student's clients: with our server, then theirs.
    pub fn with_their_clients(&self) -> Vec<&'r StudentRun<'a>> {
        let mut runs = self.pairing(Pairing::Clients);
        runs.extend(self.pairing(Pairing::Pair));
        runs
    }

    /// The failed verdicts among `checks` of `runs`, as evidence.
    pub fn failed(&self, runs: &[&StudentRun], checks: &[CheckId]) -> Vec<Evidence> {
        self.failed_where(runs, checks, |_| true)
    }

    /// The verdicts among `checks` that failed only by `--strict` (slips).
    pub fn failed_strictly(&self, runs: &[&StudentRun], checks: &[CheckId]) -> Vec<Evidence> {
        self.failed_where(runs, checks, Verdict::failed_only_strictly)
    }

    /// The greetings that gave a wrong letter (a slip failed only by
    /// `--strict` is a matter of spelling, not of which letter).
    pub fn failed_letters(&self, runs: &[&StudentRun]) -> Vec<Evidence> {
        self.failed_where(runs, &[CheckId::Greeting], |v| {
            !v.failed_only_strictly() && v.observed != "no greeting"
        })
    }

    /// The failed verdicts among `checks` of `runs` that `pick` accepts.
    fn failed_where(
        &self,
        runs: &[&StudentRun],
        checks: &[CheckId],
        pick: impl Fn(&Verdict) -> bool,
    ) -> Vec<Evidence> {
        runs.iter()
            .flat_map(|r| {
                r.verdicts
                    .iter()
                    .filter(|v| !v.passed && is_one_of(v, checks) && pick(v))
                    .map(|v| evidence(r, v))
            })
            .collect()
    }

    /// The notes of passed verdicts among `checks` (slips read past).
    pub fn notes(&self, runs: &[&StudentRun], checks: &[CheckId]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in runs {
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

    /// Evidence made of a fact of a run rather than a verdict.
    pub fn fact(&self, run: &StudentRun, check: &str, expected: &str, observed: &str) -> Evidence {
        Evidence {
            run: run.label.clone(),
            dir: run.dir.clone(),
            check: check.to_string(),
            expected: expected.to_string(),
            observed: observed.to_string(),
            note: None,
        }
    }

    /// The first of `runs` in which the student's server ended with an
    /// error on its own, as evidence (what it said last on stderr).
    pub fn server_died(&self, runs: &[&StudentRun]) -> Option<Evidence> {
        runs.iter().find_map(|r| {
            let (_, said) = r.facts.crashed.iter().find(|(id, _)| id == "server")?;
            Some(self.fact(r, "exit.server", "the server lives to acknowledge", said))
        })
    }

    /// The deadlocks of `runs`, as evidence.
    pub fn deadlocks(&self, runs: &[&StudentRun]) -> Vec<Evidence> {
        runs.iter()
            .filter_map(|r| {
                let who = r.facts.deadlock.as_ref()?;
                Some(self.fact(
                    r,
                    "deadlock",
                    "the run goes on",
                    &format!("deadlocked: {who}"),
                ))
            })
            .collect()
    }

    /// What the network was adapted for in `runs` (once each).
    pub fn adaptations(&self, runs: &[&StudentRun]) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = Vec::new();
        for r in runs {
            for a in &r.facts.adaptations {
                let said = a.to_string();
                if !out.iter().any(|e| e.observed == said) {
                    out.push(self.fact(r, a.kind(), "the programs meet as handed in", &said));
                }
            }
        }
        out
    }
}

fn evidence(r: &StudentRun, v: &Verdict) -> Evidence {
    Evidence {
        run: r.label.clone(),
        dir: r.dir.clone(),
        check: v.id.clone(),
        expected: v.expected.clone(),
        observed: v.observed.clone(),
        note: v.note.clone(),
    }
}
