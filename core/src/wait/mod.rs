//! Waiting: per-waiter records in an intrusive FIFO, with an "anyone
//! waiting?" word in front. (Not an event count: there is no epoch; each
//! waiter sleeps on its own record's word, and a notify picks records
//! oldest first.)
//!
//! The protocol, written once and used by every blocking loop and future:
//!
//! 1. **register**: link the waiter's record (on the waiting thread's stack,
//!    or inside the future) under the list's spin lock and count it in
//!    `waiters` (a SeqCst read-modify-write), then the registration fence
//!    (`loom/handshake.rs`: a SeqCst fence, or on Linux a process-wide
//!    `membarrier`);
//! 2. **re-check** the condition (the ring's loads);
//! 3. **sleep** until the record is notified: a thread sleeps on the
//!    record's own 32-bit word (futex-style: `wait while word == 0`); a
//!    future returns `Pending` and is woken through its `Waker`.
//!
//! A waker first changes the state (a stamp store in the ring, or `close`'s
//! SeqCst RMW), then loads `waiters`. The two sides form Dekker's handshake
//! (`loom/handshake.rs`: SeqCst on both sides, or on Linux a Release store
//! and a compiler fence on the wakers' side paid for by the waiter's
//! `membarrier`): either the waiter's re-check sees the new state, or the
//! waker sees the waiter. Only then does it take the lock, unlink the
//! oldest record, mark it notified and wake it: a thread's record gets
//! `word = 1` and a futex wake *under the lock* (the record lives on the
//! sleeping thread's stack, and that thread takes the lock before it
//! leaves, so the record outlives the wake-up); a future's `Waker` is taken
//! and woken after the lock is released. Because the notified record leaves
//! the count at once, the next notify (before the woken thread has even
//! run) sees nobody waiting and makes no system call; an uncontended
//! send/recv pair makes none at all. No wake-up is lost (modelled in loom:
//! `tests/loom.rs`).
//!
//! Records cost no allocation (S15) and are served oldest first. A waiter
//! that was notified but leaves without using it (timeout, cancelled
//! future) passes the wake-up on, so a freed slot is never left unclaimed
//! while others sleep.
//!
//! ## Workers that die (S21, wasm32)
//!
//! On an OS a thread cannot die alone: its process goes with it. A browser
//! or Node worker on `wasm32` can be terminated from outside at any
//! instruction, and its record stays linked. A notify that picks it wakes
//! nobody: the wake-up is swallowed, and a live waiter behind it could sleep
//! beside a free slot (or a queued message) for ever. So on `wasm32` with
//! atomics a blocked thread sleeps in slices of at most [`RECHECK_SLICE`]
//! (20 ms) and re-checks its condition after each, still registered (keeping
//! its place in the FIFO): **a wake-up swallowed by a dead record reaches a
//! live waiter within 20 ms** (plus scheduling). A dead record absorbs at
//! most one wake-up: the notify that picks it also unlinks it. Its memory
//! (the dead worker's stack) must stay allocated, which it does unless the
//! host frees and reuses that worker's stack. Futures have no timer in the
//! core: a binding that waits asynchronously on `wasm32` re-polls on its
//! own bound. Threads on OS targets do not slice.
//!
//! Not covered: a worker terminated *inside* the list's spin lock. The
//! window is a few pointer updates in register and unregister, and in a
//! notify the unlink plus one `memory.atomic.notify`; it opens only when
//! someone waits (an uncontended send or receive never takes the lock). The
//! lock then stays held for ever, and every later registration,
//! unregistration and notify-with-waiters on that direction of that channel
//! spins without end: its blocked workers hang, and so does a page's main
//! thread whose async form must register or wake there. The core cannot
//! tell a dead holder from a slow one (the host gives no signal), so it
//! does not break the lock.

#[cfg(any(feature = "std", loom))]
mod os;

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr;
use core::task::Waker;

#[cfg(all(feature = "std", not(loom)))]
use crate::clock;
use crate::loom::{load_waiters, registration_fence, AtomicU32, Lock, Ordering, UnsafeCell};

/// One direction's waiting room ("not empty" for the receiver, "not full"
/// for senders).
pub(crate) struct Event {
    /// Linked records, threads and futures alike: the "anyone waiting?"
    /// word a waker reads first.
    waiters: AtomicU32,
    /// The records, oldest first.
    list: Lock<List>,
    #[cfg(loom)]
    park: os::LoomPark,
}

