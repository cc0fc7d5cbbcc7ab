//! What one storage job is (fio's vocabulary: pattern, block size, queue depth, jobs,
//! rwmixread, ramp and runtime) and what it measured. The engines in [`super::engine`]
//! fill [`WorkerStats`]; [`JobOutcome`] merges them and turns counts into rates over the
//! measured window only (ramp excluded, rule S6).

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::bench::latency::LatencyRecorder;
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

fn dir_json(d: &DirCounts, secs: f64) -> Value {
    let bps = d.bytes as f64 / secs;
    json!({
        "iops": d.ops as f64 / secs,
        "bytesPerSecond": bps,
        "mbps": bps / 1_048_576.0,
        "operations": d.ops,
        "bytes": d.bytes,
        "latency": d.latency.summary(),
    })
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
    pub fn to_json(&self, direct: bool, file_size: u64) -> Value {
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
        let mut out = json!({
            "pattern": self.spec.pattern.name(),
            "blockSize": self.spec.block_size,
            "queueDepth": self.spec.queue_depth,
            "achievedQueueDepth": self.achieved_queue_depth(),
            "numJobs": self.spec.num_jobs,
            "engine": self.engine.name(),
            "direct": direct,
            "fileSize": file_size,
            "rampTimeMs": self.spec.ramp.as_secs_f64() * 1e3,
            "durationMs": secs * 1e3,
            "iops": ops as f64 / secs,
            "bytesPerSecond": bps,
            "mbps": bps / 1_048_576.0,
            "latency": self.latency().summary(),
            "throughput": {
                "operationsPerSecond": ops as f64 / secs,
                "totalOperations": ops,
                "totalTime": secs * 1e3,
                "avgOperationTime": if ops > 0 { Some(secs * 1e3 / ops as f64) } else { None },
                "operations": [],
                "truncated": ops > 0,
            },
            "intervals": interval_stats(&per_s),
            "errors": { "count": s.errors, "first": s.first_error },
        });
        if s.read.ops > 0
            || matches!(
                self.spec.pattern,
                Pattern::Read | Pattern::RandRead | Pattern::RandRw
            )
        {
            out["read"] = dir_json(&s.read, secs);
        }
        if s.write.ops > 0
            || matches!(
                self.spec.pattern,
                Pattern::Write | Pattern::RandWrite | Pattern::RandRw
            )
        {
            out["write"] = dir_json(&s.write, secs);
        }
        if self.spec.pattern == Pattern::RandRw {
            out["rwmixread"] = json!(self.spec.rwmixread);
        }
        out
    }
}

fn interval_stats(per_s: &[f64]) -> Value {
    if per_s.is_empty() {
        return Value::Null;
    }
    let n = per_s.len() as f64;
    let mean = per_s.iter().sum::<f64>() / n;
    let var = per_s.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    json!({
        "periodMs": INTERVAL.as_millis() as u64,
        "samples": per_s.len(),
        "iopsMin": per_s.iter().copied().fold(f64::INFINITY, f64::min),
        "iopsMax": per_s.iter().copied().fold(0.0, f64::max),
        "iopsMean": mean,
        "iopsStddev": var.sqrt(),
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
        let v = job.to_json(true, 1 << 20);
        assert_eq!(v["iops"], 1.0);
        assert_eq!(v["mbps"], 4096.0 / 1_048_576.0);
    }
}
