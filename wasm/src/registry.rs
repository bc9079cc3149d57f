//! The token registry: handles in transit between threads, in the shared memory.
//!
//! Guarded by a `Mutex` that is only ever `try_lock`ed in a spin loop: a browser
//! main thread must never block (a `memory.atomic.wait32` there traps), and the
//! critical sections are a few map operations.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, TryLockError};

use wasm_bindgen::JsValue;

use crate::env;
use crate::error::{self, Code};
use crate::message::Msg;
use crate::token::{Kind, Token};

/// A handle waiting in the registry.
pub(crate) enum Item {
    Sender(funnelq::Sender<Msg>),
    Receiver(funnelq::Receiver<Msg>),
}

impl Item {
    fn kind(&self) -> Kind {
        match self {
            Item::Sender(_) => Kind::Sender,
            Item::Receiver(_) => Kind::Receiver,
        }
    }
}

struct Registry {
    /// Random id of this memory, set on first use (0 = not yet).
    memory: u32,
    next_id: u64,
    entries: BTreeMap<u64, (u32, Item)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    memory: 0,
    next_id: 1,
    entries: BTreeMap::new(),
});

fn lock() -> MutexGuard<'static, Registry> {
    loop {
        match REGISTRY.try_lock() {
            Ok(g) => return g,
            // A panic aborts on wasm32, so poisoning cannot happen; take it anyway.
            Err(TryLockError::Poisoned(p)) => return p.into_inner(),
            Err(TryLockError::WouldBlock) => core::hint::spin_loop(),
        }
    }
}

/// Puts a handle in the registry and returns its token.
pub(crate) fn put(item: Item) -> String {
    let key = env::random_u32();
    let fresh_memory = env::random_u32() | 1;
    let mut reg = lock();
    if reg.memory == 0 {
        reg.memory = fresh_memory;
    }
    let id = reg.next_id;
    reg.next_id += 1;
    let token = Token {
        kind: item.kind(),
        memory: reg.memory,
        id,
        key,
    };
    reg.entries.insert(id, (key, item));
    token.to_string()
}

fn invalid(msg: &str) -> JsValue {
    error::error(Code::Invalid, msg)
}

/// Redeems a token of the expected kind (once).
pub(crate) fn take(text: &JsValue, want: Kind) -> Result<Item, JsValue> {
    let Some(text) = text.as_string() else {
        return Err(invalid("a token must be a string (from .token())"));
    };
    let token = Token::parse(&text).map_err(invalid)?;
    let mut reg = lock();
    if token.memory != reg.memory {
        return Err(invalid(
            "this token was made on another funnelq-wasm memory: pass { module, memory } \
             from init() to the worker and call initWorker() there",
        ));
    }
    if token.kind != want {
        return Err(invalid(&format!(
            "this is a {} token, not a {} token",
            token.kind.name(),
            want.name()
        )));
    }
    match reg.entries.get(&token.id) {
        Some((key, item)) if *key == token.key && item.kind() == want => {}
        _ => {
            return Err(invalid(&format!(
                "unknown or already redeemed {} token (a token is redeemed once)",
                want.name()
            )))
        }
    }
    let (_, item) = reg
        .entries
        .remove(&token.id)
        .ok_or_else(|| invalid("token vanished"))?;
    Ok(item)
}

/// Drops an unredeemed token's handle; `false` if the token is not (or no longer) valid.
pub(crate) fn discard(text: &JsValue) -> bool {
    let Some(text) = text.as_string() else {
        return false;
    };
    let Ok(token) = Token::parse(&text) else {
        return false;
    };
    let item = {
        let mut reg = lock();
        if token.memory != reg.memory {
            return false;
        }
        match reg.entries.get(&token.id) {
            Some((key, item)) if *key == token.key && item.kind() == token.kind => {}
            _ => return false,
        }
        reg.entries.remove(&token.id)
    };
    // Dropped outside the lock: dropping the last sender or the receiver closes
    // the channel and wakes its waiters.
    drop(item);
    true
}

/// Number of unredeemed tokens (for leak checks in tests).
pub(crate) fn pending() -> usize {
    lock().entries.len()
}
