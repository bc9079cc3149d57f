//! Slots and stamps: claim, publish, take. No waiting, no reference counts.
//!
//! Every slot carries a stamp, a position word (see `state`):
//! - `stamp == pos`: the slot is free for the producer that claims `pos`;
//! - `stamp == pos + 1`: the message for `pos` is written and may be taken.
//!
//! Producers claim `pos = tail` with one CAS on `tail` (the word that also
//! holds the CLOSED mark), write the value, then publish `pos + 1`. Producers
//! never wait for one another: each publishes its own slot. The single
//! consumer owns `head`, takes the slot at `head` when its stamp says
//! written, frees it for the next lap with `pos + one_lap` and never CASes.
//! A producer descheduled between its claim and its publish delays the
//! consumer at that slot only (the consumer sees "empty" there, never end of
//! stream); other producers keep filling later slots meanwhile.

use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr;

use crossbeam_utils::CachePadded;

use crate::error::{TryRecvError, TrySendError};
use crate::loom::{fence, store_state, AtomicBool, AtomicPos, Backoff, Ordering, Pos, UnsafeCell};
use crate::state::Layout;

/// One cell of the ring.
pub(crate) struct Slot<T> {
    stamp: AtomicPos,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: a slot's value is written by the one producer that claimed it and
// read by the one consumer after the stamp hands it over, so sharing a slot
// between threads only ever moves a `T` from one thread to another.
unsafe impl<T: Send> Sync for Slot<T> {}
// SAFETY: as above: a slot owns at most one `T`.
unsafe impl<T: Send> Send for Slot<T> {}

impl<T> Slot<T> {
    #[cfg(any(feature = "alloc", loom))]
    pub(crate) fn new(stamp: Pos) -> Self {
        Slot {
            stamp: AtomicPos::new(stamp),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// A slot whose stamp `Ring::init_stamps` sets later (for `const`
    /// construction of a `StaticChannel`).
    // A fresh value per use site (it is only an array-repeat initialiser),
    // never a shared one.
    #[allow(clippy::declare_interior_mutable_const)]
    #[cfg(not(loom))]
    pub(crate) const UNINIT: Self = Slot {
        stamp: AtomicPos::new(0),
        value: UnsafeCell::new(MaybeUninit::uninit()),
    };
}

/// The ring over some storage of slots (a boxed slice or an inline array).
pub(crate) struct Ring<T, S> {
    /// The consumer's next position. Written by the consumer only; read by
    /// others for `len` and batch claims.
    head: CachePadded<AtomicPos>,
    /// The next position to claim, plus the CLOSED mark.
    tail: CachePadded<AtomicPos>,
    /// Set by `close` just before it marks `tail`, never cleared. The
    /// consumer reads this before `tail` when it finds the next slot empty:
    /// while it is unset, the channel is not closed and "empty" is the
    /// answer without touching `tail`, the word every producer CASes (a
    /// consumer polling `tail` steals its cache line on every poll). It sits
    /// with the read-mostly fields, which it is written among only once.
    closing: AtomicBool,
    layout: Layout,
    slots: S,
    _values: PhantomData<T>,
}

/// Slots as a slice; implemented by `Box<[Slot<T>]>` and `[Slot<T>; N]`.
pub(crate) trait Slots<T> {
    fn slots(&self) -> &[Slot<T>];
}

#[cfg(feature = "alloc")]
impl<T> Slots<T> for alloc::boxed::Box<[Slot<T>]> {
    fn slots(&self) -> &[Slot<T>] {
        self
    }
}

impl<T, const N: usize> Slots<T> for [Slot<T>; N] {
    fn slots(&self) -> &[Slot<T>] {
        self
    }
}

#[cfg(feature = "alloc")]
impl<T> Ring<T, alloc::boxed::Box<[Slot<T>]>> {
    /// A ring of `cap` slots (`cap` is already validated to
    /// `1..=MAX_CAPACITY`), or `None` if the slots' memory cannot be had:
    /// their byte size overflows what an allocation may be (`isize::MAX`),
    /// or the allocator refuses. Never aborts the process (S22).
    pub(crate) fn try_with_capacity(cap: usize) -> Option<Self> {
        let bytes = cap.checked_mul(core::mem::size_of::<Slot<T>>())?;
        if bytes > isize::MAX as usize {
            return None;
        }
        let mut slots = alloc::vec::Vec::new();
        slots.try_reserve_exact(cap).ok()?;
        slots.extend((0..cap).map(|i| Slot::new(i as Pos)));
        // Exact reservation: the boxed slice reuses the allocation.
        Some(Self::from_slots(cap, slots.into_boxed_slice()))
    }

    /// The bytes a ring of `cap` slots of this `T` needs (more than
    /// `usize` holds on overflow, hence `u128`): for error messages.
    pub(crate) fn bytes_for(cap: usize) -> u128 {
        cap as u128 * core::mem::size_of::<Slot<T>>() as u128
    }
}

impl<T, const N: usize> Ring<T, [Slot<T>; N]> {
    /// An inline ring for a `StaticChannel`; call `init_stamps` before use.
    #[cfg(not(loom))]
    pub(crate) const fn new_static() -> Self {
        Ring {
            head: CachePadded::new(AtomicPos::new(0)),
            tail: CachePadded::new(AtomicPos::new(0)),
            closing: AtomicBool::new(false),
            layout: Layout::new(N),
            slots: [Slot::UNINIT; N],
            _values: PhantomData,
        }
    }
}

impl<T, S: Slots<T>> Ring<T, S> {
    #[cfg(any(feature = "alloc", loom))]
    pub(crate) fn from_slots(cap: usize, slots: S) -> Self {
        debug_assert_eq!(slots.slots().len(), cap);
        Ring {
            head: CachePadded::new(AtomicPos::new(0)),
            tail: CachePadded::new(AtomicPos::new(0)),
            closing: AtomicBool::new(false),
            layout: Layout::new(cap),
            slots,
            _values: PhantomData,
        }
    }

    /// Gives every slot its lap-0 stamp. For rings built from `Slot::UNINIT`,
    /// before the ring is shared.
    #[cfg(not(loom))]
    pub(crate) fn init_stamps(&self) {
        for (i, slot) in self.slots.slots().iter().enumerate() {
            // ORDERING: Relaxed: the ring is published to other threads only
            // through the Release/Acquire handshake of its owner (the
            // `StaticChannel` split flag), which orders these stores.
            slot.stamp.store(i as Pos, Ordering::Relaxed);
        }
    }

    #[inline]
    fn slot(&self, pos: Pos) -> &Slot<T> {
        let index = self.layout.index(pos);
        // SAFETY: `Layout::index` is always `< cap`, and there are `cap` slots.
        unsafe { self.slots.slots().get_unchecked(index) }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.layout.capacity()
    }

    /// Claims one slot and moves `value` into it.
    pub(crate) fn try_push(&self, value: T) -> Result<(), TrySendError<T>> {
        let backoff = Backoff::new();
        // ORDERING: Relaxed: only a guess at the tail; the CAS below checks it.
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if self.layout.is_closed(tail) {
                self.saw_close();
                return Err(TrySendError::Closed(value));
            }
            let slot = self.slot(tail);
            // ORDERING: Acquire pairs with the consumer's `store_state` that
            // freed this slot (a Release store, or SeqCst where the handshake
            // is symmetric), made after it had moved the old value out.
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                let next = self.layout.advance(tail, 1);
                // ORDERING: Relaxed on success and failure: the slot's
                // ownership comes from the stamp read above, and the CLOSED
                // decision is this word's modification order, which every
                // ordering respects.
                match self.tail.compare_exchange_weak(
                    tail,
                    next,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the CAS made this producer the only owner of
                        // position `tail`; the slot is free (stamp == tail), so
                        // nobody reads or writes its value until we publish.
                        slot.value
                            .with_mut(|p| unsafe { ptr::write(p, MaybeUninit::new(value)) });
                        // The publish is the waker's write in the waiting
                        // handshake (`store_state`, `loom/handshake.rs`).
                        store_state(&slot.stamp, tail.wrapping_add(1));
                        return Ok(());
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else {
                // The slot still holds (or is about to hold) last lap's
                // message. If the tail has not moved meanwhile, the ring was
                // full at the moment we read the stamp.
                // ORDERING: Relaxed: compared with our own earlier read of the
                // same word; no other memory is read on its strength.
                let current = self.tail.load(Ordering::Relaxed);
                if current == tail {
                    return Err(TrySendError::Full(value));
                }
                tail = current;
            }
        }
    }

    /// Claims up to `rev.len()` slots with one CAS and moves that many items
    /// in, in batch order. `rev` holds the batch reversed (the next item
    /// last), so a step takes from the end of the `Vec` and never moves the
    /// rest: sending a batch of n in steps costs O(n), not O(n²/capacity).
    /// Returns how many went in.
    #[cfg(feature = "alloc")]
    pub(crate) fn try_push_batch_rev(
        &self,
        rev: &mut alloc::vec::Vec<T>,
    ) -> Result<usize, TrySendError<()>> {
        if rev.is_empty() {
            return Ok(0);
        }
        let cap = self.capacity();
        let backoff = Backoff::new();
        // ORDERING: Relaxed: a guess, checked by the CAS.
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if self.layout.is_closed(tail) {
                self.saw_close();
                return Err(TrySendError::Closed(()));
            }
            // ORDERING: Acquire pairs with the consumer's Release store of
            // `head`, made after it freed the stamps of every slot before it:
            // so every slot counted free below is free for this lap.
            let head = self.head.load(Ordering::Acquire);
            let used = self.layout.distance(head, tail);
            if used >= cap {
                // Full, or our tail is stale (the consumer moved past it).
                // ORDERING: Relaxed: compared with our own read of the word.
                let current = self.tail.load(Ordering::Relaxed);
                if current == tail {
                    return Err(TrySendError::Full(()));
                }
                tail = current;
                continue;
            }
            let k = (cap - used).min(rev.len());
            let next = self.layout.advance(tail, k);
            // ORDERING: Relaxed, as in `try_push`: ownership of the k slots
            // comes from the Acquire load of `head` above.
            match self
                .tail
                .compare_exchange_weak(tail, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    let from = rev.len() - k;
                    for (i, value) in rev.drain(from..).rev().enumerate() {
                        let pos = self.layout.advance(tail, i);
                        let slot = self.slot(pos);
                        // SAFETY: the CAS made us the only owner of positions
                        // `tail..tail+k`, all free for this lap (see above).
                        slot.value
                            .with_mut(|p| unsafe { ptr::write(p, MaybeUninit::new(value)) });
                        // The waker's write in the handshake (`store_state`).
                        store_state(&slot.stamp, pos.wrapping_add(1));
                    }
                    return Ok(k);
                }
                Err(current) => {
                    tail = current;
                    backoff.spin();
                }
            }
        }
    }

