//! `channel(cap)`, `Sender`, `Receiver`: the allocating front end.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
#[cfg(feature = "std")]
use core::time::Duration;
#[cfg(feature = "std")]
use std::time::Instant;

use crate::chan::Chan;
use crate::error::{CapacityError, TryRecvError, TrySendError};
#[cfg(feature = "std")]
use crate::error::{RecvError, RecvTimeoutError, SendError, SendTimeoutError};
use crate::future::{RecvBatchFuture, RecvFuture, SendBatchFuture, SendFuture};
use crate::ring::{Ring, Slot};

type BoxChan<T> = Chan<T, Box<[Slot<T>]>>;

/// What the handles share: the channel, whose sender count (in `Chan`)
/// decides when the last `Sender` closes it.
type Shared<T> = BoxChan<T>;

/// Creates a bounded channel holding at most `capacity` messages.
///
/// # Panics
///
/// If `capacity` is 0 or above [`MAX_CAPACITY`](crate::MAX_CAPACITY), or
/// its ring cannot be allocated, with the [`CapacityError`]'s message; use
/// [`try_channel`] to get an error instead.
///
/// ```
/// let (tx, mut rx) = funnelq::channel(2);
/// tx.send("a").unwrap();
/// tx.try_send("b").unwrap();
/// assert!(tx.try_send("c").unwrap_err().is_full());
/// assert_eq!(rx.recv(), Ok("a"));
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    match try_channel(capacity) {
        Ok(pair) => pair,
        Err(err) => panic!("{err}"),
    }
}

/// Creates a bounded channel, or says why it cannot: `capacity` is not
/// allowed (S14), or its ring cannot be allocated (S22). Never aborts the
/// process on a ring too large for memory.
///
/// # Errors
///
/// [`CapacityError`] if `capacity` is 0 or above
/// [`MAX_CAPACITY`](crate::MAX_CAPACITY), or if the ring's memory cannot be
/// allocated ([`CapacityError::is_out_of_memory`]). On Linux with memory
/// overcommit, an allocation the kernel grants is not checked against
/// physical memory: a ring larger than the machine can hold may be granted
/// and fail later, when its pages are touched.
///
/// ```
/// assert!(funnelq::try_channel::<u32>(0).is_err());
/// let (tx, rx) = funnelq::try_channel::<u32>(3).unwrap();
/// assert_eq!((tx.capacity(), rx.capacity()), (3, 3));
/// ```
pub fn try_channel<T>(capacity: usize) -> Result<(Sender<T>, Receiver<T>), CapacityError> {
    let capacity = CapacityError::check(capacity)?;
    let ring = Ring::try_with_capacity(capacity).ok_or_else(|| {
        CapacityError::out_of_memory(capacity, Ring::<T, Box<[Slot<T>]>>::bytes_for(capacity))
    })?;
    crate::loom::init_handshake();
    let shared = Arc::new(Chan::from_ring(ring));
    Ok((
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    ))
}

/// The sending half. Cheap to clone; send it to any thread.
///
/// When the last `Sender` is dropped the channel closes: the receiver gets
/// what is queued, then end of stream (S12).
///
/// ```
/// let (tx, mut rx) = funnelq::channel(8);
/// let handles: Vec<_> = (0..2)
///     .map(|id| {
///         let tx = tx.clone();
///         std::thread::spawn(move || tx.send(id).unwrap())
///     })
///     .collect();
/// drop(tx);
/// for h in handles { h.join().unwrap(); }
/// let mut got: Vec<i32> = rx.iter().collect();
/// got.sort();
/// assert_eq!(got, [0, 1]);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving half. There is exactly one; receiving takes `&mut self`.
///
/// Dropping it closes the channel: senders get `Closed`, and the messages
/// still queued are dropped right away (S13).
///
/// ```
/// let (tx, rx) = funnelq::channel(1);
/// drop(rx);
/// assert!(tx.send(1).is_err());
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// Closes and observes a channel without being a sender or the receiver:
/// it does not keep the channel open (S12) and cannot receive. Bindings
/// use it to answer `close`/`len` while another thread is blocked in a
/// receive. Get one from [`Sender::closer`] or [`Receiver::closer`].
///
/// ```
/// let (tx, mut rx) = funnelq::channel::<u8>(1);
/// let closer = rx.closer();
/// let t = std::thread::spawn(move || rx.recv());
/// closer.close();
/// assert!(t.join().unwrap().is_err());
/// assert!(tx.is_closed());
/// ```
pub struct Closer<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Closer<T> {
    /// Closes the channel (idempotent); `true` if this call closed it.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(1);
    /// assert!(tx.closer().close());
    /// ```
    pub fn close(&self) -> bool {
        self.shared.close()
    }

