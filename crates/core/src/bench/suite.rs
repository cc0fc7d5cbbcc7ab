//! `network_storage`: the whole NetworkStorageBenchmark run. Options are checked first,
//! then every target (folder, peer, URL) before any load; then storage jobs, network
//! tests and HTTP load run in turn while a ticker reports progress. The result keeps the
//! contract's names (api-spec §4.5) and adds units, conditions and recommendations
//! derived from the measured numbers only.

use std::sync::Arc;

use serde_json::{json, Value};

use super::control::RunControl;
use super::http::{self, load::LoadSpec, HttpRun};
use super::net::{self, rr, tcp, udp, HttpPlan, Mode, NetworkOptions};
use super::options::Obj;
use super::storage::{self, StorageOptions};
use super::{skipped, unavailable, BenchResult};

/// Default warm-up and duration of each network test, ms.
const TCP_TIMES: (u64, u64) = (1000, 5000);
const RR_TIMES: (u64, u64) = (500, 3000);
const CONNECT_MS: u64 = 2000;
const UDP_MS: u64 = 3000;
const HTTP_TIMES: (u64, u64) = (500, 3000);
/// Open-loop rate of the suite when none is given: this share of the closed-loop maximum.
const OPEN_LOOP_SHARE: f64 = 0.5;

/// Checked options of the whole run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Storage part (`None` when `storage: false`).
    pub storage: Option<StorageOptions>,
    /// Network part (`None` when `network: false`).
    pub network: Option<NetworkOptions>,
}

impl SuiteOptions {
    /// Reads `{ storage, network }`; `false` turns a part off, absent means its defaults.
    /// With a `pattern` or `mode` given and the other part absent, only that job runs.
    pub fn parse(v: &Value) -> BenchResult<SuiteOptions> {
        let o = Obj::new(v, "config")?;
        let part = |key: &str| -> Option<&Value> { o.get(key) };
        let off = |x: Option<&Value>| matches!(x, Some(Value::Bool(false)));
        let storage = if off(part("storage")) {
            None
        } else {
            Some(StorageOptions::parse(
                part("storage").unwrap_or(&json!({})),
            )?)
        };
        let network = if off(part("network")) {
            None
        } else {
            Some(NetworkOptions::parse(
                part("network").unwrap_or(&json!({})),
            )?)
        };
        let one_storage_job = storage.as_ref().is_some_and(|s| s.pattern.is_some());
        let one_net_job = network.as_ref().is_some_and(|n| n.mode.is_some());
        Ok(SuiteOptions {
            storage: if one_net_job && part("storage").is_none() {
                None
            } else {
                storage
            },
            network: if one_storage_job && part("network").is_none() {
                None
            } else {
                network
            },
        })
    }

    fn network_planned_ms(n: &NetworkOptions) -> f64 {
        let t = |(w, d): (u64, u64)| {
            let (w, d) = n.times(w, d);
            (w + d).as_secs_f64() * 1e3
        };
        let mut ms = 0.0;
        if n.runs(Mode::Tcp) {
            ms += t(TCP_TIMES);
        }
        if n.runs(Mode::TcpRr) {
            ms += t(RR_TIMES) + n.times(0, CONNECT_MS).1.as_secs_f64() * 1e3;
        }
        if n.runs(Mode::Udp) {
            ms += n.times(0, UDP_MS).1.as_secs_f64() * 1e3;
        }
        if n.runs(Mode::Http) {
            ms += t(HTTP_TIMES) * if n.mode.is_none() { 2.0 } else { 1.0 };
        }
        ms
    }
}

