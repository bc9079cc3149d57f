//! Messages: `Uint8Array` or string in JS, an owned copy in the shared memory.
//!
//! A message is copied into the wasm heap on send and copied out into a fresh
//! (non-shared) `Uint8Array` or JS string on receive; the heap copy is owned by the
//! channel slot in between, so Rust ownership frees it exactly once (on receive, or
//! when the channel is dropped with it still queued).

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::error;
use crate::limits::MAX_MESSAGE_BYTES;

#[wasm_bindgen(
    inline_js = "export function ascii(b) { return String.fromCharCode.apply(null, b); }"
)]
extern "C" {
    /// Short ASCII strings: one `String.fromCharCode` over a view of the wasm memory,
    /// cheaper than wasm-bindgen's copy-then-`TextDecoder` path (shared memory).
    fn ascii(bytes: &[u8]) -> JsValue;
}

/// Longest string that takes the [`ascii`] path.
const ASCII_FAST_MAX: usize = 256;

/// One message in the channel.
pub(crate) enum Msg {
    Bytes(Box<[u8]>),
    Text(Box<str>),
}

fn too_big(len: usize) -> JsValue {
    error::range(&format!(
        "message of {len} bytes is over the limit of {MAX_MESSAGE_BYTES} bytes"
    ))
}

impl Msg {
    /// Copies a JS value into a message.
    pub(crate) fn from_js(value: &JsValue) -> Result<Msg, JsValue> {
        if let Some(s) = value.as_string() {
            if s.len() > MAX_MESSAGE_BYTES {
                return Err(too_big(s.len()));
            }
            return Ok(Msg::Text(s.into_boxed_str()));
        }
        if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
            let len = bytes.length() as usize;
            if len > MAX_MESSAGE_BYTES {
                return Err(too_big(len));
            }
            return Ok(Msg::Bytes(bytes.to_vec().into_boxed_slice()));
        }
        Err(error::type_error(
            "a message must be a Uint8Array or a string",
        ))
    }

    /// Copies a message out into a fresh JS value (frees the heap copy).
    pub(crate) fn into_js(self) -> JsValue {
        match self {
            Msg::Text(s) if s.len() <= ASCII_FAST_MAX && s.is_ascii() => ascii(s.as_bytes()),
            Msg::Text(s) => JsValue::from_str(&s),
            Msg::Bytes(b) => Uint8Array::from(&b[..]).into(),
        }
    }

    /// Converts a JS array of messages, all before any is sent (no half-enqueued batch).
    pub(crate) fn from_js_array(values: &Array) -> Result<Vec<Msg>, JsValue> {
        let mut out = Vec::with_capacity(values.length() as usize);
        for v in values.iter() {
            out.push(Msg::from_js(&v)?);
        }
        Ok(out)
    }
}

/// Messages out into a JS array.
pub(crate) fn to_js_array(msgs: Vec<Msg>) -> Array {
    let out = Array::new_with_length(msgs.len() as u32);
    for (i, m) in msgs.into_iter().enumerate() {
        out.set(i as u32, m.into_js());
    }
    out
}
