//! The chunk codec: a block of samples (timestamps plus one or more value columns) to bytes
//! and back, bit-exact for every `f64` (NaN payloads, ±inf and -0.0 included).
//!
//! Layout of a block: `[version = 1][varint n]`, then one section per column, the timestamp
//! column first. A section is `[mode][scale if the mode is integer][varint byte length][bits]`,
//! byte-aligned so that each column decodes on its own.
//!
//! - Timestamps (mode 3): delta-of-delta, as in Gorilla, with millisecond buckets.
//! - Values, chosen per column and per block, the smallest wins:
//!   - mode 1 / mode 2: integer delta or integer delta-of-delta, for columns whose every
//!     non-NaN value is `k / 10^scale` for an integer `k` (|k| ≤ 2^53) and a scale of 0 to 4
//!     that round-trips bit-exactly. Cumulative counters (bytes, jiffies, packets) and most
//!     gauges of a system are integral, and two-decimal values (load average) are integral
//!     at scale 2; they cost a few bits per sample this way instead of the 10 to 30 bits of
//!     the XOR path.
//!   - mode 4 / mode 5: the same with a common step `g > 1` (a varint after the scale): the
//!     first value is written whole and every later change in units of `g`. Byte gauges
//!     read from page counts (memory, file systems) move in multiples of 4096 or 1024, and
//!     without the step their changes of a few MiB fall in the 64-bit code word.
//!   - mode 0: Gorilla XOR of the IEEE bits with the leading/trailing-zero window.
//!
//! Integer code words (shared by timestamps and integer values): `0` → 0, `10` + 7 bits,
//! `110` + 14 bits, `1110` + 24 bits, `11110` + 64 bits (two's complement), and `11111` for
//! NaN in a value column (the state does not move, so a gap costs 5 bits).

/// Why a block could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

const VERSION: u8 = 1;
const MODE_XOR: u8 = 0;
const MODE_INT_DELTA: u8 = 1;
const MODE_INT_DOD: u8 = 2;
const MODE_TS_DOD: u8 = 3;
const MODE_INT_DELTA_STEP: u8 = 4;
const MODE_INT_DOD_STEP: u8 = 5;
/// Largest integer magnitude the integer path accepts (2^53, exact in an `f64`).
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
const POW10: [f64; 5] = [1.0, 10.0, 100.0, 1000.0, 10000.0];

// ---------------------------------------------------------------------------------------
// varints
// ---------------------------------------------------------------------------------------

/// Appends `v` as an LEB128 varint.
pub(crate) fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-encoded as a varint.
pub(crate) fn put_ivarint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads a varint at `*pos`, moving `*pos` past it.
pub(crate) fn get_uvarint(data: &[u8], pos: &mut usize) -> Result<u64, CodecError> {
    let mut v = 0u64;
    let mut shift = 0u32;
    loop {
        let b = *data
            .get(*pos)
            .ok_or_else(|| CodecError("truncated varint".into()))?;
        *pos += 1;
        if shift >= 64 {
            return Err(CodecError("varint longer than 64 bits".into()));
        }
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
        shift += 7;
    }
}

/// Reads a zigzag varint.
pub(crate) fn get_ivarint(data: &[u8], pos: &mut usize) -> Result<i64, CodecError> {
    let u = get_uvarint(data, pos)?;
    Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
}

// ---------------------------------------------------------------------------------------
// bits
// ---------------------------------------------------------------------------------------

