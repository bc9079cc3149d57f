//! `liveHandles()`: how many binding handles (JS senders and receivers, tokens waiting
//! to be redeemed) are alive in the process, for leak tests.

use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Counts one live binding handle while it exists.
#[derive(Debug)]
pub struct Live(());

impl Live {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Default for Live {
    fn default() -> Self {
        // ORDERING: a statistics counter; nothing is published through it.
        LIVE.fetch_add(1, Ordering::Relaxed);
        Live(())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        // ORDERING: as in `Live::new`.
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The number of [`Live`] values now.
pub fn count() -> usize {
    // ORDERING: a snapshot of a statistics counter.
    LIVE.load(Ordering::Relaxed)
}
