//! The one error-mapping module: every failure the binding reports becomes a JS
//! `Error` / `TypeError` / `RangeError` whose `code` property is one of `CLOSED`,
//! `TIMEOUT`, `BUSY`, `INVALID` or `ABORT_ERR` (an `AbortError`, for an aborted
//! `options.signal`). There is no `FULL` or `EMPTY`: the try forms report those as
//! `false`, `undefined`, `0` or `[]`.

use std::borrow::Cow;
use std::ptr;

use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, Status};

/// The `err.code` values (`ErrorCode` in `index.d.ts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Closed: no more sends; for receives, closed **and** drained (end of stream).
    Closed,
    /// A timeout elapsed first; nothing was enqueued or taken (a batch: see `Fail::sent`).
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
    /// `TypeError` (a value of the wrong type)
    Type,
    /// `RangeError` (a number or size out of range)
    Range,
    /// A JS exception is already pending (a getter or `valueOf` threw while an
    /// argument was read): it propagates as it is.
    Pending,
}

/// A failure, built off the JS thread if need be, turned into a JS error on it.
#[derive(Debug)]
pub struct Fail {
    pub kind: Kind,
    pub code: Code,
    pub msg: Cow<'static, str>,
    /// For a batch send that failed part-way: how many messages went in first (S18);
    /// set as `err.sent`.
    pub sent: Option<usize>,
}

impl Fail {
    pub fn new(code: Code, msg: impl Into<Cow<'static, str>>) -> Self {
        Fail {
            kind: Kind::Error,
            code,
            msg: msg.into(),
            sent: None,
        }
    }
    pub fn type_error(msg: impl Into<Cow<'static, str>>) -> Self {
        Fail {
            kind: Kind::Type,
            ..Fail::new(Code::Invalid, msg)
        }
    }
    pub fn range_error(msg: impl Into<Cow<'static, str>>) -> Self {
        Fail {
            kind: Kind::Range,
            ..Fail::new(Code::Invalid, msg)
        }
    }
    /// A JS exception is pending already: let it through.
    pub fn pending() -> Self {
        Fail {
            kind: Kind::Pending,
            ..Fail::new(Code::Invalid, "a JavaScript exception was thrown")
        }
    }
    pub fn closed() -> Self {
        Fail::new(Code::Closed, "channel is closed")
    }
    pub fn end_of_stream() -> Self {
        Fail::new(
            Code::Closed,
            "channel is closed and drained (end of stream)",
        )
    }
    pub fn timeout() -> Self {
        Fail::new(Code::Timeout, "timed out")
    }
    pub fn busy() -> Self {
        Fail::new(
            Code::Busy,
            "another receive is already in progress on this receiver (one receive at a time)",
        )
    }
    pub fn disposed(what: &'static str) -> Self {
        Fail::new(Code::Invalid, what)
    }
    /// The call's `AbortSignal` fired first (turned into an `AbortError` where the
    /// signal is at hand).
    pub fn aborted() -> Self {
        Fail::new(Code::Aborted, "the operation was aborted")
    }
    /// The environment (a worker being terminated, a process exiting) can no longer run
    /// JavaScript: nobody will see this error, it only ends the call.
    pub fn env_stopping() -> Self {
        Fail::new(
            Code::Closed,
            "the calling worker or process is shutting down",
        )
    }
    /// A string too long (or not UTF-8) to be a share token; refused unread.
    pub fn not_a_token(len: usize) -> Self {
        Fail::new(
            Code::Invalid,
            format!("a string of {len} bytes is not a funnelq share token"),
        )
    }
    /// The same failure, naming the batch element it is about.
    pub fn in_batch(mut self, index: usize) -> Self {
        if self.kind != Kind::Pending {
            self.msg = format!("msgs[{index}]: {}", self.msg).into();
        }
        self
    }
    /// The same failure, saying how many messages of a batch went in first.
    pub fn with_sent(mut self, sent: usize) -> Self {
        self.sent = Some(sent);
        self
    }

    /// Builds the JS error object (`err.code` set) on the JS thread.
    pub fn to_js(&self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        if self.kind == Kind::Pending && exception_pending(env) {
            // SAFETY: `env` is the live env of the calling JS thread; `out` is valid.
            let st = unsafe { sys::napi_get_and_clear_last_exception(env, &mut out) };
            if st == sys::Status::napi_ok && !out.is_null() {
                return Ok(out);
            }
        }
        let mut code = ptr::null_mut();
        let mut msg = ptr::null_mut();
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
                Kind::Range => sys::napi_create_range_error(env, code, msg, &mut out),
                Kind::Error => sys::napi_create_error(env, code, msg, &mut out),
                // `Pending` with nothing pending: the read failed without a throw.
                Kind::Type | Kind::Pending => sys::napi_create_type_error(env, code, msg, &mut out),
            }
        };
        if status != sys::Status::napi_ok {
            return Err(napi::Error::new(
                Status::GenericFailure,
                self.msg.to_string(),
            ));
        }
        if let Some(sent) = self.sent {
            let mut n = ptr::null_mut();
            // SAFETY: as above; `out` is the error object just created on this env.
            unsafe {
                sys::napi_create_double(env, sent as f64, &mut n);
                sys::napi_set_named_property(env, out, c"sent".as_ptr(), n);
            }
        }
        Ok(out)
    }

    /// Throws the JS error now and returns the marker napi-rs needs to not throw again.
    pub fn throw(self, env: &Env) -> napi::Error {
        if self.kind == Kind::Pending && exception_pending(env.raw()) {
            return napi::Error::new(Status::PendingException, self.msg.into_owned());
        }
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

fn exception_pending(env: sys::napi_env) -> bool {
    let mut pending = false;
    // SAFETY: `env` is the live env of the calling JS thread.
    unsafe { sys::napi_is_exception_pending(env, &mut pending) };
    pending
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
