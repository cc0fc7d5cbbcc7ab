//! The one table of stored series names: which history-store series each numeric leaf of a
//! collector's sample (api-spec §9.2) is kept in.
//!
//! Stored names are the store's own, chosen once and kept: they do not follow the sample's
//! JSON field names, so renaming a field of the JS API can never rename stored history
//! silently. Each [`SeriesDef`] maps one leaf, named by its collector and its path in the
//! sample, to a stored name and a unit. A path names array levels with the element fields
//! that become labels, in brackets: `disks[device].readBytesPerSec` is every disk's
//! `readBytesPerSec`, labelled `device`; `cpu.loadAverage[index]` is an array of numbers,
//! labelled by position.
//!
//! Labels are the string fields of an array element, as read (a failed network probe's
//! `error`, for one, joins `target`); the table lists the ones every element has.
//!
//! Two families of names are the user's, not the table's:
//! - `custom`: a metric pushed as `name` with labels is stored as `custom.<name>` with those
//!   labels (the sample holds it under `metrics.<name>.value` without labels, under
//!   `labelled[]` with them);
//! - a leaf missing from the table (a field added without an entry) is stored under its
//!   sample path, `<collector>.<path>`, so that nothing is lost; the table test fails on such
//!   a leaf of any built-in collector, so that it gets its entry before it ships.
//!
//! [`stored_key`] names a leaf for the store, [`public_key`] turns a stored series back into
//! its sample path for `getMetrics`, and [`migrate_v1`] renames the series of a store
//! written before this table (schema version 1, named by sample paths).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::flatten::SeriesRef;
use crate::store::SeriesKey;

/// One stored series family: a leaf of a collector's sample and the name it is stored under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesDef {
    /// Collector key the sample slot belongs to (`gpu` readings live in `system`).
    pub collector: &'static str,
    /// Path of the leaf inside the collector's slot, array levels with their label names in
    /// brackets (`disks[device].readBytesPerSec`).
    pub path: &'static str,
    /// The stored series name (labels come from the bracketed fields).
    pub stored: &'static str,
    /// Unit of the values.
    pub unit: &'static str,
}

impl SeriesDef {
    /// Label names of each array level of the path, outermost first.
    pub fn label_levels(&self) -> Vec<Vec<&'static str>> {
        self.path
            .split('.')
            .filter_map(|seg| seg.split_once('['))
            .map(|(_, rest)| rest.trim_end_matches(']').split(',').collect())
            .collect()
    }

    /// Every label name of the path.
    pub fn labels(&self) -> Vec<&'static str> {
        self.label_levels().into_iter().flatten().collect()
    }
}

/// Prefix of the stored names of user metrics of the `custom` collector.
pub const CUSTOM_PREFIX: &str = "custom.";

const fn d(
    collector: &'static str,
    path: &'static str,
    stored: &'static str,
    unit: &'static str,
) -> SeriesDef {
    SeriesDef {
        collector,
        path,
        stored,
        unit,
    }
}

const PCT: &str = "percent";
const BYTES: &str = "bytes";
const BPS: &str = "bytes/s";
const N: &str = "count";
const PER_S: &str = "1/s";
const MS: &str = "ms";

