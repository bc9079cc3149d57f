//! The one error-mapping module: every JS error this binding throws is made here.
//!
//! Each carries `err.code`: `FULL`, `EMPTY`, `CLOSED`, `TIMEOUT` (channel outcomes),
//! `INVALID` (bad argument or token; `TypeError`/`RangeError` where the JS
//! convention says so), `BUSY` (a second receive on a receiver while one is
//! pending), `MAIN_THREAD` (a blocking call on a thread that may not block),
//! `ABORT_ERR` (an `AbortError`: an async form's `options.signal` aborted).

use js_sys::{Error, RangeError, Reflect, TypeError};
use wasm_bindgen::prelude::*;

/// `err.code` values.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Code {
    Full,
    Empty,
    Closed,
    Timeout,
    Invalid,
    Busy,
    MainThread,
    Aborted,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Code::Full => "FULL",
            Code::Empty => "EMPTY",
            Code::Closed => "CLOSED",
            Code::Timeout => "TIMEOUT",
            Code::Invalid => "INVALID",
            Code::Busy => "BUSY",
            Code::MainThread => "MAIN_THREAD",
            Code::Aborted => "ABORT_ERR",
        }
    }
}

fn with_code(e: JsValue, code: Code) -> JsValue {
    // Setting a data property on a fresh Error object cannot fail.
    let _ = Reflect::set(&e, &"code".into(), &code.as_str().into());
    e
}

/// An `Error` with `err.code`.
pub(crate) fn error(code: Code, msg: &str) -> JsValue {
    with_code(Error::new(msg).into(), code)
}

/// A `RangeError` with `err.code === 'INVALID'`.
pub(crate) fn range(msg: &str) -> JsValue {
    with_code(RangeError::new(msg).into(), Code::Invalid)
}

/// A `TypeError` with `err.code === 'INVALID'`.
pub(crate) fn type_error(msg: &str) -> JsValue {
    with_code(TypeError::new(msg).into(), Code::Invalid)
}

pub(crate) fn full() -> JsValue {
    error(Code::Full, "channel is full")
}

pub(crate) fn empty() -> JsValue {
    error(Code::Empty, "channel is empty")
}

pub(crate) fn closed() -> JsValue {
    error(Code::Closed, "channel is closed")
}

/// End of stream for receives: closed (or every sender gone) and drained.
pub(crate) fn end_of_stream() -> JsValue {
    error(Code::Closed, "channel is closed and drained")
}

pub(crate) fn timeout() -> JsValue {
    error(Code::Timeout, "timed out")
}

/// The handle was freed or moved into a token.
pub(crate) fn gone(what: &str) -> JsValue {
    error(
        Code::Invalid,
        &format!("this {what} is no longer usable here (freed, or moved into a token)"),
    )
}
