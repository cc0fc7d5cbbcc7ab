//! `database_performance`: real queries on a real database (api-spec §4.4, measurement
//! rules §5 D1–D7).
//!
//! - [`options`]: the option table and the checked plan.
//! - [`target`]: URL parsing, engines, one blocking [`target::Session`] per thread.
//! - [`schema`]: the run's own tables (prefix), the seeded data set, the drop guard.
//! - [`workload`]: pgbench's `select_only` and `tpcb_like` scripts and their clients.
//! - [`contract`]: the contract's sub-tests on one connection, and the concurrency levels.
//! - [`pool`]: clients sharing a connection pool: acquire waits, utilisation, timeouts.
//! - [`recommend`]: the recommendations, from the rule table.
//! - [`report`]: the typed report.
//!
//! The default target is a scratch SQLite file (WAL) in a new folder under `directory`
//! (default: the system temp folder), removed at the end; `url` (else `DATABASE_URL`)
//! selects PostgreSQL, MariaDB/MySQL or a given SQLite file. Everything the run creates is
//! dropped when it ends, also after an error, an abort or a timeout.

pub mod contract;
pub mod options;
pub mod pool;
pub mod recommend;
pub mod report;
pub mod schema;
pub mod target;
pub mod workload;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use self::contract::{Driver, Op};
pub use self::options::{DatabaseOptions, DatabasePlan, FIELDS};
use self::options::{LEVEL_MS, RATE_MS, SHORT_RUN_MS};
use self::report::*;
use self::schema::Namespace;
use self::target::{connect, Engine, Target};
use self::workload::{hit_ratio, server_cache_counts, Script};
use super::control::RunControl;
use super::options::show_num;
use super::registry::{Benchmark, Phase};
use super::rng::Rng;
use super::{BenchError, BenchResult, Outcome, StatusNote};

/// The `database_performance` built-in.
pub struct DatabaseBenchmark;

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
    let simple = sub("query simple", Op::Simple, 50, 10_000, &mut d)?;
    let complex = sub("query complex", Op::Complex, 50, 10_000, &mut d)?;
    let aggregate = sub("query aggregate", Op::Aggregate, 50, 10_000, &mut d)?;
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
    let update = sub("update", Op::Update, 50, 10_000, &mut d)?;
    let delete = sub("delete", Op::Delete, 30, 8_000, &mut d)?;
    let transaction = sub("transaction", Op::Transaction, 20, 10_000, &mut d)?;
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
            cells.0.push((key, Outcome::Done(cell)));
        }
        pools.0.push((format!("pool_{size}"), cells));
    }
    drop(admin);
    ctl.phase("database:drop", 100.0);
    ns.drop_all()?;

    let window_ms = plan.window(RATE_MS).as_secs_f64() * 1e3;
    let mut report = DatabaseReport {
        query_performance: Outcome::Done(QueryPerformance {
            simple,
            complex,
            aggregate,
        }),
        insert_performance: Outcome::Done(InsertPerformance {
            latency: insert.latency,
            throughput: insert.throughput,
            batch_insert_performance: batches,
            recommendations: Vec::new(),
        }),
        update_performance: Outcome::Done(update),
        delete_performance: Outcome::Done(delete),
        transaction_performance: Outcome::Done(transaction),
        concurrent_load: Outcome::Done(ConcurrentLoad {
            results: levels,
            recommendations: Vec::new(),
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
        recommendations: Vec::new(),
    };
    recommend::apply(&mut report);
    Ok(report)
}
