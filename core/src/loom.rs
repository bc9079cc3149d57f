//! The one place that names atomics, `UnsafeCell`, locks and back-off.
//!
//! Under `--cfg loom` every primitive is swapped for loom's model-checked
//! twin, so the ring, close and waiting protocols are checked as written.
//! The rest of the crate imports from here only (`ci/check_comments.py`
//! enforces it: clippy's `disallowed-types` cannot tell a re-export apart).

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

#[cfg(loom)]
#[allow(unused_imports)] // AtomicBool serves `StaticChannel`, which loom builds leave out
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// Ring positions and stamps. 64 bits wherever the target has 64-bit atomics
/// (x86_64, aarch64, wasm32): the lap counter then never wraps in practice.
/// Elsewhere 32 bits and a lower capacity ceiling (see `state::MAX_CAPACITY`).
#[cfg(all(not(loom), target_has_atomic = "64"))]
pub(crate) type AtomicPos = core::sync::atomic::AtomicU64;
#[cfg(all(not(loom), not(target_has_atomic = "64")))]
pub(crate) type AtomicPos = core::sync::atomic::AtomicU32;
#[cfg(loom)]
pub(crate) type AtomicPos = loom::sync::atomic::AtomicU64;

/// The integer behind [`AtomicPos`].
#[cfg(any(loom, target_has_atomic = "64"))]
pub(crate) type Pos = u64;
/// The integer behind [`AtomicPos`].
#[cfg(all(not(loom), not(target_has_atomic = "64")))]
pub(crate) type Pos = u32;

/// `UnsafeCell` with loom's closure-based access API on both sides.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// The Dekker half of the waiting handshake, on the waker's side: "I changed
/// the state; does anyone wait?". Both sides use `SeqCst`, so one of them
/// sees the other. loom models `SeqCst` loads as `Acquire`, which would
/// report lost wake-ups that real hardware cannot produce, so under loom the
/// load becomes a read-modify-write (which always reads the newest value and
/// synchronises with the waiter's registration).
#[inline]
pub(crate) fn load_waiters(waiters: &AtomicU32) -> u32 {
    #[cfg(not(loom))]
    {
        waiters.load(Ordering::SeqCst)
    }
    #[cfg(loom)]
    {
        waiters.fetch_add(0, Ordering::SeqCst)
    }
}

/// The Dekker half of the waiting handshake, on the waiter's side: between
/// registering (an RMW on `waiters`) and re-checking the state (Acquire
/// loads in the ring), so the re-check cannot be ordered before the
/// registration (it could on ARM: a release-store then an acquire-load).
#[inline]
pub(crate) fn registration_fence() {
    #[cfg(not(loom))]
    core::sync::atomic::fence(Ordering::SeqCst);
    #[cfg(loom)]
    loom::sync::atomic::fence(Ordering::SeqCst);
}

/// Spin-then-yield back-off, shrunk to a single step under loom so the
/// model stays small.
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    inner: crossbeam_utils::Backoff,
    #[cfg(loom)]
    spins: u32,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(not(loom))]
            inner: crossbeam_utils::Backoff::new(),
            #[cfg(loom)]
            spins: 0,
        }
    }

    /// A short busy spin, for contended CAS retries.
    pub(crate) fn spin(&self) {
        #[cfg(not(loom))]
        self.inner.spin();
        #[cfg(loom)]
        loom::thread::yield_now();
    }

    /// Spin, then (with `std`) yield a few times; callers sleep once
    /// [`Backoff::is_completed`] says so.
    pub(crate) fn snooze(&mut self) {
        #[cfg(not(loom))]
        self.inner.snooze();
        #[cfg(loom)]
        {
            self.spins += 1;
            loom::thread::yield_now();
        }
    }

    /// Whether spinning has gone on long enough that sleeping is cheaper.
    /// Under loom: at once, so every model goes through register, re-check,
    /// sleep (a spin phase would only let loom run the other side to
    /// completion first and never reach the sleep).
    #[cfg_attr(not(any(feature = "std", loom)), allow(dead_code))] // only blocking loops sleep
    pub(crate) fn is_completed(&self) -> bool {
        #[cfg(not(loom))]
        {
            self.inner.is_completed()
        }
        #[cfg(loom)]
        {
            let _ = self.spins;
            true
        }
    }
}

/// A tiny mutual-exclusion lock for the async waiter list: held for a few
/// pointer updates, never across a wake-up or a user callback.
#[cfg(not(loom))]
pub(crate) struct Lock<T> {
    locked: AtomicBool,
    value: core::cell::UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one holder at a time, so sharing the
// lock across threads is sound whenever `T` may be sent between them.
#[cfg(not(loom))]
unsafe impl<T: Send> Sync for Lock<T> {}
// SAFETY: as above; the lock owns its `T`.
#[cfg(not(loom))]
unsafe impl<T: Send> Send for Lock<T> {}

#[cfg(not(loom))]
impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            value: core::cell::UnsafeCell::new(value),
        }
    }

    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        let backoff = crossbeam_utils::Backoff::new();
        loop {
            // ORDERING: Acquire pairs with the Release store in
            // `LockGuard::drop`, so the previous holder's writes are visible.
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return LockGuard { lock: self };
            }
            // ORDERING: Relaxed: a hint only; the CAS above re-checks.
            while self.locked.load(Ordering::Relaxed) {
                backoff.snooze();
            }
        }
    }
}

/// Holds [`Lock`] until dropped.
#[cfg(not(loom))]
pub(crate) struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
}

#[cfg(not(loom))]
impl<T> core::ops::Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.lock.value.get() }
    }
}

#[cfg(not(loom))]
impl<T> core::ops::DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &mut *self.lock.value.get() }
    }
}

#[cfg(not(loom))]
impl<T> Drop for LockGuard<'_, T> {
    fn drop(&mut self) {
        // ORDERING: Release publishes this holder's writes to the next
        // holder's Acquire CAS in `Lock::lock`.
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(loom)]
pub(crate) struct Lock<T>(loom::sync::Mutex<T>);

#[cfg(loom)]
impl<T> Lock<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.0.lock().unwrap()
    }
}
