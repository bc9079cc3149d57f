//! Faults against a real nats-server of the test's own: the server
//! restarted (cleanly, and killed with SIGKILL) in the middle of a forward
//! run, and an ingest consumer killed in the middle of a batch, in process
//! and as a process.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use common::*;
use funnelq_nats::{Forward, Incoming, Ingest};

/// Two producers feed a forward run; when a quarter is sent, the server goes
/// down and comes back on the same port and store. Afterwards the stream
/// holds every message exactly once (the retries that had been stored after
/// all came back as duplicates), and the run really did retry.
async fn restart_mid_forward(kill: bool) {
    let mut server = Server::start();
    let client = connect(&server.url()).await;
    let js = jetstream::new(client.clone());
    let (name, subject) = (unique("RESTART"), unique("restart"));
    let stream = create_stream(&js, &name, &subject).await;

    const P: usize = 2;
    const N: usize = 10_000;
    let (tx, mut rx) = funnelq::channel::<String>(256);
    let sent = Arc::new(AtomicUsize::new(0));
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let (tx, sent) = (tx.clone(), sent.clone());
            std::thread::spawn(move || {
                for i in 0..N {
                    tx.send(payload(p, i)).unwrap();
                    sent.fetch_add(1, Ordering::SeqCst);
                    if i % 100 == 99 {
                        // Paced, so that the restart lands mid-run.
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let bridge = Forward::new(&subject)
        .window(64)
        .ack_timeout(Duration::from_millis(500))
        .retry_for(Duration::from_secs(30));
    let run = tokio::spawn(async move { bridge.run(&client, &mut rx).await });

    while sent.load(Ordering::SeqCst) < P * N / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if kill {
        server.kill();
    } else {
        server.stop();
    }
    let down_at = sent.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.restart();

    let stats = run.await.unwrap().expect("forward survives the restart");
    for p in producers {
        p.join().unwrap();
    }
    assert!(down_at < P * N, "the server went down after the run");
    assert!(
        stats.retries > 0,
        "the restart did not hit the run: {stats:?}"
    );
    assert_eq!(stats.stored + stats.duplicates, (P * N) as u64, "{stats:?}");

    let client = connect(&server.url()).await;
    let js = jetstream::new(client);
    let mut stream_after = js.get_stream(&name).await.unwrap();
    let stored = read_stream(&mut stream_after).await;
    // Exactly once: every id and every payload once.
    let mut seen: HashMap<Vec<u8>, u64> = HashMap::new();
    for (seq, payload, _) in &stored {
        if let Some(first) = seen.insert(payload.clone(), *seq) {
            panic!(
                "{} stored twice (seq {first} and {seq})",
                String::from_utf8_lossy(payload)
            );
        }
    }
    assert_eq!(stored.len(), P * N, "{stats:?}");
    // Order per producer is kept unless a retry landed after later messages
    // (documented); report it rather than assert it.
    let mut next = [0usize; P];
    let mut out_of_order = 0;
    for (_, payload, _) in &stored {
        let text = std::str::from_utf8(payload).unwrap();
        let (p, i) = text.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        if i < next[p] {
            out_of_order += 1;
        }
        next[p] = next[p].max(i + 1);
    }
    eprintln!(
        "{}: {} stored, {} duplicates, {} retries; {out_of_order} out of order",
        if kill { "SIGKILL" } else { "SIGTERM" },
        stats.stored,
        stats.duplicates,
        stats.retries
    );
    for p in 0..P {
        for i in 0..N {
            assert!(
                seen.contains_key(payload(p, i).as_bytes()),
                "{} lost",
                payload(p, i)
            );
        }
    }
    drop(stream);
    let _ = stream_after;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_server_restart_mid_forward_stores_each_message_exactly_once() {
    tokio::time::timeout(TEST_BOUND, restart_mid_forward(false))
        .await
        .expect("test bound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_server_killed_mid_forward_stores_each_message_exactly_once() {
    tokio::time::timeout(TEST_BOUND, restart_mid_forward(true))
        .await
        .expect("test bound");
}

/// The ingest task is aborted (killed) while it holds a fetched message it
/// could not yet put into the full channel. Nothing is lost: what the
/// channel accepted is in the channel, the held message is delivered again
/// after the ack wait to the next bridge, and nothing is delivered twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_ingest_task_killed_mid_batch_redelivery_loses_nothing() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Server::start();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("KILL"), unique("kill"));
        let stream = create_stream(&js, &name, &subject).await;
        const N: usize = 300;
        const CAP: usize = 10;
        let (tx, mut rx) = funnelq::channel::<String>(N);
        for i in 0..N {
            tx.send(payload(0, i)).unwrap();
        }
        drop(tx);
        Forward::new(&subject).run(&client, &mut rx).await.unwrap();
        let consumer = create_consumer(&stream, "c", Duration::from_secs(1)).await;

        let (tx, mut rx) = funnelq::channel::<Incoming>(CAP);
        let first = {
            let (consumer, tx) = (consumer.clone(), tx.clone());
            tokio::spawn(async move { Ingest::new().batch(50).run(&consumer, &tx).await })
        };
        while rx.len() < CAP {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.abort(); // mid-batch: one message fetched, waiting for room
        assert!(first.await.unwrap_err().is_cancelled());

        let second = {
            let consumer = consumer.clone();
            tokio::spawn(async move { Ingest::new().batch(50).run(&consumer, &tx).await })
        };
        let mut got: Vec<Incoming> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while got.len() < N {
            assert!(Instant::now() < deadline, "got {} of {N}", got.len());
            got.push(rx.recv_async().await.unwrap());
        }
        rx.close();
        let stats = second.await.unwrap().unwrap();
        let mut seqs: Vec<u64> = got.iter().map(|m| m.stream_sequence).collect();
        seqs.sort();
        assert_eq!(
            seqs,
            (1..=N as u64).collect::<Vec<_>>(),
            "each message once"
        );
        // The message the killed bridge held came back as a redelivery.
        let redelivered: Vec<u64> = got
            .iter()
            .filter(|m| m.delivered > 1)
            .map(|m| m.stream_sequence)
            .collect();
        assert_eq!(redelivered, [CAP as u64 + 1]);
        assert_eq!(stats.redelivered, 1);
        drop(server);
    })
    .await
    .expect("test bound");
}

/// The `funnelq-nats ingest` process (acks after writing each line) is
/// killed with SIGKILL in the middle of a run. A second process prints the
/// rest: together they printed every message, and only messages printed but
/// not yet acked (at most one pull's worth) twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_ingest_process_killed_mid_batch_redelivery_loses_nothing() {
    tokio::time::timeout(TEST_BOUND, async {
        let server = Server::start();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("PROC"), unique("proc"));
        create_stream(&js, &name, &subject).await;
        const N: usize = 20_000;
        let (tx, mut rx) = funnelq::channel::<String>(N);
        for i in 0..N {
            tx.send(payload(0, i)).unwrap();
        }
        drop(tx);
        Forward::new(&subject).run(&client, &mut rx).await.unwrap();

        let bin = env!("CARGO_BIN_EXE_funnelq-nats");
        let url = server.url();
        let lines = tokio::task::spawn_blocking(move || {
            let args = |extra: &[&str]| {
                let mut a = vec![
                    "ingest",
                    "--server",
                    &url,
                    "--stream",
                    &name,
                    "--consumer",
                    "cli",
                    "--ack-wait",
                    "1",
                    "--batch",
                    "100",
                    "--capacity",
                    "64",
                ]
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>();
                a.extend(extra.iter().map(|s| s.to_string()));
                a
            };
            // First process: killed after a few thousand lines.
            let mut child = Command::new(bin)
                .args(args(&[]))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut out = BufReader::new(child.stdout.take().unwrap());
            let mut lines = Vec::new();
            let mut line = String::new();
            while lines.len() < 3000 {
                line.clear();
                assert!(
                    out.read_line(&mut line).unwrap() > 0,
                    "first ingest ended early"
                );
                lines.push(line.trim_end().to_owned());
            }
            child.kill().unwrap(); // SIGKILL, mid-batch
            child.wait().unwrap();
            // What it wrote before dying is still in the pipe.
            for l in out.lines() {
                lines.push(l.unwrap());
            }
            let first = lines.len();
            // Second process: prints the rest, stops when idle.
            let output = Command::new(bin)
                .args(args(&["--idle", "3"]))
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "second ingest: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            lines.extend(
                String::from_utf8(output.stdout)
                    .unwrap()
                    .lines()
                    .map(str::to_owned),
            );
            (first, lines)
        })
        .await
        .unwrap();
        let (first, lines) = lines;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for l in &lines {
            *counts.entry(l.as_str()).or_default() += 1;
        }
        for i in 0..N {
            assert!(
                counts.contains_key(payload(0, i).as_str()),
                "{} lost",
                payload(0, i)
            );
        }
        assert_eq!(counts.len(), N, "unexpected lines");
        let twice = lines.len() - N;
        assert!(first < N, "the kill came after the end");
        assert!(twice <= 100 + 64, "{twice} lines printed twice");
    })
    .await
    .expect("test bound");
}

/// The server restarts while an ingest bridge is pulling: the bridge rides
/// out the outage (its pull requests fail or expire and are made again) and
/// every message reaches the channel at least once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_server_restart_mid_ingest_delivers_every_message() {
    tokio::time::timeout(TEST_BOUND, async {
        let mut server = Server::start();
        let client = connect(&server.url()).await;
        let js = jetstream::new(client.clone());
        let (name, subject) = (unique("INGRESTART"), unique("ingrestart"));
        let stream = create_stream(&js, &name, &subject).await;
        const N: usize = 5000;
        let (tx, mut rx) = funnelq::channel::<String>(N);
        for i in 0..N {
            tx.send(payload(0, i)).unwrap();
        }
        drop(tx);
        Forward::new(&subject).run(&client, &mut rx).await.unwrap();
        let consumer = create_consumer(&stream, "c", Duration::from_secs(2)).await;

        let (tx, mut rx) = funnelq::channel::<Incoming>(64);
        let run = tokio::spawn(async move {
            Ingest::new()
                .batch(64)
                .fetch_wait(Duration::from_millis(500))
                .run(&consumer, &tx)
                .await
        });
        let mut seen = vec![0u32; N];
        let mut received = 0;
        let mut restarted = false;
        let deadline = Instant::now() + Duration::from_secs(40);
        while seen.contains(&0) {
            assert!(
                Instant::now() < deadline,
                "{} of {N} distinct",
                seen.iter().filter(|&&c| c > 0).count()
            );
            let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(1), rx.recv_async()).await
            else {
                continue;
            };
            let i: usize = std::str::from_utf8(&m.payload).unwrap()[2..]
                .parse()
                .unwrap();
            seen[i] += 1;
            received += 1;
            if received == N / 4 && !restarted {
                server.stop();
                tokio::time::sleep(Duration::from_millis(300)).await;
                server.restart();
                restarted = true;
            }
        }
        rx.close();
        let stats = run.await.unwrap().expect("ingest survives the restart");
        assert!(restarted);
        let twice = seen.iter().filter(|&&c| c > 1).count();
        eprintln!("ingest across a restart: {received} received, {twice} twice, {stats:?}");
        assert!(stats.accepted >= N as u64);
    })
    .await
    .expect("test bound");
}
