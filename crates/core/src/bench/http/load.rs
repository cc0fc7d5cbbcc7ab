//! HTTP load: `connections` keep-alive connections spread over at most one thread per
//! core, each thread an epoll loop (as wrk does), so that the load generator spends its
//! CPU on requests rather than on context switches.
//!
//! - Closed loop (wrk): a connection sends its next request as soon as the previous
//!   response is complete; latency is response complete − request sent. It hides
//!   coordinated omission and is labelled so (rule H1).
//! - Open loop (wrk2 `-R`): request *i* of connection *c* is due at
//!   `start + (c + i·connections) / rate`; a connection still busy when a request falls
//!   due sends it as soon as it is free, and latency is response complete − *due* time,
//!   so a stalled server shows up in every request that should have been sent during the
//!   stall. A timerfd (nanosecond hrtimer) wakes the loop at the due time, without the
//!   ~1 ms error of sleep-based schedules.
//!
//! Requests due (open) or completed (closed) during the warm-up are not recorded.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::conn::{Conn, Failure, Request};
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
    /// Latency of every response in the window.
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
    /// Open loop: requests due in the window.
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

    fn fail(&mut self, kind: Failure, e: &io::Error, counted: bool) {
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
                Ok(Err(e)) => total.fail(Failure::Connect, &e, false),
                Err(_) => total.fail(
                    Failure::Read,
                    &io::Error::other("a load thread panicked"),
                    false,
                ),
            }
        }
    });
    total
}

struct InFlight {
    due: Instant,
    sent: Instant,
    retried: bool,
}

struct Slot {
    index: u32,
    conn: Option<Conn>,
    /// Open loop: number of this connection's next request.
    next: u32,
    inflight: Option<InFlight>,
    /// No new connection attempt before this (after a refused connect).
    retry_at: Option<Instant>,
}

struct Loop<'a> {
    req: &'a Request,
    spec: LoadSpec,
    start: Instant,
    measure_from: Instant,
    end: Instant,
    interval: Option<Duration>,
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
    let mut lp = Loop {
        req,
        spec,
        start,
        measure_from,
        end: measure_from + spec.duration,
        interval: spec
            .rate
            .map(|r| Duration::from_secs_f64(f64::from(spec.connections) / r)),
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
                    Some(due) if due <= now && slot.retry_at.is_none_or(|t| t <= now) => {
                        lp.start(slot, pos, due, now)
                    }
                    Some(due) => wake = wake.min(due.max(slot.retry_at.unwrap_or(due))),
                }
                active = true;
            }
            if let Some(f) = &slot.inflight {
                active = true;
                if now >= f.sent + spec.timeout {
                    let counted = lp.counted(f.due, now);
                    lp.st.fail(
                        Failure::Timeout,
                        &io::Error::new(io::ErrorKind::TimedOut, "request timeout"),
                        counted,
                    );
                    slot.inflight = None;
                    slot.conn = None;
                    if lp.interval.is_none() && now >= lp.end {
                        continue;
                    }
                } else {
                    wake = wake.min(f.sent + spec.timeout);
                }
            }
        }
        // Closed loop: requests still out at the end are abandoned, as wrk does.
        let closed_over = lp.interval.is_none() && now >= lp.end;
        if !active || closed_over {
            break;
        }
        let wait = wake.saturating_duration_since(Instant::now());
        let n = if lp.interval.is_some() {
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
            lp.on_readable(slot, ev.u64 as usize, now);
        }
    }
    Ok(lp.st)
}

