//! Typed options of the built-in benchmarks. Each option struct derives `Deserialize` with
//! unknown fields refused and checks itself in `validate()`. Numbers arrive as `f64` so that
//! the range check, not the parser, judges `1000.5` or `70000` (a RangeError naming the
//! accepted range rather than a parser's TypeError).
//!
//! Each struct's [`Fields`] table is the one place its option names, limits and accepted
//! values are written: [`Fields::decode`] turns serde's refusal into the same
//! `<prefix>.<key>: got <value> (accepted: …)` message that the range checks give, so a
//! caller reads one style of error whichever step refused.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{BenchError, BenchResult};

/// What one option accepts.
#[derive(Debug, Clone, Copy)]
pub enum Accepts {
    /// An integer in `min..=max`.
    Int {
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
    /// A number in `min..=max`.
    Num {
        /// Smallest accepted.
        min: f64,
        /// Largest accepted.
        max: f64,
    },
    /// `true` or `false`.
    Bool,
    /// A non-empty string.
    Text,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An option object, or `false` to turn that part off.
    ObjectOrFalse,
}

impl Accepts {
    /// The `accepted: …` text of messages.
    pub fn describe(&self) -> String {
        match self {
            Accepts::Int { min, max } => format!("an integer from {min} to {max}"),
            Accepts::Num { min, max } => format!("a number from {min} to {max}"),
            Accepts::Bool => "true or false".into(),
            Accepts::Text => "a non-empty string".into(),
            Accepts::OneOf(choices) => {
                let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
                format!("one of {}", quoted.join(", "))
            }
            Accepts::ObjectOrFalse => "an object".into(),
        }
    }
}

/// One option: its JS name and what it accepts.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// JS (camelCase) name.
    pub key: &'static str,
    /// Accepted values.
    pub accepts: Accepts,
}

/// The option table of one option object, e.g. `storage`.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Path used in messages, e.g. `storage`.
    pub prefix: &'static str,
    /// Every accepted option.
    pub rules: &'static [Rule],
}

/// The value as JSON text, for messages.
pub fn show(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "?".into())
}

