//! The collector's clock on a fake clock: drift-free tick stamps, a prompt stop, the store
//! fed tick by tick, flushes and retention on the clock's schedule.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::host::clock::FakeClock;

const T0: i64 = 1_700_000_000_000;
const WAIT: Duration = Duration::from_secs(10);

fn collector(
    options: serde_json::Value,
    clock: &Arc<FakeClock>,
) -> (Collector, std::sync::mpsc::Receiver<crate::events::Event>) {
    let config = CollectorConfig::from_json(&options).unwrap();
    let (bus, rx) = EventBus::new();
    bus.set_interest("collector:tick", true);
    let c = Collector::with_clock(config, bus, Arc::clone(clock) as Arc<dyn Clock>).unwrap();
    (c, rx)
}

fn stamps(rx: &std::sync::mpsc::Receiver<crate::events::Event>) -> Vec<i64> {
    rx.try_iter()
        .filter(|e| e.name == "collector:tick")
        .map(|e| e.payload["timestamp"].as_i64().unwrap())
        .collect()
}

fn stored(c: &Collector, now: i64) -> Vec<i64> {
    let q = query::MetricsQuery::from_json(
        &json!({ "collector": "system", "metric": "memory.total", "limit": 100 }),
    )
    .unwrap();
    query::run(c.store().unwrap(), &q, 1000, now)
        .unwrap()
        .iter()
        .map(|r| r["timestamp"].as_i64().unwrap())
        .collect()
}

#[test]
fn clock_ticks_on_schedule_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::new(T0);
    let (c, rx) = collector(
        json!({
            "collectionInterval": 200,
            "storageLocation": dir.path().join("m").to_str().unwrap(),
            "gpu": false,
        }),
        &clock,
    );
    assert!(c.start().unwrap());
    assert!(!c.start().unwrap(), "a second start is a no-op");
    assert!(clock.wait_parked(1, WAIT));
    for _ in 0..5 {
        // Late wake-ups (a loaded machine) must not shift the schedule: advance in uneven
        // steps that still land on each slot.
        clock.advance(Duration::from_millis(150));
        clock.advance(Duration::from_millis(50));
        assert!(clock.wait_parked(1, WAIT));
    }
    assert!(c.stop().unwrap());
    let ticks = stamps(&rx);
    assert_eq!(
        ticks,
        (0..6).map(|n| T0 + 200 * n).collect::<Vec<_>>(),
        "one tick per slot, stamped with its scheduled time"
    );
    assert_eq!(stored(&c, clock.now_ms()), ticks);
    clock.advance(Duration::from_millis(50));
    let on_demand = c.tick_now();
    assert_eq!(on_demand["timestamp"].as_i64().unwrap(), T0 + 1050);
    let status = serde_json::to_value(c.status()).unwrap();
    assert_eq!(status["sources"]["system"]["status"], "ok");
    assert_eq!(status["ticks"], 7);
    assert!(status["collectorCpuSeconds"].as_f64().unwrap() > 0.0);
    assert!(status["store"]["samples"].as_u64().unwrap() > 0);
    assert!(c
        .prometheus_text()
        .contains("# TYPE node_cpu_seconds_total counter"));
}

#[test]
fn stop_wakes_the_clock_at_once() {
    let clock = FakeClock::new(T0);
    let (c, rx) = collector(
        json!({ "collectionInterval": 3_600_000, "enableHistorical": false, "gpu": false }),
        &clock,
    );
    c.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    let t = Instant::now();
    assert!(c.stop().unwrap());
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(clock.parked(), 0);
    assert_eq!(stamps(&rx), vec![T0], "no tick on stop");
    assert!(!c.is_running());
}

#[test]
fn a_stall_skips_missed_slots_instead_of_bursting() {
    let clock = FakeClock::new(T0);
    let (c, rx) = collector(
        json!({ "collectionInterval": 1000, "enableHistorical": false, "gpu": false }),
        &clock,
    );
    c.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    clock.advance(Duration::from_millis(10_500));
    assert!(clock.wait_parked(1, WAIT));
    clock.advance(Duration::from_millis(500));
    assert!(clock.wait_parked(1, WAIT));
    c.stop().unwrap();
    assert_eq!(
        stamps(&rx),
        vec![T0, T0 + 10_500, T0 + 11_000],
        "one late tick stamped with the wall clock, then back on the schedule"
    );
}

