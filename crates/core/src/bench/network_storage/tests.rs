//! The options' messages and the report's shape, pinned key by key so that a typed field
//! renamed by accident shows here before it reaches JS.

use serde_json::{json, Value};

use super::*;

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
    k.sort();
    k
}

#[test]
fn options_name_field_value_and_accepted() {
    let err = |v: Value| NetworkStorageOptions::parse(&v).unwrap_err();
    let e = err(json!({ "storage": { "queueDepth": 0 } }));
    assert_eq!(e.js_kind(), "RangeError");
    assert_eq!(
        e.to_string(),
        "storage.queueDepth: got 0 (accepted: an integer from 1 to 1024)"
    );
    let e = err(json!({ "storage": { "blocksize": 4096 } }));
    assert_eq!(e.js_kind(), "TypeError");
    assert!(e
        .to_string()
        .starts_with("storage.blocksize: got an unknown option"));
    let e = err(json!({ "storage": "yes" }));
    assert_eq!(e.to_string(), "storage: got \"yes\" (accepted: an object)");
    let e = err(json!({ "network": { "port": 70000 } }));
    assert_eq!(e.js_kind(), "RangeError");
    assert_eq!(
        e.to_string(),
        "network.port: got 70000 (accepted: an integer from 1 to 65535)"
    );
    let e = err(json!({ "network": { "mode": "ping" } }));
    assert!(e.to_string().starts_with(
        "network.mode: got \"ping\" (accepted: one of 'tcp', 'tcp_rr', 'udp', 'http')"
    ));
    let e = err(json!({ "network": { "streams": "2" } }));
    assert_eq!(e.js_kind(), "TypeError");
    assert_eq!(
        e.to_string(),
        "network.streams: got \"2\" (accepted: an integer from 1 to 128)"
    );
    assert!(err(json!({ "extra": 1 }))
        .to_string()
        .starts_with("config.extra: got an unknown option"));
    // A single job with the other part absent runs alone; `false` turns a part off.
    let o = NetworkStorageOptions::parse(&json!({ "storage": { "pattern": "read" } })).unwrap();
    assert!(o.network.is_none() && o.storage.is_some());
    let o = NetworkStorageOptions::parse(&json!({ "network": { "mode": "udp" } })).unwrap();
    assert!(o.storage.is_none() && o.network.is_some());
    let o = NetworkStorageOptions::parse(&json!({ "storage": false })).unwrap();
    assert!(o.storage.is_none() && o.network.is_some());
    let o = NetworkStorageOptions::parse(&json!({})).unwrap();
    assert_eq!(o.storage.unwrap().num_jobs, 1);
}

#[test]
fn every_table_key_is_a_serde_field() {
    for (fields, probe) in [(&storage::FIELDS, "storage"), (&net::FIELDS, "network")] {
        for rule in fields.rules {
            let one = json!({ rule.key: null });
            let ok = match probe {
                "storage" => fields.decode::<StorageInput>(&one).is_ok(),
                _ => fields.decode::<NetworkInput>(&one).is_ok(),
            };
            assert!(
                ok,
                "{probe}.{} is in the table but not in the struct",
                rule.key
            );
        }
    }
}

