//! Sender handles: clone, free, and the send family.

use crate::handle::{
    batch_len, funnelq_sender, handle_ptr, out, timeout, with_sender, Body, SenderBody, Wait,
    HANDLES,
};
use crate::msg::{funnelq_msg, Msg};
use crate::status::{funnelq_status, guard, ToStatus};
use crate::table::Kind;
use core::ffi::c_void;

use funnelq_status as S;

/// Creates another sender handle for the same channel in `*tx_out`. The
/// channel stays open for receiving until every sender handle is freed (or
/// it is closed). Returns `FUNNELQ_OK`, `FUNNELQ_INVALID` for a bad handle
/// or a null `tx_out`, or `FUNNELQ_NOMEM`.
///
/// # Safety
/// `tx_out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_sender_clone(
    tx: *const funnelq_sender,
    tx_out: *mut *mut funnelq_sender,
) -> funnelq_status {
    guard(|| {
        let body = with_sender(tx, |b| {
            Ok(SenderBody {
                tx: b.tx.clone(),
                group: b.group.clone(),
            })
        })?;
        if tx_out.is_null() {
            return Err(S::FUNNELQ_INVALID);
        }
        let h = HANDLES.insert(Body::Sender(body))?;
        out(tx_out, handle_ptr(h))
    })
}

/// Frees a sender handle: from now on it gives `FUNNELQ_INVALID` (it is
/// never mistaken for a handle made later, even one that takes its place).
/// When the last sender handle of a channel is gone the channel closes: the
/// receiver drains what is queued and then gets `FUNNELQ_CLOSED` (S12).
///
/// A call still running on this handle in another thread (a send waiting
/// for room, say) finishes normally, and the handle's share of the channel
/// is released when it returns; until then it still counts as a sender.
///
/// Returns `FUNNELQ_OK`, or `FUNNELQ_INVALID` for NULL, a non-sender, or a
/// handle already freed.
///
/// # Safety
/// Always safe to call: `tx` is checked.
#[no_mangle]
pub unsafe extern "C" fn funnelq_sender_free(tx: *mut funnelq_sender) -> funnelq_status {
    guard(|| match HANDLES.free(tx as usize, Kind::Sender, |_| {}) {
        S::FUNNELQ_OK => Ok(()),
        s => Err(s),
    })
}

/// Sends one message with the core's form for `wait`; a message that did
/// not go in is handed back (a copy freed, a zero-copy pointer the caller's).
fn send_one(b: &SenderBody, msg: Msg, wait: Wait) -> Result<(), S> {
    let r = match wait {
        Wait::Forever => b.tx.send(msg).map_err(|e| (e.status(), e.into_inner())),
        Wait::No => b.tx.try_send(msg).map_err(|e| (e.status(), e.into_inner())),
        Wait::Ns(ns) => {
            b.tx.send_timeout(msg, timeout(ns))
                .map_err(|e| (e.status(), e.into_inner()))
        }
    };
    r.map_err(|(s, m)| {
        m.give_back();
        s
    })
}

/// The `funnelq_send_copy` family: copies `len` bytes of `data` (a failed
/// allocation is `FUNNELQ_NOMEM`, nothing read) and sends the copy.
///
/// # Safety
/// `data` must be readable for `len` bytes.
unsafe fn send_copy(
    tx: *const funnelq_sender,
    data: *const c_void,
    len: usize,
    wait: Wait,
) -> Result<(), S> {
    with_sender(tx, |b| {
        // SAFETY: the caller guarantees data is readable for len bytes.
        let m = unsafe { Msg::copy(data, len) }?;
        send_one(b, m, wait)
    })
}

/// A zero-copy message for sender `b`.
fn borrowed(b: &SenderBody, ptr: *mut c_void, len: usize) -> Msg {
    Msg::borrowed(ptr, len, b.group.hook_ptr())
}

