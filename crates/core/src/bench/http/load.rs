//! HTTP load: `connections` keep-alive connections spread over at most one thread per
//! core, each thread an epoll loop (as wrk does), so that the load generator spends its
//! CPU on requests rather than on context switches.
//!
//! - Closed loop (wrk): a connection sends its next request as soon as the previous
//!   response is complete; latency is response complete − request sent. It hides
//!   coordinated omission and is labelled so (rule H1). Requests still out at the end are
//!   abandoned, as wrk does.
//! - Open loop (wrk2 `-R`): requests are due on the [`Schedule`]; a connection still busy
//!   when a request falls due sends it as soon as it is free, and latency is response
//!   complete − *due* time, so a stalled server shows up in every request that should have
//!   been sent during the stall. A timerfd (nanosecond hrtimer) wakes the loop at the due
//!   time, without the ~1 ms error of sleep-based schedules. Sending stops at the end of
//!   the window whatever the server does: requests due and not sent are `missed`, requests
//!   sent and not answered within the [`grace`] after it are timed out, and both enter the
//!   latency from their due time to the moment they were given up.
//!
//! Requests due (open) or completed (closed) during the warm-up are not recorded.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::conn::{Conn, Failure, Request};
use super::schedule::{grace, Schedule};
use super::sys::{arm, drain_timer, epoll_add, epoll_create, epoll_wait, timerfd_create};
use crate::bench::control::RunControl;
use crate::bench::latency::LatencyRecorder;

/// Token of the timer in the epoll set.
const TIMER: u64 = u64::MAX;
/// Longest sleep between checks of the stop flag.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// One load run's parameters.
#[derive(Debug, Clone, Copy)]
pub struct LoadSpec {
    /// Connections.
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

/// Counts of one run (merged over threads).
#[derive(Debug, Clone, Default)]
pub struct LoadStats {
    /// Latency of every response in the window (open loop: and of every request given up).
    pub latency: LatencyRecorder,
    /// Delay between due and actual send (open loop).
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
    /// Read failures and malformed or truncated responses.
    pub read: u64,
    /// Requests sent, then reset or closed by the server before a response.
    pub reset: u64,
    /// Requests without a complete response in time (open loop: or by the end of the run).
    pub timeout: u64,
    /// Requests resent once because the server had closed the kept-alive connection
    /// before the request went out (a failure after the resend still counts).
    pub retries: u64,
    /// Connections opened.
    pub connections_opened: u64,
    /// The first counted failure (transport error, or the status of a non-2xx/3xx).
    pub first_error: Option<String>,
    /// Open loop: requests due in the window.
    pub scheduled: u64,
    /// Open loop: requests due in the window and never sent (the connection was still
    /// busy when the window ended).
    pub missed: u64,
}

impl LoadStats {
    /// Responses in the window (any status).
    pub fn responses(&self) -> u64 {
        self.ok + self.status_4xx + self.status_5xx
    }

    /// Failed requests in the window (transport failures plus non-2xx/3xx).
    pub fn failures(&self) -> u64 {
        self.connect
            + self.write
            + self.read
            + self.reset
            + self.timeout
            + self.status_4xx
            + self.status_5xx
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
        self.reset += o.reset;
        self.timeout += o.timeout;
        self.retries += o.retries;
        self.connections_opened += o.connections_opened;
        self.scheduled += o.scheduled;
        self.missed += o.missed;
        if self.first_error.is_none() {
            self.first_error.clone_from(&o.first_error);
        }
    }

    /// Counts a failure of a measured request (`counted`) and keeps its message when it is
    /// the first; failures of warm-up requests are neither counted nor shown.
    fn fail(&mut self, kind: Failure, e: &io::Error, counted: bool) {
        if !counted {
            return;
        }
        self.first_error
            .get_or_insert_with(|| format!("{kind:?}: {e}"));
        match kind {
            Failure::Connect => self.connect += 1,
            Failure::Write | Failure::Closed => self.write += 1,
            Failure::Read => self.read += 1,
            Failure::Reset => self.reset += 1,
            Failure::Timeout => self.timeout += 1,
        }
    }

    /// Counts a measured response by status class; the first non-2xx/3xx is shown.
    fn status(&mut self, status: u16) {
        match status {
            200..=399 => self.ok += 1,
            400..=499 => self.status_4xx += 1,
            _ => self.status_5xx += 1,
        }
        if !(200..=399).contains(&status) {
            self.first_error
                .get_or_insert_with(|| format!("Status: HTTP {status}"));
        }
    }

