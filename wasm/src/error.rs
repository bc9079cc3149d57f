//! The one error-mapping module: every JS error this binding throws is made here.
//!
//! Each carries `err.code` (the JS surface shared with the Node package):
//! `CLOSED` (send on a closed channel, receive at end of stream), `TIMEOUT`,
//! `INVALID` (a `TypeError` for a wrong type, a `RangeError` for a number or size
//! out of range, a plain `Error` for an unknown token or a disposed handle),
//! `BUSY` (a second receive while one is pending; a blocking send while a Promise
//! send of the same handle is pending), `MAIN_THREAD` (a blocking form on a thread
//! that may not block), `ABORT_ERR` (an `AbortError`: `options.signal` aborted).
//! There are no `FULL`/`EMPTY` codes: the try forms return `false`/`undefined`/`[]`.

use js_sys::{Error, RangeError, Reflect, TypeError};
use wasm_bindgen::prelude::*;

/// `err.code` values.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Code {
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
            Code::Closed => "CLOSED",
            Code::Timeout => "TIMEOUT",
            Code::Invalid => "INVALID",
            Code::Busy => "BUSY",
            Code::MainThread => "MAIN_THREAD",
            Code::Aborted => "ABORT_ERR",
        }
    }
}

/// Sets a data property on a fresh error object (which cannot fail).
pub(crate) fn set(e: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(e, &key.into(), value);
}

fn with_code(e: JsValue, code: Code) -> JsValue {
    set(&e, "code", &code.as_str().into());
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

/// A plain `Error` with `err.code === 'INVALID'` (tokens, disposed handles).
pub(crate) fn invalid(msg: &str) -> JsValue {
    error(Code::Invalid, msg)
}

/// Send on a closed channel.
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

/// A batch send that ended early: `err.sent` = how many went in first (S18).
pub(crate) fn with_sent(e: JsValue, sent: usize) -> JsValue {
    set(&e, "sent", &(sent as f64).into());
    e
}

/// The handle was disposed, moved into a token, or released with its worker.
pub(crate) fn disposed(what: &str) -> JsValue {
    invalid(&format!(
        "this {what} was disposed (dispose(), share() or releaseWorker()) and cannot be used"
    ))
}

/// A second receive on one receiver while one is pending.
pub(crate) fn busy_receiver() -> JsValue {
    error(
        Code::Busy,
        "another receive is already in progress on this receiver",
    )
}

/// A blocking form on a thread that may not block (S17).
pub(crate) fn main_thread(what: &str, instead: &str) -> JsValue {
    error(
        Code::MainThread,
        &format!(
            "{what}() would block this thread (a browser main thread may not wait); \
             use await {instead}() here, or call {what}() in a worker"
        ),
    )
}
