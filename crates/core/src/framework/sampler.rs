//! The framework's system sampler (api-spec §3.6) as a view over the collector's machine
//! readings: it keeps the last `floor(metricsRetention / samplingInterval)` samples, emits
//! `metrics:collected`, and about once a minute persists the series under
//! `<metricsPath>/system/`. It owns no sampling thread of its own:
//!
//! - inside a `NovaCronPerformanceSystem` it is attached ([`Sampler::attach`]) to the
//!   system's collector and records one of its ticks every `samplingInterval` (the
//!   collector's interval when that is longer), so one sampler thread runs;
//! - a framework standing alone starts a machine-only collector
//!   ([`CollectorConfig::machine_only`]) at `samplingInterval` on the same clock code.
//!
//! `stop` unsubscribes at once (and stops an own collector, whose thread wakes at once), so
//! a stopped framework holds no thread and the Node process can exit.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::Serialize;
use serde_json::json;

use super::results::ResultStore;
use super::system::{SystemSample, SystemView};
use super::FrameworkError;
use crate::collect::config::MIN_INTERVAL_MS;
use crate::collect::system::SystemReading;
use crate::collect::{Collector, CollectorConfig};
use crate::events::EventBus;
use crate::host::clock::Clock;
use crate::host::proc_stat::CpuTimes;

/// How often the series is written to disk, ms of sample time.
const PERSIST_EVERY_MS: i64 = 60_000;
/// Upper bound on kept samples whatever the retention, to bound memory (≈ 1 day at 1 s).
const MAX_KEPT: usize = 86_400;

/// Sampling settings, from the framework config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplerConfig {
    /// `samplingInterval`, ms.
    pub interval_ms: u64,
    /// `metricsRetention`, ms.
    pub retention_ms: u64,
}

impl SamplerConfig {
    /// Validates the two options (the interval has the collector's minimum).
    pub fn new(interval_ms: f64, retention_ms: f64) -> Result<Self, FrameworkError> {
        if !interval_ms.is_finite() || interval_ms < MIN_INTERVAL_MS as f64 {
            return Err(FrameworkError::OutOfRange {
                field: "samplingInterval",
                value: interval_ms,
                accepted: "a number of milliseconds >= 100",
            });
        }
        if !retention_ms.is_finite() || retention_ms < interval_ms {
            return Err(FrameworkError::OutOfRange {
                field: "metricsRetention",
                value: retention_ms,
                accepted: "a number of milliseconds >= samplingInterval",
            });
        }
        Ok(SamplerConfig {
            interval_ms: interval_ms as u64,
            retention_ms: retention_ms as u64,
        })
    }

    fn capacity(&self) -> usize {
        ((self.retention_ms / self.interval_ms) as usize).clamp(1, MAX_KEPT)
    }
}

/// Sampler state visible to callers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SamplerStatus {
    /// Whether the sampler records.
    pub running: bool,
    /// Current interval, ms.
    pub interval_ms: u64,
    /// Samples kept at most.
    pub capacity: usize,
    /// Samples kept now.
    pub kept: usize,
    /// Samples taken since construction.
    pub ticks: u64,
}

/// What the view records from; shared with the collector's listener.
struct Shared {
    config: Mutex<SamplerConfig>,
    series: Mutex<VecDeque<SystemSample>>,
    /// `(timestamp, cpu counters)` of the last recorded sample, for `cpu.usage` over the
    /// view's own interval and for decimation; `None` after a start.
    last: Mutex<Option<(i64, CpuTimes)>>,
    last_persist: Mutex<Option<i64>>,
    ticks: AtomicU64,
    view: Arc<SystemView>,
    bus: Arc<EventBus>,
    store: ResultStore,
}

/// Where the readings come from.
#[derive(Default)]
struct Feed {
    /// The system's collector, once attached.
    attached: Option<Arc<Collector>>,
    /// The collector feeding the view now, and the subscription id.
    running: Option<(Arc<Collector>, u64)>,
}

/// The sampler of one framework.
pub struct Sampler {
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    feed: Mutex<Feed>,
}

impl Sampler {
    /// A stopped sampler on `clock`.
    pub fn new(
        config: SamplerConfig,
        view: Arc<SystemView>,
        bus: Arc<EventBus>,
        store: ResultStore,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Sampler {
            shared: Arc::new(Shared {
                config: Mutex::new(config),
                series: Mutex::new(VecDeque::new()),
                last: Mutex::new(None),
                last_persist: Mutex::new(None),
                ticks: AtomicU64::new(0),
                view,
                bus,
                store,
            }),
            clock,
            feed: Mutex::new(Feed::default()),
        }
    }

    /// Takes the readings from `collector` (the system's) from now on instead of an own
    /// collector; a running sampler switches at once.
    pub fn attach(&self, collector: Arc<Collector>) -> Result<(), FrameworkError> {
        let running = self.stop_feed();
        self.feed.lock().attached = Some(collector);
        if running {
            self.start_feed()?;
        }
        Ok(())
    }

    /// Starts recording; a no-op when it records. Clears the series, as the original did.
    pub fn start(&self) -> Result<(), FrameworkError> {
        if self.feed.lock().running.is_some() {
            return Ok(());
        }
        self.shared.series.lock().clear();
        *self.shared.last.lock() = None;
        self.start_feed()
    }

