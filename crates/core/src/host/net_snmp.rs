//! `/proc/net/snmp`: the `Tcp:` counters (segments, retransmits, established connections).

use std::collections::HashMap;

/// The `Tcp:` counters by their kernel names (`RetransSegs`, `OutSegs`, `CurrEstab`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpCounters(pub HashMap<String, i64>);

impl TcpCounters {
    /// One counter.
    pub fn get(&self, key: &str) -> Option<i64> {
        self.0.get(key).copied()
    }

    /// `(RetransSegs, OutSegs)`, for the retransmit rate.
    pub fn retransmits(&self) -> Option<(i64, i64)> {
        self.get("RetransSegs").zip(self.get("OutSegs"))
    }

    /// Established TCP connections (IPv4 and IPv6): `CurrEstab`, which counts ESTABLISHED
    /// and CLOSE-WAIT sockets. Cheap, unlike `/proc/net/tcp`, which the kernel builds by
    /// walking its socket tables.
    pub fn established(&self) -> Option<u64> {
        self.get("CurrEstab").map(|v| v.max(0) as u64)
    }
}

/// Parses the `Tcp:` lines of `/proc/net/snmp` (a header line of names, then values).
pub fn parse_tcp(text: &str) -> TcpCounters {
    let mut lines = text.lines().filter(|l| l.starts_with("Tcp:"));
    let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
        return TcpCounters::default();
    };
    TcpCounters(
        names
            .split_whitespace()
            .skip(1)
            .zip(values.split_whitespace().skip(1))
            .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
            .collect(),
    )
}

/// Reads and parses the `Tcp:` counters (empty when the file cannot be read).
pub fn read_tcp() -> TcpCounters {
    parse_tcp(&super::read("/proc/net/snmp").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_counters() {
        let t = parse_tcp(
            "Ip: A\nIp: 1\nTcp: OutSegs RetransSegs MaxConn CurrEstab\nTcp: 6797 5 -1 3\n",
        );
        assert_eq!(t.get("OutSegs"), Some(6797));
        assert_eq!(t.get("MaxConn"), Some(-1));
        assert_eq!(t.retransmits(), Some((5, 6797)));
        assert_eq!(t.established(), Some(3));
        assert_eq!(parse_tcp("").established(), None);
    }
}
