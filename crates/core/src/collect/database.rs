//! The `database` collector: for each configured database, transactions/s, the buffer cache
//! hit ratio over the interval, connections, deadlocks and rows read/written per second,
//! from the server's own cumulative counters (PostgreSQL `pg_stat_database`, MariaDB/MySQL
//! `SHOW GLOBAL STATUS`). SQLite keeps no such counters; for a SQLite file the collector
//! reports what the file itself tells (size, WAL size, free pages) and `null` for the rest.
//!
//! A database that goes away makes the collector degraded (its entry carries the error)
//! while the others go on; the connection is opened again at the next tick, so it recovers
//! by itself when the server returns.
//!
//! The servers are read with async drivers (tokio-postgres, mysql_async) on the addon's
//! I/O runtime, all at once, each within a connect and a query timeout; the collector's
//! clock thread waits for the answers. A SQLite file is read with rusqlite on the clock
//! thread itself: a few `PRAGMA`s on a local file, no network wait.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::rates::{percent, rate2};
use super::{Reading, Source};
use crate::prometheus::{Family, MetricKind::*};
use crate::redact::redact_url;
use crate::runtime;

/// Time to open a connection (TCP, authentication and session setup).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time for the counters query to answer on an open connection.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Which server a target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbKind {
    /// PostgreSQL, by URL.
    Postgres,
    /// MariaDB or MySQL, by URL.
    MySql,
    /// A SQLite database file.
    Sqlite,
}

/// One configured database.
#[derive(Debug, Clone)]
pub struct DbTarget {
    /// Label used in samples and metrics (never contains a password).
    pub name: String,
    /// Server kind.
    pub kind: DbKind,
    /// Connection URL, or the file path for SQLite.
    pub url: String,
}

impl DbTarget {
    /// Parses a URL (`postgres://`, `postgresql://`, `mysql://`, `mariadb://`, `sqlite:PATH`)
    /// or a path to a `.db`/`.sqlite`/`.sqlite3` file.
    pub fn parse(url: &str, name: Option<&str>) -> Result<DbTarget, String> {
        let (kind, conn) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (DbKind::Postgres, url.to_owned())
        } else if let Some(rest) = url.strip_prefix("mariadb://") {
            (DbKind::MySql, format!("mysql://{rest}"))
        } else if url.starts_with("mysql://") {
            (DbKind::MySql, url.to_owned())
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            (DbKind::Sqlite, path.to_owned())
        } else if [".db", ".sqlite", ".sqlite3"]
            .iter()
            .any(|e| url.ends_with(e))
        {
            (DbKind::Sqlite, url.to_owned())
        } else {
            return Err(format!(
                "databases: got {:?} (accepted: a postgres://, postgresql://, mysql:// or mariadb:// URL, sqlite:PATH, or a .db/.sqlite/.sqlite3 file)",
                redact_url(url)
            ));
        };
        if conn.is_empty() || conn == "mysql://" {
            return Err(format!("databases: got {url:?}, which names no database"));
        }
        Ok(DbTarget {
            name: name.map_or_else(|| redact_url(url), str::to_owned),
            kind,
            url: conn,
        })
    }
}

/// Cumulative counters of one server, as read.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    transactions: u64,
    cache_hits: u64,
    disk_reads: u64,
    connections: u64,
    deadlocks: u64,
    rows_read: u64,
    rows_written: u64,
}

/// An open server connection. Both drivers are async and run on the shared I/O runtime.
enum Conn {
    Postgres(Box<tokio_postgres::Client>),
    MySql(Box<mysql_async::Conn>),
}

struct Db {
    target: DbTarget,
    conn: Option<Conn>,
    prev: Option<(Instant, Counters)>,
}

/// The `database` sub-collector.
pub struct DatabaseSource {
    dbs: Vec<Db>,
}

impl DatabaseSource {
    /// A collector of `targets`. Connections open at the first tick.
    pub fn new(targets: Vec<DbTarget>) -> DatabaseSource {
        DatabaseSource {
            dbs: targets
                .into_iter()
                .map(|target| Db {
                    target,
                    conn: None,
                    prev: None,
                })
                .collect(),
        }
    }
}

