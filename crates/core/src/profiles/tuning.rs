//! `ProfileOptimizer` (api-spec §12.4): workload flags that adjust a copy of a profile.
//! The arithmetic is the original's IEEE double arithmetic, so results are bit-compatible
//! (testing's cpu 0.7 + 0.1 gives 0.7999999999999999, as in the original). Sections a flag
//! needs are created when missing instead of throwing a TypeError as the original did.

use serde_json::{json, Map, Value};

use super::ProfileError;

/// The workload flags `optimizeProfile` accepts.
pub const FLAGS: [&str; 5] = [
    "cpuIntensive",
    "memoryIntensive",
    "ioIntensive",
    "networkIntensive",
    "mlWorkload",
];

/// Checks `workload`: an object whose keys are [`FLAGS`] with boolean values.
pub fn validate_workload(workload: &Value) -> Result<(), ProfileError> {
    let Some(map) = workload.as_object() else {
        return Err(ProfileError::WorkloadFlag {
            flag: "(object)".into(),
            got: super::preview_str(&workload.to_string()),
        });
    };
    match map
        .iter()
        .find(|(k, v)| !FLAGS.contains(&k.as_str()) || !v.is_boolean())
    {
        Some((k, v)) => Err(ProfileError::WorkloadFlag {
            flag: super::preview_str(k),
            got: super::preview_str(&v.to_string()),
        }),
        None => Ok(()),
    }
}

/// Returns `config` tuned for `workload`; `cpus` is the machine's logical CPU count.
pub fn optimize(config: &Value, workload: &Value, cpus: usize) -> Result<Value, ProfileError> {
    validate_workload(workload)?;
    if !config.is_object() {
        return Err(ProfileError::NotAnObject {
            field: "config".into(),
            got: super::preview_str(&config.to_string()),
        });
    }
    let mut c = config.clone();
    let on = |flag: &str| workload.get(flag) == Some(&Value::Bool(true));
    if on("cpuIntensive") {
        let cpu = section(&mut c, &["optimizers", "cpu"]);
        let t = num(cpu, "targetUtilization").unwrap_or(0.7);
        cpu.insert("targetUtilization".into(), json!((t + 0.1).min(0.9)));
        let fw = section(&mut c, &["framework"]);
        let mc = num(fw, "maxConcurrency").unwrap_or(0.0);
        fw.insert("maxConcurrency".into(), json!(mc.max(cpus as f64) as u64));
    }
    if on("memoryIntensive") {
        let mem = section(&mut c, &["optimizers", "memory"]);
        let g = num(mem, "gcThreshold").unwrap_or(0.7);
        mem.insert("gcThreshold".into(), json!((g + 0.1).min(0.9)));
        mem.insert("aggressiveness".into(), json!("aggressive"));
    }
    if on("ioIntensive") {
        let st = section(&mut c, &["optimizers", "storage"]);
        let iops = num(st, "targetIOPS").unwrap_or(1000.0);
        st.insert("targetIOPS".into(), json!(iops.max(5000.0)));
        let cache = section(&mut c, &["optimizers", "cache"]);
        let h = num(cache, "targetHitRatio").unwrap_or(0.8);
        cache.insert("targetHitRatio".into(), json!((h + 0.1).min(0.95)));
    }
    if on("networkIntensive") {
        let net = section(&mut c, &["optimizers", "network"]);
        let bw = num(net, "targetBandwidth").unwrap_or(100.0);
        net.insert("targetBandwidth".into(), json!(bw.max(1000.0)));
        let lvl = num(net, "compressionLevel").unwrap_or(1.0);
        net.insert("compressionLevel".into(), json!(lvl.max(6.0)));
    }
    if on("mlWorkload") {
        let ml = section(&mut c, &["benchmarks", "mlWorkflows"]);
        let s = num(ml, "samples").unwrap_or(10.0);
        ml.insert("samples".into(), json!(s.max(50.0)));
        let gpu = section(&mut c, &["optimizers", "gpu"]);
        gpu.insert("memoryOptimization".into(), json!(true));
        gpu.insert("batchSizeOptimization".into(), json!(true));
    }
    Ok(normalise_integers(c))
}

