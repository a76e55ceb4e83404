//! The steps: each names a client that exists, connects once before it
//! sends once, sleeps and waits within bounds. The connect order gives the
//! letters; the send order, the expected ack.

use std::time::Duration;

use super::Validator;
use crate::orchestrator::scenario::schema::{ClientSpec, Step, WaitSpec};
use crate::orchestrator::scenario::ValidStep;

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
            Step::Send(id) => self.send(&format!("{path}.send"), id),
            Step::SleepMs(ms) => self.sleep(&format!("{path}.sleep_ms"), *ms),
            Step::WaitFor(wait) => self.wait_for(&format!("{path}.wait_for"), wait),
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

    fn sleep(&mut self, path: &str, ms: u64) -> Option<ValidStep> {
        let written = (ms as f64).max(f64::MIN_POSITIVE);
        if !self.check_duration(path, "sleep_ms", written, 1000.0) {
            return None;
        }
        self.total_sleep += ms as f64 / 1000.0;
        Some(ValidStep::Sleep(Duration::from_millis(ms)))
    }

    fn wait_for(&mut self, path: &str, wait: &WaitSpec) -> Option<ValidStep> {
        let process = self.resolve_process(&format!("{path}.process"), &wait.process);
        let matcher = self.matcher(path, &wait.contains, &wait.regex);
        let ms = wait.timeout_ms.unwrap_or(10_000);
        let timeout_ok = self.check_duration(
            &format!("{path}.timeout_ms"),
            "timeout_ms",
            ms as f64,
            1000.0,
        );
        match (process, matcher, timeout_ok) {
            (Some(process), Some(matcher), true) => Some(ValidStep::WaitFor {
                process,
                matcher,
                timeout: Duration::from_millis(ms),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::orchestrator::scenario::testing::*;
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
    fn negative_sleep_is_refused() {
        let e = err(&CASE2.replace("sleep_ms: 200", "sleep_ms: -5"));
        assert!(e.starts_with("t.yaml:11:"), "{e}");
    }
}
