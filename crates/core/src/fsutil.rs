//! Small file-system helpers shared by the modules that persist data: directory creation
//! with an error that names the folder, and atomic JSON writes (write to a temporary file in
//! the same folder, fsync, rename) so that a crash never leaves a half-written file behind.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

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
    // show when running as root.
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    match fs::File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(format!(
            "{field}: data folder '{}' is not writable: {e} (accepted: a path to a writable folder)",
            dir.display()
        )),
    }
}

/// Writes `value` as pretty JSON (2-space indentation, as the original framework wrote it)
/// to `path` atomically.
pub fn write_json_atomic(path: &Path, value: &serde_json::Value) -> io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
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
}
