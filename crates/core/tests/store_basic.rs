//! History store behaviour through the public API: registration, append, query against a
//! naive model, rollups, limit, retention, schema version, validation.

use std::collections::BTreeMap;

use novacron_perf_core::store::{
    Query, SeriesId, SeriesKey, Store, StoreError, StoreOptions, SCHEMA_VERSION,
};

const T0: i64 = 1_700_000_000_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn open(dir: &std::path::Path) -> Store {
    Store::open(StoreOptions::new(dir)).unwrap()
}

fn key(name: &str, host: &str) -> SeriesKey {
    SeriesKey::new(name, &[("host", host), ("cpu", "total")])
}

#[test]
fn store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Store>();
}

#[test]
fn open_creates_folder_and_series_ids_persist() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("performance-data").join("metrics");
    let s = open(&dir);
    assert!(dir.join("history.db").exists());
    let a = s.series_id(&key("cpu_seconds_total", "a")).unwrap();
    let b = s.series_id(&key("cpu_seconds_total", "b")).unwrap();
    // same key, labels given in another order
    let a2 = s
        .series_id(&SeriesKey {
            name: "cpu_seconds_total".into(),
            labels: vec![("host".into(), "a".into()), ("cpu".into(), "total".into())],
        })
        .unwrap();
    assert_eq!(a, a2);
    assert_ne!(a, b);
    let st = s.stats().unwrap();
    assert_eq!(st.schema_version, SCHEMA_VERSION);
    assert_eq!(st.series, 2);
    assert!(!st.read_only);
    s.close().unwrap();
    let s = open(&dir);
    assert_eq!(s.series_id(&key("cpu_seconds_total", "b")).unwrap(), b);
    assert_eq!(s.series().len(), 2);
    assert_eq!(s.series()[0], (a, key("cpu_seconds_total", "a")));
}

#[test]
fn appended_samples_are_queryable_before_and_after_flush_and_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let a = s.series_id(&SeriesKey::new("load1", &[])).unwrap();
    let b = s.series_id(&SeriesKey::new("mem_free_bytes", &[])).unwrap();
    for i in 0..1000 {
        let t = T0 + i * 5000;
        s.append(t, &[(a, i as f64 / 100.0), (b, 1e9 + i as f64)])
            .unwrap();
        if i == 400 {
            s.flush().unwrap();
        }
    }
    let check = |s: &Store| {
        let r = s.query(&Query::range(T0 + 5000, T0 + 9 * 5000)).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].resolution, "raw");
        let ts: Vec<i64> = r[0].points.iter().map(|p| p.t).collect();
        assert_eq!(ts, (1..=9).map(|i| T0 + i * 5000).collect::<Vec<_>>());
        assert_eq!(r[1].points[0].v, 1e9 + 1.0);
        let all = s.query(&Query::range(0, i64::MAX)).unwrap();
        assert_eq!(all[0].points.len(), 1000);
        assert_eq!(all[0].points[999].v, 9.99);
        assert_eq!(s.stats().unwrap().samples, 2000);
    };
    check(&s);
    drop(s); // no flush, no close: the write-ahead rows are replayed
    let s = open(tmp.path());
    assert_eq!(s.stats().unwrap().pending_samples, 2 * 599);
    check(&s);
    s.flush().unwrap();
    assert_eq!(s.stats().unwrap().pending_samples, 0);
    check(&s);
    s.close().unwrap();
    assert!(!tmp.path().join("history.db-wal").exists());
    let s = open(tmp.path());
    check(&s);
}