impl Loop<'_> {
    /// When `slot`'s next request is due (`None`: no more requests for it).
    fn due(&self, slot: &Slot, now: Instant) -> Option<Instant> {
        match (self.interval, self.spec.rate) {
            (Some(iv), Some(rate)) => {
                let first = self.start + Duration::from_secs_f64(f64::from(slot.index) / rate);
                Some(first + iv * slot.next).filter(|d| *d < self.end)
            }
            _ => (now < self.end).then_some(now),
        }
    }

    /// True when a request due at `due` (open) or completed at `now` (closed) is measured.
    fn counted(&self, due: Instant, now: Instant) -> bool {
        if self.interval.is_some() {
            due >= self.measure_from && due < self.end
        } else {
            now >= self.measure_from && now < self.end
        }
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
        if self.interval.is_some() {
            slot.next += 1;
            if due >= self.measure_from {
                self.st.scheduled += 1;
            }
        }
        let sent = Instant::now();
        match self.send(slot, pos) {
            Ok(()) => {
                slot.retry_at = None;
                slot.inflight = Some(InFlight {
                    due,
                    sent,
                    retried: false,
                });
            }
            Err((Failure::Closed, _)) => self.resend(slot, pos, due, sent, now),
            Err((kind, e)) => self.failed(slot, kind, &e, due, now),
        }
    }

    fn send(&mut self, slot: &mut Slot, pos: usize) -> Result<(), (Failure, io::Error)> {
        self.connect(slot, pos)?;
        slot.conn
            .as_mut()
            .expect("connected")
            .send(&self.req.bytes, self.spec.timeout)
    }

    /// The server closed a kept-alive connection before answering: reconnect, resend once.
    fn resend(&mut self, slot: &mut Slot, pos: usize, due: Instant, sent: Instant, now: Instant) {
        self.st.retries += 1;
        slot.conn = None;
        match self.send(slot, pos) {
            Ok(()) => {
                slot.inflight = Some(InFlight {
                    due,
                    sent,
                    retried: true,
                })
            }
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

    fn on_readable(&mut self, slot: &mut Slot, pos: usize, now: Instant) {
        let Some(conn) = slot.conn.as_mut() else {
            return;
        };
        let Some(f) = slot.inflight.as_ref() else {
            // Readable while idle: the server closed the connection (or sent garbage).
            slot.conn = None;
            return;
        };
        let (due, sent, retried) = (f.due, f.sent, f.retried);
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
                if self.interval.is_some() {
                    self.st.latency.record(now - due);
                    self.st.lag.record(sent.saturating_duration_since(due));
                } else {
                    self.st.latency.record(now - sent);
                }
                match status {
                    200..=399 => self.st.ok += 1,
                    400..=499 => self.st.status_4xx += 1,
                    _ => self.st.status_5xx += 1,
                }
            }
            Err((Failure::Closed, _)) if !retried => self.resend(slot, pos, due, sent, now),
            Err((kind, e)) => self.failed(slot, kind, &e, due, now),
        }
    }
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the new descriptor is owned by the returned OwnedFd.
    unsafe { cvt(libc::epoll_create1(libc::EPOLL_CLOEXEC)).map(|fd| OwnedFd::from_raw_fd(fd)) }
}

fn epoll_add(ep: &OwnedFd, fd: RawFd, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: token,
    };
    // SAFETY: both descriptors are open; `ev` is a valid event we own.
    unsafe {
        cvt(libc::epoll_ctl(
            ep.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd,
            &mut ev,
        ))
        .map(|_| ())
    }
}

fn epoll_wait(ep: &OwnedFd, events: &mut [libc::epoll_event], max: Duration) -> io::Result<usize> {
    // SAFETY: `events` is a writable buffer of `events.len()` entries.
    let n = unsafe {
        libc::epoll_wait(
            ep.as_raw_fd(),
            events.as_mut_ptr(),
            events.len() as i32,
            max.as_millis() as i32,
        )
    };
    match cvt(n) {
        Ok(n) => Ok(n as usize),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(0),
        Err(e) => Err(e),
    }
}

fn timerfd_create() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the new descriptor is owned by the returned OwnedFd.
    unsafe {
        cvt(libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
        ))
        .map(|fd| OwnedFd::from_raw_fd(fd))
    }
}

/// Arms the timer to fire once after `d` (at least 1 ns: zero would disarm it).
fn arm(timer: &OwnedFd, d: Duration) -> io::Result<()> {
    let d = d.max(Duration::from_nanos(1));
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: d.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(d.subsec_nanos() as i32),
        },
    };
    // SAFETY: valid timer descriptor and itimerspec; the old value is not asked for.
    unsafe {
        cvt(libc::timerfd_settime(
            timer.as_raw_fd(),
            0,
            &spec,
            std::ptr::null_mut(),
        ))
        .map(|_| ())
    }
}

fn drain_timer(timer: &OwnedFd) {
    let mut buf = [0u8; 8];
    // SAFETY: reads at most 8 bytes into a buffer we own; errors (EAGAIN) are harmless.
    unsafe {
        libc::read(timer.as_raw_fd(), buf.as_mut_ptr().cast(), 8);
    }
}
