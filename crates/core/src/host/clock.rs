//! Time, behind one trait so that everything that waits or stamps time can be tested on a
//! fake clock: the collector's tick schedule, retention, and later the scheduler and alert
//! state machines.
//!
//! A [`Clock`] gives wall time (epoch ms, for timestamps), monotonic time (for schedules,
//! which must not jump with the wall clock) and an interruptible wait: a sampling thread
//! parks in [`Clock::wait_until`] until its next slot or until its [`StopSignal`] fires, so
//! `stop()` never waits out an interval. [`RealClock`] waits on a condition variable;
//! [`FakeClock`] only moves when a test calls [`FakeClock::advance`], which wakes every
//! thread parked on it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// Wall time, epoch milliseconds, from the system clock.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Wall and monotonic time, and an interruptible wait.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Wall time, epoch ms.
    fn now_ms(&self) -> i64;
    /// Monotonic time since this clock's origin; never goes backwards.
    fn monotonic(&self) -> Duration;
    /// Blocks until [`Clock::monotonic`] reaches `deadline`, `stop` is stopped, or `stop` is
    /// nudged ([`StopSignal::nudge`], e.g. a new interval). True when stopped.
    fn wait_until(&self, deadline: Duration, stop: &StopSignal) -> bool;
}

/// The shared clock of the real machine.
pub fn real() -> Arc<dyn Clock> {
    Arc::new(RealClock::default())
}

#[derive(Debug, Default)]
struct StopState {
    stopped: bool,
    /// Bumped by `nudge`, so that a waiter can tell a nudge from a spurious wake-up.
    nudges: u64,
}

/// Asks a waiting thread to stop (or to re-plan); cheap to clone, all clones are one signal.
#[derive(Debug, Clone, Default)]
pub struct StopSignal {
    inner: Arc<(Mutex<StopState>, Condvar)>,
}

impl StopSignal {
    /// A signal not stopped.
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Stops: every wait on this signal returns at once, now and later, until [`Self::reset`].
    pub fn stop(&self) {
        self.inner.0.lock().stopped = true;
        self.inner.1.notify_all();
    }

    /// Clears a stop, for a thread started again.
    pub fn reset(&self) {
        self.inner.0.lock().stopped = false;
    }

    /// True once stopped.
    pub fn is_stopped(&self) -> bool {
        self.inner.0.lock().stopped
    }

    /// Wakes waiters without stopping them (they return `false` and re-plan).
    pub fn nudge(&self) {
        self.inner.0.lock().nudges += 1;
        self.inner.1.notify_all();
    }

    fn same(&self, other: &StopSignal) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The real clocks: `chrono`'s UTC for wall time, [`Instant`] for monotonic time.
#[derive(Debug)]
pub struct RealClock {
    origin: Instant,
}

impl Default for RealClock {
    fn default() -> Self {
        RealClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for RealClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }

    fn wait_until(&self, deadline: Duration, stop: &StopSignal) -> bool {
        let (lock, cv) = &*stop.inner;
        let mut state = lock.lock();
        let nudges = state.nudges;
        loop {
            if state.stopped {
                return true;
            }
            if state.nudges != nudges {
                return false;
            }
            let now = self.monotonic();
            if now >= deadline {
                return false;
            }
            cv.wait_for(&mut state, deadline - now);
        }
    }
}

/// A clock that moves only when told to: deterministic tests of schedules and timeouts.
#[derive(Debug)]
pub struct FakeClock {
    wall_origin_ms: i64,
    elapsed: Mutex<Duration>,
    /// Deadlines and signals of the threads parked in `wait_until`, woken by `advance`.
    parked: Mutex<Vec<(Duration, StopSignal)>>,
    parked_changed: Condvar,
}

impl FakeClock {
    /// A fake clock whose wall time starts at `wall_ms` (epoch ms) and monotonic time at 0.
    pub fn new(wall_ms: i64) -> Arc<FakeClock> {
        Arc::new(FakeClock {
            wall_origin_ms: wall_ms,
            elapsed: Mutex::new(Duration::ZERO),
            parked: Mutex::new(Vec::new()),
            parked_changed: Condvar::new(),
        })
    }

