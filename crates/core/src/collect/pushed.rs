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

fn check_labels(labels: &BTreeMap<String, String>, field: &str) -> Result<Labels, String> {
    for k in labels.keys() {
        if !is_valid_label_name(k) || k == "name" {
            return Err(format!(
                "{field}: label name {k:?} is not accepted (accepted: [a-zA-Z_][a-zA-Z0-9_]*, not starting with '__', not 'name')"
            ));
        }
    }
    Ok(labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
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
        if !is_valid_metric_name(name) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)) {
            return Err(format!(
                "name: got {name:?} (accepted: a Prometheus metric name [a-zA-Z_:][a-zA-Z0-9_:]* not starting with 'node_' or 'novacron_')"
            ));
        }
        if !value.is_finite() {
            return Err(format!(
                "value: got {value} for metric '{name}' (accepted: a finite number)"
            ));
        }
        let labels = check_labels(labels, "labels")?;
        self.custom.insert(
            (name.to_owned(), labels),
            CustomValue {
                value,
                timestamp,
                one_time,
            },
        );
        Ok(())
    }

    /// Removes every series of a custom metric; true when one existed.
    pub fn remove_custom(&mut self, name: &str) -> bool {
        let before = self.custom.len();
        self.custom.retain(|(n, _), _| n != name);
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
        table.custom.retain(|_, v| !v.one_time);
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
            assert!(t
                .record_custom("ok", f64::NAN, &none, 1, false)
                .unwrap_err()
                .starts_with("value:"));
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
