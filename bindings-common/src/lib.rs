//! # funnelq-binding
//!
//! The pieces every funnelq binding (C, Python, Node.js, WebAssembly) needs
//! beyond the core, written once so that a binding is only a translation of
//! types, errors and waiting:
//!
//! - [`GuardedReceiver`]: the one receiver behind a handle that a host cannot
//!   stop from being shared (a C pointer, a Python object, a JS object). A
//!   receive claims it; a second receive running at the same time gets
//!   [`ClaimError::Busy`] instead of corrupting the single-consumer ring.
//!   Messages taken for a caller that can no longer deliver them (a worker
//!   torn down between the take and the hand-over) go back to the front of
//!   the stream with [`Claim::give_back`] (S21).
//! - [`Registry`]: share tokens, the one format in which a handle crosses
//!   into another worker or thread of the same process (Node) or memory
//!   (WebAssembly).
//! - [`limits`]: the bounds every caller-supplied length, count and size is
//!   checked against before anything is allocated or copied (S22).
//!
//! ```
//! use funnelq_binding::{ClaimError, GuardedReceiver};
//!
//! let (tx, rx) = funnelq::channel::<u32>(4);
//! let guarded = GuardedReceiver::new(rx);
//! tx.send(1).unwrap();
//! let mut claim = guarded.claim().unwrap();
//! assert!(matches!(guarded.claim(), Err(ClaimError::Busy)));
//! assert_eq!(claim.try_recv(), Ok(1));
//! ```
#![deny(missing_docs)]

mod guard;
pub mod limits;
mod registry;

pub use guard::{Claim, ClaimError, GuardedReceiver};
pub use registry::{Kind, Registry, TokenError};
