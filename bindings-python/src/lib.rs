//! Python binding of funnelq: the native module `funnelq._funnelq`, re-exported by the
//! pure-Python package `funnelq` (see `python/funnelq/__init__.py`).
//!
//! Thin by design: messages are `Py<PyAny>` (objects by reference), every operation is one
//! call into the core's public API (or the bindings' shared `funnelq_binding` crate), and
//! waits release the GIL in short slices that check for signals. One file per exported type;
//! `errors.rs` is the one error-mapping place, `args.rs` checks every number the caller
//! passes, `batch.rs` reads a batch as it is sent.

mod args;
mod batch;
mod errors;
mod receiver;
mod sender;
mod wait;

use pyo3::prelude::*;

use receiver::PyReceiver;
use sender::PySender;

/// Make a bounded channel holding at most `capacity` Python objects.
///
/// Returns `(tx, rx)`: any number of threads or tasks may send through `tx` (and its
/// `clone()`s); one consumer receives through `rx`. `capacity` is an int in
/// 1..=MAX_CAPACITY (2**30); anything else raises ValueError (TypeError for a non-int).
/// The ring (16 bytes a slot) is allocated now: MemoryError if it cannot be.
///
///     >>> tx, rx = funnelq.channel(2)
///     >>> tx.send("a"); tx.try_send("b")
///     >>> rx.recv()
///     'a'
#[pyfunction]
fn channel(capacity: &Bound<'_, PyAny>) -> PyResult<(PySender, PyReceiver)> {
    errors::no_panic(|| {
        let cap = args::count(capacity, "capacity", funnelq::MAX_CAPACITY)?;
        match funnelq::try_channel::<Py<PyAny>>(cap) {
            Ok((tx, rx)) => Ok((PySender::new(tx), PyReceiver::new(rx))),
            Err(e) => Err(errors::capacity_error(&e)),
        }
    })
}

/// Bounded lock-free multi-producer single-consumer channel for Python objects.
///
/// `gil_used = false`: every object the module exposes is `Sync` (a lock-free core, and
/// short `Mutex` sections that never run Python code), so free-threaded CPython (3.14t with
/// pyo3 0.30) may keep the GIL off. The abi3 wheel itself serves GIL builds only.
#[pymodule(gil_used = false)]
fn _funnelq(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let e = errors::errors(py)?;
    m.add("Full", e.full.clone_ref(py))?;
    m.add("Empty", e.empty.clone_ref(py))?;
    m.add("Closed", e.closed.clone_ref(py))?;
    m.add("Timeout", e.timeout.clone_ref(py))?;
    m.add("Busy", e.busy.clone_ref(py))?;
    m.add_class::<PySender>()?;
    m.add_class::<PyReceiver>()?;
    m.add_function(wrap_pyfunction!(channel, m)?)?;
    m.add("MAX_CAPACITY", funnelq::MAX_CAPACITY)?;
    m.add("MAX_BATCH", args::MAX_BATCH)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
