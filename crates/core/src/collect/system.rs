//! The machine: CPU (total and per core, with iowait and steal), load, memory, per-device
//! disk I/O, file systems, per-interface network traffic, TCP retransmits, processes and
//! threads. Every figure is a `/proc` reading (or `statvfs`); rates are deltas between two
//! readings of this collector, so the first sample's rates are `null`.
//!
//! The Prometheus side uses node_exporter's names, labels and units
//! (`node_cpu_seconds_total{cpu,mode}`, `node_memory_*_bytes`, `node_disk_*`,
//! `node_network_*`, `node_filesystem_*{device,mountpoint,fstype}`, `node_load1`, …) so
//! that existing dashboards and alert rules work unchanged.

use std::time::Instant;

use serde_json::{json, Map, Value};

use super::procfs::{self, CpuTicks, DiskStat, Mount, NetDev, ProcStat, CPU_MODES};
use super::rates::{percent, rate0, rate2, round2};
use super::{Reading, Source};
use crate::prometheus::{Family, MetricKind::*};

/// Previous counters, for rates.
struct Previous {
    at: Instant,
    stat: ProcStat,
    disks: Vec<DiskStat>,
    nets: Vec<NetDev>,
    retrans: Option<(i64, i64)>,
}

/// The `system` sub-collector.
#[derive(Default)]
pub struct SystemSource {
    prev: Option<Previous>,
}

impl Source for SystemSource {
    fn name(&self) -> &'static str {
        "system"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let at = Instant::now();
        let stat = procfs::read("/proc/stat")
            .map(|t| procfs::parse_stat(&t))
            .ok_or("cannot read /proc/stat (not Linux, or /proc is not mounted)")?;
        let meminfo = procfs::parse_meminfo(&procfs::read("/proc/meminfo").unwrap_or_default());
        let disks: Vec<DiskStat> =
            procfs::parse_diskstats(&procfs::read("/proc/diskstats").unwrap_or_default())
                .into_iter()
                .filter(|d| !procfs::is_ignored_disk(&d.device))
                .collect();
        let nets = procfs::parse_net_dev(&procfs::read("/proc/net/dev").unwrap_or_default());
        let snmp = procfs::parse_snmp_tcp(&procfs::read("/proc/net/snmp").unwrap_or_default());
        let retrans = snmp
            .get("RetransSegs")
            .zip(snmp.get("OutSegs"))
            .map(|(r, o)| (*r, *o));
        let load = procfs::read("/proc/loadavg").and_then(|t| procfs::parse_loadavg(&t));
        let mounts: Vec<Mount> =
            procfs::parse_mounts(&procfs::read("/proc/mounts").unwrap_or_default())
                .into_iter()
                .filter(|m| !procfs::is_ignored_mount(m))
                .collect();
        let pids = count_pids();

        let prev = self.prev.as_ref();
        let secs = prev
            .map(|p| at.duration_since(p.at).as_secs_f64())
            .unwrap_or(0.0);
        let hz = procfs::clock_ticks_per_second();
        let mut families = Vec::new();

        let cpu = cpu_section(
            &stat,
            prev.map(|p| &p.stat),
            load.map(|l| l.0),
            hz,
            &mut families,
        );
        let memory = memory_section(&meminfo, &mut families);
        let disk_rows = disks
            .iter()
            .map(|d| {
                disk_row(
                    d,
                    prev.and_then(|p| p.disks.iter().find(|x| x.device == d.device)),
                    secs,
                    &mut families,
                )
            })
            .collect::<Vec<_>>();
        let fs_rows = filesystems(&mounts, &mut families);
        let net_rows = nets
            .iter()
            .map(|n| {
                net_row(
                    n,
                    prev.and_then(|p| p.nets.iter().find(|x| x.device == n.device)),
                    secs,
                    &mut families,
                )
            })
            .collect::<Vec<_>>();
        let retransmits = match (retrans, prev.and_then(|p| p.retrans)) {
            (Some((r, o)), Some((r0, o0))) if r >= r0 && o >= o0 => json!({
                "retransmitsPerSec": rate2(r0 as u64, r as u64, secs),
                "retransmitPercent": percent((r - r0) as u64, (o - o0) as u64),
            }),
            _ => json!({ "retransmitsPerSec": null, "retransmitPercent": null }),
        };
        for key in [
            "RetransSegs",
            "OutSegs",
            "InSegs",
            "CurrEstab",
            "ActiveOpens",
            "PassiveOpens",
        ] {
            if let Some(v) = snmp.get(key) {
                families.push(Family::single(
                    &format!("node_netstat_Tcp_{key}"),
                    Untyped,
                    &format!("Statistic Tcp{key}."),
                    *v as f64,
                ));
            }
        }

