//! Request/response latency as netperf TCP_RR measures it: one connection, TCP_NODELAY,
//! one `messageSize`-byte request outstanding, echoed by the peer; the round trip of each
//! transaction after the warm-up is recorded (rule N2: `rtt`, not halved). The connect is
//! timed separately, and a second test opens and closes connections back to back for the
//! connection setup rate (netperf TCP_CRR's connect half).

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::client::connect;
use super::protocol::{read_full, read_line, MAGIC};
use crate::bench::control::RunControl;
use crate::bench::latency::{LatencyRecorder, LatencySummary};
use crate::bench::{BenchError, BenchResult};

/// What TCP_RR measured.
#[derive(Debug, Clone)]
pub struct RrResult {
    /// Round-trip times after the warm-up.
    pub rtt: LatencyRecorder,
    /// Time of the one connect, ns.
    pub connect_ns: u64,
    /// Measured window.
    pub window: Duration,
    /// Warm-up.
    pub warmup: Duration,
    /// Bytes per request and per response.
    pub message_size: usize,
    /// Transactions that timed out or failed.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
}

impl RrResult {
    /// Completed transactions in the window.
    pub fn transactions(&self) -> u64 {
        self.rtt.len()
    }

    /// The JS `requestResponse` object, with the connection rate measured after it.
    pub fn report(&self, connection_rate: ConnectionRate) -> RrReport {
        let secs = self.window.as_secs_f64();
        RrReport {
            latency: self.rtt.summary(),
            latency_kind: "rtt",
            transactions_per_second: self.transactions() as f64 / secs,
            transactions: self.transactions(),
            connect_latency: self.connect_ns as f64 / 1e6,
            message_size: self.message_size,
            in_flight: 1,
            nodelay: true,
            duration_ms: secs * 1e3,
            warmup_ms: self.warmup.as_secs_f64() * 1e3,
            errors: self.errors,
            first_error: self.first_error.clone(),
            connection_rate,
        }
    }
}

/// `networkPerformance.requestResponse`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RrReport {
    /// Round-trip times, ms.
    pub latency: Option<LatencySummary>,
    /// Always `rtt` (not halved).
    pub latency_kind: &'static str,
    /// Completed transactions per second.
    pub transactions_per_second: f64,
    /// Completed transactions.
    pub transactions: u64,
    /// Time of the one connect, ms.
    pub connect_latency: f64,
    /// Bytes per request and response.
    pub message_size: usize,
    /// Requests outstanding (always 1).
    pub in_flight: u32,
    /// TCP_NODELAY (always on).
    pub nodelay: bool,
    /// Measured window, ms.
    pub duration_ms: f64,
    /// Warm-up, ms.
    pub warmup_ms: f64,
    /// Failed transactions.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// The connection setup test.
    pub connection_rate: ConnectionRate,
}

/// What the connection setup test measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRate {
    /// Connections per second.
    pub connections_per_second: f64,
    /// Connections completed.
    pub connections: u64,
    /// Connect times, ms.
    pub connect_latency: Option<LatencySummary>,
    /// Whole cycle times, ms.
    pub cycle_latency: Option<LatencySummary>,
    /// What one cycle does.
    pub cycle: &'static str,
    /// Failed cycles.
    pub failures: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Measured window, ms.
    pub duration_ms: f64,
}

