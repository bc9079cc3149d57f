//! `funnelq.Receiver`: the one receiving half.
//!
//! Python cannot forbid sharing an object between threads, so the core `Receiver` sits in a
//! slot: a receive takes it out (if it is already out, that is a second concurrent receive:
//! `Busy`), uses it by value with the lock released, and a guard puts it back on every exit
//! path, including a cancelled `recv_async`. The slot's lock is never held across a core call.

use std::sync::{Mutex, MutexGuard, PoisonError};

use funnelq::{RecvTimeoutError, TryRecvError};
use pyo3::exceptions::{PyStopAsyncIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyType};

use crate::errors::{error, error_attached, Kind};
use crate::wait::{deadline, expired, slice_end};

type Rx = funnelq::Receiver<Py<PyAny>>;

enum State {
    /// Available for the next receive.
    Here(Rx),
    /// A receive (blocking, or an awaiting `recv_async`) has it.
    Taken,
    /// Released by `with` exit: the channel is closed and queued messages were dropped.
    Released,
}

struct Slot {
    state: Mutex<State>,
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The receiver out of its slot; puts it back when dropped.
struct Taken<'a> {
    slot: &'a Slot,
    rx: Option<Rx>,
}

impl Taken<'_> {
    fn rx(&mut self) -> &mut Rx {
        self.rx.as_mut().expect("present until drop")
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        let Some(rx) = self.rx.take() else { return };
        let mut state = self.slot.lock();
        if matches!(*state, State::Taken) {
            *state = State::Here(rx);
        } else {
            // Released while we had it: drop it (and its queued messages) outside the lock.
            drop(state);
            drop(rx);
        }
    }
}

/// The receiving half of a channel: one per channel.
///
/// `recv` waits while the channel is empty; `try_recv` never waits; `for item in rx` and
/// `async for item in rx` stop at end of stream (closed, or every Sender released, and
/// drained). Two receive calls at once (from two threads, or a thread and a task) are refused
/// with `Busy`. `get`/`get_nowait`/`qsize`/`empty`/`full`/`maxsize` mirror `queue.Queue`.
/// Leaving a `with` block closes the channel and releases the messages still queued.
#[pyclass(frozen, module = "funnelq", name = "Receiver")]
pub(crate) struct PyReceiver {
    slot: Slot,
    /// Closes and observes the channel while a receive has the receiver.
    closer: funnelq::Closer<Py<PyAny>>,
    capacity: usize,
}

enum Took<'a> {
    Got(Taken<'a>),
    Busy,
    Released,
}

impl PyReceiver {
    pub(crate) fn new(rx: Rx) -> Self {
        let capacity = rx.capacity();
        let closer = rx.closer();
        PyReceiver {
            slot: Slot {
                state: Mutex::new(State::Here(rx)),
            },
            closer,
            capacity,
        }
    }

