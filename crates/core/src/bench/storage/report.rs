//! The contract's `storagePerformance` (api-spec §4.5) from measured jobs: sequential
//! results under `readPerformance`/`writePerformance.results.size_<bytes>`, 4 KiB random
//! IOPS under `iopsPerformance` (QD 1 as the headline, every depth in `byQueueDepth`),
//! and recommendations from [`crate::bench::rules`], computed from these numbers only.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fsync::FsyncReport;
use super::job::{EngineKind, JobOutcome, JobReport, Pattern};
use super::target::TargetInfo;
use crate::bench::latency::LatencySummary;
use crate::bench::rules::{self, Recommendation};
use crate::bench::Outcome;

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
    pub fsync: Option<FsyncReport>,
}

/// `results.storagePerformance`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoragePerformance {
    /// Sequential reads.
    pub read_performance: Outcome<Sequential>,
    /// Sequential writes.
    pub write_performance: Outcome<Sequential>,
    /// Random I/O.
    pub iops_performance: Outcome<Iops>,
    /// fsync latency (suite only).
    pub fsync_latency: Outcome<FsyncReport>,
    /// How every figure was measured.
    pub conditions: Conditions,
    /// About the conditions.
    pub recommendations: Vec<Recommendation>,
}

/// `results.ioMixedWorkload`.
#[derive(Debug, Clone, Serialize)]
pub struct MixedReport {
    /// The randrw job.
    #[serde(flatten)]
    pub job: JobReport,
    /// The mix in words.
    pub description: String,
    /// From the mixed-workload rules.
    pub recommendations: Vec<Recommendation>,
}

/// Sequential jobs by block size.
#[derive(Debug, Clone, Serialize)]
pub struct Sequential {
    /// `size_<bytes>` → job.
    pub results: BTreeMap<String, JobReport>,
    /// MiB/s of the largest block size.
    pub mbps: f64,
    /// From the sequential rules.
    pub recommendations: Vec<Recommendation>,
}

/// Random jobs: headline at the lowest queue depth, every depth in `byQueueDepth`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Iops {
    /// Random read IOPS at the headline depth.
    #[serde(rename = "readIOPS")]
    pub read_iops: Option<f64>,
    /// Random write IOPS at the headline depth.
    #[serde(rename = "writeIOPS")]
    pub write_iops: Option<f64>,
    /// Headline queue depth.
    pub queue_depth: u32,
    /// Workers.
    pub num_jobs: u32,
    /// Block size, bytes.
    pub block_size: u64,
    /// O_DIRECT in effect.
    pub direct: bool,
    /// Engine.
    pub engine: &'static str,
    /// Headline latencies, ms.
    pub latency: ReadWriteLatency,
    /// `qd_<n>` → that depth's jobs.
    pub by_queue_depth: BTreeMap<String, DepthEntry>,
    /// From the IOPS and queue-depth rules.
    pub recommendations: Vec<Recommendation>,
}

/// Read and write latencies.
#[derive(Debug, Clone, Serialize)]
pub struct ReadWriteLatency {
    /// Reads, ms.
    pub read: Option<LatencySummary>,
    /// Writes, ms.
    pub write: Option<LatencySummary>,
}

/// The random jobs of one queue depth.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DepthEntry {
    /// Read IOPS (null without a read job).
    #[serde(rename = "readIOPS")]
    pub read_iops: Option<f64>,
    /// Write IOPS (null without a write job).
    #[serde(rename = "writeIOPS")]
    pub write_iops: Option<f64>,
    /// The randread job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<JobReport>,
    /// The randwrite job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<JobReport>,
}

/// How the storage figures were measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conditions {
    /// The folder.
    pub target: TargetInfo,
    /// Test file size, bytes.
    pub file_size: u64,
    /// O_DIRECT in effect.
    pub direct: bool,
    /// Why O_DIRECT is off.
    pub direct_reason: Option<String>,
    /// True when reads may have come from the page cache.
    pub page_cache_possible: bool,
    /// Engine.
    pub engine: &'static str,
    /// Why that engine.
    pub engine_reason: Option<String>,
    /// How the file was written first.
    pub preconditioning: Preconditioning,
    /// Which latency is reported.
    pub latency_kind: &'static str,
}

