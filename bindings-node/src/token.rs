//! Share tokens: how a handle crosses into a `worker_thread`. The addon is loaded once
//! per process and its statics are shared by every Node environment (main thread and
//! workers), so a token is a key into one process-wide registry — `funnelq-binding`'s
//! [`Registry`], which owns the token format (`funnelq:<s|r>:<domain>:<id>:<tag>`) — that
//! holds the handle until exactly one `fromToken()` takes it out.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use funnelq_binding::{GuardedReceiver, Kind, Registry, TokenError};

use crate::error::{Code, Fail};
use crate::live::Live;
use crate::message::Message;

/// What a token holds, counted in `liveHandles()` while it waits.
pub enum Deposit {
    Sender(funnelq::Sender<Message>, Live),
    /// The receiver with what was given back to it (S21), moved as one.
    Receiver(Arc<GuardedReceiver<Message>>, Live),
}

/// Per-token randomness: `RandomState` draws its keys from the OS once per thread and
/// steps them for every instance, so each draw hashes a counter under fresh keys.
fn random() -> u64 {
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    // ORDERING: the counter only has to differ between draws.
    RandomState::new().hash_one(DRAWS.fetch_add(1, Ordering::Relaxed))
}

static REGISTRY: Registry<Deposit> = Registry::new(random);

fn fail(e: TokenError) -> Fail {
    Fail::new(Code::Invalid, format!("cannot redeem the share token: {e}"))
}

/// Moves a sender into the registry and returns its token.
pub fn deposit_sender(tx: funnelq::Sender<Message>) -> String {
    REGISTRY.deposit(Kind::Sender, Deposit::Sender(tx, Live::new()))
}

/// Moves the receiver into the registry and returns its token.
pub fn deposit_receiver(rx: Arc<GuardedReceiver<Message>>) -> String {
    REGISTRY.deposit(Kind::Receiver, Deposit::Receiver(rx, Live::new()))
}

/// Takes a sender out of the registry (once).
pub fn redeem_sender(token: &str) -> Result<funnelq::Sender<Message>, Fail> {
    match REGISTRY.redeem(token, Kind::Sender).map_err(fail)? {
        Deposit::Sender(tx, _) => Ok(tx),
        Deposit::Receiver(..) => unreachable!("the registry checks the kind"),
    }
}

/// Takes the receiver out of the registry (once).
pub fn redeem_receiver(token: &str) -> Result<Arc<GuardedReceiver<Message>>, Fail> {
    match REGISTRY.redeem(token, Kind::Receiver).map_err(fail)? {
        Deposit::Receiver(rx, _) => Ok(rx),
        Deposit::Sender(..) => unreachable!("the registry checks the kind"),
    }
}

/// Drops the handle behind an unredeemed token; `false` if there was none (redeemed,
/// revoked, or not a token of this process).
pub fn revoke(token: &str) -> bool {
    REGISTRY.revoke(token)
}

/// Number of tokens issued and not yet redeemed or revoked.
pub fn pending() -> usize {
    REGISTRY.pending()
}
