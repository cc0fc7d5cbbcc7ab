//! The native half of the `application` collector: what the kernel knows about this Node
//! process (resident memory, CPU time, threads, open file descriptors). The V8 and libuv
//! half (event-loop delay and utilisation, heap, GC pauses, handles) can only be read on
//! the JS thread; the JS class adds it to the same tick.

use std::time::Instant;

use serde::Serialize;

use super::{Reading, Source};
use crate::host::process::{cpu_micros, open_fds, rss_bytes, threads as process_threads};
use crate::prometheus::{Family, MetricKind::*};

/// The native half of the `application` slot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessReading {
    /// Process id.
    pub pid: u32,
    /// Resident memory, bytes.
    pub rss: Option<u64>,
    /// User + system CPU time over the interval as % of one core; `None` for a first reading.
    pub cpu_percent: Option<f64>,
    /// User + system CPU time so far, seconds (ms precision).
    pub cpu_seconds: f64,
    /// Threads.
    pub threads: Option<u64>,
    /// Open file descriptors.
    pub open_fds: Option<u64>,
}

/// The `application` sub-collector's native readings.
#[derive(Default)]
pub struct ProcessSource {
    prev: Option<(Instant, u64)>,
}

impl Source for ProcessSource {
    fn name(&self) -> &'static str {
        "application"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let now = Instant::now();
        let (user, system) = cpu_micros();
        let cpu_us = user + system;
        let cpu_percent = self.prev.and_then(|(at, before)| {
            let wall = now.duration_since(at).as_secs_f64();
            (wall > 0.0 && cpu_us >= before)
                .then(|| super::rates::round2((cpu_us - before) as f64 / 1e6 / wall * 100.0))
        });
        self.prev = Some((now, cpu_us));
        let rss = rss_bytes();
        let threads = process_threads();
        let fds = open_fds();
        let mut families = vec![Family::single(
            "novacron_process_cpu_seconds_total",
            Counter,
            "User and system CPU time of the Node process, seconds.",
            cpu_us as f64 / 1e6,
        )];
        let gauges = [
            (
                "novacron_process_resident_memory_bytes",
                "Resident memory of the Node process, bytes.",
                rss,
            ),
            (
                "novacron_process_threads",
                "Threads of the Node process.",
                threads,
            ),
            (
                "novacron_process_open_fds",
                "Open file descriptors of the Node process.",
                fds,
            ),
        ];
        for (name, help, v) in gauges {
            if let Some(v) = v {
                families.push(Family::single(name, Gauge, help, v as f64));
            }
        }
        standard_process_families(cpu_us, rss, fds, &mut families);
        Ok(Reading::new(
            ProcessReading {
                pid: std::process::id(),
                rss,
                cpu_percent,
                cpu_seconds: (cpu_us / 1000) as f64 / 1000.0,
                threads,
                open_fds: fds,
            },
            families,
        ))
    }
}

/// The process metrics under the standard names every Prometheus client library exports
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …), so that rules written
/// for them (`rate(process_cpu_seconds_total[5m])`) find this process too. The
/// `novacron_process_*` families stay as they are.
fn standard_process_families(
    cpu_us: u64,
    rss: Option<u64>,
    fds: Option<u64>,
    families: &mut Vec<Family>,
) {
    use crate::host::process::{max_fds, start_time_seconds, virtual_memory_bytes};
    families.push(Family::single(
        "process_cpu_seconds_total",
        Counter,
        "Total user and system CPU time spent in seconds.",
        cpu_us as f64 / 1e6,
    ));
    let gauges = [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            rss.map(|v| v as f64),
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            virtual_memory_bytes().map(|v| v as f64),
        ),
        (
            "process_open_fds",
            "Number of open file descriptors.",
            fds.map(|v| v as f64),
        ),
        (
            "process_max_fds",
            "Maximum number of open file descriptors.",
            max_fds().map(|v| v as f64),
        ),
        (
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            start_time_seconds(),
        ),
    ];
    for (name, help, v) in gauges {
        if let Some(v) = v {
            families.push(Family::single(name, Gauge, help, v));
        }
    }
}

