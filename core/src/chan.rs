//! The channel proper: the ring plus two waiting rooms. Every front end
//! (blocking loops, futures, the static channel, the bindings through them)
//! is a loop over the one-step operations here.

use core::pin::Pin;
use core::task::{Context, Poll};

use crossbeam_utils::CachePadded;

#[cfg(any(feature = "std", loom))]
use crate::error::SendTimeoutError;
use crate::error::{RecvError, SendError, TryRecvError, TrySendError};
use crate::loom::{AtomicUsize, Ordering};
use crate::ring::{Ring, Slots};
#[cfg(any(feature = "std", loom))]
use crate::wait::Woken;
use crate::wait::{Event, Waiter};

pub(crate) struct Chan<T, S> {
    pub(crate) ring: Ring<T, S>,
    /// The receiver waits here; producers notify after publishing. Padded:
    /// registrations write here, and must not evict the ring's read-mostly
    /// fields that every operation reads.
    not_empty: CachePadded<Event>,
    /// Senders wait here; the receiver notifies after freeing slots.
    not_full: CachePadded<Event>,
    /// Live sending handles, whatever the front end (`Sender`,
    /// `StaticSender`): the last one to go closes the channel (S12). A new
    /// channel counts the one sender its constructor hands out.
    senders: AtomicUsize,
}

// SAFETY: the ring hands each `T` from one thread to another exactly once
// (claim/publish/take by stamps), so the channel is shareable whenever `T`
// may be sent across threads.
unsafe impl<T: Send, S: Send> Send for Chan<T, S> {}
// SAFETY: as above; all shared mutation goes through atomics and the ring's
// single-consumer contract, which the public handles enforce.
unsafe impl<T: Send, S: Sync> Sync for Chan<T, S> {}

impl<T, S> Chan<T, S> {
    /// `const` so a `StaticChannel` can live in a `static`.
    #[cfg(not(loom))]
    pub(crate) const fn from_ring_const(ring: Ring<T, S>) -> Self {
        Chan {
            ring,
            not_empty: CachePadded::new(Event::new()),
            not_full: CachePadded::new(Event::new()),
            senders: AtomicUsize::new(1),
        }
    }
}

impl<T, S: Slots<T>> Chan<T, S> {
    #[cfg(feature = "alloc")]
    pub(crate) fn from_ring(ring: Ring<T, S>) -> Self {
        Chan {
            ring,
            not_empty: CachePadded::new(Event::new()),
            not_full: CachePadded::new(Event::new()),
            senders: AtomicUsize::new(1),
        }
    }

    /// A sending handle is cloned from a live one: count it.
    pub(crate) fn add_sender(&self) {
        // ORDERING: Relaxed: the count only decides who closes last; a new
        // sender is made from a live one, so the count cannot be 0 here.
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    /// A sending handle goes away; the last one closes the channel (S12).
    pub(crate) fn drop_sender(&self) {
        // ORDERING: AcqRel: the last sender's close must come after every
        // other sender's last send (Release by each, Acquire by the last).
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close();
        }
    }

    pub(crate) fn try_send(&self, msg: T) -> Result<(), TrySendError<T>> {
        self.ring.try_push(msg)?;
        self.not_empty.notify(1);
        Ok(())
    }

    #[cfg(feature = "alloc")]
    pub(crate) fn try_send_batch(
        &self,
        items: &mut alloc::vec::Vec<T>,
    ) -> Result<usize, TrySendError<()>> {
        let batch = Reversed::new(items);
        self.try_send_batch_rev(batch.0)
    }

    /// As `try_send_batch`, for a batch held reversed (see `Reversed`).
    #[cfg(feature = "alloc")]
    fn try_send_batch_rev(&self, rev: &mut alloc::vec::Vec<T>) -> Result<usize, TrySendError<()>> {
        let n = self.ring.try_push_batch_rev(rev)?;
        if n > 0 {
            self.not_empty.notify(1);
        }
        Ok(n)
    }

    /// # Safety
    ///
    /// Single consumer only.
    pub(crate) unsafe fn try_recv(&self) -> Result<T, TryRecvError> {
        // SAFETY: forwarded from our caller.
        let msg = unsafe { self.ring.try_pop() }?;
        self.not_full.notify(1);
        Ok(msg)
    }

    /// # Safety
    ///
    /// Single consumer only.
    #[cfg(feature = "alloc")]
    pub(crate) unsafe fn try_recv_batch(
        &self,
        out: &mut alloc::vec::Vec<T>,
        max: usize,
    ) -> Result<usize, TryRecvError> {
        if max == 0 {
            return Ok(0);
        }
        // SAFETY: forwarded from our caller.
        let n = unsafe { self.ring.try_pop_batch(out, max) }?;
        // One wake-up call for the whole batch, for as many senders as slots.
        self.not_full.notify(n as u32);
        Ok(n)
    }

