//! `funnelq.Receiver`: the one receiving half.
//!
//! Python cannot forbid sharing an object between threads, so the core `Receiver` sits in the
//! bindings' one guarded receiver (`funnelq_binding::GuardedReceiver`): each receive claims it
//! for its duration, a second concurrent receive gets `Busy` (never corrupted state), and the
//! claim is released on every exit path, including a cancelled `recv_async`. Messages the
//! binding took but could not hand over (a list it could not allocate) go back to the front
//! of the stream with `Claim::give_back` (S21).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use funnelq::{RecvTimeoutError, TryRecvError};
use funnelq_binding::{Claim, ClaimError, GuardedReceiver};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyType};

use crate::args::{count, deadline, MAX_BATCH};
use crate::batch::CHUNK;
use crate::errors::{error, error_attached, no_panic, no_panic_async, Kind};
use crate::wait::{check_interrupts, expired, slice_end};

type Msg = Py<PyAny>;

/// The receiving half of a channel: one per channel.
///
/// `recv` waits while the channel is empty; `try_recv` never waits; `for item in rx` and
/// `async for item in rx` stop at end of stream (closed, or every Sender released, and
/// drained). Two receive calls at once (from two threads, or a thread and a task) are refused
/// with `Busy`. `get`/`get_nowait`/`qsize`/`empty`/`full`/`maxsize` mirror `queue.Queue`.
/// Leaving a `with` block closes the channel and releases the messages still queued.
#[pyclass(frozen, module = "funnelq", name = "Receiver")]
pub(crate) struct PyReceiver {
    guarded: GuardedReceiver<Msg>,
    /// Set by `with` exit; a receive running then releases the receiver when it ends.
    released: AtomicBool,
    capacity: usize,
}

/// A claim for one receive. When it ends, a `with` exit that came meanwhile is carried out.
struct Receiving<'a> {
    claim: Claim<Msg, &'a GuardedReceiver<Msg>>,
    // Dropped after `claim` (fields drop in order), so its `release` finds the flag free.
    _then: ReleaseIfExited<'a>,
}

struct ReleaseIfExited<'a>(&'a PyReceiver);

impl Drop for ReleaseIfExited<'_> {
    fn drop(&mut self) {
        // ORDERING: SeqCst with the store in `__exit__`: either this load sees it, or the
        // exit's own `release` runs after the claim was dropped, and succeeds.
        if self.0.released.load(Ordering::SeqCst) {
            let _ = self.0.guarded.release();
        }
    }
}

/// Hands `buf` over as a list; if the list cannot be made, the messages go back to the front
/// of the stream and the error (a `MemoryError`) is raised instead: nothing is lost.
fn deliver<'py>(
    py: Python<'py>,
    claim: &mut Claim<Msg, &GuardedReceiver<Msg>>,
    buf: Vec<Msg>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    let mut it = buf.into_iter();
    while let Some(m) = it.next() {
        if let Err(e) = list.append(&m) {
            let mut back: Vec<Msg> = list.iter().map(Bound::unbind).collect();
            back.push(m);
            back.extend(it);
            claim.give_back(back);
            return Err(e);
        }
    }
    Ok(list)
}

impl PyReceiver {
    pub(crate) fn new(rx: funnelq::Receiver<Msg>) -> Self {
        let capacity = rx.capacity();
        PyReceiver {
            guarded: GuardedReceiver::new(rx),
            released: AtomicBool::new(false),
            capacity,
        }
    }

