//! What a source hands the clock: a typed reading (one struct per resource, serialized to
//! the sample's JSON only at the edge), its status, and its Prometheus families.

use std::any::Any;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::prometheus::Family;

/// A source's typed reading. Every `Serialize` type is one; the clock turns it into the
/// sample's JSON slot with [`SampleData::to_json`], and typed consumers (the framework's
/// system view) get the struct back with [`Reading::get`].
pub trait SampleData: Send + fmt::Debug + 'static {
    /// The reading's slot in the sample JSON.
    fn to_json(&self) -> Value;
    /// The reading itself, for a downcast to its type.
    fn as_any(&self) -> &dyn Any;
}

impl<T: Serialize + Send + fmt::Debug + 'static> SampleData for T {
    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Whether a source could measure anything at this tick. A failure to read is not a
/// status but an `Err` from [`super::Source::collect`] (the source is then degraded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadingStatus {
    /// Measured.
    Ok,
    /// Nothing to measure here (no GPU, no driver, nothing configured); the reason says why.
    Unavailable(String),
}

/// What one source read at one tick.
#[derive(Debug)]
pub struct Reading {
    /// The typed reading.
    pub sample: Box<dyn SampleData>,
    /// Measured, or unavailable with a reason.
    pub status: ReadingStatus,
    /// The same reading as Prometheus families.
    pub families: Vec<Family>,
    /// Oddities of the source's input met in this reading (a name that was not UTF-8); the
    /// clock reports each distinct one once as a `collection:warning` event.
    pub warnings: Vec<String>,
}

impl Reading {
    /// A measured reading.
    pub fn new(sample: impl SampleData, families: Vec<Family>) -> Reading {
        Reading {
            sample: Box::new(sample),
            status: ReadingStatus::Ok,
            families,
            warnings: Vec::new(),
        }
    }

    /// A reading saying the resource cannot be measured here, and why.
    pub fn unavailable(
        sample: impl SampleData,
        reason: impl Into<String>,
        families: Vec<Family>,
    ) -> Reading {
        Reading {
            sample: Box::new(sample),
            status: ReadingStatus::Unavailable(reason.into()),
            families,
            warnings: Vec::new(),
        }
    }

    /// The same reading with these warnings (builder style).
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Reading {
        self.warnings = warnings;
        self
    }

    /// The sample JSON of this reading.
    pub fn json(&self) -> Value {
        self.sample.to_json()
    }

    /// The typed reading, when it is a `T`.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.sample.as_any().downcast_ref::<T>()
    }
}

/// Health of one source, as `status()` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceState {
    /// Not read yet.
    #[default]
    Pending,
    /// The last reading succeeded.
    Ok,
    /// The last reading said the resource cannot be measured here.
    Unavailable,
    /// The last reading failed; it is tried again at every tick.
    Degraded,
}
