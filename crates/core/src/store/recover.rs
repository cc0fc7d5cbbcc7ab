//! Recovery at open: the series index, the open chunks and rollup blocks are loaded, and the
//! write-ahead rows a crash left behind are replayed into the heads.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::Connection;

use super::codec;
use super::engine::{corrupt, SeriesState, State};
use super::rollup::{self, RollBlock, RESOLUTIONS};
use super::wal;
use super::{Point, SeriesId, SeriesKey, StoreError};

/// Loads the series index, the open chunks and rollup blocks, and replays the write-ahead
/// rows into the heads.
pub(super) fn load_state(conn: &Connection, db_path: &Path) -> Result<State, StoreError> {
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
        st.series.push(SeriesState::new(key));
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
