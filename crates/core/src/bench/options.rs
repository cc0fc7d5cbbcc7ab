//! Reading option objects that arrive from JS as JSON. Every accessor checks one key and
//! names `<prefix>.<key>`, the value given and what is accepted when it refuses, so the
//! caller's error reads like `storage.blockSize: got 1000 (accepted: …)`.

use serde_json::{Map, Value};

use super::{BenchError, BenchResult};

/// One JS option object and its path, e.g. `storage`.
#[derive(Debug, Clone, Copy)]
pub struct Obj<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

/// The value as JSON text, for messages.
pub fn show(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "?".into())
}

impl<'a> Obj<'a> {
    /// Wraps `value`, which must be an object.
    pub fn new(value: &'a Value, prefix: &'a str) -> BenchResult<Obj<'a>> {
        match value {
            Value::Object(map) => Ok(Obj { map, prefix }),
            other => Err(BenchError::kind(prefix, show(other), "an object")),
        }
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.prefix)
    }

    /// The value of `key` unless absent or `undefined`/`null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Refuses keys outside `known` (a typo would otherwise be ignored silently).
    pub fn only(&self, known: &[&str]) -> BenchResult<()> {
        for key in self.map.keys() {
            if !known.contains(&key.as_str()) {
                return Err(BenchError::kind(
                    &self.field(key),
                    "an unknown option",
                    format!("one of {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int(&self, key: &str, default: u64, min: u64, max: u64) -> BenchResult<u64> {
        Ok(self.opt_int(key, min, max)?.unwrap_or(default))
    }

    /// An integer in `min..=max`, if present.
    pub fn opt_int(&self, key: &str, min: u64, max: u64) -> BenchResult<Option<u64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let accepted = format!("an integer from {min} to {max}");
        let n = v
            .as_f64()
            .ok_or_else(|| BenchError::kind(&self.field(key), show(v), &accepted))?;
        if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
            return Err(BenchError::range(&self.field(key), show(v), accepted));
        }
        Ok(Some(n as u64))
    }

    /// A number in `min..=max`, if present.
    pub fn opt_num(&self, key: &str, min: f64, max: f64) -> BenchResult<Option<f64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let accepted = format!("a number from {min} to {max}");
        let n = v
            .as_f64()
            .ok_or_else(|| BenchError::kind(&self.field(key), show(v), &accepted))?;
        if !(min..=max).contains(&n) {
            return Err(BenchError::range(&self.field(key), show(v), accepted));
        }
        Ok(Some(n))
    }

    /// A boolean, or `default` when absent.
    pub fn bool(&self, key: &str, default: bool) -> BenchResult<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(BenchError::kind(&self.field(key), show(v), "true or false")),
        }
    }

    /// A non-empty string, if present.
    pub fn string(&self, key: &str) -> BenchResult<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(v) => Err(BenchError::kind(
                &self.field(key),
                show(v),
                "a non-empty string",
            )),
        }
    }

    /// One of `choices`, if present.
    pub fn choice(&self, key: &str, choices: &[&'static str]) -> BenchResult<Option<&'static str>> {
        let accepted = || {
            let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
            format!("one of {}", quoted.join(", "))
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => choices
                .iter()
                .find(|c| **c == s.as_str())
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    BenchError::range(
                        &self.field(key),
                        show(&Value::String(s.clone())),
                        accepted(),
                    )
                }),
            Some(v) => Err(BenchError::kind(&self.field(key), show(v), accepted())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_name_field_value_and_accepted() {
        let v = json!({ "blockSize": 1000.5, "pattern": "sideways", "direct": 1, "x": 1 });
        let o = Obj::new(&v, "storage").unwrap();
        let e = o.int("blockSize", 4096, 512, 1 << 26).unwrap_err();
        assert_eq!(e.js_kind(), "RangeError");
        assert_eq!(
            e.to_string(),
            "storage.blockSize: got 1000.5 (accepted: an integer from 512 to 67108864)"
        );
        let e = o.choice("pattern", &["read", "write"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "storage.pattern: got \"sideways\" (accepted: one of 'read', 'write')"
        );
        assert_eq!(o.bool("direct", true).unwrap_err().js_kind(), "TypeError");
        let e = o.only(&["blockSize", "pattern", "direct"]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("storage.x: got an unknown option"),
            "{e}"
        );
        assert!(Obj::new(&json!(3), "network").is_err());
    }
}
