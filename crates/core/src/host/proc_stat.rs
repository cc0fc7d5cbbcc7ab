//! `/proc/stat`: CPU time per mode (aggregate and per core), context switches, interrupts,
//! boot time, forks and the runnable / blocked thread counts. Field meanings follow
//! `proc(5)`.

/// The eight CPU time counters of a `cpu` line, in clock ticks, in `/proc/stat` order.
pub const CPU_MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

/// One `cpu`/`cpuN` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// `user nice system idle iowait irq softirq steal`; guest time is already inside user
    /// and nice, so it is not added again.
    pub ticks: [u64; 8],
}

impl CpuTimes {
    /// All ticks.
    pub fn total(&self) -> u64 {
        self.ticks.iter().sum()
    }

    /// Ticks that were neither idle nor waiting for I/O.
    pub fn busy(&self) -> u64 {
        self.total() - self.ticks[3] - self.ticks[4]
    }

    /// True when no counter went backwards since `earlier` (a reset or a wrap gives no rate).
    pub fn follows(&self, earlier: &CpuTimes) -> bool {
        self.ticks.iter().zip(earlier.ticks).all(|(n, b)| *n >= b)
    }

    /// Busy percentage of the ticks between `earlier` and `self`; `None` when no tick passed
    /// or a counter went backwards. Unrounded: callers round for display.
    pub fn usage_since(&self, earlier: &CpuTimes) -> Option<f64> {
        if !self.follows(earlier) {
            return None;
        }
        let whole = self.total() - earlier.total();
        (whole > 0).then(|| (self.busy() - earlier.busy()) as f64 / whole as f64 * 100.0)
    }

    /// The aggregate `cpu` line now; `None` off Linux.
    pub fn read() -> Option<CpuTimes> {
        super::read("/proc/stat").map(|t| parse(&t).total)
    }
}

/// The parts of `/proc/stat` the collectors use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcStat {
    /// The aggregate `cpu` line.
    pub total: CpuTimes,
    /// `cpuN` lines, by N.
    pub cores: Vec<(u32, CpuTimes)>,
    /// Context switches since boot.
    pub ctxt: u64,
    /// Interrupts since boot.
    pub intr: u64,
    /// Boot time, epoch seconds.
    pub btime: u64,
    /// Forks since boot.
    pub forks: u64,
    /// Runnable threads now.
    pub procs_running: u64,
    /// Threads blocked on I/O now.
    pub procs_blocked: u64,
}

/// Parses `/proc/stat`.
pub fn parse(text: &str) -> ProcStat {
    let mut out = ProcStat::default();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(key) = f.next() else { continue };
        if let Some(rest) = key.strip_prefix("cpu") {
            let mut ticks = [0u64; 8];
            for (slot, v) in ticks.iter_mut().zip(f) {
                *slot = v.parse().unwrap_or(0);
            }
            let t = CpuTimes { ticks };
            if rest.is_empty() {
                out.total = t;
            } else if let Ok(n) = rest.parse() {
                out.cores.push((n, t));
            }
            continue;
        }
        let value = f.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match key {
            "ctxt" => out.ctxt = value,
            "intr" => out.intr = value,
            "btime" => out.btime = value,
            "processes" => out.forks = value,
            "procs_running" => out.procs_running = value,
            "procs_blocked" => out.procs_blocked = value,
            _ => {}
        }
    }
    out
}

/// Reads and parses `/proc/stat`; `None` off Linux.
pub fn read() -> Option<ProcStat> {
    super::read("/proc/stat").map(|t| parse(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let s = parse(
            "cpu  10 1 5 100 2 0 1 3 0 0\ncpu0 5 0 2 50 1 0 0 1 0 0\ncpu1 5 1 3 50 1 0 1 2 0 0\n\
             intr 999 1 2\nctxt 1234\nbtime 1700000000\nprocesses 42\nprocs_running 3\nprocs_blocked 1\n",
        );
        assert_eq!(s.total.ticks, [10, 1, 5, 100, 2, 0, 1, 3]);
        assert_eq!(s.total.busy(), 20);
        assert_eq!(s.cores.len(), 2);
        assert_eq!(s.cores[1].0, 1);
        assert_eq!(
            (s.ctxt, s.intr, s.btime, s.forks),
            (1234, 999, 1_700_000_000, 42)
        );
        assert_eq!((s.procs_running, s.procs_blocked), (3, 1));
    }

    #[test]
    fn usage_between_two_readings() {
        let t = parse("cpu  100 0 50 800 50 0 0 0 7 0\n").total;
        assert_eq!((t.busy(), t.total()), (150, 1000));
        let later = parse("cpu  200 0 50 900 50 0 0 0 7 0\n").total;
        assert_eq!(later.usage_since(&t), Some(50.0));
        assert_eq!(t.usage_since(&t), None, "no tick passed");
        assert_eq!(t.usage_since(&later), None, "counters went backwards");
    }
}
