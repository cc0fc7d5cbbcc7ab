//! The collector's clock thread and what one tick does: read every source, build the
//! sample, store it in one commit, emit it; plus the periodic store flush and retention, and
//! the Prometheus rendering of the latest readings.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::reading::{ReadingStatus, SourceState};
use super::{flatten, system::SystemReading, CollectError, Shared};
use crate::host::clock::StopSignal;
use crate::host::process::thread_cpu_micros;
use crate::prometheus::{render, Family, MetricKind};
use crate::store::SeriesKey;

/// How often the store's retention runs.
pub(super) const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// The clock: a drift-free schedule on `shared.clock`, woken at once by `stop`.
pub(super) fn clock(shared: Arc<Shared>, stop: StopSignal) {
    let clock = Arc::clone(&shared.clock);
    let interval = Duration::from_millis(shared.config.interval_ms);
    let flush_every = Duration::from_millis(shared.config.storage_interval_ms);
    let start = clock.monotonic();
    let epoch_start = clock.now_ms();
    let mut last_flush = start;
    let mut last_retention: Option<Duration> = None;
    let mut n: u32 = 0;
    loop {
        let cpu0 = thread_cpu_micros();
        tick(&shared, stamp(epoch_start, interval, n, clock.now_ms()));
        let now = clock.monotonic();
        if now.saturating_sub(last_flush) >= flush_every {
            flush(&shared);
            last_flush = now;
        }
        if last_retention.is_none_or(|t| now.saturating_sub(t) >= RETENTION_EVERY) {
            if let Some(store) = &shared.store {
                if let Err(e) = store.apply_retention(clock.now_ms()) {
                    shared
                        .bus
                        .emit_with("storage:error", || json!({ "message": e.to_string() }));
                }
            }
            last_retention = Some(now);
        }
        shared
            .own_cpu_us
            .fetch_add(thread_cpu_micros().saturating_sub(cpu0), Ordering::Relaxed);
        n += 1;
        if clock.wait_until(start + interval * n, &stop) {
            return;
        }
        // After a stall (suspend, a stopped debugger) skip missed slots instead of bursting.
        let behind = (clock.monotonic().saturating_sub(start).as_millis()
            / interval.as_millis().max(1)) as u32;
        n = n.max(behind);
    }
}

/// The timestamp of tick `n`: its scheduled time when the reading runs within a tenth of an
/// interval of it (so every series of a tick shares one timestamp and regular timestamps
/// cost the store about one bit each), else the wall clock (after a stall or a clock step).
fn stamp(epoch_start: i64, interval: Duration, n: u32, now: i64) -> i64 {
    let ms = interval.as_millis() as i64;
    let scheduled = epoch_start + ms * n as i64;
    if (now - scheduled).abs() <= ms / 10 {
        scheduled
    } else {
        now
    }
}

/// One tick at `ts`: read every source, build the sample, store it, emit it.
pub(super) fn tick(shared: &Shared, ts: i64) -> Value {
    // Held for the whole tick: one tick at a time, and each tick's points stored in order.
    let mut last = shared.last_tick_ts.lock();
    *last = ts.max(last.saturating_add(1));
    let ts = *last;
    let mut collectors = Map::new();
    let mut gpu_slot = None;
    let mut machine: Option<SystemReading> = None;
    let sources: Vec<_> = shared
        .slots
        .lock()
        .iter()
        .map(|s| (s.name, Arc::clone(&s.source)))
        .collect();
    for (i, (name, source)) in sources.into_iter().enumerate() {
        // Read without the slot table's lock; publish under it.
        let result = source.lock().collect();
        let value = {
            let mut slots = shared.slots.lock();
            let slot = &mut slots[i];
            match result {
                Ok(r) => {
                    let was_degraded = slot.status.status == SourceState::Degraded;
                    match r.status {
                        ReadingStatus::Ok => {
                            slot.status.status = SourceState::Ok;
                            slot.status.error = None;
                        }
                        ReadingStatus::Unavailable(ref reason) => {
                            slot.status.status = SourceState::Unavailable;
                            slot.status.error = Some(reason.clone());
                        }
                    }
                    slot.status.last_success = Some(ts);
                    if was_degraded {
                        shared.bus.emit_with(
                            "collection:recovered",
                            || json!({ "collector": name, "timestamp": ts }),
                        );
                    }
                    if name == "system" && !shared.system_listeners.lock().is_empty() {
                        machine = r.get::<SystemReading>().cloned();
                    }
                    for w in &r.warnings {
                        shared.bus.emit_with(
                            "collection:warning",
                            || json!({ "collector": name, "message": w, "timestamp": ts }),
                        );
                    }
                    let value = r.json();
                    let mut families = r.families;
                    slot.guard.apply(&mut families);
                    slot.families = families;
                    value
                }
                Err(message) => {
                    slot.status.failures += 1;
                    // One event per change of state or message, not one per tick.
                    if slot.status.status != SourceState::Degraded
                        || slot.status.error.as_deref() != Some(message.as_str())
                    {
                        let m = message.clone();
                        shared.bus.emit_with(
                            "collection:error",
                            || json!({ "collector": name, "message": m, "timestamp": ts }),
                        );
                    }
                    slot.status.status = SourceState::Degraded;
                    slot.status.error = Some(message.clone());
                    slot.families.clear();
                    json!({ "error": message })
                }
            }
        };
        if name == "gpu" {
            gpu_slot = Some(value);
        } else {
            collectors.insert(name.to_owned(), value);
        }
    }
    if let (Some(gpu), Some(Value::Object(sys))) = (gpu_slot, collectors.get_mut("system")) {
        sys.insert("gpu".into(), gpu);
    }
    let mut points = Vec::new();
    for (name, value) in &collectors {
        points.extend(
            flatten::flatten(name, value)
                .into_iter()
                .map(|(k, v)| (k, ts, v)),
        );
    }
    // A failing store (full disk, folder made read-only) reports once per new message, not
    // at every tick; sampling, events and the exposition go on.
    let result = append(shared, points);
    let mut failing = shared.store_error.lock();
    match result {
        Err(e) if failing.as_deref() != Some(e.to_string().as_str()) => {
            let message = e.to_string();
            shared.bus.emit_with(
                "storage:error",
                || json!({ "message": message, "timestamp": ts }),
            );
            *failing = Some(e.to_string());
        }
        Err(_) => {}
        Ok(()) => *failing = None,
    }
    drop(failing);
    if let Some(reading) = &machine {
        // Cloned out of the lock, so a listener may subscribe or unsubscribe from its call.
        let listeners: Vec<_> = shared
            .system_listeners
            .lock()
            .iter()
            .map(|(_, l)| Arc::clone(l))
            .collect();
        for listener in listeners {
            listener(ts, reading);
        }
    }
    let sample = json!({ "timestamp": ts, "collectors": collectors });
    *shared.last_sample.lock() = Some(sample.clone());
    shared.ticks.fetch_add(1, Ordering::Relaxed);
    // JS parses the sample only when it needs it (listeners, aggregation): a string
    // crosses the bridge far more cheaply than a few hundred object properties.
    shared.bus.emit_with(
        "collector:tick",
        || json!({ "timestamp": ts, "json": sample.to_string() }),
    );
    drop(last);
    sample
}

