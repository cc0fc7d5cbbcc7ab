//! The profile schema. A profile is an object with the five sections `framework`,
//! `benchmarks`, `optimizers`, `monitoring` and `alerts` (plus optional `description` and
//! `optimizedFor`). Known keys are type- and range-checked; unknown keys inside a section
//! are kept, because components receive their whole section and user code may read its own
//! keys. The first violation is reported with its dotted path, the value and what is accepted.

use serde_json::{Map, Value};

use super::ProfileError;

/// The sections every profile has.
pub const SECTIONS: [&str; 5] = [
    "framework",
    "benchmarks",
    "optimizers",
    "monitoring",
    "alerts",
];

/// Values `aggressiveness` accepts.
pub const AGGRESSIVENESS: [&str; 3] = ["conservative", "moderate", "aggressive"];

#[derive(Clone, Copy)]
enum Rule {
    /// Finite number > 0 (or ≥ the given minimum).
    PositiveNumber(f64),
    /// A period in ms ≥ the given minimum that a timer can hold (≤ [`MAX_TIMER_MS`]).
    Millis(f64),
    /// Integer ≥ 1.
    PositiveInt,
    /// Number in (0, 1].
    Fraction,
    /// Integer in 0..=9.
    CompressionLevel,
    Bool,
    Aggressiveness,
    IntList,
    StringList,
}

/// Known keys of each section (a `*` sub-section applies to every sub-section).
const RULES: &[(&str, Rule)] = &[
    ("framework.metricsRetention", Rule::PositiveNumber(1.0)),
    ("framework.samplingInterval", Rule::Millis(100.0)),
    ("framework.benchmarkTimeout", Rule::Millis(1.0)),
    ("framework.maxConcurrency", Rule::PositiveInt),
    ("framework.enableDetailedLogging", Rule::Bool),
    ("framework.enableDebugMode", Rule::Bool),
    ("framework.compressionEnabled", Rule::Bool),
    ("benchmarks.*.samples", Rule::PositiveInt),
    ("benchmarks.*.concurrencyLevels", Rule::IntList),
    ("optimizers.*.aggressiveness", Rule::Aggressiveness),
    ("optimizers.cache.targetHitRatio", Rule::Fraction),
    ("optimizers.memory.gcThreshold", Rule::Fraction),
    ("optimizers.cpu.targetUtilization", Rule::Fraction),
    ("optimizers.*.safetyMargin", Rule::Fraction),
    (
        "optimizers.network.targetBandwidth",
        Rule::PositiveNumber(f64::MIN_POSITIVE),
    ),
    (
        "optimizers.network.compressionLevel",
        Rule::CompressionLevel,
    ),
    (
        "optimizers.storage.targetIOPS",
        Rule::PositiveNumber(f64::MIN_POSITIVE),
    ),
    ("monitoring.updateInterval", Rule::Millis(100.0)),
    ("monitoring.maxDataPoints", Rule::PositiveInt),
    ("monitoring.enableRealtime", Rule::Bool),
    ("monitoring.enableHistorical", Rule::Bool),
    ("monitoring.enableAggregation", Rule::Bool),
    ("alerts.enabled", Rule::Bool),
    ("alerts.escalation.enabled", Rule::Bool),
    ("alerts.escalation.levels", Rule::StringList),
];

/// Keys that would set or shadow a prototype when the value is rebuilt as a JS object
/// (`obj["__proto__"] = v` sets the prototype). They are refused in every profile and
/// dropped by [`super::merge::deep_merge`].
pub const FORBIDDEN_KEYS: [&str; 3] = ["__proto__", "constructor", "prototype"];

/// True for a key of [`FORBIDDEN_KEYS`].
pub fn is_forbidden_key(key: &str) -> bool {
    FORBIDDEN_KEYS.contains(&key)
}

/// The dotted path of the first forbidden key anywhere in `v` (arrays included).
pub fn forbidden_key(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m.iter().find_map(|(k, child)| {
            if is_forbidden_key(k) {
                Some(k.clone())
            } else {
                forbidden_key(child).map(|p| format!("{k}.{p}"))
            }
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, child)| forbidden_key(child).map(|p| format!("{i}.{p}"))),
        _ => None,
    }
}

