//! What the JS host provides: a monotonic clock, "may this thread block?", randomness.

use core::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

use js_sys::{Atomics, Int32Array, SharedArrayBuffer};
use wasm_bindgen::prelude::*;

use crate::error;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: monotonic milliseconds since this thread's time origin
    /// (present in windows, web workers and Node, main thread and workers).
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Monotonic milliseconds on this thread (`performance.now()`).
pub(crate) fn now_ms() -> f64 {
    performance_now()
}

fn now_nanos() -> u64 {
    // Deadlines are computed and checked on the calling thread, so a per-thread
    // origin is fine. `as` saturates; the value is small and non-negative anyway.
    (performance_now() * 1e6) as u64
}

/// Installs the core's clock (the core keeps it in a static in the shared memory).
/// Not a `Once`: a contended `Once` waits, and a browser main thread may not.
/// Two threads racing here both store the same function, which is harmless.
pub(crate) fn ensure_clock() {
    static CLOCK_SET: AtomicBool = AtomicBool::new(false);
    // ORDERING: Relaxed is enough: `set_clock` publishes the clock with its own
    // Release store; this flag only skips redundant calls.
    if !CLOCK_SET.load(Ordering::Relaxed) {
        funnelq::clock::set_clock(now_nanos);
        CLOCK_SET.store(true, Ordering::Relaxed);
    }
}

thread_local! {
    /// `None` until probed; then whether `Atomics.wait` is allowed on this thread.
    static CAN_BLOCK: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Whether this thread may block (web workers, Node threads: yes; a browser
/// window's main thread: no). Probed once per thread with a non-blocking
/// `Atomics.wait` on a private word: it returns `"not-equal"` where blocking is
/// allowed and throws a `TypeError` where it is not.
pub(crate) fn can_block() -> bool {
    CAN_BLOCK.with(|c| {
        if let Some(v) = c.get() {
            return v;
        }
        let word = Int32Array::new(&SharedArrayBuffer::new(4));
        let v = Atomics::wait_with_timeout(&word, 0, 1, 0.0).is_ok();
        c.set(Some(v));
        v
    })
}

/// Overrides the probe for this thread (tests use it to play a browser main thread in Node).
pub(crate) fn set_can_block(v: bool) {
    CAN_BLOCK.with(|c| c.set(Some(v)));
}

/// Refuses a blocking call where blocking would trap (S17): `what` is the blocking
/// form, `instead` its Promise form.
pub(crate) fn ensure_can_block(what: &str, instead: &str) -> Result<(), JsValue> {
    if can_block() {
        Ok(())
    } else {
        Err(error::main_thread(what, instead))
    }
}

/// 64 random bits for share-token tags and a memory's domain.
pub(crate) fn random_u64() -> u64 {
    // Math.random() has at least 32 bits of state per call in every engine we
    // target; tokens guard against mistakes and stale copies, not attackers.
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (half() << 32) | half()
}
