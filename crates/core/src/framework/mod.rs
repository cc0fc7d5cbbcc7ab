//! What the benchmarking framework needs from the core. The JS class
//! `PerformanceBenchmarkingFramework` holds the registry of JS benchmark classes and awaits
//! their `run()`; everything else it does comes from here:
//!
//! - [`runs`]: the "already running" rule.
//! - [`results`]: benchmark, suite and optimization result files under the data folder,
//!   written atomically and listed back after a restart.
//! - [`suite`]: suite summaries, optimization improvements and metric statistics.
//! - [`system`]: system samples and snapshots, a view over the collector's machine readings
//!   plus the per-process figures of [`crate::host`]; it keeps the on-demand CPU baseline.
//! - [`sampler`]: the `samplingInterval` series and `metrics:collected`, recorded from the
//!   system's collector or, standing alone, from a machine-only collector of its own.

pub mod results;
pub mod runs;
pub mod sampler;
pub mod suite;
pub mod system;

use thiserror::Error;

/// Framework errors.
#[derive(Debug, Error)]
pub enum FrameworkError {
    /// A benchmark name that is not a plain identifier.
    #[error("benchmark name: got {0:?} (accepted: 1 to 64 characters of letters, digits, '_', '-' and '.', starting with a letter or digit)")]
    InvalidName(String),
    /// The name is in the active set.
    #[error("Benchmark '{0}' is already running")]
    AlreadyRunning(String),
    /// A configuration number out of range.
    #[error("{field}: got {value} (accepted: {accepted})")]
    OutOfRange {
        /// Option name.
        field: &'static str,
        /// Value given.
        value: f64,
        /// What is accepted.
        accepted: &'static str,
    },
    /// The data folder cannot be created or written.
    #[error("{0}")]
    Storage(String),
    /// A result file on disk is not valid JSON.
    #[error("result file '{path}' is not valid JSON: {message}")]
    CorruptResult {
        /// File path.
        path: String,
        /// Parser message.
        message: String,
    },
}

impl FrameworkError {
    /// JS error kind this maps to.
    pub fn js_kind(&self) -> &'static str {
        match self {
            FrameworkError::InvalidName(_) => "TypeError",
            FrameworkError::OutOfRange { .. } => "RangeError",
            _ => "Error",
        }
    }
}

/// Checks that a benchmark name is a plain identifier: it becomes part of a file name
/// (`benchmark_<name>_<ms>.json`), so separators and dots-only names are refused.
pub fn validate_benchmark_name(name: &str) -> Result<(), FrameworkError> {
    if crate::fsutil::is_plain_identifier(name, 64, &['.']) {
        Ok(())
    } else {
        Err(FrameworkError::InvalidName(name.to_owned()))
    }
}

pub use crate::host::clock::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["custom_test", "vm_operations", "a", "x.y-z"] {
            validate_benchmark_name(ok).unwrap();
        }
        for bad in ["", "../x", "/etc/x", "a b", ".hidden", &"x".repeat(65)] {
            let err = validate_benchmark_name(bad).unwrap_err();
            assert!(err.to_string().contains("accepted"), "{err}");
        }
    }
}
