//! pgbench's two built-in scripts and the clients that run them.
//!
//! `select_only` is `pgbench -S`: one point select on accounts by a random key.
//! `tpcb_like` is pgbench's default: update an account, read it back, update a teller and
//! a branch, append to history, in one transaction. Each client is a dedicated thread with
//! its own connection (opened before the common start, so connection cost is separate,
//! D1); every transaction's latency goes into that thread's HDR histogram (D2); a failed
//! transaction is rolled back and counted, and a lost connection is opened again (D6).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use crate::bench::control::RunControl;
use crate::bench::latency::LatencyRecorder;
use crate::bench::rng::Rng;
use crate::bench::BenchResult;

use super::report::{RateCell, RateLatency};
use super::schema::Namespace;
use super::target::{connect, Engine, Session, Target};

/// A pgbench built-in script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `-S`: one point select.
    SelectOnly,
    /// The default TPC-B-like transaction.
    TpcbLike,
}

impl Script {
    /// Both scripts, in report order.
    pub const ALL: [Script; 2] = [Script::SelectOnly, Script::TpcbLike];

    /// Result key.
    pub fn name(self) -> &'static str {
        match self {
            Script::SelectOnly => "select_only",
            Script::TpcbLike => "tpcb_like",
        }
    }

    /// Runs one transaction of the script on `s`.
    pub fn run_once(self, s: &mut Session, ns: &Namespace, rng: &mut Rng) -> Result<(), String> {
        let d = ns.data;
        let aid = 1 + rng.below(d.accounts);
        match self {
            Script::SelectOnly => {
                s.query(&format!(
                    "SELECT abalance FROM {} WHERE aid = {aid}",
                    ns.table("accounts")
                ))?;
            }
            Script::TpcbLike => {
                let bid = 1 + rng.below(d.branches);
                let tid = 1 + rng.below(d.tellers);
                let delta = rng.below(10_001) as i64 - 5000;
                // SQLite takes the write lock at BEGIN IMMEDIATE: a deferred transaction
                // that reads first could not upgrade later and would fail at once.
                let begin = if ns.target.engine == Engine::Sqlite {
                    "BEGIN IMMEDIATE"
                } else {
                    "BEGIN"
                };
                s.exec(begin)?;
                let (a, t, b, h) = (
                    ns.table("accounts"),
                    ns.table("tellers"),
                    ns.table("branches"),
                    ns.table("history"),
                );
                s.exec(&format!(
                    "UPDATE {a} SET abalance = abalance + {delta} WHERE aid = {aid}"
                ))?;
                s.query(&format!("SELECT abalance FROM {a} WHERE aid = {aid}"))?;
                s.exec(&format!(
                    "UPDATE {t} SET tbalance = tbalance + {delta} WHERE tid = {tid}"
                ))?;
                s.exec(&format!(
                    "UPDATE {b} SET bbalance = bbalance + {delta} WHERE bid = {bid}"
                ))?;
                s.exec(&format!(
                    "INSERT INTO {h} (tid, bid, aid, delta, mtime) VALUES ({tid}, {bid}, {aid}, {delta}, CURRENT_TIMESTAMP)"
                ))?;
                s.exec("COMMIT")?;
            }
        }
        Ok(())
    }
}