    /// Moves both clocks forward by `by` and wakes the parked threads whose deadline has
    /// come. Those no longer count as parked from here on, so that [`Self::wait_parked`]
    /// waits until they have done their work and parked again.
    pub fn advance(&self, by: Duration) {
        let now = {
            let mut elapsed = self.elapsed.lock();
            *elapsed += by;
            *elapsed
        };
        let due: Vec<StopSignal> = {
            let mut parked = self.parked.lock();
            let (due, waiting) = parked.drain(..).partition(|(deadline, _)| *deadline <= now);
            *parked = waiting;
            due.into_iter().map(|(_, s)| s).collect()
        };
        self.parked_changed.notify_all();
        for s in due {
            // Taking the waiter's lock orders this wake-up after its deadline check.
            let _guard = s.inner.0.lock();
            s.inner.1.notify_all();
        }
    }

    /// Threads parked in `wait_until` now.
    pub fn parked(&self) -> usize {
        self.parked.lock().len()
    }

    /// Waits (real time, at most `timeout`) until `n` threads are parked; true when they are.
    /// Tests call it before `advance`, so that the thread under test has finished its work.
    pub fn wait_parked(&self, n: usize, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        let mut parked = self.parked.lock();
        while parked.len() < n {
            if self.parked_changed.wait_until(&mut parked, end).timed_out() {
                return parked.len() >= n;
            }
        }
        true
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.wall_origin_ms + self.elapsed.lock().as_millis() as i64
    }

    fn monotonic(&self) -> Duration {
        *self.elapsed.lock()
    }

    fn wait_until(&self, deadline: Duration, stop: &StopSignal) -> bool {
        let (lock, cv) = &*stop.inner;
        let mut state = lock.lock();
        let nudges = state.nudges;
        let mut registered = false;
        let stopped = loop {
            if state.stopped {
                break true;
            }
            if state.nudges != nudges || self.monotonic() >= deadline {
                break false;
            }
            if !registered {
                self.parked.lock().push((deadline, stop.clone()));
                self.parked_changed.notify_all();
                registered = true;
            }
            cv.wait(&mut state);
        };
        if registered {
            self.parked.lock().retain(|(_, s)| !s.same(stop));
            self.parked_changed.notify_all();
        }
        stopped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_wait_ends_at_the_deadline_or_at_once_on_stop() {
        let clock = RealClock::default();
        let stop = StopSignal::new();
        let t = Instant::now();
        assert!(!clock.wait_until(clock.monotonic() + Duration::from_millis(30), &stop));
        assert!(t.elapsed() >= Duration::from_millis(30));
        let s2 = stop.clone();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            s2.stop();
        });
        let t = Instant::now();
        assert!(clock.wait_until(clock.monotonic() + Duration::from_secs(60), &stop));
        assert!(t.elapsed() < Duration::from_secs(5));
        h.join().unwrap();
        assert!(stop.is_stopped());
        stop.reset();
        assert!(!stop.is_stopped());
        assert!((clock.now_ms() - now_ms()).abs() < 1000);
    }

    #[test]
    fn fake_clock_moves_only_when_advanced_and_wakes_waiters() {
        let clock = FakeClock::new(1_000_000);
        let stop = StopSignal::new();
        let (c, s) = (Arc::clone(&clock), stop.clone());
        let h = std::thread::spawn(move || c.wait_until(Duration::from_millis(500), &s));
        assert!(clock.wait_parked(1, Duration::from_secs(5)));
        clock.advance(Duration::from_millis(499));
        assert!(
            clock.wait_parked(1, Duration::from_secs(5)),
            "still waiting"
        );
        clock.advance(Duration::from_millis(1));
        assert!(!h.join().unwrap(), "woken by time, not by stop");
        assert_eq!(clock.parked(), 0);
        assert_eq!(clock.now_ms(), 1_000_500);
        assert_eq!(clock.monotonic(), Duration::from_millis(500));

        let (c, s) = (Arc::clone(&clock), stop.clone());
        let h = std::thread::spawn(move || c.wait_until(Duration::from_secs(3600), &s));
        assert!(clock.wait_parked(1, Duration::from_secs(5)));
        stop.stop();
        assert!(h.join().unwrap(), "stop wakes at once without time passing");

        stop.reset();
        let (c, s) = (Arc::clone(&clock), stop.clone());
        let h = std::thread::spawn(move || c.wait_until(Duration::from_secs(3600), &s));
        assert!(clock.wait_parked(1, Duration::from_secs(5)));
        stop.nudge();
        assert!(!h.join().unwrap(), "a nudge wakes without stopping");
    }
}
