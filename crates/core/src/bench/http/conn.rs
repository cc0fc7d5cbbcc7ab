//! One keep-alive HTTP/1.1 connection over a std `TcpStream`: write a prepared GET, read
//! the response head with `httparse`, then the body by `Content-Length`, chunked
//! encoding, or until close. Failures are classified as wrk classifies them (connect,
//! read, write, timeout) so that the report can count them by kind (rule H5).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;

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
    /// The server closed a kept-alive connection before answering (safe to retry once).
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

/// An open connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` that belong to the next response (pipelining never happens, but a
    /// server may send bytes early).
    len: usize,
    /// Responses read on this connection.
    pub served: u64,
}

impl Conn {
    /// Connects within `timeout`.
    pub fn open(addr: SocketAddr, timeout: Duration) -> Result<Conn, (Failure, io::Error)> {
        let stream =
            TcpStream::connect_timeout(&addr, timeout).map_err(|e| (Failure::Connect, e))?;
        stream
            .set_nodelay(true)
            .map_err(|e| (Failure::Connect, e))?;
        Ok(Conn {
            stream,
            buf: vec![0; 16 * 1024],
            len: 0,
            served: 0,
        })
    }

    /// Sends `req` and reads one response; returns its status code. The connection must
    /// be dropped after an error or when `keep` is false in the result.
    pub fn roundtrip(
        &mut self,
        req: &Request,
        timeout: Duration,
    ) -> Result<(u16, bool), (Failure, io::Error)> {
        let deadline = Instant::now() + timeout;
        self.stream
            .set_write_timeout(Some(timeout))
            .map_err(|e| (Failure::Write, e))?;
        if let Err(e) = self.stream.write_all(&req.bytes) {
            let kind = if self.served > 0 && is_reset(&e) {
                Failure::Closed
            } else {
                classify(&e, Failure::Write)
            };
            return Err((kind, e));
        }
        let (status, head_len, body) = self.read_head(deadline)?;
        let keep = body.keep_alive;
        self.consume(head_len);
        match body.kind {
            BodyKind::Length(n) => self.skip(n, deadline)?,
            BodyKind::Chunked => self.skip_chunked(deadline)?,
            BodyKind::UntilClose => {
                while self.fill(deadline)? > 0 {
                    self.len = 0;
                }
                self.served += 1;
                return Ok((status, false));
            }
        }
        self.served += 1;
        Ok((status, keep))
    }

    fn fill(&mut self, deadline: Instant) -> Result<usize, (Failure, io::Error)> {
        let now = Instant::now();
        if now >= deadline {
            return Err((
                Failure::Timeout,
                io::Error::new(io::ErrorKind::TimedOut, "request timeout"),
            ));
        }
        self.stream
            .set_read_timeout(Some(deadline - now))
            .map_err(|e| (Failure::Read, e))?;
        if self.len == self.buf.len() {
            if self.buf.len() >= MAX_HEAD * 4 {
                return Err((
                    Failure::Read,
                    io::Error::other("response too large to buffer"),
                ));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        match self.stream.read(&mut self.buf[self.len..]) {
            Ok(n) => {
                self.len += n;
                Ok(n)
            }
            Err(e) => Err((classify(&e, Failure::Read), e)),
        }
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    fn read_head(&mut self, deadline: Instant) -> Result<(u16, usize, Body), (Failure, io::Error)> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(&self.buf[..self.len]) {
                Ok(httparse::Status::Complete(n)) => {
                    let status = resp.code.unwrap_or(0);
                    let body = Body::from_headers(resp.version == Some(0), resp.headers, status);
                    return Ok((status, n, body));
                }
                Ok(httparse::Status::Partial) => {
                    if self.len >= MAX_HEAD {
                        return Err((Failure::Read, io::Error::other("response head too long")));
                    }
                }
                Err(e) => {
                    return Err((
                        Failure::Read,
                        io::Error::other(format!("malformed response: {e}")),
                    ))
                }
            }
            if self.fill(deadline)? == 0 {
                let kind = if self.len == 0 && self.served > 0 {
                    Failure::Closed
                } else {
                    Failure::Read
                };
                return Err((
                    kind,
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed before a response",
                    ),
                ));
            }
        }
    }

    fn skip(&mut self, mut n: usize, deadline: Instant) -> Result<(), (Failure, io::Error)> {
        loop {
            let take = n.min(self.len);
            self.consume(take);
            n -= take;
            if n == 0 {
                return Ok(());
            }
            if self.fill(deadline)? == 0 {
                return Err((
                    Failure::Read,
                    io::Error::new(io::ErrorKind::UnexpectedEof, "body cut short"),
                ));
            }
        }
    }

    fn line(&mut self, deadline: Instant) -> Result<String, (Failure, io::Error)> {
        loop {
            if let Some(i) = self.buf[..self.len].windows(2).position(|w| w == b"\r\n") {
                let s = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.consume(i + 2);
                return Ok(s);
            }
            if self.fill(deadline)? == 0 {
                return Err((
                    Failure::Read,
                    io::Error::new(io::ErrorKind::UnexpectedEof, "chunked body cut short"),
                ));
            }
        }
    }

    fn skip_chunked(&mut self, deadline: Instant) -> Result<(), (Failure, io::Error)> {
        loop {
            let size_line = self.line(deadline)?;
            let hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16).map_err(|_| {
                (
                    Failure::Read,
                    io::Error::other(format!("bad chunk size {hex:?}")),
                )
            })?;
            if size == 0 {
                // Trailers end with an empty line.
                while !self.line(deadline)?.is_empty() {}
                return Ok(());
            }
            self.skip(size + 2, deadline)?;
        }
    }
}

enum BodyKind {
    Length(usize),
    Chunked,
    UntilClose,
}

struct Body {
    kind: BodyKind,
    keep_alive: bool,
}

impl Body {
    fn from_headers(http10: bool, headers: &[httparse::Header<'_>], status: u16) -> Body {
        let mut keep_alive = !http10;
        let mut kind = if status == 204 || status == 304 || (100..200).contains(&status) {
            BodyKind::Length(0)
        } else {
            BodyKind::UntilClose
        };
        for h in headers {
            let v = String::from_utf8_lossy(h.value);
            if h.name.eq_ignore_ascii_case("content-length") {
                if let Ok(n) = v.trim().parse() {
                    kind = BodyKind::Length(n);
                }
            } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
            {
                kind = BodyKind::Chunked;
            } else if h.name.eq_ignore_ascii_case("connection") {
                let v = v.to_ascii_lowercase();
                if v.contains("close") {
                    keep_alive = false;
                } else if v.contains("keep-alive") {
                    keep_alive = true;
                }
            }
        }
        Body { kind, keep_alive }
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

fn classify(e: &io::Error, default: Failure) -> Failure {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::Timeout,
        _ => default,
    }
}
