//! Parsers of the kernel's `/proc` text files. Pure functions over the file contents, so that
//! each is tested on a fixed text; the readers at the bottom only add the file access.
//! Field meanings follow `proc(5)` and the kernel's `Documentation/admin-guide/iostats.rst`.

use std::collections::HashMap;

/// The eight CPU time counters of a `cpu` line, in clock ticks, in `/proc/stat` order.
pub const CPU_MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

/// One `cpu`/`cpuN` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTicks {
    /// `user nice system idle iowait irq softirq steal`; guest time is already inside user
    /// and nice, so it is not added again.
    pub ticks: [u64; 8],
}

impl CpuTicks {
    /// All ticks.
    pub fn total(&self) -> u64 {
        self.ticks.iter().sum()
    }
    /// Ticks that were neither idle nor waiting for I/O.
    pub fn busy(&self) -> u64 {
        self.total() - self.ticks[3] - self.ticks[4]
    }
}

/// The parts of `/proc/stat` the collectors use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcStat {
    /// The aggregate `cpu` line.
    pub total: CpuTicks,
    /// `cpuN` lines, by N.
    pub cores: Vec<(u32, CpuTicks)>,
    /// Context switches since boot.
    pub ctxt: u64,
    /// Interrupts since boot.
    pub intr: u64,
    /// Boot time, epoch seconds.
    pub btime: u64,
    /// Forks since boot.
    pub forks: u64,
    /// Runnable threads now.
    pub procs_running: u64,
    /// Threads blocked on I/O now.
    pub procs_blocked: u64,
}

/// Parses `/proc/stat`.
pub fn parse_stat(text: &str) -> ProcStat {
    let mut out = ProcStat::default();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(key) = f.next() else { continue };
        let first = |mut f: std::str::SplitWhitespace| f.next().and_then(|v| v.parse().ok());
        if let Some(rest) = key.strip_prefix("cpu") {
            let mut ticks = [0u64; 8];
            for (slot, v) in ticks.iter_mut().zip(f) {
                *slot = v.parse().unwrap_or(0);
            }
            let t = CpuTicks { ticks };
            if rest.is_empty() {
                out.total = t;
            } else if let Ok(n) = rest.parse() {
                out.cores.push((n, t));
            }
            continue;
        }
        let value = first(f).unwrap_or(0);
        match key {
            "ctxt" => out.ctxt = value,
            "intr" => out.intr = value,
            "btime" => out.btime = value,
            "processes" => out.forks = value,
            "procs_running" => out.procs_running = value,
            "procs_blocked" => out.procs_blocked = value,
            _ => {}
        }
    }
    out
}

/// `/proc/meminfo` as `(field, value)` in file order. Values with a `kB` unit are converted
/// to bytes; the flag says whether the value is a byte count (node_exporter's `_bytes`).
pub fn parse_meminfo(text: &str) -> Vec<(String, u64, bool)> {
    text.lines()
        .filter_map(|line| {
            let (key, rest) = line.split_once(':')?;
            let mut f = rest.split_whitespace();
            let v: u64 = f.next()?.parse().ok()?;
            let kb = f.next() == Some("kB");
            Some((key.trim().to_owned(), if kb { v * 1024 } else { v }, kb))
        })
        .collect()
}

/// Looks a field up in parsed meminfo.
pub fn meminfo_get(info: &[(String, u64, bool)], key: &str) -> Option<u64> {
    info.iter().find(|(k, _, _)| k == key).map(|(_, v, _)| *v)
}

/// One line of `/proc/diskstats`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskStat {
    /// Kernel device name (`sda`, `nvme0n1`, `vda`).
    pub device: String,
    /// Reads completed.
    pub reads: u64,
    /// 512-byte sectors read.
    pub sectors_read: u64,
    /// Milliseconds spent reading.
    pub read_ms: u64,
    /// Writes completed.
    pub writes: u64,
    /// 512-byte sectors written.
    pub sectors_written: u64,
    /// Milliseconds spent writing.
    pub write_ms: u64,
    /// Milliseconds during which the device had I/O in flight (busy time).
    pub io_ms: u64,
}

/// Parses `/proc/diskstats`.
pub fn parse_diskstats(text: &str) -> Vec<DiskStat> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 14 {
                return None;
            }
            let n = |i: usize| f[i].parse::<u64>().unwrap_or(0);
            Some(DiskStat {
                device: f[2].to_owned(),
                reads: n(3),
                sectors_read: n(5),
                read_ms: n(6),
                writes: n(7),
                sectors_written: n(9),
                write_ms: n(10),
                io_ms: n(12),
            })
        })
        .collect()
}