    /// Takes the message at `head`.
    ///
    /// # Safety
    ///
    /// Only the single consumer may call this (never two threads at once).
    pub(crate) unsafe fn try_pop(&self) -> Result<T, TryRecvError> {
        // ORDERING: Relaxed: only the consumer (this thread) writes `head`.
        let head = self.head.load(Ordering::Relaxed);
        let slot = self.slot(head);
        // ORDERING: Acquire pairs with the producer's publish (`store_state`:
        // a Release store, or SeqCst where the handshake is symmetric), so
        // the value written before it is visible.
        let stamp = slot.stamp.load(Ordering::Acquire);
        if stamp == head.wrapping_add(1) {
            // SAFETY: the stamp says the message for `head` is written, and
            // only the consumer takes it; it is moved out exactly once because
            // the stamp is advanced right after.
            let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
            self.release(head, slot);
            Ok(value)
        } else {
            self.empty_or_closed(head)
        }
    }

    /// Takes up to `max` ready messages, in order, into `out`.
    ///
    /// # Safety
    ///
    /// Only the single consumer may call this.
    #[cfg(feature = "alloc")]
    pub(crate) unsafe fn try_pop_batch(
        &self,
        out: &mut alloc::vec::Vec<T>,
        max: usize,
    ) -> Result<usize, TryRecvError> {
        // ORDERING: Relaxed: only the consumer writes `head`.
        let mut head = self.head.load(Ordering::Relaxed);
        let mut taken = 0;
        while taken < max {
            let slot = self.slot(head);
            // ORDERING: Acquire pairs with the producer's publish
            // (`store_state`, at least Release).
            if slot.stamp.load(Ordering::Acquire) != head.wrapping_add(1) {
                break;
            }
            // SAFETY: as in `try_pop`: written, ours alone, taken once.
            out.push(slot.value.with(|p| unsafe { ptr::read(p).assume_init() }));
            // The waker's write in the handshake (`store_state`); it also
            // releases our read of the value.
            store_state(&slot.stamp, self.layout.next_lap(head));
            head = self.layout.advance(head, 1);
            taken += 1;
        }
        if taken == 0 {
            return self.empty_or_closed(head);
        }
        // ORDERING: Release: batch producers Acquire `head` to learn that
        // the stamps freed above are free.
        self.head.store(head, Ordering::Release);
        Ok(taken)
    }

