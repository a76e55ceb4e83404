//! The links: `topology.link` (every host's), `links.<host>` (one host's,
//! field by field over it) and the `link:` steps. Each value within
//! bounds, jitter never more than delay (a uniform jitter larger than the
//! delay would ask for negative delays), every host named known, and —
//! when some link is delayed, jittered or lossy — an engine that can do
//! it on this machine, else an error at the first place one is asked for.

use std::collections::HashMap;

use super::Validator;
use crate::orchestrator::link::{fmt_num, Conditions};
use crate::orchestrator::scenario::schema::{LinkSpec, LinkStep, Scenario};
use crate::orchestrator::scenario::{num, Capabilities, HostLink, Links, ValidStep};

/// The most a delay or a jitter may be (ms): ten seconds.
const MAX_DELAY_MS: f64 = 10_000.0;

/// A link's fields as written, each with the path it was written at.
#[derive(Default)]
struct Written {
    delay_ms: Option<(f64, String)>,
    jitter_ms: Option<(f64, String)>,
    loss_pct: Option<(f64, String)>,
}

/// What the links section leaves for the steps and the end.
#[derive(Default)]
pub(super) struct LinkState {
    /// Each host's conditions as the steps go (the run's start first).
    now: HashMap<String, Conditions>,
    /// Each host's link at the start: rate and conditions.
    start: Vec<(String, Option<f64>, Conditions)>,
    /// Hosts a `link:` step names.
    stepped: Vec<String>,
    /// Where an impairment is first asked for (for the engine's error).
    first_impairment: Option<String>,
}