    /// Closes and wakes everyone. Returns `true` if this call closed it.
    pub(crate) fn close(&self) -> bool {
        let first = self.ring.close();
        if first {
            self.not_empty.notify_all();
            self.not_full.notify_all();
        }
        first
    }

    /// Closes, then drops what is queued (the receiver is gone: S13).
    ///
    /// # Safety
    ///
    /// Single consumer only.
    pub(crate) unsafe fn close_and_drain(&self) {
        self.close();
        // SAFETY: closed above; forwarded single-consumer contract.
        unsafe { self.ring.drain() };
        // Senders that raced with the drain for a slot see Closed now.
        self.not_full.notify_all();
    }

    /// One try of a send that waits while the channel is full: `None`
    /// (full: the message is back in `msg`, wait and try again), or the
    /// outcome (`Err` hands back the message of a closed channel).
    fn send_attempt(&self, msg: &mut Option<T>) -> Option<Result<(), T>> {
        match self.try_send(msg.take()?) {
            Ok(()) => Some(Ok(())),
            Err(TrySendError::Closed(m)) => Some(Err(m)),
            Err(TrySendError::Full(m)) => {
                *msg = Some(m);
                None
            }
        }
    }

    // ----- one async step -----------------------------------------------------

    /// The register / re-check step every async poll takes (module `wait`):
    /// Ready with what `attempt` yields, once it yields (`Some`), leaving
    /// `event` (which passes on a wake-up that picked `waiter` meanwhile);
    /// else registers `waiter` with the task's waker and tries once more
    /// before returning `Pending`. A registered waiter, linked or picked by
    /// a notify that wakes the waker, gets the next slot or message to this
    /// future.
    fn poll<R>(
        event: &Event,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        mut attempt: impl FnMut() -> Option<R>,
    ) -> Poll<R> {
        let mut registered = false;
        loop {
            if let Some(r) = attempt() {
                event.leave(&waiter);
                return Poll::Ready(r);
            }
            if registered {
                return Poll::Pending;
            }
            // Register, then loop once more to re-check.
            event.register(waiter, Some(cx.waker()));
            registered = true;
        }
    }

    /// One poll of an async send. `msg` is `Some` until it is enqueued or
    /// handed back.
    pub(crate) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        msg: &mut Option<T>,
    ) -> Poll<Result<(), SendError<T>>> {
        if msg.is_none() {
            // Polled after completion: nothing left to do.
            return Poll::Ready(Ok(()));
        }
        Self::poll(&self.not_full, cx, waiter, || {
            self.send_attempt(msg).map(|r| r.map_err(SendError))
        })
    }

    /// One poll of an async receive.
    ///
    /// # Safety
    ///
    /// Single consumer only.
    pub(crate) unsafe fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
    ) -> Poll<Result<T, RecvError>> {
        Self::poll(&self.not_empty, cx, waiter, || {
            // SAFETY: forwarded from our caller.
            recv_outcome(unsafe { self.try_recv() })
        })
    }

    /// One poll of an async batch send: moves as much of the batch as fits,
    /// in order, and waits (register, re-check) while the channel is full.
    /// `rev` holds the batch reversed (the next item last; the future keeps
    /// it so between polls, see `Reversed`). Ready with `Ok(sent)` once `rev`
    /// is empty, counting what this call and earlier polls sent (`sent`
    /// carries it between polls), or with `Err` if the channel is closed;
    /// `rev` always holds exactly what was not sent.
    #[cfg(feature = "alloc")]
    pub(crate) fn poll_send_batch_rev(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        rev: &mut alloc::vec::Vec<T>,
        sent: &mut usize,
    ) -> Poll<Result<usize, SendError<()>>> {
        Self::poll(&self.not_full, cx, waiter, || loop {
            if rev.is_empty() {
                return Some(Ok(*sent));
            }
            match self.try_send_batch_rev(rev) {
                // Progress: go round again (the rest may fit too, and an
                // empty `items` completes above).
                Ok(n) => *sent += n,
                Err(TrySendError::Closed(())) => return Some(Err(SendError(()))),
                Err(TrySendError::Full(())) => return None,
            }
        })
    }

    /// One poll of an async batch receive: appends up to `max` ready
    /// messages to `out` and is Ready with their number, or waits while the
    /// channel is empty and open. Messages are taken only by the poll that
    /// returns them.
    ///
    /// # Safety
    ///
    /// Single consumer only.
    #[cfg(feature = "alloc")]
    pub(crate) unsafe fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        waiter: Pin<&Waiter>,
        out: &mut alloc::vec::Vec<T>,
        max: usize,
    ) -> Poll<Result<usize, RecvError>> {
        Self::poll(&self.not_empty, cx, waiter, || {
            // SAFETY: forwarded from our caller.
            recv_outcome(unsafe { self.try_recv_batch(out, max) })
        })
    }

    /// A send future is dropped: unlink its waiter and pass on a wake-up.
    pub(crate) fn drop_send_waiter(&self, waiter: &Waiter) {
        self.not_full.leave(waiter);
    }

    /// A receive future is dropped: unlink its waiter.
    pub(crate) fn drop_recv_waiter(&self, waiter: &Waiter) {
        self.not_empty.leave(waiter);
    }

    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.ring.is_closed()
    }

    #[cfg(feature = "alloc")]
    pub(crate) fn capacity(&self) -> usize {
        self.ring.capacity()
    }
}

