//! `SendFuture` and `RecvFuture`: runtime-agnostic, `Waker`-based.
//!
//! Each future embeds its waiter record (no allocation while waiting, S15)
//! and polls the same one-step operations as the blocking forms.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

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
    /// `rev`: the batch reversed (`chan::Reversed`).
    #[cfg(feature = "alloc")]
    fn poll_send_batch_rev(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        rev: &mut Vec<T>,
        sent: &mut usize,
    ) -> Poll<Result<usize, SendError<()>>>;
    /// # Safety
    ///
    /// Single consumer only.
    #[cfg(feature = "alloc")]
    unsafe fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        out: &mut Vec<T>,
        max: usize,
    ) -> Poll<Result<usize, RecvError>>;
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
    #[cfg(feature = "alloc")]
    fn poll_send_batch_rev(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        rev: &mut Vec<T>,
        sent: &mut usize,
    ) -> Poll<Result<usize, SendError<()>>> {
        Chan::poll_send_batch_rev(self, cx, waiter, rev, sent)
    }
    #[cfg(feature = "alloc")]
    unsafe fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        out: &mut Vec<T>,
        max: usize,
    ) -> Poll<Result<usize, RecvError>> {
        // SAFETY: forwarded from our caller.
        unsafe { Chan::poll_recv_batch(self, cx, waiter, out, max) }
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

/// The future of an async batch send ([`Sender::send_batch_async`]).
/// Yields `Ok(n)` once every item is enqueued (`n` = how many, all of
/// them), or `Err(SendError(()))` if the channel closes; a prefix may have
/// gone in before, and the borrowed `Vec` holds exactly the unsent rest.
///
/// [`Sender::send_batch_async`]: crate::Sender::send_batch_async
///
/// # Cancel safety
///
/// Dropped at any point, the borrowed `Vec` holds exactly the items that
/// were not enqueued, in order: each poll moves a prefix into the channel
/// and removes it from the `Vec` in the same step (S16, S18).
///
/// ```
/// let (tx, mut rx) = funnelq::channel::<u8>(2);
/// let mut items = vec![1, 2, 3];
/// let fut: funnelq::SendBatchFuture<'_, u8> = tx.send_batch_async(&mut items);
/// drop(fut); // never polled: nothing was sent
/// assert_eq!(items, [1, 2, 3]);
/// assert!(rx.try_recv().is_err());
/// ```
#[cfg(feature = "alloc")]
#[must_use = "futures do nothing unless polled"]
pub struct SendBatchFuture<'a, T> {
    chan: &'a dyn AsyncChan<T>,
    items: &'a mut Vec<T>,
    /// `items` is held reversed from the first poll until the future
    /// completes or drops (`chan::Reversed`: each step takes from the end).
    reversed: bool,
    sent: usize,
    waiter: Waiter,
}

// SAFETY: the future moves `T`s from the borrowed `Vec` into the channel's
// thread-safe ring (`T: Send` suffices) and refers to a channel that is
// `Sync` whenever `T: Send`; the waiter record is `Send`.
#[cfg(feature = "alloc")]
unsafe impl<T: Send> Send for SendBatchFuture<'_, T> {}
// SAFETY: a shared `&SendBatchFuture` exposes nothing.
#[cfg(feature = "alloc")]
unsafe impl<T: Send> Sync for SendBatchFuture<'_, T> {}

#[cfg(feature = "alloc")]
impl<'a, T> SendBatchFuture<'a, T> {
    pub(crate) fn new<S>(chan: &'a Chan<T, S>, items: &'a mut Vec<T>) -> Self
    where
        T: 'a,
        S: Slots<T> + 'a,
    {
        SendBatchFuture {
            chan,
            items,
            reversed: false,
            sent: 0,
            waiter: Waiter::new(),
        }
    }
}

