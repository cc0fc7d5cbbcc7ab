//! The framework's system samples (api-spec §3.3 `SystemSnapshot`, §3.6 samples), as a view
//! over the collector's machine readings: memory, CPU shares and network counters come from
//! [`crate::collect::system`] (the crate's one machine sampler), per-process figures and the
//! data folder's file system from [`crate::host`]. Nothing here is estimated: a figure the
//! OS does not give is `None` (`null` in JS), never 0.
//!
//! [`SystemView`] also answers the on-demand calls (`collectSystemMetrics`,
//! `getSystemSnapshot`, the end-of-run snapshot) and keeps their CPU baseline, so that the
//! binding holds no state: `cpu.usage` of an on-demand sample covers the time since the
//! previous on-demand sample or snapshot.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::Serialize;

use crate::collect::system::{memory, MemoryReading, SystemReading};
use crate::host::proc_stat::CpuTimes;
use crate::host::{clock, loadavg, machine, meminfo, mounts, net_dev, net_snmp, process};

/// One system sample (api-spec §3.6, with real values where the original had zeros).
#[derive(Debug, Clone, Serialize)]
pub struct SystemSample {
    /// Epoch ms.
    pub timestamp: i64,
    /// CPU figures.
    pub cpu: CpuSample,
    /// Memory figures, bytes.
    pub memory: MemorySample,
    /// The file system holding the data folder.
    pub disk: Option<DiskUsage>,
    /// Network counters since boot, all interfaces but loopback.
    pub network: NetworkStats,
}

/// CPU part of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct CpuSample {
    /// This process's user CPU time so far, µs.
    pub user: u64,
    /// This process's system CPU time so far, µs.
    pub system: u64,
    /// Busy percentage of all cores since the previous reading; `None` for a first reading.
    pub usage: Option<f64>,
    /// Logical CPUs.
    pub cores: usize,
}

/// Memory part of a sample, bytes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemorySample {
    /// Machine memory in use (total − available).
    pub used: u64,
    /// Machine memory.
    pub total: u64,
    /// Memory the kernel reports free (MemFree).
    pub free: u64,
    /// Memory available to new work without swapping (MemAvailable).
    pub available: u64,
    /// This process's resident set size.
    pub rss: Option<u64>,
    /// Swap in use.
    pub swap_used: u64,
    /// Swap size.
    pub swap_total: u64,
}

/// Usage of one file system (`statvfs`), bytes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskUsage {
    /// Bytes in use (size − available).
    pub used: u64,
    /// Bytes available to unprivileged users.
    pub available: u64,
    /// File system size.
    pub total: u64,
    /// Where it is mounted.
    pub mount_point: String,
    /// File system type.
    pub fs_type: String,
    /// I/O operations per second need two readings of `/proc/diskstats`; the collectors
    /// report them. `None` here, never a made-up 0.
    pub iops: Option<f64>,
}

/// Network counters since boot, summed over the non-loopback interfaces.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkStats {
    /// Bytes received.
    pub bytes_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Packets received.
    pub packets_received: u64,
    /// Packets sent.
    pub packets_sent: u64,
    /// Established TCP connections.
    pub connections: Option<u64>,
}

/// The machine at one moment (api-spec §3.3 `SystemSnapshot`, plus environment metadata).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemSnapshot {
    /// Epoch ms.
    pub timestamp: i64,
    /// Node's name of the OS (`linux`, `darwin`, …).
    pub platform: &'static str,
    /// Node's name of the architecture (`x64`, `arm64`, …).
    pub arch: &'static str,
    /// Logical CPUs.
    pub cpus: usize,
    /// CPU model name.
    pub cpu_model: Option<String>,
    /// Kernel version.
    pub kernel: Option<String>,
    /// Total memory, bytes.
    pub memory: u64,
    /// Seconds since boot.
    pub uptime: Option<u64>,
    /// Load averages over 1, 5 and 15 minutes.
    pub loadavg: Option<[f64; 3]>,
    /// A full sample; its `cpu.usage` covers the interval since the reading passed in.
    pub current: SystemSample,
}

