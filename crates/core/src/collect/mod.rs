//! The metrics collector (api-spec §9): sub-collectors ("sources") sampled on one clock by a
//! dedicated thread, never the JS thread; each tick's sample goes into the history store and
//! to JS as an event, and the latest readings feed the Prometheus exposition.
//!
//! - [`rates`]: counter → rate rules (the `/proc` parsers live in [`crate::host`]).
//! - [`system`] (one file per resource), [`gpu`], [`process`], [`network`], [`database`],
//!   [`pushed`]: the sources; each returns a typed [`Reading`] (see [`reading`]), turned into
//!   the sample's JSON only when the tick assembles the sample.
//! - [`series`]: the one table of stored series names; [`flatten`]: sample JSON → store
//!   series through it; [`query`]: `getMetrics`.
//! - [`config`]: options and their validation; `clock`: the sampling thread and one tick, on
//!   a [`crate::host::clock::Clock`] (real, or fake in tests).
//!
//! A source that fails is marked degraded and its slot holds `{ error }`; the others go on,
//! and the failing one is tried again at every tick, so it recovers by itself.

mod clock;
pub mod config;
pub mod database;
pub mod flatten;
pub mod gpu;
pub mod monotonic;
pub mod network;
pub mod process;
pub mod pushed;
pub mod query;
pub mod rates;
pub mod reading;
#[cfg(test)]
mod sample_shape;
pub mod series;
pub mod system;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::{json, Value};
use thiserror::Error;

use crate::events::EventBus;
use crate::host::clock::{self as hostclock, Clock, StopSignal};
use crate::prometheus::Family;
use crate::store::{SeriesId, Store, StoreOptions};
pub use config::CollectorConfig;
pub use pushed::PushedTable;
pub use reading::{Reading, ReadingStatus, SampleData, SourceState};

/// The error of a start after [`Collector::close`].
const CLOSED: &str = "collector: closed (accepted: a new collector)";

/// The six collector keys of api-spec §9.1, in sample order.
pub const COLLECTORS: [&str; 6] = [
    "system",
    "application",
    "database",
    "network",
    "ml_workflow",
    "custom",
];

/// A sub-collector.
pub trait Source: Send {
    /// Its collector key (or `gpu`, which lands in `system.gpu`).
    fn name(&self) -> &'static str;
    /// Reads once. An `Err` marks the source degraded for this tick.
    fn collect(&mut self) -> Result<Reading, String>;
}

/// Collector errors.
#[derive(Debug, Error)]
pub enum CollectError {
    /// A bad option or query field; the message names it.
    #[error("{0}")]
    Invalid(String),
    /// The history store failed.
    #[error("{0}")]
    Store(String),
}

impl CollectError {
    /// JS error kind.
    pub fn js_kind(&self) -> &'static str {
        match self {
            CollectError::Invalid(_) => "TypeError",
            CollectError::Store(_) => "Error",
        }
    }
}

/// Health of one source.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceStatus {
    /// `ok`, `degraded`, `unavailable` or `pending` (not read yet).
    pub status: SourceState,
    /// Last error or unavailability reason.
    pub error: Option<String>,
    /// Epoch ms of the last successful reading.
    pub last_success: Option<i64>,
    /// Failed readings so far.
    pub failures: u64,
}

/// One source and what it last published. The source has a lock of its own, so that a
/// reading in progress (a slow `statfs`, a database probe) never holds the slot table that
/// `status()` and the exposition read: those always answer from the last completed reading.
struct Slot {
    name: &'static str,
    source: Arc<Mutex<Box<dyn Source>>>,
    status: SourceStatus,
    families: Vec<Family>,
    /// Keeps this source's exported counters monotonic.
    guard: monotonic::CounterGuard,
}

/// A consumer of the machine readings: called on the clock thread with each tick's
/// timestamp and typed `system` reading (the framework's system view is one).
pub type SystemListener = Arc<dyn Fn(i64, &system::SystemReading) + Send + Sync>;

