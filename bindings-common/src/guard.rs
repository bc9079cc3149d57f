//! The guarded receiver: the one consumer behind a handle the host can share.
//!
//! A host handle (a C pointer, a Python object, a JS object in several
//! Promises at once) can reach the receiver from two calls at the same time,
//! which the ring's single-consumer contract forbids. The receiver therefore
//! sits behind a claim flag: a receive claims it, or fails with
//! [`ClaimError::Busy`]; dropping the [`Claim`] releases it. The flag is
//! taken with one compare-exchange and never waited on, so a browser main
//! thread (which must not block) can use it too.
//!
//! Beside the receiver sits a short queue of messages given back
//! ([`Claim::give_back`]): a binding that took messages for a caller and then
//! cannot hand them over (a worker torn down between the take and the
//! resolve) puts them back, and the next receive gets them first, in order
//! (S21). Every receive form of [`Claim`] serves that queue before the ring.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use funnelq::{Closer, Receiver, RecvError, RecvTimeoutError, TryRecvError};

/// Why [`GuardedReceiver::claim`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimError {
    /// Another receive holds the receiver right now.
    Busy,
    /// The receiver was released ([`GuardedReceiver::release`]): the handle
    /// is disposed or was moved into a share token.
    Released,
}

impl fmt::Display for ClaimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClaimError::Busy => "another receive is already in progress on this receiver",
            ClaimError::Released => "the receiver was disposed or handed over",
        })
    }
}

impl std::error::Error for ClaimError {}

struct Inner<T> {
    rx: Option<Receiver<T>>,
    /// Messages given back, served before the ring.
    returned: VecDeque<T>,
}

/// A [`Receiver`] that many host references may hold, but only one call at a
/// time may use: see the module docs.
///
/// ```
/// use std::sync::Arc;
/// use funnelq_binding::{ClaimError, GuardedReceiver};
///
/// let (tx, rx) = funnelq::channel::<&str>(2);
/// let guarded = Arc::new(GuardedReceiver::new(rx));
/// tx.send("a").unwrap();
/// let mut claim = guarded.claim_arc().unwrap();       // 'static: fits an async task
/// assert_eq!(guarded.claim().unwrap_err(), ClaimError::Busy);
/// assert_eq!(claim.try_recv(), Ok("a"));
/// drop(claim);
/// assert!(guarded.claim().is_ok());
/// ```
pub struct GuardedReceiver<T> {
    claimed: AtomicBool,
    inner: UnsafeCell<Inner<T>>,
    /// `inner.returned.len()`, readable without a claim (for `len`).
    returned_len: AtomicUsize,
    /// Serves close and the queries while a receive holds the receiver.
    closer: Closer<T>,
}

// SAFETY: `inner` is only touched by the holder of the claim flag (one
// thread at a time, handed over with Acquire/Release), and it only moves
// `T`s between threads, which `T: Send` allows. The rest is atomics and a
// `Closer`, itself `Send + Sync` for `T: Send`.
unsafe impl<T: Send> Send for GuardedReceiver<T> {}
// SAFETY: as above: shared references reach `inner` only through a claim.
unsafe impl<T: Send> Sync for GuardedReceiver<T> {}

impl<T> GuardedReceiver<T> {
    /// Puts `rx` behind the claim flag.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// assert_eq!(guarded.capacity(), 1);
    /// ```
    pub fn new(rx: Receiver<T>) -> Self {
        GuardedReceiver {
            claimed: AtomicBool::new(false),
            closer: rx.closer(),
            inner: UnsafeCell::new(Inner {
                rx: Some(rx),
                returned: VecDeque::new(),
            }),
            returned_len: AtomicUsize::new(0),
        }
    }

    fn try_flag(&self) -> Result<(), ClaimError> {
        // ORDERING: Acquire pairs with the Release in `unflag`, so this claim
        // sees everything the previous holder did to `inner`. Failure needs
        // no ordering: nothing is read.
        self.claimed
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map(drop)
            .map_err(|_| ClaimError::Busy)
    }

    fn unflag(&self) {
        // ORDERING: Release publishes this holder's changes to `inner` to
        // the next claim's Acquire.
        self.claimed.store(false, Ordering::Release);
    }

    fn claim_with<G: Deref<Target = Self>>(guard: G) -> Result<Claim<T, G>, ClaimError> {
        guard.try_flag()?;
        let claim = Claim {
            guard,
            _msg: PhantomData,
        };
        // SAFETY: the flag is ours (set just above) until `claim` drops.
        if unsafe { (*claim.guard.inner.get()).rx.is_none() } {
            return Err(ClaimError::Released); // `claim` drops: flag released
        }
        Ok(claim)
    }