impl Validator<'_> {
    /// Every host's link as the run starts.
    pub(super) fn links(&mut self, scenario: &Scenario) {
        let default = scenario.topology.link.as_ref();
        let bw_default = default.and_then(|l| self.bw("topology.link.bw_mbit", l.bw_mbit));
        let all = default
            .map(|l| self.written("topology.link", l))
            .unwrap_or_default();
        let mut own = HashMap::new();
        for (host, spec) in &scenario.links {
            let path = format!("links.{host}");
            self.known_host_key(&path, host);
            let bw = self.bw(&format!("{path}.bw_mbit"), spec.bw_mbit);
            own.insert(host.clone(), (bw, self.written(&path, spec)));
        }
        for host in self.hosts.clone() {
            let (bw, written) = match own.remove(&host) {
                Some((bw, mine)) => (bw.or(bw_default), merged(mine, &all)),
                None => (bw_default, merged(Written::default(), &all)),
            };
            let conditions = self.conditions(&host, &written);
            if !conditions.is_clear() && self.links.first_impairment.is_none() {
                self.links.first_impairment = first_path(&written);
            }
            self.links.now.insert(host.clone(), conditions);
            self.links.start.push((host, bw, conditions));
        }
    }

    /// `link: { host, delay_ms, jitter_ms, loss_pct }`: the host's link
    /// from this step on.
    pub(super) fn link_step(&mut self, path: &str, step: &LinkStep) -> Option<ValidStep> {
        if !self.hosts.contains(&step.host) {
            self.known_host(&format!("{path}.host"), &step.host);
            return None;
        }
        let spec = LinkSpec {
            bw_mbit: None,
            delay_ms: step.delay_ms,
            jitter_ms: step.jitter_ms,
            loss_pct: step.loss_pct,
        };
        let written = self.written(path, &spec);
        if written.delay_ms.is_none() && written.jitter_ms.is_none() && written.loss_pct.is_none() {
            if step.delay_ms.is_none() && step.jitter_ms.is_none() && step.loss_pct.is_none() {
                self.at(
                    path,
                    "a `link` step changes something: give delay_ms, jitter_ms or loss_pct",
                );
            }
            return None;
        }
        let before = self.links.now.get(&step.host).copied().unwrap_or_default();
        let mut merged = Written {
            delay_ms: Some((before.delay_ms, String::new())),
            jitter_ms: Some((before.jitter_ms, String::new())),
            loss_pct: Some((before.loss_pct, String::new())),
        };
        for (field, value) in [
            (&mut merged.delay_ms, written.delay_ms),
            (&mut merged.jitter_ms, written.jitter_ms),
            (&mut merged.loss_pct, written.loss_pct),
        ] {
            if value.is_some() {
                *field = value;
            }
        }
        // A jitter left from before but a delay lowered here: the step is
        // where the conflict is written.
        if let Some((_, at)) = merged.jitter_ms.as_mut().filter(|(_, at)| at.is_empty()) {
            *at = format!("{path}.delay_ms");
        }
        let conditions = self.conditions(&step.host, &merged);
        self.links.now.insert(step.host.clone(), conditions);
        self.links.stepped.push(step.host.clone());
        if self.links.first_impairment.is_none() {
            self.links.first_impairment = Some(path.to_string());
        }
        Some(ValidStep::Link {
            host: step.host.clone(),
            conditions,
        })
    }

    /// The links as the run starts, and their engine: an error at the
    /// first impairment when no engine here can apply it.
    pub(super) fn link_engine(&mut self, caps: Capabilities) -> Links {
        let stepped = std::mem::take(&mut self.links.stepped);
        let hosts: Vec<HostLink> = std::mem::take(&mut self.links.start)
            .into_iter()
            .map(|(host, bw_mbit, conditions)| HostLink {
                impaired: !conditions.is_clear() || stepped.contains(&host),
                host,
                bw_mbit,
                conditions,
            })
            .collect();
        let engine = match (&self.links.first_impairment, caps.engines().engine()) {
            (None, _) => None,
            (Some(_), Ok(engine)) => Some(engine),
            (Some(at), Err(why)) => {
                let at = at.clone();
                self.at_key(
                    &at,
                    format!("this link cannot be delayed or made lossy here: {why}"),
                );
                None
            }
        };
        Links { hosts, engine }
    }

    /// A rate: more than 0, at most 1000 Mbit/s.
    fn bw(&mut self, path: &str, bw: Option<f64>) -> Option<f64> {
        let bw = bw?;
        if !(bw.is_finite() && bw > 0.0 && bw <= 1000.0) {
            self.at(
                path,
                format!(
                    "bw_mbit must be more than 0 and at most 1000, not {}",
                    num(bw)
                ),
            );
            return None;
        }
        Some(bw)
    }

    /// The delay, jitter and loss written at `path`, each within bounds.
    fn written(&mut self, path: &str, spec: &LinkSpec) -> Written {
        let mut field = |key: &str, value: Option<f64>, max: f64| {
            let value = value?;
            let at = format!("{path}.{key}");
            if !(value.is_finite() && (0.0..=max).contains(&value)) {
                self.at(
                    &at,
                    format!("{key} must be between 0 and {max}, not {}", num(value)),
                );
                return None;
            }
            Some((value, at))
        };
        Written {
            delay_ms: field("delay_ms", spec.delay_ms, MAX_DELAY_MS),
            jitter_ms: field("jitter_ms", spec.jitter_ms, MAX_DELAY_MS),
            loss_pct: field("loss_pct", spec.loss_pct, 100.0),
        }
    }

    /// The conditions written, with jitter at most the delay.
    fn conditions(&mut self, host: &str, w: &Written) -> Conditions {
        let value = |f: &Option<(f64, String)>| f.as_ref().map_or(0.0, |(v, _)| *v);
        let c = Conditions {
            delay_ms: value(&w.delay_ms),
            jitter_ms: value(&w.jitter_ms),
            loss_pct: value(&w.loss_pct),
        };
        if c.jitter_ms > c.delay_ms {
            let at = w
                .jitter_ms
                .as_ref()
                .map(|(_, at)| at.clone())
                .unwrap_or_default();
            // Both from `topology.link`: one problem, every host's (the
            // same message at the same place is reported once).
            let shared = |f: &Option<(f64, String)>| {
                f.as_ref()
                    .is_none_or(|(_, at)| at.starts_with("topology.link"))
            };
            let whose = if shared(&w.jitter_ms) && shared(&w.delay_ms) {
                "every host's link".to_string()
            } else {
                format!("{host}'s link")
            };
            self.at(
                &at,
                format!(
                    "{whose}: jitter_ms {} is more than delay_ms {}: each packet's delay is delay_ms ± jitter_ms (uniform, as netem's), which must not go below 0",
                    fmt_num(c.jitter_ms),
                    fmt_num(c.delay_ms)
                ),
            );
        }
        c
    }

    /// A host named as a key (`links.h9`): the error points at the key.
    fn known_host_key(&mut self, path: &str, host: &str) {
        if !self.hosts.iter().any(|h| h == host) {
            let before = self.problems.len();
            self.known_host(path, host);
            if let Some(p) = self.problems.get_mut(before) {
                let (line, column) = self.locator.find_key(path);
                (p.line, p.column) = (line, column);
            }
        }
    }
}

/// A host's own fields, else the ones every host's link has.
fn merged(mine: Written, all: &Written) -> Written {
    Written {
        delay_ms: mine.delay_ms.or_else(|| all.delay_ms.clone()),
        jitter_ms: mine.jitter_ms.or_else(|| all.jitter_ms.clone()),
        loss_pct: mine.loss_pct.or_else(|| all.loss_pct.clone()),
    }
}

