//! The open loop's schedule (wrk2 `-R`): request *i* of connection *c* is due at
//! `start + (c + i·connections) / rate`, and only requests due in the measured window
//! `[start + warmup, start + warmup + duration)` count. Sending stops at the end of the
//! window: what was due and not sent by then is *missed*, and its latency is counted from
//! its due time to the end, so that a server slower than the rate cannot stretch the run
//! nor hide the wait of the requests it never got to (coordinated omission).

use std::time::{Duration, Instant};

/// Longest wait after the window for answers to requests sent in it; the request timeout
/// when shorter. It bounds the run: a server that never answers costs at most this.
pub const MAX_GRACE: Duration = Duration::from_secs(1);

/// When each request of an open loop is due.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Due time of request 0 of connection 0.
    pub start: Instant,
    /// Start of the measured window (after the warm-up).
    pub measure_from: Instant,
    /// End of the measured window: nothing is sent from here on.
    pub end: Instant,
    /// Requests per second over all connections.
    pub rate: f64,
    /// Connections sharing the rate.
    pub connections: u32,
}

impl Schedule {
    /// Gap between two requests of one connection.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(f64::from(self.connections) / self.rate)
    }

    /// Due time of request `i` of connection `conn`; `None` once it falls at or after the end.
    pub fn due(&self, conn: u32, i: u32) -> Option<Instant> {
        let first = self.start + Duration::from_secs_f64(f64::from(conn) / self.rate);
        Some(first + self.interval() * i).filter(|d| *d < self.end)
    }

    /// True when a request due at `due` is measured (in the window, warm-up excluded).
    pub fn counted(&self, due: Instant) -> bool {
        due >= self.measure_from && due < self.end
    }

    /// Due times of connection `conn`'s requests from number `next` on that fall in the
    /// measured window: the requests missed when sending stops with these still pending.
    pub fn rest(&self, conn: u32, next: u32) -> impl Iterator<Item = Instant> + '_ {
        (next..)
            .map_while(move |i| self.due(conn, i))
            .filter(|d| self.counted(*d))
    }
}

/// How long after the window the loop waits for answers, given the request timeout.
pub fn grace(timeout: Duration) -> Duration {
    timeout.min(MAX_GRACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(warmup_ms: u64, duration_ms: u64, rate: f64, connections: u32) -> Schedule {
        let start = Instant::now();
        let measure_from = start + Duration::from_millis(warmup_ms);
        Schedule {
            start,
            measure_from,
            end: measure_from + Duration::from_millis(duration_ms),
            rate,
            connections,
        }
    }

    #[test]
    fn due_times_spread_the_rate_over_the_connections() {
        let s = schedule(0, 1000, 20.0, 2);
        assert_eq!(s.interval(), Duration::from_millis(100));
        assert_eq!(s.due(0, 0), Some(s.start));
        assert_eq!(s.due(1, 0), Some(s.start + Duration::from_millis(50)));
        assert_eq!(s.due(1, 3), Some(s.start + Duration::from_millis(350)));
        // 10 requests per connection in the second; the 11th is past the end.
        assert!(s.due(0, 9).is_some() && s.due(0, 10).is_none());
        assert!(s.due(1, 9).is_some() && s.due(1, 10).is_none());
    }

    #[test]
    fn the_rest_of_a_stalled_connection_is_counted_in_the_window_only() {
        // The input: 20 req/s on 1 connection for 3 s against a 200 ms server.
        // After 16 sends (one every 200 ms until the end), 44 of the 60 due were missed.
        let s = schedule(0, 3000, 20.0, 1);
        assert_eq!(s.rest(0, 0).count(), 60);
        assert_eq!(s.rest(0, 16).count(), 44);
        let last = s.rest(0, 16).last().unwrap();
        assert_eq!(last, s.start + Duration::from_millis(2950));
        // With a warm-up, requests due before the window are neither sent nor missed.
        let w = schedule(500, 1000, 10.0, 1);
        assert_eq!(w.rest(0, 0).count(), 10);
        assert_eq!(w.rest(0, 0).next(), Some(w.measure_from));
    }

    #[test]
    fn the_grace_after_the_window_is_bounded() {
        assert_eq!(
            grace(Duration::from_millis(200)),
            Duration::from_millis(200)
        );
        assert_eq!(grace(Duration::from_secs(600)), MAX_GRACE);
    }
}