    /// A failure of the run itself (a thread), shown even though no request is counted.
    fn note(&mut self, msg: String) {
        self.first_error.get_or_insert(msg);
    }
}

/// Runs the load; every thread is joined before this returns.
pub fn run(req: &Request, spec: LoadSpec, ctl: &RunControl) -> LoadStats {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (spec.connections as usize).min(cores).max(1);
    let start = Instant::now() + Duration::from_millis(5);
    let mut total = LoadStats::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .filter_map(|t| {
                let mine: Vec<u32> = (t as u32..spec.connections).step_by(threads).collect();
                std::thread::Builder::new()
                    .name(format!("novacron-http-{t}"))
                    .spawn_scoped(s, move || event_loop(req, spec, &mine, start, ctl))
                    .ok()
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(Ok(st)) => total.merge(&st),
                Ok(Err(e)) => total.note(format!("{:?}: {e}", Failure::Connect)),
                Err(_) => total.note(format!("{:?}: a load thread panicked", Failure::Read)),
            }
        }
    });
    total
}

struct InFlight {
    due: Instant,
    sent: Instant,
}

struct Slot {
    index: u32,
    conn: Option<Conn>,
    /// Open loop: number of this connection's next request.
    next: u32,
    inflight: Option<InFlight>,
    /// No new connection attempt before this (after a refused connect).
    retry_at: Option<Instant>,
    /// Open loop: sending is over for this connection (window ended).
    done: bool,
}

struct Loop<'a> {
    req: &'a Request,
    spec: LoadSpec,
    measure_from: Instant,
    end: Instant,
    /// Open loop: the schedule, and the latest moment to wait for answers.
    open: Option<(Schedule, Instant)>,
    epoll: OwnedFd,
    st: LoadStats,
}

fn event_loop(
    req: &Request,
    spec: LoadSpec,
    mine: &[u32],
    start: Instant,
    ctl: &RunControl,
) -> io::Result<LoadStats> {
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let mut lp = Loop {
        req,
        spec,
        measure_from,
        end,
        open: spec.rate.map(|rate| {
            let s = Schedule {
                start,
                measure_from,
                end,
                rate,
                connections: spec.connections,
            };
            (s, end + grace(spec.timeout))
        }),
        epoll: epoll_create()?,
        st: LoadStats::default(),
    };
    let timer = timerfd_create()?;
    epoll_add(&lp.epoll, timer.as_raw_fd(), TIMER)?;
    let mut slots: Vec<Slot> = mine
        .iter()
        .map(|&index| Slot {
            index,
            conn: None,
            next: 0,
            inflight: None,
            retry_at: None,
            done: false,
        })
        .collect();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; slots.len() + 1];
    let mut armed: Option<Instant> = None;
    while !ctl.is_cancelled() {
        let now = Instant::now();
        let mut wake = now + MAX_SLEEP;
        let mut active = false;
        for (pos, slot) in slots.iter_mut().enumerate() {
            if slot.inflight.is_none() {
                match lp.due(slot, now) {
                    None => continue, // this connection is done
                    Some(_) if lp.open.is_some() && now >= lp.end => {
                        // The window is over: what is still due was never sent.
                        lp.miss_rest(slot);
                        continue;
                    }
                    Some(due) if due <= now && slot.retry_at.is_none_or(|t| t <= now) => {
                        lp.start(slot, pos, due, now)
                    }
                    Some(due) => wake = wake.min(due.max(slot.retry_at.unwrap_or(due))),
                }
                active = true;
            }
            if let Some(f) = &slot.inflight {
                active = true;
                let give_up = lp.give_up_at(f);
                if now >= give_up {
                    let due = f.due;
                    lp.timed_out(slot, due, now);
                    if lp.open.is_none() && now >= lp.end {
                        continue;
                    }
                } else {
                    wake = wake.min(give_up);
                }
            }
            if lp.open.is_some() && slot.inflight.is_none() && !slot.done {
                // Come back at the end of the window to count what is left as missed.
                wake = wake.min(lp.end);
            }
        }
        let closed_over = lp.open.is_none() && now >= lp.end;
        if !active || closed_over {
            break;
        }
        let wait = wake.saturating_duration_since(Instant::now());
        let n = if lp.open.is_some() {
            // Open loop: a nanosecond timer for the next due time (re-armed only when it moves).
            if armed != Some(wake) {
                arm(&timer, wait)?;
                armed = Some(wake);
            }
            epoll_wait(&lp.epoll, &mut events, MAX_SLEEP)?
        } else {
            epoll_wait(&lp.epoll, &mut events, wait + Duration::from_millis(1))?
        };
        let now = Instant::now();
        for ev in &events[..n] {
            if ev.u64 == TIMER {
                drain_timer(&timer);
                armed = None;
                continue;
            }
            let slot = &mut slots[ev.u64 as usize];
            lp.on_readable(slot, now);
        }
    }
    Ok(lp.st)
}

