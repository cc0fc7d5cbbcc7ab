//! Events from core threads to JS: core → bounded channel → binding → JS `emit`.
//!
//! [`EventBus::emit_with`] never blocks: when nobody listens to an event name the payload is
//! not even built (an emitter with no listeners costs one read-locked set lookup), and when
//! the channel is full the event is dropped and counted, so a slow or stuck JS thread can
//! never stall a sampler. The binding drains the [`Receiver`] on its own thread.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

/// Capacity of the channel: at 1 sample/s this is over 17 minutes of backlog.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Name of the event [`EventBus::wake`] sends: no component emits it, and a drain loop
/// never hands it on.
pub const WAKE_EVENT: &str = "";

/// One event: its JS name (from api-spec §13.2) and its JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// JS event name, e.g. `metrics:collected`.
    pub name: &'static str,
    /// Payload passed to the listeners.
    pub payload: serde_json::Value,
}

/// Counters of the bus, for status reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventStats {
    /// Events handed to the channel.
    pub sent: u64,
    /// Events skipped because nobody listened to their name.
    pub skipped: u64,
    /// Events dropped because the channel was full or closed.
    pub dropped: u64,
}

/// The sending side, shared by every core component of one JS object.
#[derive(Debug)]
pub struct EventBus {
    tx: SyncSender<Event>,
    interest: RwLock<HashSet<String>>,
    sent: AtomicU64,
    skipped: AtomicU64,
    dropped: AtomicU64,
}

impl EventBus {
    /// A bus and the receiver the binding drains.
    pub fn new() -> (Arc<EventBus>, Receiver<Event>) {
        let (tx, rx) = sync_channel(CHANNEL_CAPACITY);
        let bus = EventBus {
            tx,
            interest: RwLock::new(HashSet::new()),
            sent: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        };
        (Arc::new(bus), rx)
    }

    /// Declares whether JS has at least one listener for `name`.
    pub fn set_interest(&self, name: &str, listening: bool) {
        let mut set = self.interest.write();
        if listening {
            set.insert(name.to_owned());
        } else {
            set.remove(name);
        }
    }

    /// True when JS listens to `name`.
    pub fn is_interested(&self, name: &str) -> bool {
        self.interest.read().contains(name)
    }

    /// Emits `name` with the payload built by `payload`, which runs only when someone
    /// listens. Never blocks.
    pub fn emit_with<T: Serialize>(&self, name: &'static str, payload: impl FnOnce() -> T) {
        if !self.is_interested(name) {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let payload = serde_json::to_value(payload()).unwrap_or(serde_json::Value::Null);
        match self.tx.try_send(Event { name, payload }) {
            Ok(()) => self.sent.fetch_add(1, Ordering::Relaxed),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    /// Wakes the loop draining the receiver (so that it can see a stop request), whatever
    /// the interest; not counted. Never blocks: a full channel already has events to wake it.
    pub fn wake(&self) {
        let _ = self.tx.try_send(Event {
            name: WAKE_EVENT,
            payload: serde_json::Value::Null,
        });
    }

    /// Current counters.
    pub fn stats(&self) -> EventStats {
        EventStats {
            sent: self.sent.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_listener_means_no_payload_and_no_send() {
        let (bus, rx) = EventBus::new();
        let mut built = false;
        bus.emit_with("metrics:collected", || {
            built = true;
            1
        });
        assert!(!built);
        assert!(rx.try_recv().is_err());
        assert_eq!(bus.stats().skipped, 1);
    }

    #[test]
    fn listener_receives_and_full_channel_drops_without_blocking() {
        let (bus, rx) = EventBus::new();
        bus.set_interest("x", true);
        for i in 0..CHANNEL_CAPACITY + 5 {
            bus.emit_with("x", || i);
        }
        assert_eq!(bus.stats().sent, CHANNEL_CAPACITY as u64);
        assert_eq!(bus.stats().dropped, 5);
        assert_eq!(rx.recv().unwrap().payload, serde_json::json!(0));
        bus.set_interest("x", false);
        bus.emit_with("x", || 0);
        assert_eq!(bus.stats().skipped, 1);
    }

    #[test]
    fn wake_reaches_the_receiver_without_interest_or_counting() {
        let (bus, rx) = EventBus::new();
        bus.wake();
        assert_eq!(rx.try_recv().unwrap().name, WAKE_EVENT);
        assert_eq!(bus.stats(), EventStats::default());
    }
}
