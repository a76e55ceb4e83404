//! What packets experienced on a link, against what it was configured to
//! do: a [`Tally`] per stretch of time under one set of conditions (a
//! `link:` step starts the next), turned into the [`Measured`] figures a
//! run's record keeps. Pure.

use serde::{Deserialize, Serialize};

use super::Conditions;

/// Hold times kept per stretch; past this, packets are counted, not timed.
pub const MAX_SAMPLES: usize = 200_000;

/// Percentiles of a set of times (milliseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Spread {
    /// Nearest-rank percentiles (as the batch statistics); `None` of nothing.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let r = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            round3(sorted[r.clamp(1, sorted.len()) - 1])
        };
        Some(Spread {
            p50: rank(50.0),
            p99: rank(99.0),
            max: round3(*sorted.last().expect("not empty")),
        })
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// One stretch of a link's life under one set of conditions, as measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// When these conditions were set, in ms since the run started (0: at
    /// its start).
    pub since_ms: f64,
    pub conditions: Conditions,
    /// Packets that reached the link (dropped ones included), both ways.
    pub packets: u64,
    pub dropped: u64,
    /// How long the packets that went through were held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_ms: Option<Spread>,
    /// How much later than its own drawn release time (delay ± jitter)
    /// each packet left: the engine's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_ms: Option<Spread>,
}

impl Measured {
    /// The share of packets dropped, in percent (0 of none).
    pub fn dropped_pct(&self) -> f64 {
        if self.packets == 0 {
            0.0
        } else {
            self.dropped as f64 * 100.0 / self.packets as f64
        }
    }
}

/// Packets counted and timed under one set of conditions.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub since_ms: f64,
    pub conditions: Conditions,
    pub packets: u64,
    pub dropped: u64,
    holds: Vec<f64>,
    late: Vec<f64>,
}

impl Tally {
    pub fn new(since_ms: f64, conditions: Conditions) -> Tally {
        Tally {
            since_ms,
            conditions,
            ..Tally::default()
        }
    }

    pub fn dropped(&mut self) {
        self.packets += 1;
        self.dropped += 1;
    }

    /// A packet let go after `hold_ms`, `late_ms` after its release time.
    pub fn released(&mut self, hold_ms: f64, late_ms: f64) {
        self.packets += 1;
        if self.holds.len() < MAX_SAMPLES {
            self.holds.push(hold_ms);
            self.late.push(late_ms);
        }
    }

    pub fn measured(&self) -> Measured {
        Measured {
            since_ms: round3(self.since_ms),
            conditions: self.conditions,
            packets: self.packets,
            dropped: self.dropped,
            hold_ms: Spread::of(&self.holds),
            late_ms: Spread::of(&self.late),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(
            Spread::of(&values),
            Some(Spread {
                p50: 50.0,
                p99: 99.0,
                max: 100.0
            })
        );
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[3.0]).unwrap().p99, 3.0);
    }

    #[test]
    fn a_tally_counts_drops_and_times_the_rest() {
        let c = Conditions {
            delay_ms: 10.0,
            jitter_ms: 0.0,
            loss_pct: 50.0,
        };
        let mut t = Tally::new(12.5, c);
        t.dropped();
        t.released(10.2, 0.2);
        t.released(10.4, 0.4);
        t.dropped();
        let m = t.measured();
        assert_eq!((m.packets, m.dropped), (4, 2));
        assert_eq!(m.dropped_pct(), 50.0);
        assert_eq!(m.hold_ms.unwrap().p50, 10.2);
        assert_eq!(m.late_ms.unwrap().max, 0.4);
        assert_eq!(m.since_ms, 12.5);
    }
}