/// How the test file was written before the jobs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preconditioning {
    /// What was written.
    pub written: &'static str,
    /// How long it took, ms.
    pub duration_ms: f64,
}

impl StorageReport {
    fn find(&self, p: Pattern) -> impl Iterator<Item = &JobOutcome> {
        self.outcomes.iter().filter(move |o| o.spec.pattern == p)
    }

    fn job(&self, o: &JobOutcome) -> JobReport {
        o.report(self.direct, self.file_size)
    }

    /// Conditions every figure was measured under.
    pub fn conditions(&self) -> Conditions {
        Conditions {
            target: self.target.clone(),
            file_size: self.file_size,
            direct: self.direct,
            direct_reason: self.direct_reason.clone(),
            page_cache_possible: !self.direct && self.file_size < 2 * total_memory(),
            engine: self.engine.name(),
            engine_reason: self.engine_reason.clone(),
            preconditioning: Preconditioning {
                written: "whole file, random data, then fsync and POSIX_FADV_DONTNEED",
                duration_ms: self.prepare_ms,
            },
            latency_kind: "clat (submission to completion)",
        }
    }

    /// `storagePerformance` and the mixed job (`ioMixedWorkload`).
    pub fn report(&self) -> (StoragePerformance, Outcome<MixedReport>) {
        let mut general = Vec::new();
        if !self.direct {
            general.push(rules::STORAGE_NOT_DIRECT.recommend(format!(
                "O_DIRECT was off ({}); reads may have been served from the page cache",
                self.direct_reason.as_deref().unwrap_or("unknown reason")
            )));
        }
        if let Some(w) = &self.target.warning {
            general.push(
                rules::STORAGE_MEMORY_BACKED
                    .recommend(format!("{w}; point storage.directory at the disk to size")),
            );
        }
        let perf = StoragePerformance {
            read_performance: self.sequential(Pattern::Read, rules::SEQ_READ_MIN_MBPS, "read"),
            write_performance: self.sequential(Pattern::Write, rules::SEQ_WRITE_MIN_MBPS, "write"),
            iops_performance: self.iops(),
            fsync_latency: self.fsync.clone().map_or_else(
                || Outcome::skipped("fsync latency runs in the default suite only"),
                Outcome::Done,
            ),
            conditions: self.conditions(),
            recommendations: general,
        };
        (perf, self.mixed())
    }

    fn mixed(&self) -> Outcome<MixedReport> {
        let Some(o) = self.find(Pattern::RandRw).next() else {
            return Outcome::skipped(
                "the mixed job was not requested (storage.pattern selects one job)",
            );
        };
        let job = self.job(o);
        let mut recs = Vec::new();
        let ops = o.read_iops() + o.write_iops();
        if ops < rules::MIXED_MIN_OPS.limit {
            recs.push(rules::MIXED_MIN_OPS.recommend(format!(
                "mixed 70/30 workload completes only {ops:.1} ops/s"
            )));
        }
        if let Some(avg) = job
            .latency
            .as_ref()
            .map(|l| l.avg)
            .filter(|a| *a > rules::MIXED_MAX_AVG_MS.limit)
        {
            recs.push(
                rules::MIXED_MAX_AVG_MS
                    .recommend(format!("mixed workload average latency is {avg:.1} ms")),
            );
        }
        Outcome::Done(MixedReport {
            description: format!(
                "{}% random reads / {}% random writes, {} B blocks",
                o.spec.rwmixread,
                100 - o.spec.rwmixread,
                o.spec.block_size
            ),
            job,
            recommendations: recs,
        })
    }

    fn sequential(&self, p: Pattern, rule: rules::Rule, what: &str) -> Outcome<Sequential> {
        let jobs: Vec<&JobOutcome> = self.find(p).collect();
        let Some(largest) = jobs.iter().max_by_key(|o| o.spec.block_size) else {
            return Outcome::skipped(format!("no sequential {what} job was requested"));
        };
        let results = jobs
            .iter()
            .map(|o| (format!("size_{}", o.spec.block_size), self.job(o)))
            .collect();
        let mbps = (largest.stats.read.bytes + largest.stats.write.bytes) as f64
            / largest.window.as_secs_f64()
            / 1_048_576.0;
        let mut recs = Vec::new();
        if mbps < rule.limit {
            recs.push(rule.recommend(format!(
                "sequential {what} of {} B blocks reaches {mbps:.1} MiB/s (below {} MiB/s)",
                largest.spec.block_size, rule.limit
            )));
        }
        Outcome::Done(Sequential {
            results,
            mbps,
            recommendations: recs,
        })
    }

