//! `network_storage`: the whole NetworkStorageBenchmark run. Options are checked first,
//! then every target (folder, peer, URL) before any load; then storage jobs, network
//! tests and HTTP load run in turn while a ticker reports progress. The result keeps the
//! contract's names (api-spec §4.5) and adds units, conditions and recommendations
//! derived from the measured numbers only.
//!
//! - this file: the options, the plan and the run;
//! - [`report`]: the typed report and its recommendations.

pub mod report;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use self::report::{NetworkPerformance, NetworkStorageReport};
use super::control::RunControl;
use super::http::{self, load::LoadSpec, HttpRun};
use super::net::{self, rr, tcp, udp, HttpPlan, Mode, NetworkInput, NetworkOptions};
use super::options::{Accepts, Fields, Part, Rule};
use super::registry::{Benchmark, Phase, Validate};
use super::storage::{self, StorageInput, StorageOptions};
use super::{BenchResult, Outcome, StatusNote};

/// Default warm-up and duration of each network test, ms.
const TCP_TIMES: (u64, u64) = (1000, 5000);
const RR_TIMES: (u64, u64) = (500, 3000);
const CONNECT_MS: u64 = 2000;
const UDP_MS: u64 = 3000;
const HTTP_TIMES: (u64, u64) = (500, 3000);
/// Open-loop rate of the suite when none is given: this share of the closed-loop maximum.
const OPEN_LOOP_SHARE: f64 = 0.5;

/// The registry entry's type.
#[derive(Debug, Clone, Copy)]
pub struct NetworkStorage;

impl Benchmark for NetworkStorage {
    const NAME: &'static str = "network_storage";
    const PHASES: &'static [Phase] = &[
        Phase {
            prefix: "storage:",
            what: "test file, then one phase per storage job (and fsync in the suite)",
        },
        Phase {
            prefix: "network:",
            what: "TCP throughput, TCP_RR, connection rate, UDP",
        },
        Phase {
            prefix: "http:",
            what: "closed-loop, then open-loop HTTP load",
        },
    ];
    type Options = NetworkStorageOptions;
    type Report = NetworkStorageReport;

    fn decode(raw: &Value) -> BenchResult<NetworkStorageOptions> {
        NetworkStorageOptions::decode(raw)
    }

    fn run(opts: &SuiteOptions, ctl: &Arc<RunControl>) -> BenchResult<NetworkStorageReport> {
        run(opts, ctl)
    }
}

/// The top-level option table (`storage`, `network`).
pub const FIELDS: Fields = Fields {
    prefix: "config",
    rules: &[
        Rule {
            key: "storage",
            accepts: Accepts::ObjectOrFalse,
        },
        Rule {
            key: "network",
            accepts: Accepts::ObjectOrFalse,
        },
    ],
};

/// `{ storage, network }` as the caller wrote it: each part absent, `false` or an object.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkStorageOptions {
    /// The storage part.
    #[serde(default, deserialize_with = "part")]
    pub storage: Part<StorageInput>,
    /// The network part.
    #[serde(default, deserialize_with = "part")]
    pub network: Part<NetworkInput>,
}

fn part<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Part<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<T> {
        Flag(bool),
        Given(T),
    }
    Ok(match Option::<Raw<T>>::deserialize(d)? {
        None => Part::Absent,
        Some(Raw::Flag(false)) => Part::Off,
        Some(Raw::Flag(true)) => {
            return Err(serde::de::Error::custom("true is not an option object"))
        }
        Some(Raw::Given(t)) => Part::On(t),
    })
}

impl NetworkStorageOptions {
    /// Decodes `{ storage, network }`, each part with its own table so that an error names
    /// `storage.<key>` or `network.<key>`.
    pub fn decode(raw: &Value) -> BenchResult<NetworkStorageOptions> {
        let Value::Object(map) = raw else {
            return FIELDS.decode(raw);
        };
        FIELDS.known_keys(map)?;
        Ok(NetworkStorageOptions {
            storage: Part::decode(map.get("storage"), &storage::FIELDS)?,
            network: Part::decode(map.get("network"), &net::FIELDS)?,
        })
    }

    /// Decodes and checks in one step (tests and tools).
    pub fn parse(raw: &Value) -> BenchResult<SuiteOptions> {
        NetworkStorageOptions::decode(raw)?.validate()
    }
}

impl Validate for NetworkStorageOptions {
    type Valid = SuiteOptions;

    /// Checks both parts; `false` turns a part off, absent means its defaults. With a
    /// `pattern` or `mode` given and the other part absent, only that job runs.
    fn validate(&self) -> BenchResult<SuiteOptions> {
        let storage = match &self.storage {
            Part::Off => None,
            Part::Absent => Some(StorageInput::default().validate()?),
            Part::On(s) => Some(s.validate()?),
        };
        let network = match &self.network {
            Part::Off => None,
            Part::Absent => Some(NetworkInput::default().validate()?),
            Part::On(n) => Some(n.validate()?),
        };
        let one_storage_job = storage.as_ref().is_some_and(|s| s.pattern.is_some());
        let one_net_job = network.as_ref().is_some_and(|n| n.mode.is_some());
        Ok(SuiteOptions {
            storage: if one_net_job && self.storage == Part::Absent {
                None
            } else {
                storage
            },
            network: if one_storage_job && self.network == Part::Absent {
                None
            } else {
                network
            },
        })
    }
}