    /// Claims the receiver for one receive; the [`Claim`] borrows `self`.
    ///
    /// # Errors
    ///
    /// [`ClaimError::Busy`] while another claim is held,
    /// [`ClaimError::Released`] after [`GuardedReceiver::release`].
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// let claim = guarded.claim().unwrap();
    /// assert!(guarded.claim().is_err());
    /// ```
    pub fn claim(&self) -> Result<Claim<T, &Self>, ClaimError> {
        Self::claim_with(self)
    }

    /// Claims the receiver with a claim that owns an `Arc` to it, for a
    /// future that must be `'static` (a napi async task, a spawned future).
    ///
    /// # Errors
    ///
    /// As [`GuardedReceiver::claim`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// let (tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = Arc::new(funnelq_binding::GuardedReceiver::new(rx));
    /// tx.send(7).unwrap();
    /// let mut claim = guarded.claim_arc().unwrap();
    /// let got = std::thread::spawn(move || claim.recv(None)).join().unwrap();
    /// assert_eq!(got, Ok(7));
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn claim_arc(
        self: &std::sync::Arc<Self>,
    ) -> Result<Claim<T, std::sync::Arc<Self>>, ClaimError> {
        Self::claim_with(std::sync::Arc::clone(self))
    }

    /// Drops the receiver now (the channel closes and what is queued, and
    /// given back, is released: S13); later claims fail with
    /// [`ClaimError::Released`]. Idempotent.
    ///
    /// # Errors
    ///
    /// [`ClaimError::Busy`] while a receive holds the receiver.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// guarded.release().unwrap();
    /// assert!(tx.send(1).is_err());
    /// ```
    pub fn release(&self) -> Result<(), ClaimError> {
        self.take().map(drop)
    }

    /// Takes the receiver out (to move it into a share token, say); later
    /// claims fail with [`ClaimError::Released`]. Messages given back and
    /// not yet received are released.
    ///
    /// # Errors
    ///
    /// [`ClaimError::Busy`] while a receive holds it, [`ClaimError::Released`]
    /// if it was taken or released before.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// let rx = guarded.take().unwrap();
    /// let again = funnelq_binding::GuardedReceiver::new(rx);
    /// assert!(guarded.claim().is_err() && again.claim().is_ok());
    /// ```
    pub fn take(&self) -> Result<Receiver<T>, ClaimError> {
        match self.try_flag() {
            Ok(()) => {}
            // Released before: say so, whoever holds the flag.
            Err(e) => return Err(e),
        }
        // SAFETY: the flag is ours until `unflag` below.
        let inner = unsafe { &mut *self.inner.get() };
        let rx = inner.rx.take();
        let returned = std::mem::take(&mut inner.returned);
        self.returned_len.store(0, Ordering::Relaxed); // ORDERING: a gauge for `len` only.
        self.unflag();
        drop(returned);
        rx.ok_or(ClaimError::Released)
    }

    /// Releases a claim whose holder will never run again (a web worker
    /// terminated in the middle of a receive), so that another handle can
    /// receive.
    ///
    /// # Safety
    ///
    /// The holder of the current claim must never touch this receiver again:
    /// its thread is gone for good. Otherwise two consumers would run at once.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// std::mem::forget(guarded.claim().unwrap()); // as if its thread died
    /// // SAFETY: the forgotten claim is never used again.
    /// unsafe { guarded.force_unclaim() };
    /// assert!(guarded.claim().is_ok());
    /// ```
    pub unsafe fn force_unclaim(&self) {
        self.unflag();
    }

    /// Closes the channel (idempotent); `true` if this call closed it. Works
    /// while a receive holds the receiver, and wakes it (S07).
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel::<u8>(1);
    /// assert!(funnelq_binding::GuardedReceiver::new(rx).close());
    /// assert!(tx.is_closed());
    /// ```
    pub fn close(&self) -> bool {
        self.closer.close()
    }

    /// Whether the channel is closed.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// drop(tx);
    /// assert!(guarded.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closer.is_closed()
    }

    /// Messages waiting for a receive: queued in the ring plus given back.
    /// Given-back messages left the ring, so right after a give-back this may
    /// exceed the capacity by their number.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel(2);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// tx.send(1).unwrap();
    /// assert_eq!(guarded.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        // ORDERING: a gauge: a snapshot needs no order with the ring's.
        self.closer.len() + self.returned_len.load(Ordering::Relaxed)
    }

    /// Whether [`GuardedReceiver::len`] is 0.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(2);
    /// assert!(funnelq_binding::GuardedReceiver::new(rx).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The channel's capacity.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(3);
    /// assert_eq!(funnelq_binding::GuardedReceiver::new(rx).capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.closer.capacity()
    }

    /// A [`Closer`] for the channel.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(3);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// let closer = guarded.closer().clone();
    /// assert!(closer.close());
    /// ```
    pub fn closer(&self) -> &Closer<T> {
        &self.closer
    }
}

