//! The built-in benchmarks' common shape and their registry.
//!
//! A built-in implements [`Benchmark`]: a registry name, its progress phases, a typed option
//! object (`Deserialize`, unknown fields refused, [`Validate`] for ranges and defaults) and
//! `run`, which measures on the core's own threads and returns a typed report. The binding
//! never sees these types: it drives the erased form, [`BuiltinSpec`] → [`PreparedRun`],
//! and JSON appears only there, at the boundary.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::control::RunControl;
use super::database::DatabaseBenchmark;
use super::network_storage::NetworkStorage;
use super::{BenchError, BenchResult};

/// Checks a deserialised option object and fills its defaults.
pub trait Validate {
    /// The checked options a run uses.
    type Valid: Send + Sync + 'static;
    /// Errors name the field, the value given and what is accepted.
    fn validate(&self) -> BenchResult<Self::Valid>;
}

/// One progress phase of a benchmark: the prefix of its `progress` events' `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    /// Phase prefix, e.g. `storage:`.
    pub prefix: &'static str,
    /// What runs in it.
    pub what: &'static str,
}

/// A built-in benchmark.
pub trait Benchmark: 'static {
    /// Registry name (the framework's `runBenchmark` name).
    const NAME: &'static str;
    /// Phases its `progress` events name, in run order.
    const PHASES: &'static [Phase];
    /// The option object as the caller wrote it.
    type Options: DeserializeOwned + Validate;
    /// What a finished run reports.
    type Report: Serialize;

    /// Reads the JS option object into [`Self::Options`] (unknown fields refused).
    fn decode(raw: &Value) -> BenchResult<Self::Options>;

    /// Measures; every thread, socket and file it started is gone when it returns.
    fn run(
        options: &<Self::Options as Validate>::Valid,
        ctl: &Arc<RunControl>,
    ) -> BenchResult<Self::Report>;
}

/// A run whose options are checked, ready to start: the erased form the binding drives.
pub trait PreparedRun: Send + Sync {
    /// Registry name.
    fn name(&self) -> &'static str;
    /// Runs and returns the report as JSON (the boundary's form).
    fn run(&self, ctl: &Arc<RunControl>) -> BenchResult<Value>;
}

struct Prepared<B: Benchmark> {
    options: <B::Options as Validate>::Valid,
}

impl<B: Benchmark> PreparedRun for Prepared<B> {
    fn name(&self) -> &'static str {
        B::NAME
    }

    fn run(&self, ctl: &Arc<RunControl>) -> BenchResult<Value> {
        let report = B::run(&self.options, ctl).map_err(|e| e.in_benchmark(B::NAME))?;
        serde_json::to_value(report)
            .map_err(|e| BenchError::Io(format!("{}: cannot encode the report: {e}", B::NAME)))
    }
}

fn prepare<B: Benchmark>(raw: &Value) -> BenchResult<Box<dyn PreparedRun>> {
    let options = B::decode(raw)?.validate()?;
    Ok(Box::new(Prepared::<B> { options }))
}

/// A registry entry: a built-in's name, phases and option check.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinSpec {
    /// Registry name.
    pub name: &'static str,
    /// Progress phases.
    pub phases: &'static [Phase],
    prepare: fn(&Value) -> BenchResult<Box<dyn PreparedRun>>,
}

impl BuiltinSpec {
    /// The entry of `B`.
    pub const fn of<B: Benchmark>() -> BuiltinSpec {
        BuiltinSpec {
            name: B::NAME,
            phases: B::PHASES,
            prepare: prepare::<B>,
        }
    }

    /// Decodes and checks `options` (types and ranges; targets are checked by the run).
    pub fn prepare(&self, options: &Value) -> BenchResult<Box<dyn PreparedRun>> {
        (self.prepare)(options)
    }
}

/// Every built-in benchmark, by registry name.
pub static BUILTINS: &[BuiltinSpec] = &[
    BuiltinSpec::of::<NetworkStorage>(),
    BuiltinSpec::of::<DatabaseBenchmark>(),
];

/// Registry names of the built-ins.
pub fn names() -> Vec<&'static str> {
    BUILTINS.iter().map(|b| b.name).collect()
}

/// The built-in named `name`.
pub fn builtin(name: &str) -> BenchResult<&'static BuiltinSpec> {
    BUILTINS.iter().find(|b| b.name == name).ok_or_else(|| {
        let quoted: Vec<String> = names().iter().map(|n| format!("'{n}'")).collect();
        BenchError::range(
            "benchmark",
            super::options::show(&Value::String(name.to_owned())),
            format!("one of {}", quoted.join(", ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtins_are_found_by_name_and_check_their_options() {
        assert_eq!(names(), vec!["network_storage", "database_performance"]);
        let spec = builtin("network_storage").unwrap();
        assert!(spec.phases.iter().any(|p| p.prefix == "storage:"));
        let run = spec
            .prepare(&json!({ "storage": false, "network": false }))
            .unwrap();
        assert_eq!(run.name(), "network_storage");
        let e = spec
            .prepare(&json!({ "storage": { "queueDepth": 0 } }))
            .err()
            .unwrap();
        assert_eq!(e.js_kind(), "RangeError");
        // A cancelled run names its benchmark.
        let ctl = RunControl::new(None);
        ctl.cancel();
        let run = spec
            .prepare(&json!({ "storage": false, "network": { "mode": "udp" } }))
            .unwrap();
        let e = run.run(&ctl).unwrap_err().to_string();
        assert!(e.starts_with("network_storage: aborted during "), "{e}");
        let e = builtin("nope").err().unwrap();
        assert_eq!(
            e.to_string(),
            "benchmark: got \"nope\" (accepted: one of 'network_storage', 'database_performance')"
        );
    }
}