    /// Claims the receiver for one receive: `Busy` while another holds it, `Closed` once
    /// released by `with`. `kind_error` makes the exception (attached or inside a future).
    fn claim_with(&self, kind_error: impl Fn(Kind) -> PyErr) -> PyResult<Receiving<'_>> {
        // ORDERING: SeqCst, see `Receiving::drop`.
        if self.released.load(Ordering::SeqCst) {
            return Err(kind_error(Kind::Closed));
        }
        match self.guarded.claim() {
            Ok(claim) => Ok(Receiving {
                claim,
                _then: ReleaseIfExited(self),
            }),
            Err(ClaimError::Busy) => Err(kind_error(Kind::Busy)),
            Err(_) => Err(kind_error(Kind::Closed)),
        }
    }

    fn claim(&self, py: Python<'_>) -> PyResult<Receiving<'_>> {
        self.claim_with(|kind| error(py, kind))
    }

    fn claim_attached(&self) -> PyResult<Receiving<'_>> {
        self.claim_with(error_attached)
    }

    fn recv_blocking(
        &self,
        py: Python<'_>,
        timeout: Option<&Bound<'_, PyAny>>,
        timeout_kind: Kind,
    ) -> PyResult<Py<PyAny>> {
        let dl = deadline(timeout)?;
        let mut rx = self.claim(py)?;
        loop {
            match rx.claim.try_recv() {
                Ok(m) => return Ok(m),
                Err(TryRecvError::Empty) => {}
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            if expired(dl) {
                return Err(error(py, timeout_kind));
            }
            let wait = until(slice_end(dl));
            let claim = &mut rx.claim;
            match py.detach(|| claim.recv(Some(wait))) {
                Ok(m) => return Ok(m),
                Err(RecvTimeoutError::Timeout) => {}
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            // Only when nothing was taken: an interrupt here loses no message (S17, S21).
            check_interrupts(py)?;
        }
    }
}

/// The time from now to `end` (zero if it passed).
fn until(end: Instant) -> Duration {
    end.saturating_duration_since(Instant::now())
}

/// `max` for the batch receives: an int in `1..=MAX_BATCH` (`ValueError` naming the bound,
/// `TypeError` for a non-int).
fn check_max(max: &Bound<'_, PyAny>) -> PyResult<usize> {
    count(max, "max", MAX_BATCH)
}

/// The buffer of a batch receive: room for what `max` and the capacity allow, and no more
/// than [`CHUNK`] up front (it grows only as messages arrive, to `min(max, capacity)`).
fn batch_buf(max: usize, capacity: usize) -> Vec<Py<PyAny>> {
    Vec::with_capacity(max.min(capacity).min(CHUNK))
}

#[pymethods]
impl PyReceiver {
    /// Receive the next message, waiting while the channel is empty.
    ///
    /// `timeout` is in seconds; `None` (the default) waits forever. Raises `Closed` at end of
    /// stream (closed or every Sender released, and drained), `Timeout` when the timeout passes,
    /// `Busy` if another receive is running. The wait releases the GIL; Ctrl-C interrupts it.
    #[pyo3(signature = (timeout=None))]
    fn recv(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        no_panic(|| self.recv_blocking(py, timeout, Kind::Timeout))
    }

    /// Receive a message if one is queued; never waits. Raises `Empty`, `Closed` or `Busy`.
    fn try_recv(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        no_panic(|| {
            let mut rx = self.claim(py)?;
            match rx.claim.try_recv() {
                Ok(m) => Ok(m),
                Err(TryRecvError::Empty) => Err(error(py, Kind::Empty)),
                Err(_) => Err(error(py, Kind::Closed)),
            }
        })
    }

    /// Receive up to `max` messages as a list, in order: waits for the first only, then takes
    /// what is ready (1 to `max` items). `max` is an int in 1..=MAX_BATCH (ValueError
    /// otherwise). Raises `Closed` at end of stream, `Timeout`, `Busy`.
    #[pyo3(signature = (max, timeout=None))]
    fn recv_batch<'py>(
        &self,
        py: Python<'py>,
        max: &Bound<'py, PyAny>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyList>> {
        no_panic(|| {
            let max = check_max(max)?;
            let dl = deadline(timeout)?;
            let mut rx = self.claim(py)?;
            let mut buf = batch_buf(max, self.capacity);
            loop {
                match rx.claim.try_recv_batch(&mut buf, max) {
                    Ok(_) => return deliver(py, &mut rx.claim, buf),
                    Err(TryRecvError::Empty) => {}
                    Err(_) => return Err(error(py, Kind::Closed)),
                }
                if expired(dl) {
                    return Err(error(py, Kind::Timeout));
                }
                let wait = until(slice_end(dl));
                let claim = &mut rx.claim;
                match py.detach(|| claim.recv_batch(&mut buf, max, Some(wait))) {
                    Ok(_) => return deliver(py, &mut rx.claim, buf),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(_) => return Err(error(py, Kind::Closed)),
                }
                // Only when nothing was taken: an interrupt here loses no message (S17, S21).
                check_interrupts(py)?;
            }
        })
    }

    /// Receive up to `max` ready messages as a list; never waits. Raises `Empty`, `Closed`.
    fn try_recv_batch<'py>(
        &self,
        py: Python<'py>,
        max: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        no_panic(|| {
            let max = check_max(max)?;
            let mut rx = self.claim(py)?;
            let mut buf = batch_buf(max, self.capacity);
            match rx.claim.try_recv_batch(&mut buf, max) {
                Ok(_) => deliver(py, &mut rx.claim, buf),
                Err(TryRecvError::Empty) => Err(error(py, Kind::Empty)),
                Err(_) => Err(error(py, Kind::Closed)),
            }
        })
    }

    /// Receive from a coroutine: `await rx.recv_async()`; waits without blocking the event
    /// loop, woken by the channel (no polling). Raises `Closed` at end of stream, `Busy`.
    ///
    /// Cancel safety: cancelling the awaiting task (or `asyncio.wait_for` timing out) loses
    /// no message: one not yet returned stays in the channel.
    async fn recv_async(&self) -> PyResult<Py<PyAny>> {
        let mut rx = self.claim_attached()?;
        no_panic_async(async move {
            let result = rx.claim.recv_async().await;
            result.map_err(|_| error_attached(Kind::Closed))
        })
        .await
    }

    /// Receive up to `max` messages from a coroutine: `await rx.recv_batch_async(max)`;
    /// waits for the first only, without blocking the event loop, then takes what is ready
    /// (a list of 1 to `max`). Raises `Closed` at end of stream, `Busy`; `max` as `recv_batch`.
    ///
    /// Cancel safety: cancelling the awaiting task loses no message (messages are taken
    /// only by the step that returns them).
    async fn recv_batch_async(&self, max: Py<PyAny>) -> PyResult<Py<PyList>> {
        let max = Python::attach(|py| check_max(max.bind(py)))?;
        let mut rx = self.claim_attached()?;
        let mut buf = batch_buf(max, self.capacity);
        no_panic_async(async move {
            let result = rx.claim.recv_batch_async(&mut buf, max).await;
            match result {
                Ok(_) => Python::attach(|py| Ok(deliver(py, &mut rx.claim, buf)?.unbind())),
                Err(_) => Err(error_attached(Kind::Closed)),
            }
        })
        .await
    }

    /// `recv_async` that ends `async for` at end of stream.
    async fn _anext(&self) -> PyResult<Py<PyAny>> {
        let mut rx = self.claim_attached()?;
        no_panic_async(async move {
            let result = rx.claim.recv_async().await;
            result.map_err(|_| PyStopAsyncIteration::new_err(()))
        })
        .await
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match no_panic(|| self.recv_blocking(py, None, Kind::Timeout)) {
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
        self.guarded.close()
    }

    /// The capacity given to `channel()`.
    #[getter]
    fn capacity(&self) -> usize {
        self.capacity
    }

    /// True once the channel is closed (by anyone, or by every Sender being released).
    #[getter]
    fn closed(&self) -> bool {
        self.guarded.is_closed()
    }

    /// Number of queued messages (a snapshot).
    fn __len__(&self) -> usize {
        self.guarded.len()
    }

    /// Always True (a Receiver is not falsy when the channel is empty).
    fn __bool__(&self) -> bool {
        true
    }

    /// `queue.Queue.get`: with `block=False`, as `try_recv`; else as `recv(timeout)`,
    /// raising `Empty` (not `Timeout`) when the timeout passes, as the stdlib does.
    #[pyo3(signature = (block=true, timeout=None))]
    fn get(
        &self,
        py: Python<'_>,
        block: bool,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        if block {
            no_panic(|| self.recv_blocking(py, timeout, Kind::Empty))
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
        // ORDERING: SeqCst, see `ReleaseIfExited::drop`.
        self.released.store(true, Ordering::SeqCst);
        // Dropping the core Receiver closes the channel and drops the queued messages. If a
        // receive holds it now, close (waking it): it releases the receiver when it ends.
        if self.guarded.release().is_err() {
            self.guarded.close();
        }
        false
    }

    fn __repr__(&self) -> String {
        // ORDERING: a snapshot for display.
        if self.released.load(Ordering::Relaxed) {
            return format!("<funnelq.Receiver capacity={} released>", self.capacity);
        }
        format!(
            "<funnelq.Receiver len={} capacity={} closed={}>",
            self.guarded.len(),
            self.capacity,
            if self.guarded.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

fn errors_closed(py: Python<'_>) -> PyResult<&'static Py<PyType>> {
    Ok(&crate::errors::errors(py)?.closed)
}
