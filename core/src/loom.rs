//! The one place that names atomics, `UnsafeCell`, locks and back-off.
//!
//! Under `--cfg loom` every primitive is swapped for loom's model-checked
//! twin, so the ring, close and waiting protocols are checked as written.
//! The rest of the crate imports from here only (`ci/check_comments.py`
//! enforces it: clippy's `disallowed-types` cannot tell a re-export apart).

#[cfg(not(loom))]
pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering};

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

/// The waiting handshake is Dekker's: a waker changes the state, then reads
/// `waiters`; a waiter registers in `waiters`, then re-checks the state.
/// Each side needs its write ordered before its read. A full barrier on
/// every send and receive would cost a cross-core round trip per message,
/// so where the OS offers an asymmetric barrier (Linux
/// `membarrier(PRIVATE_EXPEDITED)`), the wakers' side is a plain store and
/// load with only a compiler fence between them, and the rare waiter, about
/// to sleep anyway, runs the heavy barrier that forces a full barrier on
/// every running thread of the process (the scheme of userspace RCU and
/// folly's asymmetric fences). Elsewhere, and under loom, both sides use
/// SeqCst. The choice is made once per process, before the first channel
/// exists (`asymmetric::init`), so the two sides always agree.
#[cfg(all(
    not(loom),
    feature = "std",
    any(target_os = "linux", target_os = "android")
))]
pub(crate) mod asymmetric {
    use core::sync::atomic::{AtomicU8, Ordering};

    const UNKNOWN: u8 = 0;
    const ON: u8 = 1;
    const OFF: u8 = 2;
    static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

    // From <linux/membarrier.h>.
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    /// Registers for expedited membarrier once; called before any channel
    /// is handed out.
    pub(crate) fn init() {
        // ORDERING: Relaxed: every thread computes the same answer, and a
        // channel reaches other threads only through a synchronising handoff
        // made after this store.
        if STATE.load(Ordering::Relaxed) == UNKNOWN {
            // SAFETY: a plain syscall with integer arguments.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_membarrier,
                    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                    0,
                    0,
                )
            };
            // ORDERING: Relaxed: as above.
            STATE.store(if r == 0 { ON } else { OFF }, Ordering::Relaxed);
        }
    }

    /// Whether the asymmetric scheme is in force.
    #[inline]
    pub(crate) fn on() -> bool {
        // ORDERING: Relaxed: set once before any channel exists (see `init`).
        STATE.load(Ordering::Relaxed) == ON
    }

    /// The heavy side: a full barrier on every running thread of the process.
    pub(crate) fn heavy() {
        // SAFETY: a plain syscall with integer arguments.
        let r =
            unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) };
        if r != 0 {
            // Cannot fail after a successful registration; stay correct for
            // this side anyway.
            core::sync::atomic::fence(Ordering::SeqCst);
        }
    }
}

/// The portable scheme: SeqCst on both sides.
#[cfg(not(all(
    not(loom),
    feature = "std",
    any(target_os = "linux", target_os = "android")
)))]
pub(crate) mod asymmetric {
    pub(crate) fn init() {}
    #[inline]
    pub(crate) fn on() -> bool {
        false
    }
    pub(crate) fn heavy() {}
}

/// Publishes a state change that a waiter may be waiting for (a stamp in the
/// ring): the waker's write in the handshake.
#[inline]
pub(crate) fn store_state(word: &AtomicPos, value: Pos) {
    if asymmetric::on() {
        // ORDERING: Release pairs with the other side's Acquire load of the
        // stamp; the order against the `waiters` read that follows comes from
        // the waiter's heavy barrier (see above) plus this compiler fence.
        word.store(value, Ordering::Release);
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
    } else {
        word.store(value, Ordering::SeqCst);
    }
}

/// The waker's read in the handshake: "does anyone wait?". loom models
/// SeqCst loads as Acquire, which would report lost wake-ups that real
/// hardware cannot produce, so under loom it is a read-modify-write (which
/// always reads the newest value and synchronises with the registration).
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

/// The waiter's barrier in the handshake, between registering (an RMW on
/// `waiters`) and re-checking the state: neither may the re-check be
/// ordered before the registration, nor a waker's read of `waiters` before
/// its state change (see `store_state`).
#[inline]
pub(crate) fn registration_fence() {
    #[cfg(not(loom))]
    {
        if asymmetric::on() {
            asymmetric::heavy();
        } else {
            core::sync::atomic::fence(Ordering::SeqCst);
        }
    }
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
