//! The container (control group) this process runs in: its memory limit and usage, CPU
//! quota, CPU use and throttling, as the `container` slot of the system sample and as
//! `novacron_container_*` families. When a limit is set, the sample's `memory.usage` and
//! `cpu.usage` are shares of that limit (a 512 MiB container at 430 MiB is at 84 %, however
//! large the host); `node_memory_*` stay the host's, as node_exporter's.

use serde::Serialize;

use crate::collect::rates::round2;
use crate::host::cgroup::CgroupReading;
use crate::prometheus::{Family, MetricKind::*};

/// The `container` slot of the system sample; `None` (null) when no limit is set.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerReading {
    /// cgroup version, 1 or 2.
    pub cgroup_version: u8,
    /// Memory limit, bytes; `None` when unlimited.
    pub memory_limit: Option<u64>,
    /// Working set (usage less inactive file cache), bytes.
    pub memory_usage: Option<u64>,
    /// `memory_usage / memory_limit`, %.
    pub memory_usage_percent: Option<f64>,
    /// CPU quota, cores; `None` when unlimited.
    pub cpu_limit_cores: Option<f64>,
    /// CPU used since the previous reading as % of the quota; `None` for a first reading.
    pub cpu_usage_percent: Option<f64>,
    /// Periods throttled since the previous reading.
    pub throttled_periods: Option<u64>,
    /// Seconds throttled since the previous reading.
    pub throttled_seconds: Option<f64>,
}

/// The `container` slot and its families, from this and the previous group reading
/// `secs` apart.
pub fn read(
    now: &CgroupReading,
    before: Option<&CgroupReading>,
    secs: f64,
    families: &mut Vec<Family>,
) -> Option<ContainerReading> {
    if !now.is_limited() {
        return None;
    }
    let delta = |f: fn(&CgroupReading) -> Option<u64>| {
        let b = before?;
        let (n, b) = (f(now)?, f(b)?);
        (n >= b).then(|| n - b)
    };
    let cpu_usage_percent = now.cpu_limit_cores.and_then(|cores| {
        let used_us = delta(|r| r.cpu_usage_us)?;
        (secs > 0.0).then(|| round2(used_us as f64 / 1e6 / (cores * secs) * 100.0))
    });
    let memory_usage_percent = now
        .memory_limit
        .zip(now.memory_working_set)
        .and_then(|(l, u)| (l > 0).then(|| round2(u as f64 / l as f64 * 100.0)));
    let mut push = |name: &str, kind, help: &str, v: Option<f64>| {
        if let Some(v) = v {
            families.push(Family::single(name, kind, help, v));
        }
    };
    push(
        "novacron_container_memory_limit_bytes",
        Gauge,
        "Memory limit of the process's control group, bytes.",
        now.memory_limit.map(|v| v as f64),
    );
    push(
        "novacron_container_memory_working_set_bytes",
        Gauge,
        "Memory of the control group less inactive file cache, bytes.",
        now.memory_working_set.map(|v| v as f64),
    );
    push(
        "novacron_container_cpu_limit_cores",
        Gauge,
        "CPU quota of the control group, cores.",
        now.cpu_limit_cores,
    );
    push(
        "novacron_container_cpu_usage_seconds_total",
        Counter,
        "CPU time of the control group, seconds.",
        now.cpu_usage_us.map(|v| v as f64 / 1e6),
    );
    push(
        "novacron_container_cpu_throttled_periods_total",
        Counter,
        "Enforcement periods in which the control group was throttled.",
        now.nr_throttled.map(|v| v as f64),
    );
    push(
        "novacron_container_cpu_throttled_seconds_total",
        Counter,
        "Time the control group spent throttled, seconds.",
        now.throttled_us.map(|v| v as f64 / 1e6),
    );
    Some(ContainerReading {
        cgroup_version: now.version,
        memory_limit: now.memory_limit,
        memory_usage: now.memory_working_set,
        memory_usage_percent,
        cpu_limit_cores: now.cpu_limit_cores,
        cpu_usage_percent,
        throttled_periods: delta(|r| r.nr_throttled),
        throttled_seconds: delta(|r| r.throttled_us).map(|us| us as f64 / 1e6),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 512 MiB group at 430 MiB reads 83.98 %, and a 1.5-core quota used for 0.75 core
    /// over 2 s reads 50 %, with the throttling between the two readings.
    #[test]
    fn shares_of_the_limits() {
        let mib = 1024 * 1024;
        let a = CgroupReading {
            version: 2,
            memory_limit: Some(512 * mib),
            memory_usage: Some(450 * mib),
            memory_working_set: Some(430 * mib),
            cpu_limit_cores: Some(1.5),
            cpu_usage_us: Some(1_000_000),
            nr_periods: Some(10),
            nr_throttled: Some(2),
            throttled_us: Some(100_000),
        };
        let b = CgroupReading {
            cpu_usage_us: Some(2_500_000),
            nr_throttled: Some(5),
            throttled_us: Some(400_000),
            ..a.clone()
        };
        let mut f = Vec::new();
        let first = read(&a, None, 0.0, &mut f).unwrap();
        assert_eq!(first.memory_usage_percent, Some(83.98));
        assert_eq!(first.cpu_usage_percent, None);
        let second = read(&b, Some(&a), 2.0, &mut f).unwrap();
        assert_eq!(second.cpu_usage_percent, Some(50.0));
        assert_eq!(second.throttled_periods, Some(3));
        assert_eq!(second.throttled_seconds, Some(0.3));
        assert!(f
            .iter()
            .any(|x| x.name == "novacron_container_memory_limit_bytes"));
        let unlimited = CgroupReading::default();
        assert!(read(&unlimited, None, 1.0, &mut f).is_none());
    }
}
