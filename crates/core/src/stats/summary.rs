//! The summary of one set of samples: the contract's `LatencyStats` fields (`min`, `max`,
//! `avg`, `p50`, `p95`, `p99`, `samples`) and the additions of the measurement rules (σ,
//! median, MAD, p90, p99.9, a 95 % CI, outliers, a histogram, warnings).
//!
//! Percentiles are nearest-rank over the exact, sorted samples (the contract's definition),
//! so they carry no approximation error at all; the HDR histogram is exported beside them.

use serde::Serialize;

use super::{
    bootstrap::{mean_ci95, ConfidenceInterval},
    check, median_sorted,
    outliers::Outliers,
    percentile_nearest_rank, Histogram, HistogramBucket, StatsError,
};

/// Summary statistics of a sample set. Units are those of the samples (ms for latencies).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Number of samples (measured only: warm-up is never passed in).
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); `None` for one sample.
    pub stddev: Option<f64>,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Median (mean of the middle two for even n).
    pub median: f64,
    /// Median absolute deviation, scaled by 1.4826 to estimate σ for normal data.
    pub mad: f64,
    /// Nearest-rank 50th percentile.
    pub p50: f64,
    /// Nearest-rank 90th percentile.
    pub p90: f64,
    /// Nearest-rank 95th percentile.
    pub p95: f64,
    /// Nearest-rank 99th percentile.
    pub p99: f64,
    /// Nearest-rank 99.9th percentile.
    pub p999: f64,
    /// 95 % confidence interval of the mean; `None` for one sample or no spread at all.
    pub ci95: Option<ConfidenceInterval>,
    /// Relative margin of error of the mean, % (half the CI width over the mean); `None`
    /// without an interval or for a zero mean.
    pub rme: Option<f64>,
    /// Tukey outliers (counted, not removed).
    pub outliers: Outliers,
    /// Distribution as doubling buckets from 1 µs (values taken as ms).
    pub histogram: Vec<HistogramBucket>,
    /// Machine-readable warning codes: `coldStart` (the first sample is a high outlier),
    /// `timerSaturated` (the median is within [`SATURATION_TICKS`] ticks of the clock, or
    /// many samples show few distinct values or a zero MAD: the operation is too short for
    /// the clock; batch it).
    pub warnings: Vec<&'static str>,
}

/// The MAD scale factor that makes it a consistent estimator of σ for normal data.
const MAD_TO_SIGMA: f64 = 1.4826;

/// A median under this many clock ticks is flagged `timerSaturated`: each sample carries
/// about one tick of reading cost and rounding, which is then over 10 % of what is measured.
pub const SATURATION_TICKS: f64 = 10.0;

/// Summarises `samples` (in their original order; the order matters only for the
/// `coldStart` warning), with no knowledge of the clock that timed them.
pub fn summarize(samples: &[f64]) -> Result<Summary, StatsError> {
    summarize_timed(samples, None)
}

