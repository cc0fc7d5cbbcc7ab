//! 95 % confidence interval of the mean.
//!
//! For up to [`BOOTSTRAP_MAX_N`] samples: a percentile bootstrap (Efron) with
//! [`RESAMPLES`] resamples, as criterion.rs does, which needs no normality assumption —
//! latency samples are skewed. Its cost is n × resamples draws, so above that size the
//! central limit theorem makes the mean's distribution normal enough and Student's t is used
//! (tinybench's method). The method used is reported with the interval.
//!
//! The resampling generator (SplitMix64) is seeded from the data, so the same samples always
//! give the same interval.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Number of bootstrap resamples. 10 000 keeps the Monte-Carlo error of a 2.5 % quantile
/// well under 1 % of the interval width while costing ~10 ms for 1 000 samples.
pub const RESAMPLES: usize = 10_000;
/// Largest sample count bootstrapped (10⁸ draws ≈ 0.3 s would be too slow for a call that
/// returns a benchmark result); larger sets use Student's t.
pub const BOOTSTRAP_MAX_N: usize = 10_000;

/// A confidence interval for the mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfidenceInterval {
    /// Confidence level, 0.95.
    pub level: f64,
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// `"bootstrap"` or `"student-t"`.
    pub method: &'static str,
}

/// The 95 % CI of the mean of `samples` (non-empty, finite), `None` for a single sample.
pub fn mean_ci95(samples: &[f64], mean: f64, stddev: f64) -> Option<ConfidenceInterval> {
    let n = samples.len();
    if n < 2 {
        return None;
    }
    if n <= BOOTSTRAP_MAX_N {
        Some(bootstrap(samples))
    } else {
        Some(student_t(n, mean, stddev))
    }
}

fn student_t(n: usize, mean: f64, stddev: f64) -> ConfidenceInterval {
    let sem = stddev / (n as f64).sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(1.96);
    ConfidenceInterval {
        level: 0.95,
        low: mean - t * sem,
        high: mean + t * sem,
        method: "student-t",
    }
}

fn bootstrap(samples: &[f64]) -> ConfidenceInterval {
    let n = samples.len();
    let mut rng = SplitMix64::seeded_from(samples);
    let mut means = Vec::with_capacity(RESAMPLES);
    for _ in 0..RESAMPLES {
        let mut sum = 0.0;
        for _ in 0..n {
            sum += samples[rng.below(n)];
        }
        means.push(sum / n as f64);
    }
    means.sort_by(f64::total_cmp);
    ConfidenceInterval {
        level: 0.95,
        low: super::quantile_linear(&means, 0.025),
        high: super::quantile_linear(&means, 0.975),
        method: "bootstrap",
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and good enough for resampling.
struct SplitMix64(u64);

impl SplitMix64 {
    fn seeded_from(samples: &[f64]) -> Self {
        let seed = samples
            .iter()
            .fold(samples.len() as u64, |h, x| h.rotate_left(5) ^ x.to_bits());
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; its bias is < n / 2⁶⁴).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalish(n: usize) -> Vec<f64> {
        // Deterministic values spread around 100 with σ ≈ 10.
        let mut r = SplitMix64(42);
        (0..n)
            .map(|_| {
                let s: f64 = (0..12)
                    .map(|_| (r.next() >> 11) as f64 / (1u64 << 53) as f64)
                    .sum();
                100.0 + (s - 6.0) * 10.0
            })
            .collect()
    }

    #[test]
    fn bootstrap_agrees_with_student_t_on_normal_data() {
        let v = normalish(2000);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        let b = bootstrap(&v);
        let t = student_t(v.len(), mean, sd);
        assert!(b.low < mean && mean < b.high);
        let width_b = b.high - b.low;
        let width_t = t.high - t.low;
        assert!(
            (width_b / width_t - 1.0).abs() < 0.1,
            "{width_b} vs {width_t}"
        );
    }

    #[test]
    fn is_reproducible_and_none_for_one_sample() {
        let v = normalish(50);
        assert_eq!(bootstrap(&v), bootstrap(&v));
        assert!(mean_ci95(&[1.0], 1.0, 0.0).is_none());
    }

    #[test]
    fn large_sets_use_student_t() {
        let v = normalish(BOOTSTRAP_MAX_N + 1);
        let ci = mean_ci95(&v, 100.0, 10.0).unwrap();
        assert_eq!(ci.method, "student-t");
    }
}
