//! The folder a storage benchmark writes into: which file system it is (statfs magic), which
//! block device and logical block size lie under it (sysfs), how much space is free
//! (statvfs), and whether it can be written at all — all checked before any load starts.
//! tmpfs, ramfs, overlay and FUSE are flagged, since numbers measured there are not the
//! disk's (fio issues #329, #383, #1060).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bench::{BenchError, BenchResult};

/// File systems we name, by statfs magic (linux: include/uapi/linux/magic.h).
const FS_TYPES: &[(i64, &str)] = &[
    (0xEF53, "ext4"),
    (0x5846_5342, "xfs"),
    (0x9123_683E, "btrfs"),
    (0xF2F5_2010, "f2fs"),
    (0x2FC1_2FC1, "zfs"),
    (0x6969, "nfs"),
    (0xFF53_4D42, "cifs"),
    (0x0102_1994, "tmpfs"),
    (0x8584_58F6, "ramfs"),
    (0x794C_7630, "overlay"),
    (0x6573_5546, "fuse"),
];

/// File systems whose numbers are not a block device's.
const NOT_A_DISK: &[&str] = &["tmpfs", "ramfs", "overlay", "fuse"];

/// Logical block size assumed when sysfs does not say (the smallest any device uses).
const FALLBACK_LOGICAL_BLOCK: u64 = 512;

/// What the target folder is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetInfo {
    /// The folder the test file is created in.
    pub directory: PathBuf,
    /// True when the benchmark created this folder (and removes it at the end).
    pub created: bool,
    /// File system type name, or `unknown(0x…)`.
    pub fs_type: String,
    /// statfs `f_bsize`, bytes.
    pub fs_block_size: u64,
    /// The block device under the folder, e.g. `vda` (null when there is none).
    pub device: Option<String>,
    /// The device's logical block size, bytes (O_DIRECT alignment unit).
    pub logical_block_size: u64,
    /// `sysfs` when read from the device, `assumed` otherwise.
    pub logical_block_source: &'static str,
    /// Bytes free to an unprivileged writer (statvfs `f_bavail × f_frsize`); null when
    /// the file system reports no size (ramfs).
    pub free_bytes: Option<u64>,
    /// Set when the file system is tmpfs, ramfs, overlay or FUSE: not a disk measurement.
    pub warning: Option<String>,
}

impl TargetInfo {
    /// True when the folder is not on a block-device file system.
    pub fn is_flagged(&self) -> bool {
        self.warning.is_some()
    }
}

/// Inspects `dir`, which must exist, be a folder and be writable.
pub fn inspect(dir: &Path, field: &str, created: bool) -> BenchResult<TargetInfo> {
    let meta = std::fs::metadata(dir).map_err(|e| {
        BenchError::Target(format!(
            "{field}: got {:?}: {e} (accepted: an existing, writable folder)",
            dir.display().to_string()
        ))
    })?;
    if !meta.is_dir() {
        return Err(BenchError::Target(format!(
            "{field}: got {:?}, which is not a folder (accepted: an existing, writable folder)",
            dir.display().to_string()
        )));
    }
    check_writable(dir, field)?;
    let (magic, bsize) = statfs(dir).map_err(|e| {
        BenchError::Target(format!("{field}: statfs({}) failed: {e}", dir.display()))
    })?;
    let fs_type = FS_TYPES
        .iter()
        .find(|(m, _)| *m == magic)
        .map(|(_, n)| (*n).to_owned())
        .unwrap_or_else(|| format!("unknown(0x{magic:x})"));
    let (device, logical) = block_device(meta.dev());
    let warning = NOT_A_DISK.contains(&fs_type.as_str()).then(|| {
        format!(
            "{} is on {fs_type}: the numbers measure memory or another layer, not a disk",
            dir.display()
        )
    });
    Ok(TargetInfo {
        directory: dir.to_path_buf(),
        created,
        fs_type,
        fs_block_size: bsize,
        device,
        logical_block_size: logical.unwrap_or(FALLBACK_LOGICAL_BLOCK),
        logical_block_source: if logical.is_some() {
            "sysfs"
        } else {
            "assumed"
        },
        free_bytes: free_bytes(dir).ok().flatten(),
        warning,
    })
}