/// True for the devices node_exporter leaves out by default: RAM disks, loop and floppy
/// devices, and partitions (whose I/O is already counted in their whole disk).
pub fn is_ignored_disk(name: &str) -> bool {
    let digits_after = |prefix_len: usize| {
        let rest = &name[prefix_len..];
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
    };
    for p in ["zram", "ram", "loop", "fd"] {
        if name.starts_with(p) && digits_after(p.len()) {
            return true;
        }
    }
    // (h|s|v|xv)d[a-z]+N: a partition of a SCSI/virtio/Xen disk.
    for p in ["hd", "sd", "vd", "xvd"] {
        if let Some(rest) = name.strip_prefix(p) {
            let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            let tail = &rest[letters..];
            if letters > 0 && !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                return true;
            }
        }
    }
    // nvmeXnYpZ: an NVMe partition.
    if name.starts_with("nvme") {
        if let Some(p) = name.rfind('p') {
            let (head, tail) = (&name[..p], &name[p + 1..]);
            return head.contains('n')
                && !tail.is_empty()
                && tail.bytes().all(|b| b.is_ascii_digit());
        }
    }
    false
}

/// One interface of `/proc/net/dev`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetDev {
    /// Interface name.
    pub device: String,
    /// Bytes, packets, errors and drops received.
    pub rx: [u64; 4],
    /// Bytes, packets, errors and drops sent.
    pub tx: [u64; 4],
}

/// Parses `/proc/net/dev` (two header lines, then `name: 8 rx fields 8 tx fields`).
pub fn parse_net_dev(text: &str) -> Vec<NetDev> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let v: Vec<u64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            if v.len() < 16 {
                return None;
            }
            Some(NetDev {
                device: name.trim().to_owned(),
                rx: [v[0], v[1], v[2], v[3]],
                tx: [v[8], v[9], v[10], v[11]],
            })
        })
        .collect()
}

/// The `Tcp:` counters of `/proc/net/snmp` (a header line of names, then a line of values).
pub fn parse_snmp_tcp(text: &str) -> HashMap<String, i64> {
    let mut lines = text.lines().filter(|l| l.starts_with("Tcp:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return HashMap::new();
    };
    names
        .split_whitespace()
        .skip(1)
        .zip(values.split_whitespace().skip(1))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect()
}

/// `/proc/loadavg`: the three load averages, runnable threads, and all threads.
pub fn parse_loadavg(text: &str) -> Option<([f64; 3], u64, u64)> {
    let f: Vec<&str> = text.split_whitespace().collect();
    let load = [f.first()?, f.get(1)?, f.get(2)?].map(|x| x.parse::<f64>().unwrap_or(f64::NAN));
    let (running, total) = f.get(3)?.split_once('/')?;
    Some((load, running.parse().ok()?, total.parse().ok()?))
}

/// One line of `/proc/mounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Source device.
    pub device: String,
    /// Where it is mounted (octal escapes such as `\040` decoded).
    pub mountpoint: String,
    /// File system type.
    pub fstype: String,
    /// True when mounted read-only.
    pub read_only: bool,
}

/// Parses `/proc/mounts`.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.len() >= 4).then(|| Mount {
                device: unescape_octal(f[0]),
                mountpoint: unescape_octal(f[1]),
                fstype: f[2].to_owned(),
                read_only: f[3].split(',').any(|o| o == "ro"),
            })
        })
        .collect()
}

fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True for the file systems and mount points node_exporter leaves out by default (kernel
/// pseudo file systems, container layers), so `node_filesystem_*` has the same series.
pub fn is_ignored_mount(m: &Mount) -> bool {
    const FS: [&str; 21] = [
        "autofs",
        "binfmt_misc",
        "bpf",
        "cgroup",
        "cgroup2",
        "configfs",
        "debugfs",
        "devpts",
        "devtmpfs",
        "fusectl",
        "hugetlbfs",
        "iso9660",
        "mqueue",
        "nsfs",
        "overlay",
        "proc",
        "procfs",
        "pstore",
        "rpc_pipefs",
        "securityfs",
        "selinuxfs",
    ];
    const MORE_FS: [&str; 3] = ["squashfs", "sysfs", "tracefs"];
    if FS.contains(&m.fstype.as_str()) || MORE_FS.contains(&m.fstype.as_str()) {
        return true;
    }
    let under = |root: &str| m.mountpoint == root || m.mountpoint.starts_with(&format!("{root}/"));
    under("/dev")
        || under("/proc")
        || under("/sys")
        || m.mountpoint.starts_with("/run/credentials/")
        || m.mountpoint.starts_with("/var/lib/docker/")
        || m.mountpoint.starts_with("/var/lib/containers/storage/")
}

/// TCP connection states in `/proc/net/tcp{,6}` order (state codes 1 to 11).
pub const TCP_STATES: [&str; 11] = [
    "established",
    "syn_sent",
    "syn_recv",
    "fin_wait1",
    "fin_wait2",
    "time_wait",
    "close",
    "close_wait",
    "last_ack",
    "listen",
    "closing",
];

/// Counts sockets per state in a `/proc/net/tcp` text (header line first).
pub fn count_tcp_states(text: &str, counts: &mut [u64; 11]) {
    for line in text.lines().skip(1) {
        if let Some(state) = line.split_whitespace().nth(3) {
            if let Ok(code) = u8::from_str_radix(state, 16) {
                if (1..=11).contains(&code) {
                    counts[code as usize - 1] += 1;
                }
            }
        }
    }
}

/// Reads a `/proc` file; `None` where it does not exist (not Linux, or hidden by a sandbox).
pub fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Kernel clock ticks per second (`USER_HZ`) for `/proc/stat` counters.
pub fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let s = parse_stat(
            "cpu  10 1 5 100 2 0 1 3 0 0\ncpu0 5 0 2 50 1 0 0 1 0 0\ncpu1 5 1 3 50 1 0 1 2 0 0\n\
             intr 999 1 2\nctxt 1234\nbtime 1700000000\nprocesses 42\nprocs_running 3\nprocs_blocked 1\n",
        );
        assert_eq!(s.total.ticks, [10, 1, 5, 100, 2, 0, 1, 3]);
        assert_eq!(s.total.busy(), 20);
        assert_eq!(s.cores.len(), 2);
        assert_eq!(s.cores[1].0, 1);
        assert_eq!(
            (s.ctxt, s.intr, s.btime, s.forks),
            (1234, 999, 1_700_000_000, 42)
        );
        assert_eq!((s.procs_running, s.procs_blocked), (3, 1));
    }

    #[test]
    fn meminfo_units() {
        let m = parse_meminfo("MemTotal:       2048 kB\nHugePages_Total:       4\n");
        assert_eq!(m[0], ("MemTotal".into(), 2048 * 1024, true));
        assert_eq!(m[1], ("HugePages_Total".into(), 4, false));
        assert_eq!(meminfo_get(&m, "MemTotal"), Some(2_097_152));
    }

    #[test]
    fn diskstats_and_ignored_devices() {
        let d = parse_diskstats(
            " 253       0 vda 100 5 2000 30 200 7 4000 60 0 80 90 0 0 0 0\n   7 0 loop0 0 0 0 0 0 0 0 0 0 0 0\n",
        );
        assert_eq!(d[0].device, "vda");
        assert_eq!(
            (d[0].reads, d[0].sectors_read, d[0].read_ms),
            (100, 2000, 30)
        );
        assert_eq!(
            (d[0].writes, d[0].sectors_written, d[0].write_ms, d[0].io_ms),
            (200, 4000, 60, 80)
        );
        for ignored in [
            "loop0",
            "ram1",
            "zram0",
            "sda1",
            "vdb12",
            "xvda2",
            "nvme0n1p3",
            "fd0",
        ] {
            assert!(is_ignored_disk(ignored), "{ignored}");
        }
        for kept in ["sda", "vda", "nvme0n1", "dm-0", "md0", "xvdb"] {
            assert!(!is_ignored_disk(kept), "{kept}");
        }
    }

    #[test]
    fn net_dev_snmp_loadavg() {
        let n = parse_net_dev(
            "Inter-|   Receive\n face |bytes\n  eth0: 100 2 3 4 0 0 0 0 500 6 7 8 0 0 0 0\n",
        );
        assert_eq!(n[0].device, "eth0");
        assert_eq!((n[0].rx, n[0].tx), ([100, 2, 3, 4], [500, 6, 7, 8]));
        let t = parse_snmp_tcp("Ip: A\nIp: 1\nTcp: OutSegs RetransSegs MaxConn\nTcp: 6797 5 -1\n");
        assert_eq!(t["OutSegs"], 6797);
        assert_eq!(t["RetransSegs"], 5);
        assert_eq!(t["MaxConn"], -1);
        let (l, r, all) = parse_loadavg("0.96 0.55 0.22 1/140 7935\n").unwrap();
        assert_eq!((l, r, all), ([0.96, 0.55, 0.22], 1, 140));
    }

    #[test]
    fn mounts_and_filters() {
        let m = parse_mounts(
            "/dev/vda1 /mnt/my\\040disk ext4 rw,relatime 0 0\nproc /proc proc ro 0 0\n",
        );
        assert_eq!(m[0].mountpoint, "/mnt/my disk");
        assert!(!m[0].read_only && m[1].read_only);
        assert!(!is_ignored_mount(&m[0]));
        assert!(is_ignored_mount(&m[1]));
    }

    #[test]
    fn tcp_states_counted() {
        let mut c = [0u64; 11];
        count_tcp_states(
            "  sl local rem st\n 0: 0100007F:1F90 00000000:0000 0A x\n 1: a b 01 x\n 2: a b 01 x\n",
            &mut c,
        );
        assert_eq!(c[0], 2);
        assert_eq!(c[9], 1);
    }
}
