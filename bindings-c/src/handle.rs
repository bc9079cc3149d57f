//! Handles: tagged heap records behind the opaque C types, channel creation,
//! and the queries that accept either kind of handle.

use crate::msg::{funnelq_drop_fn, Hook, Msg};
use crate::status::{funnelq_status, guard};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use funnelq_status as S;

/// Opaque sender handle. Any number may exist per channel
/// (`funnelq_sender_clone`); each is freed with `funnelq_sender_free`. One
/// handle may be used by many threads at once, but must not be freed while a
/// call on it is running.
pub struct funnelq_sender {
    _opaque: [u8; 0],
}

/// Opaque receiver handle: one per channel, freed with
/// `funnelq_receiver_free`. Receives may come from any thread, one at a time
/// (a second concurrent receive gets `FUNNELQ_BUSY`); `funnelq_close`,
/// `funnelq_len`, `funnelq_capacity` and `funnelq_is_closed` may run
/// concurrently with a receive.
pub struct funnelq_receiver {
    _opaque: [u8; 0],
}

pub(crate) const SENDER_TAG: u64 = u64::from_be_bytes(*b"FNQ_SEND");
pub(crate) const RECEIVER_TAG: u64 = u64::from_be_bytes(*b"FNQ_RECV");
pub(crate) const DEAD_TAG: u64 = u64::from_be_bytes(*b"FNQ_DEAD");

/// The record behind every handle: a tag word first (`repr(C)`), then the body.
#[repr(C)]
pub(crate) struct Tagged<B> {
    pub(crate) tag: AtomicU64,
    pub(crate) body: B,
}

/// What all handles of one channel share.
pub(crate) struct Group {
    /// Live C sender handles; the last `funnelq_sender_free` closes the channel.
    pub(crate) live_senders: AtomicUsize,
    pub(crate) hook: Option<Hook>,
}

impl Group {
    pub(crate) fn hook_ptr(&self) -> *const Hook {
        self.hook
            .as_ref()
            .map_or(core::ptr::null(), |h| h as *const Hook)
    }
}

pub(crate) struct SenderBody {
    pub(crate) tx: fq::Sender<Msg>,
    // Declared after `tx`: dropped after it, so the hook outlives every Msg.
    pub(crate) group: Arc<Group>,
}

pub(crate) struct ReceiverBody {
    /// Set while a receive (or the free) owns `rx`.
    pub(crate) busy: AtomicBool,
    pub(crate) rx: UnsafeCell<fq::Receiver<Msg>>,
    /// Scratch for batch receives, used only while `busy` is held.
    pub(crate) buf: UnsafeCell<Vec<Msg>>,
    /// A sender that never sends: it serves close/len/is_closed from the
    /// receiver side without touching `rx` (a receive may hold it), while the
    /// end-of-stream of S12 comes from the last *C* sender's free.
    pub(crate) closer: fq::Sender<Msg>,
    /// Keeps the drop hook alive while `rx` may still drop messages.
    pub(crate) _group: Arc<Group>,
}

/// Reads the tag of a handle-like pointer, if it can be a handle at all.
fn tag_of(h: *const c_void) -> Option<u64> {
    if h.is_null() || (h as usize) % core::mem::align_of::<AtomicU64>() != 0 {
        return None;
    }
    // SAFETY: h is non-null and aligned; the C contract is that a handle
    // argument points to a live funnelq handle or at least to readable memory.
    // The word is read atomically, so a racing free (a caller bug) is at worst
    // reported as FUNNELQ_INVALID rather than a torn read.
    // ORDERING: Acquire pairs with the Release of the tag CAS in the free
    // functions (a freed tag is seen with the free's effects); creation is
    // published to other threads by whatever hands them the pointer.
    Some(unsafe { (*h.cast::<AtomicU64>()).load(Ordering::Acquire) })
}

/// The sender body behind `h`, if `h` is a live sender handle.
pub(crate) fn sender<'a>(h: *const funnelq_sender) -> Result<&'a SenderBody, S> {
    match tag_of(h.cast()) {
        Some(SENDER_TAG) => {
            // SAFETY: the tag says h is a live Tagged<SenderBody> from
            // funnelq_channel_new / funnelq_sender_clone.
            Ok(unsafe { &(*h.cast::<Tagged<SenderBody>>()).body })
        }
        _ => Err(S::FUNNELQ_INVALID),
    }
}

