//! HTTP latency of a URL (a NovaCron API endpoint, say): closed-loop maximum throughput
//! like wrk, and open-loop constant rate like wrk2, where latency counts from the
//! scheduled send time so that a stalled server is not hidden by coordinated omission.
//!
//! - [`conn`]: one keep-alive HTTP/1.1 connection.
//! - [`load`]: the closed and open loops.
//!
//! Plain `http://` only: an `https://` URL is reported unavailable with the reason.

pub mod conn;
pub mod load;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde_json::{json, Value};

use self::conn::{Conn, Request};
use self::load::{LoadSpec, LoadStats};
use super::{BenchError, BenchResult};

/// A checked URL.
#[derive(Debug, Clone)]
pub struct HttpTarget {
    /// The URL as given.
    pub url: String,
    /// Host as written in the URL.
    pub host: String,
    /// Port (explicit or 80).
    pub port: u16,
    /// Path and query.
    pub path: String,
}

/// What a URL option turned out to be.
#[derive(Debug, Clone)]
pub enum UrlCheck {
    /// A URL we can load.
    Usable(HttpTarget),
    /// A valid URL we cannot load (https), with the reason.
    Unsupported(String),
}

/// Parses `url` (field `field` in messages): `http://host[:port]/path` is usable, `https`
/// is valid but unsupported, anything else is refused.
pub fn parse_url(url: &str, field: &str) -> BenchResult<UrlCheck> {
    let accepted = "an absolute http:// URL such as http://api.novacron.local:8080/health";
    let u = url::Url::parse(url)
        .map_err(|e| BenchError::kind(field, format!("{url:?} ({e})"), accepted))?;
    match u.scheme() {
        "http" => {}
        "https" => {
            return Ok(UrlCheck::Unsupported(format!(
                "{url}: https is not supported by the built-in HTTP/1.1 client (no TLS); measure the plain-http listener or a TLS-terminating proxy's backend"
            )))
        }
        other => return Err(BenchError::kind(field, format!("{url:?} (scheme {other:?})"), accepted)),
    }
    let host = match u.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => format!("[{a}]"),
        None => {
            return Err(BenchError::kind(
                field,
                format!("{url:?} (no host)"),
                accepted,
            ))
        }
    };
    let mut path = u.path().to_owned();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok(UrlCheck::Usable(HttpTarget {
        url: url.to_owned(),
        host,
        port: u.port().unwrap_or(80),
        path,
    }))
}

impl HttpTarget {
    /// Resolves the host and opens one connection within `timeout`, before any load; the
    /// error names host and port.
    pub fn preflight(&self, timeout: Duration) -> BenchResult<Request> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let addr: SocketAddr = (host, self.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                BenchError::Target(format!(
                    "network.url: cannot resolve host {} (port {}) of {}",
                    self.host, self.port, self.url
                ))
            })?;
        Conn::open(addr, timeout).map_err(|(_, e)| {
            BenchError::Target(format!(
                "network.url: cannot connect to host {} port {} ({addr}) within {} ms: {e} (url {})",
                self.host,
                self.port,
                timeout.as_millis(),
                self.url
            ))
        })?;
        let host_header = if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        Ok(Request::get(addr, &host_header, &self.path))
    }
}

/// Runs one load (closed loop when `spec.rate` is `None`).
pub fn run(
    target: &HttpTarget,
    req: &Request,
    spec: LoadSpec,
    ctl: &super::control::RunControl,
) -> BenchResult<HttpRun> {
    let stats = load::run(req, spec, ctl);
    ctl.check()?;
    Ok(HttpRun {
        url: target.url.clone(),
        spec,
        stats,
    })
}

/// A finished load.
#[derive(Debug, Clone)]
pub struct HttpRun {
    /// URL loaded.
    pub url: String,
    /// Its parameters.
    pub spec: LoadSpec,
    /// What it measured.
    pub stats: LoadStats,
}

impl HttpRun {
    /// Responses per second over the window.
    pub fn requests_per_second(&self) -> f64 {
        self.stats.responses() as f64 / self.spec.duration.as_secs_f64()
    }

    /// The JS object of this run.
    pub fn to_json(&self) -> Value {
        let s = &self.stats;
        let secs = self.spec.duration.as_secs_f64();
        let attempts = s.responses() + s.connect + s.write + s.read + s.timeout;
        let mut v = json!({
            "url": self.url,
            "mode": if self.spec.rate.is_some() { "open-loop" } else { "closed-loop" },
            "connections": self.spec.connections,
            "keepAlive": true,
            "durationMs": secs * 1e3,
            "warmupMs": self.spec.warmup.as_secs_f64() * 1e3,
            "timeoutMs": self.spec.timeout.as_secs_f64() * 1e3,
            "requests": s.responses(),
            "requestsPerSecond": self.requests_per_second(),
            "latency": s.latency.summary(),
            "errors": {
                "connect": s.connect, "read": s.read, "write": s.write, "timeout": s.timeout,
                "status4xx": s.status_4xx, "status5xx": s.status_5xx, "total": s.failures(),
                "first": s.first_error,
            },
            "errorRate": if attempts > 0 { s.failures() as f64 / attempts as f64 } else { 0.0 },
            "retries": s.retries,
            "connectionsOpened": s.connections_opened,
        });
        match self.spec.rate {
            None => {
                v["coordinatedOmission"] =
                    json!("uncorrected (closed loop: latency from the actual send)");
            }
            Some(rate) => {
                let achieved = self.requests_per_second();
                v["coordinatedOmission"] =
                    json!("corrected (open loop: latency from the scheduled send time)");
                v["targetRate"] = json!(rate);
                v["achievedRate"] = json!(achieved);
                v["scheduled"] = json!(s.scheduled);
                v["rateNotAchieved"] = json!(achieved < 0.99 * rate);
                v["scheduleLag"] = json!(s.lag.summary());
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_by_field() {
        match parse_url("http://127.0.0.1:8080/health?x=1", "network.url").unwrap() {
            UrlCheck::Usable(t) => {
                assert_eq!(
                    (t.host.as_str(), t.port, t.path.as_str()),
                    ("127.0.0.1", 8080, "/health?x=1")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_url("https://example.com/", "network.url").unwrap(),
            UrlCheck::Unsupported(_)
        ));
        let e = parse_url("not a url", "network.url").unwrap_err();
        assert_eq!(e.js_kind(), "TypeError");
        assert!(
            e.to_string().starts_with("network.url: got \"not a url\""),
            "{e}"
        );
        assert!(parse_url("ftp://x/", "network.url").is_err());
    }
}
