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
use core::cell::{Cell, UnsafeCell};

use funnelq_binding::limits;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::alloc;
use crate::error;
use crate::limits::MAX_MESSAGE_BYTES;

#[wasm_bindgen(inline_js = r#"
let mem = null;
let view = null;
export function set_memory(m) { mem = m; }
function bytes() {
  const b = mem.buffer;
  if (view === null || view.buffer !== b) view = new Uint8Array(b);
  return view;
}
const encoder = new TextEncoder();
let intoShared = true; // encodeInto on a shared view: Node yes, Chromium no
function encode(s, ptr, cap) {
  const m = bytes();
  if (intoShared) {
    try {
      const r = encoder.encodeInto(s, m.subarray(ptr, ptr + cap));
      return r.read === s.length ? r.written : -1;
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      intoShared = false;
    }
  }
  const b = encoder.encode(s);
  if (b.length > cap) return -1;
  m.set(b, ptr);
  return b.length;
}
export function ascii(b) { return String.fromCharCode.apply(null, b); }
export function str_units(v) { return typeof v === 'string' ? v.length : NaN; }
const BYTES = 2 ** 32;
const LONG_BYTES = 2 ** 33;
export function small_msg(v, ptr, cap) {
  if (typeof v !== 'string') {
    if (!(v instanceof Uint8Array)) return NaN;
    const n = v.length;
    if (n > cap) return LONG_BYTES + n;
    bytes().set(v, ptr);
    return BYTES + n;
  }
  const n = v.length;
  if (n * 3 > cap) return -1 - n;
  const m = bytes();
  let i = 0;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x80) return encode(v, ptr, cap);
    m[ptr + i] = c;
  }
  return n;
}
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
export function put_str(s, ptr, len) {
  if (len === s.length) { // ASCII: one byte per unit
    const m = bytes();
    for (let i = 0; i < len; i++) m[ptr + i] = s.charCodeAt(i);
    return len;
  }
  return encode(s, ptr, len);
}
const decoder = new TextDecoder();
export function get_bytes(ptr, len) { return bytes().slice(ptr, ptr + len); }
export function get_str(ptr, len) { return decoder.decode(bytes().slice(ptr, ptr + len)); }
export function put_bytes(src, ptr, len) {
  if (src.length !== len) return -1;
  bytes().set(src, ptr);
  return len;
}
"#)]
extern "C" {
    /// Gives the snippet the module's memory (once per thread).
    fn set_memory(memory: &JsValue);
    /// Short ASCII strings: one `String.fromCharCode` over a view of the wasm memory,
    /// cheaper than wasm-bindgen's copy-then-`TextDecoder` path (shared memory).
    fn ascii(bytes: &[u8]) -> JsValue;
    /// A string's length in UTF-16 units; NaN for anything else.
    fn str_units(v: &JsValue) -> f64;
    /// The hot path, one call: a string of at most `cap / 3` units is written as
    /// UTF-8 at `ptr` (returns the bytes written); a longer string returns
    /// `-1 - units`; a `Uint8Array` of at most `cap` bytes is copied to `ptr`
    /// (returns `2^32 + length`), a longer one returns `2^33 + length`; anything
    /// else NaN.
    #[wasm_bindgen(catch)]
    fn small_msg(v: &JsValue, ptr: *mut u8, cap: usize) -> Result<f64, JsValue>;
    /// The exact UTF-8 length of `s` as `TextEncoder` writes it, without copying.
    fn utf8_len(s: &JsValue) -> f64;
    /// Writes `s` as UTF-8 into `len` bytes of the memory at `ptr`; bytes written.
    #[wasm_bindgen(catch)]
    fn put_str(s: &JsValue, ptr: *mut u8, len: usize) -> Result<f64, JsValue>;
    /// A fresh (non-shared) `Uint8Array` copy of `len` bytes at `ptr`.
    #[wasm_bindgen(catch)]
    fn get_bytes(ptr: *const u8, len: usize) -> Result<JsValue, JsValue>;
    /// A string decoded from `len` UTF-8 bytes at `ptr`.
    #[wasm_bindgen(catch)]
    fn get_str(ptr: *const u8, len: usize) -> Result<JsValue, JsValue>;
    /// Copies `src` (exactly `len` bytes, else -1) into the memory at `ptr`.
    #[wasm_bindgen(catch)]
    fn put_bytes(src: &Uint8Array, ptr: *mut u8, len: usize) -> Result<f64, JsValue>;
}

