//! The position words: `index | CLOSED mark | lap`.
//!
//! A position names a slot (`index`, `0..cap`) and how many times the ring
//! has wrapped (`lap`, counted in units of `one_lap`). Between them sits one
//! bit, `mark`, used only in the `tail` word: it means "closed". Because
//! producers claim by CAS on that same word, a send either claimed before
//! `close()` set the mark (and will be delivered) or sees the mark and fails
//! (S08): the decision is the modification order of one atomic word.
//!
//! `mark = (cap + 1).next_power_of_two()`, `one_lap = 2 * mark`: exact
//! capacities need no rounding, as in crossbeam's array flavour.

use crate::loom::Pos;

/// The largest capacity a channel accepts on this target.
///
/// `1 << 30` where the target has 64-bit atomics (x86_64, aarch64, wasm32);
/// `1 << 24` elsewhere, so that 32-bit position words keep at least 64 laps
/// of ABA margin.
///
/// ```
/// assert!(funnelq::MAX_CAPACITY >= 1 << 24);
/// ```
#[cfg(any(loom, target_has_atomic = "64"))]
pub const MAX_CAPACITY: usize = 1 << 30;
/// The largest capacity a channel accepts on this target.
///
/// `1 << 30` where the target has 64-bit atomics (x86_64, aarch64, wasm32);
/// `1 << 24` elsewhere, so that 32-bit position words keep at least 64 laps
/// of ABA margin.
///
/// ```
/// assert!(funnelq::MAX_CAPACITY >= 1 << 16);
/// ```
#[cfg(all(not(loom), not(target_has_atomic = "64")))]
pub const MAX_CAPACITY: usize = 1 << 24;

/// How positions of one ring are laid out; fixed at construction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    cap: Pos,
    mark: Pos,
    one_lap: Pos,
}

impl Layout {
    /// `cap` must already be validated to `1..=MAX_CAPACITY`.
    pub(crate) const fn new(cap: usize) -> Self {
        let cap = cap as Pos;
        let mark = (cap + 1).next_power_of_two();
        Layout {
            cap,
            mark,
            one_lap: mark * 2,
        }
    }

    pub(crate) const fn capacity(self) -> usize {
        self.cap as usize
    }

    /// The stamp one lap after `pos`: what the consumer writes to free a slot.
    #[inline]
    pub(crate) const fn next_lap(self, pos: Pos) -> Pos {
        pos.wrapping_add(self.one_lap)
    }

    #[inline]
    pub(crate) const fn index(self, pos: Pos) -> usize {
        (pos & (self.mark - 1)) as usize
    }

    #[inline]
    pub(crate) const fn is_closed(self, tail: Pos) -> bool {
        tail & self.mark != 0
    }

    #[inline]
    pub(crate) const fn mark(self) -> Pos {
        self.mark
    }

    #[inline]
    pub(crate) const fn unmarked(self, tail: Pos) -> Pos {
        tail & !self.mark
    }

    /// The position `k` steps after the unmarked `pos`, `k <= cap`.
    #[inline]
    pub(crate) const fn advance(self, pos: Pos, k: usize) -> Pos {
        let k = k as Pos;
        let index = pos & (self.mark - 1);
        if index + k < self.cap {
            pos + k
        } else {
            let lap = pos & !(self.one_lap - 1);
            lap.wrapping_add(self.one_lap) | (index + k - self.cap)
        }
    }

    /// How many positions lie from `head` up to `tail` (both unmarked).
    /// Callers clamp: a snapshot can run one slot past `cap` while the
    /// consumer is between freeing a slot and publishing its new head.
    #[inline]
    pub(crate) const fn distance(self, head: Pos, tail: Pos) -> usize {
        let laps =
            (tail & !(self.one_lap - 1)).wrapping_sub(head & !(self.one_lap - 1)) / self.one_lap;
        let linear = laps
            .wrapping_mul(self.cap)
            .wrapping_add(tail & (self.mark - 1))
            .wrapping_sub(head & (self.mark - 1));
        linear as usize
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn advance_and_distance_agree_for_odd_capacities() {
        for cap in [1usize, 2, 3, 5, 7, 16, 17] {
            let l = Layout::new(cap);
            let mut pos: Pos = 0;
            for step in 0..(cap * 5) {
                let next = l.advance(pos, 1);
                assert_eq!(l.distance(pos, next), 1, "cap {cap} step {step}");
                for k in 0..=cap {
                    assert_eq!(l.distance(pos, l.advance(pos, k)), k);
                }
                assert!(l.index(next) < cap);
                assert!(!l.is_closed(next));
                pos = next;
            }
        }
    }
}