/// The default target: a new folder under the first temporary location that is on a disk
/// (`$TMPDIR`, then `/var/tmp`); the system temp folder is often a tmpfs (rule S2).
pub fn default_dir() -> BenchResult<TargetInfo> {
    let mut candidates = vec![std::env::temp_dir(), PathBuf::from("/var/tmp")];
    candidates.dedup();
    let mut first_usable = None;
    for base in candidates {
        let Ok(info) = inspect(&base, "storage.directory (default)", false) else {
            continue;
        };
        if !info.is_flagged() {
            return make_run_dir(&base);
        }
        first_usable.get_or_insert(base);
    }
    match first_usable {
        Some(base) => make_run_dir(&base),
        None => Err(BenchError::Target(
            "storage.directory: no writable temporary folder found (accepted: pass an existing, writable folder)".into(),
        )),
    }
}

fn make_run_dir(base: &Path) -> BenchResult<TargetInfo> {
    let dir = base.join(format!(
        "novacron-perf-storage-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir(&dir).map_err(|e| {
        BenchError::Target(format!(
            "storage.directory: cannot create {}: {e}",
            dir.display()
        ))
    })?;
    inspect(&dir, "storage.directory", true).inspect_err(|_| {
        let _ = std::fs::remove_dir(&dir);
    })
}

/// A number unique within this process.
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn check_writable(dir: &Path, field: &str) -> BenchResult<()> {
    // A real file, because permission bits say nothing to root or about read-only mounts.
    let probe = dir.join(format!(
        ".novacron-perf-probe-{}-{}",
        std::process::id(),
        unique()
    ));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(BenchError::Target(format!(
            "{field}: {:?} is not writable: {e} (accepted: an existing, writable folder)",
            dir.display().to_string()
        ))),
    }
}

fn cpath(p: &Path) -> std::io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other)
}

fn statfs(dir: &Path) -> std::io::Result<(i64, u64)> {
    let c = cpath(dir)?;
    // SAFETY: `c` is a valid NUL-terminated path and `buf` a properly sized out-parameter.
    unsafe {
        let mut buf: libc::statfs = std::mem::zeroed();
        if libc::statfs(c.as_ptr(), &mut buf) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((buf.f_type as i64, buf.f_bsize as u64))
    }
}

/// Free bytes for unprivileged writers under `dir`; `None` when the file system has no
/// size (ramfs reports 0 blocks and grows until memory runs out).
pub fn free_bytes(dir: &Path) -> std::io::Result<Option<u64>> {
    let c = cpath(dir)?;
    // SAFETY: as in `statfs`.
    unsafe {
        let mut buf: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut buf) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((buf.f_blocks > 0).then(|| buf.f_bavail as u64 * buf.f_frsize as u64))
    }
}

/// The device name and logical block size of `dev` from sysfs. A partition has no `queue`
/// folder of its own; its parent (the whole disk) does.
fn block_device(dev: u64) -> (Option<String>, Option<u64>) {
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let node = PathBuf::from(format!("/sys/dev/block/{major}:{minor}"));
    let Ok(real) = std::fs::canonicalize(&node) else {
        return (None, None);
    };
    let name = real.file_name().map(|n| n.to_string_lossy().into_owned());
    let read = |p: PathBuf| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse().ok() };
    let logical = read(real.join("queue/logical_block_size"))
        .or_else(|| read(real.parent()?.join("queue/logical_block_size")));
    (name, logical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_folder_is_inspected_like_df_says() {
        let dir = tempfile::tempdir().unwrap();
        let info = inspect(dir.path(), "storage.directory", false).unwrap();
        assert!(info.logical_block_size >= 512 && info.logical_block_size.is_power_of_two());
        assert!(info.free_bytes.unwrap() > 0);
        assert_eq!(
            info.is_flagged(),
            NOT_A_DISK.contains(&info.fs_type.as_str())
        );
    }

    #[test]
    fn missing_folder_and_file_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = inspect(&missing, "storage.directory", false)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("storage.directory: got ") && e.contains("nope"),
            "{e}"
        );
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let e = inspect(&file, "storage.directory", false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a folder"), "{e}");
    }

    #[test]
    fn tmpfs_is_flagged() {
        let Ok(info) = inspect(Path::new("/dev/shm"), "d", false) else {
            return; // no writable /dev/shm here
        };
        if info.fs_type == "tmpfs" {
            assert!(info.warning.unwrap().contains("tmpfs"));
        }
    }
}
