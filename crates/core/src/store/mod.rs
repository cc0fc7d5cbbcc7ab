//! The embedded time-series history store: metric samples of this host, kept under the
//! `storageLocation` folder (default `./performance-data/metrics`) in one SQLite database
//! (`history.db`, WAL journal) holding compressed chunks and rollups.
//!
//! # Model
//! A series is a metric name plus sorted labels ([`SeriesKey`]); [`Store::series_id`]
//! registers it once and hands out a small [`SeriesId`]. A sample is `(timestamp ms, f64)`.
//! Timestamps are epoch milliseconds from 0 to 2^53 - 1 (a JS safe integer).
//!
//! # Write path and durability
//! - [`Store::append`] / [`Store::append_batch`] validate the whole call first (known ids,
//!   timestamps in range and strictly increasing per series), then commit **one** row to the
//!   write-ahead table (a compact blob of the call's samples, see `wal`), then add the samples
//!   to the in-memory head of each series. When the call returns `Ok` the samples are
//!   *acknowledged*: the commit is in SQLite's WAL file. The database runs with
//!   `synchronous=NORMAL`: a commit is written to the WAL file (in the OS page cache) before it
//!   returns but not fsynced, so it survives `kill -9` and any crash of the process; only a
//!   power loss or kernel crash can lose the last commits (never corrupt the database).
//!   One row per call, not per sample, is what makes bulk ingest fast.
//! - [`Store::flush`] (the collector calls it every ~60 s, [`Store::close`] calls it, and an
//!   append that leaves more than 1 M samples pending calls it) encodes the heads into
//!   chunks, updates the rollups and deletes the write-ahead rows, all in **one**
//!   transaction: a crash before its commit leaves the write-ahead rows, a crash after it
//!   leaves the chunks. [`Store::open`] replays the write-ahead rows that remain into the heads.
//! - A series' newest chunk stays *open* (one row per series in `open_chunks`, rewritten by
//!   each flush) until it holds [`CHUNK_MAX_SAMPLES`] samples or spans [`CHUNK_MAX_SPAN_MS`];
//!   then it is *closed* and appended to `chunks`, whose rowid order keeps pages full.
//!
//! # Compression
//! See [`codec`]: Gorilla delta-of-delta timestamps; per chunk, integer delta or
//! delta-of-delta values for integral (or up to 4-decimal) columns — counters, byte and
//! jiffy gauges, load averages — and Gorilla XOR for the rest.
//!
//! # Rollups
//! On flush every non-NaN sample is added to a 1-minute and a 1-hour bucket (sum, count,
//! min, max; mean = sum / count). Buckets are kept in blocks of 120 consecutive buckets per
//! series (2 h of 1-minute buckets, 5 days of 1-hour buckets), encoded with the same codec:
//! a row per bucket would cost ~40 bytes, more than the raw samples themselves.
//!
//! # Queries
//! [`Store::query`] sees every acknowledged sample (flushed chunks plus the heads).
//! - Without `step_ms`: raw points with `start_ms <= t <= end_ms`, NaN included.
//! - With `step_ms`: buckets aligned to multiples of `step_ms` since the epoch; the range is
//!   widened to whole buckets (from the bucket holding `start_ms` to the bucket holding
//!   `end_ms`), so the answer does not depend on which resolution served it. The source is
//!   the 1-hour rollup when `step_ms` is a multiple of 1 h, else the 1-minute rollup when it
//!   is a multiple of 1 min, else the raw samples. NaN samples are skipped and buckets with
//!   no non-NaN sample are left out.
//! - `limit` keeps the **newest** `limit` points (or buckets) of each series, returned in
//!   ascending time order like every answer.
//!
//! # Values and order
//! NaN means "gap / no value": stored and returned in raw points, skipped by rollups and
//! aggregation. ±inf are ordinary values. A sample not strictly newer than the last sample of
//! its series (an older or a duplicate timestamp) fails the whole call with
//! [`StoreError::OutOfOrder`] and nothing of the call is stored.
//!
//! # Retention
//! [`Store::apply_retention`] drops raw chunks whose newest sample is older than
//! `now - raw_retention_ms` (default 7 days) and rollup blocks whose newest bucket ended
//! before `now - rollup_*_retention_ms` (30 and 400 days). It works at chunk/block
//! granularity: data up to one chunk (≤ 2 h) or block (2 h / 5 days) past the limit may stay.
//!
//! # Read-only folders, full disks
//! When the folder exists but cannot be written (read-only mount, permissions), `open`
//! opens the database read-only: queries, `series` and `stats` work, `append`,
//! `append_batch`, `apply_retention` and registering a new series return
//! [`StoreError::ReadOnly`], `flush` and `close` do nothing. A full disk makes the write
//! return [`StoreError::Io`] naming the folder and `SQLITE_FULL`; nothing of that call is
//! acknowledged and everything stored before stays readable.
//!
//! # Schema
//! The `meta` table holds `schema_version` ([`SCHEMA_VERSION`]); opening a database with a
//! newer version fails with [`StoreError::SchemaTooNew`]. Opening a writable database with
//! an older version upgrades it in place, in the open's transaction (see `migrate`):
//! version 2 renamed the series of version 1 by [`StoreOptions::rename_v1`]. A read-only
//! database is read as it is.
//!
//! # Files
//! `engine` (the [`Store`], its locks and series registration), `open` (folder, connection,
//! schema check), `migrate` (schema upgrades), `recover` (state loaded and write-ahead rows
//! replayed at open), `write` (append), `flush` (chunks and rollups committed), `retention`
//! (age limits, file housekeeping), `query` (queries and stats); `codec`, `rollup` and `wal`
//! are the encodings.

