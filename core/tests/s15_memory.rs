//! S15: memory is bounded by the capacity. Counts every allocation made by
//! this test binary while a channel is used hard: none may happen after the
//! channel exists, whether senders wait, fill, drain or give up.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Waker};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn s15_no_allocation_per_message_or_per_waiting_send() {
    let (tx, mut rx) = funnelq::channel::<u64>(16);
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let before = ALLOCATIONS.load(Ordering::SeqCst);

    for round in 0..10_000u64 {
        for i in 0..16 {
            tx.try_send(round * 16 + i).unwrap();
        }
        assert!(tx.try_send(0).unwrap_err().is_full());
        // 64 senders waiting on the full channel: each waiter's record lives
        // in its own future, here on the stack.
        if round % 1000 == 0 {
            let mut futs: [_; 64] = std::array::from_fn(|i| Box::pin(tx.send_async(i as u64)));
            let boxed = ALLOCATIONS.load(Ordering::SeqCst);
            for f in futs.iter_mut() {
                assert!(f.as_mut().poll(&mut cx).is_pending());
            }
            assert_eq!(
                ALLOCATIONS.load(Ordering::SeqCst),
                boxed,
                "waiting allocated"
            );
            drop(futs);
        }
        for i in 0..16 {
            assert_eq!(rx.try_recv(), Ok(round * 16 + i));
        }
    }
    let mut buf = Vec::with_capacity(16);
    let after_vec = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..1000 {
        let mut batch: Vec<u64> = Vec::with_capacity(0);
        assert_eq!(tx.try_send_batch(&mut batch), Ok(0));
        for i in 0..16 {
            tx.try_send(i).unwrap();
        }
        buf.clear();
        assert_eq!(rx.try_recv_batch(&mut buf, 16), Ok(16));
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::SeqCst),
        after_vec,
        "batches allocated"
    );
    // Only the 10 arrays of boxed futures allocated (64 boxes each).
    let during = after_vec - before;
    assert!(during <= 10 * 64 + 1, "{during} allocations while running");
}
