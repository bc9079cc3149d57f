//! Share tokens: how a handle crosses into another worker.
//!
//! A JS object cannot move between Node worker threads or web workers, so a
//! binding deposits the Rust handle in a process-wide (Node) or memory-wide
//! (WebAssembly) registry and hands the worker a string; `fromToken` there
//! redeems it, exactly once.
//!
//! Format: `funnelq:<s|r>:<domain>:<id>:<tag>` — `s`/`r` the kind, `domain`
//! eight hex digits drawn at random per registry (it tells a token from
//! another process or another wasm memory), `id` a decimal counter, `tag`
//! sixteen hex digits drawn at random per token (a token typed by hand or
//! guessed from its id does not redeem another one). The registry is a
//! plain check against mistakes, not a security boundary: any code in the
//! process can reach the handles anyway.
//!
//! The lock is only ever tried, never waited on (a browser main thread must
//! not block), and is held for one map operation.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Which handle a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A sender (`s`).
    Sender,
    /// The receiver (`r`).
    Receiver,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Sender => 's',
            Kind::Receiver => 'r',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Sender => "a sender",
            Kind::Receiver => "a receiver",
        }
    }
}

/// Why a token did not redeem.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Not of the token format at all.
    Malformed,
    /// A token for the other kind of handle.
    WrongKind {
        /// What the caller asked for.
        expected: Kind,
    },
    /// A well-formed token from another registry (another process, another
    /// wasm memory), or one whose tag does not match.
    Foreign,
    /// Redeemed or revoked already.
    Redeemed,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed => f.write_str("not a funnelq share token"),
            TokenError::WrongKind { expected } => {
                let other = match expected {
                    Kind::Sender => Kind::Receiver,
                    Kind::Receiver => Kind::Sender,
                };
                write!(
                    f,
                    "the token is for {}, not {}",
                    other.name(),
                    expected.name()
                )
            }
            TokenError::Foreign => {
                f.write_str("the token was not issued here (another process or memory, or forged)")
            }
            TokenError::Redeemed => f.write_str("the token was already redeemed or revoked"),
        }
    }
}

impl std::error::Error for TokenError {}

struct Entry<T> {
    kind: Kind,
    tag: u64,
    item: T,
}

struct Inner<T> {
    /// 0 until the first deposit draws it.
    domain: u32,
    next_id: u64,
    entries: BTreeMap<u64, Entry<T>>,
}

/// Handles in transit, keyed by their tokens. Usable from a `static`.
///
/// ```
/// use funnelq_binding::{Kind, Registry, TokenError};
///
/// fn random() -> u64 { 0x5eed_1234_abcd_0042 } // a binding draws real randomness
/// static TOKENS: Registry<&'static str> = Registry::new(random);
///
/// let token = TOKENS.deposit(Kind::Sender, "a handle");
/// assert!(token.starts_with("funnelq:s:"));
/// assert_eq!(TOKENS.redeem(&token, Kind::Receiver), Err(TokenError::WrongKind { expected: Kind::Receiver }));
/// assert_eq!(TOKENS.redeem(&token, Kind::Sender), Ok("a handle"));
/// assert_eq!(TOKENS.redeem(&token, Kind::Sender), Err(TokenError::Redeemed));
/// ```
pub struct Registry<T> {
    inner: Mutex<Inner<T>>,
    random: fn() -> u64,
}

/// A parsed token: kind, domain, id, tag.
struct Parsed {
    kind: Kind,
    domain: u32,
    id: u64,
    tag: u64,
}

fn parse(token: &str) -> Option<Parsed> {
    let mut it = token.strip_prefix("funnelq:")?.split(':');
    let kind = match it.next()? {
        "s" => Kind::Sender,
        "r" => Kind::Receiver,
        _ => return None,
    };
    let hex = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u64::from_str_radix(s, 16).ok())
            .flatten()
    };
    let domain = u32::try_from(hex(it.next()?, 8)?).ok()?;
    let id_text = it.next()?;
    if id_text.is_empty() || id_text.len() > 20 || !id_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = id_text.parse().ok()?;
    let tag = hex(it.next()?, 16)?;
    if it.next().is_some() {
        return None;
    }
    Some(Parsed {
        kind,
        domain,
        id,
        tag,
    })
}

