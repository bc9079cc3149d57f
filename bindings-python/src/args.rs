//! Checking the caller's numbers before anything is allocated (S14, S22).
//!
//! Every count and duration that comes from Python goes through one of these functions, so
//! that a hostile value (`2**70`, `-1`, `True`, `nan`, `"8"`) is a `ValueError` or `TypeError`
//! that names the value and the bound, never an `OverflowError`, a panic or an allocation.

use std::time::{Duration, Instant};

use funnelq_binding::limits;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt};

pub(crate) use funnelq_binding::limits::MAX_BATCH;

static OPERATOR_INDEX: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `obj` as an exact int: an `int` itself or anything with `__index__` (as `range()` takes),
/// but not a `bool`. `TypeError` otherwise.
fn as_int<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyInt>> {
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an int, not bool"
        )));
    }
    if let Ok(int) = obj.cast::<PyInt>() {
        return Ok(int.clone());
    }
    let py = obj.py();
    let index = OPERATOR_INDEX.get_or_try_init(py, || {
        py.import("operator")?.getattr("index").map(Bound::unbind)
    })?;
    match index.bind(py).call1((obj,)) {
        Ok(int) => Ok(int.cast_into::<PyInt>()?),
        // No `__index__`, or one that returned a non-int. What an `__index__` of the
        // caller's own raises is the caller's, and propagates as it is.
        Err(e) if e.is_instance_of::<PyTypeError>(py) => Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            obj.get_type().name()?
        ))),
        Err(e) => Err(e),
    }
}

/// An int argument in `1..=max_value`: `TypeError` if it is not an int, `ValueError` naming
/// the value and the range otherwise (the bindings' one wording, `funnelq_binding::limits`).
pub(crate) fn count(obj: &Bound<'_, PyAny>, what: &str, max_value: usize) -> PyResult<usize> {
    let int = as_int(obj, what)?;
    let value = match int.extract::<i128>() {
        Ok(v) => v,
        // Beyond i128 (10**100 has no place in a count): shown by its size.
        Err(_) => {
            let negative = int.lt(0)?;
            let bits: u64 = int.call_method0("bit_length")?.extract()?;
            return Err(PyValueError::new_err(format!(
                "{what} of {bits} bits{} is out of range 1..={max_value}",
                if negative { ", negative," } else { "" },
            )));
        }
    };
    limits::count(what, value, 1..=max_value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A timeout in seconds as the stdlib reads it: `None` waits forever; an int or float (or
/// anything with `__float__`) of at least 0; `inf`, or a number too large for a deadline,
/// waits forever. `ValueError` for a negative number or NaN, `TypeError` for a non-number.
/// Returns the deadline (`None`: no deadline).
pub(crate) fn deadline(timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Instant>> {
    let Some(obj) = timeout.filter(|t| !t.is_none()) else {
        return Ok(None);
    };
    let py = obj.py();
    let secs = match obj.extract::<f64>() {
        Ok(secs) => secs,
        // An int beyond f64 (10**400): forever if positive, else negative.
        Err(e) if obj.is_instance_of::<PyInt>() && e.is_instance_of::<PyOverflowError>(py) => {
            if obj.lt(0)? {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        Err(e) if e.is_instance_of::<PyTypeError>(py) => {
            return Err(PyTypeError::new_err(format!(
                "timeout must be a number or None, not {}",
                obj.get_type().name()?
            )))
        }
        // What a `__float__` of the caller's own raises propagates as it is.
        Err(e) => return Err(e),
    };
    if secs.is_nan() || secs < 0.0 {
        let shown = if secs == f64::NEG_INFINITY && obj.is_instance_of::<PyInt>() {
            "below -1e308".to_owned()
        } else {
            secs.to_string()
        };
        return Err(PyValueError::new_err(format!(
            "timeout {shown} is out of range: a number of seconds >= 0, or None"
        )));
    }
    Ok(Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|d| Instant::now().checked_add(d)))
}
