//! The write-ahead row: one compact blob per `append`/`append_batch` call, committed before
//! the call returns and deleted by the `flush` that moves its samples into chunks.
//!
//! Layout: `[version = 1][varint n]`, then per sample `[varint series id][zigzag varint
//! timestamp delta from the previous sample of the blob (first: from 0)][f64 little-endian]`.
//! A tick of 50 series costs about 10 bytes a sample; it lives only until the next flush.

use super::codec::{get_ivarint, get_uvarint, put_ivarint, put_uvarint, CodecError};

const VERSION: u8 = 1;

/// Encodes `(series id, ts, value)` samples.
pub(crate) fn encode(samples: impl ExactSizeIterator<Item = (u32, i64, f64)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + samples.len() * 11);
    out.push(VERSION);
    put_uvarint(&mut out, samples.len() as u64);
    let mut prev = 0i64;
    for (id, ts, v) in samples {
        put_uvarint(&mut out, u64::from(id));
        put_ivarint(&mut out, ts.wrapping_sub(prev));
        prev = ts;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Decodes a blob written by [`encode`].
pub(crate) fn decode(data: &[u8]) -> Result<Vec<(u32, i64, f64)>, CodecError> {
    if data.first() != Some(&VERSION) {
        return Err(CodecError(format!(
            "write-ahead row version {:?} (accepted: {VERSION})",
            data.first()
        )));
    }
    let mut pos = 1;
    let n = get_uvarint(data, &mut pos)? as usize;
    if n > data.len() / 10 {
        return Err(CodecError(format!(
            "write-ahead row claims {n} samples in {} bytes",
            data.len()
        )));
    }
    let mut out = Vec::with_capacity(n);
    let mut prev = 0i64;
    for _ in 0..n {
        let id = get_uvarint(data, &mut pos)?;
        let id = u32::try_from(id).map_err(|_| CodecError(format!("series id {id}")))?;
        prev = prev.wrapping_add(get_ivarint(data, &mut pos)?);
        let bytes = data
            .get(pos..pos + 8)
            .ok_or_else(|| CodecError("truncated write-ahead row".into()))?;
        pos += 8;
        out.push((id, prev, f64::from_le_bytes(bytes.try_into().unwrap())));
    }
    if pos != data.len() {
        return Err(CodecError("trailing bytes in a write-ahead row".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = [
            (1u32, 1_700_000_000_000i64, 1.5f64),
            (2, 1_700_000_000_000, f64::NAN),
            (70000, 1_699_999_999_000, -0.0),
            (3, 9_007_199_254_740_991, f64::INFINITY),
        ];
        let enc = encode(s.iter().copied());
        let dec = decode(&enc).unwrap();
        assert_eq!(dec.len(), s.len());
        for (a, b) in s.iter().zip(&dec) {
            assert_eq!((a.0, a.1, a.2.to_bits()), (b.0, b.1, b.2.to_bits()));
        }
        assert!(decode(&enc[..enc.len() - 1]).is_err());
        assert!(decode(&[]).is_err());
    }
}