/// Runs everything; every thread, socket and file it started is gone when it returns.
pub fn run(opts: &SuiteOptions, ctl: &Arc<RunControl>) -> BenchResult<Value> {
    let storage_ready = opts.storage.as_ref().map(storage::preflight).transpose()?;
    let net_ready = opts.network.as_ref().map(net::preflight).transpose()?;
    let planned = opts.storage.as_ref().map_or(0.0, |s| s.planned_ms())
        + opts
            .network
            .as_ref()
            .map_or(0.0, SuiteOptions::network_planned_ms);
    ctl.set_total(planned);
    let out = ctl.with_ticker(|| -> BenchResult<Value> {
        let (storage_perf, mixed) = match (&opts.storage, storage_ready) {
            (Some(o), Some(p)) => storage::run(o, p, ctl)?.to_json(),
            _ => (skipped("storage: false"), skipped("storage: false")),
        };
        let network_perf = match (&opts.network, net_ready) {
            (Some(o), Some(p)) => run_network(o, p, ctl)?,
            _ => skipped("network: false"),
        };
        Ok(json!({
            "networkPerformance": network_perf,
            "storagePerformance": storage_perf,
            "ioMixedWorkload": mixed,
            "units": { "latency": "ms", "durations": "ms", "sizes": "bytes", "mbps": "MiB/s (bytes/s ÷ 2^20)", "bitsPerSecond": "bit/s", "iops": "I/O operations per second" },
            "environment": environment(),
        }))
    });
    ctl.finish();
    out
}

fn rec(kind: &str, severity: &str, message: String) -> Value {
    json!({ "type": kind, "severity": severity, "message": message })
}