/// Every leaf of the built-in collectors' samples.
#[rustfmt::skip]
pub static SERIES: &[SeriesDef] = &[
    // system: CPU
    d("system", "cpu.usage", "system.cpu.usage_percent", PCT),
    d("system", "cpu.user", "system.cpu.user_percent", PCT),
    d("system", "cpu.system", "system.cpu.system_percent", PCT),
    d("system", "cpu.iowait", "system.cpu.iowait_percent", PCT),
    d("system", "cpu.steal", "system.cpu.steal_percent", PCT),
    d("system", "cpu.cores", "system.cpu.cores", N),
    // `loadAverage` is null when it cannot be read: a gap of the same name, no label.
    d("system", "cpu.loadAverage", "system.cpu.load_average", "1"),
    d("system", "cpu.loadAverage[index]", "system.cpu.load_average", "1"),
    d("system", "cpu.perCore[cpu].usage", "system.cpu.core.usage_percent", PCT),
    d("system", "cpu.perCore[cpu].user", "system.cpu.core.user_percent", PCT),
    d("system", "cpu.perCore[cpu].system", "system.cpu.core.system_percent", PCT),
    d("system", "cpu.perCore[cpu].iowait", "system.cpu.core.iowait_percent", PCT),
    d("system", "cpu.perCore[cpu].steal", "system.cpu.core.steal_percent", PCT),
    // system: memory
    d("system", "memory.total", "system.memory.total_bytes", BYTES),
    d("system", "memory.totalSystem", "system.memory.host_total_bytes", BYTES),
    d("system", "memory.used", "system.memory.used_bytes", BYTES),
    d("system", "memory.free", "system.memory.free_bytes", BYTES),
    d("system", "memory.available", "system.memory.available_bytes", BYTES),
    d("system", "memory.buffers", "system.memory.buffers_bytes", BYTES),
    d("system", "memory.cached", "system.memory.cached_bytes", BYTES),
    d("system", "memory.swapTotal", "system.memory.swap_total_bytes", BYTES),
    d("system", "memory.swapUsed", "system.memory.swap_used_bytes", BYTES),
    d("system", "memory.usage", "system.memory.usage_percent", PCT),
    // system: the control group's limits (null without a limit)
    d("system", "container", "system.container", "1"),
    d("system", "container.cgroupVersion", "system.container.cgroup_version", "1"),
    d("system", "container.memoryLimit", "system.container.memory_limit_bytes", BYTES),
    d("system", "container.memoryUsage", "system.container.memory_usage_bytes", BYTES),
    d("system", "container.memoryUsagePercent", "system.container.memory_usage_percent", PCT),
    d("system", "container.cpuLimitCores", "system.container.cpu_limit_cores", "cores"),
    d("system", "container.cpuUsagePercent", "system.container.cpu_usage_percent", PCT),
    d("system", "container.throttledPeriods", "system.container.throttled_periods", N),
    d("system", "container.throttledSeconds", "system.container.throttled_seconds", "s"),
    // system: block devices
    d("system", "disks[device].readBytesPerSec", "system.disk.read_bytes_per_sec", BPS),
    d("system", "disks[device].writeBytesPerSec", "system.disk.write_bytes_per_sec", BPS),
    d("system", "disks[device].readIops", "system.disk.reads_per_sec", PER_S),
    d("system", "disks[device].writeIops", "system.disk.writes_per_sec", PER_S),
    d("system", "disks[device].busyPercent", "system.disk.busy_percent", PCT),
    // system: mounted file systems
    d("system", "filesystems[device,fstype,mountpoint].size", "system.filesystem.size_bytes", BYTES),
    d("system", "filesystems[device,fstype,mountpoint].used", "system.filesystem.used_bytes", BYTES),
    d("system", "filesystems[device,fstype,mountpoint].free", "system.filesystem.free_bytes", BYTES),
    d("system", "filesystems[device,fstype,mountpoint].avail", "system.filesystem.avail_bytes", BYTES),
    d("system", "filesystems[device,fstype,mountpoint].usage", "system.filesystem.usage_percent", PCT),
    // system: network interfaces
    d("system", "network[device].rxBytesPerSec", "system.net.rx_bytes_per_sec", BPS),
    d("system", "network[device].txBytesPerSec", "system.net.tx_bytes_per_sec", BPS),
    d("system", "network[device].rxPacketsPerSec", "system.net.rx_packets_per_sec", PER_S),
    d("system", "network[device].txPacketsPerSec", "system.net.tx_packets_per_sec", PER_S),
    d("system", "network[device].rxErrorsPerSec", "system.net.rx_errors_per_sec", PER_S),
    d("system", "network[device].txErrorsPerSec", "system.net.tx_errors_per_sec", PER_S),
    d("system", "network[device].rxDropsPerSec", "system.net.rx_drops_per_sec", PER_S),
    d("system", "network[device].txDropsPerSec", "system.net.tx_drops_per_sec", PER_S),
    // system: kernel counts and TCP
    d("system", "processes", "system.processes", N),
    d("system", "threads", "system.threads", N),
    d("system", "procsRunning", "system.processes_running", N),
    d("system", "procsBlocked", "system.processes_blocked", N),
    d("system", "uptime", "system.uptime_seconds", "s"),
    d("system", "tcp.retransmitsPerSec", "system.tcp.retransmits_per_sec", PER_S),
    d("system", "tcp.retransmitPercent", "system.tcp.retransmit_percent", PCT),
    // system: GPUs (the gpu source's reading, kept in `system.gpu`)
    d("system", "gpu.devices[gpu,name,uuid].utilization", "system.gpu.utilization_percent", PCT),
    d("system", "gpu.devices[gpu,name,uuid].memoryUtilization", "system.gpu.memory_utilization_percent", PCT),
    d("system", "gpu.devices[gpu,name,uuid].memoryUsed", "system.gpu.memory_used_bytes", BYTES),
    d("system", "gpu.devices[gpu,name,uuid].memoryTotal", "system.gpu.memory_total_bytes", BYTES),
    d("system", "gpu.devices[gpu,name,uuid].temperature", "system.gpu.temperature_celsius", "°C"),
    d("system", "gpu.devices[gpu,name,uuid].powerWatts", "system.gpu.power_watts", "W"),
    d("system", "gpu.devices[gpu,name,uuid].smClockMHz", "system.gpu.sm_clock_mhz", "MHz"),
    d("system", "gpu.devices[gpu,name,uuid].processes[pid].memoryUsed", "system.gpu.process.memory_used_bytes", BYTES),
    // application: the Node process, native half
    d("application", "pid", "application.pid", "id"),
    d("application", "rss", "application.rss_bytes", BYTES),
    d("application", "cpuPercent", "application.cpu_percent", PCT),
    d("application", "cpuSeconds", "application.cpu_seconds", "s"),
    d("application", "threads", "application.threads", N),
    d("application", "openFds", "application.open_fds", N),
    // application: JS half (event loop, heap, GC, handles, requests)
    // `eventLoopDelay` is null while the probe does not run: a gap of its own name.
    d("application", "eventLoopDelay", "application.event_loop_delay", MS),
    d("application", "eventLoopDelay.p50", "application.event_loop_delay_p50_ms", MS),
    d("application", "eventLoopDelay.p99", "application.event_loop_delay_p99_ms", MS),
    d("application", "eventLoopDelay.max", "application.event_loop_delay_max_ms", MS),
    d("application", "eventLoopUtilization", "application.event_loop_utilization", "ratio"),
    d("application", "heapUsed", "application.heap_used_bytes", BYTES),
    d("application", "heapTotal", "application.heap_total_bytes", BYTES),
    d("application", "externalMemory", "application.external_memory_bytes", BYTES),
    d("application", "gcPauseMs", "application.gc_pause_ms", MS),
    d("application", "gcPauseMsTotal", "application.gc_pause_total_ms", MS),
    d("application", "activeHandles", "application.active_handles", N),
    d("application", "requestCount", "application.requests", N),
    d("application", "errorCount", "application.request_errors", N),
    d("application", "throughput", "application.requests_per_sec", PER_S),
    d("application", "errorRate", "application.error_rate_percent", PCT),
    d("application", "responseTime", "application.response_time_ms", MS),
    d("application", "avgResponseTime", "application.avg_response_time_ms", MS),
    // network: host TCP figures and probes
    d("network", "bandwidth", "network.bandwidth_mib_per_sec", "MiB/s"),
    d("network", "latency", "network.latency_ms", MS),
    d("network", "packetLoss", "network.packet_loss_percent", PCT),
    d("network", "retransmitPercent", "network.retransmit_percent", PCT),
    d("network", "connections", "network.connections", N),
    d("network", "tcpStatesAgeMs", "network.tcp_states_age_ms", MS),
    d("network", "bytesIn", "network.bytes_in", BYTES),
    d("network", "bytesOut", "network.bytes_out", BYTES),
    d("network", "tcpStates.established", "network.tcp_state.established", N),
    d("network", "tcpStates.syn_sent", "network.tcp_state.syn_sent", N),
    d("network", "tcpStates.syn_recv", "network.tcp_state.syn_recv", N),
    d("network", "tcpStates.fin_wait1", "network.tcp_state.fin_wait1", N),
    d("network", "tcpStates.fin_wait2", "network.tcp_state.fin_wait2", N),
    d("network", "tcpStates.time_wait", "network.tcp_state.time_wait", N),
    d("network", "tcpStates.close", "network.tcp_state.close", N),
    d("network", "tcpStates.close_wait", "network.tcp_state.close_wait", N),
    d("network", "tcpStates.last_ack", "network.tcp_state.last_ack", N),
    d("network", "tcpStates.listen", "network.tcp_state.listen", N),
    d("network", "tcpStates.closing", "network.tcp_state.closing", N),
    d("network", "probes[target].latencyMs", "network.probe.latency_ms", MS),
    // A probe's `error` is null when it succeeded (a failure's message becomes a label).
    d("network", "probes[target].error", "network.probe.error", "null"),
    // database: totals over the configured databases, then one row per database
    d("database", "connections", "database.connections", N),
    d("database", "transactionsPerSec", "database.transactions_per_sec", PER_S),
    d("database", "cacheHitRatio", "database.cache_hit_ratio", "ratio"),
    d("database", "deadlocks", "database.deadlocks", N),
    d("database", "rowsReadPerSec", "database.rows_read_per_sec", PER_S),
    d("database", "rowsWrittenPerSec", "database.rows_written_per_sec", PER_S),
    d("database", "databases[kind,name,status].connections", "database.db.connections", N),
    d("database", "databases[kind,name,status].transactionsPerSec", "database.db.transactions_per_sec", PER_S),
    d("database", "databases[kind,name,status].cacheHitRatio", "database.db.cache_hit_ratio", "ratio"),
    d("database", "databases[kind,name,status].deadlocks", "database.db.deadlocks", N),
    d("database", "databases[kind,name,status].rowsReadPerSec", "database.db.rows_read_per_sec", PER_S),
    d("database", "databases[kind,name,status].rowsWrittenPerSec", "database.db.rows_written_per_sec", PER_S),
    d("database", "databases[kind,name,status].sizeBytes", "database.db.size_bytes", BYTES),
    d("database", "databases[kind,name,status].freePages", "database.db.free_pages", N),
    d("database", "databases[kind,name,status].walBytes", "database.db.wal_bytes", BYTES),
    // ml_workflow: figures and stages reported by ML runs
    d("ml_workflow", "activeTrainingJobs", "ml_workflow.active_training_jobs", N),
    d("ml_workflow", "trainingTime", "ml_workflow.training_time_ms", MS),
    d("ml_workflow", "inferenceTime", "ml_workflow.inference_time_ms", MS),
    d("ml_workflow", "modelAccuracy", "ml_workflow.model_accuracy", "ratio"),
    d("ml_workflow", "datasetSize", "ml_workflow.dataset_rows", N),
    d("ml_workflow", "featureCount", "ml_workflow.features", N),
    d("ml_workflow", "memoryUsage", "ml_workflow.memory_mb", "MB"),
    d("ml_workflow", "gpuUtilization", "ml_workflow.gpu_utilization_percent", PCT),
    d("ml_workflow", "stages[stage,workflow].durationMs", "ml_workflow.stage.duration_ms", MS),
    d("ml_workflow", "stages[stage,workflow].runs", "ml_workflow.stage.runs", N),
];