#[test]
fn retention_runs_on_the_clock_and_drops_old_history() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::new(T0);
    let (c, _rx) = collector(
        json!({
            "collectionInterval": 1000,
            "storageInterval": 1000,
            "retentionPeriod": 60_000,
            "storageLocation": dir.path().join("m").to_str().unwrap(),
            "gpu": false,
        }),
        &clock,
    );
    c.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    for _ in 0..3 {
        clock.advance(Duration::from_secs(1));
        assert!(clock.wait_parked(1, WAIT));
    }
    assert_eq!(
        stored(&c, clock.now_ms()),
        vec![T0, T0 + 1000, T0 + 2000, T0 + 3000]
    );
    // Past the hourly retention run and past a chunk's 2 h span, so that the old samples
    // sit in a closed chunk wholly older than the 60 s retention.
    clock.advance(Duration::from_secs(2 * 3600 + 1));
    assert!(clock.wait_parked(1, WAIT));
    let now = clock.now_ms();
    assert_eq!(stored(&c, now), vec![T0 + 7_204_000], "old history dropped");
    c.stop().unwrap();
}

/// The exposition carries the standard process and prom-client names beside `novacron_*`,
/// the event-loop quantiles as a summary, and passes `promtool check metrics` (where
/// promtool is installed; skipped with the reason otherwise).
#[test]
fn standard_names_and_promtool() {
    let clock = FakeClock::new(T0);
    let (c, _rx) = collector(json!({ "enableHistorical": false, "gpu": false }), &clock);
    c.tick_now();
    let js = json!({
        "eventLoopDelay": { "p50": 1.0, "p99": 2.0, "max": 3.0 },
        "eventLoopUtilization": 0.1, "heapUsed": 1, "heapTotal": 2, "externalMemory": 5,
        "nodeVersion": "v22.1.0", "gcPauseMsTotal": 1.5, "activeHandles": 3,
    });
    c.record_js_application(T0, &js).unwrap();
    let text = c.prometheus_text();
    for name in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
        "process_start_time_seconds ",
        "nodejs_eventloop_lag_seconds 0.003\n",
        "nodejs_eventloop_lag_p50_seconds 0.001\n",
        "nodejs_eventloop_lag_p99_seconds 0.002\n",
        "nodejs_heap_size_used_bytes 1\n",
        "nodejs_heap_size_total_bytes 2\n",
        "nodejs_external_memory_bytes 5\n",
        "nodejs_active_handles 3\n",
        "nodejs_version_info{version=\"v22.1.0\",major=\"22\",minor=\"1\",patch=\"0\"} 1\n",
        "novacron_process_cpu_seconds_total ",
        "# TYPE novacron_nodejs_eventloop_delay_seconds summary\n",
    ] {
        assert!(text.contains(name), "no {name:?} in\n{text}");
    }
    let Ok(mut child) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
        return;
    };
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    // node_exporter's own names keep the kernel's CamelCase (`node_memory_MemTotal_bytes`,
    // `node_netstat_Tcp_RetransSegs`): promtool's style lint flags those in node_exporter's
    // output too, and dashboards depend on them. Every other finding fails the test.
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Vec<&str> = report
        .lines()
        .filter(|l| {
            !(l.starts_with("node_")
                && l.ends_with("should be written in 'snake_case' not 'camelCase'"))
        })
        .collect();
    assert!(findings.is_empty(), "promtool: {findings:#?}");
}

/// One series the store refuses (a label value over its limit) is left out with one error
/// naming it; every other sample of the tick is committed.
#[test]
fn one_bad_series_never_fails_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::new(T0);
    let (c, _rx) = collector(
        json!({ "storageLocation": dir.path().join("m").to_str().unwrap(), "gpu": false }),
        &clock,
    );
    let good: flatten::SeriesRef = ("custom.good".into(), vec![]);
    let _ = &good;
    let bad: flatten::SeriesRef = ("custom.bad".into(), vec![("k".into(), "v".repeat(1500))]);
    let err = clock::append(&c.shared, vec![(bad, T0, 1.0), (good.clone(), T0, 2.0)])
        .unwrap_err()
        .to_string();
    assert!(err.contains("custom.bad") && err.len() < 400, "{err}");
    let st = c.store().unwrap().stats().unwrap();
    assert_eq!(st.series, 1, "only the good series is registered");
    assert_eq!(
        st.samples.max(st.pending_samples),
        1,
        "the good sample is stored"
    );
}

/// A reading in progress (here: the system source held, as a hung `statfs` or a slow probe
/// would hold it) never blocks `status()` or the exposition: they answer at once from the
/// last completed reading, while the tick waits for its source.
#[test]
fn status_and_exposition_never_wait_for_a_reading_in_progress() {
    let clock = FakeClock::new(T0);
    let (c, _rx) = collector(json!({ "enableHistorical": false, "gpu": false }), &clock);
    c.tick_now();
    let source = Arc::clone(&c.shared.slots.lock()[0].source);
    let held = source.lock();
    let shared = Arc::clone(&c.shared);
    let tick = std::thread::spawn(move || clock::tick(&shared, T0 + 1000));
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    let status = c.status();
    let text = c.prometheus_text();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(status.sources["system"].status, SourceState::Ok);
    assert!(
        text.contains("node_cpu_seconds_total{"),
        "the last completed reading"
    );
    assert!(!tick.is_finished(), "the tick waits for its source");
    drop(held);
    tick.join().unwrap();
}
