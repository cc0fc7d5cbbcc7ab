//! Storage I/O measured like fio: a fully written test file (O_DIRECT by default) in the
//! target folder, then jobs — sequential 1 MiB read and write, 4 KiB random read and
//! write at queue depths 1, 4, 16, 32, a 70/30 random mix and fsync latency — each with a
//! ramp that is excluded from the measured window.
//!
//! - [`target`]: the folder (file system type, device, logical block, free space).
//! - [`file`]: the test file and aligned buffers.
//! - [`job`]: job specifications and results.
//! - [`options`]: the `storage` options, their table and the job plan.
//! - [`engine`]: io_uring and psync workers.
//! - [`fsync`]: the fsync latency job.
//! - [`report`]: the contract's `storagePerformance` shape.

pub mod engine;
pub mod file;
pub mod fsync;
pub mod job;
pub mod options;
pub mod report;
pub mod target;

use std::path::PathBuf;
use std::time::Instant;

use self::engine::{io_uring_available, run_io_uring, run_psync, Worker};
use self::file::TestFile;
use self::job::{EngineKind, JobOutcome, JobSpec, Offsets, Pattern, Window, WorkerStats};
pub use self::options::{StorageInput, StorageOptions, FIELDS};
use self::target::TargetInfo;
use super::control::RunControl;
use super::rng::Rng;
use super::{BenchError, BenchResult};

/// Default test file size: 1 GiB.
pub const DEFAULT_FILE_SIZE: u64 = 1 << 30;
/// Default measured time per job.
pub const DEFAULT_DURATION_MS: u64 = 5_000;
/// Default ramp per job.
pub const DEFAULT_RAMP_MS: u64 = 1_000;
/// Queue depths of the default suite's random jobs.
pub const SUITE_QUEUE_DEPTHS: [u32; 4] = [1, 4, 16, 32];
/// Queue depth of the default suite's mixed job.
pub const MIXED_QUEUE_DEPTH: u32 = 16;
/// Block size of sequential jobs.
pub const SEQ_BLOCK: u64 = 1 << 20;
/// Block size of random jobs.
pub const RAND_BLOCK: u64 = 4096;
/// Speed assumed to plan (not to measure) how long writing the test file takes.
const PLAN_FILL_BYTES_PER_MS: f64 = 300_000.0;

/// Removes a folder the benchmark created, after everything in it was dropped.
#[derive(Debug)]
struct CreatedDir(Option<PathBuf>);

impl Drop for CreatedDir {
    fn drop(&mut self) {
        if let Some(d) = self.0.take() {
            let _ = std::fs::remove_dir(&d);
        }
    }
}

/// A checked target, ready to run; a folder the benchmark created is removed when this
/// (or the run that consumes it) is dropped.
#[derive(Debug)]
pub struct Prepared {
    /// The target folder.
    pub target: TargetInfo,
    /// File size used: the requested size rounded down to whole blocks per job.
    pub file_size: u64,
    /// Engine chosen.
    pub engine: EngineKind,
    /// Why this engine (when not the default io_uring).
    pub engine_reason: Option<String>,
    _dir: CreatedDir,
}

/// Checks the target against the options before any load: folder usable, block sizes
/// aligned to the logical block when O_DIRECT is asked, file size within the free space,
/// engine available.
pub fn preflight(opts: &StorageOptions) -> BenchResult<Prepared> {
    let target = match &opts.directory {
        Some(d) => target::inspect(d, "storage.directory", false)?,
        None => target::default_dir()?,
    };
    let dir = CreatedDir(target.created.then(|| target.directory.clone()));
    let jobs = opts.plan();
    let lb = target.logical_block_size;
    if opts.direct {
        for j in &jobs {
            if !j.block_size.is_multiple_of(lb) {
                return Err(BenchError::range(
                    "storage.blockSize",
                    j.block_size,
                    format!(
                        "a multiple of {lb} bytes, the logical block size of {} ({}) under {}, as O_DIRECT requires",
                        target.device.as_deref().unwrap_or("the device"),
                        target.logical_block_source,
                        target.directory.display()
                    ),
                ));
            }
        }
    }
    let max_bs = jobs
        .iter()
        .map(|j| j.block_size)
        .max()
        .unwrap_or(SEQ_BLOCK)
        .max(lb);
    let unit = max_bs * u64::from(opts.num_jobs);
    let size = opts.file_size / unit * unit;
    if size == 0 {
        return Err(BenchError::range(
            "storage.fileSize",
            opts.file_size,
            format!("at least {unit} bytes (the largest block size × numJobs)"),
        ));
    }
    if let Some(free) = target.free_bytes.filter(|free| size > *free) {
        return Err(BenchError::range(
            "storage.fileSize",
            opts.file_size,
            format!(
                "at most {free} bytes, the free space in {}",
                target.directory.display()
            ),
        ));
    }
    let (engine, engine_reason) = match (opts.engine, io_uring_available()) {
        (Some(EngineKind::IoUring), Err(why)) => {
            return Err(BenchError::range(
                "storage.engine",
                "\"io_uring\"",
                format!("'psync' (io_uring is unavailable here: {why})"),
            ));
        }
        (Some(e), _) => (e, Some("requested by storage.engine".to_owned())),
        (None, Ok(())) => (EngineKind::IoUring, None),
        (None, Err(why)) => (
            EngineKind::Psync,
            Some(format!("io_uring unavailable: {why}")),
        ),
    };
    Ok(Prepared {
        target,
        file_size: size,
        engine,
        engine_reason,
        _dir: dir,
    })
}

