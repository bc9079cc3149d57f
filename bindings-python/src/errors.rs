//! The exception classes and the one place that maps core errors to them.
//!
//! The classes are made at import time with `type(name, bases, dict)` so that they can
//! subclass the stdlib's own Python classes: `Full(queue.Full)`, `Empty(queue.Empty)`,
//! `Timeout(TimeoutError)`, `Closed(queue.ShutDown, asyncio.QueueShutDown)` where the
//! running Python has those (3.13+, else `Closed(Exception)`), `Busy(RuntimeError)`.

use std::any::Any;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;

use pyo3::exceptions::{PyException, PyMemoryError, PyRuntimeError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

/// The five exception classes of the module.
pub(crate) struct Errors {
    pub(crate) full: Py<PyType>,
    pub(crate) empty: Py<PyType>,
    pub(crate) closed: Py<PyType>,
    pub(crate) timeout: Py<PyType>,
    pub(crate) busy: Py<PyType>,
}

static ERRORS: PyOnceLock<Errors> = PyOnceLock::new();

/// What went wrong, independent of the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Full,
    Empty,
    Closed,
    Timeout,
    Busy,
}

const DOC_FULL: &str = "The channel is full: `try_send`/`put_nowait` (or `put` with a timeout) \
could not enqueue. Subclass of `queue.Full`; nothing was enqueued. From `try_send_batch`, \
`sent` holds how many items went in and `unsent` the items it read and could not send.";
const DOC_EMPTY: &str = "The channel is empty: `try_recv`/`get_nowait` (or `get` with a timeout) \
found no message. Subclass of `queue.Empty`.";
const DOC_CLOSED: &str =
    "The channel is closed: sends are refused (the message was not enqueued), \
and a receive raises it once every queued message has been received (end of stream). \
Subclass of `queue.ShutDown` and `asyncio.QueueShutDown` on Python 3.13+. \
For batch sends, `sent` holds how many items went in before the close and `unsent` the \
items read from an iterator that did not go in (a sequence keeps them: `items[sent:]`).";
const DOC_TIMEOUT: &str =
    "A `send`/`recv` with a `timeout` gave up: nothing was enqueued or received. \
Subclass of `TimeoutError`. For batch sends, `sent` holds how many items went in and \
`unsent` the items read from an iterator that did not go in.";
const DOC_BUSY: &str =
    "Another thread or task is already receiving on this Receiver. A channel has \
one receiver; two receive calls at once are refused (never corrupted). Subclass of `RuntimeError`.";

fn make_type<'py>(
    py: Python<'py>,
    name: &str,
    doc: &str,
    bases: Vec<Bound<'py, PyAny>>,
) -> PyResult<Py<PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__doc__", doc)?;
    dict.set_item("__module__", "funnelq")?;
    let bases = PyTuple::new(py, bases)?;
    let ty = py.get_type::<PyType>().call1((name, bases, dict))?;
    Ok(ty.cast_into::<PyType>()?.unbind())
}

fn init(py: Python<'_>) -> PyResult<Errors> {
    let queue = py.import("queue")?;
    let asyncio = py.import("asyncio")?;
    let mut closed_bases = Vec::new();
    if let Ok(b) = queue.getattr("ShutDown") {
        closed_bases.push(b);
    }
    if let Ok(b) = asyncio.getattr("QueueShutDown") {
        closed_bases.push(b);
    }
    if closed_bases.is_empty() {
        closed_bases.push(py.get_type::<PyException>().into_any());
    }
    Ok(Errors {
        full: make_type(py, "Full", DOC_FULL, vec![queue.getattr("Full")?])?,
        empty: make_type(py, "Empty", DOC_EMPTY, vec![queue.getattr("Empty")?])?,
        closed: make_type(py, "Closed", DOC_CLOSED, closed_bases)?,
        timeout: make_type(
            py,
            "Timeout",
            DOC_TIMEOUT,
            vec![py.get_type::<PyTimeoutError>().into_any()],
        )?,
        busy: make_type(
            py,
            "Busy",
            DOC_BUSY,
            vec![py.get_type::<PyRuntimeError>().into_any()],
        )?,
    })
}

/// The exception classes, made on first use.
pub(crate) fn errors(py: Python<'_>) -> PyResult<&'static Errors> {
    ERRORS.get_or_try_init(py, || init(py))
}

fn message(kind: Kind) -> &'static str {
    match kind {
        Kind::Full => "channel is full",
        Kind::Empty => "channel is empty",
        Kind::Closed => "channel is closed",
        Kind::Timeout => "timed out",
        Kind::Busy => "another thread or task is already receiving on this receiver",
    }
}

/// The exception for `kind`, with the standard lowercase message.
pub(crate) fn error(py: Python<'_>, kind: Kind) -> PyErr {
    let errors = match errors(py) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let ty = match kind {
        Kind::Full => &errors.full,
        Kind::Empty => &errors.empty,
        Kind::Closed => &errors.closed,
        Kind::Timeout => &errors.timeout,
        Kind::Busy => &errors.busy,
    };
    PyErr::from_type(ty.bind(py).clone(), message(kind))
}

/// `err` with the progress of a batch send: `sent` (how many items went in) and `unsent`
/// (items read from an iterator that did not go in; empty for a sequence, which keeps them).
/// Used for our own exceptions and for `KeyboardInterrupt` or a cancellation that stops a
/// batch. Should an attribute not take (an exception class with `__slots__`), `err` is
/// returned as it is: it is never replaced.
pub(crate) fn with_progress(
    py: Python<'_>,
    err: PyErr,
    sent: usize,
    unsent: Vec<Py<PyAny>>,
) -> PyErr {
    let value = err.value(py);
    let _ = value.setattr("sent", sent);
    if let Ok(list) = PyList::new(py, unsent) {
        let _ = value.setattr("unsent", list);
    }
    err
}

/// Same as [`error`], for code that runs inside a future (attached, but without a token).
pub(crate) fn error_attached(kind: Kind) -> PyErr {
    Python::attach(|py| error(py, kind))
}

/// A capacity the core refused: `MemoryError` for a ring it could not allocate, else
/// `ValueError` ("capacity 0 is out of range 1..=1073741824").
pub(crate) fn capacity_error(e: &funnelq::CapacityError) -> PyErr {
    if e.is_out_of_memory() {
        PyMemoryError::new_err(e.to_string())
    } else {
        PyValueError::new_err(e.to_string())
    }
}

/// A panic caught at the boundary as a `RuntimeError` (no panic is known to be reachable:
/// this is the backstop that keeps pyo3's `PanicException`, a `BaseException` that
/// `except Exception` misses, from ever reaching the caller).
fn internal(payload: Box<dyn Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned());
    PyRuntimeError::new_err(format!("funnelq internal error (please report it): {what}"))
}

/// Runs a method body; a panic in it becomes a `RuntimeError` (see [`internal`]).
pub(crate) fn no_panic<R>(f: impl FnOnce() -> PyResult<R>) -> PyResult<R> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(internal(payload)))
}

/// [`no_panic`] for the body of an `async` method: a poll that panics ends the future with a
/// `RuntimeError` (it is not polled again).
pub(crate) async fn no_panic_async<R>(f: impl Future<Output = PyResult<R>>) -> PyResult<R> {
    let mut f = pin!(f);
    poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| f.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(internal(payload))),
        },
    )
    .await
}
