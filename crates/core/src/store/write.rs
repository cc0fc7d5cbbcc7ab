//! The write path: [`Store::append`] and [`Store::append_batch`] validate the whole call,
//! commit one write-ahead row and then add the samples to the heads (see the module docs of
//! `store` for durability).

use super::engine::{range_err, State, Store, Writer};
use super::wal;
use super::{Point, SeriesId, StoreError, AUTO_FLUSH_SAMPLES, MAX_TIMESTAMP_MS};

impl Store {
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