/// Summarises `samples` timed by a clock whose smallest step is `tick` (in the samples'
/// unit; for batched samples the step divided by the batch size), so that a median within
/// a few ticks is flagged `timerSaturated` whatever the sample count.
pub fn summarize_timed(samples: &[f64], tick: Option<f64>) -> Result<Summary, StatsError> {
    check(samples)?;
    let n = samples.len();
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);

    let mean = samples.iter().sum::<f64>() / n as f64;
    let stddev = (n > 1).then(|| {
        let ss: f64 = samples.iter().map(|x| (x - mean).powi(2)).sum();
        (ss / (n - 1) as f64).sqrt()
    });
    let median = median_sorted(&sorted);
    let mut deviations: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let mad = median_sorted(&deviations) * MAD_TO_SIGMA;

    let ci95 = mean_ci95(samples, mean, stddev.unwrap_or(0.0));
    let rme = ci95
        .filter(|_| mean != 0.0)
        .map(|ci| (ci.high - ci.low) / 2.0 / mean.abs() * 100.0);
    let outliers = Outliers::classify(&sorted);

    let mut histogram = Histogram::new();
    let histogram = if sorted.iter().all(|&x| histogram.record(x).is_ok()) {
        histogram.buckets()
    } else {
        Vec::new() // negative or huge values: not durations, no histogram
    };

    let mut warnings = Vec::new();
    if n >= 5 && samples[0] > outliers.mild_fences[1] && samples[0] > 2.0 * median {
        warnings.push("coldStart");
    }
    let near_tick = tick.is_some_and(|t| t.is_finite() && t > 0.0 && median < SATURATION_TICKS * t);
    if near_tick || (n > 100 && (mad == 0.0 || distinct_count(&sorted) < 10)) {
        warnings.push("timerSaturated");
    }

    Ok(Summary {
        n,
        mean,
        stddev,
        min: sorted[0],
        max: sorted[n - 1],
        median,
        mad,
        p50: percentile_nearest_rank(&sorted, 50.0),
        p90: percentile_nearest_rank(&sorted, 90.0),
        p95: percentile_nearest_rank(&sorted, 95.0),
        p99: percentile_nearest_rank(&sorted, 99.0),
        p999: percentile_nearest_rank(&sorted, 99.9),
        ci95,
        rme,
        outliers,
        histogram,
        warnings,
    })
}

fn distinct_count(sorted: &[f64]) -> usize {
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_made_vector() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        let s = summarize(&v).unwrap();
        assert_eq!(s.n, 5);
        assert_eq!(s.mean, 3.0);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 5.0);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.p50, 3.0);
        assert_eq!(s.p95, 5.0);
        assert!((s.stddev.unwrap() - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((s.mad - 1.4826).abs() < 1e-12);
        let ci = s.ci95.unwrap();
        assert!(ci.low >= 1.0 && ci.high <= 5.0 && ci.low < 3.0 && ci.high > 3.0);
    }

    #[test]
    fn outlier_is_reported_not_removed() {
        let mut v: Vec<f64> = (0..99).map(|i| 1.0 + (i % 10) as f64 * 0.01).collect();
        v.push(500.0);
        let s = summarize(&v).unwrap();
        assert_eq!(s.n, 100);
        assert_eq!(s.max, 500.0);
        assert_eq!(s.outliers.high_severe, 1);
        assert!(s.mean > 5.0, "the outlier still counts in the mean");
    }

    #[test]
    fn cold_start_and_saturation_warnings() {
        let mut v = vec![50.0];
        v.extend((0..20).map(|i| 1.0 + (i % 4) as f64 * 0.1));
        assert!(summarize(&v).unwrap().warnings.contains(&"coldStart"));
        let flat = vec![0.0; 200];
        assert!(summarize(&flat)
            .unwrap()
            .warnings
            .contains(&"timerSaturated"));
    }

    #[test]
    fn a_median_within_a_few_ticks_is_saturated_at_any_sample_count() {
        // A 0.5 ns no-op read as 30–50 ns by a clock of ~25 ns steps: 100 and 100 000
        // samples of spread-out values warned nothing before.
        for n in [3usize, 100, 100_000] {
            let v: Vec<f64> = (0..n).map(|i| (30 + (i * 7) % 21) as f64 * 1e-6).collect();
            let s = summarize_timed(&v, Some(25e-6)).unwrap();
            assert!(s.warnings.contains(&"timerSaturated"), "n = {n}");
        }
        // A 1 µs operation is 40 ticks: no warning; nor without a known tick.
        let v: Vec<f64> = (0..200).map(|i| (1000 + i % 37) as f64 * 1e-6).collect();
        assert!(summarize_timed(&v, Some(25e-6))
            .unwrap()
            .warnings
            .is_empty());
        let few: Vec<f64> = (0..50).map(|i| (30 + i % 9) as f64 * 1e-6).collect();
        assert!(summarize(&few).unwrap().warnings.is_empty());
    }

    #[test]
    fn one_sample_has_no_spread() {
        let s = summarize(&[2.0]).unwrap();
        assert!(s.stddev.is_none() && s.ci95.is_none() && s.rme.is_none());
    }
}
