//! History store bench: ingest rate, bytes per sample on disk and query latencies on
//! 50 series × 7 days at 5 s.
//!
//! Run: `cargo run --release -p novacron-perf-core --example store_bench`
//! (`-- --quick` for one day instead of a week). Writes into a temporary folder it removes.
//!
//! How the "real" week is made (printed too): a week is 120,960 slots of 5 s. Taking one
//! reading every 5 s would take a week, and one every 50 ms would take 100 minutes, so the
//! bench reads /proc/stat, /proc/meminfo, /proc/loadavg, /proc/net/dev and /proc/diskstats
//! back to back, one real reading per slot, and stamps reading i at `start + i × 5 s`. Values
//! are stored as a node_exporter-style collector stores them: cumulative counters as counters
//! (CPU seconds = jiffies / 100, bytes, packets, sectors × 512, context switches), gauges as
//! gauges (memory bytes, load averages, running processes). Because readings are a fraction
//! of a millisecond apart instead of 5 s, counters move less between slots than they would;
//! to show what that does, the bench also encodes a short series of readings taken 50 ms
//! apart, and a random-float worst case.

use std::time::{Duration, Instant};

use novacron_perf_core::store::{codec, Query, SeriesId, SeriesKey, Store, StoreOptions};

const STEP: i64 = 5_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
const MAX_SERIES: usize = 50;

/// One metric of a reading: name, labels, value.
type Reading = (String, Vec<(String, String)>, f64);

/// One reading of every metric, in a fixed order.
fn read_proc() -> Vec<Reading> {
    let mut out = Vec::with_capacity(80);
    let mut push = |name: &str, labels: &[(&str, &str)], v: f64| {
        out.push((
            name.to_owned(),
            labels
                .iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect(),
            v,
        ));
    };
    const MODES: [&str; 8] = [
        "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
    ];
    if let Ok(stat) = std::fs::read_to_string("/proc/stat") {
        for line in stat.lines() {
            let mut f = line.split_whitespace();
            let Some(head) = f.next() else { continue };
            if let Some(cpu) = head.strip_prefix("cpu") {
                let cpu = if cpu.is_empty() { "total" } else { cpu };
                for (mode, v) in MODES.iter().zip(f) {
                    let jiffies: f64 = v.parse().unwrap_or(0.0);
                    push(
                        "node_cpu_seconds_total",
                        &[("cpu", cpu), ("mode", mode)],
                        jiffies / 100.0,
                    );
                }
            } else if matches!(
                head,
                "ctxt" | "processes" | "procs_running" | "procs_blocked" | "intr"
            ) {
                let v: f64 = f.next().and_then(|x| x.parse().ok()).unwrap_or(0.0);
                push(&format!("node_{head}"), &[], v);
            }
        }
    }
    if let Ok(mem) = std::fs::read_to_string("/proc/meminfo") {
        for line in mem.lines() {
            let mut f = line.split_whitespace();
            let key = f.next().unwrap_or("").trim_end_matches(':');
            if matches!(
                key,
                "MemFree"
                    | "MemAvailable"
                    | "Buffers"
                    | "Cached"
                    | "Active"
                    | "Inactive"
                    | "Dirty"
                    | "AnonPages"
                    | "Shmem"
                    | "Slab"
            ) {
                let kb: f64 = f.next().and_then(|x| x.parse().ok()).unwrap_or(0.0);
                push(&format!("node_memory_{key}_bytes"), &[], kb * 1024.0);
            }
        }
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        for (name, v) in ["node_load1", "node_load5", "node_load15"]
            .iter()
            .zip(load.split_whitespace())
        {
            push(name, &[], v.parse().unwrap_or(0.0));
        }
    }
    if let Ok(net) = std::fs::read_to_string("/proc/net/dev") {
        for line in net.lines().skip(2) {
            let Some((dev, rest)) = line.split_once(':') else {
                continue;
            };
            let dev = dev.trim();
            let f: Vec<f64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0.0))
                .collect();
            if f.len() >= 10 && (f[0] > 0.0 || f[8] > 0.0) {
                push("node_network_receive_bytes_total", &[("device", dev)], f[0]);
                push(
                    "node_network_receive_packets_total",
                    &[("device", dev)],
                    f[1],
                );
                push(
                    "node_network_transmit_bytes_total",
                    &[("device", dev)],
                    f[8],
                );
                push(
                    "node_network_transmit_packets_total",
                    &[("device", dev)],
                    f[9],
                );
            }
        }
    }
    if let Ok(disk) = std::fs::read_to_string("/proc/diskstats") {
        for line in disk.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 14 || f[2].starts_with("loop") || f[2].starts_with("ram") {
                continue;
            }
            let n = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
            let dev = f[2];
            push("node_disk_reads_completed_total", &[("device", dev)], n(3));
            push(
                "node_disk_read_bytes_total",
                &[("device", dev)],
                n(5) * 512.0,
            );
            push("node_disk_writes_completed_total", &[("device", dev)], n(7));
            push(
                "node_disk_written_bytes_total",
                &[("device", dev)],
                n(9) * 512.0,
            );
            push(
                "node_disk_io_time_seconds_total",
                &[("device", dev)],
                n(12) / 1000.0,
            );
        }
    }
    out
}

