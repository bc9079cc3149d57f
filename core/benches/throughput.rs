//! funnelq beside crossbeam-channel `bounded`, `std::sync::mpsc::sync_channel`
//! and flume `bounded`, in one run, on the same shapes:
//! SPSC and MPSC (2, 4, 8 producers) × capacity 1, 16, 1024, 8-byte messages;
//! a ping-pong round trip (one message in flight); an uncontended
//! send+recv pair on one thread.
//!
//! `cargo bench -p funnelq --bench throughput` prints Markdown tables (medians
//! of `FUNNELQ_BENCH_RUNS` runs, default 5). `ci/bench.sh` puts them in
//! `docs/BENCHMARKS.md`; with `FUNNELQ_BENCH_JSON=<file>` the throughput
//! figures also go to that file in the schema every language's benchmark
//! writes (ci/bench_report.py reads them for the ratio table and the plot).
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Instant;

trait Peer {
    const NAME: &'static str;
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;
    fn new(cap: usize) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64);
    fn try_send(tx: &Self::Tx, v: u64) -> bool;
    fn recv(rx: &mut Self::Rx) -> Option<u64>;
    fn try_recv(rx: &mut Self::Rx) -> Option<u64>;
}

/// The four channels share method names; only the types and the constructor
/// differ. One row per channel: `Peer = "name", Sender, Receiver, constructor;`.
macro_rules! peers {
    ($($peer:ident = $name:literal, $tx:ty, $rx:ty, $new:path;)*) => {$(
        struct $peer;
        impl Peer for $peer {
            const NAME: &'static str = $name;
            type Tx = $tx;
            type Rx = $rx;
            fn new(cap: usize) -> (Self::Tx, Self::Rx) {
                $new(cap)
            }
            fn send(tx: &Self::Tx, v: u64) {
                tx.send(v).unwrap()
            }
            fn try_send(tx: &Self::Tx, v: u64) -> bool {
                tx.try_send(v).is_ok()
            }
            fn recv(rx: &mut Self::Rx) -> Option<u64> {
                rx.recv().ok()
            }
            fn try_recv(rx: &mut Self::Rx) -> Option<u64> {
                rx.try_recv().ok()
            }
        }
    )*};
}

peers! {
    Funnelq = "funnelq", funnelq::Sender<u64>, funnelq::Receiver<u64>, funnelq::channel;
    Crossbeam = "crossbeam", crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>, crossbeam_channel::bounded;
    Std = "std sync_channel", mpsc::SyncSender<u64>, mpsc::Receiver<u64>, mpsc::sync_channel;
    Flume = "flume", flume::Sender<u64>, flume::Receiver<u64>, flume::bounded;
}

/// `producers` threads send `total` messages in all; the main thread
/// receives them. Returns ns per message.
fn throughput<P: Peer>(producers: usize, cap: usize, total: usize) -> f64 {
    let (tx, mut rx) = P::new(cap);
    let per = total / producers;
    let start = Arc::new(Barrier::new(producers + 1));
    let handles: Vec<_> = (0..producers)
        .map(|_| {
            let tx = tx.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                for i in 0..per {
                    P::send(&tx, i as u64);
                }
            })
        })
        .collect();
    drop(tx);
    start.wait();
    let t = Instant::now();
    let mut sum = 0u64;
    for _ in 0..per * producers {
        sum = sum.wrapping_add(P::recv(&mut rx).expect("all messages arrive"));
    }
    let elapsed = t.elapsed();
    black_box(sum);
    for h in handles {
        h.join().unwrap();
    }
    elapsed.as_nanos() as f64 / (per * producers) as f64
}

/// One message in flight: main sends, an echo thread answers. ns per round trip.
fn ping_pong<P: Peer>(rounds: usize) -> f64 {
    let (tx_a, mut rx_a) = P::new(1);
    let (tx_b, mut rx_b) = P::new(1);
    let echo = thread::spawn(move || {
        while let Some(v) = P::recv(&mut rx_a) {
            P::send(&tx_b, v + 1);
        }
    });
    let t = Instant::now();
    for i in 0..rounds as u64 {
        P::send(&tx_a, i);
        assert_eq!(P::recv(&mut rx_b), Some(i + 1));
    }
    let elapsed = t.elapsed();
    drop(tx_a);
    echo.join().unwrap();
    elapsed.as_nanos() as f64 / rounds as f64
}

