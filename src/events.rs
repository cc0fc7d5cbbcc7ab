//! Core events → JS. [`EventPump`] drains a core bus on its own thread and hands each event
//! to a weak, non-blocking thread-safe function: weak so that a subscribed emitter does not
//! keep Node alive, non-blocking so that a busy JS thread never stalls the core (the bus
//! itself counts what it drops).

use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use novacron_perf_core::events::Event;
use serde_json::json;

type Callback =
    ThreadsafeFunction<serde_json::Value, (), serde_json::Value, napi::Status, false, true>;

/// The thread forwarding one bus to one JS callback `({ name, payload }) => void`.
pub struct EventPump {
    _thread: JoinHandle<()>,
}

impl EventPump {
    /// Starts forwarding `rx` to `callback`. The thread ends when the bus is dropped.
    pub fn start(
        rx: Receiver<Event>,
        callback: Function<serde_json::Value, ()>,
    ) -> napi::Result<Self> {
        let tsfn: Callback = callback
            .build_threadsafe_function()
            .weak::<true>()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("novacron-events".into())
            .spawn(move || {
                for event in rx {
                    let value = json!({ "name": event.name, "payload": event.payload });
                    // A full or closing queue drops the event: the core must never wait on JS.
                    let _ = tsfn.call(value, ThreadsafeFunctionCallMode::NonBlocking);
                }
            })
            .map_err(|e| napi::Error::from_reason(format!("cannot start the event thread: {e}")))?;
        Ok(EventPump { _thread: thread })
    }
}
