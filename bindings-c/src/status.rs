//! The status enum, its text, the one error-mapping place and the panic guard.

use core::ffi::{c_char, c_int};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every fallible funnelq call. `FUNNELQ_OK` is 0; every other
/// value is a reason the call did nothing (or, for batch sends, did part of
/// its work: see the function).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum funnelq_status {
    /// Success.
    FUNNELQ_OK = 0,
    /// A non-waiting send found the channel full; nothing was enqueued and the
    /// message is still the caller's.
    FUNNELQ_FULL = 1,
    /// A non-waiting receive found the channel empty and still open.
    FUNNELQ_EMPTY = 2,
    /// Sending: the channel is closed (by `funnelq_close` or because the
    /// receiver was freed); nothing was enqueued and the message is still the
    /// caller's. Receiving: end-of-stream, the channel is closed *and* drained
    /// (closed by `funnelq_close` or because every sender was freed).
    FUNNELQ_CLOSED = 3,
    /// A `*_timeout` call waited for the whole timeout without success;
    /// nothing was enqueued / received.
    FUNNELQ_TIMEOUT = 4,
    /// Not a live handle of the right kind (NULL, a pointer that is not a
    /// funnelq handle, a freed handle even if its place was taken by a newer
    /// one), a null out-pointer, a capacity outside
    /// `1..=funnelq_max_capacity()`, a null data pointer with a non-zero
    /// length, or a batch count or `max` outside its range (`max` in
    /// `1..=FUNNELQ_MAX_BATCH`, `count` at most `FUNNELQ_MAX_BATCH`). Nothing
    /// was done.
    FUNNELQ_INVALID = 5,
    /// A receive was called on a receiver while another receive on it was
    /// still running in another thread. Nothing was done: a channel has one
    /// consumer at a time.
    FUNNELQ_BUSY = 6,
    /// Memory could not be allocated: the ring of a new channel (a capacity
    /// within range but too large for the memory available), a handle, or a
    /// copy (`funnelq_send_copy*`). Nothing was done.
    FUNNELQ_NOMEM = 7,
    /// A bug inside funnelq (a Rust panic, caught at the boundary). Please
    /// report it; the handle should be considered unusable.
    FUNNELQ_INTERNAL = 8,
}

use funnelq_status as S;

/// A static, lowercase, NUL-terminated description of a status value, for
/// messages: `funnelq_status_str(FUNNELQ_FULL)` is `"full: the channel is
/// full"`. Takes an `int` so that any value is safe to pass; unknown values
/// give `"unknown status"`. The string must not be freed.
#[no_mangle]
pub extern "C" fn funnelq_status_str(status: c_int) -> *const c_char {
    let s: &'static core::ffi::CStr = match status {
        0 => c"ok",
        1 => c"full: the channel is full",
        2 => c"empty: the channel is empty",
        3 => c"closed: the channel is closed",
        4 => c"timeout: the operation timed out",
        5 => {
            c"invalid: a null, foreign or freed handle, a null pointer or an argument out of range"
        }
        6 => c"busy: another receive is running on this receiver",
        7 => c"nomem: out of memory",
        8 => c"internal: a bug in funnelq (a panic was caught)",
        _ => c"unknown status",
    };
    s.as_ptr()
}

/// Runs `f`, turning a Rust panic into `FUNNELQ_INTERNAL` so that nothing
/// unwinds across the C boundary.
pub(crate) fn guard(f: impl FnOnce() -> Result<(), S>) -> S {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => S::FUNNELQ_OK,
        Ok(Err(s)) => s,
        Err(_) => S::FUNNELQ_INTERNAL,
    }
}

/// The one mapping from core errors to statuses.
pub(crate) trait ToStatus {
    fn status(&self) -> S;
}

impl ToStatus for fq::CapacityError {
    fn status(&self) -> S {
        if self.is_out_of_memory() {
            S::FUNNELQ_NOMEM
        } else {
            S::FUNNELQ_INVALID
        }
    }
}

impl ToStatus for funnelq_binding::ClaimError {
    fn status(&self) -> S {
        match self {
            funnelq_binding::ClaimError::Busy => S::FUNNELQ_BUSY,
            // C never releases the guarded receiver but by freeing the handle.
            _ => S::FUNNELQ_INVALID,
        }
    }
}

impl<T> ToStatus for fq::TrySendError<T> {
    fn status(&self) -> S {
        match self {
            fq::TrySendError::Full(_) => S::FUNNELQ_FULL,
            _ => S::FUNNELQ_CLOSED,
        }
    }
}

impl<T> ToStatus for fq::SendTimeoutError<T> {
    fn status(&self) -> S {
        match self {
            fq::SendTimeoutError::Timeout(_) => S::FUNNELQ_TIMEOUT,
            _ => S::FUNNELQ_CLOSED,
        }
    }
}

impl<T> ToStatus for fq::SendError<T> {
    fn status(&self) -> S {
        S::FUNNELQ_CLOSED
    }
}

impl ToStatus for fq::RecvError {
    fn status(&self) -> S {
        S::FUNNELQ_CLOSED
    }
}

impl ToStatus for fq::TryRecvError {
    fn status(&self) -> S {
        match self {
            fq::TryRecvError::Empty => S::FUNNELQ_EMPTY,
            _ => S::FUNNELQ_CLOSED,
        }
    }
}

impl ToStatus for fq::RecvTimeoutError {
    fn status(&self) -> S {
        match self {
            fq::RecvTimeoutError::Timeout => S::FUNNELQ_TIMEOUT,
            _ => S::FUNNELQ_CLOSED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_strings_are_distinct_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for v in -1..=9 {
            // SAFETY: funnelq_status_str returns a pointer to a static C string.
            let s = unsafe { core::ffi::CStr::from_ptr(funnelq_status_str(v)) };
            let s = s.to_str().unwrap();
            assert_eq!(s, s.to_lowercase());
            if (0..=8).contains(&v) {
                assert!(seen.insert(s.to_owned()));
            } else {
                assert_eq!(s, "unknown status");
            }
        }
    }

    #[test]
    fn panics_become_internal() {
        assert_eq!(guard(|| panic!("boom")), S::FUNNELQ_INTERNAL);
        assert_eq!(guard(|| Ok(())), S::FUNNELQ_OK);
    }
}
