//! Sender handles: clone, free, and the send family.

use crate::handle::{deadline, out, sender, SenderBody, Tagged, DEAD_TAG, SENDER_TAG};
use crate::msg::{funnelq_msg, Msg};
use crate::status::{funnelq_status, guard, ToStatus};
use core::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};

use funnelq_status as S;

/// Creates another sender handle for the same channel in `*tx_out`. The
/// channel stays open for receiving until every sender handle is freed (or
/// it is closed). Returns `FUNNELQ_OK`, or `FUNNELQ_INVALID` for a bad handle
/// or a null `tx_out`.
///
/// # Safety
/// `tx` must be NULL or point to readable memory; `tx_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_sender_clone(
    tx: *const funnelq_sender,
    tx_out: *mut *mut funnelq_sender,
) -> funnelq_status {
    guard(|| {
        let body = sender(tx)?;
        if tx_out.is_null() {
            return Err(S::FUNNELQ_INVALID);
        }
        // ORDERING: Relaxed as for Arc::clone: the caller holds a live sender,
        // so the count cannot reach zero concurrently.
        body.group.live_senders.fetch_add(1, Ordering::Relaxed);
        let new = Box::new(Tagged {
            tag: AtomicU64::new(SENDER_TAG),
            body: SenderBody {
                tx: body.tx.clone(),
                group: body.group.clone(),
            },
        });
        out(tx_out, Box::into_raw(new).cast::<funnelq_sender>())
    })
}

/// Frees a sender handle. When the last sender handle of a channel is freed
/// the channel closes: the receiver drains what is queued and then gets
/// `FUNNELQ_CLOSED` (S12). The handle must not be used afterwards and no call
/// on it may still be running. Returns `FUNNELQ_OK`, or `FUNNELQ_INVALID` for
/// NULL, a non-sender, or (best effort) an already freed handle.
///
/// # Safety
/// `tx` must be NULL or point to readable memory, ideally a live sender handle.
#[no_mangle]
pub unsafe extern "C" fn funnelq_sender_free(tx: *mut funnelq_sender) -> funnelq_status {
    guard(|| {
        sender(tx)?;
        // SAFETY: `sender` checked that tx is a live, aligned Tagged<SenderBody>.
        let tagged = unsafe { &*tx.cast::<Tagged<SenderBody>>() };
        // Claim the handle: of two racing frees only one wins.
        // ORDERING: AcqRel on success orders the free after the handle's
        // earlier uses; Acquire on failure pairs with the winner's CAS.
        tagged
            .tag
            .compare_exchange(SENDER_TAG, DEAD_TAG, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| S::FUNNELQ_INVALID)?;
        // SAFETY: we won the tag, so we own the box made by Box::into_raw.
        let boxed = unsafe { Box::from_raw(tx.cast::<Tagged<SenderBody>>()) };
        // ORDERING: AcqRel as for Arc::drop: the last free sees every other
        // sender's sends before it closes the channel.
        if boxed.body.group.live_senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            boxed.body.tx.close();
        }
        drop(boxed);
        Ok(())
    })
}

use crate::handle::funnelq_sender;

fn send_one(body: &SenderBody, msg: Msg, deadline_ns: Option<u64>) -> Result<(), S> {
    let r = match deadline_ns.map(deadline) {
        Some(Some(d)) => body
            .tx
            .send_deadline(msg, d)
            .map_err(|e| (e.status(), e.into_inner())),
        // No timeout given, or one too long to represent: wait without deadline.
        _ => body.tx.send(msg).map_err(|e| (e.status(), e.into_inner())),
    };
    r.map_err(|(s, m)| {
        m.give_back();
        s
    })
}

fn try_send_one(body: &SenderBody, msg: Msg) -> Result<(), S> {
    body.tx.try_send(msg).map_err(|e| {
        let s = e.status();
        e.into_inner().give_back();
        s
    })
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
/// `tx` must be NULL or point to readable memory.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send(
    tx: *const funnelq_sender,
    ptr: *mut c_void,
    len: usize,
) -> funnelq_status {
    guard(|| {
        let body = sender(tx)?;
        send_one(body, Msg::borrowed(ptr, len, body.group.hook_ptr()), None)
    })
}

/// As `funnelq_send`, but never waits: returns `FUNNELQ_FULL` when the
/// channel is full (nothing enqueued, the pointer is still the caller's).
///
/// # Safety
/// `tx` must be NULL or point to readable memory.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_send(
    tx: *const funnelq_sender,
    ptr: *mut c_void,
    len: usize,
) -> funnelq_status {
    guard(|| {
        let body = sender(tx)?;
        try_send_one(body, Msg::borrowed(ptr, len, body.group.hook_ptr()))
    })
}

/// As `funnelq_send`, but waits at most `timeout_ns` nanoseconds; then
/// returns `FUNNELQ_TIMEOUT` (nothing enqueued, the pointer is still the
/// caller's). A timeout of 0 behaves like `funnelq_try_send` but reports
/// `FUNNELQ_TIMEOUT`; a timeout too large to represent waits forever.
///
/// # Safety
/// `tx` must be NULL or point to readable memory.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_timeout(
    tx: *const funnelq_sender,
    ptr: *mut c_void,
    len: usize,
    timeout_ns: u64,
) -> funnelq_status {
    guard(|| {
        let body = sender(tx)?;
        send_one(
            body,
            Msg::borrowed(ptr, len, body.group.hook_ptr()),
            Some(timeout_ns),
        )
    })
}