impl Event {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Event {
            waiters: AtomicU32::new(0),
            list: Lock::new(List::EMPTY),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Event {
            waiters: AtomicU32::new(0),
            list: Lock::new(List::EMPTY),
            park: os::LoomPark::new(),
        }
    }

    /// How many records are linked (for tests).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn linked(&self) -> u32 {
        self.waiters.load(Ordering::SeqCst)
    }

    /// Wakes up to `n` waiters, oldest first, if anyone waits. Call after
    /// changing the state.
    #[inline]
    pub(crate) fn notify(&self, n: u32) {
        if load_waiters(&self.waiters) != 0 {
            self.notify_slow(n);
        }
    }

    /// Wakes every waiter (close).
    pub(crate) fn notify_all(&self) {
        if load_waiters(&self.waiters) != 0 {
            self.notify_slow(u32::MAX);
        }
    }

    #[cold]
    fn notify_slow(&self, n: u32) {
        for _ in 0..n {
            match self.pop() {
                None => break,
                Some(Some(waker)) => waker.wake(),
                Some(None) => {} // a thread, already woken under the lock
            }
        }
    }

    /// Unlinks the oldest record and marks it notified. A thread is woken
    /// here, under the lock (its record lives on its stack, and it takes
    /// this lock before leaving, so the record outlives the wake-up); a
    /// future's waker is returned, to be woken after the lock is released.
    fn pop(&self) -> Option<Option<Waker>> {
        let mut list = self.list.lock();
        let node = list.head;
        if node.is_null() {
            return None;
        }
        // SAFETY: records in the list are pinned and live (a record is
        // unlinked, under this lock, before its owner lets it go), and their
        // fields are only touched under this lock, which we hold.
        unsafe { list.unlink(node) };
        // SeqCst: leaves the registration count (see module docs).
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: as above.
        let (thread, waker) = unsafe {
            (*node).inner.with_mut(|inner| {
                (*inner).notified = true;
                ((*inner).thread, (*inner).waker.take())
            })
        };
        if thread {
            // SAFETY: as above: the record is live while we hold the lock.
            let word = unsafe { &(*node).word };
            // SeqCst: the sleeping thread's check of the word pairs with it.
            word.store(1, Ordering::SeqCst);
            #[cfg(loom)]
            self.park.wake_all();
            #[cfg(all(feature = "std", not(loom)))]
            os::wake(word, 1);
        }
        Some(waker)
    }

    /// Step 1: links `waiter` (if it is not linked) as a thread record
    /// (`waker: None`) or a future's (`Some`). Follow with a re-check of
    /// the condition; sleep or return `Pending` only if it still fails.
    pub(crate) fn register(&self, waiter: Pin<&Waiter>, waker: Option<&Waker>) {
        let node: *const Waiter = &*waiter;
        let mut list = self.list.lock();
        // SAFETY: `waiter` is pinned (its address is stable until its owner
        // unlinks it through `unregister`); its fields are only touched under
        // this lock, which we hold. The cell access ends before the list
        // (which writes the same cell) is touched.
        let link = unsafe {
            (*node).inner.with_mut(|inner| {
                let inner = &mut *inner;
                match (waker, &inner.waker) {
                    (Some(new), Some(old)) if old.will_wake(new) => {}
                    (new, _) => inner.waker = new.cloned(),
                }
                inner.thread = waker.is_none();
                inner.notified = false;
                !core::mem::replace(&mut inner.linked, true)
            })
        };
        // SeqCst: read by the thread's sleep; reset before it can be notified.
        waiter.word.store(0, Ordering::SeqCst);
        if link {
            // SeqCst: the Dekker half of the waiter (module docs).
            self.waiters.fetch_add(1, Ordering::SeqCst);
            // SAFETY: pinned, live, not linked (checked above), lock held.
            unsafe { list.push_back(node) };
        }
        drop(list);
        registration_fence();
    }

    /// Unlinks `waiter` if it is still linked. Returns `true` if a notify
    /// picked it since it last registered (the caller then either uses that
    /// wake-up or passes it on with `notify(1)`). A record must be
    /// unregistered before its owner drops or reuses it.
    pub(crate) fn unregister(&self, waiter: &Waiter) -> bool {
        let node: *const Waiter = waiter;
        let mut list = self.list.lock();
        // SAFETY: as in `register`: a live record, touched under the lock.
        let linked = unsafe { (*node).inner.with(|inner| (*inner).linked) };
        if linked {
            // SAFETY: linked in this list; lock held.
            unsafe { list.unlink(node) };
            // SeqCst: leaves the registration count.
            self.waiters.fetch_sub(1, Ordering::SeqCst);
        }
        // SAFETY: as above.
        unsafe {
            (*node).inner.with_mut(|inner| {
                let inner = &mut *inner;
                inner.waker = None;
                core::mem::replace(&mut inner.notified, false)
            })
        }
    }

    /// Unregisters `waiter` and passes on a wake-up that picked it: whether
    /// its owner leaves without the slot (a dropped future) or with one it
    /// got by itself (the pick may have been for a later one), a sleeper
    /// must not miss it.
    pub(crate) fn leave(&self, waiter: &Waiter) {
        if self.unregister(waiter) {
            self.notify(1);
        }
    }

    /// Step 3 for a thread: sleeps until `waiter` (registered as a thread
    /// record) is notified. loom has no time: a modelled wait never times
    /// out, and never ends in a slice.
    #[cfg(loom)]
    pub(crate) fn sleep(&self, waiter: &Waiter, _deadline: &mut Option<u64>) -> Woken {
        // The park is shared by the event's sleepers, so wake-ups for others
        // return here too: wait until our own word is set.
        // SeqCst: pairs with the store in `pop`.
        while waiter.word.load(Ordering::SeqCst) == 0 {
            self.park.wait(&waiter.word, 0);
        }
        Woken::Notified
    }

    /// Step 3 for a thread: sleeps until `waiter` (registered as a thread
    /// record) is notified, or `deadline` (in `clock::now_nanos` time)
    /// passes, or (wasm32 with atomics only) a slice of [`RECHECK_SLICE`]
    /// ends, after which the caller re-checks its condition and sleeps
    /// again, still registered. The record stays registered whatever the
    /// outcome: unregister (or re-check and sleep again) afterwards.
    ///
    /// Without a clock (wasm32 before `clock::set_clock`), time stands still
    /// at 0, so `deadline` is the time left: each slice that ran out is taken
    /// off it, so that slices add up to the timeout (late, never early).
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn sleep(&self, waiter: &Waiter, deadline: &mut Option<u64>) -> Woken {
        loop {
            // SeqCst: pairs with the store in `pop`.
            if waiter.word.load(Ordering::SeqCst) != 0 {
                return Woken::Notified;
            }
            let left = match *deadline {
                None => None,
                Some(deadline) => match deadline.checked_sub(clock::now_nanos()) {
                    None | Some(0) => return Woken::Deadline,
                    Some(left) => Some(left),
                },
            };
            let (timeout, sliced) = slice(left);
            let os_timed_out = os::wait(&waiter.word, 0, timeout);
            if os_timed_out && sliced {
                if !clock::has_clock() {
                    if let (Some(d), Some(slept)) = (deadline.as_mut(), timeout) {
                        *d = d.saturating_sub(slept);
                    }
                }
                // SeqCst: as above.
                if waiter.word.load(Ordering::SeqCst) != 0 {
                    return Woken::Notified;
                }
                return Woken::Slice;
            }
            if os_timed_out && !clock::has_clock() {
                // No clock to measure against (see `set_clock`): trust the OS.
                // SeqCst: as above.
                if waiter.word.load(Ordering::SeqCst) != 0 {
                    return Woken::Notified;
                }
                return Woken::Deadline;
            }
            // Otherwise loop: a spurious return, a wake-up, or the OS timeout
            // (checked against the clock: never earlier than asked).
        }
    }
}

