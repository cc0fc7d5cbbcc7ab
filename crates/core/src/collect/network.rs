//! The `network` collector: traffic of the machine (all interfaces but loopback), TCP
//! connection states, the retransmit rate, and optional connect-latency probes to
//! configured `host:port` targets. Packet loss cannot be observed passively, so
//! `packetLoss` is `null` and `retransmitPercent` (retransmitted / sent segments) stands
//! beside it.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use std::collections::BTreeMap;

use serde::Serialize;

use super::rates::{percent, round2};
use super::{Reading, Source};
use crate::host::net_tcp::{self, TCP_STATES};
use crate::host::{net_dev, net_snmp};
use crate::prometheus::{Family, MetricKind::*};

/// The `network` slot of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkReading {
    /// Traffic in and out over the interval, MiB/s; `None` for a first reading.
    pub bandwidth: Option<f64>,
    /// Mean connect latency of the probes that answered, ms.
    pub latency: Option<f64>,
    /// Cannot be observed passively: always `None` (see `retransmit_percent`).
    pub packet_loss: Option<f64>,
    /// Retransmitted / sent segments over the interval, %.
    pub retransmit_percent: Option<f64>,
    /// Established connections now.
    pub connections: u64,
    /// Age of the per-state socket counts, ms.
    pub tcp_states_age_ms: Option<u64>,
    /// Bytes received since boot, all interfaces but loopback.
    pub bytes_in: u64,
    /// Bytes sent since boot, all interfaces but loopback.
    pub bytes_out: u64,
    /// Sockets per TCP state.
    pub tcp_states: BTreeMap<&'static str, u64>,
    /// One row per configured probe target.
    pub probes: Vec<ProbeReading>,
}

/// One connect-latency probe.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeReading {
    /// `host:port`.
    pub target: String,
    /// Connect time, ms; `None` when it failed.
    pub latency_ms: Option<f64>,
    /// True when the connection succeeded.
    pub up: bool,
    /// Why it failed.
    pub error: Option<String>,
}

/// How long one probe waits for a connection.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);
/// How often the per-state socket counts are re-read. The kernel builds `/proc/net/tcp` by
/// walking its whole socket hash tables (milliseconds of CPU even with few sockets, which
/// is why node_exporter's tcpstat collector is off by default); established connections
/// come from the cheap `/proc/net/snmp` counter at every tick.
pub const TCP_STATES_EVERY: Duration = Duration::from_secs(30);

/// Counters of the previous reading, for rates.
#[derive(Clone, Copy)]
struct Previous {
    at: Instant,
    bytes_in: u64,
    bytes_out: u64,
    /// `(RetransSegs, OutSegs)`.
    segments: Option<(i64, i64)>,
}

/// The `network` sub-collector.
pub struct NetworkSource {
    targets: Vec<String>,
    prev: Option<Previous>,
    states: Option<(Instant, [u64; 11])>,
}

impl NetworkSource {
    /// A collector probing `targets` (`host:port` strings, already validated).
    pub fn new(targets: Vec<String>) -> NetworkSource {
        NetworkSource {
            targets,
            prev: None,
            states: None,
        }
    }
}

/// Checks a probe target: `host:port` with a port in 1..=65535.
pub fn validate_target(target: &str) -> Result<(), String> {
    let (host, port) = target
        .rsplit_once(':')
        .ok_or_else(|| format!("networkTargets: got {target:?} (accepted: 'host:port')"))?;
    let ok_port = port.parse::<u16>().is_ok_and(|p| p > 0);
    if host.is_empty() || !ok_port {
        return Err(format!(
            "networkTargets: got {target:?} (accepted: 'host:port' with a port from 1 to 65535)"
        ));
    }
    Ok(())
}