impl<T> Registry<T> {
    /// An empty registry; `random` supplies the domain and the per-token
    /// tags (the binding's source of randomness: the OS, or
    /// `crypto.getRandomValues` in a browser).
    ///
    /// ```
    /// let reg: funnelq_binding::Registry<u8> = funnelq_binding::Registry::new(|| 42);
    /// assert_eq!(reg.pending(), 0);
    /// ```
    pub const fn new(random: fn() -> u64) -> Self {
        Registry {
            inner: Mutex::new(Inner {
                domain: 0,
                next_id: 1,
                entries: BTreeMap::new(),
            }),
            random,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        loop {
            match self.inner.try_lock() {
                Ok(g) => return g,
                // Every critical section is one map operation that cannot
                // leave the map half-changed: take a poisoned lock as it is.
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => std::hint::spin_loop(),
            }
        }
    }

    /// Moves `item` into the registry and returns its token.
    ///
    /// ```
    /// let reg = funnelq_binding::Registry::new(|| 7);
    /// let t = reg.deposit(funnelq_binding::Kind::Receiver, 1u8);
    /// assert!(t.starts_with("funnelq:r:"));
    /// assert_eq!(reg.pending(), 1);
    /// ```
    pub fn deposit(&self, kind: Kind, item: T) -> String {
        // Draw outside the lock: the source may call into the host.
        let tag = (self.random)();
        let fresh_domain = ((self.random)() as u32) | 1;
        let mut inner = self.lock();
        if inner.domain == 0 {
            inner.domain = fresh_domain;
        }
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.insert(id, Entry { kind, tag, item });
        format!(
            "funnelq:{}:{:08x}:{id}:{tag:016x}",
            kind.letter(),
            inner.domain
        )
    }

    /// Takes the handle a token carries out of the registry (once).
    ///
    /// # Errors
    ///
    /// [`TokenError`]: malformed, for the other kind (the entry stays),
    /// foreign (another registry, or a tag that does not match), or redeemed
    /// already.
    ///
    /// ```
    /// use funnelq_binding::{Kind, Registry, TokenError};
    /// let reg = Registry::new(|| 9);
    /// assert_eq!(reg.redeem("hello", Kind::Sender), Err::<u8, _>(TokenError::Malformed));
    /// ```
    pub fn redeem(&self, token: &str, kind: Kind) -> Result<T, TokenError> {
        let p = parse(token).ok_or(TokenError::Malformed)?;
        let mut inner = self.lock();
        if p.domain != inner.domain {
            return Err(TokenError::Foreign);
        }
        let entry = inner.entries.get(&p.id).ok_or(TokenError::Redeemed)?;
        if entry.tag != p.tag || entry.kind != p.kind {
            return Err(TokenError::Foreign);
        }
        if p.kind != kind {
            return Err(TokenError::WrongKind { expected: kind });
        }
        let entry = inner.entries.remove(&p.id).ok_or(TokenError::Redeemed)?;
        Ok(entry.item)
    }

    /// Drops an unredeemed token's handle (a worker that never started);
    /// `true` if there was one. A sender dropped this way stops counting
    /// (S12); a receiver dropped this way closes the channel (S13).
    ///
    /// ```
    /// let reg = funnelq_binding::Registry::new(|| 3);
    /// let t = reg.deposit(funnelq_binding::Kind::Sender, 1u8);
    /// assert!(reg.revoke(&t));
    /// assert!(!reg.revoke(&t));
    /// ```
    pub fn revoke(&self, token: &str) -> bool {
        let Some(p) = parse(token) else {
            return false;
        };
        let removed = {
            let mut inner = self.lock();
            let matches = p.domain == inner.domain
                && inner
                    .entries
                    .get(&p.id)
                    .is_some_and(|e| e.tag == p.tag && e.kind == p.kind);
            if matches {
                inner.entries.remove(&p.id)
            } else {
                None
            }
        };
        // The handle drops outside the lock: dropping a receiver drains the
        // queue, which runs destructors.
        removed.is_some()
    }

    /// How many tokens wait to be redeemed.
    ///
    /// ```
    /// let reg = funnelq_binding::Registry::<u8>::new(|| 3);
    /// assert_eq!(reg.pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        self.lock().entries.len()
    }
}

impl<T> fmt::Debug for Registry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("pending", &self.pending())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn counter_random() -> u64 {
        static N: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
        // ORDERING: uniqueness only.
        N.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
    }

    #[test]
    fn s14_unknown_forged_and_foreign_tokens_are_refused() {
        let reg = Registry::new(counter_random);
        let other = Registry::new(counter_random);
        let t = reg.deposit(Kind::Sender, 5u32);
        let foreign = other.deposit(Kind::Sender, 6u32);
        assert_eq!(reg.redeem(&foreign, Kind::Sender), Err(TokenError::Foreign));
        for bad in [
            "",
            "42",
            "funnelq:",
            "funnelq:s",
            "funnelq:x:00000001:1:0000000000000000",
        ] {
            assert_eq!(
                reg.redeem(bad, Kind::Sender),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
        // Same id, another tag: forged.
        let mut forged = t.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '0' { '1' } else { '0' });
        assert_eq!(reg.redeem(&forged, Kind::Sender), Err(TokenError::Foreign));
        // A kind letter changed by hand: forged too, and the entry survives.
        let swapped = t.replacen("funnelq:s:", "funnelq:r:", 1);
        assert_eq!(
            reg.redeem(&swapped, Kind::Receiver),
            Err(TokenError::Foreign)
        );
        assert_eq!(
            reg.redeem(&t, Kind::Receiver),
            Err(TokenError::WrongKind {
                expected: Kind::Receiver
            })
        );
        assert_eq!(reg.redeem(&t, Kind::Sender), Ok(5));
        assert_eq!(reg.redeem(&t, Kind::Sender), Err(TokenError::Redeemed));
        assert!(!reg.revoke(&t));
        assert_eq!(reg.pending(), 0);
    }

    #[test]
    fn s12_revoked_sender_token_stops_counting() {
        let reg = Registry::new(counter_random);
        let (tx, mut rx) = funnelq::channel::<u8>(1);
        let t = reg.deposit(Kind::Sender, tx);
        assert!(!rx.is_closed());
        assert!(reg.revoke(&t));
        assert!(rx.recv().is_err()); // the last sender is gone: end of stream
    }

    #[test]
    fn s22_oversized_token_text_is_malformed_not_a_panic() {
        let reg = Registry::<u8>::new(counter_random);
        let long = format!("funnelq:s:00000001:{}:0000000000000000", "9".repeat(100));
        assert_eq!(reg.redeem(&long, Kind::Sender), Err(TokenError::Malformed));
        let overflow = "funnelq:s:00000001:99999999999999999999:0000000000000000";
        assert_eq!(
            reg.redeem(overflow, Kind::Sender),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            reg.redeem("funnelq:s:0000000g:1:0000000000000000", Kind::Sender),
            Err(TokenError::Malformed)
        );
    }
}
