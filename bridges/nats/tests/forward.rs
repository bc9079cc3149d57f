//! Forward against a real nats-server: counts, order, the window, the
//! backpressure it sends to producers, ids and deduplication, shutdown,
//! errors.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use common::*;
use funnelq_nats::{Error, Forward, Outgoing};

/// P producer threads × N messages through a small channel and a window:
/// the stream holds every message once, in order per producer, and the
/// stats count them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_round_trip_exact_count_and_order_per_producer() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("FWD"), unique("fwd"));
        let mut stream = create_stream(&js, &name, &subject).await;

        const P: usize = 4;
        const N: usize = 2500;
        let (tx, mut rx) = funnelq::channel::<String>(64);
        let producers: Vec<_> = (0..P)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for i in 0..N {
                        tx.send(payload(p, i)).unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let stats = Forward::new(&subject)
            .window(128)
            .batch(32)
            .run(&client, &mut rx)
            .await
            .unwrap();
        for p in producers {
            p.join().unwrap();
        }
        assert_eq!(stats.stored, (P * N) as u64);
        assert_eq!((stats.duplicates, stats.retries), (0, 0));
        assert!(
            stats.max_in_flight <= 128,
            "max in flight {}",
            stats.max_in_flight
        );

        let stored = read_stream(&mut stream).await;
        assert_each_once_in_order(stored.iter().map(|s| s.1.as_slice()), P, N);
        // Every message carries the run's id, numbered in channel order.
        for (k, (_, _, id)) in stored.iter().enumerate() {
            assert_eq!(
                id.as_deref(),
                Some(format!("{}-{}", stats.id_prefix, k + 1).as_str())
            );
        }
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// A frozen broker answers no ack: the window fills (exactly `window`
/// messages taken), the bridge stops receiving, the channel fills, and the
/// producer's next send waits. Thawed, everything arrives, nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_broker_stall_fills_window_then_channel_then_producers_wait() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Server::start();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("STALL"), unique("stall"));
        let mut stream = create_stream(&js, &name, &subject).await;

        const WINDOW: usize = 8;
        const CAP: usize = 16;
        const N: usize = 2000;
        let (tx, mut rx) = funnelq::channel::<String>(CAP);
        let sent = Arc::new(AtomicUsize::new(0));
        // Freeze (returns once every server thread has stopped) before the
        // first message, so that no ack can come back.
        server.freeze();
        let producer = {
            let sent = sent.clone();
            std::thread::spawn(move || {
                for i in 0..N {
                    tx.send(payload(0, i)).unwrap();
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let bridge = Forward::new(&subject)
            .window(WINDOW)
            .batch(4)
            .ack_timeout(Duration::from_secs(20));
        let run = tokio::spawn(async move {
            let stats = bridge.run(&client, &mut rx).await;
            (stats, rx)
        });

        // Wait until the producer is stuck: window + capacity sent, no more.
        let deadline = Instant::now() + Duration::from_secs(10);
        while sent.load(Ordering::SeqCst) < WINDOW + CAP {
            assert!(
                Instant::now() < deadline,
                "only {} sent",
                sent.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            sent.load(Ordering::SeqCst),
            WINDOW + CAP,
            "the producer must wait once the window and the channel are full"
        );

        server.thaw();
        let (stats, _rx) = run.await.unwrap();
        let stats = stats.unwrap();
        producer.join().unwrap();
        assert_eq!(stats.stored + stats.duplicates, N as u64);
        assert_eq!(stats.max_in_flight, WINDOW);
        let stored = read_stream(&mut stream).await;
        assert_each_once_in_order(stored.iter().map(|s| s.1.as_slice()), 1, N);
    })
    .await
    .expect("test bound");
}

/// Closing the channel ends the run only after every message was acked and
/// the connection flushed: the stream holds them all the moment it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_close_drains_and_flushes_before_returning() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("CLOSE"), unique("close"));
        let mut stream = create_stream(&js, &name, &subject).await;

        const N: usize = 5000;
        let (tx, mut rx) = funnelq::channel::<Vec<u8>>(N);
        for i in 0..N {
            tx.send(payload(0, i).into_bytes()).unwrap();
        }
        // Closed with everything still queued: the bridge must drain it all.
        tx.close();
        let stats = Forward::new(&subject).run(&client, &mut rx).await.unwrap();
        assert_eq!(stats.stored, N as u64);
        assert_eq!(stream.info().await.unwrap().state.messages, N as u64);
        assert!(rx.try_recv().unwrap_err().is_closed());
        drop(tx);
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// Messages that carry their own id keep it; the same id twice is stored
/// once and counted as a duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_given_ids_are_kept_and_deduplicated() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("IDS"), unique("ids"));
        let mut stream = create_stream(&js, &name, &subject).await;

        let (tx, mut rx) = funnelq::channel::<Outgoing>(16);
        for id in ["a", "b", "a", "c", "b"] {
            tx.send(
                Outgoing::new(format!("payload {id}"))
                    .with_id(format!("order-{id}"))
                    .with_header("tenant", "t1"),
            )
            .unwrap();
        }
        drop(tx);
        let stats = Forward::new(&subject)
            .window(1)
            .run(&client, &mut rx)
            .await
            .unwrap();
        assert_eq!((stats.stored, stats.duplicates), (3, 2));
        let stored = read_stream(&mut stream).await;
        let ids: Vec<_> = stored.iter().map(|s| s.2.clone().unwrap()).collect();
        assert_eq!(ids, ["order-a", "order-b", "order-c"]);
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// Bad settings are refused before anything is received, with messages
/// that name the value and the bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_bad_settings_are_refused_with_the_bound() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let (tx, mut rx) = funnelq::channel::<String>(4);
        tx.send("kept".to_owned()).unwrap();
        let cases: [(Forward, &str); 5] = [
            (
                Forward::new("s").window(0),
                "window 0 is out of range 1..=65536",
            ),
            (
                Forward::new("s").window(65537),
                "window 65537 is out of range 1..=65536",
            ),
            (
                Forward::new("s").batch(0),
                "batch 0 is out of range 1..=65536",
            ),
            (Forward::new("a b"), "subject \"a b\" is not a valid name"),
            (Forward::new("a.*"), "subject \"a.*\" is not a valid name"),
        ];
        for (bridge, message) in cases {
            let err = bridge.run(&client, &mut rx).await.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidArgument { .. } | Error::InvalidName { .. }
                ),
                "{err}"
            );
            assert!(!err.is_transient());
            assert_eq!(err.to_string(), message);
        }
        // Nothing was taken from the channel.
        assert_eq!(rx.try_recv().unwrap(), "kept");
    })
    .await
    .expect("test bound");
}

