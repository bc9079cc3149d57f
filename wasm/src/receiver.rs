//! `Receiver`: the JS class around the channel's one `funnelq::Receiver<Msg>`.
//!
//! The receiver sits in a per-object slot. A receive takes it out (a second
//! receive while one is pending, e.g. `tryRecv()` during an `await recvAsync()`,
//! gets `BUSY`), uses it by value and a guard puts it back, also when an async
//! receive completes. A `funnelq::Closer` beside the slot serves `close()`,
//! `isClosed()`, `len()` and `capacity()` even while a receive is pending
//! (closing wakes that receive, which then drains and ends as usual).

use core::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::abort::Stop;
use crate::env;
use crate::error::{self, Code};
use crate::message::{to_js_array, Msg};
use crate::registry::{self, Item};
use crate::token::Kind;

type Rx = funnelq::Receiver<Msg>;

#[derive(Default)]
struct Slot {
    rx: RefCell<Option<Rx>>,
    /// The receiver was moved into a token: not "busy", gone.
    gone: Cell<bool>,
}

/// The receiver out of its slot; put back on drop.
struct Guard {
    slot: Rc<Slot>,
    rx: Option<Rx>,
}

impl Guard {
    fn rx(&mut self) -> &mut Rx {
        // Set in `take` and only taken in `drop`.
        self.rx.as_mut().expect("guard holds the receiver")
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(rx) = self.rx.take() {
            *self.slot.rx.borrow_mut() = Some(rx);
        }
    }
}

/// The receiving handle (one per channel). Move it to another thread with
/// `token()` + `Receiver.fromToken()`. `free()` closes the channel and releases
/// queued messages (S13).
#[wasm_bindgen]
pub struct Receiver {
    slot: Rc<Slot>,
    closer: funnelq::Closer<Msg>,
}

impl Receiver {
    pub(crate) fn new(rx: Rx) -> Receiver {
        let closer = rx.closer();
        let slot = Slot::default();
        *slot.rx.borrow_mut() = Some(rx);
        Receiver {
            slot: Rc::new(slot),
            closer,
        }
    }

    fn take(&self) -> Result<Guard, JsValue> {
        match self.slot.rx.borrow_mut().take() {
            Some(rx) => Ok(Guard {
                slot: self.slot.clone(),
                rx: Some(rx),
            }),
            None if self.slot.gone.get() => Err(error::gone("receiver")),
            None => Err(error::error(
                Code::Busy,
                "another receive on this receiver is still pending",
            )),
        }
    }

    /// The closer, unless the receiver was moved away.
    fn closer(&self) -> Result<&funnelq::Closer<Msg>, JsValue> {
        if self.slot.gone.get() {
            Err(error::gone("receiver"))
        } else {
            Ok(&self.closer)
        }
    }
}

impl Drop for Receiver {
    /// `free()`: the channel closes (S13) even while a `recvAsync()` still holds the
    /// receiver (that receive then drains and ends, and the receiver goes with it).
    /// A receiver moved into a token is not ours to close.
    fn drop(&mut self) {
        if !self.slot.gone.get() {
            self.closer.close();
        }
    }
}

/// Checks a batch size (`1..=MAX_BATCH`); callers clamp it to the capacity (no
/// more can be ready at once), so `max` never sizes an allocation.
fn check_max(max: f64) -> Result<usize, JsValue> {
    funnelq_binding::limits::count_f64("max", max, 1..=funnelq_binding::limits::MAX_BATCH)
        .map_err(|e| error::range(&e.to_string()))
}

/// An async receive: the first message plus up to `max - 1` more that are ready;
/// `TIMEOUT` or an `AbortError` if `stop` comes first.
async fn recv_async_batch(mut g: Guard, max: usize, stop: Stop) -> Result<Vec<Msg>, JsValue> {
    // A stop drops the core's RecvFuture: no message is lost (its cancel safety).
    let first = stop
        .run(g.rx().recv_async())
        .await?
        .map_err(|_| error::end_of_stream())?;
    let mut out = vec![first];
    if max > 1 {
        let _ = g.rx().try_recv_batch(&mut out, max - 1);
    }
    Ok(out)
}

