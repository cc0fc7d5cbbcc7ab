//! The collectors whose values are pushed by the program rather than read from the OS:
//! `custom` (user metrics, by name and labels, validated by Prometheus's naming rules) and
//! `ml_workflow` (stage timings and resource figures reported by ML runs). Pushes land in a
//! shared table; the clock thread reads it at each tick like any other source.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{Reading, Source};
use crate::prometheus::{is_valid_label_name, is_valid_metric_name, Family, MetricKind::*};

type Labels = Vec<(String, String)>;

#[derive(Debug, Clone)]
struct CustomValue {
    value: f64,
    timestamp: i64,
    one_time: bool,
}

/// What programs pushed; shared between the JS-facing calls and the clock thread.
#[derive(Debug, Default)]
pub struct Pushed {
    custom: BTreeMap<(String, Labels), CustomValue>,
    /// Label sets per custom metric, for the series cap.
    series_per_metric: std::collections::HashMap<String, usize>,
    ml_values: BTreeMap<&'static str, f64>,
    ml_stages: BTreeMap<(String, String), (f64, u64)>,
}

/// Shared handle to [`Pushed`].
pub type PushedTable = Arc<Mutex<Pushed>>;

/// Names a custom metric may not take: the exported built-in families.
const RESERVED_PREFIXES: [&str; 2] = ["node_", "novacron_"];

/// The ML figures of api-spec §9.4 that runs may report, with their Prometheus names.
pub const ML_FIELDS: [(&str, &str, &str); 8] = [
    (
        "activeTrainingJobs",
        "novacron_ml_active_training_jobs",
        "Training jobs running.",
    ),
    (
        "trainingTime",
        "novacron_ml_training_time_seconds",
        "Elapsed time of the current training job, seconds.",
    ),
    (
        "inferenceTime",
        "novacron_ml_inference_time_seconds",
        "Duration of the last inference, seconds.",
    ),
    (
        "modelAccuracy",
        "novacron_ml_model_accuracy_ratio",
        "Accuracy of the last evaluated model (0-1).",
    ),
    (
        "datasetSize",
        "novacron_ml_dataset_size",
        "Rows in the current dataset.",
    ),
    (
        "featureCount",
        "novacron_ml_feature_count",
        "Features in the current dataset.",
    ),
    (
        "memoryUsage",
        "novacron_ml_memory_bytes",
        "Memory used by the ML run, bytes (JS field in MB).",
    ),
    (
        "gpuUtilization",
        "novacron_ml_gpu_utilization_ratio",
        "GPU utilisation of the ML run (JS field in %).",
    ),
];

/// Label sets one custom metric may have; an add beyond is refused (50 000 label values on
/// one metric once took 407 MiB). prom-client has no cap; this one bounds a label fed from
/// unbounded input (user ids, URLs) before it exhausts the process.
pub const MAX_SERIES_PER_METRIC: usize = 10_000;
/// Longest custom metric name, characters: the store keeps it as `custom.<name>` within its
/// 256-character series names, with room to spare.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest label name, characters (the store's limit).
pub const MAX_LABEL_NAME_CHARS: usize = 128;
/// Longest label value, characters (the store's limit).
pub const MAX_LABEL_VALUE_CHARS: usize = 1024;
/// Label names a custom metric may not use: a labelled sample row already has `name` and
/// `value` fields, so such a label would be lost from samples and history.
pub const RESERVED_LABELS: [&str; 2] = ["name", "value"];

