//! [`Store`]: the database, the in-memory heads and the locks around them; series
//! registration and the pool of read connections. Opening, recovery, writes, flushes,
//! retention and queries live in the sibling modules, each an `impl Store` of its own.
//!
//! Locking: `writer` (a mutex around the read-write connection) serialises every write;
//! `state` (a read-write lock around the series index, heads and open rollup blocks) is read
//! by queries for the whole time they read the database and written only for short swaps,
//! and every commit that moves samples between the heads and the database happens while
//! `state` is write-locked, so a query never sees a sample twice or misses one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rusqlite::{params, Connection, OpenFlags};

use super::open::file_uri;
use super::rollup::RollBlock;
use super::{Point, SeriesId, SeriesKey, StoreError, StoreOptions};

pub(super) const NOT_WRITABLE: &str = "its folder cannot be written";

/// One series in memory.
pub(super) struct SeriesState {
    pub(super) key: SeriesKey,
    /// Samples of the open chunk: `head[..flushed]` are in its `open_chunks` row and in the
    /// rollups, `head[flushed..]` only in write-ahead rows.
    pub(super) head: Vec<Point>,
    pub(super) flushed: usize,
    /// Newest accepted timestamp (kept when retention empties the series).
    pub(super) last_ts: Option<i64>,
    /// Open rollup block per resolution (flushed samples only).
    pub(super) roll: [RollBlock; 2],
}

impl SeriesState {
    /// A series with nothing in memory yet (new, or loaded before its rows are replayed).
    pub(super) fn new(key: SeriesKey) -> SeriesState {
        SeriesState {
            key,
            head: Vec::new(),
            flushed: 0,
            last_ts: None,
            roll: Default::default(),
        }
    }
}

pub(super) struct State {
    pub(super) series: Vec<SeriesState>,
    pub(super) by_key: HashMap<SeriesKey, SeriesId>,
}

impl State {
    pub(super) fn get(&self, id: SeriesId, op: &'static str) -> Result<usize, StoreError> {
        let idx = (id.0 as usize).wrapping_sub(1);
        if idx < self.series.len() {
            Ok(idx)
        } else {
            Err(StoreError::UnknownSeries { op, id: id.0 })
        }
    }
}

pub(super) struct Writer {
    pub(super) conn: Connection,
    /// Samples acknowledged since the last flush.
    pub(super) pending: usize,
    /// Per series, the newest timestamp seen so far in the call being validated
    /// (`i64::MIN` = untouched).
    pub(super) scratch: Vec<i64>,
    pub(super) touched: Vec<usize>,
}

/// The history store. `Send + Sync`: share it behind an `Arc`; writes are serialised,
/// queries run in parallel with each other.
pub struct Store {
    pub(super) opts: StoreOptions,
    pub(super) db_path: PathBuf,
    pub(super) read_only: Option<&'static str>,
    pub(super) immutable: bool,
    pub(super) writer: Mutex<Option<Writer>>,
    pub(super) state: RwLock<State>,
    pub(super) readers: Mutex<Vec<Connection>>,
    /// The folder's writer lock, held by a writable store until it is closed or dropped.
    pub(super) lock: Mutex<Option<super::lock::WriterLock>>,
    /// Set by [`Store::close_now`]: no connection is opened again.
    pub(super) closed: AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.opts.dir)
            .field("read_only", &self.read_only.is_some())
            .field("series", &self.state.read().series.len())
            .finish()
    }
}

pub(super) fn range_err(
    op: &'static str,
    field: &'static str,
    value: i64,
    accepted: &'static str,
) -> StoreError {
    StoreError::OutOfRange {
        op,
        field,
        value: value.to_string(),
        accepted,
    }
}

pub(super) fn corrupt(op: &'static str, path: &Path, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        op,
        path: path.display().to_string(),
        message: message.into(),
    }
}

fn validate_key(key: &SeriesKey) -> Result<SeriesKey, StoreError> {
    let bad = |field, value: &str, accepted| StoreError::InvalidValue {
        op: "series_id",
        field,
        value: format!("{value:?}"),
        accepted,
    };
    let n = key.name.chars().count();
    if n == 0 || n > 256 || key.name.chars().any(char::is_control) {
        return Err(bad(
            "name",
            &key.name,
            "1 to 256 characters, no control characters",
        ));
    }
    let mut labels = key.labels.clone();
    labels.sort();
    for (i, (k, v)) in labels.iter().enumerate() {
        let ok = !k.is_empty()
            && k.len() <= 128
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(bad(
                "labels",
                k,
                "label names of 1 to 128 characters of [A-Za-z0-9_], not starting with a digit",
            ));
        }
        if i > 0 && labels[i - 1].0 == *k {
            return Err(bad("labels", k, "each label name once"));
        }
        if v.chars().count() > 1024 {
            return Err(bad("labels", k, "label values of at most 1024 characters"));
        }
    }
    Ok(SeriesKey {
        name: key.name.clone(),
        labels,
    })
}

