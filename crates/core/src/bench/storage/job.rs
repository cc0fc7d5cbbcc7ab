//! What one storage job is (fio's vocabulary: pattern, block size, queue depth, jobs,
//! rwmixread, ramp and runtime) and what it measured. The engines in [`super::engine`]
//! fill [`WorkerStats`]; [`JobOutcome`] merges them and turns counts into rates over the
//! measured window only (ramp excluded, rule S6).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::bench::latency::{LatencyRecorder, LatencySummary};
use crate::bench::rng::Rng;

/// Interval of the per-interval IOPS statistics (fio samples bandwidth every 500 ms).
pub const INTERVAL: Duration = Duration::from_millis(500);

/// fio's `rw=` patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    /// Sequential reads.
    Read,
    /// Sequential writes.
    Write,
    /// Uniformly random reads.
    RandRead,
    /// Uniformly random writes.
    RandWrite,
    /// Random reads and writes, `rwmixread` % reads.
    RandRw,
}

impl Pattern {
    /// The JS/fio name.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Read => "read",
            Pattern::Write => "write",
            Pattern::RandRead => "randread",
            Pattern::RandWrite => "randwrite",
            Pattern::RandRw => "randrw",
        }
    }

    /// From the JS/fio name.
    pub fn parse(s: &str) -> Option<Pattern> {
        [
            Pattern::Read,
            Pattern::Write,
            Pattern::RandRead,
            Pattern::RandWrite,
            Pattern::RandRw,
        ]
        .into_iter()
        .find(|p| p.name() == s)
    }

    /// True for random offsets.
    pub fn is_random(self) -> bool {
        matches!(
            self,
            Pattern::RandRead | Pattern::RandWrite | Pattern::RandRw
        )
    }
}

/// I/O engine: io_uring (asynchronous, one ring per job) or psync (one thread per
/// outstanding I/O, each doing pread/pwrite; fio's `psync` with `numjobs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EngineKind {
    /// io_uring.
    #[serde(rename = "io_uring")]
    IoUring,
    /// pread/pwrite threads.
    #[serde(rename = "psync")]
    Psync,
}

impl EngineKind {
    /// The fio `--ioengine` name.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::IoUring => "io_uring",
            EngineKind::Psync => "psync",
        }
    }
}

/// One job to run.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// Access pattern.
    pub pattern: Pattern,
    /// Bytes per I/O.
    pub block_size: u64,
    /// Outstanding I/Os per job.
    pub queue_depth: u32,
    /// Independent workers, each on its own region of the file.
    pub num_jobs: u32,
    /// Percentage of reads for `randrw`.
    pub rwmixread: u32,
    /// Time run before measuring.
    pub ramp: Duration,
    /// Measured time.
    pub duration: Duration,
}

impl JobSpec {
    /// A short label, e.g. `randread bs=4096 qd=32`.
    pub fn label(&self) -> String {
        format!(
            "{} bs={} qd={}",
            self.pattern.name(),
            self.block_size,
            self.queue_depth
        )
    }
}

/// Offsets of one worker inside its region.
#[derive(Debug, Clone)]
pub struct Offsets {
    start: u64,
    blocks: u64,
    block_size: u64,
    next: u64,
    random: bool,
}

impl Offsets {
    /// Region `index` of `count` equal, block-aligned regions of a `file_size` file;
    /// sequential workers start at different points so that they do not read in lockstep.
    pub fn region(
        file_size: u64,
        count: u64,
        index: u64,
        block_size: u64,
        random: bool,
        phase: u64,
    ) -> Offsets {
        let blocks = (file_size / count / block_size).max(1);
        Offsets {
            start: index * blocks * block_size,
            blocks,
            block_size,
            next: phase % blocks,
            random,
        }
    }

    /// The next offset.
    pub fn next(&mut self, rng: &mut Rng) -> u64 {
        let block = if self.random {
            rng.below(self.blocks)
        } else {
            let b = self.next;
            self.next = (self.next + 1) % self.blocks;
            b
        };
        self.start + block * self.block_size
    }
}