struct Shared {
    config: CollectorConfig,
    clock: Arc<dyn Clock>,
    bus: Arc<EventBus>,
    store: Option<Arc<Store>>,
    slots: Mutex<Vec<Slot>>,
    /// Families pushed from JS (the V8/libuv half of `application`).
    js_families: Mutex<Vec<Family>>,
    /// Keeps the JS half's exported counters monotonic.
    js_guard: Mutex<monotonic::CounterGuard>,
    series_ids: Mutex<HashMap<flatten::SeriesRef, SeriesId>>,
    last_sample: Mutex<Option<Value>>,
    ticks: AtomicU64,
    /// Timestamp of the last tick, and of the last JS `application` record: the store takes
    /// each series in time order, and on-demand ticks interleave with the clock's. A tick
    /// holds `last_tick_ts` from start to end, so ticks never interleave.
    last_tick_ts: Mutex<i64>,
    last_app_ts: Mutex<i64>,
    /// The JS half of `application` on its way into the store (committed by the record call
    /// itself, so that the sample is durable before JS acknowledges it with an event).
    pending_app: Mutex<Vec<(flatten::SeriesRef, i64, f64)>>,
    stored_since_flush: AtomicU64,
    /// The store's last append error, reported once until it changes or clears.
    store_error: Mutex<Option<String>>,
    /// CPU time of the clock thread, µs (the collector's own cost).
    own_cpu_us: AtomicU64,
    /// Who gets each tick's typed machine reading, by subscription id.
    system_listeners: Mutex<Vec<(u64, SystemListener)>>,
    next_listener: AtomicU64,
}

/// A running clock thread and the stop signal that is its alone: a thread started after a
/// stop never shares a signal with one still winding down, so no stop or restart can leave
/// an orphan clock behind.
struct Running {
    handle: JoinHandle<()>,
    stop: StopSignal,
}

/// The collector: sources, clock thread, store and exposition.
pub struct Collector {
    shared: Arc<Shared>,
    pushed: PushedTable,
    /// The clock thread while it runs (a short lock: status reads it).
    thread: Mutex<Option<Running>>,
    /// Held through a whole start, stop or close, so that concurrent ones run one after the
    /// other: a start that follows a stop waits for its join instead of racing it.
    transition: Mutex<()>,
    /// Separate source instances for on-demand reads (`collectors.get(x).collect()`), so
    /// that they never move the rate baselines of the clock thread; built at the first such
    /// read (most collectors never make one, and building loads NVML).
    on_demand: Mutex<Option<Vec<Box<dyn Source>>>>,
}

impl Collector {
    /// Builds the sources and opens the store (creating its folder), on the real clock.
    pub fn new(config: CollectorConfig, bus: Arc<EventBus>) -> Result<Collector, CollectError> {
        Collector::with_clock(config, bus, hostclock::real())
    }

    /// As [`Collector::new`], with the clock that stamps ticks, schedules them and times
    /// flushes and retention (a [`crate::host::clock::FakeClock`] in tests).
    pub fn with_clock(
        config: CollectorConfig,
        bus: Arc<EventBus>,
        clock: Arc<dyn Clock>,
    ) -> Result<Collector, CollectError> {
        let store = match &config.storage_dir {
            Some(dir) => {
                let mut opts = StoreOptions::new(dir.clone());
                opts.raw_retention_ms = config.retention_ms as i64;
                opts.rename_v1 = Some(series::migrate_v1);
                Some(Arc::new(
                    Store::open(opts).map_err(|e| CollectError::Store(e.to_string()))?,
                ))
            }
            None => None,
        };
        let pushed = PushedTable::default();
        let slots = make_sources(&config, &pushed)
            .into_iter()
            .map(|source| Slot {
                name: source.name(),
                source: Arc::new(Mutex::new(source)),
                status: SourceStatus::default(),
                families: Vec::new(),
                guard: Default::default(),
            })
            .collect();
        Ok(Collector {
            shared: Arc::new(Shared {
                config,
                clock,
                bus,
                store,
                slots: Mutex::new(slots),
                js_families: Mutex::new(Vec::new()),
                js_guard: Mutex::new(Default::default()),
                series_ids: Mutex::new(HashMap::new()),
                last_sample: Mutex::new(None),
                ticks: AtomicU64::new(0),
                last_tick_ts: Mutex::new(i64::MIN),
                last_app_ts: Mutex::new(i64::MIN),
                pending_app: Mutex::new(Vec::new()),
                stored_since_flush: AtomicU64::new(0),
                store_error: Mutex::new(None),
                own_cpu_us: AtomicU64::new(0),
                system_listeners: Mutex::new(Vec::new()),
                next_listener: AtomicU64::new(0),
            }),
            on_demand: Mutex::new(None),
            pushed,
            thread: Mutex::new(None),
            transition: Mutex::new(()),
        })
    }

