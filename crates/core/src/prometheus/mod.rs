//! Prometheus export: the text exposition format ([`exposition`]) and a `/metrics` HTTP
//! listener ([`server`]). Fleets scrape every NovaCron node and let Prometheus (and what it
//! remote-writes to) do cross-node storage and queries.

pub mod exposition;
pub mod server;

pub use exposition::{is_valid_label_name, is_valid_metric_name, render, Family, MetricKind};
