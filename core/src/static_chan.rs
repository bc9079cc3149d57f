//! `StaticChannel<T, N>`: the channel without an allocator.

use core::fmt;
#[cfg(feature = "std")]
use core::time::Duration;

use crate::chan::Chan;
#[cfg(feature = "std")]
use crate::error::{RecvError, RecvTimeoutError, SendError, SendTimeoutError};
use crate::error::{TryRecvError, TrySendError};
use crate::future::{RecvFuture, SendFuture};
use crate::loom::{AtomicBool, Ordering};
use crate::ring::{Ring, Slot};
use crate::state::MAX_CAPACITY;

/// A channel of capacity `N` stored inline, usable from a `static` with no
/// allocator. [`split`](StaticChannel::split) it once into a
/// [`StaticSender`] (cloneable) and a [`StaticReceiver`].
///
/// Without `std`, the forms are `try_send`/`try_recv`, the async ones and
/// `close`; with `std`, the blocking and timeout forms too.
///
/// ```
/// use funnelq::StaticChannel;
/// static CHANNEL: StaticChannel<u32, 4> = StaticChannel::new();
///
/// let (tx, mut rx) = CHANNEL.split().expect("split once");
/// tx.try_send(1).unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert!(CHANNEL.split().is_none());
/// ```
pub struct StaticChannel<T, const N: usize> {
    chan: Chan<T, [Slot<T>; N]>,
    split: AtomicBool,
}

impl<T, const N: usize> StaticChannel<T, N> {
    const VALID: () = assert!(
        N >= 1 && N <= MAX_CAPACITY,
        "StaticChannel capacity N is out of range 1..=MAX_CAPACITY"
    );

    /// A new, empty channel (a `const fn`, for `static`s). A capacity `N`
    /// outside `1..=MAX_CAPACITY` fails to compile.
    ///
    /// ```
    /// let ch: funnelq::StaticChannel<u8, 2> = funnelq::StaticChannel::new();
    /// let (_tx, rx) = ch.split().unwrap();
    /// assert_eq!(rx.capacity(), 2);
    /// ```
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        StaticChannel {
            chan: Chan::from_ring_const(Ring::new_static()),
            split: AtomicBool::new(false),
        }
    }

    /// Hands out the sender and the receiver; `None` after the first call.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// assert!(ch.split().is_some());
    /// assert!(ch.split().is_none());
    /// ```
    pub fn split(&self) -> Option<(StaticSender<'_, T, N>, StaticReceiver<'_, T, N>)> {
        // ORDERING: Acquire/Release on the flag; the stamps stored below
        // reach other threads through whatever hands them the handles.
        if self.split.swap(true, Ordering::AcqRel) {
            return None;
        }
        crate::loom::init_handshake();
        self.chan.ring.init_stamps();
        // The channel's sender count starts at 1: the sender handed out here.
        Some((StaticSender { owner: self }, StaticReceiver { owner: self }))
    }
}

impl<T, const N: usize> Default for StaticChannel<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> Drop for StaticChannel<T, N> {
    fn drop(&mut self) {
        // ORDERING: Relaxed: `&mut self`, no handle can exist.
        if self.split.load(Ordering::Relaxed) {
            // SAFETY: `&mut self` means no handle is alive: we are the only
            // consumer. The channel is closed by its handles' drops.
            unsafe { self.chan.close_and_drain() };
        }
    }
}

/// The sending half of a [`StaticChannel`]; `Clone`.
///
/// ```
/// let ch = funnelq::StaticChannel::<u8, 2>::new();
/// let (tx, mut rx) = ch.split().unwrap();
/// let tx2 = tx.clone();
/// tx2.try_send(1).unwrap();
/// drop((tx, tx2));
/// assert_eq!(rx.try_recv(), Ok(1));
/// assert!(rx.try_recv().unwrap_err().is_closed());
/// ```
pub struct StaticSender<'a, T, const N: usize> {
    owner: &'a StaticChannel<T, N>,
}

/// The receiving half of a [`StaticChannel`].
///
/// ```
/// let ch = funnelq::StaticChannel::<u8, 2>::new();
/// let (tx, mut rx) = ch.split().unwrap();
/// drop(tx);
/// assert!(rx.try_recv().unwrap_err().is_closed());
/// ```
pub struct StaticReceiver<'a, T, const N: usize> {
    owner: &'a StaticChannel<T, N>,
}