    /// Frees `slot` (at `head`) for the next lap and advances `head`.
    #[inline]
    fn release(&self, head: Pos, slot: &Slot<T>) {
        // The waker's write in the handshake (`store_state`); it also
        // releases our read of the value.
        store_state(&slot.stamp, self.layout.next_lap(head));
        // ORDERING: Release: batch producers Acquire `head` and then rely on
        // the stamp freed just above.
        self.head
            .store(self.layout.advance(head, 1), Ordering::Release);
    }

    /// The slot at `head` is not written yet: is that "empty" or "end of
    /// stream"? End of stream only when closed and nothing was claimed past
    /// `head`; a claimed, unwritten slot is "empty" (its writer is on the way).
    fn empty_or_closed<R>(&self, head: Pos) -> Result<R, TryRecvError> {
        // SeqCst: part of a waiter's re-check after registering, the Dekker
        // partner of `close`'s SeqCst store and `fetch_or`. Unset means no
        // `close` has begun, so "empty" is right (it orders before the close).
        if !self.closing.load(Ordering::SeqCst) {
            return Err(TryRecvError::Empty);
        }
        // SeqCst: as above. If `close` has begun but not yet marked `tail`,
        // "empty" is right too; once it has, this read sees the mark.
        let tail = self.tail.load(Ordering::SeqCst);
        if self.layout.is_closed(tail) && self.layout.unmarked(tail) == head {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Called when a producer's (relaxed) read of `tail` showed the CLOSED
    /// mark, before it reports `Closed`. Whoever learns of the close must
    /// also see `closing`, or the consumer it tells could answer "empty"
    /// where the stream has ended (the loom model
    /// `s05_s06_a_close_seen_by_a_sender_ends_the_stream` fails without this).
    #[cold]
    fn saw_close(&self) {
        // ORDERING: Acquire fence: the relaxed read of `tail` read the value
        // of `close`'s `fetch_or` (a release RMW), so this fence makes the
        // `closing` store sequenced before it visible to this thread.
        fence(Ordering::Acquire);
    }

    /// Sets the CLOSED mark. Returns `true` if this call set it.
    pub(crate) fn close(&self) -> bool {
        // SeqCst: before the mark, so that whoever sees the mark (a refused
        // sender, `is_closed`) and then asks the consumer finds this set.
        self.closing.store(true, Ordering::SeqCst);
        // SeqCst: one total order with the producers' CAS on this word (S08)
        // and with the waiters' re-checks (S07).
        let previous = self.tail.fetch_or(self.layout.mark(), Ordering::SeqCst);
        !self.layout.is_closed(previous)
    }

    pub(crate) fn is_closed(&self) -> bool {
        // SeqCst: a caller that sees `false` and then waits relies on the
        // total order with `close` (see `wait`).
        self.layout.is_closed(self.tail.load(Ordering::SeqCst))
    }

    /// A snapshot of the number of claimed, untaken positions, `0..=cap`.
    pub(crate) fn len(&self) -> usize {
        loop {
            // SeqCst on the three loads: `tail` is re-read to make sure the
            // pair (head, tail) existed at one instant.
            let tail = self.layout.unmarked(self.tail.load(Ordering::SeqCst));
            let head = self.head.load(Ordering::SeqCst);
            if self.layout.unmarked(self.tail.load(Ordering::SeqCst)) == tail {
                return self.layout.distance(head, tail).min(self.capacity());
            }
        }
    }

    /// Drops every message still in the ring, waiting for writers that
    /// claimed before the close to finish. Keeps going if a destructor
    /// panics (the rest are dropped while unwinding).
    ///
    /// # Safety
    ///
    /// Only the single consumer may call this, and only after `close`.
    pub(crate) unsafe fn drain(&self) {
        struct Guard<'a, T, S: Slots<T>>(&'a Ring<T, S>);
        impl<T, S: Slots<T>> Drop for Guard<'_, T, S> {
            fn drop(&mut self) {
                // SAFETY: the guard exists only inside `drain`, whose caller
                // is the consumer after close.
                unsafe { self.0.drain_inner() }
            }
        }
        let guard = Guard(self);
        // SAFETY: forwarded from our caller.
        unsafe { self.drain_inner() };
        core::mem::forget(guard);
    }

    /// # Safety
    ///
    /// As [`Ring::drain`].
    unsafe fn drain_inner(&self) {
        // SeqCst: read after `close`, so the tail no longer moves.
        let tail = self.layout.unmarked(self.tail.load(Ordering::SeqCst));
        let mut backoff = Backoff::new();
        loop {
            // ORDERING: Relaxed: only the consumer writes `head`.
            let head = self.head.load(Ordering::Relaxed);
            if head == tail {
                return;
            }
            let slot = self.slot(head);
            // ORDERING: Acquire pairs with the producer's publish.
            if slot.stamp.load(Ordering::Acquire) != head.wrapping_add(1) {
                // A producer claimed before the close and is mid-write.
                backoff.snooze();
                continue;
            }
            // SAFETY: written, ours alone, moved out once (head advances next).
            let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
            self.release(head, slot);
            drop(value);
        }
    }
}
