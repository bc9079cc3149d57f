//! The GIL-released wait in short slices.
//!
//! Every blocking call is a loop: detach from the interpreter, wait in the core for at most
//! [`SLICE`] (or the caller's deadline if sooner), attach again, run [`check_interrupts`] so
//! that Ctrl-C raises `KeyboardInterrupt` promptly (S17) and a thread stopped from outside
//! ends promptly (S21), and retry. The core does the waiting
//! (futex) and the batching; the binding only chooses how long each wait may last.

use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// The longest a single wait runs without looking at signals.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// The end of the next slice: [`SLICE`] from now, or the deadline if it comes first.
pub(crate) fn slice_end(deadline: Option<Instant>) -> Instant {
    let now = Instant::now();
    let end = now.checked_add(SLICE).unwrap_or(now);
    match deadline {
        Some(d) if d < end => d,
        _ => end,
    }
}

/// True when the caller's deadline has passed.
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// A Python function that does nothing: running it lets the interpreter's eval loop act on
/// what it has pending for this thread.
static NOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Between two slices, with nothing taken or sent: raises what the caller's thread has
/// pending. `check_signals` runs the signal handlers (Ctrl-C's `KeyboardInterrupt`, main
/// thread only, S17); calling a no-op Python function lets the eval loop raise an exception
/// sent to this thread with `PyThreadState_SetAsyncExc` (how a thread is stopped from
/// outside), which it otherwise would only see after the call returned, holding a message
/// that the exception would then lose (S21).
pub(crate) fn check_interrupts(py: Python<'_>) -> PyResult<()> {
    py.check_signals()?;
    let noop = NOOP.get_or_try_init(py, || {
        py.eval(c"lambda: None", None, None).map(Bound::unbind)
    })?;
    noop.bind(py).call0()?;
    Ok(())
}
