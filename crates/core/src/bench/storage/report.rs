//! The contract's `storagePerformance` (api-spec §4.5) from measured jobs: sequential
//! results under `readPerformance`/`writePerformance.results.size_<bytes>`, 4 KiB random
//! IOPS under `iopsPerformance` (QD 1 as the headline, every depth in `byQueueDepth`),
//! and recommendations computed from these numbers only.

use serde_json::{json, Map, Value};

use super::job::{EngineKind, JobOutcome, Pattern};
use super::target::TargetInfo;
use crate::bench::rules;
use crate::bench::skipped;

/// Everything the storage part measured.
#[derive(Debug, Clone)]
pub struct StorageReport {
    /// The target folder.
    pub target: TargetInfo,
    /// Test file size, bytes.
    pub file_size: u64,
    /// O_DIRECT in effect.
    pub direct: bool,
    /// Why O_DIRECT is off.
    pub direct_reason: Option<String>,
    /// Engine used.
    pub engine: EngineKind,
    /// Why that engine.
    pub engine_reason: Option<String>,
    /// Time to write the test file, ms.
    pub prepare_ms: f64,
    /// Jobs in the order they ran.
    pub outcomes: Vec<JobOutcome>,
    /// fsync job result (suite only).
    pub fsync: Option<Value>,
}

fn rec(rule: rules::Rule, message: String) -> Value {
    json!(rule.recommend(message))
}

impl StorageReport {
    fn find(&self, p: Pattern) -> impl Iterator<Item = &JobOutcome> {
        self.outcomes.iter().filter(move |o| o.spec.pattern == p)
    }

    fn job(&self, o: &JobOutcome) -> Value {
        o.to_json(self.direct, self.file_size)
    }

    /// Conditions every figure was measured under.
    pub fn conditions(&self) -> Value {
        let page_cache_possible = !self.direct && self.file_size < 2 * total_memory();
        json!({
            "target": self.target,
            "fileSize": self.file_size,
            "direct": self.direct,
            "directReason": self.direct_reason,
            "pageCachePossible": page_cache_possible,
            "engine": self.engine.name(),
            "engineReason": self.engine_reason,
            "preconditioning": { "written": "whole file, random data, then fsync and POSIX_FADV_DONTNEED", "durationMs": self.prepare_ms },
            "latencyKind": "clat (submission to completion)",
        })
    }

    /// `{ readPerformance, writePerformance, iopsPerformance, fsyncLatency, conditions }`
    /// and the mixed job (`ioMixedWorkload`).
    pub fn to_json(&self) -> (Value, Value) {
        let mut general = Vec::new();
        if !self.direct {
            general.push(rec(
                rules::STORAGE_NOT_DIRECT,
                format!(
                    "O_DIRECT was off ({}); reads may have been served from the page cache",
                    self.direct_reason.as_deref().unwrap_or("unknown reason")
                ),
            ));
        }
        if let Some(w) = &self.target.warning {
            general.push(rec(
                rules::STORAGE_MEMORY_BACKED,
                format!("{w}; point storage.directory at the disk to size"),
            ));
        }
        let read = self.sequential(Pattern::Read, rules::SEQ_READ_MIN_MBPS, "read");
        let write = self.sequential(Pattern::Write, rules::SEQ_WRITE_MIN_MBPS, "write");
        let iops = self.iops();
        let mixed = match self.find(Pattern::RandRw).next() {
            Some(o) => {
                let mut v = self.job(o);
                let mut recs = Vec::new();
                let ops = o.read_iops() + o.write_iops();
                if ops < rules::MIXED_MIN_OPS.limit {
                    recs.push(rec(
                        rules::MIXED_MIN_OPS,
                        format!("mixed 70/30 workload completes only {ops:.1} ops/s"),
                    ));
                }
                let avg = o.latency().summary().map(|s| s.avg);
                if let Some(avg) = avg.filter(|a| *a > rules::MIXED_MAX_AVG_MS.limit) {
                    recs.push(rec(
                        rules::MIXED_MAX_AVG_MS,
                        format!("mixed workload average latency is {avg:.1} ms"),
                    ));
                }
                v["description"] = json!(format!(
                    "{}% random reads / {}% random writes, {} B blocks",
                    o.spec.rwmixread,
                    100 - o.spec.rwmixread,
                    o.spec.block_size
                ));
                v["recommendations"] = Value::Array(recs);
                v
            }
            None => skipped("the mixed job was not requested (storage.pattern selects one job)"),
        };
        let perf = json!({
            "readPerformance": read,
            "writePerformance": write,
            "iopsPerformance": iops,
            "fsyncLatency": self.fsync.clone().unwrap_or_else(|| skipped("fsync latency runs in the default suite only")),
            "conditions": self.conditions(),
            "recommendations": general,
        });
        (perf, mixed)
    }

