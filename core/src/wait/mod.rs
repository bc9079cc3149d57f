//! Waiting: an event count over a 32-bit word, plus an intrusive FIFO of
//! async waiters.
//!
//! The protocol, written once and used by every blocking loop and future:
//!
//! 1. **register**: `waiters += 1` (SeqCst read-modify-write), a SeqCst
//!    fence, read `epoch`;
//! 2. **re-check** the condition (the ring's SeqCst loads);
//! 3. **sleep** while `epoch` still equals what was read (futex-style).
//!
//! A waker first changes the state (a SeqCst store or RMW in the ring), then
//! loads `waiters` (SeqCst); only if someone waits does it bump `epoch` and
//! call the OS. Both sides' SeqCst accesses form Dekker's handshake: either
//! the waiter's re-check sees the new state, or the waker sees the waiter
//! and bumps `epoch`, which makes the sleep return. So an uncontended
//! send/recv pair makes no system call, and no wake-up is lost (modelled in
//! loom: `tests/loom.rs`).
//!
//! Async waiters live inside their futures (no allocation per waiter, S15),
//! linked into a FIFO under a short lock; they are counted in `waiters` too.
//! A waiter that was woken but leaves without using the wake-up (timeout,
//! cancelled future) passes it on, so a freed slot is never left unclaimed
//! while others sleep.

#[cfg(any(feature = "std", loom))]
mod os;

#[cfg(not(loom))]
pub use os_clock::set_clock;

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr;
use core::task::Waker;

use crate::loom::{load_waiters, registration_fence, AtomicU32, Lock, Ordering, UnsafeCell};

/// One direction's waiting room ("not empty" for the receiver, "not full"
/// for senders).
pub(crate) struct Event {
    /// The futex word: bumped by every waking notify.
    epoch: AtomicU32,
    /// Registered waiters, threads and futures alike: the "anyone
    /// waiting?" word a waker reads first.
    waiters: AtomicU32,
    /// Async waiters, oldest first.
    list: Lock<List>,
    #[cfg(loom)]
    park: os::LoomPark,
}

impl Event {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Event {
            epoch: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
            list: Lock::new(List::EMPTY),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Event {
            epoch: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
            list: Lock::new(List::EMPTY),
            park: os::LoomPark::new(),
        }
    }

