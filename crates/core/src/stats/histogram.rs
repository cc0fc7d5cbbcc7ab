//! An HDR histogram of durations in milliseconds, recorded at nanosecond resolution with 3
//! significant digits: any recorded value is reported within 0.1 % of itself, well inside
//! the 1 % the measurement rules allow. Used where samples are too many to keep (streaming
//! latency, long runs) and to export a compact distribution with every summary.

use serde::Serialize;

use super::StatsError;

/// Largest duration accepted: one hour, in ns. Longer operations are not latencies.
const MAX_NS: u64 = 3_600_000_000_000;

/// A latency histogram (values in ms).
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: hdrhistogram::Histogram<u64>,
}

/// One bucket of an exported histogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistogramBucket {
    /// Upper bound of the bucket, ms.
    pub up_to: f64,
    /// Samples in the bucket.
    pub count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram for 1 ns … 1 h with 3 significant digits.
    pub fn new() -> Self {
        let inner = hdrhistogram::Histogram::new_with_bounds(1, MAX_NS, 3)
            .expect("constant bounds are valid");
        Histogram { inner }
    }

    /// Records one duration in ms. Sub-nanosecond values count as 1 ns.
    pub fn record(&mut self, ms: f64) -> Result<(), StatsError> {
        let max_ms = MAX_NS as f64 / 1e6;
        if !ms.is_finite() || !(0.0..=max_ms).contains(&ms) {
            return Err(StatsError::OutOfRange {
                value: ms,
                max: max_ms,
            });
        }
        let ns = ((ms * 1e6).round() as u64).max(1);
        self.inner
            .record(ns)
            .expect("value checked against the bounds");
        Ok(())
    }

    /// Number of recorded values.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The value at percentile `p` (0–100), ms; `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.is_empty() {
            return None;
        }
        Some(self.inner.value_at_quantile(p / 100.0) as f64 / 1e6)
    }

    /// Buckets whose bounds double from 1 µs, skipping empty ones: a compact (≤ 32 entries
    /// for up to an hour) view of the distribution.
    pub fn buckets(&self) -> Vec<HistogramBucket> {
        self.inner
            .iter_log(1_000, 2.0)
            .filter(|v| v.count_since_last_iteration() > 0)
            .map(|v| HistogramBucket {
                up_to: v.value_iterated_to() as f64 / 1e6,
                count: v.count_since_last_iteration(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::percentile_nearest_rank;

    #[test]
    fn percentiles_are_within_one_percent_of_exact() {
        let mut h = Histogram::new();
        let mut v: Vec<f64> = (1..=100_000)
            .map(|i| 0.001 * (i as f64).powf(1.3))
            .collect();
        for &x in &v {
            h.record(x).unwrap();
        }
        v.sort_by(f64::total_cmp);
        for p in [50.0, 90.0, 99.0, 99.9] {
            let exact = percentile_nearest_rank(&v, p);
            let approx = h.percentile(p).unwrap();
            assert!(
                (approx / exact - 1.0).abs() <= 0.01,
                "p{p}: {approx} vs {exact}"
            );
        }
        let total: u64 = h.buckets().iter().map(|b| b.count).sum();
        assert_eq!(total, 100_000);
    }

    #[test]
    fn rejects_negative_and_huge() {
        let mut h = Histogram::new();
        assert!(h.record(-1.0).is_err());
        assert!(h.record(1e12).is_err());
        assert!(h.percentile(50.0).is_none());
    }
}
