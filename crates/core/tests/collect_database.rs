//! The database collector against the real PostgreSQL and MariaDB servers of the machine
//! (CI starts them; see `.ci/run`). A loopback proxy in front of PostgreSQL makes the
//! database "go away" and come back, to prove the degraded → recovered path.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use novacron_perf_core::collect::database::{DatabaseSource, DbTarget};
use novacron_perf_core::collect::Source;
use novacron_perf_core::runtime;

const PG: &str = "postgres://postgres@127.0.0.1:5432/test";
const MARIADB: &str = "mysql://root@127.0.0.1:3306/test";

fn run_pg_transactions(n: usize) {
    runtime::block_on(async move {
        let (c, conn) = tokio_postgres::connect(PG, tokio_postgres::NoTls)
            .await
            .expect("PostgreSQL at 127.0.0.1:5432");
        tokio::spawn(conn);
        for i in 0..n {
            c.execute("SELECT $1::int", &[&(i as i32)]).await.unwrap();
        }
    });
}

#[test]
fn postgres_transactions_and_connections_are_read_from_the_server() {
    let mut src = DatabaseSource::new(vec![DbTarget::parse(PG, Some("pg")).unwrap()]);
    let first = src.collect().unwrap();
    let first = first.json();
    let db = &first["databases"][0];
    assert_eq!(db["status"], "ok");
    assert!(
        db["transactionsPerSec"].is_null(),
        "a first reading has no rate"
    );
    assert!(
        db["connections"].as_u64().unwrap() >= 1,
        "the collector's own connection counts"
    );
    run_pg_transactions(200);
    // PostgreSQL publishes backend counters when a backend goes idle (at most ~1 s later).
    thread::sleep(Duration::from_millis(1200));
    let r = src.collect().unwrap();
    let tps = r.json()["databases"][0]["transactionsPerSec"]
        .as_f64()
        .unwrap();
    assert!(
        tps >= 200.0 / 2.0,
        "200 transactions in about 1.3 s gave {tps}/s"
    );
    let fam = r
        .families
        .iter()
        .find(|f| f.name == "novacron_db_transactions_total")
        .unwrap();
    assert_eq!(fam.samples[0].0, vec![("db".to_string(), "pg".to_string())]);
}

#[test]
fn mariadb_status_counters_are_read() {
    let mut src = DatabaseSource::new(vec![DbTarget::parse(MARIADB, None).unwrap()]);
    src.collect().unwrap();
    runtime::block_on(async {
        use mysql_async::prelude::Queryable;
        let mut c = mysql_async::Conn::new(mysql_async::Opts::from_url(MARIADB).unwrap())
            .await
            .expect("MariaDB at 127.0.0.1:3306");
        c.query_drop("CREATE TABLE IF NOT EXISTS novacron_collect_t (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB").await.unwrap();
        for i in 0..50 {
            c.exec_drop("INSERT INTO novacron_collect_t (v) VALUES (?)", (i,))
                .await
                .unwrap();
        }
        c.query_drop("DROP TABLE novacron_collect_t").await.unwrap();
        c.disconnect().await.unwrap();
    });
    let r = src.collect().unwrap();
    let r = r.json();
    let db = &r["databases"][0];
    assert_eq!(db["status"], "ok", "{db}");
    assert!(db["rowsWrittenPerSec"].as_f64().unwrap() > 0.0, "{db}");
    assert!(db["transactionsPerSec"].as_f64().unwrap() > 0.0, "{db}");
    assert!(db["connections"].as_u64().unwrap() >= 1);
}

/// A TCP forwarder to PostgreSQL that can be cut and restored, or frozen: bytes are then
/// held, not forwarded, and the connections stay open (a server that stopped answering).
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    frozen: Arc<AtomicBool>,
}

