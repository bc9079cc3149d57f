//! The monotonic clock that timeouts and deadlines are measured against.
//!
//! On targets with an OS clock (`std` everywhere but
//! `wasm32-unknown-unknown`) it is `std::time::Instant`, and there is
//! nothing to configure. `wasm32-unknown-unknown` has no clock in `std`:
//! the host supplies one with [`set_clock`] (the WebAssembly binding passes
//! a function over `performance.now()`).

/// Supplies the monotonic clock (in nanoseconds) that timeouts measure
/// against, on targets whose `std` has none (`wasm32-unknown-unknown`:
/// pass a function over `performance.now()`). Until it is called there, a
/// timed wait sleeps the whole timeout once per wake-up, so it can run late
/// but never early. Elsewhere the OS clock is used and this does nothing.
///
/// Call it once, before the first timed wait; a later call replaces the
/// clock for waits that start afterwards.
///
/// ```
/// fn now() -> u64 { 0 }
/// funnelq::clock::set_clock(now); // a no-op off wasm32
/// ```
#[cfg(not(loom))]
pub fn set_clock(now_nanos: fn() -> u64) {
    #[cfg(target_arch = "wasm32")]
    // ORDERING: Release pairs with the Acquire load in `now_nanos`.
    CLOCK.store(now_nanos as usize, crate::loom::Ordering::Release);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = now_nanos;
}

/// The clock `set_clock` stored, as a `fn() -> u64` cast to `usize`; 0
/// until then.
#[cfg(all(not(loom), target_arch = "wasm32"))]
static CLOCK: crate::loom::AtomicUsize = crate::loom::AtomicUsize::new(0);

/// Monotonic nanoseconds since an arbitrary start, for deadlines.
#[cfg(all(feature = "std", not(loom), not(target_arch = "wasm32")))]
pub(crate) fn now_nanos() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Monotonic nanoseconds from the clock given to [`set_clock`]; 0 (time
/// stands still) until then.
#[cfg(all(feature = "std", not(loom), target_arch = "wasm32"))]
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

/// Whether `now_nanos` measures real time.
#[cfg(all(feature = "std", not(loom)))]
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

/// The deadline `timeout` from now, or `None` if it lies beyond what a
/// `u64` of nanoseconds holds (treated as "wait forever").
#[cfg(all(feature = "std", not(loom)))]
pub(crate) fn deadline_after(timeout: core::time::Duration) -> Option<u64> {
    let nanos = u64::try_from(timeout.as_nanos()).ok()?;
    now_nanos().checked_add(nanos)
}

/// loom has no time: timeouts are not modelled (every wait is untimed).
#[cfg(loom)]
pub(crate) fn deadline_after(_timeout: core::time::Duration) -> Option<u64> {
    None
}
