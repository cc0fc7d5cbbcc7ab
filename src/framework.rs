//! `NativeFramework`: the core half of `PerformanceBenchmarkingFramework` — the active-run
//! set, result files, system snapshots and the sampler view with its event bus. File I/O
//! runs as async tasks on libuv's pool, off the JS thread. State (the CPU baseline of
//! on-demand samples, the sampler's feed) lives in the core's `SystemView` and `Sampler`.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Function};
use napi::{Env, Task};
use napi_derive::napi;
use novacron_perf_core::framework::{
    results::{ListQuery, ResultStore},
    runs::{ActiveRuns, RunGuard},
    sampler::{Sampler, SamplerConfig},
    suite,
    system::SystemView,
    validate_benchmark_name,
};
use novacron_perf_core::host::clock;
use serde_json::Value;

use crate::collector::CollectorHandle;
use crate::error::{to_value, IntoJs};
use crate::events::EventBridge;

/// Options of the native framework (already defaulted by the JS class).
#[napi(object)]
pub struct FrameworkOptions {
    /// Data folder for results (`metricsPath`).
    pub metrics_path: String,
    /// Sampler period, ms (`samplingInterval`).
    pub sampling_interval: f64,
    /// How long samples are kept in memory, ms (`metricsRetention`).
    pub metrics_retention: f64,
}

/// Which benchmark results to list.
#[napi(object)]
pub struct ResultQuery {
    /// Only this benchmark.
    pub name: Option<String>,
    /// Epoch ms lower bound.
    pub since: Option<i64>,
    /// Epoch ms upper bound.
    pub until: Option<i64>,
    /// Newest N.
    pub limit: Option<u32>,
}

/// The native half of one framework.
#[napi]
pub struct NativeFramework {
    store: ResultStore,
    runs: ActiveRuns,
    view: Arc<SystemView>,
    sampler: Sampler,
    events: EventBridge,
}

