//! `getMetrics(query)` (api-spec §9.3, with the issue's `metric`, `labels` and `step`):
//! validates the query, resolves metric names (sample paths such as `cpu.usage` in collector
//! `system`) to stored series through the series table, reads the store, and rebuilds
//! samples in the contract's shape.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

use super::flatten::{insert, plain_name, SeriesRef};
use super::series::public_key;
use super::{CollectError, COLLECTORS};
use crate::store::{Query, SeriesKey, Store};

/// Default and largest number of samples returned.
pub const DEFAULT_LIMIT: usize = 1000;

/// A checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsQuery {
    /// Inclusive lower bound, epoch ms.
    pub start: Option<i64>,
    /// Inclusive upper bound, epoch ms.
    pub end: Option<i64>,
    /// One collector key.
    pub collector: Option<String>,
    /// Metric names (`cpu.usage` within `collector`, or `system.cpu.usage`); a name also
    /// selects everything below it.
    pub metrics: Vec<String>,
    /// Label filters; all must match.
    pub labels: Vec<(String, String)>,
    /// Bucket width, ms: samples become per-bucket aggregates.
    pub step: Option<i64>,
    /// `avg` (default), `min`, `max`, `sum` or `count` per bucket.
    pub stat: &'static str,
    /// Most samples returned (the newest).
    pub limit: usize,
}

fn err(msg: String) -> CollectError {
    CollectError::Invalid(msg)
}

impl MetricsQuery {
    /// Reads and checks a query object.
    pub fn from_json(v: &Value) -> Result<MetricsQuery, CollectError> {
        let time = |field: &str| -> Result<Option<i64>, CollectError> {
            match v.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => x
                    .as_f64()
                    .filter(|n| n.is_finite())
                    .map(|n| Some(n as i64))
                    .ok_or_else(|| {
                        err(format!(
                            "{field}: got {x} (accepted: epoch milliseconds or a Date)"
                        ))
                    }),
            }
        };
        let (start, end) = (time("startTime")?, time("endTime")?);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(err(format!(
                    "startTime: {s} is after endTime {e} (accepted: startTime <= endTime)"
                )));
            }
        }
        let collector = match v.get("collector") {
            None | Some(Value::Null) => None,
            Some(Value::String(c)) if COLLECTORS.contains(&c.as_str()) => Some(c.clone()),
            Some(other) => {
                return Err(err(format!(
                    "collector: got {other} (accepted: {})",
                    COLLECTORS.join(", ")
                )))
            }
        };
        let metrics = match v.get("metric") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|m| m.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    err(format!(
                        "metric: got {} (accepted: a metric name or a list of names)",
                        v["metric"]
                    ))
                })?,
            Some(other) => {
                return Err(err(format!(
                    "metric: got {other} (accepted: a metric name or a list of names)"
                )))
            }
        };
        let labels = match v.get("labels") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, val)| {
                    val.as_str()
                        .map(|s| (k.clone(), s.to_owned()))
                        .ok_or_else(|| err(format!("labels.{k}: got {val} (accepted: a string)")))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(err(format!(
                    "labels: got {other} (accepted: an object of strings)"
                )))
            }
        };
        let step = match v.get("step") {
            None | Some(Value::Null) => None,
            Some(x) => match x.as_f64() {
                Some(n) if n.is_finite() && n >= 1.0 => Some(n as i64),
                _ => {
                    return Err(err(format!(
                        "step: got {x} (accepted: a number of milliseconds >= 1)"
                    )))
                }
            },
        };
        // A stat that is not a string is an error, not the default: `{ stat: 5 }` is a
        // caller's mistake that would otherwise silently read as avg.
        let stat = match v.get("stat") {
            None | Some(Value::Null) => "avg",
            Some(Value::String(s)) => ["avg", "min", "max", "sum", "count"]
                .into_iter()
                .find(|k| *k == s)
                .ok_or_else(|| {
                    err(format!(
                        "stat: got {s:?} (accepted: avg, min, max, sum, count)"
                    ))
                })?,
            Some(other) => {
                return Err(err(format!(
                    "stat: got {other} (accepted: avg, min, max, sum, count)"
                )))
            }
        };
        let limit = match v.get("limit") {
            None | Some(Value::Null) => DEFAULT_LIMIT,
            Some(x) => match x.as_f64() {
                Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 1e9 => n as usize,
                _ => return Err(err(format!("limit: got {x} (accepted: an integer >= 1)"))),
            },
        };
        Ok(MetricsQuery {
            start,
            end,
            collector,
            metrics,
            labels,
            step,
            stat,
            limit,
        })
    }

    /// Full metric names (`system.cpu.usage`) of the query.
    fn full_metrics(&self) -> Vec<String> {
        self.metrics
            .iter()
            .map(|m| match &self.collector {
                Some(c) if !m.starts_with(&format!("{c}.")) => format!("{c}.{m}"),
                _ => m.clone(),
            })
            .collect()
    }
}

