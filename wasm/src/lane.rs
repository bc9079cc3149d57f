//! Per-producer order for Promise sends (S03).
//!
//! Two `send()` calls on one `Sender` that both wait (a full channel) must not
//! overtake each other: the second could take a slot that frees before the first
//! is polled again. So every Promise send of one `Sender` object takes a ticket and
//! waits its turn; a ticket whose call ended (sent, rejected, timed out, aborted)
//! lets the next one go. The try forms return "full" while a turn is pending, and
//! the blocking forms refuse with `BUSY` (they would block the very thread that has
//! to run the pending send). One object lives on one thread: no atomics needed.

use core::cell::{Cell, RefCell};
use core::future::poll_fn;
use core::task::{Poll, Waker};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The queue of one `Sender` object's Promise sends.
#[derive(Default)]
pub(crate) struct Lane {
    next: Cell<u64>,
    serving: Cell<u64>,
    /// Tickets that ended before their turn came.
    done: RefCell<BTreeSet<u64>>,
    waiting: RefCell<BTreeMap<u64, Waker>>,
}

impl Lane {
    /// No Promise send of this object is in flight.
    pub(crate) fn idle(&self) -> bool {
        self.next.get() == self.serving.get()
    }

    /// The next place in line.
    pub(crate) fn ticket(self: &Rc<Self>) -> Ticket {
        let n = self.next.get();
        self.next.set(n + 1);
        Ticket {
            lane: self.clone(),
            n,
        }
    }
}

/// A place in a [`Lane`]; dropping it lets the next one go.
pub(crate) struct Ticket {
    lane: Rc<Lane>,
    n: u64,
}

impl Ticket {
    /// Resolves when every earlier ticket has ended.
    pub(crate) async fn turn(&self) {
        poll_fn(|cx| {
            if self.lane.serving.get() == self.n {
                Poll::Ready(())
            } else {
                self.lane
                    .waiting
                    .borrow_mut()
                    .insert(self.n, cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let lane = &self.lane;
        lane.waiting.borrow_mut().remove(&self.n);
        lane.done.borrow_mut().insert(self.n);
        let mut done = lane.done.borrow_mut();
        while done.remove(&lane.serving.get()) {
            lane.serving.set(lane.serving.get() + 1);
        }
        drop(done);
        let next = lane.waiting.borrow_mut().remove(&lane.serving.get());
        if let Some(w) = next {
            w.wake();
        }
    }
}
