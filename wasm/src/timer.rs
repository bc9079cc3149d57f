//! A JS timer as a wake-up source, for the timeouts of the async forms.
//!
//! `setTimeout` sets a flag and wakes the pending future; the future then drops
//! the core's `RecvFuture`/`SendFuture` (which loses nothing / enqueues nothing:
//! the core's cancel-safety, S16). Dropping the timer clears it.

use core::cell::{Cell, RefCell};
use core::task::{Context, Waker};
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::env;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

#[wasm_bindgen(
    inline_js = "export function unref(t) { if (typeof t?.unref === 'function') t.unref(); }"
)]
extern "C" {
    /// Node.js: the timer does not keep the process alive (browsers: nothing).
    fn unref(handle: &JsValue);
}

#[derive(Default)]
struct State {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// One armed `setTimeout` and the callback it holds.
struct Armed {
    handle: JsValue,
    // Kept alive until the timer is cleared (or has fired).
    _callback: Closure<dyn FnMut()>,
}

impl Armed {
    fn new(state: &Rc<State>, after_ms: f64, keep_alive: bool) -> Armed {
        let s = state.clone();
        let callback = Closure::once(move || {
            s.fired.set(true);
            if let Some(w) = s.waker.borrow_mut().take() {
                w.wake();
            }
        });
        let handle = set_timeout(callback.as_ref().unchecked_ref(), after_ms);
        if !keep_alive {
            unref(&handle);
        }
        Armed {
            handle,
            _callback: callback,
        }
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}

/// A deadline backed by `setTimeout`; cleared on drop. It never reports expiry
/// before the deadline on the monotonic clock (JS timers may fire a little early).
pub(crate) struct Timer {
    state: Rc<State>,
    deadline_ms: f64,
    armed: RefCell<Armed>,
    keep_alive: bool,
}

impl Timer {
    /// A timer that, in Node.js, keeps the process alive (a caller's timeout).
    pub(crate) fn start(after: Duration) -> Timer {
        Timer::arm(after, true)
    }

    /// A timer that does not keep a Node.js process alive (a re-poll slice).
    pub(crate) fn start_unref(after: Duration) -> Timer {
        Timer::arm(after, false)
    }

    fn arm(after: Duration, keep_alive: bool) -> Timer {
        let state = Rc::new(State::default());
        let after_ms = after.as_secs_f64() * 1000.0;
        let armed = RefCell::new(Armed::new(&state, after_ms, keep_alive));
        Timer {
            state,
            deadline_ms: env::now_ms() + after_ms,
            armed,
            keep_alive,
        }
    }

    /// Whether the deadline passed; if not, wakes `cx` when the timer fires.
    pub(crate) fn poll_fired(&self, cx: &Context<'_>) -> bool {
        if self.state.fired.get() {
            let left = self.deadline_ms - env::now_ms();
            if left <= 0.0 {
                return true;
            }
            // Fired early: re-arm for the rest (rounded up to a whole millisecond).
            self.state.fired.set(false);
            *self.armed.borrow_mut() = Armed::new(&self.state, left.ceil(), self.keep_alive);
        }
        *self.state.waker.borrow_mut() = Some(cx.waker().clone());
        false
    }
}
