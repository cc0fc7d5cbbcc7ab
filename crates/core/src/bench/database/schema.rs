//! The benchmark's own tables: created under a table prefix unique to the run, loaded with
//! a deterministic data set, and dropped when the [`Namespace`] goes, whatever ended the
//! run (success, error, abort, timeout or a panic unwinding through it).
//!
//! The data set follows pgbench's `-s`: per unit of `scale` one branch, 10 tellers and
//! 100 000 accounts (a fractional scale keeps at least one branch and 10 tellers), plus the
//! contract's `users`, `profiles` and `temp_data` tables. Every generated value comes from
//! the run's seed, so one seed gives one data set.

use crate::bench::control::RunControl;
use crate::bench::rng::Rng;
use crate::bench::BenchResult;

use super::target::{connect, Engine, Session, Target};

/// Accounts per unit of scale (pgbench's `naccounts`).
pub const ACCOUNTS_PER_SCALE: f64 = 100_000.0;
/// Rows of the contract's `users` (and `profiles`) tables.
pub const USERS: u64 = 1_000;
/// Rows written per INSERT statement while loading.
const LOAD_BATCH: u64 = 500;
/// Tables of a namespace, in creation order.
pub const TABLES: &[&str] = &[
    "branches",
    "tellers",
    "accounts",
    "history",
    "users",
    "profiles",
    "temp_data",
];

/// Sizes of the loaded data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataSet {
    /// Rows of `branches`.
    pub branches: u64,
    /// Rows of `tellers`.
    pub tellers: u64,
    /// Rows of `accounts`.
    pub accounts: u64,
}

impl DataSet {
    /// The sizes of `scale`.
    pub fn of(scale: f64) -> DataSet {
        let branches = (scale.ceil() as u64).max(1);
        DataSet {
            branches,
            tellers: branches * 10,
            accounts: ((scale * ACCOUNTS_PER_SCALE).round() as u64).max(1),
        }
    }

    /// Bytes the loaded rows take, roughly (pgbench's ~15 MB per unit with indexes).
    pub fn approx_bytes(&self) -> u64 {
        self.accounts * 160 + USERS * 400 + (1 << 20)
    }
}

/// The run's tables on one target; dropped on drop.
pub struct Namespace {
    /// The target.
    pub target: Target,
    /// Prefix of every table name, e.g. `ncp_3f2a91c0_`.
    pub prefix: String,
    /// Loaded sizes.
    pub data: DataSet,
    /// Seed of the data set.
    pub seed: u64,
    dropped: bool,
}

impl Namespace {
    /// Creates the tables on `target` under a fresh prefix (nothing is loaded yet).
    pub fn create(target: Target, suffix: &str, scale: f64, seed: u64) -> BenchResult<Namespace> {
        let mut s = connect(&target)?;
        let ns = Namespace {
            prefix: format!("ncp_{suffix}_"),
            target,
            data: DataSet::of(scale),
            seed,
            dropped: false,
        };
        // From here on, `ns` drops whatever was created if a later step fails.
        let ddl = [
            "branches (bid INTEGER NOT NULL PRIMARY KEY, bbalance INTEGER NOT NULL, filler CHAR(88))",
            "tellers (tid INTEGER NOT NULL PRIMARY KEY, bid INTEGER NOT NULL, tbalance INTEGER NOT NULL, filler CHAR(84))",
            "accounts (aid INTEGER NOT NULL PRIMARY KEY, bid INTEGER NOT NULL, abalance INTEGER NOT NULL, filler CHAR(84))",
            "history (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER, mtime TIMESTAMP NULL, filler CHAR(22))",
            "users (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(128) NOT NULL, status VARCHAR(16) NOT NULL, score INTEGER NOT NULL, created_at BIGINT NOT NULL)",
            "profiles (user_id INTEGER NOT NULL PRIMARY KEY, bio VARCHAR(255) NOT NULL, updated_at BIGINT NOT NULL)",
            "temp_data (id BIGINT NOT NULL PRIMARY KEY, payload VARCHAR(255) NOT NULL, created_at BIGINT NOT NULL)",
        ];
        for d in ddl {
            let sql = format!("CREATE TABLE {}{d}", ns.prefix);
            s.exec(&sql).map_err(|e| {
                ns.target
                    .error(format!("cannot create the benchmark tables: {e}"))
            })?;
        }
        if ns.target.engine != Engine::Sqlite {
            s.exec(&format!(
                "CREATE INDEX {p}users_status ON {p}users (status)",
                p = ns.prefix
            ))
            .map_err(|e| ns.target.error(format!("cannot create an index: {e}")))?;
        }
        Ok(ns)
    }