/// How a thread's [`Event::sleep`] ended.
#[cfg(any(feature = "std", loom))]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Woken {
    /// A notify picked the record.
    Notified,
    /// The deadline passed.
    Deadline,
    /// wasm32 with atomics only: a slice of [`RECHECK_SLICE`] nanoseconds
    /// ran out without a notify. Re-check the condition: a wake-up may have
    /// been taken by the record of a worker that was terminated while it
    /// waited.
    #[cfg_attr(
        any(
            loom,
            not(any(test, all(target_arch = "wasm32", target_feature = "atomics")))
        ),
        allow(dead_code)
    )]
    Slice,
}

/// The longest a blocked thread sleeps on `wasm32` with atomics before it
/// re-checks its condition: 20 ms, in nanoseconds (see the module docs,
/// "Workers that die"). A wake-up swallowed by a dead worker's record
/// reaches a live waiter within this bound; an idle blocked worker pays
/// about 50 wake-ups a second, each a few microseconds.
#[cfg(any(test, all(target_arch = "wasm32", target_feature = "atomics")))]
pub(crate) const RECHECK_SLICE: u64 = 20_000_000;

/// The OS wait for `left` nanoseconds (`None`: no deadline), cut to
/// [`RECHECK_SLICE`]; `true` if it was cut.
///
/// The crate's own unit tests slice on every target, so that the S21 test
/// (`chan.rs`) runs this path with the OS futex in place of wait32.
#[cfg(all(
    feature = "std",
    not(loom),
    any(test, all(target_arch = "wasm32", target_feature = "atomics"))
))]
fn slice(left: Option<u64>) -> (Option<u64>, bool) {
    match left {
        Some(left) if left <= RECHECK_SLICE => (Some(left), false),
        _ => (Some(RECHECK_SLICE), true),
    }
}

