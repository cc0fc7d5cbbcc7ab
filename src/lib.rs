//! The Node binding of novacron-perf: converts JS values to core types and back, maps core
//! errors to JS errors once (see [`error`]) and bridges core events to JS through a
//! thread-safe function. It holds no logic of its own; that lives in `novacron-perf-core`.
#![deny(clippy::all)]

mod benchmark;
mod collector;
mod error;
mod events;
mod framework;
mod guard;
mod peer;
mod profiles;
mod stats;
