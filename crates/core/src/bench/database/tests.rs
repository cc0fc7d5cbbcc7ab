//! `database_performance` on SQLite always, on the local PostgreSQL and MariaDB when they
//! answer (skipped with the reason otherwise).

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::bench::registry::{builtin, Validate};

fn plan(opts: Value) -> DatabasePlan {
    DatabaseBenchmark::decode(&opts)
        .unwrap()
        .validate()
        .unwrap()
}

fn quick(extra: Value) -> Value {
    let mut o = json!({ "scale": 0.01, "duration": 50, "samples": 3, "clients": [1, 2],
                        "concurrencyLevels": [1, 2], "quickTest": true, "seed": 7, "poolSize": [1] });
    if let (Value::Object(o), Value::Object(e)) = (&mut o, extra) {
        o.extend(e);
    }
    o
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

const PG: &str = "postgres://postgres@127.0.0.1:5432/test";
const MARIA: &str = "mysql://root@127.0.0.1:3306/test";

/// Tables of any run left on a server (`ncp_` prefix).
fn leftovers(url: &str) -> Option<Vec<String>> {
    let t = Target::parse(url).unwrap();
    let mut s = target::Session::open(&t).ok()?;
    let sql = match t.engine {
        Engine::Postgres => "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ncp\\_%'",
        _ => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'ncp\\_%'",
    };
    Some(s.query(sql).unwrap().into_iter().flatten().collect())
}

fn check_report(r: &Value, engine: &str) {
    // Two clients on a pool of one: each waits while the other holds the connection.
    let pool = &r["poolEfficiency"]["pool_1"];
    for n in [1, 2] {
        let cell = &pool[format!("clients_{n}")];
        assert!(cell["transactions"].as_u64().unwrap() > 0, "{cell}");
        let u = cell["utilisation"].as_f64().unwrap();
        assert!(u > 0.0 && u <= 1.05, "{cell}");
        assert!(cell["acquireWait"]["max"].as_f64().is_some(), "{cell}");
    }
    assert_eq!(r["conditions"]["poolSizes"], json!([1]));
    let c = &r["conditions"];
    assert_eq!(c["engine"], engine);
    assert_eq!(c["seed"], 7);
    assert_eq!(c["shortRun"], true);
    for k in ["simple", "complex", "aggregate"] {
        let q = &r["queryPerformance"][k];
        assert_eq!(q["latency"]["samples"], 3, "{k}");
        assert!(
            q["throughput"]["totalOperations"].as_u64().unwrap() > 0,
            "{k}"
        );
    }
    for n in [1, 10, 50] {
        assert!(
            r["insertPerformance"]["batchInsertPerformance"][format!("batch_{n}")]
                ["itemsPerSecond"]
                .as_f64()
                .unwrap()
                > 0.0
        );
    }
    for k in [
        "updatePerformance",
        "deletePerformance",
        "transactionPerformance",
    ] {
        assert_eq!(r[k]["latency"]["samples"], 3, "{k}");
        assert!(r[k]["recommendations"].is_array());
    }
    for n in [1, 2] {
        assert!(
            r["concurrentLoad"]["results"][format!("concurrency_{n}")]["operationsPerSecond"]
                .as_f64()
                .unwrap()
                > 0.0
        );
        for s in ["select_only", "tpcb_like"] {
            let cell = &r["transactionRates"][s][format!("clients_{n}")];
            assert!(
                cell["transactions"].as_u64().unwrap() > 0,
                "{s} {n}: {cell}"
            );
            assert!(
                cell["tps"].as_f64().unwrap() >= cell["tpsIncludingConnections"].as_f64().unwrap()
            );
            assert!(
                cell["latency"]["p99"].as_f64().unwrap()
                    >= cell["latency"]["p50"].as_f64().unwrap()
            );
        }
    }
}

fn run_json(p: &DatabasePlan) -> BenchResult<Value> {
    let ctl = RunControl::new(None);
    let r = DatabaseBenchmark::run(p, &ctl)?;
    Ok(serde_json::to_value(r).unwrap())
}

#[test]
fn sqlite_default_runs_every_sub_test_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(quick(json!({ "directory": dir.path().to_str().unwrap() })));
    let r = run_json(&p).unwrap();
    check_report(&r, "sqlite");
    let s = &r["conditions"]["sqlite"];
    assert_eq!(s["journalMode"], "wal");
    assert!(r["cacheHitRatio"]
        .as_f64()
        .is_some_and(|x| (0.0..=1.0).contains(&x)));
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn a_cancelled_sqlite_run_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p =
        plan(json!({ "directory": dir.path().to_str().unwrap(), "scale": 0.01, "duration": 5000 }));
    let ctl = RunControl::new(None);
    let c2 = Arc::clone(&ctl);
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        c2.cancel();
    });
    let e = DatabaseBenchmark::run(&p, &ctl).expect_err("cancelled");
    t.join().unwrap();
    assert!(matches!(e, BenchError::Cancelled { .. }), "{e}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn bad_options_name_the_field() {
    let spec = builtin("database_performance").unwrap();
    let e = spec
        .prepare(&json!({ "url": "redis://u:secret@h/0" }))
        .err()
        .unwrap();
    assert_eq!(e.js_kind(), "RangeError");
    assert_eq!(
        e.to_string(),
        format!(
            "url: got \"redis://u:***@h/0\" (accepted: {})",
            target::URL_ACCEPTS
        )
    );
    for (clients, field, kind) in [
        (json!([0]), "clients[0]", "RangeError"),
        (json!([1.5]), "clients[0]", "RangeError"),
        (json!([1, -3]), "clients[1]", "RangeError"),
        (json!(["2"]), "clients[0]", "TypeError"),
        (json!([]), "clients", "RangeError"),
        (json!(4), "clients", "TypeError"),
    ] {
        let e = spec.prepare(&json!({ "clients": clients })).err().unwrap();
        assert_eq!(e.js_kind(), kind, "{clients}");
        assert!(e.to_string().starts_with(&format!("{field}: got ")), "{e}");
        assert!(
            e.to_string()
                .ends_with("(accepted: a non-empty array of integers from 1 to 1000)"),
            "{e}"
        );
    }
    let e = spec.prepare(&json!({ "poolSize": [0] })).err().unwrap();
    assert_eq!(
        e.to_string(),
        "poolSize[0]: got 0 (accepted: a non-empty array of integers from 1 to 1000)"
    );
    let e = spec.prepare(&json!({ "scale": 0 })).err().unwrap();
    assert_eq!(
        e.to_string(),
        "scale: got 0 (accepted: a number from 0.001 to 10000)"
    );
    assert!(spec.prepare(&json!({ "nope": 1 })).is_err());
}