fn check_labels(labels: &BTreeMap<String, String>, field: &str) -> Result<Labels, String> {
    for (k, v) in labels {
        if !is_valid_label_name(k) || RESERVED_LABELS.contains(&k.as_str()) {
            return Err(format!(
                "{field}: label name {k:?} is not accepted (accepted: [a-zA-Z_][a-zA-Z0-9_]*, not starting with '__', not 'name' or 'value')"
            ));
        }
        if k.chars().count() > MAX_LABEL_NAME_CHARS {
            return Err(format!(
                "{field}: label name {:?}… has {} characters (accepted: at most {MAX_LABEL_NAME_CHARS})",
                preview(k),
                k.chars().count()
            ));
        }
        if v.chars().count() > MAX_LABEL_VALUE_CHARS {
            return Err(format!(
                "{field}.{k}: value {:?}… has {} characters (accepted: at most {MAX_LABEL_VALUE_CHARS})",
                preview(v),
                v.chars().count()
            ));
        }
    }
    Ok(labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// The first characters of a long value, for a message that must not echo it whole.
fn preview(v: &str) -> String {
    v.chars().take(32).collect()
}

impl Pushed {
    /// Records a custom metric value.
    pub fn record_custom(
        &mut self,
        name: &str,
        value: f64,
        labels: &BTreeMap<String, String>,
        timestamp: i64,
        one_time: bool,
    ) -> Result<(), String> {
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "name: {:?}… has {} characters (accepted: at most {MAX_NAME_CHARS})",
                preview(name),
                name.chars().count()
            ));
        }
        if !is_valid_metric_name(name) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Err(format!(
                "name: got {name:?} (accepted: a Prometheus metric name [a-zA-Z_:][a-zA-Z0-9_:]* not starting with 'node_' or 'novacron_')"
            ));
        }
        // NaN and ±Infinity are values like any other (prom-client exports them as `NaN`,
        // `+Inf`, `-Inf`): a ratio of 0/0 is "no data", not a broken metric.
        let labels = check_labels(labels, "labels")?;
        let key = (name.to_owned(), labels);
        if !self.custom.contains_key(&key) {
            let count = self.series_per_metric.entry(name.to_owned()).or_default();
            if *count >= MAX_SERIES_PER_METRIC {
                return Err(format!(
                    "labels: metric '{name}' has {MAX_SERIES_PER_METRIC} label sets, the series cap (accepted: a label set it already has)"
                ));
            }
            *count += 1;
        }
        self.custom.insert(
            key,
            CustomValue {
                value,
                timestamp,
                one_time,
            },
        );
        Ok(())
    }

    /// Label sets `name` has now.
    pub fn series_count(&self, name: &str) -> usize {
        self.series_per_metric.get(name).copied().unwrap_or(0)
    }

    /// Removes every series of a custom metric; true when one existed.
    pub fn remove_custom(&mut self, name: &str) -> bool {
        let before = self.custom.len();
        self.custom.retain(|(n, _), _| n != name);
        self.series_per_metric.remove(name);
        self.custom.len() != before
    }

    /// Records ML figures (keys of [`ML_FIELDS`]).
    pub fn record_ml_values(&mut self, values: &Map<String, Value>) -> Result<(), String> {
        for (k, v) in values {
            let Some((key, _, _)) = ML_FIELDS.iter().find(|(f, _, _)| f == k) else {
                let accepted: Vec<&str> = ML_FIELDS.iter().map(|f| f.0).collect();
                return Err(format!(
                    "values: unknown field {k:?} (accepted: {})",
                    accepted.join(", ")
                ));
            };
            let n = v
                .as_f64()
                .filter(|n| n.is_finite())
                .ok_or_else(|| format!("values.{k}: got {v} (accepted: a finite number)"))?;
            self.ml_values.insert(key, n);
        }
        Ok(())
    }

    /// Records the duration of one ML stage (`workflow`, `stage`: free text, ≤ 128 chars).
    pub fn record_ml_stage(
        &mut self,
        workflow: &str,
        stage: &str,
        duration_ms: f64,
    ) -> Result<(), String> {
        for (field, v) in [("workflow", workflow), ("stage", stage)] {
            if v.is_empty() || v.len() > 128 {
                return Err(format!(
                    "{field}: got {v:?} (accepted: 1 to 128 characters)"
                ));
            }
        }
        if !duration_ms.is_finite() || duration_ms < 0.0 {
            return Err(format!(
                "durationMs: got {duration_ms} (accepted: a finite number >= 0)"
            ));
        }
        let e = self
            .ml_stages
            .entry((workflow.to_owned(), stage.to_owned()))
            .or_insert((0.0, 0));
        *e = (duration_ms, e.1 + 1);
        Ok(())
    }
}

/// The `custom` sub-collector.
pub struct CustomSource(pub PushedTable);

