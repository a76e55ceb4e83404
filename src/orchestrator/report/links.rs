//! The links of a run as people read them: a line per stretch of a link
//! (configured against measured) for the report and the terminal, the
//! short lines of a lane in the timeline, and what a link added to a
//! message in the sequence diagram. Pure.

use crate::orchestrator::link::measure::Measured;
use crate::orchestrator::link::{fmt_num, Conditions, LinkEngine};
use crate::orchestrator::link::{LinkRecord, LinksRecord};
use crate::orchestrator::record::RunRecord;

/// The engine, in words.
pub fn engine_words(links: &LinksRecord) -> &'static str {
    match links.engine {
        LinkEngine::Netem => {
            "netem (Mininet's TCLink: the kernel's netem on both ends of each link)"
        }
        LinkEngine::Nfqueue => {
            "nfqueue (a delayer of orchestrate on the NFQUEUE target in the host's namespace)"
        }
    }
}

/// What a stretch's packets experienced, in words (`held p50 80.1 ms, p99
/// 80.4 ms; 0 of 9 dropped (0 %, configured 0 %)`).
pub fn measured_words(engine: LinkEngine, m: &Measured) -> String {
    if engine == LinkEngine::Netem {
        return "not measured (netem reports no per-packet holds)".into();
    }
    let held = match &m.hold_ms {
        Some(h) => format!(
            "held p50 {} ms, p99 {} ms (late p99 {} ms)",
            fmt_num(h.p50),
            fmt_num(h.p99),
            fmt_num(m.late_ms.map_or(0.0, |l| l.p99))
        ),
        None => "no packet went through".into(),
    };
    format!(
        "{held}; {} of {} dropped ({} %, configured {} %)",
        m.dropped,
        m.packets,
        fmt_num(m.dropped_pct()),
        fmt_num(m.conditions.loss_pct)
    )
}

/// `delay 80 ms, 10 Mbit/s`: what a stretch of `link` was configured to
/// be, its rate included.
pub fn configured(link: &LinkRecord, conditions: &Conditions) -> String {
    let rate = link
        .bw_mbit
        .map(|b| format!(", {} Mbit/s", fmt_num(b)))
        .unwrap_or_default();
    format!("{}{rate}", conditions.describe())
}

/// `h2 at 0 ms: delay 80 ms → held …`: one line per stretch of each link.
pub fn lines(links: &LinksRecord) -> Vec<String> {
    let mut out = Vec::new();
    for l in &links.links {
        for m in &l.stretches {
            out.push(format!(
                "{} from {} ms: {} → {}",
                l.host,
                fmt_num(m.since_ms),
                configured(l, &m.conditions),
                measured_words(links.engine, m)
            ));
        }
    }
    out
}

/// The link of `host` at `t_ms` into the run, if it is impaired.
pub fn link_at<'r>(record: &'r RunRecord, host: &str) -> Option<&'r LinkRecord> {
    record.links.as_ref()?.links.iter().find(|l| l.host == host)
}

/// The conditions of `link` at `t_ms`.
pub fn conditions_at(link: &LinkRecord, t_ms: f64) -> Option<Conditions> {
    link.stretches
        .iter()
        .rev()
        .find(|m| m.since_ms <= t_ms)
        .or(link.stretches.first())
        .map(|m| m.conditions)
}

/// The short lines of a host's lane in the timeline (they are cut at 24
/// characters there): the link as it started (and how a step changed its
/// delay), and what its packets experienced in its last stretch.
pub fn lane_lines(record: &RunRecord, host: &str) -> Vec<String> {
    let Some(link) = link_at(record, host) else {
        return Vec::new();
    };
    let (Some(first), Some(last)) = (link.stretches.first(), link.stretches.last()) else {
        return Vec::new();
    };
    let c = first.conditions;
    let mut config = if link.stretches.len() > 1 {
        format!(
            "link +{} → +{} ms",
            fmt_num(c.delay_ms),
            fmt_num(last.conditions.delay_ms)
        )
    } else {
        format!("link +{} ms", fmt_num(c.delay_ms))
    };
    if c.jitter_ms > 0.0 {
        config.push_str(&format!(" ±{}", fmt_num(c.jitter_ms)));
    }
    if c.loss_pct > 0.0 {
        config.push_str(&format!(", {}% loss", fmt_num(c.loss_pct)));
    }
    let mut out = vec![config];
    if let Some(h) = last.hold_ms {
        out.push(format!("held p50 {:.1} p99 {:.1}", h.p50, h.p99));
    }
    out
}

/// What `host`'s link adds to a message sent at `t_ms` (`h2's link +80
/// ms`), when it adds anything.
pub fn added_by(record: &RunRecord, host: &str, t_ms: f64) -> Option<String> {
    let c = conditions_at(link_at(record, host)?, t_ms)?;
    if c.is_clear() {
        return None;
    }
    Some(format!("{host}'s link: {}", c.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::link::measure::Spread;

    fn stretch(since_ms: f64, delay_ms: f64, packets: u64, dropped: u64) -> Measured {
        Measured {
            since_ms,
            conditions: Conditions {
                delay_ms,
                jitter_ms: 0.0,
                loss_pct: 0.0,
            },
            packets,
            dropped,
            hold_ms: Some(Spread {
                p50: delay_ms + 0.1,
                p99: delay_ms + 0.4,
                max: delay_ms + 0.5,
            }),
            late_ms: Some(Spread {
                p50: 0.1,
                p99: 0.4,
                max: 0.5,
            }),
        }
    }

    #[test]
    fn configured_and_measured_side_by_side() {
        let links = LinksRecord {
            engine: LinkEngine::Nfqueue,
            links: vec![LinkRecord {
                host: "h2".into(),
                bw_mbit: None,
                seed: Some(1),
                realtime: Some(true),
                stretches: vec![stretch(0.0, 80.0, 9, 0), stretch(700.0, 0.0, 4, 0)],
            }],
        };
        assert_eq!(
            lines(&links),
            vec![
                "h2 from 0 ms: delay 80 ms → held p50 80.1 ms, p99 80.4 ms (late p99 0.4 ms); 0 of 9 dropped (0 %, configured 0 %)",
                "h2 from 700 ms: delay 0 ms → held p50 0.1 ms, p99 0.4 ms (late p99 0.4 ms); 0 of 4 dropped (0 %, configured 0 %)",
            ]
        );
        let netem = LinksRecord {
            engine: LinkEngine::Netem,
            ..links.clone()
        };
        assert!(lines(&netem)[0].ends_with("not measured (netem reports no per-packet holds)"));
        let link = &links.links[0];
        assert_eq!(conditions_at(link, 100.0).unwrap().delay_ms, 80.0);
        assert_eq!(conditions_at(link, 800.0).unwrap().delay_ms, 0.0);
    }
}