    fn iops(&self) -> Outcome<Iops> {
        let reads: Vec<&JobOutcome> = self.find(Pattern::RandRead).collect();
        let writes: Vec<&JobOutcome> = self.find(Pattern::RandWrite).collect();
        // The headline is the lowest queue depth run (QD 1 in the suite, rule S6).
        let head_r = reads.iter().min_by_key(|o| o.spec.queue_depth);
        let head_w = writes.iter().min_by_key(|o| o.spec.queue_depth);
        let Some(head) = head_r.or(head_w) else {
            return Outcome::skipped("no random read or write job was requested");
        };
        let mut by_qd: BTreeMap<String, DepthEntry> = BTreeMap::new();
        for o in reads.iter().chain(&writes) {
            let e = by_qd
                .entry(format!("qd_{}", o.spec.queue_depth))
                .or_default();
            if o.spec.pattern == Pattern::RandRead {
                e.read_iops = Some(o.read_iops());
                e.read = Some(self.job(o));
            } else {
                e.write_iops = Some(o.write_iops());
                e.write = Some(self.job(o));
            }
        }
        let mut recs = Vec::new();
        let read_iops = head_r.map(|o| o.read_iops());
        let write_iops = head_w.map(|o| o.write_iops());
        let rule = rules::RAND_READ_MIN_IOPS;
        if let Some(r) = read_iops.filter(|r| *r < rule.limit) {
            recs.push(rule.recommend(format!(
                "random 4 KiB read IOPS at QD {} is {r:.0} (below {})",
                head.spec.queue_depth, rule.limit
            )));
        }
        let rule = rules::RAND_WRITE_MIN_IOPS;
        if let Some(w) = write_iops.filter(|w| *w < rule.limit) {
            recs.push(rule.recommend(format!(
                "random write IOPS at QD {} is {w:.0} (below {})",
                head.spec.queue_depth, rule.limit
            )));
        }
        let rule = rules::QD_MIN_ACHIEVED_SHARE;
        for o in reads.iter().chain(&writes) {
            let achieved = o.achieved_queue_depth();
            if o.spec.queue_depth > 1 && achieved < rule.limit * f64::from(o.spec.queue_depth) {
                recs.push(rule.recommend(format!("{}: only {achieved:.1} of {} I/Os were in flight on average (the submitter, not the device, limited this job)", o.spec.label(), o.spec.queue_depth)));
            }
        }
        if let (Some(lo), Some(hi)) = (head_r, reads.iter().max_by_key(|o| o.spec.queue_depth)) {
            if f64::from(hi.spec.queue_depth) >= rules::QD_SATURATION_MIN_DEPTH.limit
                && hi.read_iops() < rules::QD_SATURATION_MIN_GAIN.limit * lo.read_iops()
            {
                recs.push(rules::QD_SATURATION_MIN_GAIN.recommend(format!("random read IOPS barely grow from QD {} ({:.0}) to QD {} ({:.0}): the device saturates at low queue depth", lo.spec.queue_depth, lo.read_iops(), hi.spec.queue_depth, hi.read_iops())));
            }
        }
        Outcome::Done(Iops {
            read_iops,
            write_iops,
            queue_depth: head.spec.queue_depth,
            num_jobs: head.spec.num_jobs,
            block_size: head.spec.block_size,
            direct: self.direct,
            engine: self.engine.name(),
            latency: ReadWriteLatency {
                read: head_r.and_then(|o| o.stats.read.latency.summary()),
                write: head_w.and_then(|o| o.stats.write.latency.summary()),
            },
            by_queue_depth: by_qd,
            recommendations: recs,
        })
    }
}

/// MemTotal in bytes (0 when unknown).
fn total_memory() -> u64 {
    crate::host::meminfo::read().get("MemTotal").unwrap_or(0)
}