#[test]
fn out_of_order_duplicates_and_bad_input_store_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let a = s.series_id(&SeriesKey::new("x", &[])).unwrap();
    let b = s.series_id(&SeriesKey::new("y", &[])).unwrap();
    s.append(T0, &[(a, 1.0), (b, 1.0)]).unwrap();
    // older than the last sample of `a`
    let e = s.append(T0 - 1, &[(b, 2.0), (a, 2.0)]).unwrap_err();
    assert!(
        matches!(e, StoreError::OutOfOrder { ts_ms, last_ms, .. } if ts_ms == T0 - 1 && last_ms == T0)
    );
    assert!(e.to_string().contains("strictly increasing"), "{e}");
    // duplicate timestamp
    assert!(matches!(
        s.append(T0, &[(a, 3.0)]),
        Err(StoreError::OutOfOrder { .. })
    ));
    // out of order inside one batch; the valid first sample is not stored either
    let e = s
        .append_batch(&[(b, T0 + 10, 5.0), (a, T0 + 20, 5.0), (a, T0 + 15, 5.0)])
        .unwrap_err();
    assert!(matches!(e, StoreError::OutOfOrder { .. }));
    // the same series twice in one tick
    assert!(s.append(T0 + 30, &[(a, 1.0), (a, 2.0)]).is_err());
    // unknown id, timestamps out of range
    let e = s.append(T0 + 40, &[(SeriesId(99), 1.0)]).unwrap_err();
    assert!(e.to_string().contains("unknown series id 99"), "{e}");
    let e = s.append(-1, &[(a, 1.0)]).unwrap_err();
    assert_eq!(e.js_kind(), "RangeError");
    assert!(e.to_string().contains("ts_ms"), "{e}");
    assert!(s.append(1 << 53, &[(a, 1.0)]).is_err());
    let r = s.query(&Query::range(0, i64::MAX)).unwrap();
    assert_eq!(r[0].points.len(), 1);
    assert_eq!(r[1].points.len(), 1);
    // after the refusals, the next good samples are accepted
    s.append(T0 + 10, &[(a, 2.0), (b, 2.0)]).unwrap();
    drop(s);
    let s = open(tmp.path());
    let r = s.query(&Query::range(0, i64::MAX)).unwrap();
    assert_eq!(r[0].points.len(), 2);
    assert!(
        s.append(T0 + 10, &[(a, 2.0)]).is_err(),
        "last timestamp survives reopen"
    );
}

#[test]
fn invalid_queries_and_keys_name_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let mut q = Query::range(10, 5);
    let e = s.query(&q).unwrap_err();
    assert!(e.to_string().contains("start_ms"), "{e}");
    assert_eq!(e.js_kind(), "RangeError");
    q = Query::range(0, 5);
    q.step_ms = Some(0);
    assert!(s.query(&q).unwrap_err().to_string().contains("step_ms"));
    q.step_ms = Some(-5);
    assert!(s.query(&q).is_err());
    q.step_ms = None;
    q.limit = Some(0);
    assert!(s.query(&q).unwrap_err().to_string().contains("limit"));
    let e = s.series_id(&SeriesKey::new("", &[])).unwrap_err();
    assert_eq!(e.js_kind(), "TypeError");
    assert!(e.to_string().contains("name"), "{e}");
    assert!(s.series_id(&SeriesKey::new("a", &[("1x", "v")])).is_err());
    assert!(s
        .series_id(&SeriesKey::new("a", &[("x", "v"), ("x", "w")]))
        .is_err());
    let mut o = StoreOptions::new(tmp.path());
    o.raw_retention_ms = 0;
    assert!(Store::open(o)
        .unwrap_err()
        .to_string()
        .contains("raw_retention_ms"));
}

#[test]
fn nan_is_kept_raw_and_skipped_by_aggregation() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let a = s.series_id(&SeriesKey::new("rate", &[])).unwrap();
    let base = T0 - T0 % HOUR;
    let vals = [f64::NAN, 2.0, f64::NAN, 4.0, f64::INFINITY, -0.0];
    for (i, v) in vals.iter().enumerate() {
        s.append(base + i as i64 * 10_000, &[(a, *v)]).unwrap();
    }
    let nan_only = s.series_id(&SeriesKey::new("gaps", &[])).unwrap();
    s.append(base, &[(nan_only, f64::NAN)]).unwrap();
    for flushed in [false, true] {
        if flushed {
            s.flush().unwrap();
        }
        let r = s.query(&Query::range(base, base + HOUR)).unwrap();
        let got: Vec<u64> = r[0].points.iter().map(|p| p.v.to_bits()).collect();
        let want: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, want);
        for step in [30_000, MIN, HOUR] {
            let mut q = Query::range(base, base + HOUR - 1);
            q.step_ms = Some(step);
            let r = s.query(&q).unwrap();
            let agg = &r[0].aggregated;
            let count: u64 = agg.iter().map(|b| b.count).sum();
            assert_eq!(count, 4, "step {step}");
            assert_eq!(
                agg.iter().map(|b| b.max).fold(f64::MIN, f64::max),
                f64::INFINITY
            );
            assert!(
                r[1].aggregated.is_empty(),
                "a NaN-only series has no bucket"
            );
            assert_eq!(r[1].resolution, r[0].resolution);
        }
    }
}

