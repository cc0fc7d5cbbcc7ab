//! Errors of the history store.

use std::path::Path;

use thiserror::Error;

/// Everything the history store can refuse or fail at. Messages name the operation, the
/// field, value or path at fault and what is accepted.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A number out of its accepted range (`start_ms > end_ms`, `step_ms <= 0`, a timestamp
    /// outside 0 to 2^53 - 1, a retention of 0).
    #[error("store {op}: {field}: got {value} (accepted: {accepted})")]
    OutOfRange {
        /// Operation (`append`, `query`, ...).
        op: &'static str,
        /// Field or option at fault.
        field: &'static str,
        /// Value given.
        value: String,
        /// What is accepted.
        accepted: &'static str,
    },
    /// A value of the wrong shape (an empty metric name, a bad label name).
    #[error("store {op}: {field}: got {value} (accepted: {accepted})")]
    InvalidValue {
        /// Operation.
        op: &'static str,
        /// Field at fault.
        field: &'static str,
        /// Value given, debug-quoted.
        value: String,
        /// What is accepted.
        accepted: &'static str,
    },
    /// A series id that this store never handed out.
    #[error("store {op}: unknown series id {id} (accepted: an id returned by series_id() on this store)")]
    UnknownSeries {
        /// Operation.
        op: &'static str,
        /// The id.
        id: u32,
    },
    /// A sample not newer than the last sample of its series. Nothing of the call is stored.
    #[error("store {op}: series {series}: sample at {ts_ms} ms is not newer than the last one at {last_ms} ms (accepted: timestamps strictly increasing per series; nothing of this call was stored)")]
    OutOfOrder {
        /// Operation.
        op: &'static str,
        /// The series, as `name{label="value",...}`.
        series: String,
        /// Timestamp refused.
        ts_ms: i64,
        /// Last timestamp of the series.
        last_ms: i64,
    },
    /// The store was opened read-only (its folder cannot be written, or the disk was full
    /// when it was opened) and a write was asked.
    #[error("store {op}: the store in '{dir}' is read-only because {reason}, so writes are refused (existing data stays readable; accepted: a writable folder with free space, then reopen)")]
    ReadOnly {
        /// Operation.
        op: &'static str,
        /// Store folder.
        dir: String,
        /// Why: the folder cannot be written, or the disk was full at open.
        reason: &'static str,
    },
    /// The store folder is unusable: cannot be created, is not a folder, is full, or the
    /// database file cannot be read or written.
    #[error("store {op}: '{path}': {message}")]
    Io {
        /// Operation.
        op: &'static str,
        /// File or folder.
        path: String,
        /// What failed, with the SQLite code (`SQLITE_FULL`, ...) or OS error.
        message: String,
    },
    /// The database was written by a newer version of the store.
    #[error("store open: '{path}' has schema version {found}, newer than this version understands (accepted: schema version {supported} or older)")]
    SchemaTooNew {
        /// Database file.
        path: String,
        /// Version found.
        found: i64,
        /// Newest version supported.
        supported: i64,
    },
    /// The database is not a history store or a stored block cannot be decoded.
    #[error("store {op}: '{path}' is corrupt or not a history store: {message}")]
    Corrupt {
        /// Operation.
        op: &'static str,
        /// Database file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl StoreError {
    /// JS error kind this maps to.
    pub fn js_kind(&self) -> &'static str {
        match self {
            StoreError::OutOfRange { .. } => "RangeError",
            StoreError::InvalidValue { .. } => "TypeError",
            _ => "Error",
        }
    }

    /// Wraps a SQLite error for `op` on `path`, naming the SQLite code.
    pub(crate) fn sqlite(op: &'static str, path: &Path, e: rusqlite::Error) -> StoreError {
        let message = match &e {
            rusqlite::Error::SqliteFailure(f, msg) => {
                let name = sqlite_code_name(f.code);
                let detail = msg.clone().unwrap_or_else(|| f.to_string());
                let hint = match f.code {
                    rusqlite::ErrorCode::DiskFull => {
                        " (the disk is full: free space and retry; existing data stays readable)"
                    }
                    rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied => {
                        " (accepted: a writable folder)"
                    }
                    _ => "",
                };
                format!("{detail} ({name}){hint}")
            }
            other => other.to_string(),
        };
        StoreError::Io {
            op,
            path: path.display().to_string(),
            message,
        }
    }

    /// True when this error is a full disk (SQLITE_FULL or ENOSPC).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Io { message, .. } if message.contains("SQLITE_FULL") || message.contains("ENOSPC"))
    }
}

fn sqlite_code_name(code: rusqlite::ErrorCode) -> &'static str {
    use rusqlite::ErrorCode as C;
    match code {
        C::DiskFull => "SQLITE_FULL",
        C::ReadOnly => "SQLITE_READONLY",
        C::CannotOpen => "SQLITE_CANTOPEN",
        C::PermissionDenied => "SQLITE_PERM",
        C::DatabaseBusy => "SQLITE_BUSY",
        C::DatabaseLocked => "SQLITE_LOCKED",
        C::DatabaseCorrupt => "SQLITE_CORRUPT",
        C::NotADatabase => "SQLITE_NOTADB",
        C::SystemIoFailure => "SQLITE_IOERR",
        C::OutOfMemory => "SQLITE_NOMEM",
        C::ConstraintViolation => "SQLITE_CONSTRAINT",
        _ => "SQLITE_ERROR",
    }
}