/// Runs TCP_RR against the peer's echo service.
pub fn run(
    addr: SocketAddr,
    message_size: usize,
    warmup: Duration,
    duration: Duration,
    timeout: Duration,
    ctl: &RunControl,
) -> BenchResult<RrResult> {
    let io = |what: &str, e: std::io::Error| {
        BenchError::Io(format!("network tcp_rr: {what} ({addr}): {e}"))
    };
    let t = Instant::now();
    let mut s = connect(addr, timeout).map_err(|e| io("connect", e))?;
    let connect_ns = t.elapsed().as_nanos() as u64;
    s.set_nodelay(true).map_err(|e| io("TCP_NODELAY", e))?;
    s.write_all(format!("{MAGIC} ECHO {message_size}\n").as_bytes())
        .map_err(|e| io("setup", e))?;
    let never = AtomicBool::new(false);
    let mut reader = BufReader::new(s.try_clone().map_err(|e| io("setup", e))?);
    match read_line(&mut reader, &never, Some(Instant::now() + timeout)) {
        Ok(Some(l)) if l == "OK" => {}
        other => {
            return Err(io(
                "setup",
                std::io::Error::other(format!("unexpected reply {other:?}")),
            ))
        }
    }
    let msg = vec![0x5Au8; message_size];
    let mut back = vec![0u8; message_size];
    let mut rtt = LatencyRecorder::new();
    let start = Instant::now();
    let (measure_from, end) = (start + warmup, start + warmup + duration);
    let mut errors = 0;
    let mut first_error = None;
    let mut n = 0u32;
    loop {
        n = n.wrapping_add(1);
        if n.is_multiple_of(256) {
            ctl.check()?;
        }
        let a = Instant::now();
        if a >= end {
            break;
        }
        let r = s
            .write_all(&msg)
            .and_then(|_| read_full(&mut reader, &mut back, &never, Some(a + timeout)));
        let b = Instant::now();
        match r {
            Ok(true) if b >= measure_from => rtt.record(b - a),
            Ok(true) => {}
            Ok(false) => {
                errors += 1;
                first_error.get_or_insert_with(|| "the peer closed the connection".to_owned());
                break;
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| e.to_string());
                break; // the connection's state is unknown after a failed transaction
            }
        }
    }
    ctl.check()?;
    if rtt.is_empty() {
        return Err(io(
            "no transaction completed",
            std::io::Error::other(first_error.unwrap_or_default()),
        ));
    }
    Ok(RrResult {
        rtt,
        connect_ns,
        window: duration,
        warmup,
        message_size,
        errors,
        first_error,
    })
}

/// Connection setup rate, netperf TCP_CRR-style: back to back for `duration`, connect
/// (timed on its own), one `PROBE`/`OK` exchange so that the peer has accepted and served
/// the connection before the next one starts (a client that only connects outruns the
/// accept queue, whose overflow drops SYNs and costs a 1 s retransmit), then close with a
/// reset (SO_LINGER 0) so that thousands of connections leave no TIME_WAIT behind.
pub fn connect_rate(
    addr: SocketAddr,
    duration: Duration,
    timeout: Duration,
    ctl: &RunControl,
) -> BenchResult<ConnectionRate> {
    let mut connect = LatencyRecorder::new();
    let mut cycle = LatencyRecorder::new();
    let mut failures = 0u64;
    let mut first_error = None;
    let never = AtomicBool::new(false);
    let start = Instant::now();
    while start.elapsed() < duration {
        ctl.check()?;
        let t = Instant::now();
        let result = TcpStream::connect_timeout(&addr, timeout).and_then(|mut s| {
            let connected = t.elapsed();
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(timeout))?;
            s.write_all(format!("{MAGIC} PROBE\n").as_bytes())?;
            let reply = read_line(
                &mut BufReader::new(&s),
                &never,
                Some(Instant::now() + timeout),
            )?;
            reset_on_close(&s);
            match reply.as_deref() {
                Some("OK") => Ok(connected),
                other => Err(std::io::Error::other(format!("unexpected reply {other:?}"))),
            }
        });
        match result {
            Ok(connected) => {
                connect.record(connected);
                cycle.record(t.elapsed());
            }
            Err(e) => {
                failures += 1;
                first_error.get_or_insert(e.to_string());
                if failures > 100 && connect.is_empty() {
                    break;
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if connect.is_empty() {
        return Err(BenchError::Io(format!(
            "network: no connection to {addr} succeeded: {}",
            first_error.unwrap_or_default()
        )));
    }
    Ok(ConnectionRate {
        connections_per_second: connect.len() as f64 / secs,
        connections: connect.len(),
        connect_latency: connect.summary(),
        cycle_latency: cycle.summary(),
        cycle: "connect, one request/response, reset (netperf TCP_CRR-style)",
        failures,
        first_error,
        duration_ms: secs * 1e3,
    })
}

fn reset_on_close(s: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads a linger struct we own, on a socket we own.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