        families.push(Family::single(
            "node_procs_running",
            Gauge,
            "Number of processes in runnable state.",
            stat.procs_running as f64,
        ));
        families.push(Family::single(
            "node_procs_blocked",
            Gauge,
            "Number of processes blocked waiting for I/O to complete.",
            stat.procs_blocked as f64,
        ));
        families.push(Family::single(
            "node_context_switches_total",
            Counter,
            "Total number of context switches.",
            stat.ctxt as f64,
        ));
        families.push(Family::single(
            "node_intr_total",
            Counter,
            "Total number of interrupts serviced.",
            stat.intr as f64,
        ));
        families.push(Family::single(
            "node_forks_total",
            Counter,
            "Total number of forks.",
            stat.forks as f64,
        ));
        families.push(Family::single(
            "node_boot_time_seconds",
            Gauge,
            "Node boot time, in unixtime.",
            stat.btime as f64,
        ));
        families.push(Family::single(
            "node_time_seconds",
            Gauge,
            "System time in seconds since epoch (1970).",
            crate::framework::now_ms() as f64 / 1000.0,
        ));
        if let Some(p) = pids {
            families.push(Family::single(
                "node_processes_pids",
                Gauge,
                "Number of PIDs",
                p as f64,
            ));
        }
        let threads = load.map(|l| l.2);
        if let Some(t) = threads {
            families.push(Family::single(
                "node_processes_threads",
                Gauge,
                "Allocated threads in system",
                t as f64,
            ));
        }
        let uptime = (crate::framework::now_ms() / 1000).saturating_sub(stat.btime as i64);

        let sample = json!({
            "cpu": cpu,
            "memory": memory,
            "disks": disk_rows,
            "filesystems": fs_rows,
            "network": net_rows,
            "tcp": retransmits,
            "processes": pids,
            "threads": threads,
            "procsRunning": stat.procs_running,
            "procsBlocked": stat.procs_blocked,
            "uptime": uptime,
            "platform": std::env::consts::OS,
        });
        self.prev = Some(Previous {
            at,
            stat,
            disks,
            nets,
            retrans,
        });
        Ok(Reading { sample, families })
    }
}

fn cpu_section(
    stat: &ProcStat,
    prev: Option<&ProcStat>,
    load: Option<[f64; 3]>,
    hz: f64,
    families: &mut Vec<Family>,
) -> Value {
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
            ("node_load1", l[0], "1m load average."),
            ("node_load5", l[1], "5m load average."),
            ("node_load15", l[2], "15m load average."),
        ] {
            families.push(Family::single(name, Gauge, help, v));
        }
    }
    let per_core: Vec<Value> = stat
        .cores
        .iter()
        .map(|(n, t)| {
            let before = prev
                .and_then(|p| p.cores.iter().find(|(m, _)| m == n))
                .map(|(_, b)| b);
            let mut row = shares(t, before);
            row.insert("cpu".into(), json!(n.to_string()));
            Value::Object(row)
        })
        .collect();
    let mut total = shares(&stat.total, prev.map(|p| &p.total));
    total.insert("cores".into(), json!(stat.cores.len().max(1)));
    total.insert("loadAverage".into(), json!(load.map(|l| l.to_vec())));
    total.insert("perCore".into(), Value::Array(per_core));
    Value::Object(total)
}

