//! A read-only store folder and a full disk: clear errors, existing data stays readable.
//!
//! These tests mount small tmpfs file systems (they need root and permission to mount); where
//! mounting is not permitted they print why and skip. Every mount is unmounted on the way out.

use std::path::{Path, PathBuf};
use std::process::Command;

use novacron_perf_core::store::{Query, SeriesId, SeriesKey, Store, StoreError, StoreOptions};

const T0: i64 = 1_700_000_000_000;

/// A tmpfs mounted on a fresh folder; unmounted (lazily, so a leaked handle cannot keep it)
/// when dropped.
struct Tmpfs {
    path: PathBuf,
    _holder: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(options: &str) -> Option<Tmpfs> {
        let holder = tempfile::tempdir().ok()?;
        let path = holder.path().join("mnt");
        std::fs::create_dir(&path).ok()?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&path)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs {
                path,
                _holder: holder,
            }),
            Ok(o) => {
                eprintln!(
                    "SKIP: cannot mount a tmpfs ({}); this test needs root and mount permission",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIP: cannot run mount: {e}");
                None
            }
        }
    }

    fn remount_ro(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn fill(store: &Store, ids: &[SeriesId], from: i64, ticks: i64) {
    let mut batch = Vec::new();
    for i in from..from + ticks {
        for (k, &id) in ids.iter().enumerate() {
            batch.push((id, T0 + i * 5000, (i * (k as i64 + 1)) as f64));
        }
    }
    store.append_batch(&batch).unwrap();
}

fn count(store: &Store) -> usize {
    store
        .query(&Query::range(0, i64::MAX))
        .unwrap()
        .iter()
        .map(|d| d.points.len())
        .sum()
}

fn register(store: &Store, n: usize) -> Vec<SeriesId> {
    (0..n)
        .map(|k| {
            store
                .series_id(&SeriesKey::new("m", &[("k", &k.to_string())]))
                .unwrap()
        })
        .collect()
}

fn check_read_only(dir: &Path, expected: usize) {
    let s = Store::open(StoreOptions::new(dir)).unwrap();
    assert!(s.is_read_only());
    assert_eq!(count(&s), expected);
    let mut q = Query::range(0, i64::MAX);
    q.step_ms = Some(3_600_000);
    assert!(!s.query(&q).unwrap()[0].aggregated.is_empty());
    let st = s.stats().unwrap();
    assert!(st.read_only);
    assert_eq!(st.samples as usize, expected);
    // known series still resolve; writes are refused with the folder named
    let ids = register(&s, 2);
    let e = s.append(T0 + 1_000_000_000, &[(ids[0], 1.0)]).unwrap_err();
    assert!(matches!(e, StoreError::ReadOnly { .. }), "{e}");
    assert!(e.to_string().contains(&dir.display().to_string()), "{e}");
    assert!(e.to_string().contains("read-only"), "{e}");
    assert!(s.series_id(&SeriesKey::new("new_one", &[])).is_err());
    assert!(s
        .append_batch(&[(ids[0], T0 + 2_000_000_000, 1.0)])
        .is_err());
    assert!(s.apply_retention(T0 + 1_000_000_000_000).is_err());
    s.flush().unwrap();
    s.close().unwrap();
}

#[test]
fn read_only_folder_keeps_data_readable_and_refuses_writes() {
    let Some(fs) = Tmpfs::mount("size=32m") else {
        return;
    };
    let dir = fs.path.join("metrics");
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    let ids = register(&s, 2);
    fill(&s, &ids, 0, 3000);
    s.flush().unwrap();
    fill(&s, &ids, 3000, 100); // left in write-ahead rows: visible read-only too
    drop(s);
    assert!(fs.remount_ro(), "remount read-only");
    check_read_only(&dir, 2 * 3100);
    // a new store cannot be created on a read-only file system
    let e = Store::open(StoreOptions::new(fs.path.join("other")))
        .err()
        .unwrap();
    assert!(e.to_string().contains("other"), "{e}");
}

#[test]
fn read_only_by_permissions_when_not_root() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("metrics");
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    let ids = register(&s, 2);
    fill(&s, &ids, 0, 500);
    s.close().unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = dir.join("probe");
    let bypass = std::fs::File::create(&probe).is_ok();
    if bypass {
        let _ = std::fs::remove_file(&probe);
        eprintln!("SKIP: running as root, which ignores folder permissions; the tmpfs test covers read-only folders");
    } else {
        check_read_only(&dir, 1000);
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn full_disk_gives_a_clear_error_and_keeps_data() {
    let Some(fs) = Tmpfs::mount("size=2m") else {
        return;
    };
    let dir = fs.path.join("metrics");
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    let ids = register(&s, 4);
    fill(&s, &ids, 0, 2000);
    s.flush().unwrap();
    fill(&s, &ids, 2000, 10); // acknowledged, pending
                              // Fill the file system.
    let filler = fs.path.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0xa5u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    // A large append cannot be written: clear error, nothing acknowledged.
    let mut big = Vec::new();
    for i in 2010..12_010i64 {
        for &id in &ids {
            big.push((id, T0 + i * 5000, i as f64 + 0.123));
        }
    }
    let e = s.append_batch(&big).unwrap_err();
    assert!(e.is_disk_full(), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("SQLITE_FULL"), "{msg}");
    assert!(msg.contains(&dir.display().to_string()), "{msg}");
    // Everything acknowledged before is readable, from this handle ...
    assert_eq!(count(&s), 4 * 2010);
    assert!(s.stats().is_ok());
    // ... the failed call left no trace, and after freeing space writes work again.
    std::fs::remove_file(&filler).unwrap();
    fill(&s, &ids, 2010, 100);
    s.flush().unwrap();
    assert_eq!(count(&s), 4 * 2110);
    s.close().unwrap();
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    assert_eq!(count(&s), 4 * 2110);
    s.close().unwrap();
}

#[test]
fn full_disk_during_flush_keeps_pending_samples() {
    let Some(fs) = Tmpfs::mount("size=2m") else {
        return;
    };
    let dir = fs.path.join("metrics");
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    let ids = register(&s, 4);
    fill(&s, &ids, 0, 3000); // pending until the flush
    let filler = fs.path.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0x5au8; 4096];
        while f.write_all(&block).is_ok() {}
    }
    match s.flush() {
        Err(e) => assert!(e.is_disk_full(), "{e}"),
        Ok(()) => eprintln!("note: the flush fitted in the space left"),
    }
    assert_eq!(count(&s), 4 * 3000);
    drop(s);
    // Reopening on the full disk opens read-only (SQLite cannot size its shared-memory
    // file) or read-write if it fits; either way everything acknowledged is there.
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    assert_eq!(count(&s), 4 * 3000);
    if s.is_read_only() {
        let e = s.append(T0 + 1_000_000_000, &[(ids[0], 1.0)]).unwrap_err();
        assert!(e.to_string().contains("disk was full"), "{e}");
    }
    drop(s);
    std::fs::remove_file(&filler).unwrap();
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    assert!(!s.is_read_only());
    s.flush().unwrap();
    assert_eq!(s.stats().unwrap().pending_samples, 0);
    assert_eq!(count(&s), 4 * 3000);
    s.close().unwrap();
}

#[test]
fn a_link_at_the_database_name_is_refused_and_its_target_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"").unwrap();
    let dir = tmp.path().join("store");
    std::fs::create_dir(&dir).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("history.db")).unwrap();
    let opened = Store::open(StoreOptions::new(&dir));
    assert!(opened.is_err(), "the store opened through a planted link");
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"",
        "the link's target was written"
    );
}
