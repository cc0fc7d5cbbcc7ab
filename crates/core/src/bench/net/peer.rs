//! The peer: the far end of every network measurement. On loopback the benchmark starts
//! one on an ephemeral port and stops it at the end; on another host it runs standalone
//! (`novacron-perf peer --port N`). It counts received bytes per test (so throughput is
//! measured at the receiver), echoes TCP_RR messages, receives UDP datagrams computing
//! RFC 3550 jitter, and answers plain HTTP requests. [`Peer::stop`] (also on drop) closes
//! every socket and joins every thread it started. Connections are bounded and closed when
//! idle after each protocol step ([`super::conns`]), so that idle clients cannot lock
//! others out.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::Mutex;

use super::conns::{make_room, Activity, Entry, PeerLimits, Tracked};
use super::protocol::{
    is_timeout, read_full_until, read_line, read_line_until, UdpHeader, HELLO_REPLY, MAGIC, POLL,
};
use super::udp::Jitter;

/// Receive buffer of a sink connection (iperf3 uses 128 KiB writes).
const SINK_BUF: usize = 256 * 1024;
/// Largest TCP_RR message.
pub const MAX_ECHO: usize = 1 << 20;
/// Body of the HTTP responder.
const HTTP_BODY: &str = "{\"status\":\"ok\"}";

/// Receiver-side state of one test.
#[derive(Debug)]
struct Test {
    bytes: AtomicU64,
    mark: Mutex<Option<(u64, Instant)>>,
    udp: Mutex<UdpStats>,
    /// Last data of the test (sink bytes, datagrams): keeps its control connection alive.
    activity: Arc<Activity>,
}

impl Test {
    fn new(epoch: Instant) -> Test {
        Test {
            bytes: AtomicU64::new(0),
            mark: Mutex::new(None),
            udp: Mutex::new(UdpStats::default()),
            activity: Activity::new(epoch),
        }
    }
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

#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    tests: Mutex<HashMap<u64, Arc<Test>>>,
    next_test: AtomicU64,
    conns: Mutex<Vec<Entry>>,
    epoch: Instant,
    limits: PeerLimits,
}

/// One connection being served: its socket for writing, the tracked reader, its activity.
struct Served<'a> {
    shared: &'a Shared,
    writer: TcpStream,
    reader: BufReader<Tracked>,
    activity: Arc<Activity>,
}

impl Served<'_> {
    /// True when the connection saw no byte for the idle limit.
    fn idle_out(&self) -> bool {
        self.activity.idle() > self.shared.limits.idle
    }
}

/// A running peer.
#[derive(Debug)]
pub struct Peer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Peer {
    /// Binds TCP and UDP on `bind` (port 0: one free port for both) and starts serving
    /// with the default [`PeerLimits`].
    pub fn start(bind: SocketAddr) -> io::Result<Peer> {
        Peer::start_with(bind, PeerLimits::default())
    }

    /// [`Peer::start`] with other connection limits.
    pub fn start_with(bind: SocketAddr, limits: PeerLimits) -> io::Result<Peer> {
        let (listener, udp) = bind_pair(bind)?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        udp.set_read_timeout(Some(POLL))?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            tests: Mutex::new(HashMap::new()),
            next_test: AtomicU64::new(0),
            conns: Mutex::new(Vec::new()),
            epoch: Instant::now(),
            limits,
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
            .filter(|c| c.holds_slot())
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
        let conns: Vec<Entry> = self.shared.conns.lock().drain(..).collect();
        for c in conns {
            let _ = c.handle.join();
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
            if !make_room(&mut conns, &shared.limits) {
                continue; // every slot busy and recently active: the new one is closed
            }
            let Ok(closer) = stream.try_clone().map(Arc::new) else {
                continue;
            };
            let activity = Activity::new(shared.epoch);
            let (s, a, c) = (
                Arc::clone(&shared),
                Arc::clone(&activity),
                Arc::clone(&closer),
            );
            if let Ok(h) = std::thread::Builder::new()
                .name("novacron-peer-conn".into())
                .spawn(move || {
                    let _ = serve(stream, a, &s);
                    // The entry's handle keeps the socket open: end the connection now.
                    let _ = c.shutdown(std::net::Shutdown::Both);
                })
            {
                conns.push(Entry {
                    handle: h,
                    stream: closer,
                    activity,
                    evicted: AtomicBool::new(false),
                });
            }
        }
    }
}

fn serve(stream: TcpStream, activity: Arc<Activity>, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    let accepted = Instant::now();
    let writer = stream.try_clone()?;
    let reader = BufReader::with_capacity(
        SINK_BUF,
        Tracked {
            stream,
            activity: Arc::clone(&activity),
        },
    );
    let mut c = Served {
        shared,
        writer,
        reader,
        activity,
    };
    let head_by = accepted + shared.limits.first_line;
    let Some(first) = read_line(&mut c.reader, &shared.stop, Some(head_by))? else {
        return Ok(());
    };
    let mut words = first.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(MAGIC), Some("PROBE"), None) => c.write(b"OK\n"),
        (Some(MAGIC), Some("HELLO"), None) => c.write(format!("{HELLO_REPLY}\n").as_bytes()),
        (Some(MAGIC), Some("CONTROL"), None) => control(c),
        (Some(MAGIC), Some("SINK"), Some(id)) => {
            let test = id
                .parse()
                .ok()
                .and_then(|id| shared.tests.lock().get(&id).cloned());
            match test {
                Some(t) => sink(c, &t),
                None => c.write(b"ERR unknown test\n"),
            }
        }
        (Some(MAGIC), Some("ECHO"), Some(size)) => match size.parse::<usize>() {
            Ok(n) if (1..=MAX_ECHO).contains(&n) => {
                c.writer.set_nodelay(true)?;
                c.write(b"OK\n")?;
                echo(c, n)
            }
            _ => c.write(b"ERR bad size\n"),
        },
        (Some(method), Some(_), Some(v))
            if v.starts_with("HTTP/1.") && method.bytes().all(|b| b.is_ascii_uppercase()) =>
        {
            c.writer.set_nodelay(true)?;
            http(c, first, head_by)
        }
        _ => c.write(b"ERR unknown request\n"),
    }
}

