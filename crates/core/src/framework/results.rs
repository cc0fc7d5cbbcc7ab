//! Result files under the framework's data folder (`metricsPath`, by default
//! `./performance-data`), in the original framework's layout (api-spec §13.1):
//!
//! ```text
//! <root>/benchmarks/benchmark_<name>_<ms>.json
//! <root>/optimizations/optimization_<name>_<ms>.json
//! <root>/system/system_metrics_<ms>.json
//! <root>/suite_<ms>.json
//! ```
//!
//! Files are written atomically (temporary file, fsync, rename), so a crash leaves either
//! the whole result or none, and [`ResultStore::list_benchmarks`] reads them back after a
//! restart.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::FrameworkError;
use crate::fsutil::{ensure_writable_dir, read_in_dir, write_json_atomic};

/// The result folder of one framework.
#[derive(Debug, Clone)]
pub struct ResultStore {
    root: PathBuf,
}

/// Which results to list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only this benchmark name.
    pub name: Option<String>,
    /// Only results at or after this epoch ms.
    pub since: Option<i64>,
    /// Only results at or before this epoch ms.
    pub until: Option<i64>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

impl ResultStore {
    /// Opens (creating if needed) the folder and its sub-folders; fails with an error that
    /// names `metricsPath` and the folder when it cannot be created or written.
    pub fn open(root: &Path) -> Result<ResultStore, FrameworkError> {
        ensure_writable_dir(root, "metricsPath").map_err(FrameworkError::Storage)?;
        for sub in ["benchmarks", "optimizations", "system"] {
            ensure_writable_dir(&root.join(sub), "metricsPath").map_err(FrameworkError::Storage)?;
        }
        Ok(ResultStore {
            root: root.to_path_buf(),
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores a benchmark run result; returns the file written.
    pub fn store_benchmark(
        &self,
        name: &str,
        ts: i64,
        result: &Value,
    ) -> Result<PathBuf, FrameworkError> {
        super::validate_benchmark_name(name)?;
        self.write(
            &self.root.join("benchmarks"),
            &format!("benchmark_{name}_{ts}"),
            result,
        )
    }

    /// Stores a suite result.
    pub fn store_suite(&self, ts: i64, result: &Value) -> Result<PathBuf, FrameworkError> {
        self.write(&self.root, &format!("suite_{ts}"), result)
    }

    /// Stores an optimization result.
    pub fn store_optimization(
        &self,
        name: &str,
        ts: i64,
        result: &Value,
    ) -> Result<PathBuf, FrameworkError> {
        super::validate_benchmark_name(name)?;
        self.write(
            &self.root.join("optimizations"),
            &format!("optimization_{name}_{ts}"),
            result,
        )
    }

    /// Stores the sampled system series.
    pub fn store_system(&self, ts: i64, series: &Value) -> Result<PathBuf, FrameworkError> {
        self.write(
            &self.root.join("system"),
            &format!("system_metrics_{ts}"),
            series,
        )
    }

    /// Stores a report covering `start..=end`.
    pub fn store_report(
        &self,
        start: i64,
        end: i64,
        report: &Value,
    ) -> Result<PathBuf, FrameworkError> {
        self.write(&self.root, &format!("report_{start}_{end}"), report)
    }

    fn write(&self, dir: &Path, stem: &str, value: &Value) -> Result<PathBuf, FrameworkError> {
        // Two results of one name in the same millisecond get distinct files.
        let mut path = dir.join(format!("{stem}.json"));
        let mut n = 1;
        while path.exists() {
            path = dir.join(format!("{stem}-{n}.json"));
            n += 1;
        }
        write_json_atomic(&path, value).map_err(|e| {
            FrameworkError::Storage(format!(
                "metricsPath: cannot write result file '{}': {e} (accepted: a writable folder with free space)",
                path.display()
            ))
        })?;
        Ok(path)
    }

    /// Benchmark results on disk, newest first.
    pub fn list_benchmarks(&self, q: &ListQuery) -> Result<Vec<Value>, FrameworkError> {
        let dir = self.root.join("benchmarks");
        let entries = fs::read_dir(&dir).map_err(|e| {
            FrameworkError::Storage(format!("metricsPath: cannot read '{}': {e}", dir.display()))
        })?;
        let mut found: Vec<(i64, String, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                let (name, ts) = parse_benchmark_file(&file)?;
                Some((ts, name, e.path()))
            })
            .filter(|(ts, name, _)| {
                q.name.as_deref().is_none_or(|n| n == name)
                    && q.since.is_none_or(|s| *ts >= s)
                    && q.until.is_none_or(|u| *ts <= u)
            })
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.2.cmp(&a.2)));
        found.truncate(q.limit.unwrap_or(usize::MAX));
        found
            .into_iter()
            .map(|(_, _, path)| read_json(&path))
            .collect()
    }
}