/// JS `value || default`: a missing, non-numeric or zero value falls back.
fn num(map: &Map<String, Value>, key: &str) -> Option<f64> {
    map.get(key).and_then(Value::as_f64).filter(|x| *x != 0.0)
}

/// The object at `path`, created (replacing a non-object) when missing.
fn section<'a>(c: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let mut cur = object(c);
    for key in path {
        cur = object(cur.entry(key.to_string()).or_insert_with(|| json!({})));
    }
    cur
}

/// `v` as an object, replacing a non-object by `{}` (no panic whatever the input holds).
fn object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        // Just made an object above.
        _ => unreachable!("replaced by an object above"),
    }
}

/// `json!(5000.0)` is a float; JS has one number type, so whole values become integers again
/// (schema rules for integers read `as_u64`).
fn normalise_integers(v: Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9e15 => json!(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(normalise_integers).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalise_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::builtin::find;

    #[test]
    fn readme_example_production_cpu_and_ml() {
        let p = find("production").unwrap().config();
        let o = optimize(&p, &json!({"cpuIntensive": true, "mlWorkload": true}), 2).unwrap();
        assert_eq!(o["optimizers"]["cpu"]["targetUtilization"], 0.9);
        assert_eq!(o["framework"]["maxConcurrency"], 8);
        assert_eq!(o["benchmarks"]["mlWorkflows"]["samples"], 50);
        assert_eq!(
            o["optimizers"]["gpu"],
            json!({"memoryOptimization": true, "batchSizeOptimization": true})
        );
        assert_eq!(
            o["optimizers"]["cpu"]["safetyMargin"], 0.2,
            "other keys kept"
        );
        let o = optimize(&p, &json!({"cpuIntensive": true}), 32).unwrap();
        assert_eq!(o["framework"]["maxConcurrency"], 32);
    }

    #[test]
    fn ieee_arithmetic_and_missing_sections() {
        let t = find("testing").unwrap().config();
        let o = optimize(
            &t,
            &json!({"cpuIntensive": true, "ioIntensive": true, "networkIntensive": true}),
            2,
        )
        .unwrap();
        assert_eq!(
            o["optimizers"]["cpu"]["targetUtilization"],
            0.7999999999999999
        );
        assert_eq!(o["optimizers"]["storage"]["targetIOPS"], 5000);
        assert_eq!(o["optimizers"]["cache"]["targetHitRatio"], 0.9);
        assert_eq!(
            o["optimizers"]["network"],
            json!({"targetBandwidth": 1000, "compressionLevel": 6})
        );
        let m = optimize(&t, &json!({"memoryIntensive": true}), 2).unwrap();
        assert_eq!(m["optimizers"]["memory"]["gcThreshold"], 0.85);
        assert_eq!(m["optimizers"]["memory"]["aggressiveness"], "aggressive");
    }

    #[test]
    fn unknown_or_non_boolean_flags_are_refused() {
        let p = find("production").unwrap().config();
        let e = optimize(&p, &json!({"gpuHeavy": true}), 2).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("workloadCharacteristics.gpuHeavy: got true"),
            "{e}"
        );
        assert!(optimize(&p, &json!({"cpuIntensive": "yes"}), 2).is_err());
        assert!(optimize(&p, &json!(null), 2).is_err());
        for bad in [json!(null), json!(5), json!("x"), json!([1])] {
            let e = optimize(&bad, &json!({"cpuIntensive": true}), 2).unwrap_err();
            assert!(e.to_string().starts_with("config: got "), "{e}");
            assert_eq!(e.js_kind(), "TypeError");
        }
    }
}
