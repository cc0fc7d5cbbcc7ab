//! The framework's background system sampler (api-spec §3.6, with the original's crash
//! fixed): a dedicated thread — never the JS thread — takes a [`SystemSample`] every
//! `samplingInterval` ms on a drift-free schedule, keeps the last
//! `floor(metricsRetention / samplingInterval)` samples, emits `metrics:collected`, and about
//! once a minute persists the series under `<metricsPath>/system/`.
//!
//! `stop` wakes the thread at once (condition variable, not a sleep) and joins it, so a
//! stopped framework holds no thread and the Node process can exit.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use serde::Serialize;
use serde_json::json;

use super::probe::{SystemProbe, SystemSample};
use super::results::ResultStore;
use super::FrameworkError;
use crate::events::EventBus;

/// Shortest accepted interval: below this the sampler's own cost becomes visible.
pub const MIN_INTERVAL_MS: u64 = 100;
/// How often the series is written to disk.
const PERSIST_EVERY_MS: u64 = 60_000;
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
    /// Validates the two options.
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
    /// Whether the thread runs.
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

struct Shared {
    config: Mutex<SamplerConfig>,
    stop: Mutex<bool>,
    wake: Condvar,
    series: Mutex<VecDeque<SystemSample>>,
    ticks: AtomicU64,
    probe: Arc<SystemProbe>,
    bus: Arc<EventBus>,
    store: ResultStore,
}

/// The sampler of one framework.
pub struct Sampler {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Sampler {
    /// A stopped sampler.
    pub fn new(
        config: SamplerConfig,
        probe: Arc<SystemProbe>,
        bus: Arc<EventBus>,
        store: ResultStore,
    ) -> Self {
        Sampler {
            shared: Arc::new(Shared {
                config: Mutex::new(config),
                stop: Mutex::new(false),
                wake: Condvar::new(),
                series: Mutex::new(VecDeque::new()),
                ticks: AtomicU64::new(0),
                probe,
                bus,
                store,
            }),
            thread: Mutex::new(None),
        }
    }

    /// Starts the thread; a no-op when it runs. Clears the series, as the original did.
    pub fn start(&self) {
        let mut thread = self.thread.lock();
        if thread.is_some() {
            return;
        }
        *self.shared.stop.lock() = false;
        self.shared.series.lock().clear();
        let shared = Arc::clone(&self.shared);
        *thread = Some(
            std::thread::Builder::new()
                .name("novacron-sampler".into())
                .spawn(move || run(shared))
                .expect("spawning the sampler thread"),
        );
    }

    /// Stops and joins the thread, then persists the series; a no-op when stopped.
    pub fn stop(&self) {
        let Some(handle) = self.thread.lock().take() else {
            return;
        };
        *self.shared.stop.lock() = true;
        self.shared.wake.notify_all();
        let _ = handle.join();
        persist(&self.shared);
    }

    /// Applies a new interval and retention; a running thread picks them up at once.
    pub fn configure(&self, config: SamplerConfig) {
        *self.shared.config.lock() = config;
        trim(&mut self.shared.series.lock(), config.capacity());
        self.shared.wake.notify_all();
    }

    /// Status.
    pub fn status(&self) -> SamplerStatus {
        let config = *self.shared.config.lock();
        SamplerStatus {
            running: self.thread.lock().is_some(),
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
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(shared: Arc<Shared>) {
    let mut prev_cpu = None;
    let mut next = Instant::now();
    let mut last_persist = Instant::now();
    loop {
        let (sample, cpu) = shared.probe.sample(prev_cpu.as_ref());
        prev_cpu = cpu;
        let config = *shared.config.lock();
        {
            let mut series = shared.series.lock();
            series.push_back(sample.clone());
            trim(&mut series, config.capacity());
        }
        shared.ticks.fetch_add(1, Ordering::Relaxed);
        shared.bus.emit_with("metrics:collected", || sample);
        if last_persist.elapsed() >= Duration::from_millis(PERSIST_EVERY_MS) {
            persist(&shared);
            last_persist = Instant::now();
        }

        next += Duration::from_millis(config.interval_ms);
        let now = Instant::now();
        if next < now {
            next = now; // fell behind (suspended machine): skip, do not burst
        }
        let mut stop = shared.stop.lock();
        while !*stop && Instant::now() < next {
            if shared.wake.wait_until(&mut stop, next).timed_out() {
                break;
            }
            // Woken by configure(): re-plan with the new interval.
            let interval = shared.config.lock().interval_ms;
            next = next.min(Instant::now() + Duration::from_millis(interval));
        }
        if *stop {
            return;
        }
    }
}

fn trim(series: &mut VecDeque<SystemSample>, capacity: usize) {
    while series.len() > capacity {
        series.pop_front();
    }
}

fn persist(shared: &Shared) {
    let value = series_json(&shared.series.lock());
    if value["cpu"].as_array().is_some_and(|a| !a.is_empty()) {
        // A failed write must not stop sampling; the next minute tries again.
        let _ = shared.store.store_system(super::now_ms(), &value);
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
mod tests {
    use super::*;

    fn sampler(
        interval: f64,
        retention: f64,
    ) -> (
        Sampler,
        std::sync::mpsc::Receiver<crate::events::Event>,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = ResultStore::open(dir.path()).unwrap();
        let (bus, rx) = EventBus::new();
        bus.set_interest("metrics:collected", true);
        let probe = Arc::new(SystemProbe::new(dir.path()));
        let s = Sampler::new(
            SamplerConfig::new(interval, retention).unwrap(),
            probe,
            bus,
            store,
        );
        (s, rx, dir)
    }

    #[test]
    fn samples_on_its_interval_and_caps_the_series() {
        let (s, rx, dir) = sampler(100.0, 300.0);
        s.start();
        let first = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert_eq!(first.name, "metrics:collected");
        assert!(
            first.payload["cpu"]["usage"].is_null(),
            "first sample has no rate"
        );
        let second = rx.recv_timeout(Duration::from_secs(2)).unwrap();
        assert!(second.payload["cpu"]["usage"].is_number());
        std::thread::sleep(Duration::from_millis(450));
        s.stop();
        let st = s.status();
        assert!(!st.running);
        assert!(st.ticks >= 5, "ticks {}", st.ticks);
        assert_eq!(st.kept, 3, "retention 300 ms / 100 ms");
        let series = s.series();
        assert_eq!(series["memory"].as_array().unwrap().len(), 3);
        assert!(series["memory"][0]["timestamp"].is_i64());
        // stop() persisted the series.
        assert_eq!(
            std::fs::read_dir(dir.path().join("system"))
                .unwrap()
                .count(),
            1
        );
    }

    #[test]
    fn stop_is_prompt_even_with_a_long_interval() {
        let (s, _rx, _dir) = sampler(60_000.0, 600_000.0);
        s.start();
        std::thread::sleep(Duration::from_millis(50));
        let t = Instant::now();
        s.stop();
        assert!(t.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn rejects_bad_config() {
        let e = SamplerConfig::new(10.0, 1000.0).unwrap_err();
        assert!(e.to_string().starts_with("samplingInterval: got 10"), "{e}");
        assert!(SamplerConfig::new(f64::NAN, 1000.0).is_err());
        assert!(SamplerConfig::new(1000.0, 10.0)
            .unwrap_err()
            .to_string()
            .contains("metricsRetention"));
    }
}
