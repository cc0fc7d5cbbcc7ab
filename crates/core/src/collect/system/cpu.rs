//! CPU: busy, user, system, iowait and steal shares (total and per core) between two
//! `/proc/stat` readings, the load averages, and `node_cpu_seconds_total` / `node_load*`.

use serde::Serialize;

use crate::collect::rates::percent;
use crate::host::loadavg::LoadAvg;
use crate::host::proc_stat::{CpuTimes, ProcStat, CPU_MODES};
use crate::prometheus::{Family, MetricKind::*};

/// Shares of the ticks between two readings, %; all `None` for a first reading.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CpuShares {
    /// Neither idle nor iowait.
    pub usage: Option<f64>,
    /// User and nice.
    pub user: Option<f64>,
    /// System, irq and softirq.
    pub system: Option<f64>,
    /// Waiting for I/O.
    pub iowait: Option<f64>,
    /// Stolen by the hypervisor.
    pub steal: Option<f64>,
}

/// One core's shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoreReading {
    /// The core number, as a string (the series label).
    pub cpu: String,
    /// Its shares.
    #[serde(flatten)]
    pub shares: CpuShares,
}

/// The `cpu` slot of the system sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuReading {
    /// Shares of all cores together.
    #[serde(flatten)]
    pub shares: CpuShares,
    /// Logical CPUs (at least 1).
    pub cores: usize,
    /// Load averages over 1, 5 and 15 minutes.
    pub load_average: Option<[f64; 3]>,
    /// Per-core shares.
    pub per_core: Vec<CoreReading>,
}

/// Busy, user, system, iowait and steal as % of the ticks between two readings.
pub fn shares(now: &CpuTimes, before: Option<&CpuTimes>) -> CpuShares {
    let Some(b) = before.filter(|b| now.total() >= b.total() && now.follows(b)) else {
        return CpuShares::default();
    };
    let whole = now.total() - b.total();
    let d = |i: usize| now.ticks[i] - b.ticks[i];
    CpuShares {
        usage: percent(now.busy() - b.busy(), whole),
        user: percent(d(0) + d(1), whole),
        system: percent(d(2) + d(5) + d(6), whole),
        iowait: percent(d(4), whole),
        steal: percent(d(7), whole),
    }
}

/// The `cpu` slot, and its families.
pub fn read(
    stat: &ProcStat,
    prev: Option<&ProcStat>,
    load: Option<&LoadAvg>,
    hz: f64,
    families: &mut Vec<Family>,
) -> CpuReading {
    let mut seconds = Family::new(
        "node_cpu_seconds_total",
        Counter,
        "Seconds the CPUs spent in each mode.",
    );
    for (n, t) in &stat.cores {
        let cpu = n.to_string();
        for (mode, ticks) in CPU_MODES.iter().zip(t.ticks) {
            seconds.push(&[("cpu", &cpu), ("mode", mode)], ticks as f64 / hz);
        }
    }
    families.push(seconds);
    if let Some(l) = load {
        for (name, v, help) in [
            ("node_load1", l.load[0], "1m load average."),
            ("node_load5", l.load[1], "5m load average."),
            ("node_load15", l.load[2], "15m load average."),
        ] {
            families.push(Family::single(name, Gauge, help, v));
        }
    }
    let per_core = stat
        .cores
        .iter()
        .map(|(n, t)| {
            let before = prev
                .and_then(|p| p.cores.iter().find(|(m, _)| m == n))
                .map(|(_, b)| b);
            CoreReading {
                cpu: n.to_string(),
                shares: shares(t, before),
            }
        })
        .collect();
    CpuReading {
        shares: shares(&stat.total, prev.map(|p| &p.total)),
        cores: stat.cores.len().max(1),
        load_average: load.map(|l| l.load),
        per_core,
    }
}