impl Served<'_> {
    /// Writes all of `buf`; a client that takes none of it for the idle limit is given up.
    fn write(&mut self, mut buf: &[u8]) -> io::Result<()> {
        let mut progress = Instant::now();
        while !buf.is_empty() {
            if self.shared.stop.load(Ordering::Relaxed) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
            }
            if progress.elapsed() > self.shared.limits.idle {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client reads nothing",
                ));
            }
            match self.writer.write(buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    progress = Instant::now();
                }
                Err(e) if is_timeout(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Waits for the first byte of the next message; `false` on EOF or after the idle limit.
    fn wait_for_data(&mut self) -> io::Result<bool> {
        loop {
            if self.shared.stop.load(Ordering::Relaxed) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
            }
            if self.idle_out() {
                return Ok(false);
            }
            match self.reader.fill_buf() {
                Ok(b) => return Ok(!b.is_empty()),
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn control(mut c: Served<'_>) -> io::Result<()> {
    let shared = c.shared;
    let id = shared.next_test.fetch_add(1, Ordering::Relaxed) + 1;
    let test = Arc::new(Test::new(shared.epoch));
    shared.tests.lock().insert(id, Arc::clone(&test));
    let result = (|| {
        c.write(format!("OK {id}\n").as_bytes())?;
        loop {
            // Idle means no command and no data of the test: a control connection waits
            // through the test's warm-up and duration while its streams carry the bytes.
            let (conn, data) = (Arc::clone(&c.activity), Arc::clone(&test.activity));
            let cmd = read_line_until(&mut c.reader, &shared.stop, &|| {
                conn.follow(&data);
                conn.idle() > shared.limits.idle
            })?;
            let Some(cmd) = cmd else {
                return Ok(());
            };
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
            c.write(format!("{reply}\n").as_bytes())?;
        }
    })();
    shared.tests.lock().remove(&id);
    result
}

fn sink(c: Served<'_>, test: &Test) -> io::Result<()> {
    let Served {
        shared,
        mut reader,
        activity,
        ..
    } = c;
    let buffered = reader.buffer().len();
    test.bytes.fetch_add(buffered as u64, Ordering::SeqCst);
    reader.consume(buffered);
    test.activity.touch();
    let mut stream = reader.into_inner();
    let mut buf = vec![0u8; SINK_BUF];
    while !shared.stop.load(Ordering::Relaxed) {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                test.bytes.fetch_add(n as u64, Ordering::SeqCst);
                test.activity.touch();
            }
            Err(e) if is_timeout(&e) => {
                if activity.idle() > shared.limits.idle {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn echo(mut c: Served<'_>, size: usize) -> io::Result<()> {
    let mut msg = vec![0u8; size];
    loop {
        let (shared, activity) = (c.shared, Arc::clone(&c.activity));
        let more = read_full_until(&mut c.reader, &mut msg, &shared.stop, &|| {
            activity.idle() > shared.limits.idle
        })?;
        if !more {
            return Ok(());
        }
        c.write(&msg)?;
    }
}

/// The HTTP responder. Between requests a connection may idle for the idle limit; once a
/// request starts, its whole head must arrive within the first-line limit (a client
/// trickling one byte at a time cannot hold the connection).
fn http(mut c: Served<'_>, first: String, head_by: Instant) -> io::Result<()> {
    let shared = c.shared;
    let mut request_line = Some(first);
    let mut head_by = head_by;
    loop {
        let line = match request_line.take() {
            Some(l) => l,
            None => {
                if !c.wait_for_data()? {
                    return Ok(());
                }
                head_by = Instant::now() + shared.limits.first_line;
                match read_line(&mut c.reader, &shared.stop, Some(head_by))? {
                    Some(l) if l.is_empty() => continue,
                    Some(l) => l,
                    None => return Ok(()),
                }
            }
        };
        let http10 = line.ends_with("HTTP/1.0");
        let mut close = http10;
        let mut body_len = 0usize;
        while let Some(h) = read_line(&mut c.reader, &shared.stop, Some(head_by))? {
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
        let activity = Arc::clone(&c.activity);
        let got = read_full_until(&mut c.reader, &mut body, &shared.stop, &|| {
            activity.idle() > shared.limits.idle
        })?;
        if !got && body_len > 0 {
            return Ok(());
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{HTTP_BODY}",
            HTTP_BODY.len(),
            if close { "close" } else { "keep-alive" }
        );
        c.write(head.as_bytes())?;
        if close {
            return Ok(());
        }
    }
}

fn udp_loop(sock: UdpSocket, shared: Arc<Shared>) {
    let epoch = shared.epoch;
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
        test.activity.touch();
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
