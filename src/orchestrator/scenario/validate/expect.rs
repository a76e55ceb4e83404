//! What a run must show: the ack (written, or derived from the send
//! order), the expected lines, and the run's timeout.

use super::{shown, Validator};
use crate::orchestrator::scenario::schema::{ExpectSpec, LineSpec, Scenario};
use crate::orchestrator::scenario::LineCheck;
use crate::pa3::protocol::{self, Ack};

impl Validator<'_> {
    pub(super) fn expected_ack(&mut self, expect: &ExpectSpec) {
        if let Some(ack) = &expect.ack {
            if protocol::parse_ack(ack).is_none() {
                self.at(
                    "expect.ack",
                    format!("{} is not an acknowledgement (expected like `X: Alice received before Y: Bob`)", shown(ack)),
                );
            }
        }
    }

    pub(super) fn lines(&mut self, lines: &[LineSpec]) -> Vec<LineCheck> {
        lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| self.line_check(&format!("expect.lines[{index}]"), line))
            .collect()
    }

    fn line_check(&mut self, path: &str, line: &LineSpec) -> Option<LineCheck> {
        let process = self.resolve_process(&format!("{path}.process"), &line.process);
        let given = [
            line.contains.is_some(),
            line.regex.is_some(),
            line.absent.is_some(),
        ]
        .iter()
        .filter(|given| **given)
        .count();
        if given != 1 {
            self.at(path, "give exactly one of `contains`, `regex` or `absent`");
            return None;
        }
        let (matcher, absent) = match &line.absent {
            Some(absent) => (self.matcher(path, &Some(absent.clone()), &None), true),
            None => (self.matcher(path, &line.contains, &line.regex), false),
        };
        Some(LineCheck {
            process: process?,
            matcher: matcher?,
            absent,
        })
    }

    /// The whole run's timeout, in seconds: long enough for the sleeps.
    pub(super) fn timeout(&mut self, timeout_s: Option<f64>) -> f64 {
        let timeout_s = timeout_s.unwrap_or(30.0);
        if self.check_duration("timeout_s", "timeout_s", timeout_s, 1.0)
            && self.total_sleep >= timeout_s
        {
            self.at(
                "timeout_s",
                format!(
                    "the steps sleep {} s, longer than timeout_s ({timeout_s} s): raise timeout_s",
                    self.total_sleep
                ),
            );
        }
        timeout_s
    }

    /// The ack the send order implies; without it (and without an
    /// `expect.ack`) a run could not be judged.
    pub(super) fn derived_ack(
        &mut self,
        scenario: &Scenario,
        steps_refused: bool,
    ) -> Option<String> {
        let derived = match self.sent[..] {
            [first, second] => self.letter_of(first).map(|letter| {
                Ack {
                    first: letter,
                    first_name: scenario.clients[first].name.trim().to_string(),
                    second_name: scenario.clients[second].name.trim().to_string(),
                }
                .line()
            }),
            _ => None,
        };
        if derived.is_none()
            && !steps_refused
            && scenario.expect.ack.is_none()
            && scenario.clients.len() == 2
            && self.connected.len() == 2
        {
            self.at(
                "steps",
                "not every client sends in the steps, so the expected acknowledgement cannot be derived: add the `send` steps or an `expect.ack`",
            );
        }
        derived
    }
}

#[cfg(test)]
mod tests {
    use crate::orchestrator::scenario::testing::*;

    #[test]
    fn explicit_ack_must_be_an_ack() {
        let e = err(&format!("{CASE2}expect: {{ ack: hello }}\n"));
        assert!(e.contains("is not an acknowledgement"), "{e}");
    }
}
