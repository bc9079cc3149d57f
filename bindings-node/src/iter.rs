//! `for (const m of rx)` and `for await (const m of rx)`: iterator objects whose
//! `next()` is `recvSync()` / `recv()` on the same receiver, ending (`done: true`) at end
//! of stream. They share the receiver's slot, so they see its `dispose()` and `share()`
//! (`INVALID`) and its `BUSY`.

use std::ptr;
use std::sync::Arc;

use napi::bindgen_prelude::{Function, FunctionCallContext, JsObjectValue, Object, ToNapiValue};
use napi::{sys, Env, JsValue};

use crate::error::{Code, OrThrow};
use crate::message::Message;
use crate::slot::{recv_blocking, Shape, Slot};

/// A value already made on the JS thread, returned as it is.
struct Raw(sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// `{ value: m, done: false }`, or `{ value: undefined, done: true }` for `None`.
///
/// # Safety
///
/// `env` is live and this is its thread (the `ToNapiValue` contract).
pub unsafe fn step(env: sys::napi_env, m: Option<Message>) -> napi::Result<sys::napi_value> {
    let mut obj = ptr::null_mut();
    let mut done = ptr::null_mut();
    let done_now = m.is_none();
    // SAFETY: the caller's contract; every out-pointer is valid.
    unsafe {
        sys::napi_create_object(env, &mut obj);
        let value = match m {
            Some(m) => Message::to_napi_value(env, m)?,
            None => <()>::to_napi_value(env, ())?,
        };
        sys::napi_get_boolean(env, done_now, &mut done);
        sys::napi_set_named_property(env, obj, c"value".as_ptr(), value);
        sys::napi_set_named_property(env, obj, c"done".as_ptr(), done);
    }
    Ok(obj)
}

fn with_next<'env>(env: &'env Env, next: Function<'env, (), Raw>) -> napi::Result<Object<'env>> {
    let mut it = Object::new(env)?;
    it.set_named_property("next", next)?;
    Ok(it)
}

/// The object `rx[Symbol.iterator]()` returns.
pub fn sync_iterator(env: &Env, slot: Arc<Slot>) -> napi::Result<Object<'_>> {
    let next: Function<'_, (), Raw> =
        env.create_function_from_closure("next", move |ctx: FunctionCallContext| {
            let env: &Env = ctx.env;
            let mut claim = slot.claim().or_throw(env)?;
            match recv_blocking(env, &mut claim, None, None) {
                // SAFETY: inside a call from JS on its thread.
                Ok(mut v) => unsafe { step(env.raw(), v.pop()).map(Raw) },
                // SAFETY: as above.
                Err(f) if f.code == Code::Closed => unsafe { step(env.raw(), None).map(Raw) },
                Err(f) => Err(f.throw(env)),
            }
        })?;
    with_next(env, next)
}

/// The object `rx[Symbol.asyncIterator]()` returns.
pub fn async_iterator(env: &Env, slot: Arc<Slot>) -> napi::Result<Object<'_>> {
    let next: Function<'_, (), Raw> =
        env.create_function_from_closure("next", move |ctx: FunctionCallContext| {
            let env: &Env = ctx.env;
            let claim = match slot.claim() {
                Ok(c) => c,
                Err(f) => return crate::promise::rejected::<()>(env, f).map(|p| Raw(p.raw())),
            };
            let p = crate::receiver::recv_promise(env, claim, None, None, None, Shape::Step)?;
            Ok(Raw(p.raw()))
        })?;
    with_next(env, next)
}