/// Sends the pointer `ptr` with length `len` without copying (ownership of
/// whatever `ptr` designates passes to the channel, then to the receiver,
/// which gets the same `ptr`/`len` back with `flags == 0`; funnelq never
/// dereferences `ptr`, so any value, NULL included, is allowed). Waits while
/// the channel is full (S02).
///
/// Returns `FUNNELQ_OK` (enqueued), `FUNNELQ_CLOSED` (not enqueued: the
/// pointer is still the caller's), or `FUNNELQ_INVALID` (bad handle).
///
/// # Safety
/// Always safe to call: `tx` is checked and `ptr` never dereferenced.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send(
    tx: *const funnelq_sender,
    ptr: *mut c_void,
    len: usize,
) -> funnelq_status {
    guard(|| with_sender(tx, |b| send_one(b, borrowed(b, ptr, len), Wait::Forever)))
}

/// As `funnelq_send`, but never waits: returns `FUNNELQ_FULL` when the
/// channel is full (nothing enqueued, the pointer is still the caller's).
///
/// # Safety
/// Always safe to call: `tx` is checked and `ptr` never dereferenced.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_send(
    tx: *const funnelq_sender,
    ptr: *mut c_void,
    len: usize,
) -> funnelq_status {
    guard(|| with_sender(tx, |b| send_one(b, borrowed(b, ptr, len), Wait::No)))
}

/// As `funnelq_send`, but waits at most `timeout_ns` nanoseconds; then
/// returns `FUNNELQ_TIMEOUT` (nothing enqueued, the pointer is still the
/// caller's). A timeout of 0 behaves like `funnelq_try_send` but reports
/// `FUNNELQ_TIMEOUT`; a timeout too large to represent waits forever.
///
/// # Safety
/// Always safe to call: `tx` is checked and `ptr` never dereferenced.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_timeout(
    tx: *const funnelq_sender,
    ptr: *mut c_void,
    len: usize,
    timeout_ns: u64,
) -> funnelq_status {
    guard(|| {
        with_sender(tx, |b| {
            send_one(b, borrowed(b, ptr, len), Wait::Ns(timeout_ns))
        })
    })
}

/// Copies `len` bytes from `data` into memory owned by funnelq and sends
/// that; the receiver gets a message with `flags == FUNNELQ_MSG_OWNED` and
/// must release it with `funnelq_msg_free`. The caller keeps `data`. Waits
/// while the channel is full. `len` may be 0 (then `data` may be NULL).
///
/// Returns `FUNNELQ_OK`, `FUNNELQ_CLOSED` (the copy is freed),
/// `FUNNELQ_NOMEM` (`len` bytes cannot be allocated; nothing was read),
/// or `FUNNELQ_INVALID` (bad handle, NULL `data` with `len > 0`).
///
/// # Safety
/// `data` must be readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_copy(
    tx: *const funnelq_sender,
    data: *const c_void,
    len: usize,
) -> funnelq_status {
    // SAFETY: forwarded contract on data/len.
    guard(|| unsafe { send_copy(tx, data, len, Wait::Forever) })
}

/// As `funnelq_send_copy`, but never waits: `FUNNELQ_FULL` when full.
///
/// # Safety
/// As `funnelq_send_copy`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_send_copy(
    tx: *const funnelq_sender,
    data: *const c_void,
    len: usize,
) -> funnelq_status {
    // SAFETY: forwarded contract on data/len.
    guard(|| unsafe { send_copy(tx, data, len, Wait::No) })
}

/// As `funnelq_send_copy`, but waits at most `timeout_ns` nanoseconds, then
/// returns `FUNNELQ_TIMEOUT` (nothing enqueued).
///
/// # Safety
/// As `funnelq_send_copy`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_copy_timeout(
    tx: *const funnelq_sender,
    data: *const c_void,
    len: usize,
    timeout_ns: u64,
) -> funnelq_status {
    // SAFETY: forwarded contract on data/len.
    guard(|| unsafe { send_copy(tx, data, len, Wait::Ns(timeout_ns)) })
}

