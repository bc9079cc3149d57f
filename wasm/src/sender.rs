//! `Sender`: the JS class around `funnelq::Sender<Msg>`.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::Stop;
use crate::env;
use crate::error;
use crate::message::{Batch, Msg};
use crate::registry::{self, Item};
use crate::token::Kind;

/// A sending handle. Clone it with `clone()`; pass it to another thread with
/// `token()` + `Sender.fromToken()`. `free()` it when done: when every sender is
/// freed the receiver sees end-of-stream after draining (S12).
#[wasm_bindgen]
pub struct Sender {
    inner: Option<funnelq::Sender<Msg>>,
}

impl Sender {
    pub(crate) fn new(inner: funnelq::Sender<Msg>) -> Sender {
        Sender { inner: Some(inner) }
    }

    fn tx(&self) -> Result<&funnelq::Sender<Msg>, JsValue> {
        self.inner.as_ref().ok_or_else(|| error::gone("sender"))
    }
}

fn closed_with_sent(sent: usize) -> JsValue {
    let e = error::closed();
    // A data property on a fresh Error object cannot fail to be set.
    let _ = Reflect::set(&e, &"sent".into(), &(sent as f64).into());
    e
}

#[wasm_bindgen]
impl Sender {
    /// Redeems a sender token made by `sender.token()` (on any thread of this memory).
    /// Throws `INVALID` for a malformed, foreign, stale or already redeemed token.
    #[wasm_bindgen(js_name = fromToken)]
    pub fn from_token(
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Result<Sender, JsValue> {
        match registry::take(&token, Kind::Sender)? {
            Item::Sender(tx) => Ok(Sender::new(tx)),
            Item::Receiver(_) => Err(error::error(error::Code::Invalid, "not a sender token")),
        }
    }

    /// A one-shot token for a new sender on this channel (a clone held in the shared
    /// memory until a thread redeems it with `Sender.fromToken()`, or `dropToken()`).
    pub fn token(&self) -> Result<String, JsValue> {
        Ok(registry::put(Item::Sender(self.tx()?.clone())))
    }

    /// Another sender for the same channel, on this thread.
    #[wasm_bindgen(js_name = clone)]
    pub fn clone_sender(&self) -> Result<Sender, JsValue> {
        Ok(Sender::new(self.tx()?.clone()))
    }

    /// Sends, waiting while the channel is full (workers only; `MAIN_THREAD` on a
    /// browser main thread). With `timeoutMs`, throws `TIMEOUT` when it expires
    /// (nothing enqueued). Throws `CLOSED` if the channel is closed.
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] msg: JsValue,
        #[wasm_bindgen(js_name = timeoutMs)] timeout_ms: Option<f64>,
    ) -> Result<(), JsValue> {
        let tx = self.tx()?;
        let msg = Msg::from_js(&msg)?;
        let timeout = env::timeout(timeout_ms)?;
        env::ensure_can_block("send")?;
        match timeout {
            None => tx.send(msg).map_err(|_| error::closed()),
            Some(d) => tx.send_timeout(msg, d).map_err(|e| {
                if e.is_timeout() {
                    error::timeout()
                } else {
                    error::closed()
                }
            }),
        }
    }

    /// Sends without waiting: throws `FULL` (nothing enqueued) or `CLOSED`.
    #[wasm_bindgen(js_name = trySend)]
    pub fn try_send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] msg: JsValue,
    ) -> Result<(), JsValue> {
        let tx = self.tx()?;
        let msg = Msg::from_js(&msg)?;
        tx.try_send(msg).map_err(|e| {
            if e.is_full() {
                error::full()
            } else {
                error::closed()
            }
        })
    }

    /// Sends, resolving when the message is enqueued (any thread, including a
    /// browser main thread: the wait is an `Atomics.waitAsync`). Rejects with
    /// `CLOSED`, `TIMEOUT` when the timeout passes first, or an `AbortError`
    /// (`ABORT_ERR`) when `options.signal` aborts first (nothing enqueued either way;
    /// a signal aborted before the call rejects at once). `options` is a timeout in
    /// milliseconds or `{ timeout?, signal? }`.
    #[wasm_bindgen(js_name = sendAsync, unchecked_return_type = "Promise<void>")]
    pub fn send_async(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] msg: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | AsyncOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let prepared = self.tx().and_then(|tx| {
            let msg = Msg::from_js(&msg)?;
            let stop = Stop::start(options)?;
            Ok((tx.clone(), msg, stop))
        });
        match prepared {
            Err(e) => Promise::reject(&e),
            Ok((tx, msg, stop)) => future_to_promise(async move {
                // On a timeout or an abort the core's SendFuture is dropped unfinished:
                // not enqueued (S16).
                let outcome = stop.run(tx.send_async(msg)).await;
                match outcome? {
                    Ok(()) => Ok(JsValue::UNDEFINED),
                    Err(_) => Err(error::closed()),
                }
            }),
        }
    }

    /// Sends every message of `msgs` in order, waiting for room (workers only);
    /// returns how many were sent (all). Every message is checked before any is
    /// sent (at most `MAX_BATCH`); they are copied a channel's capacity at a time.
    /// Throws `CLOSED` with `err.sent` = how many went in before the close.
    #[wasm_bindgen(js_name = sendBatch)]
    pub fn send_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<Uint8Array | string>")] msgs: &JsValue,
    ) -> Result<usize, JsValue> {
        let tx = self.tx()?;
        let mut batch = Batch::check(msgs)?;
        env::ensure_can_block("sendBatch")?;
        let total = batch.remaining();
        let mut part = Vec::new();
        while batch.remaining() > 0 {
            batch.copy_next(&mut part, tx.capacity())?;
            if tx.send_batch(&mut part).is_err() {
                return Err(closed_with_sent(total - batch.remaining() - part.len()));
            }
        }
        Ok(total)
    }

    /// Sends the longest prefix of `msgs` that fits now and returns its length
    /// (0 for an empty array); only that prefix is copied. Throws `FULL` if none
    /// fits, `CLOSED` if closed.
    #[wasm_bindgen(js_name = trySendBatch)]
    pub fn try_send_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<Uint8Array | string>")] msgs: &JsValue,
    ) -> Result<usize, JsValue> {
        let tx = self.tx()?;
        let mut batch = Batch::check(msgs)?;
        let mut part = Vec::new();
        batch.copy_next(&mut part, tx.capacity().saturating_sub(tx.len()))?;
        if part.is_empty() && batch.remaining() > 0 {
            // Nothing fits now (or the channel is closed): say which.
            batch.copy_next(&mut part, 1)?;
        }
        tx.try_send_batch(&mut part).map_err(|e| {
            if e.is_full() {
                error::full()
            } else {
                error::closed()
            }
        })
    }

    /// Closes the channel (idempotent); `true` if this call closed it.
    pub fn close(&self) -> Result<bool, JsValue> {
        Ok(self.tx()?.close())
    }

    /// Whether the channel is closed.
    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> Result<bool, JsValue> {
        Ok(self.tx()?.is_closed())
    }

    /// Messages queued now (a snapshot).
    pub fn len(&self) -> Result<usize, JsValue> {
        Ok(self.tx()?.len())
    }

    /// Whether no message is queued now (a snapshot).
    #[wasm_bindgen(js_name = isEmpty)]
    pub fn is_empty(&self) -> Result<bool, JsValue> {
        Ok(self.tx()?.is_empty())
    }

    /// The channel's capacity.
    pub fn capacity(&self) -> Result<usize, JsValue> {
        Ok(self.tx()?.capacity())
    }
}
