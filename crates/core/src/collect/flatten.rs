//! Samples (nested JSON, api-spec §9.2) ↔ series of the history store.
//!
//! [`flatten`] walks a collector's sample: every numeric leaf becomes one point, stored
//! under the name the series table ([`super::series`]) gives its path. Arrays of objects
//! keep their identifying string fields as labels, and the walked path lists those label
//! names in brackets (`system.disks[device].readBytesPerSec` labelled `device="vda"`,
//! `system.cpu.loadAverage[index]` labelled `index="0"`), which is how the table names the
//! leaf. `null` leaves are stored as NaN (a gap, distinct from 0) and come back as `null`;
//! strings other than identifying fields and booleans are not stored.
//!
//! [`insert`] is the way back: it puts a point into a sample object at its sample path
//! ([`super::series::public_key`] gives the path of a stored series).

use serde_json::{Map, Value};

use super::series::stored_key;

/// A series name and its labels (sorted by name).
pub type SeriesRef = (String, Vec<(String, String)>);

/// Flattens one collector's sample into `(series, value)` points.
pub fn flatten(collector: &str, sample: &Value) -> Vec<(SeriesRef, f64)> {
    let mut out = Vec::new();
    walk(collector, sample, &mut Vec::new(), &mut out);
    out
}

fn walk(
    path: &str,
    v: &Value,
    labels: &mut Vec<(String, String)>,
    out: &mut Vec<(SeriesRef, f64)>,
) {
    match v {
        Value::Number(n) => out.push((
            stored_key(path, sorted(labels)),
            n.as_f64().unwrap_or(f64::NAN),
        )),
        Value::Null => out.push((stored_key(path, sorted(labels)), f64::NAN)),
        Value::Object(m) => {
            for (k, child) in m {
                if k == "timestamp" {
                    continue;
                }
                walk(&format!("{path}.{k}"), child, labels, out);
            }
        }
        Value::Array(items) => {
            let all_scalar = items.iter().all(|i| i.is_number() || i.is_null());
            for (i, item) in items.iter().enumerate() {
                let mut keys: Vec<(String, String)> = match item {
                    Value::Object(m) if !all_scalar => m
                        .iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                        .collect(),
                    _ => Vec::new(),
                };
                if keys.is_empty() {
                    keys.push(("index".into(), i.to_string()));
                }
                let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
                let child_path = format!("{path}[{}]", names.join(","));
                let depth = labels.len();
                labels.extend(keys.iter().cloned());
                match item {
                    Value::Object(m) => {
                        for (k, child) in m {
                            if !child.is_string() {
                                walk(&format!("{child_path}.{k}"), child, labels, out);
                            }
                        }
                    }
                    other => walk(&child_path, other, labels, out),
                }
                labels.truncate(depth);
            }
        }
        Value::Bool(_) | Value::String(_) => {}
    }
}

fn sorted(labels: &[(String, String)]) -> Vec<(String, String)> {
    let mut l = labels.to_vec();
    l.sort();
    l
}

