//! Loopback tests of the peer and the clients measured against it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::bench::control::RunControl;
use crate::bench::http::{self, load::LoadSpec, UrlCheck};

fn loopback_peer() -> Peer {
    Peer::start("127.0.0.1:0".parse().unwrap()).unwrap()
}

/// Bytes received by the loopback interface, from /proc/net/dev.
fn lo_rx_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/net/dev").unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("lo:"))
        .unwrap();
    line.split_once(':')
        .unwrap()
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn throughput_is_counted_at_the_receiver_and_matches_the_interface() {
    let peer = loopback_peer();
    let ctl = RunControl::new(None);
    let before = lo_rx_bytes();
    let t = tcp::run(
        peer.local_addr(),
        2,
        Duration::from_millis(100),
        Duration::from_millis(400),
        Duration::from_secs(2),
        &ctl,
    )
    .unwrap();
    let moved = lo_rx_bytes() - before;
    assert!(t.receiver_bytes > 0 && t.bits_per_second > 1e8, "{t:?}");
    // Everything the peer counted crossed lo (plus headers and warm-up traffic).
    assert!(
        moved >= t.receiver_bytes,
        "lo {moved} < counted {}",
        t.receiver_bytes
    );
    assert!(
        (t.receiver_duration_ms - 400.0).abs() < 50.0,
        "{}",
        t.receiver_duration_ms
    );
    // Sender and receiver agree within the data in flight (socket buffers, a few MB).
    let diff = t.sender_bytes.abs_diff(t.receiver_bytes) as f64;
    assert!(
        diff < 0.2 * t.receiver_bytes as f64 + 16e6,
        "sender {} receiver {}",
        t.sender_bytes,
        t.receiver_bytes
    );
    peer.stop();
}

#[test]
fn rr_connect_and_udp_against_the_peer() {
    let peer = loopback_peer();
    let addr = peer.local_addr();
    let ctl = RunControl::new(None);
    let r = rr::run(
        addr,
        1,
        Duration::from_millis(50),
        Duration::from_millis(300),
        Duration::from_secs(2),
        &ctl,
    )
    .unwrap();
    let s = r.rtt.summary().unwrap();
    assert!(
        r.transactions() > 100 && s.min > 0.0 && s.p50 < 5.0,
        "{s:?}"
    );
    // Little's law with one transaction in flight: mean RTT × rate ≈ 1.
    let little = s.avg / 1e3 * (r.transactions() as f64 / 0.3);
    assert!((0.8..=1.05).contains(&little), "{little}");
    let c = rr::connect_rate(
        addr,
        Duration::from_millis(200),
        Duration::from_secs(2),
        &ctl,
    )
    .unwrap();
    assert!(c.connections > 10, "{c:?}");
    let u = udp::run(
        addr,
        5e6,
        1000,
        Duration::from_millis(300),
        Duration::from_secs(2),
        &ctl,
    )
    .unwrap();
    let sent = u.sent_packets;
    // 5 Mbit/s of 1000-byte datagrams for 0.3 s is 187.5 datagrams.
    assert!((170..=190).contains(&sent), "{u:?}");
    assert_eq!(u.received_packets + u.lost_packets, sent);
    peer.stop();
}

#[test]
fn stopping_the_peer_closes_its_port_and_joins_its_threads() {
    let peer = loopback_peer();
    let addr = peer.local_addr();
    let idle = TcpStream::connect(addr).unwrap(); // a connection that never sends a line
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(peer.connections(), 1);
    let t = Instant::now();
    peer.stop();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    drop(idle);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err());
    // The port is free again.
    TcpListener::bind(addr).unwrap();
}

#[test]
fn unreachable_peer_and_url_fail_fast_naming_host_and_port() {
    // Something listens on loopback but never answers the handshake (the kernel accepts
    // into the backlog): an error naming host and port within the connect timeout.
    let mute = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = mute.local_addr().unwrap().port();
    let o = NetworkOptions::parse(
        &json!({ "host": "127.0.0.1", "port": port, "mode": "tcp", "connectTimeout": 500 }),
    )
    .unwrap();
    let t = Instant::now();
    let e = preflight(&o).unwrap_err().to_string();
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    assert!(e.contains(&format!("host 127.0.0.1, port {port}")), "{e}");
    assert!(e.contains("did not answer the handshake"), "{e}");
    drop(mute);
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap(); // closed again
    let url = format!("http://127.0.0.1:{}/x", free.port());
    let o = NetworkOptions::parse(&json!({ "url": url, "mode": "http" })).unwrap();
    let e = preflight(&o).unwrap_err().to_string();
    assert!(
        e.contains(&format!("host 127.0.0.1 port {}", free.port())),
        "{e}"
    );
    let e = NetworkOptions::parse(&json!({ "url": "::nope" })).unwrap_err();
    assert_eq!(e.js_kind(), "TypeError");
}