    /// The full name of table `t`.
    pub fn table(&self, t: &str) -> String {
        format!("{}{t}", self.prefix)
    }

    /// Loads the data set in batches; `progress(done, total)` after each batch.
    pub fn load(&self, ctl: &RunControl, mut progress: impl FnMut(u64, u64)) -> BenchResult<()> {
        let mut s = connect(&self.target)?;
        let mut rng = Rng::new(self.seed);
        let d = self.data;
        let total = d.branches + d.tellers + d.accounts + 2 * USERS;
        let mut done = 0;
        let mut insert = |s: &mut Session, table: &str, rows: Vec<String>| -> BenchResult<()> {
            ctl.check()?;
            let sql = format!(
                "INSERT INTO {} VALUES {}",
                self.table(table),
                rows.join(",")
            );
            let tx = |s: &mut Session| -> Result<(), String> {
                s.exec("BEGIN")?;
                s.exec(&sql)?;
                s.exec("COMMIT").map(|_| ())
            };
            tx(s).map_err(|e| self.target.error(format!("loading {table}: {e}")))?;
            done += rows.len() as u64;
            progress(done, total);
            Ok(())
        };
        let batches = |n: u64, f: &mut dyn FnMut(u64) -> String| -> Vec<Vec<String>> {
            (1..=n)
                .collect::<Vec<_>>()
                .chunks(LOAD_BATCH as usize)
                .map(|c| c.iter().map(|&i| f(i)).collect())
                .collect()
        };
        for b in batches(d.branches, &mut |i| format!("({i},0,NULL)")) {
            insert(&mut s, "branches", b)?;
        }
        for b in batches(d.tellers, &mut |i| {
            format!("({i},{},0,NULL)", (i - 1) / 10 + 1)
        }) {
            insert(&mut s, "tellers", b)?;
        }
        let per_branch = (d.accounts / d.branches).max(1);
        let nb = d.branches;
        for b in batches(d.accounts, &mut |i| {
            format!("({i},{},0,'')", ((i - 1) / per_branch + 1).min(nb))
        }) {
            insert(&mut s, "accounts", b)?;
        }
        const STATUS: [&str; 4] = ["active", "inactive", "pending", "suspended"];
        let base = 1_700_000_000_i64;
        let users = batches(USERS, &mut |i| {
            let status = STATUS[rng.below(4) as usize];
            let score = rng.below(1000);
            let created = base + rng.below(365 * 86_400) as i64;
            format!("({i},'user{i}','user{i}@example.com','{status}',{score},{created})")
        });
        for b in users {
            insert(&mut s, "users", b)?;
        }
        for b in batches(USERS, &mut |i| {
            let updated = base + rng.below(365 * 86_400) as i64;
            format!("({i},'profile of user {i}',{updated})")
        }) {
            insert(&mut s, "profiles", b)?;
        }
        if self.target.engine == Engine::Postgres {
            // Fresh statistics, as pgbench's initialisation runs VACUUM ANALYZE.
            s.exec("ANALYZE")
                .map_err(|e| self.target.error(format!("ANALYZE: {e}")))?;
        }
        Ok(())
    }

    /// Drops every table (and the scratch folder of the default SQLite target).
    pub fn drop_all(&mut self) -> BenchResult<()> {
        if self.dropped {
            return Ok(());
        }
        self.dropped = true;
        if self.target.scratch {
            if let Some(folder) = self
                .target
                .sqlite_path()
                .as_deref()
                .and_then(|p| p.parent())
            {
                return std::fs::remove_dir_all(folder).map_err(|e| {
                    self.target
                        .error(format!("cannot remove the scratch folder: {e}"))
                });
            }
        }
        let mut s = connect(&self.target)?;
        let mut first_err = None;
        for t in TABLES.iter().rev() {
            if let Err(e) = s.exec(&format!("DROP TABLE IF EXISTS {}", self.table(t))) {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(self
                .target
                .error(format!("cannot drop the benchmark tables: {e}"))),
            None => Ok(()),
        }
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // The error path: the run already fails with its own error, which matters more.
        let _ = self.drop_all();
    }
}