#[cfg(feature = "alloc")]
impl<T> Future for SendBatchFuture<'_, T> {
    type Output = Result<usize, SendError<()>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we never move out of `self`; `waiter` is re-pinned in place
        // (structural pinning); the other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `this.waiter` lives as long as the pinned future and is
        // unlinked in `drop` before its memory goes away.
        let waiter = unsafe { Pin::new_unchecked(&this.waiter) };
        if !this.reversed {
            this.items.reverse();
            this.reversed = true;
        }
        let poll = this
            .chan
            .poll_send_batch_rev(cx, waiter, this.items, &mut this.sent);
        if poll.is_ready() {
            // What is left (nothing, or the suffix a close refused) goes back
            // in batch order.
            this.items.reverse();
            this.reversed = false;
        }
        poll
    }
}

#[cfg(feature = "alloc")]
impl<T> Drop for SendBatchFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.drop_send_waiter(&self.waiter);
        if self.reversed {
            // Cancelled: the caller gets the unsent suffix in batch order.
            self.items.reverse();
        }
    }
}

/// The future of an async batch receive ([`Receiver::recv_batch_async`]).
/// Waits for the first message only, then appends up to `max` ready
/// messages to the borrowed `Vec` and yields how many (`1..=max`; 0 only
/// if `max` is 0), or `RecvError` at end of stream.
///
/// [`Receiver::recv_batch_async`]: crate::Receiver::recv_batch_async
///
/// # Cancel safety
///
/// Dropping it loses nothing: messages are taken only by the poll that
/// returns them (S16).
///
/// ```
/// let (tx, mut rx) = funnelq::channel::<u8>(2);
/// tx.send(4).unwrap();
/// let mut buf = Vec::new();
/// drop(rx.recv_batch_async(&mut buf, 8)); // never polled: the message stays
/// assert_eq!(rx.try_recv(), Ok(4));
/// ```
#[cfg(feature = "alloc")]
#[must_use = "futures do nothing unless polled"]
pub struct RecvBatchFuture<'a, T> {
    chan: &'a dyn AsyncChan<T>,
    out: &'a mut Vec<T>,
    max: usize,
    waiter: Waiter,
}

// SAFETY: yields `T`s moved out of the ring (`T: Send`) into the borrowed
// `Vec`, and refers to a channel that is `Sync` whenever `T: Send`.
#[cfg(feature = "alloc")]
unsafe impl<T: Send> Send for RecvBatchFuture<'_, T> {}
// SAFETY: a shared `&RecvBatchFuture` exposes nothing.
#[cfg(feature = "alloc")]
unsafe impl<T: Send> Sync for RecvBatchFuture<'_, T> {}

#[cfg(feature = "alloc")]
impl<'a, T> RecvBatchFuture<'a, T> {
    /// # Safety
    ///
    /// As [`RecvFuture::new`]: the only consumer for as long as it lives.
    pub(crate) unsafe fn new<S>(chan: &'a Chan<T, S>, out: &'a mut Vec<T>, max: usize) -> Self
    where
        T: 'a,
        S: Slots<T> + 'a,
    {
        RecvBatchFuture {
            chan,
            out,
            max,
            waiter: Waiter::new(),
        }
    }
}

#[cfg(feature = "alloc")]
impl<T> Future for RecvBatchFuture<'_, T> {
    type Output = Result<usize, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: we never move out of `self`; see `SendFuture::poll`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as in `SendFuture::poll`.
        let waiter = unsafe { Pin::new_unchecked(&this.waiter) };
        // SAFETY: `RecvBatchFuture::new`'s contract: the only consumer.
        unsafe { this.chan.poll_recv_batch(cx, waiter, this.out, this.max) }
    }
}

#[cfg(feature = "alloc")]
impl<T> Drop for RecvBatchFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.drop_recv_waiter(&self.waiter);
    }
}

#[cfg(feature = "alloc")]
impl<T> fmt::Debug for SendBatchFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendBatchFuture")
            .field("sent", &self.sent)
            .field("left", &self.items.len())
            .finish()
    }
}

#[cfg(feature = "alloc")]
impl<T> fmt::Debug for RecvBatchFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvBatchFuture")
            .field("max", &self.max)
            .finish_non_exhaustive()
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
