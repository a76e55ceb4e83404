//! The delayer's queue, without a kernel: packets in, release times and
//! drops out. Pure (the clock is the caller's, the randomness a seeded
//! generator's), so its meaning is tested in microseconds.
//!
//! The meaning is netem's (`sch_netem`, which Mininet's `TCLink` uses): a
//! packet is dropped with probability `loss`, else held `delay` plus a
//! uniform draw in `[-jitter, +jitter]` and released in the order of the
//! release times (netem's time-ordered queue, "tfifo"): without jitter
//! every packet waits the same and order is kept; with jitter a later
//! packet may leave first, as under netem. Ties leave in arrival order.
//! New conditions apply to packets that arrive after the change; those
//! held keep their release time (as `tc qdisc change` leaves them).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::orchestrator::link::Conditions;

/// Nanoseconds on the caller's clock.
pub type Nanos = u64;

/// What became of a packet handed to [`Schedule::admit`].
#[derive(Debug, PartialEq, Eq)]
pub enum Admitted<P> {
    /// Dropped at once (the link's loss): the packet is given back.
    Dropped(P),
    /// Held until `release`.
    Held { release: Nanos },
}

/// A packet due for release, with when it came and when it was meant to go.
#[derive(Debug, PartialEq, Eq)]
pub struct Due<P> {
    pub packet: P,
    pub arrived: Nanos,
    pub release: Nanos,
}

struct Entry<P> {
    release: Nanos,
    /// Arrival order, for ties.
    seq: u64,
    arrived: Nanos,
    packet: P,
}

impl<P> PartialEq for Entry<P> {
    fn eq(&self, other: &Self) -> bool {
        (self.release, self.seq) == (other.release, other.seq)
    }
}
impl<P> Eq for Entry<P> {}
impl<P> PartialOrd for Entry<P> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<P> Ord for Entry<P> {
    /// Reversed: the heap's top is the earliest release.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.release, other.seq).cmp(&(self.release, self.seq))
    }
}

/// Packets held until their release time, earliest first.
pub struct Schedule<P> {
    conditions: Conditions,
    rng: fastrand::Rng,
    held: BinaryHeap<Entry<P>>,
    seq: u64,
}