    /// Reads one source now, outside the clock (`system`, `gpu`, `application`, `database`,
    /// `network`, `ml_workflow`, `custom`). Rates cover the time since the previous
    /// on-demand read of that source.
    pub fn read_source(&self, name: &str) -> Result<Value, CollectError> {
        let mut sources = self.on_demand.lock();
        let source = sources
            .get_or_insert_with(|| make_sources(&self.shared.config, &self.pushed))
            .iter_mut()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                CollectError::Invalid(format!(
                    "collector: got {name:?} (accepted: {})",
                    COLLECTORS.join(", ")
                ))
            })?;
        Ok(match source.collect() {
            Ok(r) => r.json(),
            Err(message) => json!({ "error": message }),
        })
    }

    /// The table programs push custom and ML values into.
    pub fn pushed(&self) -> &PushedTable {
        &self.pushed
    }

    /// The history store, when historical storage is on.
    pub fn store(&self) -> Option<&Arc<Store>> {
        self.shared.store.as_ref()
    }

    /// Starts the clock thread; false when it already runs.
    pub fn start(&self) -> Result<bool, CollectError> {
        let _transition = self.transition.lock();
        if self.thread.lock().is_some() {
            return Ok(false);
        }
        if self.shared.store.as_ref().is_some_and(|s| s.is_closed()) {
            return Err(CollectError::Store(CLOSED.into()));
        }
        let stop = StopSignal::new();
        let shared = Arc::clone(&self.shared);
        let signal = stop.clone();
        let (up_tx, up_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let handle = std::thread::Builder::new()
            .name("novacron-collector".into())
            .spawn(move || {
                let _ = up_tx.send(());
                clock::clock(shared, signal)
            })
            .map_err(|e| CollectError::Store(format!("cannot start the collector thread: {e}")))?;
        // Return once the thread runs (and carries its name), so that a caller counting
        // threads right after start() sees it.
        let _ = up_rx.recv();
        *self.thread.lock() = Some(Running { handle, stop });
        Ok(true)
    }

    /// Stops and joins the clock thread, then flushes the store. False when it was stopped.
    pub fn stop(&self) -> Result<bool, CollectError> {
        let _transition = self.transition.lock();
        self.stop_locked()
    }

    /// Stops the clock, then closes the store: its SQLite connections and the folder's
    /// writer lock are released now rather than when the last reference goes. Later writes
    /// and queries fail with "closed"; a second close is a no-op.
    pub fn close(&self) -> Result<(), CollectError> {
        let _transition = self.transition.lock();
        let stopped = self.stop_locked();
        if let Some(store) = &self.shared.store {
            store
                .close_now()
                .map_err(|e| CollectError::Store(e.to_string()))?;
        }
        stopped.map(|_| ())
    }

    fn stop_locked(&self) -> Result<bool, CollectError> {
        let Some(running) = self.thread.lock().take() else {
            return Ok(false);
        };
        running.stop.stop();
        let _ = running.handle.join();
        clock::append(&self.shared, Vec::new())?;
        if let Some(store) = &self.shared.store {
            store
                .flush()
                .map_err(|e| CollectError::Store(e.to_string()))?;
        }
        Ok(true)
    }

    /// Compresses the store's heads into chunks and updates the rollups now; returns the
    /// samples stored since the previous flush.
    pub fn flush(&self) -> Result<u64, CollectError> {
        let Some(store) = &self.shared.store else {
            return Ok(0);
        };
        store
            .flush()
            .map_err(|e| CollectError::Store(e.to_string()))?;
        Ok(self.shared.stored_since_flush.swap(0, Ordering::Relaxed))
    }

    /// True while the clock thread runs.
    pub fn is_running(&self) -> bool {
        self.thread.lock().is_some()
    }

    /// Takes one tick now on the calling thread (used by `collectMetrics()` and tests).
    pub fn tick_now(&self) -> Value {
        clock::tick(&self.shared, self.shared.clock.now_ms())
    }

    /// Stores and exports the JS half of the `application` collector for tick `ts`. The
    /// points are committed before this returns: JS emits `metrics:collected` only after it,
    /// so an acknowledged sample survives a `kill -9` whole (both halves).
    pub fn record_js_application(&self, ts: i64, sample: &Value) -> Result<(), CollectError> {
        {
            // A record that arrives after a newer tick's (an on-demand tick overtaking a
            // clock tick's event) is exported but not stored: history stays in order.
            let mut last = self.shared.last_app_ts.lock();
            let mut families = process::js_families(sample);
            self.shared.js_guard.lock().apply(&mut families);
            *self.shared.js_families.lock() = families;
            if ts <= *last {
                return Ok(());
            }
            *last = ts;
        }
        let points = flatten::flatten("application", sample);
        self.shared
            .pending_app
            .lock()
            .extend(points.into_iter().map(|(k, v)| (k, ts, v)));
        clock::append(&self.shared, Vec::new())
    }

    /// Calls `listener` with every tick's typed machine reading from now on (on the clock
    /// thread, or the caller's for [`Self::tick_now`]); returns the id that unsubscribes.
    pub fn subscribe_system(&self, listener: SystemListener) -> u64 {
        let id = self.shared.next_listener.fetch_add(1, Ordering::Relaxed);
        self.shared.system_listeners.lock().push((id, listener));
        id
    }

    /// Stops the calls to the listener with this id.
    pub fn unsubscribe_system(&self, id: u64) {
        self.shared
            .system_listeners
            .lock()
            .retain(|(i, _)| *i != id);
    }

    /// The sampling period, ms.
    pub fn interval_ms(&self) -> u64 {
        self.shared.config.interval_ms
    }

    /// The last tick's sample.
    pub fn last_sample(&self) -> Option<Value> {
        self.shared.last_sample.lock().clone()
    }

    /// Prometheus exposition of the latest readings.
    pub fn prometheus_text(&self) -> String {
        clock::exposition(&self.shared)
    }

    /// A closure rendering the exposition, for the HTTP listener.
    pub fn renderer(&self) -> crate::prometheus::server::RenderFn {
        let shared = Arc::clone(&self.shared);
        Arc::new(move || clock::exposition(&shared))
    }

    /// Health of every source, the store and the collector's own cost.
    pub fn status(&self) -> CollectorStatus {
        let sources = self
            .shared
            .slots
            .lock()
            .iter()
            .map(|s| (s.name, s.status.clone()))
            .collect();
        let store = self.shared.store.as_ref().map(|s| match s.stats() {
            Ok(st) => StoreStatus::Stats(st),
            Err(e) => StoreStatus::Error {
                error: e.to_string(),
            },
        });
        CollectorStatus {
            running: self.is_running(),
            interval_ms: self.shared.config.interval_ms,
            ticks: self.shared.ticks.load(Ordering::Relaxed),
            collector_cpu_seconds: self.shared.own_cpu_us.load(Ordering::Relaxed) as f64 / 1e6,
            sources,
            store,
            storage_location: self
                .shared
                .config
                .storage_dir
                .as_ref()
                .map(|d| d.display().to_string()),
            storage_error: self.shared.store_error.lock().clone(),
            events: self.shared.bus.stats(),
        }
    }

    /// Wall time on the collector's clock, epoch ms (stamps of pushed values).
    pub fn now_ms(&self) -> i64 {
        self.shared.clock.now_ms()
    }
}

