//! The novacron-perf core: a plain Rust library with no N-API in it.
//!
//! The Node binding (the crate at the repository root) converts JS values to the types of
//! this crate and back; every measurement, statistic, file format and validation rule lives
//! here, so that it is tested with `cargo test` alone.
//!
//! Modules, one concern each, on floors that import only downwards (`host` at the bottom):
//! - [`host`]: one parser per `/proc` file, process and thread CPU time, rusage, and the
//!   [`host::clock::Clock`] (real, or fake in tests). Imports nothing from the crate.
//! - [`stats`]: samples → summary (percentiles, bootstrap CI, Tukey outliers). No I/O, no clock.
//! - [`framework`]: what the benchmarking framework needs beside the JS classes it runs: the
//!   "already running" rule, result files, suite summaries, system snapshots and the
//!   system-sample view over the collector's machine readings.
//! - [`profiles`]: the nine built-in environment profiles, validation, merge, workload
//!   tuning and custom profiles on disk.
//! - [`events`]: the bounded, non-blocking event bus from core threads to the binding.
//! - [`store`]: the embedded time-series history store (compressed chunks in SQLite, rollups,
//!   retention).
//! - [`collect`]: the metrics collector's sources (system, GPU, process, databases, network,
//!   pushed ML and custom values) sampled on one clock into the store; the crate's only
//!   machine sampler.
//! - [`prometheus`]: the text exposition format and the `/metrics` listener.
//! - [`bench`]: the built-in benchmarks that measure real work (storage, network, HTTP,
//!   databases), behind the `Benchmark` trait and registry of [`bench::registry`].
//! - [`runtime`]: the one tokio runtime for I/O-bound work (drivers, listeners).
//! - [`redact`]: passwords out of URLs, for every label and message naming a database.
#![deny(missing_docs)]

pub mod bench;
pub mod collect;
pub mod error;
pub mod events;
pub mod framework;
pub mod fsutil;
pub mod host;
pub mod profiles;
pub mod prometheus;
pub mod redact;
pub mod runtime;
pub mod stats;
pub mod store;

pub use error::{Error, Result};
pub use store::{
    AggPoint, Point, Query, SeriesData, SeriesId, SeriesKey, Store, StoreError, StoreOptions,
    StoreStats,
};
