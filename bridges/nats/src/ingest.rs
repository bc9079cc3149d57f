//! Ingest: a JetStream pull consumer feeding a [`Sender`].

use std::fmt;
use std::future::{pending, Future};
use std::pin::pin;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::message::Acker;
use async_nats::jetstream::AckKind;
use async_nats::{Client, HeaderMap};
use bytes::Bytes;
use funnelq::Sender;
use futures_util::{FutureExt, StreamExt};

use crate::error::{check_range, Error};
use crate::MAX_BATCH;

/// A message taken from the stream, as the ingest bridge puts it into the
/// channel (or converts it, through `From<Incoming>`, into your type).
///
/// `stream_sequence` identifies the message in the stream for good: a
/// redelivery (after a lost ack, a crashed consumer or an ack wait that ran
/// out) carries the same sequence and a higher `delivered` count. It is the
/// key for exactly-once processing (see the crate docs).
///
/// ```
/// fn handle(m: funnelq_nats::Incoming) {
///     println!("#{} (delivery {}): {} bytes on {}", m.stream_sequence, m.delivered, m.payload.len(), m.subject);
/// }
/// ```
#[non_exhaustive]
pub struct Incoming {
    /// The subject it was published on.
    pub subject: String,
    /// The payload.
    pub payload: Bytes,
    /// The headers (the `Nats-Msg-Id` among them, if the publisher set one).
    pub headers: Option<HeaderMap>,
    /// Its sequence number in the stream.
    pub stream_sequence: u64,
    /// How many times it has been delivered (1 the first time).
    pub delivered: u64,
    acker: Option<Acker>,
}

impl Incoming {
    /// The `Nats-Msg-Id` header, if the publisher set one (the forward
    /// bridge always does).
    ///
    /// ```
    /// fn id(m: &funnelq_nats::Incoming) -> &str { m.msg_id().unwrap_or("-") }
    /// ```
    pub fn msg_id(&self) -> Option<&str> {
        self.headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.as_str())
    }

    /// Whether the receiver must call [`ack`](Incoming::ack): true with
    /// [`AckMode::ByReceiver`], false when the bridge acked it on accept.
    ///
    /// ```
    /// fn done(m: &funnelq_nats::Incoming) -> bool { !m.needs_ack() }
    /// ```
    pub fn needs_ack(&self) -> bool {
        self.acker.is_some()
    }

    /// Acknowledges the message (with [`AckMode::ByReceiver`]); does
    /// nothing when the bridge already acked it. Call it once the message's
    /// effect is durable: until then a crash means a redelivery, not a loss.
    ///
    /// # Errors
    ///
    /// [`Error::Ack`] if the connection is gone; the message is then
    /// delivered again after the consumer's ack wait.
    ///
    /// ```no_run
    /// # async fn demo(mut rx: funnelq::Receiver<funnelq_nats::Incoming>) -> Result<(), funnelq_nats::Error> {
    /// while let Ok(m) = rx.recv_async().await {
    ///     // … store the effect of m, keyed by m.stream_sequence …
    ///     m.ack().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn ack(&self) -> Result<(), Error> {
        match &self.acker {
            Some(acker) => acker.ack().await.map_err(|source| Error::Ack {
                sequence: self.stream_sequence,
                source,
            }),
            None => Ok(()),
        }
    }

    /// Asks for a redelivery (`-NAK`), now or after `delay`; a no-op when
    /// the bridge already acked the message.
    ///
    /// # Errors
    ///
    /// [`Error::Ack`] if the connection is gone (the ack wait then expires
    /// and the message is delivered again anyway).
    ///
    /// ```no_run
    /// # async fn demo(m: funnelq_nats::Incoming) -> Result<(), funnelq_nats::Error> {
    /// m.nak(Some(std::time::Duration::from_secs(5))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn nak(&self, delay: Option<Duration>) -> Result<(), Error> {
        match &self.acker {
            Some(acker) => acker
                .ack_with(AckKind::Nak(delay))
                .await
                .map_err(|source| Error::Ack {
                    sequence: self.stream_sequence,
                    source,
                }),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("subject", &self.subject)
            .field("payload_len", &self.payload.len())
            .field("stream_sequence", &self.stream_sequence)
            .field("delivered", &self.delivered)
            .field("needs_ack", &self.needs_ack())
            .finish()
    }
}

