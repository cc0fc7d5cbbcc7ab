//! `/proc/mounts` and `statvfs(3)`: mounted file systems and their size, free space and
//! inodes, and node_exporter's rule for which mounts count.

use std::path::Path;

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
pub fn parse(text: &str) -> Vec<Mount> {
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

/// Every mount of `/proc/mounts` (empty when it cannot be read).
pub fn read_all() -> Vec<Mount> {
    parse(&super::read("/proc/mounts").unwrap_or_default())
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
    const FS: [&str; 24] = [
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
        "squashfs",
        "sysfs",
        "tracefs",
    ];
    if FS.contains(&m.fstype.as_str()) {
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

/// Size and free space of one file system, from `statvfs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsStat {
    /// Size, bytes.
    pub size: u64,
    /// Bytes available to unprivileged users.
    pub avail: u64,
    /// Free bytes (including the root reserve).
    pub free: u64,
    /// Inodes.
    pub files: u64,
    /// Free inodes.
    pub files_free: u64,
}

/// `statvfs(path)`; `None` when the call fails.
pub fn statvfs(path: &str) -> Option<FsStat> {
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

/// The mount holding `path` (the longest mount point that is a prefix of its canonical
/// form) among `mounts`.
pub fn mount_of<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    mounts
        .iter()
        .filter(|m| path.starts_with(&m.mountpoint))
        .max_by_key(|m| m.mountpoint.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_and_filters() {
        let m = parse("/dev/vda1 /mnt/my\\040disk ext4 rw,relatime 0 0\nproc /proc proc ro 0 0\n");
        assert_eq!(m[0].mountpoint, "/mnt/my disk");
        assert!(!m[0].read_only && m[1].read_only);
        assert!(!is_ignored_mount(&m[0]));
        assert!(is_ignored_mount(&m[1]));
    }

    #[test]
    fn the_mount_holding_a_path() {
        let m = parse("root / ext4 rw 0 0\n/dev/vdb /data xfs rw 0 0\n");
        assert_eq!(mount_of(&m, Path::new("/data/x/y")).unwrap().fstype, "xfs");
        assert_eq!(mount_of(&m, Path::new("/datax")).unwrap().fstype, "ext4");
        let here = statvfs(".").unwrap();
        assert!(here.size > 0 && here.free <= here.size);
    }
}
