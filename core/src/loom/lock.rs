//! A tiny spin lock for the waiter lists (`wait`), swapped for a loom mutex
//! under `--cfg loom`.
//!
//! Held for a few pointer updates, and by `Event::pop` across the wake-up
//! of a thread record (a store to the record's word and one futex or
//! `memory.atomic.notify` call: the record lives on the sleeping thread's
//! stack and must stay live until the wake-up is done). Never held across a
//! `Waker::wake`, a user callback or a sleep.

#[cfg(not(loom))]
use super::{AtomicBool, Backoff, Ordering, UnsafeCell};

/// A test-and-test-and-set lock around a `T`.
#[cfg(not(loom))]
pub(crate) struct Lock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
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
            value: UnsafeCell::new(value),
        }
    }

    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        let mut backoff = Backoff::new();
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
        unsafe { &*self.lock.value.with(|p| p) }
    }
}

#[cfg(not(loom))]
impl<T> core::ops::DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &mut *self.lock.value.with_mut(|p| p) }
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

/// The loom model of the lock.
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