    /// Stops recording, then persists the series; a no-op when stopped.
    pub fn stop(&self) {
        if self.stop_feed() {
            persist(&self.shared, self.clock.now_ms());
        }
    }

    /// Applies a new interval and retention; an own collector restarts at the new interval.
    pub fn configure(&self, config: SamplerConfig) -> Result<(), FrameworkError> {
        *self.shared.config.lock() = config;
        trim(&mut self.shared.series.lock(), config.capacity());
        let own = {
            let feed = self.feed.lock();
            feed.attached.is_none()
                && feed
                    .running
                    .as_ref()
                    .is_some_and(|(c, _)| c.interval_ms() != config.interval_ms)
        };
        if own {
            self.stop_feed();
            self.start_feed()?;
        }
        Ok(())
    }

    /// Status.
    pub fn status(&self) -> SamplerStatus {
        let config = *self.shared.config.lock();
        SamplerStatus {
            running: self.feed.lock().running.is_some(),
            interval_ms: config.interval_ms,
            capacity: config.capacity(),
            kept: self.shared.series.lock().len(),
            ticks: self.shared.ticks.load(Ordering::Relaxed),
        }
    }

    /// The kept samples as the contract's `{ cpu: [], memory: [], disk: [], network: [] }`,
    /// each entry `{ timestamp, ...value }`.
    pub fn series(&self) -> serde_json::Value {
        series_json(&self.shared.series.lock())
    }

    fn start_feed(&self) -> Result<(), FrameworkError> {
        let mut feed = self.feed.lock();
        let (collector, own) = match &feed.attached {
            Some(c) => (Arc::clone(c), false),
            None => {
                // A private bus: the machine-only collector's own events concern nobody.
                let (bus, _rx) = EventBus::new();
                let interval = self.shared.config.lock().interval_ms;
                let c = Collector::with_clock(
                    CollectorConfig::machine_only(interval),
                    bus,
                    Arc::clone(&self.clock),
                )
                .map_err(|e| FrameworkError::Storage(e.to_string()))?;
                (Arc::new(c), true)
            }
        };
        let shared = Arc::clone(&self.shared);
        let id =
            collector.subscribe_system(Arc::new(move |ts, reading| record(&shared, ts, reading)));
        if own {
            collector
                .start()
                .map_err(|e| FrameworkError::Storage(e.to_string()))?;
        }
        feed.running = Some((collector, id));
        Ok(())
    }

    /// Unsubscribes (and stops an own collector); true when it was running.
    fn stop_feed(&self) -> bool {
        let (running, own) = {
            let mut feed = self.feed.lock();
            (feed.running.take(), feed.attached.is_none())
        };
        let Some((collector, id)) = running else {
            return false;
        };
        collector.unsubscribe_system(id);
        if own {
            let _ = collector.stop();
        }
        true
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Records one collector tick when a sampling interval has passed since the last recorded
/// one (within a tenth of it, so that equal intervals never skip a tick by jitter).
fn record(shared: &Shared, ts: i64, reading: &SystemReading) {
    let config = *shared.config.lock();
    let usage = {
        let mut last = shared.last.lock();
        let interval = config.interval_ms as i64;
        if let Some((t, _)) = *last {
            if ts - t < interval - interval / 10 {
                return;
            }
        }
        let cpu = reading.counters.cpu;
        let usage = last.and_then(|(_, before)| cpu.usage_since(&before));
        *last = Some((ts, cpu));
        usage
    };
    let sample = shared.view.sample_from(ts, reading, usage);
    {
        let mut series = shared.series.lock();
        series.push_back(sample.clone());
        trim(&mut series, config.capacity());
    }
    shared.ticks.fetch_add(1, Ordering::Relaxed);
    shared.bus.emit_with("metrics:collected", || sample);
    let due = {
        let mut p = shared.last_persist.lock();
        let start = *p.get_or_insert(ts);
        let due = ts - start >= PERSIST_EVERY_MS;
        if due {
            *p = Some(ts);
        }
        due
    };
    if due {
        persist(shared, ts);
    }
}

fn trim(series: &mut VecDeque<SystemSample>, capacity: usize) {
    while series.len() > capacity {
        series.pop_front();
    }
}

fn persist(shared: &Shared, now_ms: i64) {
    let value = series_json(&shared.series.lock());
    if value["cpu"].as_array().is_some_and(|a| !a.is_empty()) {
        // A failed write must not stop sampling; the next minute tries again.
        let _ = shared.store.store_system(now_ms, &value);
    }
}

fn series_json(series: &VecDeque<SystemSample>) -> serde_json::Value {
    let entry = |ts: i64, v: serde_json::Value| {
        let mut obj = serde_json::Map::new();
        obj.insert("timestamp".into(), ts.into());
        if let serde_json::Value::Object(m) = v {
            obj.extend(m);
        }
        serde_json::Value::Object(obj)
    };
    let pick = |f: &dyn Fn(&SystemSample) -> serde_json::Value| -> Vec<serde_json::Value> {
        series.iter().map(|s| entry(s.timestamp, f(s))).collect()
    };
    json!({
        "cpu": pick(&|s| json!(s.cpu)),
        "memory": pick(&|s| json!(s.memory)),
        "disk": pick(&|s| json!(s.disk)),
        "network": pick(&|s| json!(s.network)),
    })
}

#[cfg(test)]
mod tests;