/// Splits `benchmark_<name>_<ms>[-n].json` into the name and the timestamp.
fn parse_benchmark_file(file: &str) -> Option<(String, i64)> {
    let stem = file.strip_prefix("benchmark_")?.strip_suffix(".json")?;
    let (name, ts) = stem.rsplit_once('_')?;
    let ts = ts.split('-').next()?.parse().ok()?;
    Some((name.to_owned(), ts))
}

fn read_json(path: &Path) -> Result<Value, FrameworkError> {
    let storage = |e: String| {
        FrameworkError::Storage(format!("cannot read result file '{}': {e}", path.display()))
    };
    // Opened without following links and only as a regular file of its folder.
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let text = read_in_dir(dir, name)
        .map_err(|e| storage(e.to_string()))?
        .ok_or_else(|| storage("it no longer exists".into()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| FrameworkError::CorruptResult {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    // A hand-edited file must not hand JS an object with a chosen prototype.
    Ok(crate::profiles::merge::strip_forbidden(&value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stores_and_lists_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultStore::open(dir.path()).unwrap();
        store
            .store_benchmark(
                "custom_test",
                1000,
                &json!({"name": "custom_test", "timestamp": 1000}),
            )
            .unwrap();
        store
            .store_benchmark(
                "custom_test",
                2000,
                &json!({"name": "custom_test", "timestamp": 2000}),
            )
            .unwrap();
        store
            .store_benchmark(
                "other_x",
                1500,
                &json!({"name": "other_x", "timestamp": 1500}),
            )
            .unwrap();
        // Same name, same millisecond: both kept.
        store
            .store_benchmark(
                "other_x",
                1500,
                &json!({"name": "other_x", "timestamp": 1500, "second": true}),
            )
            .unwrap();

        let reopened = ResultStore::open(dir.path()).unwrap();
        let all = reopened.list_benchmarks(&ListQuery::default()).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0]["timestamp"], 2000);
        let only = reopened
            .list_benchmarks(&ListQuery {
                name: Some("custom_test".into()),
                limit: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            only,
            vec![json!({"name": "custom_test", "timestamp": 2000})]
        );
        let ranged = reopened
            .list_benchmarks(&ListQuery {
                since: Some(1200),
                until: Some(1600),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(ranged.len(), 2);
    }

    #[test]
    fn corrupt_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultStore::open(dir.path()).unwrap();
        fs::write(dir.path().join("benchmarks/benchmark_x_5.json"), "{oops").unwrap();
        let err = store.list_benchmarks(&ListQuery::default()).unwrap_err();
        assert!(err.to_string().contains("benchmark_x_5.json"), "{err}");
    }

    #[test]
    fn file_names_parse() {
        assert_eq!(
            parse_benchmark_file("benchmark_a_b_12.json"),
            Some(("a_b".into(), 12))
        );
        assert_eq!(
            parse_benchmark_file("benchmark_a_12-1.json"),
            Some(("a".into(), 12))
        );
        assert_eq!(parse_benchmark_file(".benchmark_a_12.json.tmp-1"), None);
    }

    #[test]
    fn result_files_are_read_without_links_or_prototype_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultStore::open(dir.path()).unwrap();
        let outside = dir.path().join("outside.json");
        fs::write(&outside, "{}").unwrap();
        std::os::unix::fs::symlink(&outside, dir.path().join("benchmarks/benchmark_l_5.json"))
            .unwrap();
        assert!(store.list_benchmarks(&ListQuery::default()).is_err());
        fs::remove_file(dir.path().join("benchmarks/benchmark_l_5.json")).unwrap();
        fs::write(
            dir.path().join("benchmarks/benchmark_p_6.json"),
            r#"{"name":"p","__proto__":{"x":1},"r":{"constructor":2}}"#,
        )
        .unwrap();
        let list = store.list_benchmarks(&ListQuery::default()).unwrap();
        assert_eq!(list, vec![json!({"name": "p", "r": {}})]);
    }
}