/// Naive model of the store: every sample per series.
type Model = BTreeMap<usize, Vec<(i64, f64)>>;

fn naive_agg(
    samples: &[(i64, f64)],
    lo: i64,
    hi: i64,
    step: i64,
) -> Vec<(i64, f64, u64, f64, f64)> {
    let a = lo.div_euclid(step) * step;
    let b = hi.div_euclid(step) * step + step - 1;
    let mut out: Vec<(i64, f64, u64, f64, f64)> = Vec::new();
    for &(t, v) in samples {
        if t < a || t > b || v.is_nan() {
            continue;
        }
        let k = t.div_euclid(step) * step;
        match out.last_mut() {
            Some(x) if x.0 == k => {
                x.1 += v;
                x.2 += 1;
                x.3 = x.3.min(v);
                x.4 = x.4.max(v);
            }
            _ => out.push((k, v, 1, v, v)),
        }
    }
    out
}

fn close_enough(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn check_against_model(s: &Store, model: &Model, ids: &[SeriesId], rng: &mut Rng, rounds: usize) {
    let (min_t, max_t) = model
        .values()
        .flat_map(|v| v.iter().map(|p| p.0))
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    for round in 0..rounds {
        let span = (max_t - min_t) as u64;
        let lo = min_t - 10_000 + rng.below(span + 20_000) as i64;
        let hi = lo + rng.below(span / 2 + 1) as i64;
        let which = rng.below(ids.len() as u64 + 1) as usize;
        let mut q = Query::range(lo, hi);
        if which < ids.len() {
            q.names = vec![format!("m{which}")];
        }
        let steps = [
            None,
            Some(1_000),
            Some(7_000),
            Some(MIN),
            Some(5 * MIN),
            Some(HOUR),
            Some(90 * MIN),
            Some(2 * HOUR),
            Some(DAY),
        ];
        q.step_ms = steps[round % steps.len()];
        if rng.below(4) == 0 {
            q.limit = Some(1 + rng.below(20) as usize);
        }
        let r = s.query(&q).unwrap();
        let expect_series: Vec<usize> = if which < ids.len() {
            vec![which]
        } else {
            (0..ids.len()).collect()
        };
        assert_eq!(r.len(), expect_series.len());
        for (d, &si) in r.iter().zip(&expect_series) {
            assert_eq!(d.key.name, format!("m{si}"));
            let samples = &model[&si];
            match q.step_ms {
                None => {
                    let mut want: Vec<(i64, u64)> = samples
                        .iter()
                        .filter(|p| p.0 >= lo && p.0 <= hi)
                        .map(|p| (p.0, p.1.to_bits()))
                        .collect();
                    if let Some(l) = q.limit {
                        want = want.split_off(want.len().saturating_sub(l));
                    }
                    let got: Vec<(i64, u64)> =
                        d.points.iter().map(|p| (p.t, p.v.to_bits())).collect();
                    assert_eq!(got, want, "raw {lo}..={hi} series {si}");
                    assert_eq!(d.resolution, "raw");
                }
                Some(step) => {
                    let mut want = naive_agg(samples, lo, hi, step);
                    if let Some(l) = q.limit {
                        want = want.split_off(want.len().saturating_sub(l));
                    }
                    let res = if step % HOUR == 0 {
                        "1h"
                    } else if step % MIN == 0 {
                        "1m"
                    } else {
                        "raw"
                    };
                    assert_eq!(d.resolution, res, "step {step}");
                    assert_eq!(
                        d.aggregated.len(),
                        want.len(),
                        "step {step} {lo}..={hi} series {si}"
                    );
                    for (g, w) in d.aggregated.iter().zip(&want) {
                        assert_eq!((g.t, g.count), (w.0, w.2), "step {step}");
                        assert!(close_enough(g.sum, w.1), "sum {} vs {}", g.sum, w.1);
                        assert_eq!((g.min, g.max), (w.3, w.4));
                    }
                }
            }
        }
    }
}

#[test]
fn queries_match_a_naive_model_through_flushes_and_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed);
    let mut s = open(tmp.path());
    let ids: Vec<SeriesId> = (0..4)
        .map(|i| {
            s.series_id(&SeriesKey::new(format!("m{i}"), &[("k", "v")]))
                .unwrap()
        })
        .collect();
    let mut model: Model = BTreeMap::new();
    let mut next_t: Vec<i64> = vec![T0 + 1234; ids.len()];
    for round in 0..40 {
        let mut batch = Vec::new();
        for _ in 0..rng.below(400) {
            let si = rng.below(ids.len() as u64) as usize;
            let gap = match rng.below(20) {
                0 => rng.below(6 * HOUR as u64) as i64 + 1,
                1..=3 => rng.below(120_000) as i64 + 1,
                _ => 5_000 + rng.below(3) as i64 - 1,
            };
            let t = next_t[si] + gap;
            next_t[si] = t;
            let v = match rng.below(10) {
                0 => f64::NAN,
                1..=2 => (rng.below(100_000) as f64) / 1000.0,
                3 => -(rng.below(1000) as f64),
                _ => rng.below(1 << 40) as f64,
            };
            batch.push((ids[si], t, v));
            model.entry(si).or_default().push((t, v));
        }
        s.append_batch(&batch).unwrap();
        if rng.below(3) == 0 {
            s.flush().unwrap();
        }
        if round == 20 {
            drop(s);
            s = open(tmp.path());
        }
        if round % 10 == 9 {
            check_against_model(&s, &model, &ids, &mut rng, 30);
        }
    }
    let total: usize = model.values().map(Vec::len).sum();
    assert_eq!(s.stats().unwrap().samples as usize, total);
    s.flush().unwrap();
    check_against_model(&s, &model, &ids, &mut rng, 60);
    s.close().unwrap();
    let s = open(tmp.path());
    check_against_model(&s, &model, &ids, &mut rng, 60);
    let st = s.stats().unwrap();
    assert_eq!(st.samples as usize, total);
    assert!(st.chunks > 4 && st.rollup_blocks > 4, "{st:?}");
}

