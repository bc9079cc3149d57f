//! `Receiver`: the one consuming handle. JS cannot forbid sharing it (two Promises,
//! a `for await` beside a `recv()`), so the core `Receiver` lives in a slot that a
//! receive takes out and a guard puts back; a receive that finds the slot empty is
//! the second concurrent receive and fails with `BUSY` (never corrupts anything).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use funnelq::{RecvTimeoutError, TryRecvError};
use napi::bindgen_prelude::{AsyncGenerator, PromiseRaw, ToNapiValue};
use napi::{sys, Env};
use napi_derive::napi;

use crate::abort;
use crate::error::{Code, Fail, OrThrow};
use crate::message::{Message, MessageList};
use crate::options::{sync_timeout_of, timeout_of, TimeoutOptions};
use crate::promise::{rejected, resolved, with_timeout};
use crate::token::{self, Deposit};
use crate::{batch_max, Live};

/// Shared state behind a JS `Receiver` (and behind a receiver share token).
pub struct RxShared {
    slot: Mutex<Option<funnelq::Receiver<Message>>>,
    /// Closes and observes the channel even while a receive has the receiver out of the
    /// slot (the core wakes that receive on close: S07).
    closer: funnelq::Closer<Message>,
    _live: Live,
}

impl RxShared {
    pub fn new(rx: funnelq::Receiver<Message>) -> Arc<Self> {
        Arc::new(RxShared {
            closer: rx.closer(),
            slot: Mutex::new(Some(rx)),
            _live: Live::new(),
        })
    }

    fn take(self: &Arc<Self>) -> Result<Taken, Fail> {
        let rx = self
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match rx {
            Some(rx) => Ok(Taken {
                shared: Arc::clone(self),
                rx: Some(rx),
            }),
            None => Err(Fail::busy()),
        }
    }
}

/// The core receiver, out of its slot for the length of one receive.
struct Taken {
    shared: Arc<RxShared>,
    rx: Option<funnelq::Receiver<Message>>,
}

impl Taken {
    fn rx(&mut self) -> &mut funnelq::Receiver<Message> {
        // `rx` is `Some` from construction until `drop`.
        self.rx
            .as_mut()
            .expect("receiver present until the guard drops")
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        if let Some(rx) = self.rx.take() {
            *self
                .shared
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(rx);
        }
    }
}

/// Waits for one message (or end-of-stream).
async fn wait_one(t: &mut Taken) -> Result<Message, Fail> {
    t.rx().recv_async().await.map_err(|_| Fail::closed())
}

async fn wait_batch(
    t: &mut Taken,
    max: usize,
    timeout: Option<Duration>,
) -> Result<MessageList, Fail> {
    let first = with_timeout(timeout, wait_one(t)).await?;
    let mut v = Vec::with_capacity(max.min(256));
    v.push(first);
    if max > 1 {
        // Whatever else is ready now; Empty/Closed here just end the batch.
        let _ = t.rx().try_recv_batch(&mut v, max - 1);
    }
    Ok(MessageList(v))
}

/// `undefined` when nothing is ready (the `tryRecv()` result).
pub struct MaybeMessage(Option<Message>);

impl ToNapiValue for MaybeMessage {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        match val.0 {
            // SAFETY: forwarded caller contract (live env, JS thread).
            Some(m) => unsafe { Message::to_napi_value(env, m) },
            None => {
                let mut out = std::ptr::null_mut();
                // SAFETY: live env on its own thread.
                unsafe { sys::napi_get_undefined(env, &mut out) };
                Ok(out)
            }
        }
    }
}

/// The receiving end of a channel (one per channel; not cloneable).
///
/// A receiver can be used by one receive at a time: a second receive while one is
/// pending (two `recv()` Promises, `recv()` beside `for await`) fails with `BUSY`.
#[napi(async_iterator)]
pub struct Receiver {
    inner: Option<Arc<RxShared>>,
    gone: &'static str,
}

impl Receiver {
    pub(crate) fn from_shared(inner: Arc<RxShared>) -> Self {
        Receiver {
            inner: Some(inner),
            gone: "",
        }
    }

    fn shared(&self) -> Result<&Arc<RxShared>, Fail> {
        self.inner
            .as_ref()
            .ok_or(Fail::new(Code::Invalid, self.gone))
    }

    fn take(&self) -> Result<Taken, Fail> {
        self.shared()?.take()
    }
}