/// When a message is acknowledged to the stream.
///
/// ```
/// let ingest = funnelq_nats::Ingest::new().ack_mode(funnelq_nats::AckMode::ByReceiver);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AckMode {
    /// The bridge acks a message as soon as the channel accepted it:
    /// at-least-once into the channel. A process that dies with messages
    /// still queued loses those.
    #[default]
    OnAccept,
    /// The bridge never acks; the receiver calls [`Incoming::ack`] after
    /// processing: at-least-once through the whole process. The consumer's
    /// `max_ack_pending` then bounds what is queued plus what is in hand.
    ByReceiver,
}

/// What a finished [`Ingest::run`] did.
///
/// ```
/// let s = funnelq_nats::IngestStats::default();
/// assert_eq!(s.accepted, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IngestStats {
    /// Messages the channel accepted.
    pub accepted: u64,
    /// Of those, how many were redeliveries (`delivered > 1`).
    pub redelivered: u64,
    /// Acks sent by the bridge ([`AckMode::OnAccept`]).
    pub acked: u64,
    /// Messages handed back to the stream (`-NAK`) at shutdown, unsent.
    pub nacked: u64,
    /// Pull requests made.
    pub fetches: u64,
    /// Sends that had to wait for room (another producer took the room
    /// the fetch was sized to).
    pub waited: u64,
}

/// Feeds a funnelq [`Sender`] from a JetStream pull consumer, never holding
/// more fetched messages than the channel has room for.
///
/// - **Backpressure**: each pull request asks for at most the channel's free
///   room (`capacity - len`, at least 1, at most [`batch`](Ingest::batch)).
///   A full channel means small or single-message fetches; what is not
///   fetched stays in the stream, and the consumer's `max_ack_pending` and
///   the stream's limits take over from there.
/// - **At-least-once**: a message is acked only after the channel accepted
///   it ([`AckMode::OnAccept`]), or by the receiver ([`AckMode::ByReceiver`]).
///   A message fetched but not accepted (crash, cancel, shutdown) is
///   delivered again; while a send waits for room the bridge tells the
///   server it is still working on the message (`+WPI`), so a slow channel
///   does not cause redeliveries.
/// - **Shutdown**: [`run`](Ingest::run) ends when the channel is closed;
///   [`run_until`](Ingest::run_until) also when its signal fires. Messages
///   fetched and not sent are handed back with `-NAK` (delivered again right
///   away, to whoever pulls), acks are flushed, then it returns.
///
/// ```no_run
/// # async fn demo() -> Result<(), async_nats::Error> {
/// let client = async_nats::connect("127.0.0.1:4222").await?;
/// let js = async_nats::jetstream::new(client);
/// let consumer: async_nats::jetstream::consumer::PullConsumer =
///     js.get_stream("EVENTS").await?.get_consumer("workers").await?;
/// let (tx, rx) = funnelq::channel::<funnelq_nats::Incoming>(1024);
/// let worker = std::thread::spawn(move || {
///     for m in rx { /* process m.payload */ }
/// });
/// funnelq_nats::Ingest::new().run(&consumer, &tx).await?; // until the channel closes
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Ingest {
    batch: usize,
    fetch_wait: Duration,
    ack_mode: AckMode,
    retry_for: Duration,
}

impl Default for Ingest {
    fn default() -> Self {
        Self::new()
    }
}

/// How often the bridge looks whether the channel was closed while a pull
/// request is waiting for messages.
const CLOSED_POLL: Duration = Duration::from_millis(50);
/// How long a stopping bridge waits for the rest of its last pull, to hand
/// it back.
const STOP_GRACE: Duration = Duration::from_millis(200);
const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_millis(1000);

impl Ingest {
    /// Batches of up to 256, pull requests that wait up to 1 s, acks on
    /// accept, a 30 s retry budget for fetch failures.
    ///
    /// ```
    /// let ingest = funnelq_nats::Ingest::new();
    /// ```
    pub fn new() -> Self {
        Ingest {
            batch: 256,
            fetch_wait: Duration::from_secs(1),
            ack_mode: AckMode::OnAccept,
            retry_for: Duration::from_secs(30),
        }
    }

    /// At most this many messages per pull request, `1..=`[`MAX_BATCH`]
    /// (and never more than the channel's free room).
    ///
    /// ```
    /// let ingest = funnelq_nats::Ingest::new().batch(64);
    /// ```
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// How long one pull request waits on the server for messages before it
    /// expires and a new one is made (default 1 s).
    ///
    /// ```
    /// let ingest = funnelq_nats::Ingest::new().fetch_wait(std::time::Duration::from_millis(200));
    /// ```
    pub fn fetch_wait(mut self, wait: Duration) -> Self {
        self.fetch_wait = wait;
        self
    }

