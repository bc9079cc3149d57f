//! What a JS `Receiver` and its iterators share: the slot holding the guarded receiver
//! (`funnelq-binding`'s [`GuardedReceiver`]: one receive at a time, a second gets
//! `BUSY`), the blocking receive, and the [`Delivery`] of messages to a Promise, which
//! gives them back to the front of the stream if the Promise can never be resolved
//! (its worker torn down between the take and the resolve, S21).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use funnelq::{RecvTimeoutError, TryRecvError};
use funnelq_binding::{Claim, ClaimError, GuardedReceiver};
use napi::bindgen_prelude::ToNapiValue;
use napi::{sys, Env};

use crate::error::Fail;
use crate::message::{Message, MessageList};
use crate::teardown::{self, passed, slice_end};

/// The receiver, claimed for one receive (released when dropped).
pub type RxClaim = Claim<Message, Arc<GuardedReceiver<Message>>>;

/// The receiver behind a JS `Receiver` (and the iterators made from it), until it is
/// disposed or moved into a share token.
pub struct Slot(Mutex<SlotState>);

struct SlotState {
    guard: Option<Arc<GuardedReceiver<Message>>>,
    /// Why `guard` is gone (the `INVALID` message).
    gone: &'static str,
}

impl Slot {
    pub fn new(guard: Arc<GuardedReceiver<Message>>) -> Arc<Self> {
        Arc::new(Slot(Mutex::new(SlotState {
            guard: Some(guard),
            gone: "",
        })))
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The guarded receiver, or `INVALID` once disposed or moved.
    pub fn guard(&self) -> Result<Arc<GuardedReceiver<Message>>, Fail> {
        let s = self.lock();
        s.guard.clone().ok_or(Fail::disposed(s.gone))
    }

    /// Claims the receiver for one receive (`BUSY` during another).
    pub fn claim(&self) -> Result<RxClaim, Fail> {
        self.guard()?.claim_arc().map_err(|e| match e {
            ClaimError::Busy => Fail::busy(),
            _ => Fail::disposed("receiver was disposed"),
        })
    }

    /// Empties the slot (`gone` says why, later), handing out what was in it.
    pub fn clear(&self, gone: &'static str) -> Option<Arc<GuardedReceiver<Message>>> {
        let mut s = self.lock();
        s.gone = gone;
        s.guard.take()
    }

    /// Moves the receiver out, unless a receive holds it (`BUSY`).
    pub fn take(&self, gone: &'static str) -> Result<Arc<GuardedReceiver<Message>>, Fail> {
        let mut s = self.lock();
        let guard = s.guard.as_ref().ok_or(Fail::disposed(s.gone))?;
        drop(guard.claim().map_err(|_| Fail::busy())?);
        s.gone = gone;
        Ok(s.guard.take().expect("checked above"))
    }
}

/// Blocking receive of one message (`max == None`) or up to `max`: waits in slices so
/// that it returns within one slice once the calling worker or process is stopping
/// (S21); what it took then goes back to the front of the stream.
pub fn recv_blocking(
    env: &Env,
    claim: &mut RxClaim,
    max: Option<usize>,
    deadline: Option<Instant>,
) -> Result<Vec<Message>, Fail> {
    // The fast path first: no clock read when a message is ready.
    let mut ready = Vec::new();
    match claim.try_recv_batch(&mut ready, max.unwrap_or(1)) {
        Ok(_) => return Ok(ready),
        Err(TryRecvError::Closed) => return Err(Fail::end_of_stream()),
        Err(_) => {}
    }
    loop {
        let slice = slice_end(deadline).saturating_duration_since(Instant::now());
        let mut buf = Vec::new();
        let r = match max {
            None => claim.recv(Some(slice)).map(|m| buf.push(m)),
            Some(max) => claim.recv_batch(&mut buf, max, Some(slice)).map(drop),
        };
        match r {
            Ok(()) => {
                if !teardown::js_alive(env.raw()) {
                    claim.give_back(buf);
                    return Err(Fail::env_stopping());
                }
                return Ok(buf);
            }
            Err(RecvTimeoutError::Timeout) if !passed(deadline) => {
                teardown::still_alive(env.raw())?;
            }
            Err(RecvTimeoutError::Timeout) => return Err(Fail::timeout()),
            Err(_) => return Err(Fail::end_of_stream()),
        }
    }
}

/// How a [`Delivery`] is handed to JS.
#[derive(Clone, Copy)]
pub enum Shape {
    /// One message (`recv()`).
    One,
    /// An array (`recvBatch()`).
    Many,
    /// An iterator result `{ value, done }`; no message is `{ done: true }`.
    Step,
}

/// Messages taken for a Promise, still holding the claim that took them: the receiver
/// stays `BUSY` until they are handed to JS, so no later receive can overtake them.
/// Dropped undelivered (the environment cannot resolve the Promise any more), it gives
/// them back to the front of the stream, in order.
pub struct Delivery {
    claim: Option<RxClaim>,
    msgs: Vec<Message>,
    shape: Shape,
}

impl Delivery {
    pub fn new(claim: RxClaim, msgs: Vec<Message>, shape: Shape) -> Self {
        Delivery {
            claim: Some(claim),
            msgs,
            shape,
        }
    }

    /// The end-of-stream step of an async iterator (`{ done: true }`).
    pub fn done() -> Self {
        Delivery {
            claim: None,
            msgs: Vec::new(),
            shape: Shape::Step,
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(claim) = self.claim.as_mut() {
            if !self.msgs.is_empty() {
                claim.give_back(std::mem::take(&mut self.msgs));
            }
        }
    }
}

impl ToNapiValue for Delivery {
    unsafe fn to_napi_value(env: sys::napi_env, mut val: Self) -> napi::Result<sys::napi_value> {
        if !teardown::js_alive(env) {
            // `val` drops here and gives its messages back.
            return Err(napi::Error::new(
                napi::Status::Cancelled,
                "the receiving worker or process is shutting down",
            ));
        }
        let msgs = std::mem::take(&mut val.msgs);
        // SAFETY: the caller's contract, passed on: `env` is live, on its own thread.
        unsafe {
            match val.shape {
                Shape::One => match msgs.into_iter().next() {
                    Some(m) => Message::to_napi_value(env, m),
                    None => <()>::to_napi_value(env, ()),
                },
                Shape::Many => MessageList::to_napi_value(env, MessageList(msgs)),
                Shape::Step => crate::iter::step(env, msgs.into_iter().next()),
            }
        }
    }
}
