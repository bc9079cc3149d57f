//! Limits this binding documents (S14, S22); SEMANTICS.md allows a lower
//! capacity ceiling than the core's.

pub use funnelq_binding::limits::MAX_BATCH;

/// Largest capacity `channel()` accepts. Lower than the core's `MAX_CAPACITY`
/// because every slot lives in a wasm memory capped at 1 GiB.
pub const MAX_CAPACITY: usize = 1 << 20;

/// Largest message, in bytes (a string counts its UTF-8 length).
pub const MAX_MESSAGE_BYTES: usize = 1 << 26;

/// Checks a capacity the way `channel()` does.
///
/// # Errors
///
/// A message naming the bound, e.g. `"capacity 0 is out of range 1..=1048576"`.
///
/// ```
/// assert_eq!(funnelq_wasm::limits::check_capacity(8.0), Ok(8));
/// assert!(funnelq_wasm::limits::check_capacity(0.5).is_err());
/// ```
pub fn check_capacity(capacity: f64) -> Result<usize, String> {
    funnelq_binding::limits::count_f64("capacity", capacity, 1..=MAX_CAPACITY)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s14_bad_capacity() {
        assert_eq!(check_capacity(1.0), Ok(1));
        assert_eq!(check_capacity(MAX_CAPACITY as f64), Ok(MAX_CAPACITY));
        assert_eq!(
            check_capacity(0.0).unwrap_err(),
            "capacity 0 is out of range 1..=1048576"
        );
        assert!(check_capacity(1.5).is_err());
        assert!(check_capacity(-3.0).is_err());
        assert!(check_capacity(f64::NAN).is_err());
        assert!(check_capacity(f64::INFINITY).is_err());
        assert!(check_capacity((MAX_CAPACITY + 1) as f64).is_err());
    }
}
