//! One-shot triggers that end a pending Promise's wait: an `AbortSignal`'s `abort`
//! event (S16) and the teardown of the environment that would settle the Promise (a
//! worker terminated, S21). A waiting future races its operation against them (see
//! [`race`] for who wins a tie); a lost race drops the operation, which the core makes
//! cancel-safe (nothing enqueued, nothing taken).

use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// A flag that is fired once and wakes every future watching it.
#[derive(Default)]
pub struct Trigger {
    fired: AtomicBool,
    watchers: Mutex<Watchers>,
}

#[derive(Default)]
struct Watchers {
    next: u64,
    wakers: BTreeMap<u64, Waker>,
}

impl Trigger {
    /// Fires (idempotent) and wakes every watcher.
    pub fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(
            &mut self
                .watchers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .wakers,
        );
        for (_, w) in wakers {
            w.wake();
        }
    }

    /// Whether it has fired.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Register, then re-check: a `fire` between the two finds the waker.
    fn poll_fired(&self, slot: &mut Option<u64>, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired() {
            return Poll::Ready(());
        }
        {
            let mut w = self.watchers.lock().unwrap_or_else(PoisonError::into_inner);
            let key = *slot.get_or_insert_with(|| {
                w.next += 1;
                w.next
            });
            w.wakers.insert(key, cx.waker().clone());
        }
        if self.fired() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn forget(&self, slot: Option<u64>) {
        if let Some(key) = slot {
            self.watchers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .wakers
                .remove(&key);
        }
    }
}

/// How a raced operation ended.
pub enum Outcome<T> {
    /// The operation completed (its own success or failure).
    Done(T),
    /// The `AbortSignal` fired first.
    Aborted,
    /// The environment that would see the outcome is being torn down.
    EnvGone,
}

/// A registration on a trigger, withdrawn when the race ends either way (a completed
/// call leaves no waker behind on a long-lived trigger).
struct Watch<'a> {
    trigger: &'a Trigger,
    key: Option<u64>,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        self.trigger.forget(self.key);
    }
}

/// Runs `fut` until it completes, `abort` fires or `env` fires, whichever is first, and
/// drops `fut` when a trigger wins. The environment's teardown is checked before `fut`:
/// once a worker is going, none of its pending calls sends or takes anything more (a
/// later call in its lane must not go in after an earlier one was cancelled). An abort
/// is checked after `fut`: an outcome that is ready wins over a late abort.
pub async fn race<T>(
    fut: impl Future<Output = T>,
    abort: Option<Arc<Trigger>>,
    env: Arc<Trigger>,
) -> Outcome<T> {
    let mut fut = pin!(fut);
    let mut env_watch = Watch {
        trigger: &env,
        key: None,
    };
    let mut abort_watch = abort.as_deref().map(|trigger| Watch { trigger, key: None });
    poll_fn(|cx| {
        // A plain load first: a call that completes at once takes no lock here.
        if env_watch.trigger.fired() {
            return Poll::Ready(Outcome::EnvGone);
        }
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Outcome::Done(out));
        }
        if env_watch
            .trigger
            .poll_fired(&mut env_watch.key, cx)
            .is_ready()
        {
            return Poll::Ready(Outcome::EnvGone);
        }
        match abort_watch.as_mut() {
            Some(w) => w
                .trigger
                .poll_fired(&mut w.key, cx)
                .map(|()| Outcome::Aborted),
            None => Poll::Pending,
        }
    })
    .await
}
