//! The options objects of the JS surface: `{ timeout?, signal? }` for the Promise
//! forms, `{ timeout? }` for the blocking forms (which take no signal: a blocked
//! thread cannot see an abort, so a signal there is a `TypeError`).
//!
//! `timeout` is milliseconds: a number `>= 0`, or `Infinity`/absent for none.

use std::time::Duration;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::env;
use crate::error;

#[wasm_bindgen(typescript_custom_section)]
const OPTIONS: &'static str = r#"
/** What `recv` returns: bytes arrive as a fresh (non-shared) `Uint8Array`. */
export type Message = Uint8Array | string | number;
/** What `send` accepts: bytes (copied once), a string (UTF-8) or a number (f64). */
export type MessageInput = Uint8Array | string | number;
/** Options of the Promise forms. */
export interface Options {
  /** Give up after this many milliseconds (`TIMEOUT`); `Infinity` or absent: no bound. */
  timeout?: number;
  /** Aborting it rejects with an `AbortError` (`code: 'ABORT_ERR'`, `cause`: `signal.reason`). */
  signal?: AbortSignal;
}
/** Options of the blocking forms (no signal: a blocked thread cannot see an abort). */
export interface SyncOptions {
  /** Give up after this many milliseconds (`TIMEOUT`); `Infinity` or absent: no bound. */
  timeout?: number;
}
"#;

/// The parsed options of one call.
pub(crate) struct Parsed {
    pub(crate) timeout: Option<Duration>,
    pub(crate) signal: Option<JsValue>,
}

fn field(options: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(options, &name.into())
}

/// A timeout in milliseconds: `undefined`/`null`/`Infinity` = none.
fn timeout_ms(ms: &JsValue) -> Result<Option<Duration>, JsValue> {
    if ms.is_undefined() || ms.is_null() {
        return Ok(None);
    }
    let Some(ms) = ms.as_f64() else {
        return Err(error::type_error(
            "options.timeout must be a number of milliseconds",
        ));
    };
    if ms == f64::INFINITY {
        return Ok(None);
    }
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(error::range(&format!(
            "timeout {ms} ms is out of range 0..=Infinity"
        )));
    }
    env::ensure_clock();
    // Cap at a year so the core's nanosecond arithmetic never overflows.
    Ok(Some(Duration::from_secs_f64(
        ms.min(31_536_000_000.0) / 1000.0,
    )))
}

/// `undefined`/`null`, or an object (not a function, not a number).
fn object(options: &JsValue, shape: &str) -> Result<bool, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(false);
    }
    if !options.is_object() || options.is_function() {
        return Err(error::type_error(&format!(
            "options must be an object like {shape}"
        )));
    }
    Ok(true)
}

/// Parses the options of a Promise form: `{ timeout?, signal? }`.
pub(crate) fn promise(options: &JsValue) -> Result<Parsed, JsValue> {
    if !object(options, "{ timeout, signal }")? {
        return Ok(Parsed {
            timeout: None,
            signal: None,
        });
    }
    let timeout = timeout_ms(&field(options, "timeout")?)?;
    let signal = field(options, "signal")?;
    let signal = if signal.is_undefined() {
        None
    } else if is_abort_signal(&signal) {
        Some(signal)
    } else {
        return Err(error::type_error("options.signal must be an AbortSignal"));
    };
    Ok(Parsed { timeout, signal })
}

/// Parses the options of a blocking form: `{ timeout? }`.
pub(crate) fn sync(options: &JsValue) -> Result<Option<Duration>, JsValue> {
    if !object(options, "{ timeout }")? {
        return Ok(None);
    }
    if !field(options, "signal")?.is_undefined() {
        return Err(error::type_error(
            "a blocking call takes no signal (a blocked thread cannot see an abort): \
             use the Promise form",
        ));
    }
    timeout_ms(&field(options, "timeout")?)
}

/// An object with a boolean `aborted` and an `addEventListener` method.
fn is_abort_signal(v: &JsValue) -> bool {
    v.is_object()
        && Reflect::get(v, &"aborted".into()).is_ok_and(|a| a.as_bool().is_some())
        && Reflect::get(v, &"addEventListener".into()).is_ok_and(|f| f.is_function())
}
