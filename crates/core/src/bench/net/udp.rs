//! UDP at a target bit rate, like `iperf3 -u -b`: datagrams carry a sequence number and
//! the sender's send time; the peer counts what arrives and keeps the RFC 3550 §6.4.1
//! (RFC 1889 A.8) interarrival jitter, J += (|D| − J) / 16, where D is the difference of
//! two consecutive transit times. The clocks of the two hosts need not agree: their offset
//! cancels in D.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::ControlConn;
use super::protocol::{UdpHeader, UDP_HEADER};
use crate::bench::control::RunControl;
use crate::bench::{BenchError, BenchResult};

/// Default datagram size (payload), bytes: fits a 1500-byte MTU with IP and UDP headers.
pub const DEFAULT_PACKET: usize = 1400;
/// Default target rate: 10 Mbit/s.
pub const DEFAULT_BITS_PER_SECOND: f64 = 10e6;
/// Time allowed for the last datagrams to arrive before the peer is asked.
const DRAIN: Duration = Duration::from_millis(200);

/// RFC 3550 interarrival jitter, in ns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Jitter {
    last_transit: Option<i128>,
    jitter: f64,
}

impl Jitter {
    /// Accounts a packet sent at `sent_ns` (sender clock) and received at `recv_ns`
    /// (receiver clock).
    pub fn on_packet(&mut self, sent_ns: u64, recv_ns: u64) {
        let transit = i128::from(recv_ns) - i128::from(sent_ns);
        if let Some(prev) = self.last_transit {
            let d = (transit - prev).abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }

    /// The current estimate, ns.
    pub fn ns(&self) -> u64 {
        self.jitter.round() as u64
    }
}

/// Sends datagrams of `packet` bytes at `bits_per_second` for `duration` to the peer and
/// returns what the peer received.
pub fn run(
    addr: SocketAddr,
    bits_per_second: f64,
    packet: usize,
    duration: Duration,
    timeout: Duration,
    ctl: &RunControl,
) -> BenchResult<UdpResult> {
    let io = |what: &str, e: std::io::Error| {
        BenchError::Io(format!("network udp: {what} ({addr}): {e}"))
    };
    let mut control = ControlConn::open(addr, timeout).map_err(|e| io("control connection", e))?;
    let bind: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .expect("literal");
    let sock = UdpSocket::bind(bind).map_err(|e| io("bind", e))?;
    sock.connect(addr).map_err(|e| io("connect", e))?;
    let packet = packet.max(UDP_HEADER);
    let mut buf = vec![0xA5u8; packet];
    let gap = Duration::from_secs_f64(packet as f64 * 8.0 / bits_per_second);
    let start = Instant::now();
    let end = start + duration;
    let (mut sent, mut send_errors, mut late_max) = (0u64, 0u64, Duration::ZERO);
    let mut due = start;
    while due < end {
        ctl.check()?;
        let now = Instant::now();
        if now < due {
            let wait = due - now;
            if wait > Duration::from_millis(1) {
                std::thread::sleep(wait - Duration::from_micros(500));
            }
            while Instant::now() < due {
                std::hint::spin_loop();
            }
        } else {
            late_max = late_max.max(now - due);
        }
        let sent_ns = start.elapsed().as_nanos() as u64;
        UdpHeader {
            test: control.test,
            seq: sent,
            sent_ns,
        }
        .write(&mut buf);
        match sock.send(&buf) {
            Ok(_) => sent += 1,
            Err(_) => send_errors += 1,
        }
        due += gap;
    }
    let elapsed = start.elapsed();
    ctl.sleep(DRAIN);
    ctl.check()?;
    let r = control
        .exchange("UDP")
        .map_err(|e| io("peer counters", e))?;
    let (received, out_of_order, jitter_ns, bytes) = (r[0], r[1], r[2], r[4]);
    let lost = sent.saturating_sub(received);
    Ok(UdpResult {
        target_bits_per_second: bits_per_second,
        bits_per_second: bytes as f64 * 8.0 / elapsed.as_secs_f64(),
        packet_size: packet,
        sent_packets: sent,
        received_packets: received,
        lost_packets: lost,
        lost_percent: if sent > 0 {
            lost as f64 / sent as f64 * 100.0
        } else {
            0.0
        },
        out_of_order,
        jitter_ms: jitter_ns as f64 / 1e6,
        jitter_method: "RFC 3550 interarrival jitter, at the receiver",
        send_errors,
        max_send_lag_ms: late_max.as_secs_f64() * 1e3,
        duration_ms: elapsed.as_secs_f64() * 1e3,
    })
}

/// What the UDP test measured (`networkPerformance.udp` without its recommendations).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UdpResult {
    /// Asked rate, bit/s.
    pub target_bits_per_second: f64,
    /// Sent rate, bit/s.
    pub bits_per_second: f64,
    /// Datagram size, bytes.
    pub packet_size: usize,
    /// Datagrams sent.
    pub sent_packets: u64,
    /// Datagrams the peer received.
    pub received_packets: u64,
    /// Sent minus received.
    pub lost_packets: u64,
    /// Lost share, %.
    pub lost_percent: f64,
    /// Datagrams received out of order.
    pub out_of_order: u64,
    /// Interarrival jitter, ms.
    pub jitter_ms: f64,
    /// How jitter is computed.
    pub jitter_method: &'static str,
    /// Failed sends.
    pub send_errors: u64,
    /// Largest lag behind the send schedule, ms.
    pub max_send_lag_ms: f64,
    /// Sending window, ms.
    pub duration_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_follows_rfc3550() {
        // Transit times 10, 12, 9, 9 ms (sender clock offset 1 s, which must cancel).
        let mut j = Jitter::default();
        let offset = 1_000_000_000u64;
        for (i, transit_ms) in [10u64, 12, 9, 9].iter().enumerate() {
            let sent = i as u64 * 20_000_000;
            j.on_packet(sent, sent + offset + transit_ms * 1_000_000);
        }
        // J1 = 2/16 ms; J2 = J1 + (3 − J1)/16; J3 = J2 + (0 − J2)/16.
        let j1 = 2.0 / 16.0;
        let j2 = j1 + (3.0 - j1) / 16.0;
        let j3 = j2 - j2 / 16.0;
        assert!(
            (j.ns() as f64 / 1e6 - j3).abs() < 1e-6,
            "{} vs {j3}",
            j.ns()
        );
    }
}
