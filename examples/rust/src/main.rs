//! The funnelq demo in Rust: what send, try_send (hitting Full), recv and
//! close do, then producers feeding one consumer through a small channel.
//!
//! Run: `cargo run --release -p funnelq-example`

use std::thread;
use std::time::{Duration, Instant};

use funnelq::{channel, TryRecvError, TrySendError};

fn main() {
    println!("== funnelq demo (Rust) ==");

    // 1. Capacity and try_send hitting Full.
    let (tx, mut rx) = channel::<String>(2);
    tx.send("a".into()).unwrap();
    tx.try_send("b".into()).unwrap();
    match tx.try_send("c".into()) {
        Err(TrySendError::Full(m)) => {
            println!("try_send({m:?}) -> Full: capacity 2 reached, message handed back")
        }
        other => panic!("expected Full, got {other:?}"),
    }

    // 2. Backpressure: a blocked send proceeds once the consumer frees a slot.
    let waiter = {
        let tx = tx.clone();
        thread::spawn(move || {
            let t = Instant::now();
            tx.send("c".into()).unwrap();
            t.elapsed()
        })
    };
    thread::sleep(Duration::from_millis(50));
    println!("recv() -> {:?}", rx.recv().unwrap());
    println!(
        "send(\"c\") waited {:.0?} for that slot (backpressure)",
        waiter.join().unwrap()
    );

    // 3. Close: queued messages drain, then end of stream.
    tx.close();
    match tx.try_send("d".into()) {
        Err(e @ TrySendError::Closed(_)) => println!("close(); try_send(\"d\") -> Closed: {e}"),
        other => panic!("expected Closed, got {other:?}"),
    }
    while let Ok(m) = rx.recv() {
        println!("recv() after close -> {m:?} (drained)");
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    println!("recv() -> end of stream");

    // 4. Producers feeding one consumer through capacity 64.
    const PRODUCERS: u64 = 4;
    const PER_PRODUCER: u64 = 250_000;
    let (tx, mut rx) = channel::<(u64, u64)>(64);
    let t = Instant::now();
    for p in 0..PRODUCERS {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..PER_PRODUCER {
                tx.send((p, i)).unwrap();
            }
        });
    }
    drop(tx); // the last producer to finish ends the stream
    let mut next = [0u64; PRODUCERS as usize];
    for (p, i) in rx.iter() {
        assert_eq!(i, next[p as usize], "per-producer order");
        next[p as usize] += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    let total = PRODUCERS * PER_PRODUCER;
    println!(
        "{PRODUCERS} producers x {PER_PRODUCER} messages through capacity 64: {total} received, in order per producer, {:.1} M msg/s",
        total as f64 / secs / 1e6
    );
}
