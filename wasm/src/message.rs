//! Messages: a `Uint8Array`, a string or a number in JS; an owned copy in the
//! shared memory while queued.
//!
//! A message is copied into the wasm heap on send and out into a fresh
//! (non-shared) `Uint8Array`, string or number on receive; the heap copy is
//! owned by the channel slot in between, so Rust ownership frees it exactly once.
//!
//! Hostile sizes (S22): a message is measured before anything is allocated or
//! copied — a `Uint8Array` by its length, a string by its UTF-8 length counted
//! in JS without copying it (a string longer than the limit in UTF-16 units is
//! refused at once: its UTF-8 form is at least as long). The copy's memory is
//! then taken fallibly ([`crate::alloc::alloc_message`]): a message that does
//! not fit in what the memory has left is a `RangeError`, never a trap.

use core::alloc::Layout;

use funnelq_binding::limits;
use js_sys::{Array, JsString, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::alloc;
use crate::error;
use crate::limits::MAX_MESSAGE_BYTES;

#[wasm_bindgen(inline_js = r#"
let view = null;
function bytes(memory) {
  const b = memory.buffer;
  if (view === null || view.buffer !== b) view = new Uint8Array(b);
  return view;
}
const encoder = new TextEncoder();
export function ascii(b) { return String.fromCharCode.apply(null, b); }
export function utf8_len(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) { n += 1; continue; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; i++; continue; // a pair: 2 units, 4 bytes
    }
    n += 2; // 3 bytes (a lone surrogate becomes U+FFFD)
  }
  return n;
}
export function put_str(s, memory, ptr, len) {
  const m = bytes(memory);
  if (len === s.length) {
    if (len <= 64) { for (let i = 0; i < len; i++) m[ptr + i] = s.charCodeAt(i); return len; }
  }
  return encoder.encodeInto(s, m.subarray(ptr, ptr + len)).written;
}
export function put_bytes(src, memory, ptr, len) {
  if (src.length !== len) return -1;
  bytes(memory).set(src, ptr);
  return len;
}
"#)]
extern "C" {
    /// Short ASCII strings: one `String.fromCharCode` over a view of the wasm memory,
    /// cheaper than wasm-bindgen's copy-then-`TextDecoder` path (shared memory).
    fn ascii(bytes: &[u8]) -> JsValue;
    /// The exact UTF-8 length of `s` as `TextEncoder` writes it, without copying.
    fn utf8_len(s: &JsString) -> f64;
    /// Writes `s` as UTF-8 into `len` bytes of the memory at `ptr`; bytes written.
    #[wasm_bindgen(catch)]
    fn put_str(s: &JsString, memory: &JsValue, ptr: usize, len: usize) -> Result<f64, JsValue>;
    /// Copies `src` (exactly `len` bytes, else -1) into the memory at `ptr`.
    #[wasm_bindgen(catch)]
    fn put_bytes(
        src: &Uint8Array,
        memory: &JsValue,
        ptr: usize,
        len: usize,
    ) -> Result<f64, JsValue>;
}

/// Longest string that takes the [`ascii`] path.
const ASCII_FAST_MAX: usize = 256;

/// One message in the channel.
pub(crate) enum Msg {
    Bytes(Box<[u8]>),
    Text(Box<str>),
    Number(f64),
}

/// A JS value checked and measured, not yet copied.
pub(crate) enum Measured {
    Bytes(Uint8Array, usize),
    Text(JsString, usize),
    Number(f64),
}

fn not_a_message() -> JsValue {
    error::type_error("a message must be a Uint8Array, a string or a number")
}

/// `len` bytes, if within [`MAX_MESSAGE_BYTES`].
fn check_len(len: usize) -> Result<usize, JsValue> {
    limits::message_bytes(len, MAX_MESSAGE_BYTES).map_err(|e| error::range(&e.to_string()))
}

/// Memory for `len` bytes of message, taken fallibly, as an empty `Vec` with
/// exactly that capacity.
fn buffer(len: usize) -> Result<Vec<u8>, JsValue> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = Layout::array::<u8>(check_len(len)?);
    let ptr = layout.map_or(core::ptr::null_mut(), alloc::alloc_message);
    if ptr.is_null() {
        return Err(error::range(&format!(
            "message of {len} bytes does not fit in the free wasm memory \
             (1 GiB shared by every channel, {} MiB kept in reserve)",
            alloc::RESERVE_PAGES / 16
        )));
    }
    // SAFETY: `ptr` was allocated by the global allocator (this module's
    // `alloc`, which `alloc_message` shares) with `layout`, i.e. for
    // exactly `len` bytes of `u8`: what a `Vec<u8>` of capacity `len` frees.
    Ok(unsafe { Vec::from_raw_parts(ptr, 0, len) })
}

