//! CPU time of each collector source per reading, and of flattening and storing a tick:
//! `cargo run --release -p novacron-perf-core --example collect_cost`.

use novacron_perf_core::collect::{self, Source};
use novacron_perf_core::host::process::thread_cpu_micros;

fn thread_cpu_us() -> f64 {
    thread_cpu_micros() as f64
}

fn main() {
    const N: usize = 200;
    let db = vec![
        collect::database::DbTarget::parse("postgres://postgres@127.0.0.1/test", None).unwrap(),
        collect::database::DbTarget::parse("mysql://root@127.0.0.1/test", None).unwrap(),
    ];
    let mut sources: Vec<Box<dyn Source>> = vec![
        Box::<collect::system::SystemSource>::default(),
        Box::<collect::gpu::GpuSource>::default(),
        Box::<collect::process::ProcessSource>::default(),
        Box::new(collect::database::DatabaseSource::new(db)),
        Box::new(collect::network::NetworkSource::new(vec![])),
    ];
    for s in sources.iter_mut() {
        s.collect().ok();
        let t0 = thread_cpu_us();
        let mut leaves = 0;
        for _ in 0..N {
            let r = s.collect().unwrap();
            leaves = collect::flatten::flatten(s.name(), &r.json()).len();
        }
        println!(
            "{:<12} {:>8.1} µs CPU per reading ({} stored values)",
            s.name(),
            (thread_cpu_us() - t0) / N as f64,
            leaves
        );
    }
    let mut sys = collect::system::SystemSource::default();
    let r = sys.collect().unwrap();
    let sample = r.json();
    let t0 = thread_cpu_us();
    for _ in 0..N {
        let _ = collect::flatten::flatten("system", &sample);
    }
    println!(
        "flatten system sample: {:.1} µs",
        (thread_cpu_us() - t0) / N as f64
    );
    let t0 = thread_cpu_us();
    for _ in 0..N {
        let _ = novacron_perf_core::prometheus::render(&r.families);
    }
    println!(
        "render system families: {:.1} µs",
        (thread_cpu_us() - t0) / N as f64
    );
    let t0 = thread_cpu_us();
    for _ in 0..N {
        let _ = r.json();
    }
    println!(
        "typed reading -> sample JSON: {:.1} µs",
        (thread_cpu_us() - t0) / N as f64
    );
    let dir = tempfile::tempdir().unwrap();
    let store =
        novacron_perf_core::Store::open(novacron_perf_core::StoreOptions::new(dir.path())).unwrap();
    let points = collect::flatten::flatten("system", &sample);
    let ids: Vec<_> = points
        .iter()
        .map(|((n, l), _)| {
            store
                .series_id(&novacron_perf_core::SeriesKey {
                    name: n.clone(),
                    labels: l.clone(),
                })
                .unwrap()
        })
        .collect();
    let t0 = thread_cpu_us();
    for i in 0..N {
        let batch: Vec<_> = ids
            .iter()
            .zip(&points)
            .map(|(id, (_, v))| (*id, *v))
            .collect();
        store.append(1_000_000 + i as i64 * 1000, &batch).unwrap();
    }
    println!(
        "store.append of {} points: {:.1} µs",
        points.len(),
        (thread_cpu_us() - t0) / N as f64
    );
}
