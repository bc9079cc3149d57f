//! Reading a batch from Python as it is sent, never all at once (S18, S22).
//!
//! `send_batch(range(10**12))` must not allocate for 10**12 items, nor a generator of a
//! billion items be materialised. So a batch is read in chunks of at most [`CHUNK`] items
//! (and at most the channel's capacity), each chunk handed to the core's batch send before
//! the next is read: the memory a batch send holds is bounded by the capacity, whatever the
//! caller passes.
//!
//! - A `list`, `tuple` or `range` is read by index: items that were not sent stay where they
//!   are, and `items[sent:]` is what remains.
//! - Any other iterable is read through its iterator. A Python iterator cannot give an item
//!   back, so items read but not sent when the call stops (timeout, close, Ctrl-C, a
//!   cancelled `send_batch_async`, or a try form finding the room taken) are handed to the
//!   caller on the exception as `unsent`, in order; the iterator goes on after them.
//! - If reading raises an `Exception` (a generator's own error), the items read before it
//!   are sent first, then that exception propagates, unchanged. A `BaseException` that is not
//!   an `Exception` (`KeyboardInterrupt` raised while the generator ran, `SystemExit`) stops
//!   the batch at once, with its progress on it, as an interrupt between slices does.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyIterator, PyList, PyRange, PyTuple};

/// The most items read ahead of the channel at once.
pub(crate) const CHUNK: usize = 4096;

enum Input {
    /// Read by index; a list's length is read again for every item (it may shrink).
    List(Py<PyList>),
    Tuple(Py<PyTuple>, usize),
    /// A range that `len()` can measure (`range(2**70)` cannot, and is iterated).
    Range(Py<PyRange>, usize),
    Iter(Py<PyIterator>),
}

/// A batch being read.
pub(crate) struct Source {
    input: Input,
    /// The next index, for the indexed inputs.
    next: usize,
    ended: bool,
    /// What reading raised; reported once what was read has been sent.
    error: Option<PyErr>,
}

impl Source {
    /// Starts reading `items`; `TypeError` if it is not iterable. Reads nothing yet.
    pub(crate) fn new(items: &Bound<'_, PyAny>) -> PyResult<Source> {
        let input = if let Ok(list) = items.cast_exact::<PyList>() {
            Input::List(list.clone().unbind())
        } else if let Ok(tuple) = items.cast_exact::<PyTuple>() {
            Input::Tuple(tuple.clone().unbind(), tuple.len())
        } else if let Some((range, len)) = items
            .cast_exact::<PyRange>()
            .ok()
            .and_then(|r| Some((r.clone().unbind(), r.len().ok()?)))
        {
            Input::Range(range, len)
        } else {
            Input::Iter(items.try_iter()?.unbind())
        };
        Ok(Source {
            input,
            next: 0,
            ended: false,
            error: None,
        })
    }

    /// True when unsent items stay in the caller's sequence (read by index), so none need
    /// handing back.
    pub(crate) fn keeps_unsent(&self) -> bool {
        !matches!(self.input, Input::Iter(_))
    }

    /// True once every item has been read (or reading raised).
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// What reading raised, if it did.
    pub(crate) fn take_error(&mut self) -> Option<PyErr> {
        self.error.take()
    }

    /// True if reading raised something that must stop the batch now, rather than after
    /// what was read has gone in: a `BaseException` that is not an `Exception`.
    pub(crate) fn interrupted(&self, py: Python<'_>) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| !e.is_instance_of::<PyException>(py))
    }

    /// Appends up to `want` further items to `buf`. At the end of the input, or when reading
    /// raises, [`Source::ended`] becomes true (the error is kept for [`Source::take_error`]).
    pub(crate) fn fill(&mut self, py: Python<'_>, buf: &mut Vec<Py<PyAny>>, want: usize) {
        for _ in 0..want {
            match self.read_one(py) {
                Ok(Some(item)) => buf.push(item),
                Ok(None) => {
                    self.ended = true;
                    return;
                }
                Err(e) => {
                    self.ended = true;
                    self.error = Some(e);
                    return;
                }
            }
        }
    }

    fn read_one(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.ended {
            return Ok(None);
        }
        let i = self.next;
        // `i < len <= isize::MAX`, so `i + 1` cannot overflow.
        let item = match &self.input {
            Input::List(list) => {
                let list = list.bind(py);
                if i >= list.len() {
                    return Ok(None);
                }
                self.next = i + 1;
                list.get_item(i)?
            }
            Input::Tuple(tuple, len) => {
                if i >= *len {
                    return Ok(None);
                }
                self.next = i + 1;
                tuple.bind(py).get_item(i)?
            }
            Input::Range(range, len) => {
                if i >= *len {
                    return Ok(None);
                }
                self.next = i + 1;
                range.bind(py).as_any().get_item(i)?
            }
            Input::Iter(it) => match it.bind(py).clone().next() {
                Some(item) => item?,
                None => return Ok(None),
            },
        };
        Ok(Some(item.unbind()))
    }
}
