//! Forward: drain a [`Receiver`] into a JetStream subject.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Duration, Instant};

use async_nats::jetstream::context::{PublishAckFuture, PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::publish::PublishAck;
use async_nats::jetstream::ContextBuilder;
use async_nats::{Client, HeaderMap};
use bytes::Bytes;
use funnelq::{Receiver, TryRecvError};

use crate::error::{check_name, check_range, Error};
use crate::{MAX_BATCH, MAX_WINDOW};

/// A message on its way to the stream: a payload, optional headers, and the
/// `Nats-Msg-Id` the stream deduplicates it by.
///
/// A message without an id gets `<prefix>-<n>` from the bridge (see
/// [`Forward::id_prefix`]); give your own id when the same message may be
/// produced twice (a retried request, say) and must be stored once.
///
/// ```
/// use funnelq_nats::Outgoing;
/// let m = Outgoing::new("order 17").with_id("order-17").with_header("kind", "order");
/// assert_eq!(m.id(), Some("order-17"));
/// assert_eq!(&m.payload()[..], b"order 17");
/// let plain: Outgoing = b"raw bytes".to_vec().into();
/// assert_eq!(plain.id(), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    payload: Bytes,
    id: Option<String>,
    headers: Option<HeaderMap>,
}

impl Outgoing {
    /// A message with this payload, no headers and no id yet.
    ///
    /// ```
    /// let m = funnelq_nats::Outgoing::new(vec![1u8, 2, 3]);
    /// assert_eq!(m.payload().len(), 3);
    /// ```
    pub fn new(payload: impl Into<Bytes>) -> Self {
        Outgoing {
            payload: payload.into(),
            id: None,
            headers: None,
        }
    }

    /// Sets the `Nats-Msg-Id` (the stream stores a given id once per
    /// duplicate window).
    ///
    /// ```
    /// let m = funnelq_nats::Outgoing::new("x").with_id("x-1");
    /// assert_eq!(m.id(), Some("x-1"));
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Adds a header (appended; a name may repeat).
    ///
    /// ```
    /// let m = funnelq_nats::Outgoing::new("x").with_header("tenant", "a");
    /// assert_eq!(m.headers().unwrap().get("tenant").unwrap().as_str(), "a");
    /// ```
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .get_or_insert_with(HeaderMap::new)
            .append(name, value);
        self
    }

    /// The payload.
    ///
    /// ```
    /// assert!(funnelq_nats::Outgoing::new("").payload().is_empty());
    /// ```
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The `Nats-Msg-Id`, once set by you or by the bridge.
    ///
    /// ```
    /// assert_eq!(funnelq_nats::Outgoing::new("x").id(), None);
    /// ```
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The headers, if any were added.
    ///
    /// ```
    /// assert!(funnelq_nats::Outgoing::new("x").headers().is_none());
    /// ```
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.headers.as_ref()
    }

    /// Payload plus header bytes, as the server counts them against its
    /// `max_payload` (headers approximately: `name: value\r\n` each).
    fn size(&self) -> usize {
        let headers = self.headers.as_ref().map_or(0, |h| {
            h.iter()
                .map(|(k, vs)| {
                    vs.iter()
                        .map(|v| AsRef::<str>::as_ref(k).len() + v.as_str().len() + 4)
                        .sum::<usize>()
                })
                .sum::<usize>()
        });
        self.payload.len() + headers + self.id.as_ref().map_or(0, |id| id.len() + 14)
    }
}

impl From<Bytes> for Outgoing {
    fn from(payload: Bytes) -> Self {
        Outgoing::new(payload)
    }
}

impl From<Vec<u8>> for Outgoing {
    fn from(payload: Vec<u8>) -> Self {
        Outgoing::new(payload)
    }
}

impl From<String> for Outgoing {
    fn from(payload: String) -> Self {
        Outgoing::new(payload)
    }
}

impl From<&'static str> for Outgoing {
    fn from(payload: &'static str) -> Self {
        Outgoing::new(payload)
    }
}

impl From<&'static [u8]> for Outgoing {
    fn from(payload: &'static [u8]) -> Self {
        Outgoing::new(payload)
    }
}