/// `path` with the bracketed label lists emptied: `disks[].readBytesPerSec`.
fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => {
                if depth == 0 {
                    out.push('[');
                }
                depth += 1;
            }
            ']' => {
                depth -= 1;
                if depth == 0 {
                    out.push(']');
                }
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

struct Index {
    /// Shape of the full path (`system.disks[].readBytesPerSec`) → entry.
    by_shape: HashMap<String, &'static SeriesDef>,
    /// Stored name → entries (two share a name only with different label names).
    by_stored: HashMap<&'static str, Vec<&'static SeriesDef>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_shape = HashMap::new();
        let mut by_stored: HashMap<_, Vec<_>> = HashMap::new();
        for def in SERIES {
            by_shape.insert(shape(&format!("{}.{}", def.collector, def.path)), def);
            by_stored.entry(def.stored).or_default().push(def);
        }
        Index {
            by_shape,
            by_stored,
        }
    })
}

/// The table entry of a leaf, by its sample path (collector first, array levels with any
/// label names in brackets: `system.disks[device].readBytesPerSec`), if it has one.
pub fn lookup(path: &str) -> Option<&'static SeriesDef> {
    index().by_shape.get(&shape(path)).copied()
}

/// The stored series of a leaf: its sample path (collector first, array levels with their
/// label names in brackets, as [`super::flatten`] walks it) and its labels, sorted.
pub fn stored_key(path: &str, labels: Vec<(String, String)>) -> SeriesRef {
    if let Some(name) = path
        .strip_prefix("custom.")
        .and_then(|p| custom_name(p, &labels))
    {
        let labels = labels.into_iter().filter(|(k, _)| k != "name").collect();
        return (format!("{CUSTOM_PREFIX}{name}"), labels);
    }
    match lookup(path) {
        Some(def) => (def.stored.to_owned(), labels),
        None => (path.to_owned(), labels),
    }
}