/// Sends `count` zero-copy items (`items[i].ptr`, `items[i].len`; `flags` is
/// ignored) in order, waiting for room as needed, and stores in
/// `*sent_out` how many were enqueued (a prefix of `items`, S18).
///
/// Returns `FUNNELQ_OK` (all sent), `FUNNELQ_CLOSED` (the channel closed
/// part-way: items from `*sent_out` on are still the caller's), or
/// `FUNNELQ_INVALID` (bad handle, NULL `sent_out`, NULL `items` with
/// `count > 0`, `count > FUNNELQ_MAX_BATCH`; nothing sent).
///
/// # Safety
/// `items` must be readable for `count` elements; `sent_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_batch(
    tx: *const funnelq_sender,
    items: *const funnelq_msg,
    count: usize,
    sent_out: *mut usize,
) -> funnelq_status {
    // SAFETY: forwarded contract on items/count/sent_out.
    guard(|| unsafe { borrowed_batch(tx, items, count, sent_out, Wait::Forever) })
}

/// As `funnelq_send_batch`, but never waits: enqueues the longest prefix that
/// fits now. Returns `FUNNELQ_OK` with `*sent_out` in `1..=count` (or 0 when
/// `count` is 0), `FUNNELQ_FULL` (nothing fits; `*sent_out == 0`) or
/// `FUNNELQ_CLOSED`.
///
/// # Safety
/// As `funnelq_send_batch`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_send_batch(
    tx: *const funnelq_sender,
    items: *const funnelq_msg,
    count: usize,
    sent_out: *mut usize,
) -> funnelq_status {
    // SAFETY: forwarded contract on items/count/sent_out.
    guard(|| unsafe { borrowed_batch(tx, items, count, sent_out, Wait::No) })
}

/// As `funnelq_send_batch`, but waits for room at most `timeout_ns`
/// nanoseconds in all: then returns `FUNNELQ_TIMEOUT`, with the prefix that
/// went in counted in `*sent_out` (the rest is still the caller's).
///
/// # Safety
/// As `funnelq_send_batch`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_batch_timeout(
    tx: *const funnelq_sender,
    items: *const funnelq_msg,
    count: usize,
    sent_out: *mut usize,
    timeout_ns: u64,
) -> funnelq_status {
    // SAFETY: forwarded contract on items/count/sent_out.
    guard(|| unsafe { borrowed_batch(tx, items, count, sent_out, Wait::Ns(timeout_ns)) })
}

/// Copies and sends `count` messages laid out back to back in `data`:
/// message `i` is `lens[i]` bytes, starting right after message `i-1`. Waits
/// for room as needed; `*sent_out` gets how many were enqueued (a prefix).
/// Receivers get `FUNNELQ_MSG_OWNED` messages. The caller keeps `data`/`lens`.
///
/// Returns `FUNNELQ_OK` (all sent), `FUNNELQ_CLOSED` (part-way; unsent copies
/// are freed), `FUNNELQ_NOMEM` (the copies cannot be allocated; nothing
/// sent), or `FUNNELQ_INVALID` (bad handle, NULL `sent_out`, NULL `lens`
/// with `count > 0`, `count > FUNNELQ_MAX_BATCH`, NULL `data` with a
/// non-zero total, lengths whose sum overflows `size_t`; nothing sent).
///
/// # Safety
/// `lens` readable for `count` elements, `data` for the sum of `lens`;
/// `sent_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_copy_batch(
    tx: *const funnelq_sender,
    data: *const c_void,
    lens: *const usize,
    count: usize,
    sent_out: *mut usize,
) -> funnelq_status {
    // SAFETY: forwarded contract on data/lens/count/sent_out.
    guard(|| unsafe { copied_batch(tx, data, lens, count, sent_out, Wait::Forever) })
}

/// As `funnelq_send_copy_batch`, but never waits (see `funnelq_try_send_batch`).
///
/// # Safety
/// As `funnelq_send_copy_batch`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_send_copy_batch(
    tx: *const funnelq_sender,
    data: *const c_void,
    lens: *const usize,
    count: usize,
    sent_out: *mut usize,
) -> funnelq_status {
    // SAFETY: forwarded contract on data/lens/count/sent_out.
    guard(|| unsafe { copied_batch(tx, data, lens, count, sent_out, Wait::No) })
}

/// As `funnelq_send_copy_batch`, but waits for room at most `timeout_ns`
/// nanoseconds in all (see `funnelq_send_batch_timeout`).
///
/// # Safety
/// As `funnelq_send_copy_batch`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_copy_batch_timeout(
    tx: *const funnelq_sender,
    data: *const c_void,
    lens: *const usize,
    count: usize,
    sent_out: *mut usize,
    timeout_ns: u64,
) -> funnelq_status {
    // SAFETY: forwarded contract on data/lens/count/sent_out.
    guard(|| unsafe { copied_batch(tx, data, lens, count, sent_out, Wait::Ns(timeout_ns)) })
}

