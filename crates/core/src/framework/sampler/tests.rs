//! The sampler view on a fake clock: its own machine-only collector when it stands alone,
//! the system's collector when attached, decimated to `samplingInterval`.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::*;
use crate::events::Event;
use crate::host::clock::FakeClock;

const WAIT: Duration = Duration::from_secs(10);

fn sampler(
    interval: f64,
    retention: f64,
    clock: Arc<dyn Clock>,
) -> (Sampler, Receiver<Event>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = ResultStore::open(dir.path()).unwrap();
    let (bus, rx) = EventBus::new();
    bus.set_interest("metrics:collected", true);
    let view = Arc::new(SystemView::new(dir.path()));
    let s = Sampler::new(
        SamplerConfig::new(interval, retention).unwrap(),
        view,
        bus,
        store,
        clock,
    );
    (s, rx, dir)
}

#[test]
fn samples_on_its_interval_and_caps_the_series() {
    let clock = FakeClock::new(1_700_000_000_000);
    let (s, rx, dir) = sampler(100.0, 300.0, clock.clone());
    s.start().unwrap();
    assert!(
        clock.wait_parked(1, WAIT),
        "the own collector's thread parks"
    );
    let first = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(first.name, "metrics:collected");
    assert!(
        first.payload["cpu"]["usage"].is_null(),
        "first sample has no rate"
    );
    assert_eq!(first.payload["timestamp"], 1_700_000_000_000i64);
    for n in 1..=4 {
        // Real time passes too, so that the kernel's CPU counters move between readings.
        std::thread::sleep(Duration::from_millis(30));
        clock.advance(Duration::from_millis(100));
        let e = rx.recv_timeout(WAIT).unwrap();
        assert_eq!(
            e.payload["timestamp"],
            1_700_000_000_000i64 + 100 * n,
            "drift-free stamps"
        );
        assert!(clock.wait_parked(1, WAIT));
    }
    s.stop();
    let st = s.status();
    assert!(!st.running);
    assert_eq!(st.ticks, 5);
    assert_eq!(st.kept, 3, "retention 300 ms / 100 ms");
    let series = s.series();
    assert_eq!(series["memory"].as_array().unwrap().len(), 3);
    assert!(series["cpu"][2]["usage"].is_number());
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
    let clock = FakeClock::new(0);
    let (s, _rx, _dir) = sampler(60_000.0, 600_000.0, clock.clone());
    s.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    let t = Instant::now();
    s.stop();
    assert!(t.elapsed() < Duration::from_millis(500));
    assert_eq!(clock.parked(), 0, "no thread left");
}

#[test]
fn attached_to_a_collector_it_records_every_nth_tick_and_runs_no_thread() {
    let clock = FakeClock::new(1_000_000);
    let (bus, _rx) = EventBus::new();
    let collector = Arc::new(
        Collector::with_clock(
            CollectorConfig::machine_only(100),
            bus,
            clock.clone() as Arc<dyn Clock>,
        )
        .unwrap(),
    );
    let (s, rx, _dir) = sampler(300.0, 3_000.0, clock.clone());
    s.attach(Arc::clone(&collector)).unwrap();
    s.start().unwrap();
    assert_eq!(clock.parked(), 0, "the attached view starts no thread");
    collector.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    for _ in 0..7 {
        std::thread::sleep(Duration::from_millis(10));
        clock.advance(Duration::from_millis(100));
        assert!(clock.wait_parked(1, WAIT));
    }
    assert_eq!(clock.parked(), 1, "one sampler thread: the collector's");
    let stamps: Vec<i64> = rx
        .try_iter()
        .map(|e| e.payload["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(stamps, vec![1_000_000, 1_000_300, 1_000_600]);
    assert_eq!(s.status().ticks, 3);
    s.stop();
    assert!(!s.status().running);
    clock.advance(Duration::from_millis(300));
    assert!(clock.wait_parked(1, WAIT));
    assert_eq!(s.status().ticks, 3, "a stopped view records nothing");
    collector.stop().unwrap();
}

#[test]
fn configure_restarts_an_own_collector_at_the_new_interval() {
    let clock = FakeClock::new(0);
    let (s, rx, _dir) = sampler(1000.0, 10_000.0, clock.clone());
    s.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    s.configure(SamplerConfig::new(200.0, 10_000.0).unwrap())
        .unwrap();
    assert!(clock.wait_parked(1, WAIT));
    clock.advance(Duration::from_millis(200));
    assert!(clock.wait_parked(1, WAIT));
    let stamps: Vec<i64> = rx
        .try_iter()
        .map(|e| e.payload["timestamp"].as_i64().unwrap())
        .collect();
    assert_eq!(
        stamps,
        vec![0, 200],
        "the restarted clock's first tick is too early"
    );
    assert_eq!(s.status().interval_ms, 200);
    s.stop();
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