/// Copies `len` bytes from `data` into memory owned by funnelq and sends
/// that; the receiver gets a message with `flags == FUNNELQ_MSG_OWNED` and
/// must release it with `funnelq_msg_free`. The caller keeps `data`. Waits
/// while the channel is full. `len` may be 0 (then `data` may be NULL).
///
/// Returns `FUNNELQ_OK`, `FUNNELQ_CLOSED` (the copy is freed),
/// `FUNNELQ_NOMEM`, or `FUNNELQ_INVALID` (bad handle, NULL `data` with
/// `len > 0`).
///
/// # Safety
/// `tx` must be NULL or point to readable memory; `data` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn funnelq_send_copy(
    tx: *const funnelq_sender,
    data: *const c_void,
    len: usize,
) -> funnelq_status {
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: the caller guarantees data is readable for len bytes.
        let m = unsafe { Msg::copy(data, len) }?;
        send_one(body, m, None)
    })
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
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: the caller guarantees data is readable for len bytes.
        let m = unsafe { Msg::copy(data, len) }?;
        try_send_one(body, m)
    })
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
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: the caller guarantees data is readable for len bytes.
        let m = unsafe { Msg::copy(data, len) }?;
        send_one(body, m, Some(timeout_ns))
    })
}

/// Sends `count` zero-copy items (`items[i].ptr`, `items[i].len`; `flags` is
/// ignored) in order, waiting for space as needed, and stores in
/// `*sent_out` how many were enqueued (a prefix of `items`).
///
/// Returns `FUNNELQ_OK` (all sent), `FUNNELQ_CLOSED` (the channel closed
/// part-way: items from `*sent_out` on are still the caller's), or
/// `FUNNELQ_INVALID` (bad handle, NULL `sent_out`, NULL `items` with
/// `count > 0`; nothing sent).
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
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: forwarded contract on items/count.
        let batch = unsafe { borrowed_batch(body, items, count, sent_out) }?;
        finish_batch(body, batch, count, sent_out, true)
    })
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
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: forwarded contract on items/count.
        let batch = unsafe { borrowed_batch(body, items, count, sent_out) }?;
        finish_batch(body, batch, count, sent_out, false)
    })
}

/// Copies and sends `count` messages laid out back to back in `data`:
/// message `i` is `lens[i]` bytes, starting right after message `i-1`. Waits
/// for space as needed; `*sent_out` gets how many were enqueued (a prefix).
/// Receivers get `FUNNELQ_MSG_OWNED` messages. The caller keeps `data`/`lens`.
///
/// Returns `FUNNELQ_OK` (all sent), `FUNNELQ_CLOSED` (part-way; unsent copies
/// are freed), `FUNNELQ_NOMEM`, or `FUNNELQ_INVALID` (bad handle, NULL
/// `sent_out`, NULL `lens` with `count > 0`, NULL `data` with a non-zero total).
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
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: forwarded contract on data/lens/count.
        let batch = unsafe { copied_batch(data, lens, count, sent_out) }?;
        finish_batch(body, batch, count, sent_out, true)
    })
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
    guard(|| {
        let body = sender(tx)?;
        // SAFETY: forwarded contract on data/lens/count.
        let batch = unsafe { copied_batch(data, lens, count, sent_out) }?;
        finish_batch(body, batch, count, sent_out, false)
    })
}

/// # Safety
/// `items` readable for `count` elements.
unsafe fn borrowed_batch(
    body: &SenderBody,
    items: *const funnelq_msg,
    count: usize,
    sent_out: *mut usize,
) -> Result<Vec<Msg>, S> {
    out(sent_out, 0)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    if items.is_null() {
        return Err(S::FUNNELQ_INVALID);
    }
    // SAFETY: the caller guarantees `count` readable items.
    let items = unsafe { core::slice::from_raw_parts(items, count) };
    let hook = body.group.hook_ptr();
    Ok(items
        .iter()
        .map(|m| Msg::borrowed(m.ptr, m.len, hook))
        .collect())
}

/// # Safety
/// `lens` readable for `count` elements, `data` for their sum.
unsafe fn copied_batch(
    data: *const c_void,
    lens: *const usize,
    count: usize,
    sent_out: *mut usize,
) -> Result<Vec<Msg>, S> {
    out(sent_out, 0)?;
    if count == 0 {
        return Ok(Vec::new());
    }
    if lens.is_null() {
        return Err(S::FUNNELQ_INVALID);
    }
    // SAFETY: the caller guarantees `count` readable lengths.
    let lens = unsafe { core::slice::from_raw_parts(lens, count) };
    // SAFETY: the caller guarantees `data` is readable for the sum of lens.
    unsafe { Msg::copy_batch(data, lens) }
}

fn finish_batch(
    body: &SenderBody,
    mut batch: Vec<Msg>,
    count: usize,
    sent_out: *mut usize,
    wait: bool,
) -> Result<(), S> {
    if count == 0 {
        return Ok(());
    }
    let r = if wait {
        body.tx
            .send_batch(&mut batch)
            .map(|_| ())
            .map_err(|e| e.status())
    } else {
        body.tx
            .try_send_batch(&mut batch)
            .map(|_| ())
            .map_err(|e| e.status())
    };
    let sent = count - batch.len();
    for m in batch {
        m.give_back();
    }
    out(sent_out, sent)?;
    r
}
