//! Core events → JS. [`EventPump`] drains a core bus on its own thread and hands each event
//! to a weak, non-blocking thread-safe function: weak so that a subscribed emitter does not
//! keep Node alive, non-blocking so that a busy JS thread never stalls the core (the bus
//! itself counts what it drops).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use novacron_perf_core::events::{Event, EventBus, WAKE_EVENT};
use serde_json::json;

type Callback =
    ThreadsafeFunction<serde_json::Value, (), serde_json::Value, napi::Status, false, true>;

/// The thread forwarding one bus to one JS callback `({ name, payload }) => void`.
pub struct EventPump {
    thread: JoinHandle<Receiver<Event>>,
    stop: Arc<AtomicBool>,
}

impl EventPump {
    /// Starts forwarding `rx` to `callback`. The thread ends when the bus is dropped: when
    /// the native object and its core component are both gone (the JS side subscribes
    /// through a weak reference, so that is when the JS object is collected), or when
    /// [`EventPump::stop`] asks it to.
    pub fn start(
        rx: Receiver<Event>,
        callback: Function<serde_json::Value, ()>,
    ) -> napi::Result<Self> {
        let tsfn: Callback = callback
            .build_threadsafe_function()
            .weak::<true>()
            .build()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let (up_tx, up_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("novacron-events".into())
            .spawn(move || {
                let _ = up_tx.send(());
                let deliver = |event: Event| {
                    if event.name == WAKE_EVENT {
                        return;
                    }
                    let value = json!({ "name": event.name, "payload": event.payload });
                    // A full or closing queue drops the event: the core must never wait on JS.
                    let _ = tsfn.call(value, ThreadsafeFunctionCallMode::NonBlocking);
                };
                while let Ok(event) = rx.recv() {
                    deliver(event);
                    if stopping.load(Ordering::SeqCst) {
                        // Asked to stop: hand on what is queued, then give the receiver back.
                        while let Ok(event) = rx.try_recv() {
                            deliver(event);
                        }
                        break;
                    }
                }
                rx
            })
            .map_err(|e| crate::error::state(format!("cannot start the event thread: {e}")))?;
        // Return once the thread runs and carries its name, so that thread counts taken
        // right after a constructor see it.
        let _ = up_rx.recv();
        Ok(EventPump { thread, stop })
    }

    /// Ends the thread once it has handed on the events queued now (`bus` wakes it), and
    /// returns the receiver, for a later [`EventPump::start`]. Never waits on JS: the
    /// thread's calls into JS do not block.
    pub fn stop(self, bus: &EventBus) -> Option<Receiver<Event>> {
        self.stop.store(true, Ordering::SeqCst);
        bus.wake();
        self.thread.join().ok()
    }
}

/// The event half of a native class: its core bus, and the receiver until JS subscribes,
/// then the pump forwarding to JS. Backs `subscribe`, `unsubscribe` and `setEventInterest`.
pub struct EventBridge {
    bus: Arc<EventBus>,
    rx: Option<Receiver<Event>>,
    pump: Option<EventPump>,
}

impl EventBridge {
    /// A new bus, not yet delivered anywhere.
    pub fn new() -> Self {
        let (bus, rx) = EventBus::new();
        EventBridge {
            bus,
            rx: Some(rx),
            pump: None,
        }
    }

    /// The bus core components emit on.
    pub fn bus(&self) -> &Arc<EventBus> {
        &self.bus
    }

    /// Delivers the bus's events to `callback({ name, payload })`; callable again only
    /// after `unsubscribe`.
    pub fn subscribe(&mut self, callback: Function<serde_json::Value, ()>) -> napi::Result<()> {
        let rx = self
            .rx
            .take()
            .ok_or_else(|| crate::error::state("subscribe: already subscribed"))?;
        self.pump = Some(EventPump::start(rx, callback)?);
        Ok(())
    }

    /// Ends the event thread now (the events queued before are still delivered), so that
    /// a stopped or closed component holds none even while JS still references it; false
    /// when not subscribed. Events emitted afterwards wait in the bus (or are dropped
    /// when it is full) until the next `subscribe`.
    pub fn unsubscribe(&mut self) -> bool {
        match self.pump.take() {
            Some(pump) => {
                self.rx = pump.stop(&self.bus);
                true
            }
            None => false,
        }
    }
}