#[test]
fn an_explicit_loopback_host_with_no_peer_gets_the_builtin_one() {
    // The input: `{ mode: 'tcp', host: '127.0.0.1' }` with nothing on the port.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap(); // closed again
    let o = NetworkOptions::parse(
        &json!({ "host": "127.0.0.1", "port": free.port(), "mode": "tcp_rr" }),
    )
    .unwrap();
    let p = preflight(&o).unwrap();
    let peer = p.peer.unwrap();
    assert!(matches!(peer, PeerTarget::Builtin(_)), "{peer:?}");
    assert_eq!(peer.addr().ip().to_string(), "127.0.0.1");
    client::hello(peer.addr(), "built-in", Duration::from_secs(1)).unwrap();
    // A running peer on loopback is used as the remote one it is.
    let running = loopback_peer();
    let o = NetworkOptions::parse(
        &json!({ "host": "127.0.0.1", "port": running.local_addr().port(), "mode": "tcp_rr" }),
    )
    .unwrap();
    let p = preflight(&o).unwrap();
    assert!(matches!(p.peer, Some(PeerTarget::Remote { .. })));
    // Something else on a loopback port is an error, not silently replaced.
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = other.local_addr().unwrap().port();
    let speaker = std::thread::spawn(move || {
        let (mut c, _) = other.accept().unwrap();
        std::io::Write::write_all(&mut c, b"SSH-2.0-OpenSSH\n").unwrap();
    });
    let o = NetworkOptions::parse(&json!({ "host": "127.0.0.1", "port": port, "mode": "tcp" }))
        .unwrap();
    let e = preflight(&o).unwrap_err().to_string();
    assert!(
        e.contains("not a novacron-perf peer") && e.contains("npx novacron-perf peer"),
        "{e}"
    );
    speaker.join().unwrap();
}

#[test]
fn only_a_refused_loopback_address_falls_back_to_the_builtin_peer() {
    let refused = || client::HelloError::Connect(std::io::ErrorKind::ConnectionRefused.into());
    let at = |a: &str| a.parse::<SocketAddr>().unwrap();
    assert!(builtin_stands_in(&at("127.0.0.1:5301"), &refused()));
    assert!(builtin_stands_in(&at("127.3.0.9:5301"), &refused()));
    assert!(builtin_stands_in(&at("[::1]:5301"), &refused()));
    // Another host needs its running peer: the error as before.
    assert!(!builtin_stands_in(&at("192.0.2.10:5301"), &refused()));
    assert!(!builtin_stands_in(&at("[2001:db8::1]:5301"), &refused()));
    // On loopback, a port that does not answer (rather than refuses) is not "no peer".
    let timed_out = client::HelloError::Connect(std::io::ErrorKind::TimedOut.into());
    assert!(!builtin_stands_in(&at("127.0.0.1:5301"), &timed_out));
    let not_peer = client::HelloError::NotAPeer("HTTP/1.1 400".into());
    assert!(!builtin_stands_in(&at("127.0.0.1:5301"), &not_peer));
}

#[test]
fn open_loop_rate_is_kept_against_the_peer_http_responder() {
    let peer = loopback_peer();
    let url = format!("http://{}/health", peer.local_addr());
    let UrlCheck::Usable(target) = http::parse_url(&url, "network.url").unwrap() else {
        panic!()
    };
    let req = target.preflight(Duration::from_secs(1)).unwrap();
    let ctl = RunControl::new(None);
    let spec = LoadSpec {
        connections: 2,
        warmup: Duration::from_millis(100),
        duration: Duration::from_millis(500),
        timeout: Duration::from_secs(1),
        rate: Some(400.0),
    };
    let run = http::run(&target, &req, spec, &ctl).unwrap();
    assert_eq!(run.stats.failures(), 0, "{:?}", run.stats.first_error);
    assert_eq!(run.stats.scheduled, 200);
    assert_eq!(run.stats.ok, 200);
    let closed = http::run(&target, &req, LoadSpec { rate: None, ..spec }, &ctl).unwrap();
    assert!(
        closed.requests_per_second() > 400.0,
        "{}",
        closed.requests_per_second()
    );
    let _: SocketAddr = req.addr;
    peer.stop();
}

/// Reads from `s` until the peer closes it (EOF or reset); false if it is still open
/// after `within`.
fn closed_by_peer(s: &mut TcpStream, within: Duration) -> bool {
    use std::io::Read;
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let end = Instant::now() + within;
    let mut buf = [0u8; 256];
    while Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if protocol::is_timeout(&e) => {}
            Err(_) => return true,
        }
    }
    false
}

