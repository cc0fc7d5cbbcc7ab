//! One keep-alive HTTP/1.1 connection over a non-blocking std `TcpStream`, driven by the
//! event loop in [`super::load`]: write a prepared GET, then feed whatever bytes arrive to
//! [`parse_response`] until a whole response (head by `httparse`, body by
//! `Content-Length`, chunked encoding or close) is there. Failures are classified as wrk
//! classifies them (connect, read, write, timeout) so that they are counted by kind (H5),
//! plus `reset`: a request the server read and then answered with a reset or a close, which
//! wrk counts as a read error and which must never be retried away.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// Largest response kept in the buffer (head and body).
const MAX_RESPONSE: usize = 4 << 20;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be opened.
    Connect,
    /// Writing the request failed.
    Write,
    /// Reading the response failed or it was malformed.
    Read,
    /// No complete response within the request timeout.
    Timeout,
    /// The request was written, then the connection was reset or closed before any byte of
    /// a response: a failure of that request, never retried.
    Reset,
    /// Writing to a kept-alive connection failed because the server had already closed it:
    /// the request never reached the server, so it is resent once on a fresh connection.
    Closed,
}

/// A prepared request target.
#[derive(Debug, Clone)]
pub struct Request {
    /// Resolved address.
    pub addr: SocketAddr,
    /// The request bytes.
    pub bytes: Vec<u8>,
}

impl Request {
    /// `GET <path> HTTP/1.1` with `Host`.
    pub fn get(addr: SocketAddr, host_header: &str, path: &str) -> Request {
        let bytes = format!("GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: novacron-perf\r\nAccept: */*\r\n\r\n").into_bytes();
        Request { addr, bytes }
    }
}

/// A parsed response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed.
    Partial,
    /// A whole response of `used` bytes.
    Done {
        /// Status code.
        status: u16,
        /// Whether the connection may carry the next request.
        keep: bool,
        /// Bytes of the buffer it took.
        used: usize,
    },
}

/// Parses one response from the start of `buf`; `eof` says the server closed the
/// connection (which ends a body without length).
pub fn parse_response(buf: &[u8], eof: bool) -> Result<Parsed, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let head = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(e) => return Err(format!("malformed response: {e}")),
    };
    let status = resp.code.unwrap_or(0);
    let mut keep = resp.version != Some(0);
    let mut length = None;
    let mut chunked = false;
    for h in resp.headers.iter() {
        let v = String::from_utf8_lossy(h.value).to_ascii_lowercase();
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("bad Content-Length {v:?}"))?,
            );
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked") {
            chunked = true;
        } else if h.name.eq_ignore_ascii_case("connection") {
            if v.contains("close") {
                keep = false;
            } else if v.contains("keep-alive") {
                keep = true;
            }
        }
    }
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    let done = |used| Ok(Parsed::Done { status, keep, used });
    if no_body {
        return done(head);
    }
    if chunked {
        return match chunked_end(&buf[head..])? {
            Some(n) => done(head + n),
            None => Ok(Parsed::Partial),
        };
    }
    match length {
        Some(n) if buf.len() >= head + n => done(head + n),
        Some(_) => Ok(Parsed::Partial),
        None if eof => Ok(Parsed::Done {
            status,
            keep: false,
            used: buf.len(),
        }),
        None => Ok(Parsed::Partial),
    }
}

/// Length of a complete chunked body at the start of `b` (trailers included), if complete.
fn chunked_end(b: &[u8]) -> Result<Option<usize>, String> {
    let line_end = |from: usize| {
        b[from..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|i| from + i)
    };
    let mut at = 0;
    loop {
        let Some(eol) = line_end(at) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&b[at..eol]);
        let hex = text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {hex:?}"))?;
        at = eol + 2;
        if size == 0 {
            // Trailer lines, then an empty line.
            loop {
                let Some(eol) = line_end(at) else {
                    return Ok(None);
                };
                let empty = eol == at;
                at = eol + 2;
                if empty {
                    return Ok(Some(at));
                }
            }
        }
        if b.len() < at + size + 2 {
            return Ok(None);
        }
        at += size + 2;
    }
}

/// An open, non-blocking connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    len: usize,
    /// Responses read on this connection.
    pub served: u64,
}

