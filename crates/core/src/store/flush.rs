//! [`Store::flush`]: the heads become chunks (closed ones appended, the open one rewritten),
//! the rollup blocks are updated and the write-ahead rows deleted, in one transaction.

use rusqlite::params;

use super::codec;
use super::engine::{SeriesState, Store, Writer};
use super::rollup::{self, RollBlock, BLOCK_BUCKETS, RESOLUTIONS};
use super::{Point, StoreError, CHUNK_MAX_SAMPLES, CHUNK_MAX_SPAN_MS};

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

impl Store {
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

    pub(super) fn flush_locked(&self, w: &mut Writer) -> Result<(), StoreError> {
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
