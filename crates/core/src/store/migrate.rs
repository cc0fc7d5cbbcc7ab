//! Schema upgrades, run by [`Store::open`](super::Store::open) on a writable store older
//! than [`SCHEMA_VERSION`], inside the open's transaction: the upgrade and the new version
//! number are committed together or not at all.
//!
//! - 1 → 2: series names stopped following the collector's sample paths. The tables are
//!   unchanged; each series is renamed by [`StoreOptions::rename_v1`](super::StoreOptions)
//!   (the collector passes its series table's rule), keeping its id, so its chunks, rollups
//!   and write-ahead rows stay its own. A rename whose new key is already taken is skipped:
//!   two series are never merged.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{params, Connection};

use super::engine::corrupt;
use super::{RenameFn, SeriesKey, StoreError, SCHEMA_VERSION};

/// Upgrades the database from schema `version` to [`SCHEMA_VERSION`].
pub(super) fn upgrade(
    conn: &Connection,
    db_path: &Path,
    version: i64,
    rename_v1: Option<RenameFn>,
) -> Result<(), StoreError> {
    let err = |e| StoreError::sqlite("open", db_path, e);
    if version < 2 {
        if let Some(rename) = rename_v1 {
            rename_series(conn, db_path, rename)?;
        }
    }
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [SCHEMA_VERSION],
    )
    .map_err(err)?;
    Ok(())
}

fn rename_series(conn: &Connection, db_path: &Path, rename: RenameFn) -> Result<(), StoreError> {
    let err = |e| StoreError::sqlite("open", db_path, e);
    let rows: Vec<(i64, String, String)> = conn
        .prepare("SELECT id, name, labels FROM series ORDER BY id")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(err)?;
    let mut taken: HashSet<(String, String)> = rows
        .iter()
        .map(|(_, name, labels)| (name.clone(), labels.clone()))
        .collect();
    let mut update = conn
        .prepare("UPDATE series SET name = ?1, labels = ?2 WHERE id = ?3")
        .map_err(err)?;
    for (id, name, labels_json) in rows {
        let labels: Vec<(String, String)> = serde_json::from_str(&labels_json)
            .map_err(|e| corrupt("open", db_path, format!("labels of series {id}: {e}")))?;
        let Some(mut new) = rename(&SeriesKey { name, labels }) else {
            continue;
        };
        new.labels.sort();
        let new_json = serde_json::to_string(&new.labels).expect("labels serialise");
        if !taken.insert((new.name.clone(), new_json.clone())) {
            continue;
        }
        update
            .execute(params![new.name, new_json, id])
            .map_err(err)?;
    }
    Ok(())
}