/// try_send then try_recv on one thread: ns per pair.
fn uncontended<P: Peer>(pairs: usize) -> f64 {
    let (tx, mut rx) = P::new(16);
    let t = Instant::now();
    for i in 0..pairs as u64 {
        assert!(P::try_send(&tx, black_box(i)));
        black_box(P::try_recv(&mut rx));
    }
    t.elapsed().as_nanos() as f64 / pairs as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn runs() -> usize {
    std::env::var("FUNNELQ_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

/// Wall time one measured run may take before its message count is cut.
const RUN_BUDGET_NS: f64 = 200e6;

/// Median ns per unit of `runs()` runs of `f(count)`. A first, smaller run
/// warms up and estimates the cost; a channel so slow that `count` units
/// would take more than `RUN_BUDGET_NS` per run moves fewer (never under
/// `count / 100`). Only the peers that park a thread per hand-over are cut,
/// and only on machines where that is slow: it bounds `ci/bench.sh` without
/// shortening the runs of the fast channels.
fn measure(count: usize, f: impl Fn(usize) -> f64) -> f64 {
    let estimate = f((count / 20).max(1));
    let fits = (RUN_BUDGET_NS / estimate) as usize;
    let count = fits.clamp((count / 100).max(1), count);
    median((0..runs()).map(|_| f(count)).collect())
}

struct Row {
    shape: String,
    producers: usize,
    cap: usize,
    ns: [f64; 4],
}

/// The figures as `ci/bench_report.py` reads them: messages per second per
/// (capacity, producers, channel); crossbeam is the alternative a Rust user
/// would otherwise pick, std and flume are shown beside it.
fn write_json(path: &str, names: [&str; 4], rows: &[Row]) {
    let roles = ["funnelq", "native", "other", "other"];
    let mut results = Vec::new();
    for r in rows {
        for i in 0..4 {
            results.push(format!(
                r#"    {{"case": "8-byte messages, capacity {}", "producers": {}, "impl": "{}", "role": "{}", "msgs_per_sec": {:.0}}}"#,
                r.cap,
                r.producers,
                names[i],
                roles[i],
                1e9 / r.ns[i]
            ));
        }
    }
    let environment = std::env::var("FUNNELQ_BENCH_ENVIRONMENT").unwrap_or_default();
    let json = format!(
        r#"{{
  "language": "Rust",
  "native": "{}",
  "command": "cargo bench -p funnelq --bench throughput",
  "environment": "{}",
  "plot_case": "8-byte messages, capacity 1024",
  "results": [
{}
  ]
}}
"#,
        names[1],
        environment.replace('"', "'"),
        results.join(",\n")
    );
    std::fs::write(path, json).unwrap_or_else(|e| panic!("writing {path}: {e}"));
}

fn all4(f: impl Fn(usize) -> f64) -> [f64; 4] {
    [f(0), f(1), f(2), f(3)]
}

/// `measure`s `$f::<P>(args)` for each peer `P`, in the order of `names` in
/// `main`: `per_peer!(n, |n| shape(x, n))` measures `shape::<P>(x, n)` over
/// `n` messages.
macro_rules! per_peer {
    ($n:expr, |$k:ident| $f:ident($($arg:expr),*)) => {
        all4(|i| {
            measure($n, |$k| match i {
                0 => $f::<Funnelq>($($arg),*),
                1 => $f::<Crossbeam>($($arg),*),
                2 => $f::<Std>($($arg),*),
                _ => $f::<Flume>($($arg),*),
            })
        })
    };
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // useful: run a tiny smoke version then, so tests stay fast.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let scale = if smoke { 100 } else { 1 };
    let names = [Funnelq::NAME, Crossbeam::NAME, Std::NAME, Flume::NAME];
    let mut rows = Vec::new();
    for &producers in &[1usize, 2, 4, 8] {
        for &cap in &[1usize, 16, 1024] {
            let total = if cap == 1 { 100_000 } else { 2_000_000 } / scale;
            let shape = if producers == 1 {
                format!("SPSC, cap {cap}")
            } else {
                format!("MPSC {producers}P, cap {cap}")
            };
            let ns = per_peer!(total, |total| throughput(producers, cap, total));
            eprintln!("{shape}: {ns:.1?}");
            rows.push(Row {
                shape,
                producers,
                cap,
                ns,
            });
        }
    }
    let rounds = 20_000 / scale;
    let ping = per_peer!(rounds, |rounds| ping_pong(rounds));
    let pairs = 2_000_000 / scale;
    let pair = per_peer!(pairs, |pairs| uncontended(pairs));

    if let Ok(path) = std::env::var("FUNNELQ_BENCH_JSON") {
        write_json(&path, names, &rows);
    }
    println!(
        "### Throughput: ns per message (median of {} runs; lower is better)\n",
        runs()
    );
    println!(
        "| shape | {} | {} | {} | {} | funnelq Mmsg/s | ratio vs crossbeam (throughput) |",
        names[0], names[1], names[2], names[3]
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2}× |",
            r.shape,
            r.ns[0],
            r.ns[1],
            r.ns[2],
            r.ns[3],
            1e3 / r.ns[0],
            r.ns[1] / r.ns[0]
        );
    }
    println!("\n### Latency (median of {} runs)\n", runs());
    println!(
        "| shape | {} | {} | {} | {} | ratio vs crossbeam |",
        names[0], names[1], names[2], names[3]
    );
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| ping-pong round trip, ns | {:.0} | {:.0} | {:.0} | {:.0} | {:.2}× |",
        ping[0],
        ping[1],
        ping[2],
        ping[3],
        ping[1] / ping[0]
    );
    println!(
        "| uncontended try_send+try_recv, ns | {:.1} | {:.1} | {:.1} | {:.1} | {:.2}× |",
        pair[0],
        pair[1],
        pair[2],
        pair[3],
        pair[1] / pair[0]
    );
}
