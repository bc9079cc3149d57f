//! The handle table: what a `funnelq_sender *` or `funnelq_receiver *` is.
//!
//! A handle is not an address. It is a number cast to a pointer,
//!
//! ```text
//!   bit 63      62     61 ........ 30   29 ......... 3   2..0    (64-bit targets)
//!   MARK = 1    kind   generation (32)  slot index (27)  0
//! ```
//!
//! (the low bits are zero so that the value is as aligned as a real
//! pointer to a record, for tools and runtimes that look at it, like Go's
//! checkptr),
//! and the object lives in a slot of a process-wide table whose memory is
//! never returned to the allocator. So a check never reads freed memory:
//!
//! - a value without MARK (NULL, any real address, a small integer) is
//!   refused before anything is read;
//! - an index beyond the slots made so far is refused after one load of the
//!   segment pointer;
//! - otherwise the slot's word is compared with the handle's generation:
//!   every free bumps the generation, so a freed handle (stale) never
//!   matches again, even after its slot holds another channel's sender
//!   (until that one slot has been reused 2^32 times).
//!
//! The slot word also counts the calls running on the handle. A call
//! enters by incrementing it (one `fetch_add`, then the generation check
//! on the value it returned) and leaves by decrementing it; the object is
//! destroyed by whoever leaves last after the handle was freed. Freeing a
//! handle while another thread is inside a call on it is therefore safe:
//! the handle stops working at once, and the object (a core `Sender`, or
//! the guarded `Receiver`) goes when the last running call returns.
//!
//! Slots are taken from a lock-free free list (a tagged Treiber stack) or
//! from fresh slots at the end; segments are allocated on demand and
//! published with a compare-exchange. There is no lock anywhere, so a child
//! process after `fork()` can create and use new handles whatever the
//! parent's other threads were doing.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::ptr;
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU64, Ordering};

use crate::status::funnelq_status as S;

/// The two kinds of handle, as the kind bit of the handle value says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Sender = 0,
    Receiver = 1,
}

/// An object kept in the table knows its kind: a handle enters only an
/// object of the kind its kind bit names.
pub(crate) trait Typed {
    fn kind(&self) -> Kind;
}

const PTR_BITS: u32 = usize::BITS;
/// Zero bits at the bottom of a handle value.
const ALIGN_BITS: u32 = 3;
/// Slot index bits of a handle: 2^27 handles on 64-bit targets, 2^16 on 32-bit ones.
const INDEX_BITS: u32 = if PTR_BITS >= 64 { 27 } else { 16 };
/// Generation bits of a handle: 32 on 64-bit targets, 11 on 32-bit ones.
const GEN_BITS: u32 = PTR_BITS - 2 - INDEX_BITS - ALIGN_BITS;
const MARK: usize = 1 << (PTR_BITS - 1);
const KIND_BIT: usize = 1 << (PTR_BITS - 2);
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
const ALIGN_MASK: usize = (1 << ALIGN_BITS) - 1;
const GEN_MASK: u32 = if GEN_BITS >= 32 {
    u32::MAX
} else {
    (1 << GEN_BITS) - 1
};
/// The most slots (live handles at once).
pub(crate) const MAX_SLOTS: u32 = 1 << INDEX_BITS;

// Slot word: generation (32) | FULL | LIVE | calls running (30).
/// The slot holds an object (set at creation, cleared when it is destroyed).
const FULL: u64 = 1 << 31;
/// The handle works: set at creation, cleared by the free.
const LIVE: u64 = 1 << 30;
const COUNT_MASK: u64 = LIVE - 1;

fn gen_of(word: u64) -> u32 {
    (word >> 32) as u32
}

/// Segment `k` holds `BASE << k` slots; segment sizes double.
const BASE_SHIFT: u32 = 5;
const BASE: usize = 1 << BASE_SHIFT;
/// Enough segments for `MAX_SLOTS`: `BASE * (2^SEGMENTS - 1) >= MAX_SLOTS`.
const SEGMENTS: usize = (INDEX_BITS - BASE_SHIFT + 1) as usize;