/// The receiver body behind `h`, if `h` is a live receiver handle.
pub(crate) fn receiver<'a>(h: *const funnelq_receiver) -> Result<&'a ReceiverBody, S> {
    match tag_of(h.cast()) {
        Some(RECEIVER_TAG) => {
            // SAFETY: the tag says h is a live Tagged<ReceiverBody> from
            // funnelq_channel_new.
            Ok(unsafe { &(*h.cast::<Tagged<ReceiverBody>>()).body })
        }
        _ => Err(S::FUNNELQ_INVALID),
    }
}

/// A `Sender` usable for close/len/capacity/is_closed, from either handle kind.
fn any_side<'a>(h: *const c_void) -> Result<&'a fq::Sender<Msg>, S> {
    match tag_of(h) {
        Some(SENDER_TAG) => sender(h.cast()).map(|b| &b.tx),
        Some(RECEIVER_TAG) => receiver(h.cast()).map(|b| &b.closer),
        _ => Err(S::FUNNELQ_INVALID),
    }
}

/// Turns a timeout in nanoseconds into a deadline; `None` means "too far to
/// represent": wait without a deadline.
pub(crate) fn deadline(timeout_ns: u64) -> Option<Instant> {
    Instant::now().checked_add(Duration::from_nanos(timeout_ns))
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
/// Returns `FUNNELQ_OK`; `FUNNELQ_INVALID` for a bad capacity or a null
/// out-pointer (the out-pointers are then left untouched).
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
        let (tx, rx) = fq::try_channel::<Msg>(capacity).map_err(|_| S::FUNNELQ_INVALID)?;
        let group = Arc::new(Group {
            live_senders: AtomicUsize::new(1),
            hook: drop_fn.map(|f| Hook { f, ctx }),
        });
        let closer = tx.clone();
        let tx = Box::new(Tagged {
            tag: AtomicU64::new(SENDER_TAG),
            body: SenderBody {
                tx,
                group: group.clone(),
            },
        });
        let rx = Box::new(Tagged {
            tag: AtomicU64::new(RECEIVER_TAG),
            body: ReceiverBody {
                busy: AtomicBool::new(false),
                rx: UnsafeCell::new(rx),
                buf: UnsafeCell::new(Vec::new()),
                closer,
                _group: group,
            },
        });
        out(tx_out, Box::into_raw(tx).cast::<funnelq_sender>())?;
        out(rx_out, Box::into_raw(rx).cast::<funnelq_receiver>())?;
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
/// `handle` must be NULL or point to readable memory (ideally a live handle).
#[no_mangle]
pub unsafe extern "C" fn funnelq_close(handle: *const c_void) -> funnelq_status {
    guard(|| {
        any_side(handle)?.close();
        Ok(())
    })
}

/// Stores in `*closed_out` whether the channel is closed (by `funnelq_close`,
/// by freeing the receiver, or by freeing every sender). `handle` is a sender
/// or receiver. Returns `FUNNELQ_OK` or `FUNNELQ_INVALID`.
///
/// # Safety
/// `handle` must be NULL or point to readable memory; `closed_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_is_closed(
    handle: *const c_void,
    closed_out: *mut bool,
) -> funnelq_status {
    guard(|| {
        let closed = any_side(handle)?.is_closed();
        out(closed_out, closed)
    })
}

/// Stores in `*len_out` a snapshot of the number of queued messages
/// (`0 <= len <= capacity`). `handle` is a sender or receiver. Returns
/// `FUNNELQ_OK` or `FUNNELQ_INVALID`.
///
/// # Safety
/// `handle` must be NULL or point to readable memory; `len_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_len(handle: *const c_void, len_out: *mut usize) -> funnelq_status {
    guard(|| {
        let len = any_side(handle)?.len();
        out(len_out, len)
    })
}

/// Stores in `*capacity_out` the capacity given at creation. `handle` is a
/// sender or receiver. Returns `FUNNELQ_OK` or `FUNNELQ_INVALID`.
///
/// # Safety
/// `handle` must be NULL or point to readable memory; `capacity_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_capacity(
    handle: *const c_void,
    capacity_out: *mut usize,
) -> funnelq_status {
    guard(|| {
        let cap = any_side(handle)?.capacity();
        out(capacity_out, cap)
    })
}

/// The largest capacity `funnelq_channel_new` accepts (2^30 on 64-bit
/// targets). The ring is allocated up front, so large capacities cost memory
/// (about 24 bytes per slot plus the core's stamp); an allocation failure
/// there aborts the process like any Rust allocation failure.
#[no_mangle]
pub extern "C" fn funnelq_max_capacity() -> usize {
    fq::MAX_CAPACITY
}

/// The library version, e.g. `"0.1.0"` (static; do not free).
#[no_mangle]
pub extern "C" fn funnelq_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
