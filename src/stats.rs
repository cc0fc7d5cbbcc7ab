//! Statistics: samples timed in JS arrive as a `Float64Array` (no copy per element) and the
//! core's summary goes back as an object.

use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;
use novacron_perf_core::stats;

use crate::error::{to_value, IntoJs};

/// Summarises samples (ms): n, mean, stddev, min, max, median, mad, p50/p90/p95/p99/p999,
/// ci95, rme, outliers, histogram, warnings. `tick` is the smallest step of the clock that
/// timed them, in ms per sample (per call for batched samples), when known: a median
/// within a few ticks is then flagged `timerSaturated`.
#[napi(catch_unwind)]
pub fn summarize(samples: Float64Array, tick: Option<f64>) -> napi::Result<serde_json::Value> {
    to_value(&stats::summarize_timed(&samples, tick).js()?)
}

/// Nearest-rank percentiles (`sorted[ceil(p/100 × n) − 1]`) of `values` for each `p` in
/// `percentiles` (0–100); non-finite values are left out; `null` where no value is left.
#[napi(catch_unwind)]
pub fn nearest_rank_percentiles(values: Float64Array, percentiles: Vec<f64>) -> Vec<Option<f64>> {
    stats::nearest_rank_percentiles(&values, &percentiles)
}
