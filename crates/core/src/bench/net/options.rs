//! The `network` options: their table (names, limits, accepted values), the object as the
//! caller wrote it and the checked options with defaults; and the standalone peer's
//! arguments, which share the one port-range rule.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::peer::{self, Peer};
use super::{protocol, udp, Mode};
use crate::bench::http;
use crate::bench::options::{self, Accepts, Fields, Rule};
use crate::bench::{BenchError, BenchResult};

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
    /// Peer host; `None`, or a loopback address where nothing listens on `port`: a
    /// built-in peer on loopback.
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
