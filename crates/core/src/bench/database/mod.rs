//! `database_performance`: real queries on a real database (api-spec §4.4, measurement
//! rules §5 D1–D7).
//!
//! - [`target`]: URL parsing, engines, one blocking [`target::Session`] per thread.
//! - [`schema`]: the run's own tables (prefix), the seeded data set, the drop guard.
//! - [`workload`]: pgbench's `select_only` and `tpcb_like` scripts and their clients.
//! - [`contract`]: the contract's sub-tests on one connection, and the concurrency levels.
//! - [`pool`]: clients sharing a connection pool: acquire waits, utilisation, timeouts.
//! - [`report`]: the typed report.
//!
//! The default target is a scratch SQLite file (WAL) in a new folder under `directory`
//! (default: the system temp folder), removed at the end; `url` (else `DATABASE_URL`)
//! selects PostgreSQL, MariaDB/MySQL or a given SQLite file. Everything the run creates is
//! dropped when it ends, also after an error, an abort or a timeout.

pub mod contract;
pub mod pool;
pub mod report;
pub mod schema;
pub mod target;
pub mod workload;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use self::contract::{Driver, Op};
use self::report::*;
use self::schema::Namespace;
use self::target::{connect, Engine, Target};
use self::workload::{hit_ratio, server_cache_counts, Script};
use super::control::RunControl;
use super::options::{show, show_num, Accepts, Fields, Rule};
use super::registry::{Benchmark, Phase, Validate};
use super::rng::Rng;
use super::rules::{self, Recommendation};
use super::{BenchError, BenchResult, Outcome, StatusNote};

/// The `database_performance` built-in.
pub struct DatabaseBenchmark;

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
const RATE_MS: u64 = 10_000;
/// Length of one concurrency level without `duration`, ms.
const LEVEL_MS: u64 = 1_000;
/// Below this a result carries `shortRun: true` (D4).
const SHORT_RUN_MS: f64 = 60_000.0;

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
    fn samples(&self, contract: u64) -> u64 {
        self.samples.unwrap_or(if self.quick {
            (contract / 10).max(3)
        } else {
            contract
        })
    }

    /// Window of a sub-test whose contract window is `contract_ms`.
    fn window(&self, contract_ms: u64) -> Duration {
        Duration::from_millis(self.duration_ms.unwrap_or(if self.quick {
            1000
        } else {
            contract_ms
        }))
    }

    fn batches(&self) -> &'static [u64] {
        if self.quick {
            &BATCHES[..3]
        } else {
            BATCHES
        }
    }
}

impl Benchmark for DatabaseBenchmark {
    const NAME: &'static str = "database_performance";
    const PHASES: &'static [Phase] = &[Phase {
        prefix: "database:",
        what: "load, the contract sub-tests, concurrency levels, then each script × clients",
    }];
    type Options = DatabaseOptions;
    type Report = DatabaseReport;

    fn decode(raw: &Value) -> BenchResult<DatabaseOptions> {
        match raw {
            Value::Null => Ok(DatabaseOptions::default()),
            v => FIELDS.decode(v),
        }
    }

    fn run(plan: &DatabasePlan, ctl: &Arc<RunControl>) -> BenchResult<DatabaseReport> {
        ctl.with_ticker(|| run(plan, ctl))
    }
}

fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string and `st` a properly sized out-parameter.
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0)
        .then(|| st.f_bavail as u64 * st.f_frsize as u64)
}

fn suffix() -> String {
    format!("{:08x}", Rng::from_clock(0x5EED).next_u64() as u32)
}

