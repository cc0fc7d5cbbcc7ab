//! The typed report of `database_performance`: the contract's sub-test keys (api-spec
//! §4.4), pgbench-comparable transaction rates, the cache hit ratio of the measured window
//! and the conditions of the run. Keys appear in the order they were measured.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::bench::latency::LatencySummary;
use crate::bench::rules::Recommendation;
use crate::bench::Outcome;

/// Entries serialised as an object, in insertion order (`batch_1`, `batch_10`, …).
#[derive(Debug, Clone)]
pub struct Keyed<T>(pub Vec<(String, T)>);

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<T: Serialize> Serialize for Keyed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// One timed operation of a throughput window.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// Its duration, ms.
    pub duration: f64,
    /// When it ended, ms since the Unix epoch.
    pub timestamp: f64,
}

/// The contract's ThroughputStats.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Operations per second over the window.
    pub operations_per_second: f64,
    /// Operations completed.
    pub total_operations: u64,
    /// Window, ms.
    pub total_time: f64,
    /// Mean operation time, ms.
    pub avg_operation_time: f64,
    /// The first [`MAX_OPERATIONS_KEPT`] operations (a fast engine does millions).
    pub operations: Vec<Operation>,
    /// Operations that failed (not counted above).
    pub failed: u64,
}

/// How many per-operation entries a throughput result keeps.
pub const MAX_OPERATIONS_KEPT: usize = 1000;

/// `{ latency, throughput, recommendations }` of one contract sub-test.
#[derive(Debug, Clone, Serialize)]
pub struct SubTest {
    /// Latency of the sequential samples.
    pub latency: Option<LatencySummary>,
    /// Sequential throughput over the window.
    pub throughput: Throughput,
    /// What the figures call for.
    pub recommendations: Vec<Recommendation>,
}

/// `queryPerformance`.
#[derive(Debug, Clone, Serialize)]
pub struct QueryPerformance {
    /// Point-ish select with LIMIT 10.
    pub simple: SubTest,
    /// users ⋈ profiles filtered by date, ordered, LIMIT 100.
    pub complex: SubTest,
    /// count/avg grouped by status with HAVING.
    pub aggregate: SubTest,
}

/// One batch size of `batchInsertPerformance`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInsert {
    /// Latency of one multi-row INSERT.
    pub latency: Option<LatencySummary>,
    /// Rows inserted per second.
    pub items_per_second: f64,
}

/// `insertPerformance`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertPerformance {
    /// Latency of one-row INSERTs.
    pub latency: Option<LatencySummary>,
    /// One-row INSERT throughput.
    pub throughput: Throughput,
    /// `batch_<n>` for each batch size.
    pub batch_insert_performance: Keyed<BatchInsert>,
    /// What the figures call for.
    pub recommendations: Vec<Recommendation>,
}

/// One level of `concurrentLoad`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConcurrencyLevel {
    /// Wall time from the common start to the last worker's end, ms.
    pub total_time: f64,
    /// Queries per second over that time.
    pub operations_per_second: f64,
    /// Queries run.
    pub operations: u64,
    /// Queries that failed.
    pub failed: u64,
}

/// `concurrentLoad`.
#[derive(Debug, Clone, Serialize)]
pub struct ConcurrentLoad {
    /// `concurrency_<n>` per level.
    pub results: Keyed<Outcome<ConcurrencyLevel>>,
    /// What the figures call for.
    pub recommendations: Vec<Recommendation>,
}

/// Latency of one pgbench-like cell, ms, measured per transaction.
#[derive(Debug, Clone, Serialize)]
pub struct RateLatency {
    /// Mean.
    pub avg: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// `transactionRates.<script>.clients_<n>`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateCell {
    /// Transactions per second over the measured window (connections excluded, as pgbench).
    pub tps: f64,
    /// Transactions per second counting the time to open the clients' connections.
    pub tps_including_connections: f64,
    /// Per-transaction latency; `null` when none completed.
    pub latency: Option<RateLatency>,
    /// Committed transactions.
    pub transactions: u64,
    /// Failed transactions (errors, serialization failures, busy/locked, lost connections).
    pub failed: u64,
    /// Measured window, ms.
    pub duration_ms: f64,
    /// Mean time to open one connection, ms (D1).
    pub connect_ms: f64,
    /// Connections opened again after a lost one.
    pub reconnects: u64,
    /// Cache hit ratio over this window; `null` when nothing was read.
    pub cache_hit_ratio: Option<f64>,
}

