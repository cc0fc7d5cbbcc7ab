//! Pins the JSON shape of the collector's samples: the key paths of a real tick's sample
//! (arrays described by their first element) and the JSON type at each. The typed readings
//! serialize at the edge; this test proves that the edge still writes what JS and the
//! stored series names were built on.

use serde_json::Value;

/// `path: type` for every leaf and container under `v`, sorted.
fn shape(v: &Value) -> Vec<String> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<String>) {
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        out.push(format!("{prefix}: {kind}"));
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(&format!("{prefix}.{k}"), x, out);
                }
            }
            Value::Array(a) => {
                if let Some(x) = a.first() {
                    walk(&format!("{prefix}[]"), x, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", v, &mut out);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::{Collector, CollectorConfig};
    use crate::events::EventBus;
    use serde_json::json;

    /// Paths whose JSON type depends on the machine or on the tick (a first reading's rates
    /// are null, a later one's numbers; a sandbox may hide a file): only their presence is
    /// pinned.
    fn loose(line: &str) -> String {
        line.replace(": null", ": number")
            .replace(": bool", ": number")
    }

    #[test]
    fn system_and_application_samples_keep_their_keys() {
        let config =
            CollectorConfig::from_json(&json!({ "gpu": false, "enableHistorical": false }))
                .unwrap();
        let (bus, _rx) = EventBus::new();
        let c = Collector::new(config, bus).unwrap();
        c.tick_now();
        let sample = c.tick_now();
        let mut got: Vec<String> = shape(&sample)
            .iter()
            .filter(|l| {
                l.starts_with(".collectors.system")
                    || l.starts_with(".collectors.application")
                    || l.starts_with(".collectors.network")
            })
            .map(|l| loose(l))
            .collect();
        got.dedup();
        let want: Vec<String> = include_str!("sample_shape.txt")
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(got, want, "\n{}", got.join("\n"));
    }
}
