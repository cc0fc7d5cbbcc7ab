//! Samples → summary. Pure functions: no I/O and no clock, so every figure is reproducible
//! from the samples alone (the bootstrap uses a seed derived from the data).
//!
//! - [`summary`]: n, mean, σ, min, max, median, MAD, nearest-rank percentiles, warnings.
//! - [`bootstrap`]: 95 % confidence interval of the mean (Student's t or bootstrap by n).
//! - [`outliers`]: Tukey fences (reported, never removed).
//! - [`histogram`]: an HDR histogram (≤ 0.1 % relative error) for large or streaming sets.

pub mod bootstrap;
pub mod histogram;
pub mod outliers;
pub mod summary;

pub use bootstrap::ConfidenceInterval;
pub use histogram::{Histogram, HistogramBucket};
pub use outliers::Outliers;
pub use summary::{summarize, summarize_timed, Summary, SATURATION_TICKS};

use thiserror::Error;

/// Why a set of samples cannot be summarised.
#[derive(Debug, Error, PartialEq)]
pub enum StatsError {
    /// No samples at all.
    #[error("samples: got an empty list (accepted: at least one finite number)")]
    Empty,
    /// A sample is NaN or infinite.
    #[error("samples[{index}]: got {value} (accepted: finite numbers)")]
    NotFinite {
        /// Position of the offending sample.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A histogram value outside the range it was built for.
    #[error("histogram: value {value} is out of range (accepted: 0 to {max})")]
    OutOfRange {
        /// The value recorded.
        value: f64,
        /// The largest value the histogram accepts.
        max: f64,
    },
}

impl StatsError {
    /// JS error kind this maps to.
    pub fn js_kind(&self) -> &'static str {
        match self {
            StatsError::Empty => "Error",
            StatsError::NotFinite { .. } => "TypeError",
            StatsError::OutOfRange { .. } => "RangeError",
        }
    }
}

/// Checks that `samples` is non-empty and all finite.
pub(crate) fn check(samples: &[f64]) -> Result<(), StatsError> {
    if samples.is_empty() {
        return Err(StatsError::Empty);
    }
    if let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(StatsError::NotFinite { index, value });
    }
    Ok(())
}

/// Nearest-rank percentile of an ascending-sorted slice: `sorted[ceil(p/100 × n) − 1]`,
/// the index clamped to `[0, n − 1]`. This is the contract's definition (api-spec §3.7), so
/// small hand-made vectors give exact, predictable values.
pub fn percentile_nearest_rank(sorted: &[f64], p: f64) -> f64 {
    debug_assert!(!sorted.is_empty());
    let n = sorted.len();
    let rank = (p / 100.0 * n as f64).ceil() as isize - 1;
    sorted[rank.clamp(0, n as isize - 1) as usize]
}

/// Nearest-rank percentiles (see [`percentile_nearest_rank`]) of unsorted `values`, one per
/// entry of `ps` (0–100); non-finite values are left out, and with none left every entry is
/// `None`. The one place the JS layer's percentiles (event-loop delay, aggregations,
/// `calculatePercentile`) come from.
pub fn nearest_rank_percentiles(values: &[f64], ps: &[f64]) -> Vec<Option<f64>> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    ps.iter()
        .map(|&p| {
            (!sorted.is_empty() && p.is_finite()).then(|| percentile_nearest_rank(&sorted, p))
        })
        .collect()
}

/// Median of an ascending-sorted slice: the mean of the two middle values for even n.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Linear-interpolated quantile (Hyndman & Fan type 7, as R and numpy default), used for
/// the quartiles behind the Tukey fences.
pub fn quantile_linear(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    #[test]
    fn nearest_rank_percentiles_of_unsorted_values_skip_non_finite_ones() {
        let v = [5.0, f64::NAN, 1.0, 4.0, 2.0, 3.0, f64::INFINITY];
        assert_eq!(
            super::nearest_rank_percentiles(&v, &[50.0, 95.0, 0.0]),
            vec![Some(3.0), Some(5.0), Some(1.0)]
        );
        assert_eq!(super::nearest_rank_percentiles(&[], &[50.0]), vec![None]);
        assert_eq!(
            super::nearest_rank_percentiles(&[1.0], &[f64::NAN]),
            vec![None]
        );
    }

    use super::*;

    #[test]
    fn nearest_rank_matches_the_contract_definition() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile_nearest_rank(&v, 50.0), 5.0);
        assert_eq!(percentile_nearest_rank(&v, 95.0), 10.0);
        assert_eq!(percentile_nearest_rank(&v, 90.0), 9.0);
        assert_eq!(percentile_nearest_rank(&v, 0.0), 1.0);
        assert_eq!(percentile_nearest_rank(&[7.0], 99.9), 7.0);
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median_sorted(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(median_sorted(&[1.0, 2.0, 9.0]), 2.0);
    }

    #[test]
    fn type7_quartiles() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_linear(&v, 0.25), 1.75);
        assert_eq!(quantile_linear(&v, 0.75), 3.25);
    }

    #[test]
    fn rejects_empty_and_non_finite() {
        assert_eq!(check(&[]), Err(StatsError::Empty));
        let err = check(&[1.0, f64::NAN]).unwrap_err();
        assert!(matches!(err, StatsError::NotFinite { index: 1, .. }));
        assert!(err.to_string().contains("samples[1]"));
    }
}