/// Longest string that takes the [`ascii`] path.
const ASCII_FAST_MAX: usize = 256;

/// Bytes of the per-thread scratch for short strings (256 UTF-16 units) and
/// short byte arrays.
const SCRATCH: usize = 3 * 256;
/// [`small_msg`]'s tags for byte arrays (see there).
const BYTES: f64 = 4_294_967_296.0;
const LONG_BYTES: f64 = 8_589_934_592.0;

thread_local! {
    /// Where [`small_msg`] writes; whether the snippet has the memory yet.
    static SCRATCH_BUF: (UnsafeCell<[u8; SCRATCH]>, Cell<bool>) =
        const { (UnsafeCell::new([0; SCRATCH]), Cell::new(false)) };
}

/// Calls `f` with this thread's scratch, after giving the snippet the memory.
fn with_scratch<R>(f: impl FnOnce(*mut u8) -> R) -> R {
    SCRATCH_BUF.with(|(buf, ready)| {
        if !ready.get() {
            set_memory(&wasm_bindgen::memory());
            ready.set(true);
        }
        f(buf.get().cast())
    })
}

/// One message in the channel.
pub(crate) enum Msg {
    Bytes(Box<[u8]>),
    Text(Box<str>),
    Number(f64),
}

/// A JS value checked and measured, not yet copied.
pub(crate) enum Measured {
    Bytes(Uint8Array, usize),
    /// A string and its UTF-8 length; `None`: short, copied through the scratch.
    Text(JsValue, Option<usize>),
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

/// Fills `buf` (capacity `len`) by `write(ptr)`, which returns the bytes written.
fn filled(
    mut buf: Vec<u8>,
    len: usize,
    write: impl FnOnce(*mut u8) -> Result<f64, JsValue>,
) -> Result<Vec<u8>, JsValue> {
    if len == 0 {
        return Ok(buf);
    }
    let wrote = write(buf.as_mut_ptr())?;
    if wrote != len as f64 {
        return Err(error::type_error(
            "the message changed size while it was being copied",
        ));
    }
    // SAFETY: the host wrote exactly `len` bytes, the capacity, from the start.
    unsafe { buf.set_len(len) };
    Ok(buf)
}

/// A string's UTF-8 bytes as a message. `TextEncoder` writes well-formed UTF-8
/// (lone surrogates become U+FFFD); checked anyway rather than trusted.
fn text(buf: Vec<u8>) -> Result<Msg, JsValue> {
    let text = String::from_utf8(buf)
        .map_err(|_| error::type_error("the string did not encode as UTF-8"))?;
    Ok(Msg::Text(text.into_boxed_str()))
}

/// A string longer than the scratch: refused by its UTF-16 length if that is
/// over the limit already, else measured exactly (no copy) and checked.
fn long_str_len(v: &JsValue, units: usize) -> Result<usize, JsValue> {
    if units > MAX_MESSAGE_BYTES {
        return Err(error::range(&format!(
            "message of at least {units} bytes (a string of {units} UTF-16 units) \
             is over the limit of {MAX_MESSAGE_BYTES}"
        )));
    }
    check_len(utf8_len(v) as usize)
}

/// Copies a string whose UTF-8 length `len` is known and checked.
fn copy_long_str(v: &JsValue, len: usize) -> Result<Msg, JsValue> {
    with_scratch(|_| ()); // the snippet needs the memory
    text(filled(buffer(len)?, len, |ptr| put_str(v, ptr, len))?)
}

/// Numbers and byte arrays (what is not a string).
fn other(value: &JsValue) -> Result<Measured, JsValue> {
    if let Some(n) = value.as_f64() {
        return Ok(Measured::Number(n));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        let len = check_len(bytes.length() as usize)?;
        return Ok(Measured::Bytes(bytes.clone(), len));
    }
    Err(not_a_message())
}

impl Measured {
    /// Checks a JS value's type and size; copies nothing.
    pub(crate) fn of(value: &JsValue) -> Result<Measured, JsValue> {
        let units = str_units(value);
        if units.is_nan() {
            return other(value);
        }
        let units = units as usize;
        if units * 3 <= SCRATCH {
            return Ok(Measured::Text(value.clone(), None));
        }
        Ok(Measured::Text(
            value.clone(),
            Some(long_str_len(value, units)?),
        ))
    }