/// The framework's view of the machine; one per framework.
#[derive(Debug)]
pub struct SystemView {
    data_dir: PathBuf,
    cpu_model: Option<String>,
    /// CPU counters of the previous on-demand sample or snapshot.
    last_cpu: Mutex<Option<CpuTimes>>,
}

impl SystemView {
    /// A view whose disk figures describe the file system holding `data_dir`; the on-demand
    /// CPU baseline starts now.
    pub fn new(data_dir: &Path) -> SystemView {
        SystemView {
            data_dir: data_dir.to_path_buf(),
            cpu_model: machine::cpu_model(),
            last_cpu: Mutex::new(CpuTimes::read()),
        }
    }

    /// The sample of one collector tick: machine figures from the collector's `reading`,
    /// `cpu.usage` as given (the view's own interval), process figures read now.
    pub fn sample_from(
        &self,
        ts: i64,
        reading: &SystemReading,
        usage: Option<f64>,
    ) -> SystemSample {
        let c = &reading.counters;
        self.sample(
            ts,
            usage,
            &reading.memory,
            network_stats(c.net_rx, c.net_tx, c.tcp_established),
        )
    }

    /// One sample now (`collectSystemMetrics`); `cpu.usage` covers the time since the
    /// previous on-demand sample or snapshot.
    pub fn sample_now(&self) -> SystemSample {
        let now_cpu = CpuTimes::read();
        let since = std::mem::replace(&mut *self.last_cpu.lock(), now_cpu);
        self.sample_since(since.as_ref(), now_cpu.as_ref())
    }

    /// A snapshot now whose CPU usage covers the time since the previous on-demand sample
    /// or snapshot.
    pub fn snapshot_now(&self) -> SystemSnapshot {
        let now_cpu = CpuTimes::read();
        let since = std::mem::replace(&mut *self.last_cpu.lock(), now_cpu);
        self.snapshot_between(since.as_ref(), now_cpu.as_ref())
    }

    /// A snapshot now whose CPU usage covers the time since `since` (a benchmark's start);
    /// leaves the on-demand baseline alone.
    pub fn snapshot_since(&self, since: Option<&CpuTimes>) -> SystemSnapshot {
        self.snapshot_between(since, CpuTimes::read().as_ref())
    }

    /// Usage of the file system holding the data folder, without a full sample.
    pub fn disk_usage(&self) -> Option<DiskUsage> {
        let path = self.data_dir.to_str()?;
        let fs = mounts::statvfs(path)?;
        let all = mounts::read_all();
        let mount = mounts::mount_of(&all, &self.data_dir);
        Some(DiskUsage {
            used: fs.size.saturating_sub(fs.avail),
            available: fs.avail,
            total: fs.size,
            mount_point: mount.map_or_else(|| "/".into(), |m| m.mountpoint.clone()),
            fs_type: mount.map(|m| m.fstype.clone()).unwrap_or_default(),
            iops: None,
        })
    }

    /// Network counters and established connections, without a full sample.
    pub fn network_stats(&self) -> NetworkStats {
        let (rx, tx) = net_dev::external_totals(&net_dev::read().unwrap_or_default());
        network_stats(rx, tx, net_snmp::read_tcp().established())
    }

    fn sample_since(&self, since: Option<&CpuTimes>, now: Option<&CpuTimes>) -> SystemSample {
        let usage = since.zip(now).and_then(|(a, b)| b.usage_since(a));
        // The same meminfo → memory code as the collector's `system.memory`, so the two
        // "memory used" figures are one.
        let m = memory::reading(&meminfo::read());
        self.sample(clock::now_ms(), usage, &m, self.network_stats())
    }