    /// Wakes up to `n` waiters, if anyone waits. Call after changing the state.
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
        // SeqCst: a thread that read the old epoch sleeps only while the word
        // still holds it, so this bump makes its sleep return.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        #[cfg(any(feature = "std", loom))]
        self.wake_threads(n);
        for _ in 0..n {
            let Some(waker) = self.pop_async() else { break };
            waker.wake();
        }
    }

    #[cfg(any(feature = "std", loom))]
    fn wake_threads(&self, n: u32) {
        #[cfg(loom)]
        {
            let _ = n;
            self.park.wake_all();
        }
        #[cfg(not(loom))]
        os::wake(&self.epoch, n);
    }

    /// Unlinks the oldest async waiter, marks it notified and returns its
    /// waker (woken by the caller after the lock is released).
    fn pop_async(&self) -> Option<Waker> {
        let mut list = self.list.lock();
        let node = list.head;
        if node.is_null() {
            return None;
        }
        // SAFETY: nodes in the list are pinned inside live futures (a future
        // unlinks its node before it is dropped), and their fields are only
        // touched under this lock, which we hold.
        unsafe { list.unlink(node) };
        // SeqCst: part of the registration count (see module docs).
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe {
            (*node).inner.with_mut(|inner| {
                (*inner).notified = true;
                (*inner).waker.take()
            })
        }
    }

    // ----- blocking threads -------------------------------------------------

    /// Step 1 for a thread: count it as waiting and read the epoch. Follow
    /// with a re-check, then [`Event::wait`] or [`Event::cancel`].
    #[cfg(any(feature = "std", loom))]
    pub(crate) fn register(&self) -> u32 {
        // SeqCst: the Dekker half of the waiter (see module docs).
        self.waiters.fetch_add(1, Ordering::SeqCst);
        registration_fence();
        // SeqCst: read after registering; a stale value only makes the sleep
        // return at once.
        self.epoch.load(Ordering::SeqCst)
    }

    /// Sleeps while the epoch equals `key`, up to `deadline` (in
    /// [`now_nanos`] time), then unregisters. Returns `false` if the deadline
    /// passed; `true` on a wake-up (which may be spurious: re-check).
    #[cfg(any(feature = "std", loom))]
    pub(crate) fn wait(&self, key: u32, deadline: Option<u64>) -> bool {
        let woke = self.sleep(key, deadline);
        // SeqCst: leaves the registration count.
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        if !woke && self.epoch.load(Ordering::SeqCst) != key {
            // Timed out while a wake-up may have been aimed at us: pass it on.
            self.notify(1);
        }
        woke
    }

    /// Unregisters after a re-check found the condition already met.
    #[cfg(any(feature = "std", loom))]
    pub(crate) fn cancel(&self) {
        // SeqCst: leaves the registration count.
        self.waiters.fetch_sub(1, Ordering::SeqCst);
    }

    #[cfg(loom)]
    fn sleep(&self, key: u32, _deadline: Option<u64>) -> bool {
        self.park.wait(&self.epoch, key);
        true
    }

    #[cfg(all(feature = "std", not(loom)))]
    fn sleep(&self, key: u32, deadline: Option<u64>) -> bool {
        loop {
            let timeout = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_sub(now_nanos()) {
                    None | Some(0) => return false,
                    Some(left) => Some(left),
                },
            };
            let os_timed_out = os::wait(&self.epoch, key, timeout);
            // SeqCst: see `register`.
            if self.epoch.load(Ordering::SeqCst) != key {
                return true;
            }
            if os_timed_out && !os_clock::has_clock() {
                // No clock to measure against (see `set_clock`): trust the OS.
                return false;
            }
            // A spurious return, or the OS timeout: loop to check the deadline
            // against the clock (never earlier than asked).
        }
    }

    // ----- async waiters ----------------------------------------------------

    /// Links `waiter` (if it is not linked) and stores `waker` in it. Follow
    /// with a re-check of the condition; return `Pending` only if it still
    /// fails.
    pub(crate) fn register_async(&self, waiter: Pin<&Waiter>, waker: &Waker) {
        let node: *const Waiter = &*waiter;
        let mut list = self.list.lock();
        // SAFETY: `waiter` is pinned (its address is stable until its future
        // drops, and the future unlinks it first); its fields are only touched
        // under this lock, which we hold. The cell access ends before the
        // list (which writes the same cell) is touched.
        let link = unsafe {
            (*node).inner.with_mut(|inner| {
                let inner = &mut *inner;
                match &inner.waker {
                    Some(old) if old.will_wake(waker) => {}
                    _ => inner.waker = Some(waker.clone()),
                }
                inner.notified = false;
                !core::mem::replace(&mut inner.linked, true)
            })
        };
        if link {
            // SeqCst: the Dekker half of the waiter (module docs).
            self.waiters.fetch_add(1, Ordering::SeqCst);
            // SAFETY: pinned, live, not linked (checked above), lock held.
            unsafe { list.push_back(node) };
        }
        drop(list);
        registration_fence();
    }

    /// Unlinks `waiter` if it is linked. Returns `true` if a notify had
    /// picked it since it last registered (the caller then either uses that
    /// wake-up or passes it on with `notify(1)`).
    pub(crate) fn unregister_async(&self, waiter: &Waiter) -> bool {
        let node: *const Waiter = waiter;
        let mut list = self.list.lock();
        // SAFETY: as in `register_async`: a live waiter, touched under the lock.
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
}