impl Drop for DatabaseSource {
    fn drop(&mut self) {
        // Say goodbye to MariaDB/MySQL (COM_QUIT), or the server counts an aborted client and
        // logs a warning. PostgreSQL's client sends its terminate message when dropped.
        for db in &mut self.dbs {
            if let Some(Conn::MySql(conn)) = db.conn.take() {
                runtime::spawn(async move {
                    let _ = conn.disconnect().await;
                });
            }
        }
    }
}

impl Source for DatabaseSource {
    fn name(&self) -> &'static str {
        "database"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        if self.dbs.is_empty() {
            return Ok(Reading::unavailable(
                json!({
                    "status": "unavailable",
                    "reason": "no databases configured",
                    "hint": "pass databases: ['postgres://…', 'mysql://…', 'sqlite:/path/file.db'] to the collector",
                }),
                "no databases configured",
                Vec::new(),
            ));
        }
        let fam = |name: &str, kind, help: &str| Family::new(name, kind, help);
        let mut up = fam(
            "novacron_db_up",
            Gauge,
            "1 when the last reading of the database succeeded.",
        );
        let mut tx = fam(
            "novacron_db_transactions_total",
            Counter,
            "Transactions committed or rolled back (server counter).",
        );
        let mut hit = fam(
            "novacron_db_cache_hit_ratio",
            Gauge,
            "Buffer cache hits / block requests over the last interval.",
        );
        let mut conns = fam(
            "novacron_db_connections",
            Gauge,
            "Connections to the database.",
        );
        let mut dead = fam(
            "novacron_db_deadlocks_total",
            Counter,
            "Deadlocks detected (server counter).",
        );
        let mut rr = fam(
            "novacron_db_rows_read_total",
            Counter,
            "Rows read (server counter).",
        );
        let mut rw = fam(
            "novacron_db_rows_written_total",
            Counter,
            "Rows inserted, updated or deleted (server counter).",
        );
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut counters = read_all(&mut self.dbs).into_iter();
        for db in &mut self.dbs {
            let read = counters.next().flatten();
            let name = db.target.name.clone();
            let label = [("db", name.as_str())];
            if db.target.kind == DbKind::Sqlite {
                match sqlite_reading(&db.target) {
                    Ok(v) => {
                        up.push(&label, 1.0);
                        rows.push(v);
                    }
                    Err(e) => {
                        up.push(&label, 0.0);
                        errors.push(e.clone());
                        rows.push(json!({ "name": db.target.name, "kind": "sqlite", "status": "error", "error": e }));
                    }
                }
                continue;
            }
            match read.unwrap_or_else(|| Err("the reading task failed".into())) {
                Ok((now, c)) => {
                    up.push(&label, 1.0);
                    tx.push(&label, c.transactions as f64);
                    conns.push(&label, c.connections as f64);
                    dead.push(&label, c.deadlocks as f64);
                    rr.push(&label, c.rows_read as f64);
                    rw.push(&label, c.rows_written as f64);
                    let row = interval_row(&db.target, db.prev.as_ref(), now, &c);
                    if let Some(r) = row["cacheHitRatio"].as_f64() {
                        hit.push(&label, r);
                    }
                    db.prev = Some((now, c));
                    rows.push(row);
                }
                Err(e) => {
                    // Drop the connection and the baseline: the next tick reconnects, and a
                    // rate across the outage would mix two server lifetimes.
                    db.conn = None;
                    db.prev = None;
                    up.push(&label, 0.0);
                    let msg = format!("{}: {e}", db.target.name);
                    errors.push(msg.clone());
                    rows.push(json!({ "name": db.target.name, "kind": kind_name(&db.target.kind), "status": "error", "error": msg }));
                }
            }
        }
        let ok: Vec<&Value> = rows.iter().filter(|r| r["status"] == "ok").collect();
        let sum = |k: &str| -> Option<f64> {
            let v: Vec<f64> = ok.iter().filter_map(|r| r[k].as_f64()).collect();
            (!v.is_empty()).then(|| v.iter().sum())
        };
        let sample = json!({
            "connections": sum("connections"),
            "transactionsPerSec": sum("transactionsPerSec"),
            "cacheHitRatio": ok.iter().find_map(|r| r["cacheHitRatio"].as_f64()),
            "deadlocks": sum("deadlocks"),
            "rowsReadPerSec": sum("rowsReadPerSec"),
            "rowsWrittenPerSec": sum("rowsWrittenPerSec"),
            "databases": rows,
        });
        let families = vec![up, tx, hit, conns, dead, rr, rw];
        if errors.is_empty() {
            Ok(Reading::new(sample, families))
        } else {
            Err(errors.join("; "))
        }
    }
}

