//! Turning two readings of kernel counters into per-second rates. A rate needs two readings:
//! the first reading has none (`None`, `null` in JS, never 0), and a counter that went
//! backwards (a reset or a wrap) gives `None` for that interval.

/// `(now - before) / seconds`, or `None` when the counter went backwards or no time passed.
pub fn per_second(before: u64, now: u64, seconds: f64) -> Option<f64> {
    (now >= before && seconds > 0.0).then(|| (now - before) as f64 / seconds)
}

/// `part / whole × 100` of two counter deltas, or `None` when nothing happened.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 / whole as f64 * 100.0))
}

/// Rounds to two decimals: percentages and rates carry no more precision than that, and the
/// history store compresses short decimals far better than full-precision noise.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// [`per_second`] rounded to a whole number: for byte rates, where fractions of a byte per
/// second carry no information and cost the store several bits a sample.
pub fn rate0(before: u64, now: u64, seconds: f64) -> Option<f64> {
    per_second(before, now, seconds).map(f64::round)
}

/// [`per_second`] rounded to two decimals.
pub fn rate2(before: u64, now: u64, seconds: f64) -> Option<f64> {
    per_second(before, now, seconds).map(round2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_resets() {
        assert_eq!(per_second(100, 300, 2.0), Some(100.0));
        assert_eq!(
            per_second(300, 100, 2.0),
            None,
            "a reset is no rate, not a negative one"
        );
        assert_eq!(per_second(1, 2, 0.0), None);
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(0, 0), None);
        assert_eq!(rate2(0, 1, 3.0), Some(0.33));
    }
}
