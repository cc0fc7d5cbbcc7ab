//! Built-in benchmarks that measure real work: storage I/O on a target folder, TCP/UDP
//! against a peer, and HTTP load against a URL. Each measures on its own threads with a
//! monotonic clock and summarises latencies in an HDR histogram; nothing crosses N-API
//! while it is timed.
//!
//! - [`options`]: option tables and typed decoding (errors name field, value, accepted).
//! - [`control`]: cancellation and `progress` events shared by every run.
//! - [`latency`]: the nanosecond latency recorder and its millisecond summary.
//! - [`storage`]: fio-like jobs (sequential, random, mixed, fsync) with O_DIRECT.
//! - [`net`]: the peer (sink, echo, UDP receiver, tiny HTTP responder) and the TCP/UDP
//!   clients measured against it, iperf3- and netperf-style.
//! - [`http`]: closed-loop and open-loop (wrk2-style) HTTP/1.1 load.
//! - [`database`]: `database_performance`, real SQL on SQLite, PostgreSQL or MariaDB.
//! - [`network_storage`]: `network_storage`, the whole suite: plan, run, typed report.
//! - [`registry`]: the [`registry::Benchmark`] trait and the static table of built-ins.
//! - [`rules`]: every recommendation threshold, each with its reason.

pub mod control;
pub mod database;
pub mod http;
pub mod latency;
pub mod net;
pub mod network_storage;
pub mod options;
pub mod registry;
pub mod rng;
pub mod rules;
pub mod storage;

use serde::Serialize;
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
    #[error("{benchmark}: aborted during {phase}; all I/O, sockets, threads and temporary files were cleaned up")]
    Cancelled {
        /// Registry name of the benchmark (set by the registry; `benchmark` before that).
        benchmark: &'static str,
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

    /// The error as the run of built-in `name` reports it (a cancellation names it).
    pub fn in_benchmark(self, name: &'static str) -> BenchError {
        match self {
            BenchError::Cancelled { phase, .. } => BenchError::Cancelled {
                benchmark: name,
                phase,
            },
            other => other,
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

/// A sub-result that did not run: `{ status: 'skipped' | 'unavailable', reason, hint? }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusNote {
    /// `skipped` (not requested) or `unavailable` (cannot run here).
    pub status: &'static str,
    /// Why.
    pub reason: String,
    /// What to change to get it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl StatusNote {
    /// A sub-result that was not requested.
    pub fn skipped(reason: impl Into<String>) -> StatusNote {
        StatusNote {
            status: "skipped",
            reason: reason.into(),
            hint: None,
        }
    }

    /// A sub-result that could not be measured.
    pub fn unavailable(reason: impl Into<String>, hint: impl Into<String>) -> StatusNote {
        StatusNote {
            status: "unavailable",
            reason: reason.into(),
            hint: Some(hint.into()),
        }
    }
}

/// A sub-result: measured, or a [`StatusNote`] saying why not.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Outcome<T> {
    /// Measured.
    Done(T),
    /// Skipped or unavailable.
    Not(StatusNote),
}

impl<T> Outcome<T> {
    /// A skipped sub-result.
    pub fn skipped(reason: impl Into<String>) -> Outcome<T> {
        Outcome::Not(StatusNote::skipped(reason))
    }
}