/// The user's metric name of a `custom` leaf: `metrics.<name>.value`, or `labelled[…].value`
/// with the name in the `name` label.
fn custom_name(path: &str, labels: &[(String, String)]) -> Option<String> {
    if let Some(name) = path
        .strip_prefix("metrics.")
        .and_then(|p| p.strip_suffix(".value"))
    {
        return (!name.is_empty() && !name.contains(['.', '['])).then(|| name.to_owned());
    }
    if shape(path) == "labelled[].value" {
        return labels
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone());
    }
    None
}

/// The sample path (`system.disks[device].readBytesPerSec`, collector first) and the labels
/// under which a stored series appears in samples: the inverse of [`stored_key`].
pub fn public_key(name: &str, labels: &[(String, String)]) -> SeriesRef {
    if let Some(user) = name.strip_prefix(CUSTOM_PREFIX) {
        if !user.is_empty() && !user.contains(['.', '[']) {
            if labels.is_empty() {
                return (format!("custom.metrics.{user}.value"), Vec::new());
            }
            let mut all = labels.to_vec();
            all.push(("name".into(), user.to_owned()));
            all.sort();
            let names: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
            return (format!("custom.labelled[{}].value", names.join(",")), all);
        }
    }
    let Some(defs) = index().by_stored.get(name) else {
        return (name.to_owned(), labels.to_vec());
    };
    let has = |l: &str| labels.iter().any(|(k, _)| k == l);
    // The entry whose label names the series carries, the most specific first.
    let def = defs
        .iter()
        .max_by_key(|d| {
            let l = d.labels();
            (l.iter().all(|x| has(x)), l.len())
        })
        .expect("entries are listed per name");
    let declared = def.labels();
    let extra: Vec<&str> = labels
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !declared.contains(k))
        .collect();
    let levels = def.label_levels().len();
    let mut level = 0;
    let mut path = String::with_capacity(def.path.len() + 16);
    for (i, seg) in def.path.split('.').enumerate() {
        if i > 0 {
            path.push('.');
        }
        match seg.split_once('[') {
            None => path.push_str(seg),
            Some((key, rest)) => {
                level += 1;
                let mut names: Vec<&str> = rest
                    .trim_end_matches(']')
                    .split(',')
                    .filter(|l| has(l))
                    .collect();
                // Fields beyond the table's (a failed probe's `error`) belong to the
                // innermost element.
                if level == levels {
                    names.extend(&extra);
                }
                path.push_str(key);
                path.push('[');
                path.push_str(&names.join(","));
                path.push(']');
            }
        }
    }
    (format!("{}.{path}", def.collector), labels.to_vec())
}

