//! `NativeCollector`: the core half of `PerformanceMetricsCollector` — the clock thread and
//! its sources, the history store, the Prometheus exposition and its HTTP listener.

use std::collections::BTreeMap;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Function};
use napi_derive::napi;
use novacron_perf_core::collect::{query, Collector, CollectorConfig};
use novacron_perf_core::prometheus::server::MetricsServer;
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::error::{self, to_value, IntoJs};
use crate::events::EventBridge;
use crate::framework::Blocking;

/// An opaque reference to a collector, handed to a framework so that its sampler becomes a
/// view over this collector's machine readings.
#[napi]
pub struct CollectorHandle {
    collector: Arc<Collector>,
}

impl CollectorHandle {
    /// The collector.
    pub fn collector(&self) -> Arc<Collector> {
        Arc::clone(&self.collector)
    }
}

/// The native half of one metrics collector.
#[napi]
pub struct NativeCollector {
    collector: Arc<Collector>,
    events: EventBridge,
    server: Mutex<Option<MetricsServer>>,
}

#[napi]
impl NativeCollector {
    /// Validates the options and opens the history store (creating its folder).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: Value) -> napi::Result<Self> {
        let config = CollectorConfig::from_json(&options).js()?;
        let events = EventBridge::new();
        let collector = Collector::new(config, Arc::clone(events.bus())).js()?;
        Ok(NativeCollector {
            collector: Arc::new(collector),
            events,
            server: Mutex::new(None),
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

    /// A handle on this collector for `NativeFramework.attachCollector`.
    #[napi(catch_unwind)]
    pub fn handle(&self) -> CollectorHandle {
        CollectorHandle {
            collector: Arc::clone(&self.collector),
        }
    }

    /// Starts the clock thread; false when it already runs.
    #[napi(catch_unwind)]
    pub fn start(&self) -> napi::Result<bool> {
        self.collector.start().js()
    }

    /// Stops and joins the clock thread and flushes the store, off the JS thread.
    #[napi(ts_return_type = "Promise<boolean>", catch_unwind)]
    pub fn stop(&self) -> AsyncTask<Blocking> {
        let c = Arc::clone(&self.collector);
        Blocking::task(move || Ok(Value::Bool(c.stop().js()?)))
    }

    /// Stops the clock and the listener, then closes the store (its SQLite connections and
    /// the folder's writer lock), off the JS thread.
    #[napi(ts_return_type = "Promise<null>", catch_unwind)]
    pub fn close(&self) -> AsyncTask<Blocking> {
        let server = self.server.lock().take();
        let c = Arc::clone(&self.collector);
        Blocking::task(move || {
            if let Some(s) = server {
                s.stop();
            }
            c.close().js()?;
            Ok(Value::Null)
        })
    }

    /// Flushes the history store, off the JS thread; resolves to the samples flushed.
    #[napi(ts_return_type = "Promise<number>", catch_unwind)]
    pub fn flush(&self) -> AsyncTask<Blocking> {
        let c = Arc::clone(&self.collector);
        Blocking::task(move || Ok(Value::from(c.flush().js()?)))
    }

    /// Takes one tick now (all sources), off the JS thread; resolves to the sample.
    #[napi(ts_return_type = "Promise<any>", catch_unwind)]
    pub fn tick_now(&self) -> AsyncTask<Blocking> {
        let c = Arc::clone(&self.collector);
        Blocking::task(move || Ok(c.tick_now()))
    }

    /// Reads one source outside the clock, off the JS thread.
    #[napi(ts_return_type = "Promise<any>", catch_unwind)]
    pub fn read_source(&self, name: String) -> AsyncTask<Blocking> {
        let c = Arc::clone(&self.collector);
        Blocking::task(move || c.read_source(&name).js())
    }

    /// Stores (committed when the promise resolves) and exports the JS half of the
    /// `application` sample of tick `timestamp`, off the JS thread.
    #[napi(ts_return_type = "Promise<null>", catch_unwind)]
    pub fn record_application(&self, timestamp: i64, sample: Value) -> AsyncTask<Blocking> {
        let c = Arc::clone(&self.collector);
        Blocking::task(move || {
            c.record_js_application(timestamp, &sample).js()?;
            Ok(Value::Null)
        })
    }

    /// Records a custom metric value.
    #[napi(catch_unwind)]
    pub fn record_custom(
        &self,
        name: String,
        value: f64,
        labels: Option<BTreeMap<String, String>>,
        one_time: Option<bool>,
    ) -> napi::Result<()> {
        self.collector
            .pushed()
            .lock()
            .record_custom(
                &name,
                value,
                &labels.unwrap_or_default(),
                self.collector.now_ms(),
                one_time.unwrap_or(false),
            )
            .map_err(error::invalid_arg)
    }

    /// Removes a custom metric; true when it existed.
    #[napi(catch_unwind)]
    pub fn remove_custom(&self, name: String) -> bool {
        self.collector.pushed().lock().remove_custom(&name)
    }

    /// Records ML figures (`trainingTime`, `modelAccuracy`, …).
    #[napi(catch_unwind)]
    pub fn record_ml_values(&self, values: Value) -> napi::Result<()> {
        let map = values.as_object().ok_or_else(|| {
            error::invalid_arg(format!(
                "values: got {values} (accepted: an object of numbers)"
            ))
        })?;
        self.collector
            .pushed()
            .lock()
            .record_ml_values(map)
            .map_err(error::invalid_arg)
    }

    /// Records the duration of one ML stage.
    #[napi(catch_unwind)]
    pub fn record_ml_stage(
        &self,
        workflow: String,
        stage: String,
        duration_ms: f64,
    ) -> napi::Result<()> {
        self.collector
            .pushed()
            .lock()
            .record_ml_stage(&workflow, &stage, duration_ms)
            .map_err(error::invalid_arg)
    }

    /// Runs a `getMetrics` query against the history store, off the JS thread.
    #[napi(ts_return_type = "Promise<any[]>", catch_unwind)]
    pub fn query(&self, q: Value) -> napi::Result<AsyncTask<Blocking>> {
        let parsed = query::MetricsQuery::from_json(&q).js()?;
        let c = Arc::clone(&self.collector);
        Ok(Blocking::task(move || {
            let Some(store) = c.store() else {
                return Ok(Value::Array(Vec::new()));
            };
            Ok(Value::Array(
                query::run(store, &parsed, c.interval_ms(), c.now_ms()).js()?,
            ))
        }))
    }

    /// The latest readings in the Prometheus text format.
    #[napi(catch_unwind)]
    pub fn prometheus_text(&self) -> String {
        self.collector.prometheus_text()
    }

    /// Serves `/metrics` on `host:port` (port 0 picks one); resolves `{ host, port, url }`.
    #[napi(catch_unwind)]
    pub fn start_server(&self, host: String, port: u32) -> napi::Result<Value> {
        let mut server = self.server.lock();
        if server.is_some() {
            return Err(error::state("metrics server: already listening"));
        }
        let port = u16::try_from(port)
            .map_err(|_| error::invalid_arg(format!("port: got {port} (accepted: 0 to 65535)")))?;
        let s = MetricsServer::start(&host, port, self.collector.renderer()).map_err(|e| {
            error::state(format!(
                "metrics server: cannot listen on {host}:{port}: {e}"
            ))
        })?;
        let addr = s.addr();
        *server = Some(s);
        Ok(
            json!({ "host": addr.ip().to_string(), "port": addr.port(), "url": format!("http://{addr}/metrics") }),
        )
    }

    /// Closes the `/metrics` listener off the JS thread (it waits for the socket to be
    /// released, so that the port can be bound again); resolves false when none was open.
    #[napi(ts_return_type = "Promise<boolean>", catch_unwind)]
    pub fn stop_server(&self) -> AsyncTask<Blocking> {
        let server = self.server.lock().take();
        Blocking::task(move || Ok(Value::Bool(server.map(MetricsServer::stop).is_some())))
    }

    /// Sources' health, store figures, the collector's own CPU time, listener address.
    #[napi(catch_unwind)]
    pub fn status(&self) -> napi::Result<Value> {
        let mut status = to_value(&self.collector.status())?;
        if let Some(s) = self.server.lock().as_ref() {
            status["server"] =
                json!({ "url": format!("http://{}/metrics", s.addr()), "scrapes": s.scrapes() });
        }
        Ok(status)
    }

    /// The last tick's sample, or null.
    #[napi(catch_unwind)]
    pub fn last_sample(&self) -> Value {
        self.collector.last_sample().unwrap_or(Value::Null)
    }
}

/// The collector's defaults under their JS option names (`collectionInterval`,
/// `storageInterval`, `retentionPeriod` in ms, `storageLocation`): the core's values, so that
/// the JS class shows the same ones the core applies.
#[napi(catch_unwind)]
pub fn collector_defaults() -> Value {
    novacron_perf_core::collect::config::defaults_json()
}
