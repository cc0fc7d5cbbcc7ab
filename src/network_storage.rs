//! `NativeNetworkStorage` (one NetworkStorageBenchmark run) and `NativePeer` (the
//! standalone peer of `novacron-perf peer`). Options are checked in the constructor; the
//! run itself is an async task whose worker threads belong to the core; progress events
//! reach JS through the event pump, which ends with the run.

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Function};
use napi::{Env, Task};
use napi_derive::napi;
use novacron_perf_core::bench::control::{RunControl, PROGRESS_EVENT};
use novacron_perf_core::bench::net::peer::Peer;
use novacron_perf_core::bench::suite::{self, SuiteOptions};
use novacron_perf_core::bench::BenchError;
use novacron_perf_core::events::EventBus;
use parking_lot::Mutex;
use serde_json::Value;

use crate::error::IntoJs;
use crate::events::EventPump;
use crate::framework::Json;

/// One run of the network/storage benchmark.
#[napi]
pub struct NativeNetworkStorage {
    options: Arc<SuiteOptions>,
    ctl: Arc<RunControl>,
    pump: Mutex<Option<EventPump>>,
    started: AtomicBool,
}

#[napi]
impl NativeNetworkStorage {
    /// Checks `{ storage, network }` (types and ranges; targets are checked by `run`).
    #[napi(constructor)]
    pub fn new(options: Value) -> napi::Result<Self> {
        let options = SuiteOptions::parse(&options).js()?;
        Ok(NativeNetworkStorage {
            options: Arc::new(options),
            ctl: RunControl::new(None),
            pump: Mutex::new(None),
            started: AtomicBool::new(false),
        })
    }

    /// Delivers `progress` events to `callback({ name, payload })`; callable once.
    #[napi]
    pub fn subscribe(&self, callback: Function<Value, ()>) -> napi::Result<()> {
        let mut pump = self.pump.lock();
        if pump.is_some() {
            return Err(napi::Error::from_reason("subscribe: already subscribed"));
        }
        let (bus, rx) = EventBus::new();
        bus.set_interest(PROGRESS_EVENT, true);
        *pump = Some(EventPump::start(rx, callback)?);
        self.ctl.set_bus(bus);
        Ok(())
    }

    /// Checks the targets, runs, and resolves to the results; callable once.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn run(&self) -> napi::Result<AsyncTask<SuiteTask>> {
        if self.started.swap(true, Ordering::SeqCst) {
            return Err(napi::Error::from_reason(
                "run: this run was already started",
            ));
        }
        Ok(AsyncTask::new(SuiteTask {
            options: Arc::clone(&self.options),
            ctl: Arc::clone(&self.ctl),
        }))
    }

    /// Stops every loop of the run; the run then rejects after its cleanup.
    #[napi]
    pub fn cancel(&self) {
        self.ctl.cancel();
    }
}

/// The blocking run on libuv's pool; the I/O itself runs on the core's own threads.
pub struct SuiteTask {
    options: Arc<SuiteOptions>,
    ctl: Arc<RunControl>,
}

impl Task for SuiteTask {
    type Output = Value;
    type JsValue = Json;

    fn compute(&mut self) -> napi::Result<Value> {
        let outcome = catch_unwind(AssertUnwindSafe(|| suite::run(&self.options, &self.ctl)));
        self.ctl.release_events();
        match outcome {
            Ok(r) => r.js(),
            Err(_) => Err(BenchError::Io(
                "network_storage: internal error (a panic was caught; nothing was left running)"
                    .into(),
            ))
            .js(),
        }
    }

    fn resolve(&mut self, _env: Env, output: Value) -> napi::Result<Json> {
        Ok(Json(output))
    }
}

/// A standalone peer (`novacron-perf peer`).
#[napi]
pub struct NativePeer {
    peer: Option<Peer>,
    address: String,
}

#[napi]
impl NativePeer {
    /// Binds TCP and UDP on `bind:port` (port 0: any free port) and starts serving.
    #[napi(constructor)]
    pub fn new(bind: String, port: u32) -> napi::Result<Self> {
        let ip: std::net::IpAddr = bind.parse().map_err(|_| {
            napi::Error::new(
                napi::Status::InvalidArg,
                format!(
                    "bind: got {bind:?} (accepted: an IP address such as 127.0.0.1, 0.0.0.0 or ::)"
                ),
            )
        })?;
        let port = u16::try_from(port).map_err(|_| {
            napi::Error::new(
                napi::Status::NumberExpected,
                format!("port: got {port} (accepted: an integer from 0 to 65535)"),
            )
        })?;
        let peer = Peer::start(SocketAddr::new(ip, port)).map_err(|e| {
            napi::Error::from_reason(format!("peer: cannot listen on {ip}:{port}: {e}"))
        })?;
        let address = peer.local_addr().to_string();
        Ok(NativePeer {
            peer: Some(peer),
            address,
        })
    }

    /// `host:port` the peer listens on (TCP and UDP).
    #[napi(getter)]
    pub fn address(&self) -> String {
        self.address.clone()
    }

    /// Connections being served now.
    #[napi]
    pub fn connections(&self) -> u32 {
        self.peer.as_ref().map_or(0, |p| p.connections() as u32)
    }

    /// Closes the sockets and joins the threads; idempotent.
    #[napi]
    pub fn stop(&mut self) {
        if let Some(p) = self.peer.take() {
            p.stop();
        }
    }
}
