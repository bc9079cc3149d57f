//! Handles: the objects behind the opaque C types, channel creation, and
//! the queries that accept either kind of handle. What a handle value is
//! (and why a stale one is refused) is in `table.rs`.

use crate::msg::{funnelq_drop_fn, Hook, Msg};
use crate::status::{funnelq_status, guard, ToStatus};
use crate::table::{Kind, Table, Typed};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void};
use funnelq_binding::GuardedReceiver;
use std::sync::Arc;
use std::time::Duration;

use funnelq_status as S;

/// Opaque sender handle. Any number may exist per channel
/// (`funnelq_sender_clone`); each is freed with `funnelq_sender_free`. One
/// handle may be used by many threads at once.
///
/// A handle is a checked value, not an address: NULL, any pointer that is
/// not a funnelq handle, a handle of the other kind and a freed handle all
/// give `FUNNELQ_INVALID`, and a freed handle never reaches the object that
/// later takes its place.
pub struct funnelq_sender {
    _opaque: [u8; 0],
}

/// Opaque receiver handle: one per channel, freed with
/// `funnelq_receiver_free`. Receives may come from any thread, one at a time
/// (a second concurrent receive gets `FUNNELQ_BUSY`); `funnelq_close`,
/// `funnelq_len`, `funnelq_capacity` and `funnelq_is_closed` may run
/// concurrently with a receive. Checked like `funnelq_sender`.
///
/// After `fork()`: in the child, a receiver that another thread of the
/// parent was using at the fork (a thread inside `funnelq_recv`, say) stays
/// claimed by that thread, which does not exist in the child: every receive
/// there returns `FUNNELQ_BUSY` for ever. This is not reset, because the
/// absent thread may have been half-way through taking a message (resetting
/// could deliver it twice). Do not use, close or free in the child a
/// channel that other parent threads were using; channels created in the
/// child work normally (handle creation takes no lock).
pub struct funnelq_receiver {
    _opaque: [u8; 0],
}

/// What the handles of one channel share besides the core's channel: the
/// drop hook, which every message still in the ring may call.
pub(crate) struct Group {
    pub(crate) hook: Option<Hook>,
}

impl Group {
    pub(crate) fn hook_ptr(&self) -> *const Hook {
        self.hook
            .as_ref()
            .map_or(core::ptr::null(), |h| h as *const Hook)
    }
}

/// A sender handle owns one core `Sender`: the core counts the senders and
/// closes the channel when the last one goes (S12).
pub(crate) struct SenderBody {
    pub(crate) tx: fq::Sender<Msg>,
    // Declared after `tx`: dropped after it, so the hook outlives every Msg.
    pub(crate) group: Arc<Group>,
}

/// The receiver handle: the one guarded receiver (a second concurrent
/// receive gets `FUNNELQ_BUSY`), and scratch for batch receives.
pub(crate) struct ReceiverBody {
    pub(crate) rx: GuardedReceiver<Msg>,
    /// Scratch for batch receives, used only while a claim on `rx` is held.
    pub(crate) buf: UnsafeCell<Vec<Msg>>,
    // Declared after `rx`: dropped after it, so the hook outlives every Msg.
    pub(crate) _group: Arc<Group>,
}

// SAFETY: `buf` is only touched by the holder of a claim on `rx` (one
// thread at a time, handed over with the claim's Acquire/Release); the rest
// is `Sync` already.
unsafe impl Sync for ReceiverBody {}

/// What a handle value designates.
pub(crate) enum Body {
    Sender(SenderBody),
    Receiver(ReceiverBody),
}

impl Typed for Body {
    fn kind(&self) -> Kind {
        match self {
            Body::Sender(_) => Kind::Sender,
            Body::Receiver(_) => Kind::Receiver,
        }
    }
}

/// Every handle of the process.
pub(crate) static HANDLES: Table<Body> = Table::new();

/// Runs `f` inside the sender `h` (it cannot be destroyed meanwhile).
pub(crate) fn with_sender<R>(
    h: *const funnelq_sender,
    f: impl FnOnce(&SenderBody) -> Result<R, S>,
) -> Result<R, S> {
    let body = HANDLES.enter(h as usize, Kind::Sender)?;
    match &*body {
        Body::Sender(b) => f(b),
        Body::Receiver(_) => Err(S::FUNNELQ_INTERNAL), // the table checked the kind
    }
}

/// Runs `f` inside the receiver `h` (it cannot be destroyed meanwhile).
pub(crate) fn with_receiver<R>(
    h: *const funnelq_receiver,
    f: impl FnOnce(&ReceiverBody) -> Result<R, S>,
) -> Result<R, S> {
    let body = HANDLES.enter(h as usize, Kind::Receiver)?;
    match &*body {
        Body::Receiver(b) => f(b),
        Body::Sender(_) => Err(S::FUNNELQ_INTERNAL), // the table checked the kind
    }
}

