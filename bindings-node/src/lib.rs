//! Node.js binding of funnelq (napi-rs): `const [tx, rx] = channel(capacity)`.
//!
//! Messages are `Buffer`/`Uint8Array` (copied once into the channel, received as a
//! `Buffer`), strings (UTF-8) and numbers. Promise forms drive the core's `Waker`-based
//! futures on napi-rs's Tokio runtime (no thread parked per pending Promise); the
//! `…Sync` forms block the calling thread (for workers). Handles cross into
//! `worker_threads` as share tokens (see `token.rs`). Errors carry `err.code`
//! (`error.rs`).

mod abort;
mod error;
mod message;
mod options;
mod promise;
mod receiver;
mod sender;
mod token;

use std::sync::atomic::{AtomicUsize, Ordering};

use napi::bindgen_prelude::Unknown;
use napi::{sys, Env, JsValue};
use napi_derive::napi;

use crate::error::{Fail, OrThrow};
pub use crate::options::TimeoutOptions;
pub use crate::receiver::Receiver;
use crate::receiver::RxShared;
pub use crate::sender::Sender;

/// Largest capacity `channel()` accepts (2^30).
#[napi]
pub const MAX_CAPACITY: u32 = funnelq::MAX_CAPACITY as u32;

/// Core handles held by JS objects and share tokens right now (for leak tests).
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts one live binding handle for `liveHandles()`.
pub(crate) struct Live;

impl Live {
    pub(crate) fn new() -> Self {
        // ORDERING: a statistics counter; nothing is published through it.
        LIVE.fetch_add(1, Ordering::Relaxed);
        Live
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        // ORDERING: as in `Live::new`.
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) fn batch_max(max: f64) -> Result<usize, Fail> {
    if max.fract() != 0.0 || !(1.0..=(u32::MAX as f64)).contains(&max) {
        return Err(Fail::range_error(format!(
            "max {max} is out of range 1..=4294967295"
        )));
    }
    Ok(max as usize)
}

fn capacity_of(env: &Env, v: &Unknown) -> Result<usize, Fail> {
    let mut ty = 0;
    // SAFETY: `v` is an argument of the current call on this env's thread.
    unsafe { sys::napi_typeof(env.raw(), v.raw(), &mut ty) };
    if ty != sys::ValueType::napi_number {
        return Err(Fail::type_error("capacity must be a number"));
    }
    let mut c = 0f64;
    // SAFETY: `v` is a number (checked above).
    unsafe { sys::napi_get_value_double(env.raw(), v.raw(), &mut c) };
    if c.fract() != 0.0 || !(1.0..=(funnelq::MAX_CAPACITY as f64)).contains(&c) {
        return Err(Fail::range_error(format!(
            "capacity {c} is out of range 1..={}",
            funnelq::MAX_CAPACITY
        )));
    }
    Ok(c as usize)
}

/// The core allocates its ring up front; an allocation failure there would abort the
/// process (S14: never a crash). Probe first with a fallible reservation of about the
/// ring's size (never touched, so it costs no memory) and report a `RangeError` instead.
fn ring_fits(cap: usize) -> Result<(), Fail> {
    let slot = std::mem::size_of::<message::Message>() + std::mem::size_of::<usize>();
    let bytes = cap.saturating_mul(slot);
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(bytes).map_err(|_| {
        Fail::range_error(format!(
            "capacity {cap} needs about {} MiB for its ring, which cannot be allocated here",
            bytes >> 20
        ))
    })
}

/// Creates a bounded channel holding at most `capacity` messages
/// (an integer in `1..=MAX_CAPACITY`; otherwise a `RangeError`, `code: 'INVALID'`).
#[napi(ts_return_type = "[Sender, Receiver]")]
pub fn channel(
    env: &Env,
    #[napi(ts_arg_type = "number")] capacity: Unknown,
) -> napi::Result<(Sender, Receiver)> {
    let cap = capacity_of(env, &capacity).or_throw(env)?;
    ring_fits(cap).or_throw(env)?;
    let (tx, rx) = funnelq::try_channel::<message::Message>(cap)
        .map_err(|e| Fail::range_error(e.to_string()))
        .or_throw(env)?;
    Ok((
        Sender::from_core(tx),
        Receiver::from_shared(RxShared::new(rx)),
    ))
}

/// Drops the handle behind a share token that will not be redeemed (else it keeps the
/// channel alive). `false` if it was already redeemed or revoked; a forged token throws.
#[napi]
pub fn revoke_token(env: &Env, token: String) -> napi::Result<bool> {
    token::revoke(&token).or_throw(env)
}

/// Share tokens issued and not yet redeemed or revoked (diagnostics).
#[napi]
pub fn pending_tokens() -> u32 {
    token::pending() as u32
}

/// Binding handles (senders, receivers, tokens) alive in this process (diagnostics:
/// returns to its baseline once every handle is disposed or collected).
#[napi]
pub fn live_handles() -> u32 {
    // ORDERING: a snapshot of a statistics counter.
    LIVE.load(Ordering::Relaxed) as u32
}
