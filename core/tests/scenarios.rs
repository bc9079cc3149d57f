//! The scenarios of SEMANTICS.md that apply to the core, one test (or a few)
//! each, named by id.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{block_on, poll_once, CountingWaker};
use funnelq::{
    channel, try_channel, RecvError, RecvTimeoutError, SendTimeoutError, TryRecvError,
    TrySendError, MAX_CAPACITY,
};

/// Generous: CI has 2 cores shared with other jobs.
const SLACK: Duration = Duration::from_millis(1500);

#[test]
fn s01_capacity_exact_sends_then_full() {
    for cap in [1usize, 2, 3, 7, 16, 100] {
        let (tx, mut rx) = channel(cap);
        for i in 0..cap {
            tx.try_send(i).unwrap();
        }
        assert_eq!(tx.len(), cap);
        assert_eq!(tx.capacity(), cap);
        match tx.try_send(999) {
            Err(TrySendError::Full(999)) => {}
            other => panic!("cap {cap}: expected Full(999), got {other:?}"),
        }
        assert_eq!(rx.len(), cap, "the refused message was not enqueued");
        let got: Vec<usize> = rx.try_iter().collect();
        assert_eq!(got, (0..cap).collect::<Vec<_>>());
    }
}

#[test]
fn s02_backpressure_one_recv_frees_one_sender() {
    let (tx, mut rx) = channel(2);
    tx.send(0).unwrap();
    tx.send(1).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..3)
        .map(|i| {
            let tx = tx.clone();
            let done = done.clone();
            thread::spawn(move || {
                tx.send(10 + i).unwrap();
                done.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(done.load(Ordering::SeqCst), 0, "senders wait while full");
    assert_eq!(rx.recv(), Ok(0));
    let t = Instant::now();
    while done.load(Ordering::SeqCst) < 1 && t.elapsed() < SLACK {
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        done.load(Ordering::SeqCst),
        1,
        "exactly one sender proceeds"
    );
    assert_eq!(tx.len(), 2);
    for _ in 0..4 {
        rx.recv().unwrap();
    }
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(done.load(Ordering::SeqCst), 3);
}

#[test]
fn s03_fifo_per_producer_single_thread() {
    let (tx, mut rx) = channel(5);
    for round in 0..10 {
        for i in 0..5 {
            tx.send(round * 5 + i).unwrap();
        }
        for i in 0..5 {
            assert_eq!(rx.recv(), Ok(round * 5 + i));
        }
    }
}

#[test]
fn s03_s04_fifo_and_exactly_once_across_threads() {
    const P: usize = 4;
    const N: usize = 20_000;
    let (tx, mut rx) = channel(8);
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..N {
                    tx.send((p, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0usize; P];
    for (p, i) in rx.iter() {
        assert_eq!(i, next[p], "producer {p} out of order");
        next[p] += 1;
    }
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(next, [N; P]);
}

#[test]
fn s05_close_drains_in_order_then_end_of_stream() {
    let (tx, mut rx) = channel(4);
    for i in 0..3 {
        tx.send(i).unwrap();
    }
    assert!(tx.close());
    assert_eq!(rx.recv(), Ok(0));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.recv_timeout(Duration::from_millis(10)), Ok(2));
    for _ in 0..3 {
        assert_eq!(rx.recv(), Err(RecvError));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Closed)
        );
    }
}

#[test]
fn s06_close_rejects_and_hands_back() {
    let (tx, rx) = channel(4);
    assert!(rx.close());
    assert!(!tx.close(), "close is idempotent");
    assert_eq!(tx.send(1).unwrap_err().into_inner(), 1);
    assert!(matches!(tx.try_send(2), Err(TrySendError::Closed(2))));
    assert!(matches!(
        tx.send_timeout(3, Duration::from_millis(5)),
        Err(SendTimeoutError::Closed(3))
    ));
    let mut batch = vec![4, 5];
    assert!(tx.try_send_batch(&mut batch).unwrap_err().is_closed());
    assert_eq!(batch, [4, 5]);
    assert_eq!(rx.len(), 0);
}

#[test]
fn s07_close_wakes_blocked_senders_and_receiver() {
    let (tx, mut rx) = channel::<u32>(1);
    tx.send(0).unwrap();
    let blocked: Vec<_> = (0..3)
        .map(|i| {
            let tx = tx.clone();
            thread::spawn(move || tx.send(i))
        })
        .collect();
    thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    rx.close();
    for b in blocked {
        assert!(
            b.join().unwrap().is_err(),
            "a waiting sender wakes with Closed"
        );
    }
    assert!(t.elapsed() < SLACK);
    assert_eq!(rx.recv(), Ok(0));

    let (tx, mut rx) = channel::<u32>(1);
    let waiter = thread::spawn(move || {
        let t = Instant::now();
        (rx.recv(), t.elapsed())
    });
    thread::sleep(Duration::from_millis(50));
    tx.close();
    let (r, waited) = waiter.join().unwrap();
    assert_eq!(r, Err(RecvError));
    assert!(waited < SLACK + Duration::from_millis(50));
}

#[test]
fn s08_close_race_every_ok_is_delivered() {
    for round in 0..200 {
        let (tx, mut rx) = channel(4 + round % 5);
        let start = Arc::new(Barrier::new(4));
        let senders: Vec<_> = (0..3)
            .map(|p| {
                let tx = tx.clone();
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    let mut ok = Vec::new();
                    for i in 0..50 {
                        match tx.send_timeout((p, i), Duration::from_millis(200)) {
                            Ok(()) => ok.push((p, i)),
                            Err(e) => {
                                assert!(e.is_closed(), "round {round}: {e}");
                                break;
                            }
                        }
                    }
                    ok
                })
            })
            .collect();
        drop(tx);
        start.wait();
        let mut got = Vec::new();
        for _ in 0..(round % 7) {
            if let Ok(m) = rx.try_recv() {
                got.push(m);
            }
        }
        rx.close();
        got.extend(rx.iter());
        let mut sent: Vec<_> = senders
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect();
        sent.sort();
        got.sort();
        assert_eq!(got, sent, "round {round}: Ok sends and deliveries differ");
    }
}

