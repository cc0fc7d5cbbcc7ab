//! Rollup buckets (sum, count, min, max of the non-NaN samples of a fixed interval) and the
//! blocks they are stored in: up to [`BLOCK_BUCKETS`] consecutive buckets of one series and
//! one resolution, aligned to `BLOCK_BUCKETS × resolution`, encoded with the chunk codec as a
//! five-column block (bucket start, sum, count, min, max).

use super::codec::{self, CodecError};
use super::AggPoint;

/// The rollup resolutions, finest first: 1 minute and 1 hour.
pub(crate) const RESOLUTIONS: [i64; 2] = [60_000, 3_600_000];
/// Buckets per stored block (2 h of 1-minute buckets, 5 days of 1-hour buckets).
pub(crate) const BLOCK_BUCKETS: i64 = 120;

/// Adds `v` (not NaN) to the bucket starting at `t`, appending a bucket when `t` is past the
/// last one. Callers feed buckets in time order.
#[inline]
pub(crate) fn add_sample(buckets: &mut Vec<AggPoint>, t: i64, v: f64) {
    match buckets.last_mut() {
        Some(b) if b.t == t => {
            b.sum += v;
            b.count += 1;
            b.min = b.min.min(v);
            b.max = b.max.max(v);
        }
        _ => buckets.push(AggPoint {
            t,
            sum: v,
            count: 1,
            min: v,
            max: v,
        }),
    }
}

/// Merges bucket `p` (already re-keyed to its target bucket start) into `buckets`.
#[inline]
pub(crate) fn merge_bucket(buckets: &mut Vec<AggPoint>, p: AggPoint) {
    match buckets.last_mut() {
        Some(b) if b.t == p.t => {
            b.sum += p.sum;
            b.count += p.count;
            b.min = b.min.min(p.min);
            b.max = b.max.max(p.max);
        }
        _ => buckets.push(p),
    }
}

/// Maps ascending times to the start of their `step` bucket, dividing only when a time
/// leaves the current bucket.
pub(crate) struct Bucketer {
    step: i64,
    start: i64,
    end: i64,
}

impl Bucketer {
    /// A bucketer for buckets of `step` ms (> 0) aligned to the epoch.
    pub fn new(step: i64) -> Self {
        Bucketer {
            step,
            start: 1,
            end: 0,
        }
    }

    /// Start of the bucket holding `t`.
    #[inline]
    pub fn key(&mut self, t: i64) -> i64 {
        if t < self.start || t > self.end {
            self.start = t.div_euclid(self.step) * self.step;
            self.end = self.start.saturating_add(self.step - 1);
        }
        self.start
    }
}

/// The open (newest) block of one series at one resolution.
#[derive(Debug, Clone, Default)]
pub(crate) struct RollBlock {
    /// Block start (aligned to `BLOCK_BUCKETS × res`); meaningless while `buckets` is empty.
    pub start: i64,
    /// Buckets in time order.
    pub buckets: Vec<AggPoint>,
}

impl RollBlock {
    /// Encodes the block.
    pub fn encode(&self) -> Vec<u8> {
        let ts: Vec<i64> = self.buckets.iter().map(|b| b.t).collect();
        let sum: Vec<f64> = self.buckets.iter().map(|b| b.sum).collect();
        let count: Vec<f64> = self.buckets.iter().map(|b| b.count as f64).collect();
        let min: Vec<f64> = self.buckets.iter().map(|b| b.min).collect();
        let max: Vec<f64> = self.buckets.iter().map(|b| b.max).collect();
        codec::encode_block(&ts, &[&sum, &count, &min, &max])
    }

    /// Decodes a block written by [`RollBlock::encode`], appending its buckets to `out`;
    /// `scratch` holds the columns between calls.
    pub fn decode_into(
        data: &[u8],
        out: &mut Vec<AggPoint>,
        scratch: &mut DecodeScratch,
    ) -> Result<(), CodecError> {
        let DecodeScratch {
            ts,
            sum,
            count,
            min,
            max,
        } = scratch;
        for c in [&mut *sum, &mut *count, &mut *min, &mut *max] {
            c.clear();
        }
        ts.clear();
        codec::decode_block_into(data, ts, &mut [sum, count, min, max])?;
        out.reserve(ts.len());
        out.extend((0..ts.len()).map(|i| AggPoint {
            t: ts[i],
            sum: sum[i],
            count: count[i] as u64,
            min: min[i],
            max: max[i],
        }));
        Ok(())
    }
}

/// Reusable column buffers for [`RollBlock::decode_into`].
#[derive(Default)]
pub(crate) struct DecodeScratch {
    ts: Vec<i64>,
    sum: Vec<f64>,
    count: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
}

/// Start of the block holding bucket time `t` at resolution `res`.
#[inline]
pub(crate) fn block_start(t: i64, res: i64) -> i64 {
    let span = res * BLOCK_BUCKETS;
    t.div_euclid(span) * span
}