/// Busy, user, system, iowait and steal as % of the ticks between two readings.
fn shares(now: &CpuTicks, before: Option<&CpuTicks>) -> Map<String, Value> {
    let mut m = Map::new();
    let delta = before.filter(|b| {
        now.total() >= b.total() && now.ticks.iter().zip(b.ticks).all(|(n, b)| *n >= b)
    });
    let pct = |part: u64, whole: u64| percent(part, whole).map_or(Value::Null, |v| json!(v));
    match delta {
        Some(b) => {
            let whole = now.total() - b.total();
            let d = |i: usize| now.ticks[i] - b.ticks[i];
            m.insert("usage".into(), pct(now.busy() - b.busy(), whole));
            m.insert("user".into(), pct(d(0) + d(1), whole));
            m.insert("system".into(), pct(d(2) + d(5) + d(6), whole));
            m.insert("iowait".into(), pct(d(4), whole));
            m.insert("steal".into(), pct(d(7), whole));
        }
        None => {
            for k in ["usage", "user", "system", "iowait", "steal"] {
                m.insert(k.into(), Value::Null);
            }
        }
    }
    m
}

fn memory_section(info: &[(String, u64, bool)], families: &mut Vec<Family>) -> Value {
    for (key, value, is_bytes) in info {
        let name = key.replace('(', "_").replace(')', "");
        let name = if *is_bytes {
            format!("node_memory_{name}_bytes")
        } else {
            format!("node_memory_{name}")
        };
        let help = format!(
            "Memory information field {}.",
            name.trim_start_matches("node_memory_")
        );
        families.push(Family::single(&name, Gauge, &help, *value as f64));
    }
    let get = |k: &str| procfs::meminfo_get(info, k);
    let total = get("MemTotal");
    let available = get("MemAvailable");
    let used = total.zip(available).map(|(t, a)| t.saturating_sub(a));
    let swap_used = get("SwapTotal")
        .zip(get("SwapFree"))
        .map(|(t, f)| t.saturating_sub(f));
    json!({
        "total": total,
        "totalSystem": total,
        "used": used,
        "free": get("MemFree"),
        "available": available,
        "cached": get("Cached"),
        "buffers": get("Buffers"),
        "swapTotal": get("SwapTotal"),
        "swapUsed": swap_used,
        "usage": used.zip(total).and_then(|(u, t)| (t > 0).then(|| round2(u as f64 / t as f64 * 100.0))),
    })
}

fn disk_row(
    d: &DiskStat,
    before: Option<&DiskStat>,
    secs: f64,
    families: &mut Vec<Family>,
) -> Value {
    let dev = [("device", d.device.as_str())];
    for (name, help, v) in [
        (
            "node_disk_reads_completed_total",
            "The total number of reads completed successfully.",
            d.reads as f64,
        ),
        (
            "node_disk_writes_completed_total",
            "The total number of writes completed successfully.",
            d.writes as f64,
        ),
        (
            "node_disk_read_bytes_total",
            "The total number of bytes read successfully.",
            d.sectors_read as f64 * 512.0,
        ),
        (
            "node_disk_written_bytes_total",
            "The total number of bytes written successfully.",
            d.sectors_written as f64 * 512.0,
        ),
        (
            "node_disk_read_time_seconds_total",
            "The total number of seconds spent by all reads.",
            d.read_ms as f64 / 1000.0,
        ),
        (
            "node_disk_write_time_seconds_total",
            "This is the total number of seconds spent by all writes.",
            d.write_ms as f64 / 1000.0,
        ),
        (
            "node_disk_io_time_seconds_total",
            "Total seconds spent doing I/Os.",
            d.io_ms as f64 / 1000.0,
        ),
    ] {
        families.push(Family::new(name, Counter, help).with(&dev, v));
    }
    let r = |f: fn(&DiskStat) -> u64, scale: u64| {
        before.and_then(|b| rate2(f(b) * scale, f(d) * scale, secs))
    };
    let bytes = |f: fn(&DiskStat) -> u64| before.and_then(|b| rate0(f(b) * 512, f(d) * 512, secs));
    json!({
        "device": d.device,
        "readBytesPerSec": bytes(|x| x.sectors_read),
        "writeBytesPerSec": bytes(|x| x.sectors_written),
        "readIops": r(|x| x.reads, 1),
        "writeIops": r(|x| x.writes, 1),
        // io_ms counts wall milliseconds with I/O in flight: ms per second / 10 = %.
        "busyPercent": r(|x| x.io_ms, 1).map(|ms_per_s| round2((ms_per_s / 10.0).min(100.0))),
    })
}

