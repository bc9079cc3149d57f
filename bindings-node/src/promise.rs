//! Promise plumbing. Waiting forms run the core's `Waker`-based futures on napi-rs's
//! Tokio runtime: a pending Promise is a parked task, not a parked thread, so a
//! thousand pending `recv()`s hold no libuv pool thread and no OS thread each.

use std::future::Future;
use std::time::Duration;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, Unknown};
use napi::Env;

use crate::error::Fail;

/// Spawns `fut`; its `Ok` resolves the Promise, its `Err` rejects it with a coded error.
pub fn spawn<'env, T, F>(env: &'env Env, fut: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = Result<T, Fail>> + Send + 'static,
{
    env.spawn_future_with_callback(async move { Ok(fut.await) }, |env, out| match out {
        Ok(v) => Ok(v),
        Err(f) => Err(f.into_rejection(env)),
    })
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
