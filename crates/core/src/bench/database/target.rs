//! Which database a run measures, and one blocking session on it.
//!
//! A target is embedded SQLite (a scratch file of the run, WAL), or a server by URL:
//! `postgres://`, `postgresql://`, `mysql://`, `mariadb://`, or `sqlite:PATH`. A
//! [`Session`] is one connection used by one thread: rusqlite directly, or an async driver
//! (tokio-postgres, mysql_async) on a current-thread runtime owned by that thread, so a
//! measuring loop never shares a scheduler with another client. SQL is sent as text with
//! the values written in (integers the benchmark generated), like pgbench's default
//! simple query mode.
//!
//! No message of this module shows a password: [`Target::label`] is the redacted URL and
//! driver errors are scrubbed of the password before they leave.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::bench::{BenchError, BenchResult};
use crate::redact::redact_url as redact;

/// Time to open one connection (TCP, authentication, session setup).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits on a lock before a statement fails with SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The database engine of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
    /// MariaDB or MySQL server.
    MySql,
}

impl Engine {
    /// Name used in results and Prometheus labels.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgresql",
            Engine::MySql => "mysql",
        }
    }
}

/// A database to measure.
#[derive(Debug, Clone)]
pub struct Target {
    /// Engine.
    pub engine: Engine,
    /// Connection URL (servers) or database file path (SQLite).
    conn: String,
    /// The password of the URL, kept only to scrub it from driver messages.
    secret: Option<String>,
    /// What messages and results call it (password replaced by `***`).
    pub label: String,
    /// True for the default scratch file, whose whole folder the run removes.
    pub scratch: bool,
}

/// What `url` accepts, for messages.
pub const URL_ACCEPTS: &str =
    "a postgres://, postgresql://, mysql:// or mariadb:// URL, or sqlite:PATH";

impl Target {
    /// Parses `url`; a scheme outside [`URL_ACCEPTS`] is a RangeError naming `url`.
    pub fn parse(url: &str) -> BenchResult<Target> {
        let bad = || BenchError::range("url", format!("{:?}", redact(url)), URL_ACCEPTS);
        let (engine, conn) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Engine::Postgres, url.to_owned())
        } else if let Some(rest) = url.strip_prefix("mariadb://") {
            (Engine::MySql, format!("mysql://{rest}"))
        } else if url.starts_with("mysql://") {
            (Engine::MySql, url.to_owned())
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            (Engine::Sqlite, path.to_owned())
        } else {
            return Err(bad());
        };
        if engine != Engine::Sqlite {
            let parsed = url::Url::parse(&conn).map_err(|_| bad())?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(bad());
            }
        } else if conn.is_empty() {
            return Err(bad());
        }
        let secret = url::Url::parse(url)
            .ok()
            .and_then(|u| u.password().map(str::to_owned))
            .filter(|p| !p.is_empty());
        Ok(Target {
            engine,
            conn,
            secret,
            label: redact(url),
            scratch: false,
        })
    }

    /// The default target: a fresh scratch SQLite file in a new folder under `dir`, named
    /// with this process's id so that a later run can tell a dead run's folder.
    pub fn scratch_sqlite(dir: &std::path::Path, suffix: &str) -> BenchResult<Target> {
        remove_stale_scratch(dir);
        let folder = dir.join(format!("{SCRATCH_PREFIX}{}-{suffix}", std::process::id()));
        std::fs::create_dir(&folder).map_err(|e| {
            BenchError::Target(format!(
                "directory: cannot create the scratch folder in {}: {e}",
                dir.display()
            ))
        })?;
        let file = folder.join("bench.db");
        Ok(Target {
            engine: Engine::Sqlite,
            label: format!("sqlite:{}", file.display()),
            conn: file.display().to_string(),
            secret: None,
            scratch: true,
        })
    }

    /// The SQLite file (SQLite targets only).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.engine == Engine::Sqlite).then(|| PathBuf::from(&self.conn))
    }

    /// `msg` with the password, if any, replaced by `***`.
    pub fn scrub(&self, msg: impl ToString) -> String {
        let msg = msg.to_string();
        match &self.secret {
            Some(s) => msg.replace(s.as_str(), "***"),
            None => msg,
        }
    }

    /// An error about this target: `url <label>: <what>`.
    pub fn error(&self, what: impl ToString) -> BenchError {
        BenchError::Target(format!("url {}: {}", self.label, self.scrub(what)))
    }
}