/// The measured window shared by every worker of a job.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// End of the ramp.
    pub start: Instant,
    /// End of the measurement.
    pub end: Instant,
}

impl Window {
    /// True when `t` falls in the window.
    pub fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }

    /// `t` clamped into the window.
    pub fn clip(&self, t: Instant) -> Instant {
        t.clamp(self.start, self.end)
    }
}

/// Completions of one direction.
#[derive(Debug, Clone, Default)]
pub struct DirCounts {
    /// Completed I/Os in the window.
    pub ops: u64,
    /// Bytes they moved.
    pub bytes: u64,
    /// Completion latency (submission → completion, fio's clat).
    pub latency: LatencyRecorder,
}

impl DirCounts {
    fn merge(&mut self, o: &DirCounts) {
        self.ops += o.ops;
        self.bytes += o.bytes;
        self.latency.merge(&o.latency);
    }
}

/// What one worker thread measured.
#[derive(Debug, Clone, Default)]
pub struct WorkerStats {
    /// Reads.
    pub read: DirCounts,
    /// Writes.
    pub write: DirCounts,
    /// ∫ in-flight I/Os dt over the window, in ns (divided by the window: achieved QD).
    pub inflight_ns: f64,
    /// Failed or short I/Os (all, ramp included).
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Completions per 500 ms interval of the window.
    pub intervals: Vec<u64>,
}

impl WorkerStats {
    /// Counts a completion at `done` that took `latency`.
    pub fn complete(
        &mut self,
        w: &Window,
        done: Instant,
        latency: Duration,
        read: bool,
        bytes: u64,
    ) {
        if !w.contains(done) {
            return;
        }
        let d = if read {
            &mut self.read
        } else {
            &mut self.write
        };
        d.ops += 1;
        d.bytes += bytes;
        d.latency.record(latency);
        let slot = ((done - w.start).as_nanos() / INTERVAL.as_nanos()) as usize;
        if self.intervals.len() <= slot {
            self.intervals.resize(slot + 1, 0);
        }
        self.intervals[slot] += 1;
    }

    /// Counts a failure.
    pub fn fail(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }

    /// Adds another worker's figures.
    pub fn merge(&mut self, o: &WorkerStats) {
        self.read.merge(&o.read);
        self.write.merge(&o.write);
        self.inflight_ns += o.inflight_ns;
        self.errors += o.errors;
        if self.first_error.is_none() {
            self.first_error.clone_from(&o.first_error);
        }
        if self.intervals.len() < o.intervals.len() {
            self.intervals.resize(o.intervals.len(), 0);
        }
        for (a, b) in self.intervals.iter_mut().zip(&o.intervals) {
            *a += b;
        }
    }
}

/// A finished job.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// What ran.
    pub spec: JobSpec,
    /// The engine that ran it.
    pub engine: EngineKind,
    /// Measured window length.
    pub window: Duration,
    /// Merged worker figures.
    pub stats: WorkerStats,
}

/// One direction (read or write) of a job.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirReport {
    /// Completed I/Os per second.
    pub iops: f64,
    /// Bytes per second.
    pub bytes_per_second: f64,
    /// MiB/s.
    pub mbps: f64,
    /// Completed I/Os.
    pub operations: u64,
    /// Bytes moved.
    pub bytes: u64,
    /// Completion latencies, ms.
    pub latency: Option<LatencySummary>,
}

impl DirReport {
    fn of(d: &DirCounts, secs: f64) -> DirReport {
        let bps = d.bytes as f64 / secs;
        DirReport {
            iops: d.ops as f64 / secs,
            bytes_per_second: bps,
            mbps: bps / 1_048_576.0,
            operations: d.ops,
            bytes: d.bytes,
            latency: d.latency.summary(),
        }
    }
}

/// The contract's ThroughputStats of a job (no per-operation records: `truncated`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobThroughput {
    /// Completed I/Os per second.
    pub operations_per_second: f64,
    /// Completed I/Os.
    pub total_operations: u64,
    /// Window, ms.
    pub total_time: f64,
    /// Window per I/O, ms.
    pub avg_operation_time: Option<f64>,
    /// Always empty: I/Os are not recorded one by one.
    pub operations: [u8; 0],
    /// True when I/Os completed (and were not recorded).
    pub truncated: bool,
}

