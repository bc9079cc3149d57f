//! Timeouts and the GIL-released wait in short slices.
//!
//! Every blocking call is a loop: detach from the interpreter, wait in the core for at most
//! [`SLICE`] (or the caller's deadline if sooner), attach again, run `check_signals` so that
//! Ctrl-C raises `KeyboardInterrupt` promptly (S17), and retry. The core does the waiting
//! (futex); the binding only chooses how long each wait may last.

use std::time::{Duration, Instant};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The longest a single wait runs without looking at signals.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// `timeout` as the stdlib reads it: `None` waits forever; a negative or NaN number is a
/// `ValueError`; `inf` or a timeout too large to represent waits forever.
pub(crate) fn deadline(timeout: Option<f64>) -> PyResult<Option<Instant>> {
    match timeout {
        None => Ok(None),
        Some(t) if t.is_nan() || t < 0.0 => Err(PyValueError::new_err(
            "timeout must be a non-negative number or None",
        )),
        Some(t) => Ok(Duration::try_from_secs_f64(t)
            .ok()
            .and_then(|d| Instant::now().checked_add(d))),
    }
}

/// The end of the next slice: [`SLICE`] from now, or the deadline if it comes first.
pub(crate) fn slice_end(deadline: Option<Instant>) -> Instant {
    let end = Instant::now() + SLICE;
    match deadline {
        Some(d) if d < end => d,
        _ => end,
    }
}

/// True when the caller's deadline has passed.
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}
