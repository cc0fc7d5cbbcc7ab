//! Profiles on disk under `profilesPath`: custom profiles as `<name>.json` (the
//! configuration, pretty JSON) and user overrides of built-ins as `<name>-overrides.json`,
//! deep-merged on load. Malformed files are errors that name the file — never silently
//! ignored — and every configuration is validated before it is saved or returned.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{builtin, merge::deep_merge, schema::validate, validate_name, ProfileError};
use crate::fsutil::{ensure_writable_dir, read_in_dir, write_json_atomic};

const OVERRIDES_SUFFIX: &str = "-overrides";

/// The profile folder.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    dir: PathBuf,
}

/// A custom profile read from disk.
#[derive(Debug, Clone)]
pub struct StoredProfile {
    /// Profile name (the file stem).
    pub name: String,
    /// Its configuration.
    pub config: Value,
}

impl ProfileStore {
    /// A store over `dir` (which need not exist until something is saved).
    pub fn new(dir: &Path) -> ProfileStore {
        ProfileStore {
            dir: dir.to_path_buf(),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads `name`: a built-in (with its overrides file merged in) or a custom profile.
    pub fn load(&self, name: &str) -> Result<Value, ProfileError> {
        validate_name(name)?;
        if let Some(b) = builtin::find(name) {
            let base = b.config();
            let config = match self.read(&self.file(&format!("{name}{OVERRIDES_SUFFIX}")))? {
                Some(overrides) => deep_merge(&base, &overrides),
                None => base,
            };
            validate(name, &config)?;
            return Ok(config);
        }
        match self.read(&self.file(name))? {
            Some(config) => {
                validate(name, &config)?;
                Ok(config)
            }
            None => Err(ProfileError::NotFound {
                name: name.to_owned(),
                available: self.available_names()?.join(", "),
            }),
        }
    }

    /// Validates and saves a custom profile; returns the file written.
    pub fn save(&self, name: &str, config: &Value) -> Result<PathBuf, ProfileError> {
        validate_name(name)?;
        if builtin::find(name).is_some() {
            return Err(ProfileError::BuiltinName(name.to_owned()));
        }
        if name.ends_with(OVERRIDES_SUFFIX) {
            return Err(ProfileError::InvalidName(name.to_owned()));
        }
        validate(name, config)?;
        ensure_writable_dir(&self.dir, "profilePath").map_err(|message| ProfileError::Io {
            file: self.dir.display().to_string(),
            message,
        })?;
        let path = self.file(name);
        write_json_atomic(&path, config).map_err(|e| ProfileError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(path)
    }

    /// Custom profiles on disk, by name. A missing folder means none.
    pub fn list_custom(&self) -> Result<Vec<StoredProfile>, ProfileError> {
        let mut out = Vec::new();
        for name in self.custom_names()? {
            let config = self.load(&name)?;
            out.push(StoredProfile { name, config });
        }
        Ok(out)
    }

    fn custom_names(&self) -> Result<Vec<String>, ProfileError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(ProfileError::Io {
                    file: self.dir.display().to_string(),
                    message: e.to_string(),
                })
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .map(str::to_owned)
            })
            .filter(|n| {
                !n.ends_with(OVERRIDES_SUFFIX)
                    && builtin::find(n).is_none()
                    && validate_name(n).is_ok()
            })
            .collect();
        names.sort();
        Ok(names)
    }

    fn available_names(&self) -> Result<Vec<String>, ProfileError> {
        let mut names: Vec<String> = builtin::NAMES.iter().map(|s| s.to_string()).collect();
        names.extend(self.custom_names()?);
        Ok(names)
    }

    fn file(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.json"))
    }