#[test]
fn an_unreachable_server_names_the_target_never_the_password() {
    // Port 1 on loopback: nothing listens, the connect is refused at once.
    let p = plan(quick(
        json!({ "url": "postgres://bench:hunter2@127.0.0.1:1/test" }),
    ));
    let e = run_json(&p).unwrap_err().to_string();
    assert!(
        e.starts_with("url postgres://bench:***@127.0.0.1:1/test: cannot connect"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let p = plan(quick(
        json!({ "url": "mariadb://root:hunter2@127.0.0.1:1/test" }),
    ));
    let e = run_json(&p).unwrap_err().to_string();
    assert!(
        e.starts_with("url mariadb://root:***@127.0.0.1:1/test: cannot connect"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
}

#[test]
fn a_scale_larger_than_the_free_disk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(json!({ "directory": dir.path().to_str().unwrap(), "scale": 10000 }));
    match run_json(&p) {
        Err(e) => {
            assert_eq!(e.js_kind(), "RangeError");
            assert!(
                e.to_string()
                    .starts_with("scale: got 10000 (accepted: a data set that fits the "),
                "{e}"
            );
        }
        Ok(_) => panic!("10000 × 100 000 accounts cannot fit a test machine's disk"),
    }
    assert!(entries(dir.path()).is_empty());
}

fn server_run(url: &str, engine: &str) {
    let Some(before) = leftovers(url) else {
        eprintln!("skipped: no server answers at {url}");
        return;
    };
    let p = plan(quick(json!({ "url": url })));
    let r = run_json(&p).unwrap();
    check_report(&r, engine);
    let prefix = r["conditions"]["tablePrefix"].as_str().unwrap().to_owned();
    let after = leftovers(url).unwrap();
    assert!(!after.iter().any(|t| t.starts_with(&prefix)), "{after:?}");
    assert!(after.len() <= before.len() || after.iter().all(|t| before.contains(t)));
    // A cancelled run drops its tables too.
    let p = plan(json!({ "url": url, "scale": 0.01, "duration": 5000 }));
    let ctl = RunControl::new(None);
    let c2 = Arc::clone(&ctl);
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        c2.cancel();
    });
    assert!(DatabaseBenchmark::run(&p, &ctl).is_err());
    t.join().unwrap();
    let after = leftovers(url).unwrap();
    assert!(
        after.iter().all(|t| before.contains(t)),
        "left behind: {after:?}"
    );
}

#[test]
fn postgres_run_and_nothing_left_behind() {
    server_run(PG, "postgresql");
}

#[test]
fn mariadb_run_and_nothing_left_behind() {
    server_run(MARIA, "mysql");
}

#[test]
fn a_killed_run_s_scratch_folder_is_removed_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    // A process id above Linux's largest pid_max: no such process.
    let dead = dir
        .path()
        .join(format!("{}4194305-0badf00d", target::SCRATCH_PREFIX));
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("bench.db"), b"x").unwrap();
    std::fs::write(dead.join("bench.db-wal"), b"x").unwrap();
    // Not only database files: someone else's, kept.
    let foreign = dir
        .path()
        .join(format!("{}4194305-1badf00d", target::SCRATCH_PREFIX));
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"x").unwrap();
    // A live process's folder, kept.
    let live = dir.path().join(format!(
        "{}{}-2badf00d",
        target::SCRATCH_PREFIX,
        std::process::id()
    ));
    std::fs::create_dir(&live).unwrap();
    target::remove_stale_scratch(dir.path());
    assert!(!dead.exists());
    assert!(foreign.exists() && live.exists());
}