impl<'a, T, const N: usize> StaticSender<'a, T, N> {
    /// As [`Sender::try_send`](crate::Sender::try_send).
    ///
    /// # Errors
    ///
    /// `Full` or `Closed`, with the message.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// tx.try_send(1).unwrap();
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.owner.chan.try_send(msg)
    }

    /// As [`Sender::send`](crate::Sender::send).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message if closed.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, mut rx) = ch.split().unwrap();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.recv(), Ok(1));
    /// ```
    #[cfg(feature = "std")]
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        self.owner
            .chan
            .send_until(msg, None)
            .map_err(|e| SendError(e.unwrap_or_else(|m| m)))
    }

    /// As [`Sender::send_timeout`](crate::Sender::send_timeout).
    ///
    /// # Errors
    ///
    /// `Timeout` or `Closed`, with the message.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// tx.send(1).unwrap();
    /// let err = tx.send_timeout(2, std::time::Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.owner
            .chan
            .send_until(msg, crate::clock::deadline_after(timeout))
            .map_err(|e| match e {
                Ok(m) => SendTimeoutError::Timeout(m),
                Err(m) => SendTimeoutError::Closed(m),
            })
    }

    /// As [`Sender::send_async`](crate::Sender::send_async).
    ///
    /// # Cancel safety
    ///
    /// Dropped before completion, the message was not enqueued.
    ///
    /// # Errors
    ///
    /// The future yields [`SendError`] if the channel closes.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// let _fut = tx.send_async(1);
    /// ```
    pub fn send_async(&self, msg: T) -> SendFuture<'a, T> {
        SendFuture::new(&self.owner.chan, msg)
    }

    /// Closes the channel; `true` if this call closed it.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// assert!(tx.close());
    /// assert!(tx.is_closed());
    /// ```
    pub fn close(&self) -> bool {
        self.owner.chan.close()
    }

    /// Whether the channel is closed.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// assert!(!tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.owner.chan.is_closed()
    }

    /// A snapshot of the number of queued messages.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// assert_eq!(tx.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.owner.chan.len()
    }

    /// Whether `len` is 0.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `N`.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 3>::new();
    /// let (tx, _rx) = ch.split().unwrap();
    /// assert_eq!(tx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        N
    }
}

impl<T, const N: usize> Clone for StaticSender<'_, T, N> {
    fn clone(&self) -> Self {
        self.owner.chan.add_sender();
        StaticSender { owner: self.owner }
    }
}

impl<T, const N: usize> Drop for StaticSender<'_, T, N> {
    fn drop(&mut self) {
        self.owner.chan.drop_sender();
    }
}

impl<'a, T, const N: usize> StaticReceiver<'a, T, N> {
    /// As [`Receiver::try_recv`](crate::Receiver::try_recv).
    ///
    /// # Errors
    ///
    /// `Empty`, or `Closed` at end of stream.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, mut rx) = ch.split().unwrap();
    /// assert!(rx.try_recv().unwrap_err().is_empty());
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        // SAFETY: `&mut self` on the only receiver.
        unsafe { self.owner.chan.try_recv() }
    }

    /// As [`Receiver::recv`](crate::Receiver::recv).
    ///
    /// # Errors
    ///
    /// [`RecvError`] at end of stream.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (tx, mut rx) = ch.split().unwrap();
    /// drop(tx);
    /// assert!(rx.recv().is_err());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv(&mut self) -> Result<T, RecvError> {
        // SAFETY: `&mut self` on the only receiver.
        unsafe { self.owner.chan.recv_until(None) }.unwrap_or(Err(RecvError))
    }

    /// As [`Receiver::recv_timeout`](crate::Receiver::recv_timeout).
    ///
    /// # Errors
    ///
    /// `Timeout`, or `Closed` at end of stream.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, mut rx) = ch.split().unwrap();
    /// let err = rx.recv_timeout(std::time::Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        let deadline = crate::clock::deadline_after(timeout);
        // SAFETY: `&mut self` on the only receiver.
        match unsafe { self.owner.chan.recv_until(deadline) } {
            Some(Ok(m)) => Ok(m),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// As [`Receiver::recv_async`](crate::Receiver::recv_async).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses no message.
    ///
    /// # Errors
    ///
    /// The future yields [`RecvError`] at end of stream.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, mut rx) = ch.split().unwrap();
    /// let _fut = rx.recv_async();
    /// ```
    pub fn recv_async(&mut self) -> RecvFuture<'_, T> {
        // SAFETY: the future borrows `self` mutably: the only consumer.
        unsafe { RecvFuture::new(&self.owner.chan) }
    }

    /// Closes the channel; `true` if this call closed it.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, rx) = ch.split().unwrap();
    /// assert!(rx.close());
    /// ```
    pub fn close(&self) -> bool {
        self.owner.chan.close()
    }

    /// Whether the channel is closed.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, rx) = ch.split().unwrap();
    /// assert!(!rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.owner.chan.is_closed()
    }

    /// A snapshot of the number of queued messages.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, rx) = ch.split().unwrap();
    /// assert_eq!(rx.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.owner.chan.len()
    }

    /// Whether `len` is 0.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 1>::new();
    /// let (_tx, rx) = ch.split().unwrap();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `N`.
    ///
    /// ```
    /// let ch = funnelq::StaticChannel::<u8, 3>::new();
    /// let (_tx, rx) = ch.split().unwrap();
    /// assert_eq!(rx.capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        N
    }
}

impl<T, const N: usize> Drop for StaticReceiver<'_, T, N> {
    fn drop(&mut self) {
        // SAFETY: the only receiver, dropped: no other consumer exists.
        unsafe { self.owner.chan.close_and_drain() };
    }
}

impl<T, const N: usize> fmt::Debug for StaticChannel<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticChannel")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

impl<T, const N: usize> fmt::Debug for StaticSender<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticSender")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

impl<T, const N: usize> fmt::Debug for StaticReceiver<'_, T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticReceiver")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}
