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

/// The per-environment state: fired by the environment's cleanup hook.
struct EnvState {
    trigger: Arc<Trigger>,
}

/// The trigger that fires when `env` is torn down (created, with its cleanup hook, on
/// first use in each environment).
pub fn env_trigger(env: &Env) -> napi::Result<Arc<Trigger>> {
    if let Some(state) = env.get_instance_data::<EnvState>()? {
        return Ok(Arc::clone(&state.trigger));
    }
    let trigger = Arc::new(Trigger::default());
    env.set_instance_data(
        EnvState {
            trigger: Arc::clone(&trigger),
        },
        (),
        |_| {},
    )?;
    env.add_env_cleanup_hook(Arc::clone(&trigger), |t| t.fire())?;
    Ok(trigger)
}
