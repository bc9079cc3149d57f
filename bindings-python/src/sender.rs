//! `funnelq.Sender`: the sending half, any number of them, on any thread.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::Instant;

use funnelq::{SendTimeoutError, TrySendError};
use pyo3::coroutine::CancelHandle;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::args::deadline;
use crate::batch::{Source, CHUNK};
use crate::errors::{error, error_attached, no_panic, no_panic_async, with_progress, Kind};
use crate::wait::{check_interrupts, expired, slice_end};

type Tx = funnelq::Sender<Py<PyAny>>;

/// The sending half of a channel. Make more with `clone()`; share freely between threads.
///
/// `send` waits while the channel is full, `try_send` never waits. `close()` closes the whole
/// channel for everyone. The stream ends (after the receiver drained it) when the channel is
/// closed or when every Sender has been released: left a `with` block, or been garbage-collected.
/// `put`/`put_nowait`/`qsize`/`empty`/`full`/`maxsize` mirror `queue.Queue`.
#[pyclass(frozen, module = "funnelq", name = "Sender")]
pub(crate) struct PySender {
    // The lock is held only to clone or take the `Arc`, never across a core call (a core call
    // can wake an asyncio waker, which runs Python code and may switch threads).
    tx: Mutex<Option<Arc<Tx>>>,
    capacity: usize,
}

/// A batch send in progress: what was read and not yet sent, and how many went in.
struct Progress {
    source: Source,
    chunk: Vec<Py<PyAny>>,
    sent: usize,
}

impl Progress {
    fn new(source: Source) -> Self {
        Progress {
            source,
            chunk: Vec::new(),
            sent: 0,
        }
    }

    /// Reads the next chunk if the last one went in: `Ok(false)` once everything was sent,
    /// `Err` if reading was interrupted (see [`Source::interrupted`]).
    fn refill(&mut self, py: Python<'_>, want: usize) -> PyResult<bool> {
        if self.chunk.is_empty() && !self.source.ended() {
            self.chunk.reserve_exact(want);
            self.source.fill(py, &mut self.chunk, want);
            if self.source.interrupted(py) {
                if let Some(e) = self.source.take_error() {
                    return Err(self.fail(py, e));
                }
            }
        }
        Ok(!self.chunk.is_empty())
    }

    /// Runs one core call on the chunk and counts what it took off the front.
    fn step<R>(&mut self, f: impl FnOnce(&mut Vec<Py<PyAny>>) -> R) -> R {
        let before = self.chunk.len();
        let result = f(&mut self.chunk);
        self.sent += before - self.chunk.len();
        result
    }

    /// `err` with this batch's progress on it (`sent`, and `unsent` for an iterator), and the
    /// reading error, if any, as its context.
    fn fail(&mut self, py: Python<'_>, err: PyErr) -> PyErr {
        let unsent = if self.source.keeps_unsent() {
            Vec::new()
        } else {
            std::mem::take(&mut self.chunk)
        };
        let err = with_progress(py, err, self.sent, unsent);
        if let Some(reading) = self.source.take_error() {
            err.set_context(py, Some(reading));
        }
        err
    }

    /// The end of a batch whose every read item went in: the count, or the reading error.
    fn finish(mut self) -> PyResult<usize> {
        match self.source.take_error() {
            Some(e) => Err(e),
            None => Ok(self.sent),
        }
    }
}

impl PySender {
    pub(crate) fn new(tx: Tx) -> Self {
        let capacity = tx.capacity();
        PySender {
            tx: Mutex::new(Some(Arc::new(tx))),
            capacity,
        }
    }

