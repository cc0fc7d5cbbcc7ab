//! File systems: size, free and available space of each mounted file system node_exporter
//! would report (`statvfs`), and the `node_filesystem_*` gauges.

use serde::Serialize;

use crate::collect::rates::round2;
use crate::host::mounts::Mount;
use crate::host::statfs::{Outcome, StatfsWatch};
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
///
/// Each `statfs` goes through `watch`: a mount that does not answer within its timeout is
/// left out of the rows and shows `node_filesystem_device_error 1` (node_exporter's
/// signal), as does one whose call fails; `warnings` gets one line per mount that timed out.
pub fn read(
    mounts: &[Mount],
    watch: &StatfsWatch,
    families: &mut Vec<Family>,
    warnings: &mut Vec<String>,
) -> Vec<FilesystemReading> {
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
    let mut device_error = fam(
        "node_filesystem_device_error",
        "Whether an error occurred while getting statistics for the given device.",
    );
    for m in mounts {
        if !seen.insert(m.mountpoint.clone()) {
            continue;
        }
        let labels = [
            ("device", m.device.as_str()),
            ("fstype", m.fstype.as_str()),
            ("mountpoint", m.mountpoint.as_str()),
        ];
        let v = match watch.stat(&m.mountpoint) {
            Outcome::Ok(v) => v,
            outcome => {
                if outcome == Outcome::TimedOut {
                    warnings.push(format!(
                        "mount point {:?}: statfs did not answer in time; skipped until it answers",
                        m.mountpoint
                    ));
                }
                device_error.push(&labels, 1.0);
                continue;
            }
        };
        device_error.push(&labels, 0.0);
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
    families.extend([size, avail, free, files, files_free, readonly, device_error]);
    rows
}