/// MSB-first bit writer.
#[derive(Default)]
struct BitWriter {
    buf: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl BitWriter {
    #[inline]
    fn write(&mut self, v: u64, n: u32) {
        if n == 0 {
            return;
        }
        let v = if n == 64 { v } else { v & ((1u64 << n) - 1) };
        let free = 64 - self.nbits;
        if n < free {
            self.acc |= v << (free - n);
            self.nbits += n;
        } else {
            let rest = n - free;
            self.acc |= if rest == 0 { v } else { v >> rest };
            self.buf.extend_from_slice(&self.acc.to_be_bytes());
            self.acc = if rest == 0 { 0 } else { v << (64 - rest) };
            self.nbits = rest;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let bytes = self.nbits.div_ceil(8) as usize;
        self.buf.extend_from_slice(&self.acc.to_be_bytes()[..bytes]);
        self.buf
    }
}

/// MSB-first bit reader over a byte slice.
struct BitReader {
    /// The section's bytes followed by 8 zero bytes, so a 64-bit window never runs off.
    data: Vec<u8>,
    /// Bits in the section.
    total: usize,
    pos: usize,
}

impl BitReader {
    fn new(bits: &[u8]) -> Self {
        let mut data = Vec::with_capacity(bits.len() + 8);
        data.extend_from_slice(bits);
        data.extend_from_slice(&[0u8; 8]);
        BitReader {
            data,
            total: bits.len() * 8,
            pos: 0,
        }
    }

    /// The next 64 bits from `pos` (zero-padded past the end), without consuming them.
    #[inline(always)]
    fn window(&self) -> u64 {
        let byte = self.pos / 8;
        let off = (self.pos % 8) as u32;
        let word = match self.data.get(byte..byte + 8) {
            Some(b) => u64::from_be_bytes(b.try_into().unwrap()),
            None => 0,
        };
        word << off
    }

    #[inline]
    fn read(&mut self, n: u32) -> Result<u64, CodecError> {
        if n == 0 {
            return Ok(0);
        }
        if n > 56 {
            let hi = self.read(n - 32)?;
            let lo = self.read(32)?;
            return Ok((hi << 32) | lo);
        }
        if self.pos + n as usize > self.total {
            return Err(CodecError("truncated bit stream".into()));
        }
        let v = self.window() >> (64 - n);
        self.pos += n as usize;
        Ok(v)
    }

    /// Reads an integer code word: `Some(value)` or `None` for the NaN code.
    #[inline(always)]
    fn read_int(&mut self) -> Result<Option<i64>, CodecError> {
        let w = self.window();
        // Leading ones of the 5-bit prefix select the code word.
        let lead = w.leading_ones().min(5);
        let consumed = if lead < 5 { lead + 1 } else { 5 };
        let n = match lead {
            0 => 0,
            1 => 7,
            2 => 14,
            3 => 24,
            4 => 64,
            _ => 0,
        };
        let total = self.total;
        if lead == 4 {
            // 64-bit payload: does not fit the same window.
            if self.pos + 5 + 64 > total {
                return Err(CodecError("truncated bit stream".into()));
            }
            self.pos += 5;
            return Ok(Some(self.read(64)? as i64));
        }
        if self.pos + (consumed + n) as usize > total {
            return Err(CodecError("truncated bit stream".into()));
        }
        self.pos += (consumed + n) as usize;
        Ok(match lead {
            0 => Some(0),
            5 => None,
            _ => Some(((w << consumed) as i64) >> (64 - n)),
        })
    }
}

#[inline]
fn fits(x: i64, bits: u32) -> bool {
    let lim = 1i64 << (bits - 1);
    x >= -lim && x < lim
}

#[inline]
fn write_int(w: &mut BitWriter, x: i64) {
    if x == 0 {
        w.write(0, 1);
    } else if fits(x, 7) {
        w.write(0b10, 2);
        w.write(x as u64, 7);
    } else if fits(x, 14) {
        w.write(0b110, 3);
        w.write(x as u64, 14);
    } else if fits(x, 24) {
        w.write(0b1110, 4);
        w.write(x as u64, 24);
    } else {
        w.write(0b11110, 5);
        w.write(x as u64, 64);
    }
}

#[inline]
fn write_nan_code(w: &mut BitWriter) {
    w.write(0b11111, 5);
}

// ---------------------------------------------------------------------------------------
// columns
// ---------------------------------------------------------------------------------------

fn encode_ts(ts: &[i64]) -> Vec<u8> {
    let mut w = BitWriter::default();
    let (mut prev, mut prev_delta) = (0i64, 0i64);
    for &t in ts {
        let delta = t.wrapping_sub(prev);
        write_int(&mut w, delta.wrapping_sub(prev_delta));
        prev = t;
        prev_delta = delta;
    }
    w.finish()
}

fn decode_ts(bits: &[u8], n: usize, out: &mut Vec<i64>) -> Result<(), CodecError> {
    let mut r = BitReader::new(bits);
    let (mut prev, mut prev_delta) = (0i64, 0i64);
    out.reserve(n);
    for _ in 0..n {
        let dod = r
            .read_int()?
            .ok_or_else(|| CodecError("NaN code in the timestamp column".into()))?;
        let delta = prev_delta.wrapping_add(dod);
        prev = prev.wrapping_add(delta);
        prev_delta = delta;
        out.push(prev);
    }
    Ok(())
}

/// The smallest decimal scale (0 to 4) at which every non-NaN value is an exact integer.
fn integer_scale(vals: &[f64]) -> Option<u8> {
    'scale: for (k, &p) in POW10.iter().enumerate() {
        for &v in vals {
            if v.is_nan() {
                continue;
            }
            let s = (v * p).round();
            // The decoder's exact expression: -0.0 (sign lost in i64) and non-finite values fail.
            if s.is_nan() || s.abs() > MAX_EXACT || ((s as i64) as f64 / p).to_bits() != v.to_bits()
            {
                continue 'scale;
            }
        }
        return Some(k as u8);
    }
    None
}

fn encode_int(vals: &[f64], p: f64, dod: bool) -> Vec<u8> {
    let mut w = BitWriter::default();
    let (mut prev, mut prev_delta) = (0i64, 0i64);
    for &v in vals {
        if v.is_nan() {
            write_nan_code(&mut w);
            continue;
        }
        let s = (v * p).round() as i64;
        let delta = s.wrapping_sub(prev);
        if dod {
            write_int(&mut w, delta.wrapping_sub(prev_delta));
        } else {
            write_int(&mut w, delta);
        }
        prev = s;
        prev_delta = delta;
    }
    w.finish()
}

/// The greatest common divisor of the changes between consecutive non-NaN values, as
/// integers at power `p` (0 when the values never change).
fn common_step(vals: &[f64], p: f64) -> u64 {
    let gcd = |mut a: u64, mut b: u64| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let mut g = 0u64;
    let mut prev: Option<i64> = None;
    for &v in vals.iter().filter(|v| !v.is_nan()) {
        let s = (v * p).round() as i64;
        if let Some(q) = prev {
            g = gcd(g, s.wrapping_sub(q).unsigned_abs());
        }
        prev = Some(s);
    }
    g
}

/// Like `encode_int`, with every change after the first value divided by `g`.
fn encode_int_step(vals: &[f64], p: f64, dod: bool, g: u64) -> Vec<u8> {
    let mut w = BitWriter::default();
    let (mut prev, mut prev_delta) = (None::<i64>, 0i64);
    for &v in vals {
        if v.is_nan() {
            write_nan_code(&mut w);
            continue;
        }
        let s = (v * p).round() as i64;
        match prev {
            None => write_int(&mut w, s),
            Some(q) => {
                let units = s.wrapping_sub(q) / g as i64;
                write_int(
                    &mut w,
                    if dod {
                        units.wrapping_sub(prev_delta)
                    } else {
                        units
                    },
                );
                prev_delta = units;
            }
        }
        prev = Some(s);
    }
    w.finish()
}

fn decode_int_step(
    bits: &[u8],
    n: usize,
    (scale, g): (u8, u64),
    dod: bool,
    out: &mut Vec<f64>,
) -> Result<(), CodecError> {
    let p = *POW10
        .get(scale as usize)
        .ok_or_else(|| CodecError(format!("decimal scale {scale} (accepted: 0 to 4)")))?;
    let g = i64::try_from(g).map_err(|_| CodecError(format!("step {g} out of range")))?;
    let mut r = BitReader::new(bits);
    let (mut prev, mut prev_delta) = (None::<i64>, 0i64);
    out.reserve(n);
    for _ in 0..n {
        match r.read_int()? {
            None => out.push(f64::NAN),
            Some(x) => {
                let s = match prev {
                    None => x,
                    Some(q) => {
                        let units = if dod { prev_delta.wrapping_add(x) } else { x };
                        prev_delta = units;
                        q.wrapping_add(units.wrapping_mul(g))
                    }
                };
                prev = Some(s);
                out.push(s as f64 / p);
            }
        }
    }
    Ok(())
}

fn decode_int(
    bits: &[u8],
    n: usize,
    scale: u8,
    dod: bool,
    out: &mut Vec<f64>,
) -> Result<(), CodecError> {
    let p = *POW10
        .get(scale as usize)
        .ok_or_else(|| CodecError(format!("decimal scale {scale} (accepted: 0 to 4)")))?;
    let mut r = BitReader::new(bits);
    let (mut prev, mut prev_delta) = (0i64, 0i64);
    out.reserve(n);
    for _ in 0..n {
        match r.read_int()? {
            None => out.push(f64::NAN),
            Some(x) => {
                let delta = if dod { prev_delta.wrapping_add(x) } else { x };
                prev = prev.wrapping_add(delta);
                prev_delta = delta;
                out.push(prev as f64 / p);
            }
        }
    }
    Ok(())
}

fn encode_xor(vals: &[f64]) -> Vec<u8> {
    let mut w = BitWriter::default();
    let mut prev = 0u64;
    let (mut lead, mut trail) = (u32::MAX, 0u32);
    for &v in vals {
        let bits = v.to_bits();
        let x = bits ^ prev;
        if x == 0 {
            w.write(0, 1);
        } else {
            let l = x.leading_zeros().min(31);
            let t = x.trailing_zeros();
            if lead != u32::MAX && l >= lead && t >= trail {
                w.write(0b10, 2);
                w.write(x >> trail, 64 - lead - trail);
            } else {
                let len = 64 - l - t;
                w.write(0b11, 2);
                w.write(u64::from(l), 5);
                w.write(u64::from(len - 1), 6);
                w.write(x >> t, len);
                lead = l;
                trail = t;
            }
        }
        prev = bits;
    }
    w.finish()
}

fn decode_xor(bits: &[u8], n: usize, out: &mut Vec<f64>) -> Result<(), CodecError> {
    let mut r = BitReader::new(bits);
    let mut prev = 0u64;
    let (mut lead, mut trail) = (u32::MAX, 0u32);
    out.reserve(n);
    for _ in 0..n {
        if r.read(1)? == 1 {
            if r.read(1)? == 0 {
                if lead == u32::MAX {
                    return Err(CodecError("XOR window used before it was set".into()));
                }
                let x = r.read(64 - lead - trail)? << trail;
                prev ^= x;
            } else {
                let l = r.read(5)? as u32;
                let len = r.read(6)? as u32 + 1;
                if l + len > 64 {
                    return Err(CodecError("XOR window wider than 64 bits".into()));
                }
                let t = 64 - l - len;
                prev ^= r.read(len)? << t;
                lead = l;
                trail = t;
            }
        }
        out.push(f64::from_bits(prev));
    }
    Ok(())
}

fn put_section(out: &mut Vec<u8>, mode: u8, scale: Option<u8>, bits: &[u8]) {
    out.push(mode);
    if let Some(s) = scale {
        out.push(s);
    }
    put_uvarint(out, bits.len() as u64);
    out.extend_from_slice(bits);
}

fn put_step_section(out: &mut Vec<u8>, mode: u8, scale: u8, g: u64, bits: &[u8]) {
    out.push(mode);
    out.push(scale);
    put_uvarint(out, g);
    put_uvarint(out, bits.len() as u64);
    out.extend_from_slice(bits);
}

fn encode_values(out: &mut Vec<u8>, vals: &[f64]) {
    match integer_scale(vals) {
        Some(scale) => {
            let p = POW10[scale as usize];
            let g = common_step(vals, p);
            if g > 1 {
                let delta = encode_int_step(vals, p, false, g);
                let dod = encode_int_step(vals, p, true, g);
                if dod.len() < delta.len() {
                    put_step_section(out, MODE_INT_DOD_STEP, scale, g, &dod);
                } else {
                    put_step_section(out, MODE_INT_DELTA_STEP, scale, g, &delta);
                }
                return;
            }
            let delta = encode_int(vals, p, false);
            let dod = encode_int(vals, p, true);
            if dod.len() < delta.len() {
                put_section(out, MODE_INT_DOD, Some(scale), &dod);
            } else {
                put_section(out, MODE_INT_DELTA, Some(scale), &delta);
            }
        }
        None => put_section(out, MODE_XOR, None, &encode_xor(vals)),
    }
}

/// Encodes a block of `ts.len()` rows: timestamps and each column of `cols` (each as long as
/// `ts`).
pub fn encode_block(ts: &[i64], cols: &[&[f64]]) -> Vec<u8> {
    debug_assert!(cols.iter().all(|c| c.len() == ts.len()));
    let mut out = Vec::with_capacity(16 + ts.len() * (1 + cols.len() * 2));
    out.push(VERSION);
    put_uvarint(&mut out, ts.len() as u64);
    put_section(&mut out, MODE_TS_DOD, None, &encode_ts(ts));
    for c in cols {
        encode_values(&mut out, c);
    }
    out
}

/// Encodes one series' samples (`ts` ascending).
pub fn encode_chunk(ts: &[i64], vals: &[f64]) -> Vec<u8> {
    encode_block(ts, &[vals])
}

/// Number of rows of a block, read from its header only.
pub fn block_len(data: &[u8]) -> Result<usize, CodecError> {
    if data.first() != Some(&VERSION) {
        return Err(CodecError(format!(
            "block version {:?} (accepted: {VERSION})",
            data.first()
        )));
    }
    let mut pos = 1;
    let n = get_uvarint(data, &mut pos)?;
    // Every row costs at least one bit in the timestamp column.
    if n > (data.len() as u64) * 8 {
        return Err(CodecError(format!(
            "block claims {n} rows in {} bytes",
            data.len()
        )));
    }
    Ok(n as usize)
}

/// One section of a block: its mode, `(decimal scale, common step)` and its bits.
type Section<'a> = (u8, (u8, u64), &'a [u8]);