struct Dataset {
    keys: Vec<SeriesKey>,
    /// `values[series][slot]`
    values: Vec<Vec<f64>>,
}

fn real_dataset(slots: usize, spacing: Duration) -> (Dataset, Duration) {
    let first = read_proc();
    let n = first.len().min(MAX_SERIES);
    let keys: Vec<SeriesKey> = first[..n]
        .iter()
        .map(|(name, labels, _)| SeriesKey {
            name: name.clone(),
            labels: labels.clone(),
        })
        .collect();
    let mut values = vec![Vec::with_capacity(slots); n];
    let t0 = Instant::now();
    for _ in 0..slots {
        let r = read_proc();
        for (k, key) in keys.iter().enumerate() {
            // Match by key: devices may come and go between readings.
            let v = r
                .get(k)
                .filter(|x| x.0 == key.name && x.1 == key.labels)
                .or_else(|| r.iter().find(|x| x.0 == key.name && x.1 == key.labels))
                .map_or(f64::NAN, |x| x.2);
            values[k].push(v);
        }
        if !spacing.is_zero() {
            std::thread::sleep(spacing);
        }
    }
    (Dataset { keys, values }, t0.elapsed())
}

fn random_dataset(series: usize, slots: usize) -> Dataset {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let keys = (0..series)
        .map(|i| SeriesKey::new("random_float", &[("i", &i.to_string())]))
        .collect();
    let values = (0..series)
        .map(|_| {
            (0..slots)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 11) as f64 / (1u64 << 53) as f64 * 100.0
                })
                .collect()
        })
        .collect();
    Dataset { keys, values }
}

/// Codec-only bytes per sample: each series cut into 480-sample chunks, as the store does.
fn codec_bytes_per_sample(d: &Dataset, start: i64) -> f64 {
    let (mut bytes, mut n) = (0usize, 0usize);
    for vals in &d.values {
        for (c, chunk) in vals.chunks(480).enumerate() {
            let ts: Vec<i64> = (0..chunk.len())
                .map(|i| start + ((c * 480 + i) as i64) * STEP)
                .collect();
            bytes += codec::encode_chunk(&ts, chunk).len();
            n += chunk.len();
        }
    }
    bytes as f64 / n as f64
}

struct Loaded {
    store: Store,
    ingest_s: f64,
    samples: usize,
}