fn net_row(n: &NetDev, before: Option<&NetDev>, secs: f64, families: &mut Vec<Family>) -> Value {
    let dev = [("device", n.device.as_str())];
    const KINDS: [&str; 4] = ["bytes", "packets", "errs", "drop"];
    for (i, kind) in KINDS.iter().enumerate() {
        families.push(
            Family::new(
                format!("node_network_receive_{kind}_total"),
                Counter,
                format!("Network device statistic receive_{kind}."),
            )
            .with(&dev, n.rx[i] as f64),
        );
        families.push(
            Family::new(
                format!("node_network_transmit_{kind}_total"),
                Counter,
                format!("Network device statistic transmit_{kind}."),
            )
            .with(&dev, n.tx[i] as f64),
        );
    }
    let rx = |i: usize| before.and_then(|b| rate2(b.rx[i], n.rx[i], secs));
    let tx = |i: usize| before.and_then(|b| rate2(b.tx[i], n.tx[i], secs));
    json!({
        "device": n.device,
        "rxBytesPerSec": before.and_then(|b| rate0(b.rx[0], n.rx[0], secs)),
        "txBytesPerSec": before.and_then(|b| rate0(b.tx[0], n.tx[0], secs)),
        "rxPacketsPerSec": rx(1), "txPacketsPerSec": tx(1),
        "rxErrorsPerSec": rx(2), "txErrorsPerSec": tx(2),
        "rxDropsPerSec": rx(3), "txDropsPerSec": tx(3),
    })
}

fn filesystems(mounts: &[Mount], families: &mut Vec<Family>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    let fam = |name: &str, help: &str| Family::new(name, Gauge, help);
    let mut size = fam("node_filesystem_size_bytes", "Filesystem size in bytes.");
    let mut avail = fam(
        "node_filesystem_avail_bytes",
        "Filesystem space available to non-root users in bytes.",
    );
    let mut free = fam(
        "node_filesystem_free_bytes",
        "Filesystem free space in bytes.",
    );
    let mut files = fam("node_filesystem_files", "Filesystem total file nodes.");
    let mut files_free = fam(
        "node_filesystem_files_free",
        "Filesystem total free file nodes.",
    );
    let mut readonly = fam("node_filesystem_readonly", "Filesystem read-only status.");
    for m in mounts {
        if !seen.insert(m.mountpoint.clone()) {
            continue;
        }
        let Some(v) = statvfs(&m.mountpoint) else {
            continue;
        };
        let labels = [
            ("device", m.device.as_str()),
            ("fstype", m.fstype.as_str()),
            ("mountpoint", m.mountpoint.as_str()),
        ];
        size.push(&labels, v.size as f64);
        avail.push(&labels, v.avail as f64);
        free.push(&labels, v.free as f64);
        files.push(&labels, v.files as f64);
        files_free.push(&labels, v.files_free as f64);
        readonly.push(&labels, if m.read_only { 1.0 } else { 0.0 });
        let used = v.size.saturating_sub(v.free);
        rows.push(json!({
            "device": m.device, "mountpoint": m.mountpoint, "fstype": m.fstype,
            "size": v.size, "avail": v.avail, "free": v.free, "used": used,
            "usage": (v.size > 0).then(|| round2(used as f64 / v.size as f64 * 100.0)),
        }));
    }
    families.extend([size, avail, free, files, files_free, readonly]);
    rows
}

struct FsStat {
    size: u64,
    avail: u64,
    free: u64,
    files: u64,
    files_free: u64,
}

