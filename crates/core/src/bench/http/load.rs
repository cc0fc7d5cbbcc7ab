//! HTTP load on `connections` threads, one keep-alive connection each.
//!
//! - Closed loop (wrk): each connection sends its next request when the previous response
//!   is complete; latency is response complete − request sent. It hides coordinated
//!   omission and is labelled so (rule H1).
//! - Open loop (wrk2 `-R`): request *i* of connection *c* is scheduled at
//!   `start + (c + i·connections) / rate`; a connection that falls behind sends at once,
//!   and latency is response complete − *scheduled* time, so a stalled server shows up
//!   in every request that should have been sent during the stall. Sleeps stop 250 µs early
//!   and the rest is spun, because OS sleeps overshoot (wrk2: ±~1 ms).
//!
//! Requests scheduled (open) or completed (closed) during the warm-up are not recorded.

use std::time::{Duration, Instant};

use super::conn::{Conn, Failure, Request};
use crate::bench::control::RunControl;
use crate::bench::latency::LatencyRecorder;

/// One load run's parameters.
#[derive(Debug, Clone, Copy)]
pub struct LoadSpec {
    /// Connections (threads).
    pub connections: u32,
    /// Excluded warm-up.
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Open loop at this many requests/s; `None`: closed loop.
    pub rate: Option<f64>,
}

/// Counts of one run (merged over connections).
#[derive(Debug, Clone, Default)]
pub struct LoadStats {
    /// Latency of every response in the window.
    pub latency: LatencyRecorder,
    /// Delay between scheduled and actual send (open loop).
    pub lag: LatencyRecorder,
    /// 2xx/3xx responses in the window.
    pub ok: u64,
    /// 4xx responses.
    pub status_4xx: u64,
    /// 5xx and other non-2xx/3xx responses.
    pub status_5xx: u64,
    /// Connections that could not be opened.
    pub connect: u64,
    /// Write failures.
    pub write: u64,
    /// Read failures and malformed responses.
    pub read: u64,
    /// Requests without a complete response in time.
    pub timeout: u64,
    /// Requests resent once because the server had closed the kept-alive connection.
    pub retries: u64,
    /// Connections opened.
    pub connections_opened: u64,
    /// The first failure's message.
    pub first_error: Option<String>,
    /// Open loop: requests scheduled in the window.
    pub scheduled: u64,
}

impl LoadStats {
    /// Responses in the window (any status).
    pub fn responses(&self) -> u64 {
        self.ok + self.status_4xx + self.status_5xx
    }

    /// Failed requests in the window (transport failures plus non-2xx/3xx).
    pub fn failures(&self) -> u64 {
        self.connect + self.write + self.read + self.timeout + self.status_4xx + self.status_5xx
    }

    fn merge(&mut self, o: &LoadStats) {
        self.latency.merge(&o.latency);
        self.lag.merge(&o.lag);
        self.ok += o.ok;
        self.status_4xx += o.status_4xx;
        self.status_5xx += o.status_5xx;
        self.connect += o.connect;
        self.write += o.write;
        self.read += o.read;
        self.timeout += o.timeout;
        self.retries += o.retries;
        self.connections_opened += o.connections_opened;
        self.scheduled += o.scheduled;
        if self.first_error.is_none() {
            self.first_error.clone_from(&o.first_error);
        }
    }

    fn fail(&mut self, kind: Failure, e: &std::io::Error, counted: bool) {
        self.first_error
            .get_or_insert_with(|| format!("{kind:?}: {e}"));
        if !counted {
            return;
        }
        match kind {
            Failure::Connect => self.connect += 1,
            Failure::Write => self.write += 1,
            Failure::Read | Failure::Closed => self.read += 1,
            Failure::Timeout => self.timeout += 1,
        }
    }
}

/// Runs the load; every connection thread is joined before this returns.
pub fn run(req: &Request, spec: LoadSpec, ctl: &RunControl) -> LoadStats {
    let start = Instant::now() + Duration::from_millis(5);
    let mut total = LoadStats::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..spec.connections)
            .filter_map(|c| {
                std::thread::Builder::new()
                    .name(format!("novacron-http-{c}"))
                    .spawn_scoped(s, move || connection(req, spec, c, start, ctl))
                    .ok()
            })
            .collect();
        for h in handles {
            if let Ok(st) = h.join() {
                total.merge(&st);
            }
        }
    });
    total
}

fn connection(
    req: &Request,
    spec: LoadSpec,
    index: u32,
    start: Instant,
    ctl: &RunControl,
) -> LoadStats {
    let mut st = LoadStats::default();
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let mut conn: Option<Conn> = None;
    let interval = spec
        .rate
        .map(|r| Duration::from_secs_f64(f64::from(spec.connections) / r));
    let first = spec
        .rate
        .map(|r| start + Duration::from_secs_f64(f64::from(index) / r));
    let mut i: u32 = 0;
    while !ctl.is_cancelled() {
        // Open loop: the schedule; closed loop: now.
        let scheduled = match (first, interval) {
            (Some(f), Some(iv)) => f + iv * i,
            _ => Instant::now(),
        };
        i += 1;
        if scheduled >= end {
            break;
        }
        if interval.is_some() {
            wait_until(scheduled, ctl);
        }
        let in_window = scheduled >= measure_from;
        if interval.is_some() && in_window {
            st.scheduled += 1;
        }
        let sent = Instant::now();
        let mut result = send(&mut conn, req, spec.timeout, &mut st);
        if matches!(result, Err((Failure::Closed, _))) {
            // A kept-alive connection the server closed: reconnect and resend once.
            st.retries += 1;
            conn = None;
            result = send(&mut conn, req, spec.timeout, &mut st);
        }
        let done = Instant::now();
        let counted = if interval.is_some() {
            in_window
        } else {
            done >= measure_from && done < end
        };
        match result {
            Ok((status, keep)) => {
                if counted {
                    st.latency
                        .record(done - if interval.is_some() { scheduled } else { sent });
                    if interval.is_some() {
                        st.lag.record(sent.saturating_duration_since(scheduled));
                    }
                    match status {
                        200..=399 => st.ok += 1,
                        400..=499 => st.status_4xx += 1,
                        _ => st.status_5xx += 1,
                    }
                }
                if !keep {
                    conn = None;
                }
            }
            Err((kind, e)) => {
                st.fail(kind, &e, counted);
                conn = None;
                if kind == Failure::Connect {
                    // Do not hammer a refusing server in a tight loop.
                    ctl.sleep(Duration::from_millis(10));
                }
            }
        }
    }
    st
}

fn send(
    conn: &mut Option<Conn>,
    req: &Request,
    timeout: Duration,
    st: &mut LoadStats,
) -> Result<(u16, bool), (Failure, std::io::Error)> {
    if conn.is_none() {
        *conn = Some(Conn::open(req.addr, timeout)?);
        st.connections_opened += 1;
    }
    conn.as_mut().expect("just opened").roundtrip(req, timeout)
}

fn wait_until(t: Instant, ctl: &RunControl) {
    loop {
        let now = Instant::now();
        if now >= t || ctl.is_cancelled() {
            return;
        }
        let left = t - now;
        if left > Duration::from_micros(300) {
            // Linux oversleeps by ~50–100 µs: wake 250 µs early and spin the rest.
            std::thread::sleep((left - Duration::from_micros(250)).min(Duration::from_millis(50)));
        } else {
            std::hint::spin_loop();
        }
    }
}
