//! The steps: each names a client that exists, connects once before it
//! sends once, sleeps and waits within bounds. The connect order gives the
//! letters; the send order, the expected ack.

use super::{Least, Validator};
use crate::orchestrator::scenario::schema::{ClientSpec, Sends, Step, WaitSpec};
use crate::orchestrator::scenario::{ClientIdx, ValidStep};

impl Validator<'_> {
    /// The steps, and whether any was refused (a refused step already
    /// explains why a client does not send).
    pub(super) fn steps(
        &mut self,
        steps: &[Step],
        clients: &[ClientSpec],
    ) -> (Vec<ValidStep>, bool) {
        let problems_before = self.problems.len();
        let valid = steps
            .iter()
            .enumerate()
            .filter_map(|(index, step)| self.step(&format!("steps[{index}]"), step))
            .collect();
        let refused = self.problems.len() > problems_before;
        if steps.is_empty() {
            self.at(
                "steps",
                "there are no steps: connect both clients and let them send",
            );
        }
        for (index, client) in clients.iter().enumerate() {
            let index = ClientIdx(index);
            if self.client_index.get(&client.id) == Some(&index)
                && !self.connected.contains(&index)
                && clients.len() == 2
            {
                self.at(
                    "steps",
                    format!(
                        "client {} never connects: add `- connect: {}`",
                        client.id, client.id
                    ),
                );
            }
        }
        (valid, refused)
    }

    fn step(&mut self, path: &str, step: &Step) -> Option<ValidStep> {
        match step {
            Step::Connect(id) => self.connect(&format!("{path}.connect"), id),
            Step::Send(Sends::One(id)) => self.send(&format!("{path}.send"), id),
            Step::Send(Sends::Together(ids)) => self.send_together(&format!("{path}.send"), ids),
            Step::SleepMs(ms) => self.sleep(&format!("{path}.sleep_ms"), *ms),
            Step::WaitFor(wait) => self.wait_for(&format!("{path}.wait_for"), wait),
            Step::Link(link) => self.link_step(&format!("{path}.link"), link),
        }
    }

    fn connect(&mut self, path: &str, id: &str) -> Option<ValidStep> {
        let client = self.resolve_client(path, id)?;
        if self.connected.contains(&client) {
            self.at(path, format!("client {id} connects twice"));
            return None;
        }
        self.connected.push(client);
        Some(ValidStep::Connect(client))
    }

    fn send(&mut self, path: &str, id: &str) -> Option<ValidStep> {
        let client = self.resolve_client(path, id)?;
        if !self.connected.contains(&client) {
            self.at(
                path,
                format!(
                    "client {id} sends before it connects: add `- connect: {id}` before this step"
                ),
            );
            return None;
        }
        if self.sent.contains(&client) {
            self.at(
                path,
                format!("client {id} sends twice; each client sends one message"),
            );
            return None;
        }
        self.sent.push(client);
        Some(ValidStep::Send(client))
    }

    /// `send: [a, b]`: two different clients, each as `send: a` would take.
    fn send_together(&mut self, path: &str, ids: &[String]) -> Option<ValidStep> {
        if ids.len() != 2 || ids[0] == ids[1] {
            self.at(
                path,
                "a simultaneous send names the two clients: `send: [a, b]`",
            );
            return None;
        }
        let mut clients = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            match self.send(&format!("{path}[{i}]"), id)? {
                ValidStep::Send(c) => clients.push(c),
                _ => unreachable!("send gives a Send"),
            }
        }
        Some(ValidStep::SendTogether(clients))
    }

    fn sleep(&mut self, path: &str, ms: f64) -> Option<ValidStep> {
        let pause = self.duration(path, "sleep_ms", ms, 1000.0, Least::Zero)?;
        self.total_sleep += pause;
        Some(ValidStep::Sleep(pause))
    }

    fn wait_for(&mut self, path: &str, wait: &WaitSpec) -> Option<ValidStep> {
        let process = self.resolve_process(&format!("{path}.process"), &wait.process);
        let matcher = self.matcher(path, &wait.contains, &wait.regex);
        let timeout = self.duration(
            &format!("{path}.timeout_ms"),
            "timeout_ms",
            wait.timeout_ms.unwrap_or(10_000.0),
            1000.0,
            Least::AboveZero,
        );
        match (process, matcher, timeout) {
            (Some(process), Some(matcher), Some(timeout)) => Some(ValidStep::WaitFor {
                process,
                matcher,
                timeout,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::orchestrator::scenario::testing::*;
    use crate::orchestrator::scenario::{ClientIdx, ValidStep};
    use crate::pa3::protocol::Letter;

    #[test]
    fn reversed_connect_order_swaps_letters() {
        let s = ok(&CASE2.replace(
            "  - connect: a\n  - connect: b",
            "  - connect: b\n  - connect: a",
        ));
        assert_eq!(s.clients[0].letter, Letter::Y);
        assert_eq!(
            s.derived_ack.as_deref(),
            Some("X: Bob received before Y: Alice")
        );
    }

    #[test]
    fn send_before_connect_is_refused() {
        let e = err(&CASE2.replace(
            "  - connect: a\n  - connect: b\n  - send: b",
            "  - send: b\n  - connect: a\n  - connect: b",
        ));
        assert!(
            e.contains("t.yaml:8:11: client b sends before it connects"),
            "{e}"
        );
    }

    #[test]
    fn a_simultaneous_send_names_two_connected_clients_once_each() {
        let together = CASE2.replace(
            "  - send: b\n  - sleep_ms: 200\n  - send: a",
            "  - send: [b, a]",
        );
        let s = ok(&together);
        assert!(
            matches!(s.steps[2], ValidStep::SendTogether(ref c) if *c == vec![ClientIdx(1), ClientIdx(0)])
        );
        // Listed order stands for the send order (Y then X) where a gap
        // would decide; the checks go by the server's own order instead.
        assert_eq!(
            s.derived_ack.as_deref(),
            Some("Y: Bob received before X: Alice")
        );
        let refused =
            |steps: &str| err(&CASE2.replace("  - send: b\n  - sleep_ms: 200\n  - send: a", steps));
        assert!(refused("  - send: [a, a]").contains("a simultaneous send names the two clients"));
        assert!(refused("  - send: [a]").contains("a simultaneous send names the two clients"));
        assert!(
            refused("  - send: [a, b, a]").contains("a simultaneous send names the two clients")
        );
        assert!(refused("  - send: [a, z]").contains("unknown client \"z\""));
        assert!(refused("  - send: a\n  - send: [a, b]").contains("client a sends twice"));
        assert!(refused("  - send: 3").contains("expected a client id (`send: a`), or two"));
    }

    /// The sleep step of CASE2 (its fourth step).
    fn sleep_of(text: &str) -> Duration {
        match ok(text).steps[3] {
            ValidStep::Sleep(pause) => pause,
            ref other => panic!("not a sleep: {other:?}"),
        }
    }

    #[test]
    fn sleep_ms_takes_fractions_and_zero() {
        let with = |ms: &str| sleep_of(&CASE2.replace("sleep_ms: 200", &format!("sleep_ms: {ms}")));
        assert_eq!(with("0.2"), Duration::from_micros(200));
        assert_eq!(with("1.5"), Duration::from_micros(1500));
        assert_eq!(with("0.000001"), Duration::from_nanos(1));
        assert_eq!(with("0"), Duration::ZERO);
        assert_eq!(with("200"), Duration::from_millis(200));
    }

    #[test]
    fn sleep_ms_refuses_negatives_nan_and_more_than_an_hour() {
        let refused = |ms: &str| err(&CASE2.replace("sleep_ms: 200", &format!("sleep_ms: {ms}")));
        assert_eq!(
            refused("-5"),
            "t.yaml:11:15: sleep_ms must be a number, 0 or more, not -5"
        );
        assert_eq!(
            refused("-0.5"),
            "t.yaml:11:15: sleep_ms must be a number, 0 or more, not -0.5"
        );
        assert_eq!(
            refused(".nan"),
            "t.yaml:11:15: sleep_ms must be a number, 0 or more, not NaN"
        );
        assert_eq!(
            refused(".inf"),
            "t.yaml:11:15: sleep_ms is inf; the most allowed is 3600000 (an hour)"
        );
        assert_eq!(
            refused("3600000.5"),
            "t.yaml:11:15: sleep_ms is 3600000.5; the most allowed is 3600000 (an hour)"
        );
        assert_eq!(
            refused("soon"),
            "t.yaml:11:15: steps[3].sleep_ms: invalid type: string \"soon\", expected a number"
        );
    }

    #[test]
    fn wait_for_timeout_ms_takes_fractions_but_not_zero() {
        let wait = |ms: &str| {
            CASE2.replace(
                "  - sleep_ms: 200\n",
                &format!(
                    "  - wait_for: {{ process: server, contains: Client, timeout_ms: {ms} }}\n"
                ),
            )
        };
        match &ok(&wait("2.5")).steps[3] {
            ValidStep::WaitFor { timeout, .. } => assert_eq!(*timeout, Duration::from_micros(2500)),
            other => panic!("not a wait: {other:?}"),
        }
        assert_eq!(
            err(&wait("0")),
            "t.yaml:11:64: timeout_ms must be a positive number, not 0"
        );
    }
}
