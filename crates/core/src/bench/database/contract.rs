//! The contract's sub-tests (api-spec §4.4) on real SQL: each times `samples` sequential
//! operations into a latency histogram, then runs them back to back for the throughput
//! window, on one connection — the original's `measureLatency` / `measureThroughput`
//! shape, with a database behind it instead of a sleep.

use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bench::control::RunControl;
use crate::bench::latency::LatencyRecorder;
use crate::bench::rng::Rng;
use crate::bench::{BenchError, BenchResult};

use super::report::{ConcurrencyLevel, Operation, Throughput, MAX_OPERATIONS_KEPT};
use super::schema::{Namespace, USERS};
use super::target::{connect, Engine, Session};
use super::workload::recover;

/// One operation of a sub-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// SELECT … LIMIT 10.
    Simple,
    /// users ⋈ profiles by date, ordered, LIMIT 100.
    Complex,
    /// count/avg by status with HAVING.
    Aggregate,
    /// One-row INSERT into temp_data.
    Insert,
    /// Multi-row INSERT of this many rows.
    Batch(u64),
    /// UPDATE users by primary key.
    Update,
    /// DELETE from temp_data by primary key.
    Delete,
    /// BEGIN; INSERT; UPDATE; SELECT; COMMIT.
    Transaction,
}

/// The connection and counters a sub-test sequence shares.
pub struct Driver<'a> {
    ns: &'a Namespace,
    s: Session,
    rng: Rng,
    next_id: u64,
    next_delete: u64,
    /// Time spent refilling rows to delete, excluded from the throughput window.
    refill: Duration,
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

