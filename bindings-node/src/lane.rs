//! Per-producer order for one JS `Sender` (S03). A Promise send that finds the channel
//! full waits on the Tokio runtime; a later call on the same `Sender` must not overtake
//! it, even if a slot frees before the earlier send's task runs. Each `Sender` therefore
//! has a lane: a call that cannot complete at once takes a ticket, in call order on the
//! JS thread, and sends only when every earlier ticket is finished (sent, failed, timed
//! out, aborted or dropped). While the lane is idle — the common case — a call sends
//! directly, with one atomic load of overhead.

use std::collections::{BTreeMap, BTreeSet};
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::Fail;

/// The queue of a `Sender`'s calls that wait their turn.
#[derive(Default)]
pub struct Lane {
    /// Tickets issued and not finished. Only the `Sender`'s JS thread issues tickets, so
    /// when it reads 0 no earlier call of this `Sender` is still in flight.
    open: AtomicUsize,
    state: Mutex<State>,
    turn: Condvar,
}

#[derive(Default)]
struct State {
    next: u64,
    /// The ticket whose turn it is.
    serving: u64,
    /// Tickets after `serving` that finished early (cancelled while waiting their turn).
    finished: BTreeSet<u64>,
    /// Promise calls waiting their turn.
    wakers: BTreeMap<u64, Waker>,
}

/// A place in the lane; dropping it finishes it (whatever the call's outcome).
pub struct Ticket {
    lane: Arc<Lane>,
    id: u64,
}

impl Lane {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `true` when no earlier call of this `Sender` is in flight: the caller may send
    /// directly. Call on the `Sender`'s JS thread only.
    pub fn idle(&self) -> bool {
        // ORDERING: Acquire pairs with the Release in `finish`: the earlier calls'
        // enqueues happen before a send this caller makes next.
        self.open.load(Ordering::Acquire) == 0
    }

    /// The next place in the lane. Call on the `Sender`'s JS thread only, in call order.
    pub fn ticket(self: &Arc<Self>) -> Ticket {
        // ORDERING: only this thread increments; the lock below orders the ticket itself.
        self.open.fetch_add(1, Ordering::Relaxed);
        let mut s = self.lock();
        let id = s.next;
        s.next += 1;
        Ticket {
            lane: Arc::clone(self),
            id,
        }
    }

    fn finish(&self, id: u64) {
        {
            let mut guard = self.lock();
            let s = &mut *guard;
            s.wakers.remove(&id);
            if id == s.serving {
                s.serving += 1;
                while s.finished.remove(&s.serving) {
                    s.serving += 1;
                }
                if let Some(w) = s.wakers.remove(&s.serving) {
                    w.wake();
                }
                self.turn.notify_all();
            } else {
                s.finished.insert(id);
            }
        }
        // ORDERING: Release publishes this call's enqueue to `idle`'s Acquire.
        self.open.fetch_sub(1, Ordering::Release);
    }
}

impl Ticket {
    /// Resolves when every earlier ticket of the lane has finished.
    pub async fn turn(&self) {
        poll_fn(|cx| {
            let mut s = self.lane.lock();
            if s.serving == self.id {
                Poll::Ready(())
            } else {
                s.wakers.insert(self.id, cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    /// Blocks until every earlier ticket has finished, in slices of at most `slice`
    /// between which `keep_waiting` may end the wait (environment torn down, S21), and
    /// at most until `deadline` (`Fail::timeout`).
    pub fn wait_turn(
        &self,
        deadline: Option<Instant>,
        slice: Duration,
        keep_waiting: impl Fn() -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        let mut s = self.lane.lock();
        while s.serving != self.id {
            let now = Instant::now();
            let wait = match deadline {
                Some(d) if d <= now => return Err(Fail::timeout()),
                Some(d) => (d - now).min(slice),
                None => slice,
            };
            s = self
                .lane
                .turn
                .wait_timeout(s, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            if s.serving != self.id {
                drop(s);
                keep_waiting()?;
                s = self.lane.lock();
            }
        }
        Ok(())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.lane.finish(self.id);
    }
}
