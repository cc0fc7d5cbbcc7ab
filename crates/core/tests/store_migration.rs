//! A store written by schema version 1 (series named by the collector's JSON paths) opens
//! under the current version: the series are renamed through the collector's series table
//! in one transaction and read back with the same points.
//!
//! The fixture `fixtures/store-v1/history.db` was made once by `make_v1_fixture` below,
//! run with the version-1 code (`cargo test --test store_migration -- --ignored`).

use std::path::{Path, PathBuf};

use novacron_perf_core::store::{SeriesKey, Store, StoreOptions};

const T0: i64 = 1_700_000_000_000;
const STEP_MS: i64 = 10_000;
/// Points per series that were flushed into chunks and rollups (one closed chunk of 480
/// and an open one) ...
const FLUSHED: i64 = 500;
/// ... and points left as write-ahead rows (as a crash leaves them).
const PENDING: i64 = 5;

/// The version-1 series of the fixture: `(name, labels)`, ids 1.. in this order.
const V1_SERIES: &[(&str, &[(&str, &str)])] = &[
    ("system.cpu.usage", &[]),
    ("system.cpu.loadAverage[index]", &[("index", "0")]),
    ("system.cpu.loadAverage[index]", &[("index", "2")]),
    ("system.cpu.perCore[cpu].usage", &[("cpu", "1")]),
    ("system.memory.total", &[]),
    ("system.disks[device].readBytesPerSec", &[("device", "vda")]),
    (
        "system.filesystems[device,fstype,mountpoint].used",
        &[
            ("device", "/dev/vda"),
            ("fstype", "ext4"),
            ("mountpoint", "/"),
        ],
    ),
    (
        "system.network[device].rxBytesPerSec",
        &[("device", "eth0")],
    ),
    (
        "system.gpu.devices[gpu,name,uuid].processes[pid].memoryUsed",
        &[
            ("gpu", "0"),
            ("name", "Test GPU"),
            ("uuid", "GPU-1"),
            ("pid", "42"),
        ],
    ),
    ("application.rss", &[]),
    ("application.eventLoopDelay.p99", &[]),
    ("network.tcpStates.established", &[]),
    ("network.probes[target].latencyMs", &[("target", "db:5432")]),
    (
        "network.probes[error,target].latencyMs",
        &[("error", "db:5432: refused"), ("target", "db:5432")],
    ),
    (
        "database.databases[kind,name,status].connections",
        &[("kind", "postgres"), ("name", "main"), ("status", "ok")],
    ),
    ("ml_workflow.modelAccuracy", &[]),
    (
        "ml_workflow.stages[stage,workflow].durationMs",
        &[("stage", "fit"), ("workflow", "train")],
    ),
    ("custom.metrics.queue_depth.value", &[]),
    (
        "custom.labelled[name,route].value",
        &[("name", "requests"), ("route", "/vms")],
    ),
    // Not a collector series: kept as it is.
    ("bench_latency_ms", &[("host", "a")]),
];

/// The value of point `i` of series number `s` (exact in f64).
fn value(s: usize, i: i64) -> f64 {
    (s as i64 * 1000 + i) as f64 * 0.25
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1")
}

/// Writes the fixture. Run once, with the code of schema version 1.
#[test]
#[ignore = "makes the fixture; run once with the version-1 code"]
fn make_v1_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(StoreOptions::new(tmp.path())).unwrap();
    let ids: Vec<_> = V1_SERIES
        .iter()
        .map(|(name, labels)| store.series_id(&SeriesKey::new(*name, labels)).unwrap())
        .collect();
    let batch = |from: i64, to: i64| -> Vec<_> {
        (from..to)
            .flat_map(|i| {
                ids.iter()
                    .enumerate()
                    .map(move |(s, id)| (*id, T0 + i * STEP_MS, value(s, i)))
            })
            .collect()
    };
    store.append_batch(&batch(0, FLUSHED)).unwrap();
    store.flush().unwrap();
    store
        .append_batch(&batch(FLUSHED, FLUSHED + PENDING))
        .unwrap();
    // Dropped without `close`: the last points stay as write-ahead rows.
    drop(store);
    // Shrink the file for the repository: same content, small pages, no WAL file.
    let conn = rusqlite::Connection::open(tmp.path().join("history.db")).unwrap();
    conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;")
        .unwrap();
    let v: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, 1, "the fixture is a version-1 store");
    let wal_rows: i64 = conn
        .query_row("SELECT count(*) FROM wal", [], |r| r.get(0))
        .unwrap();
    assert!(wal_rows > 0, "the fixture keeps write-ahead rows");
    drop(conn);
    std::fs::create_dir_all(fixture()).unwrap();
    std::fs::copy(tmp.path().join("history.db"), fixture().join("history.db")).unwrap();
}
