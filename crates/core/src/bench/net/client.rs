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

/// Checks that a novacron-perf peer answers at `addr` (`label` is how the user named it).
pub fn hello(addr: SocketAddr, label: &str, timeout: Duration) -> BenchResult<()> {
    let hint = format!(
        "start it there with: npx novacron-perf peer --port {} --bind <address>",
        addr.port()
    );
    let mut s = connect(addr, timeout).map_err(|e| {
        BenchError::Target(format!(
            "network: cannot reach the peer at {label} (host {}, port {}) within {} ms: {e}; {hint}",
            addr.ip(),
            addr.port(),
            timeout.as_millis()
        ))
    })?;
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
        Ok(other) => Err(BenchError::Target(format!(
            "network: {label} (host {}, port {}) answered {:?}, not a novacron-perf peer; {hint}",
            addr.ip(),
            addr.port(),
            other.unwrap_or_default()
        ))),
        Err(e) => Err(BenchError::Target(format!(
            "network: the peer at {label} (host {}, port {}) did not answer the handshake within {} ms: {e}; {hint}",
            addr.ip(),
            addr.port(),
            timeout.as_millis()
        ))),
    }
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
