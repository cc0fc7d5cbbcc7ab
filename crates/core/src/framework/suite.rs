//! Deterministic arithmetic over results, kept bit-compatible with the original framework's
//! formulas (api-spec §3.4, §3.5, §3.7): suite summaries, optimization improvements and the
//! `calculateMetricStats` summary of a metric series.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::stats::{median_sorted, percentile_nearest_rank};

/// `SuiteResult.summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SuiteSummary {
    /// Benchmarks in the suite.
    pub total: usize,
    /// Results whose `result.success !== false`.
    pub passed: usize,
    /// Results whose `result.success === false`.
    pub failed: usize,
    /// `totalDuration / total`; `None` (JS `null`) for an empty suite.
    pub avg_duration: Option<f64>,
    /// Sum of the run durations, ms.
    pub total_duration: f64,
}

/// Summarises suite results (BenchmarkRunResult objects).
pub fn suite_summary(results: &[Value]) -> SuiteSummary {
    let total = results.len();
    let failed = results
        .iter()
        .filter(|r| r.pointer("/result/success") == Some(&Value::Bool(false)))
        .count();
    let total_duration: f64 = results
        .iter()
        .map(|r| r.get("duration").and_then(Value::as_f64).unwrap_or(0.0))
        .sum();
    SuiteSummary {
        total,
        passed: total - failed,
        failed,
        avg_duration: (total > 0).then(|| total_duration / total as f64),
        total_duration,
    }
}

/// `improvements` of an optimization result: for every key of `target_metrics`, when the
/// optimizer result has both `before` and `after` objects, `{ before, after, improvement,
/// absolute }` with "lower is better" (`improvement = (before − after) / before × 100`, 0 when
/// `before ≤ 0`; missing values count as 0).
pub fn improvements(target_metrics: &Value, result: &Value) -> Value {
    let mut out = Map::new();
    let (Some(before), Some(after)) = (result.get("before"), result.get("after")) else {
        return Value::Object(out);
    };
    if let Some(targets) = target_metrics.as_object() {
        for key in targets.keys() {
            let b = before.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            let a = after.get(key).and_then(Value::as_f64).unwrap_or(0.0);
            let improvement = if b > 0.0 { (b - a) / b * 100.0 } else { 0.0 };
            out.insert(
                key.clone(),
                serde_json::json!({ "before": b, "after": a, "improvement": improvement, "absolute": b - a }),
            );
        }
    }
    Value::Object(out)
}

/// `calculateMetricStats`: `None` for no entries, else min/max/avg/median/p95/p99 over each
/// entry's `usage`, else `used`, else `value`, else 0 (a plain number counts as itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricStats {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub avg: f64,
    /// Median.
    pub median: f64,
    /// Nearest-rank 95th percentile.
    pub p95: f64,
    /// Nearest-rank 99th percentile.
    pub p99: f64,
}

/// See [`MetricStats`].
pub fn metric_stats(entries: &[Value]) -> Option<MetricStats> {
    if entries.is_empty() {
        return None;
    }
    let mut v: Vec<f64> = entries
        .iter()
        .map(|e| {
            e.as_f64()
                .or_else(|| {
                    ["usage", "used", "value"]
                        .iter()
                        .find_map(|k| e.get(*k).and_then(Value::as_f64))
                })
                .unwrap_or(0.0)
        })
        .collect();
    v.sort_by(f64::total_cmp);
    Some(MetricStats {
        min: v[0],
        max: v[v.len() - 1],
        avg: v.iter().sum::<f64>() / v.len() as f64,
        median: median_sorted(&v),
        p95: percentile_nearest_rank(&v, 95.0),
        p99: percentile_nearest_rank(&v, 99.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summary_counts_explicit_failures_only() {
        let r = vec![
            json!({"duration": 10.0, "result": {"success": true}}),
            json!({"duration": 20.0, "result": {}}),
            json!({"duration": 30.0, "result": {"success": false}}),
        ];
        let s = suite_summary(&r);
        assert_eq!((s.total, s.passed, s.failed), (3, 2, 1));
        assert_eq!(s.total_duration, 60.0);
        assert_eq!(s.avg_duration, Some(20.0));
        assert_eq!(suite_summary(&[]).avg_duration, None);
    }

    #[test]
    fn improvements_lower_is_better() {
        let v = improvements(
            &json!({"latency": 1, "cpu": 1, "mem": 1}),
            &json!({"before": {"latency": 200.0, "cpu": 0}, "after": {"latency": 150.0, "cpu": 5}}),
        );
        assert_eq!(
            v["latency"],
            json!({"before": 200.0, "after": 150.0, "improvement": 25.0, "absolute": 50.0})
        );
        assert_eq!(v["cpu"]["improvement"], 0.0);
        assert_eq!(v["mem"]["before"], 0.0);
        assert_eq!(
            improvements(&json!({"a": 1}), &json!({"before": {}})),
            json!({})
        );
    }

    #[test]
    fn metric_stats_reads_usage_used_value() {
        let s = metric_stats(&[
            json!({"usage": 10}),
            json!({"used": 20}),
            json!({"value": 30}),
            json!({}),
        ])
        .unwrap();
        assert_eq!((s.min, s.max, s.avg, s.median), (0.0, 30.0, 15.0, 15.0));
        assert!(metric_stats(&[]).is_none());
    }
}
