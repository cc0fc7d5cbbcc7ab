//! The typed report of `network_storage` (api-spec §4.5): `networkPerformance` built from
//! the network runs, with recommendations from [`crate::bench::rules`] only, beside the
//! storage part, the units and the environment. Serialised once, at the binding.

use std::collections::BTreeMap;

use serde::Serialize;

use super::NetworkRuns;
use crate::bench::http::{HttpErrors, HttpRun, HttpRunReport};
use crate::bench::latency::LatencySummary;
use crate::bench::net::{rr::RrReport, tcp::TcpThroughput, udp::UdpResult, Mode};
use crate::bench::rules::{self, Recommendation};
use crate::bench::storage::report::{MixedReport, StoragePerformance};
use crate::bench::{Outcome, StatusNote};
use crate::host::machine;

/// What `NetworkStorageBenchmark#run` resolves to as `results`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkStorageReport {
    /// The network part.
    pub network_performance: Outcome<NetworkPerformance>,
    /// The storage part.
    pub storage_performance: Outcome<StoragePerformance>,
    /// The mixed storage job.
    pub io_mixed_workload: Outcome<MixedReport>,
    /// Units of every figure.
    pub units: Units,
    /// Where it was measured.
    pub environment: Environment,
}

impl NetworkStorageReport {
    /// The report of the parts, with units and environment.
    pub fn new(
        network_performance: Outcome<NetworkPerformance>,
        storage_performance: Outcome<StoragePerformance>,
        io_mixed_workload: Outcome<MixedReport>,
    ) -> NetworkStorageReport {
        NetworkStorageReport {
            network_performance,
            storage_performance,
            io_mixed_workload,
            units: Units::default(),
            environment: Environment::probe(),
        }
    }
}

/// `results.units`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Units {
    /// Latencies.
    pub latency: &'static str,
    /// Durations.
    pub durations: &'static str,
    /// Sizes.
    pub sizes: &'static str,
    /// `mbps` fields.
    pub mbps: &'static str,
    /// `bitsPerSecond` fields.
    pub bits_per_second: &'static str,
    /// IOPS fields.
    pub iops: &'static str,
}

impl Default for Units {
    fn default() -> Units {
        Units {
            latency: "ms",
            durations: "ms",
            sizes: "bytes",
            mbps: "MiB/s (bytes/s ÷ 2^20)",
            bits_per_second: "bit/s",
            iops: "I/O operations per second",
        }
    }
}

/// CPU model, cores and kernel (rule G4); the framework adds load and memory.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// `model name` of /proc/cpuinfo.
    pub cpu_model: Option<String>,
    /// Usable cores.
    pub cores: Option<usize>,
    /// Kernel release.
    pub kernel: Option<String>,
}

impl Environment {
    /// Reads this machine's.
    pub fn probe() -> Environment {
        Environment {
            cpu_model: machine::cpu_model(),
            cores: Some(machine::cores()),
            kernel: machine::kernel_release(),
        }
    }
}

/// The peer a run talked to.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    /// `host:port`.
    pub address: String,
    /// Built-in or remote.
    pub kind: &'static str,
}

/// `results.networkPerformance`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPerformance {
    /// The peer (`null` when none was needed).
    pub peer: Option<PeerInfo>,
    /// Round-trip latency (from TCP_RR).
    pub latency: Outcome<LatencyReport>,
    /// Throughput (from TCP).
    pub throughput: Outcome<ThroughputReport>,
    /// Success rate of requests.
    pub reliability: Outcome<Reliability>,
    /// The TCP throughput test.
    pub tcp_throughput: Outcome<TcpThroughput>,
    /// The TCP_RR test.
    pub request_response: Outcome<RrReport>,
    /// The UDP test.
    pub udp: Outcome<UdpReport>,
    /// The HTTP load.
    pub http: Outcome<HttpReport>,
}

/// `networkPerformance.latency`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyReport {
    /// Round-trip times, ms.
    pub latency: Option<LatencySummary>,
    /// Always `rtt`.
    pub latency_kind: &'static str,
    /// Time of the connect, ms.
    pub connect_latency: f64,
    /// Where the figures come from.
    pub source: &'static str,
    /// From [`rules::RTT_MAX_AVG_MS`] and [`rules::RTT_MAX_P99_MS`].
    pub recommendations: Vec<Recommendation>,
}

/// `networkPerformance.throughput`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThroughputReport {
    /// Per protocol.
    pub results: ThroughputResults,
    /// TCP bit/s.
    pub bits_per_second: f64,
    /// TCP MiB/s.
    pub mbps: f64,
    /// From [`rules::TCP_MIN_MBPS`].
    pub recommendations: Vec<Recommendation>,
}

