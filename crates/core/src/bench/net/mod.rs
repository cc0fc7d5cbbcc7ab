//! Network measurements against a peer: TCP throughput at the receiver (iperf3), TCP
//! request/response latency and connection setup rate (netperf TCP_RR / TCP_CRR), UDP
//! loss and jitter at a target rate (iperf3 -u), plus HTTP load through [`crate::bench::http`].
//!
//! - [`protocol`]: the peer's wire protocol.
//! - [`peer`]: the peer itself (built in on loopback, standalone on another host).
//! - [`client`]: connecting, handshake and the control connection.
//! - [`tcp`], [`rr`], [`udp`]: the measurements.

pub mod client;
pub mod peer;
pub mod protocol;
pub mod rr;
pub mod tcp;
pub mod udp;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value;

use self::peer::Peer;
use super::http::{self, HttpTarget, UrlCheck};
use super::options::Obj;
use super::{BenchError, BenchResult};

/// Modes of `network.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// TCP throughput.
    Tcp,
    /// TCP request/response latency (and connection rate).
    TcpRr,
    /// UDP loss and jitter.
    Udp,
    /// HTTP load.
    Http,
}

const KEYS: &[&str] = &[
    "mode",
    "host",
    "port",
    "duration",
    "warmup",
    "streams",
    "url",
    "rate",
    "connections",
    "connectTimeout",
    "bandwidth",
    "packetSize",
    "messageSize",
    "timeout",
];

/// Checked `network` options.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkOptions {
    /// Only this measurement; `None`: the default suite.
    pub mode: Option<Mode>,
    /// Remote peer host; `None`: a built-in peer on loopback.
    pub host: Option<String>,
    /// Remote peer port.
    pub port: u16,
    /// Measured time per test (`None`: each test's default).
    pub duration: Option<Duration>,
    /// Warm-up per test (`None`: each test's default).
    pub warmup: Option<Duration>,
    /// Parallel TCP streams.
    pub streams: u32,
    /// HTTP URL; `None`: the peer's own `/health` responder.
    pub url: Option<String>,
    /// Open-loop rate, requests/s.
    pub rate: Option<f64>,
    /// HTTP connections.
    pub connections: u32,
    /// Connect timeout (peer, URL).
    pub connect_timeout: Duration,
    /// UDP target rate, bits/s.
    pub bandwidth: f64,
    /// UDP datagram size, bytes.
    pub packet_size: usize,
    /// TCP_RR message size, bytes.
    pub message_size: usize,
    /// HTTP request timeout.
    pub timeout: Duration,
}

impl NetworkOptions {
    /// Reads and checks the JS `network` object.
    pub fn parse(v: &Value) -> BenchResult<NetworkOptions> {
        let o = Obj::new(v, "network")?;
        o.only(KEYS)?;
        let mode = o
            .choice("mode", &["tcp", "tcp_rr", "udp", "http"])?
            .map(|m| match m {
                "tcp" => Mode::Tcp,
                "tcp_rr" => Mode::TcpRr,
                "udp" => Mode::Udp,
                _ => Mode::Http,
            });
        let ms = |k: &str, min: u64, max: u64| -> BenchResult<Option<Duration>> {
            Ok(o.opt_int(k, min, max)?.map(Duration::from_millis))
        };
        let url = o.string("url")?.map(str::to_owned);
        if let Some(u) = &url {
            http::parse_url(u, "network.url")?;
        }
        Ok(NetworkOptions {
            mode,
            host: o.string("host")?.map(str::to_owned),
            port: o.int("port", u64::from(protocol::DEFAULT_PORT), 1, 65_535)? as u16,
            duration: ms("duration", 100, 86_400_000)?,
            warmup: ms("warmup", 0, 3_600_000)?,
            streams: o.int("streams", 1, 1, 128)? as u32,
            url,
            rate: o.opt_num("rate", 1.0, 1e7)?,
            connections: o.int("connections", 10, 1, 1024)? as u32,
            connect_timeout: ms("connectTimeout", 1, 600_000)?.unwrap_or(Duration::from_secs(3)),
            bandwidth: o
                .opt_num("bandwidth", 1e3, 1e11)?
                .unwrap_or(udp::DEFAULT_BITS_PER_SECOND),
            packet_size: o.int(
                "packetSize",
                udp::DEFAULT_PACKET as u64,
                protocol::UDP_HEADER as u64,
                65_000,
            )? as usize,
            message_size: o.int("messageSize", 1, 1, peer::MAX_ECHO as u64)? as usize,
            timeout: ms("timeout", 1, 600_000)?.unwrap_or(Duration::from_secs(2)),
        })
    }

