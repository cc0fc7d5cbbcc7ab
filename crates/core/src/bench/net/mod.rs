//! Network measurements against a peer: TCP throughput at the receiver (iperf3), TCP
//! request/response latency and connection setup rate (netperf TCP_RR / TCP_CRR), UDP
//! loss and jitter at a target rate (iperf3 -u), plus HTTP load through [`crate::bench::http`].
//!
//! - [`protocol`]: the peer's wire protocol.
//! - [`peer`]: the peer itself (built in on loopback, standalone on another host).
//! - [`client`]: connecting, handshake and the control connection.
//! - [`conns`]: the peer's connection limits: cap, idle timeouts, eviction.
//! - [`options`]: the `network` options and the standalone peer's arguments.
//! - [`tcp`], [`rr`], [`udp`]: the measurements.

pub mod client;
pub mod conns;
pub mod options;
pub mod peer;
pub mod protocol;
pub mod rr;
pub mod tcp;
pub mod udp;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

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

/// True when the built-in peer stands in for the one asked for at `addr`: a loopback
/// address where nothing listens is this machine with no peer started, which is what the
/// built-in peer is for. Another host, or a loopback port where something else answers,
/// needs the peer the caller meant (the error says how to start it).
pub fn builtin_stands_in(addr: &SocketAddr, e: &client::HelloError) -> bool {
    addr.ip().is_loopback() && e.nothing_listens()
}

/// Starts a built-in peer on `ip` (a loopback address), on a free port.
fn builtin(ip: IpAddr) -> BenchResult<PeerTarget> {
    Peer::start(SocketAddr::new(ip, 0))
        .map(PeerTarget::Builtin)
        .map_err(|e| {
            BenchError::Io(format!(
                "network: cannot start the loopback peer on {ip}: {e}"
            ))
        })
}

/// Starts or reaches the peer and checks the URL, before any load. With no `host`, or a
/// loopback `host` where nothing listens, the peer is built in (started here, stopped when
/// the run ends); another host needs a running peer.
pub fn preflight(o: &NetworkOptions) -> BenchResult<NetPrepared> {
    let peer = if o.needs_peer() {
        Some(match &o.host {
            None => builtin(IpAddr::V4(Ipv4Addr::LOCALHOST))?,
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
                match client::handshake(addr, o.connect_timeout) {
                    Ok(()) => PeerTarget::Remote { label, addr },
                    Err(e) if builtin_stands_in(&addr, &e) => builtin(addr.ip())?,
                    Err(e) => return Err(e.into_bench(addr, &label, o.connect_timeout)),
                }
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
