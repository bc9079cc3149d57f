//! # funnelq
//!
//! A bounded multi-producer, single-consumer channel: lock-free, exact
//! capacity, explicit close, timeouts, batches and runtime-agnostic async,
//! for `no_std` and `std`. The same channel is bound to C, Go, Python,
//! Node.js and WebAssembly with the same semantics.
//!
//! ```
//! use std::thread;
//!
//! let (tx, mut rx) = funnelq::channel::<u64>(16);
//! let producers: Vec<_> = (0..4)
//!     .map(|p| {
//!         let tx = tx.clone();
//!         thread::spawn(move || {
//!             for i in 0..1000 {
//!                 tx.send(p * 1000 + i).unwrap(); // waits while the channel is full
//!             }
//!         })
//!     })
//!     .collect();
//! drop(tx); // the last sender dropped = end of stream after the queue drains
//!
//! let total: u64 = rx.iter().sum();
//! for p in producers { p.join().unwrap(); }
//! assert_eq!(total, (0..4000).sum());
//! ```
//!
//! ## Semantics
//!
//! - **Capacity** is exact, `1..=MAX_CAPACITY`; anything else is a
//!   [`CapacityError`] ([`try_channel`]) or a panic ([`channel`]).
//! - **Backpressure**: `send` waits while full; `try_send` returns
//!   [`TrySendError::Full`] with the message, enqueuing nothing.
//! - **Order**: per producer, FIFO; across producers, the order in which
//!   their sends claimed a slot.
//! - **Close** ([`Sender::close`], [`Receiver::close`], or dropping every
//!   sender): later sends fail and hand the message back; queued messages
//!   are still received, then `recv` reports end of stream. A send racing
//!   with `close` is either delivered or refused, never accepted and lost:
//!   both are decided on one atomic word.
//! - **Receiver dropped**: the channel closes and queued messages are
//!   dropped at once.
//! - **Async**: [`Sender::send_async`] and [`Receiver::recv_async`] are
//!   plain futures over [`core::task::Waker`]; cancelling either loses
//!   nothing and duplicates nothing.
//!
//! The full contract, scenario by scenario, is `docs/semantics.md` in the
//! repository.
//!
//! ## Progress
//!
//! Producers claim slots with a CAS on the tail and never wait for one
//! another. The consumer never CASes and takes messages in claim order, so
//! a producer descheduled between its claim and its publish (a few
//! instructions) makes the consumer see "empty" at that slot until it
//! resumes, even if later slots are written: the channel is lock-free for
//! producers and wait-free but *blocking on a stalled producer* for the
//! consumer. `len()` counts claimed slots, including ones being written.
//!
//! ## Waiting
//!
//! Blocking forms spin briefly, then register a waiter record on their own
//! stack (futures carry theirs inside) in a FIFO, re-check, and sleep on
//! the record's 32-bit word: Linux futex, `memory.atomic.wait32` on wasm32
//! with atomics, and a mutex/condvar table on other `std` targets (macOS,
//! Windows, BSDs). A waker reads one "anyone waiting?" word first and
//! unlinks the record it wakes, so an uncontended send/recv pair makes no
//! system call, nor does a burst of sends while a woken receiver is still
//! getting up. On Linux the register/re-check handshake is asymmetric: the
//! wakers' side costs a plain store and load, and a thread about to sleep
//! pays for a process-wide barrier (`membarrier`). On `wasm32`, where a
//! worker can be terminated while it waits and its record then swallows
//! one wake-up, a blocked worker re-checks its condition at least every
//! 20 ms, so a live waiter never sleeps longer than that beside a free slot
//! or a queued message (S21).
//!
//! ## Features
//!
//! - `std` (default): blocking and timeout forms; implies `alloc`.
//! - `alloc`: [`channel`], [`Sender`], [`Receiver`], batches, async.
//! - neither: [`StaticChannel`] (inline storage, usable from a `static`)
//!   with `try_` and async forms.
#![no_std]
// memory.atomic.wait32/notify are still unstable intrinsics; a wasm32 build
// with atomics is a -Zbuild-std build on a nightly or RUSTC_BOOTSTRAP
// compiler anyway (see ../shared/TOOLCHAIN.md).
#![cfg_attr(
    all(target_arch = "wasm32", target_feature = "atomics"),
    feature(stdarch_wasm_atomic_wait)
)]
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod chan;
pub mod clock;
mod error;
mod future;
mod loom;
mod ring;
mod state;
#[cfg(not(loom))]
mod static_chan;
#[cfg(feature = "alloc")]
mod sync;
mod wait;

pub use error::{
    CapacityError, RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError,
    TrySendError,
};
#[cfg(feature = "alloc")]
pub use future::{RecvBatchFuture, SendBatchFuture};
pub use future::{RecvFuture, SendFuture};
pub use state::MAX_CAPACITY;
#[cfg(not(loom))]
pub use static_chan::{StaticChannel, StaticReceiver, StaticSender};
#[cfg(feature = "alloc")]
pub use sync::{channel, try_channel, Closer, Receiver, Sender, TryIter};
#[cfg(feature = "std")]
pub use sync::{IntoIter, Iter};