/// What a finished [`Forward::run`] did.
///
/// ```
/// let stats = funnelq_nats::ForwardStats::default();
/// assert_eq!(stats.stored + stats.duplicates, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForwardStats {
    /// Messages the stream acknowledged as newly stored.
    pub stored: u64,
    /// Messages the stream acknowledged as duplicates of an id it already
    /// held (a retry whose first attempt had been stored after all).
    pub duplicates: u64,
    /// Publishes sent again after a failed or missing acknowledgement.
    pub retries: u64,
    /// The largest number of publishes awaiting their ack at once (at most
    /// the window).
    pub max_in_flight: usize,
    /// The prefix of the ids this run gave to messages without one.
    pub id_prefix: String,
}

/// Drains a funnelq [`Receiver`] into a JetStream subject with a bounded
/// window of publishes awaiting their acknowledgement.
///
/// - **Backpressure**: at most [`window`](Forward::window) publishes are
///   unacknowledged at any time. With the window full the bridge stops
///   receiving; the channel fills and its producers wait in `send` (or get
///   `Full` from `try_send`): the broker's pace reaches them.
/// - **No loss, no duplicate**: every message is published with a
///   `Nats-Msg-Id`. A publish whose ack fails or does not come (broker
///   restart, lost connection, timeout) is published again, in order, with the
///   same id, until the stream acknowledges it; the stream stores an id once
///   per duplicate window (2 minutes unless configured), so a retry of a
///   message that was stored after all is acknowledged as a duplicate and not
///   stored again. Keep [`retry_for`](Forward::retry_for) plus
///   [`ack_timeout`](Forward::ack_timeout) below the stream's duplicate window.
/// - **Order**: messages are published in channel order (per producer order,
///   S03). After a failure nothing new goes out until the failed publishes
///   have been sent again, oldest first and one at a time, so a broker that
///   is coming back cannot store them out of order. One case remains: a
///   publish lost with a dropped connection can be stored after later ones
///   that the client sent on the new connection; the ids (`<prefix>-<n>`,
///   `n` counting up in channel order) restore the order where it matters.
/// - **Shutdown**: when the channel is closed and drained (every sender
///   dropped, or `close()`), the bridge waits for every outstanding ack,
///   flushes the connection and returns.
///
/// ```no_run
/// # async fn demo() -> Result<(), funnelq_nats::Error> {
/// let client = async_nats::connect("127.0.0.1:4222").await.unwrap();
/// let (tx, mut rx) = funnelq::channel::<String>(1024);
/// std::thread::spawn(move || {
///     for i in 0..10_000 {
///         tx.send(format!("event {i}")).unwrap(); // waits while the broker is behind
///     }
/// }); // tx dropped: the bridge drains, flushes and returns
/// let stats = funnelq_nats::Forward::new("events.in").window(256).run(&client, &mut rx).await?;
/// assert_eq!(stats.stored + stats.duplicates, 10_000);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Forward {
    subject: String,
    window: usize,
    batch: usize,
    ack_timeout: Duration,
    retry_for: Duration,
    id_prefix: Option<String>,
}

/// A message published (or to be published again) and its ack.
struct Pending {
    /// Publish order (first attempt), to keep retries in order.
    order: u64,
    msg: Outgoing,
    attempts: u32,
    ack: Option<AckFuture>,
    /// When the ack counts as missing: the ack timeout after the publish
    /// was sent. (The client's own timer starts only when the ack future is
    /// first polled, and only the oldest is polled.)
    deadline: tokio::time::Instant,
}

type AckFuture = Pin<Box<dyn Future<Output = Result<PublishAck, PublishError>> + Send>>;

/// First pause before publishing failed messages again; doubles up to
/// `MAX_BACKOFF` while the outage lasts.
const MIN_BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_millis(1000);

/// What the wait at the bottom of the loop produced.
enum Event<T> {
    Ack(Result<PublishAck, PublishError>),
    Received(Result<T, funnelq::RecvError>),
}

impl Forward {
    /// A bridge to `subject` with a window of 256 in-flight publishes,
    /// batches of 64, a 5 s ack timeout and a 30 s retry budget.
    ///
    /// ```
    /// let f = funnelq_nats::Forward::new("events.in");
    /// assert_eq!(f.subject(), "events.in");
    /// ```
    pub fn new(subject: impl Into<String>) -> Self {
        Forward {
            subject: subject.into(),
            window: 256,
            batch: 64,
            ack_timeout: Duration::from_secs(5),
            retry_for: Duration::from_secs(30),
            id_prefix: None,
        }
    }