impl Store {
    /// The store folder.
    pub fn dir(&self) -> &Path {
        &self.opts.dir
    }

    /// True when the store was opened read-only (its folder cannot be written).
    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    pub(super) fn read_only_err(&self, op: &'static str) -> StoreError {
        if self.is_closed() {
            return self.closed_err(op);
        }
        StoreError::ReadOnly {
            op,
            dir: self.opts.dir.display().to_string(),
            reason: self.read_only.unwrap_or(NOT_WRITABLE),
        }
    }

    /// The id of `key`, registering the series (durably) when it is new. Labels need not be
    /// sorted. On a read-only store an unknown key is [`StoreError::ReadOnly`].
    pub fn series_id(&self, key: &SeriesKey) -> Result<SeriesId, StoreError> {
        let key = validate_key(key)?;
        if let Some(id) = self.state.read().by_key.get(&key) {
            return Ok(*id);
        }
        let mut guard = self.writer.lock();
        if let Some(id) = self.state.read().by_key.get(&key) {
            return Ok(*id);
        }
        let w = guard
            .as_mut()
            .ok_or_else(|| self.read_only_err("series_id"))?;
        let id = SeriesId(self.state.read().series.len() as u32 + 1);
        let labels = serde_json::to_string(&key.labels).expect("labels serialise");
        w.conn
            .prepare_cached("INSERT INTO series(id, name, labels) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![id.0, key.name, labels]))
            .map_err(|e| StoreError::sqlite("series_id", &self.db_path, e))?;
        let mut st = self.state.write();
        st.by_key.insert(key.clone(), id);
        st.series.push(SeriesState::new(key));
        w.scratch.push(i64::MIN);
        Ok(id)
    }

    /// Every registered series, by id.
    pub fn series(&self) -> Vec<(SeriesId, SeriesKey)> {
        self.state
            .read()
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (SeriesId(i as u32 + 1), s.key.clone()))
            .collect()
    }

    fn closed_err(&self, op: &'static str) -> StoreError {
        StoreError::Io {
            op,
            path: self.opts.dir.display().to_string(),
            message: "the store is closed (accepted: a store opened again)".into(),
        }
    }

    /// True once [`Store::close_now`] ran.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Flushes, then closes every connection and releases the folder's writer lock now,
    /// through a shared reference (the collector shares its store with its clock thread and
    /// listener); later writes and queries fail with "closed". A second call is a no-op.
    pub fn close_now(&self) -> Result<(), StoreError> {
        let mut writer = self.writer.lock();
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let flushed = match writer.as_mut() {
            Some(w) => self.flush_locked(w),
            None => Ok(()),
        };
        self.readers.lock().clear();
        if let Some(w) = writer.take() {
            let _ = w
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = w.conn.close();
        }
        self.lock.lock().take();
        flushed
    }

    pub(super) fn reader(&self) -> Result<Connection, StoreError> {
        if self.is_closed() {
            return Err(self.closed_err("query"));
        }
        if let Some(c) = self.readers.lock().pop() {
            return Ok(c);
        }
        let err = |e| StoreError::sqlite("query", &self.db_path, e);
        let q = if self.immutable {
            "immutable=1"
        } else {
            "mode=ro"
        };
        let c = Connection::open_with_flags(
            file_uri(&self.db_path, q),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(err)?;
        c.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        Ok(c)
    }

    pub(super) fn give_back(&self, c: Connection) {
        let mut pool = self.readers.lock();
        // A query that ran across close_now drops its connection instead of pooling it.
        if pool.len() < 8 && !self.is_closed() {
            pool.push(c);
        }
    }

    /// Flushes and closes the database (a clean close leaves no WAL file behind).
    pub fn close(self) -> Result<(), StoreError> {
        self.flush()?;
        self.readers.lock().clear();
        if let Some(w) = self.writer.lock().take() {
            let _ = w
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            w.conn
                .close()
                .map_err(|(_, e)| StoreError::sqlite("close", &self.db_path, e))?;
        }
        Ok(())
    }
}