/// Checks the arguments every batch send shares, in the order that reads
/// nothing before the checks: handle, `sent_out` (zeroed), `count`.
fn batch_args(sent_out: *mut usize, count: usize, list: *const c_void) -> Result<(), S> {
    out(sent_out, 0)?;
    batch_len(count)?;
    if count > 0 && list.is_null() {
        return Err(S::FUNNELQ_INVALID);
    }
    Ok(())
}

/// The batch sends' common path: checks the arguments, views the caller's
/// `count` elements of `list` (items or lengths), turns them into messages
/// with `make` and sends those.
///
/// # Safety
/// `list` readable for `count` elements; `sent_out` NULL or writable.
unsafe fn batch_of<E>(
    tx: *const funnelq_sender,
    list: *const E,
    count: usize,
    sent_out: *mut usize,
    wait: Wait,
    make: impl FnOnce(&SenderBody, &[E]) -> Result<Vec<Msg>, S>,
) -> Result<(), S> {
    with_sender(tx, |b| {
        batch_args(sent_out, count, list.cast())?;
        if count == 0 {
            return Ok(());
        }
        // SAFETY: the caller guarantees `count` readable elements; count is
        // within FUNNELQ_MAX_BATCH.
        let list = unsafe { core::slice::from_raw_parts(list, count) };
        send_batch(b, make(b, list)?, sent_out, wait)
    })
}

/// # Safety
/// `items` readable for `count` elements; `sent_out` NULL or writable.
unsafe fn borrowed_batch(
    tx: *const funnelq_sender,
    items: *const funnelq_msg,
    count: usize,
    sent_out: *mut usize,
    wait: Wait,
) -> Result<(), S> {
    let borrow = |b: &SenderBody, items: &[funnelq_msg]| {
        let hook = b.group.hook_ptr();
        let mut batch = Vec::new();
        batch
            .try_reserve_exact(items.len())
            .map_err(|_| S::FUNNELQ_NOMEM)?;
        batch.extend(items.iter().map(|m| Msg::borrowed(m.ptr, m.len, hook)));
        Ok(batch)
    };
    // SAFETY: forwarded contract on items/count/sent_out.
    unsafe { batch_of(tx, items, count, sent_out, wait, borrow) }
}

/// # Safety
/// `lens` readable for `count` elements, `data` for their sum; `sent_out`
/// NULL or writable.
unsafe fn copied_batch(
    tx: *const funnelq_sender,
    data: *const c_void,
    lens: *const usize,
    count: usize,
    sent_out: *mut usize,
    wait: Wait,
) -> Result<(), S> {
    let copy = |_: &SenderBody, lens: &[usize]| {
        // SAFETY: the caller guarantees `data` is readable for the sum of lens.
        unsafe { Msg::copy_batch(data, lens) }
    };
    // SAFETY: forwarded contract on lens/count/sent_out.
    unsafe { batch_of(tx, lens, count, sent_out, wait, copy) }
}

/// Sends `batch` with the core's batch form for `wait`; what did not go in
/// is handed back (copies freed, zero-copy pointers the caller's again).
fn send_batch(
    b: &SenderBody,
    mut batch: Vec<Msg>,
    sent_out: *mut usize,
    wait: Wait,
) -> Result<(), S> {
    let count = batch.len();
    let r = match wait {
        Wait::Forever => {
            b.tx.send_batch(&mut batch)
                .map(drop)
                .map_err(|e| e.status())
        }
        Wait::No => {
            b.tx.try_send_batch(&mut batch)
                .map(drop)
                .map_err(|e| e.status())
        }
        Wait::Ns(ns) => {
            b.tx.send_batch_timeout(&mut batch, timeout(ns))
                .map(drop)
                .map_err(|e| e.status())
        }
    };
    let sent = count - batch.len();
    for m in batch {
        m.give_back();
    }
    out(sent_out, sent)?;
    r
}