/// Longest period a JS timer holds (setTimeout clamps larger values to 1 ms): a profile
/// with a longer interval or timeout could be saved but never applied.
pub const MAX_TIMER_MS: f64 = 2_147_483_647.0;

/// Validates a whole profile configuration.
pub fn validate(profile: &str, config: &Value) -> Result<(), ProfileError> {
    let invalid = |path: &str, got: &Value, accepted: &str| ProfileError::Invalid {
        profile: super::preview_str(profile),
        path: path.to_owned(),
        got: preview(got),
        accepted: accepted.to_owned(),
    };
    if let Some(path) = forbidden_key(config) {
        return Err(invalid(
            &path,
            &Value::String(path.rsplit('.').next().unwrap_or_default().to_owned()),
            "keys other than __proto__, constructor and prototype",
        ));
    }
    let Some(root) = config.as_object() else {
        return Err(invalid(
            "(configuration)",
            config,
            "an object with sections framework, benchmarks, optimizers, monitoring, alerts",
        ));
    };
    for (key, value) in root {
        match key.as_str() {
            k if SECTIONS.contains(&k) => {
                if !value.is_object() {
                    return Err(invalid(k, value, "an object"));
                }
            }
            "description" if value.is_string() => {}
            "optimizedFor" if is_list(value, Value::is_string) => {}
            "description" | "optimizedFor" => {
                return Err(invalid(key, value, "a string (description) or a list of strings (optimizedFor)"))
            }
            _ => {
                return Err(invalid(key, value, "the sections framework, benchmarks, optimizers, monitoring, alerts, description, optimizedFor"))
            }
        }
    }
    if let Some(missing) = SECTIONS.iter().find(|s| !root.contains_key(**s)) {
        return Err(invalid(
            missing,
            &Value::Null,
            "an object (every profile has all five sections)",
        ));
    }
    if let Some(thresholds) = config.pointer("/alerts/thresholds") {
        let Some(map) = thresholds.as_object() else {
            return Err(invalid(
                "alerts.thresholds",
                thresholds,
                "an object of numbers",
            ));
        };
        if let Some((k, v)) = map
            .iter()
            .find(|(_, v)| !v.as_f64().is_some_and(|x| x.is_finite() && x >= 0.0))
        {
            return Err(invalid(
                &format!("alerts.thresholds.{k}"),
                v,
                "a number >= 0",
            ));
        }
    }
    for (pattern, rule) in RULES {
        for (path, value) in matches(root, pattern) {
            if let Err(accepted) = check(*rule, value) {
                return Err(invalid(&path, value, &accepted));
            }
        }
    }
    Ok(())
}

/// Every `(dotted path, value)` in `root` matching `pattern` (`*` matches one key).
fn matches<'a>(root: &'a Map<String, Value>, pattern: &str) -> Vec<(String, &'a Value)> {
    let mut found: Vec<(String, &'a Value)> = Vec::new();
    let mut current: Vec<(String, &'a Map<String, Value>)> = vec![(String::new(), root)];
    let parts: Vec<&str> = pattern.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        let mut next = Vec::new();
        for (prefix, map) in &current {
            let keys: Vec<&String> = if *part == "*" {
                map.keys().collect()
            } else {
                map.keys().filter(|k| k == part).collect()
            };
            for k in keys {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                let v = &map[k];
                if last {
                    found.push((path, v));
                } else if let Some(m) = v.as_object() {
                    next.push((path, m));
                }
            }
        }
        current = next;
    }
    found
}

/// `v` as JSON, cut to a short preview (a hostile value of megabytes is not echoed).
fn preview(v: &Value) -> String {
    match v.as_f64() {
        // As JS prints it: a whole double is written without ".0".
        Some(f) if v.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        _ => super::preview_str(&v.to_string()),
    }
}

fn is_list(v: &Value, item: fn(&Value) -> bool) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(item))
}

