//! Small file-system helpers shared by the modules that persist data, and the one place
//! that opens files in a caller-chosen folder:
//!
//! - [`ensure_writable_dir`]: directory creation with an error that names the folder.
//! - [`write_json_atomic`]: atomic JSON writes (temporary file, fsync, rename), so a crash
//!   never leaves a half-written file behind.
//! - [`create_temp`]: temporary files created exclusively (`O_EXCL`), never through a
//!   symbolic link (`O_NOFOLLOW`), under an unpredictable name: a link planted at a
//!   guessable name in a shared folder cannot redirect a write (or a truncation) elsewhere.
//! - [`read_in_dir`]: reads a file of a folder without following a symbolic link and only
//!   when it is a regular file, so a link (or a FIFO) at a profile or result name cannot
//!   make the product read outside its folder (or block).

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Attempts at an unused temporary name before giving up (a collision of 64 random bits
/// means someone is racing us; a few retries are plenty).
const TEMP_ATTEMPTS: usize = 8;

/// Creates `dir` and its parents if needed and checks that it is a writable folder.
/// `field` names the option the folder came from, for the error message.
pub fn ensure_writable_dir(dir: &Path, field: &str) -> Result<(), String> {
    if let Err(e) = fs::create_dir_all(dir) {
        return Err(format!(
            "{field}: cannot create data folder '{}': {e} (accepted: a path to a writable folder)",
            dir.display()
        ));
    }
    // Probing with a real file catches read-only mounts, which permission bits do not
    // show when running as root. The probe is created exclusively under a random name, so
    // it can never truncate what a planted link points to.
    match create_temp(dir, "write-probe") {
        Ok((file, probe)) => {
            drop(file);
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "{field}: data folder '{}' is not writable: {e} (accepted: a path to a writable folder)",
            dir.display()
        )),
    }
}

/// Creates a new, empty temporary file `<dir>/.<prefix>.<random>.tmp` exclusively and
/// without following links; returns it open for writing with its path.
pub fn create_temp(dir: &Path, prefix: &str) -> io::Result<(fs::File, PathBuf)> {
    let mut last = None;
    for _ in 0..TEMP_ATTEMPTS {
        let path = dir.join(format!(".{prefix}.{:016x}.tmp", random_u64()));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
        {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no unused temporary name")))
}

/// Writes `value` as pretty JSON (2-space indentation, as the original framework wrote it)
/// to `path` atomically. A link at `path` itself is replaced, never written through.
pub fn write_json_atomic(path: &Path, value: &serde_json::Value) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    let (mut f, tmp) = create_temp(dir, &file_name)?;
    let result = (|| {
        f.write_all(text.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads `<dir>/<name>` as text; `Ok(None)` when it does not exist. Refuses (with an error
/// saying why) a name that is not a single path component, a symbolic link, and anything
/// that is not a regular file.
pub fn read_in_dir(dir: &Path, name: &str) -> io::Result<Option<String>> {
    let single = Path::new(name).components().count() == 1
        && !name.contains('/')
        && name != ".."
        && name != ".";
    if !single {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a plain file name of the folder"),
        ));
    }
    let path = dir.join(name);
    // O_NONBLOCK: opening a FIFO planted at the name must not block; it is then refused
    // as not a regular file.
    let mut f = match fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a symbolic link (refused: files are read only from inside their folder)",
            ))
        }
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is not a regular file (refused)",
        ));
    }
    let mut text = String::with_capacity(meta.size().min(1 << 20) as usize);
    f.read_to_string(&mut text)?;
    Ok(Some(text))
}

/// 64 unpredictable bits from the kernel (`getrandom`), for temporary names. Falls back to
/// the clock and the process id mixed (still unique per attempt) on a kernel without it.
fn random_u64() -> u64 {
    let mut buf = [0u8; 8];
    // SAFETY: the buffer is valid for 8 writable bytes.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n == buf.len() as isize {
        return u64::from_ne_bytes(buf);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32);
    // splitmix64 finaliser: spreads the clock bits over the whole name.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// True when `name` is safe inside a file name: 1 to `max_len` ASCII letters, digits,
/// `_`, `-` or one of `extra`, starting with a letter or digit (so no `..`, `/` or
/// hidden files).
pub fn is_plain_identifier(name: &str, max_len: usize, extra: &[char]) -> bool {
    !name.is_empty()
        && name.len() <= max_len
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || extra.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_json_atomic(&path, &serde_json::json!({"a": 1})).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.json")]);
        assert_eq!(fs::read_to_string(&path).unwrap(), "{\n  \"a\": 1\n}\n");
    }

    #[test]
    fn unwritable_dir_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        fs::write(&file, b"x").unwrap();
        let err = ensure_writable_dir(&file.join("sub"), "metricsPath").unwrap_err();
        assert!(err.contains("metricsPath"), "{err}");
        assert!(err.contains("plain-file/sub"), "{err}");
    }

    #[test]
    fn a_link_at_the_old_probe_name_is_not_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        std::os::unix::fs::symlink(
            &target,
            data.join(format!(".write-probe-{}", std::process::id())),
        )
        .unwrap();
        ensure_writable_dir(&data, "metricsPath").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
    }

    #[test]
    fn a_link_at_the_old_temporary_name_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        std::os::unix::fs::symlink(
            &target,
            data.join(format!(".x.json.tmp-{}", std::process::id())),
        )
        .unwrap();
        write_json_atomic(&data.join("x.json"), &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        // A link at the target name itself is replaced by the file, not written through.
        std::os::unix::fs::symlink(&target, data.join("y.json")).unwrap();
        write_json_atomic(&data.join("y.json"), &serde_json::json!({"b": 2})).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert!(!fs::symlink_metadata(data.join("y.json"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn temporary_names_are_unpredictable_and_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let (_, a) = create_temp(dir.path(), "p").unwrap();
        let (_, b) = create_temp(dir.path(), "p").unwrap();
        assert_ne!(a, b);
        assert!(
            !a.to_string_lossy()
                .contains(&std::process::id().to_string())
                || a != b
        );
    }

    #[test]
    fn read_in_dir_refuses_links_fifos_and_paths() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.json");
        fs::write(&outside, b"{}").unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::write(data.join("ok.json"), b"{\"a\":1}").unwrap();
        assert_eq!(read_in_dir(&data, "ok.json").unwrap().unwrap(), "{\"a\":1}");
        assert!(read_in_dir(&data, "missing.json").unwrap().is_none());
        std::os::unix::fs::symlink(&outside, data.join("x.json")).unwrap();
        let e = read_in_dir(&data, "x.json").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let fifo = std::ffi::CString::new(data.join("f.json").to_str().unwrap()).unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let e = read_in_dir(&data, "f.json").unwrap_err();
        assert!(e.to_string().contains("regular file"), "{e}");
        assert!(read_in_dir(&data, "../outside.json").is_err());
    }
}