/// The current key of a series of a version-1 store (named by its sample path,
/// `system.disks[device].readBytesPerSec`), or `None` when it keeps its key (its name is
/// already current, or it is not a collector series).
pub fn migrate_v1(key: &SeriesKey) -> Option<SeriesKey> {
    let (collector, _) = key.name.split_once('.')?;
    if !super::COLLECTORS.contains(&collector) {
        return None;
    }
    let (name, labels) = stored_key(&key.name, key.labels.clone());
    let new = SeriesKey { name, labels };
    (new != *key).then_some(new)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{json, Map, Value};

    use super::super::database::{DatabaseSource, DbTarget};
    use super::super::flatten::{flatten, insert};
    use super::super::network::NetworkSource;
    use super::super::process::ProcessSource;
    use super::super::pushed::{CustomSource, MlSource, PushedTable};
    use super::super::system::SystemSource;
    use super::super::Source;
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        let mut seen = HashMap::new();
        for def in SERIES {
            assert!(
                def.stored.starts_with(&format!("{}.", def.collector)),
                "{def:?}: stored names start with the collector"
            );
            assert!(
                def.stored
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c)),
                "{def:?}: stored names are lower case"
            );
            let mut labels = def.labels();
            labels.sort();
            assert!(
                seen.insert((def.stored, labels), def.path).is_none(),
                "{def:?}: a stored name is listed twice with the same labels"
            );
            assert_eq!(
                lookup(&format!("{}.{}", def.collector, def.path)),
                Some(def)
            );
            // A stored name never reads as the sample path of another leaf.
            for other in SERIES.iter().filter(|o| o.stored != def.stored) {
                let path = format!("{}.{}", other.collector, other.path);
                assert_ne!(def.stored, path, "{def:?} and {other:?}");
            }
        }
    }

    /// One real reading of each built-in collector (the GPU's and the JS half of
    /// `application` in the exact shape their code writes).
    fn real_samples() -> Map<String, Value> {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("app.db");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let up = listener.local_addr().unwrap().to_string();
        let pushed = PushedTable::default();
        {
            let mut p = pushed.lock();
            let mut labels = std::collections::BTreeMap::new();
            p.record_custom("queue_depth", 3.0, &labels, 1, false)
                .unwrap();
            labels.insert("route".to_owned(), "/vms".to_owned());
            p.record_custom("requests", 7.0, &labels, 1, false).unwrap();
            let mut ml = Map::new();
            for (field, _, _) in crate::collect::pushed::ML_FIELDS {
                ml.insert(field.into(), json!(1.5));
            }
            p.record_ml_values(&ml).unwrap();
            p.record_ml_stage("train", "fit", 12.0).unwrap();
        }
        let target = DbTarget::parse(&format!("sqlite:{}", db.display()), Some("app")).unwrap();
        let mut sources: Vec<Box<dyn Source>> = vec![
            Box::<SystemSource>::default(),
            Box::<ProcessSource>::default(),
            Box::new(NetworkSource::new(vec![up, "127.0.0.1:1".into()])),
            Box::new(DatabaseSource::new(vec![target])),
            Box::new(MlSource(pushed.clone())),
            Box::new(CustomSource(pushed)),
        ];
        // Two readings: rates appear from the second one.
        for s in sources.iter_mut() {
            s.collect().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut out = Map::new();
        for s in sources.iter_mut() {
            out.insert(s.name().into(), s.collect().unwrap().json());
        }
        out["system"].as_object_mut().unwrap().insert(
            "gpu".into(),
            json!({ "status": "available", "devices": [{
                "gpu": "0", "uuid": "GPU-1", "name": "Test GPU",
                "utilization": 10, "memoryUtilization": 5, "memoryUsed": 1024, "memoryTotal": 4096,
                "temperature": 40, "powerWatts": 70.5, "smClockMHz": 1410,
                "processes": [{ "pid": "42", "memoryUsed": 512 }],
            }] }),
        );
        let js = json!({
            "eventLoopDelay": { "p50": 1.0, "p99": 2.0, "max": 3.0 },
            "eventLoopUtilization": 0.1, "heapUsed": 1, "heapTotal": 2, "externalMemory": 5,
            "nodeVersion": "v22.1.0", "gcPauseMs": 0.5,
            "gcPauseMsTotal": 1.5, "activeHandles": 3, "requestCount": 4, "errorCount": 0,
            "throughput": 1.0, "errorRate": 0.0, "responseTime": 2.0, "avgResponseTime": 2.0,
        });
        let app = out["application"].as_object_mut().unwrap();
        app.extend(js.as_object().unwrap().clone());
        out
    }

    fn points(samples: &Map<String, Value>) -> BTreeMap<SeriesRef, u64> {
        let mut out = BTreeMap::new();
        for (collector, sample) in samples {
            for (key, v) in flatten(collector, sample) {
                assert!(
                    out.insert(key, v.to_bits()).is_none(),
                    "one point per series"
                );
            }
        }
        out
    }

    #[test]
    fn every_leaf_of_a_real_sample_has_an_entry_and_comes_back_in_place() {
        let samples = real_samples();
        let stored = points(&samples);
        for (collector, sample) in &samples {
            for ((name, _), _) in flatten(collector, sample) {
                let listed = index().by_stored.contains_key(name.as_str())
                    || (collector == "custom" && name.starts_with(CUSTOM_PREFIX));
                assert!(
                    listed,
                    "{name}: a leaf of the {collector} sample has no entry in the series table"
                );
            }
        }
        for want in ["database.db.size_bytes", "network.probe.latency_ms"] {
            assert!(stored.keys().any(|(n, _)| n == want), "{want} read");
        }
        // Rebuilt through the sample paths, the points are the same again.
        let mut root = Map::new();
        for ((name, labels), v) in &stored {
            let (path, labels) = public_key(name, labels);
            insert(&mut root, &path, &labels, f64::from_bits(*v));
        }
        assert_eq!(points(&root), stored);
    }

    #[test]
    fn the_loose_ends_of_samples_keep_their_place() {
        // A null where an array or object is read, and a failed probe's error label.
        let sample = json!({ "cpu": { "loadAverage": null } });
        let p = flatten("system", &sample);
        assert_eq!(p[0].0, ("system.cpu.load_average".to_owned(), vec![]));
        assert_eq!(
            public_key(&p[0].0 .0, &p[0].0 .1).0,
            "system.cpu.loadAverage"
        );
        let probe =
            json!({ "probes": [{ "target": "db:1", "error": "refused", "latencyMs": null }] });
        let p = flatten("network", &probe);
        let (name, labels) = &p[0].0;
        assert_eq!(name, "network.probe.latency_ms");
        let (path, labels) = public_key(name, labels);
        assert_eq!(path, "network.probes[target,error].latencyMs");
        let mut root = Map::new();
        insert(&mut root, &path, &labels, f64::NAN);
        assert_eq!(
            root["network"],
            json!({ "probes": [{ "target": "db:1", "error": "refused", "latencyMs": null }] })
        );
        // A leaf with no entry keeps its sample path.
        let p = flatten("network", &json!({ "novel": 1 }));
        assert_eq!(p[0].0 .0, "network.novel");
        assert_eq!(public_key("network.novel", &[]).0, "network.novel");
    }

    #[test]
    fn custom_metrics_are_stored_by_their_own_names() {
        let sample = json!({
            "metrics": { "queue_depth": { "value": 3.0, "timestamp": 1 } },
            "labelled": [{ "name": "requests", "route": "/vms", "value": 7.0 }],
        });
        let p = flatten("custom", &sample);
        let keys: Vec<&SeriesRef> = p.iter().map(|(k, _)| k).collect();
        assert!(keys.contains(&&("custom.queue_depth".to_owned(), vec![])));
        let route = vec![("route".to_owned(), "/vms".to_owned())];
        assert!(keys.contains(&&("custom.requests".to_owned(), route.clone())));
        assert_eq!(
            public_key("custom.requests", &route),
            (
                "custom.labelled[name,route].value".to_owned(),
                vec![
                    ("name".to_owned(), "requests".to_owned()),
                    ("route".to_owned(), "/vms".to_owned())
                ]
            )
        );
        assert_eq!(
            public_key("custom.queue_depth", &[]).0,
            "custom.metrics.queue_depth.value"
        );
    }

    #[test]
    fn version_1_names_map_to_the_table() {
        let m = |name: &str, labels: &[(&str, &str)]| migrate_v1(&SeriesKey::new(name, labels));
        assert_eq!(
            m("system.disks[device].readBytesPerSec", &[("device", "vda")]),
            Some(SeriesKey::new(
                "system.disk.read_bytes_per_sec",
                &[("device", "vda")]
            ))
        );
        assert_eq!(
            m(
                "custom.labelled[name,route].value",
                &[("name", "r"), ("route", "/")]
            ),
            Some(SeriesKey::new("custom.r", &[("route", "/")]))
        );
        assert_eq!(m("system.processes", &[]), None, "already current");
        assert_eq!(m("bench_latency_ms", &[]), None, "not a collector series");
        assert_eq!(m("system.novel", &[]), None, "no entry: keeps its path");
    }
}