impl Source for CustomSource {
    fn name(&self) -> &'static str {
        "custom"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let mut table = self.0.lock();
        let mut plain = BTreeMap::new();
        let mut labelled = Vec::new();
        let mut families: BTreeMap<String, Family> = BTreeMap::new();
        for ((name, labels), v) in &table.custom {
            let fam = families.entry(name.clone()).or_insert_with(|| {
                Family::new(
                    name.as_str(),
                    Untyped,
                    "User metric recorded through the custom collector.",
                )
            });
            let refs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            fam.push(&refs, v.value);
            if labels.is_empty() {
                plain.insert(
                    name.clone(),
                    CustomPoint {
                        value: v.value,
                        timestamp: v.timestamp,
                    },
                );
            } else {
                labelled.push(LabelledValue {
                    name: name.clone(),
                    labels: labels.iter().cloned().collect(),
                    value: v.value,
                });
            }
        }
        let Pushed {
            custom,
            series_per_metric,
            ..
        } = &mut *table;
        custom.retain(|(name, _), v| {
            if v.one_time {
                if let Some(n) = series_per_metric.get_mut(name) {
                    *n = n.saturating_sub(1);
                }
            }
            !v.one_time
        });
        Ok(Reading::new(
            CustomReading {
                metrics: plain,
                labelled,
            },
            families.into_values().collect(),
        ))
    }
}

/// The `custom` slot of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomReading {
    /// Unlabelled metrics by name.
    pub metrics: BTreeMap<String, CustomPoint>,
    /// Labelled metrics, one row per label set.
    pub labelled: Vec<LabelledValue>,
}

/// The last value of an unlabelled custom metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomPoint {
    /// The value.
    pub value: f64,
    /// When it was recorded, epoch ms.
    pub timestamp: i64,
}

/// The last value of one label set of a custom metric: `{ name, <label>: <value>…, value }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelledValue {
    /// Metric name.
    pub name: String,
    /// Its labels, flattened into the row.
    #[serde(flatten)]
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

/// The `ml_workflow` slot of a sample: one key per [`ML_FIELDS`] entry, and `stages`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MlReading {
    /// The last value of each ML figure; `None` when never recorded.
    #[serde(flatten)]
    pub values: BTreeMap<&'static str, Option<f64>>,
    /// The last duration and run count of each `(workflow, stage)`.
    pub stages: Vec<StageReading>,
}

/// One ML stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageReading {
    /// Workflow name.
    pub workflow: String,
    /// Stage name.
    pub stage: String,
    /// Duration of its last run, ms.
    pub duration_ms: f64,
    /// Runs reported.
    pub runs: u64,
}

/// The `ml_workflow` sub-collector.
pub struct MlSource(pub PushedTable);

impl Source for MlSource {
    fn name(&self) -> &'static str {
        "ml_workflow"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let table = self.0.lock();
        let mut values = BTreeMap::new();
        let mut families = Vec::new();
        for (key, prom, help) in ML_FIELDS {
            let v = table.ml_values.get(key).copied();
            values.insert(key, v);
            if let Some(v) = v {
                let scaled = match key {
                    "trainingTime" | "inferenceTime" => v / 1000.0,
                    "memoryUsage" => v * 1_048_576.0,
                    "gpuUtilization" => v / 100.0,
                    _ => v,
                };
                families.push(Family::single(prom, Gauge, help, scaled));
            }
        }
        let mut duration = Family::new(
            "novacron_ml_stage_duration_seconds",
            Gauge,
            "Duration of the last run of an ML stage, seconds.",
        );
        let mut runs = Family::new(
            "novacron_ml_stage_runs_total",
            Counter,
            "Runs of an ML stage reported.",
        );
        let stages = table
            .ml_stages
            .iter()
            .map(|((w, s), (ms, n))| {
                duration.push(&[("workflow", w), ("stage", s)], ms / 1000.0);
                runs.push(&[("workflow", w), ("stage", s)], *n as f64);
                StageReading {
                    workflow: w.clone(),
                    stage: s.clone(),
                    duration_ms: *ms,
                    runs: *n,
                }
            })
            .collect();
        families.extend([duration, runs]);
        Ok(Reading::new(MlReading { values, stages }, families))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_names_and_one_time_values() {
        let table: PushedTable = Default::default();
        let none = BTreeMap::new();
        let mut route = BTreeMap::new();
        route.insert("route".to_string(), "/vms".to_string());
        {
            let mut t = table.lock();
            t.record_custom("queue_depth", 3.0, &none, 1, false)
                .unwrap();
            t.record_custom("requests", 7.0, &route, 1, true).unwrap();
            for bad in ["1x", "a-b", "node_load1", "novacron_x", ""] {
                assert!(t
                    .record_custom(bad, 1.0, &none, 1, false)
                    .unwrap_err()
                    .starts_with("name:"));
            }
            // NaN and ±Infinity are recorded (prom-client exports them), see
            // `non_finite_values_labels_and_the_series_cap`.
            let mut bad_label = BTreeMap::new();
            bad_label.insert("__x".to_string(), "v".to_string());
            assert!(t
                .record_custom("ok", 1.0, &bad_label, 1, false)
                .unwrap_err()
                .starts_with("labels:"));
        }
        let mut src = CustomSource(table.clone());
        let r = src.collect().unwrap();
        assert_eq!(r.json()["metrics"]["queue_depth"]["value"], json!(3.0));
        assert_eq!(
            r.json()["labelled"][0],
            json!({ "name": "requests", "route": "/vms", "value": 7.0 })
        );
        let r2 = src.collect().unwrap();
        assert_eq!(
            r2.json()["labelled"],
            json!([]),
            "oneTime values go after one collect"
        );
        assert!(table.lock().remove_custom("queue_depth"));
    }

