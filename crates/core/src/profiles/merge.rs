//! `deepMerge(target, source)` (api-spec §12.3): recursive for objects; arrays, primitives
//! and `null` from `source` replace what `target` has.

use serde_json::Value;

/// Merges `source` into a copy of `target`.
pub fn deep_merge(target: &Value, source: &Value) -> Value {
    match (target, source) {
        (Value::Object(t), Value::Object(s)) => {
            let mut out = t.clone();
            for (k, v) in s {
                let merged = match out.get(k) {
                    Some(existing) => deep_merge(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (_, s) => s.clone(),
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
}
