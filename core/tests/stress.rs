//! Stress: count every message per producer (S04), race close against sends
//! (S08), mix batches and async. Sizes are picked so the whole file runs in
//! seconds on 2 cores; `FUNNELQ_STRESS_SCALE=10` makes it heavier.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use funnelq::channel;

fn scale(n: usize) -> usize {
    let k: usize = std::env::var("FUNNELQ_STRESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    n * k
}

/// P producers × N messages through capacity `cap`; checks each producer's
/// sequence (order, no loss, no duplicate) and a checksum.
fn producers_count_every_message(p: usize, n: usize, cap: usize) {
    let (tx, mut rx) = channel::<(u32, u32)>(cap);
    let producers: Vec<_> = (0..p)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..n {
                    tx.send((id as u32, i as u32)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = vec![0u32; p];
    let mut sum = 0u64;
    while let Ok((id, i)) = rx.recv_timeout(Duration::from_secs(20)) {
        assert_eq!(
            i, next[id as usize],
            "producer {id}: out of order, lost or duplicated"
        );
        next[id as usize] += 1;
        sum += u64::from(i);
    }
    for h in producers {
        h.join().unwrap();
    }
    assert!(
        next.iter().all(|&c| c as usize == n),
        "counts {next:?}, want {n} each"
    );
    assert_eq!(sum, p as u64 * (n as u64 * (n as u64 - 1) / 2));
}

#[test]
fn s04_stress_capacity_1_four_producers() {
    producers_count_every_message(4, scale(20_000), 1);
}

#[test]
fn s04_stress_capacity_1024_eight_producers() {
    producers_count_every_message(8, scale(50_000), 1024);
}

#[test]
fn s04_stress_odd_capacity_three_producers() {
    producers_count_every_message(3, scale(30_000), 7);
}

#[test]
fn s04_s18_stress_batches_both_sides() {
    const P: usize = 4;
    let n = scale(40_000);
    let (tx, mut rx) = channel::<(u32, u32)>(64);
    let producers: Vec<_> = (0..P)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                let mut i = 0;
                while i < n {
                    let end = (i + 1 + i % 37).min(n);
                    let mut batch: Vec<_> = (i..end).map(|k| (id as u32, k as u32)).collect();
                    assert_eq!(tx.send_batch(&mut batch), Ok(end - i));
                    i = end;
                }
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u32; P];
    let mut buf = Vec::new();
    while let Ok(k) = rx.recv_batch(&mut buf, 50) {
        assert!((1..=50).contains(&k));
        for (id, i) in buf.drain(..) {
            assert_eq!(i, next[id as usize]);
            next[id as usize] += 1;
        }
    }
    for h in producers {
        h.join().unwrap();
    }
    assert_eq!(next, [n as u32; P]);
}

#[test]
fn s08_stress_close_races_sends() {
    for round in 0..scale(100) {
        let (tx, mut rx) = channel::<(usize, usize)>(1 + round % 9);
        let p = 4;
        let start = Arc::new(Barrier::new(p + 1));
        let producers: Vec<_> = (0..p)
            .map(|id| {
                let tx = tx.clone();
                let start = start.clone();
                thread::spawn(move || {
                    start.wait();
                    let mut sent = 0;
                    loop {
                        let r = if sent % 3 == 0 {
                            tx.try_send((id, sent)).map_err(|e| e.is_closed())
                        } else {
                            tx.send((id, sent)).map_err(|_| true)
                        };
                        match r {
                            Ok(()) => sent += 1,
                            Err(true) => return sent,
                            Err(false) => thread::yield_now(),
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        start.wait();
        let mut next = vec![0usize; p];
        for _ in 0..(round * 7 % 50) {
            if let Ok((id, i)) = rx.recv() {
                assert_eq!(i, next[id]);
                next[id] += 1;
            }
        }
        rx.close();
        while let Ok((id, i)) = rx.recv() {
            assert_eq!(i, next[id]);
            next[id] += 1;
        }
        let sent: Vec<usize> = producers.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            next, sent,
            "round {round}: every Ok send is delivered exactly once"
        );
    }
}

#[test]
fn s16_stress_async_senders_blocking_receiver() {
    const P: usize = 4;
    let n = scale(10_000);
    let (tx, mut rx) = channel::<(u32, u32)>(2);
    let producers: Vec<_> = (0..P)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || {
                common::block_on(async {
                    for i in 0..n {
                        tx.send_async((id as u32, i as u32)).await.unwrap();
                    }
                })
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u32; P];
    for (id, i) in rx.iter() {
        assert_eq!(i, next[id as usize]);
        next[id as usize] += 1;
    }
    for h in producers {
        h.join().unwrap();
    }
    assert_eq!(next, [n as u32; P]);
}
