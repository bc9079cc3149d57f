//! `Sender`: any number of them, on any thread. Each JS `Sender` owns one core
//! `Sender`; `clone()` makes another, `dispose()` (or garbage collection) drops it,
//! and when the last one is gone the receiver sees end-of-stream after draining (S12).

use std::sync::Arc;

use funnelq::{SendTimeoutError, TrySendError};
use napi::bindgen_prelude::{Array, PromiseRaw, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;

use crate::abort;
use crate::error::{Code, Fail, OrThrow};
use crate::message::Message;
use crate::options::{sync_timeout_of, timeout_of, TimeoutOptions};
use crate::promise::{rejected, resolved, spawn, with_timeout};
use crate::token::{self, Deposit};
use crate::Live;

type CoreSender = funnelq::Sender<Message>;

/// A sending handle. Cheap to `clone()`; pass one to a worker with `share()`.
#[napi]
pub struct Sender {
    tx: Option<Arc<CoreSender>>,
    _live: Option<Live>,
}

impl Sender {
    pub(crate) fn from_core(tx: CoreSender) -> Self {
        Sender {
            tx: Some(Arc::new(tx)),
            _live: Some(Live::new()),
        }
    }

    fn tx(&self) -> Result<&Arc<CoreSender>, Fail> {
        self.tx
            .as_ref()
            .ok_or(Fail::new(Code::Invalid, "sender was disposed"))
    }
}

fn to_messages(env: &Env, list: &Array) -> Result<Vec<Message>, Fail> {
    let n = list.len();
    let mut v = Vec::with_capacity(n as usize);
    for i in 0..n {
        let item: Unknown = list
            .get(i)
            .map_err(|_| Fail::type_error("cannot read the batch array"))?
            .ok_or_else(|| Fail::type_error("batch array has a hole"))?;
        v.push(Message::from_js(env.raw(), item.raw())?);
    }
    Ok(v)
}

#[napi]
impl Sender {
    /// Sends one message. Resolves once it is enqueued (waiting off the event loop
    /// while the channel is full). Rejects with `code: 'CLOSED'` if the channel is
    /// closed (nothing enqueued), `'TIMEOUT'` after `options.timeout` ms, or an
    /// `AbortError` (`'ABORT_ERR'`) when `options.signal` aborts (nothing enqueued
    /// either way). A message of another type throws a `TypeError` (`'INVALID'`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "MessageInput")] msg: Unknown,
        options: Option<TimeoutOptions>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let m = Message::from_js(env.raw(), msg.raw()).or_throw(env)?;
        let timeout = timeout_of(options.as_ref()).or_throw(env)?;
        let signal = options.as_ref().and_then(|o| o.signal.as_ref());
        let tx = Arc::clone(self.tx().or_throw(env)?);
        if let Some(p) = abort::already_aborted(env, signal)? {
            return Ok(p);
        }
        match tx.try_send(m) {
            Ok(()) => resolved(env, ()),
            Err(TrySendError::Full(m)) => abort::spawn(env, signal, async move {
                with_timeout(timeout, async {
                    tx.send_async(m).await.map_err(|_| Fail::closed())
                })
                .await
            }),
            Err(_) => rejected(env, Fail::closed()),
        }
    }

    /// Never waits: `true` if enqueued, `false` if the channel is full (nothing
    /// enqueued; cheap enough for hot loops). Throws `code: 'CLOSED'` when closed.
    #[napi]
    pub fn try_send(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "MessageInput")] msg: Unknown,
    ) -> napi::Result<bool> {
        let m = Message::from_js(env.raw(), msg.raw()).or_throw(env)?;
        match self.tx().or_throw(env)?.try_send(m) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(_) => Err(Fail::closed().throw(env)),
        }
    }

    /// Blocks the calling thread (meant for workers) while the channel is full.
    /// Throws `'CLOSED'` or, after `options.timeout` ms, `'TIMEOUT'` (nothing enqueued).
    /// Takes no `options.signal` (a blocked thread cannot see an abort): a `TypeError`.
    #[napi]
    pub fn send_sync(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "MessageInput")] msg: Unknown,
        options: Option<TimeoutOptions>,
    ) -> napi::Result<()> {
        let m = Message::from_js(env.raw(), msg.raw()).or_throw(env)?;
        let timeout = sync_timeout_of(options.as_ref()).or_throw(env)?;
        let tx = self.tx().or_throw(env)?;
        let r = match timeout {
            None => tx.send(m).map_err(|_| Fail::closed()),
            Some(d) => tx.send_timeout(m, d).map_err(|e| match e {
                SendTimeoutError::Timeout(_) => Fail::timeout(),
                _ => Fail::closed(),
            }),
        };
        r.or_throw(env)
    }

    /// Never waits: enqueues the longest prefix of `msgs` that fits now, in order, and
    /// returns how many went in (0 if full). Every element is type-checked first, so a
    /// bad element throws a `TypeError` with nothing enqueued. Throws `'CLOSED'`.
    #[napi]
    pub fn try_send_batch(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "Array<MessageInput>")] msgs: Array,
    ) -> napi::Result<u32> {
        let mut v = to_messages(env, &msgs).or_throw(env)?;
        match self.tx().or_throw(env)?.try_send_batch(&mut v) {
            Ok(n) => Ok(n as u32),
            Err(TrySendError::Full(())) => Ok(0),
            Err(_) => Err(Fail::closed().throw(env)),
        }
    }

    /// Blocking batch send (workers): enqueues all of `msgs` in order, waiting for room.
    /// Throws `'CLOSED'` if the channel closes first (a prefix may have gone in).
    #[napi]
    pub fn send_batch_sync(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "Array<MessageInput>")] msgs: Array,
    ) -> napi::Result<u32> {
        let mut v = to_messages(env, &msgs).or_throw(env)?;
        let tx = self.tx().or_throw(env)?;
        tx.send_batch(&mut v)
            .map(|n| n as u32)
            .map_err(|_| Fail::closed())
            .or_throw(env)
    }

    /// Promise batch send: enqueues all of `msgs` in order, waiting off the event loop
    /// for room. Resolves with the count; rejects `'CLOSED'` if the channel closes first.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn send_batch<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "Array<MessageInput>")] msgs: Array,
    ) -> napi::Result<PromiseRaw<'env, u32>> {
        let mut v = to_messages(env, &msgs).or_throw(env)?;
        let tx = Arc::clone(self.tx().or_throw(env)?);
        let total = v.len() as u32;
        match tx.try_send_batch(&mut v) {
            Ok(_) if v.is_empty() => return resolved(env, total),
            Ok(_) | Err(TrySendError::Full(())) => {}
            Err(_) => return rejected(env, Fail::closed()),
        }
        spawn(env, async move {
            // Chunks bound the cost of taking items off the front of a Vec.
            let chunk_len = tx.capacity().clamp(1, 1024);
            let mut rest = v.into_iter();
            loop {
                let mut chunk: Vec<Message> = rest.by_ref().take(chunk_len).collect();
                if chunk.is_empty() {
                    return Ok(total);
                }
                while !chunk.is_empty() {
                    match tx.try_send_batch(&mut chunk) {
                        Ok(_) => {}
                        Err(TrySendError::Full(())) => {
                            // Wait (off the event loop) for room for the next one, in order.
                            let m = chunk.remove(0);
                            tx.send_async(m).await.map_err(|_| Fail::closed())?;
                        }
                        Err(_) => return Err(Fail::closed()),
                    }
                }
            }
        })
    }

    /// Another sender on the same channel (keeps the channel open until it too is
    /// disposed or collected).
    #[napi]
    pub fn clone(&self, env: &Env) -> napi::Result<Sender> {
        let tx = self.tx().or_throw(env)?;
        Ok(Sender::from_core(CoreSender::clone(tx)))
    }

    /// Closes the channel for everyone: sends fail with `'CLOSED'`, the receiver drains
    /// what is queued, then sees end-of-stream. Idempotent; `true` if this call closed it.
    #[napi]
    pub fn close(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.tx().or_throw(env)?.close())
    }

    /// Drops this handle now instead of at garbage collection. When every sender is
    /// gone the receiver sees end-of-stream after draining. Idempotent.
    #[napi]
    pub fn dispose(&mut self) {
        self.tx = None;
        self._live = None;
    }

    /// A share token (a string) for a `worker_thread`: it holds a new sender for the
    /// same channel until `Sender.fromToken()` redeems it there (once). This sender
    /// stays usable.
    #[napi]
    pub fn share(&self, env: &Env) -> napi::Result<String> {
        let tx = self.tx().or_throw(env)?;
        Ok(token::deposit(Deposit::Sender(CoreSender::clone(tx))))
    }

    /// Redeems a token made by `Sender#share()` (once). A token that is unknown,
    /// already redeemed, for a receiver, or forged throws `code: 'INVALID'`.
    #[napi(factory)]
    pub fn from_token(env: &Env, token: String) -> napi::Result<Self> {
        match token::redeem(&token, 's').or_throw(env)? {
            Deposit::Sender(tx) => Ok(Sender::from_core(tx)),
            Deposit::Receiver(_) => unreachable!("redeem checks the kind"),
        }
    }

    /// Messages queued now (a snapshot).
    #[napi(getter)]
    pub fn len(&self, env: &Env) -> napi::Result<u32> {
        Ok(self.tx().or_throw(env)?.len() as u32)
    }

    /// The capacity given to `channel()`.
    #[napi(getter)]
    pub fn capacity(&self, env: &Env) -> napi::Result<u32> {
        Ok(self.tx().or_throw(env)?.capacity() as u32)
    }

    /// Whether the channel is closed.
    #[napi(getter)]
    pub fn closed(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.tx().or_throw(env)?.is_closed())
    }
}
