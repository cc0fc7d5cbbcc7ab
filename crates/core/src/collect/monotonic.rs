//! Exported counters never go backwards.
//!
//! The kernel's counters are not always monotonic: a `/proc/stat` CPU mode can read a few
//! ticks lower than a moment before (iowait is computed per idle period and is known to go
//! back), and summed counters can lose a member. Prometheus reads any decrease of a counter
//! as a reset, so `rate()` would see the whole counter again as new traffic. The
//! [`CounterGuard`] therefore holds the last exported value of every counter series while
//! its source reads lower, as node_exporter does for CPU times.
//!
//! A real reset is a series that went away and came back: an interface deleted and created
//! again, a CPU taken offline (its `cpuN` line leaves `/proc/stat`) and back online. A series
//! absent from a reading is forgotten, so when it returns its value is taken as read.

use std::collections::HashMap;

use crate::prometheus::{Family, MetricKind};

type Key = (String, Vec<(String, String)>);

/// The last exported value of every counter series of one source.
#[derive(Debug, Default)]
pub struct CounterGuard {
    held: HashMap<Key, f64>,
}

impl CounterGuard {
    /// Raises every counter sample of `families` that reads lower than its last exported
    /// value back to that value, and remembers this reading's values. Gauges pass unchanged.
    /// Returns how many samples were held.
    pub fn apply(&mut self, families: &mut [Family]) -> usize {
        let mut next = HashMap::with_capacity(self.held.len());
        let mut held = 0;
        for f in families.iter_mut() {
            if f.kind != MetricKind::Counter {
                continue;
            }
            for (labels, value) in f.samples.iter_mut() {
                let key = (f.name.clone(), labels.clone());
                if let Some(last) = self.held.get(&key) {
                    // NaN never compares lower, so it passes through as read.
                    if *value < *last {
                        *value = *last;
                        held += 1;
                    }
                }
                next.insert(key, *value);
            }
        }
        self.held = next;
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::system::cpu;
    use crate::host::proc_stat;

    fn iowait(families: &[Family], cpu: &str) -> Option<f64> {
        families
            .iter()
            .filter(|f| f.name == "node_cpu_seconds_total")
            .flat_map(|f| &f.samples)
            .find(|(l, _)| {
                l.contains(&("cpu".into(), cpu.into()))
                    && l.contains(&("mode".into(), "iowait".into()))
            })
            .map(|(_, v)| *v)
    }

    /// cpu0 iowait reading 300, 290, 300 ticks exports 3, 3, 3 seconds (not 3, 2.9, 3).
    #[test]
    fn a_cpu_mode_that_reads_lower_is_held() {
        let mut guard = CounterGuard::default();
        let mut out = Vec::new();
        for ticks in [300, 290, 300] {
            let text = format!("cpu  1 0 1 10 {ticks} 0 0 0\ncpu0 1 0 1 10 {ticks} 0 0 0\n");
            let stat = proc_stat::parse(&text);
            let mut fams = Vec::new();
            cpu::read(&stat, None, None, 100.0, &mut fams);
            guard.apply(&mut fams);
            out.push(iowait(&fams, "0").unwrap());
        }
        assert_eq!(out, [3.0, 3.0, 3.0]);
    }

    /// Every counter family, not only CPU: a held value stays held until the source passes
    /// it; gauges pass unchanged; a series that went away and came back starts afresh.
    #[test]
    fn every_counter_family_and_real_resets() {
        let fam = |kind, v: f64| {
            vec![Family::new("node_network_receive_bytes_total", kind, "h")
                .with(&[("device", "eth0")], v)]
        };
        let mut g = CounterGuard::default();
        let mut run = |kind, v| {
            let mut f = fam(kind, v);
            g.apply(&mut f);
            f[0].samples[0].1
        };
        assert_eq!(run(MetricKind::Counter, 100.0), 100.0);
        assert_eq!(run(MetricKind::Counter, 90.0), 100.0);
        assert_eq!(run(MetricKind::Counter, 95.0), 100.0);
        assert_eq!(run(MetricKind::Counter, 120.0), 120.0);
        let mut g = CounterGuard::default();
        let mut gauge = fam(MetricKind::Gauge, 5.0);
        g.apply(&mut gauge);
        let mut gauge = fam(MetricKind::Gauge, 1.0);
        g.apply(&mut gauge);
        assert_eq!(gauge[0].samples[0].1, 1.0);
        // The interface is deleted (absent from one reading), then created again at 10.
        let mut g = CounterGuard::default();
        g.apply(&mut fam(MetricKind::Counter, 500.0));
        g.apply(&mut []);
        let mut again = fam(MetricKind::Counter, 10.0);
        assert_eq!(g.apply(&mut again), 0);
        assert_eq!(again[0].samples[0].1, 10.0);
    }
}
