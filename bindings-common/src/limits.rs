//! Hostile sizes (S22): the bounds every caller-supplied length, count and
//! size is checked against before anything is allocated or copied, and the
//! one wording of the error, whatever the host's exception type.
//!
//! ```
//! use funnelq_binding::limits::{self, MAX_BATCH};
//!
//! assert_eq!(limits::batch_len(10), Ok(10));
//! let err = limits::batch_len(1_000_000_000).unwrap_err();
//! assert_eq!(err.to_string(), "batch of 1000000000 items is over the limit of 1048576");
//! assert_eq!(limits::count_f64("max", 0.0, 1..=MAX_BATCH).unwrap_err().to_string(),
//!            "max 0 is out of range 1..=1048576");
//! ```

use std::fmt;
use std::ops::RangeInclusive;

/// The most items one batch call takes (`send_batch` length, `recv_batch`
/// `max`). A larger batch is refused before anything is read or allocated;
/// send it in several calls.
pub const MAX_BATCH: usize = 1 << 20;

/// A caller-supplied number out of its documented range. Hosts map it to
/// their range error (`ValueError`, `RangeError`, `FUNNELQ_INVALID`,
/// `ErrInvalid`); its text names the value and the bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    text: String,
}

impl LimitError {
    /// An error with this exact text (lower-case, naming value and bound).
    ///
    /// ```
    /// let e = funnelq_binding::limits::LimitError::new("message of 9 bytes is over the limit of 8");
    /// assert_eq!(e.to_string(), "message of 9 bytes is over the limit of 8");
    /// ```
    pub fn new(text: impl Into<String>) -> Self {
        LimitError { text: text.into() }
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for LimitError {}

fn out_of_range(what: &str, value: impl fmt::Display, range: &RangeInclusive<usize>) -> LimitError {
    LimitError::new(format!(
        "{what} {value} is out of range {}..={}",
        range.start(),
        range.end()
    ))
}

/// Checks a batch length (items to send) against [`MAX_BATCH`].
///
/// # Errors
///
/// [`LimitError`] over the limit.
///
/// ```
/// assert!(funnelq_binding::limits::batch_len(0).is_ok());
/// assert!(funnelq_binding::limits::batch_len(usize::MAX).is_err());
/// ```
pub fn batch_len(len: usize) -> Result<usize, LimitError> {
    if len > MAX_BATCH {
        return Err(LimitError::new(format!(
            "batch of {len} items is over the limit of {MAX_BATCH}"
        )));
    }
    Ok(len)
}

/// Checks a message size in bytes against a binding's limit.
///
/// # Errors
///
/// [`LimitError`] over the limit.
///
/// ```
/// assert_eq!(funnelq_binding::limits::message_bytes(8, 8), Ok(8));
/// assert!(funnelq_binding::limits::message_bytes(9, 8).is_err());
/// ```
pub fn message_bytes(len: usize, limit: usize) -> Result<usize, LimitError> {
    if len > limit {
        return Err(LimitError::new(format!(
            "message of {len} bytes is over the limit of {limit}"
        )));
    }
    Ok(len)
}

/// Checks an integer count from a host that has big integers (Python),
/// passed widened to `i128` (a binding that cannot widen passes
/// `i128::MAX` for "larger than that").
///
/// # Errors
///
/// [`LimitError`] naming `what`, the value and the range.
///
/// ```
/// use funnelq_binding::limits::count;
/// assert_eq!(count("capacity", 4, 1..=8), Ok(4));
/// assert_eq!(count("capacity", -1, 1..=8).unwrap_err().to_string(), "capacity -1 is out of range 1..=8");
/// ```
pub fn count(what: &str, value: i128, range: RangeInclusive<usize>) -> Result<usize, LimitError> {
    match usize::try_from(value) {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(out_of_range(what, value, &range)),
    }
}

/// Checks a count that arrives as a JS number: a whole number in `range`.
///
/// # Errors
///
/// [`LimitError`] for fractions, NaN, infinities and values out of range.
///
/// ```
/// use funnelq_binding::limits::count_f64;
/// assert_eq!(count_f64("capacity", 16.0, 1..=1024), Ok(16));
/// assert!(count_f64("capacity", 1.5, 1..=1024).is_err());
/// assert!(count_f64("capacity", f64::NAN, 1..=1024).is_err());
/// ```
pub fn count_f64(
    what: &str,
    value: f64,
    range: RangeInclusive<usize>,
) -> Result<usize, LimitError> {
    // Both bounds are far below 2^53, so the comparisons and the cast are exact.
    let (lo, hi) = (*range.start() as f64, *range.end() as f64);
    if value.fract() == 0.0 && (lo..=hi).contains(&value) {
        Ok(value as usize)
    } else {
        Err(out_of_range(what, value, &range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s22_counts_out_of_range_name_value_and_bound() {
        assert_eq!(
            count("max", 1 << 70, 1..=MAX_BATCH)
                .unwrap_err()
                .to_string(),
            "max 1180591620717411303424 is out of range 1..=1048576"
        );
        assert_eq!(
            count("max", MAX_BATCH as i128, 1..=MAX_BATCH),
            Ok(MAX_BATCH)
        );
        for v in [
            -0.5,
            -1.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            2.5,
        ] {
            assert!(count_f64("max", v, 1..=MAX_BATCH).is_err(), "{v}");
        }
        assert_eq!(
            count_f64("max", 1e9, 1..=MAX_BATCH)
                .unwrap_err()
                .to_string(),
            "max 1000000000 is out of range 1..=1048576"
        );
        assert!(batch_len(MAX_BATCH).is_ok());
        assert!(batch_len(MAX_BATCH + 1).is_err());
    }
}