fn kind_name(k: &DbKind) -> &'static str {
    match k {
        DbKind::Postgres => "postgres",
        DbKind::MySql => "mysql",
        DbKind::Sqlite => "sqlite",
    }
}

/// Rates over the interval since `prev`; the first reading has none.
fn interval_row(
    t: &DbTarget,
    prev: Option<&(Instant, Counters)>,
    now: Instant,
    c: &Counters,
) -> Value {
    let (mut tps, mut hit, mut rr, mut rw) = (None, None, None, None);
    if let Some((at, p)) = prev {
        let secs = now.duration_since(*at).as_secs_f64();
        // The collector's own reading is one transaction per tick on PostgreSQL; leave it out.
        let own = u64::from(t.kind == DbKind::Postgres);
        tps = rate2(
            p.transactions + own,
            c.transactions.max(p.transactions + own),
            secs,
        );
        let hits = c.cache_hits.saturating_sub(p.cache_hits);
        let reads = c.disk_reads.saturating_sub(p.disk_reads);
        // No block requested in the interval: the ratio is unknown (null), not 1.0.
        hit = percent(hits, hits + reads).map(|p| p / 100.0);
        rr = rate2(p.rows_read, c.rows_read, secs);
        rw = rate2(p.rows_written, c.rows_written, secs);
    }
    json!({
        "name": t.name, "kind": kind_name(&t.kind), "status": "ok",
        "transactionsPerSec": tps, "cacheHitRatio": hit,
        "connections": c.connections, "deadlocks": c.deadlocks,
        "rowsReadPerSec": rr, "rowsWrittenPerSec": rw,
    })
}

/// Reads every server's counters at once on the I/O runtime, so that one slow or dead
/// server costs the tick its timeout once, not once per database. Each connection travels
/// into its task and comes back when the reading succeeded; a failed one is dropped, so the
/// next tick reconnects. Entries for SQLite targets, and for a task that panicked, are `None`.
fn read_all(dbs: &mut [Db]) -> Vec<Option<Result<(Instant, Counters), String>>> {
    let jobs: Vec<(usize, DbTarget, Option<Conn>)> = dbs
        .iter_mut()
        .enumerate()
        .filter(|(_, db)| db.target.kind != DbKind::Sqlite)
        .map(|(i, db)| (i, db.target.clone(), db.conn.take()))
        .collect();
    let mut out: Vec<Option<Result<(Instant, Counters), String>>> =
        (0..dbs.len()).map(|_| None).collect();
    if jobs.is_empty() {
        return out;
    }
    let answers = runtime::block_on(async move {
        let mut set = tokio::task::JoinSet::new();
        for (i, target, conn) in jobs {
            set.spawn(async move { (i, read_counters(&target, conn).await) });
        }
        let mut answers = Vec::new();
        while let Some(done) = set.join_next().await {
            // A task only ends early when it panicked; its database then reads as absent
            // and is retried at the next tick.
            if let Ok(answer) = done {
                answers.push(answer);
            }
        }
        answers
    });
    for (i, (conn, result)) in answers {
        dbs[i].conn = conn;
        out[i] = Some(result);
    }
    out
}