#[wasm_bindgen]
impl Receiver {
    /// Redeems a receiver token made by `receiver.token()`. Throws `INVALID` for a
    /// malformed, foreign, stale or already redeemed token.
    #[wasm_bindgen(js_name = fromToken)]
    pub fn from_token(
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
    ) -> Result<Receiver, JsValue> {
        match registry::take(&token, Kind::Receiver)? {
            Item::Receiver(rx) => Ok(Receiver::new(rx)),
            Item::Sender(_) => Err(error::error(Code::Invalid, "not a receiver token")),
        }
    }

    /// Moves the receiver into a one-shot token for another thread; this object
    /// is unusable afterwards (`INVALID`).
    pub fn token(&self) -> Result<String, JsValue> {
        let mut g = self.take()?;
        let rx = g.rx.take().expect("guard holds the receiver");
        self.slot.gone.set(true);
        Ok(registry::put(Item::Receiver(rx)))
    }

    /// Receives, waiting while the channel is empty and open (workers only;
    /// `MAIN_THREAD` on a browser main thread). Throws `CLOSED` at end-of-stream
    /// (closed, or every sender freed, and drained) and `TIMEOUT` when `timeoutMs` expires.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array | string")]
    pub fn recv(
        &self,
        #[wasm_bindgen(js_name = timeoutMs)] timeout_ms: Option<f64>,
    ) -> Result<JsValue, JsValue> {
        let timeout = env::timeout(timeout_ms)?;
        env::ensure_can_block("recv")?;
        let mut g = self.take()?;
        let got = match timeout {
            None => g.rx().recv().map_err(|_| error::end_of_stream()),
            Some(d) => g.rx().recv_timeout(d).map_err(|e| match e {
                funnelq::RecvTimeoutError::Timeout => error::timeout(),
                _ => error::end_of_stream(),
            }),
        };
        Ok(got?.into_js())
    }

    /// Receives without waiting: throws `EMPTY`, or `CLOSED` at end-of-stream.
    #[wasm_bindgen(js_name = tryRecv, unchecked_return_type = "Uint8Array | string")]
    pub fn try_recv(&self) -> Result<JsValue, JsValue> {
        let mut g = self.take()?;
        match g.rx().try_recv() {
            Ok(m) => Ok(m.into_js()),
            Err(funnelq::TryRecvError::Empty) => Err(error::empty()),
            Err(_) => Err(error::end_of_stream()),
        }
    }

    /// Resolves with the next message; rejects with `CLOSED` at end-of-stream,
    /// `TIMEOUT` when the timeout passes first and an `AbortError` (`ABORT_ERR`) when
    /// `options.signal` aborts first (no message is lost either way: one that arrives
    /// later is there for the next receive). `options` is a timeout in milliseconds
    /// or `{ timeout?, signal? }`. Works on every thread (the wait is an
    /// `Atomics.waitAsync`).
    #[wasm_bindgen(js_name = recvAsync, unchecked_return_type = "Promise<Uint8Array | string>")]
    pub fn recv_async(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | AsyncOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let prepared = Stop::start(options).and_then(|stop| Ok((stop, self.take()?)));
        match prepared {
            Err(e) => Promise::reject(&e),
            Ok((stop, g)) => future_to_promise(async move {
                let mut msgs = recv_async_batch(g, 1, stop).await?;
                Ok(msgs.pop().map_or(JsValue::UNDEFINED, Msg::into_js))
            }),
        }
    }

