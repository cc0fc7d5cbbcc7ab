//! Processes and the kernel's activity counters: processes and threads on the machine,
//! runnable and blocked threads, context switches, interrupts, forks, boot and wall time.

use crate::host::proc_stat::ProcStat;
use crate::prometheus::{Family, MetricKind::*};

/// The node_exporter families of `/proc/stat`'s activity counters, the PID and thread
/// counts, and the wall clock (`now_ms`).
pub fn families(
    stat: &ProcStat,
    pids: Option<u64>,
    threads: Option<u64>,
    now_ms: i64,
    families: &mut Vec<Family>,
) {
    for (name, kind, help, v) in [
        (
            "node_procs_running",
            Gauge,
            "Number of processes in runnable state.",
            stat.procs_running,
        ),
        (
            "node_procs_blocked",
            Gauge,
            "Number of processes blocked waiting for I/O to complete.",
            stat.procs_blocked,
        ),
        (
            "node_context_switches_total",
            Counter,
            "Total number of context switches.",
            stat.ctxt,
        ),
        (
            "node_intr_total",
            Counter,
            "Total number of interrupts serviced.",
            stat.intr,
        ),
        (
            "node_forks_total",
            Counter,
            "Total number of forks.",
            stat.forks,
        ),
        (
            "node_boot_time_seconds",
            Gauge,
            "Node boot time, in unixtime.",
            stat.btime,
        ),
    ] {
        families.push(Family::single(name, kind, help, v as f64));
    }
    families.push(Family::single(
        "node_time_seconds",
        Gauge,
        "System time in seconds since epoch (1970).",
        now_ms as f64 / 1000.0,
    ));
    if let Some(p) = pids {
        families.push(Family::single(
            "node_processes_pids",
            Gauge,
            "Number of PIDs",
            p as f64,
        ));
    }
    if let Some(t) = threads {
        families.push(Family::single(
            "node_processes_threads",
            Gauge,
            "Allocated threads in system",
            t as f64,
        ));
    }
}
