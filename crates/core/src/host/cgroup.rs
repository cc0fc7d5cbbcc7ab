//! The control group this process runs in (cgroup v2, or v1's `memory` and `cpu`
//! controllers): its memory limit and usage, CPU quota, CPU time and throttling. Inside a
//! container these, not the host's `/proc/meminfo`, say how close the process is to its
//! limits.
//!
//! Every path is read under a root folder (`/` outside tests), so that tests read fixture
//! trees holding `proc/self/cgroup` and `sys/fs/cgroup/...`.

use std::path::{Path, PathBuf};

/// Limits and usage of this process's control group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CgroupReading {
    /// 1 or 2.
    pub version: u8,
    /// Memory limit, bytes; `None` when unlimited.
    pub memory_limit: Option<u64>,
    /// Memory charged to the group, bytes (page cache included).
    pub memory_usage: Option<u64>,
    /// `memory_usage` less the inactive file cache the kernel reclaims first: what counts
    /// against the limit before the OOM killer acts (cAdvisor's and `docker stats`' figure).
    pub memory_working_set: Option<u64>,
    /// CPU quota in cores (`quota / period`); `None` when unlimited.
    pub cpu_limit_cores: Option<f64>,
    /// CPU time of the group so far, µs.
    pub cpu_usage_us: Option<u64>,
    /// Enforcement periods so far.
    pub nr_periods: Option<u64>,
    /// Periods in which the group was throttled.
    pub nr_throttled: Option<u64>,
    /// Time the group spent throttled, µs.
    pub throttled_us: Option<u64>,
}

impl CgroupReading {
    /// True when the group has a memory limit or a CPU quota.
    pub fn is_limited(&self) -> bool {
        self.memory_limit.is_some() || self.cpu_limit_cores.is_some()
    }
}

/// v1 writes "no limit" as the largest page-aligned `i64`; anything this large is no limit.
const V1_UNLIMITED: u64 = 1 << 62;

fn read(path: &Path) -> Option<String> {
    super::read(path.to_str()?).map(|s| s.trim().to_owned())
}

fn num(path: &Path) -> Option<u64> {
    read(path)?.parse().ok()
}

/// `key value` lines (`memory.stat`, `cpu.stat`).
fn stat_field(text: &Option<String>, key: &str) -> Option<u64> {
    text.as_ref()?.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The folder of the group for `controller` (`""` for v2) under `<root>/sys/fs/cgroup`: the
/// group path of `/proc/self/cgroup` when that folder is visible, else the mount's top (a
/// container with its own cgroup namespace sees its group there).
fn group_dir(root: &Path, base: &str, group: &str) -> PathBuf {
    let top = root.join("sys/fs/cgroup").join(base);
    let dir = top.join(group.trim_start_matches('/'));
    if dir.is_dir() {
        dir
    } else {
        top
    }
}

/// Reads the group of this process under `root`; `None` off Linux or without cgroups.
pub fn read_under(root: &Path) -> Option<CgroupReading> {
    read_process(root, "self")
}

/// Reads the group of process `pid` (`"self"` for this one) under `root`.
pub fn read_process(root: &Path, pid: &str) -> Option<CgroupReading> {
    let text = read(&root.join("proc").join(pid).join("cgroup"))?;
    let mut v1_memory = None;
    let mut v1_cpu = None;
    let mut v2 = None;
    for line in text.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(_), Some(ctrls), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if ctrls.is_empty() {
            v2 = Some(path.to_owned());
        }
        for c in ctrls.split(',') {
            match c {
                "memory" => v1_memory = Some(path.to_owned()),
                "cpu" => v1_cpu = Some((ctrls.to_owned(), path.to_owned())),
                _ => {}
            }
        }
    }
    if v1_memory.is_none() && v1_cpu.is_none() {
        return v2.map(|g| read_v2(&group_dir(root, "", &g)));
    }
    Some(read_v1(root, v1_memory.as_deref(), v1_cpu.as_ref()))
}

/// Reads this process's group; `None` off Linux or without cgroups.
pub fn read_self() -> Option<CgroupReading> {
    read_under(Path::new("/"))
}

