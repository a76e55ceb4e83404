//! What a run must show: the ack (written, or derived from the send
//! order), the expected lines, and the run's timeout.

use std::time::Duration;

use super::{shown, Least, Validator};
use crate::orchestrator::scenario::schema::{ExpectSpec, LineSpec, Scenario};
use crate::orchestrator::scenario::LineCheck;
use crate::pa3::protocol::{self, Ack, Framing};

impl Validator<'_> {
    pub(super) fn expected_ack(&mut self, expect: &ExpectSpec) {
        if let Some(ack) = &expect.ack {
            // The checks compare acks with this one, so it is the seed's
            // string exactly: they read the programs leniently, not this.
            match protocol::read_ack(ack, Framing::Message) {
                None => self.at(
                    "expect.ack",
                    format!("{} is not an acknowledgement (expected like `X: Alice received before Y: Bob`)", shown(ack)),
                ),
                Some(r) if !r.is_exact() => self.at(
                    "expect.ack",
                    format!(
                        "{} is not written as the seed writes an acknowledgement ({}); write {}",
                        shown(ack),
                        protocol::describe(&r.deviations).escape_debug(),
                        shown(&r.value.line())
                    ),
                ),
                Some(_) => {}
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

    /// Sends closer together than this count as simultaneous (100 ms
    /// unless given).
    pub(super) fn order_margin(&mut self, expect: &ExpectSpec) -> Duration {
        let margin_ms = expect.order_margin_ms.unwrap_or(100.0);
        self.duration(
            "expect.order_margin_ms",
            "order_margin_ms",
            margin_ms,
            1000.0,
            Least::Zero,
        )
        .unwrap_or_default()
    }

    /// The whole run's timeout (30 s unless given): long enough for the
    /// sleeps.
    pub(super) fn timeout(&mut self, timeout_s: Option<f64>) -> Duration {
        let timeout_s = timeout_s.unwrap_or(30.0);
        let timeout = self.duration("timeout_s", "timeout_s", timeout_s, 1.0, Least::AboveZero);
        if timeout.is_some_and(|timeout| self.total_sleep >= timeout) {
            self.at(
                "timeout_s",
                format!(
                    "the steps sleep {} s, longer than timeout_s ({timeout_s} s): raise timeout_s",
                    self.total_sleep.as_secs_f64()
                ),
            );
        }
        timeout.unwrap_or_default()
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
                    first_name: scenario.clients[first.index()].name.trim().to_string(),
                    second_name: scenario.clients[second.index()].name.trim().to_string(),
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
    use std::time::Duration;

    use crate::orchestrator::scenario::testing::*;

    #[test]
    fn explicit_ack_must_be_an_ack() {
        let e = err(&format!("{CASE2}expect: {{ ack: hello }}\n"));
        assert!(e.contains("is not an acknowledgement"), "{e}");
    }

    #[test]
    fn explicit_ack_must_be_the_seeds_string_exactly() {
        let e = err(&format!(
            "{CASE2}expect: {{ ack: 'Y: Bob recieved before X: Alice' }}\n"
        ));
        assert!(
            e.contains("(`recieved` for `received`); write \"Y: Bob received before X: Alice\""),
            "{e}"
        );
    }

    #[test]
    fn order_margin_ms_takes_fractions_and_zero_not_negatives() {
        let margin = |ms: &str| format!("{CASE2}expect: {{ order_margin_ms: {ms} }}\n");
        assert_eq!(ok(&margin("0.5")).order_margin, Duration::from_micros(500));
        assert_eq!(ok(&margin("0")).order_margin, Duration::ZERO);
        assert_eq!(ok(CASE2).order_margin, Duration::from_millis(100));
        assert_eq!(
            err(&margin("-1")),
            "t.yaml:13:28: order_margin_ms must be a number, 0 or more, not -1"
        );
    }

    #[test]
    fn sleeps_longer_than_the_timeout_are_refused() {
        let text = CASE2.replace("sleep_ms: 200", "sleep_ms: 2000.25") + "timeout_s: 2\n";
        assert_eq!(
            err(&text),
            "t.yaml:13:12: the steps sleep 2.00025 s, longer than timeout_s (2 s): raise timeout_s"
        );
    }
}