pub mod codec;
mod engine;
mod error;
mod flush;
mod lock;
mod migrate;
mod open;
mod query;
mod recover;
mod retention;
mod rollup;
mod wal;
mod write;

pub use engine::Store;
pub use error::StoreError;

use std::path::PathBuf;

/// Schema version written to the `meta` table of a new store.
pub const SCHEMA_VERSION: i64 = 2;
/// A chunk is closed when it holds this many samples.
pub const CHUNK_MAX_SAMPLES: usize = 480;
/// A chunk is closed when its next sample would be this far (2 h) from its first.
pub const CHUNK_MAX_SPAN_MS: i64 = 7_200_000;
/// The largest timestamp accepted (2^53 - 1 ms, a JS safe integer).
pub const MAX_TIMESTAMP_MS: i64 = 9_007_199_254_740_991;
/// An append that leaves more pending (unflushed) samples than this flushes on its own.
pub const AUTO_FLUSH_SAMPLES: usize = 1_000_000;
/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// How the series of a version-1 store are renamed on upgrade: the new key of a series, or
/// `None` to keep it.
pub type RenameFn = fn(&SeriesKey) -> Option<SeriesKey>;

/// Options of [`Store::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The store folder (`storageLocation`); created when missing. The database is
    /// `history.db` inside it.
    pub dir: PathBuf,
    /// Age limit of raw samples, ms (`metricsRetention`, default 7 days).
    pub raw_retention_ms: i64,
    /// Age limit of the 1-minute rollups, ms (default 30 days).
    pub rollup_1m_retention_ms: i64,
    /// Age limit of the 1-hour rollups, ms (default 400 days).
    pub rollup_1h_retention_ms: i64,
    /// The rename rule applied when a writable version-1 store is opened (see the module
    /// docs, "Schema"); `None` (the default) keeps every name.
    pub rename_v1: Option<RenameFn>,
}

impl StoreOptions {
    /// Options with the default retentions (7, 30 and 400 days) for the folder `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        StoreOptions {
            dir: dir.into(),
            raw_retention_ms: 7 * DAY_MS,
            rollup_1m_retention_ms: 30 * DAY_MS,
            rollup_1h_retention_ms: 400 * DAY_MS,
            rename_v1: None,
        }
    }
}