/// A number as JS prints it (`0`, not `0.0`).
pub fn show_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl Fields {
    /// `<prefix>.<key>` (just `<key>` for a top-level table with an empty prefix).
    pub fn field(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn rule(&self, key: &str) -> Accepts {
        self.rules
            .iter()
            .find(|r| r.key == key)
            .map_or(Accepts::Text, |r| r.accepts)
    }

    /// Deserialises `value` into `T`: an object whose keys are all in the table, each of
    /// the accepted type. Ranges and choices are `validate()`'s job.
    pub fn decode<T: DeserializeOwned>(&self, value: &Value) -> BenchResult<T> {
        let Value::Object(map) = value else {
            return Err(BenchError::kind(self.prefix, show(value), "an object"));
        };
        self.known_keys(map)?;
        serde_json::from_value(value.clone()).map_err(|whole| {
            // Options are a handful of keys: find the one serde refused by trying each alone.
            for (key, v) in map {
                let one = Value::Object([(key.clone(), v.clone())].into_iter().collect());
                if serde_json::from_value::<T>(one).is_err() {
                    return BenchError::kind(&self.field(key), show(v), self.rule(key).describe());
                }
            }
            BenchError::kind(self.prefix, show(value), whole.to_string())
        })
    }

    /// Refuses keys outside the table (a typo would otherwise be ignored silently).
    pub fn known_keys(&self, map: &Map<String, Value>) -> BenchResult<()> {
        for key in map.keys() {
            if !self.rules.iter().any(|r| r.key == key) {
                let known: Vec<&str> = self.rules.iter().map(|r| r.key).collect();
                return Err(BenchError::kind(
                    &self.field(key),
                    "an unknown option",
                    format!("one of {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// An integer option in its range, if present.
    pub fn int(&self, key: &str, v: Option<f64>) -> BenchResult<Option<u64>> {
        let Some(n) = v else { return Ok(None) };
        let accepts = self.rule(key);
        let Accepts::Int { min, max } = accepts else {
            return Err(BenchError::kind(
                &self.field(key),
                show_num(n),
                accepts.describe(),
            ));
        };
        if n.fract() != 0.0 || n < min as f64 || n > max as f64 {
            return Err(BenchError::range(
                &self.field(key),
                show_num(n),
                accepts.describe(),
            ));
        }
        Ok(Some(n as u64))
    }

    /// A number option in its range, if present.
    pub fn num(&self, key: &str, v: Option<f64>) -> BenchResult<Option<f64>> {
        let Some(n) = v else { return Ok(None) };
        let accepts = self.rule(key);
        let Accepts::Num { min, max } = accepts else {
            return Err(BenchError::kind(
                &self.field(key),
                show_num(n),
                accepts.describe(),
            ));
        };
        if !(min..=max).contains(&n) {
            return Err(BenchError::range(
                &self.field(key),
                show_num(n),
                accepts.describe(),
            ));
        }
        Ok(Some(n))
    }

    /// A non-empty string option, if present.
    pub fn text<'a>(&self, key: &str, v: Option<&'a str>) -> BenchResult<Option<&'a str>> {
        match v {
            Some("") => Err(BenchError::kind(
                &self.field(key),
                "\"\"",
                Accepts::Text.describe(),
            )),
            other => Ok(other),
        }
    }

    /// One of the option's choices, if present.
    pub fn choice(&self, key: &str, v: Option<&str>) -> BenchResult<Option<&'static str>> {
        let Some(s) = v else { return Ok(None) };
        let accepts = self.rule(key);
        let choices = match accepts {
            Accepts::OneOf(c) => c,
            _ => &[],
        };
        choices
            .iter()
            .find(|c| **c == s)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                BenchError::range(
                    &self.field(key),
                    show(&Value::String(s.to_owned())),
                    accepts.describe(),
                )
            })
    }
}

/// One part of a run's options: absent (defaults), turned off with `false`, or given.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Part<T> {
    /// Not given: the part's defaults, unless another part selects a single job.
    #[default]
    Absent,
    /// `false`.
    Off,
    /// Given as an object.
    On(T),
}

impl<T: DeserializeOwned> Part<T> {
    /// Reads `value` (`undefined`/`null`, `false` or an object decoded with `fields`).
    pub fn decode(value: Option<&Value>, fields: &Fields) -> BenchResult<Part<T>> {
        match value {
            None | Some(Value::Null) => Ok(Part::Absent),
            Some(Value::Bool(false)) => Ok(Part::Off),
            Some(v) => fields.decode(v).map(Part::On),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Sample {
        block_size: Option<f64>,
        pattern: Option<String>,
        direct: Option<bool>,
    }

    const FIELDS: Fields = Fields {
        prefix: "storage",
        rules: &[
            Rule {
                key: "blockSize",
                accepts: Accepts::Int {
                    min: 512,
                    max: 1 << 26,
                },
            },
            Rule {
                key: "pattern",
                accepts: Accepts::OneOf(&["read", "write"]),
            },
            Rule {
                key: "direct",
                accepts: Accepts::Bool,
            },
        ],
    };

    #[test]
    fn messages_name_field_value_and_accepted() {
        let s: Sample = FIELDS
            .decode(&json!({ "blockSize": 1000.5, "pattern": "sideways" }))
            .unwrap();
        let e = FIELDS.int("blockSize", s.block_size).unwrap_err();
        assert_eq!(e.js_kind(), "RangeError");
        assert_eq!(
            e.to_string(),
            "storage.blockSize: got 1000.5 (accepted: an integer from 512 to 67108864)"
        );
        let e = FIELDS.choice("pattern", s.pattern.as_deref()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "storage.pattern: got \"sideways\" (accepted: one of 'read', 'write')"
        );
        let e = FIELDS
            .decode::<Sample>(&json!({ "direct": 1 }))
            .unwrap_err();
        assert_eq!(e.js_kind(), "TypeError");
        assert_eq!(
            e.to_string(),
            "storage.direct: got 1 (accepted: true or false)"
        );
        let e = FIELDS.decode::<Sample>(&json!({ "x": 1 })).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("storage.x: got an unknown option"),
            "{e}"
        );
        assert!(FIELDS.decode::<Sample>(&json!(3)).is_err());
        assert_eq!(
            FIELDS.int("blockSize", Some(0.0)).unwrap_err().to_string(),
            "storage.blockSize: got 0 (accepted: an integer from 512 to 67108864)"
        );
    }
}