/// Prometheus families of the JS half of the `application` sample (fields set by the JS
/// class: `eventLoopDelay.{p50,p99,max}` ms, `eventLoopUtilization` 0–1, `heapUsed`,
/// `heapTotal` bytes, `gcPauseMsTotal` ms, `activeHandles`, `requestCount`, `errorCount`).
pub fn js_families(sample: &serde_json::Value) -> Vec<Family> {
    let num = |path: &[&str]| {
        let mut v = sample;
        for p in path {
            v = v.get(p)?;
        }
        v.as_f64()
    };
    let mut out = Vec::new();
    // Quantiles of one distribution: a summary (a gauge with a `quantile` label is flagged
    // by promtool and mis-read by PromQL's `histogram_quantile` helpers).
    let mut delay = Family::new(
        "novacron_nodejs_eventloop_delay_seconds",
        Summary,
        "Event-loop delay of the Node process over the last interval, by quantile, seconds.",
    );
    for (q, key) in [("0.5", "p50"), ("0.99", "p99"), ("1", "max")] {
        if let Some(ms) = num(&["eventLoopDelay", key]) {
            delay.push(&[("quantile", q)], ms / 1000.0);
        }
    }
    if !delay.samples.is_empty() {
        out.push(delay);
    }
    let singles = [
        (
            &["eventLoopUtilization"][..],
            "novacron_nodejs_eventloop_utilization_ratio",
            Gauge,
            "Event-loop utilisation over the last interval (0-1).",
            1.0,
        ),
        (
            &["heapUsed"][..],
            "novacron_nodejs_heap_used_bytes",
            Gauge,
            "V8 heap in use, bytes.",
            1.0,
        ),
        (
            &["heapTotal"][..],
            "novacron_nodejs_heap_total_bytes",
            Gauge,
            "V8 heap size, bytes.",
            1.0,
        ),
        (
            &["gcPauseMsTotal"][..],
            "novacron_nodejs_gc_pause_seconds_total",
            Counter,
            "Time the Node process spent paused in garbage collection, seconds.",
            1e-3,
        ),
        (
            &["activeHandles"][..],
            "novacron_nodejs_active_handles",
            Gauge,
            "Active libuv handles and requests of the Node process.",
            1.0,
        ),
        (
            &["requestCount"][..],
            "novacron_app_requests_total",
            Counter,
            "Requests the application recorded.",
            1.0,
        ),
        (
            &["errorCount"][..],
            "novacron_app_request_errors_total",
            Counter,
            "Failed requests the application recorded.",
            1.0,
        ),
    ];
    for (path, name, kind, help, scale) in singles {
        if let Some(v) = num(path) {
            out.push(Family::single(name, kind, help, v * scale));
        }
    }
    prom_client_families(&num, &mut out);
    if let Some(v) = sample.get("nodeVersion").and_then(|v| v.as_str()) {
        out.push(version_info(v));
    }
    out
}

/// `nodejs_version_info{version,major,minor,patch} 1`, as prom-client exports it.
fn version_info(version: &str) -> Family {
    let mut parts = version.trim_start_matches('v').split('.');
    let mut next = || parts.next().unwrap_or("").to_owned();
    let (major, minor, patch) = (next(), next(), next());
    Family::new("nodejs_version_info", Gauge, "Node.js version info.").with(
        &[
            ("version", version),
            ("major", &major),
            ("minor", &minor),
            ("patch", &patch),
        ],
        1.0,
    )
}

/// The same JS readings under prom-client's default metric names, so that dashboards and
/// rules written for `collectDefaultMetrics()` work unchanged.
fn prom_client_families(num: &dyn Fn(&[&str]) -> Option<f64>, out: &mut Vec<Family>) {
    let lag = [
        (
            "max",
            "nodejs_eventloop_lag_seconds",
            "Lag of event loop in seconds (the largest delay over the last interval).",
        ),
        (
            "max",
            "nodejs_eventloop_lag_max_seconds",
            "The maximum recorded event loop delay.",
        ),
        (
            "p50",
            "nodejs_eventloop_lag_p50_seconds",
            "The 50th percentile of the recorded event loop delays.",
        ),
        (
            "p99",
            "nodejs_eventloop_lag_p99_seconds",
            "The 99th percentile of the recorded event loop delays.",
        ),
    ];
    for (key, name, help) in lag {
        if let Some(ms) = num(&["eventLoopDelay", key]) {
            out.push(Family::single(name, Gauge, help, ms / 1000.0));
        }
    }
    let gauges = [
        (
            "heapUsed",
            "nodejs_heap_size_used_bytes",
            "Process heap size used from Node.js in bytes.",
        ),
        (
            "heapTotal",
            "nodejs_heap_size_total_bytes",
            "Process heap size from Node.js in bytes.",
        ),
        (
            "externalMemory",
            "nodejs_external_memory_bytes",
            "Node.js external memory size in bytes.",
        ),
    ];
    for (key, name, help) in gauges {
        if let Some(v) = num(&[key]) {
            out.push(Family::single(name, Gauge, help, v));
        }
    }
    if let Some(v) = num(&["activeHandles"]) {
        out.push(Family::single(
            "nodejs_active_handles",
            Gauge,
            "Number of active libuv handles and requests.",
            v,
        ));
    }
}
