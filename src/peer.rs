//! `NativePeer`: the standalone peer of `novacron-perf peer`. The address and port are
//! checked by the core, which owns the port-range rule.

use napi_derive::napi;
use novacron_perf_core::bench::net::{self, peer::Peer};

use crate::error::IntoJs;

/// A standalone peer (`novacron-perf peer`).
#[napi]
pub struct NativePeer {
    peer: Option<Peer>,
    address: String,
}

#[napi]
impl NativePeer {
    /// Binds TCP and UDP on `bind:port` (port 0: any free port) and starts serving.
    #[napi(constructor, catch_unwind)]
    pub fn new(bind: String, port: f64) -> napi::Result<Self> {
        let peer = net::start_peer(&bind, port).js()?;
        let address = peer.local_addr().to_string();
        Ok(NativePeer {
            peer: Some(peer),
            address,
        })
    }

    /// `host:port` the peer listens on (TCP and UDP).
    #[napi(getter, catch_unwind)]
    pub fn address(&self) -> String {
        self.address.clone()
    }

    /// Connections being served now.
    #[napi(catch_unwind)]
    pub fn connections(&self) -> u32 {
        self.peer.as_ref().map_or(0, |p| p.connections() as u32)
    }

    /// Closes the sockets and joins the threads; idempotent.
    #[napi(catch_unwind)]
    pub fn stop(&mut self) {
        if let Some(p) = self.peer.take() {
            p.stop();
        }
    }
}
