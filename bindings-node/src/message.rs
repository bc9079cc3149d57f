//! What travels through the channel: bytes (from a `Buffer`/`Uint8Array`, copied once
//! on send), a UTF-8 string, or a number. Anything else is a `TypeError`; a message over
//! [`MAX_MESSAGE_BYTES`] is a `RangeError`, refused before anything is copied (S22).

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};

use crate::error::Fail;

/// Largest message in bytes (a string counts its UTF-8 length). The same bound as the
/// WebAssembly package, so a message that fits one fits the other.
pub const MAX_MESSAGE_BYTES: usize = 1 << 26;

/// Payloads up to this size are copied into a fresh `Buffer` on receipt (cheaper than an
/// external allocation with a finalizer); larger ones are handed to JS without a copy.
const COPY_OUT_MAX: usize = 1024;

/// One message. Named `Message` so the generated `index.d.ts` refers to the
/// `Message` type alias declared in `dts-header.d.ts`.
#[derive(Debug, PartialEq)]
pub enum Message {
    Bytes(Vec<u8>),
    Str(String),
    Num(f64),
}

/// Checks a message size against [`MAX_MESSAGE_BYTES`] (a `RangeError` naming both).
fn within_limit(len: usize) -> Result<(), Fail> {
    funnelq_binding::limits::message_bytes(len, MAX_MESSAGE_BYTES)
        .map(drop)
        .map_err(|e| Fail::range_error(e.to_string()))
}

/// An empty buffer with room for `room` bytes, or a `RangeError` naming the size when
/// the allocator refuses (never an abort).
fn alloc(len: usize, room: usize) -> Result<Vec<u8>, Fail> {
    let mut v = Vec::new();
    v.try_reserve_exact(room)
        .map_err(|_| Fail::range_error(format!("message of {len} bytes cannot be allocated")))?;
    Ok(v)
}

impl Message {
    /// Reads a JS value: numbers are copied, strings are measured (UTF-8 length) and then
    /// copied, a `Uint8Array` (so also a `Buffer`) has its bytes copied once into a `Vec`
    /// the channel owns.
    pub fn from_js(env: sys::napi_env, value: sys::napi_value) -> Result<Message, Fail> {
        Message::read(env, value, true).map(|m| m.expect("read with copy gives a message"))
    }

    /// Checks a JS value as [`Message::from_js`] does (type and size) without copying it.
    pub fn check(env: sys::napi_env, value: sys::napi_value) -> Result<(), Fail> {
        Message::read(env, value, false).map(drop)
    }

    /// The one reader: `Some(message)` if `copy`, `None` once checked otherwise.
    fn read(
        env: sys::napi_env,
        value: sys::napi_value,
        copy: bool,
    ) -> Result<Option<Message>, Fail> {
        let mut ty = 0;
        // SAFETY: `env`/`value` are the live env and an argument of the current call.
        if unsafe { sys::napi_typeof(env, value, &mut ty) } != sys::Status::napi_ok {
            return Err(Fail::type_error("cannot read the message's type"));
        }
        match ty {
            sys::ValueType::napi_string => {
                let mut len = 0usize;
                // SAFETY: a null buffer asks only for the UTF-8 length (excluding NUL);
                // nothing is copied.
                let st = unsafe {
                    sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
                };
                if st != sys::Status::napi_ok {
                    return Err(Fail::type_error("cannot read the string message"));
                }
                within_limit(len)?;
                if !copy {
                    return Ok(None);
                }
                let mut buf = alloc(len, len + 1)?;
                let mut written = 0usize;
                // SAFETY: `buf` has room for `len + 1` bytes (text plus NUL); napi writes at
                // most that many and reports the text length in `written`.
                let st = unsafe {
                    sys::napi_get_value_string_utf8(
                        env,
                        value,
                        buf.as_mut_ptr().cast(),
                        len + 1,
                        &mut written,
                    )
                };
                if st != sys::Status::napi_ok || written > len {
                    return Err(Fail::type_error("cannot read the string message"));
                }
                // SAFETY: napi initialised `written <= len` bytes of `buf`.
                unsafe { buf.set_len(written) };
                // Node-API produces valid UTF-8 (lone surrogates become U+FFFD); check anyway
                // rather than trusting it with `from_utf8_unchecked`.
                String::from_utf8(buf)
                    .map(|s| Some(Message::Str(s)))
                    .map_err(|_| Fail::type_error("string message is not valid UTF-8"))
            }
            sys::ValueType::napi_number => {
                let mut n = 0f64;
                // SAFETY: `value` is a number (checked above).
                unsafe { sys::napi_get_value_double(env, value, &mut n) };
                Ok(Some(Message::Num(n)))
            }
            sys::ValueType::napi_object => {
                let mut is_ta = false;
                // SAFETY: `value` is a live object of this env.
                unsafe { sys::napi_is_typedarray(env, value, &mut is_ta) };
                if is_ta {
                    let mut kind = 0;
                    let mut len = 0usize;
                    let mut data: *mut c_void = ptr::null_mut();
                    let mut ab = ptr::null_mut();
                    let mut off = 0usize;
                    // SAFETY: `value` is a typed array (checked above); out-pointers are valid.
                    let st = unsafe {
                        sys::napi_get_typedarray_info(
                            env, value, &mut kind, &mut len, &mut data, &mut ab, &mut off,
                        )
                    };
                    if st == sys::Status::napi_ok && kind == sys::TypedarrayType::uint8_array {
                        // The size is checked before the copy is allocated.
                        within_limit(len)?;
                        if !copy {
                            return Ok(None);
                        }
                        let mut v = alloc(len, len)?;
                        if len > 0 && !data.is_null() {
                            // SAFETY: napi reports `data` as the first of `len` readable bytes
                            // of the array's view (already offset); JS cannot run during this
                            // copy.
                            let bytes =
                                unsafe { std::slice::from_raw_parts(data as *const u8, len) };
                            v.extend_from_slice(bytes);
                        }
                        return Ok(Some(Message::Bytes(v)));
                    }
                }
                Err(Fail::type_error(
                    "message must be a Buffer, Uint8Array, string or number (got another object)",
                ))
            }
            other => Err(Fail::type_error(format!(
                "message must be a Buffer, Uint8Array, string or number (got {})",
                type_name(other)
            ))),
        }
    }
}

