//! `SendFuture` and `RecvFuture`: runtime-agnostic, `Waker`-based.
//!
//! Each future embeds its waiter record (no allocation while waiting, S15)
//! and polls the same one-step operations as the blocking forms.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::chan::Chan;
use crate::error::{RecvError, SendError};
use crate::ring::Slots;
use crate::wait::Waiter;

/// What a future needs from a channel, whatever its storage.
pub(crate) trait AsyncChan<T> {
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        msg: &mut Option<T>,
    ) -> Poll<Result<(), SendError<T>>>;
    /// # Safety
    ///
    /// Single consumer only.
    unsafe fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
    ) -> Poll<Result<T, RecvError>>;
    fn drop_send_waiter(&self, waiter: &Waiter);
    fn drop_recv_waiter(&self, waiter: &Waiter);
}

impl<T, S: Slots<T>> AsyncChan<T> for Chan<T, S> {
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        msg: &mut Option<T>,
    ) -> Poll<Result<(), SendError<T>>> {
        Chan::poll_send(self, cx, waiter, msg)
    }
    unsafe fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
    ) -> Poll<Result<T, RecvError>> {
        // SAFETY: forwarded from our caller.
        unsafe { Chan::poll_recv(self, cx, waiter) }
    }
    fn drop_send_waiter(&self, waiter: &Waiter) {
        Chan::drop_send_waiter(self, waiter)
    }
    fn drop_recv_waiter(&self, waiter: &Waiter) {
        Chan::drop_recv_waiter(self, waiter)
    }
}

/// The future of an async send (`Sender::send_async`,
/// `StaticSender::send_async`). Yields `Ok(())` once the message is
/// enqueued, or `Err(SendError(msg))` if the channel is closed.
///
/// # Cancel safety
///
/// Dropped before it completes, the message was not enqueued (S16).
///
/// ```
/// let (tx, _rx) = funnelq::channel::<u8>(1);
/// let fut: funnelq::SendFuture<'_, u8> = tx.send_async(1);
/// drop(fut); // nothing was sent
/// assert_eq!(tx.len(), 0);
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    chan: &'a dyn AsyncChan<T>,
    msg: Option<T>,
    waiter: Waiter,
}

// SAFETY: the future holds the message (moved to the channel's thread-safe
// ring, so `T: Send` suffices) and a reference to a channel, which is
// `Sync` whenever `T: Send`; the waiter record is `Send`.
unsafe impl<T: Send> Send for SendFuture<'_, T> {}
// SAFETY: a shared `&SendFuture` exposes nothing (all access needs `Pin<&mut>`).
unsafe impl<T: Send> Sync for SendFuture<'_, T> {}

impl<'a, T> SendFuture<'a, T> {
    pub(crate) fn new<S>(chan: &'a Chan<T, S>, msg: T) -> Self
    where
        T: 'a,
        S: Slots<T> + 'a,
    {
        SendFuture {
            chan,
            msg: Some(msg),
            waiter: Waiter::new(),
        }
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we never move out of `self`; `waiter` is re-pinned in place
        // (structural pinning), and `msg` is not pinned (moved freely).
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.waiter` lives as long as the pinned future and is
        // unlinked in `drop` before its memory goes away.
        let waiter = unsafe { Pin::new_unchecked(&this.waiter) };
        this.chan.poll_send(cx, waiter, &mut this.msg)
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.drop_send_waiter(&self.waiter);
    }
}

/// The future of an async receive (`Receiver::recv_async`,
/// `StaticReceiver::recv_async`). Yields the next message, or `RecvError`
/// at end of stream.
///
/// # Cancel safety
///
/// Dropping it loses nothing: a message is taken only by the poll that
/// returns it (S16).
///
/// ```
/// let (tx, mut rx) = funnelq::channel::<u8>(1);
/// tx.send(4).unwrap();
/// drop(rx.recv_async()); // never polled: the message stays
/// assert_eq!(rx.try_recv(), Ok(4));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    chan: &'a dyn AsyncChan<T>,
    waiter: Waiter,
}

// SAFETY: yields `T`s moved out of the ring (`T: Send`), and refers to a
// channel that is `Sync` whenever `T: Send`.
unsafe impl<T: Send> Send for RecvFuture<'_, T> {}
// SAFETY: a shared `&RecvFuture` exposes nothing.
unsafe impl<T: Send> Sync for RecvFuture<'_, T> {}

impl<'a, T> RecvFuture<'a, T> {
    /// # Safety
    ///
    /// The caller guarantees this future is the channel's only consumer for
    /// as long as it lives (it borrows the receiver mutably).
    pub(crate) unsafe fn new<S>(chan: &'a Chan<T, S>) -> Self
    where
        T: 'a,
        S: Slots<T> + 'a,
    {
        RecvFuture {
            chan,
            waiter: Waiter::new(),
        }
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we never move out of `self`; see `SendFuture::poll`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as in `SendFuture::poll`.
        let waiter = unsafe { Pin::new_unchecked(&this.waiter) };
        // SAFETY: `RecvFuture::new`'s contract: we are the only consumer.
        unsafe { this.chan.poll_recv(cx, waiter) }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.drop_recv_waiter(&self.waiter);
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("sent", &self.msg.is_none())
            .finish()
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}