/// Opens a connection and sends `first` (nothing when empty).
fn open_with(addr: SocketAddr, first: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut s, first).unwrap();
    s
}

fn small_limits(idle_ms: u64) -> conns::PeerLimits {
    conns::PeerLimits {
        max_connections: 4,
        first_line: Duration::from_millis(300),
        idle: Duration::from_millis(idle_ms),
        evict_after: Duration::from_millis(100),
    }
}

#[test]
fn idle_connections_are_closed_after_each_protocol_step() {
    let peer = Peer::start_with("127.0.0.1:0".parse().unwrap(), small_limits(300)).unwrap();
    let addr = peer.local_addr();
    let mut idle = [
        open_with(addr, b""),                                  // no first line
        open_with(addr, b"NCP1 CONTROL\n"),                    // a test that never goes on
        open_with(addr, b"NCP1 ECHO 8\nabc"),                  // half a message
        open_with(addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), // keep-alive, then nothing
    ];
    let t = Instant::now();
    for (i, s) in idle.iter_mut().enumerate() {
        assert!(
            closed_by_peer(s, Duration::from_secs(2)),
            "connection {i} still open"
        );
    }
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    // A client trickling an HTTP head (a byte every 100 ms, never idle 300 ms) is closed
    // by the head deadline.
    let mut slow = open_with(addr, b"GET / HTTP/1.1\r\n");
    let t = Instant::now();
    let mut closed = false;
    while t.elapsed() < Duration::from_secs(2) && !closed {
        let _ = std::io::Write::write_all(&mut slow, b"X");
        closed = closed_by_peer(&mut slow, Duration::from_millis(100));
    }
    assert!(closed, "a trickled head held the connection");
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(peer.connections(), 0);
    // A control connection whose test carries data is not idle: a TCP test with 600 ms
    // between MARK and END runs through against the 300 ms idle limit.
    let ctl = RunControl::new(None);
    let t = tcp::run(
        addr,
        1,
        Duration::from_millis(100),
        Duration::from_millis(600),
        Duration::from_secs(2),
        &ctl,
    )
    .unwrap();
    assert!(t.receiver_bytes > 0);
    peer.stop();
}

#[test]
fn idle_clients_at_the_cap_make_room_for_a_new_one() {
    let peer = Peer::start_with("127.0.0.1:0".parse().unwrap(), small_limits(60_000)).unwrap();
    let addr = peer.local_addr();
    let _held: Vec<TcpStream> = (0..6).map(|_| open_with(addr, b"NCP1 CONTROL\n")).collect();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(peer.connections(), 4);
    // Every slot is held by an idle control connection: the idlest makes room.
    client::hello(addr, "peer", Duration::from_secs(2)).unwrap();
    let mut c = client::ControlConn::open(addr, Duration::from_secs(2)).unwrap();
    assert!(c.test > 0);
    c.exchange("MARK").unwrap();
    assert!(peer.connections() <= 4);
    peer.stop();
}

/// Raises the soft descriptor limit towards `want`; the limit reached.
fn raise_fd_limit(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit on a struct we own.
    unsafe {
        let mut l: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) != 0 {
            return 0;
        }
        if l.rlim_cur < want {
            l.rlim_cur = want.min(l.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        l.rlim_cur
    }
}

#[test]
fn five_hundred_twenty_idle_control_connections_do_not_lock_a_new_client_out() {
    // The input, with the default limits: 520 idle `CONTROL` connections.
    // Each costs 4 descriptors here (the client's, the peer's socket and its two handles).
    let have = raise_fd_limit(4096);
    if have < 2400 {
        eprintln!("skipped: needs ~2400 file descriptors, RLIMIT_NOFILE allows {have}");
        return;
    }
    let peer = loopback_peer();
    let addr = peer.local_addr();
    let _held: Vec<TcpStream> = (0..520)
        .map(|_| open_with(addr, b"NCP1 CONTROL\n"))
        .collect();
    std::thread::sleep(conns::PeerLimits::default().evict_after + Duration::from_millis(200));
    assert!(peer.connections() <= 512, "{}", peer.connections());
    let t = Instant::now();
    client::hello(addr, "peer", Duration::from_secs(2)).unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    let ctl = RunControl::new(None);
    let r = rr::run(
        addr,
        1,
        Duration::ZERO,
        Duration::from_millis(100),
        Duration::from_secs(2),
        &ctl,
    )
    .unwrap();
    assert!(r.transactions() > 10);
    peer.stop();
}
