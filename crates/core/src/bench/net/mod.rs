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

use serde::Deserialize;
use serde_json::Value;

use self::peer::Peer;
use super::http::{self, HttpTarget, UrlCheck};
use super::options::{self, Accepts, Fields, Rule};
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

/// Highest TCP/UDP port; the one port-range rule of the peer and of `network.port`.
pub const PORT_MAX: u64 = 65_535;

/// The standalone peer's arguments (`novacron-perf peer`); port 0: any free port.
pub const PEER_FIELDS: Fields = Fields {
    prefix: "",
    rules: &[
        Rule {
            key: "bind",
            accepts: Accepts::Text,
        },
        Rule {
            key: "port",
            accepts: Accepts::Int {
                min: 0,
                max: PORT_MAX,
            },
        },
    ],
};

/// Starts a standalone peer on `bind:port`, checking both first.
pub fn start_peer(bind: &str, port: f64) -> BenchResult<Peer> {
    let ip: std::net::IpAddr = bind.parse().map_err(|_| {
        BenchError::kind(
            "bind",
            options::show(&Value::String(bind.to_owned())),
            "an IP address such as 127.0.0.1, 0.0.0.0 or ::",
        )
    })?;
    let port = PEER_FIELDS.int("port", Some(port))?.unwrap_or(0) as u16;
    Peer::start(SocketAddr::new(ip, port))
        .map_err(|e| BenchError::Io(format!("peer: cannot listen on {ip}:{port}: {e}")))
}

/// The `network` option table: names, limits and accepted values (the one place they live).
pub const FIELDS: Fields = Fields {
    prefix: "network",
    rules: &[
        Rule {
            key: "mode",
            accepts: Accepts::OneOf(&["tcp", "tcp_rr", "udp", "http"]),
        },
        Rule {
            key: "host",
            accepts: Accepts::Text,
        },
        Rule {
            key: "port",
            accepts: Accepts::Int {
                min: 1,
                max: PORT_MAX,
            },
        },
        Rule {
            key: "duration",
            accepts: Accepts::Int {
                min: 100,
                max: 86_400_000,
            },
        },
        Rule {
            key: "warmup",
            accepts: Accepts::Int {
                min: 0,
                max: 3_600_000,
            },
        },
        Rule {
            key: "streams",
            accepts: Accepts::Int { min: 1, max: 128 },
        },
        Rule {
            key: "url",
            accepts: Accepts::Text,
        },
        Rule {
            key: "rate",
            accepts: Accepts::Num { min: 1.0, max: 1e7 },
        },
        Rule {
            key: "connections",
            accepts: Accepts::Int { min: 1, max: 1024 },
        },
        Rule {
            key: "connectTimeout",
            accepts: Accepts::Int {
                min: 1,
                max: 600_000,
            },
        },
        Rule {
            key: "bandwidth",
            accepts: Accepts::Num {
                min: 1e3,
                max: 1e11,
            },
        },
        Rule {
            key: "packetSize",
            accepts: Accepts::Int {
                min: protocol::UDP_HEADER as u64,
                max: 65_000,
            },
        },
        Rule {
            key: "messageSize",
            accepts: Accepts::Int {
                min: 1,
                max: peer::MAX_ECHO as u64,
            },
        },
        Rule {
            key: "timeout",
            accepts: Accepts::Int {
                min: 1,
                max: 600_000,
            },
        },
    ],
};

/// The `network` object as the caller wrote it (absent: `None`); [`Self::validate`] checks
/// it against [`FIELDS`] and fills the defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkInput {
    /// One test only.
    pub mode: Option<String>,
    /// Remote peer host.
    pub host: Option<String>,
    /// Remote peer port.
    pub port: Option<f64>,
    /// Measured time per test, ms.
    pub duration: Option<f64>,
    /// Warm-up per test, ms.
    pub warmup: Option<f64>,
    /// Parallel TCP streams.
    pub streams: Option<f64>,
    /// HTTP URL.
    pub url: Option<String>,
    /// Open-loop rate, requests/s.
    pub rate: Option<f64>,
    /// HTTP connections.
    pub connections: Option<f64>,
    /// Connect timeout, ms.
    pub connect_timeout: Option<f64>,
    /// UDP target rate, bits/s.
    pub bandwidth: Option<f64>,
    /// UDP datagram size, bytes.
    pub packet_size: Option<f64>,
    /// TCP_RR message size, bytes.
    pub message_size: Option<f64>,
    /// HTTP request timeout, ms.
    pub timeout: Option<f64>,
}

impl NetworkInput {
    /// Checks every value against [`FIELDS`] and fills the defaults.
    pub fn validate(&self) -> BenchResult<NetworkOptions> {
        let f = &FIELDS;
        let mode = f.choice("mode", self.mode.as_deref())?.map(|m| match m {
            "tcp" => Mode::Tcp,
            "tcp_rr" => Mode::TcpRr,
            "udp" => Mode::Udp,
            _ => Mode::Http,
        });
        let ms = |k: &str, v: Option<f64>| -> BenchResult<Option<Duration>> {
            Ok(f.int(k, v)?.map(Duration::from_millis))
        };
        let url = f.text("url", self.url.as_deref())?.map(str::to_owned);
        if let Some(u) = &url {
            http::parse_url(u, "network.url")?;
        }
        Ok(NetworkOptions {
            mode,
            host: f.text("host", self.host.as_deref())?.map(str::to_owned),
            port: f
                .int("port", self.port)?
                .unwrap_or(u64::from(protocol::DEFAULT_PORT)) as u16,
            duration: ms("duration", self.duration)?,
            warmup: ms("warmup", self.warmup)?,
            streams: f.int("streams", self.streams)?.unwrap_or(1) as u32,
            url,
            rate: f.num("rate", self.rate)?,
            connections: f.int("connections", self.connections)?.unwrap_or(10) as u32,
            connect_timeout: ms("connectTimeout", self.connect_timeout)?
                .unwrap_or(Duration::from_secs(3)),
            bandwidth: f
                .num("bandwidth", self.bandwidth)?
                .unwrap_or(udp::DEFAULT_BITS_PER_SECOND),
            packet_size: f
                .int("packetSize", self.packet_size)?
                .unwrap_or(udp::DEFAULT_PACKET as u64) as usize,
            message_size: f.int("messageSize", self.message_size)?.unwrap_or(1) as usize,
            timeout: ms("timeout", self.timeout)?.unwrap_or(Duration::from_secs(2)),
        })
    }
}

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
    /// Decodes and checks the JS `network` object.
    pub fn parse(v: &Value) -> BenchResult<NetworkOptions> {
        FIELDS.decode::<NetworkInput>(v)?.validate()
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
