//! The bridge's one error type.

use std::time::Duration;

use crate::Outgoing;

/// Boxed error of the NATS client (`async_nats::Error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a bridge; each variant names the values and bounds
/// involved. The underlying client error, where there is one, is the
/// [`source`](std::error::Error::source) (not repeated in `Display`).
///
/// The publish variants hand back every message the stream has not
/// acknowledged, each with the `Nats-Msg-Id` it was published under, so that
/// publishing them again (within the stream's duplicate window) cannot store
/// one twice.
///
/// ```
/// let err = funnelq_nats::Error::InvalidArgument { name: "window", value: 0, max: 65536 };
/// assert_eq!(err.to_string(), "window 0 is out of range 1..=65536");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is outside its documented range.
    #[error("{name} {value} is out of range 1..={max}")]
    InvalidArgument {
        /// The setting (`"window"`, `"batch"`, …).
        name: &'static str,
        /// The value given.
        value: usize,
        /// The largest allowed value.
        max: usize,
    },

    /// A subject, stream or consumer name the server would reject.
    #[error("{what} \"{value}\" is not a valid name")]
    InvalidName {
        /// `"subject"`, `"stream"` or `"consumer"`.
        what: &'static str,
        /// The name given.
        value: String,
    },

    /// Connecting to the server failed.
    #[error("cannot connect to {url}")]
    Connect {
        /// The server address.
        url: String,
        /// The client's error.
        #[source]
        source: BoxError,
    },

    /// A JetStream API request (create or look up a stream or consumer) failed.
    #[error("jetstream request failed: {what}")]
    Setup {
        /// What was being done, e.g. `create stream ORDERS`.
        what: String,
        /// The client's error.
        #[source]
        source: BoxError,
    },

    /// The stream did not acknowledge a publish within the retry budget.
    #[error(
        "publish to {subject} not acknowledged after {attempts} attempts over {} ms \
         ({} messages unacknowledged)",
        .elapsed.as_millis(),
        .unacked.len()
    )]
    Publish {
        /// The subject published to.
        subject: String,
        /// Attempts made for the oldest unacknowledged message.
        attempts: u32,
        /// Time since the first failure of this outage.
        elapsed: Duration,
        /// The messages not acknowledged, oldest first, each with its id.
        unacked: Vec<Outgoing>,
        /// The last publish error.
        #[source]
        source: BoxError,
    },

    /// A message is larger than the server accepts; it can never be published.
    #[error("message {id} of {size} bytes is over the server's limit of {max} bytes")]
    TooLarge {
        /// The message's `Nats-Msg-Id`.
        id: String,
        /// Payload plus headers, in bytes.
        size: usize,
        /// The server's `max_payload`.
        max: usize,
        /// The messages not acknowledged, oldest first (the large one included).
        unacked: Vec<Outgoing>,
    },

    /// Fetching from the pull consumer kept failing for longer than the retry budget.
    #[error("fetch from consumer {consumer} failed for {} ms", .elapsed.as_millis())]
    Fetch {
        /// The consumer's name.
        consumer: String,
        /// Time since the first failure of this outage.
        elapsed: Duration,
        /// The last fetch error.
        #[source]
        source: BoxError,
    },

    /// A message from the consumer carried no JetStream metadata (its reply
    /// subject is not a `$JS.ACK` subject), so it cannot be acknowledged.
    #[error("message on {subject} has no jetstream metadata")]
    NotJetStream {
        /// The message's subject.
        subject: String,
        /// The parse error.
        #[source]
        source: BoxError,
    },

    /// Acknowledging a message failed (an `Incoming::ack` by the receiver).
    /// The message will be delivered again after the consumer's ack wait.
    #[error("ack of stream sequence {sequence} failed")]
    Ack {
        /// The message's stream sequence.
        sequence: u64,
        /// The client's error.
        #[source]
        source: BoxError,
    },

    /// Flushing the connection at shutdown failed: acks or publishes written
    /// just before may not have reached the server.
    #[error("flush at shutdown failed")]
    Flush {
        /// The client's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// The messages this error hands back (not acknowledged by the stream),
    /// oldest first; empty for errors that are not about publishing.
    ///
    /// ```
    /// let err = funnelq_nats::Error::InvalidArgument { name: "batch", value: 0, max: 65536 };
    /// assert!(err.into_unacked().is_empty());
    /// ```
    pub fn into_unacked(self) -> Vec<Outgoing> {
        match self {
            Error::Publish { unacked, .. } | Error::TooLarge { unacked, .. } => unacked,
            _ => Vec::new(),
        }
    }

    /// Whether the broker or the network is the cause (a later attempt may
    /// succeed), as opposed to a setting or a message that can never work.
    ///
    /// ```
    /// let err = funnelq_nats::Error::InvalidArgument { name: "window", value: 0, max: 65536 };
    /// assert!(!err.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. }
                | Error::Setup { .. }
                | Error::Publish { .. }
                | Error::Fetch { .. }
                | Error::Ack { .. }
                | Error::Flush { .. }
        )
    }
}

/// Builds the error for a name the server would reject: empty, or holding
/// whitespace (all names), or wildcards and dots (streams and consumers).
pub(crate) fn check_name(what: &'static str, value: &str) -> Result<(), Error> {
    // Publish subjects take no wildcards either; stream and consumer names
    // are one token.
    let bad_char = |c: char| {
        c.is_whitespace()
            || matches!(c, '*' | '>')
            || (what != "subject" && matches!(c, '.' | '/' | '\\'))
    };
    let bad_subject = what == "subject"
        && (value.starts_with('.') || value.ends_with('.') || value.contains(".."));
    if value.is_empty() || value.chars().any(bad_char) || bad_subject {
        return Err(Error::InvalidName {
            what,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Checks that `value` is in `1..=max`.
pub(crate) fn check_range(name: &'static str, value: usize, max: usize) -> Result<(), Error> {
    if value == 0 || value > max {
        return Err(Error::InvalidArgument { name, value, max });
    }
    Ok(())
}