/// Most connections the server takes from us now (None: no limit known, SQLite).
fn connection_room(t: &Target) -> Option<u64> {
    let mut s = connect(t).ok()?;
    let num = |v: Option<String>| v.and_then(|v| v.trim().parse::<u64>().ok());
    let (max, used) = match t.engine {
        Engine::Postgres => (
            num(s.scalar("SHOW max_connections").ok()?)?.saturating_sub(
                num(s.scalar("SHOW superuser_reserved_connections").ok()?).unwrap_or(3),
            ),
            num(s
                .scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
                )
                .ok()?)?,
        ),
        Engine::MySql => (
            num(s.scalar("SELECT @@max_connections").ok()?)?,
            num(s
                .scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST")
                .ok()?)?,
        ),
        Engine::Sqlite => return None,
    };
    // Our admin connection (this one) stays open during the run, and the server needs a
    // little room for its own tools.
    Some(max.saturating_sub(used + 2))
}

fn too_many(n: u64, room: Option<u64>, what: &str) -> Option<StatusNote> {
    let room = room?;
    (n > room).then(|| {
        StatusNote::unavailable(
            format!("{what} {n} needs {n} connections; the server takes {room} more now"),
            "raise max_connections or pick fewer",
        )
    })
}

fn run(plan: &DatabasePlan, ctl: &Arc<RunControl>) -> BenchResult<DatabaseReport> {
    let started = Instant::now();
    let target = match &plan.target {
        Some(t) => t.clone(),
        None => {
            let need = schema::DataSet::of(plan.scale).approx_bytes() * 2;
            if let Some(free) = free_bytes(&plan.directory) {
                if free < need {
                    return Err(BenchError::range(
                        "scale",
                        show_num(plan.scale),
                        format!(
                            "a data set that fits the {} MiB free in {} (this one needs about {} MiB)",
                            free >> 20,
                            plan.directory.display(),
                            need >> 20
                        ),
                    ));
                }
            }
            Target::scratch_sqlite(&plan.directory, &suffix())?
        }
    };
    let w = |ms| plan.window(ms).as_secs_f64() * 1e3;
    let rate_ms = plan.window(RATE_MS).as_secs_f64() * 1e3;
    let planned = 2000.0
        + w(10_000) * 5.0
        + w(15_000)
        + w(8_000)
        + rate_ms * (plan.clients.len() * Script::ALL.len()) as f64
        + w(LEVEL_MS) * plan.levels.len() as f64
        + rate_ms * (plan.pool_sizes.len() * plan.clients.len()) as f64;
    ctl.set_total(planned);
    ctl.phase("database:connect", 100.0);
    // A scratch folder exists from here: the guard below removes it on every path.
    let mut ns = match Namespace::create(target.clone(), &suffix(), plan.scale, plan.seed) {
        Ok(ns) => ns,
        Err(e) => {
            if target.scratch {
                if let Some(folder) = target.sqlite_path().as_deref().and_then(|p| p.parent()) {
                    let _ = std::fs::remove_dir_all(folder);
                }
            }
            return Err(e);
        }
    };
    let mut admin = connect(&target)?;
    let server_version = match target.engine {
        Engine::Sqlite => admin.scalar("SELECT sqlite_version()"),
        Engine::Postgres => admin.scalar("SHOW server_version"),
        Engine::MySql => admin.scalar("SELECT VERSION()"),
    }
    .map_err(|e| target.error(e))?
    .unwrap_or_default();
    let sqlite = (target.engine == Engine::Sqlite).then(|| {
        let mut p = |name: &str| {
            admin
                .scalar(&format!("PRAGMA {name}"))
                .ok()
                .flatten()
                .unwrap_or_default()
        };
        SqliteSettings {
            journal_mode: p("journal_mode"),
            synchronous: p("synchronous"),
            page_size: p("page_size"),
        }
    });

    ctl.phase("database:load", 1000.0);
    let load_started = Instant::now();
    ns.load(ctl, |_, _| {})?;
    let load_ms = load_started.elapsed().as_secs_f64() * 1e3;

    let mut d = Driver::new(&ns)?;
    let sub = |name: &str,
               op: Op,
               samples: u64,
               window_ms: u64,
               d: &mut Driver|
     -> BenchResult<SubTest> {
        ctl.phase(format!("database:{name}"), w(window_ms));
        let latency = d.latency(op, plan.samples(samples), ctl)?.summary();
        let throughput = d.throughput(op, plan.window(window_ms), ctl)?;
        Ok(SubTest {
            latency,
            throughput,
            recommendations: Vec::new(),
        })
    };
    let mut simple = sub("query simple", Op::Simple, 50, 10_000, &mut d)?;
    let mut complex = sub("query complex", Op::Complex, 50, 10_000, &mut d)?;
    let mut aggregate = sub("query aggregate", Op::Aggregate, 50, 10_000, &mut d)?;
    let insert = sub("insert", Op::Insert, 100, 15_000, &mut d)?;
    let mut batches = Keyed::default();
    for &n in plan.batches() {
        ctl.phase(format!("database:batch insert {n}"), 50.0);
        let rec = d.latency(Op::Batch(n), plan.samples(10), ctl)?;
        let secs: f64 = rec
            .summary()
            .map_or(0.0, |s| s.avg * s.samples as f64 / 1e3);
        batches.0.push((
            format!("batch_{n}"),
            BatchInsert {
                items_per_second: if secs > 0.0 {
                    (n * rec.len()) as f64 / secs
                } else {
                    0.0
                },
                latency: rec.summary(),
            },
        ));
    }
    let mut update = sub("update", Op::Update, 50, 10_000, &mut d)?;
    let mut delete = sub("delete", Op::Delete, 30, 8_000, &mut d)?;
    let mut transaction = sub("transaction", Op::Transaction, 20, 10_000, &mut d)?;
    drop(d);

    let room = connection_room(&target);
    let mut levels = Keyed::default();
    for &n in &plan.levels {
        ctl.phase(format!("database:concurrency {n}"), w(LEVEL_MS));
        let r = match too_many(n, room, "concurrency level") {
            Some(note) => Outcome::Not(note),
            None => Outcome::Done(contract::concurrency_level(
                &ns,
                n,
                plan.window(LEVEL_MS),
                ctl,
            )?),
        };
        levels.0.push((format!("concurrency_{n}"), r));
    }

    let mut rates = Keyed::default();
    let mut all_cache: Option<(u64, u64)> = None;
    let mut add_cache = |c: Option<(u64, u64)>| {
        if let Some((h, m)) = c {
            let a = all_cache.get_or_insert((0, 0));
            a.0 += h;
            a.1 += m;
        }
    };
    let mut cells_recs = Vec::new();
    for script in Script::ALL {
        let mut cells = Keyed::default();
        for &clients in &plan.clients {
            let key = format!("clients_{clients}");
            if let Some(note) = too_many(clients, room, "clients") {
                cells.0.push((key, Outcome::Not(note)));
                continue;
            }
            ctl.phase(
                format!("database:{} clients={clients}", script.name()),
                rate_ms,
            );
            let before = server_cache_counts(&mut admin, target.engine);
            let run =
                workload::run_cell(&ns, script, clients, plan.window(RATE_MS), plan.seed, ctl)?;
            let mut cell = run.cell;
            if target.engine != Engine::Sqlite {
                let after = server_cache_counts(&mut admin, target.engine);
                cell.cache_hit_ratio = hit_ratio(before, after);
                if let (Some(b), Some(a)) = (before, after) {
                    add_cache(Some((a.0.saturating_sub(b.0), a.1.saturating_sub(b.1))));
                }
            } else {
                add_cache(run.sqlite_cache);
            }
            cells_recs.extend(cell_recommendations(script, clients, &cell, plan.scale));
            cells.0.push((key, Outcome::Done(cell)));
        }
        rates.0.push((script.name().to_owned(), cells));
    }
    let cache_hit_ratio = all_cache.and_then(|(h, m)| workload::ratio(h, m));

    let mut pools = Keyed::default();
    for &size in &plan.pool_sizes {
        let mut cells = Keyed::default();
        for &clients in &plan.clients {
            let key = format!("clients_{clients}");
            if let Some(note) = too_many(size, room, "poolSize") {
                cells.0.push((key, Outcome::Not(note)));
                continue;
            }
            ctl.phase(format!("database:pool {size} clients={clients}"), rate_ms);
            let cell = pool::run_pool_cell(
                &ns,
                Script::SelectOnly,
                size,
                clients,
                plan.window(RATE_MS),
                plan.seed,
                ctl,
            )?;
            if let (Some(wait), Some(lat)) = (&cell.acquire_wait, &cell.latency) {
                if wait.avg > lat.avg * rules::DB_POOL_WAIT_SHARE.limit {
                    cells_recs.push(rules::DB_POOL_WAIT_SHARE.recommend(format!(
                        "Pool of {size} with {clients} clients: the average acquire wait is {:.3} ms of a {:.3} ms transaction; enlarge the pool or lower the client count",
                        wait.avg, lat.avg)));
                }
            }
            cells.0.push((key, Outcome::Done(cell)));
        }
        pools.0.push((format!("pool_{size}"), cells));
    }
    drop(admin);
    ctl.phase("database:drop", 100.0);
    ns.drop_all()?;

    // Contract rules (api-spec §4.4), each naming its figure.
    let avg = |s: &SubTest| s.latency.as_ref().map_or(0.0, |l| l.avg);
    let lim = |r: &rules::Rule| r.limit;
    if avg(&complex) > lim(&rules::DB_COMPLEX_MAX_AVG_MS) {
        complex.recommendations.push(rules::DB_COMPLEX_MAX_AVG_MS.recommend(format!(
            "Complex query average latency is {:.1} ms (over {} ms): add an index on users.created_at or narrow the join",
            avg(&complex), lim(&rules::DB_COMPLEX_MAX_AVG_MS))));
    }
    for (name, s) in [
        ("simple", &mut simple),
        ("complex", &mut complex),
        ("aggregate", &mut aggregate),
    ] {
        let ops = s.throughput.operations_per_second;
        if ops < lim(&rules::DB_QUERY_MIN_OPS) {
            s.recommendations
                .push(rules::DB_QUERY_MIN_OPS.recommend(format!(
                    "{name} query throughput is {ops:.0} ops/s (under {} ops/s)",
                    lim(&rules::DB_QUERY_MIN_OPS)
                )));
        }
    }
    let mut insert_recs = Vec::new();
    if avg(&insert) > lim(&rules::DB_INSERT_MAX_AVG_MS) {
        insert_recs.push(rules::DB_INSERT_MAX_AVG_MS.recommend(format!(
            "Insert average latency is {:.1} ms (over {} ms): batch inserts or relax commit durability", avg(&insert), lim(&rules::DB_INSERT_MAX_AVG_MS))));
    }
    if insert.throughput.operations_per_second < lim(&rules::DB_INSERT_MIN_OPS) {
        insert_recs.push(rules::DB_INSERT_MIN_OPS.recommend(format!(
            "Insert throughput is {:.0} ops/s (under {} ops/s): each commit waits for a flush; batch rows per transaction",
            insert.throughput.operations_per_second, lim(&rules::DB_INSERT_MIN_OPS))));
    }
    for (s, rule, what) in [
        (&mut update, rules::DB_UPDATE_MAX_AVG_MS, "Update"),
        (&mut delete, rules::DB_DELETE_MAX_AVG_MS, "Delete"),
    ] {
        if avg(s) > rule.limit {
            let a = avg(s);
            s.recommendations.push(rule.recommend(format!(
                "{what} average latency is {a:.1} ms (over {} ms)",
                rule.limit
            )));
        }
    }
    if avg(&transaction) > lim(&rules::DB_TX_MAX_AVG_MS) {
        transaction
            .recommendations
            .push(rules::DB_TX_MAX_AVG_MS.recommend(format!(
                "Transaction average latency is {:.1} ms (over {} ms)",
                avg(&transaction),
                lim(&rules::DB_TX_MAX_AVG_MS)
            )));
    }
    let mut level_recs = Vec::new();
    let done: Vec<(u64, f64)> = plan
        .levels
        .iter()
        .zip(&levels.0)
        .filter_map(|(n, (_, o))| match o {
            Outcome::Done(l) => Some((*n, l.operations_per_second)),
            Outcome::Not(_) => None,
        })
        .collect();
    if let Some(w) = done
        .windows(2)
        .find(|w| w[1].1 < w[0].1 * lim(&rules::DB_CONCURRENCY_MIN_SHARE))
    {
        level_recs.push(rules::DB_CONCURRENCY_MIN_SHARE.recommend(format!(
            "Throughput falls from {:.0} ops/s at concurrency {} to {:.0} ops/s at {} (under {} %)",
            w[0].1,
            w[0].0,
            w[1].1,
            w[1].0,
            lim(&rules::DB_CONCURRENCY_MIN_SHARE) * 100.0
        )));
    }
    let mut recommendations = cells_recs;
    if let Some(r) = cache_hit_ratio {
        if r < lim(&rules::DB_CACHE_MIN_HIT_RATIO) {
            recommendations.push(rules::DB_CACHE_MIN_HIT_RATIO.recommend(format!(
                "Cache hit ratio over the measured window is {:.1} % (under {} %): the cache is smaller than the working set",
                r * 100.0, lim(&rules::DB_CACHE_MIN_HIT_RATIO) * 100.0)));
        }
    }
    for s in [
        &simple,
        &complex,
        &aggregate,
        &update,
        &delete,
        &transaction,
    ] {
        recommendations.extend(s.recommendations.iter().cloned());
    }
    recommendations.extend(insert_recs.iter().cloned());
    recommendations.extend(level_recs.iter().cloned());

    let window_ms = plan.window(RATE_MS).as_secs_f64() * 1e3;
    let _ = started;
    Ok(DatabaseReport {
        query_performance: Outcome::Done(QueryPerformance {
            simple,
            complex,
            aggregate,
        }),
        insert_performance: Outcome::Done(InsertPerformance {
            latency: insert.latency,
            throughput: insert.throughput,
            batch_insert_performance: batches,
            recommendations: insert_recs,
        }),
        update_performance: Outcome::Done(update),
        delete_performance: Outcome::Done(delete),
        transaction_performance: Outcome::Done(transaction),
        concurrent_load: Outcome::Done(ConcurrentLoad {
            results: levels,
            recommendations: level_recs,
        }),
        transaction_rates: rates,
        pool_efficiency: pools,
        cache_hit_ratio,
        conditions: Conditions {
            engine: target.engine.name(),
            server_version,
            target: target.label.clone(),
            table_prefix: ns.prefix.clone(),
            scale: plan.scale,
            accounts: ns.data.accounts,
            seed: plan.seed,
            clients: plan.clients.clone(),
            threads: plan
                .clients
                .iter()
                .chain(&plan.levels)
                .copied()
                .max()
                .unwrap_or(1),
            duration_ms: window_ms,
            samples: plan.samples(50),
            concurrency_levels: plan.levels.clone(),
            pool_sizes: plan.pool_sizes.clone(),
            short_run: window_ms < SHORT_RUN_MS,
            load_ms,
            sqlite,
        },
        recommendations,
    })
}

fn cell_recommendations(
    script: Script,
    clients: u64,
    c: &RateCell,
    scale: f64,
) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let total = c.transactions + c.failed;
    if total > 0 {
        let pct = c.failed as f64 * 100.0 / total as f64;
        if pct > rules::DB_MAX_FAILED_PERCENT.limit {
            out.push(rules::DB_MAX_FAILED_PERCENT.recommend(format!(
                "{} at {clients} clients: {pct:.1} % of transactions failed ({} of {total})",
                script.name(),
                c.failed
            )));
        }
    }
    if script == Script::TpcbLike && (clients as f64) > scale.max(1.0) {
        out.push(rules::DB_SCALE_BELOW_CLIENTS.recommend(format!(
            "tpcb_like at {clients} clients on scale {scale}: clients contend on {} branch row(s); pgbench advises scale ≥ clients",
            scale.ceil().max(1.0))));
    }
    out
}
