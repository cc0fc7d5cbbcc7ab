//! Disks: byte, IOPS and busy rates per whole disk between two `/proc/diskstats` readings,
//! and node_exporter's `node_disk_*` counters.

use serde::Serialize;

use crate::collect::rates::{rate0, rate2, round2};
use crate::host::diskstats::DiskStat;
use crate::prometheus::{Family, MetricKind::*};

/// One row of the `disks` slot; rates are `None` for a first reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskReading {
    /// Kernel device name.
    pub device: String,
    /// Bytes read per second.
    pub read_bytes_per_sec: Option<f64>,
    /// Bytes written per second.
    pub write_bytes_per_sec: Option<f64>,
    /// Reads completed per second.
    pub read_iops: Option<f64>,
    /// Writes completed per second.
    pub write_iops: Option<f64>,
    /// Share of the interval with I/O in flight, %.
    pub busy_percent: Option<f64>,
}

/// One `disks` row, and its families.
pub fn read(
    d: &DiskStat,
    before: Option<&DiskStat>,
    secs: f64,
    families: &mut Vec<Family>,
) -> DiskReading {
    let dev = [("device", d.device.as_str())];
    for (name, help, v) in [
        (
            "node_disk_reads_completed_total",
            "The total number of reads completed successfully.",
            d.reads as f64,
        ),
        (
            "node_disk_writes_completed_total",
            "The total number of writes completed successfully.",
            d.writes as f64,
        ),
        (
            "node_disk_read_bytes_total",
            "The total number of bytes read successfully.",
            d.sectors_read as f64 * 512.0,
        ),
        (
            "node_disk_written_bytes_total",
            "The total number of bytes written successfully.",
            d.sectors_written as f64 * 512.0,
        ),
        (
            "node_disk_read_time_seconds_total",
            "The total number of seconds spent by all reads.",
            d.read_ms as f64 / 1000.0,
        ),
        (
            "node_disk_write_time_seconds_total",
            "This is the total number of seconds spent by all writes.",
            d.write_ms as f64 / 1000.0,
        ),
        (
            "node_disk_io_time_seconds_total",
            "Total seconds spent doing I/Os.",
            d.io_ms as f64 / 1000.0,
        ),
    ] {
        families.push(Family::new(name, Counter, help).with(&dev, v));
    }
    let r = |f: fn(&DiskStat) -> u64| before.and_then(|b| rate2(f(b), f(d), secs));
    let bytes = |f: fn(&DiskStat) -> u64| before.and_then(|b| rate0(f(b) * 512, f(d) * 512, secs));
    DiskReading {
        device: d.device.clone(),
        read_bytes_per_sec: bytes(|x| x.sectors_read),
        write_bytes_per_sec: bytes(|x| x.sectors_written),
        read_iops: r(|x| x.reads),
        write_iops: r(|x| x.writes),
        // io_ms counts wall milliseconds with I/O in flight: ms per second / 10 = %.
        busy_percent: r(|x| x.io_ms).map(|ms_per_s| round2((ms_per_s / 10.0).min(100.0))),
    }
}
