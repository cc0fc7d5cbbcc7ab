//! A minimal HTTP/1.1 listener serving `GET /metrics` for Prometheus scrapes. Scrapes are a
//! few per minute, so one thread answers them one at a time with `Connection: close`; each
//! connection has read and write timeouts so that a stuck client cannot hold the thread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::exposition::CONTENT_TYPE;

/// Builds the exposition text for one scrape.
pub type RenderFn = Arc<dyn Fn() -> String + Send + Sync>;

const IO_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REQUEST_HEAD: usize = 16 * 1024;

/// A running `/metrics` listener. Dropping it (or [`MetricsServer::stop`]) closes the port
/// and joins the thread.
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    scrapes: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `host:port` (port 0 picks a free one) and starts answering.
    pub fn start(host: &str, port: u16, render: RenderFn) -> std::io::Result<MetricsServer> {
        let listener = TcpListener::bind((host, port))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let scrapes = Arc::new(AtomicU64::new(0));
        let (stop2, scrapes2) = (Arc::clone(&stop), Arc::clone(&scrapes));
        let thread = std::thread::Builder::new()
            .name("novacron-metrics-http".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::Acquire) {
                        break;
                    }
                    if let Ok(stream) = conn {
                        if serve(stream, &render) {
                            scrapes2.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })?;
        Ok(MetricsServer {
            addr,
            stop,
            scrapes,
            thread: Some(thread),
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Scrapes answered with 200 so far.
    pub fn scrapes(&self) -> u64 {
        self.scrapes.load(Ordering::Relaxed)
    }

    /// Closes the listener and joins its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.store(true, Ordering::Release);
            // `accept` has no timeout: a connection of our own wakes it to see the flag.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Answers one connection; true when it was a successful scrape.
fn serve(mut stream: TcpStream, render: &RenderFn) -> bool {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Some(head) = read_head(&mut stream) else {
        return false;
    };
    let request_line = head.lines().next().unwrap_or("");
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, body, ok) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => ("200 OK", render(), true),
        ("GET" | "HEAD", _) => ("404 Not Found", "Not found: try /metrics\n".into(), false),
        _ => ("405 Method Not Allowed", "Only GET\n".into(), false),
    };
    let content_type = if ok {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut write = || -> std::io::Result<()> {
        stream.write_all(header.as_bytes())?;
        if method != "HEAD" {
            stream.write_all(body.as_bytes())?;
        }
        stream.flush()
    };
    write().is_ok() && ok
}

fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > MAX_REQUEST_HEAD {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_metrics_and_404_then_stops() {
        let server = MetricsServer::start("127.0.0.1", 0, Arc::new(|| "up 1\n".into())).unwrap();
        let addr = server.addr();
        let ok = get(addr, "/metrics");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.contains("version=0.0.4"));
        assert!(ok.ends_with("\r\n\r\nup 1\n"));
        assert!(get(addr, "/").starts_with("HTTP/1.1 404"));
        assert_eq!(server.scrapes(), 1);
        server.stop();
        assert!(
            TcpStream::connect(addr).is_err(),
            "port still open after stop"
        );
    }
}
