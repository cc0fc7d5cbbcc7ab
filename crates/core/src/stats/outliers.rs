//! Tukey's fences, as criterion.rs applies them: a sample below Q1 − 3·IQR or above
//! Q3 + 3·IQR is severe, one beyond 1.5·IQR (but within 3·IQR) is mild. Outliers are counted
//! and reported; they are never removed from the other statistics.

use serde::Serialize;

use super::quantile_linear;

/// Outlier counts by side and severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outliers {
    /// Below Q1 − 3·IQR.
    pub low_severe: usize,
    /// Between Q1 − 3·IQR and Q1 − 1.5·IQR.
    pub low_mild: usize,
    /// Between Q3 + 1.5·IQR and Q3 + 3·IQR.
    pub high_mild: usize,
    /// Above Q3 + 3·IQR.
    pub high_severe: usize,
    /// Sum of the four counts.
    pub total: usize,
    /// Mild fences `[low, high]`.
    pub mild_fences: [f64; 2],
    /// Severe fences `[low, high]`.
    pub severe_fences: [f64; 2],
}

impl Outliers {
    /// Classifies an ascending-sorted, non-empty slice.
    pub fn classify(sorted: &[f64]) -> Outliers {
        let q1 = quantile_linear(sorted, 0.25);
        let q3 = quantile_linear(sorted, 0.75);
        let iqr = q3 - q1;
        let mild = [q1 - 1.5 * iqr, q3 + 1.5 * iqr];
        let severe = [q1 - 3.0 * iqr, q3 + 3.0 * iqr];
        let mut o = Outliers {
            mild_fences: mild,
            severe_fences: severe,
            ..Outliers::default()
        };
        for &x in sorted {
            if x < severe[0] {
                o.low_severe += 1;
            } else if x < mild[0] {
                o.low_mild += 1;
            } else if x > severe[1] {
                o.high_severe += 1;
            } else if x > mild[1] {
                o.high_mild += 1;
            }
        }
        o.total = o.low_severe + o.low_mild + o.high_mild + o.high_severe;
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_extreme_value_is_one_severe_outlier() {
        let mut v: Vec<f64> = (0..20).map(|i| 10.0 + (i % 5) as f64 * 0.1).collect();
        v.push(1000.0);
        v.sort_by(f64::total_cmp);
        let o = Outliers::classify(&v);
        assert_eq!(o.high_severe, 1);
        assert_eq!(o.total, 1);
    }

    #[test]
    fn mild_is_between_the_fences() {
        // Q1 = 2, Q3 = 4 (type 7 on 1..=5), IQR = 2: mild above 7, severe above 10.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        let o = Outliers::classify(&v);
        assert_eq!(o.mild_fences, [-1.0, 7.0]);
        assert_eq!(o.severe_fences, [-4.0, 10.0]);
        let mut w = v.to_vec();
        w.push(8.0);
        let o = Outliers::classify(&w);
        assert_eq!(
            (o.high_mild, o.high_severe),
            (0, 0),
            "8 is inside the new fences"
        );
    }
}
