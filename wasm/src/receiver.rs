//! `Receiver`: the JS class around the channel's one receiver, behind
//! `funnelq-binding`'s guard (a second receive while one is pending, e.g.
//! `tryRecv()` during an `await recv()`, gets `BUSY`; `close()`, `len`,
//! `capacity` and `closed` work meanwhile).

use std::sync::Arc;

use funnelq::{RecvTimeoutError, TryRecvError};
use funnelq_binding::limits::{self, MAX_BATCH};
use funnelq_binding::{ClaimError, GuardedReceiver, Kind};
use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::Stop;
use crate::env;
use crate::error;
use crate::message::{to_js_array, to_js_one, Msg};
use crate::options;
use crate::owners::{self, Handle, Owned};
use crate::tokens::{self, Item};

type Guarded = GuardedReceiver<Msg>;

/// The receiving end of a channel (one per channel; not cloneable). Move it to
/// another worker with `share()` and `Receiver.fromToken()` there. `dispose()`
/// closes the channel and releases what is queued (S13).
#[wasm_bindgen]
pub struct Receiver {
    owned: Owned,
}

fn claim_error(e: ClaimError) -> JsValue {
    match e {
        ClaimError::Busy => error::busy_receiver(),
        _ => error::disposed("receiver"),
    }
}

/// A buffer for up to `max` received messages, reserved fallibly (a full
/// memory is a `RangeError`, S22), so that receiving never grows it.
fn reserve(max: usize) -> Result<Vec<Msg>, JsValue> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(max).map_err(|_| {
        error::range(&format!(
            "a batch of {max} messages does not fit in the free wasm memory"
        ))
    })?;
    Ok(buf)
}

/// Hands received messages to JS (an array, or the one message). If the JS heap
/// cannot hold them, they go back to the front of the stream, in order, for the
/// next receive (S21: taken but undeliverable is not lost), and this call fails.
fn deliver<G>(
    claim: &mut funnelq_binding::Claim<Msg, G>,
    msgs: Vec<Msg>,
    array: bool,
) -> Result<JsValue, JsValue>
where
    G: core::ops::Deref<Target = Guarded>,
{
    let out = if array {
        to_js_array(&msgs).map(JsValue::from)
    } else {
        msgs.first().map_or(Ok(JsValue::UNDEFINED), to_js_one)
    };
    if out.is_err() {
        claim.give_back(msgs);
    }
    out
}

fn recv_error(e: RecvTimeoutError) -> JsValue {
    match e {
        RecvTimeoutError::Timeout => error::timeout(),
        _ => error::end_of_stream(),
    }
}

impl Receiver {
    pub(crate) fn new(rx: funnelq::Receiver<Msg>) -> Receiver {
        Receiver {
            owned: Owned::new(Handle::Receiver(Arc::new(GuardedReceiver::new(rx)))),
        }
    }

    fn guarded(&self) -> Result<&Arc<Guarded>, JsValue> {
        self.owned.held().receiver()
    }

    /// `max` checked against `1..=MAX_BATCH`, then clamped to what can be ready
    /// at once, so it never sizes an allocation.
    fn batch_max(&self, max: f64) -> Result<usize, JsValue> {
        let max = limits::count_f64("max", max, 1..=MAX_BATCH)
            .map_err(|e| error::range(&e.to_string()))?;
        let g = self.guarded()?;
        Ok(max.min(g.capacity().max(g.len()).max(1)))
    }

    /// A Promise receive of up to `max` messages: an array, or (`recv()`) the one.
    fn recv_promise(&self, max: usize, options: options::Parsed, array: bool) -> Promise {
        let claim = match self
            .guarded()
            .and_then(|g| g.claim_arc().map_err(claim_error))
        {
            Ok(claim) => claim,
            Err(e) => return Promise::reject(&e),
        };
        let stop = match Stop::start(options) {
            Ok(stop) => stop,
            Err(e) => return Promise::reject(&e),
        };
        let pending = self.owned.pending();
        future_to_promise(owners::guarded(async move {
            let _pending = pending;
            let mut claim = claim;
            let mut buf = reserve(max)?;
            // A stop drops the receive future: messages reach `buf` only in the
            // poll that completes it, so none is lost (S16).
            stop.run(claim.recv_batch_async(&mut buf, max))
                .await?
                .map_err(|_| error::end_of_stream())?;
            deliver(&mut claim, buf, array)
        }))
    }
}

