//! `/proc/loadavg`: the three load averages, runnable threads and all threads.

/// One parsed `/proc/loadavg`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadAvg {
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Runnable threads now.
    pub running: u64,
    /// All threads on the machine.
    pub threads: u64,
}

/// Parses `/proc/loadavg`.
pub fn parse(text: &str) -> Option<LoadAvg> {
    let f: Vec<&str> = text.split_whitespace().collect();
    let load = [f.first()?, f.get(1)?, f.get(2)?].map(|x| x.parse::<f64>().unwrap_or(f64::NAN));
    let (running, total) = f.get(3)?.split_once('/')?;
    Some(LoadAvg {
        load,
        running: running.parse().ok()?,
        threads: total.parse().ok()?,
    })
}

/// Reads and parses `/proc/loadavg`.
pub fn read() -> Option<LoadAvg> {
    super::read("/proc/loadavg").and_then(|t| parse(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadavg_fields() {
        let l = parse("0.96 0.55 0.22 1/140 7935\n").unwrap();
        assert_eq!((l.load, l.running, l.threads), ([0.96, 0.55, 0.22], 1, 140));
        assert!(parse("0.1 0.2").is_none());
    }
}