impl Loop<'_> {
    /// When `slot`'s next request is due (`None`: no more requests for it).
    fn due(&self, slot: &Slot, now: Instant) -> Option<Instant> {
        match &self.open {
            Some(_) if slot.done => None,
            Some((s, _)) => s.due(slot.index, slot.next),
            None => (now < self.end).then_some(now),
        }
    }

    /// True when a request due at `due` (open) or completed at `now` (closed) is measured.
    fn counted(&self, due: Instant, now: Instant) -> bool {
        match &self.open {
            Some((s, _)) => s.counted(due),
            None => now >= self.measure_from && now < self.end,
        }
    }

    /// When an unanswered request is given up: its timeout, and in the open loop at the
    /// latest the end of the grace after the window.
    fn give_up_at(&self, f: &InFlight) -> Instant {
        let timeout = f.sent + self.spec.timeout;
        match &self.open {
            Some((_, last)) => timeout.min(*last),
            None => timeout,
        }
    }

    /// Open loop: every request of `slot` still due in the window is missed; its latency
    /// runs from its due time to the end of the window, when sending stopped.
    fn miss_rest(&mut self, slot: &mut Slot) {
        let Some((s, _)) = &self.open else {
            return;
        };
        for due in s.rest(slot.index, slot.next) {
            self.st.scheduled += 1;
            self.st.missed += 1;
            self.st
                .latency
                .record(self.end.saturating_duration_since(due));
        }
        slot.done = true;
    }

    /// A request without an answer in time: a timeout failure; in the open loop its
    /// latency (due time to now) is recorded too, as a lower bound of what it would have been.
    fn timed_out(&mut self, slot: &mut Slot, due: Instant, now: Instant) {
        let counted = self.counted(due, now);
        self.st.fail(
            Failure::Timeout,
            &io::Error::new(io::ErrorKind::TimedOut, "request timeout"),
            counted,
        );
        if counted && self.open.is_some() {
            self.st.latency.record(now.saturating_duration_since(due));
        }
        slot.inflight = None;
        slot.conn = None;
    }

    fn connect(&mut self, slot: &mut Slot, pos: usize) -> Result<(), (Failure, io::Error)> {
        if slot.conn.is_none() {
            let c = Conn::open(self.req.addr, self.spec.timeout)?;
            epoll_add(&self.epoll, c.fd(), pos as u64).map_err(|e| (Failure::Connect, e))?;
            self.st.connections_opened += 1;
            slot.conn = Some(c);
        }
        Ok(())
    }

    fn start(&mut self, slot: &mut Slot, pos: usize, due: Instant, now: Instant) {
        if self.open.is_some() {
            slot.next += 1;
            if due >= self.measure_from {
                self.st.scheduled += 1;
            }
        }
        let sent = Instant::now();
        match self.send(slot, pos) {
            Ok(()) => {
                slot.retry_at = None;
                slot.inflight = Some(InFlight { due, sent });
            }
            Err((Failure::Closed, _)) => self.resend(slot, pos, due, sent, now),
            Err((kind, e)) => self.failed(slot, kind, &e, due, now),
        }
    }

    fn send(&mut self, slot: &mut Slot, pos: usize) -> Result<(), (Failure, io::Error)> {
        self.connect(slot, pos)?;
        match slot.conn.as_mut() {
            Some(c) => c.send(&self.req.bytes, self.spec.timeout),
            None => Err((Failure::Connect, io::Error::other("no connection"))),
        }
    }

    /// The server had closed a kept-alive connection before the request went out (the
    /// write failed): reconnect and send once more, counted in `retries`. A failure of the
    /// resend is that request's failure; nothing the server read is ever resent.
    fn resend(&mut self, slot: &mut Slot, pos: usize, due: Instant, sent: Instant, now: Instant) {
        self.st.retries += 1;
        slot.conn = None;
        match self.send(slot, pos) {
            Ok(()) => slot.inflight = Some(InFlight { due, sent }),
            Err((kind, e)) => self.failed(slot, kind, &e, due, now),
        }
    }

    fn failed(
        &mut self,
        slot: &mut Slot,
        kind: Failure,
        e: &io::Error,
        due: Instant,
        now: Instant,
    ) {
        let counted = self.counted(due, now);
        self.st.fail(kind, e, counted);
        slot.conn = None;
        slot.inflight = None;
        if kind == Failure::Connect {
            // Do not hammer a refusing server in a tight loop.
            slot.retry_at = Some(now + Duration::from_millis(10));
        }
    }

    fn on_readable(&mut self, slot: &mut Slot, now: Instant) {
        let Some(conn) = slot.conn.as_mut() else {
            return;
        };
        let Some(f) = slot.inflight.as_ref() else {
            // Readable while idle: the server closed the connection (or sent garbage).
            slot.conn = None;
            return;
        };
        let (due, sent) = (f.due, f.sent);
        match conn.poll_response() {
            Ok(None) => {}
            Ok(Some((status, keep))) => {
                slot.inflight = None;
                if !keep {
                    slot.conn = None;
                }
                if !self.counted(due, now) {
                    return;
                }
                if self.open.is_some() {
                    self.st.latency.record(now - due);
                    self.st.lag.record(sent.saturating_duration_since(due));
                } else {
                    self.st.latency.record(now - sent);
                }
                self.st.status(status);
            }
            Err((kind, e)) => self.failed(slot, kind, &e, due, now),
        }
    }
}
