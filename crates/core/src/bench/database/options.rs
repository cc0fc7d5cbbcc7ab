//! The options of `database_performance`: the table of accepted keys, the typed object as
//! written, and the checked [`DatabasePlan`] a run uses (defaults filled, `DATABASE_URL`
//! read, lists of counts checked item by item).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::target::Target;
use crate::bench::options::{show, show_num, Accepts, Fields, Rule};
use crate::bench::registry::Validate;
use crate::bench::rng::Rng;
use crate::bench::{BenchError, BenchResult};

/// The option object as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DatabaseOptions {
    url: Option<String>,
    directory: Option<String>,
    scale: Option<f64>,
    seed: Option<f64>,
    clients: Option<Value>,
    duration: Option<f64>,
    samples: Option<f64>,
    concurrency_levels: Option<Value>,
    pool_size: Option<Value>,
    quick_test: Option<bool>,
}

/// The option table.
pub const FIELDS: Fields = Fields {
    prefix: "",
    rules: &[
        Rule {
            key: "url",
            accepts: Accepts::Text,
        },
        Rule {
            key: "directory",
            accepts: Accepts::Text,
        },
        Rule {
            key: "scale",
            accepts: Accepts::Num {
                min: 0.001,
                max: 10_000.0,
            },
        },
        Rule {
            key: "seed",
            accepts: Accepts::Int {
                min: 0,
                max: 9_007_199_254_740_991,
            },
        },
        Rule {
            key: "clients",
            accepts: Accepts::Text,
        },
        Rule {
            key: "duration",
            accepts: Accepts::Int {
                min: 10,
                max: 86_400_000,
            },
        },
        Rule {
            key: "samples",
            accepts: Accepts::Int {
                min: 1,
                max: 1_000_000,
            },
        },
        Rule {
            key: "concurrencyLevels",
            accepts: Accepts::Text,
        },
        Rule {
            key: "poolSize",
            accepts: Accepts::Text,
        },
        Rule {
            key: "quickTest",
            accepts: Accepts::Bool,
        },
    ],
};

/// Largest client count or concurrency level.
pub const MAX_CLIENTS: u64 = 1000;
/// Default scale: 10 000 accounts, loaded in well under a second on SQLite.
pub const DEFAULT_SCALE: f64 = 0.1;
/// Default client counts of the transaction rates.
pub const DEFAULT_CLIENTS: &[u64] = &[1, 10];
/// The contract's concurrency levels.
pub const CONTRACT_LEVELS: &[u64] = &[1, 5, 10, 25, 50, 100];
/// The contract's batch sizes.
pub const BATCHES: &[u64] = &[1, 10, 50, 100, 500];
/// Length of one transaction-rate cell without `duration`, ms.
pub const RATE_MS: u64 = 10_000;
/// Length of one concurrency level without `duration`, ms.
pub const LEVEL_MS: u64 = 1_000;
/// Below this a result carries `shortRun: true` (D4).
pub const SHORT_RUN_MS: f64 = 60_000.0;

fn positive_list(field: &str, v: Option<&Value>) -> BenchResult<Option<Vec<u64>>> {
    let Some(v) = v else { return Ok(None) };
    let accepted = format!("a non-empty array of integers from 1 to {MAX_CLIENTS}");
    let Value::Array(items) = v else {
        return Err(BenchError::kind(field, show(v), accepted));
    };
    if items.is_empty() {
        return Err(BenchError::range(field, show(v), accepted));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(n) = item.as_f64() else {
            return Err(BenchError::kind(
                &format!("{field}[{i}]"),
                show(item),
                accepted,
            ));
        };
        if n.fract() != 0.0 || n < 1.0 || n > MAX_CLIENTS as f64 {
            return Err(BenchError::range(
                &format!("{field}[{i}]"),
                show_num(n),
                accepted,
            ));
        }
        out.push(n as u64);
    }
    Ok(Some(out))
}

/// Checked options of a run.
#[derive(Debug, Clone)]
pub struct DatabasePlan {
    /// `url` (or `DATABASE_URL`), parsed; `None` for the scratch SQLite file.
    pub target: Option<Target>,
    /// Folder of the scratch SQLite file.
    pub directory: PathBuf,
    /// pgbench-style scale.
    pub scale: f64,
    /// Seed of the data set (from the clock when not given, and reported).
    pub seed: u64,
    /// Client counts of the transaction rates.
    pub clients: Vec<u64>,
    /// Every window, ms, when given.
    pub duration_ms: Option<u64>,
    /// Every latency sample count, when given.
    pub samples: Option<u64>,
    /// Concurrency levels.
    pub levels: Vec<u64>,
    /// Pool sizes of `poolEfficiency`.
    pub pool_sizes: Vec<u64>,
    /// Shrinks every count and window.
    pub quick: bool,
}

impl Validate for DatabaseOptions {
    type Valid = DatabasePlan;

    fn validate(&self) -> BenchResult<DatabasePlan> {
        let url = match FIELDS.text("url", self.url.as_deref())? {
            Some(u) => Some(Target::parse(u)?),
            None => match std::env::var("DATABASE_URL") {
                Ok(u) if !u.is_empty() => Some(Target::parse(&u).map_err(|e| match e {
                    BenchError::OutOfRange { got, accepted, .. } => {
                        BenchError::range("DATABASE_URL", got, accepted)
                    }
                    other => other,
                })?),
                _ => None,
            },
        };
        let quick = self.quick_test.unwrap_or(false);
        Ok(DatabasePlan {
            target: url,
            directory: FIELDS
                .text("directory", self.directory.as_deref())?
                .map_or_else(std::env::temp_dir, PathBuf::from),
            scale: FIELDS.num("scale", self.scale)?.unwrap_or(DEFAULT_SCALE),
            seed: FIELDS
                .int("seed", self.seed)?
                .unwrap_or_else(|| Rng::from_clock(0x0DB).next_u64() >> 11),
            clients: positive_list("clients", self.clients.as_ref())?
                .unwrap_or_else(|| DEFAULT_CLIENTS.to_vec()),
            duration_ms: FIELDS.int("duration", self.duration)?,
            samples: FIELDS.int("samples", self.samples)?,
            levels: positive_list("concurrencyLevels", self.concurrency_levels.as_ref())?
                .unwrap_or_else(|| {
                    if quick {
                        &CONTRACT_LEVELS[..3]
                    } else {
                        CONTRACT_LEVELS
                    }
                    .to_vec()
                }),
            pool_sizes: positive_list("poolSize", self.pool_size.as_ref())?
                .unwrap_or_else(default_pool_sizes),
            quick,
        })
    }
}

/// HikariCP's anchor: cores × 2 + effective spindles (one).
fn default_pool_sizes() -> Vec<u64> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    vec![(cores * 2 + 1).min(MAX_CLIENTS)]
}

impl DatabasePlan {
    /// Latency samples of a sub-test whose contract count is `contract`.
    pub fn samples(&self, contract: u64) -> u64 {
        self.samples.unwrap_or(if self.quick {
            (contract / 10).max(3)
        } else {
            contract
        })
    }

    /// Window of a sub-test whose contract window is `contract_ms`.
    pub fn window(&self, contract_ms: u64) -> Duration {
        Duration::from_millis(self.duration_ms.unwrap_or(if self.quick {
            1000
        } else {
            contract_ms
        }))
    }

    /// The batch sizes of `batchInsertPerformance`.
    pub fn batches(&self) -> &'static [u64] {
        if self.quick {
            &BATCHES[..3]
        } else {
            BATCHES
        }
    }
}
