//! Collector options (api-spec §9.1 plus the sources this version adds), validated with
//! messages that name the field, the value and what is accepted.

use std::path::PathBuf;

use serde_json::Value;

use super::database::DbTarget;
use super::network::validate_target;
use super::CollectError;

/// Shortest sampling period: 1 s must work; below 100 ms the collector's own cost shows.
pub const MIN_INTERVAL_MS: u64 = 100;
/// `collectionInterval` when neither it nor the profile's `updateInterval` is given, ms.
pub const DEFAULT_INTERVAL_MS: u64 = 5000;
/// `storageInterval` by default: store flushes once a minute, ms.
pub const DEFAULT_STORAGE_INTERVAL_MS: u64 = 60_000;
/// `retentionPeriod` by default: 7 days of raw samples, ms.
pub const DEFAULT_RETENTION_MS: u64 = 7 * 86_400_000;
/// `storageLocation` by default.
pub const DEFAULT_STORAGE_LOCATION: &str = "./metrics-data";

/// The defaults above as the JS option names, for the JS class to show in its `config`
/// (the one place these values are written).
pub fn defaults_json() -> Value {
    serde_json::json!({
        "collectionInterval": DEFAULT_INTERVAL_MS,
        "storageInterval": DEFAULT_STORAGE_INTERVAL_MS,
        "retentionPeriod": DEFAULT_RETENTION_MS,
        "storageLocation": DEFAULT_STORAGE_LOCATION,
    })
}

/// Settings of one collector, already defaulted by the JS class.
#[derive(Debug, Clone)]
pub struct CollectorConfig {
    /// Sampling period of every source, ms (`collectionInterval`).
    pub interval_ms: u64,
    /// Period of store flushes (compress heads, update rollups), ms (`storageInterval`).
    pub storage_interval_ms: u64,
    /// Raw-sample retention, ms (`retentionPeriod`).
    pub retention_ms: u64,
    /// Where the history store lives; `None` when `enableHistorical` is false.
    pub storage_dir: Option<PathBuf>,
    /// Databases to sample.
    pub databases: Vec<DbTarget>,
    /// `host:port` connect-latency probe targets.
    pub network_targets: Vec<String>,
    /// Whether to load NVML and sample GPUs.
    pub gpu: bool,
    /// Only the `system` source: the machine sampler of a framework that stands alone.
    pub machine_only: bool,
}

impl CollectorConfig {
    /// A collector of the machine alone, every `interval_ms`, with no store: what a
    /// `PerformanceBenchmarkingFramework` outside a system samples with.
    pub fn machine_only(interval_ms: u64) -> CollectorConfig {
        CollectorConfig {
            interval_ms,
            storage_interval_ms: 60_000,
            retention_ms: 0,
            storage_dir: None,
            databases: Vec::new(),
            network_targets: Vec::new(),
            gpu: false,
            machine_only: true,
        }
    }

    /// Reads and checks the options object.
    pub fn from_json(v: &Value) -> Result<CollectorConfig, CollectError> {
        let ms = |field: &'static str, default: u64, min: u64| -> Result<u64, CollectError> {
            match v.get(field) {
                None | Some(Value::Null) => Ok(default),
                Some(x) => match x.as_f64() {
                    Some(n) if n.is_finite() && n >= min as f64 && n <= 1e13 => Ok(n as u64),
                    _ => Err(CollectError::Invalid(format!(
                        "{field}: got {x} (accepted: a number of milliseconds >= {min})"
                    ))),
                },
            }
        };
        let interval_ms = ms("collectionInterval", DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS)?;
        let storage_interval_ms = ms("storageInterval", DEFAULT_STORAGE_INTERVAL_MS, 1000)?;
        let retention_ms = ms("retentionPeriod", DEFAULT_RETENTION_MS, 60_000)?;
        let historical = v
            .get("enableHistorical")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let storage_dir = match v.get("storageLocation") {
            Some(Value::String(s)) if !s.is_empty() => Some(PathBuf::from(s)),
            None | Some(Value::Null) => Some(PathBuf::from(DEFAULT_STORAGE_LOCATION)),
            Some(other) => {
                return Err(CollectError::Invalid(format!(
                    "storageLocation: got {other} (accepted: a non-empty folder path)"
                )))
            }
        }
        .filter(|_| historical);
        let databases = match v.get("databases") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(url) => DbTarget::parse(url, None),
                    Value::Object(o) => match o.get("url").and_then(Value::as_str) {
                        Some(url) => DbTarget::parse(url, o.get("name").and_then(Value::as_str)),
                        None => Err("databases: an entry has no 'url' string (accepted: 'url' or { url, name })".into()),
                    },
                    other => Err(format!("databases: got {other} (accepted: a URL string or {{ url, name }})")),
                })
                .collect::<Result<_, _>>()
                .map_err(CollectError::Invalid)?,
            Some(other) => {
                return Err(CollectError::Invalid(format!(
                    "databases: got {other} (accepted: an array of URLs or {{ url, name }})"
                )))
            }
        };
        let network_targets = match v.get("networkTargets") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|t| {
                    let s = t.as_str().ok_or_else(|| {
                        format!("networkTargets: got {t} (accepted: 'host:port' strings)")
                    })?;
                    validate_target(s).map(|_| s.to_owned())
                })
                .collect::<Result<_, _>>()
                .map_err(CollectError::Invalid)?,
            Some(other) => {
                return Err(CollectError::Invalid(format!(
                    "networkTargets: got {other} (accepted: an array of 'host:port' strings)"
                )))
            }
        };
        let gpu = v.get("gpu").and_then(Value::as_bool).unwrap_or(true);
        Ok(CollectorConfig {
            interval_ms,
            storage_interval_ms,
            retention_ms,
            storage_dir,
            databases,
            network_targets,
            gpu,
            machine_only: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_errors() {
        let c = CollectorConfig::from_json(&json!({})).unwrap();
        assert_eq!((c.interval_ms, c.storage_interval_ms), (5000, 60_000));
        assert_eq!(c.storage_dir.unwrap(), PathBuf::from("./metrics-data"));
        let c = CollectorConfig::from_json(&json!({ "enableHistorical": false })).unwrap();
        assert!(c.storage_dir.is_none());
        for (bad, field) in [
            (json!({ "collectionInterval": 5 }), "collectionInterval"),
            (json!({ "collectionInterval": "1s" }), "collectionInterval"),
            (json!({ "storageLocation": 3 }), "storageLocation"),
            (json!({ "databases": ["redis://x"] }), "databases"),
            (json!({ "networkTargets": ["x"] }), "networkTargets"),
        ] {
            let e = CollectorConfig::from_json(&bad).unwrap_err().to_string();
            assert!(e.starts_with(field), "{e}");
        }
    }
}
