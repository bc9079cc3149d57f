//! loom models of the ring, close and waiting protocols. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p funnelq --test loom --release`
//! (`ci/test.sh` does).
#![cfg(loom)]

use loom::thread;

/// Explores every interleaving with up to `preemptions` forced switches
/// (unless `LOOM_MAX_PREEMPTIONS` says otherwise): bounded so CI stays fast.
fn model_bounded(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    builder.check(f);
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    model_bounded(3, f);
}

/// Two producers into capacity `cap`, blocking on both sides: no loss, no
/// duplicate, per-producer order (S03, S04), and every blocked side wakes
/// (S11: a lost wake-up is a deadlock loom reports). Producer 0 sends
/// `n0` messages, producer 1 one message (kept small: the state space grows
/// fast with every blocking step).
fn two_producers(cap: usize, n0: usize) {
    model_bounded(2, move || {
        let (tx, mut rx) = funnelq::channel::<(usize, usize)>(cap);
        let tx2 = tx.clone();
        let a = thread::spawn(move || {
            for i in 0..n0 {
                tx.send((0, i)).unwrap();
            }
        });
        let b = thread::spawn(move || {
            tx2.send((1, 0)).unwrap();
        });
        let mut next = [0usize; 2];
        for _ in 0..n0 + 1 {
            let (p, i) = rx.recv().unwrap();
            assert_eq!(i, next[p], "per-producer order");
            next[p] += 1;
        }
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(next, [n0, 1]);
        assert!(rx.recv().is_err(), "both senders gone: end of stream");
    });
}

#[test]
fn s03_s04_s11_two_producers_capacity_1() {
    two_producers(1, 2);
}

#[test]
fn s03_s04_s11_two_producers_capacity_2() {
    two_producers(2, 3);
}

/// Wake-ups alone (a sender stays alive, so no close helps): two producers
/// (two messages and one) into capacity 1. This model caught a waiter that
/// was picked by a notify after its own re-check had already succeeded and
/// left without passing the wake-up on, stranding the other producer (S11).
#[test]
fn s11_picked_waiter_that_succeeds_passes_the_wakeup_on() {
    model_bounded(2, || {
        let (tx, mut rx) = funnelq::channel::<(usize, usize)>(1);
        let (tx_a, tx_b) = (tx.clone(), tx.clone());
        let a = thread::spawn(move || {
            tx_a.send((0, 0)).unwrap();
            tx_a.send((0, 1)).unwrap();
        });
        let b = thread::spawn(move || tx_b.send((1, 0)).unwrap());
        let mut next = [0usize; 2];
        for _ in 0..3 {
            let (p, i) = rx.recv().unwrap();
            assert_eq!(i, next[p]);
            next[p] += 1;
        }
        a.join().unwrap();
        b.join().unwrap();
        drop(tx);
    });
}

/// A send racing `close` is either delivered or refused (S08), and a claimed
/// but unwritten slot is "wait", never end of stream.
#[test]
fn s08_close_races_send() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(2);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.try_send(1).is_ok());
        let b = thread::spawn(move || tx2.try_send(2).is_ok());
        rx.close();
        let mut got = Vec::new();
        while let Ok(m) = rx.recv() {
            got.push(m);
        }
        let ok_a = a.join().unwrap();
        let ok_b = b.join().unwrap();
        assert_eq!(got.contains(&1), ok_a);
        assert_eq!(got.contains(&2), ok_b);
        assert_eq!(got.len(), ok_a as usize + ok_b as usize);
    });
}

/// Whoever sees the close (a refused send here) and then asks the drained
/// receiver gets end of stream, never "empty" (S05, S06): the receiver's
/// fast "not closing" answer must not outlive the close that a sender saw.
#[test]
fn s05_s06_a_close_seen_by_a_sender_ends_the_stream() {
    model(|| {
        let (tx, rx) = funnelq::channel::<u32>(1);
        let closer = tx.clone();
        let c = thread::spawn(move || {
            closer.close();
        });
        if tx.try_send(1).is_err() {
            // Refused: the close is done as far as this thread can tell.
            let mut rx = rx;
            assert_eq!(rx.try_recv(), Err(funnelq::TryRecvError::Closed));
        }
        c.join().unwrap();
    });
}