    fn try_take(&self) -> Took<'_> {
        let mut state = self.slot.lock();
        match std::mem::replace(&mut *state, State::Taken) {
            State::Here(rx) => Took::Got(Taken {
                slot: &self.slot,
                rx: Some(rx),
            }),
            State::Taken => Took::Busy,
            State::Released => {
                *state = State::Released;
                Took::Released
            }
        }
    }

    fn take(&self, py: Python<'_>) -> PyResult<Taken<'_>> {
        match self.try_take() {
            Took::Got(t) => Ok(t),
            Took::Busy => Err(error(py, Kind::Busy)),
            Took::Released => Err(error(py, Kind::Closed)),
        }
    }

    fn take_attached(&self) -> PyResult<Taken<'_>> {
        match self.try_take() {
            Took::Got(t) => Ok(t),
            Took::Busy => Err(error_attached(Kind::Busy)),
            Took::Released => Err(error_attached(Kind::Closed)),
        }
    }

    fn recv_blocking(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        timeout_kind: Kind,
    ) -> PyResult<Py<PyAny>> {
        let dl = deadline(timeout)?;
        let mut taken = self.take(py)?;
        loop {
            match taken.rx().try_recv() {
                Ok(m) => return Ok(m),
                Err(TryRecvError::Empty) => {}
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            if expired(dl) {
                return Err(error(py, timeout_kind));
            }
            let end = slice_end(dl);
            let rx = taken.rx();
            match py.detach(|| rx.recv_deadline(end)) {
                Ok(m) => return Ok(m),
                Err(RecvTimeoutError::Timeout) => {}
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            py.check_signals()?;
        }
    }
}

/// `max` for the batch receives: an int of at least 1 (ValueError otherwise, even when
/// negative, rather than pyo3's OverflowError).
fn check_max(max: i64) -> PyResult<usize> {
    if max < 1 {
        return Err(PyValueError::new_err(format!(
            "max {max} is out of range 1.."
        )));
    }
    Ok(usize::try_from(max).unwrap_or(usize::MAX))
}

#[pymethods]
impl PyReceiver {
    /// Receive the next message, waiting while the channel is empty.
    ///
    /// `timeout` is in seconds; `None` (the default) waits forever. Raises `Closed` at end of
    /// stream (closed or every Sender released, and drained), `Timeout` when the timeout passes,
    /// `Busy` if another receive is running. The wait releases the GIL; Ctrl-C interrupts it.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        self.recv_blocking(py, timeout, Kind::Timeout)
    }

    /// Receive a message if one is queued; never waits. Raises `Empty`, `Closed` or `Busy`.
    fn try_recv(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut taken = self.take(py)?;
        match taken.rx().try_recv() {
            Ok(m) => Ok(m),
            Err(TryRecvError::Empty) => Err(error(py, Kind::Empty)),
            Err(_) => Err(error(py, Kind::Closed)),
        }
    }

    /// Receive up to `max` messages as a list, in order: waits for the first only, then takes
    /// what is ready (1 to `max` items). Raises `Closed` at end of stream, `Timeout`, `Busy`.
    #[pyo3(signature = (max, timeout=None))]
    fn recv_batch<'py>(
        &self,
        py: Python<'py>,
        max: i64,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let max = check_max(max)?;
        let dl = deadline(timeout)?;
        let mut taken = self.take(py)?;
        let mut buf = Vec::with_capacity(max.min(4096));
        loop {
            match taken.rx().try_recv_batch(&mut buf, max) {
                Ok(_) => return PyList::new(py, buf),
                Err(TryRecvError::Empty) => {}
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            if expired(dl) {
                return Err(error(py, Kind::Timeout));
            }
            let end = slice_end(dl);
            let rx = taken.rx();
            let got = py.detach(|| {
                let wait = end.saturating_duration_since(std::time::Instant::now());
                rx.recv_batch_timeout(&mut buf, max, wait)
            });
            match got {
                Ok(_) => return PyList::new(py, buf),
                Err(RecvTimeoutError::Timeout) => {}
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            py.check_signals()?;
        }
    }

    /// Receive up to `max` ready messages as a list; never waits. Raises `Empty`, `Closed`.
    fn try_recv_batch<'py>(&self, py: Python<'py>, max: i64) -> PyResult<Bound<'py, PyList>> {
        let max = check_max(max)?;
        let mut taken = self.take(py)?;
        let mut buf = Vec::with_capacity(max.min(4096));
        match taken.rx().try_recv_batch(&mut buf, max) {
            Ok(_) => PyList::new(py, buf),
            Err(TryRecvError::Empty) => Err(error(py, Kind::Empty)),
            Err(_) => Err(error(py, Kind::Closed)),
        }
    }

    /// Receive from a coroutine: `await rx.recv_async()`; waits without blocking the event
    /// loop, woken by the channel (no polling). Raises `Closed` at end of stream, `Busy`.
    ///
    /// Cancel safety: cancelling the awaiting task (or `asyncio.wait_for` timing out) loses
    /// no message: one not yet returned stays in the channel.
    async fn recv_async(&self) -> PyResult<Py<PyAny>> {
        let mut taken = self.take_attached()?;
        let result = taken.rx().recv_async().await;
        result.map_err(|_| error_attached(Kind::Closed))
    }

    /// `recv_async` that ends `async for` at end of stream.
    async fn _anext(&self) -> PyResult<Py<PyAny>> {
        let mut taken = self.take_attached()?;
        let result = taken.rx().recv_async().await;
        result.map_err(|_| PyStopAsyncIteration::new_err(()))
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match self.recv_blocking(py, None, Kind::Timeout) {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.is_instance(py, errors_closed(py)?.bind(py)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.call_method0("_anext")
    }

    /// Close the channel for everyone: senders get `Closed`; queued messages can still be
    /// received, then receives raise `Closed`. Returns True if this call closed it. A
    /// receive waiting in another thread or task wakes at once.
    fn close(&self) -> bool {
        self.closer.close()
    }

    /// The capacity given to `channel()`.
    #[getter]
    fn capacity(&self) -> usize {
        self.capacity
    }

    /// True once the channel is closed (by anyone, or by every Sender being released).
    #[getter]
    fn closed(&self) -> bool {
        self.closer.is_closed()
    }

    /// Number of queued messages (a snapshot).
    fn __len__(&self) -> usize {
        self.closer.len()
    }

    /// Always True (a Receiver is not falsy when the channel is empty).
    fn __bool__(&self) -> bool {
        true
    }

    /// `queue.Queue.get`: with `block=False`, as `try_recv`; else as `recv(timeout)`,
    /// raising `Empty` (not `Timeout`) when the timeout passes, as the stdlib does.
    #[pyo3(signature = (block=true, timeout=None))]
    fn get(&self, py: Python<'_>, block: bool, timeout: Option<f64>) -> PyResult<Py<PyAny>> {
        if block {
            self.recv_blocking(py, timeout, Kind::Empty)
        } else {
            self.try_recv(py)
        }
    }

    /// `queue.Queue.get_nowait`: same as `try_recv`.
    fn get_nowait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.try_recv(py)
    }

    /// `queue.Queue.qsize`: the number of queued messages (a snapshot).
    fn qsize(&self) -> usize {
        self.__len__()
    }

    /// `queue.Queue.empty`: True if no message is queued (a snapshot).
    fn empty(&self) -> bool {
        self.__len__() == 0
    }

    /// `queue.Queue.full`: True if `capacity` messages are queued (a snapshot).
    fn full(&self) -> bool {
        self.__len__() >= self.capacity
    }

    /// `queue.Queue.maxsize`: the capacity.
    #[getter]
    fn maxsize(&self) -> usize {
        self.capacity
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leaving a `with` block closes the channel and releases the Receiver: messages still
    /// queued are dropped (their refcounts fall), senders get `Closed`.
    fn __exit__(
        &self,
        exc_type: Option<&Bound<'_, PyType>>,
        exc: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        let _ = (exc_type, exc, tb);
        let old = std::mem::replace(&mut *self.slot.lock(), State::Released);
        match old {
            // Dropping the core Receiver closes the channel and drops queued messages.
            State::Here(rx) => drop(rx),
            // Close now (waking the running receive); it drops the receiver, and with it the
            // queued messages, when it ends (see `Taken::drop`).
            State::Taken => {
                self.closer.close();
            }
            State::Released => {}
        }
        false
    }

    fn __repr__(&self) -> String {
        match &*self.slot.lock() {
            State::Here(rx) => format!(
                "<funnelq.Receiver len={} capacity={} closed={}>",
                rx.len(),
                self.capacity,
                if rx.is_closed() { "True" } else { "False" }
            ),
            State::Taken => format!("<funnelq.Receiver capacity={} receiving>", self.capacity),
            State::Released => format!("<funnelq.Receiver capacity={} released>", self.capacity),
        }
    }
}

fn errors_closed(py: Python<'_>) -> PyResult<&'static Py<PyType>> {
    Ok(&crate::errors::errors(py)?.closed)
}
