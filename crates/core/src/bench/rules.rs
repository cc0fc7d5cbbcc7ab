//! The recommendation rules of the built-in benchmarks, in one table: each rule's limit,
//! the kind and severity of the recommendation it makes, and a one-line reason. Reports
//! read their thresholds from here only, so a limit is changed in one place.

use serde::Serialize;

/// One recommendation of a report: `{ type, severity, message }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// `performance`, `reliability`, `configuration` or `scalability`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `high`, `medium`, `low` or `info`.
    pub severity: &'static str,
    /// What was measured, with the figure.
    pub message: String,
}

/// One rule: a limit on a measured figure and the recommendation it makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Name of the rule (for the table and its tests).
    pub id: &'static str,
    /// The limit (its unit and direction are in the reason); NaN for a condition.
    pub limit: f64,
    /// Recommendation type.
    pub kind: &'static str,
    /// Recommendation severity.
    pub severity: &'static str,
    /// Why this limit.
    pub reason: &'static str,
}

impl Rule {
    /// The recommendation this rule makes, with `message`.
    pub fn recommend(&self, message: String) -> Recommendation {
        Recommendation {
            kind: self.kind,
            severity: self.severity,
            message,
        }
    }
}

macro_rules! rules {
    ($($name:ident = $limit:expr, $kind:literal, $severity:literal, $reason:literal;)*) => {
        $(
            #[doc = $reason]
            pub const $name: Rule = Rule {
                id: stringify!($name),
                limit: $limit,
                kind: $kind,
                severity: $severity,
                reason: $reason,
            };
        )*
        /// Every rule, in the order of the reports.
        pub const RULES: &[Rule] = &[$($name),*];
    };
}

rules! {
    STORAGE_NOT_DIRECT = f64::NAN, "configuration", "medium",
        "Without O_DIRECT reads may come from the page cache, so figures overstate the disk.";
    STORAGE_MEMORY_BACKED = f64::NAN, "configuration", "high",
        "A memory-backed or overlay folder measures RAM, not the disk to size.";
    SEQ_READ_MIN_MBPS = 100.0, "performance", "medium",
        "Sequential reads below 100 MiB/s: slower than a single HDD streams.";
    SEQ_WRITE_MIN_MBPS = 50.0, "performance", "medium",
        "Sequential writes below 50 MiB/s: too slow for logs and checkpoints.";
    MIXED_MIN_OPS = 10.0, "performance", "high",
        "A mixed random workload under 10 ops/s stalls any database on this target.";
    MIXED_MAX_AVG_MS = 500.0, "performance", "medium",
        "Mixed-workload average latency above 500 ms means requests queue for seconds.";
    RAND_READ_MIN_IOPS = 1000.0, "performance", "medium",
        "Random 4 KiB reads below 1000 IOPS at the lowest queue depth: HDD-class latency.";
    RAND_WRITE_MIN_IOPS = 500.0, "performance", "medium",
        "Random writes below 500 IOPS at the lowest queue depth: HDD-class latency.";
    QD_MIN_ACHIEVED_SHARE = 0.8, "configuration", "low",
        "Under 80 % of the asked queue depth in flight: the submitter, not the device, limited the job.";
    QD_SATURATION_MIN_DEPTH = 16.0, "scalability", "info",
        "The saturation check compares the lowest depth with one of at least 16.";
    QD_SATURATION_MIN_GAIN = 1.5, "scalability", "info",
        "Read IOPS growing under 1.5× from the lowest to a deep queue: the device saturates early.";
    TCP_MIN_MBPS = 50.0, "performance", "medium",
        "TCP throughput below 50 MiB/s (~420 Mbit/s) limits replication and backups.";
    RTT_MAX_AVG_MS = 200.0, "performance", "medium",
        "An average TCP round trip above 200 ms makes chatty protocols slow.";
    RTT_MAX_P99_MS = 1000.0, "reliability", "high",
        "A p99 round trip above 1 s hits common client timeouts.";
    UDP_MAX_LOSS_PERCENT = 1.0, "reliability", "medium",
        "UDP loss above 1 % at the target rate degrades media and telemetry.";
    UDP_MAX_JITTER_MS = 30.0, "performance", "medium",
        "UDP jitter above 30 ms exceeds what real-time audio tolerates.";
    HTTP_MIN_RATE_SHARE = 0.99, "performance", "high",
        "An open loop achieving under 99 % of its target rate did not sustain that rate.";
    HTTP_STALL_P999_OVER_P50 = 10.0, "reliability", "medium",
        "An open-loop p99.9 over 10× the median means the server stalls.";
    HTTP_STALL_MIN_P999_MS = 50.0, "reliability", "medium",
        "Stalls count only when that p99.9 is also above 50 ms.";
    SUCCESS_MIN_PERCENT = 99.0, "reliability", "high",
        "Under 99 % successful requests fails a typical availability target.";
    SUCCESS_WARN_PERCENT = 99.9, "reliability", "medium",
        "Under 99.9 % successful requests is worth a look before production.";
    DB_COMPLEX_MAX_AVG_MS = 500.0, "optimization", "medium",
        "A join-and-sort query averaging over 500 ms lacks an index or scans too much.";
    DB_QUERY_MIN_OPS = 100.0, "performance", "high",
        "Under 100 sequential queries/s on one connection: each query costs over 10 ms.";
    DB_INSERT_MAX_AVG_MS = 100.0, "performance", "medium",
        "A one-row insert averaging over 100 ms: commits wait on slow flushes.";
    DB_INSERT_MIN_OPS = 500.0, "scalability", "medium",
        "Under 500 one-row inserts/s: commit-per-row is fsync-bound on this target.";
    DB_UPDATE_MAX_AVG_MS = 50.0, "optimization", "medium",
        "A primary-key update averaging over 50 ms: locking or flushes dominate.";
    DB_DELETE_MAX_AVG_MS = 30.0, "optimization", "medium",
        "A primary-key delete averaging over 30 ms: locking or flushes dominate.";
    DB_TX_MAX_AVG_MS = 200.0, "performance", "high",
        "A three-statement transaction averaging over 200 ms holds locks too long.";
    DB_CONCURRENCY_MIN_SHARE = 0.8, "scalability", "medium",
        "Throughput at a concurrency level under 80 % of the level before: contention.";
    DB_CACHE_MIN_HIT_RATIO = 0.9, "configuration", "medium",
        "A cache hit ratio under 90 % over the window: the cache is smaller than the working set.";
    DB_MAX_FAILED_PERCENT = 1.0, "reliability", "high",
        "Over 1 % failed transactions: lock timeouts, serialization failures or lost connections.";
    DB_POOL_WAIT_SHARE = 0.5, "scalability", "medium",
        "Clients waiting on the pool for over half a transaction's time: the pool is too small.";
    DB_SCALE_BELOW_CLIENTS = f64::NAN, "configuration", "info",
        "tpcb_like with more clients than branches measures row contention (pgbench: scale >= clients).";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_reason_and_a_unique_id() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert!(RULES
            .iter()
            .all(|r| !r.reason.is_empty() && !r.reason.contains('\n')));
    }
}
