//! TCP throughput as iperf3 measures it: `streams` connections send 128 KiB writes as fast
//! as they can; after the warm-up (iperf3 `-O`) the client asks the peer to mark its byte
//! count and clock, and at the end to report both again, so the rate is receiver-side
//! bytes over the receiver-side interval (rule N1). Sender bytes over the same window and
//! retransmits (TCP_INFO) are reported beside it.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::client::{connect, ControlConn};
use super::protocol::{is_timeout, MAGIC, POLL};
use crate::bench::control::RunControl;
use crate::bench::rng::Rng;
use crate::bench::{BenchError, BenchResult};

/// Bytes per write (iperf3's default TCP block).
pub const WRITE_SIZE: usize = 128 * 1024;

/// Measured TCP throughput.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpThroughput {
    /// Receiver-side bits per second over the measured window.
    pub bits_per_second: f64,
    /// Receiver-side bytes per second.
    pub bytes_per_second: f64,
    /// The contract's `mbps`: MiB/s.
    pub mbps: f64,
    /// Bytes the peer received in the window.
    pub receiver_bytes: u64,
    /// Receiver-side window, ms.
    pub receiver_duration_ms: f64,
    /// Bytes the client wrote in the same window.
    pub sender_bytes: u64,
    /// Retransmitted segments during the whole test (TCP_INFO `tcpi_total_retrans`).
    pub retransmits: Option<u64>,
    /// Parallel connections.
    pub streams: u32,
    /// Requested measured time, ms.
    pub duration_ms: f64,
    /// Warm-up excluded, ms.
    pub warmup_ms: f64,
    /// Bytes per write.
    pub write_size: usize,
    /// Where the rate was measured.
    pub measured_at: &'static str,
}

/// Runs the throughput test against the peer at `addr`.
pub fn run(
    addr: SocketAddr,
    streams: u32,
    warmup: Duration,
    duration: Duration,
    timeout: Duration,
    ctl: &RunControl,
) -> BenchResult<TcpThroughput> {
    let io = |what: &str, e: std::io::Error| {
        BenchError::Io(format!("network tcp: {what} ({addr}): {e}"))
    };
    let mut control = ControlConn::open(addr, timeout).map_err(|e| io("control connection", e))?;
    let mut conns = Vec::new();
    for _ in 0..streams {
        let mut s = connect(addr, timeout).map_err(|e| io("connect", e))?;
        s.write_all(format!("{MAGIC} SINK {}\n", control.test).as_bytes())
            .map_err(|e| io("stream setup", e))?;
        s.set_write_timeout(Some(POLL))
            .map_err(|e| io("socket option", e))?;
        conns.push(s);
    }
    let stop = AtomicBool::new(false);
    let sent = AtomicU64::new(0);
    let mut failure = None;
    let mut window = None;
    let mut sent_window = 0;
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for (i, c) in conns.iter().enumerate() {
            let (stop, sent) = (&stop, &sent);
            let h = std::thread::Builder::new()
                .name(format!("novacron-tcp-{i}"))
                .spawn_scoped(s, move || send_loop(c, stop, sent, i as u64));
            match h {
                Ok(h) => handles.push(h),
                Err(e) => failure = Some(io("thread", e)),
            }
        }
        let measured = (|| {
            if failure.is_some() || !ctl.sleep(warmup) {
                return Ok(None);
            }
            control.exchange("MARK").map_err(|e| io("mark", e))?;
            let s0 = sent.load(Ordering::Relaxed);
            if !ctl.sleep(duration) {
                return Ok(None);
            }
            let end = control.exchange("END").map_err(|e| io("end", e))?;
            sent_window = sent.load(Ordering::Relaxed) - s0;
            Ok(Some(end))
        })();
        stop.store(true, Ordering::SeqCst);
        for h in handles {
            if let Ok(Err(e)) = h.join() {
                failure.get_or_insert(io("send", e));
            }
        }
        match measured {
            Ok(w) => window = w,
            Err(e) => failure = Some(e),
        }
    });
    let retransmits = conns.iter().map(total_retrans).sum::<Option<u64>>();
    drop(conns);
    ctl.check()?;
    if let Some(e) = failure {
        return Err(e);
    }
    let w = window.ok_or_else(|| BenchError::Io("network tcp: no measurement".into()))?;
    let (bytes, ns) = (w[0], w[1].max(1));
    let bps = bytes as f64 / (ns as f64 / 1e9);
    Ok(TcpThroughput {
        bits_per_second: bps * 8.0,
        bytes_per_second: bps,
        mbps: bps / 1_048_576.0,
        receiver_bytes: bytes,
        receiver_duration_ms: ns as f64 / 1e6,
        sender_bytes: sent_window,
        retransmits,
        streams,
        duration_ms: duration.as_secs_f64() * 1e3,
        warmup_ms: warmup.as_secs_f64() * 1e3,
        write_size: WRITE_SIZE,
        measured_at: "receiver",
    })
}

fn send_loop(
    mut s: &TcpStream,
    stop: &AtomicBool,
    sent: &AtomicU64,
    salt: u64,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; WRITE_SIZE];
    Rng::from_clock(salt).fill(&mut buf);
    while !stop.load(Ordering::Relaxed) {
        match s.write(&buf) {
            Ok(n) => {
                sent.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) if stop.load(Ordering::Relaxed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Retransmitted segments of a connection, from TCP_INFO.
pub fn total_retrans(s: &TcpStream) -> Option<u64> {
    // SAFETY: getsockopt writes at most `len` bytes into a zeroed tcp_info we own.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let rc = libc::getsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        (rc == 0).then_some(u64::from(info.tcpi_total_retrans))
    }
}