/// Decodes a block of `ncols` value columns, appending the timestamps to `ts` and column `i`
/// to `cols[i]`.
pub fn decode_block_into(
    data: &[u8],
    ts: &mut Vec<i64>,
    cols: &mut [&mut Vec<f64>],
) -> Result<usize, CodecError> {
    let n = block_len(data)?;
    let mut pos = 1;
    get_uvarint(data, &mut pos)?;
    let section = |pos: &mut usize| -> Result<Section<'_>, CodecError> {
        let mode = *data
            .get(*pos)
            .ok_or_else(|| CodecError("truncated block".into()))?;
        *pos += 1;
        let scale = if matches!(
            mode,
            MODE_INT_DELTA | MODE_INT_DOD | MODE_INT_DELTA_STEP | MODE_INT_DOD_STEP
        ) {
            let s = *data
                .get(*pos)
                .ok_or_else(|| CodecError("truncated block".into()))?;
            *pos += 1;
            s
        } else {
            0
        };
        let step = if matches!(mode, MODE_INT_DELTA_STEP | MODE_INT_DOD_STEP) {
            get_uvarint(data, pos)?
        } else {
            1
        };
        let len = get_uvarint(data, pos)? as usize;
        let bits = data
            .get(*pos..*pos + len)
            .ok_or_else(|| CodecError("truncated block section".into()))?;
        *pos += len;
        Ok((mode, (scale, step), bits))
    };
    let (mode, _, bits) = section(&mut pos)?;
    if mode != MODE_TS_DOD {
        return Err(CodecError(format!("timestamp section mode {mode}")));
    }
    decode_ts(bits, n, ts)?;
    for col in cols.iter_mut() {
        let (mode, scale_step, bits) = section(&mut pos)?;
        let scale = scale_step.0;
        match mode {
            MODE_XOR => decode_xor(bits, n, col)?,
            MODE_INT_DELTA => decode_int(bits, n, scale, false, col)?,
            MODE_INT_DOD => decode_int(bits, n, scale, true, col)?,
            MODE_INT_DELTA_STEP => decode_int_step(bits, n, scale_step, false, col)?,
            MODE_INT_DOD_STEP => decode_int_step(bits, n, scale_step, true, col)?,
            m => return Err(CodecError(format!("value section mode {m}"))),
        }
    }
    if pos != data.len() {
        return Err(CodecError("trailing bytes after the last section".into()));
    }
    Ok(n)
}