fn ingest(dir: &std::path::Path, d: &Dataset, start: i64) -> Loaded {
    let store = Store::open(StoreOptions::new(dir)).expect("open store");
    let ids: Vec<SeriesId> = d
        .keys
        .iter()
        .map(|k| store.series_id(k).expect("register"))
        .collect();
    let slots = d.values[0].len();
    let per_batch = (HOUR / STEP) as usize; // one hour of every series per call
    let mut busy = Duration::ZERO;
    let mut batch = Vec::with_capacity(per_batch * ids.len());
    for (b, from) in (0..slots).step_by(per_batch).enumerate() {
        batch.clear();
        for slot in from..(from + per_batch).min(slots) {
            let t = start + slot as i64 * STEP;
            for (k, &id) in ids.iter().enumerate() {
                batch.push((id, t, d.values[k][slot]));
            }
        }
        let t0 = Instant::now();
        store.append_batch(&batch).expect("append_batch");
        if b % 6 == 5 {
            store.flush().expect("flush");
        }
        busy += t0.elapsed();
    }
    let t0 = Instant::now();
    store.flush().expect("flush");
    busy += t0.elapsed();
    Loaded {
        store,
        ingest_s: busy.as_secs_f64(),
        samples: slots * ids.len(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report_size(label: &str, l: &Loaded) {
    let st = l.store.stats().expect("stats");
    let n = l.samples as f64;
    println!("{label}");
    println!(
        "  ingest (append_batch of 1 h × all series, flush every 6 h of data, timed with flushes): {:.2} M samples/s ({} samples in {:.2} s)",
        n / l.ingest_s / 1e6,
        l.samples,
        l.ingest_s
    );
    println!(
        "  on disk (history.db + WAL): {:.3} bytes/sample ({} bytes); raw chunk payload {:.3} B/sample, rollup blocks {:.3} B/sample, {} chunks, {} rollup blocks",
        st.bytes_on_disk as f64 / n,
        st.bytes_on_disk,
        st.chunk_bytes as f64 / n,
        st.rollup_bytes as f64 / n,
        st.chunks,
        st.rollup_blocks
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let days = if quick { 1 } else { 7 };
    let slots = (days * DAY / STEP) as usize;
    let start = 1_700_000_000_000 - 1_700_000_000_000 % DAY;
    let end = start + slots as i64 * STEP - 1;
    println!(
        "history store bench ({} days × 5 s = {slots} slots per series)",
        days
    );

    let (real, took) = real_dataset(slots, Duration::ZERO);
    println!(
        "real readings: {} series from /proc, {slots} readings taken back to back in {:.1} s ({:.0} µs apart), stamped 5 s apart; counters and gauges stored as node_exporter would",
        real.keys.len(),
        took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / slots as f64
    );
    let (spaced, took50) = real_dataset(240, Duration::from_millis(50));
    println!(
        "codec only, 480-sample chunks: back-to-back readings {:.3} B/sample; {} readings 50 ms apart ({:.1} s) {:.3} B/sample",
        codec_bytes_per_sample(&real, start),
        spaced.values[0].len(),
        took50.as_secs_f64(),
        codec_bytes_per_sample(&spaced, start)
    );

    let tmp = std::env::temp_dir().join(format!("store-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);

    let l = ingest(&tmp.join("real"), &real, start);
    report_size("real system metrics", &l);

    // Queries on the real store (50 series × the whole period).
    let mut x = 12345u64;
    let mut rnd = |n: i64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as i64
    };
    let mut lat = Vec::new();
    let mut pts = 0;
    for _ in 0..50 {
        let from = start + rnd(end - start - HOUR);
        let q = Query::range(from, from + HOUR - 1);
        let t0 = Instant::now();
        let r = l.store.query(&q).expect("query");
        lat.push(t0.elapsed().as_secs_f64() * 1e3);
        pts = r.iter().map(|d| d.points.len()).sum::<usize>();
    }
    println!(
        "  query 1 h raw, {} series ({} points): median {:.3} ms over 50 random hours",
        l.store.series().len(),
        pts,
        median(lat)
    );
    let span = end - start + 1;
    // The smallest multiple of 1 min giving at most 1000 buckets.
    let step = (span / 1000 / 60_000 + 1) * 60_000;
    let mut lat = Vec::new();
    let mut most = 0;
    let mut resolution = "";
    // STORE_BENCH_REDUCE_RUNS repeats this query more often (for a profiler).
    let runs: usize = std::env::var("STORE_BENCH_REDUCE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for _ in 0..runs {
        let mut q = Query::range(start, end);
        q.step_ms = Some(step);
        let t0 = Instant::now();
        let r = l.store.query(&q).expect("query");
        lat.push(t0.elapsed().as_secs_f64() * 1e3);
        most = r.iter().map(|d| d.aggregated.len()).max().unwrap_or(0);
        resolution = r[0].resolution;
    }
    println!(
        "  query {days} d reduced to ≤ 1000 points (step {} s, {most} buckets per series, from the {resolution} rollup), all series: median {:.3} ms over {runs} runs",
        step / 1000,
        median(lat)
    );
    let mut lat = Vec::new();
    for _ in 0..20 {
        let mut q = Query::range(start, end);
        q.step_ms = Some(HOUR);
        let t0 = Instant::now();
        l.store.query(&q).expect("query");
        lat.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "  query {days} d at 1 h steps (1h rollup), all series: median {:.3} ms",
        median(lat)
    );
    l.store.close().expect("close");

    let rand = random_dataset(MAX_SERIES, slots);
    let l = ingest(&tmp.join("random"), &rand, start);
    report_size(
        "random floats (worst case: 52 random mantissa bits per value)",
        &l,
    );
    l.store.close().expect("close");
    if std::env::var_os("STORE_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        println!("kept {}", tmp.display());
    }
}
