//! Real readings of the machine and of this process. Nothing here is estimated: CPU use is
//! the delta of `/proc/stat` counters between two readings, process CPU time comes from
//! `getrusage`, memory, disks, network counters and load from the kernel through sysinfo,
//! TCP connections from `/proc/net/tcp{,6}`. A figure the OS does not give is `None`
//! (`null` in JS), never 0.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::Serialize;
use sysinfo::{Disks, Networks, System};

/// Aggregate CPU counters from the first line of `/proc/stat`, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks spent doing anything but idle and iowait.
    pub busy: u64,
    /// All ticks.
    pub total: u64,
}

impl CpuTimes {
    /// Reads the counters; `None` off Linux.
    pub fn read() -> Option<CpuTimes> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        Self::parse(text.lines().next()?)
    }

    /// Parses a `cpu  user nice system idle iowait irq softirq steal …` line. Guest time is
    /// already included in user and nice, so only the first eight fields are summed.
    pub fn parse(line: &str) -> Option<CpuTimes> {
        let mut fields = line.split_whitespace();
        if !fields.next()?.starts_with("cpu") {
            return None;
        }
        let v: Vec<u64> = fields
            .take(8)
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        if v.len() < 5 {
            return None;
        }
        let total: u64 = v.iter().sum();
        let idle = v[3] + v[4];
        Some(CpuTimes {
            busy: total - idle,
            total,
        })
    }

    /// Percentage of all cores busy between `earlier` and `self`; `None` when no tick passed.
    pub fn usage_since(&self, earlier: &CpuTimes) -> Option<f64> {
        let dt = self.total.checked_sub(earlier.total)?;
        let db = self.busy.checked_sub(earlier.busy)?;
        (dt > 0).then(|| db as f64 / dt as f64 * 100.0)
    }
}

/// CPU time of this process so far, µs (as Node's `process.cpuUsage()`).
pub fn process_cpu_micros() -> (u64, u64) {
    // SAFETY: getrusage only writes into the zero-initialised struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0, 0);
    }
    let us = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    (us(ru.ru_utime), us(ru.ru_stime))
}

/// Resident set size of this process, bytes, from `/proc/self/statm`.
pub fn process_rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (page > 0).then(|| pages * page as u64)
}

/// Established TCP connections (IPv4 and IPv6): `CurrEstab` of `/proc/net/snmp`, which
/// counts ESTABLISHED and CLOSE-WAIT sockets. Cheap, unlike `/proc/net/tcp`, which the
/// kernel builds by walking its socket tables.
pub fn tcp_established() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let tcp = crate::collect::procfs::parse_snmp_tcp(&text);
    tcp.get("CurrEstab").map(|v| (*v).max(0) as u64)
}

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
    /// Bytes in use.
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
    pub uptime: u64,
    /// Load averages over 1, 5 and 15 minutes.
    pub loadavg: [f64; 3],
    /// A full sample; its `cpu.usage` covers the interval since the reading passed in.
    pub current: SystemSample,
}

/// Takes readings; one per framework, since it caches the sysinfo handles.
#[derive(Debug)]
pub struct SystemProbe {
    data_dir: PathBuf,
    inner: Mutex<ProbeState>,
}

#[derive(Debug)]
struct ProbeState {
    sys: System,
    disks: Disks,
    networks: Networks,
    cpu_model: Option<String>,
}

