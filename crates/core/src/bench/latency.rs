//! Latencies recorded in nanoseconds into an HDR histogram (3 significant digits, so every
//! percentile is within 0.1 % of the exact value; fio's own histogram allows 0.78 %), one
//! recorder per worker thread, merged at the end. Summaries are in milliseconds, with the
//! contract's `LatencyStats` names plus p90, p99.9 and p99.99.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Largest latency kept: 10 minutes. Longer values are clamped to it and counted.
const MAX_NS: u64 = 600_000_000_000;

/// A per-thread latency recorder.
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    hist: Histogram<u64>,
    clamped: u64,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyRecorder {
    /// An empty recorder for 1 ns … 10 min.
    pub fn new() -> Self {
        LatencyRecorder {
            hist: Histogram::new_with_bounds(1, MAX_NS, 3).expect("constant bounds are valid"),
            clamped: 0,
        }
    }

    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        self.record_ns(d.as_nanos().min(u128::from(u64::MAX)) as u64);
    }

    /// Records one latency in ns (0 counts as 1 ns).
    pub fn record_ns(&mut self, ns: u64) {
        if ns > MAX_NS {
            self.clamped += 1;
        }
        self.hist.saturating_record(ns.clamp(1, MAX_NS));
    }

    /// Adds another recorder's values.
    pub fn merge(&mut self, other: &LatencyRecorder) {
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.hist.add(&other.hist);
        self.clamped += other.clamped;
    }

    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    /// Count of values at or above `ns`.
    pub fn count_at_or_above(&self, ns: u64) -> u64 {
        self.hist
            .iter_recorded()
            .filter(|v| v.value_iterated_to() >= ns)
            .map(|v| v.count_at_value())
            .sum()
    }

    /// The summary in ms; `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        if self.hist.is_empty() {
            return None;
        }
        let h = &self.hist;
        let ms = |ns: u64| ns as f64 / 1e6;
        let q = |p: f64| ms(h.value_at_quantile(p));
        Some(LatencySummary {
            min: ms(h.min()),
            max: ms(h.max()),
            avg: h.mean() / 1e6,
            stddev: h.stdev() / 1e6,
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            p9999: q(0.9999),
            samples: h.len(),
            clamped: self.clamped,
            unit: "ms",
            source: "hdr-histogram (3 significant digits)",
        })
    }
}

/// `LatencyStats` of the contract (ms) plus the measurement rules' additions.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LatencySummary {
    /// Smallest latency, ms.
    pub min: f64,
    /// Largest latency, ms.
    pub max: f64,
    /// Mean, ms.
    pub avg: f64,
    /// Standard deviation, ms.
    pub stddev: f64,
    /// Median, ms.
    pub p50: f64,
    /// 90th percentile, ms.
    pub p90: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// 99.9th percentile, ms.
    pub p999: f64,
    /// 99.99th percentile, ms.
    pub p9999: f64,
    /// Measured operations (warm-up and ramp excluded).
    pub samples: u64,
    /// Values above 10 minutes, recorded as 10 minutes.
    pub clamped: u64,
    /// Unit of every duration above.
    pub unit: &'static str,
    /// How the percentiles were computed.
    pub source: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_in_ms_within_a_tenth_of_a_percent() {
        let mut a = LatencyRecorder::new();
        let mut b = LatencyRecorder::new();
        for i in 1..=1000u64 {
            let r = if i % 2 == 0 { &mut a } else { &mut b };
            r.record(Duration::from_micros(i * 10));
        }
        a.merge(&b);
        let s = a.summary().unwrap();
        assert_eq!(s.samples, 1000);
        assert!((s.p50 / 5.0 - 1.0).abs() < 0.001, "{}", s.p50);
        assert!((s.p99 / 9.9 - 1.0).abs() < 0.001, "{}", s.p99);
        assert!((s.max / 10.0 - 1.0).abs() < 0.001, "{}", s.max);
        assert_eq!(a.count_at_or_above(9_000_000), 101);
        assert!(LatencyRecorder::new().summary().is_none());
    }
}