/// Decodes one series' chunk into `(timestamps, values)`.
pub fn decode_chunk(data: &[u8]) -> Result<(Vec<i64>, Vec<f64>), CodecError> {
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    decode_block_into(data, &mut ts, &mut [&mut vs])?;
    Ok((ts, vs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    fn roundtrip(ts: &[i64], vs: &[f64]) -> usize {
        let enc = encode_chunk(ts, vs);
        let (t2, v2) = decode_chunk(&enc).unwrap();
        assert_eq!(t2, ts);
        assert!(same(&v2, vs), "values differ");
        enc.len()
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn special_floats_round_trip() {
        let vs = [
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            1.5,
            f64::from_bits(0x7ff8_dead_beef_0001), // NaN with a payload
            -0.0,
            3.0,
        ];
        let ts: Vec<i64> = (0..vs.len() as i64)
            .map(|i| 1_700_000_000_000 + i * 5000)
            .collect();
        roundtrip(&ts, &vs);
    }

    #[test]
    fn empty_and_single() {
        roundtrip(&[], &[]);
        roundtrip(&[0], &[f64::NAN]);
        roundtrip(&[9_007_199_254_740_991], &[42.0]);
    }

    #[test]
    fn large_timestamp_gaps_and_jitter() {
        let ts = [
            0,
            1,
            5_000,
            5_001,
            1_000_000_000,
            1_000_000_007,
            9_007_199_254_740_000,
            9_007_199_254_740_991,
        ];
        let vs = [1.0; 8];
        roundtrip(&ts, &vs);
        let mut r = Rng(7);
        let mut t = 1_700_000_000_000i64;
        let mut ts = Vec::new();
        for _ in 0..1000 {
            t += 5000 + (r.next() % 41) as i64 - 20;
            ts.push(t);
        }
        let vs: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        roundtrip(&ts, &vs);
    }

    #[test]
    fn identical_values_cost_about_two_bits_a_sample() {
        let ts: Vec<i64> = (0..480).map(|i| 1_700_000_000_000 + i * 5000).collect();
        let vs = vec![1234.5678; 480];
        let n = roundtrip(&ts, &vs);
        assert!(n < 160, "{n} bytes");
    }

    #[test]
    fn page_sized_steps_use_the_step_modes() {
        let ts: Vec<i64> = (0..480).map(|i| 1_700_000_000_000 + i * 5000).collect();
        let mut r = Rng(7);
        let mut free = 20_000_000_000.0f64;
        // Free memory moving by up to ±64 MiB in whole 4 KiB pages, with a gap.
        let mem: Vec<f64> = (0..480)
            .map(|i| {
                free += ((r.next() % 32768) as f64 - 16384.0) * 4096.0;
                if i == 40 {
                    f64::NAN
                } else {
                    free
                }
            })
            .collect();
        let n = roundtrip(&ts, &mem);
        // Without the step every change needs the 64-bit code word (over 4 KiB in all).
        assert!(n < 480 * 4, "{n} bytes for page-step gauges");
        // Negative steps, and a first value that is not a multiple of the step.
        let odd: Vec<f64> = (0..480).map(|i| 7.0 - (i % 5) as f64 * 3.0).collect();
        roundtrip(&ts, &odd);
    }

    #[test]
    fn integer_path_for_counters_and_decimals() {
        let ts: Vec<i64> = (0..480).map(|i| 1_700_000_000_000 + i * 5000).collect();
        let mut r = Rng(11);
        let mut c = 123_456_789_012.0;
        let counter: Vec<f64> = (0..480)
            .map(|_| {
                c += (1000 + r.next() % 50) as f64;
                c
            })
            .collect();
        let n = roundtrip(&ts, &counter);
        assert!(n < 480 * 2, "{n} bytes for a steady counter");
        let enc = encode_chunk(&ts, &counter);
        // timestamp section then the value section in integer mode
        let load: Vec<f64> = (0..480).map(|i| ((i % 300) as f64) / 100.0).collect();
        let n2 = roundtrip(&ts, &load);
        assert!(n2 < 480 * 2, "{n2} bytes for two-decimal values");
        assert!(enc.len() < encode_xor(&counter).len());
        // a gap (NaN) keeps the integer path
        let mut gappy = counter.clone();
        gappy[17] = f64::NAN;
        gappy[18] = f64::NAN;
        let n3 = roundtrip(&ts, &gappy);
        assert!(n3 < n + 16);
        // -0.0 forces the float path but still round-trips
        let mut neg = counter.clone();
        neg[3] = -0.0;
        roundtrip(&ts, &neg);
        // values beyond 2^53 are not integral-exact in i64 form
        let big: Vec<f64> = (0..480).map(|i| 1e300 * (i as f64 + 1.0)).collect();
        roundtrip(&ts, &big);
        let huge_int: Vec<f64> = (0..480)
            .map(|i| 2f64.powi(60) + (i as f64) * 4096.0)
            .collect();
        roundtrip(&ts, &huge_int);
    }

    #[test]
    fn random_floats_round_trip() {
        let mut r = Rng(3);
        for len in [1usize, 2, 7, 64, 481] {
            let ts: Vec<i64> = (0..len as i64).map(|i| i * 1000).collect();
            let vs: Vec<f64> = (0..len).map(|_| f64::from_bits(r.next())).collect();
            roundtrip(&ts, &vs);
            let vs: Vec<f64> = (0..len).map(|_| (r.next() % 1000) as f64 / 7.0).collect();
            roundtrip(&ts, &vs);
            let vs: Vec<f64> = (0..len)
                .map(|_| (r.next() as i64 >> (r.next() % 64)) as f64)
                .collect();
            roundtrip(&ts, &vs);
        }
    }

    #[test]
    fn multi_column_blocks() {
        let ts = [60_000, 120_000, 240_000];
        let a = [1.0, 2.0, 3.0];
        let b = [0.5, f64::NAN, -7.25];
        let enc = encode_block(&ts, &[&a, &b]);
        let (mut t, mut x, mut y) = (Vec::new(), Vec::new(), Vec::new());
        decode_block_into(&enc, &mut t, &mut [&mut x, &mut y]).unwrap();
        assert_eq!(t, ts);
        assert!(same(&x, &a) && same(&y, &b));
        assert_eq!(block_len(&enc).unwrap(), 3);
    }

    #[test]
    fn corrupt_blocks_are_errors_not_panics() {
        let ts: Vec<i64> = (0..100).map(|i| i * 5000).collect();
        let vs: Vec<f64> = (0..100).map(|i| (i as f64).sin()).collect();
        let enc = encode_chunk(&ts, &vs);
        for cut in 0..enc.len() {
            assert!(decode_chunk(&enc[..cut]).is_err());
        }
        let mut bad = enc.clone();
        bad[0] = 9;
        assert!(decode_chunk(&bad).is_err());
        let mut r = Rng(5);
        for _ in 0..200 {
            let mut b = enc.clone();
            let i = (r.next() as usize) % b.len();
            b[i] ^= 1 << (r.next() % 8);
            let _ = decode_chunk(&b); // any result but no panic
        }
    }
}
