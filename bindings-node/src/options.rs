//! `{ timeout, signal }`, the options of the waiting forms. Converted by hand so that a
//! wrong type is a `TypeError` with `code: 'INVALID'` like every other bad argument
//! (S14), not napi-rs's generic conversion error.

use std::time::Duration;

use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};
use napi::{sys, Env, JsValue, ValueType};
use napi_derive::napi;

use crate::abort::Signal;
use crate::error::Fail;

/// Options of the waiting forms.
#[napi(object, object_to_js = false, object_from_js = false)]
pub struct TimeoutOptions {
    /// Give up after this many milliseconds (`code: 'TIMEOUT'`; nothing was enqueued or
    /// taken). `undefined` or `Infinity` waits without bound.
    pub timeout: Option<f64>,
    /// Promise forms only: aborting it rejects with an `AbortError` (`code: 'ABORT_ERR'`,
    /// `cause`: `signal.reason`); nothing was enqueued or taken. The `…Sync` forms block
    /// their thread, which then cannot see an abort: they refuse a signal (`TypeError`).
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

impl FromNapiValue for TimeoutOptions {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let env = Env::from_raw(env);
        parse(&env, value).map_err(|f| f.throw(&env))
    }
}

fn parse(env: &Env, value: sys::napi_value) -> Result<TimeoutOptions, Fail> {
    let options = Object::from_raw(env.raw(), value);
    if !matches!(options.to_unknown().get_type(), Ok(ValueType::Object)) {
        return Err(Fail::type_error(
            "options must be an object: { timeout?: number, signal?: AbortSignal }",
        ));
    }
    let field = |name: &str| {
        options
            .get_named_property::<Unknown>(name)
            .map_err(|e| Fail::type_error(format!("options.{name}: {}", e.reason)))
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
        _ => Some(Signal::from_value(env.raw(), signal.raw())?),
    };
    Ok(TimeoutOptions { timeout, signal })
}

/// The timeout of a `…Sync` form, which cannot honour a signal (see `TimeoutOptions`).
pub(crate) fn sync_timeout_of(o: Option<&TimeoutOptions>) -> Result<Option<Duration>, Fail> {
    if o.is_some_and(|o| o.signal.is_some()) {
        return Err(Fail::type_error(
            "options.signal applies to the Promise forms: a …Sync call blocks its thread, \
             which cannot see an abort (use options.timeout)",
        ));
    }
    timeout_of(o)
}

pub(crate) fn timeout_of(o: Option<&TimeoutOptions>) -> Result<Option<Duration>, Fail> {
    match o.and_then(|o| o.timeout) {
        None => Ok(None),
        Some(ms) if ms.is_nan() || ms < 0.0 => Err(Fail::range_error(format!(
            "timeout {ms} is out of range: expected milliseconds >= 0"
        ))),
        Some(ms) if ms.is_infinite() || ms > 1e15 => Ok(None),
        Some(ms) => Ok(Some(Duration::from_secs_f64(ms / 1000.0))),
    }
}
