//! The machine's identity and age: `/proc/uptime`, the CPU model from `/proc/cpuinfo`, the
//! kernel release from `/proc/sys/kernel/osrelease`, and the logical CPU count.

/// Seconds since boot, from the first field of `/proc/uptime`.
pub fn parse_uptime(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok()
}

/// Seconds since boot; `None` off Linux.
pub fn uptime_seconds() -> Option<f64> {
    super::read("/proc/uptime").and_then(|t| parse_uptime(&t))
}

/// The first `model name` of `/proc/cpuinfo` (x86), else its `Model`/`cpu model` (ARM,
/// MIPS); `None` when the file names none.
pub fn parse_cpu_model(text: &str) -> Option<String> {
    ["model name", "Model", "cpu model"].iter().find_map(|key| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == *key && !v.trim().is_empty()).then(|| v.trim().to_owned())
        })
    })
}

/// The CPU model name; `None` when the kernel does not say.
pub fn cpu_model() -> Option<String> {
    super::read("/proc/cpuinfo").and_then(|t| parse_cpu_model(&t))
}

/// The kernel release (as `uname -r`); `None` off Linux.
pub fn kernel_release() -> Option<String> {
    super::read("/proc/sys/kernel/osrelease")
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Logical CPUs this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_and_cpu_model() {
        assert_eq!(parse_uptime("350735.47 234388.90\n"), Some(350_735.47));
        assert_eq!(
            parse_cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags : x\n").as_deref(),
            Some("AMD EPYC 7B13")
        );
        assert_eq!(parse_cpu_model("processor : 0\n"), None);
        assert!(uptime_seconds().unwrap() > 0.0);
    }
}
