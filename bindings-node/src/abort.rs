//! `AbortSignal` for the Promise forms (`{ signal }` beside `{ timeout }`), as Node's own
//! APIs take it. An abort rejects the Promise with an `AbortError` (`code: 'ABORT_ERR'`,
//! `cause` = `signal.reason`) and drops the waiting future. The core makes that drop
//! cancel-safe (S16): a send that had not enqueued its message never will, and a receive
//! that had not taken a message leaves it queued. A future that completed first wins:
//! its message is delivered, never dropped for a late abort.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};

use napi::bindgen_prelude::{
    FnArgs, Function, FunctionCallContext, JsObjectValue, Object, PromiseRaw, ToNapiValue, Unknown,
};
use napi::{sys, Env, JsValue, ValueType};

use crate::error::{Code, Fail};

/// `options.signal`, checked to look like an `AbortSignal`. It holds the raw value, which
/// lives as long as the call whose options it came from (that call's handle scope).
pub struct Signal {
    env: sys::napi_env,
    value: sys::napi_value,
}

impl Signal {
    /// Checks that `value` looks like an `AbortSignal` (a boolean `aborted`, an
    /// `addEventListener` method).
    pub fn from_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self, Fail> {
        let signal = Signal { env, value };
        let obj = signal.object();
        if !matches!(obj.to_unknown().get_type(), Ok(ValueType::Object)) {
            return Err(Fail::type_error("options.signal must be an AbortSignal"));
        }
        let has = |name: &str, ty: ValueType| {
            obj.get_named_property::<Unknown>(name)
                .and_then(|v| v.get_type())
                .is_ok_and(|t| t == ty)
        };
        if has("aborted", ValueType::Boolean) && has("addEventListener", ValueType::Function) {
            Ok(signal)
        } else {
            Err(Fail::type_error("options.signal must be an AbortSignal"))
        }
    }

    fn object(&self) -> Object<'_> {
        Object::from_raw(self.env, self.value)
    }

    /// `signal.aborted`, read when the Promise is made: an aborted signal rejects at
    /// once, before anything is enqueued or taken.
    pub fn aborted(&self) -> napi::Result<bool> {
        self.object().get_named_property("aborted")
    }
}

/// Set by the signal's `abort` listener (on the JS thread), watched by the future.
#[derive(Default)]
struct Aborted {
    fired: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Aborted {
    fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Register, then re-check: a `fire` between the two finds the waker.
    fn poll_fired(&self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.fired.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        if self.fired.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Runs `fut` until it completes (`Some`) or the abort fires first (`None`, and `fut` is
/// dropped). The operation is polled first, so an outcome that is ready wins.
async fn until_aborted<T>(fut: impl Future<Output = T>, aborted: &Aborted) -> Option<T> {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        aborted.poll_fired(cx).map(|()| None)
    })
    .await
}

/// The rejection for an abort: an `Error` named `AbortError`, `code: 'ABORT_ERR'`,
/// `cause` = `signal.reason` (what Node's own APIs reject with).
fn abort_error<'env>(env: &'env Env, signal: &Object) -> napi::Result<Unknown<'env>> {
    let raw = Fail::new(Code::Aborted, "the operation was aborted").to_js(env.raw())?;
    let mut err = Object::from_raw(env.raw(), raw);
    err.set_named_property("name", "AbortError")?;
    err.set_named_property("cause", signal.get_named_property::<Unknown>("reason")?)?;
    Ok(err.to_unknown())
}

/// `Some(rejected Promise)` if `signal` was aborted before the call: nothing is then
/// enqueued or taken.
pub fn already_aborted<'env, T: ToNapiValue>(
    env: &'env Env,
    signal: Option<&Signal>,
) -> napi::Result<Option<PromiseRaw<'env, T>>> {
    match signal {
        Some(s) if s.aborted()? => Ok(Some(PromiseRaw::reject(
            env,
            abort_error(env, &s.object())?,
        )?)),
        _ => Ok(None),
    }
}

/// `addEventListener` / `removeEventListener` arguments: `('abort', listener)`.
type ListenerArgs<'a> = FnArgs<(&'a str, Function<'a, (), ()>)>;

/// Spawns `fut` like `promise::spawn`, bound to `signal` if there is one: its `abort`
/// event rejects the Promise and drops `fut`. The listener is removed when the Promise
/// settles, so one signal can serve any number of calls without piling up listeners.
pub fn spawn<'env, T, F>(
    env: &'env Env,
    signal: Option<&Signal>,
    fut: F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T, Fail>> + Send + 'static,
{
    let Some(signal) = signal else {
        return crate::promise::spawn(env, fut);
    };
    let aborted = Arc::new(Aborted::default());
    let listener: Function<'_, (), ()> = {
        let aborted = Arc::clone(&aborted);
        env.create_function_from_closure("funnelqAbort", move |_: FunctionCallContext| {
            aborted.fire();
            Ok(())
        })?
    };
    let signal_obj = signal.object();
    let add: Function<'_, ListenerArgs, ()> = signal_obj.get_named_property("addEventListener")?;
    add.apply(signal_obj, ("abort", listener).into())?;
    let listener = listener.create_ref()?;
    // No leak check: if the env goes away first (a terminated worker), the callback
    // never runs and the env frees the reference itself.
    let signal_ref = signal_obj.create_ref::<false>()?;
    env.spawn_future_with_callback(
        async move { Ok(until_aborted(fut, &aborted).await) },
        move |env, out| {
            let signal_obj = signal_ref.get_value(env)?;
            let remove: Function<'_, ListenerArgs, ()> =
                signal_obj.get_named_property("removeEventListener")?;
            remove.apply(signal_obj, ("abort", listener.borrow_back(env)?).into())?;
            let settled = match out {
                Some(Ok(v)) => Ok(v),
                Some(Err(f)) => Err(f.into_rejection(env)),
                None => Err(match abort_error(env, &signal_obj) {
                    Ok(err) => napi::Error::from_unknown_without_coercion(err),
                    Err(e) => e,
                }),
            };
            signal_ref.unref(env)?;
            settled
        },
    )
}
