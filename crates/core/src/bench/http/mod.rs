//! HTTP latency of a URL (a NovaCron API endpoint, say): closed-loop maximum throughput
//! like wrk, and open-loop constant rate like wrk2, where latency counts from the
//! scheduled send time so that a stalled server is not hidden by coordinated omission.
//!
//! - [`conn`]: one keep-alive HTTP/1.1 connection.
//! - [`load`]: the closed and open loops.
//! - [`schedule`]: the open loop's due times, its window and the grace after it.
//! - [`sys`]: epoll and timerfd.
//!
//! Plain `http://` only: an `https://` URL is reported unavailable with the reason.

pub mod conn;
pub mod load;
pub mod schedule;
pub mod sys;

#[cfg(test)]
mod load_tests;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;

use self::conn::{Conn, Request};
use self::load::{LoadSpec, LoadStats};
use super::latency::LatencySummary;
use super::{rules, BenchError, BenchResult};

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
    pub fn report(&self) -> HttpRunReport {
        let s = &self.stats;
        let secs = self.spec.duration.as_secs_f64();
        let attempts = s.responses() + s.failures() - s.status_4xx - s.status_5xx;
        let open = self.spec.rate.map(|rate| {
            let achieved = self.requests_per_second();
            OpenLoop {
                target_rate: rate,
                achieved_rate: achieved,
                scheduled: s.scheduled,
                completed: s.responses(),
                missed: s.missed,
                timed_out: s.timeout,
                rate_not_achieved: achieved < rules::HTTP_MIN_RATE_SHARE.limit * rate,
                schedule_lag: s.lag.summary(),
            }
        });
        HttpRunReport {
            url: self.url.clone(),
            mode: if open.is_some() {
                "open-loop"
            } else {
                "closed-loop"
            },
            connections: self.spec.connections,
            keep_alive: true,
            duration_ms: secs * 1e3,
            warmup_ms: self.spec.warmup.as_secs_f64() * 1e3,
            timeout_ms: self.spec.timeout.as_secs_f64() * 1e3,
            requests: s.responses(),
            requests_per_second: self.requests_per_second(),
            latency: s.latency.summary(),
            errors: self.errors(),
            error_rate: if attempts > 0 {
                s.failures() as f64 / attempts as f64
            } else {
                0.0
            },
            retries: s.retries,
            connections_opened: s.connections_opened,
            coordinated_omission: if open.is_some() {
                "corrected (open loop: latency from the scheduled send time)"
            } else {
                "uncorrected (closed loop: latency from the actual send)"
            },
            open,
        }
    }

    /// Failures of this run by kind.
    pub fn errors(&self) -> HttpErrors {
        let s = &self.stats;
        HttpErrors {
            connect: s.connect,
            read: s.read,
            write: s.write,
            reset: s.reset,
            timeout: s.timeout,
            status_4xx: s.status_4xx,
            status_5xx: s.status_5xx,
            total: s.failures(),
            first: s.first_error.clone(),
        }
    }
}

/// One HTTP load as JS sees it (`closedLoop` / `openLoop`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRunReport {
    /// URL loaded.
    pub url: String,
    /// `closed-loop` or `open-loop`.
    pub mode: &'static str,
    /// Connections.
    pub connections: u32,
    /// Always true: connections are reused.
    pub keep_alive: bool,
    /// Measured window, ms.
    pub duration_ms: f64,
    /// Warm-up, ms.
    pub warmup_ms: f64,
    /// Request timeout, ms.
    pub timeout_ms: f64,
    /// Responses in the window.
    pub requests: u64,
    /// Responses per second.
    pub requests_per_second: f64,
    /// Latencies, ms.
    pub latency: Option<LatencySummary>,
    /// Failures by kind.
    pub errors: HttpErrors,
    /// Failures over attempts.
    pub error_rate: f64,
    /// Requests resent on a fresh connection because the kept-alive one was closed before
    /// the request went out; a failure after the resend is still counted.
    pub retries: u64,
    /// Connections opened.
    pub connections_opened: u64,
    /// Whether latencies include the wait behind a stalled request.
    pub coordinated_omission: &'static str,
    /// Open-loop figures (absent in the closed loop).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub open: Option<OpenLoop>,
}

/// The open loop's schedule figures.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenLoop {
    /// Asked rate, requests/s.
    pub target_rate: f64,
    /// Achieved rate: completed requests (responses of any status) over the duration.
    pub achieved_rate: f64,
    /// Requests due in the window.
    pub scheduled: u64,
    /// Requests due in the window that got a response (any status).
    pub completed: u64,
    /// Requests due in the window and never sent: the connection was still busy when the
    /// window ended. Their latency runs from the due time to the end of the window.
    pub missed: u64,
    /// Requests sent and not answered within the timeout or by the end of the grace after
    /// the window (`errors.timeout`). Their latency runs from the due time to then.
    pub timed_out: u64,
    /// True when under [`rules::HTTP_MIN_RATE_SHARE`] of the target.
    pub rate_not_achieved: bool,
    /// How late sends were against the schedule, ms.
    pub schedule_lag: Option<LatencySummary>,
}

/// HTTP failures by kind.
#[derive(Debug, Clone, Serialize)]
pub struct HttpErrors {
    /// Connects that failed.
    pub connect: u64,
    /// Reads that failed.
    pub read: u64,
    /// Writes that failed.
    pub write: u64,
    /// Requests sent, then reset or closed by the server before a response (never retried).
    pub reset: u64,
    /// Requests that timed out.
    pub timeout: u64,
    /// 4xx responses.
    #[serde(rename = "status4xx")]
    pub status_4xx: u64,
    /// 5xx responses.
    #[serde(rename = "status5xx")]
    pub status_5xx: u64,
    /// All failures.
    pub total: u64,
    /// The first failure: the transport error, or `Status: HTTP <code>` of a non-2xx/3xx.
    pub first: Option<String>,
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