    /// Waits for the first message, then returns it and up to `max - 1` more that
    /// are ready, in order (workers only). Throws `CLOSED` at end-of-stream and
    /// `TIMEOUT` when `timeoutMs` expires before the first message.
    #[wasm_bindgen(js_name = recvBatch, unchecked_return_type = "Array<Uint8Array | string>")]
    pub fn recv_batch(
        &self,
        max: f64,
        #[wasm_bindgen(js_name = timeoutMs)] timeout_ms: Option<f64>,
    ) -> Result<Array, JsValue> {
        let max = check_max(max)?.min(self.closer.capacity());
        let timeout = env::timeout(timeout_ms)?;
        env::ensure_can_block("recvBatch")?;
        let mut g = self.take()?;
        let mut out = Vec::new();
        match timeout {
            None => g
                .rx()
                .recv_batch(&mut out, max)
                .map_err(|_| error::end_of_stream())?,
            Some(d) => g
                .rx()
                .recv_batch_timeout(&mut out, max, d)
                .map_err(|e| match e {
                    funnelq::RecvTimeoutError::Timeout => error::timeout(),
                    _ => error::end_of_stream(),
                })?,
        };
        Ok(to_js_array(out))
    }

    /// Up to `max` messages that are ready now, in order: throws `EMPTY` if none,
    /// `CLOSED` at end-of-stream.
    #[wasm_bindgen(js_name = tryRecvBatch, unchecked_return_type = "Array<Uint8Array | string>")]
    pub fn try_recv_batch(&self, max: f64) -> Result<Array, JsValue> {
        let max = check_max(max)?.min(self.closer.capacity());
        let mut g = self.take()?;
        let mut out = Vec::new();
        match g.rx().try_recv_batch(&mut out, max) {
            Ok(_) => Ok(to_js_array(out)),
            Err(funnelq::TryRecvError::Empty) => Err(error::empty()),
            Err(_) => Err(error::end_of_stream()),
        }
    }

    /// Resolves with 1..=`max` messages (waits for the first); rejects with `CLOSED`
    /// at end-of-stream, `TIMEOUT` or an `AbortError` (`ABORT_ERR`) when the timeout
    /// or `options.signal` comes before the first message (`options` as for
    /// `recvAsync`). Works on every thread.
    #[wasm_bindgen(js_name = recvBatchAsync, unchecked_return_type = "Promise<Array<Uint8Array | string>>")]
    pub fn recv_batch_async(
        &self,
        max: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "number | AsyncOptions")] options: Option<
            JsValue,
        >,
    ) -> Promise {
        let prepared = check_max(max)
            .map(|max| max.min(self.closer.capacity()))
            .and_then(|max| Ok((max, Stop::start(options)?)))
            .and_then(|(max, stop)| Ok((max, stop, self.take()?)));
        match prepared {
            Err(e) => Promise::reject(&e),
            Ok((max, stop, g)) => future_to_promise(async move {
                Ok(to_js_array(recv_async_batch(g, max, stop).await?).into())
            }),
        }
    }

    /// Closes the channel (idempotent): senders get `CLOSED`, queued messages can
    /// still be received; a pending `recvAsync()` wakes and drains, then ends.
    /// Returns `true` if this call closed it.
    pub fn close(&self) -> Result<bool, JsValue> {
        Ok(self.closer()?.close())
    }

    /// Whether the channel is closed.
    #[wasm_bindgen(js_name = isClosed)]
    pub fn is_closed(&self) -> Result<bool, JsValue> {
        Ok(self.closer()?.is_closed())
    }

    /// Messages queued now (a snapshot).
    pub fn len(&self) -> Result<usize, JsValue> {
        Ok(self.closer()?.len())
    }

    /// Whether no message is queued now (a snapshot).
    #[wasm_bindgen(js_name = isEmpty)]
    pub fn is_empty(&self) -> Result<bool, JsValue> {
        Ok(self.closer()?.is_empty())
    }

    /// The channel's capacity.
    pub fn capacity(&self) -> Result<usize, JsValue> {
        Ok(self.closer()?.capacity())
    }
}
