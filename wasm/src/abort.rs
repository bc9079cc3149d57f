//! What ends the wait of a Promise form early, and what bounds it (S21).
//!
//! The Promise forms take `{ timeout?, signal? }` ([`crate::options`]); aborting
//! `signal` rejects with an `AbortError` (`code: 'ABORT_ERR'`, `cause` =
//! `signal.reason`), as the web platform's own APIs do. Either way the future drops
//! the core's `SendFuture`/`RecvFuture`, which enqueues nothing / loses nothing (the
//! core's cancel safety, S16). An outcome that is ready when the stop comes still
//! wins: the operation is polled first.
//!
//! Bounded wake-ups (S21): a web worker terminated while it waited leaves its
//! waiter record in the channel, and the wake-up for the next free slot or message
//! can land on it. So a pending Promise form does not rely on its wake-up alone: it
//! polls the channel again every [`SLICE`] at most, as the blocking forms do in the
//! core, and proceeds within that bound beside a free slot or a queued message.

use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{self, Code};
use crate::options;
use crate::timer::Timer;

/// The longest a pending Promise form waits without polling the channel again
/// (S21: the bound on a wake-up lost to a terminated worker's waiter record).
pub(crate) const SLICE: Duration = Duration::from_millis(20);

/// The rejection for an abort: an `Error` named `AbortError`, `code: 'ABORT_ERR'`,
/// `cause` = `signal.reason`.
fn abort_error(signal: &JsValue) -> JsValue {
    let err = error::error(Code::Aborted, "the operation was aborted");
    let reason = Reflect::get(signal, &"reason".into()).unwrap_or(JsValue::UNDEFINED);
    // Setting data properties on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &"name".into(), &"AbortError".into());
    let _ = Reflect::set(&err, &"cause".into(), &reason);
    err
}

#[derive(Default)]
struct Fired {
    fired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// An `abort` listener on a signal, removed on drop.
struct Listener {
    signal: JsValue,
    state: Rc<Fired>,
    callback: Closure<dyn FnMut()>,
}

impl Listener {
    fn add(signal: JsValue) -> Result<Listener, JsValue> {
        let state = Rc::new(Fired::default());
        let s = state.clone();
        let callback = Closure::<dyn FnMut()>::new(move || {
            s.fired.set(true);
            if let Some(w) = s.waker.borrow_mut().take() {
                w.wake();
            }
        });
        call_method(&signal, "addEventListener", callback.as_ref())?;
        Ok(Listener {
            signal,
            state,
            callback,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // One signal may serve many calls: leave no listener behind.
        let _ = call_method(&self.signal, "removeEventListener", self.callback.as_ref());
    }
}

/// `target[method]('abort', listener)`.
fn call_method(target: &JsValue, method: &str, listener: &JsValue) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    f.call2(target, &"abort".into(), listener)
}

/// What ends an async wait early (its timeout, its signal) and what bounds it
/// (the slice, see the module docs).
pub(crate) struct Stop {
    timer: Option<Timer>,
    listener: Option<Listener>,
    slice: RefCell<Option<Timer>>,
}

impl Stop {
    /// The rejection if `options.signal` is already aborted: a call checks it
    /// before anything is enqueued or taken, even when it could complete at once.
    pub(crate) fn already_aborted(options: &options::Parsed) -> Option<JsValue> {
        let signal = options.signal.as_ref()?;
        Reflect::get(signal, &"aborted".into())
            .ok()?
            .is_truthy()
            .then(|| abort_error(signal))
    }

    /// Arms the timeout and listens on the signal of parsed options
    /// ([`options::promise`]). A signal that is already aborted is the call's
    /// rejection, before anything is enqueued or taken.
    pub(crate) fn start(options: options::Parsed) -> Result<Stop, JsValue> {
        let listener = match options.signal {
            Some(signal) if Reflect::get(&signal, &"aborted".into())?.is_truthy() => {
                return Err(abort_error(&signal));
            }
            Some(signal) => Some(Listener::add(signal)?),
            None => None,
        };
        Ok(Stop {
            timer: options.timeout.map(Timer::start),
            listener,
            slice: RefCell::new(None),
        })
    }

    /// Runs `fut` until it completes, or until the timeout passes or the signal aborts:
    /// then `fut` is dropped (the core's futures are cancel-safe) and the result is the
    /// rejection. `fut` is polled first, so an outcome that is ready wins.
    pub(crate) async fn run<T>(&self, fut: impl Future<Output = T>) -> Result<T, JsValue> {
        let mut fut = pin!(fut);
        poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            match self.poll(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// The rejection once the timeout passed or the signal aborted; until then,
    /// wakes `cx` when either happens, or when the slice ends (the caller then
    /// polls the channel again).
    fn poll(&self, cx: &Context<'_>) -> Option<JsValue> {
        let mut slice = self.slice.borrow_mut();
        if slice.as_ref().is_none_or(|t| t.poll_fired(cx)) {
            let t = Timer::start_unref(SLICE);
            t.poll_fired(cx); // registers the waker
            *slice = Some(t);
        }
        if let Some(t) = &self.timer {
            if t.poll_fired(cx) {
                return Some(error::timeout());
            }
        }
        if let Some(l) = &self.listener {
            if l.state.fired.get() {
                return Some(abort_error(&l.signal));
            }
            *l.state.waker.borrow_mut() = Some(cx.waker().clone());
        }
        None
    }
}
