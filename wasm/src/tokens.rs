//! Share tokens: how a sender or the receiver reaches another thread of this memory.
//!
//! The one registry and token format of `funnelq-binding`
//! (`funnelq:<s|r>:<domain>:<id>:<tag>`); it lives in the shared memory, so every
//! thread instantiated on it redeems the same tokens, and a token from another
//! memory (another `init()`) is refused as foreign.

use funnelq_binding::{Kind, Registry, TokenError};
use wasm_bindgen::JsValue;

use crate::env;
use crate::error;
use crate::message::Msg;

/// A handle waiting in the registry.
pub(crate) enum Item {
    Sender(funnelq::Sender<Msg>),
    Receiver(funnelq::Receiver<Msg>),
}

static TOKENS: Registry<Item> = Registry::new(env::random_u64);

/// Deposits a handle; its token.
pub(crate) fn deposit(item: Item) -> String {
    let kind = match item {
        Item::Sender(_) => Kind::Sender,
        Item::Receiver(_) => Kind::Receiver,
    };
    TOKENS.deposit(kind, item)
}

/// The token text, or a `TypeError` (`INVALID`) for a non-string.
fn text(token: &JsValue) -> Result<String, JsValue> {
    token
        .as_string()
        .ok_or_else(|| error::type_error("a share token must be a string (from share())"))
}

/// Redeems a token for a handle of `kind`.
pub(crate) fn redeem(token: &JsValue, kind: Kind) -> Result<Item, JsValue> {
    let token = text(token)?;
    TOKENS.redeem(&token, kind).map_err(|e| {
        let msg = match e {
            TokenError::Foreign => format!(
                "{e}: a token is redeemed in the same memory — pass the {{ module, memory }} \
                 from init() to the worker and call initWorker() there"
            ),
            e => e.to_string(),
        };
        error::invalid(&msg)
    })
}

/// `revokeToken()`: drops an unredeemed token's handle; `false` if none.
pub(crate) fn revoke(token: &JsValue) -> Result<bool, JsValue> {
    Ok(TOKENS.revoke(&text(token)?))
}

/// Tokens waiting to be redeemed.
pub(crate) fn pending() -> usize {
    TOKENS.pending()
}
