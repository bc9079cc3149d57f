//! The register/re-check handshake between a waker and a waiter: the three
//! memory operations every wake-up decision rests on.
//!
//! The handshake is Dekker's: a waker changes the state, then reads
//! `waiters`; a waiter registers in `waiters`, then re-checks the state.
//! Each side needs its write ordered before its read. A full barrier on
//! every send and receive would cost a cross-core round trip per message,
//! so where the OS offers an asymmetric barrier (Linux
//! `membarrier(PRIVATE_EXPEDITED)`, `membarrier.rs`), the wakers' side is
//! a Release store and a plain load with only a compiler fence between
//! them, and the rare waiter, about to sleep anyway, runs the heavy barrier
//! that forces a full barrier on every running thread of the process (the
//! scheme of userspace RCU and folly's asymmetric fences). Elsewhere, under
//! loom, and under Miri (which does not emulate `membarrier`), both sides
//! use SeqCst. The choice is made once per process, before the first
//! channel exists ([`init`]), so the two sides always agree.

use super::{AtomicPos, AtomicU32, Ordering, Pos};

#[cfg(all(
    not(loom),
    not(miri),
    feature = "std",
    any(target_os = "linux", target_os = "android")
))]
mod scheme {
    use super::super::{fence, membarrier, AtomicU8, Ordering};

    const UNKNOWN: u8 = 0;
    const ON: u8 = 1;
    const OFF: u8 = 2;
    static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

    pub(crate) fn init() {
        // ORDERING: Relaxed: every thread computes the same answer, and a
        // channel reaches other threads only through a synchronising handoff
        // made after this store.
        if STATE.load(Ordering::Relaxed) == UNKNOWN {
            let on = membarrier::register();
            // ORDERING: Relaxed: as above.
            STATE.store(if on { ON } else { OFF }, Ordering::Relaxed);
        }
    }

    #[inline]
    pub(crate) fn on() -> bool {
        // ORDERING: Relaxed: set once before any channel exists (see `init`).
        STATE.load(Ordering::Relaxed) == ON
    }

    pub(crate) fn heavy() {
        if !membarrier::barrier() {
            // Cannot fail after a successful registration; stay correct for
            // this side anyway.
            fence(Ordering::SeqCst);
        }
    }
}

/// The portable scheme: SeqCst on both sides.
#[cfg(not(all(
    not(loom),
    not(miri),
    feature = "std",
    any(target_os = "linux", target_os = "android")
)))]
mod scheme {
    pub(crate) fn init() {}
    #[inline]
    pub(crate) fn on() -> bool {
        false
    }
    pub(crate) fn heavy() {}
}

/// Chooses the scheme for this process (once); called before any channel
/// is handed out.
pub(crate) fn init() {
    scheme::init();
}

/// Publishes a state change that a waiter may be waiting for (a stamp in the
/// ring): the waker's write in the handshake.
#[inline]
pub(crate) fn store_state(word: &AtomicPos, value: Pos) {
    if scheme::on() {
        // ORDERING: Release pairs with the other side's Acquire load of the
        // stamp. This is not SeqCst: the order against the `waiters` read
        // that follows comes from the waiter's heavy barrier (see the module
        // docs) plus this compiler fence, which keeps the compiler from
        // moving the read above the store.
        word.store(value, Ordering::Release);
        super::compiler_fence(Ordering::SeqCst);
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
    if scheme::on() {
        scheme::heavy();
    } else {
        super::fence(Ordering::SeqCst);
    }
}