/// A receiver blocked on an empty channel wakes for a later send (S11).
/// The main thread keeps a sender alive, so only the send's own wake-up
/// (not the close on the last sender's drop) can end the wait.
#[test]
fn s11_blocked_receiver_wakes() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(1);
        let tx2 = tx.clone();
        let p = thread::spawn(move || tx2.send(7).unwrap());
        assert_eq!(rx.recv(), Ok(7));
        p.join().unwrap();
        drop(tx);
    });
}

/// A sender blocked on a full channel wakes when a slot frees (S11, S02).
#[test]
fn s11_blocked_sender_wakes() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(1);
        tx.send(1).unwrap();
        let p = thread::spawn(move || tx.send(2).unwrap());
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        p.join().unwrap();
        // The receiver outlives the blocked send: only the freed slot's
        // wake-up (not a close) could have released it.
    });
}

/// Close wakes a blocked sender and a blocked receiver (S07).
#[test]
fn s07_close_wakes_both_sides() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(1);
        tx.send(1).unwrap();
        let tx2 = tx.clone();
        let p = thread::spawn(move || tx2.send(2).is_err());
        tx.close();
        let refused = p.join().unwrap();
        assert_eq!(rx.recv(), Ok(1));
        if !refused {
            assert_eq!(rx.recv(), Ok(2));
        }
        assert!(rx.recv().is_err());
    });
}

/// The async path: a future-based receiver and sender wake through their
/// waiter records (S11 for futures).
#[test]
fn s11_async_receiver_and_sender_wake() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(1);
        let p = thread::spawn(move || {
            loom::future::block_on(async {
                tx.send_async(1).await.unwrap();
                tx.send_async(2).await.unwrap();
            })
        });
        loom::future::block_on(async {
            assert_eq!(rx.recv_async().await, Ok(1));
            assert_eq!(rx.recv_async().await, Ok(2));
            assert!(rx.recv_async().await.is_err());
        });
        p.join().unwrap();
    });
}

/// A batch sender blocked on a full channel wakes each time a slot frees
/// and finishes its batch in order (S11, S18): capacity 1, a batch of two,
/// the receiver outliving the send so only the freed slots' wake-ups (not
/// a close) can release it.
#[test]
fn s11_s18_blocked_batch_sender_wakes() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(1);
        tx.send(0).unwrap();
        let p = thread::spawn(move || {
            let mut items = vec![1, 2];
            let r = tx.send_batch(&mut items);
            (r, items)
        });
        assert_eq!(rx.recv(), Ok(0));
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Ok(2));
        let (r, items) = p.join().unwrap();
        assert_eq!(r, Ok(2));
        assert!(items.is_empty());
    });
}

/// The async batch forms: a batch send future blocked on a full channel is
/// woken by a batch receive future, and vice versa (S11, S16, S18).
#[test]
fn s11_s18_async_batch_sender_and_receiver_wake() {
    model(|| {
        let (tx, mut rx) = funnelq::channel::<u32>(1);
        let p = thread::spawn(move || {
            loom::future::block_on(async {
                let mut items = vec![1, 2];
                assert_eq!(tx.send_batch_async(&mut items).await, Ok(2));
            })
        });
        loom::future::block_on(async {
            let mut buf = Vec::new();
            while buf.len() < 2 {
                rx.recv_batch_async(&mut buf, 2).await.unwrap();
            }
            assert_eq!(buf, [1, 2]);
            assert!(rx.recv_batch_async(&mut buf, 2).await.is_err());
        });
        p.join().unwrap();
    });
}
