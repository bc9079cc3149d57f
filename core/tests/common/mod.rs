//! A minimal executor for tests: no runtime dependency, like the crate.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on this thread, parking between polls.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

/// Counts its wake-ups.
#[derive(Clone)]
pub struct CountingWaker {
    count: Arc<AtomicUsize>,
    waker: Waker,
}

struct Counter(Arc<AtomicUsize>);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    pub fn new() -> Self {
        let count = Arc::new(AtomicUsize::new(0));
        let waker = Waker::from(Arc::new(Counter(count.clone())));
        CountingWaker { count, waker }
    }

    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// Polls once with the given waker.
pub fn poll_once<F: Future>(fut: Pin<&mut F>, waker: &CountingWaker) -> Poll<F::Output> {
    let mut cx = Context::from_waker(&waker.waker);
    fut.poll(&mut cx)
}
