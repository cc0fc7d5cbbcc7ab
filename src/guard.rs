//! Panics never cross the N-API boundary. A panic unwinding into a C frame aborts the
//! whole Node process (and the application that embeds this package), so:
//!
//! - every `#[napi]` function, constructor, method and getter carries `catch_unwind`,
//!   which turns a panic during argument conversion or the call into a thrown `Error`;
//! - work that runs off the JS thread (async tasks on libuv's pool) goes through [`guard`],
//!   which does the same for its closure and names the operation.
//!
//! The core avoids panicking on caller data in the first place; this is the net under it.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::Error;

/// Runs `f`, turning a panic into an `Error` that names `what`.
pub fn guard<T>(what: &str, f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    // AssertUnwindSafe: after a panic nothing of `f`'s captures is used again by the
    // caller except through its own locks, which parking_lot does not poison.
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(panic_error(what, payload.as_ref())),
    }
}

/// The `Error` for a caught panic.
pub fn panic_error(what: &str, payload: &(dyn Any + Send)) -> Error {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    crate::error::state(format!(
        "{what}: internal error: {message} (a panic was caught; the process keeps running)"
    ))
}