/// IOPS per interval of [`INTERVAL`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntervalStats {
    /// Interval, ms.
    pub period_ms: u64,
    /// Whole intervals in the window.
    pub samples: usize,
    /// Lowest IOPS.
    pub iops_min: f64,
    /// Highest IOPS.
    pub iops_max: f64,
    /// Mean IOPS.
    pub iops_mean: f64,
    /// Standard deviation of IOPS.
    pub iops_stddev: f64,
}

/// Errors of a job.
#[derive(Debug, Clone, Serialize)]
pub struct JobErrors {
    /// Failed I/Os.
    pub count: u64,
    /// The first failure.
    pub first: Option<String>,
}

/// The JS result of one job.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    /// fio pattern.
    pub pattern: &'static str,
    /// Block size, bytes.
    pub block_size: u64,
    /// Asked queue depth.
    pub queue_depth: u32,
    /// Mean I/Os in flight.
    pub achieved_queue_depth: f64,
    /// Workers.
    pub num_jobs: u32,
    /// Engine.
    pub engine: &'static str,
    /// O_DIRECT in effect.
    pub direct: bool,
    /// Test file size, bytes.
    pub file_size: u64,
    /// Ramp, ms.
    pub ramp_time_ms: f64,
    /// Measured window, ms.
    pub duration_ms: f64,
    /// Completed I/Os per second.
    pub iops: f64,
    /// Bytes per second.
    pub bytes_per_second: f64,
    /// MiB/s.
    pub mbps: f64,
    /// All completions' latencies, ms.
    pub latency: Option<LatencySummary>,
    /// ThroughputStats.
    pub throughput: JobThroughput,
    /// Per-interval IOPS (null when the window held no whole interval).
    pub intervals: Option<IntervalStats>,
    /// Errors.
    pub errors: JobErrors,
    /// Reads (jobs that read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<DirReport>,
    /// Writes (jobs that write).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<DirReport>,
    /// Reads in % (randrw only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rwmixread: Option<u32>,
}

impl JobOutcome {
    /// Achieved queue depth: mean number of I/Os in flight over the window (rule S8).
    pub fn achieved_queue_depth(&self) -> f64 {
        self.stats.inflight_ns / self.window.as_nanos().max(1) as f64
    }

    /// Read IOPS over the window.
    pub fn read_iops(&self) -> f64 {
        self.stats.read.ops as f64 / self.window.as_secs_f64()
    }

    /// Write IOPS over the window.
    pub fn write_iops(&self) -> f64 {
        self.stats.write.ops as f64 / self.window.as_secs_f64()
    }

    /// Latency of all completions.
    pub fn latency(&self) -> LatencyRecorder {
        let mut all = self.stats.read.latency.clone();
        all.merge(&self.stats.write.latency);
        all
    }