#[test]
fn wrong_credentials_name_the_target_never_the_password() {
    if leftovers(MARIA).is_none() {
        eprintln!("skipped: no server answers at {MARIA}");
        return;
    }
    let p = plan(quick(
        json!({ "url": "mariadb://root:wrong-Secret@127.0.0.1:3306/test" }),
    ));
    let e = run_json(&p).unwrap_err().to_string();
    assert!(
        e.starts_with("url mariadb://root:***@127.0.0.1:3306/test: cannot connect: "),
        "{e}"
    );
    assert!(e.contains("Access denied"), "{e}");
    assert!(!e.contains("wrong-Secret"), "{e}");
}

#[test]
fn a_database_where_tables_cannot_be_created_fails_naming_the_target() {
    // PostgreSQL 15+: a role that owns nothing may not create tables in `public`.
    let Some(_) = leftovers(PG) else {
        eprintln!("skipped: no server answers at {PG}");
        return;
    };
    let role = format!("ncp_ro_{}", std::process::id());
    let admin = Target::parse(PG).unwrap();
    let mut s = target::Session::open(&admin).unwrap();
    s.exec(&format!("CREATE ROLE {role} LOGIN")).unwrap();
    let url = format!("postgres://{role}:pw@127.0.0.1:5432/test");
    let r = run_json(&plan(quick(json!({ "url": url }))));
    let _ = s.exec(&format!("DROP ROLE {role}"));
    let e = r.unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "url postgres://{role}:***@127.0.0.1:5432/test: cannot create the benchmark tables: "
        )),
        "{e}"
    );
}

#[test]
fn lost_connections_count_as_failed_and_the_clients_reconnect() {
    // The server ending the clients' backends mid-run (what a restart does to them).
    if leftovers(PG).is_none() {
        eprintln!("skipped: no server answers at {PG}");
        return;
    }
    let ctl = RunControl::new(None);
    let ns = Namespace::create(
        Target::parse(PG).unwrap(),
        &format!("rc{}", std::process::id()),
        0.01,
        3,
    )
    .unwrap();
    ns.load(&ctl, |_, _| {}).unwrap();
    let accounts = ns.table("accounts");
    let killer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(400));
        let mut s = target::Session::open(&Target::parse(PG).unwrap()).unwrap();
        s.query(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%{accounts}%'"
        ))
        .unwrap()
        .len()
    });
    let run = workload::run_cell(
        &ns,
        Script::SelectOnly,
        2,
        std::time::Duration::from_millis(1500),
        3,
        &ctl,
    )
    .unwrap();
    let killed = killer.join().unwrap();
    assert!(killed >= 1, "no backend was ended");
    let c = run.cell;
    assert!(c.reconnects >= 1 && c.failed >= 1, "{c:?}");
    assert!(c.transactions > 0, "{c:?}");
}