fn read_v2(dir: &Path) -> CgroupReading {
    let limit = read(&dir.join("memory.max")).and_then(|v| v.parse().ok());
    let usage = num(&dir.join("memory.current"));
    let mstat = read(&dir.join("memory.stat"));
    let inactive = stat_field(&mstat, "inactive_file").unwrap_or(0);
    let (quota, period) = read(&dir.join("cpu.max"))
        .and_then(|t| {
            let (q, p) = t.split_once(' ')?;
            Some((q.parse::<f64>().ok(), p.parse::<f64>().ok()))
        })
        .unwrap_or((None, None));
    let cstat = read(&dir.join("cpu.stat"));
    CgroupReading {
        version: 2,
        memory_limit: limit,
        memory_usage: usage,
        memory_working_set: usage.map(|u| u.saturating_sub(inactive)),
        cpu_limit_cores: quota
            .zip(period)
            .and_then(|(q, p)| (p > 0.0).then(|| q / p)),
        cpu_usage_us: stat_field(&cstat, "usage_usec"),
        nr_periods: stat_field(&cstat, "nr_periods"),
        nr_throttled: stat_field(&cstat, "nr_throttled"),
        throttled_us: stat_field(&cstat, "throttled_usec"),
    }
}

fn read_v1(root: &Path, memory: Option<&str>, cpu: Option<&(String, String)>) -> CgroupReading {
    let mut r = CgroupReading {
        version: 1,
        ..CgroupReading::default()
    };
    if let Some(group) = memory {
        let dir = group_dir(root, "memory", group);
        r.memory_limit = num(&dir.join("memory.limit_in_bytes")).filter(|l| *l < V1_UNLIMITED);
        r.memory_usage = num(&dir.join("memory.usage_in_bytes"));
        let mstat = read(&dir.join("memory.stat"));
        let inactive = stat_field(&mstat, "total_inactive_file").unwrap_or(0);
        r.memory_working_set = r.memory_usage.map(|u| u.saturating_sub(inactive));
    }
    if let Some((ctrls, group)) = cpu {
        // The `cpu` controller is mounted as `cpu,cpuacct` on most systems, `cpu` on some.
        let mut dir = group_dir(root, ctrls, group);
        if !dir.is_dir() {
            dir = group_dir(root, "cpu", group);
        }
        let quota = read(&dir.join("cpu.cfs_quota_us")).and_then(|v| v.parse::<i64>().ok());
        let period = num(&dir.join("cpu.cfs_period_us"));
        r.cpu_limit_cores = quota
            .zip(period)
            .and_then(|(q, p)| (q > 0 && p > 0).then(|| q as f64 / p as f64));
        let cstat = read(&dir.join("cpu.stat"));
        r.nr_periods = stat_field(&cstat, "nr_periods");
        r.nr_throttled = stat_field(&cstat, "nr_throttled");
        r.throttled_us = stat_field(&cstat, "throttled_time").map(|ns| ns / 1000);
        let acct = group_dir(root, "cpuacct", group);
        r.cpu_usage_us = num(&dir.join("cpuacct.usage"))
            .or_else(|| num(&acct.join("cpuacct.usage")))
            .map(|ns| ns / 1000);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    /// A 512 MiB v2 group at 84 % (working set), with a 1.5-core quota and throttling.
    #[test]
    fn cgroup_v2_limits_usage_and_throttling() {
        let mib = 1024 * 1024;
        let usage = 450 * mib;
        let d = tree(&[
            ("proc/self/cgroup", "0::/app.slice/job\n"),
            ("sys/fs/cgroup/app.slice/job/memory.max", "536870912\n"),
            ("sys/fs/cgroup/app.slice/job/memory.current", &format!("{usage}\n")),
            (
                "sys/fs/cgroup/app.slice/job/memory.stat",
                &format!("anon 1\nfile 2\ninactive_file {}\nactive_file 3\n", usage - 430 * mib),
            ),
            ("sys/fs/cgroup/app.slice/job/cpu.max", "150000 100000\n"),
            (
                "sys/fs/cgroup/app.slice/job/cpu.stat",
                "usage_usec 9000000\nuser_usec 1\nsystem_usec 2\nnr_periods 100\nnr_throttled 25\nthrottled_usec 1234567\n",
            ),
        ]);
        let r = read_under(d.path()).unwrap();
        assert_eq!(r.version, 2);
        assert_eq!(r.memory_limit, Some(512 * mib));
        assert_eq!(r.memory_working_set, Some(430 * mib));
        let pct = r.memory_working_set.unwrap() as f64 / r.memory_limit.unwrap() as f64 * 100.0;
        assert_eq!((pct * 100.0).round() / 100.0, 83.98);
        assert_eq!(r.cpu_limit_cores, Some(1.5));
        assert_eq!(r.cpu_usage_us, Some(9_000_000));
        assert_eq!(
            (r.nr_periods, r.nr_throttled, r.throttled_us),
            (Some(100), Some(25), Some(1_234_567))
        );
        assert!(r.is_limited());
    }

    /// No limit: `max` in v2; v1's huge number and a quota of -1; a group folder not visible
    /// (another cgroup namespace) falls back to the mount's top.
    #[test]
    fn unlimited_groups_and_v1() {
        let d = tree(&[
            ("proc/self/cgroup", "0::/\n"),
            ("sys/fs/cgroup/memory.max", "max\n"),
            ("sys/fs/cgroup/memory.current", "100\n"),
            ("sys/fs/cgroup/cpu.max", "max 100000\n"),
        ]);
        let r = read_under(d.path()).unwrap();
        assert_eq!(
            (r.memory_limit, r.cpu_limit_cores, r.memory_usage),
            (None, None, Some(100))
        );
        assert!(!r.is_limited());

        let d = tree(&[
            (
                "proc/self/cgroup",
                "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/\n",
            ),
            ("sys/fs/cgroup/memory/memory.limit_in_bytes", "268435456\n"),
            ("sys/fs/cgroup/memory/memory.usage_in_bytes", "200000000\n"),
            (
                "sys/fs/cgroup/memory/memory.stat",
                "cache 5\ntotal_inactive_file 1000000\n",
            ),
            ("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "50000\n"),
            ("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"),
            (
                "sys/fs/cgroup/cpu,cpuacct/cpu.stat",
                "nr_periods 10\nnr_throttled 4\nthrottled_time 3000000\n",
            ),
            ("sys/fs/cgroup/cpu,cpuacct/cpuacct.usage", "5000000000\n"),
        ]);
        let r = read_under(d.path()).unwrap();
        assert_eq!(r.version, 1);
        assert_eq!(r.memory_limit, Some(268_435_456));
        assert_eq!(r.memory_working_set, Some(199_000_000));
        assert_eq!(r.cpu_limit_cores, Some(0.5));
        assert_eq!(
            (r.nr_throttled, r.throttled_us, r.cpu_usage_us),
            (Some(4), Some(3000), Some(5_000_000))
        );

        let d = tree(&[
            ("proc/self/cgroup", "4:memory:/x\n"),
            (
                "sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        assert_eq!(read_under(d.path()).unwrap().memory_limit, None);
        assert!(read_under(Path::new("/nonexistent-root")).is_none());
    }

    /// A real group with a 512 MiB limit, made for a child process (root only, with a
    /// writable v2 hierarchy or v1 memory controller; skipped with the reason otherwise).
    #[test]
    fn a_real_cgroup_limit_is_read() {
        let v2 = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let base = if v2 {
            "/sys/fs/cgroup"
        } else {
            "/sys/fs/cgroup/memory"
        };
        let dir = Path::new(base).join(format!("novacron-test-{}", std::process::id()));
        if std::fs::create_dir(&dir).is_err() {
            eprintln!("skipped: cannot create a cgroup under {base} (needs root and a writable hierarchy)");
            return;
        }
        let limit_file = if v2 {
            "memory.max"
        } else {
            "memory.limit_in_bytes"
        };
        let limit = 512u64 * 1024 * 1024;
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let setup = std::fs::write(dir.join(limit_file), limit.to_string())
            .and_then(|_| std::fs::write(dir.join("cgroup.procs"), child.id().to_string()));
        let got = setup
            .as_ref()
            .ok()
            .and_then(|_| read_process(Path::new("/"), &child.id().to_string()));
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir(&dir);
        if let Err(e) = setup {
            eprintln!("skipped: cannot set up the cgroup: {e}");
            return;
        }
        let got = got.unwrap();
        assert_eq!(got.memory_limit, Some(limit));
        assert!(got.memory_usage.is_some());
    }
}