impl<'a> Driver<'a> {
    /// A driver on a new connection to the namespace's target.
    pub fn new(ns: &'a Namespace) -> BenchResult<Driver<'a>> {
        Ok(Driver {
            s: connect(&ns.target)?,
            rng: Rng::new(ns.seed ^ 0x00C0_FFEE),
            ns,
            next_id: 1,
            next_delete: 1,
            refill: Duration::ZERO,
        })
    }

    fn rows(&mut self, n: u64) -> String {
        let ts = 1_700_000_000 + self.rng.below(86_400);
        let rows: Vec<String> = (0..n)
            .map(|_| {
                let id = self.next_id;
                self.next_id += 1;
                format!("({id},'payload {id}',{ts})")
            })
            .collect();
        rows.join(",")
    }

    /// Makes sure a row is there to delete (untimed).
    fn ensure_deletable(&mut self) -> Result<(), String> {
        if self.next_delete < self.next_id {
            return Ok(());
        }
        let t = Instant::now();
        let sql = format!(
            "INSERT INTO {} VALUES {}",
            self.ns.table("temp_data"),
            self.rows(500)
        );
        let r = self.s.exec(&sql).map(|_| ());
        self.refill += t.elapsed();
        r
    }

    /// Runs `op` once, timing only the operation itself.
    pub fn once(&mut self, op: Op) -> Result<Duration, String> {
        let ns = self.ns;
        let (users, profiles, temp) = (
            ns.table("users"),
            ns.table("profiles"),
            ns.table("temp_data"),
        );
        if op == Op::Delete {
            self.ensure_deletable()?;
        }
        let id = 1 + self.rng.below(USERS);
        let sql = match op {
            Op::Simple => format!("SELECT id, name, email, status FROM {users} WHERE id >= {id} ORDER BY id LIMIT 10"),
            Op::Complex => format!(
                "SELECT u.id, u.name, p.bio FROM {users} u JOIN {profiles} p ON p.user_id = u.id \
                 WHERE u.created_at > {} ORDER BY u.created_at DESC LIMIT 100",
                1_700_000_000 + self.rng.below(300 * 86_400)
            ),
            Op::Aggregate => format!(
                "SELECT status, COUNT(*), AVG(score) FROM {users} GROUP BY status HAVING COUNT(*) > 1"
            ),
            Op::Insert => format!("INSERT INTO {temp} VALUES {}", self.rows(1)),
            Op::Batch(n) => format!("INSERT INTO {temp} VALUES {}", self.rows(n)),
            Op::Update => format!("UPDATE {users} SET score = {} WHERE id = {id}", self.rng.below(1000)),
            Op::Delete => {
                let d = self.next_delete;
                self.next_delete += 1;
                format!("DELETE FROM {temp} WHERE id = {d}")
            }
            Op::Transaction => String::new(),
        };
        let t = Instant::now();
        match op {
            Op::Simple | Op::Complex | Op::Aggregate => {
                self.s.query(&sql)?;
            }
            Op::Transaction => {
                let row = self.rows(1);
                let begin = if ns.target.engine == Engine::Sqlite {
                    "BEGIN IMMEDIATE"
                } else {
                    "BEGIN"
                };
                let r = (|| {
                    self.s.exec(begin)?;
                    self.s.exec(&format!("INSERT INTO {temp} VALUES {row}"))?;
                    self.s.exec(&format!(
                        "UPDATE {users} SET score = score + 1 WHERE id = {id}"
                    ))?;
                    self.s
                        .query(&format!("SELECT score FROM {users} WHERE id = {id}"))?;
                    self.s.exec("COMMIT").map(|_| ())
                })();
                if r.is_err() {
                    let _ = self.s.exec("ROLLBACK");
                }
                r?;
            }
            _ => {
                self.s.exec(&sql)?;
            }
        }
        Ok(t.elapsed())
    }

    /// `samples` sequential operations into a histogram; the first failure stops it.
    pub fn latency(
        &mut self,
        op: Op,
        samples: u64,
        ctl: &RunControl,
    ) -> BenchResult<LatencyRecorder> {
        let mut rec = LatencyRecorder::new();
        for _ in 0..samples {
            ctl.check()?;
            let d = self
                .once(op)
                .map_err(|e| self.ns.target.error(format!("{op:?}: {e}")))?;
            rec.record(d);
        }
        Ok(rec)
    }

    /// Operations back to back for `window`.
    pub fn throughput(
        &mut self,
        op: Op,
        window: Duration,
        ctl: &RunControl,
    ) -> BenchResult<Throughput> {
        self.refill = Duration::ZERO;
        let t0 = Instant::now();
        let (mut done, mut failed, mut busy) = (0u64, 0u64, Duration::ZERO);
        let mut ops = Vec::new();
        while t0.elapsed() < window + self.refill {
            ctl.check()?;
            match self.once(op) {
                Ok(d) => {
                    done += 1;
                    busy += d;
                    if ops.len() < MAX_OPERATIONS_KEPT {
                        ops.push(Operation {
                            duration: d.as_secs_f64() * 1e3,
                            timestamp: now_ms(),
                        });
                    }
                }
                Err(_) => {
                    failed += 1;
                    // Rolls back, and opens a new connection when the server dropped this one.
                    recover(&mut self.s, &self.ns.target, t0 + window + self.refill, ctl);
                }
            }
        }
        let total = t0.elapsed().saturating_sub(self.refill).as_secs_f64();
        Ok(Throughput {
            operations_per_second: done as f64 / total.max(1e-9),
            total_operations: done,
            total_time: total * 1e3,
            avg_operation_time: if done > 0 {
                busy.as_secs_f64() * 1e3 / done as f64
            } else {
                0.0
            },
            operations: ops,
            failed,
        })
    }
}

/// `n` workers, each on its own connection (opened before the common start), run simple
/// queries back to back for `window`.
pub fn concurrency_level(
    ns: &Namespace,
    n: u64,
    window: Duration,
    ctl: &RunControl,
) -> BenchResult<ConcurrencyLevel> {
    let barrier = Barrier::new(n as usize + 1);
    let results: Vec<Result<(u64, u64, Duration), String>> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let barrier = &barrier;
                std::thread::Builder::new()
                    .name(format!("novacron-db-c{i}"))
                    .spawn_scoped(sc, move || {
                        let driver = Driver::new(ns);
                        barrier.wait();
                        let mut d = driver.map_err(|e| e.to_string())?;
                        let t0 = Instant::now();
                        let (mut ok, mut failed) = (0, 0);
                        while t0.elapsed() < window && !ctl.is_cancelled() {
                            match d.once(Op::Simple) {
                                Ok(_) => ok += 1,
                                Err(_) => failed += 1,
                            }
                        }
                        Ok((ok, failed, t0.elapsed()))
                    })
            })
            .collect();
        barrier.wait();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|_| Err("worker panicked".into())),
                Err(e) => Err(format!("cannot start a worker thread: {e}")),
            })
            .collect()
    });
    ctl.check()?;
    let (mut ok, mut failed, mut wall) = (0, 0, Duration::ZERO);
    for r in results {
        let (o, f, w) = r.map_err(BenchError::Target)?;
        ok += o;
        failed += f;
        wall = wall.max(w);
    }
    Ok(ConcurrencyLevel {
        total_time: wall.as_secs_f64() * 1e3,
        operations_per_second: ok as f64 / wall.as_secs_f64().max(1e-9),
        operations: ok,
        failed,
    })
}
