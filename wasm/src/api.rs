//! Free functions of the JS API (the rest of the surface is in `npm/index.js`).

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use crate::error;
use crate::limits;
use crate::{env, owners, tokens, Receiver, Sender};

/// Creates a channel of exactly `capacity` slots (a whole number in
/// `1..=MAX_CAPACITY`) and returns `[sender, receiver]`. Throws `INVALID`: a
/// `TypeError` for a non-number, a `RangeError` out of range or when the ring does
/// not fit in the free wasm memory.
#[wasm_bindgen(unchecked_return_type = "[Sender, Receiver]")]
pub fn channel(
    #[wasm_bindgen(unchecked_param_type = "number")] capacity: JsValue,
) -> Result<Array, JsValue> {
    let Some(cap) = capacity.as_f64() else {
        return Err(error::type_error("capacity must be a number"));
    };
    let cap = limits::check_capacity(cap).map_err(|m| error::range(&m))?;
    let (tx, rx) = funnelq::try_channel(cap).map_err(|e| error::range(&e.to_string()))?;
    env::ensure_clock();
    Ok(Array::of2(
        &Sender::new(tx).into(),
        &Receiver::new(rx).into(),
    ))
}

/// Whether this thread may use the blocking forms (`false` on a browser main thread).
#[wasm_bindgen(js_name = canBlock)]
pub fn can_block() -> bool {
    env::can_block()
}

/// Testing aid: make this thread behave as if it may (not) block, e.g. to exercise
/// the browser-main-thread refusal (S17) under Node, whose main thread may block.
#[wasm_bindgen(js_name = setCanBlockForTesting)]
pub fn set_can_block_for_testing(can_block: bool) {
    env::set_can_block(can_block);
}

/// Drops an unredeemed token's handle (a worker that never started): a sender
/// stops counting (S12), a receiver closes the channel (S13). `false` if the
/// token is not, or no longer, pending. A non-string is a `TypeError`.
#[wasm_bindgen(js_name = revokeToken)]
pub fn revoke_token(
    #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
) -> Result<bool, JsValue> {
    tokens::revoke(&token)
}

/// How many share tokens wait to be redeemed in this memory (for leak checks).
#[wasm_bindgen(js_name = pendingTokens)]
pub fn pending_tokens() -> usize {
    tokens::pending()
}

/// This thread's id in the memory (what `releaseWorker()` takes).
#[wasm_bindgen(js_name = workerId)]
pub fn worker_id() -> u32 {
    owners::thread_id()
}

/// The limits, for `index.js` to check its constants against the module.
#[doc(hidden)]
#[wasm_bindgen(js_name = __limits)]
pub fn limits_object() -> Object {
    let o = Object::new();
    for (k, v) in [
        ("MAX_CAPACITY", limits::MAX_CAPACITY),
        ("MAX_MESSAGE_BYTES", limits::MAX_MESSAGE_BYTES),
        ("MAX_BATCH", limits::MAX_BATCH),
    ] {
        error::set(&o, k, &(v as f64).into());
    }
    o
}

/// A random id of this memory, for the workers' lifetime lock names.
#[doc(hidden)]
#[wasm_bindgen(js_name = __memoryDomain)]
pub fn memory_domain() -> u32 {
    owners::memory_domain()
}

/// Records that this worker holds its lifetime lock (`index.js`, `initWorker`).
#[doc(hidden)]
#[wasm_bindgen(js_name = __workerLocked)]
pub fn worker_locked() {
    owners::mark_locked();
}

/// `[known, holds its lifetime lock, Date.now() when it registered]` of a worker id.
#[doc(hidden)]
#[wasm_bindgen(js_name = __workerState)]
pub fn worker_state(id: u32) -> Array {
    let (known, locked, started) = owners::thread_state(id);
    Array::of3(&known.into(), &locked.into(), &started.into())
}

/// Step 1 of `releaseWorker` (`index.js`): worker `id`'s calls refuse from now on.
#[doc(hidden)]
#[wasm_bindgen(js_name = __releaseBegin)]
pub fn release_begin(id: u32) -> Result<(), JsValue> {
    owners::release_begin(id).map_err(error::invalid)
}

/// Step 2: how many calls worker `id` still has in progress.
#[doc(hidden)]
#[wasm_bindgen(js_name = __workerBusy)]
pub fn worker_busy(id: u32) -> u32 {
    owners::busy(id)
}

/// Step 3: drops every handle worker `id` still holds; how many.
#[doc(hidden)]
#[wasm_bindgen(js_name = __releaseWorker)]
pub fn release_worker(id: u32) -> Result<usize, JsValue> {
    // SAFETY: only `releaseWorker` in index.js calls this: after the worker has
    // stopped (its lifetime lock was free, or the caller's documented contract),
    // after step 1, and once step 2 reads 0 or a grace period passed (a call
    // that never ends: the worker died inside it).
    unsafe { owners::release_thread(id) }.map_err(error::invalid)
}