/// Name prefix of scratch folders: `novacron-db-<pid>-<hex>`.
pub const SCRATCH_PREFIX: &str = "novacron-db-";

/// Removes scratch folders under `dir` left by runs whose process is gone (killed before its
/// cleanup could run). A folder is removed only when its process no longer exists and it
/// holds nothing but the benchmark's database files.
pub fn remove_stale_scratch(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(SCRATCH_PREFIX)
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let alive =
            pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists();
        let only_ours = std::fs::read_dir(e.path()).is_ok_and(|files| {
            files
                .flatten()
                .all(|f| f.file_name().to_string_lossy().starts_with("bench.db"))
        });
        if !alive && only_ours {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres {
        rt: tokio::runtime::Runtime,
        client: tokio_postgres::Client,
    },
    MySql {
        rt: tokio::runtime::Runtime,
        conn: mysql_async::Conn,
    },
}

/// One connection, used by one thread; every call blocks until the answer.
pub struct Session {
    conn: Conn,
    /// Time it took to open, for the connection-cost figures.
    pub connect_time: Duration,
}

fn current_thread_rt() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a client runtime: {e}"))
}

impl Session {
    /// Opens a connection to `t`; errors are plain text (the caller adds the target).
    pub fn open(t: &Target) -> Result<Session, String> {
        let started = Instant::now();
        let conn = match t.engine {
            Engine::Sqlite => {
                let c = rusqlite::Connection::open(&t.conn).map_err(|e| e.to_string())?;
                c.busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .map_err(|e| e.to_string())?;
                // WAL lets readers run beside the writer; mmap off so that page reads go
                // through the page cache that the hit/miss counters see.
                c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA mmap_size=0;")
                    .map_err(|e| e.to_string())?;
                Conn::Sqlite(c)
            }
            Engine::Postgres => {
                let rt = current_thread_rt()?;
                let mut cfg: tokio_postgres::Config =
                    t.conn.parse().map_err(|e| format!("invalid URL: {e}"))?;
                cfg.connect_timeout(CONNECT_TIMEOUT);
                cfg.application_name("novacron-perf-bench");
                let (client, connection) = rt.block_on(async {
                    tokio::time::timeout(CONNECT_TIMEOUT, cfg.connect(tokio_postgres::NoTls))
                        .await
                        .map_err(|_| {
                            format!("no answer within {} ms", CONNECT_TIMEOUT.as_millis())
                        })?
                        .map_err(|e| e.to_string())
                })?;
                // The connection future does the socket I/O; it runs whenever this thread
                // waits on the runtime, and ends when the client is dropped.
                rt.spawn(async move {
                    let _ = connection.await;
                });
                Conn::Postgres { rt, client }
            }
            Engine::MySql => {
                let rt = current_thread_rt()?;
                let opts = mysql_async::Opts::from_url(&t.conn)
                    .map_err(|e| format!("invalid URL: {e}"))?;
                let conn = rt.block_on(async {
                    tokio::time::timeout(CONNECT_TIMEOUT, mysql_async::Conn::new(opts))
                        .await
                        .map_err(|_| {
                            format!("no answer within {} ms", CONNECT_TIMEOUT.as_millis())
                        })?
                        .map_err(|e| e.to_string())
                })?;
                Conn::MySql { rt, conn }
            }
        };
        Ok(Session {
            conn,
            connect_time: started.elapsed(),
        })
    }