/// Runs the storage part on a prepared target.
pub fn run(
    opts: &StorageOptions,
    prepared: Prepared,
    ctl: &RunControl,
) -> BenchResult<report::StorageReport> {
    let size = prepared.file_size;
    let engine = prepared.engine;
    let target = &prepared.target;
    let file = TestFile::create(
        &target.directory,
        size,
        opts.direct,
        target.logical_block_size as usize,
    )?;
    ctl.phase("storage:prepare", size as f64 / PLAN_FILL_BYTES_PER_MS);
    let prepare_ms = file.precondition(ctl)?;
    let mut outcomes = Vec::new();
    for spec in opts.plan() {
        ctl.phase(
            format!("storage:{}", spec.label()),
            (spec.ramp + spec.duration).as_secs_f64() * 1e3,
        );
        if !file.direct
            && matches!(
                spec.pattern,
                Pattern::Read | Pattern::RandRead | Pattern::RandRw
            )
        {
            file.drop_cache();
        }
        outcomes.push(run_job(&file, &spec, engine, ctl)?);
    }
    let fsync = if opts.pattern.is_none() {
        ctl.phase(
            "storage:fsync",
            (opts.ramp + opts.duration).as_secs_f64() * 1e3,
        );
        Some(fsync::run_fsync(&file, opts.ramp, opts.duration, ctl)?)
    } else {
        None
    };
    let direct = file.direct;
    let direct_reason = file.direct_reason.clone();
    drop(file);
    Ok(report::StorageReport {
        target: prepared.target.clone(),
        file_size: size,
        direct,
        direct_reason,
        engine,
        engine_reason: prepared.engine_reason.clone(),
        prepare_ms,
        outcomes,
        fsync,
    })
}

