//! The peer: the far end of every network measurement. On loopback the benchmark starts
//! one on an ephemeral port and stops it at the end; on another host it runs standalone
//! (`novacron-perf peer --port N`). It counts received bytes per test (so throughput is
//! measured at the receiver), echoes TCP_RR messages, receives UDP datagrams computing
//! RFC 3550 jitter, and answers plain HTTP requests. [`Peer::stop`] (also on drop) closes
//! every socket and joins every thread it started.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::protocol::{is_timeout, read_full, read_line, UdpHeader, HELLO_REPLY, MAGIC, POLL};
use super::udp::Jitter;

/// Connections served at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 512;
/// Receive buffer of a sink connection (iperf3 uses 128 KiB writes).
const SINK_BUF: usize = 256 * 1024;
/// Time a new connection has to send its first line.
const FIRST_LINE: Duration = Duration::from_secs(5);
/// Largest TCP_RR message.
pub const MAX_ECHO: usize = 1 << 20;
/// Body of the HTTP responder.
const HTTP_BODY: &str = "{\"status\":\"ok\"}";

/// Receiver-side state of one test.
#[derive(Debug, Default)]
struct Test {
    bytes: AtomicU64,
    mark: Mutex<Option<(u64, Instant)>>,
    udp: Mutex<UdpStats>,
}

/// What the peer saw of a UDP test.
#[derive(Debug, Default, Clone)]
struct UdpStats {
    received: u64,
    bytes: u64,
    out_of_order: u64,
    next_seq: u64,
    jitter: Jitter,
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    tests: Mutex<HashMap<u64, Arc<Test>>>,
    next_test: AtomicU64,
    conns: Mutex<Vec<JoinHandle<()>>>,
    epoch: Option<Instant>,
}

/// A running peer.
#[derive(Debug)]
pub struct Peer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Peer {
    /// Binds TCP and UDP on `bind` (port 0: one free port for both) and starts serving.
    pub fn start(bind: SocketAddr) -> io::Result<Peer> {
        let (listener, udp) = bind_pair(bind)?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        udp.set_read_timeout(Some(POLL))?;
        let shared = Arc::new(Shared {
            epoch: Some(Instant::now()),
            ..Shared::default()
        });
        let s1 = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("novacron-peer-accept".into())
            .spawn(move || accept_loop(listener, s1))?;
        let s2 = Arc::clone(&shared);
        let udp_thread = std::thread::Builder::new()
            .name("novacron-peer-udp".into())
            .spawn(move || udp_loop(udp, s2));
        let udp_thread = match udp_thread {
            Ok(t) => t,
            Err(e) => {
                shared.stop.store(true, Ordering::SeqCst);
                let _ = accept.join();
                return Err(e);
            }
        };
        Ok(Peer {
            addr,
            shared,
            threads: vec![accept, udp_thread],
        })
    }

    /// Where the peer listens (TCP and UDP).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections being served now.
    pub fn connections(&self) -> usize {
        self.shared
            .conns
            .lock()
            .iter()
            .filter(|h| !h.is_finished())
            .count()
    }

