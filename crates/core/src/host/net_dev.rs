//! `/proc/net/dev`: traffic counters per network interface.

/// One interface of `/proc/net/dev`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetDev {
    /// Interface name.
    pub device: String,
    /// Bytes, packets, errors and drops received.
    pub rx: [u64; 4],
    /// Bytes, packets, errors and drops sent.
    pub tx: [u64; 4],
}

/// Parses `/proc/net/dev` (two header lines, then `name: 8 rx fields 8 tx fields`).
pub fn parse(text: &str) -> Vec<NetDev> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let v: Vec<u64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            if v.len() < 16 {
                return None;
            }
            Some(NetDev {
                device: name.trim().to_owned(),
                rx: [v[0], v[1], v[2], v[3]],
                tx: [v[8], v[9], v[10], v[11]],
            })
        })
        .collect()
}

/// Reads and parses `/proc/net/dev`; `None` when it cannot be read.
pub fn read() -> Option<Vec<NetDev>> {
    super::read("/proc/net/dev").map(|t| parse(&t))
}

/// Counters summed over every interface but loopback: `(rx, tx)` as in [`NetDev`].
pub fn external_totals(devs: &[NetDev]) -> ([u64; 4], [u64; 4]) {
    let mut rx = [0u64; 4];
    let mut tx = [0u64; 4];
    for d in devs.iter().filter(|d| d.device != "lo") {
        for i in 0..4 {
            rx[i] += d.rx[i];
            tx[i] += d.tx[i];
        }
    }
    (rx, tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_lines_and_totals() {
        let n = parse(
            "Inter-|   Receive\n face |bytes\n  eth0: 100 2 3 4 0 0 0 0 500 6 7 8 0 0 0 0\n    lo: 9 9 9 9 0 0 0 0 9 9 9 9 0 0 0 0\n",
        );
        assert_eq!(n[0].device, "eth0");
        assert_eq!((n[0].rx, n[0].tx), ([100, 2, 3, 4], [500, 6, 7, 8]));
        assert_eq!(external_totals(&n), ([100, 2, 3, 4], [500, 6, 7, 8]));
    }
}