    /// The subject published to.
    ///
    /// ```
    /// assert_eq!(funnelq_nats::Forward::new("a.b").subject(), "a.b");
    /// ```
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// At most this many publishes await their ack at once,
    /// `1..=`[`MAX_WINDOW`]. A larger window hides more round-trip time; 1
    /// is publish-and-wait per message.
    ///
    /// ```
    /// let f = funnelq_nats::Forward::new("s").window(1);
    /// ```
    pub fn window(mut self, window: usize) -> Self {
        self.window = window;
        self
    }

    /// Receive at most this many messages per step, `1..=`[`MAX_BATCH`]
    /// (and never more than the window has room for).
    ///
    /// ```
    /// let f = funnelq_nats::Forward::new("s").batch(128);
    /// ```
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// How long one publish waits for its ack before it counts as failed
    /// and is sent again (default 5 s).
    ///
    /// ```
    /// let f = funnelq_nats::Forward::new("s").ack_timeout(std::time::Duration::from_secs(1));
    /// ```
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// How long an outage may last (from the first failed ack, reset by
    /// any success) before [`run`](Forward::run) gives up with
    /// [`Error::Publish`] (default 30 s).
    ///
    /// ```
    /// let f = funnelq_nats::Forward::new("s").retry_for(std::time::Duration::from_secs(60));
    /// ```
    pub fn retry_for(mut self, budget: Duration) -> Self {
        self.retry_for = budget;
        self
    }

    /// The prefix of the ids given to messages without one: `<prefix>-1`,
    /// `<prefix>-2`, … By default each run draws a fresh unique prefix
    /// (a NUID). A fixed prefix must never be reused within the stream's
    /// duplicate window, or the stream drops the new messages as duplicates.
    ///
    /// ```
    /// let f = funnelq_nats::Forward::new("s").id_prefix("host7-run42");
    /// ```
    pub fn id_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.id_prefix = Some(prefix.into());
        self
    }

    /// Checks the settings without a server (what [`run`](Forward::run)
    /// checks first).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] or [`Error::InvalidName`], naming the value.
    ///
    /// ```
    /// let err = funnelq_nats::Forward::new("s").window(0).validate().unwrap_err();
    /// assert_eq!(err.to_string(), "window 0 is out of range 1..=65536");
    /// assert!(funnelq_nats::Forward::new("s").validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        check_name("subject", &self.subject)?;
        check_range("window", self.window, MAX_WINDOW)?;
        check_range("batch", self.batch, MAX_BATCH)?;
        if let Some(prefix) = &self.id_prefix {
            check_name("id prefix", prefix)?;
        }
        Ok(())
    }

    /// Forwards every message of `rx` until the channel ends (closed and
    /// drained), then waits for the outstanding acks and flushes. Returns
    /// what it did.
    ///
    /// # Errors
    ///
    /// - [`Error::InvalidArgument`] / [`Error::InvalidName`] for a bad setting,
    ///   before anything is received.
    /// - [`Error::Publish`] when an outage lasts longer than
    ///   [`retry_for`](Forward::retry_for); [`Error::TooLarge`] for a message
    ///   over the server's `max_payload`. Both hand back the unacknowledged
    ///   messages with their ids; what is still queued stays in `rx`.
    /// - [`Error::Flush`] if the final flush fails.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future loses no message that is still in the channel.
    /// Messages already received are in flight: the stream may or may not
    /// have stored them, and they are not handed back. Close the channel
    /// instead to stop cleanly.
    ///
    /// ```no_run
    /// # async fn demo(client: async_nats::Client, mut rx: funnelq::Receiver<Vec<u8>>) {
    /// match funnelq_nats::Forward::new("events.in").run(&client, &mut rx).await {
    ///     Ok(stats) => println!("stored {}", stats.stored),
    ///     Err(err) => {
    ///         eprintln!("{err}");
    ///         let unacked = err.into_unacked(); // publish again later, same ids
    ///         # drop(unacked);
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn run<T: Into<Outgoing>>(
        &self,
        client: &Client,
        rx: &mut Receiver<T>,
    ) -> Result<ForwardStats, Error> {
        self.validate()?;
        let js = ContextBuilder::new()
            .timeout(self.ack_timeout)
            .max_ack_inflight(self.window)
            .backpressure_on_inflight(true)
            .build(client.clone());
        let mut run = Run {
            bridge: self,
            js,
            prefix: self
                .id_prefix
                .clone()
                .unwrap_or_else(|| nuid::next().to_string()),
            next_id: 0,
            next_order: 0,
            in_flight: VecDeque::with_capacity(self.window),
            failed: VecDeque::new(),
            outage: None,
            last_error: None,
            backoff: MIN_BACKOFF,
            stats: ForwardStats::default(),
        };
        run.stats.id_prefix = run.prefix.clone();
        let mut buf: Vec<T> = Vec::with_capacity(self.batch);
        let mut open = true;
        loop {
            // Failed publishes go out again, in order, once every ack that
            // was outstanding has come back or failed: a stored later message
            // is then known, and nothing new is published meanwhile.
            if !run.failed.is_empty() && run.in_flight.is_empty() {
                run.republish().await?;
                continue;
            }
            let room = self.window - run.in_flight.len() - run.failed.len();
            let may_receive = open && run.failed.is_empty() && room > 0;
            if may_receive {
                match rx.try_recv_batch(&mut buf, room.min(self.batch)) {
                    Ok(_) => {
                        for item in buf.drain(..) {
                            run.publish_new(item.into()).await?;
                        }
                        continue;
                    }
                    Err(TryRecvError::Closed) => open = false,
                    Err(_) => {}
                }
            }
            if run.in_flight.is_empty() {
                if !open && run.failed.is_empty() {
                    break;
                }
                if may_receive {
                    // Nothing in flight, nothing ready: wait for a message.
                    match rx.recv_async().await {
                        Ok(item) => run.publish_new(item.into()).await?,
                        Err(_) => open = false,
                    }
                }
                continue;
            }
            // The oldest ack, or a new message while the window has room.
            let head = run.in_flight.front_mut();
            let Some((deadline, head)) = head.and_then(|p| Some((p.deadline, p.ack.as_mut()?)))
            else {
                unreachable!("every in-flight publish holds its ack future")
            };
            let event = tokio::select! {
                biased;
                res = tokio::time::timeout_at(deadline, head) => Event::Ack(
                    res.unwrap_or_else(|_| Err(PublishError::new(PublishErrorKind::TimedOut))),
                ),
                item = rx.recv_async(), if may_receive => Event::Received(item),
            };
            match event {
                Event::Ack(res) => run.settle_head(res)?,
                Event::Received(Ok(item)) => run.publish_new(item.into()).await?,
                Event::Received(Err(_)) => open = false,
            }
        }
        client
            .flush()
            .await
            .map_err(|e| Error::Flush { source: e.into() })?;
        Ok(run.stats)
    }
}

