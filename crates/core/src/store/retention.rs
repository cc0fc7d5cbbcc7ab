//! [`Store::apply_retention`] and the file housekeeping that follows deletions (freed pages
//! given back, WAL file trimmed).

use super::engine::{range_err, Store, Writer};
use super::rollup::{RollBlock, RESOLUTIONS};
use super::{StoreError, MAX_TIMESTAMP_MS};

impl Store {
    /// Gives the pages freed by deleted rows back to the file system and trims the WAL file.
    /// Failures here lose nothing (the data is committed), so they are ignored.
    pub(super) fn housekeeping(&self, w: &mut Writer) {
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
}
