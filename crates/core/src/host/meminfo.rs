//! `/proc/meminfo`: every field in file order, `kB` values converted to bytes.

/// One parsed `/proc/meminfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// `(field, value, is_bytes)` in file order; `is_bytes` marks a value that had a `kB`
    /// unit (node_exporter names those `_bytes`).
    pub fields: Vec<(String, u64, bool)>,
}

impl MemInfo {
    /// A field's value (bytes for `kB` fields).
    pub fn get(&self, key: &str) -> Option<u64> {
        self.fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| *v)
    }

    /// `MemTotal − MemAvailable`: memory in use, the one "used" figure of the whole crate.
    pub fn used(&self) -> Option<u64> {
        self.get("MemTotal")
            .zip(self.get("MemAvailable"))
            .map(|(t, a)| t.saturating_sub(a))
    }

    /// `SwapTotal − SwapFree`.
    pub fn swap_used(&self) -> Option<u64> {
        self.get("SwapTotal")
            .zip(self.get("SwapFree"))
            .map(|(t, f)| t.saturating_sub(f))
    }
}

/// Parses `/proc/meminfo`.
pub fn parse(text: &str) -> MemInfo {
    MemInfo {
        fields: text
            .lines()
            .filter_map(|line| {
                let (key, rest) = line.split_once(':')?;
                let mut f = rest.split_whitespace();
                let v: u64 = f.next()?.parse().ok()?;
                let kb = f.next() == Some("kB");
                Some((key.trim().to_owned(), if kb { v * 1024 } else { v }, kb))
            })
            .collect(),
    }
}

/// Reads and parses `/proc/meminfo` (empty off Linux).
pub fn read() -> MemInfo {
    parse(&super::read("/proc/meminfo").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_units() {
        let m =
            parse("MemTotal:       2048 kB\nHugePages_Total:       4\nMemAvailable:  1024 kB\n");
        assert_eq!(m.fields[0], ("MemTotal".into(), 2048 * 1024, true));
        assert_eq!(m.fields[1], ("HugePages_Total".into(), 4, false));
        assert_eq!(m.get("MemTotal"), Some(2_097_152));
        assert_eq!(m.used(), Some(1024 * 1024));
        assert_eq!(m.swap_used(), None);
    }
}
