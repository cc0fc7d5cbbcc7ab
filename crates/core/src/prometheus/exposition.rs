//! The Prometheus text exposition format, version 0.0.4: `# HELP`, `# TYPE`, then one line
//! per labelled sample. Escaping follows the format's rules (backslash, double quote and
//! newline in label values; backslash and newline in help text).

use std::fmt::Write;

/// Content type a scrape response carries.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric type of the exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (resets to 0 on restart); name ends in `_total`.
    Counter,
    /// Any value.
    Gauge,
    /// Type unknown; node_exporter uses it for raw kernel counters such as `node_netstat_*`.
    Untyped,
    /// Quantiles of one distribution, labelled `quantile` (with `_sum` and `_count` where
    /// they are known).
    Summary,
}

impl MetricKind {
    fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Untyped => "untyped",
            MetricKind::Summary => "summary",
        }
    }
}

/// One metric family: a name, its help and type, and its labelled values.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Metric name, e.g. `node_cpu_seconds_total`.
    pub name: String,
    /// One line of help.
    pub help: String,
    /// Its type.
    pub kind: MetricKind,
    /// `(labels, value)` pairs.
    pub samples: Vec<(Vec<(String, String)>, f64)>,
}

impl Family {
    /// An empty family.
    pub fn new(name: impl Into<String>, kind: MetricKind, help: impl Into<String>) -> Family {
        Family {
            name: name.into(),
            help: help.into(),
            kind,
            samples: Vec::new(),
        }
    }

    /// A family with one unlabelled value.
    pub fn single(name: &str, kind: MetricKind, help: &str, value: f64) -> Family {
        Family::new(name, kind, help).with(&[], value)
    }

    /// Adds a sample (builder style).
    pub fn with(mut self, labels: &[(&str, &str)], value: f64) -> Family {
        self.push(labels, value);
        self
    }

    /// Adds a sample.
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        let labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples.push((labels, value));
    }
}

/// True for a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_valid_metric_name(name: &str) -> bool {
    let mut b = name.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b':')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// True for a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
pub fn is_valid_label_name(name: &str) -> bool {
    let mut b = name.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !name.starts_with("__")
}

/// Renders families in the text format. Families sharing a name are merged (the first one's
/// help and type win), because the format allows one `# TYPE` line per name.
pub fn render(families: &[Family]) -> String {
    let mut order: Vec<&str> = Vec::new();
    let mut by_name: std::collections::HashMap<&str, Vec<&Family>> = Default::default();
    for f in families {
        by_name
            .entry(f.name.as_str())
            .or_insert_with(|| {
                order.push(f.name.as_str());
                Vec::new()
            })
            .push(f);
    }
    let mut out = String::with_capacity(families.len() * 128);
    for name in order {
        let group = &by_name[name];
        let head = group[0];
        let _ = writeln!(out, "# HELP {name} {}", escape_help(&head.help));
        let _ = writeln!(out, "# TYPE {name} {}", head.kind.as_str());
        for f in group {
            for (labels, value) in &f.samples {
                out.push_str(name);
                if !labels.is_empty() {
                    out.push('{');
                    for (i, (k, v)) in labels.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{k}=\"{}\"", escape_label(v));
                    }
                    out.push('}');
                }
                out.push(' ');
                out.push_str(&format_value(*value));
                out.push('\n');
            }
        }
    }
    out
}

/// Formats a sample value as the format expects (`NaN`, `+Inf`, `-Inf`, or a decimal).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        // Exact shortest round-trip representation; integers print without a fraction.
        format!("{v}")
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_help_type_labels_and_escapes() {
        let fams = vec![
            Family::new("node_load1", MetricKind::Gauge, "1m load average.").with(&[], 0.5),
            Family::new("x_total", MetricKind::Counter, "a \\ b\nc")
                .with(&[("path", "C:\\a\"b\nc")], 3.0),
            Family::new("node_load1", MetricKind::Gauge, "ignored").with(&[("k", "v")], f64::NAN),
        ];
        let text = render(&fams);
        assert_eq!(
            text,
            "# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.5\n\
             node_load1{k=\"v\"} NaN\n# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\n\
             x_total{path=\"C:\\\\a\\\"b\\nc\"} 3\n"
        );
    }

    #[test]
    fn values_and_names() {
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(-0.25), "-0.25");
        assert_eq!(format_value(1e21), "1000000000000000000000");
        assert!(is_valid_metric_name("novacron_queue:depth_1"));
        assert!(!is_valid_metric_name("1abc"));
        assert!(!is_valid_metric_name("a-b"));
        assert!(!is_valid_metric_name(""));
        assert!(is_valid_label_name("device"));
        assert!(!is_valid_label_name("__name__"));
        assert!(!is_valid_label_name("a:b"));
    }
}