fn run_network(o: &NetworkOptions, p: net::NetPrepared, ctl: &RunControl) -> BenchResult<Value> {
    let addr = p.peer.as_ref().map(|x| x.addr());
    let peer_json = p
        .peer
        .as_ref()
        .map(|x| json!({ "address": x.addr().to_string(), "kind": x.kind() }));
    let mut tcp_result = None;
    let mut rr_result = None;
    let mut connect = None;
    let mut udp_result = None;
    if let Some(addr) = addr {
        if o.runs(Mode::Tcp) {
            let (w, d) = o.times(TCP_TIMES.0, TCP_TIMES.1);
            ctl.phase(
                format!("network:tcp streams={}", o.streams),
                (w + d).as_secs_f64() * 1e3,
            );
            tcp_result = Some(tcp::run(addr, o.streams, w, d, o.connect_timeout, ctl)?);
        }
        if o.runs(Mode::TcpRr) {
            let (w, d) = o.times(RR_TIMES.0, RR_TIMES.1);
            ctl.phase("network:tcp_rr", (w + d).as_secs_f64() * 1e3);
            rr_result = Some(rr::run(addr, o.message_size, w, d, o.connect_timeout, ctl)?);
            let d = o.times(0, CONNECT_MS).1;
            ctl.phase("network:connect", d.as_secs_f64() * 1e3);
            connect = Some(rr::connect_rate(addr, d, o.connect_timeout, ctl)?);
        }
        if o.runs(Mode::Udp) {
            let d = o.times(0, UDP_MS).1;
            ctl.phase("network:udp", d.as_secs_f64() * 1e3);
            udp_result = Some(udp::run(
                addr,
                o.bandwidth,
                o.packet_size,
                d,
                o.connect_timeout,
                ctl,
            )?);
        }
    }
    let (closed, open, http_unavailable) = run_http(o, &p.http, ctl)?;
    drop(p.peer); // built-in peer: stopped and joined here
    let skip = |what: &str| {
        skipped(format!(
            "only network.mode {:?} was requested ({what} not run)",
            o.mode.map(mode_name).unwrap_or("")
        ))
    };

    let tcp_json = tcp_result.as_ref().map_or_else(
        || skip("tcp"),
        |t| serde_json::to_value(t).unwrap_or(Value::Null),
    );
    let mut throughput_recs = Vec::new();
    if let Some(t) = &tcp_result {
        if t.mbps < 50.0 {
            throughput_recs.push(rec(
                "performance",
                "medium",
                format!(
                    "TCP throughput is {:.1} MiB/s ({:.0} Mbit/s), below 50 MiB/s",
                    t.mbps,
                    t.bits_per_second / 1e6
                ),
            ));
        }
    }
    let mut latency_recs = Vec::new();
    if let Some(s) = rr_result.as_ref().and_then(|r| r.rtt.summary()) {
        if s.avg > 200.0 {
            latency_recs.push(rec(
                "performance",
                "medium",
                format!("average TCP round trip is {:.1} ms", s.avg),
            ));
        }
        if s.p99 > 1000.0 {
            latency_recs.push(rec(
                "reliability",
                "high",
                format!("p99 TCP round trip is {:.1} ms", s.p99),
            ));
        }
    }
    let mut udp_json = udp_result.unwrap_or_else(|| skip("udp"));
    if let Some(loss) = udp_json["lostPercent"].as_f64() {
        let mut recs = Vec::new();
        if loss > 1.0 {
            recs.push(rec(
                "reliability",
                "medium",
                format!("UDP loss is {loss:.2}% at the target rate"),
            ));
        }
        if udp_json["jitterMs"].as_f64().is_some_and(|j| j > 30.0) {
            recs.push(rec(
                "performance",
                "medium",
                format!(
                    "UDP jitter is {:.1} ms",
                    udp_json["jitterMs"].as_f64().unwrap_or(0.0)
                ),
            ));
        }
        udp_json["recommendations"] = Value::Array(recs);
    }
    let http_json = match (&http_unavailable, &closed, &open) {
        (Some(v), _, _) => v.clone(),
        (None, None, None) => skip("http"),
        _ => {
            let mut recs = Vec::new();
            if let Some(r) = &open {
                if r.stats.responses() as f64 / r.spec.duration.as_secs_f64()
                    < 0.99 * r.spec.rate.unwrap_or(0.0)
                {
                    recs.push(rec(
                        "performance",
                        "high",
                        format!(
                            "the server did not sustain {:.0} req/s (achieved {:.0})",
                            r.spec.rate.unwrap_or(0.0),
                            r.requests_per_second()
                        ),
                    ));
                }
                if let Some(s) = r.stats.latency.summary() {
                    if s.p999 > 10.0 * s.p50 && s.p999 > 50.0 {
                        recs.push(rec("reliability", "medium", format!("open-loop p99.9 is {:.1} ms against a median of {:.2} ms: the server stalls", s.p999, s.p50)));
                    }
                }
            }
            json!({
                "url": closed.as_ref().or(open.as_ref()).map(|r| r.url.clone()),
                "closedLoop": closed.as_ref().map_or_else(|| skipped("closed loop not requested (network.rate selects the open loop)"), HttpRun::to_json),
                "openLoop": open.as_ref().map_or_else(|| skipped("open loop not requested (give network.rate)"), HttpRun::to_json),
                "recommendations": recs,
            })
        }
    };
    let reliability = reliability(&closed, &open, rr_result.as_ref());
    let rr_json = match (&rr_result, &connect) {
        (Some(r), Some(c)) => {
            let mut v = r.to_json();
            v["connectionRate"] = c.clone();
            v
        }
        _ => skip("tcp_rr"),
    };
    let latency = match &rr_result {
        Some(r) => json!({
            "latency": r.rtt.summary(),
            "latencyKind": "rtt",
            "connectLatency": r.connect_ns as f64 / 1e6,
            "source": "TCP request/response, one 1-in-flight connection with TCP_NODELAY",
            "recommendations": latency_recs,
        }),
        None => skip("tcp_rr"),
    };
    let throughput = match &tcp_result {
        Some(t) => json!({
            "results": { "tcp": tcp_json.clone() },
            "bitsPerSecond": t.bits_per_second,
            "mbps": t.mbps,
            "recommendations": throughput_recs,
        }),
        None => skip("tcp"),
    };
    Ok(json!({
        "peer": peer_json,
        "latency": latency,
        "throughput": throughput,
        "reliability": reliability,
        "tcpThroughput": tcp_json,
        "requestResponse": rr_json,
        "udp": udp_json,
        "http": http_json,
    }))
}

type HttpRuns = (Option<HttpRun>, Option<HttpRun>, Option<Value>);