/// What close/len/capacity/is_closed need, from either kind of handle.
enum Side<'a> {
    Tx(&'a fq::Sender<Msg>),
    /// The receiver's `Closer`: usable while a receive holds the receiver.
    Rx(&'a GuardedReceiver<Msg>),
}

/// Runs `f` inside handle `h` of either kind.
fn with_side<R>(h: *const c_void, f: impl FnOnce(Side<'_>) -> R) -> Result<R, S> {
    let (_, body) = HANDLES.enter_any(h as usize)?;
    Ok(match &*body {
        Body::Sender(b) => f(Side::Tx(&b.tx)),
        Body::Receiver(b) => f(Side::Rx(&b.rx)),
    })
}

/// A handle value as the C pointer type `P`.
pub(crate) fn handle_ptr<P>(h: usize) -> *mut P {
    // A handle is a number, never dereferenced (see table.rs).
    h as *mut P
}

/// How a call waits: for ever, not at all, or at most some nanoseconds.
#[derive(Clone, Copy)]
pub(crate) enum Wait {
    Forever,
    No,
    Ns(u64),
}

/// A C timeout in nanoseconds; the core waits for ever when the deadline it
/// makes from it is too far to represent.
pub(crate) fn timeout(ns: u64) -> Duration {
    Duration::from_nanos(ns)
}

/// Writes `v` to an out-pointer, or fails with FUNNELQ_INVALID if it is null.
pub(crate) fn out<T>(p: *mut T, v: T) -> Result<(), S> {
    if p.is_null() {
        return Err(S::FUNNELQ_INVALID);
    }
    // SAFETY: non-null; the C contract is that out-pointers are writable.
    unsafe { p.write(v) };
    Ok(())
}

/// Creates a channel holding up to `capacity` messages (exactly; `1 <=
/// capacity <= funnelq_max_capacity()`), and stores a new sender handle in
/// `*tx_out` and the receiver handle in `*rx_out`. Both must be freed
/// (`funnelq_sender_free`, `funnelq_receiver_free`).
///
/// Zero-copy messages still queued when the channel goes away are simply
/// forgotten (use `funnelq_channel_new_with_drop` to release them); copied
/// messages are always freed.
///
/// Returns `FUNNELQ_OK`; `FUNNELQ_INVALID` for a capacity outside
/// `1..=funnelq_max_capacity()` or a null out-pointer; `FUNNELQ_NOMEM` if
/// the ring (about 32 bytes per slot, allocated up front) or a handle cannot
/// be allocated. On any error the out-pointers are left untouched and
/// nothing needs freeing: no capacity aborts the process (S22).
///
/// # Safety
/// `tx_out` and `rx_out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_channel_new(
    capacity: usize,
    tx_out: *mut *mut funnelq_sender,
    rx_out: *mut *mut funnelq_receiver,
) -> funnelq_status {
    // SAFETY: forwarded contract.
    unsafe { funnelq_channel_new_with_drop(capacity, None, core::ptr::null_mut(), tx_out, rx_out) }
}

/// As `funnelq_channel_new`, and registers `drop_fn` (may be NULL): every
/// zero-copy message still queued when the channel goes away (S13: receiver
/// freed; or all handles freed) is passed to `drop_fn(ptr, len, ctx)` exactly
/// once, so its memory can be released. `ctx` must stay valid until the last
/// handle of the channel is freed. Messages handed back by a failed send are
/// never passed to `drop_fn` (they remain the caller's).
///
/// # Safety
/// `tx_out` and `rx_out` must be NULL or writable; `drop_fn`, if non-NULL,
/// must be safe to call from any thread with any queued message and `ctx`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_channel_new_with_drop(
    capacity: usize,
    drop_fn: funnelq_drop_fn,
    ctx: *mut c_void,
    tx_out: *mut *mut funnelq_sender,
    rx_out: *mut *mut funnelq_receiver,
) -> funnelq_status {
    guard(|| {
        if tx_out.is_null() || rx_out.is_null() {
            return Err(S::FUNNELQ_INVALID);
        }
        let (tx, rx) = fq::try_channel::<Msg>(capacity).map_err(|e| e.status())?;
        let group = Arc::new(Group {
            hook: drop_fn.map(|f| Hook { f, ctx }),
        });
        let rx = HANDLES.insert(Body::Receiver(ReceiverBody {
            rx: GuardedReceiver::new(rx),
            buf: UnsafeCell::new(Vec::new()),
            _group: group.clone(),
        }))?;
        let tx = match HANDLES.insert(Body::Sender(SenderBody { tx, group })) {
            Ok(tx) => tx,
            Err(s) => {
                HANDLES.free(rx, Kind::Receiver, |_| {});
                return Err(s);
            }
        };
        out(tx_out, handle_ptr(tx))?;
        out(rx_out, handle_ptr(rx))?;
        Ok(())
    })
}

