//! The funnelq C interface, built from `bindings-c/src` itself, for the fuzz
//! targets in `fuzz_targets/`. Nothing here is a copy: each module is the
//! C library's file (the `#[path]` attributes), so the fuzzer exercises and
//! instruments exactly the code that `libfunnelq` ships.
#![allow(non_camel_case_types, dead_code)]

#[path = "../../src/handle.rs"]
pub mod handle;
#[path = "../../src/msg.rs"]
pub mod msg;
#[path = "../../src/receiver.rs"]
pub mod receiver;
#[path = "../../src/sender.rs"]
pub mod sender;
#[path = "../../src/status.rs"]
pub mod status;
#[path = "../../src/table.rs"]
pub mod table;

pub use handle::*;
pub use msg::*;
pub use receiver::*;
pub use sender::*;
pub use status::*;
