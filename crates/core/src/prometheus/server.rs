//! The `/metrics` HTTP listener for Prometheus scrapes, served by hyper on the addon's shared
//! I/O runtime ([`crate::runtime`]).
//!
//! Every connection is its own task, so a client that connects and then stalls (never sends
//! its request, or never reads the answer) holds only its own connection: other scrapes are
//! answered meanwhile. Each connection is answered once with `Connection: close` and has a
//! deadline, so stalled ones are dropped, and at most [`MAX_CONNECTIONS`] are open at once.
//! Rendering the exposition reads the collector's latest readings under its lock, so it runs
//! on the runtime's blocking pool rather than on an I/O worker.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE as CONTENT_TYPE_HEADER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::exposition::CONTENT_TYPE;
use crate::runtime;

/// Builds the exposition text for one scrape.
pub type RenderFn = Arc<dyn Fn() -> String + Send + Sync>;

/// Time a client has to send its request head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Time one connection may stay open in all, reading and writing included.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(30);
/// Request heads larger than this are refused (hyper's smallest read buffer is 8 KiB).
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Connections served at once; more are closed at accept. Scrapers are a handful per node.
pub const MAX_CONNECTIONS: usize = 64;
/// How long `stop` waits for the listener task to release the port.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running `/metrics` listener. Dropping it (or [`MetricsServer::stop`]) closes the port
/// and every open connection.
pub struct MetricsServer {
    addr: SocketAddr,
    scrapes: Arc<AtomicU64>,
    stop: Option<watch::Sender<bool>>,
    /// Disconnected when the listener task has ended (its sender dropped with the socket).
    stopped: mpsc::Receiver<()>,
}

