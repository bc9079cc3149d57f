//! `Sender`: any number of them, on any thread. Each JS `Sender` owns one core `Sender`
//! and one [`Lane`] (its calls complete in call order, S03); `clone()` makes another
//! producer, `dispose()` (or garbage collection, or the teardown of its worker) drops it,
//! and when the last one is gone the receiver sees end of stream after draining (S12).

use std::sync::Arc;
use std::time::Instant;

use funnelq::{SendTimeoutError, TrySendError};
use funnelq_binding::limits::MAX_BATCH;
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;

use crate::args;
use crate::error::{Fail, OrThrow};
use crate::lane::{Lane, Ticket};
use crate::live::Live;
use crate::message::Message;
use crate::options::{Options, SyncOptions};
use crate::promise::{rejected, resolved, spawn, spawn_simple, with_timeout};
use crate::teardown::{self, passed, slice_end, SLICE};
use crate::token;

type CoreSender = funnelq::Sender<Message>;

/// A sending handle. Cheap to `clone()`; pass one to a worker with `share()`.
#[napi]
pub struct Sender {
    tx: Option<Arc<CoreSender>>,
    lane: Arc<Lane>,
    _live: Option<Live>,
}

impl Sender {
    pub(crate) fn from_core(tx: CoreSender) -> Self {
        Sender {
            tx: Some(Arc::new(tx)),
            lane: Arc::default(),
            _live: Some(Live::new()),
        }
    }

    fn tx(&self) -> Result<&Arc<CoreSender>, Fail> {
        self.tx
            .as_ref()
            .ok_or(Fail::disposed("sender was disposed"))
    }

    /// For a blocking call: waits (in slices) until every earlier call of this sender
    /// has finished. `None` when none is in flight (the usual case).
    fn wait_turn(&self, env: &Env, deadline: Option<Instant>) -> Result<Option<Ticket>, Fail> {
        if self.lane.idle() {
            return Ok(None);
        }
        let ticket = self.lane.ticket();
        ticket.wait_turn(deadline, SLICE, || teardown::still_alive(env.raw()))?;
        Ok(Some(ticket))
    }
}

