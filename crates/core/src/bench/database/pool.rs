//! Pool efficiency (D5): `clients` threads share a pool of `size` connections. Each
//! transaction first acquires a connection (the wait goes into its own histogram, a wait
//! past [`ACQUIRE_TIMEOUT`] counts as a timeout), runs the script, and gives the connection
//! back; utilisation is the connections' busy time over `size` × the window.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::bench::control::RunControl;
use crate::bench::latency::LatencyRecorder;
use crate::bench::rng::Rng;
use crate::bench::{BenchError, BenchResult};

use super::report::{PoolCell, RateLatency};
use super::schema::Namespace;
use super::target::{connect, Session};
use super::workload::{recover, Script};

/// Longest wait for a pooled connection before the attempt counts as a timeout.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A blocking pool of open sessions.
struct Pool {
    idle: Mutex<Vec<Session>>,
    freed: Condvar,
}

impl Pool {
    fn acquire(&self, until: Instant) -> Option<Session> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(s) = idle.pop() {
                return Some(s);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            idle = self
                .freed
                .wait_timeout(idle, until - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn release(&self, s: Session) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(s);
        self.freed.notify_one();
    }
}

fn summary(r: &LatencyRecorder) -> Option<RateLatency> {
    r.summary().map(|s| RateLatency {
        avg: s.avg,
        p50: s.p50,
        p95: s.p95,
        p99: s.p99,
        max: s.max,
    })
}

/// Runs `script` with `clients` threads over a pool of `size` connections for `window`.
pub fn run_pool_cell(
    ns: &Namespace,
    script: Script,
    size: u64,
    clients: u64,
    window: Duration,
    seed: u64,
    ctl: &RunControl,
) -> BenchResult<PoolCell> {
    let mut sessions = Vec::new();
    for _ in 0..size {
        sessions.push(connect(&ns.target)?);
    }
    let pool = Pool {
        idle: Mutex::new(sessions),
        freed: Condvar::new(),
    };
    let busy_ns = AtomicU64::new(0);
    let barrier = Barrier::new(clients as usize);
    let started = Instant::now();
    let outs: Vec<(LatencyRecorder, LatencyRecorder, u64, u64, u64)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let (pool, busy_ns, barrier) = (&pool, &busy_ns, &barrier);
                std::thread::Builder::new()
                    .name(format!("novacron-db-p{i}"))
                    .spawn_scoped(sc, move || {
                        let (mut wait, mut lat) = (LatencyRecorder::new(), LatencyRecorder::new());
                        let (mut done, mut failed, mut timeouts) = (0u64, 0u64, 0u64);
                        let mut rng = Rng::new(seed ^ (i + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                        barrier.wait();
                        let end = Instant::now() + window;
                        while Instant::now() < end && !ctl.is_cancelled() {
                            let asked = Instant::now();
                            let Some(mut s) = pool.acquire((asked + ACQUIRE_TIMEOUT).min(end))
                            else {
                                if Instant::now() < end {
                                    timeouts += 1;
                                }
                                continue;
                            };
                            let got = Instant::now();
                            wait.record(got - asked);
                            match script.run_once(&mut s, ns, &mut rng) {
                                Ok(()) => {
                                    done += 1;
                                    lat.record(got.elapsed() + (got - asked));
                                }
                                Err(_) => {
                                    failed += 1;
                                    recover(&mut s, &ns.target, end, ctl);
                                }
                            }
                            busy_ns.fetch_add(got.elapsed().as_nanos() as u64, Ordering::Relaxed);
                            pool.release(s);
                        }
                        (wait, lat, done, failed, timeouts)
                    })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.ok().and_then(|h| h.join().ok()))
            .collect()
    });
    ctl.check()?;
    if outs.len() as u64 != clients {
        return Err(BenchError::Io("a pool client thread failed".into()));
    }
    let elapsed = started.elapsed().min(window + ACQUIRE_TIMEOUT).max(window);
    let (mut wait, mut lat) = (LatencyRecorder::new(), LatencyRecorder::new());
    let (mut done, mut failed, mut timeouts) = (0, 0, 0);
    for (w, l, d, f, t) in &outs {
        wait.merge(w);
        lat.merge(l);
        done += d;
        failed += f;
        timeouts += t;
    }
    let secs = window.as_secs_f64();
    Ok(PoolCell {
        tps: done as f64 / secs,
        acquire_wait: summary(&wait),
        latency: summary(&lat),
        utilisation: busy_ns.load(Ordering::Relaxed) as f64
            / 1e9
            / (size as f64 * elapsed.as_secs_f64()),
        timeouts,
        transactions: done,
        failed,
        duration_ms: secs * 1e3,
    })
}
