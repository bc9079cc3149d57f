//! Errors. Every error of a send hands the message back (`into_inner`).

use core::fmt;

use crate::state::MAX_CAPACITY;

/// The channel is closed: `send` could not enqueue the message, which is
/// handed back.
///
/// ```
/// let (tx, rx) = funnelq::channel(1);
/// rx.close();
/// let err = tx.send(7).unwrap_err();
/// assert_eq!(err.into_inner(), 7);
/// assert_eq!(err.to_string(), "sending on a closed channel");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The message that was not sent.
    ///
    /// ```
    /// assert_eq!(funnelq::SendError("hi").into_inner(), "hi");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Why `try_send` did not enqueue; the message is handed back.
///
/// ```
/// use funnelq::TrySendError;
/// let (tx, _rx) = funnelq::channel(1);
/// tx.try_send(1).unwrap();
/// assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrySendError<T> {
    /// No free slot right now; nothing was enqueued.
    Full(T),
    /// The channel is closed; nothing was enqueued.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The message that was not sent.
    ///
    /// ```
    /// assert_eq!(funnelq::TrySendError::Full(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) => m,
        }
    }

    /// Whether the channel was full.
    ///
    /// ```
    /// assert!(funnelq::TrySendError::Full(()).is_full());
    /// assert!(!funnelq::TrySendError::Closed(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the channel was closed.
    ///
    /// ```
    /// assert!(funnelq::TrySendError::Closed(()).is_closed());
    /// assert!(!funnelq::TrySendError::Full(()).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        TrySendError::Closed(err.0)
    }
}

/// Why `send_timeout`/`send_deadline` did not enqueue; the message is
/// handed back.
///
/// ```
/// use std::time::Duration;
/// let (tx, _rx) = funnelq::channel(1);
/// tx.send(1).unwrap();
/// let err = tx.send_timeout(2, Duration::from_millis(5)).unwrap_err();
/// assert!(err.is_timeout());
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendTimeoutError<T> {
    /// The deadline passed with the channel still full; nothing was enqueued.
    Timeout(T),
    /// The channel is closed; nothing was enqueued.
    Closed(T),
}

impl<T> SendTimeoutError<T> {
    /// The message that was not sent.
    ///
    /// ```
    /// assert_eq!(funnelq::SendTimeoutError::Timeout(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SendTimeoutError::Timeout(m) | SendTimeoutError::Closed(m) => m,
        }
    }

    /// Whether the deadline passed.
    ///
    /// ```
    /// assert!(funnelq::SendTimeoutError::Timeout(()).is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, SendTimeoutError::Timeout(_))
    }

    /// Whether the channel was closed.
    ///
    /// ```
    /// assert!(funnelq::SendTimeoutError::Closed(()).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, SendTimeoutError::Closed(_))
    }
}

/// End of stream: the channel is closed and every message was received.
///
/// ```
/// let (tx, mut rx) = funnelq::channel::<u8>(1);
/// drop(tx);
/// assert_eq!(rx.recv(), Err(funnelq::RecvError));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RecvError;

/// Why `try_recv` returned no message.
///
/// ```
/// use funnelq::TryRecvError;
/// let (tx, mut rx) = funnelq::channel::<u8>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// tx.close();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TryRecvError {
    /// No message is ready now, and the channel is open (or a sender that
    /// claimed a slot before `close` is still writing it).
    Empty,
    /// Closed and drained: end of stream.
    Closed,
}

impl TryRecvError {
    /// Whether no message was ready.
    ///
    /// ```
    /// assert!(funnelq::TryRecvError::Empty.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self, TryRecvError::Empty)
    }

    /// Whether this is end of stream.
    ///
    /// ```
    /// assert!(funnelq::TryRecvError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryRecvError::Closed)
    }
}

/// Why `recv_timeout`/`recv_deadline` returned no message.
///
/// ```
/// use std::time::Duration;
/// let (_tx, mut rx) = funnelq::channel::<u8>(1);
/// let err = rx.recv_timeout(Duration::from_millis(5)).unwrap_err();
/// assert!(err.is_timeout());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum RecvTimeoutError {
    /// The deadline passed with no message.
    Timeout,
    /// Closed and drained: end of stream.
    Closed,
}

