//! `funnelq-wasm`: funnelq channels for WebAssembly threads (shared-memory web workers).
//!
//! One module is instantiated on one shared `WebAssembly.Memory` by the page and by
//! every worker; channels live in that memory, so workers exchange messages without a
//! `postMessage` per message. Senders and the receiver travel between threads as
//! share tokens (`funnelq-binding`'s one format), never as raw pointers.
//!
//! The JS surface is the one the Node package has: messages are `Uint8Array`s,
//! strings or numbers; `send`/`recv`/`sendBatch`/`recvBatch` return Promises and
//! wait off the thread (`Atomics.waitAsync`, so also on a browser main thread);
//! `sendSync`/`recvSync`/`sendBatchSync`/`recvBatchSync` block (workers only:
//! `MAIN_THREAD` on a browser main thread); the try forms never wait.
//!
//! Failure (S21): a worker terminated from outside leaves no lock held — the module
//! takes none that a thread could die in ([`alloc`] is lock-free) — and a wake-up
//! lost to its waiter record is made up within [`abort::SLICE`] for the Promise
//! forms (the core bounds the blocking ones); `releaseWorker(id)` drops what it
//! held ([`owners`]). Hostile sizes (S22): every length is checked before anything
//! is allocated or copied ([`message`]), and a full memory is an error, not a trap.
//!
//! The JS API is built only for `wasm32`; on other targets this crate compiles to the
//! pure-Rust parts (limits) so the workspace builds and lints everywhere.

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
compile_error!(
    "funnelq-wasm needs WebAssembly threads: build with \
     RUSTFLAGS=\"-C target-feature=+atomics,+bulk-memory,+mutable-globals\" and \
     -Zbuild-std=std,panic_abort (see wasm/build.sh)"
);

pub mod limits;

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
mod lane;
#[cfg(target_arch = "wasm32")]
mod message;
#[cfg(target_arch = "wasm32")]
mod options;
#[cfg(target_arch = "wasm32")]
mod owners;
#[cfg(target_arch = "wasm32")]
mod receiver;
#[cfg(target_arch = "wasm32")]
mod sender;
#[cfg(target_arch = "wasm32")]
mod timer;
#[cfg(target_arch = "wasm32")]
mod tokens;

/// Lock-free and fallible: see [`alloc`] (a worker terminated inside the
/// allocator must not stop the others, S21; a full memory is an error, S22).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: alloc::LockFree = alloc::LockFree;

#[cfg(target_arch = "wasm32")]
pub use crate::{api::*, receiver::Receiver, sender::Sender};
