//! Memory: the `memory` slot from `/proc/meminfo`, and every meminfo field as a
//! `node_memory_*` gauge.

use serde::Serialize;

use crate::collect::rates::round2;
use crate::host::meminfo::MemInfo;
use crate::prometheus::{Family, MetricKind::*};

/// The `memory` slot of the system sample, bytes (`usage` in %).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryReading {
    /// `MemTotal`.
    pub total: Option<u64>,
    /// `MemTotal` again (the original API's name).
    pub total_system: Option<u64>,
    /// `MemTotal − MemAvailable`.
    pub used: Option<u64>,
    /// `MemFree`.
    pub free: Option<u64>,
    /// `MemAvailable`.
    pub available: Option<u64>,
    /// `Cached`.
    pub cached: Option<u64>,
    /// `Buffers`.
    pub buffers: Option<u64>,
    /// `SwapTotal`.
    pub swap_total: Option<u64>,
    /// `SwapTotal − SwapFree`.
    pub swap_used: Option<u64>,
    /// `used / total`, %.
    pub usage: Option<f64>,
}

/// The `memory` slot, and its families.
pub fn read(info: &MemInfo, families: &mut Vec<Family>) -> MemoryReading {
    push_families(info, families);
    reading(info)
}

/// Every meminfo field as a `node_memory_*` gauge.
fn push_families(info: &MemInfo, families: &mut Vec<Family>) {
    for (key, value, is_bytes) in &info.fields {
        let name = key.replace('(', "_").replace(')', "");
        let name = if *is_bytes {
            format!("node_memory_{name}_bytes")
        } else {
            format!("node_memory_{name}")
        };
        let help = format!(
            "Memory information field {}.",
            name.trim_start_matches("node_memory_")
        );
        families.push(Family::single(&name, Gauge, &help, *value as f64));
    }
}

/// The `memory` slot: the one place that turns meminfo into "used", "available", ….
pub fn reading(info: &MemInfo) -> MemoryReading {
    let total = info.get("MemTotal");
    let used = info.used();
    MemoryReading {
        total,
        total_system: total,
        used,
        free: info.get("MemFree"),
        available: info.get("MemAvailable"),
        cached: info.get("Cached"),
        buffers: info.get("Buffers"),
        swap_total: info.get("SwapTotal"),
        swap_used: info.swap_used(),
        usage: used
            .zip(total)
            .and_then(|(u, t)| (t > 0).then(|| round2(u as f64 / t as f64 * 100.0))),
    }
}