/// One table entry. Aligned to two cache lines: the word of a sender handle
/// is written by every call on it, and handles of different threads sit
/// side by side.
#[repr(align(128))]
pub(crate) struct Slot<B> {
    word: AtomicU64,
    /// Next free slot index + 1 (0: none), while on the free list.
    next_free: AtomicU32,
    body: UnsafeCell<MaybeUninit<B>>,
}

/// A table of `B` objects behind handles; one per process (a `static`).
pub(crate) struct Table<B> {
    segments: [AtomicPtr<Slot<B>>; SEGMENTS],
    /// Free list head: ABA tag (high 32 bits) | slot index + 1 (0: empty).
    free: AtomicU64,
    /// Slots handed out at least once; the next fresh index.
    fresh: AtomicU32,
}

// SAFETY: a slot's body is written only by the creator that owns the slot
// (popped from the free list or fresh, before LIVE is published with
// Release), read only by calls that entered with a matching generation
// (Acquire) and dropped only by the one thread that wins the destroying
// compare-exchange; `B: Send + Sync` makes sharing and moving it between
// threads sound.
unsafe impl<B: Send + Sync> Sync for Table<B> {}

/// Where a handle value points.
#[derive(Clone, Copy)]
struct Decoded {
    kind: Kind,
    gen: u32,
    index: u32,
}

fn decode(h: usize) -> Option<Decoded> {
    if h & MARK == 0 || h & ALIGN_MASK != 0 {
        return None;
    }
    let kind = if h & KIND_BIT == 0 {
        Kind::Sender
    } else {
        Kind::Receiver
    };
    Some(Decoded {
        kind,
        gen: ((h >> (ALIGN_BITS + INDEX_BITS)) as u32) & GEN_MASK,
        index: ((h >> ALIGN_BITS) & INDEX_MASK) as u32,
    })
}

fn encode(kind: Kind, gen: u32, index: u32) -> usize {
    let kind = match kind {
        Kind::Sender => 0,
        Kind::Receiver => KIND_BIT,
    };
    MARK | kind
        | (((gen & GEN_MASK) as usize) << (ALIGN_BITS + INDEX_BITS))
        | ((index as usize) << ALIGN_BITS)
}

/// Segment number and offset of slot `index`.
fn locate(index: u32) -> (usize, usize) {
    let i = index as usize + BASE;
    let k = (usize::BITS - 1 - i.leading_zeros()) - BASE_SHIFT;
    (k as usize, i - (BASE << k))
}

fn segment_layout<B>(k: usize) -> Option<Layout> {
    Layout::array::<Slot<B>>(BASE << k).ok()
}

/// A call inside a handle: the object stays alive until this drops.
pub(crate) struct Entered<'t, B> {
    table: &'t Table<B>,
    slot: &'t Slot<B>,
    index: u32,
}

impl<B: Typed> core::ops::Deref for Entered<'_, B> {
    type Target = B;
    fn deref(&self) -> &B {
        // SAFETY: this call entered with the slot LIVE at a matching
        // generation, so the body was initialised (published by the
        // creator's Release, seen by our Acquire); it is not dropped while
        // our count is in the word.
        unsafe { (*self.slot.body.get()).assume_init_ref() }
    }
}

impl<B> Drop for Entered<'_, B> {
    fn drop(&mut self) {
        self.table.leave(self.slot, self.index);
    }
}

