//! Network interfaces: traffic rates per interface between two `/proc/net/dev` readings,
//! the TCP retransmit rate from `/proc/net/snmp`, and the `node_network_*` and
//! `node_netstat_Tcp_*` families.

use serde::Serialize;

use crate::collect::rates::{percent, rate0, rate2};
use crate::host::net_dev::NetDev;
use crate::host::net_snmp::TcpCounters;
use crate::prometheus::{Family, MetricKind::*};

/// One row of the `network` slot; rates are `None` for a first reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InterfaceReading {
    /// Interface name.
    pub device: String,
    /// Bytes received per second.
    pub rx_bytes_per_sec: Option<f64>,
    /// Bytes sent per second.
    pub tx_bytes_per_sec: Option<f64>,
    /// Packets received per second.
    pub rx_packets_per_sec: Option<f64>,
    /// Packets sent per second.
    pub tx_packets_per_sec: Option<f64>,
    /// Receive errors per second.
    pub rx_errors_per_sec: Option<f64>,
    /// Send errors per second.
    pub tx_errors_per_sec: Option<f64>,
    /// Received packets dropped per second.
    pub rx_drops_per_sec: Option<f64>,
    /// Sent packets dropped per second.
    pub tx_drops_per_sec: Option<f64>,
}

/// The `tcp` slot: retransmits between two readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpReading {
    /// Retransmitted segments per second.
    pub retransmits_per_sec: Option<f64>,
    /// Retransmitted / sent segments, %.
    pub retransmit_percent: Option<f64>,
}

/// One `network` row, and its families.
pub fn interface(
    n: &NetDev,
    before: Option<&NetDev>,
    secs: f64,
    families: &mut Vec<Family>,
) -> InterfaceReading {
    let dev = [("device", n.device.as_str())];
    const KINDS: [&str; 4] = ["bytes", "packets", "errs", "drop"];
    for (i, kind) in KINDS.iter().enumerate() {
        families.push(
            Family::new(
                format!("node_network_receive_{kind}_total"),
                Counter,
                format!("Network device statistic receive_{kind}."),
            )
            .with(&dev, n.rx[i] as f64),
        );
        families.push(
            Family::new(
                format!("node_network_transmit_{kind}_total"),
                Counter,
                format!("Network device statistic transmit_{kind}."),
            )
            .with(&dev, n.tx[i] as f64),
        );
    }
    let rx = |i: usize| before.and_then(|b| rate2(b.rx[i], n.rx[i], secs));
    let tx = |i: usize| before.and_then(|b| rate2(b.tx[i], n.tx[i], secs));
    InterfaceReading {
        device: n.device.clone(),
        rx_bytes_per_sec: before.and_then(|b| rate0(b.rx[0], n.rx[0], secs)),
        tx_bytes_per_sec: before.and_then(|b| rate0(b.tx[0], n.tx[0], secs)),
        rx_packets_per_sec: rx(1),
        tx_packets_per_sec: tx(1),
        rx_errors_per_sec: rx(2),
        tx_errors_per_sec: tx(2),
        rx_drops_per_sec: rx(3),
        tx_drops_per_sec: tx(3),
    }
}

/// The `tcp` slot, and the `node_netstat_Tcp_*` families.
pub fn tcp(
    snmp: &TcpCounters,
    before: Option<(i64, i64)>,
    secs: f64,
    families: &mut Vec<Family>,
) -> TcpReading {
    for key in [
        "RetransSegs",
        "OutSegs",
        "InSegs",
        "CurrEstab",
        "ActiveOpens",
        "PassiveOpens",
    ] {
        if let Some(v) = snmp.get(key) {
            families.push(Family::single(
                &format!("node_netstat_Tcp_{key}"),
                Untyped,
                &format!("Statistic Tcp{key}."),
                v as f64,
            ));
        }
    }
    match (snmp.retransmits(), before) {
        (Some((r, o)), Some((r0, o0))) if r >= r0 && o >= o0 => TcpReading {
            retransmits_per_sec: rate2(r0 as u64, r as u64, secs),
            retransmit_percent: percent((r - r0) as u64, (o - o0) as u64),
        },
        _ => TcpReading::default(),
    }
}