impl<T> fmt::Debug for GuardedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedReceiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiver, held for one receive; dropping it releases the claim.
/// `G` is `&GuardedReceiver<T>` ([`GuardedReceiver::claim`]) or
/// `Arc<GuardedReceiver<T>>` ([`GuardedReceiver::claim_arc`]).
///
/// Every receive form serves messages given back first, then the ring.
///
/// ```
/// let (tx, rx) = funnelq::channel(4);
/// let guarded = funnelq_binding::GuardedReceiver::new(rx);
/// for i in 0..3 { tx.send(i).unwrap(); }
/// let mut claim = guarded.claim().unwrap();
/// let mut got = Vec::new();
/// assert_eq!(claim.try_recv_batch(&mut got, 10), Ok(3));
/// claim.give_back(got.split_off(1)); // could not deliver 1 and 2
/// assert_eq!(claim.try_recv(), Ok(1));
/// assert_eq!(claim.try_recv(), Ok(2));
/// ```
pub struct Claim<T, G: Deref<Target = GuardedReceiver<T>>> {
    guard: G,
    _msg: PhantomData<fn() -> T>,
}

impl<T, G: Deref<Target = GuardedReceiver<T>>> Claim<T, G> {
    fn inner(&mut self) -> &mut Inner<T> {
        // SAFETY: this claim holds the flag (set when it was made, released
        // when it drops), so no other reference to `inner` exists; `&mut
        // self` keeps this one unique within the claim.
        unsafe { &mut *self.guard.inner.get() }
    }

    fn rx(&mut self) -> &mut Receiver<T> {
        self.inner()
            .rx
            .as_mut()
            .expect("a claim is only made while the receiver is present")
    }

    fn pop_returned(&mut self) -> Option<T> {
        let m = self.inner().returned.pop_front()?;
        // ORDERING: a gauge for `len` only.
        self.guard.returned_len.fetch_sub(1, Ordering::Relaxed);
        Some(m)
    }

    /// Moves up to `max` given-back messages to `buf`; how many.
    fn drain_returned(&mut self, buf: &mut Vec<T>, max: usize) -> usize {
        let inner = self.inner();
        let n = max.min(inner.returned.len());
        buf.extend(inner.returned.drain(..n));
        // ORDERING: a gauge for `len` only.
        self.guard.returned_len.fetch_sub(n, Ordering::Relaxed);
        n
    }

    /// After `n` given-back messages went to `buf`, tops the batch up with
    /// what the ring has ready now.
    fn top_up(&mut self, buf: &mut Vec<T>, n: usize, max: usize) -> usize {
        if n < max {
            // Empty or Closed here only end the batch: `n > 0` already.
            if let Ok(k) = self.rx().try_recv_batch(buf, max - n) {
                return n + k;
            }
        }
        n
    }

