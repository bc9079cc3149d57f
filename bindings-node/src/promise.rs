//! Promise plumbing. Waiting forms run the core's `Waker`-based futures on napi-rs's
//! Tokio runtime: a pending Promise is a parked task, not a parked thread, so a thousand
//! pending `recv()`s hold no libuv pool thread and no OS thread each. Every pending
//! operation races its `AbortSignal` (if any) and its environment's teardown
//! (`cancel::race`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{JsObjectValue, Object, PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, JsValue};

use crate::abort::Signal;
use crate::cancel::{race, Outcome, Trigger};
use crate::error::{Code, Fail};
use crate::teardown;

/// What can end a pending operation besides its own outcome: its `AbortSignal` and the
/// teardown of its environment.
pub struct Stops {
    abort: Option<Arc<Trigger>>,
    env: Arc<Trigger>,
}

impl Stops {
    /// Runs `fut` until it completes or a stop fires first (then `fut` is dropped and the
    /// result is `Fail::aborted()` or `Fail::env_stopping()`).
    pub async fn run<T>(&self, fut: impl Future<Output = Result<T, Fail>>) -> Result<T, Fail> {
        match race(fut, self.abort.clone(), Arc::clone(&self.env)).await {
            Outcome::Done(r) => r,
            Outcome::Aborted => Err(Fail::aborted()),
            Outcome::EnvGone => Err(Fail::env_stopping()),
        }
    }
}

/// Spawns the future `op` makes: its `Ok` resolves the Promise, its `Err` rejects it
/// with a coded error (an `AbortError` for `Fail::aborted()`). `op` receives the
/// [`Stops`] to run its waiting under (so a batch can say how much it sent first).
pub fn spawn<'env, T, F>(
    env: &'env Env,
    signal: Option<&Signal>,
    op: impl FnOnce(Stops) -> F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T, Fail>> + Send + 'static,
{
    let listening = signal.map(|s| s.listen(env)).transpose()?;
    let stops = Stops {
        abort: listening.as_ref().map(|l| Arc::clone(&l.trigger)),
        env: teardown::env_trigger(env)?,
    };
    let fut = op(stops);
    env.spawn_future_with_callback(async move { Ok(fut.await) }, move |env, out| {
        let aborted = matches!(&out, Err(f) if f.code == Code::Aborted);
        let abort_error = match listening {
            Some(l) => l.stop(env, aborted)?,
            None => None,
        };
        match (out, abort_error) {
            (Ok(v), _) => Ok(v),
            (Err(f), Some(err)) => {
                if let Some(sent) = f.sent {
                    let mut obj = Object::from_raw(env.raw(), err.raw());
                    obj.set_named_property("sent", sent as f64)?;
                }
                Err(napi::Error::from_unknown_without_coercion(err))
            }
            (Err(f), None) => Err(f.into_rejection(env)),
        }
    })
}

/// Spawns `fut` under the call's stops (the plain case of [`spawn`]).
pub fn spawn_simple<'env, T, F>(
    env: &'env Env,
    signal: Option<&Signal>,
    fut: F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T, Fail>> + Send + 'static,
{
    spawn(
        env,
        signal,
        move |stops| async move { stops.run(fut).await },
    )
}

/// An already-resolved Promise (the fast path: no task, no thread hop).
pub fn resolved<'env, T: ToNapiValue>(env: &'env Env, v: T) -> napi::Result<PromiseRaw<'env, T>> {
    PromiseRaw::resolve(env, v)
}

/// An already-rejected Promise carrying a coded error.
pub fn rejected<'env, T: ToNapiValue>(
    env: &'env Env,
    f: Fail,
) -> napi::Result<PromiseRaw<'env, T>> {
    let err = f.to_js(env.raw())?;
    // SAFETY: `err` was created on this env's thread just above and is still in scope.
    let err = unsafe { Unknown::from_raw_unchecked(env.raw(), err) };
    PromiseRaw::reject(env, err)
}

/// Bounds `fut` by `timeout` (if any); expiry drops `fut` (cancel-safe in the core: a
/// dropped send future enqueued nothing, a dropped receive future lost nothing).
pub async fn with_timeout<T, F>(timeout: Option<Duration>, fut: F) -> Result<T, Fail>
where
    F: Future<Output = Result<T, Fail>>,
{
    match timeout {
        None => fut.await,
        Some(d) => match tokio::time::timeout(d, fut).await {
            Ok(r) => r,
            Err(_) => Err(Fail::timeout()),
        },
    }
}
