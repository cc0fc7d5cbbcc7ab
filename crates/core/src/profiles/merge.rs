//! `deepMerge(target, source)` (api-spec §12.3): recursive for objects; arrays, primitives
//! and `null` from `source` replace what `target` has. Keys that would set a prototype
//! once the result is a JS object (`__proto__`, `constructor`, `prototype`) are dropped at
//! every depth of both inputs, so no merge result carries a caller-chosen prototype.

use serde_json::{Map, Value};

use super::schema::is_forbidden_key;

/// Merges `source` into a copy of `target`.
pub fn deep_merge(target: &Value, source: &Value) -> Value {
    match (target, source) {
        (Value::Object(t), Value::Object(s)) => {
            let mut out = match strip_forbidden(&Value::Object(t.clone())) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            for (k, v) in s.iter().filter(|(k, _)| !is_forbidden_key(k)) {
                let merged = match out.get(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => strip_forbidden(v),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, s) => strip_forbidden(s),
    }
}

/// A copy of `v` without forbidden keys at any depth.
pub fn strip_forbidden(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !is_forbidden_key(k))
                .map(|(k, v)| (k.clone(), strip_forbidden(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_forbidden).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_merge_and_the_rest_replaces() {
        let t = json!({"framework": {"a": 1, "b": 2}, "list": [1, 2], "x": {"y": 1}});
        let s = json!({"framework": {"b": 3}, "list": [9], "x": null, "new": true});
        assert_eq!(
            deep_merge(&t, &s),
            json!({"framework": {"a": 1, "b": 3}, "list": [9], "x": null, "new": true})
        );
    }

    #[test]
    fn prototype_keys_are_dropped_at_every_depth() {
        let s: Value = serde_json::from_str(
            r#"{"framework":{"__proto__":{"isAdmin":true}},"constructor":1,"l":[{"prototype":2}]}"#,
        )
        .unwrap();
        let out = deep_merge(&json!({"framework": {}}), &s);
        assert_eq!(out, json!({"framework": {}, "l": [{}]}));
        let t: Value = serde_json::from_str(r#"{"a":{"__proto__":{"x":1}}}"#).unwrap();
        assert_eq!(deep_merge(&t, &json!({"b": 1})), json!({"a": {}, "b": 1}));
    }
}
