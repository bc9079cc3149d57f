//! The module's functions and constants: `channel()`, the limits, and the share-token
//! helpers.

use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;

use crate::args;
use crate::error::{Fail, OrThrow};
use crate::live;
use crate::message::Message;
use crate::receiver::Receiver;
use crate::sender::Sender;
use crate::token;

/// Largest capacity `channel()` accepts (2^30).
#[napi]
pub const MAX_CAPACITY: u32 = funnelq::MAX_CAPACITY as u32;

/// Largest message in bytes, 64 MiB (a string counts its UTF-8 length); a larger one is
/// a `RangeError`, refused before it is copied.
#[napi]
pub const MAX_MESSAGE_BYTES: u32 = crate::message::MAX_MESSAGE_BYTES as u32;

/// Largest batch: the length of a `sendBatch` array and the `max` of `recvBatch` (2^20).
#[napi]
pub const MAX_BATCH: u32 = funnelq_binding::limits::MAX_BATCH as u32;

/// Creates a bounded channel holding at most `capacity` messages: a whole number in
/// `1..=MAX_CAPACITY` (a `TypeError` for another type, a `RangeError` out of range or
/// when the ring cannot be allocated; `code: 'INVALID'`).
#[napi(
    ts_args_type = "capacity: number",
    ts_return_type = "[Sender, Receiver]"
)]
pub fn channel(env: &Env, capacity: Unknown) -> napi::Result<(Sender, Receiver)> {
    let cap = args::capacity(env, &capacity).or_throw(env)?;
    let (tx, rx) = funnelq::try_channel::<Message>(cap)
        .map_err(|e| Fail::range_error(e.to_string()))
        .or_throw(env)?;
    Ok((
        Sender::from_core(tx),
        Receiver::from_guard(std::sync::Arc::new(funnelq_binding::GuardedReceiver::new(
            rx,
        ))),
    ))
}

/// Drops the handle behind a share token that will not be redeemed (else it keeps the
/// channel open). `true` if it did; `false` if the token was already redeemed or
/// revoked, or is not a token of this process. A non-string is a `TypeError`.
#[napi(ts_args_type = "token: string")]
pub fn revoke_token(env: &Env, token: Unknown) -> napi::Result<bool> {
    let token = args::token(env, &token);
    match token {
        Ok(t) => Ok(token::revoke(&t)),
        // Too long to be a token: nothing to revoke.
        Err(f) if f.kind != crate::error::Kind::Type => Ok(false),
        Err(f) => Err(f.throw(env)),
    }
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
    live::count() as u32
}