#[test]
fn limit_keeps_the_newest_points() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let a = s.series_id(&SeriesKey::new("x", &[])).unwrap();
    for i in 0..100 {
        s.append(T0 + i * MIN, &[(a, i as f64)]).unwrap();
    }
    let mut q = Query::range(0, i64::MAX);
    q.limit = Some(3);
    let r = s.query(&q).unwrap();
    let v: Vec<f64> = r[0].points.iter().map(|p| p.v).collect();
    assert_eq!(v, vec![97.0, 98.0, 99.0]);
    q.step_ms = Some(MIN);
    let r = s.query(&q).unwrap();
    let v: Vec<f64> = r[0].aggregated.iter().map(|p| p.sum).collect();
    assert_eq!(v, vec![97.0, 98.0, 99.0]);
}

#[test]
fn label_filters_and_names() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let ids: Vec<SeriesId> = ["a", "b", "c"]
        .iter()
        .map(|h| s.series_id(&key("cpu", h)).unwrap())
        .collect();
    let other = s
        .series_id(&SeriesKey::new("mem", &[("host", "a")]))
        .unwrap();
    s.append(
        T0,
        &[(ids[0], 1.0), (ids[1], 2.0), (ids[2], 3.0), (other, 4.0)],
    )
    .unwrap();
    let mut q = Query::range(T0, T0);
    q.labels = vec![("host".into(), "a".into())];
    let r = s.query(&q).unwrap();
    assert_eq!(
        r.iter().map(|d| d.key.name.as_str()).collect::<Vec<_>>(),
        ["cpu", "mem"]
    );
    q.names = vec!["cpu".into()];
    assert_eq!(s.query(&q).unwrap().len(), 1);
    q.labels.push(("cpu".into(), "total".into()));
    assert_eq!(s.query(&q).unwrap()[0].points[0].v, 1.0);
    q.labels = vec![("host".into(), "zzz".into())];
    assert!(s.query(&q).unwrap().is_empty());
}

