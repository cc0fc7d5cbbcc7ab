//! A store written by schema version 1 (series named by the collector's JSON paths) opens
//! under the current version: the series are renamed through the collector's series table
//! in one transaction and read back with the same points.
//!
//! The fixture `fixtures/store-v1/history.db` was made by `make_v1_fixture` below, run with
//! the version-1 code (`cargo test --test store_migration -- --ignored`).

use std::path::{Path, PathBuf};

use novacron_perf_core::collect::query::{self, MetricsQuery};
use novacron_perf_core::collect::series::migrate_v1;
use novacron_perf_core::store::{Query, SeriesKey, Store, StoreOptions, SCHEMA_VERSION};
use serde_json::json;

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

/// The current names of [`V1_SERIES`], in the same order.
const CURRENT: &[(&str, &[(&str, &str)])] = &[
    ("system.cpu.usage_percent", &[]),
    ("system.cpu.load_average", &[("index", "0")]),
    ("system.cpu.load_average", &[("index", "2")]),
    ("system.cpu.core.usage_percent", &[("cpu", "1")]),
    ("system.memory.total_bytes", &[]),
    ("system.disk.read_bytes_per_sec", &[("device", "vda")]),
    (
        "system.filesystem.used_bytes",
        &[
            ("device", "/dev/vda"),
            ("fstype", "ext4"),
            ("mountpoint", "/"),
        ],
    ),
    ("system.net.rx_bytes_per_sec", &[("device", "eth0")]),
    (
        "system.gpu.process.memory_used_bytes",
        &[
            ("gpu", "0"),
            ("name", "Test GPU"),
            ("uuid", "GPU-1"),
            ("pid", "42"),
        ],
    ),
    ("application.rss_bytes", &[]),
    ("application.event_loop_delay_p99_ms", &[]),
    ("network.tcp_state.established", &[]),
    ("network.probe.latency_ms", &[("target", "db:5432")]),
    (
        "network.probe.latency_ms",
        &[("error", "db:5432: refused"), ("target", "db:5432")],
    ),
    (
        "database.db.connections",
        &[("kind", "postgres"), ("name", "main"), ("status", "ok")],
    ),
    ("ml_workflow.model_accuracy", &[]),
    (
        "ml_workflow.stage.duration_ms",
        &[("stage", "fit"), ("workflow", "train")],
    ),
    ("custom.queue_depth", &[]),
    ("custom.requests", &[("route", "/vms")]),
    ("bench_latency_ms", &[("host", "a")]),
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1")
}

/// Writes the fixture.
#[test]
#[ignore = "rewrites the committed fixture"]
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
    // Version 2 has the tables of version 1: only the version number and the names differ,
    // so under later code this still writes a version-1 store.
    conn.execute("UPDATE meta SET value = 1 WHERE key = 'schema_version'", [])
        .unwrap();
    let wal_rows: i64 = conn
        .query_row("SELECT count(*) FROM wal", [], |r| r.get(0))
        .unwrap();
    assert!(wal_rows > 0, "the fixture keeps write-ahead rows");
    drop(conn);
    std::fs::create_dir_all(fixture()).unwrap();
    std::fs::copy(tmp.path().join("history.db"), fixture().join("history.db")).unwrap();
}

/// Copies the fixture into a fresh folder and opens it as the collector does.
fn open_copy(dir: &Path) -> Store {
    std::fs::copy(fixture().join("history.db"), dir.join("history.db")).unwrap();
    let mut opts = StoreOptions::new(dir);
    opts.rename_v1 = Some(migrate_v1);
    Store::open(opts).unwrap()
}

