//! The collector's lifecycle on a fake clock: starts and stops from many threads at once
//! never leave an orphan clock (each clock thread has its own stop signal and transitions
//! run one at a time), and `close` releases the store and its folder's writer lock.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::host::clock::FakeClock;

const T0: i64 = 1_700_000_000_000;
const WAIT: Duration = Duration::from_secs(10);

fn collector(options: serde_json::Value, clock: &Arc<FakeClock>) -> Collector {
    let config = CollectorConfig::from_json(&options).unwrap();
    let (bus, _rx) = EventBus::new();
    Collector::with_clock(config, bus, Arc::clone(clock) as Arc<dyn Clock>).unwrap()
}

#[test]
fn concurrent_starts_and_stops_never_leave_an_orphan_clock() {
    let clock = FakeClock::new(T0);
    let c = Arc::new(collector(
        json!({ "collectionInterval": 3_600_000, "enableHistorical": false, "gpu": false }),
        &clock,
    ));
    for round in 0..20 {
        let threads: Vec<_> = (0..6)
            .map(|i| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    if (i + round) % 2 == 0 {
                        c.start().unwrap();
                    } else {
                        c.stop().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // At most one clock runs whatever the interleaving: one parked waiter or none.
        let expected = usize::from(c.is_running());
        assert!(clock.wait_parked(expected, WAIT));
        assert_eq!(clock.parked(), expected, "round {round}");
    }
    c.stop().unwrap();
    assert_eq!(clock.parked(), 0, "a final stop leaves no clock");
    c.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    c.stop().unwrap();
    assert_eq!(clock.parked(), 0);
}

#[test]
fn close_releases_the_store_and_its_folder_lock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::new(T0);
    let options = json!({
        "collectionInterval": 1000,
        "storageLocation": dir.path().join("m").to_str().unwrap(),
        "gpu": false,
    });
    let c = collector(options.clone(), &clock);
    c.start().unwrap();
    assert!(clock.wait_parked(1, WAIT));
    let config = CollectorConfig::from_json(&options).unwrap();
    let (bus, _rx) = EventBus::new();
    let refused = Collector::with_clock(config, bus, Arc::clone(&clock) as Arc<dyn Clock>)
        .err()
        .expect("a second writer on the folder is refused")
        .to_string();
    assert!(
        refused.contains(&format!("process {}", std::process::id())),
        "{refused}"
    );
    c.close().unwrap();
    assert_eq!(clock.parked(), 0, "close stops the clock");
    assert!(c.store().unwrap().is_closed());
    assert!(c.start().unwrap_err().to_string().contains("closed"));
    c.close().unwrap();
    // The folder is free again, with the closed collector's samples in it.
    let again = collector(options, &clock);
    assert!(again.store().unwrap().stats().unwrap().samples > 0);
}