    /// Copies the value into the wasm heap.
    pub(crate) fn copy(self) -> Result<Msg, JsValue> {
        match self {
            Measured::Number(n) => Ok(Msg::Number(n)),
            Measured::Bytes(src, len) => {
                with_scratch(|_| ()); // the snippet needs the memory
                let buf = filled(buffer(len)?, len, |ptr| put_bytes(&src, ptr, len))?;
                Ok(Msg::Bytes(buf.into_boxed_slice()))
            }
            Measured::Text(v, None) => Msg::from_js(&v),
            Measured::Text(v, Some(len)) => copy_long_str(&v, len),
        }
    }
}

impl Msg {
    /// Checks, measures and copies a JS value into a message. A short string
    /// (the common case) takes one call into JS, which writes it to a scratch
    /// buffer; then exactly its bytes are allocated.
    pub(crate) fn from_js(value: &JsValue) -> Result<Msg, JsValue> {
        let (r, scratch) = with_scratch(|scratch| (small_msg(value, scratch, SCRATCH), scratch));
        let r = r?;
        if r.is_nan() {
            return other(value)?.copy();
        }
        if r < 0.0 {
            // `-1 - units`: a string too long for the scratch.
            let units = (-1.0 - r) as usize;
            return copy_long_str(value, long_str_len(value, units)?);
        }
        if r >= LONG_BYTES {
            // A `Uint8Array` too long for the scratch: measured, not copied.
            let len = check_len((r - LONG_BYTES) as usize)?;
            return Measured::Bytes(value.clone().unchecked_into(), len).copy();
        }
        let (is_bytes, n) = if r >= BYTES {
            (true, (r - BYTES) as usize)
        } else {
            (false, r as usize)
        };
        let n = n.min(SCRATCH);
        let mut buf = buffer(n)?;
        // SAFETY: JS wrote `n <= SCRATCH` bytes at the start of this thread's
        // scratch during the call above; nothing else writes it.
        buf.extend_from_slice(unsafe { core::slice::from_raw_parts(scratch, n) });
        if is_bytes {
            Ok(Msg::Bytes(buf.into_boxed_slice()))
        } else {
            text(buf)
        }
    }

    /// Copies a message out into a fresh JS value. Fails only if the JS heap
    /// cannot hold it (the message stays intact: the caller gives it back).
    pub(crate) fn to_js(&self) -> Result<JsValue, JsValue> {
        match self {
            Msg::Number(n) => Ok(JsValue::from_f64(*n)),
            Msg::Text(s) if s.len() <= ASCII_FAST_MAX && s.is_ascii() => Ok(ascii(s.as_bytes())),
            Msg::Text(s) => with_scratch(|_| get_str(s.as_ptr(), s.len())),
            Msg::Bytes(b) => with_scratch(|_| get_bytes(b.as_ptr(), b.len())),
        }
    }

    fn size(&self) -> usize {
        match self {
            Msg::Number(_) => 8,
            Msg::Text(s) => s.len(),
            Msg::Bytes(b) => b.len(),
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

/// The error when the JS heap cannot hold a received message.
fn undeliverable(m: &Msg, e: &JsValue) -> JsValue {
    let why = js_sys::Error::from(e.clone()).message();
    error::range(&format!(
        "a message of {} bytes could not be copied into the JS heap ({why}); \
         it stays first in the channel",
        m.size()
    ))
}

/// Copies received messages out, all or none: the JS array, or the error when
/// the JS heap cannot hold one, with every message back in `msgs`.
pub(crate) fn to_js_array(msgs: &[Msg]) -> Result<Array, JsValue> {
    let out = Array::new_with_length(msgs.len() as u32);
    for (i, m) in msgs.iter().enumerate() {
        out.set(i as u32, m.to_js().map_err(|e| undeliverable(m, &e))?);
    }
    Ok(out)
}

/// One received message copied out, or the error (the message is intact).
pub(crate) fn to_js_one(m: &Msg) -> Result<JsValue, JsValue> {
    m.to_js().map_err(|e| undeliverable(m, &e))
}
