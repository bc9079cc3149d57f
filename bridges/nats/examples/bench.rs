//! Figures for docs/BENCHMARKS.md (run by `ci/bench-nats.sh` against a nats-server it
//! starts): messages per second forwarded into a JetStream stream by the bridge
//! (several windows) against a naive loop that publishes one message and waits for its
//! ack, all in the same run, interleaved; and the end-to-end latency at fixed rates
//! through producer -> channel -> Forward -> JetStream -> Ingest -> channel -> consumer.
//!
//! ```text
//! cargo run --release -p funnelq-nats --example bench -- --server nats://127.0.0.1:4222 \
//!     [--messages 10000] [--repeat 5] [--rates 1000,5000] [--seconds 2] [--json out.json]
//! ```
//!
//! Prints Markdown tables; with `--json`, also the throughput in the schema of
//! `ci/bench_report.py`.

use std::time::{Duration, Instant};

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use funnelq_nats::{Forward, Incoming, Ingest};

const PAYLOAD: usize = 64;
const CAPACITY: usize = 1024;

struct Options {
    server: String,
    messages: usize,
    repeat: usize,
    rates: Vec<u64>,
    seconds: f64,
    json: Option<String>,
    command: String,
}

fn options() -> Options {
    let mut o = Options {
        server: std::env::var("FUNNELQ_NATS_URL")
            .unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
        messages: 10_000,
        repeat: 5,
        rates: vec![1_000, 5_000],
        seconds: 2.0,
        json: None,
        command: "bash ci/bench-nats.sh".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(name) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{name} needs a value"));
        match name.as_str() {
            "--server" => o.server = value,
            "--messages" => o.messages = value.parse().expect("--messages"),
            "--repeat" => o.repeat = value.parse().expect("--repeat"),
            "--rates" => {
                o.rates = value
                    .split(',')
                    .map(|r| r.parse().expect("--rates"))
                    .collect()
            }
            "--seconds" => o.seconds = value.parse().expect("--seconds"),
            "--json" => o.json = Some(value),
            "--command" => o.command = value,
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// A fresh file-backed stream on a fresh subject.
async fn fresh_stream(js: &jetstream::Context) -> (stream::Stream, String) {
    let id = nuid::next();
    let subject = format!("bench.{id}");
    let stream = js
        .create_stream(stream::Config {
            name: format!("BENCH_{id}"),
            subjects: vec![subject.clone()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .expect("create stream");
    (stream, subject)
}

/// One producer thread sends `n` payloads of `PAYLOAD` bytes into a channel.
fn produce(n: usize) -> (funnelq::Receiver<Bytes>, std::thread::JoinHandle<()>) {
    let (tx, rx) = funnelq::channel::<Bytes>(CAPACITY);
    let producer = std::thread::spawn(move || {
        let payload = Bytes::from(vec![b'x'; PAYLOAD]);
        for _ in 0..n {
            tx.send(payload.clone()).unwrap();
        }
    });
    (rx, producer)
}

/// Messages per second through the bridge with this window.
async fn bridge(client: &async_nats::Client, window: usize, n: usize) -> f64 {
    let js = jetstream::new(client.clone());
    let (mut stream, subject) = fresh_stream(&js).await;
    let started = Instant::now();
    let (mut rx, producer) = produce(n);
    let stats = Forward::new(&subject)
        .window(window)
        .batch(window.min(64))
        .run(client, &mut rx)
        .await
        .expect("forward");
    let rate = n as f64 / started.elapsed().as_secs_f64();
    producer.join().unwrap();
    assert_eq!(stats.stored, n as u64);
    assert_eq!(stream.info().await.unwrap().state.messages, n as u64);
    js.delete_stream(&stream.cached_info().config.name)
        .await
        .unwrap();
    rate
}

/// Messages per second for the loop a user writes first: receive one
/// message, publish it, wait for its ack, repeat.
async fn naive(client: &async_nats::Client, n: usize) -> f64 {
    let js = jetstream::new(client.clone());
    let (mut stream, subject) = fresh_stream(&js).await;
    let started = Instant::now();
    let (mut rx, producer) = produce(n);
    let mut id = 0u64;
    while let Ok(payload) = rx.recv_async().await {
        id += 1;
        let ack = js
            .send_publish(
                subject.clone(),
                PublishMessage::build()
                    .payload(payload)
                    .message_id(id.to_string()),
            )
            .await
            .expect("publish");
        ack.await.expect("ack");
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    producer.join().unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, n as u64);
    js.delete_stream(&stream.cached_info().config.name)
        .await
        .unwrap();
    rate
}

/// End-to-end latencies (µs) of `rate` messages/s for `seconds`, the first
/// 5 % dropped as warm-up.
async fn latency(client: &async_nats::Client, rate: u64, seconds: f64) -> Vec<f64> {
    let js = jetstream::new(client.clone());
    let (mut stream, subject) = fresh_stream(&js).await;
    let consumer: consumer::PullConsumer = stream
        .create_consumer(consumer::pull::Config {
            durable_name: Some("bench".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let count = (rate as f64 * seconds) as usize;
    let epoch = Instant::now();

    let (in_tx, mut in_rx) = funnelq::channel::<Bytes>(CAPACITY);
    let (out_tx, out_rx) = funnelq::channel::<Incoming>(CAPACITY);
    let forward = {
        let client = client.clone();
        tokio::spawn(async move { Forward::new(&subject).run(&client, &mut in_rx).await })
    };
    let ingest = tokio::spawn(async move { Ingest::new().run(&consumer, &out_tx).await });
    let receiver = std::thread::spawn(move || {
        let mut out_rx = out_rx;
        let mut lat = Vec::with_capacity(count);
        while lat.len() < count {
            let m = out_rx.recv().unwrap();
            let sent = u64::from_le_bytes(m.payload[..8].try_into().unwrap());
            let now = epoch.elapsed().as_nanos() as u64;
            lat.push((now - sent) as f64 / 1e3);
        }
        out_rx.close(); // ends the ingest bridge
        lat
    });
    // The producer keeps a schedule of one message every 1/rate s; each
    // message carries the time it was handed to `send`.
    let producer = std::thread::spawn(move || {
        let step = Duration::from_secs_f64(1.0 / rate as f64);
        let start = Instant::now();
        for i in 0..count {
            // Sleep (never spin: the cores are shared with the server and
            // the bridges) until the message is due; a late wake-up sends
            // the messages that fell due meanwhile back to back.
            let due = start + step * i as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let mut payload = vec![0u8; PAYLOAD];
            payload[..8].copy_from_slice(&(epoch.elapsed().as_nanos() as u64).to_le_bytes());
            in_tx.send(Bytes::from(payload)).unwrap();
        }
    });
    producer.join().unwrap();
    forward.await.unwrap().expect("forward");
    let lat = receiver.join().unwrap();
    ingest.await.unwrap().expect("ingest");
    js.delete_stream(&stream.cached_info().config.name)
        .await
        .unwrap();
    let _ = stream.info().await;
    lat[count / 20..].to_vec()
}

fn median(v: &mut [f64]) -> f64 {
    percentile(v, 50.0)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[rank]
}

fn spread(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let o = options();
    let client = async_nats::connect(o.server.as_str())
        .await
        .expect("connect");
    let info = client.server_info();
    let environment = format!(
        "nats-server {} on loopback, file storage; async-nats 0.51, {} B messages, channel capacity {CAPACITY}",
        info.version, PAYLOAD
    );

    // Throughput: every case once per round, rounds interleaved.
    let cases: [(&str, Option<usize>); 4] = [
        ("publish + wait per message", None),
        ("Forward, window 1", Some(1)),
        ("Forward, window 16", Some(16)),
        ("Forward, window 256", Some(256)),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    // One warm-up round, not counted.
    for &(_, window) in &cases {
        match window {
            None => naive(&client, o.messages / 10).await,
            Some(w) => bridge(&client, w, o.messages / 10).await,
        };
    }
    for _ in 0..o.repeat {
        for (k, &(_, window)) in cases.iter().enumerate() {
            let r = match window {
                None => naive(&client, o.messages).await,
                Some(w) => bridge(&client, w, o.messages).await,
            };
            rates[k].push(r);
        }
    }
    let naive_median = median(&mut rates[0].clone());
    println!(
        "**Forwarding {} messages of {PAYLOAD} B from one producer thread into a stream** \
         (messages/s, median of {} interleaved runs, min–max in brackets)\n",
        o.messages, o.repeat
    );
    println!("| loop | messages/s | ÷ publish + wait |");
    println!("|---|---:|---:|");
    let mut medians = Vec::new();
    for (k, (name, _)) in cases.iter().enumerate() {
        let m = median(&mut rates[k].clone());
        let (lo, hi) = spread(&rates[k]);
        medians.push(m);
        println!(
            "| {name} | {m:.0} ({lo:.0}–{hi:.0}) | {:.2}× |",
            m / naive_median
        );
    }

    println!(
        "\n**End-to-end latency at a fixed rate**: producer -> channel -> Forward (window 256) -> \
         JetStream -> Ingest -> channel -> consumer thread; {} s per run, first 5 % dropped; \
         median of {} runs, min–max of the runs in brackets (µs)\n",
        o.seconds, o.repeat
    );
    println!("| rate (msg/s) | median | p99 |");
    println!("|---:|---:|---:|");
    for &rate in &o.rates {
        let (mut p50s, mut p99s) = (Vec::new(), Vec::new());
        for _ in 0..o.repeat {
            let mut lat = latency(&client, rate, o.seconds).await;
            p50s.push(median(&mut lat));
            p99s.push(percentile(&mut lat, 99.0));
        }
        let (a, b) = spread(&p50s);
        let (c, d) = spread(&p99s);
        println!(
            "| {rate} | {:.0} ({a:.0}–{b:.0}) | {:.0} ({c:.0}–{d:.0}) |",
            median(&mut p50s.clone()),
            median(&mut p99s.clone())
        );
    }

    if let Some(path) = o.json {
        let case = format!("forward {PAYLOAD} B into JetStream, capacity {CAPACITY}");
        let results: Vec<String> = cases
            .iter()
            .zip(&medians)
            .map(|((name, window), m)| {
                let role = match window {
                    None => "native",
                    Some(256) => "funnelq",
                    Some(_) => "other",
                };
                format!(
                    "  {{\"case\": \"{case}\", \"producers\": 1, \"impl\": \"{name}\", \"role\": \"{role}\", \"msgs_per_sec\": {m:.1}}}"
                )
            })
            .collect();
        let json = format!(
            "{{\"language\": \"NATS bridge\", \"native\": \"publish + wait per message\", \
             \"command\": \"{}\", \"environment\": \"{environment}\", \"plot_case\": \"{case}\", \
             \"results\": [\n{}\n]}}\n",
            o.command,
            results.join(",\n")
        );
        std::fs::write(&path, json).expect("write json");
    }
    eprintln!("{environment}");
}