/// Where the first impairment of a link is written.
fn first_path(w: &Written) -> Option<String> {
    [&w.delay_ms, &w.jitter_ms, &w.loss_pct]
        .into_iter()
        .flatten()
        .find(|(v, _)| *v > 0.0)
        .map(|(_, at)| at.clone())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::orchestrator::link::{Conditions, EngineChoice, LinkEngine};
    use crate::orchestrator::scenario::testing::*;
    use crate::orchestrator::scenario::{parse, Capabilities, ValidStep};

    fn with_links(links: &str) -> String {
        CASE2.replace(
            "server: { host: h1 }\n",
            &format!("server: {{ host: h1 }}\n{links}"),
        )
    }

    #[test]
    fn a_hosts_own_link_goes_over_every_hosts_and_picks_an_engine() {
        let s = ok(
            &with_links("links:\n  h2: { delay_ms: 80.5, jitter_ms: 5 }\n").replace(
                "{ hosts: [h1, h2, h3] }",
                "{ hosts: [h1, h2, h3], link: { bw_mbit: 10, loss_pct: 1 } }",
            ),
        );
        let h2 = s.links.of("h2").unwrap();
        assert_eq!(
            h2.conditions,
            Conditions {
                delay_ms: 80.5,
                jitter_ms: 5.0,
                loss_pct: 1.0
            }
        );
        assert_eq!(h2.bw_mbit, Some(10.0));
        assert_eq!(s.links.of("h1").unwrap().conditions.loss_pct, 1.0);
        assert_eq!(s.links.engine, Some(LinkEngine::Nfqueue));
        assert_eq!(s.links.impaired().count(), 3);
        let plain = ok(CASE2);
        assert_eq!(plain.links.engine, None);
        assert_eq!(plain.links.impaired().count(), 0);
    }

    #[test]
    fn bad_values_are_placed_where_they_are_written() {
        let e = err(&with_links("links:\n  h2: { delay_ms: -1 }\n"));
        assert_eq!(
            e,
            "t.yaml:5:19: delay_ms must be between 0 and 10000, not -1"
        );
        let e = err(&with_links("links:\n  h2: { loss_pct: 100.5 }\n"));
        assert_eq!(
            e,
            "t.yaml:5:19: loss_pct must be between 0 and 100, not 100.5"
        );
        let e = err(&with_links("links:\n  h2: { delay_ms: 2, jitter_ms: 3 }\n"));
        assert!(
            e.starts_with("t.yaml:5:33: h2's link: jitter_ms 3 is more than delay_ms 2"),
            "{e}"
        );
        let e = err(&with_links("links:\n  h9: { delay_ms: 2 }\n"));
        assert_eq!(
            e,
            "t.yaml:5:3: unknown host \"h9\" (the hosts are h1, h2, h3)"
        );
        let e = err(&with_links("links:\n  h2: { delay: 2 }\n"));
        assert!(e.contains("unknown field `delay`"), "{e}");
    }

    #[test]
    fn a_link_step_keeps_what_it_does_not_change() {
        let text = with_links("links:\n  h2: { delay_ms: 80, jitter_ms: 5 }\n").replace(
            "  - sleep_ms: 200\n",
            "  - link: { host: h2, delay_ms: 10 }\n  - link: { host: h3, loss_pct: 2 }\n",
        );
        let s = ok(&text);
        let changes: Vec<(String, Conditions)> = s
            .steps
            .iter()
            .filter_map(|st| match st {
                ValidStep::Link { host, conditions } => Some((host.clone(), *conditions)),
                _ => None,
            })
            .collect();
        assert_eq!(
            changes[0].1,
            Conditions {
                delay_ms: 10.0,
                jitter_ms: 5.0,
                loss_pct: 0.0
            }
        );
        assert_eq!(
            changes[1].1,
            Conditions {
                delay_ms: 0.0,
                jitter_ms: 0.0,
                loss_pct: 2.0
            }
        );
        // h3 is clear as the run starts, but a step impairs it.
        assert!(s.links.of("h3").unwrap().impaired);
        assert!(!s.links.of("h1").unwrap().impaired);
        let refused = |step: &str| {
            err(
                &with_links("links:\n  h2: { delay_ms: 80, jitter_ms: 5 }\n")
                    .replace("  - sleep_ms: 200\n", &format!("  - link: {step}\n")),
            )
        };
        assert!(refused("{ host: h2, delay_ms: 2 }")
            .contains("h2's link: jitter_ms 5 is more than delay_ms 2"));
        assert!(refused("{ host: h9, delay_ms: 2 }").contains("unknown host \"h9\""));
        assert!(refused("{ host: h2 }").contains("a `link` step changes something"));
        assert!(refused("{ host: h2, bw_mbit: 2 }").contains("unknown field `bw_mbit`"));
    }

    #[test]
    fn an_engine_that_cannot_run_here_is_an_error_at_the_first_impairment() {
        let text = with_links("links:\n  h2: { delay_ms: 80 }\n");
        let netem_asked = Capabilities::assume(false, true).with_engine(EngineChoice::Netem);
        let e = parse(Path::new("t.yaml"), text.as_bytes(), netem_asked)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.yaml:5:9: this link cannot be delayed or made lossy here: --link-engine netem: this kernel has no netem"), "{e}");
        let nothing = Capabilities::assume(false, false);
        let e = parse(Path::new("t.yaml"), text.as_bytes(), nothing)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nothing here can delay or drop packets"), "{e}");
        // A rate alone needs no engine.
        let rate = with_links("links:\n  h2: { bw_mbit: 5 }\n");
        assert!(parse(Path::new("t.yaml"), rate.as_bytes(), nothing).is_ok());
        let netem_here = Capabilities::assume(true, false).with_engine(EngineChoice::Netem);
        let s = parse(Path::new("t.yaml"), text.as_bytes(), netem_here).unwrap();
        assert_eq!(s.links.engine, Some(LinkEngine::Netem));
    }
}
