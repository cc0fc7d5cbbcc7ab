//! Every `/proc` parser on the kernel's odd lines, from the fixture files under
//! `tests/fixtures/proc` (real kernel output, with the unusual cases node_exporter's procfs
//! parsers are tested on): old kernels' short lines, new kernels' extra fields, names with
//! colons, escapes and bytes that are not UTF-8, and truncated lines.

use super::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/proc/{name}", env!("CARGO_MANIFEST_DIR"));
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

#[test]
fn proc_stat_short_and_long_cpu_lines() {
    let s = proc_stat::parse(&fixture("stat"));
    assert_eq!(s.total.ticks, [4705, 356, 584, 3699, 23, 23, 0, 0]);
    // A kernel 2.4 line has four modes: the missing ones read as zero ticks.
    assert_eq!(
        s.cores[1],
        (
            1,
            proc_stat::CpuTimes {
                ticks: [1335, 0, 10, 100, 0, 0, 0, 0]
            }
        )
    );
    assert_eq!(s.cores[0].1.ticks[6], 17875);
    assert_eq!(
        (s.ctxt, s.intr, s.btime, s.forks),
        (38_014_093, 8_885_917, 1_242_136_665, 26_442)
    );
    assert_eq!((s.procs_running, s.procs_blocked), (2, 1));
}

#[test]
fn diskstats_of_every_kernel_generation() {
    let d = diskstats::parse(&fixture("diskstats"));
    let names: Vec<&str> = d.iter().map(|x| x.device.as_str()).collect();
    // 14 fields (before 4.18), 18 (discards), 20 (flushes); `sdb 1` is truncated.
    assert_eq!(
        names,
        ["ram0", "sda", "sda1", "nvme0n1", "nvme0n1p1", "vda"]
    );
    assert_eq!(
        (d[1].reads, d[1].sectors_read, d[1].io_ms),
        (25_354_637, 1_003_346_126, 9_653_880)
    );
    assert_eq!((d[5].writes, d[5].write_ms), (200, 60));
    let whole: Vec<&str> = names
        .into_iter()
        .filter(|n| !diskstats::is_ignored_disk(n))
        .collect();
    assert_eq!(whole, ["sda", "nvme0n1", "vda"]);
}

#[test]
fn meminfo_with_and_without_units() {
    let m = meminfo::parse(&fixture("meminfo"));
    assert_eq!(m.get("MemTotal"), Some(15_666_184 * 1024));
    assert_eq!(m.get("Active(anon)"), Some(123 * 1024));
    assert_eq!(m.get("HugePages_Total"), Some(0));
    assert!(m
        .fields
        .iter()
        .any(|(k, _, b)| k == "HugePages_Total" && !b));
    assert_eq!(m.used(), Some((15_666_184 - 1_234_567) * 1024));
}

#[test]
fn mounts_with_escapes_and_odd_bytes() {
    let m = mounts::parse(&fixture("mounts"));
    assert_eq!(m.len(), 4, "the broken line is left out, every other stays");
    assert_eq!(m[1].mountpoint, "/mnt/with space/tab\tx/nl\ny/back\\slash");
    assert!(m[1].read_only);
    assert_eq!(m[3].mountpoint, "/mnt/odd\u{FFFD}name");
    assert!(has_replacement(&m[3].mountpoint));
}

#[test]
fn net_dev_aliases_glued_counters_and_odd_bytes() {
    let n = net_dev::parse(&fixture("net_dev"));
    let names: Vec<&str> = n.iter().map(|x| x.device.as_str()).collect();
    assert_eq!(names, ["lo", "ibr10:30", "ibr10", "eth0", "e\u{FFFD}x"]);
    assert_eq!((n[1].rx[0], n[2].rx[0]), (700, 100));
    assert_eq!(n[3].rx[0], 123_456_789_012);
}

#[test]
fn snmp_negative_max_conn_and_other_protocols() {
    let t = net_snmp::parse_tcp(&fixture("snmp"));
    assert_eq!(t.get("MaxConn"), Some(-1));
    assert_eq!(t.retransmits(), Some((27, 151_386)));
    assert_eq!(t.established(), Some(4));
}

#[test]
fn loadavg_and_tcp_states_odd_lines() {
    assert!(loadavg::parse("0.00 0.01").is_none());
    let l = loadavg::parse("0.20 0.18 0.12 1/80 11206\n").unwrap();
    assert_eq!((l.running, l.threads), (1, 80));
    let mut c = [0u64; 11];
    // A line of another state code (0x0C, new kernels' NEW_SYN_RECV) is not counted.
    net_tcp::count_states("hdr\n 0: a b 0C x\n 1: a b 06 x\n 2: a\n", &mut c);
    assert_eq!(c.iter().sum::<u64>(), 1);
}

/// A process (or any) name with a byte that is not UTF-8 no longer makes the whole file
/// unreadable: the byte is replaced in that name, every other line reads as written.
#[test]
fn a_file_with_bytes_that_are_not_utf8_is_read() {
    let path = std::env::temp_dir().join(format!("nc-status-{}", std::process::id()));
    std::fs::write(&path, b"Name:\tnode\xff\nThreads:\t7\n").unwrap();
    let text = read(path.to_str().unwrap()).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(process::parse_status_threads(&text), Some(7));
    assert!(has_replacement(text.lines().next().unwrap()));
}
