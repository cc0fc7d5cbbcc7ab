//! Network measurements against a peer: TCP throughput at the receiver (iperf3), TCP
//! request/response latency and connection setup rate (netperf TCP_RR / TCP_CRR), UDP
//! loss and jitter at a target rate (iperf3 -u), plus HTTP load through [`crate::bench::http`].
//!
//! - [`protocol`]: the peer's wire protocol.
//! - [`peer`]: the peer itself (built in on loopback, standalone on another host).
//! - [`client`]: connecting, handshake and the control connection.
//! - [`options`]: the `network` options and the standalone peer's arguments.
//! - [`tcp`], [`rr`], [`udp`]: the measurements.

pub mod client;
pub mod options;
pub mod peer;
pub mod protocol;
pub mod rr;
pub mod tcp;
pub mod udp;

use std::net::{SocketAddr, ToSocketAddrs};

pub use self::options::{start_peer, NetworkInput, NetworkOptions, FIELDS, PEER_FIELDS, PORT_MAX};
use self::peer::Peer;
use super::http::{self, HttpTarget, UrlCheck};
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
