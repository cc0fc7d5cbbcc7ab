//! Environment profiles (api-spec §12): the nine built-in profiles, whose values live in
//! the package's `profiles/*.json` files (compiled in, so they are always present), custom
//! profiles saved as `<profilesPath>/<name>.json`, `<name>-overrides.json` files, schema
//! validation, deep merge, workload tuning and environment detection.
//!
//! - [`builtin`]: the table of built-in profiles.
//! - [`schema`]: what a valid profile configuration is.
//! - [`merge`]: the `deepMerge` rule.
//! - [`tuning`]: `ProfileOptimizer`'s workload flags.
//! - [`store`]: custom and override files on disk.
//! - [`detect`]: the `detectEnvironment` rules.

pub mod builtin;
pub mod detect;
pub mod merge;
pub mod schema;
pub mod store;
pub mod tuning;

use thiserror::Error;

/// Profile errors.
#[derive(Debug, Error)]
pub enum ProfileError {
    /// A name that is not a plain identifier.
    #[error("profile name: got {0:?} (accepted: 1 to 64 letters, digits, '_' or '-', starting with a letter or digit)")]
    InvalidName(String),
    /// No built-in or custom profile of that name.
    #[error("Profile '{name}' not found (accepted: {available})")]
    NotFound {
        /// The name asked for.
        name: String,
        /// Names that exist.
        available: String,
    },
    /// `optimizeProfile` takes built-in names only (api-spec §12.3).
    #[error("Profile {0} not found (accepted: a built-in profile name: {list})", list = builtin::NAMES.join(", "))]
    NotBuiltin(String),
    /// A custom profile may not shadow a built-in one.
    #[error("profile name: '{0}' is a built-in profile (accepted: a name that is not one of {list})", list = builtin::NAMES.join(", "))]
    BuiltinName(String),
    /// The configuration breaks the schema.
    #[error("profile '{profile}': {path}: got {got} (accepted: {accepted})")]
    Invalid {
        /// Profile name.
        profile: String,
        /// Dotted path of the field.
        path: String,
        /// The offending value, as JSON.
        got: String,
        /// What is accepted.
        accepted: String,
    },
    /// A profile file is not valid JSON.
    #[error("profile file '{file}' is not valid JSON: {message}")]
    Malformed {
        /// File path.
        file: String,
        /// Parser message with line and column.
        message: String,
    },
    /// A profile file cannot be read or written.
    #[error("profile file '{file}': {message}")]
    Io {
        /// File or folder path.
        file: String,
        /// OS error.
        message: String,
    },
    /// A value that must be an object (a profile configuration) is not one.
    #[error("{field}: got {got} (accepted: an object)")]
    NotAnObject {
        /// The argument or field.
        field: String,
        /// A preview of the value, as JSON.
        got: String,
    },
    /// A workload flag that `ProfileOptimizer` does not know, or that is not a boolean.
    #[error("workloadCharacteristics.{flag}: got {got} (accepted: booleans cpuIntensive, memoryIntensive, ioIntensive, networkIntensive, mlWorkload)")]
    WorkloadFlag {
        /// The flag.
        flag: String,
        /// Its value, as JSON.
        got: String,
    },
}

impl ProfileError {
    /// JS error kind this maps to.
    pub fn js_kind(&self) -> &'static str {
        match self {
            ProfileError::InvalidName(_)
            | ProfileError::WorkloadFlag { .. }
            | ProfileError::NotAnObject { .. } => "TypeError",
            ProfileError::Invalid { accepted, .. } if accepted.starts_with("a number") => {
                "RangeError"
            }
            _ => "Error",
        }
    }
}

/// Longest profile name: it becomes a file name.
pub const MAX_NAME_LEN: usize = 64;

/// Checks that `name` is a plain identifier (`../x`, `/etc/x`, empty and over-long names
/// are refused, since the name becomes `<profilesPath>/<name>.json`).
pub fn validate_name(name: &str) -> Result<(), ProfileError> {
    if crate::fsutil::is_plain_identifier(name, MAX_NAME_LEN, &[]) {
        Ok(())
    } else {
        Err(ProfileError::InvalidName(preview_str(name)))
    }
}

/// Longest part of a caller's value echoed in a message: a hostile value of megabytes is
/// cut, not repeated.
pub const PREVIEW_CHARS: usize = 80;

/// `s` cut to [`PREVIEW_CHARS`] characters, with `…` when it was longer.
pub fn preview_str(s: &str) -> String {
    if s.chars().count() <= PREVIEW_CHARS {
        return s.to_owned();
    }
    let cut: String = s.chars().take(PREVIEW_CHARS).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "high-throughput",
            "a",
            "production-optimized-1764182700000",
            &"x".repeat(64),
        ] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "../x", "/etc/x", "a.b", "-x", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
