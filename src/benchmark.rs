//! `NativeBenchmark`: one run of any built-in benchmark of the core's registry, by name.
//! Options are decoded and checked in the constructor; the run is an async task whose
//! measuring threads belong to the core; progress events reach JS through the shared event
//! pump, which ends with the run. Errors go through [`crate::error`] only.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Function};
use napi::{Env, Task};
use napi_derive::napi;
use novacron_perf_core::bench::control::{RunControl, PROGRESS_EVENT};
use novacron_perf_core::bench::registry::{self, PreparedRun};
use novacron_perf_core::events::EventBus;
use parking_lot::Mutex;
use serde_json::Value;

use crate::error::{self, IntoJs};
use crate::events::EventPump;
use crate::framework::Json;

/// Registry names of the core's built-in benchmarks.
#[napi(catch_unwind)]
pub fn builtin_benchmarks() -> Vec<String> {
    registry::names().into_iter().map(str::to_owned).collect()
}

/// One run of a built-in benchmark.
#[napi]
pub struct NativeBenchmark {
    prepared: Arc<dyn PreparedRun>,
    ctl: Arc<RunControl>,
    pump: Mutex<Option<EventPump>>,
    started: AtomicBool,
}

#[napi]
impl NativeBenchmark {
    /// Looks `name` up in the registry and checks `options` (types and ranges; targets are
    /// checked by `run`).
    #[napi(constructor, catch_unwind)]
    pub fn new(name: String, options: Value) -> napi::Result<Self> {
        let prepared = registry::builtin(&name).js()?.prepare(&options).js()?;
        Ok(NativeBenchmark {
            prepared: Arc::from(prepared),
            ctl: RunControl::new(None),
            pump: Mutex::new(None),
            started: AtomicBool::new(false),
        })
    }

    /// Registry name of this run's benchmark.
    #[napi(getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.prepared.name().to_owned()
    }

    /// Delivers `progress` events to `callback({ name, payload })`; callable once.
    #[napi(catch_unwind)]
    pub fn subscribe(&self, callback: Function<Value, ()>) -> napi::Result<()> {
        let mut pump = self.pump.lock();
        if pump.is_some() {
            return Err(error::state("subscribe: already subscribed"));
        }
        // The run's control holds the only bus: releasing it after the run ends the pump.
        let (bus, rx) = EventBus::new();
        bus.set_interest(PROGRESS_EVENT, true);
        *pump = Some(EventPump::start(rx, callback)?);
        self.ctl.set_bus(bus);
        Ok(())
    }

    /// Checks the targets, runs, and resolves to the report; callable once.
    #[napi(ts_return_type = "Promise<any>", catch_unwind)]
    pub fn run(&self) -> napi::Result<AsyncTask<BenchmarkTask>> {
        if self.started.swap(true, Ordering::SeqCst) {
            return Err(error::state("run: this run was already started"));
        }
        Ok(AsyncTask::new(BenchmarkTask {
            prepared: Arc::clone(&self.prepared),
            ctl: Arc::clone(&self.ctl),
        }))
    }

    /// Stops every loop of the run; the run then rejects after its cleanup.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.ctl.cancel();
    }
}

/// The blocking run on libuv's pool; the measurements run on the core's own threads.
pub struct BenchmarkTask {
    prepared: Arc<dyn PreparedRun>,
    ctl: Arc<RunControl>,
}

impl Task for BenchmarkTask {
    type Output = Value;
    type JsValue = Json;

    fn compute(&mut self) -> napi::Result<Value> {
        let (prepared, ctl) = (&self.prepared, &self.ctl);
        let outcome = crate::guard::guard(prepared.name(), || prepared.run(ctl).js());
        // Released whatever happened, so the event pump ends with the run.
        ctl.release_events();
        outcome
    }

    fn resolve(&mut self, _env: Env, output: Value) -> napi::Result<Json> {
        Ok(Json(output))
    }
}