impl RecvTimeoutError {
    /// Whether the deadline passed.
    ///
    /// ```
    /// assert!(funnelq::RecvTimeoutError::Timeout.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        matches!(self, RecvTimeoutError::Timeout)
    }

    /// Whether this is end of stream.
    ///
    /// ```
    /// assert!(funnelq::RecvTimeoutError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, RecvTimeoutError::Closed)
    }
}

/// Why [`try_channel`](crate::try_channel) made no channel: a capacity
/// outside `1..=MAX_CAPACITY` (S14), or a ring whose memory cannot be
/// allocated (S22; [`is_out_of_memory`](CapacityError::is_out_of_memory)).
///
/// ```
/// let err = funnelq::try_channel::<u8>(0).unwrap_err();
/// assert_eq!(err.capacity(), 0);
/// assert!(!err.is_out_of_memory());
/// assert_eq!(err.to_string(), format!("capacity 0 is out of range 1..={}", funnelq::MAX_CAPACITY));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CapacityError {
    pub(crate) capacity: usize,
    /// `Some(bytes)` when the capacity was in range but its ring could not
    /// be allocated.
    pub(crate) ring_bytes: Option<u128>,
}

impl CapacityError {
    /// The capacity that was asked for.
    ///
    /// ```
    /// assert_eq!(funnelq::try_channel::<u8>(usize::MAX).unwrap_err().capacity(), usize::MAX);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether the capacity was in range but the ring's memory could not be
    /// allocated (its size overflows, or the allocator refused). The
    /// message names the slots and the bytes.
    ///
    /// ```
    /// // Slots of a megabyte each: a petabyte at the largest capacity.
    /// let err = funnelq::try_channel::<[u8; 1 << 20]>(funnelq::MAX_CAPACITY).unwrap_err();
    /// assert!(err.is_out_of_memory());
    /// assert!(err.to_string().starts_with("cannot allocate a ring of"));
    /// assert!(!funnelq::try_channel::<u8>(0).unwrap_err().is_out_of_memory());
    /// ```
    pub fn is_out_of_memory(&self) -> bool {
        self.ring_bytes.is_some()
    }

    #[cfg_attr(not(feature = "alloc"), allow(dead_code))] // used by `try_channel`
    pub(crate) fn check(capacity: usize) -> Result<usize, CapacityError> {
        if (1..=MAX_CAPACITY).contains(&capacity) {
            Ok(capacity)
        } else {
            Err(CapacityError {
                capacity,
                ring_bytes: None,
            })
        }
    }

    #[cfg_attr(not(feature = "alloc"), allow(dead_code))] // used by `try_channel`
    pub(crate) fn out_of_memory(capacity: usize, bytes: u128) -> CapacityError {
        CapacityError {
            capacity,
            ring_bytes: Some(bytes),
        }
    }
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ring_bytes {
            None => write!(
                f,
                "capacity {} is out of range 1..={}",
                self.capacity, MAX_CAPACITY
            ),
            Some(bytes) => write!(
                f,
                "cannot allocate a ring of {} slots ({} bytes)",
                self.capacity, bytes
            ),
        }
    }
}

// Messages need not be `Debug`: the formatting names the outcome only.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Debug for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            SendTimeoutError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Closed(_) => f.write_str("sending on a closed channel"),
        }
    }
}

impl<T> fmt::Display for SendTimeoutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTimeoutError::Timeout(_) => f.write_str("timed out sending on a full channel"),
            SendTimeoutError::Closed(_) => f.write_str("sending on a closed channel"),
        }
    }
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on a closed and empty channel")
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Closed => f.write_str("receiving on a closed and empty channel"),
        }
    }
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Timeout => f.write_str("timed out receiving on an empty channel"),
            RecvTimeoutError::Closed => f.write_str("receiving on a closed and empty channel"),
        }
    }
}

impl<T> core::error::Error for SendError<T> {}
impl<T> core::error::Error for TrySendError<T> {}
impl<T> core::error::Error for SendTimeoutError<T> {}
impl core::error::Error for RecvError {}
impl core::error::Error for TryRecvError {}
impl core::error::Error for RecvTimeoutError {}
impl core::error::Error for CapacityError {}