/// Connects when needed, then reads the counters within [`QUERY_TIMEOUT`]. The connection
/// comes back only when the reading succeeded.
async fn read_counters(
    target: &DbTarget,
    conn: Option<Conn>,
) -> (Option<Conn>, Result<(Instant, Counters), String>) {
    let mut conn = match conn {
        Some(c) => c,
        None => match connect(target).await {
            Ok(c) => c,
            Err(e) => return (None, Err(e)),
        },
    };
    match tokio::time::timeout(QUERY_TIMEOUT, query_counters(&mut conn)).await {
        Ok(Ok(c)) => (Some(conn), Ok((Instant::now(), c))),
        Ok(Err(e)) => (None, Err(e)),
        Err(_) => (
            None,
            Err(format!("no answer within {} ms", QUERY_TIMEOUT.as_millis())),
        ),
    }
}

async fn query_counters(conn: &mut Conn) -> Result<Counters, String> {
    match conn {
        Conn::Postgres(client) => {
            let row = client
                .query_one(
                    "SELECT (xact_commit + xact_rollback)::int8, blks_hit::int8, blks_read::int8, \
                     numbackends::int8, deadlocks::int8, (tup_returned + tup_fetched)::int8, \
                     (tup_inserted + tup_updated + tup_deleted)::int8 \
                     FROM pg_stat_database WHERE datname = current_database()",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            let g = |i: usize| row.get::<_, i64>(i).max(0) as u64;
            Ok(Counters {
                transactions: g(0),
                cache_hits: g(1),
                disk_reads: g(2),
                connections: g(3),
                deadlocks: g(4),
                rows_read: g(5),
                rows_written: g(6),
            })
        }
        Conn::MySql(conn) => {
            use mysql_async::prelude::Queryable;
            let rows: Vec<(String, String)> = conn
                .query(
                    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_commit','Handler_rollback',\
                     'Innodb_buffer_pool_read_requests','Innodb_buffer_pool_reads','Threads_connected',\
                     'Innodb_deadlocks','Innodb_rows_read','Innodb_rows_inserted','Innodb_rows_updated',\
                     'Innodb_rows_deleted','Rows_read','Handler_write','Handler_update','Handler_delete')",
                )
                .await
                .map_err(|e| e.to_string())?;
            let find = |k: &str| {
                rows.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .and_then(|(_, v)| v.parse::<u64>().ok())
            };
            let g = |k: &str| find(k).unwrap_or(0);
            // MySQL has InnoDB row counters; MariaDB 10.11+ dropped them, and its server-wide
            // `Rows_read` and handler write/update/delete counts stand in.
            let rows_read = find("Innodb_rows_read").unwrap_or_else(|| g("Rows_read"));
            let rows_written = match find("Innodb_rows_inserted") {
                Some(ins) => ins + g("Innodb_rows_updated") + g("Innodb_rows_deleted"),
                None => g("Handler_write") + g("Handler_update") + g("Handler_delete"),
            };
            let requests = g("Innodb_buffer_pool_read_requests");
            let misses = g("Innodb_buffer_pool_reads");
            Ok(Counters {
                transactions: g("Handler_commit") + g("Handler_rollback"),
                cache_hits: requests.saturating_sub(misses),
                disk_reads: misses,
                connections: g("Threads_connected"),
                deadlocks: g("Innodb_deadlocks"),
                rows_read,
                rows_written,
            })
        }
    }
}

async fn connect(t: &DbTarget) -> Result<Conn, String> {
    let cannot = |e: &dyn std::fmt::Display| format!("cannot connect: {e}");
    let timed_out = || {
        format!(
            "cannot connect: no answer within {} ms",
            CONNECT_TIMEOUT.as_millis()
        )
    };
    match t.kind {
        DbKind::Postgres => {
            let mut cfg: tokio_postgres::Config =
                t.url.parse().map_err(|e| format!("invalid URL: {e}"))?;
            cfg.connect_timeout(CONNECT_TIMEOUT);
            cfg.application_name("novacron-perf-collector");
            let (client, connection) =
                tokio::time::timeout(CONNECT_TIMEOUT, cfg.connect(tokio_postgres::NoTls))
                    .await
                    .map_err(|_| timed_out())?
                    .map_err(|e| cannot(&e))?;
            // The connection object does the socket I/O for the client; it ends by itself when
            // the client is dropped or the server goes away.
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Ok(Conn::Postgres(Box::new(client)))
        }
        DbKind::MySql => {
            let opts =
                mysql_async::Opts::from_url(&t.url).map_err(|e| format!("invalid URL: {e}"))?;
            let conn = tokio::time::timeout(CONNECT_TIMEOUT, mysql_async::Conn::new(opts))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| cannot(&e))?;
            Ok(Conn::MySql(Box::new(conn)))
        }
        DbKind::Sqlite => unreachable!("SQLite files are read without a connection kept"),
    }
}