#[napi]
impl Receiver {
    /// Receives one message. Resolves with it as soon as one is available; rejects with
    /// `code: 'CLOSED'` at end-of-stream (closed **and** drained), `'TIMEOUT'` after
    /// `options.timeout` ms, an `AbortError` (`'ABORT_ERR'`) when `options.signal`
    /// aborts (nothing taken either way), `'BUSY'` if another receive is running.
    /// Waiting happens off the event loop and holds no thread.
    #[napi(ts_return_type = "Promise<Message>")]
    pub fn recv<'env>(
        &self,
        env: &'env Env,
        options: Option<TimeoutOptions>,
    ) -> napi::Result<PromiseRaw<'env, Message>> {
        let timeout = timeout_of(options.as_ref()).or_throw(env)?;
        let signal = options.as_ref().and_then(|o| o.signal.as_ref());
        if let Some(p) = abort::already_aborted(env, signal)? {
            return Ok(p);
        }
        let mut t = match self.take() {
            Ok(t) => t,
            Err(f) => return rejected(env, f),
        };
        match t.rx().try_recv() {
            Ok(m) => return resolved(env, m),
            Err(TryRecvError::Closed) => return rejected(env, Fail::closed()),
            Err(_) => {}
        }
        abort::spawn(env, signal, async move {
            with_timeout(timeout, wait_one(&mut t)).await
        })
    }

    /// Receives up to `max` messages: waits for the first (like `recv()`), then takes
    /// whatever else is ready, in FIFO order. Same rejections as `recv()`.
    #[napi(ts_return_type = "Promise<Array<Message>>")]
    pub fn recv_batch<'env>(
        &self,
        env: &'env Env,
        max: f64,
        options: Option<TimeoutOptions>,
    ) -> napi::Result<PromiseRaw<'env, MessageList>> {
        let max = batch_max(max).or_throw(env)?;
        let timeout = timeout_of(options.as_ref()).or_throw(env)?;
        let signal = options.as_ref().and_then(|o| o.signal.as_ref());
        if let Some(p) = abort::already_aborted(env, signal)? {
            return Ok(p);
        }
        let mut t = match self.take() {
            Ok(t) => t,
            Err(f) => return rejected(env, f),
        };
        let mut v = Vec::new();
        match t.rx().try_recv_batch(&mut v, max) {
            Ok(_) => return resolved(env, MessageList(v)),
            Err(TryRecvError::Closed) => return rejected(env, Fail::closed()),
            Err(_) => {}
        }
        abort::spawn(env, signal, async move {
            wait_batch(&mut t, max, timeout).await
        })
    }

    /// Never waits: a message, or `undefined` if the channel is empty and open.
    /// Throws `code: 'CLOSED'` at end-of-stream, `'BUSY'` during another receive.
    #[napi(ts_return_type = "Message | undefined")]
    pub fn try_recv(&self, env: &Env) -> napi::Result<MaybeMessage> {
        let mut t = self.take().or_throw(env)?;
        match t.rx().try_recv() {
            Ok(m) => Ok(MaybeMessage(Some(m))),
            Err(TryRecvError::Closed) => Err(Fail::closed().throw(env)),
            Err(_) => Ok(MaybeMessage(None)),
        }
    }

    /// Never waits: up to `max` ready messages (an empty array if none). Throws
    /// `'CLOSED'` at end-of-stream.
    #[napi(ts_return_type = "Array<Message>")]
    pub fn try_recv_batch(&self, env: &Env, max: f64) -> napi::Result<MessageList> {
        let max = batch_max(max).or_throw(env)?;
        let mut t = self.take().or_throw(env)?;
        let mut v = Vec::new();
        match t.rx().try_recv_batch(&mut v, max) {
            Err(TryRecvError::Closed) => Err(Fail::closed().throw(env)),
            _ => Ok(MessageList(v)),
        }
    }

    /// Blocks the calling thread (meant for workers) until a message arrives.
    /// Throws `'CLOSED'` at end-of-stream, `'TIMEOUT'` after `options.timeout` ms.
    /// On the main thread this freezes the event loop while it waits. Takes no
    /// `options.signal` (a blocked thread cannot see an abort): a `TypeError`.
    #[napi(ts_return_type = "Message")]
    pub fn recv_sync(&self, env: &Env, options: Option<TimeoutOptions>) -> napi::Result<Message> {
        let timeout = sync_timeout_of(options.as_ref()).or_throw(env)?;
        let mut t = self.take().or_throw(env)?;
        let r = match timeout {
            None => t.rx().recv().map_err(|_| Fail::closed()),
            Some(d) => t.rx().recv_timeout(d).map_err(timeout_fail),
        };
        r.or_throw(env)
    }

    /// Blocking batch receive: waits for the first message, returns up to `max`.
    #[napi(ts_return_type = "Array<Message>")]
    pub fn recv_batch_sync(
        &self,
        env: &Env,
        max: f64,
        options: Option<TimeoutOptions>,
    ) -> napi::Result<MessageList> {
        let max = batch_max(max).or_throw(env)?;
        let timeout = sync_timeout_of(options.as_ref()).or_throw(env)?;
        let mut t = self.take().or_throw(env)?;
        let mut v = Vec::new();
        let r = match timeout {
            None => t
                .rx()
                .recv_batch(&mut v, max)
                .map(|_| ())
                .map_err(|_| Fail::closed()),
            Some(d) => t
                .rx()
                .recv_batch_timeout(&mut v, max, d)
                .map(|_| ())
                .map_err(timeout_fail),
        };
        r.or_throw(env)?;
        Ok(MessageList(v))
    }

    /// Closes the channel: senders get `'CLOSED'`, queued messages can still be
    /// received, then receives report end-of-stream. Idempotent; `true` if this call
    /// closed it.
    #[napi]
    pub fn close(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.shared().or_throw(env)?.closer.close())
    }

    /// Drops this handle now instead of at garbage collection: the channel closes
    /// (senders get `'CLOSED'`) and queued messages are released. Later calls on this
    /// object throw `'INVALID'`. Idempotent.
    #[napi]
    pub fn dispose(&mut self) {
        if let Some(s) = self.inner.take() {
            s.closer.close(); // wakes a pending receive with end-of-stream
            let slot = s.slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            drop(slot); // drops queued messages now (or when a pending receive ends)
        }
        self.gone = "receiver was disposed";
    }

    /// Moves the receiver into a share token (a string) for a `worker_thread`
    /// (`workerData` or `postMessage`); redeem it there with `Receiver.fromToken()`.
    /// This object becomes unusable (`'INVALID'`). Throws `'BUSY'` during a receive.
    #[napi]
    pub fn share(&mut self, env: &Env) -> napi::Result<String> {
        let s = self.shared().or_throw(env)?;
        let rx = s.take().or_throw(env)?.rx.take().expect("taken receiver");
        let fresh = RxShared::new(rx);
        self.inner = None;
        self.gone = "receiver was moved to a share token";
        Ok(token::deposit(Deposit::Receiver(fresh)))
    }

    /// Redeems a token made by `Receiver#share()` (once). A token that is unknown,
    /// already redeemed, for a sender, or forged throws `code: 'INVALID'`.
    #[napi(factory)]
    pub fn from_token(env: &Env, token: String) -> napi::Result<Self> {
        match token::redeem(&token, 'r').or_throw(env)? {
            Deposit::Receiver(s) => Ok(Receiver::from_shared(s)),
            Deposit::Sender(_) => unreachable!("redeem checks the kind"),
        }
    }

    /// Messages queued now (a snapshot).
    #[napi(getter)]
    pub fn len(&self, env: &Env) -> napi::Result<u32> {
        Ok(self.shared().or_throw(env)?.closer.len() as u32)
    }

    /// The capacity given to `channel()`.
    #[napi(getter)]
    pub fn capacity(&self, env: &Env) -> napi::Result<u32> {
        Ok(self.shared().or_throw(env)?.closer.capacity() as u32)
    }

    /// Whether the channel is closed (by `close()` on either side or by every sender
    /// being disposed).
    #[napi(getter)]
    pub fn closed(&self, env: &Env) -> napi::Result<bool> {
        Ok(self.shared().or_throw(env)?.closer.is_closed())
    }
}

fn timeout_fail(e: RecvTimeoutError) -> Fail {
    match e {
        RecvTimeoutError::Timeout => Fail::timeout(),
        _ => Fail::closed(),
    }
}

fn generator_error(f: Fail) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("{}: {}", f.code.as_str(), f.msg),
    )
}

/// `for await (const m of rx)`: yields messages, ends at end-of-stream.
#[napi]
impl AsyncGenerator for Receiver {
    type Yield = Message;
    type Next = ();
    type Return = ();

    fn next(
        &mut self,
        _value: Option<()>,
    ) -> impl std::future::Future<Output = napi::Result<Option<Message>>> + Send + 'static {
        let taken = self.take();
        async move {
            let mut t = taken.map_err(generator_error)?;
            match wait_one(&mut t).await {
                Ok(m) => Ok(Some(m)),
                Err(f) if f.code == Code::Closed => Ok(None),
                Err(f) => Err(generator_error(f)),
            }
        }
    }
}