/// Runs one job on `file` with every worker on its own thread; all threads are joined
/// before this returns.
pub fn run_job(
    file: &TestFile,
    spec: &JobSpec,
    engine: EngineKind,
    ctl: &RunControl,
) -> BenchResult<JobOutcome> {
    let threads_per_job = if engine == EngineKind::Psync {
        spec.queue_depth
    } else {
        1
    };
    let workers = u64::from(spec.num_jobs);
    let t0 = Instant::now();
    let window = Window {
        start: t0 + spec.ramp,
        end: t0 + spec.ramp + spec.duration,
    };
    let mut total = WorkerStats::default();
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for j in 0..workers {
            for t in 0..threads_per_job {
                let salt = j * 1024 + u64::from(t);
                let region_phase = u64::from(t) * 64;
                let w = Worker {
                    spec,
                    offsets: Offsets::region(
                        file.size,
                        workers,
                        j,
                        spec.block_size,
                        spec.pattern.is_random(),
                        region_phase,
                    ),
                    window,
                    rng: Rng::from_clock(salt + 1),
                    ctl,
                };
                let h = std::thread::Builder::new()
                    .name(format!("novacron-disk-{j}.{t}"))
                    .spawn_scoped(s, move || match engine {
                        EngineKind::IoUring => run_io_uring(file.fd(), w),
                        EngineKind::Psync => run_psync(file.file(), w),
                    });
                match h {
                    Ok(h) => handles.push(h),
                    Err(e) => {
                        ctl.cancel();
                        total.fail(format!("cannot start an I/O thread: {e}"));
                    }
                }
            }
        }
        for h in handles {
            match h.join() {
                Ok(st) => total.merge(&st),
                Err(_) => total.fail("an I/O thread panicked".into()),
            }
        }
    });
    ctl.check()?;
    if total.read.ops + total.write.ops == 0 {
        let why = total
            .first_error
            .clone()
            .unwrap_or_else(|| "no I/O completed in the measured window".into());
        return Err(BenchError::Io(format!("storage: {}: {why}", spec.label())));
    }
    Ok(JobOutcome {
        spec: spec.clone(),
        engine,
        window: window.end - window.start,
        stats: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Completed reads of `device` from /proc/diskstats.
    fn disk_reads(device: &str) -> Option<u64> {
        // Every line, partitions included: the test folder may sit on one.
        crate::host::diskstats::parse(&crate::host::read("/proc/diskstats")?)
            .into_iter()
            .find(|d| d.device == device)
            .map(|d| d.reads)
    }

    fn small(dir: &std::path::Path, extra: Value) -> StorageOptions {
        let mut v = json!({ "directory": dir.to_str().unwrap(), "fileSize": 8 << 20, "duration": 300, "rampTime": 50 });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        StorageOptions::parse(&v).unwrap()
    }

    #[test]
    fn direct_random_reads_reach_the_device_at_the_asked_queue_depth() {
        let dir = tempfile::tempdir().unwrap();
        let opts = small(
            dir.path(),
            json!({ "pattern": "randread", "queueDepth": 4 }),
        );
        let prepared = preflight(&opts).unwrap();
        let ctl = RunControl::new(None);
        let file = TestFile::create(dir.path(), prepared.file_size, true, 4096).unwrap();
        file.precondition(&ctl).unwrap();
        let spec = &opts.plan()[0];
        let device = prepared.target.device.clone();
        let before = device.as_deref().and_then(disk_reads);
        let out = run_job(&file, spec, prepared.engine, &ctl).unwrap();
        assert!(file.direct, "{:?}", file.direct_reason);
        assert!(out.stats.read.ops > 10, "{}", out.stats.read.ops);
        let qd = out.achieved_queue_depth();
        assert!((3.0..=4.001).contains(&qd), "achieved QD {qd}");
        if let (Some(dev), Some(b)) = (device, before) {
            // O_DIRECT: every read we counted was a read the device completed.
            let after = disk_reads(&dev).unwrap();
            assert!(
                after - b >= out.stats.read.ops,
                "device reads {} < ours {}",
                after - b,
                out.stats.read.ops
            );
        }
    }

    #[test]
    fn psync_threads_give_the_queue_depth_and_mixed_ratio() {
        let dir = tempfile::tempdir().unwrap();
        let opts = small(
            dir.path(),
            json!({ "pattern": "randrw", "queueDepth": 2, "engine": "psync", "rwmixread": 70 }),
        );
        let prepared = preflight(&opts).unwrap();
        let ctl = RunControl::new(None);
        let file = TestFile::create(dir.path(), prepared.file_size, true, 4096).unwrap();
        file.precondition(&ctl).unwrap();
        let out = run_job(&file, &opts.plan()[0], EngineKind::Psync, &ctl).unwrap();
        let qd = out.achieved_queue_depth();
        assert!((1.5..=2.001).contains(&qd), "achieved QD {qd}");
        let share = out.stats.read.ops as f64 / (out.stats.read.ops + out.stats.write.ops) as f64;
        assert!((0.6..0.8).contains(&share), "read share {share}");
    }

    #[test]
    fn bad_targets_are_refused_before_any_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let e = preflight(&small(
            dir.path(),
            json!({ "pattern": "randread", "blockSize": 1000 }),
        ))
        .unwrap_err();
        assert_eq!(e.js_kind(), "RangeError");
        assert!(
            e.to_string()
                .starts_with("storage.blockSize: got 1000 (accepted: a multiple of"),
            "{e}"
        );
        let e = preflight(&small(dir.path(), json!({ "fileSize": 1u64 << 49 }))).unwrap_err();
        assert!(e.to_string().contains("the free space in"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let e = StorageOptions::parse(&json!({ "queueDepth": 0 })).unwrap_err();
        assert_eq!(
            e.to_string(),
            "storage.queueDepth: got 0 (accepted: an integer from 1 to 1024)"
        );
    }

    #[test]
    fn suite_plan_has_the_sweep_and_a_pattern_runs_alone() {
        let all = StorageOptions::parse(&json!({})).unwrap().plan();
        let labels: Vec<String> = all.iter().map(|j| j.label()).collect();
        assert_eq!(labels.len(), 11);
        assert!(labels.contains(&"randread bs=4096 qd=32".to_string()));
        assert!(labels.contains(&"read bs=1048576 qd=1".to_string()));
        let one = StorageOptions::parse(&json!({ "pattern": "write" }))
            .unwrap()
            .plan();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].block_size, SEQ_BLOCK);
    }
}
