//! Reading: [`Store::query`] (raw points or buckets from the raw samples or a rollup,
//! series split over a few threads) and [`Store::stats`].

use std::fs;
use std::path::PathBuf;

use rusqlite::{params, Connection};

use super::codec;
use super::engine::{corrupt, range_err, State, Store};
use super::rollup::{self, RollBlock, RESOLUTIONS};
use super::{AggPoint, Point, Query, SeriesData, StoreError, StoreStats, MAX_TIMESTAMP_MS};

/// A query uses at most this many threads ...
const MAX_QUERY_THREADS: usize = 4;
/// ... and gives each at least this many series.
const MIN_SERIES_PER_THREAD: usize = 8;

impl Store {
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
}
