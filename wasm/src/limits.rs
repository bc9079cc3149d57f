//! Limits this binding documents (SEMANTICS.md allows a lower capacity ceiling).

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
pub fn check_capacity(capacity: f64) -> Result<usize, String> {
    if capacity.fract() != 0.0 || !(1.0..=MAX_CAPACITY as f64).contains(&capacity) {
        return Err(format!(
            "capacity {capacity} is out of range 1..={MAX_CAPACITY}"
        ));
    }
    // The range check above makes this cast exact.
    Ok(capacity as usize)
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
