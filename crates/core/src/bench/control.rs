//! What every built-in benchmark run shares with its caller: a cancellation flag that every
//! I/O loop polls (sockets and files carry short timeouts so that the poll happens within
//! ~100 ms), and the plan of phases from which `progress` events (phase, percent) are
//! computed. Events go through the non-blocking [`EventBus`], so a busy JS thread never
//! slows a measurement.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Serialize;

use super::BenchError;
use crate::events::EventBus;

/// JS event name of progress reports.
pub const PROGRESS_EVENT: &str = "progress";

/// How often the ticker reports progress inside a phase.
const TICK: Duration = Duration::from_millis(500);

/// One `progress` event payload.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// The phase running, e.g. `storage:randread qd=4`.
    pub phase: String,
    /// Planned work done, 0–100.
    pub percent: f64,
    /// Time since the run started, ms.
    pub elapsed_ms: f64,
}

#[derive(Debug)]
struct Plan {
    total_ms: f64,
    done_ms: f64,
    phase: String,
    phase_planned_ms: f64,
    phase_started: Instant,
}

/// Cancellation and progress of one run.
#[derive(Debug)]
pub struct RunControl {
    cancelled: AtomicBool,
    finished: AtomicBool,
    bus: Mutex<Option<Arc<EventBus>>>,
    started: Instant,
    plan: Mutex<Plan>,
}

impl RunControl {
    /// A control that reports progress to `bus` (if any).
    pub fn new(bus: Option<Arc<EventBus>>) -> Arc<RunControl> {
        let now = Instant::now();
        Arc::new(RunControl {
            cancelled: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            bus: Mutex::new(bus),
            started: now,
            plan: Mutex::new(Plan {
                total_ms: 0.0,
                done_ms: 0.0,
                phase: "starting".into(),
                phase_planned_ms: 0.0,
                phase_started: now,
            }),
        })
    }

    /// Asks every loop of the run to stop; idempotent.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    /// True once [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` naming the current phase when cancelled.
    pub fn check(&self) -> Result<(), BenchError> {
        if self.is_cancelled() {
            Err(BenchError::Cancelled {
                benchmark: "benchmark",
                phase: self.plan.lock().phase.clone(),
            })
        } else {
            Ok(())
        }
    }

    /// Sets the planned total (ms of planned work) used for percentages.
    pub fn set_total(&self, total_ms: f64) {
        self.plan.lock().total_ms = total_ms.max(1.0);
    }

    /// Ends the previous phase and starts `phase`, planned to take `planned_ms`.
    pub fn phase(&self, phase: impl Into<String>, planned_ms: f64) {
        {
            let mut p = self.plan.lock();
            p.done_ms += p.phase_planned_ms;
            p.phase = phase.into();
            p.phase_planned_ms = planned_ms;
            p.phase_started = Instant::now();
        }
        self.report();
    }

    /// The current progress.
    pub fn progress(&self) -> Progress {
        let p = self.plan.lock();
        let in_phase = (p.phase_started.elapsed().as_secs_f64() * 1e3).min(p.phase_planned_ms);
        Progress {
            phase: p.phase.clone(),
            percent: ((p.done_ms + in_phase) / p.total_ms.max(1.0) * 100.0).min(100.0),
            elapsed_ms: self.started.elapsed().as_secs_f64() * 1e3,
        }
    }

    /// Emits the current progress (no-op without listeners).
    pub fn report(&self) {
        let bus = self.bus.lock().clone();
        if let Some(bus) = bus {
            bus.emit_with(PROGRESS_EVENT, || self.progress());
        }
    }

    /// Sends progress to `bus` from now on.
    pub fn set_bus(&self, bus: Arc<EventBus>) {
        *self.bus.lock() = Some(bus);
    }

    /// Drops the bus, so that the thread draining it ends once the run is over.
    pub fn release_events(&self) {
        self.bus.lock().take();
    }

    /// Marks the run finished and emits its final event, and the ticker stops: `done` at
    /// 100 % — unless the run was cancelled, which ends `aborted` where it stopped.
    pub fn finish(&self) {
        self.end(true);
    }

    /// Ends the run as its `result` says: [`Self::finish`] on success, otherwise a final
    /// event `failed` (or `aborted` when cancelled) at the percent reached, never 100 %.
    pub fn finish_with<T, E>(&self, result: &Result<T, E>) {
        self.end(result.is_ok());
    }

