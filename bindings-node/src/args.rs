//! Reading the caller's arguments: every conversion from a JS value checks the type
//! (a `TypeError`, `code: 'INVALID'`) and every length, count and size against its
//! documented bound (a `RangeError`) before anything is allocated or copied (S14, S22).
//! Arguments arrive as `Unknown` so that napi-rs's own conversion errors (plain `Error`s
//! with codes like `StringExpected`) never reach the caller.

use std::ptr;

use funnelq_binding::limits::{self, MAX_BATCH};
use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, JsValue};

use crate::error::Fail;
use crate::message::Message;

/// The longest share token text `fromToken` reads; a longer string is not a token and
/// is refused without being copied.
const MAX_TOKEN_BYTES: usize = 128;

fn type_of(env: &Env, v: &Unknown) -> sys::napi_valuetype {
    let mut ty = sys::ValueType::napi_undefined;
    // SAFETY: `v` is an argument of the current call on this env's thread.
    unsafe { sys::napi_typeof(env.raw(), v.raw(), &mut ty) };
    ty
}

/// A JS number argument, or a `TypeError` naming `what`.
fn number(env: &Env, v: &Unknown, what: &str) -> Result<f64, Fail> {
    if type_of(env, v) != sys::ValueType::napi_number {
        return Err(Fail::type_error(format!("{what} must be a number")));
    }
    let mut n = 0f64;
    // SAFETY: `v` is a number (checked above).
    unsafe { sys::napi_get_value_double(env.raw(), v.raw(), &mut n) };
    Ok(n)
}

/// `channel(capacity)`: a whole number in `1..=MAX_CAPACITY`.
pub fn capacity(env: &Env, v: &Unknown) -> Result<usize, Fail> {
    let c = number(env, v, "capacity")?;
    limits::count_f64("capacity", c, 1..=funnelq::MAX_CAPACITY)
        .map_err(|e| Fail::range_error(e.to_string()))
}

/// `recvBatch(max)` and friends: a whole number in `1..=MAX_BATCH`.
pub fn batch_max(env: &Env, v: &Unknown) -> Result<usize, Fail> {
    let m = number(env, v, "max")?;
    limits::count_f64("max", m, 1..=MAX_BATCH).map_err(|e| Fail::range_error(e.to_string()))
}

/// A share token: a string (else a `TypeError`), measured before it is copied.
pub fn token(env: &Env, v: &Unknown) -> Result<String, Fail> {
    if type_of(env, v) != sys::ValueType::napi_string {
        return Err(Fail::type_error("token must be a string"));
    }
    let mut len = 0usize;
    // SAFETY: a null buffer asks only for the UTF-8 length; nothing is copied.
    unsafe { sys::napi_get_value_string_utf8(env.raw(), v.raw(), ptr::null_mut(), 0, &mut len) };
    if len > MAX_TOKEN_BYTES {
        return Err(Fail::not_a_token(len));
    }
    let mut buf = vec![0u8; len + 1];
    let mut written = 0usize;
    // SAFETY: `buf` holds `len + 1` bytes (text and NUL); napi writes at most that many.
    unsafe {
        sys::napi_get_value_string_utf8(
            env.raw(),
            v.raw(),
            buf.as_mut_ptr().cast(),
            len + 1,
            &mut written,
        )
    };
    buf.truncate(written.min(len));
    String::from_utf8(buf).map_err(|_| Fail::not_a_token(len))
}

/// A batch to send: an array of at most `MAX_BATCH` messages. The first `copy_max`
/// elements are copied into messages, the rest only checked, so that a bad element
/// anywhere throws with nothing enqueued (never a half-enqueued batch, S14).
pub fn batch(env: &Env, v: &Unknown, copy_max: usize) -> Result<Vec<Message>, Fail> {
    let raw = env.raw();
    let mut is_array = false;
    // SAFETY: `v` is an argument of the current call on this env's thread.
    unsafe { sys::napi_is_array(raw, v.raw(), &mut is_array) };
    if !is_array {
        return Err(Fail::type_error("msgs must be an array of messages"));
    }
    let mut len = 0u32;
    // SAFETY: `v` is an array (checked above).
    if unsafe { sys::napi_get_array_length(raw, v.raw(), &mut len) } != sys::Status::napi_ok {
        return Err(Fail::type_error("cannot read the length of msgs"));
    }
    let len = limits::batch_len(len as usize).map_err(|e| Fail::range_error(e.to_string()))?;
    let copied = len.min(copy_max);
    let mut out = Vec::new();
    out.try_reserve_exact(copied)
        .map_err(|_| Fail::range_error(format!("batch of {len} items cannot be allocated")))?;
    for i in 0..len {
        let mut item = ptr::null_mut();
        // SAFETY: `v` is an array of this env; an index getter may run JS, and a throw
        // there is reported through the status.
        match unsafe { sys::napi_get_element(raw, v.raw(), i as u32, &mut item) } {
            sys::Status::napi_ok => {}
            sys::Status::napi_pending_exception => return Err(Fail::pending()),
            _ => return Err(Fail::type_error(format!("cannot read msgs[{i}]"))),
        }
        let read = if i < copied {
            Message::from_js(raw, item).map(|m| out.push(m))
        } else {
            Message::check(raw, item)
        };
        read.map_err(|f| f.in_batch(i))?;
    }
    Ok(out)
}
