//! The collector on a store folder that fills up: one `storage:error` (not one per tick),
//! sampling goes on, and what was stored before stays readable. Needs root to mount a small
//! tmpfs; prints why and skips otherwise.

use std::path::PathBuf;
use std::process::Command;

use novacron_perf_core::collect::{query, Collector, CollectorConfig};
use novacron_perf_core::events::EventBus;
use serde_json::json;

struct Tmpfs {
    path: PathBuf,
    _holder: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let holder = tempfile::tempdir().ok()?;
        let path = holder.path().join("mnt");
        std::fs::create_dir(&path).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("SKIP: cannot mount a tmpfs (needs root and mount permission)");
            return None;
        }
        Some(Tmpfs {
            path,
            _holder: holder,
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_is_reported_once_and_sampling_goes_on() {
    let Some(fs) = Tmpfs::mount("6m") else { return };
    let config = CollectorConfig::from_json(&json!({
        "storageLocation": fs.path.join("metrics").to_str().unwrap(),
        "gpu": false,
    }))
    .unwrap();
    let (bus, rx) = EventBus::new();
    bus.set_interest("storage:error", true);
    let c = Collector::new(config, bus).unwrap();
    let mut stored_before_full = 0;
    let mut ticks_after_full = 0;
    for _ in 0..20_000 {
        let sample = c.tick_now();
        assert!(
            sample["collectors"]["system"]["memory"]["total"]
                .as_u64()
                .unwrap()
                > 0
        );
        if c.status().storage_error.is_none() {
            stored_before_full += 1;
        } else {
            ticks_after_full += 1;
            if ticks_after_full == 5 {
                break;
            }
        }
    }
    assert_eq!(ticks_after_full, 5, "the 6 MiB folder never filled up");
    let events: Vec<_> = rx.try_iter().collect();
    assert_eq!(
        events.len(),
        1,
        "one storage:error, not one per tick: {events:?}"
    );
    let message = events[0].payload["message"].as_str().unwrap();
    assert!(message.contains("metrics"), "names the folder: {message}");
    let q = query::MetricsQuery::from_json(
        &json!({ "collector": "system", "metric": "memory.total", "limit": 100000 }),
    )
    .unwrap();
    let now = novacron_perf_core::host::clock::now_ms();
    let rows = query::run(c.store().unwrap(), &q, 5000, now).unwrap();
    assert!(
        stored_before_full > 0 && rows.len() >= stored_before_full,
        "{} rows readable, {stored_before_full} stored",
        rows.len()
    );
}