fn schema_version(dir: &Path) -> i64 {
    rusqlite::Connection::open(dir.join("history.db"))
        .unwrap()
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_version_1_store_is_renamed_in_place_and_reads_the_same_points() {
    assert_eq!(SCHEMA_VERSION, 2);
    let tmp = tempfile::tempdir().unwrap();
    let store = open_copy(tmp.path());
    assert_eq!(store.stats().unwrap().schema_version, SCHEMA_VERSION);
    let want: Vec<SeriesKey> = CURRENT
        .iter()
        .map(|(name, labels)| SeriesKey::new(*name, labels))
        .collect();
    let got: Vec<SeriesKey> = store.series().into_iter().map(|(_, k)| k).collect();
    assert_eq!(got, want, "renamed through the series table, ids kept");

    // Every point, flushed and write-ahead alike, under the new names.
    let all = store
        .query(&Query::range(0, T0 + (FLUSHED + PENDING) * STEP_MS))
        .unwrap();
    assert_eq!(all.len(), CURRENT.len());
    for (s, data) in all.iter().enumerate() {
        assert_eq!(data.key, want[s]);
        let values: Vec<(i64, f64)> = data.points.iter().map(|p| (p.t, p.v)).collect();
        let expected: Vec<(i64, f64)> = (0..FLUSHED + PENDING)
            .map(|i| (T0 + i * STEP_MS, value(s, i)))
            .collect();
        assert_eq!(values, expected, "{}", data.key);
    }
    // The rollups moved with their series: one-minute buckets hold every point.
    let mut q = Query::range(0, T0 + (FLUSHED + PENDING) * STEP_MS);
    q.names = vec!["system.cpu.usage_percent".into()];
    q.step_ms = Some(60_000);
    let buckets = &store.query(&q).unwrap()[0];
    assert_eq!(buckets.resolution, "1m");
    let count: u64 = buckets.aggregated.iter().map(|b| b.count).sum();
    assert_eq!(count, (FLUSHED + PENDING) as u64);

    // getMetrics answers the names users gave before, with the same shapes.
    let ask = |q: serde_json::Value| {
        let q = MetricsQuery::from_json(&q).unwrap();
        query::run(&store, &q, STEP_MS as u64, T0 + FLUSHED * STEP_MS).unwrap()
    };
    let last = T0 + FLUSHED * STEP_MS;
    let rows = ask(json!({ "collector": "system", "metric": "disks.readBytesPerSec", "limit": 1 }));
    assert_eq!(
        rows,
        vec![json!({ "timestamp": last, "system": { "disks": [
            { "device": "vda", "readBytesPerSec": value(5, FLUSHED) }
        ] } })]
    );
    let rows =
        ask(json!({ "metric": "custom.labelled", "labels": { "name": "requests" }, "limit": 1 }));
    assert_eq!(
        rows,
        vec![
            json!({ "timestamp": last, "collectors": { "custom": { "labelled": [
            { "name": "requests", "route": "/vms", "value": value(18, FLUSHED) }
        ] } } })
        ]
    );
    let rows = ask(json!({ "collector": "network", "metric": "probes.latencyMs", "limit": 1 }));
    assert_eq!(
        rows[0]["network"]["probes"],
        json!([
            { "target": "db:5432", "latencyMs": value(12, FLUSHED) },
            { "target": "db:5432", "error": "db:5432: refused", "latencyMs": value(13, FLUSHED) },
        ])
    );
    store.close().unwrap();

    // Reopening finds the current version: nothing is renamed twice.
    assert_eq!(schema_version(tmp.path()), SCHEMA_VERSION);
    let store = open_copy_again(tmp.path());
    let got: Vec<SeriesKey> = store.series().into_iter().map(|(_, k)| k).collect();
    assert_eq!(got, want);
}

fn open_copy_again(dir: &Path) -> Store {
    let mut opts = StoreOptions::new(dir);
    opts.rename_v1 = Some(migrate_v1);
    Store::open(opts).unwrap()
}

#[test]
fn without_a_rename_rule_only_the_version_moves() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(fixture().join("history.db"), tmp.path().join("history.db")).unwrap();
    let store = Store::open(StoreOptions::new(tmp.path())).unwrap();
    assert_eq!(store.stats().unwrap().schema_version, SCHEMA_VERSION);
    let got: Vec<SeriesKey> = store.series().into_iter().map(|(_, k)| k).collect();
    let v1: Vec<SeriesKey> = V1_SERIES
        .iter()
        .map(|(name, labels)| SeriesKey::new(*name, labels))
        .collect();
    assert_eq!(got, v1);
}

#[test]
fn a_rename_onto_a_taken_key_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(fixture().join("history.db"), tmp.path().join("history.db")).unwrap();
    let mut opts = StoreOptions::new(tmp.path());
    // Every series onto one key: the first takes it, the others keep theirs.
    opts.rename_v1 = Some(|_| Some(SeriesKey::new("one", &[])));
    let store = Store::open(opts).unwrap();
    let got: Vec<String> = store.series().into_iter().map(|(_, k)| k.name).collect();
    assert_eq!(got[0], "one");
    assert_eq!(
        got[1..],
        V1_SERIES[1..]
            .iter()
            .map(|s| s.0.to_owned())
            .collect::<Vec<_>>()[..]
    );
}