fn type_name(ty: sys::napi_valuetype) -> &'static str {
    match ty {
        sys::ValueType::napi_undefined => "undefined",
        sys::ValueType::napi_null => "null",
        sys::ValueType::napi_boolean => "boolean",
        sys::ValueType::napi_symbol => "symbol",
        sys::ValueType::napi_function => "function",
        sys::ValueType::napi_bigint => "bigint",
        sys::ValueType::napi_external => "external",
        _ => "unsupported value",
    }
}

unsafe extern "C" fn drop_vec(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the `Box<Vec<u8>>` leaked in `to_napi_value` for this very buffer;
    // Node calls the finalizer exactly once.
    drop(unsafe { Box::from_raw(hint.cast::<Vec<u8>>()) });
}

impl ToNapiValue for Message {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let mut out = ptr::null_mut();
        let st = match val {
            Message::Num(n) => {
                // SAFETY: `env` is the live env of the JS thread calling us (the caller's
                // contract for `to_napi_value`); `out` is a valid out-pointer.
                unsafe { sys::napi_create_double(env, n, &mut out) }
            }
            Message::Str(s) => {
                // SAFETY: as above; `s` is valid UTF-8 of `s.len()` bytes for the call.
                unsafe {
                    sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out)
                }
            }
            Message::Bytes(v) if v.len() <= COPY_OUT_MAX => {
                let mut data = ptr::null_mut();
                // SAFETY: copies `v.len()` readable bytes into a new Buffer.
                unsafe {
                    sys::napi_create_buffer_copy(
                        env,
                        v.len(),
                        v.as_ptr().cast(),
                        &mut data,
                        &mut out,
                    )
                }
            }
            Message::Bytes(v) => {
                let len = v.len();
                let boxed = Box::into_raw(Box::new(v));
                // SAFETY: the Vec's heap block stays put while the Box lives; the Box is freed
                // by `drop_vec` when the Buffer is collected (or below if creation fails).
                let st = unsafe {
                    sys::napi_create_external_buffer(
                        env,
                        len,
                        (*boxed).as_mut_ptr().cast(),
                        Some(drop_vec),
                        boxed.cast(),
                        &mut out,
                    )
                };
                if st == sys::Status::napi_ok {
                    st
                } else {
                    // SAFETY: creation failed, so Node holds no finalizer for `boxed`: reclaim it.
                    let v = unsafe { Box::from_raw(boxed) };
                    let mut data = ptr::null_mut();
                    // SAFETY: as in the copy arm.
                    unsafe {
                        sys::napi_create_buffer_copy(
                            env,
                            len,
                            v.as_ptr().cast(),
                            &mut data,
                            &mut out,
                        )
                    }
                }
            }
        };
        if st != sys::Status::napi_ok {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "cannot create the message value",
            ));
        }
        Ok(out)
    }
}

impl TypeName for Message {
    fn type_name() -> &'static str {
        "Message"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Message {}

/// A received batch, handed to JS as an `Array`.
pub struct MessageList(pub Vec<Message>);

impl ToNapiValue for MessageList {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let mut arr = ptr::null_mut();
        // SAFETY: `env` is live on this thread (caller's contract).
        if unsafe { sys::napi_create_array_with_length(env, val.0.len(), &mut arr) }
            != sys::Status::napi_ok
        {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "cannot create the batch array",
            ));
        }
        for (i, m) in val.0.into_iter().enumerate() {
            // SAFETY: same env, same thread.
            let v = unsafe { Message::to_napi_value(env, m)? };
            // SAFETY: `arr` is the array created above, `i` is within its length.
            unsafe { sys::napi_set_element(env, arr, i as u32, v) };
        }
        Ok(arr)
    }
}

impl TypeName for MessageList {
    fn type_name() -> &'static str {
        "Array<Message>"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}