/// `networkPerformance.throughput.results`.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughputResults {
    /// The TCP test.
    pub tcp: TcpThroughput,
}

/// `networkPerformance.udp`.
#[derive(Debug, Clone, Serialize)]
pub struct UdpReport {
    /// The measurement.
    #[serde(flatten)]
    pub result: UdpResult,
    /// From [`rules::UDP_MAX_LOSS_PERCENT`] and [`rules::UDP_MAX_JITTER_MS`].
    pub recommendations: Vec<Recommendation>,
}

/// `networkPerformance.http`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpReport {
    /// URL loaded.
    pub url: Option<String>,
    /// The closed loop.
    pub closed_loop: Outcome<HttpRunReport>,
    /// The open loop.
    pub open_loop: Outcome<HttpRunReport>,
    /// From the HTTP rules.
    pub recommendations: Vec<Recommendation>,
}

/// `networkPerformance.reliability`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reliability {
    /// Successful share, %.
    pub success_rate: f64,
    /// Requests counted.
    pub total_requests: u64,
    /// Successful requests.
    pub success_count: u64,
    /// Failed requests.
    pub failure_count: u64,
    /// Failed share, 0–1.
    pub error_rate: f64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Timed-out share, 0–1.
    pub timeout_rate: f64,
    /// Retried requests.
    pub retries: u64,
    /// HTTP failures by loop (`closedLoop`, `openLoop`).
    pub errors_by_kind: BTreeMap<&'static str, HttpErrors>,
    /// Where the counts come from.
    pub source: &'static str,
    /// From [`rules::SUCCESS_MIN_PERCENT`] and [`rules::SUCCESS_WARN_PERCENT`].
    pub recommendations: Vec<Recommendation>,
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Tcp => "tcp",
        Mode::TcpRr => "tcp_rr",
        Mode::Udp => "udp",
        Mode::Http => "http",
    }
}

/// `networkPerformance` from what the tests measured.
pub fn network(peer: Option<PeerInfo>, runs: NetworkRuns) -> NetworkPerformance {
    let skip = |what: &str| {
        StatusNote::skipped(format!(
            "only network.mode {:?} was requested ({what} not run)",
            runs.mode.map(mode_name).unwrap_or("")
        ))
    };
    let reliability = reliability(&runs);
    let http = http(&runs, skip("http"));
    let NetworkRuns { tcp, rr, udp, .. } = runs;
    let throughput = match &tcp {
        Some(t) => {
            let mut recs = Vec::new();
            let rule = rules::TCP_MIN_MBPS;
            if t.mbps < rule.limit {
                recs.push(rule.recommend(format!(
                    "TCP throughput is {:.1} MiB/s ({:.0} Mbit/s), below {} MiB/s",
                    t.mbps,
                    t.bits_per_second / 1e6,
                    rule.limit
                )));
            }
            Outcome::Done(ThroughputReport {
                results: ThroughputResults { tcp: t.clone() },
                bits_per_second: t.bits_per_second,
                mbps: t.mbps,
                recommendations: recs,
            })
        }
        None => Outcome::Not(skip("tcp")),
    };
    let (latency, request_response) = match rr {
        Some((r, connect)) => {
            let mut recs = Vec::new();
            if let Some(s) = r.rtt.summary() {
                if s.avg > rules::RTT_MAX_AVG_MS.limit {
                    recs.push(
                        rules::RTT_MAX_AVG_MS
                            .recommend(format!("average TCP round trip is {:.1} ms", s.avg)),
                    );
                }
                if s.p99 > rules::RTT_MAX_P99_MS.limit {
                    recs.push(
                        rules::RTT_MAX_P99_MS
                            .recommend(format!("p99 TCP round trip is {:.1} ms", s.p99)),
                    );
                }
            }
            (
                Outcome::Done(LatencyReport {
                    latency: r.rtt.summary(),
                    latency_kind: "rtt",
                    connect_latency: r.connect_ns as f64 / 1e6,
                    source: "TCP request/response, one 1-in-flight connection with TCP_NODELAY",
                    recommendations: recs,
                }),
                Outcome::Done(r.report(connect)),
            )
        }
        None => (Outcome::Not(skip("tcp_rr")), Outcome::Not(skip("tcp_rr"))),
    };
    let udp = match udp {
        Some(u) => {
            let mut recs = Vec::new();
            if u.lost_percent > rules::UDP_MAX_LOSS_PERCENT.limit {
                recs.push(rules::UDP_MAX_LOSS_PERCENT.recommend(format!(
                    "UDP loss is {:.2}% at the target rate",
                    u.lost_percent
                )));
            }
            if u.jitter_ms > rules::UDP_MAX_JITTER_MS.limit {
                recs.push(
                    rules::UDP_MAX_JITTER_MS
                        .recommend(format!("UDP jitter is {:.1} ms", u.jitter_ms)),
                );
            }
            Outcome::Done(UdpReport {
                result: u,
                recommendations: recs,
            })
        }
        None => Outcome::Not(skip("udp")),
    };
    NetworkPerformance {
        peer,
        latency,
        throughput,
        reliability,
        tcp_throughput: tcp.map_or_else(|| Outcome::Not(skip("tcp")), Outcome::Done),
        request_response,
        udp,
        http,
    }
}