    /// True when a test of `mode` runs.
    pub fn runs(&self, mode: Mode) -> bool {
        self.mode.is_none_or(|m| m == mode)
    }

    /// True when the peer is needed (every test except HTTP against a given URL).
    pub fn needs_peer(&self) -> bool {
        self.runs(Mode::Tcp)
            || self.runs(Mode::TcpRr)
            || self.runs(Mode::Udp)
            || (self.runs(Mode::Http) && self.url.is_none())
    }

    /// (warm-up, duration) of a test with the given defaults, ms.
    pub fn times(&self, warmup_ms: u64, duration_ms: u64) -> (Duration, Duration) {
        (
            self.warmup.unwrap_or(Duration::from_millis(warmup_ms)),
            self.duration.unwrap_or(Duration::from_millis(duration_ms)),
        )
    }
}

/// The peer a run talks to.
#[derive(Debug)]
pub enum PeerTarget {
    /// Started by this run on loopback; stopped (threads joined) when dropped.
    Builtin(Peer),
    /// Started by someone else.
    Remote {
        /// `host:port` as the user gave it.
        label: String,
        /// Resolved address.
        addr: SocketAddr,
    },
}

impl PeerTarget {
    /// Address of the peer.
    pub fn addr(&self) -> SocketAddr {
        match self {
            PeerTarget::Builtin(p) => p.local_addr(),
            PeerTarget::Remote { addr, .. } => *addr,
        }
    }

    /// How the peer was provided.
    pub fn kind(&self) -> &'static str {
        match self {
            PeerTarget::Builtin(_) => "built-in (loopback, started and stopped by the benchmark)",
            PeerTarget::Remote { .. } => "remote (novacron-perf peer)",
        }
    }
}

/// The HTTP part's target after preflight.
#[derive(Debug)]
pub enum HttpPlan {
    /// Not requested.
    None,
    /// Valid but cannot run (reason).
    Unavailable(String),
    /// Ready.
    Ready(HttpTarget, http::conn::Request),
}

/// A checked network part: peer up and answering, URL reachable.
#[derive(Debug)]
pub struct NetPrepared {
    /// The peer (if needed).
    pub peer: Option<PeerTarget>,
    /// The HTTP target.
    pub http: HttpPlan,
}

/// Starts or reaches the peer and checks the URL, before any load.
pub fn preflight(o: &NetworkOptions) -> BenchResult<NetPrepared> {
    let peer = if o.needs_peer() {
        Some(match &o.host {
            None => {
                let bind: SocketAddr = "127.0.0.1:0".parse().expect("literal");
                PeerTarget::Builtin(Peer::start(bind).map_err(|e| {
                    BenchError::Io(format!("network: cannot start the loopback peer: {e}"))
                })?)
            }
            Some(host) => {
                let label = format!("{host}:{}", o.port);
                let addr = (host.as_str(), o.port)
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or_else(|| {
                        BenchError::Target(format!(
                            "network.host: cannot resolve host {host:?} (port {})",
                            o.port
                        ))
                    })?;
                client::hello(addr, &label, o.connect_timeout)?;
                PeerTarget::Remote { label, addr }
            }
        })
    } else {
        None
    };
    let http = if !o.runs(Mode::Http) {
        HttpPlan::None
    } else {
        let url = match (&o.url, &peer) {
            (Some(u), _) => u.clone(),
            (None, Some(p)) => format!("http://{}/health", p.addr()),
            (None, None) => {
                return Err(BenchError::Target(
                    "network.url: no URL and no peer to serve /health".into(),
                ))
            }
        };
        match http::parse_url(&url, "network.url")? {
            UrlCheck::Unsupported(why) => HttpPlan::Unavailable(why),
            UrlCheck::Usable(t) => {
                let req = t.preflight(o.connect_timeout)?;
                HttpPlan::Ready(t, req)
            }
        }
    };
    Ok(NetPrepared { peer, http })
}

#[cfg(test)]
mod tests;