#[test]
fn retention_drops_old_raw_but_rollups_remain() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    let a = s.series_id(&SeriesKey::new("x", &[])).unwrap();
    let b = s.series_id(&SeriesKey::new("stopped", &[])).unwrap();
    let start = T0 - T0 % DAY;
    let mut batch = Vec::new();
    let n = 10 * DAY / 30_000; // 10 days at 30 s
    for i in 0..n {
        batch.push((a, start + i * 30_000, 1.0));
    }
    s.append_batch(&batch).unwrap();
    s.append(start, &[(b, 5.0)]).unwrap();
    s.flush().unwrap();
    let now = start + 10 * DAY;
    let cutoff = now - 7 * DAY;
    let dropped = s.apply_retention(now).unwrap();
    assert!(dropped > 0);
    let r = s.query(&Query::range(0, i64::MAX)).unwrap();
    let first = r[0].points[0].t;
    assert!(
        first >= cutoff - 2 * HOUR && first <= cutoff,
        "first raw sample {first}, cutoff {cutoff}"
    );
    assert_eq!(
        r[0].points.len() as i64,
        (start + n * 30_000 - first) / 30_000
    );
    assert!(
        r[1].points.is_empty(),
        "a series that stopped 10 days ago loses its open chunk"
    );
    // the 1-hour rollup still covers the whole 10 days
    let mut q = Query::range(start, now);
    q.step_ms = Some(DAY);
    let r = s.query(&q).unwrap();
    assert_eq!(r[0].resolution, "1h");
    let count: u64 = r[0].aggregated.iter().map(|x| x.count).sum();
    assert_eq!(count, n as u64);
    assert_eq!(s.apply_retention(now).unwrap(), 0, "idempotent");
    // past the 1-hour rollup retention everything goes
    s.apply_retention(now + 500 * DAY).unwrap();
    let r = s.query(&q).unwrap();
    assert!(r[0].aggregated.is_empty());
    assert!(s.apply_retention(-1).is_err());
    // a later sample is still refused if older than the last one seen
    assert!(s.append(start, &[(a, 1.0)]).is_err());
}

#[test]
fn newer_schema_is_refused_and_foreign_files_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let s = open(tmp.path());
    s.close().unwrap();
    let conn = rusqlite::Connection::open(tmp.path().join("history.db")).unwrap();
    conn.execute(
        "UPDATE meta SET value = 99 WHERE key = 'schema_version'",
        [],
    )
    .unwrap();
    drop(conn);
    let e = Store::open(StoreOptions::new(tmp.path())).err().unwrap();
    assert!(
        matches!(e, StoreError::SchemaTooNew { found: 99, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("schema version 99"), "{e}");

    let other = tempfile::tempdir().unwrap();
    std::fs::write(
        other.path().join("history.db"),
        b"this is not a database at all, no",
    )
    .unwrap();
    let e = Store::open(StoreOptions::new(other.path())).err().unwrap();
    assert!(e.to_string().contains("history.db"), "{e}");

    let foreign = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(foreign.path().join("history.db")).unwrap();
    conn.execute_batch("CREATE TABLE t(x)").unwrap();
    drop(conn);
    let e = Store::open(StoreOptions::new(foreign.path()))
        .err()
        .unwrap();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");

    let file = tmp.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let e = Store::open(StoreOptions::new(&file)).err().unwrap();
    assert!(e.to_string().contains("not a folder"), "{e}");
}

#[test]
fn readers_run_while_a_writer_appends() {
    let tmp = tempfile::tempdir().unwrap();
    let s = std::sync::Arc::new(open(tmp.path()));
    let ids: Vec<SeriesId> = (0..5)
        .map(|i| s.series_id(&SeriesKey::new(format!("m{i}"), &[])).unwrap())
        .collect();
    let writer = {
        let s = s.clone();
        std::thread::spawn(move || {
            for i in 0..2000i64 {
                let pts: Vec<(SeriesId, f64)> = ids.iter().map(|&id| (id, i as f64)).collect();
                s.append(T0 + i * 5000, &pts).unwrap();
                if i % 250 == 0 {
                    s.flush().unwrap();
                }
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..300 {
                    let r = s.query(&Query::range(0, i64::MAX)).unwrap();
                    for d in &r {
                        // every series is a gap-free prefix 0, 1, 2, ... with no duplicate
                        for (i, p) in d.points.iter().enumerate() {
                            assert_eq!(p.v, i as f64);
                        }
                    }
                    let n = r.first().map_or(0, |d| d.points.len());
                    assert!(n >= last);
                    last = n;
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(s.stats().unwrap().samples, 10_000);
}