impl<B> Table<B> {
    /// An empty table (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Table {
            segments: [const { AtomicPtr::new(ptr::null_mut()) }; SEGMENTS],
            free: AtomicU64::new(0),
            fresh: AtomicU32::new(0),
        }
    }

    fn push_free(&self, index: u32, slot: &Slot<B>) {
        // ORDERING: Relaxed: the compare-exchange below re-reads it.
        let mut head = self.free.load(Ordering::Relaxed);
        loop {
            // ORDERING: Relaxed: published by the Release below.
            slot.next_free.store(head as u32, Ordering::Relaxed);
            let tag = (head >> 32).wrapping_add(1);
            // ORDERING: Release publishes `next_free` and the destroyed body
            // to the next `pop_free`; Relaxed on failure: we retry.
            match self.free.compare_exchange_weak(
                head,
                (tag << 32) | u64::from(index + 1),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Leaves a call: the last one out of a freed handle destroys its object.
    #[inline]
    fn leave(&self, slot: &Slot<B>, index: u32) {
        // ORDERING: Release orders this call's use of the body before the
        // destroyer's Acquire fence (the Arc pattern).
        let word = slot.word.fetch_sub(1, Ordering::Release);
        if word & (LIVE | COUNT_MASK) == 1 && word & FULL != 0 {
            self.destroy(slot, index, word - 1);
        }
    }

    /// Destroys the object of a freed slot if no call is in it (`idle` is
    /// the word we expect: FULL, not LIVE, no calls), and frees the slot.
    #[cold]
    fn destroy(&self, slot: &Slot<B>, index: u32, idle: u64) {
        // ORDERING: Acquire pairs with every leaving call's Release.
        fence(Ordering::Acquire);
        let next_gen = u64::from(gen_of(idle).wrapping_add(1) & GEN_MASK) << 32;
        // One winner: a stale call that entered meanwhile makes this fail,
        // and then it destroys when it leaves.
        // ORDERING: Acquire on success, as the fence; Relaxed on failure
        // (nothing read). The new generation makes every old handle stale.
        if slot
            .word
            .compare_exchange(idle, next_gen, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            // SAFETY: we won: the body was initialised (FULL), no call is in
            // it and none can enter (not LIVE), and nobody else destroys it.
            unsafe { (*slot.body.get()).assume_init_drop() };
            self.push_free(index, slot);
        }
    }
}

impl<B: Typed> Table<B> {
    /// The slot `index`, if its segment exists.
    fn slot(&self, index: u32) -> Option<&Slot<B>> {
        let (k, off) = locate(index);
        // ORDERING: Acquire pairs with the Release compare-exchange that
        // published the segment, so its zeroed slots are visible.
        let seg = self.segments.get(k)?.load(Ordering::Acquire);
        if seg.is_null() {
            return None;
        }
        // SAFETY: segment k holds BASE << k slots and off < BASE << k; the
        // segment is never freed once published.
        Some(unsafe { &*seg.add(off) })
    }

    /// The slot `index`, allocating its segment if needed.
    fn slot_or_grow(&self, index: u32) -> Result<&Slot<B>, S> {
        if let Some(s) = self.slot(index) {
            return Ok(s);
        }
        let (k, _) = locate(index);
        let layout = segment_layout::<B>(k).ok_or(S::FUNNELQ_NOMEM)?;
        // SAFETY: the layout has a non-zero size (BASE << k slots of a
        // non-zero-sized type).
        let fresh = unsafe { alloc_zeroed(layout) }.cast::<Slot<B>>();
        if fresh.is_null() {
            return Err(S::FUNNELQ_NOMEM);
        }
        // All-zero bytes are a valid Slot: words 0 (generation 0, empty, no
        // calls), no next free slot, an uninitialised body.
        // ORDERING: Release publishes the zeroed segment to the Acquire in
        // `slot`; Acquire on failure makes the winner's segment visible.
        if self.segments[k]
            .compare_exchange(ptr::null_mut(), fresh, Ordering::Release, Ordering::Acquire)
            .is_err()
        {
            // Another thread published this segment first: use theirs.
            // SAFETY: `fresh` came from alloc_zeroed with this layout and
            // was never shared.
            unsafe { dealloc(fresh.cast::<u8>(), layout) };
        }
        self.slot(index).ok_or(S::FUNNELQ_INTERNAL)
    }

    fn pop_free(&self) -> Option<u32> {
        // ORDERING: Acquire pairs with the Release of `push_free`, so the
        // popped slot's `next_free` (and its destroyed body) are visible.
        let mut head = self.free.load(Ordering::Acquire);
        loop {
            let top = head as u32;
            if top == 0 {
                return None;
            }
            // A popped slot stays allocated, so reading it after another
            // thread took it is harmless; the tag makes our CAS fail then.
            let slot = self.slot(top - 1)?;
            // ORDERING: Relaxed: ordered by the Acquire load of `free` above
            // (the pusher wrote it before its Release).
            let next = slot.next_free.load(Ordering::Relaxed);
            let tag = (head >> 32).wrapping_add(1);
            // ORDERING: Acquire on both outcomes, as for the load above.
            match self.free.compare_exchange_weak(
                head,
                (tag << 32) | u64::from(next),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(top - 1),
                Err(now) => head = now,
            }
        }
    }

    /// Stores `body` in a slot and returns its handle value.
    ///
    /// # Errors
    ///
    /// `FUNNELQ_NOMEM` if the table is full or a segment cannot be allocated
    /// (`body` is dropped).
    pub(crate) fn insert(&self, body: B) -> Result<usize, S> {
        let kind = body.kind();
        let index = match self.pop_free() {
            Some(i) => i,
            None => {
                // ORDERING: Relaxed: a unique number is all we need; the
                // slot is published through its word and segment pointer.
                let i = self.fresh.fetch_add(1, Ordering::Relaxed);
                if i >= MAX_SLOTS {
                    // ORDERING: Relaxed, as above; undo so it cannot wrap.
                    self.fresh.fetch_sub(1, Ordering::Relaxed);
                    return Err(S::FUNNELQ_NOMEM);
                }
                i
            }
        };
        let slot = self.slot_or_grow(index)?;
        // SAFETY: the slot is ours: fresh, or popped from the free list
        // after its body was destroyed; no call can reach the body until
        // LIVE is set below (entering requires LIVE).
        unsafe { (*slot.body.get()).write(body) };
        // ORDERING: Release publishes the body to calls that enter (Acquire);
        // a stale call's transient count is preserved by fetch_or.
        let word = slot.word.fetch_or(FULL | LIVE, Ordering::Release);
        Ok(encode(kind, gen_of(word), index))
    }

    /// Enters a call on handle `h` of kind `kind`.
    ///
    /// # Errors
    ///
    /// `FUNNELQ_INVALID` if `h` is not a live handle of that kind of this
    /// table: NULL, not a handle, freed (whatever its slot holds now).
    #[inline]
    pub(crate) fn enter(&self, h: usize, kind: Kind) -> Result<Entered<'_, B>, S> {
        let d = decode(h).ok_or(S::FUNNELQ_INVALID)?;
        if d.kind != kind {
            return Err(S::FUNNELQ_INVALID);
        }
        self.enter_decoded(d)
    }

    /// Enters a call on handle `h` of either kind, and says which.
    ///
    /// # Errors
    ///
    /// As [`Table::enter`].
    pub(crate) fn enter_any(&self, h: usize) -> Result<(Kind, Entered<'_, B>), S> {
        let d = decode(h).ok_or(S::FUNNELQ_INVALID)?;
        Ok((d.kind, self.enter_decoded(d)?))
    }

    #[inline]
    fn enter_decoded(&self, d: Decoded) -> Result<Entered<'_, B>, S> {
        let slot = self.slot(d.index).ok_or(S::FUNNELQ_INVALID)?;
        // ORDERING: Acquire pairs with the creator's Release (fetch_or of
        // LIVE): the body is initialised for us. The increment keeps it alive.
        let word = slot.word.fetch_add(1, Ordering::Acquire);
        let entered = Entered {
            table: self,
            slot,
            index: d.index,
        };
        if word & LIVE == 0 || gen_of(word) != d.gen || entered.kind() != d.kind {
            return Err(S::FUNNELQ_INVALID); // `entered` drops: count undone
        }
        Ok(entered)
    }

    /// Frees handle `h`: later calls with it fail with `FUNNELQ_INVALID`;
    /// `before_release` runs once on the object (by the freeing thread,
    /// still inside it); the object is destroyed when the last call running
    /// on it returns (now, if there is none).
    ///
    /// # Errors
    ///
    /// `FUNNELQ_INVALID` as for [`Table::enter`], and for a second free.
    pub(crate) fn free(&self, h: usize, kind: Kind, before_release: impl FnOnce(&B)) -> S {
        let Some(d) = decode(h).filter(|d| d.kind == kind) else {
            return S::FUNNELQ_INVALID;
        };
        let entered = match self.enter_decoded(d) {
            Ok(e) => e,
            Err(s) => return s,
        };
        // ORDERING: Relaxed: the compare-exchange below decides.
        let mut word = entered.slot.word.load(Ordering::Relaxed);
        loop {
            if word & LIVE == 0 || gen_of(word) != d.gen {
                return S::FUNNELQ_INVALID; // freed by a racing free
            }
            // ORDERING: AcqRel: one winner among racing frees, ordered after
            // the handle's earlier calls; Relaxed on failure: we retry.
            match entered.slot.word.compare_exchange_weak(
                word,
                word & !LIVE,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => word = now,
            }
        }
        before_release(&entered);
        S::FUNNELQ_OK // `entered` drops: destroys now if no other call is in
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    struct Counted(Arc<AtomicUsize>, u32, Kind);
    impl Typed for Counted {
        fn kind(&self) -> Kind {
            self.2
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn locate_covers_every_index_once() {
        let mut expect = (0usize, 0usize);
        for i in 0..10_000u32 {
            assert_eq!(locate(i), expect, "index {i}");
            expect.1 += 1;
            if expect.1 == BASE << expect.0 {
                expect = (expect.0 + 1, 0);
            }
        }
        let (k, off) = locate(MAX_SLOTS - 1);
        assert!(k < SEGMENTS && off < BASE << k);
    }

    #[test]
    fn encode_decode_round_trip() {
        for (kind, gen, index) in [
            (Kind::Sender, 0, 0),
            (Kind::Receiver, GEN_MASK, MAX_SLOTS - 1),
            (Kind::Sender, 12345, 678),
        ] {
            let d = decode(encode(kind, gen, index)).unwrap();
            assert_eq!((d.kind, d.gen, d.index), (kind, gen, index));
        }
        assert!(decode(0).is_none());
        assert!(decode(0x7fff_1234_5678).is_none());
        assert!(decode(encode(Kind::Sender, 1, 1) + 1).is_none());
        assert_eq!(encode(Kind::Receiver, 3, 5) % 8, 0);
    }

    #[test]
    fn s22_stale_handle_is_refused_after_reuse() {
        let table = Table::<Counted>::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let a = table
            .insert(Counted(drops.clone(), 1, Kind::Sender))
            .unwrap();
        assert_eq!(table.free(a, Kind::Sender, |_| {}), S::FUNNELQ_OK);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let b = table
            .insert(Counted(drops.clone(), 2, Kind::Sender))
            .unwrap();
        assert_eq!(decode(a).unwrap().index, decode(b).unwrap().index); // slot reused
        assert_ne!(a, b);
        assert!(table.enter(a, Kind::Sender).is_err());
        assert_eq!(table.free(a, Kind::Sender, |_| {}), S::FUNNELQ_INVALID);
        assert_eq!(table.enter(b, Kind::Sender).unwrap().1, 2);
        assert!(table.enter(b, Kind::Receiver).is_err());
        assert_eq!(table.free(b, Kind::Sender, |_| {}), S::FUNNELQ_OK);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn s21_free_during_a_call_destroys_when_the_call_leaves() {
        let table = Table::<Counted>::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let a = table
            .insert(Counted(drops.clone(), 7, Kind::Receiver))
            .unwrap();
        let call = table.enter(a, Kind::Receiver).unwrap();
        assert_eq!(table.free(a, Kind::Receiver, |_| {}), S::FUNNELQ_OK);
        assert!(table.enter(a, Kind::Receiver).is_err());
        assert_eq!(drops.load(Ordering::SeqCst), 0); // still in use
        assert_eq!(call.1, 7);
        drop(call);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn s21_handles_from_many_threads_never_alias() {
        let table = Arc::new(Table::<Counted>::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4u32)
            .map(|t| {
                let (table, drops) = (table.clone(), drops.clone());
                std::thread::spawn(move || {
                    let mut stale = Vec::new();
                    for i in 0..2000u32 {
                        let tag = t * 10_000 + i;
                        let h = table
                            .insert(Counted(drops.clone(), tag, Kind::Sender))
                            .unwrap();
                        assert_eq!(table.enter(h, Kind::Sender).unwrap().1, tag);
                        for &s in &stale {
                            assert!(table.enter(s, Kind::Sender).is_err());
                        }
                        assert_eq!(table.free(h, Kind::Sender, |_| {}), S::FUNNELQ_OK);
                        stale.push(h);
                        if stale.len() > 8 {
                            stale.remove(0);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::SeqCst), 8000);
        // ORDERING: test only.
        assert!(table.fresh.load(Ordering::Relaxed) <= 8);
    }
}