/// One try of a receive that waits while the channel is empty: `None`
/// (empty: wait and try again), or the outcome (what it took, or the end of
/// the stream).
fn recv_outcome<R>(r: Result<R, TryRecvError>) -> Option<Result<R, RecvError>> {
    match r {
        Ok(r) => Some(Ok(r)),
        Err(TryRecvError::Closed) => Some(Err(RecvError)),
        Err(TryRecvError::Empty) => None,
    }
}

/// Blocking loops (threads). Spin briefly, then register, re-check, sleep.
#[cfg(any(feature = "std", loom))]
impl<T, S: Slots<T>> Chan<T, S> {
    /// Runs `attempt` until it yields `Some`, sleeping on `event` between
    /// tries. Returns `None` if `deadline` (in `clock::now_nanos` time) passes.
    fn block<R>(
        event: &Event,
        mut deadline: Option<u64>,
        mut attempt: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        // The waiter's record lives on this stack frame; every path below
        // unregisters it before the frame goes away.
        let waiter = core::pin::pin!(Waiter::new());
        loop {
            // Spin briefly first, and again after every wake-up: the other
            // side is usually mid-burst, and sleeping again at once would
            // cost a sleep and a wake-up per message.
            let mut backoff = crate::loom::Backoff::new();
            loop {
                if let Some(r) = attempt() {
                    return Some(r);
                }
                if backoff.is_completed() {
                    break;
                }
                backoff.snooze();
            }
            event.register(waiter.as_ref(), None);
            if let Some(r) = attempt() {
                // A notify may have picked us after our re-check already
                // succeeded: `leave` passes it on.
                event.leave(&waiter);
                return Some(r);
            }
            loop {
                match event.sleep(&waiter, &mut deadline) {
                    Woken::Notified => break,
                    Woken::Slice => {
                        // wasm32 only: re-check while still registered, in
                        // case the wake-up went to a dead worker's record
                        // (`wait` module docs).
                        if let Some(r) = attempt() {
                            event.leave(&waiter);
                            return Some(r);
                        }
                    }
                    Woken::Deadline => {
                        let picked = event.unregister(&waiter);
                        // One last try, so a message or slot that arrived
                        // with the deadline is not reported as a timeout.
                        let last = attempt();
                        if last.is_none() && picked {
                            // Picked at the deadline but leaving: pass the
                            // wake-up on.
                            event.notify(1);
                        }
                        return last;
                    }
                }
            }
            // Notified: off the list; spin and try again (and register anew
            // if the slot or message went to someone else).
            event.unregister(&waiter);
        }
    }