#[wasm_bindgen]
impl Receiver {
    /// Redeems a token from `receiver.share()` (once). Throws `INVALID`: a
    /// `TypeError` for a non-string, an `Error` for a malformed, foreign, sender or
    /// already redeemed token.
    #[wasm_bindgen(js_name = fromToken)]
    pub fn from_token(
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Result<Receiver, JsValue> {
        let _call = owners::enter()?;
        match tokens::redeem(&token, Kind::Receiver)? {
            Item::Receiver(rx) => Ok(Receiver::new(rx)),
            Item::Sender(_) => Err(error::invalid("not a receiver token")),
        }
    }

    /// Moves the receiver into a one-shot token for another worker; this object
    /// then throws `INVALID`. Throws `BUSY` while a receive is pending.
    pub fn share(&self) -> Result<String, JsValue> {
        let _call = owners::enter()?;
        let rx = self.guarded()?.take().map_err(claim_error)?;
        self.owned.dispose();
        Ok(tokens::deposit(Item::Receiver(rx)))
    }

    /// Receives one message: resolves as soon as one is available, waiting off the
    /// thread (`Atomics.waitAsync`; also on a browser main thread). Rejects with
    /// `CLOSED` at end of stream (closed, or every sender gone, and drained),
    /// `TIMEOUT` after `options.timeout` ms, an `AbortError` (`ABORT_ERR`) when
    /// `options.signal` aborts (nothing taken either way), `BUSY` if another
    /// receive is pending.
    #[wasm_bindgen(unchecked_return_type = "Promise<Message>")]
    pub fn recv(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
    ) -> Result<Promise, JsValue> {
        let _call = owners::enter()?;
        let options = options::promise(&options.unwrap_or(JsValue::UNDEFINED))?;
        Ok(self.recv_promise(1, options, false))
    }

    /// Blocks the calling thread (workers) until a message arrives. Throws `CLOSED`
    /// at end of stream, `TIMEOUT` after `options.timeout` ms, `MAIN_THREAD` on a
    /// browser main thread, `BUSY` during another receive.
    #[wasm_bindgen(js_name = recvSync, unchecked_return_type = "Message")]
    pub fn recv_sync(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let _call = owners::enter()?;
        let timeout = options::sync(&options.unwrap_or(JsValue::UNDEFINED))?;
        env::ensure_can_block("recvSync", "recv")?;
        let mut claim = self.guarded()?.claim().map_err(claim_error)?;
        let m = claim.recv(timeout).map_err(recv_error)?;
        deliver(&mut claim, vec![m], false)
    }

    /// Never waits: a message, or `undefined` if none is ready. Throws `CLOSED` at
    /// end of stream, `BUSY` during another receive.
    #[wasm_bindgen(js_name = tryRecv, unchecked_return_type = "Message | undefined")]
    pub fn try_recv(&self) -> Result<JsValue, JsValue> {
        let _call = owners::enter()?;
        let mut claim = self.guarded()?.claim().map_err(claim_error)?;
        match claim.try_recv() {
            Ok(m) => deliver(&mut claim, vec![m], false),
            Err(TryRecvError::Empty) => Ok(JsValue::UNDEFINED),
            Err(_) => Err(error::end_of_stream()),
        }
    }

    /// Waits for the first message (as `recv()`), then takes up to `max` that are
    /// ready, in order. `max` is a whole number in `1..=MAX_BATCH` (else a
    /// `RangeError`). Rejects as `recv()`.
    #[wasm_bindgen(js_name = recvBatch, unchecked_return_type = "Promise<Message[]>")]
    pub fn recv_batch(
        &self,
        max: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "Options")] options: Option<JsValue>,
    ) -> Result<Promise, JsValue> {
        let _call = owners::enter()?;
        let options = options::promise(&options.unwrap_or(JsValue::UNDEFINED))?;
        let max = match self.batch_max(max) {
            Ok(max) => max,
            Err(e) if self.guarded().is_err() => return Ok(Promise::reject(&e)),
            Err(e) => return Err(e),
        };
        Ok(self.recv_promise(max, options, true))
    }

    /// Blocking batch receive (workers): waits for the first message, returns up
    /// to `max` in order. Throws as `recvSync`.
    #[wasm_bindgen(js_name = recvBatchSync, unchecked_return_type = "Message[]")]
    pub fn recv_batch_sync(
        &self,
        max: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "SyncOptions")] options: Option<JsValue>,
    ) -> Result<Array, JsValue> {
        let _call = owners::enter()?;
        let max = self.batch_max(max)?;
        let timeout = options::sync(&options.unwrap_or(JsValue::UNDEFINED))?;
        env::ensure_can_block("recvBatchSync", "recvBatch")?;
        let mut claim = self.guarded()?.claim().map_err(claim_error)?;
        let mut buf = reserve(max)?;
        claim
            .recv_batch(&mut buf, max, timeout)
            .map_err(recv_error)?;
        deliver(&mut claim, buf, true).map(JsCast::unchecked_into)
    }

    /// Never waits: up to `max` messages ready now, in order (`[]` if none).
    /// Throws `CLOSED` at end of stream, `BUSY` during another receive.
    #[wasm_bindgen(js_name = tryRecvBatch, unchecked_return_type = "Message[]")]
    pub fn try_recv_batch(&self, max: f64) -> Result<Array, JsValue> {
        let _call = owners::enter()?;
        let max = self.batch_max(max)?;
        let mut claim = self.guarded()?.claim().map_err(claim_error)?;
        let mut buf = reserve(max.min(claim.guarded().len()))?;
        match claim.try_recv_batch(&mut buf, max) {
            Ok(_) | Err(TryRecvError::Empty) => {
                deliver(&mut claim, buf, true).map(JsCast::unchecked_into)
            }
            Err(_) => Err(error::end_of_stream()),
        }
    }

    /// Closes the channel (idempotent): senders get `CLOSED`, queued messages can
    /// still be received, then receives report end of stream; a pending receive
    /// wakes. `true` if this call closed it.
    pub fn close(&self) -> Result<bool, JsValue> {
        let _call = owners::enter()?;
        Ok(self.guarded()?.close())
    }

    /// Releases the receiver now instead of at garbage collection: the channel
    /// closes (senders get `CLOSED`) and queued messages are released (S13), also
    /// while a receive is pending (it then drains and ends). Later calls on this
    /// object throw `INVALID`. Idempotent. `[Symbol.dispose]` does the same.
    pub fn dispose(&self) {
        let Ok(_call) = owners::enter() else { return };
        if let Ok(g) = self.guarded() {
            g.close();
            let _ = g.release(); // Busy while a receive holds it: it goes with the last hold
        }
        self.owned.dispose();
    }

    /// Messages waiting now (a snapshot).
    #[wasm_bindgen(getter)]
    pub fn len(&self) -> Result<usize, JsValue> {
        let _call = owners::enter()?;
        Ok(self.guarded()?.len())
    }

    /// The channel's capacity.
    #[wasm_bindgen(getter)]
    pub fn capacity(&self) -> Result<usize, JsValue> {
        let _call = owners::enter()?;
        Ok(self.guarded()?.capacity())
    }

    /// Whether the channel is closed (by `close()` on either side, or by every
    /// sender being gone).
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> Result<bool, JsValue> {
        let _call = owners::enter()?;
        Ok(self.guarded()?.is_closed())
    }
}
