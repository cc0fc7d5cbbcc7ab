//! Prints what the GPU collector reads, one JSON line per sample:
//! `cargo run --release -p novacron-perf-core --example gpu_sample -- [samples] [interval_ms]`.
//! Used to check the NVML readings next to `nvidia-smi` on a GPU machine.

use std::time::{Duration, Instant};

use novacron_perf_core::collect::gpu::GpuSource;
use novacron_perf_core::collect::Source;

fn main() {
    let mut args = std::env::args().skip(1);
    let samples: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let interval = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(1000));
    let mut gpu = GpuSource::default();
    if let Some(reason) = gpu.unavailable_reason() {
        eprintln!("GPU collector unavailable: {reason}");
    }
    let start = Instant::now();
    for i in 0..samples {
        let at = chrono::Utc::now();
        match gpu.collect() {
            Ok(r) => println!(
                "{}",
                serde_json::json!({ "timestamp": at.timestamp_millis(), "iso": at.to_rfc3339(), "gpu": r.json() })
            ),
            Err(e) => println!(
                "{}",
                serde_json::json!({ "timestamp": at.timestamp_millis(), "error": e })
            ),
        }
        let next = start + interval * (i + 1);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}
