//! Built-in benchmarks that measure real work: storage I/O on a target folder, TCP/UDP
//! against a peer, and HTTP load against a URL. Each measures on its own threads with a
//! monotonic clock and summarises latencies in an HDR histogram; nothing crosses N-API
//! while it is timed.
//!
//! - [`options`]: reading and checking the JS option objects (errors name field and value).
//! - [`control`]: cancellation and `progress` events shared by every run.
//! - [`latency`]: the nanosecond latency recorder and its millisecond summary.
//! - [`storage`]: fio-like jobs (sequential, random, mixed, fsync) with O_DIRECT.
//! - [`net`]: the peer (sink, echo, UDP receiver, tiny HTTP responder) and the TCP/UDP
//!   clients measured against it, iperf3- and netperf-style.
//! - [`http`]: closed-loop and open-loop (wrk2-style) HTTP/1.1 load.
//! - [`suite`]: `network_storage`, the whole suite: plan, run, report, recommendations.

pub mod control;
pub mod http;
pub mod latency;
pub mod net;
pub mod options;
pub mod rng;
pub mod storage;
pub mod suite;

use thiserror::Error;

/// Why a built-in benchmark refused its options, could not start, or stopped.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// An option of the wrong type.
    #[error("{field}: got {got} (accepted: {accepted})")]
    InvalidType {
        /// Option path, e.g. `storage.blockSize`.
        field: String,
        /// The value given, as JSON.
        got: String,
        /// What is accepted.
        accepted: String,
    },
    /// An option of the right type but out of range (including a size the target cannot
    /// take, e.g. more than its free space).
    #[error("{field}: got {got} (accepted: {accepted})")]
    OutOfRange {
        /// Option path.
        field: String,
        /// The value given.
        got: String,
        /// What is accepted.
        accepted: String,
    },
    /// The target (folder, peer, URL) cannot be used; found before any load starts.
    #[error("{0}")]
    Target(String),
    /// An I/O failure during the run.
    #[error("{0}")]
    Io(String),
    /// The run was cancelled (abort or timeout); everything it started has been stopped.
    #[error("network_storage: aborted during {phase}; all I/O, sockets, threads and temporary files were cleaned up")]
    Cancelled {
        /// The phase that was running.
        phase: String,
    },
}

impl BenchError {
    /// JS error kind this maps to.
    pub fn js_kind(&self) -> &'static str {
        match self {
            BenchError::InvalidType { .. } => "TypeError",
            BenchError::OutOfRange { .. } => "RangeError",
            _ => "Error",
        }
    }

    /// An [`BenchError::OutOfRange`] from display-ready parts.
    pub fn range(field: &str, got: impl ToString, accepted: impl ToString) -> BenchError {
        BenchError::OutOfRange {
            field: field.to_owned(),
            got: got.to_string(),
            accepted: accepted.to_string(),
        }
    }

    /// An [`BenchError::InvalidType`] from display-ready parts.
    pub fn kind(field: &str, got: impl ToString, accepted: impl ToString) -> BenchError {
        BenchError::InvalidType {
            field: field.to_owned(),
            got: got.to_string(),
            accepted: accepted.to_string(),
        }
    }
}

/// Result alias of this module.
pub type BenchResult<T> = std::result::Result<T, BenchError>;

/// A sub-result that could not be measured: `{ status: 'unavailable', reason, hint }`.
pub fn unavailable(reason: impl Into<String>, hint: impl Into<String>) -> serde_json::Value {
    serde_json::json!({ "status": "unavailable", "reason": reason.into(), "hint": hint.into() })
}

/// A sub-result that was not requested: `{ status: 'skipped', reason }`.
pub fn skipped(reason: impl Into<String>) -> serde_json::Value {
    serde_json::json!({ "status": "skipped", "reason": reason.into() })
}