fn http(runs: &NetworkRuns, not_run: StatusNote) -> Outcome<HttpReport> {
    if let Some(why) = &runs.http_unavailable {
        return Outcome::Not(why.clone());
    }
    let (closed, open) = (&runs.closed, &runs.open);
    if closed.is_none() && open.is_none() {
        return Outcome::Not(not_run);
    }
    let mut recs = Vec::new();
    if let Some(r) = open {
        let target = r.spec.rate.unwrap_or(0.0);
        let achieved = r.stats.responses() as f64 / r.spec.duration.as_secs_f64();
        if achieved < rules::HTTP_MIN_RATE_SHARE.limit * target {
            recs.push(rules::HTTP_MIN_RATE_SHARE.recommend(format!(
                "the server did not sustain {:.0} req/s (achieved {:.0})",
                target,
                r.requests_per_second()
            )));
        }
        if let Some(s) = r.stats.latency.summary() {
            if s.p999 > rules::HTTP_STALL_P999_OVER_P50.limit * s.p50
                && s.p999 > rules::HTTP_STALL_MIN_P999_MS.limit
            {
                recs.push(rules::HTTP_STALL_P999_OVER_P50.recommend(format!(
                    "open-loop p99.9 is {:.1} ms against a median of {:.2} ms: the server stalls",
                    s.p999, s.p50
                )));
            }
        }
    }
    Outcome::Done(HttpReport {
        url: closed.as_ref().or(open.as_ref()).map(|r| r.url.clone()),
        closed_loop: closed.as_ref().map_or_else(
            || Outcome::skipped("closed loop not requested (network.rate selects the open loop)"),
            |r| Outcome::Done(r.report()),
        ),
        open_loop: open.as_ref().map_or_else(
            || Outcome::skipped("open loop not requested (give network.rate)"),
            |r| Outcome::Done(r.report()),
        ),
        recommendations: recs,
    })
}

fn reliability(runs: &NetworkRuns) -> Outcome<Reliability> {
    let http: Vec<&HttpRun> = runs.closed.iter().chain(runs.open.iter()).collect();
    let (total, ok, failed, timeouts, retries, source) = if !http.is_empty() {
        let sum = |f: &dyn Fn(&HttpRun) -> u64| http.iter().map(|r| f(r)).sum::<u64>();
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
    } else if let Some((r, _)) = &runs.rr {
        (
            r.transactions() + r.errors,
            r.transactions(),
            r.errors,
            0,
            0,
            "TCP request/response transactions",
        )
    } else {
        return Outcome::skipped("no request/response test ran");
    };
    let rate = if total > 0 {
        ok as f64 / total as f64 * 100.0
    } else {
        0.0
    };
    let share = |n: u64| {
        if total > 0 {
            n as f64 / total as f64
        } else {
            0.0
        }
    };
    let mut recs = Vec::new();
    for rule in [rules::SUCCESS_MIN_PERCENT, rules::SUCCESS_WARN_PERCENT] {
        if rate < rule.limit {
            recs.push(rule.recommend(format!("success rate is {rate:.2}%")));
            break;
        }
    }
    Outcome::Done(Reliability {
        success_rate: rate,
        total_requests: total,
        success_count: ok,
        failure_count: failed,
        error_rate: share(failed),
        timeouts,
        timeout_rate: share(timeouts),
        retries,
        errors_by_kind: http
            .iter()
            .map(|r| {
                let kind = r.spec.rate.map_or("closedLoop", |_| "openLoop");
                (kind, r.errors())
            })
            .collect(),
        source,
        recommendations: recs,
    })
}