impl MetricsServer {
    /// Binds `host:port` (port 0 picks a free one) and starts answering.
    pub fn start(host: &str, port: u16, render: RenderFn) -> std::io::Result<MetricsServer> {
        // Bound here, synchronously, so that the caller gets the bind error (port in use, bad
        // address) and the actual port before this returns.
        let std_listener = std::net::TcpListener::bind((host, port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = {
            let _in_runtime = runtime::handle().enter();
            TcpListener::from_std(std_listener)?
        };
        let scrapes = Arc::new(AtomicU64::new(0));
        let (stop_tx, stop_rx) = watch::channel(false);
        let (stopped_tx, stopped) = mpsc::channel();
        runtime::spawn(accept_loop(
            listener,
            render,
            Arc::clone(&scrapes),
            stop_rx,
            stopped_tx,
        ));
        Ok(MetricsServer {
            addr,
            scrapes,
            stop: Some(stop_tx),
            stopped,
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

    /// Closes the listener and its connections; the port is free when this returns.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
            // Wait until the task has dropped the socket, so that the port can be bound again
            // at once. Nothing is ever sent: the wait ends when the sender is dropped.
            let _ = self.stopped.recv_timeout(STOP_TIMEOUT);
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

async fn accept_loop(
    listener: TcpListener,
    render: RenderFn,
    scrapes: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
    _stopped: mpsc::Sender<()>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) if conns.len() < MAX_CONNECTIONS => {
                    conns.spawn(serve(stream, Arc::clone(&render), Arc::clone(&scrapes)));
                }
                Ok(_) => {} // over the limit: dropped, the client sees the connection closed
                // Out of file descriptors and the like: let the process recover a moment
                // rather than spinning on the error.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    drop(listener);
    conns.shutdown().await;
    // `_stopped` drops here, which tells `stop` that the port and connections are closed.
}

/// Serves one connection, one request, within [`CONNECTION_DEADLINE`].
async fn serve(stream: TcpStream, render: RenderFn, scrapes: Arc<AtomicU64>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (render, scrapes) = (Arc::clone(&render), Arc::clone(&scrapes));
        async move { Ok::<_, Infallible>(answer(&req, render, &scrapes).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_REQUEST_HEAD)
        .keep_alive(false)
        // `Content-Type`, not `content-type`, as the listener always wrote it.
        .title_case_headers(true)
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(CONNECTION_DEADLINE, conn).await;
}

async fn answer(
    req: &Request<Incoming>,
    render: RenderFn,
    scrapes: &AtomicU64,
) -> Response<Full<Bytes>> {
    let is_get = matches!(*req.method(), Method::GET | Method::HEAD);
    let (status, body) = match (is_get, req.uri().path()) {
        (true, "/metrics") => {
            match tokio::task::spawn_blocking(move || render()).await {
                Ok(text) => (StatusCode::OK, text),
                // The renderer panicked: the scrape fails, the listener goes on.
                Err(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "exposition failed\n".into(),
                ),
            }
        }
        (true, _) => (StatusCode::NOT_FOUND, "Not found: try /metrics\n".into()),
        (false, _) => (StatusCode::METHOD_NOT_ALLOWED, "Only GET\n".into()),
    };
    let content_type = if status == StatusCode::OK {
        scrapes.fetch_add(1, Ordering::Relaxed);
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(content_type));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    fn request(addr: SocketAddr, method: &str, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(s, "{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn get(addr: SocketAddr, path: &str) -> String {
        request(addr, "GET", path)
    }

    #[test]
    fn serves_metrics_and_404_then_stops() {
        let server = MetricsServer::start("127.0.0.1", 0, Arc::new(|| "up 1\n".into())).unwrap();
        let addr = server.addr();
        let ok = get(addr, "/metrics");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(
            ok.contains("Content-Type: text/plain; version=0.0.4"),
            "{ok}"
        );
        assert!(ok.contains("Connection: close\r\n"), "{ok}");
        assert!(ok.ends_with("\r\n\r\nup 1\n"));
        assert!(get(addr, "/").starts_with("HTTP/1.1 404"));
        assert_eq!(server.scrapes(), 1);
        server.stop();
        assert!(
            TcpStream::connect(addr).is_err(),
            "port still open after stop"
        );
    }

    #[test]
    fn head_gets_the_headers_only_and_other_methods_405() {
        let server = MetricsServer::start("127.0.0.1", 0, Arc::new(|| "up 1\n".into())).unwrap();
        let head = request(server.addr(), "HEAD", "/metrics");
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Length: 5\r\n"), "{head}");
        assert!(head.ends_with("\r\n\r\n"), "no body: {head}");
        let post = request(server.addr(), "POST", "/metrics");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        assert!(post.ends_with("Only GET\n"), "{post}");
    }

    #[test]
    fn the_port_can_be_bound_again_right_after_stop() {
        let server = MetricsServer::start("127.0.0.1", 0, Arc::new(String::new)).unwrap();
        let addr = server.addr();
        // A connection left open must not keep the port (or stop) waiting.
        let _idle = TcpStream::connect(addr).unwrap();
        server.stop();
        let again = MetricsServer::start("127.0.0.1", addr.port(), Arc::new(|| "x 1\n".into()))
            .expect("port released by stop");
        assert!(get(again.addr(), "/metrics").ends_with("x 1\n"));
    }

    #[test]
    fn a_scrape_completes_while_other_clients_stall() {
        let body = "big 1\n".repeat(200_000); // ~1.2 MB: more than the socket buffers hold
        let server = MetricsServer::start("127.0.0.1", 0, Arc::new(move || body.clone())).unwrap();
        let addr = server.addr();
        let mut stalled = Vec::new();
        for i in 0..8 {
            let mut s = TcpStream::connect(addr).unwrap();
            if i % 2 == 0 {
                // Half send only part of a request head and go quiet.
                s.write_all(b"GET /metr").unwrap();
            } else {
                // The others ask for the page and never read it.
                s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
            }
            stalled.push(s);
        }
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        let ok = get(addr, "/metrics");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(ok.ends_with("big 1\n"));
        assert!(
            t0.elapsed() < HEADER_TIMEOUT,
            "the scrape waited for the stalled clients: {:?}",
            t0.elapsed()
        );
        drop(stalled);
        server.stop();
    }

    #[test]
    fn concurrent_scrapes_are_all_answered() {
        let server = MetricsServer::start("127.0.0.1", 0, Arc::new(|| "up 1\n".into())).unwrap();
        let addr = server.addr();
        let clients: Vec<_> = (0..16)
            .map(|_| std::thread::spawn(move || get(addr, "/metrics")))
            .collect();
        for c in clients {
            assert!(c.join().unwrap().ends_with("up 1\n"));
        }
        assert_eq!(server.scrapes(), 16);
    }
}