    /// Runs one statement that returns no rows; the number of rows it changed.
    pub fn exec(&mut self, sql: &str) -> Result<u64, String> {
        match &mut self.conn {
            Conn::Sqlite(c) => c
                .prepare_cached(sql)
                .and_then(|mut s| s.raw_execute())
                .map(|n| n as u64)
                .map_err(|e| e.to_string()),
            Conn::Postgres { rt, client } => {
                let msgs = rt
                    .block_on(client.simple_query(sql))
                    .map_err(|e| e.to_string())?;
                Ok(msgs
                    .iter()
                    .map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::CommandComplete(n) => *n,
                        _ => 0,
                    })
                    .sum())
            }
            Conn::MySql { rt, conn } => {
                use mysql_async::prelude::Queryable;
                rt.block_on(conn.query_drop(sql))
                    .map_err(|e| e.to_string())?;
                Ok(conn.affected_rows())
            }
        }
    }

    /// Runs a query and reads every row; the rows' first columns as text (NULL as `None`).
    pub fn query(&mut self, sql: &str) -> Result<Vec<Option<String>>, String> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).map_err(|e| e.to_string())?;
                let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(|e| e.to_string())? {
                    use rusqlite::types::ValueRef;
                    out.push(match r.get_ref(0).map_err(|e| e.to_string())? {
                        ValueRef::Null => None,
                        ValueRef::Integer(i) => Some(i.to_string()),
                        ValueRef::Real(f) => Some(f.to_string()),
                        ValueRef::Text(t) | ValueRef::Blob(t) => {
                            Some(String::from_utf8_lossy(t).into_owned())
                        }
                    });
                }
                Ok(out)
            }
            Conn::Postgres { rt, client } => {
                let msgs = rt
                    .block_on(client.simple_query(sql))
                    .map_err(|e| e.to_string())?;
                Ok(msgs
                    .iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some(r.get(0).map(str::to_owned))
                        }
                        _ => None,
                    })
                    .collect())
            }
            Conn::MySql { rt, conn } => {
                use mysql_async::prelude::Queryable;
                let rows: Vec<mysql_async::Row> =
                    rt.block_on(conn.query(sql)).map_err(|e| e.to_string())?;
                Ok(rows
                    .into_iter()
                    .map(|r| match r.as_ref(0) {
                        Some(mysql_async::Value::Bytes(b)) => {
                            Some(String::from_utf8_lossy(b).into_owned())
                        }
                        Some(mysql_async::Value::NULL) | None => None,
                        Some(v) => Some(v.as_sql(true).trim_matches('\'').to_owned()),
                    })
                    .collect())
            }
        }
    }

    /// The first column of the first row, if any.
    pub fn scalar(&mut self, sql: &str) -> Result<Option<String>, String> {
        Ok(self.query(sql)?.into_iter().next().flatten())
    }

    /// True when the connection is gone (a server restart): the worker opens a new one.
    pub fn is_broken(&self) -> bool {
        match &self.conn {
            Conn::Sqlite(_) => false,
            Conn::Postgres { client, .. } => client.is_closed(),
            // mysql_async has no cheap liveness flag; a failed statement on a dead socket
            // fails again at once, so the worker reconnects after a failure instead.
            Conn::MySql { .. } => false,
        }
    }

    /// SQLite page-cache hits and misses of this connection since it opened (else `None`).
    pub fn sqlite_cache_counts(&self) -> Option<(u64, u64)> {
        let Conn::Sqlite(c) = &self.conn else {
            return None;
        };
        let read = |op: i32| {
            let (mut cur, mut hi) = (0, 0);
            // SAFETY: the handle is valid while `c` lives; sqlite3_db_status only reads
            // counters of that connection into the two locals.
            let rc =
                unsafe { rusqlite::ffi::sqlite3_db_status(c.handle(), op, &mut cur, &mut hi, 0) };
            (rc == rusqlite::ffi::SQLITE_OK).then_some(cur.max(0) as u64)
        };
        Some((
            read(rusqlite::ffi::SQLITE_DBSTATUS_CACHE_HIT)?,
            read(rusqlite::ffi::SQLITE_DBSTATUS_CACHE_MISS)?,
        ))
    }
}

/// Opens a session on `t`, the error naming the target.
pub fn connect(t: &Target) -> BenchResult<Session> {
    Session::open(t).map_err(|e| t.error(format!("cannot connect: {e}")))
}