/// What the run measured on, with every result (issue item 6).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    /// `sqlite`, `postgresql` or `mysql`.
    pub engine: &'static str,
    /// Server (or library) version.
    pub server_version: String,
    /// The target, password redacted.
    pub target: String,
    /// Table prefix of the run (dropped at the end).
    pub table_prefix: String,
    /// pgbench-style scale.
    pub scale: f64,
    /// Rows of the accounts table.
    pub accounts: u64,
    /// Seed of the data set.
    pub seed: u64,
    /// Client counts of the transaction rates.
    pub clients: Vec<u64>,
    /// Worker threads (one per client, the largest level).
    pub threads: u64,
    /// Throughput window / rate cell length, ms.
    pub duration_ms: f64,
    /// Latency samples per sub-test.
    pub samples: u64,
    /// Concurrency levels.
    pub concurrency_levels: Vec<u64>,
    /// Pool sizes of `poolEfficiency`.
    pub pool_sizes: Vec<u64>,
    /// True when windows are under 60 s (pgbench's docs advise minutes).
    pub short_run: bool,
    /// Time the data set took to load, ms.
    pub load_ms: f64,
    /// SQLite `journal_mode`, `synchronous`, `page_size` (null for servers).
    pub sqlite: Option<SqliteSettings>,
}

/// SQLite settings the figures depend on.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SqliteSettings {
    /// `PRAGMA journal_mode`.
    pub journal_mode: String,
    /// `PRAGMA synchronous` (0 off, 1 normal, 2 full, 3 extra).
    pub synchronous: String,
    /// `PRAGMA page_size`.
    pub page_size: String,
}

/// What a `database_performance` run reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseReport {
    /// Query sub-tests.
    pub query_performance: Outcome<QueryPerformance>,
    /// Insert sub-tests.
    pub insert_performance: Outcome<InsertPerformance>,
    /// UPDATE by primary key.
    pub update_performance: Outcome<SubTest>,
    /// DELETE by primary key.
    pub delete_performance: Outcome<SubTest>,
    /// Three-statement transaction.
    pub transaction_performance: Outcome<SubTest>,
    /// Simple queries at each concurrency level.
    pub concurrent_load: Outcome<ConcurrentLoad>,
    /// `<script>.clients_<n>`.
    pub transaction_rates: Keyed<Keyed<Outcome<RateCell>>>,
    /// `pool_<size>.clients_<n>`: select_only through a pool of that size.
    pub pool_efficiency: Keyed<Keyed<Outcome<PoolCell>>>,
    /// Cache hit ratio over every rate window together; `null` when nothing was read.
    pub cache_hit_ratio: Option<f64>,
    /// Conditions of the run.
    pub conditions: Conditions,
    /// Benchmark-level recommendations, each naming its figure.
    pub recommendations: Vec<Recommendation>,
}

/// `poolEfficiency.pool_<size>.clients_<n>` (D5).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolCell {
    /// Transactions per second.
    pub tps: f64,
    /// Time to get a pooled connection, ms.
    pub acquire_wait: Option<RateLatency>,
    /// Transaction latency including the wait, ms.
    pub latency: Option<RateLatency>,
    /// Connections' busy time over pool size × window, 0–1.
    pub utilisation: f64,
    /// Acquire attempts that waited past the acquire timeout.
    pub timeouts: u64,
    /// Committed transactions.
    pub transactions: u64,
    /// Failed transactions.
    pub failed: u64,
    /// Window, ms.
    pub duration_ms: f64,
}