    fn snapshot_between(&self, since: Option<&CpuTimes>, now: Option<&CpuTimes>) -> SystemSnapshot {
        let current = self.sample_since(since, now);
        SystemSnapshot {
            timestamp: current.timestamp,
            platform: node_platform(),
            arch: node_arch(),
            cpus: machine::cores(),
            cpu_model: self.cpu_model.clone(),
            kernel: machine::kernel_release(),
            memory: current.memory.total,
            uptime: machine::uptime_seconds().map(|s| s as u64),
            loadavg: loadavg::read().map(|l| l.load),
            current,
        }
    }

    fn sample(
        &self,
        ts: i64,
        usage: Option<f64>,
        m: &MemoryReading,
        network: NetworkStats,
    ) -> SystemSample {
        let (user, system) = process::cpu_micros();
        SystemSample {
            timestamp: ts,
            cpu: CpuSample {
                user,
                system,
                usage,
                cores: machine::cores(),
            },
            memory: MemorySample {
                used: m.used.unwrap_or(0),
                total: m.total.unwrap_or(0),
                free: m.free.unwrap_or(0),
                available: m.available.unwrap_or(0),
                rss: process::rss_bytes(),
                swap_used: m.swap_used.unwrap_or(0),
                swap_total: m.swap_total.unwrap_or(0),
            },
            disk: self.disk_usage(),
            network,
        }
    }
}

fn network_stats(rx: [u64; 4], tx: [u64; 4], connections: Option<u64>) -> NetworkStats {
    NetworkStats {
        bytes_received: rx[0],
        bytes_sent: tx[0],
        packets_received: rx[1],
        packets_sent: tx[1],
        connections,
    }
}

fn node_platform() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    }
}

fn node_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "ia32",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::system::SystemSource;

    fn kb(key: &str) -> u64 {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let line = meminfo.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    }

    #[test]
    fn busy_loop_shows_up_as_cpu_use() {
        let view = SystemView::new(Path::new("."));
        let start = CpuTimes::read().unwrap();
        // Spin until this process has used 300 ms of CPU (not wall time, which another
        // load on the machine would stretch).
        let (u0, s0) = process::cpu_micros();
        let mut x = 0u64;
        loop {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            let (u, s) = process::cpu_micros();
            if (u + s) - (u0 + s0) >= 300_000 {
                break;
            }
        }
        let snap = view.snapshot_since(Some(&start));
        let usage = snap.current.cpu.usage.unwrap();
        // One busy core out of `cpus`, minus scheduling noise.
        let one_core = 100.0 / snap.cpus as f64;
        assert!(
            usage >= one_core * 0.7,
            "usage {usage}% < 70% of one core ({one_core}%)"
        );
        assert!(snap.current.cpu.user + snap.current.cpu.system >= u0 + s0 + 300_000);
        assert_eq!(snap.memory, kb("MemTotal:"));
        assert!(snap.loadavg.is_some() && snap.uptime.unwrap() > 0);
    }

    #[test]
    fn memory_matches_proc_meminfo_on_demand_and_from_the_collector() {
        let view = SystemView::new(Path::new("."));
        let s = view.sample_now();
        assert_eq!(s.memory.total, kb("MemTotal:"));
        let rss = s.memory.rss.unwrap();
        assert!(rss > 1 << 20, "rss {rss}");
        let disk = s.disk.unwrap();
        assert!(disk.total > 0 && disk.used <= disk.total);

        let (reading, _) = SystemSource::default().read().unwrap();
        let v = view.sample_from(42, &reading, None);
        assert_eq!(v.timestamp, 42);
        assert_eq!(v.memory.total, kb("MemTotal:"));
        assert_eq!(
            Some(v.memory.used),
            reading.memory.used,
            "one 'used' figure"
        );
        assert!(v.cpu.usage.is_none(), "a first reading has no rate");
        assert_eq!(v.network.connections, reading.counters.tcp_established);
    }
}