    /// Whether the channel is closed.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(1);
    /// let c = tx.closer();
    /// drop(tx); // the last sender: closes
    /// assert!(c.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// A snapshot of the number of queued messages.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel(2);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.closer().len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether `len` is 0.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(2);
    /// assert!(tx.closer().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The channel's capacity.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(2);
    /// assert_eq!(tx.closer().capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.shared.capacity()
    }
}

impl<T> Clone for Closer<T> {
    fn clone(&self) -> Self {
        Closer {
            shared: self.shared.clone(),
        }
    }
}

impl<T> fmt::Debug for Closer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Closer")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Sender<T> {
    fn chan(&self) -> &BoxChan<T> {
        &self.shared
    }

    /// A [`Closer`] for this channel (not a sender: it does not keep the
    /// channel open).
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(1);
    /// let closer = tx.closer();
    /// closer.close();
    /// assert!(tx.try_send(1).unwrap_err().is_closed());
    /// ```
    pub fn closer(&self) -> Closer<T> {
        Closer {
            shared: self.shared.clone(),
        }
    }

    /// Sends, waiting while the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message if the channel is closed.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(1);
    /// tx.send(5).unwrap();
    /// assert_eq!(rx.recv(), Ok(5));
    /// ```
    #[cfg(feature = "std")]
    pub fn send(&self, msg: T) -> Result<(), SendError<T>> {
        self.chan()
            .send_until(msg, None)
            .map_err(|e| SendError(e.unwrap_or_else(|m| m)))
    }

    /// Sends if a slot is free now; never waits.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the message.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel(1);
    /// assert!(tx.try_send(1).is_ok());
    /// assert!(tx.try_send(2).unwrap_err().is_full());
    /// ```
    pub fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.chan().try_send(msg)
    }

    /// Sends, waiting at most `timeout` while the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] (nothing enqueued) or
    /// [`SendTimeoutError::Closed`], with the message.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, _rx) = funnelq::channel(1);
    /// tx.send_timeout(1, Duration::from_millis(10)).unwrap();
    /// assert!(tx.send_timeout(2, Duration::from_millis(10)).unwrap_err().is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn send_timeout(&self, msg: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_by(msg, crate::clock::deadline_after(timeout))
    }

    /// Sends, waiting until `deadline` at most while the channel is full.
    ///
    /// # Errors
    ///
    /// As [`Sender::send_timeout`].
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, _rx) = funnelq::channel(1);
    /// tx.send(1).unwrap();
    /// let err = tx.send_deadline(2, Instant::now() + Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn send_deadline(&self, msg: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.send_by(msg, crate::clock::deadline_after(left))
    }

    #[cfg(feature = "std")]
    fn send_by(&self, msg: T, deadline: Option<u64>) -> Result<(), SendTimeoutError<T>> {
        self.chan().send_until(msg, deadline).map_err(|e| match e {
            Ok(m) => SendTimeoutError::Timeout(m),
            Err(m) => SendTimeoutError::Closed(m),
        })
    }

    /// Sends asynchronously: the future waits while the channel is full,
    /// without blocking a thread, on any executor.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes leaves the message not
    /// enqueued (and drops it); a completed future enqueued it exactly once.
    ///
    /// # Errors
    ///
    /// The future yields [`SendError`] with the message if the channel closes.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let (tx, mut rx) = funnelq::channel(1);
    /// block_on(tx.send_async(3)).unwrap();
    /// assert_eq!(block_on(rx.recv_async()), Ok(3));
    /// ```
    pub fn send_async(&self, msg: T) -> SendFuture<'_, T> {
        SendFuture::new(self.chan(), msg)
    }

    /// Moves the longest prefix of `items` that fits right now into the
    /// channel, in order, claiming all its slots with one atomic step; the
    /// rest stays in `items`. Returns how many went in (0 if `items` is empty).
    ///
    /// # Errors
    ///
    /// `Full(())` if not even one fits, `Closed(())` if closed; `items` is
    /// then unchanged.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(3);
    /// let mut items = vec![1, 2, 3, 4, 5];
    /// assert_eq!(tx.try_send_batch(&mut items), Ok(3));
    /// assert_eq!(items, [4, 5]);
    /// assert!(tx.try_send_batch(&mut items).unwrap_err().is_full());
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    pub fn try_send_batch(&self, items: &mut Vec<T>) -> Result<usize, TrySendError<()>> {
        self.chan().try_send_batch(items)
    }

    /// Sends every item of `items`, in order, waiting while full; each step
    /// claims as many slots as are free with one atomic operation and
    /// removes what went in from the front of `items`. Returns how many were
    /// sent (all of them).
    ///
    /// # Errors
    ///
    /// [`SendError`] if the channel closes; `items` then holds the unsent
    /// suffix (a prefix went in, S18).
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(2);
    /// let t = std::thread::spawn(move || tx.send_batch(&mut vec![1, 2, 3, 4]));
    /// let got: Vec<i32> = rx.iter().collect();
    /// assert_eq!(t.join().unwrap(), Ok(4));
    /// assert_eq!(got, [1, 2, 3, 4]);
    /// ```
    #[cfg(feature = "std")]
    pub fn send_batch(&self, items: &mut Vec<T>) -> Result<usize, SendError<()>> {
        self.chan()
            .send_batch_until(items, None)
            .map_err(|_| SendError(()))
    }

    /// As [`Sender::send_batch`], waiting at most `timeout` in all while
    /// the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendTimeoutError::Timeout`] if the time ran out,
    /// [`SendTimeoutError::Closed`] if the channel closed; either way a
    /// prefix may have gone in, and `items` holds exactly the unsent suffix
    /// (S18). `Ok` means every item was sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// let (tx, mut rx) = funnelq::channel(2);
    /// let mut items = vec![1, 2, 3];
    /// let err = tx.send_batch_timeout(&mut items, Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout());
    /// assert_eq!(items, [3]); // 1 and 2 went in
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(tx.send_batch_timeout(&mut items, Duration::from_millis(5)), Ok(1));
    /// assert!(items.is_empty());
    /// ```
    #[cfg(feature = "std")]
    pub fn send_batch_timeout(
        &self,
        items: &mut Vec<T>,
        timeout: Duration,
    ) -> Result<usize, SendTimeoutError<()>> {
        self.chan()
            .send_batch_until(items, crate::clock::deadline_after(timeout))
    }

    /// As [`Sender::send_batch`], waiting until `deadline` at most while
    /// the channel is full.
    ///
    /// # Errors
    ///
    /// As [`Sender::send_batch_timeout`]: `items` holds the unsent suffix.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, _rx) = funnelq::channel(1);
    /// let mut items = vec!['a', 'b'];
    /// let err = tx
    ///     .send_batch_deadline(&mut items, Instant::now() + Duration::from_millis(5))
    ///     .unwrap_err();
    /// assert!(err.is_timeout());
    /// assert_eq!(items, ['b']);
    /// ```
    #[cfg(feature = "std")]
    pub fn send_batch_deadline(
        &self,
        items: &mut Vec<T>,
        deadline: Instant,
    ) -> Result<usize, SendTimeoutError<()>> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.send_batch_timeout(items, left)
    }

    /// Sends every item of `items` asynchronously, in order, on any
    /// executor: each poll moves as many as fit, and the future waits while
    /// the channel is full. It yields how many were sent (all of them).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it completes leaves in `items` exactly
    /// the items that were not enqueued (a prefix may have gone in; S16,
    /// S18). Nothing is lost or sent twice.
    ///
    /// # Errors
    ///
    /// The future yields [`SendError`] if the channel closes; `items` then
    /// holds the unsent suffix.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let (tx, mut rx) = funnelq::channel(4);
    /// let mut items = vec![1, 2, 3];
    /// assert_eq!(block_on(tx.send_batch_async(&mut items)), Ok(3));
    /// assert!(items.is_empty());
    /// let mut buf = Vec::new();
    /// assert_eq!(block_on(rx.recv_batch_async(&mut buf, 8)), Ok(3));
    /// assert_eq!(buf, [1, 2, 3]);
    /// ```
    pub fn send_batch_async<'a>(&'a self, items: &'a mut Vec<T>) -> SendBatchFuture<'a, T> {
        SendBatchFuture::new(self.chan(), items)
    }

    /// Closes the channel (idempotent). Returns `true` if this call closed it.
    /// Queued messages can still be received; new sends fail (S05, S06).
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(2);
    /// tx.send(1).unwrap();
    /// assert!(tx.close());
    /// assert!(!tx.close());
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.recv(), Ok(1));
    /// assert!(rx.recv().is_err());
    /// ```
    pub fn close(&self) -> bool {
        self.chan().close()
    }

    /// Whether the channel is closed.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel::<u8>(1);
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan().is_closed()
    }

    /// A snapshot of the number of queued messages, `0..=capacity`. It
    /// counts slots claimed by senders, including ones still being written.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan().len()
    }

    /// Whether [`Sender::len`] is 0.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity given at creation, exactly.
    ///
    /// ```
    /// let (tx, _rx) = funnelq::channel::<u8>(5);
    /// assert_eq!(tx.capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan().capacity()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan().add_sender();
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan().drop_sender();
    }
}

