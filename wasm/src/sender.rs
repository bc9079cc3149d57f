//! `Sender`: the JS class around a `funnelq::Sender<Msg>`.

use std::rc::Rc;

use funnelq::{SendTimeoutError, TrySendError};
use funnelq_binding::Kind;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::Stop;
use crate::env;
use crate::error::{self, Code};
use crate::lane::Lane;
use crate::message::{Batch, Msg};
use crate::options;
use crate::owners::{self, Handle, Owned};
use crate::tokens::{self, Item};

type CoreSender = funnelq::Sender<Msg>;

/// A sending handle. Cheap to `clone()`; pass one to a worker with `share()` and
/// `Sender.fromToken()` there. `dispose()` it (or let it be collected, or release
/// its terminated worker with `releaseWorker()`): when every sender is gone the
/// receiver sees end of stream after draining (S12).
#[wasm_bindgen]
pub struct Sender {
    owned: Owned,
    lane: Rc<Lane>,
}

impl Sender {
    pub(crate) fn new(tx: CoreSender) -> Sender {
        Sender {
            owned: Owned::new(Handle::Sender(tx)),
            lane: Rc::default(),
        }
    }

    fn tx(&self) -> Result<&CoreSender, JsValue> {
        self.owned.held().sender()
    }

    /// For a blocking form: refuses on a thread that may not block (S17), and
    /// while a Promise send of this object waits (it needs this very thread).
    fn blocking(&self, what: &str, instead: &str) -> Result<(), JsValue> {
        env::ensure_can_block(what, instead)?;
        if !self.lane.idle() {
            return Err(error::error(
                Code::Busy,
                &format!(
                    "{what}() would block behind a pending {instead}() of this sender, \
                     which needs this thread to finish: await it first"
                ),
            ));
        }
        Ok(())
    }
}

fn send_error<T>(e: SendTimeoutError<T>) -> JsValue {
    if e.is_timeout() {
        error::timeout()
    } else {
        error::closed()
    }
}

#[wasm_bindgen]
impl Sender {
    /// Redeems a token from `sender.share()` (once, on any thread of this memory).
    /// Throws `INVALID`: a `TypeError` for a non-string, an `Error` for a malformed,
    /// foreign, receiver or already redeemed token.
    #[wasm_bindgen(js_name = fromToken)]
    pub fn from_token(
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Result<Sender, JsValue> {
        let _call = owners::enter()?;
        match tokens::redeem(&token, Kind::Sender)? {
            Item::Sender(tx) => Ok(Sender::new(tx)),
            Item::Receiver(_) => Err(error::invalid("not a sender token")),
        }
    }

    /// A one-shot token for a new sender on this channel, for another worker
    /// (`postMessage` or `workerData`); redeem it there with `Sender.fromToken()`.
    /// Until then the token counts as a sender (`revokeToken()` drops it).
    pub fn share(&self) -> Result<String, JsValue> {
        let _call = owners::enter()?;
        Ok(tokens::deposit(Item::Sender(self.tx()?.clone())))
    }

    /// Another sender for the same channel, on this thread.
    #[wasm_bindgen(js_name = clone)]
    pub fn clone_sender(&self) -> Result<Sender, JsValue> {
        let _call = owners::enter()?;
        Ok(Sender::new(self.tx()?.clone()))
    }

    /// Sends one message. Resolves once it is enqueued, waiting off the thread
    /// (`Atomics.waitAsync`) while the channel is full — also on a browser main
    /// thread; Promise sends of one `Sender` complete in call order (S03). Rejects
    /// with `CLOSED`, `TIMEOUT` after `options.timeout` ms, or an `AbortError`
    /// (`ABORT_ERR`) when `options.signal` aborts (nothing enqueued in each case).
    /// A bad message or option throws: a `TypeError` (`INVALID`) for another type, a
    /// `RangeError` over `MAX_MESSAGE_BYTES`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MessageInput")] msg: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
    ) -> Result<Promise, JsValue> {
        let _call = owners::enter()?;
        let msg = Msg::from_js(&msg)?;
        let options = options::promise(&options.unwrap_or(JsValue::UNDEFINED))?;
        if let Some(e) = Stop::already_aborted(&options) {
            return Ok(Promise::reject(&e));
        }
        let msg = if self.lane.idle() {
            match self.tx().map(|tx| tx.try_send(msg)) {
                Err(e) => return Ok(Promise::reject(&e)),
                Ok(Ok(())) => return Ok(Promise::resolve(&JsValue::UNDEFINED)),
                Ok(Err(TrySendError::Full(m))) => m,
                Ok(Err(_)) => return Ok(Promise::reject(&error::closed())),
            }
        } else {
            msg
        };
        let stop = match Stop::start(options) {
            Ok(stop) => stop,
            Err(e) => return Ok(Promise::reject(&e)),
        };
        let pending = self.owned.pending();
        let ticket = self.lane.ticket();
        Ok(future_to_promise(owners::guarded(async move {
            let tx = pending.held().sender()?;
            // On a timeout or an abort the core's SendFuture is dropped unfinished:
            // nothing enqueued (S16).
            let sent = stop
                .run(async {
                    ticket.turn().await;
                    tx.send_async(msg).await
                })
                .await?;
            sent.map(|()| JsValue::UNDEFINED)
                .map_err(|_| error::closed())
        })))
    }