fn sqlite_reading(t: &DbTarget) -> Result<Value, String> {
    use rusqlite::OpenFlags;
    let path = std::path::Path::new(&t.url);
    if !path.is_file() {
        return Err(format!("{}: no such SQLite file", t.name));
    }
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{}: {e}", t.name))?;
    let pragma = |p: &str| -> Result<i64, String> {
        conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
            .map_err(|e| format!("{}: PRAGMA {p}: {e}", t.name))
    };
    let (pages, page_size, free) = (
        pragma("page_count")?,
        pragma("page_size")?,
        pragma("freelist_count")?,
    );
    let wal = std::fs::metadata(format!("{}-wal", t.url))
        .map(|m| m.len())
        .ok();
    Ok(json!({
        "name": t.name, "kind": "sqlite", "status": "ok",
        "sizeBytes": pages * page_size, "freePages": free, "walBytes": wal,
        // SQLite has no server and keeps no cumulative counters: these are unknown, not 0.
        "transactionsPerSec": null, "cacheHitRatio": null, "connections": null,
        "deadlocks": null, "rowsReadPerSec": null, "rowsWrittenPerSec": null,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_passwords_never_show() {
        let t = DbTarget::parse("postgres://u:secret@127.0.0.1/test", None).unwrap();
        assert_eq!(t.kind, DbKind::Postgres);
        assert_eq!(t.name, "postgres://u:***@127.0.0.1/test");
        assert_eq!(
            DbTarget::parse("mariadb://root@h/db", None).unwrap().url,
            "mysql://root@h/db"
        );
        assert_eq!(
            DbTarget::parse("sqlite:/tmp/x.db", Some("x")).unwrap().kind,
            DbKind::Sqlite
        );
        assert_eq!(
            DbTarget::parse("/var/data/app.sqlite3", None).unwrap().kind,
            DbKind::Sqlite
        );
        let err = DbTarget::parse("redis://h:6379", None).unwrap_err();
        assert!(
            err.contains("databases") && err.contains("accepted"),
            "{err}"
        );
    }

    #[test]
    fn no_reads_means_unknown_hit_ratio() {
        let t = DbTarget::parse("postgres://h/db", None).unwrap();
        let c0 = Counters {
            cache_hits: 10,
            disk_reads: 5,
            transactions: 100,
            ..Default::default()
        };
        let at = Instant::now();
        let later = at + Duration::from_secs(1);
        let same = interval_row(
            &t,
            Some(&(at, c0)),
            later,
            &Counters {
                transactions: 101,
                ..c0
            },
        );
        assert!(same["cacheHitRatio"].is_null());
        assert_eq!(
            same["transactionsPerSec"],
            json!(0.0),
            "the collector's own query is left out"
        );
        let more = Counters {
            cache_hits: 19,
            disk_reads: 6,
            transactions: 111,
            ..c0
        };
        let row = interval_row(&t, Some(&(at, c0)), later, &more);
        assert_eq!(row["cacheHitRatio"], json!(0.9));
        assert_eq!(row["transactionsPerSec"], json!(10.0));
    }
}