/// The state of one [`Forward::run`].
struct Run<'a> {
    bridge: &'a Forward,
    js: async_nats::jetstream::Context,
    prefix: String,
    next_id: u64,
    next_order: u64,
    /// Published, ack outstanding, oldest first.
    in_flight: VecDeque<Pending>,
    /// Ack failed; to be published again in this order.
    failed: VecDeque<Pending>,
    /// When the current outage began (first failure since the last success).
    outage: Option<Instant>,
    last_error: Option<PublishError>,
    backoff: Duration,
    stats: ForwardStats,
}

impl Run<'_> {
    /// Gives the message its id (unless it has one) and publishes it.
    async fn publish_new(&mut self, mut msg: Outgoing) -> Result<(), Error> {
        if msg.id.is_none() {
            self.next_id += 1;
            msg.id = Some(format!("{}-{}", self.prefix, self.next_id));
        }
        self.next_order += 1;
        self.publish(Pending {
            order: self.next_order,
            msg,
            attempts: 0,
            ack: None,
            deadline: tokio::time::Instant::now(),
        })
        .await
    }

    /// The message as the client publishes it: payload, headers, and the
    /// `Nats-Msg-Id`.
    fn message(p: &Pending) -> PublishMessage {
        let mut publish = PublishMessage::build().payload(p.msg.payload.clone());
        if let Some(headers) = &p.msg.headers {
            publish = publish.headers(headers.clone());
        }
        publish.message_id(p.msg.id.as_deref().unwrap_or_default())
    }

    /// Sends one publish and queues its ack. A send that fails for a
    /// transient reason goes to the failed queue; a message the server can
    /// never take ends the run.
    async fn publish(&mut self, mut p: Pending) -> Result<(), Error> {
        p.attempts += 1;
        let subject = self.bridge.subject.clone();
        match self.js.send_publish(subject, Self::message(&p)).await {
            Ok(ack) => {
                p.ack = Some(IntoFuture::into_future(ack as PublishAckFuture));
                p.deadline = tokio::time::Instant::now() + self.bridge.ack_timeout;
                self.in_flight.push_back(p);
                let n = self.in_flight.len();
                self.stats.max_in_flight = self.stats.max_in_flight.max(n);
                Ok(())
            }
            Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => Err(self.too_large(p)),
            Err(e) => {
                self.fail(p, e);
                Ok(())
            }
        }
    }

    /// The error for a message over the server's `max_payload`, handing back
    /// it and every other unacknowledged message, in order.
    fn too_large(&mut self, p: Pending) -> Error {
        let id = p.msg.id.clone().unwrap_or_default();
        let size = p.msg.size();
        let max = self.js.client().server_info().max_payload;
        let at = self.failed.partition_point(|q| q.order < p.order);
        self.failed.insert(at, p);
        Error::TooLarge {
            id,
            size,
            max,
            unacked: self.take_unacked(),
        }
    }

    /// Handles the oldest outstanding ack.
    fn settle_head(&mut self, res: Result<PublishAck, PublishError>) -> Result<(), Error> {
        let Some(mut p) = self.in_flight.pop_front() else {
            return Ok(());
        };
        match res {
            Ok(ack) => self.count(&ack),
            Err(e) => {
                p.ack = None;
                self.fail(p, e);
            }
        }
        Ok(())
    }

    fn fail(&mut self, p: Pending, e: PublishError) {
        self.outage.get_or_insert_with(Instant::now);
        self.last_error = Some(e);
        // A send that failed before older publishes were settled sorts
        // before them here, so the retries go out in publish order.
        let at = self.failed.partition_point(|q| q.order < p.order);
        self.failed.insert(at, p);
    }

    /// Publishes the failed messages again, oldest first and one at a time:
    /// each waits for its ack before the next goes out, so that a broker
    /// still coming back (answering some publishes, not yet others) cannot
    /// store a later message before an earlier one. Pauses, longer each
    /// time, after a failure; gives up once the outage has outlasted the
    /// retry budget.
    async fn republish(&mut self) -> Result<(), Error> {
        let mut pause = true;
        while let Some(mut p) = self.failed.pop_front() {
            if pause {
                let elapsed = self.outage.map_or(Duration::ZERO, |t| t.elapsed());
                if elapsed >= self.bridge.retry_for {
                    self.failed.push_front(p);
                    return Err(self.give_up(elapsed));
                }
                tokio::time::sleep(self.backoff).await;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
            self.stats.retries += 1;
            p.attempts += 1;
            let subject = self.bridge.subject.clone();
            let result = match self.js.send_publish(subject, Self::message(&p)).await {
                Ok(ack) => tokio::time::timeout(self.bridge.ack_timeout, ack.into_future())
                    .await
                    .unwrap_or_else(|_| Err(PublishError::new(PublishErrorKind::TimedOut))),
                Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                    return Err(self.too_large(p));
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(ack) => {
                    self.count(&ack);
                    pause = false;
                }
                Err(e) => {
                    self.outage.get_or_insert_with(Instant::now);
                    self.last_error = Some(e);
                    self.failed.push_front(p);
                    pause = true;
                }
            }
        }
        Ok(())
    }

    /// The error that ends a run whose outage outlasted the retry budget.
    fn give_up(&mut self, elapsed: Duration) -> Error {
        let attempts = self.failed.front().map_or(0, |p| p.attempts);
        let source: crate::BoxError = match self.last_error.take() {
            Some(e) => e.into(),
            None => "no acknowledgement".into(),
        };
        Error::Publish {
            subject: self.bridge.subject.clone(),
            attempts,
            elapsed,
            unacked: self.take_unacked(),
            source,
        }
    }

    /// Counts an ack; any success ends the outage.
    fn count(&mut self, ack: &PublishAck) {
        if ack.duplicate {
            self.stats.duplicates += 1;
        } else {
            self.stats.stored += 1;
        }
        self.outage = None;
        self.backoff = MIN_BACKOFF;
    }

    /// Every message not acknowledged, oldest first.
    fn take_unacked(&mut self) -> Vec<Outgoing> {
        let mut all: Vec<Pending> = self.failed.drain(..).collect();
        all.extend(self.in_flight.drain(..));
        all.sort_by_key(|p| p.order);
        all.into_iter().map(|p| p.msg).collect()
    }
}