    /// Blocking send with an optional deadline. `Err(Ok(m))` is a timeout,
    /// `Err(Err(m))` a closed channel.
    pub(crate) fn send_until(&self, msg: T, deadline: Option<u64>) -> Result<(), Result<T, T>> {
        let mut msg = Some(msg);
        let outcome = Self::block(&self.not_full, deadline, || self.send_attempt(&mut msg));
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(m)) => Err(Err(m)),
            None => Err(Ok(msg.take().expect("a timed-out send keeps its message"))),
        }
    }

    /// Blocking receive with an optional deadline; `None` is a timeout.
    ///
    /// # Safety
    ///
    /// Single consumer only.
    pub(crate) unsafe fn recv_until(&self, deadline: Option<u64>) -> Option<Result<T, RecvError>> {
        Self::block(&self.not_empty, deadline, || {
            // SAFETY: forwarded from our caller.
            recv_outcome(unsafe { self.try_recv() })
        })
    }

    /// Blocking batch receive: waits for the first message only.
    ///
    /// # Safety
    ///
    /// Single consumer only.
    #[cfg(feature = "alloc")]
    pub(crate) unsafe fn recv_batch_until(
        &self,
        out: &mut alloc::vec::Vec<T>,
        max: usize,
        deadline: Option<u64>,
    ) -> Option<Result<usize, RecvError>> {
        if max == 0 {
            return Some(Ok(0));
        }
        Self::block(&self.not_empty, deadline, || {
            // SAFETY: forwarded from our caller.
            recv_outcome(unsafe { self.try_recv_batch(out, max) })
        })
    }

    /// Blocking batch send: everything, in order, waiting while full, each
    /// step claiming as many slots as are free. Returns how many were sent
    /// (all of them); on an error `items` holds exactly the unsent suffix.
    /// `Timeout` only if `deadline` (in `clock::now_nanos` time) passes.
    #[cfg(feature = "alloc")]
    pub(crate) fn send_batch_until(
        &self,
        items: &mut alloc::vec::Vec<T>,
        deadline: Option<u64>,
    ) -> Result<usize, SendTimeoutError<()>> {
        let batch = Reversed::new(items);
        let rev = &mut *batch.0;
        let mut sent = 0;
        while !rev.is_empty() {
            let step = Self::block(&self.not_full, deadline, || {
                match self.try_send_batch_rev(rev) {
                    Ok(n) => Some(Ok(n)),
                    Err(TrySendError::Closed(())) => Some(Err(())),
                    Err(TrySendError::Full(())) => None,
                }
            });
            match step {
                Some(Ok(n)) => sent += n,
                Some(Err(())) => return Err(SendTimeoutError::Closed(())),
                None => return Err(SendTimeoutError::Timeout(())),
            }
        }
        Ok(sent)
    }
}

/// A batch being sent in steps, reversed for the time it is borrowed so that
/// each step takes its items from the end of the `Vec` (`try_push_batch_rev`)
/// instead of moving the rest to the front: what is left goes back in batch
/// order when the guard drops, on every path.
#[cfg(feature = "alloc")]
pub(crate) struct Reversed<'a, T>(pub(crate) &'a mut alloc::vec::Vec<T>);

#[cfg(feature = "alloc")]
impl<'a, T> Reversed<'a, T> {
    pub(crate) fn new(items: &'a mut alloc::vec::Vec<T>) -> Self {
        items.reverse();
        Reversed(items)
    }
}

#[cfg(feature = "alloc")]
impl<T> Drop for Reversed<'_, T> {
    fn drop(&mut self) {
        self.0.reverse();
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use crate::ring::Ring;
    use crate::wait::RECHECK_SLICE;
    use std::boxed::Box;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::time::{Duration, Instant};

    /// S21 (wasm32): a worker terminated while blocked leaves its record
    /// linked, and the notify for the next free slot picks that record and
    /// wakes nobody. The live sender queued behind it must still get the
    /// slot, within one re-check slice. Unit tests slice on every target
    /// (see `wait::slice`), so this runs the wasm32 path with the futex.
    #[test]
    fn s21_a_wakeup_taken_by_a_dead_record_reaches_a_live_waiter() {
        let chan = Chan::from_ring(Ring::try_with_capacity(1).unwrap());
        chan.try_send(0u32).unwrap();
        // The dead worker's record: registered first (oldest), then it never
        // sleeps, re-checks or leaves again.
        let dead = Box::pin(Waiter::new());
        chan.not_full.register(dead.as_ref(), None);
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            let live = s.spawn(|| {
                let r = chan.send_until(1, None);
                done.store(true, SeqCst);
                r
            });
            while chan.not_full.linked() < 2 {
                std::thread::yield_now();
            }
            let freed = Instant::now();
            // SAFETY: this thread is the only consumer.
            assert_eq!(unsafe { chan.try_recv() }, Ok(0));
            assert_eq!(chan.not_full.linked(), 1, "the notify took the dead record");
            let bound = Duration::from_nanos(RECHECK_SLICE) + Duration::from_millis(1500);
            while !done.load(SeqCst) && freed.elapsed() < bound {
                std::thread::sleep(Duration::from_millis(1));
            }
            let took = freed.elapsed();
            if !done.load(SeqCst) {
                chan.close(); // release the live sender before failing
            }
            assert!(
                took < bound,
                "the live sender slept beside a free slot for {took:?}"
            );
            assert_eq!(live.join().unwrap(), Ok(()));
        });
        // SAFETY: as above.
        assert_eq!(unsafe { chan.try_recv() }, Ok(1));
        // The dead record was unlinked by the notify that picked it.
        assert!(chan.not_full.unregister(&dead));
    }
}
