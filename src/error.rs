//! One conversion from core errors to JS errors. The JS kind travels in the N-API status,
//! which napi-rs exposes as the error's `code`: `InvalidArg` → `TypeError`,
//! `NumberExpected` → `RangeError`, `GenericFailure` → `Error`. `lib/native.js` rebuilds the
//! matching JS class from that code, so sync calls and async tasks behave the same.

use napi::{Error, Status};
use novacron_perf_core::Error as CoreError;

/// Converts a core error.
pub fn to_js(err: CoreError) -> Error {
    let status = match err.js_kind() {
        "TypeError" => Status::InvalidArg,
        "RangeError" => Status::NumberExpected,
        _ => Status::GenericFailure,
    };
    Error::new(status, shorten(&err.to_string()))
}

/// Longest message handed to JS, in characters.
const MAX_MESSAGE_CHARS: usize = 400;
/// Characters kept from the start (the field) and the end (what is accepted).
const HEAD_CHARS: usize = 180;
const TAIL_CHARS: usize = 200;

/// Cuts the middle out of an over-long message: messages are "field: got <value>
/// (accepted: ...)", so the head names the field, the tail says what is accepted, and a
/// hostile value of megabytes in between is not echoed whole.
pub fn shorten(message: &str) -> String {
    let n = message.chars().count();
    if n <= MAX_MESSAGE_CHARS {
        return message.to_owned();
    }
    let head: String = message.chars().take(HEAD_CHARS).collect();
    let tail: String = message.chars().skip(n - TAIL_CHARS).collect();
    format!(
        "{head}… ({} characters cut) …{tail}",
        n - HEAD_CHARS - TAIL_CHARS
    )
}

/// A call the object's state does not allow now (a second `run`, a second `subscribe`, a
/// failed internal step): a plain `Error`.
pub fn state(message: impl AsRef<str>) -> Error {
    Error::new(Status::GenericFailure, shorten(message.as_ref()))
}

/// A bad argument the binding itself finds (before any core call): a `TypeError`.
pub fn invalid_arg(message: impl AsRef<str>) -> Error {
    Error::new(Status::InvalidArg, shorten(message.as_ref()))
}

/// Shorthand for results of core calls.
pub trait IntoJs<T> {
    /// Maps the error with [`to_js`].
    fn js(self) -> napi::Result<T>;
}

impl<T, E: Into<CoreError>> IntoJs<T> for Result<T, E> {
    fn js(self) -> napi::Result<T> {
        self.map_err(|e| to_js(e.into()))
    }
}

/// Serialises a core value for JS.
pub fn to_value<T: serde::Serialize>(v: &T) -> napi::Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| state(e.to_string()))
}
