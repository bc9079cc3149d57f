//! The C interface of funnelq: a bounded multi-producer single-consumer channel.
//!
//! This crate builds `libfunnelq.so` and `libfunnelq.a`; the header
//! `include/funnelq.h` is generated from this source by cbindgen and committed
//! (`make -C bindings-c header`, checked by `cbindgen --verify` in CI).
//!
//! Every exported function:
//! - is named `funnelq_*` and returns a [`funnelq_status`] (or a plain value for
//!   the few infallible queries);
//! - checks its handles: a handle is an index and a generation into a table
//!   that is never freed (`table.rs`), so null, foreign, wrong-kind and freed
//!   handles give `FUNNELQ_INVALID` without reading freed memory, also after
//!   a newer handle took a freed one's place; and its out-pointers (null
//!   gives `FUNNELQ_INVALID`);
//! - bounds every caller-supplied count before it allocates (S22);
//! - catches Rust panics (`FUNNELQ_INTERNAL`): nothing unwinds into C.
#![allow(non_camel_case_types)]

mod handle;
mod msg;
mod receiver;
mod sender;
mod status;
mod table;

pub use handle::{
    funnelq_capacity, funnelq_channel_new, funnelq_channel_new_with_drop, funnelq_close,
    funnelq_is_closed, funnelq_len, funnelq_max_batch, funnelq_max_capacity, funnelq_receiver,
    funnelq_sender, funnelq_version, FUNNELQ_MAX_BATCH,
};
pub use msg::{
    funnelq_drop_fn, funnelq_msg, funnelq_msg_free, funnelq_msg_free_n, FUNNELQ_MSG_OWNED,
};
pub use receiver::{
    funnelq_receiver_free, funnelq_recv, funnelq_recv_batch, funnelq_recv_batch_timeout,
    funnelq_recv_timeout, funnelq_try_recv, funnelq_try_recv_batch,
};
pub use sender::{
    funnelq_send, funnelq_send_batch, funnelq_send_batch_timeout, funnelq_send_copy,
    funnelq_send_copy_batch, funnelq_send_copy_batch_timeout, funnelq_send_copy_timeout,
    funnelq_send_timeout, funnelq_sender_clone, funnelq_sender_free, funnelq_try_send,
    funnelq_try_send_batch, funnelq_try_send_copy, funnelq_try_send_copy_batch,
};
pub use status::{funnelq_status, funnelq_status_str};