/// `status()`: the collector's health, as JS reads it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectorStatus {
    /// True while the clock thread runs.
    pub running: bool,
    /// Sampling period, ms.
    pub interval_ms: u64,
    /// Ticks taken so far (clock and on-demand).
    pub ticks: u64,
    /// CPU time the clock thread spent, seconds.
    pub collector_cpu_seconds: f64,
    /// Health of each source, by name.
    pub sources: std::collections::BTreeMap<&'static str, SourceStatus>,
    /// The history store's figures; `None` when historical storage is off.
    pub store: Option<StoreStatus>,
    /// The store's folder.
    pub storage_location: Option<String>,
    /// The store's last append error, until an append succeeds.
    pub storage_error: Option<String>,
    /// Counters of the event bus.
    pub events: crate::events::EventStats,
}

/// The store part of [`CollectorStatus`]: its figures, or why they cannot be read.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum StoreStatus {
    /// Series, samples, chunks and bytes.
    Stats(crate::store::StoreStats),
    /// Reading the figures failed.
    Error {
        /// The store's message.
        error: String,
    },
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn make_sources(config: &CollectorConfig, pushed: &PushedTable) -> Vec<Box<dyn Source>> {
    let mut v: Vec<Box<dyn Source>> = vec![Box::<system::SystemSource>::default()];
    if config.machine_only {
        return v;
    }
    if config.gpu {
        v.push(Box::<gpu::GpuSource>::default());
    }
    v.push(Box::<process::ProcessSource>::default());
    v.push(Box::new(database::DatabaseSource::new(
        config.databases.clone(),
    )));
    v.push(Box::new(network::NetworkSource::new(
        config.network_targets.clone(),
    )));
    v.push(Box::new(pushed::MlSource(Arc::clone(pushed))));
    v.push(Box::new(pushed::CustomSource(Arc::clone(pushed))));
    v
}

#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod tests;
