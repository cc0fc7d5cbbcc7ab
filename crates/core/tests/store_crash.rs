//! `kill -9` of a writing process loses no acknowledged sample.
//!
//! The test binary re-invokes itself with `STORE_CRASH_CHILD_DIR` set: the child
//! (`crash_child_writer`) appends ticks and batches in a loop, flushing often, and prints
//! `ACK <n>` after each call that returned `Ok` (n = samples per series acknowledged so far).
//! The parent kills it with SIGKILL at random moments, reopens the store and checks that every
//! acknowledged sample is there with its value, in order, with no gap and no duplicate.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use novacron_perf_core::store::{Query, SeriesId, SeriesKey, Store, StoreOptions};

const CHILD_ENV: &str = "STORE_CRASH_CHILD_DIR";
const SERIES: usize = 8;
const T0: i64 = 1_700_000_000_000;

fn value(series: usize, i: i64) -> f64 {
    if i % 97 == 13 {
        f64::NAN
    } else if series.is_multiple_of(2) {
        (i * (series as i64 + 1)) as f64
    } else {
        i as f64 / 8.0 + series as f64
    }
}

fn ids(s: &Store) -> Vec<SeriesId> {
    (0..SERIES)
        .map(|k| {
            s.series_id(&SeriesKey::new("crash_metric", &[("k", &k.to_string())]))
                .unwrap()
        })
        .collect()
}

/// Checks the store and returns the samples per series it holds.
fn verify(dir: &std::path::Path, acked: i64) -> i64 {
    let s = Store::open(StoreOptions::new(dir)).unwrap();
    let ids = ids(&s);
    let r = s.query(&Query::range(0, i64::MAX)).unwrap();
    assert_eq!(r.len(), SERIES);
    let n = r[0].points.len() as i64;
    assert!(
        n >= acked,
        "only {n} samples per series after {acked} were acknowledged"
    );
    for (k, d) in r.iter().enumerate() {
        assert_eq!(d.points.len() as i64, n, "series {k} length differs");
        for (i, p) in d.points.iter().enumerate() {
            let i = i as i64;
            assert_eq!(p.t, T0 + i * 5000, "series {k} sample {i}");
            assert_eq!(
                p.v.to_bits(),
                value(k, i).to_bits(),
                "series {k} sample {i}"
            );
        }
    }
    // Rollups agree with the raw samples that reached them.
    let mut q = Query::range(0, i64::MAX);
    q.step_ms = Some(60_000);
    let agg = s.query(&q).unwrap();
    let counted: u64 = agg[0].aggregated.iter().map(|b| b.count).sum();
    let non_nan = r[0].points.iter().filter(|p| !p.v.is_nan()).count() as u64;
    assert_eq!(counted, non_nan, "1-minute rollup count");
    let st = s.stats().unwrap();
    assert_eq!(st.samples as i64, n * SERIES as i64);
    assert_eq!(ids.len(), SERIES);
    n
}

#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // only runs as the child of the test below
    };
    let s = Store::open(StoreOptions::new(&dir)).unwrap();
    let ids = ids(&s);
    let mut i = s.query(&Query::range(0, i64::MAX)).unwrap()[0].points.len() as i64;
    let mut rng = (std::process::id() as u64) | 1;
    let mut calls = 0u64;
    loop {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let ticks = 1 + (rng % 200) as i64;
        if rng.is_multiple_of(3) {
            let pts: Vec<(SeriesId, f64)> = (0..SERIES).map(|k| (ids[k], value(k, i))).collect();
            s.append(T0 + i * 5000, &pts).unwrap();
            i += 1;
        } else {
            let mut batch = Vec::with_capacity(ticks as usize * SERIES);
            for j in i..i + ticks {
                for (k, &id) in ids.iter().enumerate() {
                    batch.push((id, T0 + j * 5000, value(k, j)));
                }
            }
            s.append_batch(&batch).unwrap();
            i += ticks;
        }
        println!("ACK {i}");
        calls += 1;
        if calls.is_multiple_of(4) {
            println!("FLUSH");
            s.flush().unwrap();
            println!("FLUSHED");
        }
    }
}

#[test]
fn kill_9_loses_no_acknowledged_sample() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut acked = 0i64;
    let mut during_flush = 0;
    let rounds = 10;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "crash_child_writer",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first acknowledgement, then kill at a random moment.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last_line = String::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the child writes");
            if let Some(n) = line.strip_prefix("ACK ") {
                acked = acked.max(n.parse().unwrap());
                break;
            }
            assert!(Instant::now() < deadline);
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 300));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        for line in rx.try_iter() {
            if let Some(n) = line.strip_prefix("ACK ") {
                acked = acked.max(n.parse().unwrap());
            }
            last_line = line;
        }
        if last_line == "FLUSH" {
            during_flush += 1;
        }
        let n = verify(tmp.path(), acked);
        eprintln!(
            "round {round}: {acked} acknowledged, {n} stored per series{}",
            if last_line == "FLUSH" {
                " (killed during a flush)"
            } else {
                ""
            }
        );
        acked = n;
    }
    eprintln!("{during_flush} of {rounds} kills landed during a flush");
    assert!(acked > 0);
}