    fn end(&self, ok: bool) {
        let cancelled = self.is_cancelled();
        {
            let mut p = self.plan.lock();
            if ok && !cancelled {
                p.done_ms = p.total_ms;
                p.phase = "done".into();
            } else {
                // Freeze the percent at the work actually done, so it reads where the run
                // stopped rather than running on with the clock or jumping to 100.
                let in_phase =
                    (p.phase_started.elapsed().as_secs_f64() * 1e3).min(p.phase_planned_ms);
                p.done_ms = (p.done_ms + in_phase).min(p.total_ms);
                p.phase = if cancelled { "aborted" } else { "failed" }.into();
            }
            p.phase_planned_ms = 0.0;
        }
        self.finished.store(true, Ordering::SeqCst);
        self.report();
    }

    /// Runs `work` while a scoped ticker thread reports progress every 500 ms; the ticker
    /// is joined before this returns, whatever `work` returns.
    pub fn with_ticker<T>(self: &Arc<Self>, work: impl FnOnce() -> T) -> T {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let ticker = std::thread::Builder::new()
                .name("novacron-progress".into())
                .spawn_scoped(s, || {
                    while !stop.load(Ordering::Relaxed) && !self.finished.load(Ordering::Relaxed) {
                        sleep_unless(&stop, TICK);
                        if !stop.load(Ordering::Relaxed) {
                            self.report();
                        }
                    }
                });
            let out = work();
            stop.store(true, Ordering::SeqCst);
            if let Ok(handle) = ticker {
                let _ = handle.join();
            }
            out
        })
    }

    /// Sleeps `d` in short steps, returning early (false) when cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while !self.is_cancelled() {
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(20)));
        }
        false
    }
}

fn sleep_unless(flag: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while !flag.load(Ordering::Relaxed) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_follows_the_plan_and_cancel_names_the_phase() {
        let (bus, rx) = EventBus::new();
        bus.set_interest(PROGRESS_EVENT, true);
        let ctl = RunControl::new(Some(bus));
        ctl.set_total(200.0);
        ctl.phase("a", 100.0);
        ctl.phase("b", 100.0);
        let first = rx.recv().unwrap();
        assert_eq!(first.payload["phase"], "a");
        let second = rx.recv().unwrap();
        assert_eq!(second.payload["phase"], "b");
        assert!(second.payload["percent"].as_f64().unwrap() >= 50.0);
        ctl.cancel();
        let err = ctl.check().unwrap_err().to_string();
        assert!(err.contains("aborted during b"), "{err}");
        ctl.finish();
        // An aborted run's last event says so, at the percent it reached (issue: it said
        // `done` at 100 %).
        let last = rx.recv().unwrap().payload;
        assert_eq!(last["phase"], "aborted");
        let percent = last["percent"].as_f64().unwrap();
        assert!((50.0..100.0).contains(&percent), "{percent}");
    }

    #[test]
    fn the_final_event_says_how_the_run_ended() {
        let (bus, rx) = EventBus::new();
        bus.set_interest(PROGRESS_EVENT, true);
        let ok = RunControl::new(Some(bus.clone()));
        ok.set_total(100.0);
        ok.phase("a", 100.0);
        ok.finish_with(&Ok::<(), ()>(()));
        let _ = rx.recv().unwrap();
        let last = rx.recv().unwrap().payload;
        assert_eq!(
            (last["phase"].as_str(), last["percent"].as_f64()),
            (Some("done"), Some(100.0))
        );

        let failed = RunControl::new(Some(bus.clone()));
        failed.set_total(1e9);
        failed.phase("b", 1e9);
        failed.finish_with(&Err::<(), _>("io error"));
        let _ = rx.recv().unwrap();
        let last = rx.recv().unwrap().payload;
        assert_eq!(last["phase"], "failed");
        assert!(last["percent"].as_f64().unwrap() < 1.0);

        let aborted = RunControl::new(Some(bus));
        aborted.set_total(1e9);
        aborted.cancel();
        aborted.finish_with(&Err::<(), _>("cancelled"));
        assert_eq!(rx.recv().unwrap().payload["phase"], "aborted");
    }
}