/// Appends one tick's points and the pending JS `application` points in one commit,
/// registering new series on first sight.
///
/// A series the store refuses (a name or label over its limits) is left out and the rest is
/// committed: one bad series never costs the tick's other samples. The error then names the
/// series left out, after the commit.
pub(super) fn append(
    shared: &Shared,
    points: Vec<(flatten::SeriesRef, i64, f64)>,
) -> Result<(), CollectError> {
    let pending = std::mem::take(&mut *shared.pending_app.lock());
    let Some(store) = &shared.store else {
        return Ok(());
    };
    let mut ids = shared.series_ids.lock();
    let mut batch = Vec::with_capacity(points.len() + pending.len());
    let mut refused: Option<String> = None;
    for (key, t, v) in pending.into_iter().chain(points) {
        let id = match ids.get(&key) {
            Some(id) => *id,
            None => {
                let sk = SeriesKey {
                    name: key.0.clone(),
                    labels: key.1.clone(),
                };
                match store.series_id(&sk) {
                    Ok(id) => {
                        ids.insert(key, id);
                        id
                    }
                    Err(e @ crate::store::StoreError::InvalidValue { .. }) => {
                        refused.get_or_insert_with(|| {
                            let name: String = sk.name.chars().take(64).collect();
                            let why: String = e.to_string().chars().take(240).collect();
                            format!("series {name:?} not stored: {why}")
                        });
                        continue;
                    }
                    Err(e) => return Err(CollectError::Store(e.to_string())),
                }
            }
        };
        batch.push((id, t, v));
    }
    drop(ids);
    if !batch.is_empty() {
        store
            .append_batch(&batch)
            .map_err(|e| CollectError::Store(e.to_string()))?;
        shared
            .stored_since_flush
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
    }
    match refused {
        Some(message) => Err(CollectError::Store(message)),
        None => Ok(()),
    }
}

fn flush(shared: &Shared) {
    let Some(store) = &shared.store else { return };
    match store.flush() {
        Ok(()) => {
            let count = shared.stored_since_flush.swap(0, Ordering::Relaxed);
            let dir = shared
                .config
                .storage_dir
                .as_ref()
                .map(|d| d.display().to_string());
            shared.bus.emit_with(
                "metrics:stored",
                || json!({ "filename": dir, "count": count }),
            );
        }
        Err(e) => shared
            .bus
            .emit_with("storage:error", || json!({ "message": e.to_string() })),
    }
}

pub(super) fn exposition(shared: &Shared) -> String {
    let mut families = Vec::new();
    let mut up = Family::new(
        "novacron_collector_up",
        MetricKind::Gauge,
        "1 when the sub-collector's last reading succeeded.",
    );
    {
        let slots = shared.slots.lock();
        for s in slots.iter() {
            families.extend(s.families.iter().cloned());
            up.push(
                &[("collector", s.name)],
                if s.status.status == SourceState::Degraded {
                    0.0
                } else {
                    1.0
                },
            );
        }
    }
    families.extend(shared.js_families.lock().iter().cloned());
    families.push(up);
    families.push(Family::single(
        "novacron_collector_cpu_seconds_total",
        MetricKind::Counter,
        "CPU time spent by the collector's sampling thread, seconds.",
        shared.own_cpu_us.load(Ordering::Relaxed) as f64 / 1e6,
    ));
    render(&families)
}