impl Source for NetworkSource {
    fn name(&self) -> &'static str {
        "network"
    }

    fn collect(&mut self) -> Result<Reading, String> {
        let now = Instant::now();
        let devs = net_dev::read().ok_or("cannot read /proc/net/dev")?;
        let (rx, tx) = net_dev::external_totals(&devs);
        let (bytes_in, bytes_out) = (rx[0], tx[0]);
        let snmp = net_snmp::read_tcp();
        let seg = snmp.retransmits();

        let states = match self.states {
            Some((at, counts)) if now.duration_since(at) < TCP_STATES_EVERY => counts,
            _ => {
                let counts = net_tcp::read_states().unwrap_or_default();
                self.states = Some((now, counts));
                counts
            }
        };
        // ESTABLISHED and CLOSE-WAIT connections now (RFC 1213 tcpCurrEstab).
        let established = snmp.established().unwrap_or(states[0]);
        let mut state_family = Family::new(
            "node_tcp_connection_states",
            Gauge,
            "Number of connection states.",
        );
        let mut state_map = BTreeMap::new();
        for (name, n) in TCP_STATES.iter().zip(states) {
            state_family.push(&[("state", name)], n as f64);
            state_map.insert(*name, n);
        }

        let (bandwidth, retrans) = match self.prev {
            Some(Previous {
                at,
                bytes_in: bin,
                bytes_out: bout,
                segments: seg0,
            }) => {
                let secs = now.duration_since(at).as_secs_f64();
                let bw = (bytes_in >= bin && bytes_out >= bout && secs > 0.0).then(|| {
                    round2(((bytes_in - bin) + (bytes_out - bout)) as f64 / secs / 1_048_576.0)
                });
                let rt = match (seg, seg0) {
                    (Some((r, o)), Some((r0, o0))) if r >= r0 && o >= o0 => {
                        percent((r - r0) as u64, (o - o0) as u64)
                    }
                    _ => None,
                };
                (bw, rt)
            }
            None => (None, None),
        };
        self.prev = Some(Previous {
            at: now,
            bytes_in,
            bytes_out,
            segments: seg,
        });

        let mut latency_family = Family::new(
            "novacron_tcp_connect_latency_seconds",
            Gauge,
            "Time to establish a TCP connection to a probe target, seconds.",
        );
        let mut up_family = Family::new(
            "novacron_tcp_probe_up",
            Gauge,
            "1 when the last connection to the probe target succeeded.",
        );
        let mut probes = Vec::new();
        let mut latencies = Vec::new();
        for target in &self.targets {
            let (ms, error) = probe(target);
            up_family.push(&[("target", target)], if ms.is_some() { 1.0 } else { 0.0 });
            if let Some(ms) = ms {
                latency_family.push(&[("target", target)], ms / 1000.0);
                latencies.push(ms);
            }
            probes.push(ProbeReading {
                target: target.clone(),
                latency_ms: ms,
                up: ms.is_some(),
                error,
            });
        }
        let latency = (!latencies.is_empty())
            .then(|| round2(latencies.iter().sum::<f64>() / latencies.len() as f64));

        let sample = NetworkReading {
            bandwidth,
            latency,
            packet_loss: None,
            retransmit_percent: retrans,
            connections: established,
            tcp_states_age_ms: self
                .states
                .map(|(at, _)| now.duration_since(at).as_millis() as u64),
            bytes_in,
            bytes_out,
            tcp_states: state_map,
            probes,
        };
        Ok(Reading::new(
            sample,
            vec![state_family, latency_family, up_family],
        ))
    }
}

/// Connect time to `target` in ms (3 decimals), or the error.
fn probe(target: &str) -> (Option<f64>, Option<String>) {
    let addr = match target.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        Ok(None) => return (None, Some(format!("{target}: no address"))),
        Err(e) => return (None, Some(format!("{target}: {e}"))),
    };
    let start = Instant::now();
    match TcpStream::connect_timeout(&addr, PROBE_TIMEOUT) {
        Ok(_) => {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            (Some((ms * 1000.0).round() / 1000.0), None)
        }
        Err(e) => (None, Some(format!("{target}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_validated() {
        validate_target("127.0.0.1:5432").unwrap();
        validate_target("db.example:3306").unwrap();
        for bad in ["nohost", ":80", "h:0", "h:70000", "h:x"] {
            assert!(
                validate_target(bad).unwrap_err().contains("networkTargets"),
                "{bad}"
            );
        }
    }

    #[test]
    fn probe_measures_a_listening_port_and_reports_a_closed_one() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let (ms, err) = probe(&format!("127.0.0.1:{port}"));
        assert!(ms.unwrap() >= 0.0 && err.is_none());
        drop(l);
        let (ms, err) = probe(&format!("127.0.0.1:{port}"));
        assert!(ms.is_none());
        assert!(err.unwrap().contains(&port.to_string()));
    }

    #[test]
    fn established_connections_are_counted() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (_s, _) = l.accept().unwrap();
        let mut src = NetworkSource::new(vec![]);
        let r = src.collect().unwrap();
        // Both ends of our connection are established sockets.
        assert!(r.json()["connections"].as_u64().unwrap() >= 2);
        assert!(
            r.json()["bandwidth"].is_null(),
            "a first reading has no rate"
        );
        drop(c);
    }
}