    /// The JS result of the job; the contract's `latency`, `throughput` and `mbps` next to
    /// fio-style `read`/`write` figures and the conditions of the measurement.
    pub fn report(&self, direct: bool, file_size: u64) -> JobReport {
        let secs = self.window.as_secs_f64();
        let s = &self.stats;
        let ops = s.read.ops + s.write.ops;
        let bytes = s.read.bytes + s.write.bytes;
        let bps = bytes as f64 / secs;
        let full: Vec<u64> = s
            .intervals
            .iter()
            .copied()
            .take((secs / INTERVAL.as_secs_f64()).floor() as usize)
            .collect();
        let per_s: Vec<f64> = full
            .iter()
            .map(|&c| c as f64 / INTERVAL.as_secs_f64())
            .collect();
        let reads = matches!(
            self.spec.pattern,
            Pattern::Read | Pattern::RandRead | Pattern::RandRw
        );
        let writes = matches!(
            self.spec.pattern,
            Pattern::Write | Pattern::RandWrite | Pattern::RandRw
        );
        JobReport {
            pattern: self.spec.pattern.name(),
            block_size: self.spec.block_size,
            queue_depth: self.spec.queue_depth,
            achieved_queue_depth: self.achieved_queue_depth(),
            num_jobs: self.spec.num_jobs,
            engine: self.engine.name(),
            direct,
            file_size,
            ramp_time_ms: self.spec.ramp.as_secs_f64() * 1e3,
            duration_ms: secs * 1e3,
            iops: ops as f64 / secs,
            bytes_per_second: bps,
            mbps: bps / 1_048_576.0,
            latency: self.latency().summary(),
            throughput: JobThroughput {
                operations_per_second: ops as f64 / secs,
                total_operations: ops,
                total_time: secs * 1e3,
                avg_operation_time: (ops > 0).then(|| secs * 1e3 / ops as f64),
                operations: [],
                truncated: ops > 0,
            },
            intervals: interval_stats(&per_s),
            errors: JobErrors {
                count: s.errors,
                first: s.first_error.clone(),
            },
            read: (s.read.ops > 0 || reads).then(|| DirReport::of(&s.read, secs)),
            write: (s.write.ops > 0 || writes).then(|| DirReport::of(&s.write, secs)),
            rwmixread: (self.spec.pattern == Pattern::RandRw).then_some(self.spec.rwmixread),
        }
    }
}

fn interval_stats(per_s: &[f64]) -> Option<IntervalStats> {
    if per_s.is_empty() {
        return None;
    }
    let n = per_s.len() as f64;
    let mean = per_s.iter().sum::<f64>() / n;
    let var = per_s.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    Some(IntervalStats {
        period_ms: INTERVAL.as_millis() as u64,
        samples: per_s.len(),
        iops_min: per_s.iter().copied().fold(f64::INFINITY, f64::min),
        iops_max: per_s.iter().copied().fold(0.0, f64::max),
        iops_mean: mean,
        iops_stddev: var.sqrt(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_do_not_overlap_and_sequential_wraps() {
        let mut rng = Rng::new(3);
        let mut a = Offsets::region(8 << 20, 2, 0, 1 << 20, false, 0);
        let mut b = Offsets::region(8 << 20, 2, 1, 1 << 20, true, 0);
        let seq: Vec<u64> = (0..5).map(|_| a.next(&mut rng) >> 20).collect();
        assert_eq!(seq, vec![0, 1, 2, 3, 0]);
        for _ in 0..100 {
            let o = b.next(&mut rng);
            assert!((4 << 20..8 << 20).contains(&o) && o.is_multiple_of(1 << 20));
        }
    }

    #[test]
    fn only_completions_inside_the_window_count() {
        let t0 = Instant::now();
        let w = Window {
            start: t0 + Duration::from_millis(100),
            end: t0 + Duration::from_millis(1100),
        };
        let mut s = WorkerStats::default();
        s.complete(
            &w,
            t0 + Duration::from_millis(50),
            Duration::from_micros(10),
            true,
            4096,
        );
        s.complete(
            &w,
            t0 + Duration::from_millis(700),
            Duration::from_micros(10),
            true,
            4096,
        );
        s.complete(
            &w,
            t0 + Duration::from_millis(1200),
            Duration::from_micros(10),
            false,
            4096,
        );
        assert_eq!((s.read.ops, s.write.ops), (1, 0));
        assert_eq!(s.intervals, vec![0, 1]);
        let job = JobOutcome {
            spec: JobSpec {
                pattern: Pattern::RandRead,
                block_size: 4096,
                queue_depth: 1,
                num_jobs: 1,
                rwmixread: 100,
                ramp: Duration::ZERO,
                duration: Duration::from_secs(1),
            },
            engine: EngineKind::Psync,
            window: Duration::from_secs(1),
            stats: s,
        };
        let v = job.report(true, 1 << 20);
        assert_eq!(v.iops, 1.0);
        assert_eq!(v.mbps, 4096.0 / 1_048_576.0);
    }
}
