//! The crate-wide error type. Each module has its own `thiserror` enum; [`Error`] wraps them
//! so the binding converts errors in one place. Messages name the operation, the field or
//! value at fault and what is accepted, because they reach users verbatim as JS `Error`s.

use thiserror::Error as ThisError;

use crate::bench::BenchError;
use crate::collect::CollectError;
use crate::framework::FrameworkError;
use crate::profiles::ProfileError;
use crate::stats::StatsError;
use crate::store::StoreError;

/// Every error the core returns.
#[derive(Debug, ThisError)]
#[non_exhaustive]
pub enum Error {
    /// Invalid samples or statistics options.
    #[error(transparent)]
    Stats(#[from] StatsError),
    /// Benchmark registry, result storage or sampling failure.
    #[error(transparent)]
    Framework(#[from] FrameworkError),
    /// Invalid, missing or unreadable profile.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// Bad collector option or query, or a history-store failure seen by the collector.
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// History store failure: bad input, read-only folder, full disk, corrupt database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Invalid benchmark options, unusable target, or a failed or aborted built-in benchmark.
    #[error(transparent)]
    Bench(#[from] BenchError),
}

impl Error {
    /// The kind of JS error this maps to: `"TypeError"` for a value of the wrong type,
    /// `"RangeError"` for a number out of range, `"Error"` for everything else.
    pub fn js_kind(&self) -> &'static str {
        match self {
            Error::Stats(e) => e.js_kind(),
            Error::Framework(e) => e.js_kind(),
            Error::Profile(e) => e.js_kind(),
            Error::Collect(e) => e.js_kind(),
            Error::Store(e) => e.js_kind(),
            Error::Bench(e) => e.js_kind(),
        }
    }
}

/// Result alias of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