/// A sample path without its bracketed label lists (`system.disks.readBytesPerSec`), which
/// is how users name a metric in queries.
pub fn plain_name(series: &str) -> String {
    let mut out = String::with_capacity(series.len());
    let mut depth = 0;
    for c in series.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Puts one point back into a sample object (`root` is the `collectors` map) at its sample
/// path (`series`, with bracketed label names) and labels. The inverse of [`flatten`] once
/// the stored name is turned back into its path by [`super::series::public_key`].
pub fn insert(
    root: &mut Map<String, Value>,
    series: &str,
    labels: &[(String, String)],
    value: f64,
) {
    let v = if value.is_finite() {
        serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number)
    } else {
        Value::Null
    };
    let segments: Vec<&str> = series.split('.').collect();
    let mut cur: &mut Map<String, Value> = root;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let (key, label_keys) = match seg.split_once('[') {
            Some((k, rest)) => (k, Some(rest.trim_end_matches(']'))),
            None => (*seg, None),
        };
        match label_keys {
            None if last => {
                cur.insert(key.to_owned(), v);
                return;
            }
            None => {
                let next = cur
                    .entry(key.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                cur = next.as_object_mut().expect("made an object above");
            }
            Some("index") if last => {
                let idx: usize = label(labels, "index")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let arr = array_at(cur, key);
                if arr.len() <= idx {
                    arr.resize(idx + 1, Value::Null);
                }
                arr[idx] = v;
                return;
            }
            Some(keys) => {
                let keys: Vec<&str> = keys.split(',').collect();
                let wanted: Vec<(&str, &str)> = keys
                    .iter()
                    .map(|k| (*k, label(labels, k).unwrap_or("")))
                    .collect();
                let arr = array_at(cur, key);
                let pos = arr.iter().position(|e| {
                    wanted
                        .iter()
                        .all(|(k, val)| e.get(*k).and_then(Value::as_str) == Some(*val))
                });
                let pos = pos.unwrap_or_else(|| {
                    let mut m = Map::new();
                    for (k, val) in &wanted {
                        if *k != "index" {
                            m.insert((*k).to_owned(), Value::String((*val).to_owned()));
                        }
                    }
                    arr.push(Value::Object(m));
                    arr.len() - 1
                });
                cur = arr[pos]
                    .as_object_mut()
                    .expect("array elements are objects");
                if last {
                    return;
                }
            }
        }
    }
}

fn label<'a>(labels: &'a [(String, String)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn array_at<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let slot = m
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut().expect("made an array above")
}

#[cfg(test)]
mod tests {
    use super::super::series::public_key;
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_of_a_nested_sample() {
        let sample = json!({
            "cpu": { "usage": 12.5, "loadAverage": [0.5, 0.25, null], "perCore": [
                { "cpu": "0", "usage": 10.0 }, { "cpu": "1", "usage": null } ] },
            "disks": [{ "device": "vda", "readIops": 3.0 }],
            "gpu": { "status": "available", "devices": [
                { "gpu": "0", "uuid": "GPU-x", "memoryUsed": 5.0, "processes": [{ "pid": "42", "memoryUsed": 1.0 }] } ] },
            "platform": "linux",
        });
        let points = flatten("system", &sample);
        let names: Vec<&str> = points.iter().map(|((n, _), _)| n.as_str()).collect();
        // Stored under the series table's names, not the sample's paths.
        assert!(names.contains(&"system.cpu.usage_percent"));
        assert!(names.contains(&"system.cpu.load_average"));
        assert!(names.contains(&"system.cpu.core.usage_percent"));
        assert!(names.contains(&"system.gpu.process.memory_used_bytes"));
        let publics: Vec<String> = points
            .iter()
            .map(|((n, l), _)| public_key(n, l).0)
            .collect();
        assert!(publics.contains(&"system.cpu.usage".to_owned()));
        assert!(publics.contains(&"system.cpu.loadAverage[index]".to_owned()));
        assert!(publics.contains(&"system.cpu.perCore[cpu].usage".to_owned()));
        assert!(
            publics.contains(&"system.gpu.devices[gpu,uuid].processes[pid].memoryUsed".to_owned())
        );
        assert_eq!(
            plain_name("system.gpu.devices[gpu,uuid].processes[pid].memoryUsed"),
            "system.gpu.devices.processes.memoryUsed"
        );

        let mut root = Map::new();
        for ((name, labels), v) in &points {
            let (path, labels) = public_key(name, labels);
            insert(&mut root, &path, &labels, *v);
        }
        let mut expected = sample.clone();
        // Strings other than identifying fields are not stored.
        expected.as_object_mut().unwrap().remove("platform");
        expected["gpu"].as_object_mut().unwrap().remove("status");
        assert_eq!(root["system"], expected);
    }
}
