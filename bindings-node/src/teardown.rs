//! When the environment of a call goes away (S21): `worker.terminate()`, a worker's
//! `process.exit()`, or the main thread's `process.exit()`, which stops every worker and
//! joins its thread. Node marks the environment as stopping from the thread that asks
//! (`Environment::ExitEnv` sets an atomic flag, then asks V8 to terminate), and from
//! then on every Node-API call that may run JavaScript fails on that environment
//! (`NAPI_PREAMBLE` checks `can_call_into_js()`). Two consequences here:
//!
//! - A blocking `…Sync` call waits in slices of [`SLICE`] and probes [`js_alive`]
//!   between them, so it returns within a slice of the environment stopping, and
//!   `terminate()`/`process.exit()` do not hang behind it.
//! - A pending Promise is cancelled by the environment's cleanup hook ([`env_trigger`]):
//!   its operation is dropped (cancel-safe in the core), so a dead worker's send never
//!   keeps its sender counted (S12) and its receive never keeps the receiver held.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use napi::{sys, Env};

use crate::cancel::Trigger;
use crate::error::Fail;

/// The longest a blocking call waits before it checks that its environment can still
/// run JavaScript.
pub const SLICE: Duration = Duration::from_millis(50);

/// The end of a blocking call's next wait slice: `deadline` or one [`SLICE`] from now,
/// whichever is sooner.
pub fn slice_end(deadline: Option<Instant>) -> Instant {
    let next = Instant::now() + SLICE;
    deadline.map_or(next, |d| d.min(next))
}

/// Whether `deadline` (if any) has passed.
pub fn passed(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Whether `env` can still run JavaScript. Call on `env`'s own thread, inside a call
/// from it (a handle scope is open).
pub fn js_alive(env: sys::napi_env) -> bool {
    let mut scope = ptr::null_mut();
    let mut undefined = ptr::null_mut();
    let mut same = false;
    // SAFETY: `env` is the live env of the calling thread. `napi_strict_equals` starts with
    // Node's NAPI_PREAMBLE, which reports `napi_pending_exception` once the environment
    // cannot call into JavaScript; comparing `undefined` with itself runs no JavaScript.
    // The handle scope keeps the probe from adding handles to a long blocking call.
    unsafe {
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return false;
        }
        sys::napi_get_undefined(env, &mut undefined);
        let st = sys::napi_strict_equals(env, undefined, undefined, &mut same);
        sys::napi_close_handle_scope(env, scope);
        st == sys::Status::napi_ok
    }
}

/// `Ok` while `env` can run JavaScript, else the error that ends a blocking call.
pub fn still_alive(env: sys::napi_env) -> Result<(), Fail> {
    if js_alive(env) {
        Ok(())
    } else {
        Err(Fail::env_stopping())
    }
}

/// The trigger that fires when `env` is torn down: created on first use in each
/// environment, kept as this module's instance data for that environment, fired by an
/// environment cleanup hook. (Raw calls rather than napi-rs's typed instance data, whose
/// lookup takes a process-wide lock on every call.)
pub fn env_trigger(env: &Env) -> napi::Result<Arc<Trigger>> {
    let raw = env.raw();
    let mut data = ptr::null_mut();
    // SAFETY: `raw` is the live env of the calling thread; `data` is a valid out-pointer.
    unsafe { sys::napi_get_instance_data(raw, &mut data) };
    if !data.is_null() {
        // SAFETY: only this function sets this module's instance data, always to a leaked
        // `Box<Arc<Trigger>>` that stays until the environment's finalizer frees it.
        return Ok(Arc::clone(unsafe { &*data.cast::<Arc<Trigger>>() }));
    }
    let trigger = Arc::new(Trigger::default());
    let boxed = Box::into_raw(Box::new(Arc::clone(&trigger))).cast::<c_void>();
    // SAFETY: `boxed` is a fresh allocation handed to Node: freed by `free_trigger` when
    // the environment goes, after its cleanup hooks ran (Node finalizes instance data in
    // the napi_env's destructor, which the first cleanup hook registered triggers, and
    // hooks run last-registered first); the hook's argument is unique per environment.
    let st = unsafe {
        let st = sys::napi_set_instance_data(raw, boxed, Some(free_trigger), ptr::null_mut());
        if st == sys::Status::napi_ok {
            sys::napi_add_env_cleanup_hook(raw, Some(fire_trigger), boxed)
        } else {
            drop(Box::from_raw(boxed.cast::<Arc<Trigger>>()));
            st
        }
    };
    if st != sys::Status::napi_ok {
        return Err(napi::Error::new(
            napi::Status::GenericFailure,
            "cannot register the environment's teardown hook",
        ));
    }
    Ok(trigger)
}

unsafe extern "C" fn fire_trigger(arg: *mut c_void) {
    // SAFETY: `arg` is the `Box<Arc<Trigger>>` registered with this hook, still alive
    // (see `env_trigger`).
    unsafe { &*arg.cast::<Arc<Trigger>>() }.fire();
}

unsafe extern "C" fn free_trigger(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Box<Arc<Trigger>>` leaked in `env_trigger`; Node calls this
    // finalizer once.
    drop(unsafe { Box::from_raw(data.cast::<Arc<Trigger>>()) });
}
