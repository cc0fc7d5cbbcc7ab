//! The client side of the peer protocol: connecting with a timeout (errors name host and
//! port), the `HELLO` handshake used before any load, and the control connection that
//! marks the measured window on the receiver and reads its counters back.

use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::protocol::{read_line, HELLO_REPLY, MAGIC};
use crate::bench::{BenchError, BenchResult};

/// How long a control reply may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `addr` within `timeout`; the stream gets `timeout`-long I/O timeouts.
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    Ok(s)
}

/// Why the `HELLO` handshake failed.
#[derive(Debug)]
pub enum HelloError {
    /// No connection (refused, unreachable, timed out).
    Connect(io::Error),
    /// Something answered, but not a novacron-perf peer (its line).
    NotAPeer(String),
    /// Connected, but no answer in time.
    NoAnswer(io::Error),
}

impl HelloError {
    /// True when nothing listens at the address (the connection was refused).
    pub fn nothing_listens(&self) -> bool {
        matches!(self, HelloError::Connect(e) if e.kind() == io::ErrorKind::ConnectionRefused)
    }

    /// The caller's error: names `label`, host and port, and how to start a peer there.
    pub fn into_bench(self, addr: SocketAddr, label: &str, timeout: Duration) -> BenchError {
        let hint = format!(
            "start it there with: npx novacron-perf peer --port {} --bind <address>",
            addr.port()
        );
        let (ip, port, ms) = (addr.ip(), addr.port(), timeout.as_millis());
        BenchError::Target(match self {
            HelloError::Connect(e) => format!(
                "network: cannot reach the peer at {label} (host {ip}, port {port}) within {ms} ms: {e}; {hint}"
            ),
            HelloError::NotAPeer(line) => format!(
                "network: {label} (host {ip}, port {port}) answered {line:?}, not a novacron-perf peer; {hint}"
            ),
            HelloError::NoAnswer(e) => format!(
                "network: the peer at {label} (host {ip}, port {port}) did not answer the handshake within {ms} ms: {e}; {hint}"
            ),
        })
    }
}

/// Runs the `HELLO` handshake with whatever listens at `addr`.
pub fn handshake(addr: SocketAddr, timeout: Duration) -> Result<(), HelloError> {
    let mut s = connect(addr, timeout).map_err(HelloError::Connect)?;
    let reply = (|| {
        s.write_all(format!("{MAGIC} HELLO\n").as_bytes())?;
        let stop = AtomicBool::new(false);
        read_line(
            &mut BufReader::new(&s),
            &stop,
            Some(Instant::now() + timeout),
        )
    })();
    match reply {
        Ok(Some(line)) if line == HELLO_REPLY => Ok(()),
        Ok(other) => Err(HelloError::NotAPeer(other.unwrap_or_default())),
        Err(e) => Err(HelloError::NoAnswer(e)),
    }
}

/// Checks that a novacron-perf peer answers at `addr` (`label` is how the user named it).
pub fn hello(addr: SocketAddr, label: &str, timeout: Duration) -> BenchResult<()> {
    handshake(addr, timeout).map_err(|e| e.into_bench(addr, label, timeout))
}

/// A test's control connection.
pub struct ControlConn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// The test id the peer assigned.
    pub test: u64,
}

impl ControlConn {
    /// Opens a control connection and starts a test.
    pub fn open(addr: SocketAddr, timeout: Duration) -> io::Result<ControlConn> {
        let writer = connect(addr, timeout)?;
        writer.set_nodelay(true)?;
        let reader = BufReader::new(writer.try_clone()?);
        let mut c = ControlConn {
            reader,
            writer,
            test: 0,
        };
        let v = c.exchange(&format!("{MAGIC} CONTROL"))?;
        c.test = *v
            .first()
            .ok_or_else(|| io::Error::other("peer sent no test id"))?;
        Ok(c)
    }

    /// Sends `cmd` and returns the numbers of the `OK …` reply.
    pub fn exchange(&mut self, cmd: &str) -> io::Result<Vec<u64>> {
        self.writer.write_all(format!("{cmd}\n").as_bytes())?;
        let stop = AtomicBool::new(false);
        let line = read_line(
            &mut self.reader,
            &stop,
            Some(Instant::now() + REPLY_TIMEOUT),
        )?
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the control connection",
            )
        })?;
        let mut words = line.split_whitespace();
        if words.next() != Some("OK") {
            return Err(io::Error::other(format!("peer refused {cmd:?}: {line}")));
        }
        words
            .map(|w| {
                w.parse::<u64>()
                    .map_err(|_| io::Error::other(format!("bad peer reply {line:?}")))
            })
            .collect()
    }
}