    fn handle(&self) -> Option<Arc<Tx>> {
        self.tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn handle_or_closed(&self, py: Python<'_>) -> PyResult<Arc<Tx>> {
        self.handle().ok_or_else(|| error(py, Kind::Closed))
    }

    /// The most items a batch reads ahead of the channel.
    fn chunk_len(&self) -> usize {
        self.capacity.min(CHUNK)
    }

    /// Waits in GIL-released slices; `timeout_kind` is raised when the deadline passes.
    fn send_blocking(
        &self,
        py: Python<'_>,
        obj: Py<PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
        timeout_kind: Kind,
    ) -> PyResult<()> {
        let dl = deadline(timeout)?;
        let tx = self.handle_or_closed(py)?;
        let mut msg = match tx.try_send(obj) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Full(m)) => m,
            Err(_) => return Err(error(py, Kind::Closed)),
        };
        loop {
            if expired(dl) {
                return Err(error(py, timeout_kind));
            }
            let end = slice_end(dl);
            // The message travels into the detached closure and comes back on timeout, so it
            // is always released while attached.
            match py.detach(|| tx.send_deadline(msg, end)) {
                Ok(()) => return Ok(()),
                Err(SendTimeoutError::Timeout(m)) => msg = m,
                Err(_) => return Err(error(py, Kind::Closed)),
            }
            check_interrupts(py)?;
        }
    }

    /// `send_batch`: each chunk goes to the core's `send_batch_deadline` in GIL-released
    /// slices; signals are checked between slices.
    fn send_batch_blocking(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        dl: Option<Instant>,
    ) -> PyResult<usize> {
        let mut batch = Progress::new(Source::new(items)?);
        let Some(tx) = self.handle() else {
            return Err(batch.fail(py, error(py, Kind::Closed)));
        };
        while batch.refill(py, self.chunk_len())? {
            // Without releasing the GIL while there is room.
            match batch.step(|chunk| tx.try_send_batch(chunk)) {
                Ok(_) => continue,
                Err(TrySendError::Full(())) => {}
                Err(_) => return Err(batch.fail(py, error(py, Kind::Closed))),
            }
            if expired(dl) {
                return Err(batch.fail(py, error(py, Kind::Timeout)));
            }
            let end = slice_end(dl);
            match batch.step(|chunk| py.detach(|| tx.send_batch_deadline(chunk, end))) {
                Ok(_) | Err(SendTimeoutError::Timeout(())) => {}
                Err(_) => return Err(batch.fail(py, error(py, Kind::Closed))),
            }
            if let Err(e) = check_interrupts(py) {
                return Err(batch.fail(py, e));
            }
        }
        batch.finish()
    }

    /// `try_send_batch`: the longest prefix that fits now. An iterator is read only as far as
    /// there is room (a snapshot of the free slots), so that it is not read past what can go in.
    fn try_send_batch_now(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<usize> {
        let mut batch = Progress::new(Source::new(items)?);
        let Some(tx) = self.handle() else {
            return Err(batch.fail(py, error(py, Kind::Closed)));
        };
        loop {
            let room = if batch.source.keeps_unsent() {
                self.capacity
            } else {
                self.capacity.saturating_sub(tx.len())
            };
            if room == 0 || !batch.refill(py, room.min(CHUNK))? {
                break;
            }
            match batch.step(|chunk| tx.try_send_batch(chunk)) {
                Ok(_) if batch.chunk.is_empty() => {}
                // The rest did not fit.
                Ok(_) | Err(TrySendError::Full(())) => break,
                Err(_) => return Err(batch.fail(py, error(py, Kind::Closed))),
            }
        }
        let stopped_short = !batch.source.ended() || !batch.chunk.is_empty();
        let iterator_left_items = !batch.source.keeps_unsent() && !batch.chunk.is_empty();
        if (stopped_short && batch.sent == 0) || iterator_left_items {
            return Err(batch.fail(py, error(py, Kind::Full)));
        }
        batch.finish()
    }
}

