//! The last argument of the async forms, and what ends their wait early.
//!
//! `sendAsync(msg, options?)`, `recvAsync(options?)` and `recvBatchAsync(max, options?)`
//! take a timeout in milliseconds (as before) or `{ timeout?, signal? }`, where `signal`
//! is an `AbortSignal`: aborting it rejects the Promise with an `AbortError`
//! (`code: 'ABORT_ERR'`, `cause` = `signal.reason`), as the web platform's own APIs do.
//! Either way the future drops the core's `SendFuture`/`RecvFuture`, which enqueues
//! nothing / loses nothing (the core's cancel safety, S16). An outcome that is ready
//! when the stop comes still wins: the operation is polled first.

use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::env;
use crate::error::{self, Code};
use crate::timer::Timer;

#[wasm_bindgen(typescript_custom_section)]
const ASYNC_OPTIONS: &'static str = r#"
/** The last argument of the async forms (or just a timeout in milliseconds). */
export interface AsyncOptions {
  /** Give up after this many milliseconds (`TIMEOUT`); `Infinity` or absent: no bound. */
  timeout?: number;
  /** Aborting it rejects with an `AbortError` (`code: 'ABORT_ERR'`, `cause`: `signal.reason`). */
  signal?: AbortSignal;
}
"#;

/// The parsed options of one async call.
struct WaitOptions {
    timeout: Option<Duration>,
    signal: Option<JsValue>,
}

/// Parses `options`: `undefined`/`null`, a number of milliseconds, or
/// `{ timeout?, signal? }`. Anything else is a `TypeError` (`INVALID`).
fn wait_options(options: &JsValue) -> Result<WaitOptions, JsValue> {
    let none = || {
        Ok(WaitOptions {
            timeout: None,
            signal: None,
        })
    };
    if options.is_undefined() || options.is_null() {
        return none();
    }
    if let Some(ms) = options.as_f64() {
        return Ok(WaitOptions {
            timeout: env::timeout(Some(ms))?,
            signal: None,
        });
    }
    if !options.is_object() || options.is_function() {
        return Err(error::type_error(
            "options must be a timeout in milliseconds or { timeout?, signal? }",
        ));
    }
    let field = |name: &str| Reflect::get(options, &name.into());
    let timeout = field("timeout")?;
    let timeout = if timeout.is_undefined() || timeout.is_null() {
        None
    } else if let Some(ms) = timeout.as_f64() {
        env::timeout(Some(ms))?
    } else {
        return Err(error::type_error(
            "options.timeout must be a number of milliseconds",
        ));
    };
    let signal = field("signal")?;
    let signal = if signal.is_undefined() {
        None
    } else if is_abort_signal(&signal) {
        Some(signal)
    } else {
        return Err(error::type_error("options.signal must be an AbortSignal"));
    };
    Ok(WaitOptions { timeout, signal })
}

/// An object with a boolean `aborted` and an `addEventListener` method.
fn is_abort_signal(v: &JsValue) -> bool {
    v.is_object()
        && Reflect::get(v, &"aborted".into()).is_ok_and(|a| a.as_bool().is_some())
        && Reflect::get(v, &"addEventListener".into()).is_ok_and(|f| f.is_function())
}

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

/// What ends an async wait early: its timeout, its signal, or neither.
pub(crate) struct Stop {
    timer: Option<Timer>,
    listener: Option<Listener>,
}

impl Stop {
    /// Parses an async form's last argument (see [`wait_options`]), arms the timeout and
    /// listens on the signal. A signal that is already aborted is the call's rejection,
    /// before anything is enqueued or taken.
    pub(crate) fn start(options: Option<JsValue>) -> Result<Stop, JsValue> {
        let options = wait_options(&options.unwrap_or(JsValue::UNDEFINED))?;
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
    /// wakes `cx` when either happens.
    fn poll(&self, cx: &Context<'_>) -> Option<JsValue> {
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