/// A registered series, small and copyable; valid for the store that handed it out (ids are
/// persisted, so they stay the same across reopen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(pub u32);

/// What identifies a series: a metric name and labels, kept sorted by label name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    /// Metric name: 1 to 256 characters, no control characters.
    pub name: String,
    /// Labels `(name, value)`, sorted by name, names unique: a label name is 1 to 128
    /// characters of `[A-Za-z0-9_]` not starting with a digit; a value is at most 1024
    /// characters.
    pub labels: Vec<(String, String)>,
}

impl SeriesKey {
    /// A key with `labels` sorted by name.
    pub fn new(name: impl Into<String>, labels: &[(&str, &str)]) -> Self {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort();
        SeriesKey {
            name: name.into(),
            labels,
        }
    }

    /// The label value of `name`, if any.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl std::fmt::Display for SeriesKey {
    /// Prometheus style: `name{a="x",b="y"}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        if !self.labels.is_empty() {
            f.write_str("{")?;
            for (i, (k, v)) in self.labels.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{k}={v:?}")?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}

/// A query over one or more series.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Metric names to include; empty means all.
    pub names: Vec<String>,
    /// Labels that must all be present with these values.
    pub labels: Vec<(String, String)>,
    /// First timestamp, ms (inclusive).
    pub start_ms: i64,
    /// Last timestamp, ms (inclusive); `start_ms <= end_ms`.
    pub end_ms: i64,
    /// Bucket width, ms (> 0): `None` for raw points, `Some` for aggregated buckets.
    pub step_ms: Option<i64>,
    /// At most this many points (or buckets) per series, the newest ones; `None` for all.
    pub limit: Option<usize>,
}

impl Query {
    /// A raw query of every series over `[start_ms, end_ms]`.
    pub fn range(start_ms: i64, end_ms: i64) -> Self {
        Query {
            names: Vec::new(),
            labels: Vec::new(),
            start_ms,
            end_ms,
            step_ms: None,
            limit: None,
        }
    }
}

/// The answer for one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    /// The series.
    pub key: SeriesKey,
    /// Raw points in time order (when the query had no step).
    pub points: Vec<Point>,
    /// Buckets in time order (when the query had a step).
    pub aggregated: Vec<AggPoint>,
    /// What served the answer: `"raw"`, `"1m"` or `"1h"`.
    pub resolution: &'static str,
}

/// A raw sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Timestamp, epoch ms.
    pub t: i64,
    /// Value; NaN is a gap.
    pub v: f64,
}

/// An aggregated bucket over the non-NaN samples with `t <= sample time < t + step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggPoint {
    /// Bucket start, epoch ms.
    pub t: i64,
    /// Sum of the values.
    pub sum: f64,
    /// Number of values (≥ 1).
    pub count: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl AggPoint {
    /// `sum / count`.
    pub fn mean(&self) -> f64 {
        self.sum / self.count as f64
    }
}

/// Size and content figures of a store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStats {
    /// Registered series.
    pub series: u64,
    /// Raw samples held (in chunks and in the heads).
    pub samples: u64,
    /// Samples acknowledged but not yet flushed into chunks.
    pub pending_samples: u64,
    /// Raw chunk rows (closed and open).
    pub chunks: u64,
    /// Bytes of the encoded raw chunks.
    pub chunk_bytes: u64,
    /// Rollup block rows (both resolutions, closed and open).
    pub rollup_blocks: u64,
    /// Bytes of the encoded rollup blocks.
    pub rollup_bytes: u64,
    /// Size of the database file plus its WAL file, bytes.
    pub bytes_on_disk: u64,
    /// Schema version of the database.
    pub schema_version: i64,
    /// True when the store was opened read-only.
    pub read_only: bool,
}
