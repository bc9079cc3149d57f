//! `funnelq.Sender`: the sending half, any number of them, on any thread.

use std::sync::{Arc, Mutex, PoisonError};

use funnelq::{SendTimeoutError, TrySendError};
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::errors::{error, error_attached, error_sent, Kind};
use crate::wait::{deadline, expired, slice_end};

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

    /// Waits in GIL-released slices; `timeout_kind` is raised when the deadline passes.
    fn send_blocking(
        &self,
        py: Python<'_>,
        obj: Py<PyAny>,
        timeout: Option<f64>,
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
            py.check_signals()?;
        }
    }

    fn send_batch_impl(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<usize> {
        let dl = deadline(timeout)?;
        let tx = self.handle_or_closed(py)?;
        let mut batch = collect(items)?;
        let mut sent = 0;
        while !batch.is_empty() {
            match tx.try_send_batch(&mut batch) {
                Ok(n) => {
                    sent += n;
                    continue;
                }
                Err(TrySendError::Full(())) => {}
                Err(_) => return Err(error_sent(py, Kind::Closed, sent)),
            }
            // Full: wait for one slot with the first item, then go on with the batch.
            if expired(dl) {
                return Err(error_sent(py, Kind::Timeout, sent));
            }
            let end = slice_end(dl);
            let first = batch.remove(0);
            match py.detach(|| tx.send_deadline(first, end)) {
                Ok(()) => sent += 1,
                Err(SendTimeoutError::Timeout(m)) => batch.insert(0, m),
                Err(_) => return Err(error_sent(py, Kind::Closed, sent)),
            }
            py.check_signals()?;
        }
        Ok(sent)
    }
}

fn collect(items: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
    let mut batch = Vec::with_capacity(items.len().unwrap_or(0));
    for item in items.try_iter()? {
        batch.push(item?.unbind());
    }
    Ok(batch)
}

#[pymethods]
impl PySender {
    /// Send `obj`, waiting while the channel is full.
    ///
    /// `timeout` is in seconds; `None` (the default) waits forever, as in the stdlib.
    /// Raises `Closed` if the channel is closed (nothing enqueued), `Timeout` when the timeout
    /// passes (nothing enqueued). The wait releases the GIL and Ctrl-C interrupts it.
    #[pyo3(signature = (obj, timeout=None))]
    fn send(&self, py: Python<'_>, obj: Py<PyAny>, timeout: Option<f64>) -> PyResult<()> {
        self.send_blocking(py, obj, timeout, Kind::Timeout)
    }

    /// Send `obj` only if there is room now; never waits.
    ///
    /// Raises `Full` (nothing enqueued) or `Closed`.
    fn try_send(&self, py: Python<'_>, obj: Py<PyAny>) -> PyResult<()> {
        let tx = self.handle_or_closed(py)?;
        match tx.try_send(obj) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(error(py, Kind::Full)),
            Err(_) => Err(error(py, Kind::Closed)),
        }
    }

    /// Send every item of `items` in order, waiting for room as needed; returns how many
    /// were sent (all of them, unless an exception is raised).
    ///
    /// Items go in as long prefixes (one atomic claim per prefix), far cheaper than one
    /// `send` each. On `Closed` or `Timeout` the exception's `sent` attribute says how many
    /// items went in (a prefix of `items`); the rest were not enqueued.
    #[pyo3(signature = (items, timeout=None))]
    fn send_batch(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<usize> {
        self.send_batch_impl(py, items, timeout)
    }

    /// Send the longest prefix of `items` that fits now; never waits. Returns how many
    /// were sent (0 only for an empty `items`). Raises `Full` if none fit, or `Closed`.
    fn try_send_batch(&self, py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<usize> {
        let tx = self.handle_or_closed(py)?;
        let mut batch = collect(items)?;
        match tx.try_send_batch(&mut batch) {
            Ok(n) => Ok(n),
            Err(TrySendError::Full(())) => Err(error(py, Kind::Full)),
            Err(_) => Err(error(py, Kind::Closed)),
        }
    }

    /// Send `obj` from a coroutine: `await tx.send_async(obj)`; waits while full without
    /// blocking the event loop. Raises `Closed`.
    ///
    /// Cancel safety: if the awaiting task is cancelled (or `asyncio.wait_for` times out),
    /// `obj` was not enqueued, unless the send had already completed.
    async fn send_async(&self, obj: Py<PyAny>) -> PyResult<()> {
        let tx = self.handle().ok_or_else(|| error_attached(Kind::Closed))?;
        let result = tx.send_async(obj).await;
        result.map_err(|e| {
            Python::attach(|py| {
                drop(e);
                error(py, Kind::Closed)
            })
        })
    }

    /// Close the channel for everyone. Queued messages can still be received; then receives
    /// raise `Closed`. Waiting senders and receivers wake. Returns True if this call closed it.
    fn close(&self) -> bool {
        self.handle().is_some_and(|tx| tx.close())
    }

    /// A new Sender on the same channel.
    fn clone(&self, py: Python<'_>) -> PyResult<PySender> {
        let tx = self.handle_or_closed(py)?;
        Ok(PySender::new((*tx).clone()))
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
        timeout: Option<f64>,
    ) -> PyResult<()> {
        if block {
            self.send_blocking(py, item, timeout, Kind::Full)
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
