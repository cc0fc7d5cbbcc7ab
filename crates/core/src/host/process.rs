//! This process and the calling thread: resource usage (`getrusage`), thread CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), resident memory (`/proc/self/statm`), threads
//! (`/proc/self/status`), open file descriptors (`/proc/self/fd`), and the number of
//! processes on the machine.

/// Whose resource usage to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The whole process, all threads.
    Process,
    /// The calling thread only (Linux).
    Thread,
}

/// One `getrusage` reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rusage {
    /// User CPU time, µs.
    pub user_us: u64,
    /// System CPU time, µs.
    pub system_us: u64,
    /// Peak resident set size, bytes.
    pub max_rss_bytes: u64,
    /// Page faults served without I/O.
    pub minor_faults: u64,
    /// Page faults that needed I/O.
    pub major_faults: u64,
    /// Context switches because the caller waited (I/O, locks, sleeps).
    pub voluntary_switches: u64,
    /// Context switches because the scheduler preempted the caller.
    pub involuntary_switches: u64,
    /// File system reads that went to storage, 512-byte blocks.
    pub block_in: u64,
    /// File system writes that went to storage, 512-byte blocks.
    pub block_out: u64,
}

/// `getrusage` of this process or the calling thread; `None` when the call fails.
pub fn rusage(who: Who) -> Option<Rusage> {
    let who = match who {
        Who::Process => libc::RUSAGE_SELF,
        Who::Thread => libc::RUSAGE_THREAD,
    };
    // SAFETY: getrusage only writes into the zero-initialised struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return None;
    }
    let us = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    let n = |v: libc::c_long| v.max(0) as u64;
    Some(Rusage {
        user_us: us(ru.ru_utime),
        system_us: us(ru.ru_stime),
        // Linux reports ru_maxrss in KiB.
        max_rss_bytes: n(ru.ru_maxrss) * 1024,
        minor_faults: n(ru.ru_minflt),
        major_faults: n(ru.ru_majflt),
        voluntary_switches: n(ru.ru_nvcsw),
        involuntary_switches: n(ru.ru_nivcsw),
        block_in: n(ru.ru_inblock),
        block_out: n(ru.ru_oublock),
    })
}

/// CPU time of this process so far, µs, as `(user, system)` (as Node's `process.cpuUsage()`).
pub fn cpu_micros() -> (u64, u64) {
    rusage(Who::Process).map_or((0, 0), |r| (r.user_us, r.system_us))
}

/// CPU time of the calling thread, µs (0 where the clock is missing).
pub fn thread_cpu_micros() -> u64 {
    // SAFETY: clock_gettime writes only into the struct we pass.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// Resident pages, the second field of `/proc/self/statm`.
pub fn parse_statm_resident_pages(text: &str) -> Option<u64> {
    text.split_whitespace().nth(1)?.parse().ok()
}

/// Resident set size of this process, bytes.
pub fn rss_bytes() -> Option<u64> {
    let pages = parse_statm_resident_pages(&super::read("/proc/self/statm")?)?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (page > 0).then(|| pages * page as u64)
}

/// The `Threads:` field of a `/proc/<pid>/status` text.
pub fn parse_status_threads(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Threads of this process.
pub fn threads() -> Option<u64> {
    parse_status_threads(&super::read("/proc/self/status")?)
}

/// Open file descriptors of this process.
pub fn open_fds() -> Option<u64> {
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|d| d.count() as u64)
}

/// Virtual memory size of this process, bytes (first field of `/proc/self/statm`).
pub fn virtual_memory_bytes() -> Option<u64> {
    let pages: u64 = super::read("/proc/self/statm")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    (page > 0).then(|| pages * page as u64)
}

/// The soft limit on open file descriptors (`RLIMIT_NOFILE`); `None` when unlimited.
pub fn max_fds() -> Option<u64> {
    // SAFETY: getrlimit writes only into the struct we pass.
    let mut r: libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } != 0
        || r.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    Some(r.rlim_cur as u64)
}

/// The start time field (22nd, clock ticks after boot) of a `/proc/<pid>/stat` text. The
/// command name (2nd field) is in parentheses and may hold spaces and parentheses itself,
/// so fields are counted after its LAST `)`.
pub fn parse_stat_start_ticks(text: &str) -> Option<u64> {
    let (_, rest) = text.rsplit_once(')')?;
    // `rest` starts at field 3 (state): field 22 is the 20th after it.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Start time of this process, epoch seconds (boot time plus its start ticks).
pub fn start_time_seconds() -> Option<f64> {
    let ticks = parse_stat_start_ticks(&super::read("/proc/self/stat")?)?;
    let btime = super::proc_stat::read()?.btime;
    Some(btime as f64 + ticks as f64 / super::clock_ticks_per_second())
}

/// Processes on the machine (the numeric entries of `/proc`).
pub fn count_pids() -> Option<u64> {
    let dir = std::fs::read_dir("/proc").ok()?;
    Some(
        dir.filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .count() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command name with spaces and parentheses does not shift the fields after it.
    #[test]
    fn stat_start_time_after_an_odd_command_name() {
        let line = "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 777 1000 50 \
                    18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        assert_eq!(parse_stat_start_ticks(line), Some(777));
        let start = start_time_seconds().unwrap();
        let now = crate::host::clock::now_ms() as f64 / 1000.0;
        assert!(
            start <= now + 1.0 && start > now - 86_400.0 * 365.0,
            "{start}"
        );
        assert!(virtual_memory_bytes().unwrap() >= rss_bytes().unwrap());
    }

    #[test]
    fn parsers_and_readings() {
        assert_eq!(
            parse_statm_resident_pages("1000 250 30 1 0 100 0\n"),
            Some(250)
        );
        assert_eq!(
            parse_status_threads("Name:\tnode\nThreads:\t11\nSigQ: 0/1\n"),
            Some(11)
        );
        assert!(rss_bytes().unwrap() > 1 << 20);
        assert!(threads().unwrap() >= 1);
        assert!(count_pids().unwrap() >= 1);
        let t0 = thread_cpu_micros();
        let (u0, s0) = cpu_micros();
        let mut x = 0u64;
        while thread_cpu_micros() - t0 < 20_000 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let (u, s) = cpu_micros();
        assert!(
            u + s >= u0 + s0 + 15_000,
            "process time covers the thread's"
        );
    }
}