/// An async waiter's record, embedded in a future. `!Unpin`: it is linked
/// by address.
pub(crate) struct Waiter {
    inner: UnsafeCell<WaiterInner>,
    _pinned: PhantomPinned,
}

struct WaiterInner {
    waker: Option<Waker>,
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
                prev: ptr::null(),
                next: ptr::null(),
                linked: false,
                notified: false,
            }),
            _pinned: PhantomPinned,
        }
    }
}

// SAFETY: the raw pointers and the waker inside are only touched under the
// owning `Event`'s lock; `Waker` is Send + Sync.
unsafe impl Send for Waiter {}
// SAFETY: as above.
unsafe impl Sync for Waiter {}

/// The FIFO of async waiters; every access holds the `Event`'s lock.
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

/// loom has no time: timeouts are not modelled (every wait is untimed).
#[cfg(loom)]
pub(crate) fn deadline_after(_timeout: core::time::Duration) -> Option<u64> {
    None
}

/// Monotonic nanoseconds for deadlines (see [`set_clock`] on targets whose
/// `std` has no clock).
#[cfg(all(feature = "std", not(loom)))]
pub(crate) fn now_nanos() -> u64 {
    os_clock::now_nanos()
}

/// The deadline `timeout` from now, or `None` if it lies beyond what a
/// `u64` of nanoseconds holds (treated as "wait forever").
#[cfg(all(feature = "std", not(loom)))]
pub(crate) fn deadline_after(timeout: core::time::Duration) -> Option<u64> {
    let nanos = u64::try_from(timeout.as_nanos()).ok()?;
    now_nanos().checked_add(nanos)
}

#[cfg(not(loom))]
mod os_clock {
    #[cfg(all(feature = "std", not(target_arch = "wasm32")))]
    pub(crate) fn now_nanos() -> u64 {
        extern crate std;
        use std::sync::OnceLock;
        use std::time::Instant;
        static BASE: OnceLock<Instant> = OnceLock::new();
        let base = *BASE.get_or_init(Instant::now);
        u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Whether `now_nanos` measures real time.
    #[cfg(feature = "std")]
    pub(crate) fn has_clock() -> bool {
        #[cfg(target_arch = "wasm32")]
        {
            // ORDERING: Relaxed: a yes/no hint; `now_nanos` Acquires the value.
            CLOCK.load(crate::loom::Ordering::Relaxed) != 0
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            true
        }
    }

    #[cfg(target_arch = "wasm32")]
    static CLOCK: crate::loom::AtomicUsize = crate::loom::AtomicUsize::new(0);

    #[cfg(all(feature = "std", target_arch = "wasm32"))]
    pub(crate) fn now_nanos() -> u64 {
        // ORDERING: Acquire pairs with the Release store in `set_clock`.
        match CLOCK.load(crate::loom::Ordering::Acquire) {
            0 => 0,
            f => {
                // SAFETY: only `set_clock` stores here, and it stores a
                // `fn() -> u64` cast to usize.
                let f: fn() -> u64 = unsafe { core::mem::transmute::<usize, fn() -> u64>(f) };
                f()
            }
        }
    }

    /// Supplies the monotonic clock (in nanoseconds) that timeouts measure
    /// against, on targets whose `std` has none (`wasm32-unknown-unknown`:
    /// pass a function over `performance.now()`). Until it is called there,
    /// a timed wait sleeps the whole timeout once per wake-up, so it can
    /// run late but never early. Elsewhere the OS clock is used and this
    /// does nothing.
    ///
    /// ```
    /// fn now() -> u64 { 0 }
    /// funnelq::wait::set_clock(now); // a no-op off wasm32
    /// ```
    pub fn set_clock(now_nanos: fn() -> u64) {
        #[cfg(target_arch = "wasm32")]
        // ORDERING: Release pairs with the Acquire load in `now_nanos`.
        CLOCK.store(now_nanos as usize, crate::loom::Ordering::Release);
        #[cfg(not(target_arch = "wasm32"))]
        let _ = now_nanos;
    }
}