#[test]
fn the_report_keeps_the_contract_shape() {
    let opts = NetworkStorageOptions::parse(&json!({
        "storage": false,
        "network": { "duration": 100, "warmup": 0, "bandwidth": 1e6 },
    }))
    .unwrap();
    let ctl = RunControl::new(None);
    let report = serde_json::to_value(run(&opts, &ctl).unwrap()).unwrap();
    assert_eq!(
        keys(&report),
        sorted(&[
            "networkPerformance",
            "storagePerformance",
            "ioMixedWorkload",
            "units",
            "environment"
        ])
    );
    assert_eq!(report["storagePerformance"]["status"], "skipped");
    assert_eq!(
        keys(&report["units"]),
        sorted(&[
            "latency",
            "durations",
            "sizes",
            "mbps",
            "bitsPerSecond",
            "iops"
        ])
    );
    assert_eq!(
        keys(&report["environment"]),
        sorted(&["cpuModel", "cores", "kernel"])
    );
    let np = &report["networkPerformance"];
    assert_eq!(
        keys(np),
        sorted(&[
            "peer",
            "latency",
            "throughput",
            "reliability",
            "tcpThroughput",
            "requestResponse",
            "udp",
            "http"
        ])
    );
    assert_eq!(keys(&np["peer"]), sorted(&["address", "kind"]));
    assert_eq!(
        keys(&np["latency"]),
        sorted(&[
            "latency",
            "latencyKind",
            "connectLatency",
            "source",
            "recommendations"
        ])
    );
    assert_eq!(
        keys(&np["throughput"]),
        sorted(&["results", "bitsPerSecond", "mbps", "recommendations"])
    );
    assert_eq!(np["throughput"]["results"]["tcp"], np["tcpThroughput"]);
    assert_eq!(
        keys(&np["requestResponse"]),
        sorted(&[
            "latency",
            "latencyKind",
            "transactionsPerSecond",
            "transactions",
            "connectLatency",
            "messageSize",
            "inFlight",
            "nodelay",
            "durationMs",
            "warmupMs",
            "errors",
            "firstError",
            "connectionRate",
        ])
    );
    assert_eq!(
        keys(&np["requestResponse"]["connectionRate"]),
        sorted(&[
            "connectionsPerSecond",
            "connections",
            "connectLatency",
            "cycleLatency",
            "cycle",
            "failures",
            "firstError",
            "durationMs",
        ])
    );
    assert_eq!(
        keys(&np["udp"]),
        sorted(&[
            "targetBitsPerSecond",
            "bitsPerSecond",
            "packetSize",
            "sentPackets",
            "receivedPackets",
            "lostPackets",
            "lostPercent",
            "outOfOrder",
            "jitterMs",
            "jitterMethod",
            "sendErrors",
            "maxSendLagMs",
            "durationMs",
            "recommendations",
        ])
    );
    let http = &np["http"];
    assert_eq!(
        keys(http),
        sorted(&["url", "closedLoop", "openLoop", "recommendations"])
    );
    let closed = sorted(&[
        "url",
        "mode",
        "connections",
        "keepAlive",
        "durationMs",
        "warmupMs",
        "timeoutMs",
        "requests",
        "requestsPerSecond",
        "latency",
        "errors",
        "errorRate",
        "retries",
        "connectionsOpened",
        "coordinatedOmission",
    ]);
    assert_eq!(keys(&http["closedLoop"]), closed);
    let mut open = closed.clone();
    open.extend(
        [
            "targetRate",
            "achievedRate",
            "scheduled",
            "completed",
            "missed",
            "timedOut",
            "rateNotAchieved",
            "scheduleLag",
        ]
        .map(String::from),
    );
    open.sort();
    assert_eq!(keys(&http["openLoop"]), open);
    assert_eq!(
        keys(&http["closedLoop"]["errors"]),
        sorted(&[
            "connect",
            "read",
            "write",
            "reset",
            "timeout",
            "status4xx",
            "status5xx",
            "total",
            "first"
        ])
    );
    assert_eq!(
        keys(&np["reliability"]),
        sorted(&[
            "successRate",
            "totalRequests",
            "successCount",
            "failureCount",
            "errorRate",
            "timeouts",
            "timeoutRate",
            "retries",
            "errorsByKind",
            "source",
            "recommendations",
        ])
    );
    assert_eq!(
        keys(&np["reliability"]["errorsByKind"]),
        sorted(&["closedLoop", "openLoop"])
    );
}