fn check(rule: Rule, v: &Value) -> Result<(), String> {
    let num = v.as_f64().filter(|x| x.is_finite());
    let ok = match rule {
        Rule::PositiveNumber(min) => num.is_some_and(|x| x >= min),
        Rule::Millis(min) => num.is_some_and(|x| x >= min && x <= MAX_TIMER_MS),
        Rule::PositiveInt => v.as_u64().is_some_and(|x| x >= 1),
        Rule::Fraction => num.is_some_and(|x| x > 0.0 && x <= 1.0),
        Rule::CompressionLevel => v.as_u64().is_some_and(|x| x <= 9),
        Rule::Bool => v.is_boolean(),
        Rule::Aggressiveness => v.as_str().is_some_and(|s| AGGRESSIVENESS.contains(&s)),
        Rule::IntList => is_list(v, |x| x.as_u64().is_some_and(|n| n >= 1)),
        Rule::StringList => is_list(v, Value::is_string),
    };
    if ok {
        return Ok(());
    }
    Err(match rule {
        Rule::Millis(_) if num.is_some_and(|x| x > MAX_TIMER_MS) => {
            format!("a number <= {MAX_TIMER_MS} (ms, the longest timer)")
        }
        Rule::PositiveNumber(min) | Rule::Millis(min) if min >= 1.0 => format!("a number >= {min}"),
        Rule::PositiveNumber(_) | Rule::Millis(_) => "a number > 0".into(),
        Rule::PositiveInt => "a number, an integer >= 1".into(),
        Rule::Fraction => "a number in (0, 1]".into(),
        Rule::CompressionLevel => "a number, an integer from 0 to 9".into(),
        Rule::Bool => "true or false".into(),
        Rule::Aggressiveness => r#""conservative", "moderate" or "aggressive""#.into(),
        Rule::IntList => "a list of integers >= 1".into(),
        Rule::StringList => "a list of strings".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profiles::builtin::find;
    use serde_json::json;

    fn with(patch: Value) -> Result<(), ProfileError> {
        let base = find("production").unwrap().config();
        validate("p", &crate::profiles::merge::deep_merge(&base, &patch))
    }

    #[test]
    fn each_rule_names_path_value_and_accepted() {
        let e = with(json!({"optimizers": {"cache": {"aggressiveness": "extreme"}}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"profile 'p': optimizers.cache.aggressiveness: got "extreme" (accepted: "conservative", "moderate" or "aggressive")"#
        );
        let e = with(json!({"framework": {"samplingInterval": -5}})).unwrap_err();
        assert!(
            e.to_string()
                .contains("framework.samplingInterval: got -5 (accepted: a number >= 100)"),
            "{e}"
        );
        assert_eq!(e.js_kind(), "RangeError");
        let e = with(json!({"benchmarks": {"vmOperations": {"samples": "many"}}})).unwrap_err();
        assert!(
            e.to_string().contains("benchmarks.vmOperations.samples"),
            "{e}"
        );
        let e = with(json!({"alerts": {"thresholds": {"cpu": "high"}}})).unwrap_err();
        assert!(e.to_string().contains("alerts.thresholds.cpu"), "{e}");
        let e = with(json!({"framwork": {}})).unwrap_err();
        assert!(e.to_string().contains("framwork"), "{e}");
        assert!(with(json!({"framework": {"myOwnKey": "kept"}})).is_ok());
    }

    #[test]
    fn missing_section_and_non_object() {
        let e = validate("p", &json!({"framework": {}})).unwrap_err();
        assert!(e.to_string().contains("benchmarks"), "{e}");
        assert!(validate("p", &json!([1])).is_err());
    }

    #[test]
    fn prototype_keys_are_refused_and_values_previewed() {
        // Built directly: a merge would already have dropped the key.
        let mut cfg = find("production").unwrap().config();
        cfg["framework"]
            .as_object_mut()
            .unwrap()
            .insert("__proto__".into(), json!({"isAdmin": true}));
        let e = validate("p", &cfg).unwrap_err();
        assert!(e.to_string().contains("framework.__proto__"), "{e}");
        let e = validate("p", &json!({"alerts": {"constructor": 1}})).unwrap_err();
        assert!(e.to_string().contains("alerts.constructor"), "{e}");
        let e = with(json!({"framework": {"samplingInterval": 1e12}})).unwrap_err();
        assert!(
            e.to_string().contains(
                "framework.samplingInterval: got 1000000000000 (accepted: a number <= 2147483647"
            ),
            "{e}"
        );
        assert_eq!(e.js_kind(), "RangeError");
        let e = with(json!({"framework": {"samplingInterval": "x".repeat(100_000)}})).unwrap_err();
        assert!(e.to_string().len() < 400, "{}", e.to_string().len());
    }
}