#[napi]
impl NativeFramework {
    /// Opens the data folder (creating it) and prepares a stopped sampler.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: FrameworkOptions) -> napi::Result<Self> {
        let config =
            SamplerConfig::new(options.sampling_interval, options.metrics_retention).js()?;
        let root = PathBuf::from(&options.metrics_path);
        let store = ResultStore::open(&root).js()?;
        let view = Arc::new(SystemView::new(&root));
        let events = EventBridge::new();
        let sampler = Sampler::new(
            config,
            Arc::clone(&view),
            Arc::clone(events.bus()),
            store.clone(),
            clock::real(),
        );
        Ok(NativeFramework {
            store,
            runs: ActiveRuns::default(),
            view,
            sampler,
            events,
        })
    }

    /// Delivers core events to `callback({ name, payload })`; again only after `unsubscribe`.
    #[napi(catch_unwind)]
    pub fn subscribe(&mut self, callback: Function<Value, ()>) -> napi::Result<()> {
        self.events.subscribe(callback)
    }

    /// Ends the event thread (queued events are still delivered); false when not subscribed.
    #[napi(catch_unwind)]
    pub fn unsubscribe(&mut self) -> bool {
        self.events.unsubscribe()
    }

    /// Tells the core whether JS listens to event `name`.
    #[napi(catch_unwind)]
    pub fn set_event_interest(&self, name: String, listening: bool) {
        self.events.bus().set_interest(&name, listening);
    }

    /// Counters of the event bus: `{ sent, skipped, dropped }`.
    #[napi(catch_unwind)]
    pub fn event_stats(&self) -> napi::Result<Value> {
        to_value(&self.events.bus().stats())
    }

    /// Marks `name` running; fails with "Benchmark '<name>' is already running".
    #[napi(catch_unwind)]
    pub fn begin_run(&self, name: String) -> napi::Result<NativeRun> {
        validate_benchmark_name(&name).js()?;
        let guard = self.runs.begin(&name).js()?;
        Ok(NativeRun {
            guard: Some(guard),
            view: Arc::clone(&self.view),
        })
    }

    /// Names running now.
    #[napi(catch_unwind)]
    pub fn active_runs(&self) -> Vec<String> {
        self.runs.list()
    }

    /// A system snapshot; CPU usage covers the time since the previous snapshot or sample.
    #[napi(catch_unwind)]
    pub fn snapshot(&self) -> napi::Result<Value> {
        to_value(&self.view.snapshot_now())
    }

    /// One system sample (`collectSystemMetrics`); CPU usage as for [`Self::snapshot`].
    #[napi(catch_unwind)]
    pub fn collect_system_metrics(&self) -> napi::Result<Value> {
        to_value(&self.view.sample_now())
    }

    /// Usage of the file system holding the data folder (leaves the CPU baseline alone).
    #[napi(catch_unwind)]
    pub fn disk_usage(&self) -> napi::Result<Value> {
        to_value(&self.view.disk_usage())
    }

    /// Network counters since boot and established connections (leaves the CPU baseline alone).
    #[napi(catch_unwind)]
    pub fn network_stats(&self) -> napi::Result<Value> {
        to_value(&self.view.network_stats())
    }

    /// Starts the sampler (no-op when running).
    #[napi(catch_unwind)]
    pub fn start_sampling(&self) -> napi::Result<()> {
        self.sampler.start().js()
    }

    /// Takes the sampler's readings from this collector (the system's) instead of a
    /// machine-only collector of its own.
    #[napi(catch_unwind)]
    pub fn attach_collector(&self, collector: &CollectorHandle) -> napi::Result<()> {
        self.sampler.attach(collector.collector()).js()
    }

    /// Stops the sampler and persists the series (no-op when stopped).
    #[napi(catch_unwind)]
    pub fn stop_sampling(&self) {
        self.sampler.stop();
    }

    /// Applies a new interval and retention to the sampler, running or not.
    #[napi(catch_unwind)]
    pub fn configure_sampling(
        &self,
        sampling_interval: f64,
        metrics_retention: f64,
    ) -> napi::Result<()> {
        self.sampler
            .configure(SamplerConfig::new(sampling_interval, metrics_retention).js()?)
            .js()
    }

    /// `{ running, intervalMs, capacity, kept, ticks }`.
    #[napi(catch_unwind)]
    pub fn sampler_status(&self) -> napi::Result<Value> {
        to_value(&self.sampler.status())
    }

    /// The sampled series `{ cpu, memory, disk, network }`.
    #[napi(catch_unwind)]
    pub fn system_series(&self) -> Value {
        self.sampler.series()
    }

    /// Writes a benchmark result; resolves to the file path.
    #[napi(ts_return_type = "Promise<string>", catch_unwind)]
    pub fn store_benchmark(
        &self,
        name: String,
        timestamp: i64,
        result: Value,
    ) -> AsyncTask<Blocking> {
        let store = self.store.clone();
        Blocking::task(move || path_value(store.store_benchmark(&name, timestamp, &result)))
    }

    /// Writes a suite result; resolves to the file path.
    #[napi(ts_return_type = "Promise<string>", catch_unwind)]
    pub fn store_suite(&self, timestamp: i64, result: Value) -> AsyncTask<Blocking> {
        let store = self.store.clone();
        Blocking::task(move || path_value(store.store_suite(timestamp, &result)))
    }

    /// Writes an optimization result; resolves to the file path.
    #[napi(ts_return_type = "Promise<string>", catch_unwind)]
    pub fn store_optimization(
        &self,
        name: String,
        timestamp: i64,
        result: Value,
    ) -> AsyncTask<Blocking> {
        let store = self.store.clone();
        Blocking::task(move || path_value(store.store_optimization(&name, timestamp, &result)))
    }

    /// Writes a report; resolves to the file path.
    #[napi(ts_return_type = "Promise<string>", catch_unwind)]
    pub fn store_report(&self, start: i64, end: i64, report: Value) -> AsyncTask<Blocking> {
        let store = self.store.clone();
        Blocking::task(move || path_value(store.store_report(start, end, &report)))
    }

    /// Reads stored benchmark results back, newest first.
    #[napi(ts_return_type = "Promise<any[]>", catch_unwind)]
    pub fn list_benchmarks(&self, query: ResultQuery) -> AsyncTask<Blocking> {
        let store = self.store.clone();
        let q = ListQuery {
            name: query.name,
            since: query.since,
            until: query.until,
            limit: query.limit.map(|l| l as usize),
        };
        Blocking::task(move || Ok(Value::Array(store.list_benchmarks(&q).js()?)))
    }
}

