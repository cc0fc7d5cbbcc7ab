//! fsync latency: a buffered 4 KiB write followed by `fsync`, repeated (fio
//! `rw=write bs=4k fsync=1`, the pattern of a database commit). The time of each `fsync`
//! call is the latency reported; the durability point is "fsync after every write" (S5).

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::file::{AlignedBuf, TestFile};
use super::job::Window;
use crate::bench::control::RunControl;
use crate::bench::latency::{LatencyRecorder, LatencySummary};
use crate::bench::rng::Rng;
use crate::bench::{BenchError, BenchResult};

/// Bytes written before each fsync.
pub const FSYNC_BLOCK: u64 = 4096;

/// Runs the fsync job on `file` (through a second, buffered descriptor).
pub fn run_fsync(
    file: &TestFile,
    ramp: Duration,
    duration: Duration,
    ctl: &RunControl,
) -> BenchResult<FsyncReport> {
    let f = OpenOptions::new()
        .write(true)
        .open(file.path())
        .map_err(|e| {
            BenchError::Io(format!("storage: fsync job cannot open the test file: {e}"))
        })?;
    let mut rng = Rng::from_clock(0xF5);
    let mut buf = AlignedBuf::random(FSYNC_BLOCK as usize, &mut rng);
    let blocks = (file.size / FSYNC_BLOCK).max(1);
    let t0 = Instant::now();
    let w = Window {
        start: t0 + ramp,
        end: t0 + ramp + duration,
    };
    let mut sync_lat = LatencyRecorder::new();
    let mut write_lat = LatencyRecorder::new();
    let mut n = 0u64;
    while Instant::now() < w.end {
        ctl.check()?;
        buf.stamp(n);
        let off = (n % blocks) * FSYNC_BLOCK;
        n += 1;
        let a = Instant::now();
        f.write_all_at(buf.as_slice(), off).map_err(|e| {
            BenchError::Io(format!(
                "storage: fsync job write at offset {off} failed: {e}"
            ))
        })?;
        let b = Instant::now();
        f.sync_all()
            .map_err(|e| BenchError::Io(format!("storage: fsync failed: {e}")))?;
        let c = Instant::now();
        if w.contains(c) {
            write_lat.record(b - a);
            sync_lat.record(c - b);
        }
    }
    let secs = duration.as_secs_f64();
    Ok(FsyncReport {
        latency: sync_lat.summary(),
        write_latency: write_lat.summary(),
        operations_per_second: sync_lat.len() as f64 / secs,
        total_operations: sync_lat.len(),
        block_size: FSYNC_BLOCK,
        sync: "fsync after every write",
        direct: false,
        ramp_time_ms: ramp.as_secs_f64() * 1e3,
        duration_ms: secs * 1e3,
    })
}

/// `storagePerformance.fsyncLatency`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FsyncReport {
    /// fsync call times, ms.
    pub latency: Option<LatencySummary>,
    /// Write call times, ms.
    pub write_latency: Option<LatencySummary>,
    /// fsyncs per second.
    pub operations_per_second: f64,
    /// fsyncs in the window.
    pub total_operations: u64,
    /// Bytes written before each fsync.
    pub block_size: u64,
    /// The durability point.
    pub sync: &'static str,
    /// Always false: buffered writes.
    pub direct: bool,
    /// Ramp, ms.
    pub ramp_time_ms: f64,
    /// Window, ms.
    pub duration_ms: f64,
}