#[test]
fn a_single_mode_reports_the_others_as_skipped() {
    let opts = NetworkStorageOptions::parse(&json!({
        "network": { "mode": "tcp_rr", "duration": 100, "warmup": 0 },
    }))
    .unwrap();
    let ctl = RunControl::new(None);
    let report = serde_json::to_value(run(&opts, &ctl).unwrap()).unwrap();
    let np = &report["networkPerformance"];
    assert_eq!(
        np["udp"],
        json!({ "status": "skipped", "reason": "only network.mode \"tcp_rr\" was requested (udp not run)" })
    );
    assert_eq!(
        np["reliability"]["source"],
        "TCP request/response transactions"
    );
    assert_eq!(report["storagePerformance"]["status"], "skipped");
    assert_eq!(report["ioMixedWorkload"]["reason"], "storage: false");
}

#[test]
fn the_storage_report_keeps_the_contract_shape() {
    let dir = tempfile::tempdir().unwrap();
    let opts = NetworkStorageOptions::parse(&json!({
        "storage": { "directory": dir.path().to_str().unwrap(), "fileSize": 4 << 20, "duration": 100, "rampTime": 0, "queueDepth": 16 },
        "network": false,
    }))
    .unwrap();
    let ctl = RunControl::new(None);
    let report = serde_json::to_value(run(&opts, &ctl).unwrap()).unwrap();
    assert_eq!(report["networkPerformance"]["reason"], "network: false");
    let sp = &report["storagePerformance"];
    assert_eq!(
        keys(sp),
        sorted(&[
            "readPerformance",
            "writePerformance",
            "iopsPerformance",
            "fsyncLatency",
            "conditions",
            "recommendations"
        ])
    );
    let job = sorted(&[
        "pattern",
        "blockSize",
        "queueDepth",
        "achievedQueueDepth",
        "numJobs",
        "engine",
        "direct",
        "fileSize",
        "rampTimeMs",
        "durationMs",
        "iops",
        "bytesPerSecond",
        "mbps",
        "latency",
        "throughput",
        "intervals",
        "errors",
        "read",
    ]);
    assert_eq!(
        keys(&sp["readPerformance"]),
        sorted(&["results", "mbps", "recommendations"])
    );
    assert_eq!(keys(&sp["readPerformance"]["results"]["size_1048576"]), job);
    assert_eq!(
        keys(&sp["readPerformance"]["results"]["size_1048576"]["read"]),
        sorted(&[
            "iops",
            "bytesPerSecond",
            "mbps",
            "operations",
            "bytes",
            "latency"
        ])
    );
    assert_eq!(
        keys(&sp["readPerformance"]["results"]["size_1048576"]["throughput"]),
        sorted(&[
            "operationsPerSecond",
            "totalOperations",
            "totalTime",
            "avgOperationTime",
            "operations",
            "truncated"
        ])
    );
    assert_eq!(
        sp["readPerformance"]["results"]["size_1048576"]["throughput"]["operations"],
        json!([])
    );
    assert_eq!(
        keys(&sp["iopsPerformance"]),
        sorted(&[
            "readIOPS",
            "writeIOPS",
            "queueDepth",
            "numJobs",
            "blockSize",
            "direct",
            "engine",
            "latency",
            "byQueueDepth",
            "recommendations"
        ])
    );
    assert_eq!(
        keys(&sp["iopsPerformance"]["byQueueDepth"]["qd_16"]),
        sorted(&["readIOPS", "writeIOPS", "read", "write"])
    );
    assert_eq!(
        keys(&sp["fsyncLatency"]),
        sorted(&[
            "latency",
            "writeLatency",
            "operationsPerSecond",
            "totalOperations",
            "blockSize",
            "sync",
            "direct",
            "rampTimeMs",
            "durationMs"
        ])
    );
    assert_eq!(
        keys(&sp["conditions"]),
        sorted(&[
            "target",
            "fileSize",
            "direct",
            "directReason",
            "pageCachePossible",
            "engine",
            "engineReason",
            "preconditioning",
            "latencyKind"
        ])
    );
    let mut mixed = job.clone();
    mixed.extend(["write", "rwmixread", "description", "recommendations"].map(String::from));
    mixed.sort();
    assert_eq!(keys(&report["ioMixedWorkload"]), mixed);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "test file removed"
    );
}