    /// Receives if a message is ready now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Closed`] (end of stream).
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// let mut claim = guarded.claim().unwrap();
    /// assert!(claim.try_recv().unwrap_err().is_empty());
    /// tx.send(1).unwrap();
    /// assert_eq!(claim.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.pop_returned() {
            Some(m) => Ok(m),
            None => self.rx().try_recv(),
        }
    }

    /// Receives, waiting while empty and open: for ever (`None`) or at most
    /// `timeout`.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] or [`RecvTimeoutError::Closed`].
    ///
    /// ```
    /// use std::time::Duration;
    /// let (_tx, rx) = funnelq::channel::<u8>(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// let err = guarded.claim().unwrap().recv(Some(Duration::from_millis(5))).unwrap_err();
    /// assert!(err.is_timeout());
    /// ```
    pub fn recv(&mut self, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
        if let Some(m) = self.pop_returned() {
            return Ok(m);
        }
        match timeout {
            None => self
                .rx()
                .recv()
                .map_err(|RecvError| RecvTimeoutError::Closed),
            Some(d) => self.rx().recv_timeout(d),
        }
    }

    /// Appends to `buf` up to `max` messages ready now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if none is ready (and `max > 0`),
    /// [`TryRecvError::Closed`] at end of stream.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel(4);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// tx.send(1).unwrap();
    /// let mut buf = Vec::new();
    /// assert_eq!(guarded.claim().unwrap().try_recv_batch(&mut buf, 8), Ok(1));
    /// ```
    pub fn try_recv_batch(&mut self, buf: &mut Vec<T>, max: usize) -> Result<usize, TryRecvError> {
        match self.drain_returned(buf, max) {
            0 => self.rx().try_recv_batch(buf, max),
            n => Ok(self.top_up(buf, n, max)),
        }
    }

    /// Waits for the first message (for ever, or at most `timeout`), then
    /// appends to `buf` up to `max` that are ready.
    ///
    /// # Errors
    ///
    /// [`RecvTimeoutError::Timeout`] or [`RecvTimeoutError::Closed`].
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel(4);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// let mut buf = Vec::new();
    /// assert_eq!(guarded.claim().unwrap().recv_batch(&mut buf, 8, None), Ok(2));
    /// ```
    pub fn recv_batch(
        &mut self,
        buf: &mut Vec<T>,
        max: usize,
        timeout: Option<Duration>,
    ) -> Result<usize, RecvTimeoutError> {
        if max == 0 {
            return Ok(0);
        }
        match self.drain_returned(buf, max) {
            0 => match timeout {
                None => self
                    .rx()
                    .recv_batch(buf, max)
                    .map_err(|RecvError| RecvTimeoutError::Closed),
                Some(d) => self.rx().recv_batch_timeout(buf, max, d),
            },
            n => Ok(self.top_up(buf, n, max)),
        }
    }

    /// Receives asynchronously, on any executor.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses no message (the core's `recv_async`).
    ///
    /// # Errors
    ///
    /// [`RecvError`] at end of stream.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let (tx, rx) = funnelq::channel(1);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// tx.send(3).unwrap();
    /// assert_eq!(block_on(guarded.claim().unwrap().recv_async()), Ok(3));
    /// ```
    pub async fn recv_async(&mut self) -> Result<T, RecvError> {
        match self.pop_returned() {
            Some(m) => Ok(m),
            None => self.rx().recv_async().await,
        }
    }

    /// Waits asynchronously for the first message, then appends to `buf` up
    /// to `max` that are ready.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses no message (the core's `recv_batch_async`).
    ///
    /// # Errors
    ///
    /// [`RecvError`] at end of stream.
    ///
    /// ```
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
    /// # }
    /// let (tx, rx) = funnelq::channel(4);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// let mut buf = Vec::new();
    /// assert_eq!(block_on(guarded.claim().unwrap().recv_batch_async(&mut buf, 8)), Ok(2));
    /// ```
    pub async fn recv_batch_async(
        &mut self,
        buf: &mut Vec<T>,
        max: usize,
    ) -> Result<usize, RecvError> {
        if max == 0 {
            return Ok(0);
        }
        match self.drain_returned(buf, max) {
            0 => self.rx().recv_batch_async(buf, max).await,
            n => Ok(self.top_up(buf, n, max)),
        }
    }

    /// Puts messages that were received but could not be delivered back at
    /// the front of the stream, in their order: the next receives get them
    /// first (S21). They count in [`GuardedReceiver::len`] meanwhile.
    ///
    /// ```
    /// let (tx, rx) = funnelq::channel(4);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// tx.send(3).unwrap();
    /// let mut claim = guarded.claim().unwrap();
    /// claim.give_back(vec![1, 2]);
    /// let mut got = Vec::new();
    /// claim.try_recv_batch(&mut got, 8).unwrap();
    /// assert_eq!(got, [1, 2, 3]);
    /// ```
    pub fn give_back(&mut self, msgs: Vec<T>) {
        let n = msgs.len();
        let inner = self.inner();
        let mut front = VecDeque::from(msgs);
        front.append(&mut inner.returned);
        inner.returned = front;
        // ORDERING: a gauge for `len` only.
        self.guard.returned_len.fetch_add(n, Ordering::Relaxed);
    }

    /// The guarded receiver this claim holds.
    ///
    /// ```
    /// let (_tx, rx) = funnelq::channel::<u8>(2);
    /// let guarded = funnelq_binding::GuardedReceiver::new(rx);
    /// assert_eq!(guarded.claim().unwrap().guarded().capacity(), 2);
    /// ```
    pub fn guarded(&self) -> &GuardedReceiver<T> {
        &self.guard
    }
}

impl<T, G: Deref<Target = GuardedReceiver<T>>> Drop for Claim<T, G> {
    fn drop(&mut self) {
        self.guard.unflag();
    }
}

