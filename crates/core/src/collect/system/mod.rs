//! The machine: CPU (total and per core, with iowait and steal), load, memory, per-device
//! disk I/O, file systems, per-interface network traffic, TCP retransmits, processes and
//! threads. Every figure is a `/proc` reading (or `statvfs`) through [`crate::host`]; rates
//! are deltas between two readings of this source, so the first reading's rates are `None`
//! (`null` in JS).
//!
//! One file per resource: [`cpu`], [`memory`], [`disk`], [`filesystem`], [`network`]
//! (interfaces and TCP), [`processes`]. Each turns host readings into its typed slot of
//! [`SystemReading`] and its Prometheus families, which use node_exporter's names, labels
//! and units (`node_cpu_seconds_total{cpu,mode}`, `node_memory_*_bytes`, `node_disk_*`,
//! `node_network_*`, `node_filesystem_*{device,mountpoint,fstype}`, `node_load1`, …) so that
//! existing dashboards and alert rules work unchanged.
//!
//! This is the crate's only machine sampler: the framework's `collectSystemMetrics` series
//! is a view over these readings (see `framework::system`).

pub mod container;
pub mod cpu;
pub mod disk;
pub mod filesystem;
pub mod memory;
pub mod network;
pub mod processes;
#[cfg(test)]
mod tests;

use std::time::Instant;

use serde::Serialize;

use super::{Reading, Source};
use crate::host::diskstats::{self, DiskStat};
use crate::host::loadavg::{self, LoadAvg};
use crate::host::net_dev::{self, NetDev};
use crate::host::proc_stat::{self, ProcStat};
use crate::host::{clock, meminfo, mounts, net_snmp};

pub use container::ContainerReading;
pub use cpu::{CoreReading, CpuReading, CpuShares};
pub use disk::DiskReading;
pub use filesystem::FilesystemReading;
pub use memory::MemoryReading;
pub use network::{InterfaceReading, TcpReading};

/// The `system` slot of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemReading {
    /// CPU shares and load.
    pub cpu: CpuReading,
    /// Memory, bytes.
    pub memory: MemoryReading,
    /// Whole disks.
    pub disks: Vec<DiskReading>,
    /// Mounted file systems.
    pub filesystems: Vec<FilesystemReading>,
    /// Network interfaces.
    pub network: Vec<InterfaceReading>,
    /// TCP retransmits.
    pub tcp: TcpReading,
    /// The control group's limits and use; null when no limit is set.
    pub container: Option<ContainerReading>,
    /// Processes on the machine.
    pub processes: Option<u64>,
    /// Threads on the machine.
    pub threads: Option<u64>,
    /// Runnable threads now.
    pub procs_running: u64,
    /// Threads blocked on I/O now.
    pub procs_blocked: u64,
    /// Seconds since boot.
    pub uptime: i64,
    /// Rust's name of the OS.
    pub platform: &'static str,
    /// The raw counters behind the rates, for typed consumers; not part of the sample.
    #[serde(skip)]
    pub counters: SystemCounters,
}

/// Raw kernel counters of one reading, kept beside the rates for views that need totals
/// (the framework's system samples) rather than per-second figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemCounters {
    /// The aggregate `cpu` line of `/proc/stat`.
    pub cpu: proc_stat::CpuTimes,
    /// Bytes, packets, errors and drops received by the physical interfaces (see
    /// [`net_dev::machine_totals`]: bridges and veths would count traffic twice).
    pub net_rx: [u64; 4],
    /// Bytes, packets, errors and drops sent by the physical interfaces.
    pub net_tx: [u64; 4],
    /// Established TCP connections (`CurrEstab`).
    pub tcp_established: Option<u64>,
}

/// Previous counters, for rates.
struct Previous {
    at: Instant,
    stat: ProcStat,
    disks: Vec<DiskStat>,
    nets: Vec<NetDev>,
    retrans: Option<(i64, i64)>,
    cgroup: Option<crate::host::cgroup::CgroupReading>,
}

/// The `system` sub-collector.
#[derive(Default)]
pub struct SystemSource {
    prev: Option<Previous>,
    /// `statfs` with a deadline: a hung mount is skipped, not waited for at every tick.
    statfs: crate::host::statfs::StatfsWatch,
    /// Warnings of the last [`Self::read`] (mounts that timed out).
    warnings: Vec<String>,
    /// Names already reported as not UTF-8, so each is reported once.
    odd_names: std::collections::HashSet<String>,
}

impl SystemSource {
    /// A source whose `statfs` calls go through `statfs` (a blocking one in tests).
    pub fn with_statfs(statfs: crate::host::statfs::StatfsWatch) -> SystemSource {
        SystemSource {
            statfs,
            ..SystemSource::default()
        }
    }

