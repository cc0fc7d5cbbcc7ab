//! `/proc/net/dev`: traffic counters per network interface, and which interfaces are
//! physical (`/sys/devices/virtual/net`).

use std::path::Path;

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

/// Parses `/proc/net/dev`: two header lines, then per interface the name right-aligned to six
/// columns, `:`, and 8 receive and 8 transmit counters (`dev_seq_printf_stats`).
///
/// The name field ends at the line's LAST `:` (as node_exporter's parser does): an alias name
/// such as `ibr10:30` holds a colon of its own, and a counter of eight digits or more follows
/// the colon with no space, so neither the first colon nor whitespace delimits the name.
pub fn parse(text: &str) -> Vec<NetDev> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, rest) = line.rsplit_once(':')?;
            let name = name.trim();
            if name.is_empty() {
                return None;
            }
            let v: Vec<u64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0))
                .collect();
            if v.len() < 16 {
                return None;
            }
            Some(NetDev {
                device: name.to_owned(),
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

/// True when the kernel lists `device` as virtual under `<sys_root>/devices/virtual/net`
/// (loopback, bridges, veth pairs, tunnels, bonds): software interfaces that relay traffic a
/// physical interface already carries. `sys_root` is `/sys` outside tests.
pub fn is_virtual(sys_root: &Path, device: &str) -> bool {
    device == "lo"
        || (!device.contains('/')
            && sys_root
                .join("devices/virtual/net")
                .join(device)
                .symlink_metadata()
                .is_ok())
}

/// Counters summed over the interfaces that carry the machine's traffic: `(rx, tx)` as in
/// [`NetDev`].
///
/// A packet crossing a bridge and a veth is counted on each, so summing every interface
/// counts it twice or more: only physical ones (`virtual_if` false) count. Where there is no
/// physical one at all (inside a container's network namespace, whose `eth0` is a veth),
/// every interface but loopback counts, as that is all the namespace has.
pub fn machine_totals(devs: &[NetDev], virtual_if: impl Fn(&str) -> bool) -> ([u64; 4], [u64; 4]) {
    let physical: Vec<&NetDev> = devs.iter().filter(|d| !virtual_if(&d.device)).collect();
    let counted: Vec<&NetDev> = if physical.is_empty() {
        devs.iter().filter(|d| d.device != "lo").collect()
    } else {
        physical
    };
    let mut rx = [0u64; 4];
    let mut tx = [0u64; 4];
    for d in counted {
        for i in 0..4 {
            rx[i] = rx[i].saturating_add(d.rx[i]);
            tx[i] = tx[i].saturating_add(d.tx[i]);
        }
    }
    (rx, tx)
}

/// [`machine_totals`] with the running kernel's list of virtual interfaces (`/sys`).
pub fn external_totals(devs: &[NetDev]) -> ([u64; 4], [u64; 4]) {
    let sys = Path::new("/sys");
    machine_totals(devs, |d| is_virtual(sys, d))
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
        assert_eq!(
            machine_totals(&n, |d| d == "lo"),
            ([100, 2, 3, 4], [500, 6, 7, 8])
        );
    }

    /// The kernel's odd lines: an alias holding a colon next to its parent, a counter of
    /// more than eight digits glued to the colon, a name of more than six columns, and a
    /// name with a byte that is not UTF-8 (read lossily).
    #[test]
    fn kernel_odd_lines() {
        let text = String::from_utf8_lossy(
            b"Inter-|   Receive                                                |  Transmit\n \
              face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n\
              \x20 ibr10:30: 700 7 0 0 0 0 0 0 800 8 0 0 0 0 0 0\n\
              \x20 ibr10: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n\
              \x20 eth0:123456789012 5 0 0 0 0 0 0 42 1 0 0 0 0 0 0\n\
              veth1234abcd: 1 2 3 4 0 0 0 0 5 6 7 8 0 0 0 0\n\
              \x20 e\xffx: 3 3 0 0 0 0 0 0 4 4 0 0 0 0 0 0\n",
        )
        .into_owned();
        let n = parse(&text);
        let names: Vec<&str> = n.iter().map(|d| d.device.as_str()).collect();
        assert_eq!(
            names,
            ["ibr10:30", "ibr10", "eth0", "veth1234abcd", "e\u{FFFD}x"]
        );
        assert_eq!((n[0].rx[0], n[0].tx[0]), (700, 800));
        assert_eq!((n[1].rx[0], n[1].tx[0]), (100, 200));
        assert_eq!(
            (n[2].rx[0], n[2].rx[1], n[2].tx[0]),
            (123_456_789_012, 5, 42)
        );
        assert_eq!(n[3].rx, [1, 2, 3, 4]);
        assert!(crate::host::has_replacement(&n[4].device));
        // A truncated line is left out, not read as zeros.
        assert!(parse("h\nh\n eth0: 1 2 3\n").is_empty());
    }

    /// 105 MB across a bridge and a veth is 105 MB of machine traffic, not 210.
    #[test]
    fn bridges_and_veths_are_not_counted_twice() {
        let dir = std::env::temp_dir().join(format!("nc-sysnet-{}", std::process::id()));
        let virt = dir.join("devices/virtual/net");
        std::fs::create_dir_all(virt.join("br0")).unwrap();
        std::fs::create_dir_all(virt.join("veth0")).unwrap();
        let mb = 105_000_000u64;
        let devs = vec![
            NetDev {
                device: "eth0".into(),
                rx: [0; 4],
                tx: [mb, 1, 0, 0],
            },
            NetDev {
                device: "br0".into(),
                rx: [0; 4],
                tx: [mb, 1, 0, 0],
            },
            NetDev {
                device: "veth0".into(),
                rx: [0; 4],
                tx: [mb, 1, 0, 0],
            },
            NetDev {
                device: "lo".into(),
                rx: [7; 4],
                tx: [7; 4],
            },
        ];
        let (_, tx) = machine_totals(&devs, |d| is_virtual(&dir, d));
        assert_eq!(tx[0], mb);
        // A namespace with only virtual interfaces (a container) counts them, not loopback.
        let (_, tx) = machine_totals(&devs[1..], |d| is_virtual(&dir, d));
        assert_eq!(tx[0], 2 * mb);
        assert!(is_virtual(&dir, "lo") && !is_virtual(&dir, "eth0"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
