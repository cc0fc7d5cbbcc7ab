//! One writer per store folder: a writable [`super::Store`] holds an exclusive `flock` on
//! `<dir>/writer.lock` for as long as it lives, with its PID written inside, so that a second
//! writer (another process, or a second store in this one) is refused at open with the folder
//! and the holder's PID instead of failing every later commit with "database is locked".
//!
//! The lock is advisory and dies with its holder's file descriptor: a `kill -9`ed writer
//! never leaves a stale lock behind, the stale PID in the file is simply overwritten.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::StoreError;

/// The lock file's name inside the store folder.
pub(super) const LOCK_FILE: &str = "writer.lock";

/// The held lock; released when dropped (the descriptor is closed).
#[derive(Debug)]
pub(super) struct WriterLock {
    _file: File,
}

/// Takes the writer lock of `dir` without waiting; an error names the folder and the PID
/// of the process that holds it.
pub(super) fn acquire(dir: &Path) -> Result<WriterLock, StoreError> {
    let path = dir.join(LOCK_FILE);
    let io_err = |message: String| StoreError::Io {
        op: "open",
        path: dir.display().to_string(),
        message,
    };
    // No-follow: a link planted at the lock's name must not make us truncate its target.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| {
            io_err(format!(
                "cannot open the writer lock '{}': {e}",
                path.display()
            ))
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match text.trim().parse::<u32>() {
                Ok(pid) => format!("process {pid}"),
                Err(_) => "another process".to_owned(),
            };
            return Err(io_err(format!(
                "the store folder is in use by another writer ({holder} holds '{}') \
                 (accepted: one writer per folder: stop and close the other collector, or \
                 use another storageLocation)",
                path.display()
            )));
        }
        // A filesystem without flock support: nothing to hold, as before the lock existed.
        Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {}
        Err(TryLockError::Error(e)) => {
            return Err(io_err(format!("cannot lock '{}': {e}", path.display())))
        }
    }
    let pid = std::process::id().to_string();
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(pid.as_bytes()));
    written.map_err(|e| {
        io_err(format!(
            "cannot write the writer lock '{}': {e}",
            path.display()
        ))
    })?;
    Ok(WriterLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_folder_and_the_holder_pid_and_drop_releases() {
        let tmp = tempfile::tempdir().unwrap();
        let first = acquire(tmp.path()).unwrap();
        let e = acquire(tmp.path()).unwrap_err().to_string();
        assert!(e.contains(&tmp.path().display().to_string()), "{e}");
        assert!(
            e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        drop(first);
        acquire(tmp.path()).unwrap();
    }

    #[test]
    fn a_link_at_the_lock_name_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, tmp.path().join(LOCK_FILE)).unwrap();
        assert!(acquire(tmp.path()).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }
}