/// After a failed transaction: roll back, and open a new connection if this one is gone.
/// Returns true when a new connection was opened.
pub fn recover(s: &mut Session, t: &Target, until: Instant, ctl: &RunControl) -> bool {
    let _ = s.exec("ROLLBACK");
    if !s.is_broken() && s.query("SELECT 1").is_ok() {
        return false;
    }
    while Instant::now() < until && !ctl.is_cancelled() {
        if let Ok(fresh) = Session::open(t) {
            *s = fresh;
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Cumulative cache counters (hits, misses) of a server, read outside any transaction.
pub fn server_cache_counts(admin: &mut Session, engine: Engine) -> Option<(u64, u64)> {
    let num = |v: Option<String>| {
        v.and_then(|s| s.trim().parse::<f64>().ok())
            .map(|f| f as u64)
    };
    match engine {
        Engine::Postgres => {
            // Worker backends flush their statistics when they exit; wait for them to go
            // (at most 2 s), then drop any cached snapshot before reading.
            let until = Instant::now() + Duration::from_secs(2);
            while Instant::now() < until {
                let left = admin.scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'novacron-perf-bench' AND pid <> pg_backend_pid()",
                );
                if num(left.ok().flatten()) == Some(0) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            admin.query("SELECT pg_stat_clear_snapshot()").ok()?;
            let hit = num(admin
                .scalar("SELECT blks_hit FROM pg_stat_database WHERE datname = current_database()")
                .ok()?)?;
            let read = num(admin
                .scalar("SELECT blks_read FROM pg_stat_database WHERE datname = current_database()")
                .ok()?)?;
            Some((hit, read))
        }
        Engine::MySql => {
            let read = |name: &str, s: &mut Session| {
                ["information_schema", "performance_schema"]
                    .iter()
                    .find_map(|db| {
                        num(s
                            .scalar(&format!(
                                "SELECT VARIABLE_VALUE FROM {db}.GLOBAL_STATUS WHERE VARIABLE_NAME = '{name}'"
                            ))
                            .ok()
                            .flatten())
                    })
            };
            let requests = read("INNODB_BUFFER_POOL_READ_REQUESTS", admin)?;
            let misses = read("INNODB_BUFFER_POOL_READS", admin)?;
            Some((requests.saturating_sub(misses), misses))
        }
        Engine::Sqlite => None,
    }
}

/// Δhits / Δ(hits + misses); `None` when nothing was read (D3).
pub fn hit_ratio(before: Option<(u64, u64)>, after: Option<(u64, u64)>) -> Option<f64> {
    let ((h0, m0), (h1, m1)) = (before?, after?);
    ratio(h1.saturating_sub(h0), m1.saturating_sub(m0))
}

/// hits / (hits + misses), `None` for 0 / 0.
pub fn ratio(hits: u64, misses: u64) -> Option<f64> {
    (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64)
}

/// What the clients of one cell measured.
pub struct CellRun {
    /// The cell as reported.
    pub cell: RateCell,
    /// Merged per-transaction latencies (for Prometheus and the totals).
    pub latencies: LatencyRecorder,
    /// SQLite page-cache (hits, misses) summed over the clients' connections.
    pub sqlite_cache: Option<(u64, u64)>,
}

#[derive(Default)]
struct ClientOut {
    lat: LatencyRecorder,
    done: u64,
    failed: u64,
    reconnects: u64,
    window: Duration,
    connect: Duration,
    cache: Option<(u64, u64)>,
}

/// Runs `script` with `clients` client threads for `window`.
pub fn run_cell(
    ns: &Namespace,
    script: Script,
    clients: u64,
    window: Duration,
    seed: u64,
    ctl: &RunControl,
) -> BenchResult<CellRun> {
    let barrier = Barrier::new(clients as usize + 1);
    let connect_failed = AtomicBool::new(false);
    let first_error = Mutex::new(None);
    let started = Instant::now();
    let mut connect_wall = Duration::ZERO;
    let outs: Vec<ClientOut> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let (barrier, connect_failed, first_error) =
                    (&barrier, &connect_failed, &first_error);
                std::thread::Builder::new()
                    .name(format!("novacron-db-{i}"))
                    .spawn_scoped(sc, move || {
                        let mut out = ClientOut::default();
                        let session = connect(&ns.target);
                        if let Err(e) = &session {
                            connect_failed.store(true, Ordering::SeqCst);
                            first_error.lock().unwrap().get_or_insert(e.to_string());
                        }
                        barrier.wait();
                        let Ok(mut s) = session else { return out };
                        if connect_failed.load(Ordering::SeqCst) {
                            return out;
                        }
                        out.connect = s.connect_time;
                        let base = s.sqlite_cache_counts();
                        let mut rng = Rng::new(seed ^ (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                        let t0 = Instant::now();
                        let end = t0 + window;
                        let mut now = t0;
                        while now < end && !ctl.is_cancelled() {
                            let r = script.run_once(&mut s, ns, &mut rng);
                            let after = Instant::now();
                            match r {
                                Ok(()) => {
                                    out.lat.record(after - now);
                                    out.done += 1;
                                }
                                Err(_) => {
                                    out.failed += 1;
                                    if recover(&mut s, &ns.target, end, ctl) {
                                        out.reconnects += 1;
                                    }
                                }
                            }
                            now = Instant::now();
                        }
                        out.window = now - t0;
                        out.cache = match (base, s.sqlite_cache_counts()) {
                            (Some((h0, m0)), Some((h1, m1))) => {
                                Some((h1.saturating_sub(h0), m1.saturating_sub(m0)))
                            }
                            _ => None,
                        };
                        out
                    })
            })
            .collect();
        barrier.wait();
        connect_wall = started.elapsed();
        handles
            .into_iter()
            .filter_map(|h| h.ok().and_then(|h| h.join().ok()))
            .collect()
    });
    if let Some(e) = first_error.into_inner().unwrap() {
        return Err(crate::bench::BenchError::Target(e));
    }
    ctl.check()?;
    let mut lat = LatencyRecorder::new();
    let (mut done, mut failed, mut reconnects) = (0, 0, 0);
    let mut window = Duration::ZERO;
    let mut connect_sum = Duration::ZERO;
    let mut cache: Option<(u64, u64)> = None;
    for o in &outs {
        lat.merge(&o.lat);
        done += o.done;
        failed += o.failed;
        reconnects += o.reconnects;
        window = window.max(o.window);
        connect_sum += o.connect;
        if let Some((h, m)) = o.cache {
            let c = cache.get_or_insert((0, 0));
            c.0 += h;
            c.1 += m;
        }
    }
    let secs = window.as_secs_f64().max(1e-9);
    let summary = lat.summary();
    let cell = RateCell {
        tps: done as f64 / secs,
        tps_including_connections: done as f64 / (secs + connect_wall.as_secs_f64()),
        latency: summary.map(|s| RateLatency {
            avg: s.avg,
            p50: s.p50,
            p95: s.p95,
            p99: s.p99,
            max: s.max,
        }),
        transactions: done,
        failed,
        duration_ms: window.as_secs_f64() * 1e3,
        connect_ms: connect_sum.as_secs_f64() * 1e3 / clients.max(1) as f64,
        reconnects,
        cache_hit_ratio: cache.and_then(|(h, m)| ratio(h, m)),
    };
    Ok(CellRun {
        cell,
        latencies: lat,
        sqlite_cache: cache,
    })
}
