//! Readings of the real machine checked against the kernel files and against work this
//! test does (a busy core, direct writes).

use super::*;
use crate::collect::{Reading, Source};
use crate::host::process::cpu_micros as process_cpu_micros;
use crate::prometheus::Family;

fn meminfo_kb(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = text.lines().find(|l| l.starts_with(key)).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

fn family<'a>(r: &'a Reading, name: &str) -> &'a Family {
    r.families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn busy_core_memory_and_node_exporter_names() {
    let mut src = SystemSource::default();
    let first = src.collect().unwrap();
    assert!(
        first.json()["cpu"]["usage"].is_null(),
        "a first reading has no rate"
    );
    let (u0, s0) = process_cpu_micros();
    let mut x = 0u64;
    while {
        let (u, s) = process_cpu_micros();
        u + s - u0 - s0 < 300_000
    } {
        for _ in 0..10_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
    }
    let r = src.collect().unwrap();
    let cores = std::thread::available_parallelism().unwrap().get();
    let usage = r.json()["cpu"]["usage"].as_f64().unwrap();
    assert!(
        usage >= 100.0 / cores as f64 * 0.7,
        "usage {usage}% with one of {cores} cores busy"
    );
    assert_eq!(r.json()["cpu"]["perCore"].as_array().unwrap().len(), cores);
    assert_eq!(
        r.json()["memory"]["total"].as_u64().unwrap(),
        meminfo_kb("MemTotal:")
    );
    let cpu_seconds = family(&r, "node_cpu_seconds_total");
    assert_eq!(cpu_seconds.samples.len(), cores * 8);
    assert_eq!(
        family(&r, "node_memory_MemTotal_bytes").samples[0].1,
        meminfo_kb("MemTotal:") as f64
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap();
    let l15: f64 = load.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!((family(&r, "node_load15").samples[0].1 - l15).abs() < 0.05);
    let fs = family(&r, "node_filesystem_size_bytes");
    assert!(fs
        .samples
        .iter()
        .any(|(l, v)| l.iter().any(|(k, _)| k == "mountpoint") && *v > 0.0));
}

/// Rule Y3: writing N MiB with O_DIRECT raises the written bytes of the disks by ≥ N MiB.
#[test]
fn direct_writes_show_up_in_disk_bytes() {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    const MIB: usize = 8;
    let dir = tempfile::tempdir_in(".").unwrap();
    let path = dir.path().join("direct.bin");
    let written = |r: &Reading| -> f64 {
        family(r, "node_disk_written_bytes_total")
            .samples
            .iter()
            .map(|s| s.1)
            .sum()
    };
    let mut src = SystemSource::default();
    let before = src.collect().unwrap();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .custom_flags(libc::O_DIRECT)
        .open(&path);
    let Ok(mut file) = file else {
        eprintln!("skipped: this file system refuses O_DIRECT");
        return;
    };
    // O_DIRECT needs an aligned buffer: 4096-aligned slice of a larger allocation.
    let mut raw = vec![0x5Au8; MIB * 1_048_576 + 4096];
    let off = raw.as_ptr().align_offset(4096);
    let buf = &mut raw[off..off + MIB * 1_048_576];
    file.write_all(buf).unwrap();
    file.sync_all().unwrap();
    let after = src.collect().unwrap();
    let delta = written(&after) - written(&before);
    assert!(
        delta >= (MIB * 1_048_576) as f64,
        "disks show {delta} bytes written, expected >= {MIB} MiB"
    );
    let rates: f64 = after.json()["disks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["writeBytesPerSec"].as_f64())
        .sum();
    assert!(rates > 0.0);
}

/// A name that was not UTF-8 is reported once, by kind and name, and only that name.
#[test]
fn odd_names_are_reported_once() {
    let mut src = SystemSource::default();
    let names = [
        ("interface", "eth0"),
        ("interface", "e\u{FFFD}x"),
        ("mount point", "/mnt/odd\u{FFFD}name"),
    ];
    let first = src.odd_name_warnings(names.iter().copied());
    assert_eq!(first.len(), 2);
    assert!(first[0].contains("interface") && first[0].contains("e\u{FFFD}x"));
    assert!(src.odd_name_warnings(names.iter().copied()).is_empty());
}