/// A message over the server's max_payload can never be published: the run
/// ends with `TooLarge`, naming the sizes, and hands the message back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_too_large_message_is_an_error_and_handed_back() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("BIG"), unique("big"));
        create_stream(&js, &name, &subject).await;
        let max = client.server_info().max_payload;

        let (tx, mut rx) = funnelq::channel::<Vec<u8>>(4);
        tx.send(vec![b'x'; max + 1]).unwrap();
        drop(tx);
        let err = Forward::new(&subject)
            .id_prefix("big")
            .run(&client, &mut rx)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "message big-1 of {} bytes is over the server's limit of {max} bytes",
                max + 1
            )) || text.contains(&format!("limit of {max} bytes")),
            "{text}"
        );
        let unacked = err.into_unacked();
        assert_eq!(unacked.len(), 1);
        assert_eq!(unacked[0].payload().len(), max + 1);
        assert_eq!(unacked[0].id(), Some("big-1"));
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// With no stream on the subject every publish fails ("no responders"):
/// after the retry budget the run gives up with `Publish`, handing back
/// every message, oldest first, with the id it was published under.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_gives_up_after_retry_budget_and_hands_back_in_order() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let subject = unique("nostream");
        let (tx, mut rx) = funnelq::channel::<String>(64);
        for i in 0..10 {
            tx.send(payload(0, i)).unwrap();
        }
        let started = Instant::now();
        let err = Forward::new(&subject)
            .window(4)
            .ack_timeout(Duration::from_millis(200))
            .retry_for(Duration::from_millis(600))
            .id_prefix("gone")
            .run(&client, &mut rx)
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(600), "gave up after {took:?}");
        assert!(took < Duration::from_secs(10), "gave up after {took:?}");
        assert!(matches!(err, Error::Publish { .. }), "{err}");
        assert!(err.is_transient());
        assert!(
            err.to_string()
                .starts_with(&format!("publish to {subject} not acknowledged after")),
            "{err}"
        );
        let unacked = err.into_unacked();
        let ids: Vec<_> = unacked.iter().map(|m| m.id().unwrap().to_owned()).collect();
        assert_eq!(ids, ["gone-1", "gone-2", "gone-3", "gone-4"]);
        // The rest never left the channel.
        let mut rest = Vec::new();
        rx.try_recv_batch(&mut rest, 100).unwrap();
        assert_eq!(rest.len(), 6);
        assert_eq!(rest[0], payload(0, 4));
        drop(tx);
    })
    .await
    .expect("test bound");
}
