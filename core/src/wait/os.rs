//! Sleeping on a 32-bit word: the OS half of waiting. Each waiter record
//! has its own word (0 while waiting, 1 once notified); a thread sleeps on
//! it while it is 0.
//!
//! - Linux and Android: `futex(FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE)`.
//! - `wasm32` with the `atomics` feature: `memory.atomic.wait32` / `notify`
//!   (allowed in workers only; a browser main thread traps on wait32, so
//!   bindings must not block there).
//! - Other `std` targets (macOS, Windows, the BSDs): a small table of
//!   mutex + condition-variable buckets keyed by the word's address. Correct
//!   but slower to wake than a native wait-on-address; the spinning phase
//!   before sleeping hides most of it.
//! - Under loom: a loom mutex and condvar, so a lost wake-up shows as a
//!   deadlock in the model.

#[cfg(not(loom))]
use crate::loom::AtomicU32;

/// Sleeps while `*word == expected`, for at most `timeout` nanoseconds.
/// May return spuriously. Returns `true` if the OS reports a timeout.
#[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
pub(crate) fn wait(word: &AtomicU32, expected: u32, timeout: Option<u64>) -> bool {
    let ts = timeout.map(|nanos| libc::timespec {
        tv_sec: (nanos / 1_000_000_000).min(i64::MAX as u64) as libc::time_t,
        tv_nsec: (nanos % 1_000_000_000) as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(core::ptr::null(), |ts| ts as *const libc::timespec);
    // SAFETY: `word` is a live, aligned 32-bit atomic; FUTEX_WAIT only reads
    // it and compares with `expected`; `ts_ptr` is null or points to `ts`,
    // which outlives the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            ts_ptr,
        )
    };
    // SAFETY: reading errno right after the failed call, on this thread.
    r != 0 && unsafe { *libc::__errno_location() } == libc::ETIMEDOUT
}

/// Wakes up to `n` threads sleeping on `word`.
#[cfg(all(not(loom), any(target_os = "linux", target_os = "android")))]
pub(crate) fn wake(word: &AtomicU32, n: u32) {
    let n = n.min(i32::MAX as u32) as libc::c_int;
    // SAFETY: FUTEX_WAKE only uses the address as a key.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            n,
        );
    }
}

/// Sleeps while `*word == expected` (see the Linux version).
#[cfg(all(not(loom), target_arch = "wasm32", target_feature = "atomics"))]
pub(crate) fn wait(word: &AtomicU32, expected: u32, timeout: Option<u64>) -> bool {
    let timeout = timeout.map_or(-1, |n| n.min(i64::MAX as u64) as i64);
    // SAFETY: `word` is a live, aligned 32-bit atomic in shared linear
    // memory; wait32 only reads it.
    let r = unsafe {
        core::arch::wasm32::memory_atomic_wait32(
            word.as_ptr() as *mut i32,
            expected as i32,
            timeout,
        )
    };
    r == 2
}

/// Wakes up to `n` threads sleeping on `word`.
#[cfg(all(not(loom), target_arch = "wasm32", target_feature = "atomics"))]
pub(crate) fn wake(word: &AtomicU32, n: u32) {
    // SAFETY: notify only uses the address as a key.
    unsafe {
        core::arch::wasm32::memory_atomic_notify(word.as_ptr() as *mut i32, n);
    }
}

/// Without threads there is nobody to wake us: return at once (callers
/// re-check), so a wait degrades to polling instead of hanging.
#[cfg(all(not(loom), target_arch = "wasm32", not(target_feature = "atomics")))]
pub(crate) fn wait(_word: &AtomicU32, _expected: u32, _timeout: Option<u64>) -> bool {
    false
}

/// Nothing sleeps on a single-threaded wasm32.
#[cfg(all(not(loom), target_arch = "wasm32", not(target_feature = "atomics")))]
pub(crate) fn wake(_word: &AtomicU32, _n: u32) {}

#[cfg(all(
    not(loom),
    not(any(target_os = "linux", target_os = "android", target_arch = "wasm32"))
))]
mod buckets {
    extern crate std;
    use super::AtomicU32;
    use crate::loom::Ordering;
    use std::sync::{Condvar, Mutex};
    use std::time::Duration;

    struct Bucket {
        lock: Mutex<()>,
        cond: Condvar,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const BUCKET: Bucket = Bucket {
        lock: Mutex::new(()),
        cond: Condvar::new(),
    };
    static BUCKETS: [Bucket; 64] = [BUCKET; 64];

    fn bucket(word: &AtomicU32) -> &'static Bucket {
        &BUCKETS[(word.as_ptr() as usize >> 2) % BUCKETS.len()]
    }

    pub(crate) fn wait(word: &AtomicU32, expected: u32, timeout: Option<u64>) -> bool {
        let b = bucket(word);
        let guard = b.lock.lock().unwrap_or_else(|e| e.into_inner());
        // SeqCst: compared under the bucket lock, which `wake` takes after
        // the word changed, so the change cannot slip between check and sleep.
        if word.load(Ordering::SeqCst) != expected {
            return false;
        }
        match timeout {
            None => {
                drop(b.cond.wait(guard));
                false
            }
            Some(n) => b
                .cond
                .wait_timeout(guard, Duration::from_nanos(n))
                .map_or(false, |(_, r)| r.timed_out()),
        }
    }

    pub(crate) fn wake(word: &AtomicU32, _n: u32) {
        let b = bucket(word);
        drop(b.lock.lock().unwrap_or_else(|e| e.into_inner()));
        b.cond.notify_all();
    }
}

#[cfg(all(
    not(loom),
    not(any(target_os = "linux", target_os = "android", target_arch = "wasm32"))
))]
pub(crate) use buckets::{wait, wake};

/// The loom stand-in for a futex.
#[cfg(loom)]
pub(crate) struct LoomPark {
    lock: loom::sync::Mutex<()>,
    cond: loom::sync::Condvar,
}

#[cfg(loom)]
impl LoomPark {
    pub(crate) fn new() -> Self {
        LoomPark {
            lock: loom::sync::Mutex::new(()),
            cond: loom::sync::Condvar::new(),
        }
    }

    pub(crate) fn wait(&self, word: &crate::loom::AtomicU32, expected: u32) {
        let guard = self.lock.lock().unwrap();
        if word.load(crate::loom::Ordering::SeqCst) == expected {
            drop(self.cond.wait(guard).unwrap());
        }
    }

    pub(crate) fn wake_all(&self) {
        drop(self.lock.lock().unwrap());
        self.cond.notify_all();
    }
}
