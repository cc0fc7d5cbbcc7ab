//! Statistics: samples timed in JS arrive as a `Float64Array` (no copy per element) and the
//! core's summary goes back as an object.

use napi::bindgen_prelude::Float64Array;
use napi_derive::napi;
use novacron_perf_core::stats;

use crate::error::{to_value, IntoJs};

/// Summarises samples (ms): n, mean, stddev, min, max, median, mad, p50/p90/p95/p99/p999,
/// ci95, rme, outliers, histogram, warnings.
#[napi]
pub fn summarize(samples: Float64Array) -> napi::Result<serde_json::Value> {
    to_value(&stats::summarize(&samples).js()?)
}
