//! The one error-mapping module: every failure the binding reports becomes a JS
//! `Error` / `TypeError` / `RangeError` whose `code` property is one of
//! `FULL`, `EMPTY`, `CLOSED`, `TIMEOUT`, `BUSY`, `INVALID`, or `ABORT_ERR` (an
//! `AbortError`, for an aborted `options.signal`).

use std::borrow::Cow;
use std::ptr;

use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, Status};

/// The `err.code` values (SEMANTICS.md "Errors by language").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The channel is full (only reported by the throwing forms; `trySend` returns `false`).
    Full,
    /// The channel is empty (only reported by the throwing forms; `tryRecv` returns `undefined`).
    #[allow(dead_code)]
    Empty,
    /// Closed: no more sends; for receives, closed **and** drained (end-of-stream).
    Closed,
    /// A timeout elapsed before the operation could complete; nothing was enqueued.
    Timeout,
    /// Another receive on the same receiver is still running.
    Busy,
    /// Bad argument, bad share token, or a handle that was disposed or moved.
    Invalid,
    /// The Promise form's `AbortSignal` was aborted first; nothing was enqueued or taken
    /// (the error is an `AbortError`, as Node's own APIs reject with).
    Aborted,
}

impl Code {
    /// The string placed in `err.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Full => "FULL",
            Code::Empty => "EMPTY",
            Code::Closed => "CLOSED",
            Code::Timeout => "TIMEOUT",
            Code::Busy => "BUSY",
            Code::Invalid => "INVALID",
            Code::Aborted => "ABORT_ERR",
        }
    }
}

/// Which JS constructor the error is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `Error`
    Error,
    /// `TypeError` (wrong message or argument type)
    Type,
    /// `RangeError` (capacity, timeout or batch size out of range)
    Range,
}

/// A failure, built off the JS thread if need be, turned into a JS error on it.
#[derive(Debug)]
pub struct Fail {
    pub kind: Kind,
    pub code: Code,
    pub msg: Cow<'static, str>,
}

impl Fail {
    pub fn new(code: Code, msg: impl Into<Cow<'static, str>>) -> Self {
        Fail {
            kind: Kind::Error,
            code,
            msg: msg.into(),
        }
    }
    pub fn type_error(msg: impl Into<Cow<'static, str>>) -> Self {
        Fail {
            kind: Kind::Type,
            code: Code::Invalid,
            msg: msg.into(),
        }
    }
    pub fn range_error(msg: impl Into<Cow<'static, str>>) -> Self {
        Fail {
            kind: Kind::Range,
            code: Code::Invalid,
            msg: msg.into(),
        }
    }
    pub fn closed() -> Self {
        Fail::new(Code::Closed, "channel is closed")
    }
    pub fn timeout() -> Self {
        Fail::new(Code::Timeout, "timed out")
    }
    pub fn busy() -> Self {
        Fail::new(
            Code::Busy,
            "another receive is already running on this receiver (one receive at a time)",
        )
    }

    /// Builds the JS error object (`err.code` set) on the JS thread.
    pub fn to_js(&self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let mut code = ptr::null_mut();
        let mut msg = ptr::null_mut();
        let mut out = ptr::null_mut();
        let c = self.code.as_str();
        // SAFETY: `env` is the live env of the calling JS thread; the pointers and
        // lengths describe valid UTF-8 owned by `self` / a static for the whole call.
        let status = unsafe {
            let s1 =
                sys::napi_create_string_utf8(env, c.as_ptr().cast(), c.len() as isize, &mut code);
            let s2 = sys::napi_create_string_utf8(
                env,
                self.msg.as_ptr().cast(),
                self.msg.len() as isize,
                &mut msg,
            );
            if s1 != sys::Status::napi_ok || s2 != sys::Status::napi_ok {
                return Err(napi::Error::new(
                    Status::GenericFailure,
                    self.msg.to_string(),
                ));
            }
            match self.kind {
                Kind::Error => sys::napi_create_error(env, code, msg, &mut out),
                Kind::Type => sys::napi_create_type_error(env, code, msg, &mut out),
                Kind::Range => sys::napi_create_range_error(env, code, msg, &mut out),
            }
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(
                Status::GenericFailure,
                self.msg.to_string(),
            ));
        }
        Ok(out)
    }

    /// Throws the JS error now and returns the marker napi-rs needs to not throw again.
    pub fn throw(self, env: &Env) -> napi::Error {
        match self.to_js(env.raw()) {
            Ok(err) => {
                // SAFETY: `err` was just created on this env's thread; nothing is pending
                // (the caller has not thrown yet).
                unsafe { sys::napi_throw(env.raw(), err) };
                napi::Error::new(Status::PendingException, self.msg.into_owned())
            }
            Err(e) => e,
        }
    }

    /// A `napi::Error` that settles a Promise with exactly this JS error object.
    pub fn into_rejection(self, env: &Env) -> napi::Error {
        match self.to_js(env.raw()) {
            Ok(err) => {
                // SAFETY: `err` is a live value of this env, created above on its thread.
                let unknown = unsafe { Unknown::from_raw_unchecked(env.raw(), err) };
                napi::Error::from_unknown_without_coercion(unknown)
            }
            Err(e) => e,
        }
    }
}

/// Converts `Result<T, Fail>` into a thrown JS error (`Err` = an exception is pending).
pub trait OrThrow<T> {
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for Result<T, Fail> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|f| f.throw(env))
    }
}
