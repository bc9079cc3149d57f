//! `Receiver`: the one consuming handle. JS cannot forbid sharing it (two Promises, a
//! `for await` beside a `recv()`), so the core receiver sits in `funnelq-binding`'s
//! guarded receiver (see `slot.rs`): a second receive while one runs fails with `BUSY`
//! and never corrupts anything.

use std::sync::Arc;
use std::time::Duration;

use funnelq::TryRecvError;
use funnelq_binding::GuardedReceiver;
use napi::bindgen_prelude::{Object, PromiseRaw, ToNapiValue, Unknown};
use napi::{sys, Env};
use napi_derive::napi;

use crate::abort::Signal;
use crate::args;
use crate::error::{Code, Fail, OrThrow};
use crate::iter;
use crate::live::Live;
use crate::message::{Message, MessageList};
use crate::options::{Options, SyncOptions};
use crate::promise::{rejected, resolved, spawn_simple, with_timeout};
use crate::slot::{recv_blocking, Delivery, RxClaim, Shape, Slot};
use crate::token;

/// `undefined` when nothing is ready (the `tryRecv()` result).
pub struct MaybeMessage(Option<Message>);

impl ToNapiValue for MaybeMessage {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: forwarded caller contract (live env, JS thread).
        unsafe {
            match val.0 {
                Some(m) => Message::to_napi_value(env, m),
                None => <()>::to_napi_value(env, ()),
            }
        }
    }
}

/// A receive as a Promise, with the receiver already claimed: resolves at once if a
/// message is ready, else waits off the event loop (holding the claim) until one
/// arrives, end of stream, the timeout, the signal or the environment's teardown.
pub(crate) fn recv_promise<'env>(
    env: &'env Env,
    mut claim: RxClaim,
    max: Option<usize>,
    timeout: Option<Duration>,
    signal: Option<&Signal>,
    shape: Shape,
) -> napi::Result<PromiseRaw<'env, Delivery>> {
    let end = |env: &'env Env| match shape {
        Shape::Step => resolved(env, Delivery::done()),
        _ => rejected(env, Fail::end_of_stream()),
    };
    let mut ready = Vec::new();
    match claim.try_recv_batch(&mut ready, max.unwrap_or(1)) {
        Ok(_) => return resolved(env, Delivery::new(claim, ready, shape)),
        Err(TryRecvError::Closed) => return end(env),
        Err(_) => {}
    }
    spawn_simple(env, signal, async move {
        let got = with_timeout(timeout, async {
            let mut buf = Vec::new();
            let r = match max {
                None => claim.recv_async().await.map(|m| buf.push(m)),
                Some(max) => claim.recv_batch_async(&mut buf, max).await.map(drop),
            };
            r.map(|()| buf).map_err(|_| Fail::end_of_stream())
        });
        match got.await {
            Ok(buf) => Ok(Delivery::new(claim, buf, shape)),
            Err(f) if f.code == Code::Closed && matches!(shape, Shape::Step) => {
                Ok(Delivery::done())
            }
            Err(f) => Err(f),
        }
    })
}

/// The receiving end of a channel (one per channel; not cloneable).
///
/// A receiver can be used by one receive at a time: a second receive while one is
/// pending (two `recv()` Promises, `recv()` beside `for await`) fails with `BUSY`.
#[napi]
pub struct Receiver {
    slot: Arc<Slot>,
    _live: Live,
}

impl Receiver {
    pub(crate) fn from_guard(guard: Arc<GuardedReceiver<Message>>) -> Self {
        Receiver {
            slot: Slot::new(guard),
            _live: Live::new(),
        }
    }
}