/// Checked options of the whole run.
#[derive(Debug, Clone)]
pub struct SuiteOptions {
    /// Storage part (`None` when `storage: false`).
    pub storage: Option<StorageOptions>,
    /// Network part (`None` when `network: false`).
    pub network: Option<NetworkOptions>,
}

impl SuiteOptions {
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
pub fn run(opts: &SuiteOptions, ctl: &Arc<RunControl>) -> BenchResult<NetworkStorageReport> {
    let storage_ready = opts.storage.as_ref().map(storage::preflight).transpose()?;
    let net_ready = opts.network.as_ref().map(net::preflight).transpose()?;
    let planned = opts.storage.as_ref().map_or(0.0, |s| s.planned_ms())
        + opts
            .network
            .as_ref()
            .map_or(0.0, SuiteOptions::network_planned_ms);
    ctl.set_total(planned);
    let out = ctl.with_ticker(|| -> BenchResult<NetworkStorageReport> {
        let (storage_perf, mixed) = match (&opts.storage, storage_ready) {
            (Some(o), Some(p)) => {
                let (perf, mixed) = storage::run(o, p, ctl)?.report();
                (Outcome::Done(perf), mixed)
            }
            _ => (
                Outcome::skipped("storage: false"),
                Outcome::skipped("storage: false"),
            ),
        };
        let network_perf = match (&opts.network, net_ready) {
            (Some(o), Some(p)) => Outcome::Done(run_network(o, p, ctl)?),
            _ => Outcome::skipped("network: false"),
        };
        Ok(NetworkStorageReport::new(network_perf, storage_perf, mixed))
    });
    ctl.finish_with(&out);
    out
}

/// What the network tests measured, before it is reported.
#[derive(Debug, Default)]
pub struct NetworkRuns {
    /// TCP throughput.
    pub tcp: Option<tcp::TcpThroughput>,
    /// TCP_RR and the connection rate.
    pub rr: Option<(rr::RrResult, rr::ConnectionRate)>,
    /// UDP.
    pub udp: Option<udp::UdpResult>,
    /// HTTP closed loop.
    pub closed: Option<HttpRun>,
    /// HTTP open loop.
    pub open: Option<HttpRun>,
    /// Why HTTP could not run.
    pub http_unavailable: Option<StatusNote>,
    /// The only mode requested, if any.
    pub mode: Option<Mode>,
}

fn run_network(
    o: &NetworkOptions,
    p: net::NetPrepared,
    ctl: &RunControl,
) -> BenchResult<NetworkPerformance> {
    let peer = p.peer.as_ref().map(|x| report::PeerInfo {
        address: x.addr().to_string(),
        kind: x.kind(),
    });
    let mut runs = NetworkRuns {
        mode: o.mode,
        ..NetworkRuns::default()
    };
    if let Some(addr) = p.peer.as_ref().map(|x| x.addr()) {
        if o.runs(Mode::Tcp) {
            let (w, d) = o.times(TCP_TIMES.0, TCP_TIMES.1);
            ctl.phase(
                format!("network:tcp streams={}", o.streams),
                (w + d).as_secs_f64() * 1e3,
            );
            runs.tcp = Some(tcp::run(addr, o.streams, w, d, o.connect_timeout, ctl)?);
        }
        if o.runs(Mode::TcpRr) {
            let (w, d) = o.times(RR_TIMES.0, RR_TIMES.1);
            ctl.phase("network:tcp_rr", (w + d).as_secs_f64() * 1e3);
            let r = rr::run(addr, o.message_size, w, d, o.connect_timeout, ctl)?;
            let d = o.times(0, CONNECT_MS).1;
            ctl.phase("network:connect", d.as_secs_f64() * 1e3);
            runs.rr = Some((r, rr::connect_rate(addr, d, o.connect_timeout, ctl)?));
        }
        if o.runs(Mode::Udp) {
            let d = o.times(0, UDP_MS).1;
            ctl.phase("network:udp", d.as_secs_f64() * 1e3);
            runs.udp = Some(udp::run(
                addr,
                o.bandwidth,
                o.packet_size,
                d,
                o.connect_timeout,
                ctl,
            )?);
        }
    }
    run_http(o, &p.http, ctl, &mut runs)?;
    drop(p.peer); // built-in peer: stopped and joined here
    Ok(report::network(peer, runs))
}

fn run_http(
    o: &NetworkOptions,
    plan: &HttpPlan,
    ctl: &RunControl,
    runs: &mut NetworkRuns,
) -> BenchResult<()> {
    let (target, req) = match plan {
        HttpPlan::None => return Ok(()),
        HttpPlan::Unavailable(why) => {
            runs.http_unavailable = Some(StatusNote::unavailable(
                why.clone(),
                "give network.url an http:// URL",
            ));
            return Ok(());
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
    if o.mode.is_none() || o.rate.is_none() {
        ctl.phase(
            format!("http:closed-loop connections={}", o.connections),
            planned,
        );
        runs.closed = Some(http::run(target, req, spec(None), ctl)?);
    }
    let rate = o.rate.or_else(|| {
        (o.mode.is_none())
            .then(|| {
                runs.closed
                    .as_ref()
                    .map(|c| (c.requests_per_second() * OPEN_LOOP_SHARE).max(1.0).round())
            })
            .flatten()
    });
    if let Some(r) = rate {
        ctl.phase(format!("http:open-loop rate={r}"), planned);
        runs.open = Some(http::run(target, req, spec(Some(r)), ctl)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
