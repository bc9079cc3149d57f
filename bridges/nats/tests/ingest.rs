//! Ingest against a real nats-server: counts and order, fetches sized to
//! the channel's free room, acks only after the channel accepted, the
//! receiver's acks, shutdown.

mod common;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use common::*;
use funnelq_nats::{AckMode, Error, Forward, Incoming, Ingest};

/// Publishes `p:i` for one producer, `n` messages, through the forward bridge.
async fn fill(client: &async_nats::Client, subject: &str, n: usize) {
    let (tx, mut rx) = funnelq::channel::<String>(n.max(1));
    for i in 0..n {
        tx.send(payload(0, i)).unwrap();
    }
    drop(tx);
    let stats = Forward::new(subject).run(client, &mut rx).await.unwrap();
    assert_eq!(stats.stored, n as u64);
}

/// Every message of the stream reaches the receiver once, in stream order,
/// through a channel far smaller than the stream; the run ends when the
/// receiver closes the channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_round_trip_exact_count_and_order() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("ING"), unique("ing"));
        let stream = create_stream(&js, &name, &subject).await;
        const N: usize = 5000;
        fill(&client, &subject, N).await;
        let consumer = create_consumer(&stream, "c", Duration::from_secs(30)).await;

        let (tx, rx) = funnelq::channel::<Incoming>(32);
        let receiver = std::thread::spawn(move || {
            let mut rx = rx;
            let mut got = Vec::with_capacity(N);
            while got.len() < N {
                let m = rx.recv().unwrap();
                assert!(!m.needs_ack());
                got.push((m.stream_sequence, m.delivered, m.payload.to_vec()));
            }
            rx.close(); // stops the bridge
            got
        });
        let stats = Ingest::new().batch(100).run(&consumer, &tx).await.unwrap();
        let got = receiver.join().unwrap();
        assert_eq!(stats.accepted, N as u64);
        assert_eq!(stats.acked, N as u64);
        assert_eq!(stats.redelivered, 0);
        assert_each_once_in_order(got.iter().map(|g| g.2.as_slice()), 1, N);
        let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
        assert_eq!(seqs, (1..=N as u64).collect::<Vec<_>>());
        assert!(got.iter().all(|g| g.1 == 1));
        // Everything acked at the server.
        let info = stream
            .get_consumer::<async_nats::jetstream::consumer::pull::Config>("c")
            .await
            .unwrap()
            .get_info()
            .await
            .unwrap();
        assert_eq!(info.ack_floor.stream_sequence, N as u64);
        assert_eq!(info.num_ack_pending, 0);
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// With nobody receiving, the bridge fills the channel and then holds at
/// most one fetched message (the one waiting for room): the server shows
/// `capacity` messages acked, at most one pending ack, the rest never
/// delivered. It fetches no more than the channel's free room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_fetches_no_more_than_free_room_and_acks_only_accepted() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("ROOM"), unique("room"));
        let stream = create_stream(&js, &name, &subject).await;
        const N: usize = 500;
        const CAP: usize = 8;
        fill(&client, &subject, N).await;
        let mut consumer = create_consumer(&stream, "c", Duration::from_secs(30)).await;

        let (tx, mut rx) = funnelq::channel::<Incoming>(CAP);
        let closer = rx.closer();
        let run = {
            let consumer = consumer.clone();
            tokio::spawn(async move { Ingest::new().batch(256).run(&consumer, &tx).await })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while closer.len() < CAP {
            assert!(Instant::now() < deadline, "channel holds {}", closer.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let info = consumer.info().await.unwrap().clone();
        assert_eq!(
            info.ack_floor.stream_sequence, CAP as u64,
            "acked exactly what the channel took"
        );
        assert!(
            info.num_ack_pending <= 1,
            "fetched beyond the room: {} pending",
            info.num_ack_pending
        );
        assert!(
            info.delivered.stream_sequence <= CAP as u64 + 1,
            "delivered {}",
            info.delivered.stream_sequence
        );
        assert!(info.num_pending >= (N - CAP - 1) as u64);

        // Drain: the rest flows through the same small channel.
        let mut got = Vec::new();
        while got.len() < N {
            got.push(rx.recv_async().await.unwrap().payload.to_vec());
        }
        rx.close();
        let stats = run.await.unwrap().unwrap();
        assert_eq!(stats.accepted, N as u64);
        assert!(
            stats.fetches >= (N / CAP) as u64 / 2,
            "{} fetches",
            stats.fetches
        );
        assert_each_once_in_order(got.iter().map(|g| g.as_slice()), 1, N);
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// With `AckMode::ByReceiver` the bridge acks nothing: messages the
/// receiver does not ack come back after the ack wait, with `delivered == 2`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_by_receiver_unacked_messages_are_redelivered() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("RCV"), unique("rcv"));
        let stream = create_stream(&js, &name, &subject).await;
        const N: usize = 20;
        fill(&client, &subject, N).await;
        let consumer = create_consumer(&stream, "c", Duration::from_secs(1)).await;

        let (tx, mut rx) = funnelq::channel::<Incoming>(64);
        let run = {
            let consumer = consumer.clone();
            tokio::spawn(async move {
                Ingest::new()
                    .ack_mode(AckMode::ByReceiver)
                    .run(&consumer, &tx)
                    .await
            })
        };
        // First pass: ack the even messages only.
        let mut first = Vec::new();
        while first.len() < N {
            let m = rx.recv_async().await.unwrap();
            assert!(m.needs_ack());
            assert_eq!(m.delivered, 1);
            if m.stream_sequence % 2 == 0 {
                m.ack().await.unwrap();
            }
            first.push(m.stream_sequence);
        }
        // The odd ones come back after the 1 s ack wait, once each.
        let started = Instant::now();
        let mut again = Vec::new();
        while again.len() < N / 2 {
            let m = rx.recv_async().await.unwrap();
            assert_eq!(m.delivered, 2, "seq {}", m.stream_sequence);
            m.ack().await.unwrap();
            again.push(m.stream_sequence);
        }
        assert!(
            started.elapsed() >= Duration::from_millis(500),
            "redelivered early"
        );
        again.sort();
        assert_eq!(
            again,
            (1..=N as u64).filter(|s| s % 2 == 1).collect::<Vec<_>>()
        );
        rx.close();
        let stats = run.await.unwrap().unwrap();
        assert_eq!(stats.acked, 0);
        assert_eq!(stats.accepted, (N + N / 2) as u64);
        assert_eq!(stats.redelivered, (N / 2) as u64);
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// Closing the channel stops the bridge promptly; the message it held for
/// the full channel goes back with -NAK and reaches the next consumer
/// at once, not after the 30 s ack wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_close_stops_promptly_and_hands_back_what_it_held() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("STOP"), unique("stop"));
        let stream = create_stream(&js, &name, &subject).await;
        const N: usize = 50;
        const CAP: usize = 4;
        fill(&client, &subject, N).await;
        let consumer = create_consumer(&stream, "c", Duration::from_secs(30)).await;

        let (tx, mut rx) = funnelq::channel::<Incoming>(CAP);
        let run = {
            let consumer = consumer.clone();
            tokio::spawn(async move { Ingest::new().run(&consumer, &tx).await })
        };
        while rx.len() < CAP {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let first: Vec<u64> = (0..CAP)
            .map(|_| rx.try_recv().unwrap().stream_sequence)
            .collect();
        assert_eq!(first, [1, 2, 3, 4]);
        // The bridge may have sent one more meanwhile; close and time the stop.
        let started = Instant::now();
        rx.close();
        let stats = run.await.unwrap().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "stopped after {:?}",
            started.elapsed()
        );
        let taken = stats.accepted as usize;
        // What was accepted is still in the channel, then end of stream.
        let mut rest = Vec::new();
        while let Ok(m) = rx.try_recv() {
            rest.push(m.stream_sequence);
        }
        assert_eq!(CAP + rest.len(), taken);

        // A new bridge gets everything else at once: the held message was
        // handed back, nothing waits for the 30 s ack wait.
        let (tx2, mut rx2) = funnelq::channel::<Incoming>(N);
        let run2 = {
            let consumer = consumer.clone();
            tokio::spawn(async move { Ingest::new().run(&consumer, &tx2).await })
        };
        let mut seqs: Vec<u64> = first.iter().chain(rest.iter()).copied().collect();
        let deadline = Instant::now() + Duration::from_secs(5);
        while seqs.len() < N {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = tokio::time::timeout(left, rx2.recv_async())
                .await
                .unwrap_or_else(|_| panic!("only {} of {N} within 5 s", seqs.len()))
                .unwrap();
            seqs.push(m.stream_sequence);
        }
        seqs.sort();
        assert_eq!(seqs, (1..=N as u64).collect::<Vec<_>>());
        rx2.close();
        run2.await.unwrap().unwrap();
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}

/// `run_until` returns when its signal fires, even while a pull request
/// waits on an empty stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_run_until_returns_on_the_signal() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Shared::get();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("SIG"), unique("sig"));
        let stream = create_stream(&js, &name, &subject).await;
        let consumer = create_consumer(&stream, "c", Duration::from_secs(30)).await;
        let (tx, _rx) = funnelq::channel::<Incoming>(8);
        let started = Instant::now();
        let stop = tokio::time::sleep(Duration::from_millis(300));
        let stats = Ingest::new()
            .fetch_wait(Duration::from_secs(10))
            .run_until(&consumer, &tx, stop)
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(3),
            "{took:?}"
        );
        assert_eq!(stats.accepted, 0);
        assert!(
            !tx.is_closed(),
            "the signal stops the bridge, not the channel"
        );
        let err = Ingest::new()
            .batch(0)
            .run(&consumer, &tx)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "batch", .. }));
        assert_eq!(err.to_string(), "batch 0 is out of range 1..=65536");
        js.delete_stream(&name).await.unwrap();
    })
    .await
    .expect("test bound");
}