    /// Warnings for the names of this reading that held bytes which are not UTF-8 (each
    /// replaced by U+FFFD in that name only), each name reported once per source.
    fn odd_name_warnings<'a>(
        &mut self,
        names: impl Iterator<Item = (&'static str, &'a str)>,
    ) -> Vec<String> {
        names
            .filter(|(_, n)| crate::host::has_replacement(n))
            .filter(|(kind, n)| self.odd_names.insert(format!("{kind}:{n}")))
            .map(|(kind, n)| {
                format!(
                    "{kind} name {n:?} holds bytes that are not UTF-8; they are shown as U+FFFD"
                )
            })
            .collect()
    }
}

impl SystemSource {
    /// Reads the machine once; rates cover the time since this source's previous reading.
    pub fn read(&mut self) -> Result<(SystemReading, Vec<crate::prometheus::Family>), String> {
        let at = Instant::now();
        self.warnings.clear();
        let stat = proc_stat::read()
            .ok_or("cannot read /proc/stat (not Linux, or /proc is not mounted)")?;
        let meminfo = meminfo::read();
        let disks = diskstats::read_disks();
        let nets = net_dev::read().unwrap_or_default();
        let snmp = net_snmp::read_tcp();
        let load: Option<LoadAvg> = loadavg::read();
        let mounts: Vec<mounts::Mount> = mounts::read_all()
            .into_iter()
            .filter(|m| !mounts::is_ignored_mount(m))
            .collect();
        let pids = crate::host::process::count_pids();
        let cgroup = crate::host::cgroup::read_self();
        let now_ms = clock::now_ms();

        let prev = self.prev.as_ref();
        let secs = prev
            .map(|p| at.duration_since(p.at).as_secs_f64())
            .unwrap_or(0.0);
        let hz = crate::host::clock_ticks_per_second();
        let mut families = Vec::new();

        let mut cpu = cpu::read(
            &stat,
            prev.map(|p| &p.stat),
            load.as_ref(),
            hz,
            &mut families,
        );
        let mut memory = memory::read(&meminfo, &mut families);
        let container = cgroup.as_ref().and_then(|c| {
            container::read(c, prev.and_then(|p| p.cgroup.as_ref()), secs, &mut families)
        });
        if let Some(c) = &container {
            // Inside a limit, "usage" is how close the process is to that limit.
            if c.memory_usage_percent.is_some() {
                memory.usage = c.memory_usage_percent;
            }
            if c.cpu_limit_cores.is_some() {
                cpu.shares.usage = c.cpu_usage_percent;
            }
        }
        let disk_rows = disks
            .iter()
            .map(|d| {
                let before = prev.and_then(|p| p.disks.iter().find(|x| x.device == d.device));
                disk::read(d, before, secs, &mut families)
            })
            .collect();
        let fs_rows = filesystem::read(&mounts, &self.statfs, &mut families, &mut self.warnings);
        let net_rows = nets
            .iter()
            .map(|n| {
                let before = prev.and_then(|p| p.nets.iter().find(|x| x.device == n.device));
                network::interface(n, before, secs, &mut families)
            })
            .collect();
        let tcp = network::tcp(&snmp, prev.and_then(|p| p.retrans), secs, &mut families);
        let threads = load.map(|l| l.threads);
        processes::families(&stat, pids, threads, now_ms, &mut families);
        let (net_rx, net_tx) = net_dev::external_totals(&nets);

        let reading = SystemReading {
            cpu,
            memory,
            disks: disk_rows,
            filesystems: fs_rows,
            network: net_rows,
            tcp,
            container,
            processes: pids,
            threads,
            procs_running: stat.procs_running,
            procs_blocked: stat.procs_blocked,
            uptime: (now_ms / 1000).saturating_sub(stat.btime as i64),
            platform: std::env::consts::OS,
            counters: SystemCounters {
                cpu: stat.total,
                net_rx,
                net_tx,
                tcp_established: snmp.established(),
            },
        };
        self.prev = Some(Previous {
            at,
            retrans: snmp.retransmits(),
            stat,
            disks,
            nets,
            cgroup,
        });
        Ok((reading, families))
    }
}

impl Source for SystemSource {
    fn name(&self) -> &'static str {
        "system"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let (reading, families) = self.read()?;
        let names = reading
            .network
            .iter()
            .map(|n| ("interface", n.device.as_str()))
            .chain(reading.disks.iter().map(|d| ("device", d.device.as_str())))
            .chain(reading.filesystems.iter().flat_map(|f| {
                [
                    ("mount point", f.mountpoint.as_str()),
                    ("device", f.device.as_str()),
                ]
            }));
        let names: Vec<(&'static str, String)> = names.map(|(k, n)| (k, n.to_owned())).collect();
        let mut warnings = std::mem::take(&mut self.warnings);
        warnings.extend(self.odd_name_warnings(names.iter().map(|(k, n)| (*k, n.as_str()))));
        Ok(Reading::new(reading, families).with_warnings(warnings))
    }
}