#[napi]
impl Sender {
    /// Sends one message. Resolves once it is enqueued, waiting off the event loop while
    /// the channel is full; calls on one `Sender` complete in call order (S03). Rejects
    /// with `code: 'CLOSED'` if the channel is closed, `'TIMEOUT'` after
    /// `options.timeout` ms, or an `AbortError` (`'ABORT_ERR'`) when `options.signal`
    /// aborts (nothing enqueued in each case). A bad message throws: a `TypeError`
    /// (`'INVALID'`) for another type, a `RangeError` over `MAX_MESSAGE_BYTES`.
    #[napi(
        ts_args_type = "msg: MessageInput, options?: Options",
        ts_return_type = "Promise<void>"
    )]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        msg: Unknown,
        options: Option<Options>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let m = Message::from_js(env.raw(), msg.raw()).or_throw(env)?;
        let timeout = Options::timeout_of(options.as_ref()).or_throw(env)?;
        let signal = Options::signal_of(options.as_ref());
        if let Some(p) = signal
            .map(|s| s.already_aborted(env))
            .transpose()?
            .flatten()
        {
            return Ok(p);
        }
        let tx = match self.tx() {
            Ok(tx) => Arc::clone(tx),
            Err(f) => return rejected(env, f),
        };
        let m = if self.lane.idle() {
            match tx.try_send(m) {
                Ok(()) => return resolved(env, ()),
                Err(TrySendError::Full(m)) => m,
                Err(_) => return rejected(env, Fail::closed()),
            }
        } else {
            m
        };
        let ticket = self.lane.ticket();
        spawn_simple(env, signal, async move {
            with_timeout(timeout, async move {
                ticket.turn().await;
                let r = tx.send_async(m).await.map_err(|_| Fail::closed());
                drop(ticket);
                r
            })
            .await
        })
    }

    /// Never waits: `true` if enqueued, `false` if the channel is full — or an earlier
    /// Promise send of this `Sender` is still waiting, which this call must not overtake
    /// (nothing enqueued). Throws `code: 'CLOSED'` when closed.
    #[napi(ts_args_type = "msg: MessageInput")]
    pub fn try_send(&self, env: &Env, msg: Unknown) -> napi::Result<bool> {
        let m = Message::from_js(env.raw(), msg.raw()).or_throw(env)?;
        let tx = self.tx().or_throw(env)?;
        if !self.lane.idle() {
            return if tx.is_closed() {
                Err(Fail::closed().throw(env))
            } else {
                Ok(false)
            };
        }
        match tx.try_send(m) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(_) => Err(Fail::closed().throw(env)),
        }
    }

    /// Blocks the calling thread (meant for workers) while the channel is full.
    /// Throws `'CLOSED'` or, after `options.timeout` ms, `'TIMEOUT'` (nothing enqueued).
    /// Returns early if the worker is terminated or the process exits (S21).
    #[napi(ts_args_type = "msg: MessageInput, options?: SyncOptions")]
    pub fn send_sync(
        &self,
        env: &Env,
        msg: Unknown,
        options: Option<SyncOptions>,
    ) -> napi::Result<()> {
        let mut m = Message::from_js(env.raw(), msg.raw()).or_throw(env)?;
        let deadline = SyncOptions::deadline_of(options.as_ref()).or_throw(env)?;
        let tx = self.tx().or_throw(env)?;
        let _turn = self.wait_turn(env, deadline).or_throw(env)?;
        // The fast path first: no clock read when there is room.
        m = match tx.try_send(m) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(m)) => m,
            Err(_) => return Err(Fail::closed().throw(env)),
        };
        loop {
            match tx.send_deadline(m, slice_end(deadline)) {
                Ok(()) => return Ok(()),
                Err(SendTimeoutError::Timeout(back)) if !passed(deadline) => {
                    teardown::still_alive(env.raw()).or_throw(env)?;
                    m = back;
                }
                Err(SendTimeoutError::Timeout(_)) => return Err(Fail::timeout().throw(env)),
                Err(_) => return Err(Fail::closed().throw(env)),
            }
        }
    }

    /// Never waits: enqueues the longest prefix of `msgs` that fits now, in order, and
    /// returns how many went in (0 if full, or if an earlier Promise send of this
    /// `Sender` still waits). Every element is checked first, so a bad one throws with
    /// nothing enqueued; a batch over `MAX_BATCH` is a `RangeError`. Throws `'CLOSED'`.
    #[napi(ts_args_type = "msgs: MessageInput[]")]
    pub fn try_send_batch(&self, env: &Env, msgs: Unknown) -> napi::Result<u32> {
        let tx = self.tx().or_throw(env)?;
        // At most `capacity` can go in: only those are copied, the rest only checked.
        let copy_max = if self.lane.idle() { tx.capacity() } else { 0 };
        let mut v = args::batch(env, &msgs, copy_max).or_throw(env)?;
        if v.is_empty() {
            return if tx.is_closed() {
                Err(Fail::closed().throw(env))
            } else {
                Ok(0)
            };
        }
        match tx.try_send_batch(&mut v) {
            Ok(n) => Ok(n as u32),
            Err(TrySendError::Full(())) => Ok(0),
            Err(_) => Err(Fail::closed().throw(env)),
        }
    }

    /// Blocking batch send (workers): enqueues all of `msgs` in order, waiting for room,
    /// and returns how many (all). Throws `'CLOSED'` if the channel closes first or
    /// `'TIMEOUT'` after `options.timeout` ms; `err.sent` then says how many went in
    /// first (a prefix, S18).
    #[napi(ts_args_type = "msgs: MessageInput[], options?: SyncOptions")]
    pub fn send_batch_sync(
        &self,
        env: &Env,
        msgs: Unknown,
        options: Option<SyncOptions>,
    ) -> napi::Result<u32> {
        let mut v = args::batch(env, &msgs, MAX_BATCH).or_throw(env)?;
        let deadline = SyncOptions::deadline_of(options.as_ref()).or_throw(env)?;
        let tx = self.tx().or_throw(env)?;
        let total = v.len();
        let _turn = self.wait_turn(env, deadline).or_throw(env)?;
        // The fast path first: no clock read when everything fits.
        match tx.try_send_batch(&mut v) {
            Ok(_) if v.is_empty() => return Ok(total as u32),
            Ok(_) | Err(TrySendError::Full(())) => {}
            Err(_) => return Err(Fail::closed().with_sent(0).throw(env)),
        }
        loop {
            let fail = match tx.send_batch_deadline(&mut v, slice_end(deadline)) {
                Ok(_) => return Ok(total as u32),
                Err(SendTimeoutError::Timeout(())) if !passed(deadline) => {
                    match teardown::still_alive(env.raw()) {
                        Ok(()) => continue,
                        Err(f) => f,
                    }
                }
                Err(SendTimeoutError::Timeout(())) => Fail::timeout(),
                Err(_) => Fail::closed(),
            };
            return Err(fail.with_sent(total - v.len()).throw(env));
        }
    }

    /// Promise batch send: enqueues all of `msgs` in order, waiting off the event loop
    /// for room, and resolves with how many (all). Rejects `'CLOSED'`, `'TIMEOUT'` or an
    /// `AbortError` if that comes first; `err.sent` then says how many went in first.
    #[napi(
        ts_args_type = "msgs: MessageInput[], options?: Options",
        ts_return_type = "Promise<number>"
    )]
    pub fn send_batch<'env>(
        &self,
        env: &'env Env,
        msgs: Unknown,
        options: Option<Options>,
    ) -> napi::Result<PromiseRaw<'env, u32>> {
        let mut v = args::batch(env, &msgs, MAX_BATCH).or_throw(env)?;
        let timeout = Options::timeout_of(options.as_ref()).or_throw(env)?;
        let signal = Options::signal_of(options.as_ref());
        if let Some(p) = signal
            .map(|s| s.already_aborted(env))
            .transpose()?
            .flatten()
        {
            return Ok(p);
        }
        let tx = match self.tx() {
            Ok(tx) => Arc::clone(tx),
            Err(f) => return rejected(env, f),
        };
        let total = v.len();
        if self.lane.idle() {
            match tx.try_send_batch(&mut v) {
                Ok(_) if v.is_empty() => return resolved(env, total as u32),
                Ok(_) | Err(TrySendError::Full(())) => {}
                Err(_) => return rejected(env, Fail::closed().with_sent(0)),
            }
        }
        let ticket = self.lane.ticket();
        spawn(env, signal, move |stops| async move {
            let r = {
                let send = async {
                    ticket.turn().await;
                    tx.send_batch_async(&mut v)
                        .await
                        .map_err(|_| Fail::closed())
                };
                stops.run(with_timeout(timeout, send)).await
            };
            drop(ticket);
            let sent = total - v.len();
            r.map(|_| total as u32).map_err(|f| f.with_sent(sent))
        })
    }

    /// Another sender on the same channel (another producer: its calls are ordered
    /// among themselves, not with this one's). Keeps the channel open until it too is
    /// disposed or collected.
    #[napi]
    pub fn clone(&self, env: &Env) -> napi::Result<Sender> {
        let tx = self.tx().or_throw(env)?;
        Ok(Sender::from_core(CoreSender::clone(tx)))
    }

    /// Closes the channel for everyone: sends fail with `'CLOSED'`, the receiver drains
    /// what is queued, then sees end of stream. Idempotent; `true` if this call closed it.
    #[napi]
    pub fn close(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.tx().or_throw(env)?.close())
    }

    /// Drops this handle now instead of at garbage collection (Promise sends still
    /// pending keep their own reference until they settle). When every sender is gone
    /// the receiver sees end of stream after draining. Idempotent.
    #[napi]
    pub fn dispose(&mut self) {
        self.tx = None;
        self._live = None;
    }

    /// The same as `dispose()`, for `using tx = …`.
    #[napi(well_known_symbol = "dispose")]
    pub fn symbol_dispose(&mut self) {
        self.dispose();
    }

    /// A share token (a string) for a `worker_thread`: it holds a new sender for the
    /// same channel until `Sender.fromToken()` redeems it there (once). This sender
    /// stays usable.
    #[napi]
    pub fn share(&self, env: &Env) -> napi::Result<String> {
        let tx = self.tx().or_throw(env)?;
        Ok(token::deposit_sender(CoreSender::clone(tx)))
    }

    /// Redeems a token made by `Sender#share()` (once). A token that is unknown, already
    /// redeemed, for a receiver, or forged throws `code: 'INVALID'` (a `TypeError` if it
    /// is not a string).
    #[napi(factory, ts_args_type = "token: string")]
    pub fn from_token(env: &Env, token: Unknown) -> napi::Result<Self> {
        let token = args::token(env, &token).or_throw(env)?;
        let tx = token::redeem_sender(&token).or_throw(env)?;
        Ok(Sender::from_core(tx))
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