fn run_http(o: &NetworkOptions, plan: &HttpPlan, ctl: &RunControl) -> BenchResult<HttpRuns> {
    let (target, req) = match plan {
        HttpPlan::None => return Ok((None, None, None)),
        HttpPlan::Unavailable(why) => {
            return Ok((
                None,
                None,
                Some(unavailable(why.clone(), "give network.url an http:// URL")),
            ))
        }
        HttpPlan::Ready(t, r) => (t, r),
    };
    let (warmup, duration) = o.times(HTTP_TIMES.0, HTTP_TIMES.1);
    let spec = |rate| LoadSpec {
        connections: o.connections,
        warmup,
        duration,
        timeout: o.timeout,
        rate,
    };
    let planned = (warmup + duration).as_secs_f64() * 1e3;
    let closed = if o.mode.is_none() || o.rate.is_none() {
        ctl.phase(
            format!("http:closed-loop connections={}", o.connections),
            planned,
        );
        Some(http::run(target, req, spec(None), ctl)?)
    } else {
        None
    };
    let rate = o.rate.or_else(|| {
        (o.mode.is_none())
            .then(|| {
                closed
                    .as_ref()
                    .map(|c| (c.requests_per_second() * OPEN_LOOP_SHARE).max(1.0).round())
            })
            .flatten()
    });
    let open = match rate {
        Some(r) => {
            ctl.phase(format!("http:open-loop rate={r}"), planned);
            Some(http::run(target, req, spec(Some(r)), ctl)?)
        }
        None => None,
    };
    Ok((closed, open, None))
}

fn reliability(
    closed: &Option<HttpRun>,
    open: &Option<HttpRun>,
    rr: Option<&rr::RrResult>,
) -> Value {
    let runs: Vec<&HttpRun> = closed.iter().chain(open.iter()).collect();
    let (total, ok, failed, timeouts, retries, source) = if !runs.is_empty() {
        let sum = |f: &dyn Fn(&HttpRun) -> u64| runs.iter().map(|r| f(r)).sum::<u64>();
        let failed = sum(&|r| r.stats.failures());
        let ok = sum(&|r| r.stats.ok);
        (
            ok + failed,
            ok,
            failed,
            sum(&|r| r.stats.timeout),
            sum(&|r| r.stats.retries),
            "HTTP requests under load",
        )
    } else if let Some(r) = rr {
        (
            r.transactions() + r.errors,
            r.transactions(),
            r.errors,
            0,
            0,
            "TCP request/response transactions",
        )
    } else {
        return skipped("no request/response test ran");
    };
    let rate = if total > 0 {
        ok as f64 / total as f64 * 100.0
    } else {
        0.0
    };
    let mut recs = Vec::new();
    if rate < 99.0 {
        recs.push(rec(
            "reliability",
            "high",
            format!("success rate is {rate:.2}%"),
        ));
    } else if rate < 99.9 {
        recs.push(rec(
            "reliability",
            "medium",
            format!("success rate is {rate:.2}%"),
        ));
    }
    json!({
        "successRate": rate,
        "totalRequests": total,
        "successCount": ok,
        "failureCount": failed,
        "errorRate": if total > 0 { failed as f64 / total as f64 } else { 0.0 },
        "timeouts": timeouts,
        "timeoutRate": if total > 0 { timeouts as f64 / total as f64 } else { 0.0 },
        "retries": retries,
        "errorsByKind": runs.iter().map(|r| (r.spec.rate.map_or("closedLoop", |_| "openLoop").to_owned(), r.to_json()["errors"].clone())).collect::<serde_json::Map<_, _>>(),
        "source": source,
        "recommendations": recs,
    })
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Tcp => "tcp",
        Mode::TcpRr => "tcp_rr",
        Mode::Udp => "udp",
        Mode::Http => "http",
    }
}

/// CPU model, cores and kernel (rule G4); the framework adds load and memory.
fn environment() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_owned());
    json!({
        "cpuModel": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "kernel": kernel,
    })
}
