//! Share tokens: how a handle crosses into a `worker_thread`. The addon is loaded
//! once per process and its statics are shared by every Node environment (main
//! thread and workers), so a token is a key into a process-wide registry that holds
//! the handle until exactly one `fromToken()` takes it out.
//!
//! Format: `funnelq:<s|r>:<id>:<tag>` where `tag` is a keyed hash of kind and id with
//! a key drawn at random per process. A token that fails to parse or whose tag does
//! not match (typed by hand, or from another process) is reported as forged; a valid
//! one whose entry is gone was already redeemed (or revoked).

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::error::{Code, Fail};
use crate::message::Message;
use crate::receiver::RxShared;

/// What a token holds.
pub enum Deposit {
    Sender(funnelq::Sender<Message>),
    Receiver(Arc<RxShared>),
}

impl Deposit {
    fn kind(&self) -> char {
        match self {
            Deposit::Sender(_) => 's',
            Deposit::Receiver(_) => 'r',
        }
    }
}

static REGISTRY: Mutex<BTreeMap<u64, Deposit>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static KEY: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();

fn tag(kind: char, id: u64) -> u64 {
    KEY.get_or_init(std::collections::hash_map::RandomState::new)
        .hash_one((kind, id, "funnelq"))
}

/// Moves `d` into the registry and returns its token.
pub fn deposit(d: Deposit) -> String {
    // ORDERING: the id only has to be unique; the registry mutex orders the insert.
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let kind = d.kind();
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, d);
    format!("funnelq:{kind}:{id}:{:016x}", tag(kind, id))
}

fn parse(token: &str) -> Option<(char, u64, u64)> {
    let rest = token.strip_prefix("funnelq:")?;
    let mut it = rest.split(':');
    let kind = match it.next()? {
        "s" => 's',
        "r" => 'r',
        _ => return None,
    };
    let id: u64 = it.next()?.parse().ok()?;
    let t = it.next()?;
    if t.len() != 16 || it.next().is_some() {
        return None;
    }
    let t = u64::from_str_radix(t, 16).ok()?;
    Some((kind, id, t))
}

fn check(token: &str) -> Result<(char, u64), Fail> {
    match parse(token) {
        Some((kind, id, t)) if t == tag(kind, id) => Ok((kind, id)),
        _ => Err(Fail::new(
            Code::Invalid,
            "invalid share token: not issued by this process (forged, corrupted, or from another process)",
        )),
    }
}

/// Takes the handle out of the registry (once).
pub fn redeem(token: &str, want: char) -> Result<Deposit, Fail> {
    let (kind, id) = check(token)?;
    if kind != want {
        return Err(Fail::new(
            Code::Invalid,
            if want == 's' {
                "share token is for a receiver; use Receiver.fromToken()"
            } else {
                "share token is for a sender; use Sender.fromToken()"
            },
        ));
    }
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id)
        .ok_or_else(|| {
            Fail::new(
                Code::Invalid,
                "share token was already redeemed or revoked (a token is valid once)",
            )
        })
}

/// Drops the handle behind an unredeemed token; `false` if it was already gone.
pub fn revoke(token: &str) -> Result<bool, Fail> {
    let (_, id) = check(token)?;
    let d = REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    // Drop outside the lock: dropping a receiver drops its queued messages.
    Ok(d.is_some())
}

/// Number of tokens issued and not yet redeemed or revoked.
pub fn pending() -> usize {
    REGISTRY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .len()
}