    #[test]
    fn non_finite_values_labels_and_the_series_cap() {
        let table: PushedTable = Default::default();
        let none = BTreeMap::new();
        {
            let mut t = table.lock();
            t.record_custom("ratio", f64::NAN, &none, 1, false).unwrap();
            t.record_custom("up_inf", f64::INFINITY, &none, 1, false)
                .unwrap();
            t.record_custom("down_inf", f64::NEG_INFINITY, &none, 1, false)
                .unwrap();
        }
        let r = CustomSource(table.clone()).collect().unwrap();
        let text = crate::prometheus::render(&r.families);
        assert!(text.contains("\nratio NaN\n"), "{text}");
        assert!(text.contains("\nup_inf +Inf\n") && text.contains("\ndown_inf -Inf\n"));

        let mut t = table.lock();
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        let e = t
            .record_custom("m", 1.0, &one("value", "x"), 1, false)
            .unwrap_err();
        assert!(e.contains("'value'"), "{e}");
        let e = t
            .record_custom("m", 1.0, &one("k", &"v".repeat(1500)), 1, false)
            .unwrap_err();
        assert!(
            e.starts_with("labels.k:") && e.contains("1500") && e.len() < 200,
            "{e}"
        );
        let e = t
            .record_custom("m", 1.0, &one(&"k".repeat(129), "v"), 1, false)
            .unwrap_err();
        assert!(e.contains("at most 128"), "{e}");
        let e = t
            .record_custom(&"m".repeat(242), 1.0, &none, 1, false)
            .unwrap_err();
        assert!(e.starts_with("name:") && e.contains("242"), "{e}");

        for i in 0..MAX_SERIES_PER_METRIC {
            t.record_custom("users", 1.0, &one("id", &i.to_string()), 1, false)
                .unwrap();
        }
        let e = t
            .record_custom("users", 1.0, &one("id", "new"), 1, false)
            .unwrap_err();
        assert!(e.contains("series cap"), "{e}");
        // A label set it already has is updated, and another metric is not affected.
        t.record_custom("users", 2.0, &one("id", "7"), 1, false)
            .unwrap();
        t.record_custom("other", 1.0, &one("id", "new"), 1, false)
            .unwrap();
        assert_eq!(t.series_count("users"), MAX_SERIES_PER_METRIC);
        assert!(t.remove_custom("users"));
        t.record_custom("users", 1.0, &one("id", "new"), 1, false)
            .unwrap();
    }

    #[test]
    fn ml_values_and_stages() {
        let table: PushedTable = Default::default();
        let mut m = Map::new();
        m.insert("modelAccuracy".into(), json!(0.93));
        table.lock().record_ml_values(&m).unwrap();
        m.insert("bogus".into(), json!(1));
        assert!(table
            .lock()
            .record_ml_values(&m)
            .unwrap_err()
            .contains("bogus"));
        table
            .lock()
            .record_ml_stage("train", "fit", 1500.0)
            .unwrap();
        table
            .lock()
            .record_ml_stage("train", "fit", 1200.0)
            .unwrap();
        assert!(table.lock().record_ml_stage("", "fit", 1.0).is_err());
        let r = MlSource(table).collect().unwrap();
        assert_eq!(r.json()["modelAccuracy"], json!(0.93));
        assert!(r.json()["trainingTime"].is_null());
        assert_eq!(r.json()["stages"][0]["runs"], json!(2));
        assert_eq!(r.json()["stages"][0]["durationMs"], json!(1200.0));
    }
}