/// Closes the channel; `handle` is a `funnelq_sender *` or a
/// `funnelq_receiver *`. Idempotent. Afterwards sends fail with
/// `FUNNELQ_CLOSED` (S06), waiting senders and a waiting receiver wake (S07),
/// and the receiver still gets every queued message before end-of-stream
/// (S05). Returns `FUNNELQ_OK` (also if it was already closed), or
/// `FUNNELQ_INVALID` for a bad handle. Safe to call while another thread
/// waits in a send or receive.
///
/// # Safety
/// Always safe to call: `handle` is checked.
#[no_mangle]
pub unsafe extern "C" fn funnelq_close(handle: *const c_void) -> funnelq_status {
    guard(|| {
        with_side(handle, |side| match side {
            Side::Tx(tx) => tx.close(),
            Side::Rx(rx) => rx.close(),
        })?;
        Ok(())
    })
}

/// Stores in `*closed_out` whether the channel is closed (by `funnelq_close`,
/// by freeing the receiver, or by freeing every sender). `handle` is a sender
/// or receiver. Returns `FUNNELQ_OK` or `FUNNELQ_INVALID`.
///
/// # Safety
/// `closed_out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_is_closed(
    handle: *const c_void,
    closed_out: *mut bool,
) -> funnelq_status {
    guard(|| {
        let closed = with_side(handle, |side| match side {
            Side::Tx(tx) => tx.is_closed(),
            Side::Rx(rx) => rx.is_closed(),
        })?;
        out(closed_out, closed)
    })
}

/// Stores in `*len_out` a snapshot of the number of queued messages
/// (`0 <= len <= capacity`). `handle` is a sender or receiver. Returns
/// `FUNNELQ_OK` or `FUNNELQ_INVALID`.
///
/// # Safety
/// `len_out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_len(handle: *const c_void, len_out: *mut usize) -> funnelq_status {
    guard(|| {
        let len = with_side(handle, |side| match side {
            Side::Tx(tx) => tx.len(),
            Side::Rx(rx) => rx.len(),
        })?;
        out(len_out, len)
    })
}

/// Stores in `*capacity_out` the capacity given at creation. `handle` is a
/// sender or receiver. Returns `FUNNELQ_OK` or `FUNNELQ_INVALID`.
///
/// # Safety
/// `capacity_out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_capacity(
    handle: *const c_void,
    capacity_out: *mut usize,
) -> funnelq_status {
    guard(|| {
        let cap = with_side(handle, |side| match side {
            Side::Tx(tx) => tx.capacity(),
            Side::Rx(rx) => rx.capacity(),
        })?;
        out(capacity_out, cap)
    })
}

/// The largest capacity `funnelq_channel_new` accepts (2^30 on 64-bit
/// targets). The ring is allocated up front, so large capacities cost memory
/// (about 32 bytes per slot); when it cannot be allocated,
/// `funnelq_channel_new` returns `FUNNELQ_NOMEM`.
#[no_mangle]
pub extern "C" fn funnelq_max_capacity() -> usize {
    fq::MAX_CAPACITY
}

/// The most messages one batch call takes: `count` of the send batches,
/// `max` of the receive batches (`FUNNELQ_MAX_BATCH`, 2^20). A larger value
/// gives `FUNNELQ_INVALID` before anything is read or allocated (S22).
#[no_mangle]
pub extern "C" fn funnelq_max_batch() -> usize {
    FUNNELQ_MAX_BATCH
}

/// The most messages one batch call takes (see `funnelq_max_batch`).
pub const FUNNELQ_MAX_BATCH: usize = 1048576;

// The C limit is the one every binding shares.
const _: () = assert!(FUNNELQ_MAX_BATCH == funnelq_binding::limits::MAX_BATCH);

/// Checks a batch count or `max` against `FUNNELQ_MAX_BATCH`.
pub(crate) fn batch_len(n: usize) -> Result<usize, S> {
    funnelq_binding::limits::batch_len(n).map_err(|_| S::FUNNELQ_INVALID)
}

/// The library version, e.g. `"0.1.0"` (static; do not free).
#[no_mangle]
pub extern "C" fn funnelq_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