impl<T, G: Deref<Target = GuardedReceiver<T>>> fmt::Debug for Claim<T, G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("guarded", &*self.guard)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn s14_second_concurrent_receive_is_busy() {
        let (tx, rx) = funnelq::channel::<u32>(1);
        let guarded = Arc::new(GuardedReceiver::new(rx));
        let mut claim = guarded.claim_arc().unwrap();
        let waiting = thread::spawn(move || claim.recv(None));
        // The first receive is blocked holding the claim.
        thread::sleep(Duration::from_millis(20));
        assert_eq!(guarded.claim().unwrap_err(), ClaimError::Busy);
        // close() works while the receive holds the receiver, and wakes it (S07).
        assert!(guarded.close());
        assert_eq!(waiting.join().unwrap(), Err(RecvTimeoutError::Closed));
        assert!(guarded.claim().is_ok());
        drop(tx);
    }

    #[test]
    fn s21_given_back_messages_come_first_in_order() {
        let (tx, rx) = funnelq::channel(8);
        let guarded = GuardedReceiver::new(rx);
        for i in 0..6 {
            tx.send(i).unwrap();
        }
        let mut taken = Vec::new();
        {
            let mut claim = guarded.claim().unwrap();
            assert_eq!(claim.try_recv_batch(&mut taken, 4), Ok(4));
            // The caller could not deliver them: back to the front.
            claim.give_back(std::mem::take(&mut taken));
        }
        assert_eq!(guarded.len(), 6);
        let mut claim = guarded.claim().unwrap();
        let mut got = Vec::new();
        assert_eq!(claim.recv_batch(&mut got, 3, None), Ok(3));
        assert_eq!(claim.recv(None), Ok(3));
        assert_eq!(claim.try_recv_batch(&mut got, 10), Ok(2));
        assert_eq!(got, [0, 1, 2, 4, 5]);
        drop(tx);
        assert_eq!(claim.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn s21_given_back_messages_survive_close_then_end_of_stream() {
        let (tx, rx) = funnelq::channel(2);
        let guarded = GuardedReceiver::new(rx);
        tx.send('a').unwrap();
        tx.close();
        let mut claim = guarded.claim().unwrap();
        let m = claim.recv(None).unwrap();
        claim.give_back(vec![m]);
        assert_eq!(claim.recv(Some(Duration::from_millis(1))), Ok('a'));
        assert_eq!(claim.recv(None), Err(RecvTimeoutError::Closed));
    }

    #[test]
    fn s13_release_closes_and_drops_queued_and_given_back() {
        let counter = Arc::new(());
        let (tx, rx) = funnelq::channel(4);
        let guarded = GuardedReceiver::new(rx);
        tx.send(counter.clone()).unwrap();
        tx.send(counter.clone()).unwrap();
        {
            let mut claim = guarded.claim().unwrap();
            let m = claim.try_recv().unwrap();
            claim.give_back(vec![m]);
        }
        assert_eq!(Arc::strong_count(&counter), 3);
        guarded.release().unwrap();
        assert_eq!(Arc::strong_count(&counter), 1);
        assert!(tx.send(counter.clone()).is_err());
        assert_eq!(guarded.claim().unwrap_err(), ClaimError::Released);
        assert_eq!(guarded.take().unwrap_err(), ClaimError::Released);
        assert_eq!(guarded.len(), 0);
    }

    #[test]
    fn s04_claims_from_many_threads_take_every_message_once() {
        const N: u64 = 20_000;
        let (tx, rx) = funnelq::channel(16);
        let guarded = Arc::new(GuardedReceiver::new(rx));
        let producer = thread::spawn(move || {
            for i in 0..N {
                tx.send(i).unwrap();
            }
        });
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let guarded = Arc::clone(&guarded);
                thread::spawn(move || {
                    let mut got = Vec::new();
                    let mut busy = 0u64;
                    loop {
                        match guarded.claim() {
                            Ok(mut claim) => match claim.recv(Some(Duration::from_millis(50))) {
                                Ok(m) => got.push(m),
                                Err(RecvTimeoutError::Closed) => return (got, busy),
                                Err(_) => {}
                            },
                            Err(ClaimError::Busy) => {
                                busy += 1;
                                thread::yield_now();
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                })
            })
            .collect();
        producer.join().unwrap();
        let mut all: Vec<u64> = Vec::new();
        for c in consumers {
            let (got, _busy) = c.join().unwrap();
            // Claims serialise receives, so each consumer sees its share in order.
            assert!(got.windows(2).all(|w| w[0] < w[1]));
            all.extend(got);
        }
        all.sort_unstable();
        assert_eq!(all, (0..N).collect::<Vec<_>>());
    }
}
