//! Free functions of the JS API.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::error;
use crate::limits;
use crate::{env, registry, Receiver, Sender};

/// Creates a channel of exactly `capacity` slots (1..=1048576) and returns
/// `[sender, receiver]`. Throws a `RangeError` (`err.code === 'INVALID'`) naming
/// the bound for any other capacity.
#[wasm_bindgen(unchecked_return_type = "[Sender, Receiver]")]
pub fn channel(
    #[wasm_bindgen(unchecked_param_type = "number")] capacity: JsValue,
) -> Result<Array, JsValue> {
    let Some(cap) = capacity.as_f64() else {
        return Err(error::type_error("capacity must be a number"));
    };
    let cap = limits::check_capacity(cap).map_err(|m| error::range(&m))?;
    let (tx, rx) = funnelq::try_channel(cap).map_err(|e| error::range(&e.to_string()))?;
    env::ensure_clock();
    Ok(Array::of2(
        &Sender::new(tx).into(),
        &Receiver::new(rx).into(),
    ))
}

/// Whether this thread may use the blocking forms (`false` on a browser main thread).
#[wasm_bindgen(js_name = canBlock)]
pub fn can_block() -> bool {
    env::can_block()
}

/// Testing aid: make this thread behave as if it may (not) block, e.g. to exercise
/// the browser-main-thread refusal (S17) under Node, whose main thread may block.
#[wasm_bindgen(js_name = setCanBlockForTesting)]
pub fn set_can_block_for_testing(can_block: bool) {
    env::set_can_block(can_block);
}

/// Discards an unredeemed token (its sender clone or receiver is dropped);
/// `false` if the token is not, or no longer, valid.
#[wasm_bindgen(js_name = dropToken)]
pub fn drop_token(#[wasm_bindgen(unchecked_param_type = "string")] token: JsValue) -> bool {
    registry::discard(&token)
}

/// How many tokens are waiting to be redeemed in this memory (for leak checks).
#[wasm_bindgen(js_name = pendingTokens)]
pub fn pending_tokens() -> usize {
    registry::pending()
}

/// Largest capacity `channel()` accepts.
#[wasm_bindgen(js_name = maxCapacity)]
pub fn max_capacity() -> usize {
    limits::MAX_CAPACITY
}

/// Largest message in bytes.
#[wasm_bindgen(js_name = maxMessageBytes)]
pub fn max_message_bytes() -> usize {
    limits::MAX_MESSAGE_BYTES
}
