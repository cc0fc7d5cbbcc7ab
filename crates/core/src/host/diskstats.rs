//! `/proc/diskstats`: I/O counters per block device (kernel
//! `Documentation/admin-guide/iostats.rst`), and node_exporter's rule for which devices
//! count.

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
pub fn parse(text: &str) -> Vec<DiskStat> {
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

/// The whole disks of `/proc/diskstats` (partitions, RAM and loop devices left out).
pub fn read_disks() -> Vec<DiskStat> {
    parse(&super::read("/proc/diskstats").unwrap_or_default())
        .into_iter()
        .filter(|d| !is_ignored_disk(&d.device))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diskstats_and_ignored_devices() {
        let d = parse(
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
}
