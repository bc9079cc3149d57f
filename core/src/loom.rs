//! The facade: the one place that names atomics, `UnsafeCell` and
//! back-off, and the door to the primitives built on them.
//!
//! Under `--cfg loom` every primitive is swapped for loom's model-checked
//! twin, so the ring, close and waiting protocols are checked as written.
//! The rest of the crate imports from here only (`ci/check_comments.py`
//! enforces it: clippy's `disallowed-types` cannot tell a re-export apart,
//! so that script is the facade lint). The primitives built on the facade
//! live in their own files and import from it too:
//!
//! - `loom/lock.rs`: the spin `Lock` of the waiter lists;
//! - `loom/handshake.rs`: the register/re-check handshake (`store_state`,
//!   `load_waiters`, `registration_fence`) and its choice of scheme;
//! - `loom/membarrier.rs`: the Linux system calls of the asymmetric scheme.

mod handshake;
mod lock;
#[cfg(all(
    not(loom),
    not(miri),
    feature = "std",
    any(target_os = "linux", target_os = "android")
))]
mod membarrier;

pub(crate) use handshake::{init as init_handshake, load_waiters, registration_fence, store_state};
pub(crate) use lock::Lock;

pub(crate) use core::sync::atomic::compiler_fence;
/// The handshake's once-per-process choice (`loom/handshake.rs`).
#[cfg(all(
    not(loom),
    not(miri),
    feature = "std",
    any(target_os = "linux", target_os = "android")
))]
pub(crate) use core::sync::atomic::AtomicU8;
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