#[test]
fn s09_empty_and_recv_timeout_bounds() {
    let (_tx, mut rx) = channel::<u8>(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    for ms in [20u64, 100] {
        let d = Duration::from_millis(ms);
        let t = Instant::now();
        assert_eq!(rx.recv_timeout(d), Err(RecvTimeoutError::Timeout));
        let took = t.elapsed();
        assert!(took >= d, "returned early: {took:?} < {d:?}");
        assert!(took < d + SLACK, "returned late: {took:?}");
    }
    let t = Instant::now();
    let deadline = t + Duration::from_millis(30);
    assert_eq!(rx.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
    assert!(Instant::now() >= deadline);
}

#[test]
fn s10_send_timeout_bounds_and_nothing_enqueued() {
    let (tx, mut rx) = channel(1);
    tx.send(1).unwrap();
    for ms in [20u64, 100] {
        let d = Duration::from_millis(ms);
        let t = Instant::now();
        assert!(matches!(
            tx.send_timeout(2, d),
            Err(SendTimeoutError::Timeout(2))
        ));
        let took = t.elapsed();
        assert!(took >= d, "returned early: {took:?}");
        assert!(took < d + SLACK, "returned late: {took:?}");
    }
    assert_eq!(tx.len(), 1);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn s10_send_timeout_succeeds_when_room_appears() {
    let (tx, mut rx) = channel(1);
    tx.send(1).unwrap();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        rx.recv().unwrap();
        rx
    });
    tx.send_timeout(2, Duration::from_secs(5)).unwrap();
    let mut rx = t.join().unwrap();
    assert_eq!(rx.recv(), Ok(2));
}

#[test]
fn s11_no_lost_wakeup_capacity_one_many_producers() {
    const P: usize = 6;
    const N: usize = 3_000;
    for _ in 0..3 {
        let (tx, mut rx) = channel(1);
        let producers: Vec<_> = (0..P)
            .map(|p| {
                let tx = tx.clone();
                thread::spawn(move || {
                    for i in 0..N {
                        tx.send(p * N + i).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut count = 0;
        while let Ok(_m) = rx.recv_timeout(Duration::from_secs(10)) {
            count += 1;
        }
        assert_eq!(count, P * N, "a wake-up was lost (recv_timeout gave up)");
        for p in producers {
            p.join().unwrap();
        }
    }
}

#[test]
fn s11_ping_pong_wakes_both_ways() {
    let (tx_a, mut rx_a) = channel::<u32>(1);
    let (tx_b, mut rx_b) = channel::<u32>(1);
    let echo = thread::spawn(move || {
        for m in rx_a.iter() {
            tx_b.send(m + 1).unwrap();
        }
    });
    for i in 0..5_000 {
        tx_a.send(i).unwrap();
        assert_eq!(rx_b.recv_timeout(Duration::from_secs(10)), Ok(i + 1));
    }
    drop(tx_a);
    echo.join().unwrap();
}

#[test]
fn s12_all_senders_dropped_is_end_of_stream_after_drain() {
    let (tx, mut rx) = channel(4);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    tx2.send(2).unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "one sender is still alive");
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Ok(2));
    assert_eq!(rx.recv(), Err(RecvError));
}

#[test]
fn s12_blocked_receiver_wakes_when_last_sender_drops() {
    let (tx, mut rx) = channel::<u8>(1);
    let h = thread::spawn(move || rx.recv());
    thread::sleep(Duration::from_millis(30));
    drop(tx);
    assert_eq!(h.join().unwrap(), Err(RecvError));
}

#[test]
fn s13_receiver_dropped_closes_and_drops_queued() {
    let token = Arc::new(());
    let (tx, rx) = channel(8);
    for _ in 0..5 {
        tx.send(token.clone()).unwrap();
    }
    assert_eq!(Arc::strong_count(&token), 6);
    drop(rx);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "queued messages were dropped with the receiver"
    );
    let err = tx.send(token.clone()).unwrap_err();
    drop(err);
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(tx.is_closed());
}

#[test]
fn s13_receiver_drop_wakes_blocked_sender() {
    let (tx, rx) = channel(1);
    tx.send(1).unwrap();
    let h = thread::spawn(move || tx.send(2));
    thread::sleep(Duration::from_millis(30));
    drop(rx);
    assert_eq!(h.join().unwrap().unwrap_err().into_inner(), 2);
}

#[test]
fn s13_panicking_destructor_still_drains_the_rest() {
    struct Bomb(Arc<AtomicUsize>, bool);
    impl Drop for Bomb {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
            if self.1 {
                panic!("boom");
            }
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = channel(4);
    tx.send(Bomb(dropped.clone(), true)).unwrap();
    tx.send(Bomb(dropped.clone(), false)).unwrap();
    tx.send(Bomb(dropped.clone(), false)).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rx)));
    assert!(r.is_err());
    assert_eq!(dropped.load(Ordering::SeqCst), 3);
    assert!(tx.is_closed());
}

#[test]
fn s14_capacity_out_of_range() {
    for bad in [0, MAX_CAPACITY + 1, usize::MAX] {
        let err = try_channel::<u8>(bad).unwrap_err();
        assert_eq!(err.capacity(), bad);
        assert_eq!(
            err.to_string(),
            format!("capacity {bad} is out of range 1..={MAX_CAPACITY}")
        );
    }
    assert!(std::panic::catch_unwind(|| channel::<u8>(0)).is_err());
    assert_eq!(try_channel::<u8>(1).unwrap().0.capacity(), 1);
}

#[test]
fn s16_dropped_send_future_enqueues_nothing() {
    let (tx, mut rx) = channel(1);
    tx.send(0).unwrap();
    let waker = CountingWaker::new();
    {
        let mut fut = std::pin::pin!(tx.send_async(1));
        assert!(poll_once(fut.as_mut(), &waker).is_pending());
        // dropped here while pending
    }
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "the cancelled send left nothing"
    );
    // A completed future enqueued exactly once.
    block_on(tx.send_async(2)).unwrap();
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn s16_dropped_recv_future_loses_nothing() {
    let (tx, mut rx) = channel(2);
    let waker = CountingWaker::new();
    {
        let mut fut = std::pin::pin!(rx.recv_async());
        assert!(poll_once(fut.as_mut(), &waker).is_pending());
        tx.send(7).unwrap();
        assert_eq!(waker.count(), 1, "the pending recv was woken");
        // dropped without being polled again
    }
    assert_eq!(rx.try_recv(), Ok(7));
}

#[test]
fn s16_woken_but_cancelled_sender_passes_the_wakeup_on() {
    let (tx, mut rx) = channel(1);
    tx.send(0).unwrap();
    let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
    let mut f1 = Box::pin(tx.send_async(1));
    let mut f2 = Box::pin(tx.send_async(2));
    assert!(poll_once(f1.as_mut(), &w1).is_pending());
    assert!(poll_once(f2.as_mut(), &w2).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(
        (w1.count(), w2.count()),
        (1, 0),
        "FIFO: the oldest waiter is woken"
    );
    drop(f1);
    assert_eq!(w2.count(), 1, "the unused wake-up went to the next waiter");
    assert!(poll_once(f2.as_mut(), &w2).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn s16_async_producers_and_consumer_across_threads() {
    const P: usize = 3;
    const N: usize = 5_000;
    let (tx, mut rx) = channel(4);
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                block_on(async {
                    for i in 0..N {
                        tx.send_async((p, i)).await.unwrap();
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let mut next = [0; P];
    block_on(async {
        while let Ok((p, i)) = rx.recv_async().await {
            assert_eq!(i, next[p]);
            next[p] += 1;
        }
    });
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(next, [N; P]);
}

#[test]
fn s18_batches_prefix_and_order() {
    let (tx, mut rx) = channel(5);
    let mut items: Vec<u32> = (0..8).collect();
    assert_eq!(tx.try_send_batch(&mut items), Ok(5));
    assert_eq!(items, [5, 6, 7], "the prefix went in, the rest stayed");
    assert!(tx.try_send_batch(&mut items).unwrap_err().is_full());
    assert_eq!(tx.try_send_batch(&mut Vec::new()), Ok(0));
    let mut buf = Vec::new();
    assert_eq!(rx.recv_batch(&mut buf, 3), Ok(3));
    assert_eq!(buf, [0, 1, 2]);
    assert_eq!(tx.try_send_batch(&mut items), Ok(3));
    assert!(items.is_empty());
    buf.clear();
    assert_eq!(rx.try_recv_batch(&mut buf, 100), Ok(5));
    assert_eq!(buf, [3, 4, 5, 6, 7]);
    assert!(rx.try_recv_batch(&mut buf, 1).unwrap_err().is_empty());
    tx.close();
    assert_eq!(rx.recv_batch(&mut buf, 4), Err(RecvError));
    assert_eq!(
        rx.recv_batch_timeout(&mut buf, 4, Duration::from_millis(1)),
        Err(RecvTimeoutError::Closed)
    );
}

#[test]
fn s18_recv_batch_waits_for_first_only_and_timeout_bounds() {
    let (tx, mut rx) = channel(8);
    let mut buf = Vec::new();
    let d = Duration::from_millis(40);
    let t = Instant::now();
    assert_eq!(
        rx.recv_batch_timeout(&mut buf, 4, d),
        Err(RecvTimeoutError::Timeout)
    );
    assert!(t.elapsed() >= d && t.elapsed() < d + SLACK);
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        tx.send(1).unwrap();
        tx
    });
    assert_eq!(
        rx.recv_batch(&mut buf, 4),
        Ok(1),
        "returns with what is ready"
    );
    drop(h.join().unwrap());
    assert_eq!(rx.recv_batch(&mut buf, 4), Err(RecvError));
}

#[test]
fn s18_send_batch_blocking_and_closed_suffix() {
    let (tx, mut rx) = channel(3);
    let h = thread::spawn(move || {
        let mut items: Vec<u32> = (0..1000).collect();
        let r = tx.send_batch(&mut items);
        (r, items)
    });
    let mut got = Vec::new();
    let mut buf = Vec::new();
    while got.len() < 1000 {
        buf.clear();
        rx.recv_batch(&mut buf, 64).unwrap();
        got.extend_from_slice(&buf);
    }
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    let (r, rest) = h.join().unwrap();
    assert_eq!(r, Ok(1000));
    assert!(rest.is_empty());

    let (tx, rx) = channel(2);
    let h = thread::spawn(move || {
        let mut items: Vec<u32> = (0..10).collect();
        let r = tx.send_batch(&mut items);
        (r, items)
    });
    thread::sleep(Duration::from_millis(30));
    rx.close();
    let (r, rest) = h.join().unwrap();
    assert!(r.is_err());
    assert_eq!(
        rest,
        (2..10).collect::<Vec<_>>(),
        "a prefix went in, the suffix came back"
    );
    assert_eq!(rx.len(), 2);
}

#[test]
fn len_is_a_snapshot_within_bounds() {
    let (tx, mut rx) = channel(3);
    assert!(tx.is_empty() && rx.is_empty());
    for wrap in 0..10 {
        tx.send(wrap).unwrap();
        tx.send(wrap).unwrap();
        assert_eq!(rx.len(), 2);
        rx.recv().unwrap();
        rx.recv().unwrap();
        assert_eq!(rx.len(), 0);
    }
}

#[test]
fn s18_send_batch_timeout_sends_a_prefix_then_times_out() {
    let (tx, mut rx) = channel(3);
    let mut items: Vec<u32> = (0..10).collect();
    let d = Duration::from_millis(40);
    let t = Instant::now();
    assert_eq!(
        tx.send_batch_timeout(&mut items, d),
        Err(SendTimeoutError::Timeout(()))
    );
    let took = t.elapsed();
    assert!(took >= d && took < d + SLACK, "took {took:?}");
    assert_eq!(items, (3..10).collect::<Vec<_>>(), "the unsent suffix");
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(tx.send_batch_timeout(&mut Vec::new(), d), Ok(0));
}

#[test]
fn s10_send_batch_timeout_and_deadline_bounds_nothing_enqueued() {
    let (tx, rx) = channel(2);
    tx.send(0).unwrap();
    tx.send(1).unwrap();
    let d = Duration::from_millis(40);
    let mut items = vec![7, 8];
    let t = Instant::now();
    let err = tx.send_batch_timeout(&mut items, d).unwrap_err();
    let took = t.elapsed();
    assert!(err.is_timeout());
    assert!(took >= d && took < d + SLACK, "timeout took {took:?}");
    let t = Instant::now();
    let err = tx.send_batch_deadline(&mut items, t + d).unwrap_err();
    let took = t.elapsed();
    assert!(err.is_timeout());
    assert!(took >= d && took < d + SLACK, "deadline took {took:?}");
    assert_eq!(items, [7, 8], "nothing was enqueued");
    assert_eq!(rx.len(), 2);
    // A deadline in the past still sends what fits, without waiting.
    drop(rx);
    let (tx, mut rx) = channel(2);
    let past = Instant::now() - Duration::from_millis(1);
    let mut items = vec![1, 2, 3];
    assert!(tx
        .send_batch_deadline(&mut items, past)
        .unwrap_err()
        .is_timeout());
    assert_eq!(items, [3]);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn s10_s18_send_batch_timeout_completes_as_room_appears() {
    let (tx, mut rx) = channel(2);
    let h = thread::spawn(move || {
        let mut items: Vec<u32> = (0..50).collect();
        let r = tx.send_batch_timeout(&mut items, Duration::from_secs(30));
        (r, items)
    });
    let mut got = Vec::new();
    while got.len() < 50 {
        got.push(rx.recv().unwrap());
        if got.len() % 10 == 0 {
            thread::sleep(Duration::from_millis(2));
        }
    }
    let (r, rest) = h.join().unwrap();
    assert_eq!(r, Ok(50));
    assert!(rest.is_empty());
    assert_eq!(got, (0..50).collect::<Vec<_>>());
    assert_eq!(rx.recv(), Err(RecvError), "the sender is gone");
}

#[test]
fn s07_s18_send_batch_timeout_closed_hands_back_the_suffix() {
    let (tx, rx) = channel(2);
    let h = thread::spawn(move || {
        let mut items: Vec<u32> = (0..10).collect();
        let r = tx.send_batch_timeout(&mut items, Duration::from_secs(30));
        (r, items)
    });
    thread::sleep(Duration::from_millis(30));
    let t = Instant::now();
    rx.close();
    let (r, rest) = h.join().unwrap();
    assert!(t.elapsed() < SLACK, "close woke the blocked batch sender");
    assert_eq!(r, Err(SendTimeoutError::Closed(())));
    assert_eq!(rest, (2..10).collect::<Vec<_>>());
    assert_eq!(rx.len(), 2);
}

#[test]
fn s09_s18_recv_batch_deadline_bounds() {
    let (tx, mut rx) = channel(8);
    let mut buf = Vec::new();
    let d = Duration::from_millis(40);
    let t = Instant::now();
    assert_eq!(
        rx.recv_batch_deadline(&mut buf, 4, t + d),
        Err(RecvTimeoutError::Timeout)
    );
    let took = t.elapsed();
    assert!(took >= d && took < d + SLACK, "took {took:?}");
    assert!(buf.is_empty());
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        tx
    });
    let n = rx
        .recv_batch_deadline(&mut buf, 4, Instant::now() + Duration::from_secs(30))
        .unwrap();
    assert!((1..=2).contains(&n));
    let tx = h.join().unwrap();
    if n == 1 {
        rx.recv_batch(&mut buf, 4).unwrap();
    }
    assert_eq!(buf, [1, 2]);
    tx.close();
    assert_eq!(
        rx.recv_batch_deadline(&mut buf, 4, Instant::now() + d),
        Err(RecvTimeoutError::Closed)
    );
    assert_eq!(rx.recv_batch_deadline(&mut buf, 0, Instant::now()), Ok(0));
}

#[test]
fn s16_dropped_send_batch_future_keeps_the_unsent_suffix() {
    let (tx, mut rx) = channel(2);
    let waker = CountingWaker::new();
    let mut items: Vec<u32> = (0..5).collect();
    {
        let mut fut = std::pin::pin!(tx.send_batch_async(&mut items));
        assert!(poll_once(fut.as_mut(), &waker).is_pending());
        assert_eq!(rx.try_recv(), Ok(0));
        assert_eq!(waker.count(), 1, "a freed slot wakes the batch sender");
        assert!(poll_once(fut.as_mut(), &waker).is_pending());
        // dropped here while pending: 0, 1, 2 went in
    }
    assert_eq!(items, [3, 4], "exactly the unsent items are left");
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2]);
    assert_eq!(block_on(tx.send_batch_async(&mut items)), Ok(2));
    assert!(items.is_empty());
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [3, 4]);
}

#[test]
fn s16_woken_but_cancelled_batch_sender_passes_the_wakeup_on() {
    let (tx, mut rx) = channel(1);
    tx.send(0).unwrap();
    let (w1, w2) = (CountingWaker::new(), CountingWaker::new());
    let mut a = vec![1, 2];
    let mut b = vec![3];
    let mut f1 = Box::pin(tx.send_batch_async(&mut a));
    let mut f2 = Box::pin(tx.send_batch_async(&mut b));
    assert!(poll_once(f1.as_mut(), &w1).is_pending());
    assert!(poll_once(f2.as_mut(), &w2).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!((w1.count(), w2.count()), (1, 0), "oldest first");
    drop(f1);
    assert_eq!(w2.count(), 1, "the unused wake-up went to the next waiter");
    assert_eq!(poll_once(f2.as_mut(), &w2), std::task::Poll::Ready(Ok(1)));
    drop(f2);
    assert_eq!((a, b), (vec![1, 2], vec![]));
    assert_eq!(rx.try_recv(), Ok(3));
}

#[test]
fn s07_s16_send_batch_async_closed_hands_back_the_suffix() {
    let (tx, rx) = channel(2);
    let waker = CountingWaker::new();
    let mut items: Vec<u32> = (0..5).collect();
    {
        let mut fut = std::pin::pin!(tx.send_batch_async(&mut items));
        assert!(poll_once(fut.as_mut(), &waker).is_pending());
        rx.close();
        assert_eq!(waker.count(), 1, "close wakes the pending batch send");
        assert_eq!(
            poll_once(fut.as_mut(), &waker),
            std::task::Poll::Ready(Err(funnelq::SendError(())))
        );
    }
    assert_eq!(items, [2, 3, 4]);
    assert_eq!(rx.len(), 2);
}

#[test]
fn s16_dropped_recv_batch_future_loses_nothing() {
    let (tx, mut rx) = channel(4);
    let waker = CountingWaker::new();
    let mut buf = Vec::new();
    {
        let mut fut = std::pin::pin!(rx.recv_batch_async(&mut buf, 3));
        assert!(poll_once(fut.as_mut(), &waker).is_pending());
        tx.send(7).unwrap();
        tx.send(8).unwrap();
        assert_eq!(waker.count(), 1, "the pending batch recv was woken");
        // dropped without being polled again
    }
    assert!(buf.is_empty());
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [7, 8]);
    tx.send(9).unwrap();
    assert_eq!(block_on(rx.recv_batch_async(&mut buf, 3)), Ok(1));
    assert_eq!(block_on(rx.recv_batch_async(&mut buf, 0)), Ok(0));
    drop(tx);
    assert_eq!(block_on(rx.recv_batch_async(&mut buf, 3)), Err(RecvError));
    assert_eq!(buf, [9]);
}

#[test]
fn s04_s16_s18_async_batches_across_threads() {
    const P: usize = 3;
    const N: usize = 3_000;
    let (tx, mut rx) = channel(5);
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                block_on(async {
                    let mut i = 0;
                    while i < N {
                        let len = 1 + (i * 7 + p) % 9;
                        let mut items: Vec<(usize, usize)> =
                            (i..(i + len).min(N)).map(|i| (p, i)).collect();
                        let n = items.len();
                        assert_eq!(tx.send_batch_async(&mut items).await, Ok(n));
                        i += n;
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let mut next = [0; P];
    let mut buf = Vec::new();
    block_on(async {
        while let Ok(n) = rx.recv_batch_async(&mut buf, 4).await {
            assert!((1..=4).contains(&n));
            for (p, i) in buf.drain(..) {
                assert_eq!(i, next[p], "per-producer order");
                next[p] += 1;
            }
        }
    });
    for p in producers {
        p.join().unwrap();
    }
    assert_eq!(next, [N; P]);
}

#[test]
fn s22_try_channel_reports_a_ring_it_cannot_allocate() {
    // A megabyte per slot at the largest capacity: about a petabyte, more
    // than any allocator grants (and more than the address space).
    type Big = [u8; 1 << 20];
    let slot = std::mem::size_of::<Big>() as u128 + 8;
    let err = try_channel::<Big>(MAX_CAPACITY).unwrap_err();
    assert!(err.is_out_of_memory());
    assert_eq!(err.capacity(), MAX_CAPACITY);
    let bytes = MAX_CAPACITY as u128 * slot;
    assert_eq!(
        err.to_string(),
        format!("cannot allocate a ring of {MAX_CAPACITY} slots ({bytes} bytes)")
    );
    // `channel` panics with the same message instead of aborting.
    let panic = std::panic::catch_unwind(|| channel::<Big>(MAX_CAPACITY)).unwrap_err();
    let text = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert_eq!(text, &err.to_string());
    // A byte size that overflows `usize` is reported, not wrapped around.
    #[cfg(target_pointer_width = "64")]
    {
        type Huge = [u8; 1 << 40];
        let err = try_channel::<Huge>(MAX_CAPACITY).unwrap_err();
        assert!(err.is_out_of_memory());
        let bytes = MAX_CAPACITY as u128 * (std::mem::size_of::<Huge>() as u128 + 8);
        assert!(bytes > usize::MAX as u128);
        assert_eq!(
            err.to_string(),
            format!("cannot allocate a ring of {MAX_CAPACITY} slots ({bytes} bytes)")
        );
    }
    // Out-of-range capacities are still range errors, and the process
    // still makes ordinary channels.
    assert!(!try_channel::<Big>(0).unwrap_err().is_out_of_memory());
    let (tx, mut rx) = try_channel::<u64>(4).unwrap();
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1));
}

/// S18: a batch many times the capacity goes through in order, in steps of at
/// most the capacity, with the blocking, timeout and async forms; each step
/// takes from the end of the (reversed) batch, so a long batch into a small
/// channel costs time linear in its length.
#[test]
fn s18_long_batch_through_a_small_channel_arrives_in_order() {
    const N: u32 = 200_000;
    for form in 0..3 {
        let (tx, mut rx) = funnelq::channel::<u32>(16);
        let consumer = thread::spawn(move || rx.iter().collect::<Vec<u32>>());
        let mut items: Vec<u32> = (0..N).collect();
        let sent = match form {
            0 => tx.send_batch(&mut items).unwrap(),
            1 => tx
                .send_batch_timeout(&mut items, Duration::from_secs(60))
                .unwrap(),
            _ => block_on(tx.send_batch_async(&mut items)).unwrap(),
        };
        assert_eq!(sent, N as usize);
        assert!(items.is_empty());
        drop(tx);
        assert_eq!(consumer.join().unwrap(), (0..N).collect::<Vec<_>>());
    }
}

/// S07, S16, S18: a batch refused part-way (closed, or its future dropped)
/// leaves exactly the unsent suffix in the caller's `Vec`, in batch order.
#[test]
fn s07_s16_s18_unsent_suffix_keeps_batch_order() {
    let (tx, mut rx) = funnelq::channel::<u32>(4);
    let mut items: Vec<u32> = (0..10).collect();
    {
        let waker = CountingWaker::new();
        let mut fut = std::pin::pin!(tx.send_batch_async(&mut items));
        assert!(poll_once(fut.as_mut(), &waker).is_pending()); // 4 went in, then full
    } // dropped: cancelled
    assert_eq!(items, [4, 5, 6, 7, 8, 9]);
    assert_eq!(rx.try_recv(), Ok(0));
    tx.close();
    let err = tx
        .send_batch_timeout(&mut items, Duration::from_millis(50))
        .unwrap_err();
    assert!(err.is_closed());
    assert_eq!(items, [4, 5, 6, 7, 8, 9]);
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2, 3]);
}