impl<T> Receiver<T> {
    fn chan(&self) -> &BoxChan<T> {
        &self.shared
    }

    /// A [`Closer`] for this channel, usable while the receiver itself is
    /// busy in a blocking receive on another thread.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(1);
    /// let closer = rx.closer();
    /// assert!(closer.close());
    /// assert!(rx.is_closed());
    /// ```
    pub fn closer(&self) -> Closer<T> {
        Closer {
            shared: self.shared.clone(),
        }
    }

    /// Receives, waiting while the channel is empty and open.
    ///
    /// # Errors
    ///
    /// [`RecvError`] at end of stream: closed (or every sender dropped) and
    /// drained.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(1);
    /// std::thread::spawn(move || tx.send(9).unwrap());
    /// assert_eq!(rx.recv(), Ok(9));
    /// assert!(rx.recv().is_err());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv(&mut self) -> Result<T, RecvError> {
        // SAFETY: `&mut self` on the only `Receiver`: one consumer at a time.
        unsafe { self.chan().recv_until(None) }.unwrap_or(Err(RecvError))
    }

    /// Receives if a message is ready now; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is ready (also while a sender that
    /// claimed a slot is still writing it), [`TryRecvError::Closed`] at end
    /// of stream.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(1);
    /// assert!(rx.try_recv().unwrap_err().is_empty());
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        // SAFETY: `&mut self` on the only `Receiver`: one consumer at a time.
        unsafe { self.chan().try_recv() }
    }

    /// Receives, waiting at most `timeout` while empty.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] or [`RecvTimeoutError::Closed`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, mut rx) = funnelq::channel::<u8>(1);
    /// assert!(rx.recv_timeout(Duration::from_millis(5)).unwrap_err().is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_by(crate::clock::deadline_after(timeout))
    }

    /// Receives, waiting until `deadline` at most while empty.
    ///
    /// # Errors
    ///
    /// As [`Receiver::recv_timeout`].
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (_tx, mut rx) = funnelq::channel::<u8>(1);
    /// let err = rx.recv_deadline(Instant::now() + Duration::from_millis(5)).unwrap_err();
    /// assert!(err.is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_deadline(&mut self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.recv_by(crate::clock::deadline_after(left))
    }

    #[cfg(feature = "std")]
    fn recv_by(&mut self, deadline: Option<u64>) -> Result<T, RecvTimeoutError> {
        // SAFETY: `&mut self` on the only `Receiver`: one consumer at a time.
        match unsafe { self.chan().recv_until(deadline) } {
            Some(Ok(m)) => Ok(m),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Receives asynchronously, on any executor.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses no message: a message is taken only in the
    /// poll that returns it.
    ///
    /// # Errors
    ///
    /// The future yields [`RecvError`] at end of stream.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let (tx, mut rx) = funnelq::channel(1);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(block_on(rx.recv_async()), Ok(1));
    /// assert!(block_on(rx.recv_async()).is_err());
    /// ```
    pub fn recv_async(&mut self) -> RecvFuture<'_, T> {
        // SAFETY: the future borrows `self` mutably for its whole life, so it
        // is the only consumer while it exists.
        unsafe { RecvFuture::new(self.chan()) }
    }

    /// Waits for the first message only, then appends to `buf` up to `max`
    /// messages that are ready, in order; the senders waiting for room are
    /// woken once for the whole batch. Returns how many were appended
    /// (`1..=max`; 0 only if `max` is 0).
    ///
    /// # Errors
    ///
    /// [`RecvError`] at end of stream.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(8);
    /// for i in 0..5 { tx.send(i).unwrap(); }
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.recv_batch(&mut buf, 3), Ok(3));
    /// assert_eq!(rx.recv_batch(&mut buf, 3), Ok(2));
    /// assert_eq!(buf, [0, 1, 2, 3, 4]);
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_batch(&mut self, buf: &mut Vec<T>, max: usize) -> Result<usize, RecvError> {
        // SAFETY: `&mut self` on the only `Receiver`: one consumer at a time.
        unsafe { self.chan().recv_batch_until(buf, max, None) }.unwrap_or(Err(RecvError))
    }

    /// As [`Receiver::recv_batch`], waiting at most `timeout` for the first
    /// message.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] or [`RecvTimeoutError::Closed`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, mut rx) = funnelq::channel::<u8>(8);
    /// let mut buf = Vec::new();
    /// assert!(rx.recv_batch_timeout(&mut buf, 4, Duration::from_millis(5)).unwrap_err().is_timeout());
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_batch_timeout(
        &mut self,
        buf: &mut Vec<T>,
        max: usize,
        timeout: Duration,
    ) -> Result<usize, RecvTimeoutError> {
        let deadline = crate::clock::deadline_after(timeout);
        // SAFETY: `&mut self` on the only `Receiver`: one consumer at a time.
        match unsafe { self.chan().recv_batch_until(buf, max, deadline) } {
            Some(Ok(n)) => Ok(n),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// As [`Receiver::recv_batch`], waiting until `deadline` at most for
    /// the first message.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] or [`RecvTimeoutError::Closed`];
    /// nothing was appended to `buf`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let (tx, mut rx) = funnelq::channel(8);
    /// let mut buf = Vec::new();
    /// let soon = Instant::now() + Duration::from_millis(5);
    /// assert!(rx.recv_batch_deadline(&mut buf, 4, soon).unwrap_err().is_timeout());
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.recv_batch_deadline(&mut buf, 4, soon), Ok(2));
    /// assert_eq!(buf, [1, 2]);
    /// ```
    #[cfg(feature = "std")]
    pub fn recv_batch_deadline(
        &mut self,
        buf: &mut Vec<T>,
        max: usize,
        deadline: Instant,
    ) -> Result<usize, RecvTimeoutError> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.recv_batch_timeout(buf, max, left)
    }

    /// Receives a batch asynchronously, on any executor: waits for the first
    /// message only, then appends to `buf` up to `max` messages that are
    /// ready, in order, and yields how many (`1..=max`; 0 only if `max` is 0).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses no message: messages are taken (and
    /// appended to `buf`) only by the poll that returns them (S16).
    ///
    /// # Errors
    ///
    /// The future yields [`RecvError`] at end of stream.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let (tx, mut rx) = funnelq::channel(4);
    /// tx.send('a').unwrap();
    /// tx.send('b').unwrap();
    /// drop(tx);
    /// let mut buf = Vec::new();
    /// assert_eq!(block_on(rx.recv_batch_async(&mut buf, 8)), Ok(2));
    /// assert_eq!(buf, ['a', 'b']);
    /// assert!(block_on(rx.recv_batch_async(&mut buf, 8)).is_err());
    /// ```
    pub fn recv_batch_async<'a>(
        &'a mut self,
        buf: &'a mut Vec<T>,
        max: usize,
    ) -> RecvBatchFuture<'a, T> {
        // SAFETY: the future borrows `self` mutably for its whole life, so it
        // is the only consumer while it exists.
        unsafe { RecvBatchFuture::new(self.chan(), buf, max) }
    }

    /// Appends to `buf` up to `max` messages that are ready now; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if none is ready (and `max > 0`),
    /// [`TryRecvError::Closed`] at end of stream.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(4);
    /// tx.send('a').unwrap();
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.try_recv_batch(&mut buf, 10), Ok(1));
    /// assert!(rx.try_recv_batch(&mut buf, 10).unwrap_err().is_empty());
    /// ```
    pub fn try_recv_batch(&mut self, buf: &mut Vec<T>, max: usize) -> Result<usize, TryRecvError> {
        // SAFETY: `&mut self` on the only `Receiver`: one consumer at a time.
        unsafe { self.chan().try_recv_batch(buf, max) }
    }

    /// Closes the channel from the receiving side (idempotent); queued
    /// messages can still be received. Returns `true` if this call closed it.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(2);
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.try_send(2).unwrap_err().is_closed());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert!(rx.try_recv().unwrap_err().is_closed());
    /// ```
    pub fn close(&self) -> bool {
        self.chan().close()
    }

    /// Whether the channel is closed (there may still be messages to drain).
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel::<u8>(1);
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan().is_closed()
    }

    /// A snapshot of the number of queued messages, `0..=capacity`.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel(4);
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan().len()
    }

    /// Whether [`Receiver::len`] is 0.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity given at creation.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(7);
    /// assert_eq!(rx.capacity(), 7);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan().capacity()
    }

    /// An iterator over the messages ready now; it ends when none is.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn try_iter(&mut self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// A blocking iterator; it ends at end of stream.
    ///
    /// ```
    /// let (tx, mut rx) = funnelq::channel(4);
    /// tx.send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.iter().collect::<Vec<_>>(), [1]);
    /// ```
    #[cfg(feature = "std")]
    pub fn iter(&mut self) -> Iter<'_, T> {
        Iter { rx: self }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // SAFETY: the only `Receiver`, dropped: no other consumer can exist.
        unsafe { self.chan().close_and_drain() };
    }
}

