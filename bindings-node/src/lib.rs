//! Node.js binding of funnelq (napi-rs): `const [tx, rx] = channel(capacity)`.
//!
//! A translation layer over the core and `funnelq-binding`: messages are
//! `Buffer`/`Uint8Array` (copied once into the channel, received as a `Buffer`), strings
//! (UTF-8) and numbers (`message.rs`); Promise forms drive the core's `Waker`-based
//! futures on napi-rs's Tokio runtime (`promise.rs`); the `…Sync` forms block the calling
//! worker in slices that end when it is torn down (`teardown.rs`); handles cross into
//! `worker_threads` as share tokens (`token.rs`); every error carries `err.code`
//! (`error.rs`). The JavaScript surface is the one `index.d.ts` declares, shared with the
//! WebAssembly package.

mod abort;
mod api;
mod args;
mod cancel;
mod error;
mod iter;
mod lane;
mod live;
mod message;
mod options;
mod promise;
mod receiver;
mod sender;
mod slot;
mod teardown;
mod token;

pub use crate::api::{
    channel, live_handles, pending_tokens, revoke_token, MAX_BATCH, MAX_CAPACITY, MAX_MESSAGE_BYTES,
};
pub use crate::options::{Options, SyncOptions};
pub use crate::receiver::Receiver;
pub use crate::sender::Sender;
