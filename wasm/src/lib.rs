//! `funnelq-wasm`: funnelq channels for WebAssembly threads (shared-memory web workers).
//!
//! One module is instantiated on one shared `WebAssembly.Memory` by the page and by
//! every worker; channels live in that memory, so workers exchange messages without a
//! `postMessage` per message. Senders and the receiver travel between threads as
//! validated string tokens (see [`token`]), never as raw pointers.
//!
//! Messages are `Uint8Array`s or strings. Workers may use the blocking forms
//! (`send`, `recv`, timeouts, `recvBatch`: `memory.atomic.wait32` inside the core);
//! a browser main thread gets a clear `MAIN_THREAD` error from them and uses
//! `sendAsync` / `recvAsync`, which wait through `Atomics.waitAsync`.
//!
//! The JS API is built only for `wasm32`; on other targets this crate compiles to the
//! pure-Rust parts (token format, limits) so the workspace builds and lints everywhere.

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
compile_error!(
    "funnelq-wasm needs WebAssembly threads: build with \
     RUSTFLAGS=\"-C target-feature=+atomics,+bulk-memory,+mutable-globals\" and \
     -Zbuild-std=std,panic_abort (see wasm/build.sh)"
);

pub mod limits;
pub mod token;

#[cfg(target_arch = "wasm32")]
mod abort;
#[cfg(target_arch = "wasm32")]
mod alloc;
#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod env;
#[cfg(target_arch = "wasm32")]
mod error;
#[cfg(target_arch = "wasm32")]
mod message;
#[cfg(target_arch = "wasm32")]
mod receiver;
#[cfg(target_arch = "wasm32")]
mod registry;
#[cfg(target_arch = "wasm32")]
mod sender;
#[cfg(target_arch = "wasm32")]
mod timer;

/// Lock-free and fallible: see [`alloc`] (a worker terminated inside the
/// allocator must not stop the others, S21; a full memory is an error, S22).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::LockFree = alloc::LockFree;

#[cfg(target_arch = "wasm32")]
pub use crate::{api::*, receiver::Receiver, sender::Sender};