#[napi]
impl Receiver {
    /// Receives one message. Resolves with it as soon as one is available; rejects with
    /// `code: 'CLOSED'` at end of stream (closed **and** drained), `'TIMEOUT'` after
    /// `options.timeout` ms, an `AbortError` (`'ABORT_ERR'`) when `options.signal`
    /// aborts (nothing taken either way), `'BUSY'` if another receive is running.
    /// Waiting happens off the event loop and holds no thread.
    #[napi(
        ts_args_type = "options?: Options",
        ts_return_type = "Promise<Message>"
    )]
    pub fn recv<'env>(
        &self,
        env: &'env Env,
        options: Option<Options>,
    ) -> napi::Result<PromiseRaw<'env, Delivery>> {
        self.receive_promise(env, None, options)
    }

    /// Receives up to `max` messages (`1..=MAX_BATCH`): waits for the first (like
    /// `recv()`), then takes whatever else is ready, in FIFO order. Same rejections as
    /// `recv()`.
    #[napi(
        ts_args_type = "max: number, options?: Options",
        ts_return_type = "Promise<Message[]>"
    )]
    pub fn recv_batch<'env>(
        &self,
        env: &'env Env,
        max: Unknown,
        options: Option<Options>,
    ) -> napi::Result<PromiseRaw<'env, Delivery>> {
        let max = args::batch_max(env, &max).or_throw(env)?;
        self.receive_promise(env, Some(max), options)
    }

    /// Never waits: a message, or `undefined` if the channel is empty and open.
    /// Throws `code: 'CLOSED'` at end of stream, `'BUSY'` during another receive.
    #[napi(ts_return_type = "Message | undefined")]
    pub fn try_recv(&self, env: &Env) -> napi::Result<MaybeMessage> {
        let mut claim = self.slot.claim().or_throw(env)?;
        match claim.try_recv() {
            Ok(m) => Ok(MaybeMessage(Some(m))),
            Err(TryRecvError::Closed) => Err(Fail::end_of_stream().throw(env)),
            Err(_) => Ok(MaybeMessage(None)),
        }
    }

    /// Never waits: up to `max` ready messages (`[]` if none). Throws `'CLOSED'` at end
    /// of stream, `'BUSY'` during another receive.
    #[napi(ts_args_type = "max: number", ts_return_type = "Message[]")]
    pub fn try_recv_batch(&self, env: &Env, max: Unknown) -> napi::Result<MessageList> {
        let max = args::batch_max(env, &max).or_throw(env)?;
        let mut claim = self.slot.claim().or_throw(env)?;
        let mut v = Vec::new();
        match claim.try_recv_batch(&mut v, max) {
            Err(TryRecvError::Closed) => Err(Fail::end_of_stream().throw(env)),
            _ => Ok(MessageList(v)),
        }
    }

    /// Blocks the calling thread (meant for workers) until a message arrives. Throws
    /// `'CLOSED'` at end of stream, `'TIMEOUT'` after `options.timeout` ms. On the main
    /// thread this freezes the event loop while it waits. Returns early if the worker is
    /// terminated or the process exits (S21); nothing is lost then.
    #[napi(ts_args_type = "options?: SyncOptions", ts_return_type = "Message")]
    pub fn recv_sync(&self, env: &Env, options: Option<SyncOptions>) -> napi::Result<Message> {
        let deadline = SyncOptions::deadline_of(options.as_ref()).or_throw(env)?;
        let mut claim = self.slot.claim().or_throw(env)?;
        let mut v = recv_blocking(env, &mut claim, None, deadline).or_throw(env)?;
        Ok(v.pop().expect("a blocking receive returns one message"))
    }

    /// Blocking batch receive (workers): waits for the first message, returns up to
    /// `max` (`1..=MAX_BATCH`). Throws as `recvSync()`.
    #[napi(
        ts_args_type = "max: number, options?: SyncOptions",
        ts_return_type = "Message[]"
    )]
    pub fn recv_batch_sync(
        &self,
        env: &Env,
        max: Unknown,
        options: Option<SyncOptions>,
    ) -> napi::Result<MessageList> {
        let max = args::batch_max(env, &max).or_throw(env)?;
        let deadline = SyncOptions::deadline_of(options.as_ref()).or_throw(env)?;
        let mut claim = self.slot.claim().or_throw(env)?;
        recv_blocking(env, &mut claim, Some(max), deadline)
            .map(MessageList)
            .or_throw(env)
    }

    /// Closes the channel: senders get `'CLOSED'`, queued messages can still be
    /// received, then receives report end of stream. Idempotent; `true` if this call
    /// closed it.
    #[napi]
    pub fn close(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.slot.guard().or_throw(env)?.close())
    }

    /// Drops this handle now instead of at garbage collection: the channel closes
    /// (senders get `'CLOSED'`) and queued messages are released (S13). Later calls on
    /// this object throw `'INVALID'`. Idempotent.
    #[napi]
    pub fn dispose(&self) {
        if let Some(guard) = self.slot.clear("receiver was disposed") {
            guard.close(); // wakes a pending receive with end of stream
                           // Busy: the pending receive holds the last reference and releases it.
            let _ = guard.release();
        }
    }

    /// The same as `dispose()`, for `using rx = …`.
    #[napi(well_known_symbol = "dispose")]
    pub fn symbol_dispose(&self) {
        self.dispose();
    }

    /// Moves the receiver into a share token (a string) for a `worker_thread`
    /// (`workerData` or `postMessage`); redeem it there with `Receiver.fromToken()`.
    /// This object becomes unusable (`'INVALID'`). Throws `'BUSY'` during a receive.
    #[napi]
    pub fn share(&self, env: &Env) -> napi::Result<String> {
        let guard = self
            .slot
            .take("receiver was moved to a share token")
            .or_throw(env)?;
        Ok(token::deposit_receiver(guard))
    }

    /// Redeems a token made by `Receiver#share()` (once). A token that is unknown,
    /// already redeemed, for a sender, or forged throws `code: 'INVALID'` (a `TypeError`
    /// if it is not a string).
    #[napi(factory, ts_args_type = "token: string")]
    pub fn from_token(env: &Env, token: Unknown) -> napi::Result<Self> {
        let token = args::token(env, &token).or_throw(env)?;
        let guard = token::redeem_receiver(&token).or_throw(env)?;
        Ok(Receiver::from_guard(guard))
    }

    /// Messages waiting to be received now (a snapshot).
    #[napi(getter)]
    pub fn len(&self, env: &Env) -> napi::Result<u32> {
        Ok(self.slot.guard().or_throw(env)?.len() as u32)
    }

    /// The capacity given to `channel()`.
    #[napi(getter)]
    pub fn capacity(&self, env: &Env) -> napi::Result<u32> {
        Ok(self.slot.guard().or_throw(env)?.capacity() as u32)
    }

    /// Whether the channel is closed (by `close()` on either side or by every sender
    /// being gone).
    #[napi(getter)]
    pub fn closed(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.slot.guard().or_throw(env)?.is_closed())
    }

    /// `for await (const m of rx)`: `recv()` until end of stream.
    #[napi(
        well_known_symbol = "asyncIterator",
        ts_return_type = "AsyncIterator<Message>"
    )]
    pub fn async_iterator<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        iter::async_iterator(env, Arc::clone(&self.slot))
    }

    /// `for (const m of rx)`: `recvSync()` until end of stream (workers).
    #[napi(well_known_symbol = "iterator", ts_return_type = "Iterator<Message>")]
    pub fn iterator<'env>(&self, env: &'env Env) -> napi::Result<Object<'env>> {
        iter::sync_iterator(env, Arc::clone(&self.slot))
    }
}

impl Receiver {
    fn receive_promise<'env>(
        &self,
        env: &'env Env,
        max: Option<usize>,
        options: Option<Options>,
    ) -> napi::Result<PromiseRaw<'env, Delivery>> {
        let timeout = Options::timeout_of(options.as_ref()).or_throw(env)?;
        let signal = Options::signal_of(options.as_ref());
        if let Some(p) = signal
            .map(|s| s.already_aborted(env))
            .transpose()?
            .flatten()
        {
            return Ok(p);
        }
        match self.slot.claim() {
            Ok(claim) => recv_promise(env, claim, max, timeout, signal, Shape::One.or_many(max)),
            Err(f) => rejected(env, f),
        }
    }
}

impl Shape {
    fn or_many(self, max: Option<usize>) -> Shape {
        if max.is_some() {
            Shape::Many
        } else {
            self
        }
    }
}
