//! `{ timeout, signal }` (`Options`, the Promise forms) and `{ timeout }` (`SyncOptions`,
//! the blocking forms). Converted by hand so that a wrong type is a `TypeError` with
//! `code: 'INVALID'` like every other bad argument (S14), not napi-rs's generic
//! conversion error.

use std::time::{Duration, Instant};

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};
use napi::{sys, Env, JsValue, ValueType};
use napi_derive::napi;

use crate::abort::Signal;
use crate::error::Fail;

/// Options of the Promise forms.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct Options {
    /// Give up after this many milliseconds (`code: 'TIMEOUT'`; nothing was enqueued or
    /// taken). `undefined` or `Infinity` waits without bound.
    pub timeout: Option<f64>,
    /// Aborting it rejects with an `AbortError` (`code: 'ABORT_ERR'`, `cause`:
    /// `signal.reason`); nothing was enqueued or taken.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// Options of the blocking (`…Sync`) forms. They take no `signal`: a blocked thread
/// cannot see an abort (passing one is a `TypeError`).
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct SyncOptions {
    /// Give up after this many milliseconds (`code: 'TIMEOUT'`; nothing was enqueued or
    /// taken). `undefined` or `Infinity` waits without bound.
    pub timeout: Option<f64>,
}

impl FromNapiValue for Options {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let env = Env::from_raw(env);
        parse(&env, value, true).map_err(|f| f.throw(&env))
    }
}

impl FromNapiValue for SyncOptions {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let env = Env::from_raw(env);
        parse(&env, value, false)
            .map(|o| SyncOptions { timeout: o.timeout })
            .map_err(|f| f.throw(&env))
    }
}

fn parse(env: &Env, value: sys::napi_value, promise_form: bool) -> Result<Options, Fail> {
    let options = Object::from_raw(env.raw(), value);
    if !matches!(options.to_unknown().get_type(), Ok(ValueType::Object)) {
        return Err(Fail::type_error(if promise_form {
            "options must be an object: { timeout?: number, signal?: AbortSignal }"
        } else {
            "options must be an object: { timeout?: number }"
        }));
    }
    let field = |name: &str| {
        options
            .get_named_property::<Unknown>(name)
            .map_err(|_| Fail::pending())
    };
    let timeout = field("timeout")?;
    let timeout = match timeout.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => None,
        Ok(ValueType::Number) => {
            let mut ms = 0f64;
            // SAFETY: a number value of this call, on its thread.
            unsafe { sys::napi_get_value_double(env.raw(), timeout.raw(), &mut ms) };
            Some(ms)
        }
        _ => {
            return Err(Fail::type_error(
                "options.timeout must be a number of milliseconds",
            ))
        }
    };
    let signal = field("signal")?;
    let signal = match signal.get_type() {
        Ok(ValueType::Undefined) => None,
        _ if !promise_form => {
            return Err(Fail::type_error(
                "options.signal applies to the Promise forms: a …Sync call blocks its thread, \
                 which cannot see an abort (use options.timeout)",
            ))
        }
        _ => Some(Signal::from_value(env.raw(), signal.raw())?),
    };
    Ok(Options { timeout, signal })
}

/// A timeout in milliseconds: `None` waits without bound.
fn duration(ms: Option<f64>) -> Result<Option<Duration>, Fail> {
    match ms {
        None => Ok(None),
        Some(ms) if ms.is_nan() || ms < 0.0 => Err(Fail::range_error(format!(
            "timeout {ms} is out of range: expected milliseconds >= 0"
        ))),
        // Beyond ~31 000 years: as good as no bound, and safe from Instant overflow.
        Some(ms) if ms.is_infinite() || ms > 1e15 => Ok(None),
        Some(ms) => Ok(Some(Duration::from_secs_f64(ms / 1000.0))),
    }
}

impl Options {
    /// The timeout, checked.
    pub fn timeout_of(o: Option<&Options>) -> Result<Option<Duration>, Fail> {
        duration(o.and_then(|o| o.timeout))
    }

    /// The signal, if any.
    pub fn signal_of(o: Option<&Options>) -> Option<&Signal> {
        o.and_then(|o| o.signal.as_ref())
    }
}

impl SyncOptions {
    /// The deadline the timeout sets from now, checked.
    pub fn deadline_of(o: Option<&SyncOptions>) -> Result<Option<Instant>, Fail> {
        Ok(duration(o.and_then(|o| o.timeout))?.map(|d| Instant::now() + d))
    }
}
