//! The bottom floor of the core: what the kernel says about the machine and this process,
//! and the clock. Nothing here imports from the rest of the crate.
//!
//! One module per kernel file, each a pure parser over the file's text (tested on fixed
//! texts) plus a reader that adds the file access:
//! - [`proc_stat`] (`/proc/stat`), [`meminfo`], [`loadavg`], [`diskstats`], [`net_dev`]
//!   (`/proc/net/dev`), [`net_snmp`] (`/proc/net/snmp`), [`net_tcp`] (`/proc/net/tcp{,6}`),
//!   [`mounts`] (`/proc/mounts` and `statvfs`), [`statfs`] (`statvfs` with a deadline, so a
//!   hung mount cannot stall a sampler), [`machine`] (`/proc/uptime`, `/proc/cpuinfo`,
//!   the kernel release);
//! - [`process`]: this process and thread — CPU time (`getrusage`, `CLOCK_THREAD_CPUTIME_ID`),
//!   resident memory (`/proc/self/statm`), threads (`/proc/self/status`), open descriptors,
//!   and the number of processes on the machine;
//! - [`clock`]: the wall and monotonic clocks behind the [`clock::Clock`] trait, with a fake
//!   for tests, and the interruptible wait every sampling thread parks in.
//!
//! A file that cannot be read (not Linux, or hidden by a sandbox) gives `None` or an empty
//! reading, never a made-up zero.

pub mod cgroup;
pub mod clock;
pub mod diskstats;
pub mod loadavg;
pub mod machine;
pub mod meminfo;
pub mod mounts;
pub mod net_dev;
pub mod net_snmp;
pub mod net_tcp;
pub mod proc_stat;
pub mod process;
pub mod statfs;

/// Reads a `/proc` file; `None` where it does not exist (not Linux, or hidden by a sandbox).
///
/// The kernel writes names as raw bytes (an interface, a mount point, a process may be named
/// with bytes that are not UTF-8): such bytes become U+FFFD in that one name, so one odd
/// name never hides the rest of the file. [`has_replacement`] tells a name that was mended.
pub fn read(path: &str) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// True when `name` holds a byte that was not UTF-8 in the kernel's text (U+FFFD).
pub fn has_replacement(name: &str) -> bool {
    name.contains(char::REPLACEMENT_CHARACTER)
}

/// Kernel clock ticks per second (`USER_HZ`) for `/proc/stat` counters.
pub fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

#[cfg(test)]
mod kernel_lines;
