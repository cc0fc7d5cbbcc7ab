//! [`Store`]: the database, the in-memory heads and the locks around them.
//!
//! Locking: `writer` (a mutex around the read-write connection) serialises every write;
//! `state` (a read-write lock around the series index, heads and open rollup blocks) is read
//! by queries for the whole time they read the database and written only for short swaps,
//! and every commit that moves samples between the heads and the database happens while
//! `state` is write-locked, so a query never sees a sample twice or misses one.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::codec;
use super::rollup::{self, RollBlock, BLOCK_BUCKETS, RESOLUTIONS};
use super::wal;
use super::{
    AggPoint, Point, Query, SeriesData, SeriesId, SeriesKey, StoreError, StoreOptions, StoreStats,
    AUTO_FLUSH_SAMPLES, CHUNK_MAX_SAMPLES, CHUNK_MAX_SPAN_MS, MAX_TIMESTAMP_MS, SCHEMA_VERSION,
};

const DB_FILE: &str = "history.db";
/// A query uses at most this many threads ...
const MAX_QUERY_THREADS: usize = 4;
/// ... and gives each at least this many series.
const MIN_SERIES_PER_THREAD: usize = 8;
const NOT_WRITABLE: &str = "its folder cannot be written";
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

/// One series in memory.
struct SeriesState {
    key: SeriesKey,
    /// Samples of the open chunk: `head[..flushed]` are in its `open_chunks` row and in the
    /// rollups, `head[flushed..]` only in write-ahead rows.
    head: Vec<Point>,
    flushed: usize,
    /// Newest accepted timestamp (kept when retention empties the series).
    last_ts: Option<i64>,
    /// Open rollup block per resolution (flushed samples only).
    roll: [RollBlock; 2],
}

struct State {
    series: Vec<SeriesState>,
    by_key: HashMap<SeriesKey, SeriesId>,
}

impl State {
    fn get(&self, id: SeriesId, op: &'static str) -> Result<usize, StoreError> {
        let idx = (id.0 as usize).wrapping_sub(1);
        if idx < self.series.len() {
            Ok(idx)
        } else {
            Err(StoreError::UnknownSeries { op, id: id.0 })
        }
    }
}

struct Writer {
    conn: Connection,
    /// Samples acknowledged since the last flush.
    pending: usize,
    /// Per series, the newest timestamp seen so far in the call being validated
    /// (`i64::MIN` = untouched).
    scratch: Vec<i64>,
    touched: Vec<usize>,
}