/// Threads on OS targets sleep until notified or until the deadline: a
/// thread that dies takes its process with it, so no record is orphaned.
#[cfg(all(
    feature = "std",
    not(loom),
    not(any(test, all(target_arch = "wasm32", target_feature = "atomics")))
))]
fn slice(left: Option<u64>) -> (Option<u64>, bool) {
    (left, false)
}

/// A waiter's record: on a blocked thread's stack, or inside a future.
/// `!Unpin`: it is linked by address.
pub(crate) struct Waiter {
    inner: UnsafeCell<WaiterInner>,
    /// A thread record's sleep word: 0 while waiting, 1 once notified.
    word: AtomicU32,
    _pinned: PhantomPinned,
}

struct WaiterInner {
    waker: Option<Waker>,
    thread: bool,
    prev: *const Waiter,
    next: *const Waiter,
    linked: bool,
    notified: bool,
}

impl Waiter {
    pub(crate) fn new() -> Self {
        Waiter {
            inner: UnsafeCell::new(WaiterInner {
                waker: None,
                thread: false,
                prev: ptr::null(),
                next: ptr::null(),
                linked: false,
                notified: false,
            }),
            word: AtomicU32::new(0),
            _pinned: PhantomPinned,
        }
    }
}

// SAFETY: the raw pointers and the waker inside are only touched under the
// owning `Event`'s lock; `Waker` is Send + Sync; the word is atomic.
unsafe impl Send for Waiter {}
// SAFETY: as above.
unsafe impl Sync for Waiter {}

/// The FIFO of records; every access holds the `Event`'s lock.
struct List {
    head: *const Waiter,
    tail: *const Waiter,
}

// SAFETY: the list only stores addresses of `Waiter`s (which are Send + Sync)
// and is only touched under its lock.
unsafe impl Send for List {}

impl List {
    const EMPTY: List = List {
        head: ptr::null(),
        tail: ptr::null(),
    };

    /// # Safety
    ///
    /// `node` is pinned, live, unlinked, and the list's lock is held.
    unsafe fn push_back(&mut self, node: *const Waiter) {
        // SAFETY: forwarded; `self.tail`, if set, is a live linked node.
        unsafe {
            (*node).inner.with_mut(|n| {
                (*n).prev = self.tail;
                (*n).next = ptr::null();
            });
            if self.tail.is_null() {
                self.head = node;
            } else {
                (*self.tail).inner.with_mut(|t| (*t).next = node);
            }
        }
        self.tail = node;
    }

    /// # Safety
    ///
    /// `node` is linked in this list and the list's lock is held.
    unsafe fn unlink(&mut self, node: *const Waiter) {
        // SAFETY: forwarded; the neighbours of a linked node are live nodes.
        unsafe {
            let (prev, next) = (*node).inner.with(|n| ((*n).prev, (*n).next));
            if prev.is_null() {
                self.head = next;
            } else {
                (*prev).inner.with_mut(|p| (*p).next = next);
            }
            if next.is_null() {
                self.tail = prev;
            } else {
                (*next).inner.with_mut(|n| (*n).prev = prev);
            }
            (*node).inner.with_mut(|n| {
                (*n).prev = ptr::null();
                (*n).next = ptr::null();
                (*n).linked = false;
            });
        }
    }
}