fn path_value<E: Into<novacron_perf_core::Error>>(r: Result<PathBuf, E>) -> napi::Result<Value> {
    Ok(Value::String(r.js()?.display().to_string()))
}

/// One running benchmark; `finish()` frees its name and returns the end-of-run snapshot.
#[napi]
pub struct NativeRun {
    guard: Option<RunGuard>,
    view: Arc<SystemView>,
}

#[napi]
impl NativeRun {
    /// Frees the name; returns a snapshot whose CPU usage covers the run.
    #[napi(catch_unwind)]
    pub fn finish(&mut self) -> napi::Result<Value> {
        let since = self.guard.take().and_then(|g| g.cpu_at_start);
        to_value(&self.view.snapshot_since(since.as_ref()))
    }

    /// Frees the name without a snapshot (failed or timed-out runs); idempotent.
    #[napi(catch_unwind)]
    pub fn release(&mut self) {
        self.guard.take();
    }
}

/// `SuiteResult.summary` of BenchmarkRunResult objects.
#[napi(catch_unwind)]
pub fn suite_summary(results: Vec<Value>) -> napi::Result<Value> {
    to_value(&suite::suite_summary(&results))
}

/// Optimization `improvements` (api-spec §3.5).
#[napi(catch_unwind)]
pub fn improvements(target_metrics: Value, result: Value) -> Value {
    suite::improvements(&target_metrics, &result)
}

/// `calculateMetricStats` (api-spec §3.7); `null` for no entries.
#[napi(catch_unwind)]
pub fn metric_stats(entries: Vec<Value>) -> napi::Result<Value> {
    to_value(&suite::metric_stats(&entries))
}

/// Checks a benchmark name (it becomes part of a file name).
#[napi(catch_unwind)]
pub fn validate_benchmark_name_js(name: String) -> napi::Result<()> {
    validate_benchmark_name(&name).js()
}

/// Blocking file work run on libuv's thread pool.
pub struct Blocking(Option<Box<dyn FnOnce() -> napi::Result<Value> + Send>>);

impl Blocking {
    pub(crate) fn task(
        f: impl FnOnce() -> napi::Result<Value> + Send + 'static,
    ) -> AsyncTask<Blocking> {
        AsyncTask::new(Blocking(Some(Box::new(f))))
    }
}

/// A JSON value resolved by an async task (serde_json's `Value` lacks `TypeName`).
pub struct Json(pub(crate) Value);

impl napi::bindgen_prelude::TypeName for Json {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Unknown
    }
}

impl napi::bindgen_prelude::ToNapiValue for Json {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: forwarded unchanged to serde_json::Value's conversion with the same env.
        unsafe { Value::to_napi_value(env, val.0) }
    }
}

impl Task for Blocking {
    type Output = Value;
    type JsValue = Json;

    fn compute(&mut self) -> napi::Result<Value> {
        match self.0.take() {
            // On libuv's pool: a panic here would abort the process.
            Some(f) => crate::guard::guard("framework task", f),
            None => Err(crate::error::state("task already ran")),
        }
    }

    fn resolve(&mut self, _env: Env, output: Value) -> napi::Result<Json> {
        Ok(Json(output))
    }
}