fn statvfs(path: &str) -> Option<FsStat> {
    let c = std::ffi::CString::new(path).ok()?;
    // SAFETY: statvfs writes only into the zeroed struct; the path is NUL-terminated.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    let f = s.f_frsize as u64;
    Some(FsStat {
        size: s.f_blocks as u64 * f,
        avail: s.f_bavail as u64 * f,
        free: s.f_bfree as u64 * f,
        files: s.f_files as u64,
        files_free: s.f_ffree as u64,
    })
}

fn count_pids() -> Option<u64> {
    let dir = std::fs::read_dir("/proc").ok()?;
    Some(
        dir.filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .count() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::probe::process_cpu_micros;

    fn meminfo_kb(key: &str) -> u64 {
        let text = std::fs::read_to_string("/proc/meminfo").unwrap();
        let line = text.lines().find(|l| l.starts_with(key)).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    }

    fn family<'a>(r: &'a Reading, name: &str) -> &'a Family {
        r.families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn busy_core_memory_and_node_exporter_names() {
        let mut src = SystemSource::default();
        let first = src.collect().unwrap();
        assert!(
            first.sample["cpu"]["usage"].is_null(),
            "a first reading has no rate"
        );
        let (u0, s0) = process_cpu_micros();
        let mut x = 0u64;
        while {
            let (u, s) = process_cpu_micros();
            u + s - u0 - s0 < 300_000
        } {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        let r = src.collect().unwrap();
        let cores = std::thread::available_parallelism().unwrap().get();
        let usage = r.sample["cpu"]["usage"].as_f64().unwrap();
        assert!(
            usage >= 100.0 / cores as f64 * 0.7,
            "usage {usage}% with one of {cores} cores busy"
        );
        assert_eq!(r.sample["cpu"]["perCore"].as_array().unwrap().len(), cores);
        assert_eq!(
            r.sample["memory"]["total"].as_u64().unwrap(),
            meminfo_kb("MemTotal:")
        );
        let cpu_seconds = family(&r, "node_cpu_seconds_total");
        assert_eq!(cpu_seconds.samples.len(), cores * 8);
        assert_eq!(
            family(&r, "node_memory_MemTotal_bytes").samples[0].1,
            meminfo_kb("MemTotal:") as f64
        );
        let load = std::fs::read_to_string("/proc/loadavg").unwrap();
        let l15: f64 = load.split_whitespace().nth(2).unwrap().parse().unwrap();
        assert!((family(&r, "node_load15").samples[0].1 - l15).abs() < 0.05);
        let fs = family(&r, "node_filesystem_size_bytes");
        assert!(fs
            .samples
            .iter()
            .any(|(l, v)| l.iter().any(|(k, _)| k == "mountpoint") && *v > 0.0));
    }

    /// Rule Y3: writing N MiB with O_DIRECT raises the written bytes of the disks by ≥ N MiB.
    #[test]
    fn direct_writes_show_up_in_disk_bytes() {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        const MIB: usize = 8;
        let dir = tempfile::tempdir_in(".").unwrap();
        let path = dir.path().join("direct.bin");
        let written = |r: &Reading| -> f64 {
            family(r, "node_disk_written_bytes_total")
                .samples
                .iter()
                .map(|s| s.1)
                .sum()
        };
        let mut src = SystemSource::default();
        let before = src.collect().unwrap();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .custom_flags(libc::O_DIRECT)
            .open(&path);
        let Ok(mut file) = file else {
            eprintln!("skipped: this file system refuses O_DIRECT");
            return;
        };
        // O_DIRECT needs an aligned buffer: 4096-aligned slice of a larger allocation.
        let mut raw = vec![0x5Au8; MIB * 1_048_576 + 4096];
        let off = raw.as_ptr().align_offset(4096);
        let buf = &mut raw[off..off + MIB * 1_048_576];
        file.write_all(buf).unwrap();
        file.sync_all().unwrap();
        let after = src.collect().unwrap();
        let delta = written(&after) - written(&before);
        assert!(
            delta >= (MIB * 1_048_576) as f64,
            "disks show {delta} bytes written, expected >= {MIB} MiB"
        );
        let rates: f64 = after.sample["disks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["writeBytesPerSec"].as_f64())
            .sum();
        assert!(rates > 0.0);
    }
}
