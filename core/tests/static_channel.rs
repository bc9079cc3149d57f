//! The allocator-free `StaticChannel` across threads (S03, S04, S12, S13).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use funnelq::StaticChannel;

static CHANNEL: StaticChannel<(u8, u32), 4> = StaticChannel::new();

#[test]
fn s04_static_channel_threads_count_every_message() {
    let (tx, mut rx) = CHANNEL.split().expect("first split");
    assert!(CHANNEL.split().is_none());
    thread::scope(|s| {
        for id in 0..3u8 {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..10_000 {
                    tx.send((id, i)).unwrap();
                }
            });
        }
        drop(tx);
        let mut next = [0u32; 3];
        while let Ok((id, i)) = rx.recv() {
            assert_eq!(i, next[id as usize]);
            next[id as usize] += 1;
        }
        assert_eq!(next, [10_000; 3]);
    });
}

#[test]
fn s13_static_receiver_drop_releases_messages() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counted;
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::SeqCst);
        }
    }
    let ch: StaticChannel<Counted, 3> = StaticChannel::new();
    let (tx, rx) = ch.split().unwrap();
    for _ in 0..3 {
        tx.try_send(Counted).unwrap_or_else(|_| panic!("room"));
    }
    drop(rx);
    assert_eq!(DROPS.load(Ordering::SeqCst), 3);
    assert!(tx.try_send(Counted).unwrap_err().is_closed());
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        4,
        "the refused message came back and was dropped"
    );
}

/// The static front end shares the channel's one sender count with the
/// allocating one: clones on other threads keep it open, the last drop
/// ends the stream after the queue drains (S12).
#[test]
fn s12_static_last_sender_drop_is_end_of_stream_after_drain() {
    static CH: StaticChannel<u32, 4> = StaticChannel::new();
    let (tx, mut rx) = CH.split().unwrap();
    let clones: Vec<_> = (0..3).map(|_| tx.clone()).collect();
    drop(tx);
    assert!(!rx.is_closed(), "clones keep the channel open");
    let handles: Vec<_> = clones
        .into_iter()
        .enumerate()
        .map(|(i, tx)| std::thread::spawn(move || tx.send(i as u32).unwrap()))
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(rx.is_closed(), "the last sender's drop closed it");
    let mut got: Vec<u32> = (0..3).map(|_| rx.recv().unwrap()).collect();
    got.sort();
    assert_eq!(got, [0, 1, 2]);
    assert!(rx.recv().is_err());
}