    /// Blocks the calling thread (workers) while the channel is full. Throws
    /// `CLOSED`, `TIMEOUT` after `options.timeout` ms (nothing enqueued),
    /// `MAIN_THREAD` on a browser main thread, `BUSY` while a Promise send of this
    /// sender is pending (it needs this thread).
    #[wasm_bindgen(js_name = sendSync)]
    pub fn send_sync(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MessageInput")] msg: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let _call = owners::enter()?;
        let msg = Msg::from_js(&msg)?;
        let timeout = options::sync(&options.unwrap_or(JsValue::UNDEFINED))?;
        self.blocking("sendSync", "send")?;
        let tx = self.tx()?;
        match timeout {
            None => tx.send(msg).map_err(|_| error::closed()),
            Some(d) => tx.send_timeout(msg, d).map_err(send_error),
        }
    }

    /// Never waits: `true` if enqueued, `false` if the channel is full — or a
    /// Promise send of this sender still waits, which this call must not overtake
    /// (nothing enqueued). Throws `CLOSED` when closed.
    #[wasm_bindgen(js_name = trySend)]
    pub fn try_send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MessageInput")] msg: JsValue,
    ) -> Result<bool, JsValue> {
        let _call = owners::enter()?;
        let msg = Msg::from_js(&msg)?;
        let tx = self.tx()?;
        if !self.lane.idle() {
            return if tx.is_closed() {
                Err(error::closed())
            } else {
                Ok(false)
            };
        }
        match tx.try_send(msg) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(_) => Err(error::closed()),
        }
    }

    /// Sends every message of `msgs`, in order, waiting off the thread for room;
    /// resolves with how many (all). Every element is checked first (a bad one, or
    /// a batch over `MAX_BATCH`, throws with nothing enqueued); they are copied a
    /// channel's capacity at a time. Rejects with `CLOSED`, `TIMEOUT` or an
    /// `AbortError`; `err.sent` then says how many went in first (a prefix, S18).
    #[wasm_bindgen(js_name = sendBatch, unchecked_return_type = "Promise<number>")]
    pub fn send_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MessageInput[]")] msgs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
    ) -> Result<Promise, JsValue> {
        let _call = owners::enter()?;
        let mut batch = Batch::check(&msgs)?;
        let options = options::promise(&options.unwrap_or(JsValue::UNDEFINED))?;
        let stop = match self.tx().and_then(|_| Stop::start(options)) {
            Ok(stop) => stop,
            Err(e) => return Ok(Promise::reject(&e)),
        };
        let pending = self.owned.pending();
        let ticket = self.lane.ticket();
        Ok(future_to_promise(owners::guarded(async move {
            let total = batch.remaining();
            let mut part = Vec::new();
            let sent = |batch: &Batch, part: &Vec<Msg>| total - batch.remaining() - part.len();
            let tx = pending.held().sender()?;
            let ended = stop
                .run(async {
                    ticket.turn().await;
                    while batch.remaining() > 0 {
                        batch.copy_next(&mut part, tx.capacity())?;
                        // Cancel-safe: on a stop, `part` holds what did not go in.
                        tx.send_batch_async(&mut part)
                            .await
                            .map_err(|_| error::closed())?;
                    }
                    Ok::<_, JsValue>(())
                })
                .await;
            match ended {
                Ok(Ok(())) => Ok((total as f64).into()),
                Ok(Err(e)) | Err(e) => Err(error::with_sent(e, sent(&batch, &part))),
            }
        })))
    }

    /// Blocking batch send (workers): enqueues all of `msgs` in order, waiting for
    /// room; returns how many (all). Throws as `sendBatch` rejects (with
    /// `err.sent`), plus `MAIN_THREAD` and `BUSY` as `sendSync`.
    #[wasm_bindgen(js_name = sendBatchSync)]
    pub fn send_batch_sync(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MessageInput[]")] msgs: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncOptions")] options: Option<JsValue>,
    ) -> Result<usize, JsValue> {
        let _call = owners::enter()?;
        let mut batch = Batch::check(&msgs)?;
        let timeout = options::sync(&options.unwrap_or(JsValue::UNDEFINED))?;
        self.blocking("sendBatchSync", "sendBatch")?;
        let capacity = self.tx()?.capacity();
        let deadline = timeout.map(|d| env::now_ms() + d.as_secs_f64() * 1000.0);
        let total = batch.remaining();
        let mut part = Vec::new();
        while batch.remaining() > 0 || !part.is_empty() {
            let copied = batch.copy_next(&mut part, capacity);
            let tx = self.tx()?;
            let outcome = match deadline {
                None => tx.send_batch(&mut part).map_err(|_| error::closed()),
                Some(end) => {
                    let left = std::time::Duration::from_secs_f64(
                        ((end - env::now_ms()) / 1000.0).max(0.0),
                    );
                    tx.send_batch_timeout(&mut part, left).map_err(send_error)
                }
            };
            if let Err(e) = copied.and(outcome) {
                return Err(error::with_sent(e, total - batch.remaining() - part.len()));
            }
        }
        Ok(total)
    }

    /// Never waits: enqueues the longest prefix of `msgs` that fits now, in order,
    /// and returns how many went in (0 if full, or while a Promise send of this
    /// sender waits). Every element is checked first; only what can go in is
    /// copied. Throws `CLOSED`.
    #[wasm_bindgen(js_name = trySendBatch)]
    pub fn try_send_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "MessageInput[]")] msgs: JsValue,
    ) -> Result<usize, JsValue> {
        let _call = owners::enter()?;
        let mut batch = Batch::check(&msgs)?;
        let (room, closed) = {
            let tx = self.tx()?;
            (tx.capacity().saturating_sub(tx.len()), tx.is_closed())
        };
        if closed {
            return Err(error::closed());
        }
        if batch.remaining() == 0 || !self.lane.idle() {
            return Ok(0);
        }
        let mut part = Vec::new();
        // The snapshot may be stale: offer at least one.
        batch.copy_next(&mut part, room.max(1))?;
        match self.tx()?.try_send_batch(&mut part) {
            Ok(n) => Ok(n),
            Err(TrySendError::Full(())) => Ok(0),
            Err(_) => Err(error::closed()),
        }
    }

    /// Closes the channel for everyone (idempotent): sends fail with `CLOSED`, the
    /// receiver drains what is queued, then sees end of stream. `true` if this call
    /// closed it.
    pub fn close(&self) -> Result<bool, JsValue> {
        let _call = owners::enter()?;
        Ok(self.tx()?.close())
    }

    /// Releases this handle now instead of at garbage collection (after a pending
    /// Promise send of it ends). When the last sender is gone the receiver sees end
    /// of stream after draining (S12). Later calls on this object throw `INVALID`.
    /// Idempotent. `[Symbol.dispose]` does the same (`using`).
    pub fn dispose(&self) {
        let Ok(_call) = owners::enter() else { return };
        self.owned.dispose();
    }

    /// Messages queued now (a snapshot).
    #[wasm_bindgen(getter)]
    pub fn len(&self) -> Result<usize, JsValue> {
        let _call = owners::enter()?;
        Ok(self.tx()?.len())
    }

    /// The channel's capacity.
    #[wasm_bindgen(getter)]
    pub fn capacity(&self) -> Result<usize, JsValue> {
        let _call = owners::enter()?;
        Ok(self.tx()?.capacity())
    }

    /// Whether the channel is closed (by `close()`, or by the receiver going away).
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> Result<bool, JsValue> {
        let _call = owners::enter()?;
        Ok(self.tx()?.is_closed())
    }
}
