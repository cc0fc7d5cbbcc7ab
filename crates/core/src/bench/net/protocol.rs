//! The peer's wire protocol. A TCP connection opens with one text line naming its role:
//!
//! | first line | role |
//! |---|---|
//! | `NCP1 HELLO` | handshake: answers `OK novacron-perf-peer 1` |
//! | `NCP1 CONTROL` | a test: answers `OK <id>`, then `MARK`, `END`, `UDP` commands |
//! | `NCP1 SINK <id>` | bytes that the peer counts for test `<id>` (receiver side, rule N1) |
//! | `NCP1 ECHO <size>` | answers `OK`, then echoes `<size>`-byte messages (netperf TCP_RR) |
//! | `NCP1 PROBE` | answers `OK` (connection setup rate, netperf TCP_CRR-style) |
//! | `GET /… HTTP/1.1` | a minimal HTTP/1.1 responder (`200 {"status":"ok"}`, keep-alive) |
//!
//! UDP datagrams to the same port carry [`UdpHeader`]: test id, sequence number and the
//! sender's send time, from which the peer computes loss and RFC 3550 jitter.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Protocol tag and version.
pub const MAGIC: &str = "NCP1";
/// Reply to `HELLO`.
pub const HELLO_REPLY: &str = "OK novacron-perf-peer 1";
/// Longest accepted command line.
pub const MAX_LINE: usize = 512;
/// Bytes of a UDP header; datagrams are at least this long.
pub const UDP_HEADER: usize = 24;
/// Default port of a standalone peer.
pub const DEFAULT_PORT: u16 = 5301;
/// Socket timeout that bounds how long any loop goes without looking at its stop flag.
pub const POLL: Duration = Duration::from_millis(100);

/// Header of a measurement datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpHeader {
    /// Test id from `CONTROL`.
    pub test: u64,
    /// Sequence number from 0.
    pub seq: u64,
    /// Sender's monotonic send time, ns (any epoch: only differences matter).
    pub sent_ns: u64,
}

impl UdpHeader {
    /// Writes the header into the first [`UDP_HEADER`] bytes of `buf`.
    pub fn write(&self, buf: &mut [u8]) {
        buf[..8].copy_from_slice(&self.test.to_le_bytes());
        buf[8..16].copy_from_slice(&self.seq.to_le_bytes());
        buf[16..24].copy_from_slice(&self.sent_ns.to_le_bytes());
    }

    /// Reads a header; `None` for a datagram too short to carry one.
    pub fn read(buf: &[u8]) -> Option<UdpHeader> {
        let word = |i: usize| u64::from_le_bytes(buf[i..i + 8].try_into().expect("8 bytes"));
        (buf.len() >= UDP_HEADER).then(|| UdpHeader {
            test: word(0),
            seq: word(8),
            sent_ns: word(16),
        })
    }
}

/// True for socket errors that only mean "the timeout expired, try again".
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Reads one `\n`-terminated line (without the terminator) from a reader whose socket has
/// a short read timeout, giving up when `stop` is set or `deadline` passes. `Ok(None)` on
/// EOF before a full line.
pub fn read_line<R: BufRead>(
    r: &mut R,
    stop: &AtomicBool,
    deadline: Option<Instant>,
) -> io::Result<Option<String>> {
    read_line_until(r, stop, &|| deadline.is_some_and(|d| Instant::now() > d))
}

/// [`read_line`] that gives up when `expired()` says so, asked between reads (at least
/// every socket timeout): for deadlines that move, such as an idle timeout.
pub fn read_line_until<R: BufRead>(
    r: &mut R,
    stop: &AtomicBool,
    expired: &dyn Fn() -> bool,
) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
        }
        if expired() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete line in time",
            ));
        }
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(None);
        }
        match avail.iter().position(|&b| b == b'\n') {
            Some(i) => {
                line.extend_from_slice(&avail[..i]);
                r.consume(i + 1);
                break;
            }
            None => {
                let n = avail.len();
                line.extend_from_slice(avail);
                r.consume(n);
            }
        }
        if line.len() > MAX_LINE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

/// Fills `buf` completely from a reader with a short timeout, checking `stop` between
/// attempts. `Ok(false)` on a clean EOF before the first byte.
pub fn read_full<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    stop: &AtomicBool,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    read_full_until(r, buf, stop, &|| {
        deadline.is_some_and(|d| Instant::now() > d)
    })
}

/// [`read_full`] that gives up when `expired()` says so, asked between reads.
pub fn read_full_until<R: Read>(
    r: &mut R,
    buf: &mut [u8],
    stop: &AtomicBool,
    expired: &dyn Fn() -> bool,
) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        if stop.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
        }
        if expired() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        match r.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed mid-message",
                ))
            }
            Ok(n) => filled += n,
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_lines() {
        let h = UdpHeader {
            test: 9,
            seq: 1 << 40,
            sent_ns: 123,
        };
        let mut buf = [0u8; 64];
        h.write(&mut buf);
        assert_eq!(UdpHeader::read(&buf), Some(h));
        assert_eq!(UdpHeader::read(&buf[..10]), None);
        let stop = AtomicBool::new(false);
        let mut r = io::BufReader::new(&b"NCP1 SINK 4\r\nrest"[..]);
        assert_eq!(
            read_line(&mut r, &stop, None).unwrap().as_deref(),
            Some("NCP1 SINK 4")
        );
        // EOF before the terminator: no line.
        assert_eq!(read_line(&mut r, &stop, None).unwrap(), None);
    }
}