    /// When messages are acknowledged; see [`AckMode`].
    ///
    /// ```
    /// let ingest = funnelq_nats::Ingest::new().ack_mode(funnelq_nats::AckMode::OnAccept);
    /// ```
    pub fn ack_mode(mut self, mode: AckMode) -> Self {
        self.ack_mode = mode;
        self
    }

    /// How long fetches may keep failing (from the first failure, reset by
    /// any message) before [`run`](Ingest::run) gives up with
    /// [`Error::Fetch`] (default 30 s).
    ///
    /// ```
    /// let ingest = funnelq_nats::Ingest::new().retry_for(std::time::Duration::from_secs(120));
    /// ```
    pub fn retry_for(mut self, budget: Duration) -> Self {
        self.retry_for = budget;
        self
    }

    /// Checks the settings without a server (what [`run`](Ingest::run)
    /// checks first).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`], naming the value and the bound.
    ///
    /// ```
    /// let err = funnelq_nats::Ingest::new().batch(0).validate().unwrap_err();
    /// assert_eq!(err.to_string(), "batch 0 is out of range 1..=65536");
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        check_range("batch", self.batch, MAX_BATCH)
    }

    /// Moves messages from `consumer` into `tx` until the channel is
    /// closed. The consumer should use `AckPolicy::Explicit` (the default),
    /// so that several bridges can share it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad setting; [`Error::Fetch`] when
    /// pull requests keep failing for longer than
    /// [`retry_for`](Ingest::retry_for); [`Error::NotJetStream`] for a
    /// message without JetStream metadata; [`Error::Flush`] if the final
    /// flush fails.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses nothing in the stream: a message fetched
    /// and not yet acked is delivered again after the consumer's ack wait.
    /// A message that was accepted by the channel but not yet acked is then
    /// delivered twice (at-least-once).
    ///
    /// ```no_run
    /// # async fn demo(consumer: async_nats::jetstream::consumer::PullConsumer, tx: funnelq::Sender<funnelq_nats::Incoming>) {
    /// let stats = funnelq_nats::Ingest::new().run(&consumer, &tx).await.unwrap();
    /// println!("{} messages into the channel", stats.accepted);
    /// # }
    /// ```
    pub async fn run<T: From<Incoming>>(
        &self,
        consumer: &PullConsumer,
        tx: &Sender<T>,
    ) -> Result<IngestStats, Error> {
        self.run_until(consumer, tx, pending()).await
    }

    /// As [`run`](Ingest::run), and also stops when `shutdown` completes
    /// (a Ctrl-C, a cancellation token): no new pull request is made,
    /// messages fetched and not sent are handed back with `-NAK`, acks are
    /// flushed.
    ///
    /// # Errors
    ///
    /// As [`run`](Ingest::run).
    ///
    /// ```no_run
    /// # async fn demo(consumer: async_nats::jetstream::consumer::PullConsumer, tx: funnelq::Sender<funnelq_nats::Incoming>) {
    /// let stop = async { tokio::signal::ctrl_c().await.ok(); };
    /// funnelq_nats::Ingest::new().run_until(&consumer, &tx, stop).await.unwrap();
    /// # }
    /// ```
    pub async fn run_until<T: From<Incoming>, F: Future<Output = ()>>(
        &self,
        consumer: &PullConsumer,
        tx: &Sender<T>,
        shutdown: F,
    ) -> Result<IngestStats, Error> {
        self.validate()?;
        let mut shutdown = pin!(shutdown.fuse());
        let consumer_name = consumer.cached_info().name.clone();
        let ack_wait = consumer.cached_info().config.ack_wait;
        // Tell the server we are still working on a message well before its
        // ack wait runs out (0 means the server's default, 30 s).
        let ack_wait = if ack_wait.is_zero() {
            Duration::from_secs(30)
        } else {
            ack_wait
        };
        let progress_every = (ack_wait / 2).max(Duration::from_millis(10));
        let mut stats = IngestStats::default();
        let mut client: Option<Client> = None;
        let mut outage: Option<Instant> = None;
        let mut backoff = MIN_BACKOFF;
        let mut stopping = false;

        while !stopping && !tx.is_closed() {
            let free = tx.capacity().saturating_sub(tx.len());
            let want = free.clamp(1, self.batch);
            let request = consumer
                .batch()
                .max_messages(want)
                .expires(self.fetch_wait)
                .messages();
            let batch = tokio::select! {
                biased;
                _ = &mut shutdown => break,
                batch = request => batch,
            };
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    let since = *outage.get_or_insert_with(Instant::now);
                    if since.elapsed() >= self.retry_for {
                        return Err(Error::Fetch {
                            consumer: consumer_name,
                            elapsed: since.elapsed(),
                            source: e.into(),
                        });
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            stats.fetches += 1;
            let mut closed_poll = tokio::time::interval(CLOSED_POLL);
            loop {
                let next = tokio::select! {
                    biased;
                    _ = &mut shutdown => { stopping = true; None }
                    _ = closed_poll.tick() => {
                        if tx.is_closed() { stopping = true; None } else { continue }
                    }
                    next = batch.next() => next,
                };
                let msg = match next {
                    None => break,
                    Some(Err(e)) => {
                        // A status from the server (consumer deleted, …) or a
                        // lost subscription: count it as a failed fetch.
                        let since = *outage.get_or_insert_with(Instant::now);
                        if since.elapsed() >= self.retry_for {
                            return Err(Error::Fetch {
                                consumer: consumer_name,
                                elapsed: since.elapsed(),
                                source: e,
                            });
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        break;
                    }
                    Some(Ok(msg)) => msg,
                };
                outage = None;
                backoff = MIN_BACKOFF;
                client.get_or_insert_with(|| msg.context.client());
                let (incoming, acker) = split(msg, self.ack_mode)?;
                if incoming.delivered > 1 {
                    stats.redelivered += 1;
                }
                match deliver(tx, T::from(incoming), &acker, progress_every, &mut stats).await {
                    Ok(()) => {
                        stats.accepted += 1;
                        if self.ack_mode == AckMode::OnAccept && acker.ack().await.is_ok() {
                            stats.acked += 1;
                        }
                    }
                    Err(()) => {
                        // The channel closed under the send: hand it back.
                        if acker.ack_with(AckKind::Nak(None)).await.is_ok() {
                            stats.nacked += 1;
                        }
                        stopping = true;
                        break;
                    }
                }
            }
            if stopping {
                // Messages of this pull that arrive within a short grace go
                // back to the stream now rather than after the ack wait
                // (the server sends what it has at once, so the grace
                // covers what is on the wire).
                let grace = Instant::now() + STOP_GRACE;
                while let Ok(Some(Ok(msg))) =
                    tokio::time::timeout_at(grace.into(), batch.next()).await
                {
                    client.get_or_insert_with(|| msg.context.client());
                    if msg.ack_with(AckKind::Nak(None)).await.is_ok() {
                        stats.nacked += 1;
                    }
                }
            }
        }
        if let Some(client) = client {
            client
                .flush()
                .await
                .map_err(|e| Error::Flush { source: e.into() })?;
        }
        Ok(stats)
    }
}

/// Splits a JetStream message into what goes into the channel and the
/// bridge's own acker (the receiver gets a second one in `ByReceiver` mode).
fn split(msg: async_nats::jetstream::Message, mode: AckMode) -> Result<(Incoming, Acker), Error> {
    let (stream_sequence, delivered) = match msg.info() {
        Ok(info) => (info.stream_sequence, info.delivered.max(0) as u64),
        Err(source) => {
            return Err(Error::NotJetStream {
                subject: msg.message.subject.to_string(),
                source,
            })
        }
    };
    // `split` takes the reply subject out of the message: the receiver's
    // acker is made from it first.
    let receiver_acker = match mode {
        AckMode::OnAccept => None,
        _ => Some(Acker::new(msg.context.clone(), msg.message.reply.clone())),
    };
    let (message, acker) = msg.split();
    let incoming = Incoming {
        subject: message.subject.to_string(),
        payload: message.payload,
        headers: message.headers,
        stream_sequence,
        delivered,
        acker: receiver_acker,
    };
    Ok((incoming, acker))
}

/// Sends `item`, sending `+WPI` (work in progress) every `progress_every`
/// while the channel is full so that the server does not redeliver it.
/// `Err(())` if the channel closed.
async fn deliver<T>(
    tx: &Sender<T>,
    item: T,
    acker: &Acker,
    progress_every: Duration,
    stats: &mut IngestStats,
) -> Result<(), ()> {
    let item = match tx.try_send(item) {
        Ok(()) => return Ok(()),
        Err(funnelq::TrySendError::Closed(_)) => return Err(()),
        Err(funnelq::TrySendError::Full(item)) => item,
        Err(_) => return Err(()),
    };
    stats.waited += 1;
    let mut send = pin!(tx.send_async(item));
    loop {
        tokio::select! {
            res = &mut send => return res.map_err(|_| ()),
            _ = tokio::time::sleep(progress_every) => {
                let _ = acker.ack_with(AckKind::Progress).await;
            }
        }
    }
}