/// Messages ready now; see [`Receiver::try_iter`].
///
/// ```
/// let (tx, mut rx) = funnelq::channel(2);
/// tx.send(0).unwrap();
/// let it: funnelq::TryIter<'_, i32> = rx.try_iter();
/// assert_eq!(it.count(), 1);
/// ```
pub struct TryIter<'a, T> {
    rx: &'a mut Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

/// A blocking iterator; see [`Receiver::iter`].
///
/// ```
/// let (tx, mut rx) = funnelq::channel(2);
/// tx.send(0).unwrap();
/// drop(tx);
/// let it: funnelq::Iter<'_, i32> = rx.iter();
/// assert_eq!(it.count(), 1);
/// ```
#[cfg(feature = "std")]
pub struct Iter<'a, T> {
    rx: &'a mut Receiver<T>,
}

#[cfg(feature = "std")]
impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

/// An owning blocking iterator; see `IntoIterator for Receiver`.
///
/// ```
/// let (tx, rx) = funnelq::channel(2);
/// tx.send(1).unwrap();
/// drop(tx);
/// let it: funnelq::IntoIter<i32> = rx.into_iter();
/// assert_eq!(it.collect::<Vec<_>>(), [1]);
/// ```
#[cfg(feature = "std")]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

#[cfg(feature = "std")]
impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

#[cfg(feature = "std")]
impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

#[cfg(feature = "std")]
impl<'a, T> IntoIterator for &'a mut Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}