/// The history store. `Send + Sync`: share it behind an `Arc`; writes are serialised,
/// queries run in parallel with each other.
pub struct Store {
    opts: StoreOptions,
    db_path: PathBuf,
    read_only: Option<&'static str>,
    immutable: bool,
    writer: Mutex<Option<Writer>>,
    state: RwLock<State>,
    readers: Mutex<Vec<Connection>>,
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

/// What one flush does to one series.
struct Plan {
    idx: usize,
    closed: Vec<(i64, i64, usize, Vec<u8>)>,
    open: Vec<u8>,
    keep_from: usize,
    closed_blocks: Vec<(i64, i64, i64, Vec<u8>)>,
    roll: [RollBlock; 2],
    roll_blobs: [Option<Vec<u8>>; 2],
}

fn range_err(
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

fn corrupt(op: &'static str, path: &Path, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        op,
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// A `file:` URI for `path`, with the characters URIs reserve escaped.
fn file_uri(path: &Path, query: &str) -> String {
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
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    match fs::File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            true
        }
        Err(_) => false,
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
        let (conn, immutable) = match read_only {
            None => match Self::open_rw(&db_path) {
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

    fn open_rw(db_path: &Path) -> Result<Connection, StoreError> {
        let err = |e| StoreError::sqlite("open", db_path, e);
        let mut conn = Connection::open_with_flags(
            db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
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
            check_schema(&tx, db_path)?;
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

    /// The store folder.
    pub fn dir(&self) -> &Path {
        &self.opts.dir
    }

    /// True when the store was opened read-only (its folder cannot be written).
    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    fn read_only_err(&self, op: &'static str) -> StoreError {
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
        st.series.push(SeriesState {
            key,
            head: Vec::new(),
            flushed: 0,
            last_ts: None,
            roll: Default::default(),
        });
        w.scratch.push(i64::MIN);
        Ok(id)
    }

    /// Appends one sampling tick: every point at `ts_ms`. When it returns `Ok` the samples
    /// are acknowledged (they survive `kill -9`). Fails without storing anything on an unknown
    /// id, a timestamp out of range or not newer than its series' last sample, a read-only
    /// store or a write error.
    pub fn append(&self, ts_ms: i64, points: &[(SeriesId, f64)]) -> Result<(), StoreError> {
        self.write_samples("append", points.len(), |i| {
            let (id, v) = points[i];
            (id, ts_ms, v)
        })
    }

    /// Appends samples of any series and times (each series' samples in increasing time
    /// order), with the durability and all-or-nothing rules of [`Store::append`]. One
    /// write-ahead row per call: batch thousands of samples for bulk ingest.
    pub fn append_batch(&self, samples: &[(SeriesId, i64, f64)]) -> Result<(), StoreError> {
        self.write_samples("append_batch", samples.len(), |i| samples[i])
    }

    fn write_samples(
        &self,
        op: &'static str,
        n: usize,
        get: impl Fn(usize) -> (SeriesId, i64, f64),
    ) -> Result<(), StoreError> {
        let mut guard = self.writer.lock();
        let w = guard.as_mut().ok_or_else(|| self.read_only_err(op))?;
        if n == 0 {
            return Ok(());
        }
        // Validate the whole call first: all or nothing.
        {
            let st = self.state.read();
            let res = validate(&st, w, op, n, &get);
            if res.is_err() {
                for &i in &w.touched {
                    w.scratch[i] = i64::MIN;
                }
                w.touched.clear();
                return res;
            }
        }
        let blob = wal::encode((0..n).map(|i| {
            let (id, t, v) = get(i);
            (id.0, t, v)
        }));
        let written = w
            .conn
            .prepare_cached("INSERT INTO wal(data) VALUES (?1)")
            .and_then(|mut s| s.execute([&blob]));
        if let Err(e) = written {
            for &i in &w.touched {
                w.scratch[i] = i64::MIN;
            }
            w.touched.clear();
            return Err(StoreError::sqlite(op, &self.opts.dir, e));
        }
        {
            let mut st = self.state.write();
            for i in 0..n {
                let (id, t, v) = get(i);
                st.series[id.0 as usize - 1].head.push(Point { t, v });
            }
            for &i in &w.touched {
                st.series[i].last_ts = Some(w.scratch[i]);
                w.scratch[i] = i64::MIN;
            }
            w.touched.clear();
        }
        w.pending += n;
        if w.pending > AUTO_FLUSH_SAMPLES {
            // The samples are acknowledged already; a failed flush is retried by the next.
            let _ = self.flush_locked(w);
        }
        Ok(())
    }

    /// Compresses the heads into chunks, updates the rollups and deletes the write-ahead
    /// rows, in one transaction; then trims SQLite's WAL file. Does nothing on a read-only
    /// store.
    pub fn flush(&self) -> Result<(), StoreError> {
        let mut guard = self.writer.lock();
        match guard.as_mut() {
            Some(w) => self.flush_locked(w),
            None => Ok(()),
        }
    }

    fn flush_locked(&self, w: &mut Writer) -> Result<(), StoreError> {
        let plans: Vec<Plan> = {
            let st = self.state.read();
            st.series
                .iter()
                .enumerate()
                .filter(|(_, s)| s.flushed < s.head.len())
                .map(|(idx, s)| plan_series(idx, s))
                .collect()
        };
        let has_wal_rows = w.pending > 0 || !plans.is_empty();
        if !has_wal_rows {
            return Ok(());
        }
        let err = |e| StoreError::sqlite("flush", &self.opts.dir, e);
        let tx = w.conn.transaction().map_err(err)?;
        {
            let mut ins_chunk = tx
                .prepare_cached(
                    "INSERT INTO chunks(series_id, start_ms, end_ms, count, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(err)?;
            let mut put_open = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO open_chunks(series_id, data) VALUES (?1, ?2)",
                )
                .map_err(err)?;
            let mut ins_block = tx
                .prepare_cached(
                    "INSERT INTO rollups(res, series_id, start_ms, end_ms, data)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(err)?;
            let mut put_roll = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO rollup_open(series_id, res, data) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            let mut del_roll = tx
                .prepare_cached("DELETE FROM rollup_open WHERE series_id = ?1 AND res = ?2")
                .map_err(err)?;
            for p in &plans {
                let sid = p.idx as i64 + 1;
                for (start, end, count, data) in &p.closed {
                    ins_chunk
                        .execute(params![sid, start, end, *count as i64, data])
                        .map_err(err)?;
                }
                put_open.execute(params![sid, p.open]).map_err(err)?;
                for (res, start, end, data) in &p.closed_blocks {
                    ins_block
                        .execute(params![res, sid, start, end, data])
                        .map_err(err)?;
                }
                for (ri, blob) in p.roll_blobs.iter().enumerate() {
                    match blob {
                        Some(b) => put_roll.execute(params![sid, RESOLUTIONS[ri], b]),
                        None if p.roll[ri].buckets.is_empty() => {
                            del_roll.execute(params![sid, RESOLUTIONS[ri]])
                        }
                        None => Ok(0),
                    }
                    .map_err(err)?;
                }
            }
        }
        tx.execute("DELETE FROM wal", []).map_err(err)?;
        {
            let mut st = self.state.write();
            tx.commit().map_err(err)?;
            for p in plans {
                let s = &mut st.series[p.idx];
                s.head.drain(..p.keep_from);
                s.flushed = s.head.len();
                s.roll = p.roll;
            }
        }
        w.pending = 0;
        self.housekeeping(w);
        Ok(())
    }

    /// Gives the pages freed by deleted rows back to the file system and trims the WAL file.
    /// Failures here lose nothing (the data is committed), so they are ignored.
    fn housekeeping(&self, w: &mut Writer) {
        // Each step of this pragma frees pages; run it to the end.
        let _ = w
            .conn
            .prepare("PRAGMA incremental_vacuum")
            .and_then(|mut st| {
                let mut rows = st.query([])?;
                while rows.next()?.is_some() {}
                Ok(())
            });
        let _ = w
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    /// Drops raw chunks whose newest sample is older than `now_ms - raw_retention_ms` and
    /// rollup blocks whose newest bucket ended before their retention limit; returns the
    /// number of rows dropped (chunks and rollup blocks).
    pub fn apply_retention(&self, now_ms: i64) -> Result<u64, StoreError> {
        const OP: &str = "apply_retention";
        if !(0..=MAX_TIMESTAMP_MS).contains(&now_ms) {
            return Err(range_err(OP, "now_ms", now_ms, "0 to 2^53 - 1 epoch ms"));
        }
        let mut guard = self.writer.lock();
        let w = guard.as_mut().ok_or_else(|| self.read_only_err(OP))?;
        let raw_cut = now_ms - self.opts.raw_retention_ms;
        let roll_cut = [
            now_ms - self.opts.rollup_1m_retention_ms,
            now_ms - self.opts.rollup_1h_retention_ms,
        ];
        let err = |e| StoreError::sqlite(OP, &self.opts.dir, e);
        // Open chunks / blocks wholly past their limit, with nothing pending.
        let (stale_heads, stale_rolls): (Vec<usize>, Vec<(usize, usize)>) = {
            let st = self.state.read();
            let heads = st
                .series
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.flushed == s.head.len() && s.head.last().is_some_and(|p| p.t < raw_cut)
                })
                .map(|(i, _)| i)
                .collect();
            let mut rolls = Vec::new();
            for (i, s) in st.series.iter().enumerate() {
                for (ri, res) in RESOLUTIONS.iter().enumerate() {
                    if s.roll[ri]
                        .buckets
                        .last()
                        .is_some_and(|b| b.t + res <= roll_cut[ri])
                    {
                        rolls.push((i, ri));
                    }
                }
            }
            (heads, rolls)
        };
        let tx = w.conn.transaction().map_err(err)?;
        let mut dropped = tx
            .execute("DELETE FROM chunks WHERE end_ms < ?1", [raw_cut])
            .map_err(err)? as u64;
        for (ri, res) in RESOLUTIONS.iter().enumerate() {
            dropped += tx
                .execute(
                    "DELETE FROM rollups WHERE res = ?1 AND end_ms + ?1 <= ?2",
                    [*res, roll_cut[ri]],
                )
                .map_err(err)? as u64;
        }
        for &i in &stale_heads {
            dropped += tx
                .execute(
                    "DELETE FROM open_chunks WHERE series_id = ?1",
                    [i as i64 + 1],
                )
                .map_err(err)? as u64;
        }
        for &(i, ri) in &stale_rolls {
            dropped += tx
                .execute(
                    "DELETE FROM rollup_open WHERE series_id = ?1 AND res = ?2",
                    [i as i64 + 1, RESOLUTIONS[ri]],
                )
                .map_err(err)? as u64;
        }
        {
            let mut st = self.state.write();
            tx.commit().map_err(err)?;
            for &i in &stale_heads {
                st.series[i].head.clear();
                st.series[i].flushed = 0;
            }
            for &(i, ri) in &stale_rolls {
                st.series[i].roll[ri] = RollBlock::default();
            }
        }
        if dropped > 0 {
            self.housekeeping(w);
        }
        Ok(dropped)
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

    fn reader(&self) -> Result<Connection, StoreError> {
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

    fn give_back(&self, c: Connection) {
        let mut pool = self.readers.lock();
        if pool.len() < 8 {
            pool.push(c);
        }
    }

    /// Answers `q` (see the module docs for ranges, steps, resolutions and `limit`). Series in
    /// id order; series with no point in the range are included with empty vectors.
    pub fn query(&self, q: &Query) -> Result<Vec<SeriesData>, StoreError> {
        const OP: &str = "query";
        if q.start_ms > q.end_ms {
            return Err(StoreError::OutOfRange {
                op: OP,
                field: "start_ms",
                value: format!("{} with end_ms {}", q.start_ms, q.end_ms),
                accepted: "start_ms <= end_ms",
            });
        }
        if let Some(step) = q.step_ms {
            if step <= 0 {
                return Err(range_err(
                    OP,
                    "step_ms",
                    step,
                    "a bucket width in ms > 0, or none for raw points",
                ));
            }
        }
        if q.limit == Some(0) {
            return Err(range_err(
                OP,
                "limit",
                0,
                "at least 1, or none for all points",
            ));
        }
        let st = self.state.read();
        let matching: Vec<usize> = st
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                (q.names.is_empty() || q.names.contains(&s.key.name))
                    && q.labels
                        .iter()
                        .all(|(k, v)| s.key.label(k) == Some(v.as_str()))
            })
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            return Ok(Vec::new());
        }
        // Series are independent: split them over a few threads, each with its own
        // read connection (SQLite readers do not block each other in WAL mode).
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_QUERY_THREADS)
            .min(matching.len() / MIN_SERIES_PER_THREAD)
            .max(1);
        if threads == 1 {
            let conn = self.reader()?;
            let result = self.query_series(&conn, &st, &matching, q);
            self.give_back(conn);
            return result;
        }
        let state: &State = &st;
        let per = matching.len().div_ceil(threads);
        let parts: Vec<Result<Vec<SeriesData>, StoreError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = matching
                .chunks(per)
                .map(|part| {
                    scope.spawn(move || {
                        let conn = self.reader()?;
                        let r = self.query_series(&conn, state, part, q);
                        self.give_back(conn);
                        r
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("query thread panicked"))
                .collect()
        });
        let mut out = Vec::with_capacity(matching.len());
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }

    fn query_series(
        &self,
        conn: &Connection,
        st: &State,
        matching: &[usize],
        q: &Query,
    ) -> Result<Vec<SeriesData>, StoreError> {
        let err = |e| StoreError::sqlite("query", &self.db_path, e);
        let bad = |e: codec::CodecError| corrupt("query", &self.db_path, e.0);
        let mut chunk_stmt = conn
            .prepare_cached(
                "SELECT data FROM chunks WHERE series_id = ?1 AND end_ms >= ?2 AND start_ms <= ?3
                 ORDER BY end_ms",
            )
            .map_err(err)?;
        let mut roll_stmt = conn
            .prepare_cached(
                "SELECT data FROM rollups WHERE res = ?1 AND series_id = ?2 AND end_ms >= ?3
                 AND start_ms <= ?4 ORDER BY end_ms",
            )
            .map_err(err)?;
        // Samples exist only in [0, MAX_TIMESTAMP_MS].
        let (lo, hi) = (q.start_ms.max(0), q.end_ms.min(MAX_TIMESTAMP_MS));
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        let mut scratch = rollup::DecodeScratch::default();
        let mut out = Vec::with_capacity(matching.len());
        for &idx in matching {
            let s = &st.series[idx];
            let sid = idx as i64 + 1;
            let mut data = SeriesData {
                key: s.key.clone(),
                points: Vec::new(),
                aggregated: Vec::new(),
                resolution: "raw",
            };
            if lo > hi {
                out.push(data);
                continue;
            }
            match q.step_ms {
                None => {
                    let mut rows = chunk_stmt.query(params![sid, lo, hi]).map_err(err)?;
                    while let Some(row) = rows.next().map_err(err)? {
                        let blob = row.get_ref(0).and_then(|r| Ok(r.as_blob()?)).map_err(err)?;
                        ts.clear();
                        vs.clear();
                        codec::decode_block_into(blob, &mut ts, &mut [&mut vs]).map_err(bad)?;
                        let from = ts.partition_point(|&t| t < lo);
                        let to = ts.partition_point(|&t| t <= hi);
                        data.points
                            .extend((from..to).map(|i| Point { t: ts[i], v: vs[i] }));
                    }
                    let from = s.head.partition_point(|p| p.t < lo);
                    let to = s.head.partition_point(|p| p.t <= hi);
                    data.points.extend_from_slice(&s.head[from..to]);
                    if let Some(l) = q.limit {
                        if data.points.len() > l {
                            data.points.drain(..data.points.len() - l);
                        }
                    }
                }
                Some(step) => {
                    let a = lo.div_euclid(step) * step;
                    let b = hi
                        .div_euclid(step)
                        .saturating_mul(step)
                        .saturating_add(step - 1);
                    let mut bk = rollup::Bucketer::new(step);
                    let mut bucket = |t: i64| bk.key(t);
                    let agg = &mut data.aggregated;
                    let ri = RESOLUTIONS.iter().rposition(|r| step % r == 0);
                    match ri {
                        None => {
                            let mut rows = chunk_stmt.query(params![sid, a, b]).map_err(err)?;
                            while let Some(row) = rows.next().map_err(err)? {
                                let blob =
                                    row.get_ref(0).and_then(|r| Ok(r.as_blob()?)).map_err(err)?;
                                ts.clear();
                                vs.clear();
                                codec::decode_block_into(blob, &mut ts, &mut [&mut vs])
                                    .map_err(bad)?;
                                for (&t, &v) in ts.iter().zip(&vs) {
                                    if t >= a && t <= b && !v.is_nan() {
                                        rollup::add_sample(agg, bucket(t), v);
                                    }
                                }
                            }
                            for p in &s.head {
                                if p.t >= a && p.t <= b && !p.v.is_nan() {
                                    rollup::add_sample(agg, bucket(p.t), p.v);
                                }
                            }
                        }
                        Some(ri) => {
                            data.resolution = if ri == 0 { "1m" } else { "1h" };
                            let res = RESOLUTIONS[ri];
                            let mut buckets = Vec::new();
                            let mut rows = roll_stmt.query(params![res, sid, a, b]).map_err(err)?;
                            while let Some(row) = rows.next().map_err(err)? {
                                let blob =
                                    row.get_ref(0).and_then(|r| Ok(r.as_blob()?)).map_err(err)?;
                                buckets.clear();
                                RollBlock::decode_into(blob, &mut buckets, &mut scratch)
                                    .map_err(bad)?;
                                for p in &buckets {
                                    if p.t >= a && p.t <= b {
                                        rollup::merge_bucket(
                                            agg,
                                            AggPoint {
                                                t: bucket(p.t),
                                                ..*p
                                            },
                                        );
                                    }
                                }
                            }
                            for p in &s.roll[ri].buckets {
                                if p.t >= a && p.t <= b {
                                    rollup::merge_bucket(
                                        agg,
                                        AggPoint {
                                            t: bucket(p.t),
                                            ..*p
                                        },
                                    );
                                }
                            }
                            for p in &s.head[s.flushed..] {
                                if p.t >= a && p.t <= b && !p.v.is_nan() {
                                    rollup::add_sample(agg, bucket(p.t), p.v);
                                }
                            }
                        }
                    }
                    if let Some(l) = q.limit {
                        if agg.len() > l {
                            agg.drain(..agg.len() - l);
                        }
                    }
                }
            }
            out.push(data);
        }
        Ok(out)
    }

    /// Counts and sizes; `bytes_on_disk` is the database file plus its WAL file.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let err = |e| StoreError::sqlite("stats", &self.db_path, e);
        let st = self.state.read();
        let conn = self.reader()?;
        let r = (|| -> rusqlite::Result<_> {
            let c: (i64, i64, i64) = conn.query_row(
                "SELECT count(*), COALESCE(SUM(count), 0), COALESCE(SUM(length(data)), 0) FROM chunks",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let o: (i64, i64) = conn.query_row(
                "SELECT count(*), COALESCE(SUM(length(data)), 0) FROM open_chunks",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut rb = (0i64, 0i64);
            for table in ["rollups", "rollup_open"] {
                let x: (i64, i64) = conn.query_row(
                    &format!("SELECT count(*), COALESCE(SUM(length(data)), 0) FROM {table}"),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                rb = (rb.0 + x.0, rb.1 + x.1);
            }
            let v: i64 = conn.query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )?;
            Ok((c, o, rb, v))
        })();
        self.give_back(conn);
        let ((chunks, chunk_samples, chunk_bytes), (open, open_bytes), (blocks, block_bytes), v) =
            r.map_err(err)?;
        let head: usize = st.series.iter().map(|s| s.head.len()).sum();
        let pending: usize = st.series.iter().map(|s| s.head.len() - s.flushed).sum();
        let file_len = |p: PathBuf| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        Ok(StoreStats {
            series: st.series.len() as u64,
            samples: chunk_samples as u64 + head as u64,
            pending_samples: pending as u64,
            chunks: (chunks + open) as u64,
            chunk_bytes: (chunk_bytes + open_bytes) as u64,
            rollup_blocks: blocks as u64,
            rollup_bytes: block_bytes as u64,
            bytes_on_disk: file_len(self.db_path.clone())
                + file_len(self.db_path.with_extension("db-wal")),
            schema_version: v,
            read_only: self.read_only.is_some(),
        })
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

fn validate(
    st: &State,
    w: &mut Writer,
    op: &'static str,
    n: usize,
    get: &impl Fn(usize) -> (SeriesId, i64, f64),
) -> Result<(), StoreError> {
    for i in 0..n {
        let (id, t, _) = get(i);
        let idx = st.get(id, op)?;
        if !(0..=MAX_TIMESTAMP_MS).contains(&t) {
            return Err(range_err(op, "ts_ms", t, "epoch ms from 0 to 2^53 - 1"));
        }
        let last = if w.scratch[idx] != i64::MIN {
            w.scratch[idx]
        } else {
            w.touched.push(idx);
            st.series[idx].last_ts.unwrap_or(-1)
        };
        if t <= last {
            return Err(StoreError::OutOfOrder {
                op,
                series: st.series[idx].key.to_string(),
                ts_ms: t,
                last_ms: last,
            });
        }
        w.scratch[idx] = t;
    }
    Ok(())
}

/// Works out what flushing series `s` writes: closed chunks, the new open chunk, closed and
/// open rollup blocks.
fn plan_series(idx: usize, s: &SeriesState) -> Plan {
    let mut roll = s.roll.clone();
    let mut closed_blocks = Vec::new();
    let mut touched = [false; 2];
    for (ri, &res) in RESOLUTIONS.iter().enumerate() {
        let rb = &mut roll[ri];
        for p in &s.head[s.flushed..] {
            if p.v.is_nan() {
                continue;
            }
            touched[ri] = true;
            let b = p.t.div_euclid(res) * res;
            let bs = rollup::block_start(b, res);
            if rb.buckets.is_empty() {
                rb.start = bs;
            } else if bs != rb.start {
                let last = rb.buckets.last().map(|x| x.t).unwrap_or(rb.start);
                closed_blocks.push((res, rb.start, last, rb.encode()));
                rb.buckets.clear();
                rb.start = bs;
            }
            rollup::add_sample(&mut rb.buckets, b, p.v);
        }
        debug_assert!(rb.buckets.len() as i64 <= BLOCK_BUCKETS);
    }
    let roll_blobs =
        [0, 1].map(|ri| (touched[ri] && !roll[ri].buckets.is_empty()).then(|| roll[ri].encode()));
    let head = &s.head;
    let mut closed = Vec::new();
    let mut start = 0;
    loop {
        let mut end = start;
        while end < head.len()
            && end - start < CHUNK_MAX_SAMPLES
            && head[end].t - head[start].t < CHUNK_MAX_SPAN_MS
        {
            end += 1;
        }
        if end == head.len() {
            break;
        }
        closed.push((
            head[start].t,
            head[end - 1].t,
            end - start,
            encode_points(&head[start..end]),
        ));
        start = end;
    }
    Plan {
        idx,
        closed,
        open: encode_points(&head[start..]),
        keep_from: start,
        closed_blocks,
        roll,
        roll_blobs,
    }
}

fn encode_points(points: &[Point]) -> Vec<u8> {
    let ts: Vec<i64> = points.iter().map(|p| p.t).collect();
    let vs: Vec<f64> = points.iter().map(|p| p.v).collect();
    codec::encode_chunk(&ts, &vs)
}

fn check_schema(conn: &Connection, db_path: &Path) -> Result<(), StoreError> {
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
        Some(_) => Ok(()),
    }
}

/// Loads the series index, the open chunks and rollup blocks, and replays the write-ahead
/// rows into the heads.
fn load_state(conn: &Connection, db_path: &Path) -> Result<State, StoreError> {
    let err = |e| StoreError::sqlite("open", db_path, e);
    let bad = |m: String| corrupt("open", db_path, m);
    let mut st = State {
        series: Vec::new(),
        by_key: HashMap::new(),
    };
    let mut stmt = conn
        .prepare("SELECT id, name, labels FROM series ORDER BY id")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(err)?;
    for row in rows {
        let (id, name, labels) = row.map_err(err)?;
        if id != st.series.len() as i64 + 1 {
            return Err(bad(format!("series ids not contiguous at {id}")));
        }
        let labels: Vec<(String, String)> = serde_json::from_str(&labels)
            .map_err(|e| bad(format!("labels of series {id}: {e}")))?;
        let key = SeriesKey { name, labels };
        st.by_key.insert(key.clone(), SeriesId(id as u32));
        st.series.push(SeriesState {
            key,
            head: Vec::new(),
            flushed: 0,
            last_ts: None,
            roll: Default::default(),
        });
    }
    let n = st.series.len() as i64;
    let slot = |sid: i64| -> Result<usize, StoreError> {
        if sid >= 1 && sid <= n {
            Ok(sid as usize - 1)
        } else {
            Err(bad(format!("row of unknown series {sid}")))
        }
    };
    let mut stmt = conn
        .prepare("SELECT series_id, MAX(end_ms) FROM chunks GROUP BY series_id")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(r) = rows.next().map_err(err)? {
        let i = slot(r.get(0).map_err(err)?)?;
        st.series[i].last_ts = Some(r.get(1).map_err(err)?);
    }
    let mut stmt = conn
        .prepare("SELECT series_id, data FROM open_chunks")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(r) = rows.next().map_err(err)? {
        let i = slot(r.get(0).map_err(err)?)?;
        let blob: Vec<u8> = r.get(1).map_err(err)?;
        let (ts, vs) = codec::decode_chunk(&blob).map_err(|e| bad(e.0))?;
        let s = &mut st.series[i];
        s.head = ts.iter().zip(&vs).map(|(&t, &v)| Point { t, v }).collect();
        s.flushed = s.head.len();
        if let Some(p) = s.head.last() {
            s.last_ts = Some(s.last_ts.map_or(p.t, |l| l.max(p.t)));
        }
    }
    let mut stmt = conn
        .prepare("SELECT series_id, res, data FROM rollup_open")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(r) = rows.next().map_err(err)? {
        let i = slot(r.get(0).map_err(err)?)?;
        let res: i64 = r.get(1).map_err(err)?;
        let ri = RESOLUTIONS
            .iter()
            .position(|&x| x == res)
            .ok_or_else(|| bad(format!("rollup resolution {res}")))?;
        let blob: Vec<u8> = r.get(2).map_err(err)?;
        let mut buckets = Vec::new();
        RollBlock::decode_into(&blob, &mut buckets, &mut Default::default())
            .map_err(|e| bad(e.0))?;
        let start = buckets
            .first()
            .map(|b| rollup::block_start(b.t, res))
            .unwrap_or(0);
        st.series[i].roll[ri] = RollBlock { start, buckets };
    }
    let mut stmt = conn
        .prepare("SELECT data FROM wal ORDER BY id")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(r) = rows.next().map_err(err)? {
        let blob = r.get_ref(0).and_then(|v| Ok(v.as_blob()?)).map_err(err)?;
        for (id, t, v) in wal::decode(blob).map_err(|e| bad(e.0))? {
            let i = slot(i64::from(id))?;
            let s = &mut st.series[i];
            // Rows were validated before they were written; a sample not newer than its
            // series' last one cannot occur, and is skipped rather than stored twice.
            if s.last_ts.is_some_and(|l| t <= l) {
                continue;
            }
            s.head.push(Point { t, v });
            s.last_ts = Some(t);
        }
    }
    Ok(st)
}
