//! The peer's connections: how many it serves, how long each may stay idle after each
//! protocol step, and which one makes room for a new client when all slots are taken.
//! Without these, 520 connections that sent `NCP1 CONTROL` and nothing more held every
//! slot forever and locked every new client out.
//!
//! Every read of a connection goes through [`Tracked`], which stamps the connection's
//! [`Activity`]; the serving loops give up on a connection idle for [`PeerLimits::idle`],
//! and the accept loop, at [`PeerLimits::max_connections`], closes the connection idle the
//! longest (at least [`PeerLimits::evict_after`]) so that the new client is served.

use std::io::{self, Read};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Limits of a peer's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerLimits {
    /// Connections served at once; beyond, the idlest one makes room or the new one is closed.
    pub max_connections: usize,
    /// Time a new connection has to send its first line, and an HTTP request its whole head.
    pub first_line: Duration,
    /// After each protocol step, a connection with no byte in (and, for a test's control
    /// connection, no data of its test) for this long is closed.
    pub idle: Duration,
    /// At the cap, only a connection idle at least this long is closed for a new one, so
    /// that a burst of new clients cannot push out connections in active use.
    pub evict_after: Duration,
}

impl Default for PeerLimits {
    fn default() -> Self {
        PeerLimits {
            max_connections: 512,
            first_line: Duration::from_secs(5),
            idle: Duration::from_secs(60),
            evict_after: Duration::from_secs(1),
        }
    }
}

/// When a connection (or a test) last saw a byte, as ns since the peer's epoch.
#[derive(Debug)]
pub struct Activity {
    epoch: Instant,
    last_ns: AtomicU64,
}

impl Activity {
    /// Active now.
    pub fn new(epoch: Instant) -> Arc<Activity> {
        let a = Arc::new(Activity {
            epoch,
            last_ns: AtomicU64::new(0),
        });
        a.touch();
        a
    }

    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Marks activity now.
    pub fn touch(&self) {
        self.last_ns.fetch_max(self.now_ns(), Ordering::Relaxed);
    }

    /// Takes over `other`'s activity when it is more recent (a test's data keeps its
    /// control connection alive).
    pub fn follow(&self, other: &Activity) {
        self.last_ns
            .fetch_max(other.last_ns.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Time since the last activity.
    pub fn idle(&self) -> Duration {
        Duration::from_nanos(
            self.now_ns()
                .saturating_sub(self.last_ns.load(Ordering::Relaxed)),
        )
    }
}

/// A socket whose every successful read stamps an [`Activity`].
#[derive(Debug)]
pub struct Tracked {
    /// The socket.
    pub stream: TcpStream,
    /// Its activity.
    pub activity: Arc<Activity>,
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        if n > 0 {
            self.activity.touch();
        }
        Ok(n)
    }
}

/// One served connection, as the accept loop keeps it.
#[derive(Debug)]
pub struct Entry {
    /// Its serving thread.
    pub handle: JoinHandle<()>,
    /// A handle on its socket, to close it from outside (shared with its thread, which
    /// shuts it down when it is done: this handle would otherwise keep it open).
    pub stream: Arc<TcpStream>,
    /// Its activity.
    pub activity: Arc<Activity>,
    /// Closed to make room; its thread is ending.
    pub evicted: AtomicBool,
}

impl Entry {
    /// True while it holds a slot (running and not evicted).
    pub fn holds_slot(&self) -> bool {
        !self.handle.is_finished() && !self.evicted.load(Ordering::Relaxed)
    }
}

/// Of connections idle for `idle[i]`, the one to close for a new client: the idlest, if
/// idle at least `min`.
pub fn pick_evict(idle: &[Duration], min: Duration) -> Option<usize> {
    idle.iter()
        .enumerate()
        .filter(|(_, d)| **d >= min)
        .max_by_key(|(_, d)| **d)
        .map(|(i, _)| i)
}

/// Makes room for a new connection in `conns` (finished ones are dropped): true when a
/// slot is free or was freed by closing the idlest connection.
pub fn make_room(conns: &mut Vec<Entry>, limits: &PeerLimits) -> bool {
    conns.retain(|c| !c.handle.is_finished());
    let holding: Vec<&Entry> = conns.iter().filter(|c| c.holds_slot()).collect();
    if holding.len() < limits.max_connections {
        return true;
    }
    let idle: Vec<Duration> = holding.iter().map(|c| c.activity.idle()).collect();
    match pick_evict(&idle, limits.evict_after) {
        Some(i) => {
            let victim = holding[i];
            victim.evicted.store(true, Ordering::Relaxed);
            // Its blocked read returns EOF at once and its thread ends; joined on stop.
            let _ = victim.stream.shutdown(Shutdown::Both);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idlest_connection_past_the_minimum_makes_room() {
        let ms = Duration::from_millis;
        assert_eq!(pick_evict(&[ms(5), ms(3000), ms(1200)], ms(1000)), Some(1));
        // Everyone busy: the new client is the one refused.
        assert_eq!(pick_evict(&[ms(5), ms(900)], ms(1000)), None);
        assert_eq!(pick_evict(&[], ms(1000)), None);
    }

    #[test]
    fn activity_is_stamped_by_reads_and_follows_a_test() {
        let epoch = Instant::now() - Duration::from_secs(10);
        let a = Activity::new(epoch);
        assert!(a.idle() < Duration::from_secs(1));
        a.last_ns.store(0, Ordering::Relaxed); // as if idle since the epoch
        assert!(a.idle() >= Duration::from_secs(10));
        let test = Activity::new(epoch);
        a.follow(&test);
        assert!(a.idle() < Duration::from_secs(1));
        let mut t = Tracked {
            stream: {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
                let (mut s, _) = l.accept().unwrap();
                std::io::Write::write_all(&mut s, b"x").unwrap();
                c
            },
            activity: Activity::new(epoch),
        };
        t.activity.last_ns.store(0, Ordering::Relaxed);
        let mut b = [0u8; 1];
        assert_eq!(t.read(&mut b).unwrap(), 1);
        assert!(t.activity.idle() < Duration::from_secs(1));
    }
}
