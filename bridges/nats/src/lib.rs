//! Bridges a [funnelq] channel to NATS JetStream, so that a fan-in that
//! outgrows one host keeps its backpressure across the network.
//!
//! - [`Forward`] drains a [`funnelq::Receiver`] into a JetStream subject with
//!   a bounded window of publishes awaiting their ack. A full window stops
//!   the receiving, the channel fills, and its producers wait: the broker's
//!   pace becomes the producers' pace. Every message carries a
//!   `Nats-Msg-Id`, and failed publishes are retried with the same id, so a
//!   broker restart or a lost ack neither loses nor duplicates a message in
//!   the stream.
//! - [`Ingest`] feeds a [`funnelq::Sender`] from a JetStream pull consumer,
//!   fetching no more than the channel's free room, and acks a message only
//!   once the channel accepted it (or leaves the ack to the receiver).
//!
//! Both run on tokio (the NATS client needs it); the channel side is
//! funnelq's runtime-agnostic async API, so producers and the consumer may be
//! plain threads.
//!
//! # Guarantees across the network
//!
//! | path | guarantee | how |
//! |---|---|---|
//! | producer → channel | exactly once, FIFO per producer | funnelq (S03, S04) |
//! | channel → stream ([`Forward`]) | exactly once in the stream, while retries stay inside the stream's duplicate window | `Nats-Msg-Id` + retry with the same id |
//! | stream → channel ([`Ingest`]) | at least once | ack after the channel accepted ([`AckMode::OnAccept`]) |
//! | stream → processed ([`AckMode::ByReceiver`]) | at least once | the receiver acks after its effect is durable |
//!
//! **Exactly-once processing** on the ingest side needs the receiver's help:
//! use [`AckMode::ByReceiver`], make the effect idempotent or record, in the
//! same transaction as the effect, the [`Incoming::stream_sequence`] (one
//! consumer) or [`Incoming::msg_id`] (any number of consumers) of each
//! processed message, skip a message already recorded, then
//! [`ack`](Incoming::ack). A redelivery then finds its key and is acked
//! without a second effect.
//!
//! # Example
//!
//! ```no_run
//! use async_nats::jetstream::{self, consumer, stream};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = async_nats::connect("127.0.0.1:4222").await?;
//! let js = jetstream::new(client.clone());
//! let events = js
//!     .get_or_create_stream(stream::Config {
//!         name: "EVENTS".into(),
//!         subjects: vec!["events.>".into()],
//!         ..Default::default()
//!     })
//!     .await?;
//!
//! // Host A: producer threads -> channel -> stream.
//! let (tx, mut rx) = funnelq::channel::<String>(1024);
//! let producer = std::thread::spawn(move || {
//!     for i in 0..1000 {
//!         tx.send(format!("event {i}")).unwrap();
//!     }
//! });
//! let sent = funnelq_nats::Forward::new("events.in").run(&client, &mut rx).await?;
//! producer.join().unwrap();
//! assert_eq!(sent.stored, 1000);
//!
//! // Host B: stream -> channel -> a consumer thread.
//! let workers: consumer::PullConsumer = events
//!     .get_or_create_consumer(
//!         "workers",
//!         consumer::pull::Config { durable_name: Some("workers".into()), ..Default::default() },
//!     )
//!     .await?;
//! let (tx, rx) = funnelq::channel::<funnelq_nats::Incoming>(256);
//! let worker = std::thread::spawn(move || rx.into_iter().take(1000).count());
//! let stop = async { tokio::time::sleep(std::time::Duration::from_secs(5)).await };
//! funnelq_nats::Ingest::new().run_until(&workers, &tx, stop).await?;
//! # Ok(()) }
//! ```
//!
//! The `funnelq-nats` binary wraps both directions for trying them from a
//! shell: `funnelq-nats forward` publishes the lines of its standard input,
//! `funnelq-nats ingest` prints the messages of a consumer, one per line.

#![warn(missing_docs)]

mod error;
mod forward;
mod ingest;

pub use error::{BoxError, Error};
pub use forward::{Forward, ForwardStats, Outgoing};
pub use ingest::{AckMode, Incoming, Ingest, IngestStats};

/// The NATS client this crate is built with (its `Client`, `jetstream`, …).
pub use async_nats;

/// The largest [`Forward::window`]: publishes awaiting their ack at once.
///
/// ```
/// assert_eq!(funnelq_nats::MAX_WINDOW, 65536);
/// ```
pub const MAX_WINDOW: usize = 65536;

/// The largest [`Forward::batch`] and [`Ingest::batch`].
///
/// ```
/// assert_eq!(funnelq_nats::MAX_BATCH, 65536);
/// ```
pub const MAX_BATCH: usize = 65536;