    fn sequential(&self, p: Pattern, rule: rules::Rule, what: &str) -> Value {
        let min_mbps = rule.limit;
        let jobs: Vec<&JobOutcome> = self.find(p).collect();
        if jobs.is_empty() {
            return skipped(format!("no sequential {what} job was requested"));
        }
        let mut results = Map::new();
        for o in &jobs {
            results.insert(format!("size_{}", o.spec.block_size), self.job(o));
        }
        let largest = jobs
            .iter()
            .max_by_key(|o| o.spec.block_size)
            .expect("not empty");
        let mbps = (largest.stats.read.bytes + largest.stats.write.bytes) as f64
            / largest.window.as_secs_f64()
            / 1_048_576.0;
        let mut recs = Vec::new();
        if mbps < min_mbps {
            recs.push(rec(rule, format!("sequential {what} of {} B blocks reaches {mbps:.1} MiB/s (below {min_mbps} MiB/s)", largest.spec.block_size)));
        }
        json!({ "results": results, "mbps": mbps, "recommendations": recs })
    }

    fn iops(&self) -> Value {
        let reads: Vec<&JobOutcome> = self.find(Pattern::RandRead).collect();
        let writes: Vec<&JobOutcome> = self.find(Pattern::RandWrite).collect();
        if reads.is_empty() && writes.is_empty() {
            return skipped("no random read or write job was requested");
        }
        // The headline is the lowest queue depth run (QD 1 in the suite, rule S6).
        let head_r = reads.iter().min_by_key(|o| o.spec.queue_depth);
        let head_w = writes.iter().min_by_key(|o| o.spec.queue_depth);
        let head = head_r.or(head_w).expect("one exists");
        let mut by_qd = Map::new();
        for o in reads.iter().chain(&writes) {
            let e = by_qd
                .entry(format!("qd_{}", o.spec.queue_depth))
                .or_insert_with(|| json!({ "readIOPS": null, "writeIOPS": null }));
            if o.spec.pattern == Pattern::RandRead {
                e["readIOPS"] = json!(o.read_iops());
                e["read"] = self.job(o);
            } else {
                e["writeIOPS"] = json!(o.write_iops());
                e["write"] = self.job(o);
            }
        }
        let mut recs = Vec::new();
        let read_iops = head_r.map(|o| o.read_iops());
        let write_iops = head_w.map(|o| o.write_iops());
        let rule = rules::RAND_READ_MIN_IOPS;
        if let Some(r) = read_iops.filter(|r| *r < rule.limit) {
            recs.push(rec(
                rule,
                format!(
                    "random 4 KiB read IOPS at QD {} is {r:.0} (below {})",
                    head.spec.queue_depth, rule.limit
                ),
            ));
        }
        let rule = rules::RAND_WRITE_MIN_IOPS;
        if let Some(w) = write_iops.filter(|w| *w < rule.limit) {
            recs.push(rec(
                rule,
                format!(
                    "random write IOPS at QD {} is {w:.0} (below {})",
                    head.spec.queue_depth, rule.limit
                ),
            ));
        }
        for o in reads.iter().chain(&writes) {
            let achieved = o.achieved_queue_depth();
            if o.spec.queue_depth > 1
                && achieved < rules::QD_MIN_ACHIEVED_SHARE.limit * f64::from(o.spec.queue_depth)
            {
                recs.push(rec(rules::QD_MIN_ACHIEVED_SHARE, format!("{}: only {achieved:.1} of {} I/Os were in flight on average (the submitter, not the device, limited this job)", o.spec.label(), o.spec.queue_depth)));
            }
        }
        if let (Some(lo), Some(hi)) = (
            reads.iter().min_by_key(|o| o.spec.queue_depth),
            reads.iter().max_by_key(|o| o.spec.queue_depth),
        ) {
            if f64::from(hi.spec.queue_depth) >= rules::QD_SATURATION_MIN_DEPTH.limit
                && hi.read_iops() < rules::QD_SATURATION_MIN_GAIN.limit * lo.read_iops()
            {
                recs.push(rec(rules::QD_SATURATION_MIN_GAIN, format!("random read IOPS barely grow from QD {} ({:.0}) to QD {} ({:.0}): the device saturates at low queue depth", lo.spec.queue_depth, lo.read_iops(), hi.spec.queue_depth, hi.read_iops())));
            }
        }
        json!({
            "readIOPS": read_iops,
            "writeIOPS": write_iops,
            "queueDepth": head.spec.queue_depth,
            "numJobs": head.spec.num_jobs,
            "blockSize": head.spec.block_size,
            "direct": self.direct,
            "engine": self.engine.name(),
            "latency": {
                "read": head_r.and_then(|o| o.stats.read.latency.summary()),
                "write": head_w.and_then(|o| o.stats.write.latency.summary()),
            },
            "byQueueDepth": by_qd,
            "recommendations": recs,
        })
    }
}

/// MemTotal in bytes (0 when unknown).
fn total_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