impl SystemProbe {
    /// A probe whose disk figures describe the file system holding `data_dir`.
    pub fn new(data_dir: &Path) -> SystemProbe {
        let mut sys = System::new();
        sys.refresh_cpu_all();
        let cpu_model = sys
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_owned())
            .filter(|b| !b.is_empty());
        SystemProbe {
            data_dir: data_dir.to_path_buf(),
            inner: Mutex::new(ProbeState {
                sys,
                disks: Disks::new(),
                networks: Networks::new(),
                cpu_model,
            }),
        }
    }

    /// One sample; `cpu.usage` is measured from `since` (a reading taken earlier).
    pub fn sample(&self, since: Option<&CpuTimes>) -> (SystemSample, Option<CpuTimes>) {
        let now_cpu = CpuTimes::read();
        let usage = match (since, now_cpu.as_ref()) {
            (Some(a), Some(b)) => b.usage_since(a),
            _ => None,
        };
        let mut st = self.inner.lock();
        st.sys.refresh_memory();
        st.disks.refresh(true);
        st.networks.refresh(true);
        let (user, system) = process_cpu_micros();
        let total = st.sys.total_memory();
        let available = st.sys.available_memory();
        let sample = SystemSample {
            timestamp: super::now_ms(),
            cpu: CpuSample {
                user,
                system,
                usage,
                cores: cores(),
            },
            memory: MemorySample {
                used: total.saturating_sub(available),
                total,
                free: st.sys.free_memory(),
                available,
                rss: process_rss_bytes(),
                swap_used: st.sys.used_swap(),
                swap_total: st.sys.total_swap(),
            },
            disk: disk_for(&st.disks, &self.data_dir),
            network: network_totals(&st.networks),
        };
        (sample, now_cpu)
    }

    /// Usage of the file system holding the data folder, without a full sample.
    pub fn disk_usage(&self) -> Option<DiskUsage> {
        let mut st = self.inner.lock();
        st.disks.refresh(true);
        disk_for(&st.disks, &self.data_dir)
    }

    /// Network counters and established connections, without a full sample.
    pub fn network_stats(&self) -> NetworkStats {
        let mut st = self.inner.lock();
        st.networks.refresh(true);
        network_totals(&st.networks)
    }

    /// A snapshot whose CPU usage covers the interval since `since`.
    pub fn snapshot(&self, since: Option<&CpuTimes>) -> SystemSnapshot {
        let (current, _) = self.sample(since);
        let load = System::load_average();
        SystemSnapshot {
            timestamp: current.timestamp,
            platform: node_platform(),
            arch: node_arch(),
            cpus: cores(),
            cpu_model: self.inner.lock().cpu_model.clone(),
            kernel: System::kernel_version(),
            memory: current.memory.total,
            uptime: System::uptime(),
            loadavg: [load.one, load.five, load.fifteen],
            current,
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn disk_for(disks: &Disks, dir: &Path) -> Option<DiskUsage> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    disks
        .list()
        .iter()
        .filter(|d| dir.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| DiskUsage {
            used: d.total_space().saturating_sub(d.available_space()),
            available: d.available_space(),
            total: d.total_space(),
            mount_point: d.mount_point().display().to_string(),
            fs_type: d.file_system().to_string_lossy().into_owned(),
            iops: None,
        })
}

fn network_totals(networks: &Networks) -> NetworkStats {
    let mut n = NetworkStats {
        connections: tcp_established(),
        ..NetworkStats::default()
    };
    for (name, data) in networks.iter().filter(|(name, _)| name.as_str() != "lo") {
        let _ = name;
        n.bytes_received += data.total_received();
        n.bytes_sent += data.total_transmitted();
        n.packets_received += data.total_packets_received();
        n.packets_sent += data.total_packets_transmitted();
    }
    n
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

    #[test]
    fn parses_proc_stat_line() {
        let t = CpuTimes::parse("cpu  100 0 50 800 50 0 0 0 7 0").unwrap();
        assert_eq!(
            t,
            CpuTimes {
                busy: 150,
                total: 1000
            }
        );
        let later = CpuTimes {
            busy: 250,
            total: 1200,
        };
        assert_eq!(later.usage_since(&t), Some(50.0));
        assert_eq!(t.usage_since(&t), None);
        assert!(CpuTimes::parse("intr 1 2 3").is_none());
    }

    #[test]
    fn busy_loop_shows_up_as_cpu_use() {
        let probe = SystemProbe::new(Path::new("."));
        let start = CpuTimes::read().unwrap();
        // Spin until this process has used 300 ms of CPU (not wall time, which another
        // load on the machine would stretch).
        let (u0, s0) = process_cpu_micros();
        let mut x = 0u64;
        loop {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            let (u, s) = process_cpu_micros();
            if (u + s) - (u0 + s0) >= 300_000 {
                break;
            }
        }
        let snap = probe.snapshot(Some(&start));
        let usage = snap.current.cpu.usage.unwrap();
        // One busy core out of `cpus`, minus scheduling noise.
        let one_core = 100.0 / snap.cpus as f64;
        assert!(
            usage >= one_core * 0.7,
            "usage {usage}% < 70% of one core ({one_core}%)"
        );
        assert!(snap.current.cpu.user + snap.current.cpu.system >= u0 + s0 + 300_000);
    }

    #[test]
    fn memory_matches_proc_meminfo() {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let kb = |key: &str| -> u64 {
            let line = meminfo.lines().find(|l| l.starts_with(key)).unwrap();
            line.split_whitespace()
                .nth(1)
                .unwrap()
                .parse::<u64>()
                .unwrap()
                * 1024
        };
        let probe = SystemProbe::new(Path::new("."));
        let (s, _) = probe.sample(None);
        assert_eq!(s.memory.total, kb("MemTotal:"));
        assert!(s.cpu.usage.is_none(), "a first reading has no rate");
        let rss = s.memory.rss.unwrap();
        assert!(rss > 1 << 20, "rss {rss}");
        let disk = s.disk.unwrap();
        assert!(disk.total > 0 && disk.used <= disk.total);
    }
}
