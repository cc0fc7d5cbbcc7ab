//! The `storage` options: their table (names, limits, accepted values), the object as the
//! caller wrote it, the checked options with defaults, and the plan of jobs they make.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::job::{EngineKind, JobSpec, Pattern};
use super::{
    DEFAULT_DURATION_MS, DEFAULT_FILE_SIZE, DEFAULT_RAMP_MS, MIXED_QUEUE_DEPTH,
    PLAN_FILL_BYTES_PER_MS, RAND_BLOCK, SEQ_BLOCK, SUITE_QUEUE_DEPTHS,
};
use crate::bench::options::{Accepts, Fields, Rule};
use crate::bench::BenchResult;

/// The `storage` option table: names, limits and accepted values (the one place they live).
pub const FIELDS: Fields = Fields {
    prefix: "storage",
    rules: &[
        Rule {
            key: "directory",
            accepts: Accepts::Text,
        },
        Rule {
            key: "fileSize",
            accepts: Accepts::Int {
                min: 1 << 20,
                max: 1 << 50,
            },
        },
        Rule {
            key: "blockSize",
            accepts: Accepts::Int {
                min: 512,
                max: 64 << 20,
            },
        },
        Rule {
            key: "pattern",
            accepts: Accepts::OneOf(&["read", "write", "randread", "randwrite", "randrw"]),
        },
        Rule {
            key: "rwmixread",
            accepts: Accepts::Int { min: 0, max: 100 },
        },
        Rule {
            key: "direct",
            accepts: Accepts::Bool,
        },
        Rule {
            key: "duration",
            accepts: Accepts::Int {
                min: 100,
                max: 86_400_000,
            },
        },
        Rule {
            key: "rampTime",
            accepts: Accepts::Int {
                min: 0,
                max: 3_600_000,
            },
        },
        Rule {
            key: "queueDepth",
            accepts: Accepts::Int { min: 1, max: 1024 },
        },
        Rule {
            key: "numJobs",
            accepts: Accepts::Int { min: 1, max: 64 },
        },
        Rule {
            key: "engine",
            accepts: Accepts::OneOf(&["io_uring", "psync"]),
        },
    ],
};

/// The `storage` object as the caller wrote it (absent: `None`); [`Self::validate`] checks
/// it against [`FIELDS`] and fills the defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StorageInput {
    /// Target folder.
    pub directory: Option<String>,
    /// Test file size, bytes.
    pub file_size: Option<f64>,
    /// Block size, bytes.
    pub block_size: Option<f64>,
    /// One pattern only.
    pub pattern: Option<String>,
    /// Reads in % for randrw.
    pub rwmixread: Option<f64>,
    /// O_DIRECT.
    pub direct: Option<bool>,
    /// Measured time per job, ms.
    pub duration: Option<f64>,
    /// Ramp per job, ms.
    pub ramp_time: Option<f64>,
    /// Queue depth.
    pub queue_depth: Option<f64>,
    /// Workers per job.
    pub num_jobs: Option<f64>,
    /// Engine to force.
    pub engine: Option<String>,
}

impl StorageInput {
    /// Checks every value against [`FIELDS`] and fills the defaults.
    pub fn validate(&self) -> BenchResult<StorageOptions> {
        let f = &FIELDS;
        let pattern = f
            .choice("pattern", self.pattern.as_deref())?
            .and_then(Pattern::parse);
        let engine = f
            .choice("engine", self.engine.as_deref())?
            .map(|e| match e {
                "io_uring" => EngineKind::IoUring,
                _ => EngineKind::Psync,
            });
        let int = |key: &str, v: Option<f64>| f.int(key, v);
        Ok(StorageOptions {
            directory: f
                .text("directory", self.directory.as_deref())?
                .map(PathBuf::from),
            file_size: int("fileSize", self.file_size)?.unwrap_or(DEFAULT_FILE_SIZE),
            block_size: int("blockSize", self.block_size)?,
            pattern,
            rwmixread: int("rwmixread", self.rwmixread)?.unwrap_or(70) as u32,
            direct: self.direct.unwrap_or(true),
            duration: Duration::from_millis(
                int("duration", self.duration)?.unwrap_or(DEFAULT_DURATION_MS),
            ),
            ramp: Duration::from_millis(
                int("rampTime", self.ramp_time)?.unwrap_or(DEFAULT_RAMP_MS),
            ),
            queue_depth: int("queueDepth", self.queue_depth)?.map(|q| q as u32),
            num_jobs: int("numJobs", self.num_jobs)?.unwrap_or(1) as u32,
            engine,
        })
    }
}

/// Checked `storage` options.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageOptions {
    /// Target folder; `None`: a new folder under a disk-backed temp location.
    pub directory: Option<PathBuf>,
    /// Test file size, bytes.
    pub file_size: u64,
    /// Block size for the job(s) (default per pattern).
    pub block_size: Option<u64>,
    /// Run only this pattern; `None`: the default suite.
    pub pattern: Option<Pattern>,
    /// Reads in % for randrw.
    pub rwmixread: u32,
    /// O_DIRECT.
    pub direct: bool,
    /// Measured time per job.
    pub duration: Duration,
    /// Ramp per job.
    pub ramp: Duration,
    /// Queue depth (default 1 for a single pattern; the 1/4/16/32 sweep in the suite).
    pub queue_depth: Option<u32>,
    /// Workers per job.
    pub num_jobs: u32,
    /// Engine to force.
    pub engine: Option<EngineKind>,
}

impl StorageOptions {
    /// Decodes and checks the JS `storage` object.
    pub fn parse(v: &Value) -> BenchResult<StorageOptions> {
        FIELDS.decode::<StorageInput>(v)?.validate()
    }

    /// The jobs to run, in order (fsync is added by [`super::run`] for the suite).
    pub fn plan(&self) -> Vec<JobSpec> {
        let job = |pattern, block_size, queue_depth| JobSpec {
            pattern,
            block_size,
            queue_depth,
            num_jobs: self.num_jobs,
            rwmixread: if pattern == Pattern::RandRw {
                self.rwmixread
            } else {
                100
            },
            ramp: self.ramp,
            duration: self.duration,
        };
        if let Some(p) = self.pattern {
            let bs = self
                .block_size
                .unwrap_or(if p.is_random() { RAND_BLOCK } else { SEQ_BLOCK });
            return vec![job(p, bs, self.queue_depth.unwrap_or(1))];
        }
        let rbs = self.block_size.unwrap_or(RAND_BLOCK);
        let depths: Vec<u32> = match self.queue_depth {
            Some(q) => vec![q],
            None => SUITE_QUEUE_DEPTHS.to_vec(),
        };
        let mut jobs = vec![
            job(Pattern::Read, SEQ_BLOCK, 1),
            job(Pattern::Write, SEQ_BLOCK, 1),
        ];
        jobs.extend(depths.iter().map(|&q| job(Pattern::RandRead, rbs, q)));
        jobs.extend(depths.iter().map(|&q| job(Pattern::RandWrite, rbs, q)));
        jobs.push(job(
            Pattern::RandRw,
            rbs,
            self.queue_depth.unwrap_or(MIXED_QUEUE_DEPTH),
        ));
        jobs
    }

    /// Planned time, ms, for progress percentages.
    pub fn planned_ms(&self) -> f64 {
        let per_job = (self.ramp + self.duration).as_secs_f64() * 1e3;
        let jobs = self.plan().len() + usize::from(self.pattern.is_none());
        self.file_size as f64 / PLAN_FILL_BYTES_PER_MS + per_job * jobs as f64
    }
}