/// Runs a query against the store; `interval_ms` bounds how far back an open-ended query
/// reads (enough for `limit` samples).
pub fn run(
    store: &Store,
    q: &MetricsQuery,
    interval_ms: u64,
    now: i64,
) -> Result<Vec<Value>, CollectError> {
    let end = q.end.unwrap_or(now);
    let span = q.step.unwrap_or(interval_ms as i64).max(1) * (q.limit as i64 + 1);
    let start = q.start.unwrap_or(end.saturating_sub(span));
    // Users name series by their sample path; the store by the series table's names.
    let all: Vec<(SeriesKey, SeriesRef)> = store
        .series()
        .into_iter()
        .map(|(_, key)| {
            let public = public_key(&key.name, &key.labels);
            (key, public)
        })
        .collect();
    let wanted = q.full_metrics();
    let matches = |plain: &str, m: &str| plain == m || plain.starts_with(&format!("{m}."));
    let mut selected: HashSet<&SeriesKey> = HashSet::new();
    let mut names: Vec<String> = Vec::new();
    for (key, (path, labels)) in &all {
        let plain = plain_name(path);
        let in_collector = q
            .collector
            .as_ref()
            .is_none_or(|c| plain.starts_with(&format!("{c}.")));
        let in_metrics = wanted.is_empty() || wanted.iter().any(|m| matches(&plain, m));
        let has_labels = q.labels.iter().all(|l| labels.contains(l));
        if in_collector && in_metrics && has_labels {
            selected.insert(key);
            if !names.contains(&key.name) {
                names.push(key.name.clone());
            }
        }
    }
    if let Some(missing) = wanted
        .iter()
        .find(|m| !all.iter().any(|(_, (p, _))| matches(&plain_name(p), m)))
    {
        if !all.is_empty() {
            let mut known: Vec<String> = all.iter().map(|(_, (p, _))| plain_name(p)).collect();
            known.sort();
            known.dedup();
            known.truncate(8);
            return Err(err(format!(
                "metric: {missing:?} matches no stored series (stored names look like: {})",
                known.join(", ")
            )));
        }
    }
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // The store filters on the labels every selected series stores (a custom metric's
    // `name` is part of its stored name, not a label); the selection does the rest.
    let labels: Vec<(String, String)> = q
        .labels
        .iter()
        .filter(|l| selected.iter().all(|k| k.labels.contains(l)))
        .cloned()
        .collect();
    let data = store
        .query(&Query {
            names,
            labels,
            start_ms: start,
            end_ms: end,
            step_ms: q.step,
            limit: None,
        })
        .map_err(|e| CollectError::Store(e.to_string()))?;
    let mut by_time: BTreeMap<i64, Map<String, Value>> = BTreeMap::new();
    for series in data.iter().filter(|d| selected.contains(&d.key)) {
        let (path, labels) = public_key(&series.key.name, &series.key.labels);
        if q.step.is_some() {
            for a in &series.aggregated {
                let v = match q.stat {
                    "min" => a.min,
                    "max" => a.max,
                    "sum" => a.sum,
                    "count" => a.count as f64,
                    _ if a.count > 0 => a.sum / a.count as f64,
                    _ => f64::NAN,
                };
                insert(by_time.entry(a.t).or_default(), &path, &labels, v);
            }
        } else {
            for p in &series.points {
                insert(by_time.entry(p.t).or_default(), &path, &labels, p.v);
            }
        }
    }
    let skip = by_time.len().saturating_sub(q.limit);
    Ok(by_time
        .into_iter()
        .skip(skip)
        .map(|(t, mut collectors)| match &q.collector {
            Some(c) => {
                json!({ "timestamp": t, c.as_str(): collectors.remove(c).unwrap_or(Value::Null) })
            }
            None => json!({ "timestamp": t, "collectors": collectors }),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_queries_name_their_field() {
        for (q, field) in [
            (json!({ "startTime": "yesterday" }), "startTime"),
            (json!({ "startTime": 10, "endTime": 5 }), "startTime"),
            (json!({ "collector": "gpu" }), "collector"),
            (json!({ "metric": 3 }), "metric"),
            (json!({ "step": -1000 }), "step"),
            (json!({ "limit": 0 }), "limit"),
            (json!({ "labels": { "device": 1 } }), "labels.device"),
            (json!({ "stat": "median" }), "stat"),
            (json!({ "stat": 5, "step": 1000 }), "stat"),
        ] {
            let e = MetricsQuery::from_json(&q).unwrap_err().to_string();
            assert!(e.starts_with(field), "{q}: {e}");
        }
        let q = MetricsQuery::from_json(
            &json!({ "collector": "system", "metric": ["cpu.usage", "system.memory"] }),
        )
        .unwrap();
        assert_eq!(q.full_metrics(), vec!["system.cpu.usage", "system.memory"]);
    }
}