    /// Stops serving: closes the listener and the UDP socket and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let conns: Vec<JoinHandle<()>> = self.shared.conns.lock().drain(..).collect();
        for c in conns {
            let _ = c.join();
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn bind_pair(bind: SocketAddr) -> io::Result<(TcpListener, UdpSocket)> {
    if bind.port() != 0 {
        return Ok((TcpListener::bind(bind)?, UdpSocket::bind(bind)?));
    }
    // An ephemeral TCP port whose UDP twin may be taken: try a few.
    let mut last = None;
    for _ in 0..16 {
        let l = TcpListener::bind(bind)?;
        match UdpSocket::bind(l.local_addr()?) {
            Ok(u) => return Ok((l, u)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free port pair")))
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut pfd = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    while !shared.stop.load(Ordering::Relaxed) {
        // SAFETY: one valid pollfd for a socket that outlives the call.
        let ready = unsafe { libc::poll(&mut pfd, 1, POLL.as_millis() as i32) };
        if ready <= 0 {
            continue;
        }
        while let Ok((stream, _)) = listener.accept() {
            let mut conns = shared.conns.lock();
            conns.retain(|h| !h.is_finished());
            if conns.len() >= MAX_CONNECTIONS {
                continue; // dropped: closed
            }
            let s = Arc::clone(&shared);
            if let Ok(h) = std::thread::Builder::new()
                .name("novacron-peer-conn".into())
                .spawn(move || {
                    let _ = serve(stream, &s);
                })
            {
                conns.push(h);
            }
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(SINK_BUF, stream);
    let Some(first) = read_line(&mut reader, &shared.stop, Some(Instant::now() + FIRST_LINE))?
    else {
        return Ok(());
    };
    let mut words = first.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(MAGIC), Some("PROBE"), None) => write_all(&mut writer, b"OK\n", shared),
        (Some(MAGIC), Some("HELLO"), None) => {
            write_all(&mut writer, format!("{HELLO_REPLY}\n").as_bytes(), shared)
        }
        (Some(MAGIC), Some("CONTROL"), None) => control(reader, writer, shared),
        (Some(MAGIC), Some("SINK"), Some(id)) => {
            let test = id
                .parse()
                .ok()
                .and_then(|id| shared.tests.lock().get(&id).cloned());
            match test {
                Some(t) => sink(reader, &t, shared),
                None => write_all(&mut writer, b"ERR unknown test\n", shared),
            }
        }
        (Some(MAGIC), Some("ECHO"), Some(size)) => match size.parse::<usize>() {
            Ok(n) if (1..=MAX_ECHO).contains(&n) => {
                writer.set_nodelay(true)?;
                write_all(&mut writer, b"OK\n", shared)?;
                echo(reader, writer, n, shared)
            }
            _ => write_all(&mut writer, b"ERR bad size\n", shared),
        },
        (Some(method), Some(_), Some(v))
            if v.starts_with("HTTP/1.") && method.bytes().all(|b| b.is_ascii_uppercase()) =>
        {
            writer.set_nodelay(true)?;
            http(reader, writer, first, shared)
        }
        _ => write_all(&mut writer, b"ERR unknown request\n", shared),
    }
}

fn write_all(w: &mut TcpStream, mut buf: &[u8], shared: &Shared) -> io::Result<()> {
    while !buf.is_empty() {
        if shared.stop.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
        }
        match w.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn control(
    mut reader: BufReader<TcpStream>,
    mut writer: TcpStream,
    shared: &Shared,
) -> io::Result<()> {
    let id = shared.next_test.fetch_add(1, Ordering::Relaxed) + 1;
    let test = Arc::new(Test::default());
    shared.tests.lock().insert(id, Arc::clone(&test));
    let result = (|| {
        write_all(&mut writer, format!("OK {id}\n").as_bytes(), shared)?;
        while let Some(cmd) = read_line(&mut reader, &shared.stop, None)? {
            let reply = match cmd.as_str() {
                "MARK" => {
                    *test.mark.lock() = Some((test.bytes.load(Ordering::SeqCst), Instant::now()));
                    "OK".to_owned()
                }
                "END" => {
                    let now = Instant::now();
                    let total = test.bytes.load(Ordering::SeqCst);
                    let (b0, t0) = test.mark.lock().unwrap_or((0, now));
                    format!("OK {} {} {total}", total - b0, (now - t0).as_nanos())
                }
                "UDP" => {
                    let u = test.udp.lock().clone();
                    format!(
                        "OK {} {} {} {} {}",
                        u.received,
                        u.out_of_order,
                        u.jitter.ns(),
                        u.next_seq,
                        u.bytes
                    )
                }
                _ => "ERR unknown command".to_owned(),
            };
            write_all(&mut writer, format!("{reply}\n").as_bytes(), shared)?;
        }
        Ok(())
    })();
    shared.tests.lock().remove(&id);
    result
}

fn sink(mut reader: BufReader<TcpStream>, test: &Test, shared: &Shared) -> io::Result<()> {
    let buffered = reader.buffer().len();
    test.bytes.fetch_add(buffered as u64, Ordering::SeqCst);
    reader.consume(buffered);
    let mut stream = reader.into_inner();
    let mut buf = vec![0u8; SINK_BUF];
    while !shared.stop.load(Ordering::Relaxed) {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                test.bytes.fetch_add(n as u64, Ordering::SeqCst);
            }
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn echo(
    mut reader: BufReader<TcpStream>,
    mut writer: TcpStream,
    size: usize,
    shared: &Shared,
) -> io::Result<()> {
    let mut msg = vec![0u8; size];
    while read_full(&mut reader, &mut msg, &shared.stop, None)? {
        write_all(&mut writer, &msg, shared)?;
    }
    Ok(())
}

fn http(
    mut reader: BufReader<TcpStream>,
    mut writer: TcpStream,
    first: String,
    shared: &Shared,
) -> io::Result<()> {
    let mut request_line = Some(first);
    loop {
        let line = match request_line.take() {
            Some(l) => l,
            None => match read_line(&mut reader, &shared.stop, None)? {
                Some(l) if l.is_empty() => continue,
                Some(l) => l,
                None => return Ok(()),
            },
        };
        let http10 = line.ends_with("HTTP/1.0");
        let mut close = http10;
        let mut body_len = 0usize;
        while let Some(h) = read_line(&mut reader, &shared.stop, None)? {
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((&h, ""));
            let value = value.trim();
            if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close")
                    || (http10 && !value.eq_ignore_ascii_case("keep-alive"));
            } else if name.eq_ignore_ascii_case("content-length") {
                body_len = value.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; body_len.min(MAX_ECHO)];
        if !read_full(&mut reader, &mut body, &shared.stop, None)? && body_len > 0 {
            return Ok(());
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{HTTP_BODY}",
            HTTP_BODY.len(),
            if close { "close" } else { "keep-alive" }
        );
        write_all(&mut writer, head.as_bytes(), shared)?;
        if close {
            return Ok(());
        }
    }
}

fn udp_loop(sock: UdpSocket, shared: Arc<Shared>) {
    let epoch = shared.epoch.unwrap_or_else(Instant::now);
    let mut buf = vec![0u8; 65_536];
    while !shared.stop.load(Ordering::Relaxed) {
        let n = match sock.recv_from(&mut buf) {
            Ok((n, _)) => n,
            Err(_) => continue,
        };
        let now_ns = epoch.elapsed().as_nanos() as u64;
        let Some(h) = UdpHeader::read(&buf[..n]) else {
            continue;
        };
        let Some(test) = shared.tests.lock().get(&h.test).cloned() else {
            continue;
        };
        let mut u = test.udp.lock();
        u.received += 1;
        u.bytes += n as u64;
        if h.seq < u.next_seq {
            u.out_of_order += 1;
        } else {
            u.next_seq = h.seq + 1;
        }
        u.jitter.on_packet(h.sent_ns, now_ns);
    }
}
