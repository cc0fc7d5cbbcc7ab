//! Opening a store: the folder, the read-write or read-only connection, the schema (created
//! in a new database, checked in an existing one) and the in-memory state.

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::engine::{corrupt, range_err, Store, Writer, NOT_WRITABLE};
use super::lock;
use super::migrate;
use super::recover::load_state;
use super::{RenameFn, StoreError, StoreOptions, SCHEMA_VERSION};

const DB_FILE: &str = "history.db";
const DISK_FULL: &str = "the disk was full when it was opened";

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY NOT NULL);
CREATE TABLE series(id INTEGER PRIMARY KEY, name TEXT NOT NULL, labels TEXT NOT NULL,
                    UNIQUE(name, labels));
CREATE TABLE wal(id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE chunks(id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL,
                    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,
                    count INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX chunks_by_series ON chunks(series_id, end_ms, start_ms);
CREATE TABLE open_chunks(series_id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE rollups(id INTEGER PRIMARY KEY, res INTEGER NOT NULL, series_id INTEGER NOT NULL,
                     start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX rollups_by_series ON rollups(res, series_id, end_ms, start_ms);
CREATE TABLE rollup_open(series_id INTEGER NOT NULL, res INTEGER NOT NULL, data BLOB NOT NULL,
                         PRIMARY KEY(series_id, res)) WITHOUT ROWID;
";

/// A `file:` URI for `path`, with the characters URIs reserve escaped.
pub(super) fn file_uri(path: &Path, query: &str) -> String {
    let mut s = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' | b' ' => s.push_str(&format!("%{b:02X}")),
            _ => s.push(b as char),
        }
    }
    s.push('?');
    s.push_str(query);
    s
}

fn dir_is_writable(dir: &Path) -> bool {
    // Exclusive, no-follow and randomly named: a planted link is never truncated.
    match crate::fsutil::create_temp(dir, "write-probe") {
        Ok((_, probe)) => {
            let _ = fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

impl Store {
    /// Opens (creating when missing) the store in `opts.dir`: creates the folder, checks or
    /// sets the schema version and replays the write-ahead rows a crash left behind. A folder
    /// that exists but cannot be written opens read-only (see the module docs).
    pub fn open(opts: StoreOptions) -> Result<Store, StoreError> {
        for (field, v) in [
            ("raw_retention_ms", opts.raw_retention_ms),
            ("rollup_1m_retention_ms", opts.rollup_1m_retention_ms),
            ("rollup_1h_retention_ms", opts.rollup_1h_retention_ms),
        ] {
            if v <= 0 {
                return Err(range_err("open", field, v, "a duration in ms > 0"));
            }
        }
        let dir = &opts.dir;
        if dir.exists() && !dir.is_dir() {
            return Err(StoreError::Io {
                op: "open",
                path: dir.display().to_string(),
                message: "exists and is not a folder (accepted: a folder path)".into(),
            });
        }
        fs::create_dir_all(dir).map_err(|e| StoreError::Io {
            op: "open",
            path: dir.display().to_string(),
            message: format!("cannot create the store folder: {e} (accepted: a writable folder)"),
        })?;
        let db_path = dir.join(DB_FILE);
        let mut read_only = (!dir_is_writable(dir)).then_some(NOT_WRITABLE);
        if read_only.is_some() && !db_path.exists() {
            return Err(StoreError::ReadOnly {
                op: "open",
                dir: dir.display().to_string(),
                reason: NOT_WRITABLE,
            });
        }
        // One writer per folder, taken before anything in it is read or replayed.
        let lock = match read_only {
            None => Some(lock::acquire(dir)?),
            Some(_) => None,
        };
        let (conn, immutable) = match read_only {
            None => match Self::open_rw(&db_path, opts.rename_v1) {
                Ok(c) => (c, false),
                // A full disk (SQLite cannot even size its shared-memory file): open
                // read-only so the data stays readable.
                Err(e) if e.is_disk_full() && db_path.exists() => {
                    read_only = Some(DISK_FULL);
                    Self::open_ro(&db_path).map_err(|_| e)?
                }
                Err(e) => return Err(e),
            },
            Some(_) => Self::open_ro(&db_path)?,
        };
        let writable = read_only.is_none();
        let state = load_state(&conn, &db_path)?;
        let pending = state.series.iter().map(|s| s.head.len() - s.flushed).sum();
        let n = state.series.len();
        let store = Store {
            opts,
            db_path,
            read_only,
            immutable,
            writer: Mutex::new(None),
            state: RwLock::new(state),
            readers: Mutex::new(Vec::new()),
            lock: Mutex::new(lock),
            closed: AtomicBool::new(false),
        };
        if writable {
            *store.writer.lock() = Some(Writer {
                conn,
                pending,
                scratch: vec![i64::MIN; n],
                touched: Vec::new(),
            });
        } else {
            store.readers.lock().push(conn);
        }
        Ok(store)
    }

    fn open_rw(db_path: &Path, rename_v1: Option<RenameFn>) -> Result<Connection, StoreError> {
        let err = |e| StoreError::sqlite("open", db_path, e);
        let mut conn = Connection::open_with_flags(
            db_path,
            // A link planted at the database's name must not turn the store into a writer
            // of its target (SQLite refuses to open through it).
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        // auto_vacuum only takes effect before the first table is created.
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")
            .map_err(err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Io {
                op: "open",
                path: db_path.display().to_string(),
                message: format!("cannot switch the journal to WAL mode (got {mode:?})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(err)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let has_meta: i64 = tx
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if has_meta == 0 {
            let tables: i64 = tx
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(err)?;
            if tables > 0 {
                return Err(corrupt("open", db_path, "the database has no meta table"));
            }
            tx.execute_batch(SCHEMA).map_err(err)?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION],
            )
            .map_err(err)?;
        } else {
            let version = check_schema(&tx, db_path)?;
            if version < SCHEMA_VERSION {
                migrate::upgrade(&tx, db_path, version, rename_v1)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(conn)
    }

    /// Read-only open; falls back to `immutable=1` when SQLite cannot create the shared-memory
    /// file next to a cleanly closed database (no WAL file, so nothing is missed).
    fn open_ro(db_path: &Path) -> Result<(Connection, bool), StoreError> {
        let err = |e| StoreError::sqlite("open", db_path, e);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let first =
            Connection::open_with_flags(file_uri(db_path, "mode=ro"), flags).and_then(|c| {
                c.busy_timeout(Duration::from_secs(10))?;
                c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })?;
                Ok(c)
            });
        let (conn, immutable) = match first {
            Ok(c) => (c, false),
            Err(e) => {
                let wal = db_path.with_extension("db-wal");
                if wal.exists() && fs::metadata(&wal).map(|m| m.len() > 0).unwrap_or(true) {
                    return Err(err(e));
                }
                let c = Connection::open_with_flags(file_uri(db_path, "immutable=1"), flags)
                    .map_err(err)?;
                (c, true)
            }
        };
        check_schema(&conn, db_path)?;
        Ok((conn, immutable))
    }
}

/// The schema version of the database; an error when it is missing or newer than this code.
pub(super) fn check_schema(conn: &Connection, db_path: &Path) -> Result<i64, StoreError> {
    let v: Option<i64> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| match &e {
            rusqlite::Error::SqliteFailure(_, Some(m)) if m.contains("no such table") => {
                corrupt("open", db_path, "the database has no meta table")
            }
            _ => StoreError::sqlite("open", db_path, e),
        })?;
    match v {
        None => Err(corrupt(
            "open",
            db_path,
            "no schema_version in the meta table",
        )),
        Some(v) if v > SCHEMA_VERSION => Err(StoreError::SchemaTooNew {
            path: db_path.display().to_string(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Some(v) if v < 1 => Err(corrupt(
            "open",
            db_path,
            format!("schema_version {v} (accepted: 1 to {SCHEMA_VERSION})"),
        )),
        Some(v) => Ok(v),
    }
}
