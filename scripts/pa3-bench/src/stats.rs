//! The few statistics the benchmark reports: the median of repeated
//! measurements (each taken alternately with its baseline, so that a burst
//! of load from elsewhere hits both), nearest-rank percentiles of the runs
//! of one batch, and means where a figure is a span divided by a count.

use serde::{Deserialize, Serialize};

/// A set of measurements of one thing, kept whole (they are few) with
/// their median and extremes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// In the order they were taken.
    pub values: Vec<f64>,
}

impl Samples {
    pub fn of(values: &[f64]) -> Samples {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Samples {
            n: values.len(),
            median: median_sorted(&sorted),
            min: sorted.first().copied().unwrap_or(0.0),
            max: sorted.last().copied().unwrap_or(0.0),
            values: values.iter().map(|v| round3(*v)).collect(),
        }
    }
}

/// The median (the mean of the middle two of an even count); 0 of nothing.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_sorted(&sorted)
}

fn median_sorted(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The nearest-rank percentile `p` (0–100), as the batch statistics
/// compute theirs; 0 of nothing.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The arithmetic mean; 0 of nothing.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Rounded to three decimals (a microsecond, for milliseconds), so that
/// the JSON does not carry float noise.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// How long `workers` workers take over jobs of these durations, each
/// taking the next in order as soon as it is free (what `--jobs` does):
/// the makespan of that list schedule.
pub fn list_schedule(durations: &[f64], workers: usize) -> f64 {
    let mut free_at = vec![0.0f64; workers.max(1)];
    for d in durations {
        let next = free_at
            .iter_mut()
            .min_by(|a, b| a.total_cmp(b))
            .expect("one worker at least");
        *next += d;
    }
    free_at.into_iter().fold(0.0, f64::max)
}

/// p50 / p99 / max of one quantity over the runs of a batch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub n: usize,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        Spread {
            n: values.len(),
            p50: round3(percentile(values, 50.0)),
            p99: round3(percentile(values, 99.0)),
            max: round3(values.iter().copied().fold(0.0, f64::max)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_even_and_no_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let s = Samples::of(&[0.8, 0.7, 1.2]);
        assert_eq!((s.n, s.median, s.min, s.max), (3, 0.8, 0.7, 1.2));
        assert_eq!(s.values, vec![0.8, 0.7, 1.2], "kept in the order taken");
    }

    #[test]
    fn percentiles_are_nearest_rank_like_the_batch_statistics() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        let s = Spread::of(&[0.25, 0.2, 3.0]);
        assert_eq!((s.n, s.p50, s.p99, s.max), (3, 0.25, 3.0, 3.0));
    }

    #[test]
    fn a_list_schedule_deals_jobs_in_order_to_the_first_free_worker() {
        assert_eq!(list_schedule(&[1.0, 1.0, 1.0, 1.0], 2), 2.0);
        // 4 s, then the short ones go to the other worker, then 4 s again.
        assert_eq!(list_schedule(&[4.0, 1.0, 1.0, 4.0], 2), 6.0);
        assert_eq!(list_schedule(&[3.0, 2.0], 1), 5.0);
        assert_eq!(list_schedule(&[], 2), 0.0);
    }

    #[test]
    fn means_and_rounding() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), 3.0);
        assert_eq!(mean(&[]), 0.0);
        assert_eq!(round3(1.23456), 1.235);
    }
}