impl Conn {
    /// Connects within `timeout` (blocking), then switches to non-blocking I/O.
    pub fn open(addr: SocketAddr, timeout: Duration) -> Result<Conn, (Failure, io::Error)> {
        let stream =
            TcpStream::connect_timeout(&addr, timeout).map_err(|e| (Failure::Connect, e))?;
        let setup = |s: &TcpStream| {
            s.set_nodelay(true)?;
            s.set_nonblocking(true)
        };
        setup(&stream).map_err(|e| (Failure::Connect, e))?;
        Ok(Conn {
            stream,
            buf: vec![0; 16 * 1024],
            len: 0,
            served: 0,
        })
    }

    /// The socket, for epoll.
    pub fn fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// Writes a whole request. A request is far smaller than a socket buffer, so the
    /// rare short write is finished by waiting for the socket to become writable.
    pub fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), (Failure, io::Error)> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(0) => return Err((Failure::Write, io::ErrorKind::WriteZero.into())),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait_writable(self.fd(), timeout).map_err(|e| (Failure::Write, e))?
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let kind = if self.served > 0 && is_reset(&e) {
                        Failure::Closed
                    } else {
                        Failure::Write
                    };
                    return Err((kind, e));
                }
            }
        }
        Ok(())
    }

    /// Reads what has arrived and returns `(status, keep)` once a whole response is in.
    pub fn poll_response(&mut self) -> Result<Option<(u16, bool)>, (Failure, io::Error)> {
        let mut eof = false;
        loop {
            if self.len == self.buf.len() {
                if self.buf.len() >= MAX_RESPONSE {
                    return Err((
                        Failure::Read,
                        io::Error::other("response larger than 4 MiB"),
                    ));
                }
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.stream.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => self.len += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Our request is out: a reset now is that request's failure.
                    let kind = if is_reset(&e) {
                        Failure::Reset
                    } else {
                        Failure::Read
                    };
                    return Err((kind, e));
                }
            }
        }
        match parse_response(&self.buf[..self.len], eof) {
            Ok(Parsed::Done { status, keep, used }) => {
                self.buf.copy_within(used..self.len, 0);
                self.len -= used;
                self.served += 1;
                Ok(Some((status, keep && !eof)))
            }
            Ok(Parsed::Partial) if eof => {
                // Closed before any byte of the response: reset; mid-response: truncated.
                let kind = if self.len == 0 {
                    Failure::Reset
                } else {
                    Failure::Read
                };
                Err((
                    kind,
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed before a whole response",
                    ),
                ))
            }
            Ok(Parsed::Partial) => Ok(None),
            Err(msg) => Err((Failure::Read, io::Error::other(msg))),
        }
    }
}

fn wait_writable(fd: RawFd, timeout: Duration) -> io::Result<()> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd for a socket that outlives the call.
    match unsafe { libc::poll(&mut p, 1, timeout.as_millis().min(i32::MAX as u128) as i32) } {
        1 => Ok(()),
        0 => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "socket not writable in time",
        )),
        _ => Err(io::Error::last_os_error()),
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_by_length_chunks_and_close() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1";
        assert_eq!(
            parse_response(r, false),
            Ok(Parsed::Done {
                status: 200,
                keep: true,
                used: r.len() - 8
            })
        );
        assert_eq!(parse_response(&r[..30], false), Ok(Parsed::Partial));
        let c = b"HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(c, false),
            Ok(Parsed::Done {
                status: 503,
                keep: true,
                used: c.len()
            })
        );
        assert_eq!(
            parse_response(&c[..c.len() - 2], false),
            Ok(Parsed::Partial)
        );
        let e = b"HTTP/1.0 200 OK\r\n\r\nbody";
        assert_eq!(parse_response(e, false), Ok(Parsed::Partial));
        assert_eq!(
            parse_response(e, true),
            Ok(Parsed::Done {
                status: 200,
                keep: false,
                used: e.len()
            })
        );
        let k = b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
        assert_eq!(
            parse_response(k, false),
            Ok(Parsed::Done {
                status: 204,
                keep: false,
                used: k.len()
            })
        );
        assert!(parse_response(b"HTTX nonsense\r\n\r\n", false).is_err());
    }
}