impl Proxy {
    fn start() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let frozen = Arc::new(AtomicBool::new(false));
        let up2 = Arc::clone(&up);
        let frozen2 = Arc::clone(&frozen);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped at once: connection refused-like failure
                }
                let server = TcpStream::connect("127.0.0.1:5432").unwrap();
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let up3 = Arc::clone(&up2);
                    let frozen3 = Arc::clone(&frozen2);
                    thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            while frozen3.load(Ordering::SeqCst) {
                                thread::sleep(Duration::from_millis(10));
                            }
                            if n == 0
                                || !up3.load(Ordering::SeqCst)
                                || to.write_all(&buf[..n]).is_err()
                            {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, up, frozen }
    }
}

#[test]
fn a_database_that_goes_away_degrades_the_collector_and_it_recovers() {
    let proxy = Proxy::start();
    let url = format!("postgres://postgres@127.0.0.1:{}/test", proxy.port);
    let mut src = DatabaseSource::new(vec![DbTarget::parse(&url, Some("flaky")).unwrap()]);
    assert_eq!(
        src.collect().unwrap().json()["databases"][0]["status"],
        "ok"
    );
    proxy.up.store(false, Ordering::SeqCst);
    let err = src.collect().unwrap_err();
    assert!(err.starts_with("flaky:"), "{err}");
    proxy.up.store(true, Ordering::SeqCst);
    let back = src.collect().unwrap();
    assert_eq!(back.json()["databases"][0]["status"], "ok");
    let up = back
        .families
        .iter()
        .find(|f| f.name == "novacron_db_up")
        .unwrap();
    assert_eq!(up.samples[0].1, 1.0);
}

#[test]
fn a_server_that_never_answers_times_out_without_holding_up_the_others() {
    // Accepts connections and never says a word: neither the PostgreSQL nor the MySQL
    // handshake can complete.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = Arc::new(std::sync::Mutex::new(Vec::new()));
    let held2 = Arc::clone(&held);
    thread::spawn(move || {
        for c in silent.incoming().flatten() {
            held2.lock().unwrap().push(c);
        }
    });
    let mut src = DatabaseSource::new(vec![
        DbTarget::parse(
            &format!("postgres://postgres@127.0.0.1:{port}/test"),
            Some("silent-pg"),
        )
        .unwrap(),
        DbTarget::parse(
            &format!("mysql://root@127.0.0.1:{port}/test"),
            Some("silent-my"),
        )
        .unwrap(),
        DbTarget::parse(PG, Some("pg")).unwrap(),
    ]);
    let t0 = std::time::Instant::now();
    let err = src.collect().unwrap_err();
    let took = t0.elapsed();
    assert!(err.contains("silent-pg: cannot connect"), "{err}");
    assert!(err.contains("silent-my: cannot connect"), "{err}");
    // Both silent servers are waited for at once, each within the 2 s connect timeout.
    assert!(took < Duration::from_millis(3500), "took {took:?}");
    // The healthy database read fine: only the two silent ones are in the error.
    let failed: Vec<&str> = err.split("; ").collect();
    assert_eq!(failed.len(), 2, "{err}");
    assert!(failed.iter().all(|e| e.starts_with("silent-")), "{err}");
}

#[test]
fn a_server_that_stops_answering_mid_connection_times_out_and_is_reconnected() {
    let proxy = Proxy::start();
    let url = format!("postgres://postgres@127.0.0.1:{}/test", proxy.port);
    let mut src = DatabaseSource::new(vec![DbTarget::parse(&url, Some("frozen")).unwrap()]);
    assert_eq!(
        src.collect().unwrap().json()["databases"][0]["status"],
        "ok"
    );
    proxy.frozen.store(true, Ordering::SeqCst);
    let t0 = std::time::Instant::now();
    let err = src.collect().unwrap_err();
    let took = t0.elapsed();
    assert_eq!(err, "frozen: no answer within 2000 ms");
    assert!(took < Duration::from_millis(3000), "took {took:?}");
    proxy.frozen.store(false, Ordering::SeqCst);
    // The stalled connection was dropped; the next tick opens a new one.
    let back = src.collect().unwrap();
    assert_eq!(back.json()["databases"][0]["status"], "ok");
}
