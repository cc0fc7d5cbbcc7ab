//! File systems: size, free and available space of each mounted file system node_exporter
//! would report (`statvfs`), and the `node_filesystem_*` gauges.

use serde::Serialize;

use crate::collect::rates::round2;
use crate::host::mounts::{statvfs, Mount};
use crate::prometheus::{Family, MetricKind::*};

/// One row of the `filesystems` slot, bytes (`usage` in %).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilesystemReading {
    /// Source device.
    pub device: String,
    /// Mount point.
    pub mountpoint: String,
    /// File system type.
    pub fstype: String,
    /// Size.
    pub size: u64,
    /// Available to unprivileged users.
    pub avail: u64,
    /// Free (including the root reserve).
    pub free: u64,
    /// `size − free`.
    pub used: u64,
    /// `used / size`, %.
    pub usage: Option<f64>,
}

/// The `filesystems` rows (one per mount point), and their families.
pub fn read(mounts: &[Mount], families: &mut Vec<Family>) -> Vec<FilesystemReading> {
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
        rows.push(FilesystemReading {
            device: m.device.clone(),
            mountpoint: m.mountpoint.clone(),
            fstype: m.fstype.clone(),
            size: v.size,
            avail: v.avail,
            free: v.free,
            used,
            usage: (v.size > 0).then(|| round2(used as f64 / v.size as f64 * 100.0)),
        });
    }
    families.extend([size, avail, free, files, files_free, readonly]);
    rows
}