/// Fills `buf` (capacity `len`) by `write(ptr, len)`, which returns the bytes written.
fn filled(
    mut buf: Vec<u8>,
    len: usize,
    write: impl FnOnce(usize) -> Result<f64, JsValue>,
) -> Result<Vec<u8>, JsValue> {
    if len == 0 {
        return Ok(buf);
    }
    let wrote = write(buf.as_mut_ptr() as usize)?;
    if wrote != len as f64 {
        return Err(error::type_error(
            "the message changed size while it was being copied",
        ));
    }
    // SAFETY: the host wrote exactly `len` bytes, the capacity, from the start.
    unsafe { buf.set_len(len) };
    Ok(buf)
}

impl Measured {
    /// Checks a JS value's type and size; copies nothing.
    pub(crate) fn of(value: &JsValue) -> Result<Measured, JsValue> {
        if let Some(s) = value.dyn_ref::<JsString>() {
            let units = s.length() as usize;
            if units > MAX_MESSAGE_BYTES {
                return Err(error::range(&format!(
                    "message of at least {units} bytes (a string of {units} UTF-16 units) \
                     is over the limit of {MAX_MESSAGE_BYTES}"
                )));
            }
            // ASCII is by far the most common; otherwise count exactly.
            let len = if units == 0 {
                0
            } else {
                check_len(utf8_len(s) as usize)?
            };
            return Ok(Measured::Text(s.clone(), len));
        }
        if let Some(n) = value.as_f64() {
            return Ok(Measured::Number(n));
        }
        if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
            let len = check_len(bytes.length() as usize)?;
            return Ok(Measured::Bytes(bytes.clone(), len));
        }
        Err(not_a_message())
    }

    /// Copies the value into the wasm heap.
    pub(crate) fn copy(self) -> Result<Msg, JsValue> {
        let memory = wasm_bindgen::memory();
        match self {
            Measured::Number(n) => Ok(Msg::Number(n)),
            Measured::Bytes(src, len) => {
                let buf = filled(buffer(len)?, len, |ptr| put_bytes(&src, &memory, ptr, len))?;
                Ok(Msg::Bytes(buf.into_boxed_slice()))
            }
            Measured::Text(s, len) => {
                let buf = filled(buffer(len)?, len, |ptr| put_str(&s, &memory, ptr, len))?;
                // `TextEncoder` writes well-formed UTF-8 (lone surrogates become
                // U+FFFD); check anyway rather than trust the host.
                let text = String::from_utf8(buf)
                    .map_err(|_| error::type_error("the string did not encode as UTF-8"))?;
                Ok(Msg::Text(text.into_boxed_str()))
            }
        }
    }
}

impl Msg {
    /// Checks, measures and copies a JS value into a message.
    pub(crate) fn from_js(value: &JsValue) -> Result<Msg, JsValue> {
        Measured::of(value)?.copy()
    }

    /// Copies a message out into a fresh JS value (frees the heap copy).
    pub(crate) fn into_js(self) -> JsValue {
        match self {
            Msg::Number(n) => JsValue::from_f64(n),
            Msg::Text(s) if s.len() <= ASCII_FAST_MAX && s.is_ascii() => ascii(s.as_bytes()),
            Msg::Text(s) => JsValue::from_str(&s),
            Msg::Bytes(b) => Uint8Array::from(&b[..]).into(),
        }
    }
}

/// A batch from JS: checked to be an array within [`limits::MAX_BATCH`], every
/// element's type and size checked, none copied yet. Copied in parts
/// ([`Batch::copy_next`]), so a long batch never needs all its copies at once.
pub(crate) struct Batch {
    items: std::vec::IntoIter<Measured>,
}

impl Batch {
    /// Checks `values` (an `Array` of messages) before anything is copied.
    pub(crate) fn check(values: &JsValue) -> Result<Batch, JsValue> {
        let Some(values) = values.dyn_ref::<Array>() else {
            return Err(error::type_error("a batch must be an array of messages"));
        };
        let n = values.length() as usize;
        limits::batch_len(n).map_err(|e| error::range(&e.to_string()))?;
        let mut items = Vec::new();
        items.try_reserve_exact(n).map_err(|_| no_room(n))?;
        for i in 0..n {
            items.push(Measured::of(&values.get(i as u32))?);
        }
        Ok(Batch {
            items: items.into_iter(),
        })
    }

    /// Items not yet copied.
    pub(crate) fn remaining(&self) -> usize {
        self.items.len()
    }

    /// Copies up to `max` of the next items into `out`, after what it holds.
    pub(crate) fn copy_next(&mut self, out: &mut Vec<Msg>, max: usize) -> Result<(), JsValue> {
        let n = max.min(self.remaining());
        out.try_reserve_exact(n).map_err(|_| no_room(n))?;
        for m in self.items.by_ref().take(n) {
            out.push(m.copy()?);
        }
        Ok(())
    }
}

fn no_room(n: usize) -> JsValue {
    error::range(&format!(
        "batch of {n} items does not fit in the free wasm memory"
    ))
}

/// Messages out into a JS array.
pub(crate) fn to_js_array(msgs: Vec<Msg>) -> Array {
    let out = Array::new_with_length(msgs.len() as u32);
    for (i, m) in msgs.into_iter().enumerate() {
        out.set(i as u32, m.into_js());
    }
    out
}