    /// Reads a JSON file of the folder; `None` when it does not exist. The file is opened
    /// without following links and must be a regular file inside the folder, and a key
    /// that would set a prototype in JS is refused (see [`super::schema::forbidden_key`]).
    fn read(&self, path: &Path) -> Result<Option<Value>, ProfileError> {
        let io_err = |message: String| ProfileError::Io {
            file: path.display().to_string(),
            message,
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| io_err("not a file name".into()))?;
        let text = match read_in_dir(&self.dir, name) {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => return Err(io_err(e.to_string())),
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| ProfileError::Malformed {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        if let Some(key_path) = super::schema::forbidden_key(&value) {
            return Err(ProfileError::Malformed {
                file: path.display().to_string(),
                message: format!(
                    "key '{key_path}' is refused (keys __proto__, constructor and prototype are not accepted)"
                ),
            });
        }
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn save_then_a_new_store_loads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(&dir.path().join("profiles"));
        let mut cfg = builtin::find("production").unwrap().config();
        cfg["framework"]["maxConcurrency"] = json!(16);
        store.save("high-throughput", &cfg).unwrap();
        let again = ProfileStore::new(&dir.path().join("profiles"));
        assert_eq!(again.load("high-throughput").unwrap(), cfg);
        let list = again.list_custom().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "high-throughput");
    }

    #[test]
    fn overrides_are_merged_into_builtins() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("production-overrides.json"),
            r#"{"framework": {"samplingInterval": 1000}}"#,
        )
        .unwrap();
        let p = ProfileStore::new(dir.path()).load("production").unwrap();
        assert_eq!(p["framework"]["samplingInterval"], 1000);
        assert_eq!(p["framework"]["benchmarkTimeout"], 600_000);
    }

    #[test]
    fn bad_inputs_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path());
        fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
        let e = store.load("broken").unwrap_err();
        assert!(
            e.to_string().contains("broken.json") && e.to_string().contains("line 1"),
            "{e}"
        );
        let e = store.load("nope").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Profile 'nope' not found (accepted: development,"),
            "{e}"
        );
        assert!(matches!(
            store.load("../x"),
            Err(ProfileError::InvalidName(_))
        ));
        let cfg = builtin::find("production").unwrap().config();
        assert!(matches!(
            store.save("production", &cfg),
            Err(ProfileError::BuiltinName(_))
        ));
        assert!(matches!(
            store.save("/etc/x", &cfg),
            Err(ProfileError::InvalidName(_))
        ));
        assert!(store.save("bad", &json!({"framework": {}})).is_err());
        assert!(
            !dir.path().join("bad.json").exists(),
            "invalid profiles are not written"
        );
    }

    #[test]
    fn links_and_prototype_keys_are_refused_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = dir.path().join("profiles");
        fs::create_dir(&profiles).unwrap();
        let outside = dir.path().join("secret.json");
        let cfg = builtin::find("production").unwrap().config();
        fs::write(&outside, cfg.to_string()).unwrap();
        std::os::unix::fs::symlink(&outside, profiles.join("x.json")).unwrap();
        let store = ProfileStore::new(&profiles);
        let e = store.load("x").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        std::os::unix::fs::symlink(&outside, profiles.join("production-overrides.json")).unwrap();
        assert!(store.load("production").is_err());
        fs::remove_file(profiles.join("production-overrides.json")).unwrap();
        fs::write(
            profiles.join("evil.json"),
            r#"{"framework": {"__proto__": {"isAdmin": true}}}"#,
        )
        .unwrap();
        let e = store.load("evil").unwrap_err();
        assert!(e.to_string().contains("framework.__proto__"), "{e}");
    }

    #[test]
    fn save_does_not_write_through_a_link_at_the_old_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let profiles = dir.path().join("profiles");
        fs::create_dir(&profiles).unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        std::os::unix::fs::symlink(
            &target,
            profiles.join(format!(".mine.json.tmp-{}", std::process::id())),
        )
        .unwrap();
        let cfg = builtin::find("production").unwrap().config();
        ProfileStore::new(&profiles).save("mine", &cfg).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert_eq!(ProfileStore::new(&profiles).load("mine").unwrap(), cfg);
    }

    #[test]
    fn prototype_keys_are_refused_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = builtin::find("production").unwrap().config();
        cfg["framework"]
            .as_object_mut()
            .unwrap()
            .insert("__proto__".into(), json!({"isAdmin": true}));
        let e = ProfileStore::new(dir.path()).save("p", &cfg).unwrap_err();
        assert!(e.to_string().contains("framework.__proto__"), "{e}");
    }
}