impl<P> Schedule<P> {
    /// An empty queue under `conditions`, its draws from `seed`.
    pub fn new(conditions: Conditions, seed: u64) -> Schedule<P> {
        Schedule {
            conditions,
            rng: fastrand::Rng::with_seed(seed),
            held: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub fn conditions(&self) -> Conditions {
        self.conditions
    }

    /// New conditions for the packets that arrive from now on.
    pub fn set(&mut self, conditions: Conditions) {
        self.conditions = conditions;
    }

    /// A packet arrives at `now`: dropped, or held until its release.
    pub fn admit(&mut self, now: Nanos, packet: P) -> Admitted<P> {
        let c = self.conditions;
        if c.loss_pct > 0.0 && self.rng.f64() * 100.0 < c.loss_pct {
            return Admitted::Dropped(packet);
        }
        let jitter = if c.jitter_ms > 0.0 {
            (self.rng.f64() * 2.0 - 1.0) * c.jitter_ms
        } else {
            0.0
        };
        let hold_ms = (c.delay_ms + jitter).max(0.0);
        let release = now + (hold_ms * 1e6).round() as Nanos;
        self.seq += 1;
        self.held.push(Entry {
            release,
            seq: self.seq,
            arrived: now,
            packet,
        });
        Admitted::Held { release }
    }

    /// When the next held packet is due, if any is held.
    pub fn next_release(&self) -> Option<Nanos> {
        self.held.peek().map(|e| e.release)
    }

    /// The next packet whose release time has come by `now`, if any.
    pub fn pop_due(&mut self, now: Nanos) -> Option<Due<P>> {
        if self.next_release()? > now {
            return None;
        }
        self.held.pop().map(|e| Due {
            packet: e.packet,
            arrived: e.arrived,
            release: e.release,
        })
    }

    /// How many packets are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Every packet still held, earliest first (to let them go at the end).
    pub fn drain(&mut self) -> Vec<P> {
        let mut out = Vec::with_capacity(self.held.len());
        while let Some(e) = self.held.pop() {
            out.push(e.packet);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    fn conditions(delay_ms: f64, jitter_ms: f64, loss_pct: f64) -> Conditions {
        Conditions {
            delay_ms,
            jitter_ms,
            loss_pct,
        }
    }

    /// Admits `n` packets 1 ms apart, then releases everything: the order
    /// they leave in, and how long each was held.
    fn run(s: &mut Schedule<u32>, n: u32) -> (Vec<u32>, Vec<Nanos>) {
        for i in 0..n {
            s.admit(i as Nanos * MS, i);
        }
        let mut order = Vec::new();
        let mut holds = Vec::new();
        while let Some(due) = s.pop_due(Nanos::MAX) {
            order.push(due.packet);
            holds.push(due.release - due.arrived);
        }
        (order, holds)
    }

    #[test]
    fn a_fixed_delay_holds_every_packet_as_long_and_keeps_order() {
        let mut s = Schedule::new(conditions(50.0, 0.0, 0.0), 1);
        let (order, holds) = run(&mut s, 100);
        assert_eq!(order, (0..100).collect::<Vec<_>>());
        assert!(holds.iter().all(|h| *h == 50 * MS), "{holds:?}");
    }

    #[test]
    fn nothing_is_released_before_its_time() {
        let mut s = Schedule::new(conditions(10.0, 0.0, 0.0), 1);
        assert_eq!(s.admit(0, 'a'), Admitted::Held { release: 10 * MS });
        assert_eq!(s.next_release(), Some(10 * MS));
        assert_eq!(s.pop_due(10 * MS - 1), None);
        let due = s.pop_due(10 * MS).unwrap();
        assert_eq!((due.packet, due.arrived, due.release), ('a', 0, 10 * MS));
        assert!(s.is_empty());
    }

    #[test]
    fn jitter_stays_within_its_bounds_is_uniform_and_reorders() {
        let mut s = Schedule::new(conditions(10.0, 5.0, 0.0), 7);
        let (order, holds) = run(&mut s, 10_000);
        assert!(holds.iter().all(|h| (5 * MS..=15 * MS).contains(h)));
        let mean = holds.iter().sum::<Nanos>() as f64 / holds.len() as f64 / MS as f64;
        assert!((mean - 10.0).abs() < 0.1, "mean hold {mean}");
        // A uniform draw: about a tenth of the holds in each tenth of the range.
        let low = holds.iter().filter(|h| **h < 6 * MS).count();
        assert!((800..1200).contains(&low), "{low} of 10000 below 6 ms");
        // Packets 1 ms apart with ±5 ms of jitter pass each other.
        let passed = order.windows(2).filter(|w| w[0] > w[1]).count();
        assert!(passed > 1000, "{passed} reorderings");
    }

    #[test]
    fn loss_drops_about_its_share_and_is_repeatable_by_seed() {
        let dropped = |seed| {
            let mut s = Schedule::new(conditions(0.0, 0.0, 1.0), seed);
            (0..10_000)
                .filter(|i| matches!(s.admit(0, *i), Admitted::Dropped(_)))
                .count()
        };
        let d = dropped(42);
        // 1 % of 10 000: 100, give or take four standard deviations (~40).
        assert!((60..=140).contains(&d), "{d} dropped");
        assert_eq!(d, dropped(42));
        assert_ne!((dropped(1), dropped(2), dropped(3)), (d, d, d));
    }

    #[test]
    fn all_or_nothing_loss() {
        let mut all = Schedule::new(conditions(0.0, 0.0, 100.0), 3);
        assert!((0..1000).all(|i| all.admit(0, i) == Admitted::Dropped(i)));
        let mut none = Schedule::new(conditions(0.0, 0.0, 0.0), 3);
        assert!((0..1000).all(|i| none.admit(0, i) == Admitted::Held { release: 0 }));
    }

    #[test]
    fn new_conditions_apply_to_later_packets_only() {
        let mut s = Schedule::new(conditions(80.0, 0.0, 0.0), 1);
        s.admit(0, "slow");
        s.set(conditions(0.0, 0.0, 0.0));
        s.admit(MS, "fast");
        assert_eq!(s.pop_due(MS).unwrap().packet, "fast");
        assert_eq!(s.pop_due(79 * MS), None);
        assert_eq!(s.pop_due(80 * MS).unwrap().packet, "slow");
    }

    #[test]
    fn ties_leave_in_arrival_order() {
        let mut s = Schedule::new(conditions(5.0, 0.0, 0.0), 1);
        for i in 0..50 {
            s.admit(0, i);
        }
        assert_eq!(s.drain(), (0..50).collect::<Vec<_>>());
    }
}