#[pymethods]
impl PySender {
    /// Send `obj`, waiting while the channel is full.
    ///
    /// `timeout` is in seconds; `None` (the default) waits forever, as in the stdlib.
    /// Raises `Closed` if the channel is closed (nothing enqueued), `Timeout` when the timeout
    /// passes (nothing enqueued). The wait releases the GIL and Ctrl-C interrupts it.
    #[pyo3(signature = (obj, timeout=None))]
    fn send(
        &self,
        py: Python<'_>,
        obj: Py<PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        no_panic(|| self.send_blocking(py, obj, timeout, Kind::Timeout))
    }

    /// Send `obj` only if there is room now; never waits.
    ///
    /// Raises `Full` (nothing enqueued) or `Closed`.
    fn try_send(&self, py: Python<'_>, obj: Py<PyAny>) -> PyResult<()> {
        no_panic(|| {
            let tx = self.handle_or_closed(py)?;
            match tx.try_send(obj) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_)) => Err(error(py, Kind::Full)),
                Err(_) => Err(error(py, Kind::Closed)),
            }
        })
    }

    /// Send every item of `items` in order, waiting for room as needed; returns how many
    /// were sent (all of them, unless an exception is raised).
    ///
    /// `items` is read as it is sent, in chunks of at most the capacity, so any length works
    /// (`range(10**12)` waits for a consumer; it never allocates for 10**12 items). Each chunk
    /// goes in as long prefixes (one atomic claim per prefix). On `Closed`, `Timeout` or
    /// `KeyboardInterrupt` the exception's `sent` attribute says how many items went in (a
    /// prefix of `items`) and `unsent` lists the items read from an iterator that did not go
    /// in (a list, tuple or range is read by index and keeps them: `items[sent:]`). If
    /// iterating `items` raises, what it yielded before is sent, then that exception propagates.
    #[pyo3(signature = (items, timeout=None))]
    fn send_batch(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        no_panic(|| {
            let dl = deadline(timeout)?;
            self.send_batch_blocking(py, items, dl)
        })
    }

    /// Send the longest prefix of `items` that fits now; never waits. Returns how many
    /// were sent (0 only for an empty `items`). Raises `Full` if none fit, or `Closed`.
    ///
    /// A list, tuple or range is read by index (the rest stays in it: `items[n:]`); any other
    /// iterable is read only as far as there is room. Should another producer take that room
    /// first, the items read that did not fit are on the `Full` raised, as `unsent` (with
    /// `sent`, how many went in).
    fn try_send_batch(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<usize> {
        no_panic(|| self.try_send_batch_now(py, items))
    }

    /// Send `obj` from a coroutine: `await tx.send_async(obj)`; waits while full without
    /// blocking the event loop. Raises `Closed`.
    ///
    /// Cancel safety: if the awaiting task is cancelled (or `asyncio.wait_for` times out),
    /// `obj` was not enqueued, unless the send had already completed.
    async fn send_async(&self, obj: Py<PyAny>) -> PyResult<()> {
        let tx = self.handle().ok_or_else(|| error_attached(Kind::Closed))?;
        no_panic_async(async move {
            let result = tx.send_async(obj).await;
            result.map_err(|e| {
                Python::attach(|py| {
                    drop(e);
                    error(py, Kind::Closed)
                })
            })
        })
        .await
    }

    /// Send every item of `items` from a coroutine: `n = await tx.send_batch_async(items)`;
    /// waits for room without blocking the event loop. Returns how many were sent (all).
    ///
    /// `items` is read as `send_batch` reads it. Raises `Closed` with `sent` and `unsent`.
    ///
    /// Cancel safety: a prefix may have gone in before the task was cancelled; the
    /// `CancelledError` then carries `sent` and `unsent` as `Closed` does (nothing is lost or
    /// sent twice). (`asyncio.wait_for` replaces it with a `TimeoutError` without them.)
    async fn send_batch_async(
        &self,
        items: Py<PyAny>,
        #[pyo3(cancel_handle)] mut cancel: CancelHandle,
    ) -> PyResult<usize> {
        let tx = self.handle();
        let want = self.chunk_len();
        no_panic_async(async move {
            let source = Python::attach(|py| Source::new(items.bind(py)))?;
            let mut batch = Progress::new(source);
            let Some(tx) = tx else {
                return Err(Python::attach(|py| batch.fail(py, error(py, Kind::Closed))));
            };
            while Python::attach(|py| batch.refill(py, want))? {
                let before = batch.chunk.len();
                let outcome = {
                    let mut send = pin!(tx.send_batch_async(&mut batch.chunk));
                    poll_fn(|cx| match cancel.poll_cancelled(cx) {
                        Poll::Ready(thrown) => Poll::Ready(Err(thrown)),
                        Poll::Pending => send.as_mut().poll(cx).map(Ok),
                    })
                    .await
                };
                batch.sent += before - batch.chunk.len();
                match outcome {
                    Ok(Ok(_)) => {}
                    Ok(Err(_closed)) => {
                        return Err(Python::attach(|py| batch.fail(py, error(py, Kind::Closed))))
                    }
                    Err(thrown) => {
                        return Err(Python::attach(|py| {
                            batch.fail(py, PyErr::from_value(thrown.into_bound(py)))
                        }))
                    }
                }
            }
            batch.finish()
        })
        .await
    }

    /// Close the channel for everyone. Queued messages can still be received; then receives
    /// raise `Closed`. Waiting senders and receivers wake. Returns True if this call closed it.
    fn close(&self) -> bool {
        self.handle().is_some_and(|tx| tx.close())
    }

    /// A new Sender on the same channel.
    fn clone(&self, py: Python<'_>) -> PyResult<PySender> {
        no_panic(|| {
            let tx = self.handle_or_closed(py)?;
            Ok(PySender::new((*tx).clone()))
        })
    }

    fn __copy__(&self, py: Python<'_>) -> PyResult<PySender> {
        self.clone(py)
    }

    /// The capacity given to `channel()`.
    #[getter]
    fn capacity(&self) -> usize {
        self.capacity
    }

    /// True once the channel is closed (or this Sender was released).
    #[getter]
    fn closed(&self) -> bool {
        self.handle().is_none_or(|tx| tx.is_closed())
    }

    fn __len__(&self) -> usize {
        self.handle().map_or(0, |tx| tx.len())
    }

    /// Always True (a Sender is not falsy when the channel is empty).
    fn __bool__(&self) -> bool {
        true
    }

    /// `queue.Queue.put`: with `block=False`, as `try_send`; else as `send(obj, timeout)`,
    /// raising `Full` (not `Timeout`) when the timeout passes, as the stdlib does.
    #[pyo3(signature = (item, block=true, timeout=None))]
    fn put(
        &self,
        py: Python<'_>,
        item: Py<PyAny>,
        block: bool,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        if block {
            no_panic(|| self.send_blocking(py, item, timeout, Kind::Full))
        } else {
            self.try_send(py, item)
        }
    }

    /// `queue.Queue.put_nowait`: same as `try_send`.
    fn put_nowait(&self, py: Python<'_>, item: Py<PyAny>) -> PyResult<()> {
        self.try_send(py, item)
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

    /// Leaving a `with` block releases this Sender (as if garbage-collected): when the last
    /// Sender is released the receiver sees end of stream after draining.
    fn __exit__(
        &self,
        exc_type: Option<&Bound<'_, PyType>>,
        exc: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        let _ = (exc_type, exc, tb);
        let tx = self
            .tx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(tx);
        false
    }

    fn __repr__(&self) -> String {
        match self.handle() {
            Some(tx) => format!(
                "<funnelq.Sender len={} capacity={} closed={}>",
                tx.len(),
                self.capacity,
                if tx.is_closed() { "True" } else { "False" }
            ),
            None => format!("<funnelq.Sender capacity={} released>", self.capacity),
        }
    }
}
