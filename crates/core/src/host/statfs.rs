//! `statvfs` with a deadline: a file system whose `statfs` blocks (a dead network mount, a
//! hung FUSE daemon) must not stall the thread that samples the machine.
//!
//! Each call runs on a helper thread that can be abandoned: the caller waits at most the
//! timeout (5 s by default, as node_exporter's `--collector.filesystem.mount-timeout`), then
//! goes on without it. The mount stays marked as stalled while that helper is still blocked
//! in the kernel, and every later call for it returns [`Outcome::Stalled`] at once instead of
//! starting a second blocked thread; once the call returns, the mount is tried again. So one
//! hung mount costs one timeout and one parked thread, never more, whatever it does.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::clock::{Clock, StopSignal};
use super::mounts::{statvfs, FsStat};

/// How long a `statfs` may take before the mount is marked stalled.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `statvfs` call itself, injectable so that tests can make one block.
pub type StatFn = Arc<dyn Fn(&str) -> Option<FsStat> + Send + Sync>;

/// What one guarded `statfs` gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The figures.
    Ok(FsStat),
    /// The call returned an error (permission, a mount gone meanwhile).
    Failed,
    /// The call did not return within the timeout; it is left running, abandoned.
    TimedOut,
    /// An earlier call for this mount has still not returned: skipped without waiting.
    Stalled,
}

/// Guarded `statfs` calls, with the mounts whose call is still blocked.
pub struct StatfsWatch {
    stat: StatFn,
    clock: Arc<dyn Clock>,
    timeout: Duration,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Default for StatfsWatch {
    fn default() -> Self {
        StatfsWatch::new(
            Arc::new(|p: &str| statvfs(p)),
            super::clock::real(),
            DEFAULT_TIMEOUT,
        )
    }
}

impl StatfsWatch {
    /// A watch calling `stat`, waiting at most `timeout` on `clock`.
    pub fn new(stat: StatFn, clock: Arc<dyn Clock>, timeout: Duration) -> StatfsWatch {
        StatfsWatch {
            stat,
            clock,
            timeout,
            in_flight: Arc::default(),
        }
    }

    /// True while an abandoned call for `mountpoint` has not returned.
    pub fn is_stalled(&self, mountpoint: &str) -> bool {
        self.in_flight.lock().contains(mountpoint)
    }

    /// `statfs(mountpoint)`, waiting at most the timeout.
    pub fn stat(&self, mountpoint: &str) -> Outcome {
        if !self.in_flight.lock().insert(mountpoint.to_owned()) {
            return Outcome::Stalled;
        }
        let done = StopSignal::new();
        let result: Arc<Mutex<Option<Option<FsStat>>>> = Arc::default();
        let spawned = {
            let (stat, done, result) = (Arc::clone(&self.stat), done.clone(), Arc::clone(&result));
            let in_flight = Arc::clone(&self.in_flight);
            let path = mountpoint.to_owned();
            std::thread::Builder::new()
                .name("statfs-probe".into())
                .spawn(move || {
                    let r = stat(&path);
                    // No longer stalled before the result shows, so a caller that sees the
                    // result also sees the mount free.
                    in_flight.lock().remove(&path);
                    *result.lock() = Some(r);
                    done.stop();
                })
        };
        if spawned.is_err() {
            self.in_flight.lock().remove(mountpoint);
            return Outcome::Failed;
        }
        let deadline = self.clock.monotonic() + self.timeout;
        loop {
            if let Some(r) = *result.lock() {
                return r.map_or(Outcome::Failed, Outcome::Ok);
            }
            if self.clock.wait_until(deadline, &done) {
                continue;
            }
            if self.clock.monotonic() >= deadline {
                // A last look: the call may have returned right at the deadline.
                return match *result.lock() {
                    Some(r) => r.map_or(Outcome::Failed, Outcome::Ok),
                    None => Outcome::TimedOut,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::clock::FakeClock;
    use std::sync::mpsc;

    const FS: FsStat = FsStat {
        size: 100,
        avail: 40,
        free: 50,
        files: 10,
        files_free: 5,
    };

    /// A mount whose statfs blocks: the first call gives up at the timeout (on the fake
    /// clock), later calls skip it at once, and once the call returns it is read again.
    #[test]
    fn a_blocking_statfs_times_out_then_is_skipped_until_it_answers() {
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let stat: StatFn = Arc::new(move |p: &str| {
            if p == "/hung" {
                let _ = release_rx.lock().recv();
            }
            Some(FS)
        });
        let clock = FakeClock::new(0);
        let watch = Arc::new(StatfsWatch::new(stat, clock.clone(), DEFAULT_TIMEOUT));
        assert_eq!(watch.stat("/ok"), Outcome::Ok(FS));

        let w = Arc::clone(&watch);
        let first = std::thread::spawn(move || w.stat("/hung"));
        assert!(clock.wait_parked(1, Duration::from_secs(10)));
        clock.advance(Duration::from_millis(4999));
        assert!(
            clock.wait_parked(1, Duration::from_secs(10)),
            "still waiting before 5 s"
        );
        clock.advance(Duration::from_millis(1));
        assert_eq!(first.join().unwrap(), Outcome::TimedOut);

        // Skipped at once (no wait on the clock), while other mounts are read as usual.
        assert!(watch.is_stalled("/hung"));
        assert_eq!(watch.stat("/hung"), Outcome::Stalled);
        assert_eq!(watch.stat("/ok"), Outcome::Ok(FS));

        // The mount answers again (from now on, every call): its call returns, and the next
        // reading has it.
        drop(release_tx);
        let end = std::time::Instant::now() + Duration::from_secs(10);
        while watch.is_stalled("/hung") && std::time::Instant::now() < end {
            std::thread::yield_now();
        }
        assert_eq!(watch.stat("/hung"), Outcome::Ok(FS));
    }

    #[test]
    fn a_failing_statfs_is_a_failure_not_a_stall() {
        let watch = StatfsWatch::new(Arc::new(|_: &str| None), FakeClock::new(0), DEFAULT_TIMEOUT);
        assert_eq!(watch.stat("/gone"), Outcome::Failed);
        assert!(!watch.is_stalled("/gone"));
        let real = StatfsWatch::default();
        assert!(matches!(real.stat("/"), Outcome::Ok(s) if s.size > 0));
    }
}
