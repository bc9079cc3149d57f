//! The receiver handle: free, and the receive family (one receive at a time,
//! through the shared guarded receiver of `funnelq-binding`).

use crate::handle::{
    batch_len, funnelq_receiver, out, timeout, with_receiver, Body, ReceiverBody, Wait, HANDLES,
};
use crate::msg::funnelq_msg;
use crate::status::{funnelq_status, guard, ToStatus};
use crate::table::Kind;

use funnelq_status as S;

/// Frees the receiver handle: from now on it gives `FUNNELQ_INVALID`. This
/// closes the channel: senders get `FUNNELQ_CLOSED` from then on (S13), and
/// every message still queued is released (copies freed, zero-copy pointers
/// passed to the drop function of `funnelq_channel_new_with_drop`, if any).
///
/// A receive running on this handle in another thread wakes (it returns
/// `FUNNELQ_CLOSED` once the queue holds nothing for it) and the receiver
/// is released when that receive returns.
///
/// Returns `FUNNELQ_OK`, or `FUNNELQ_INVALID` for NULL, a non-receiver or a
/// handle already freed.
///
/// # Safety
/// Always safe to call: `rx` is checked.
#[no_mangle]
pub unsafe extern "C" fn funnelq_receiver_free(rx: *mut funnelq_receiver) -> funnelq_status {
    guard(|| {
        let st = HANDLES.free(rx as usize, Kind::Receiver, |body| {
            if let Body::Receiver(b) = body {
                b.rx.close();
            }
        });
        match st {
            S::FUNNELQ_OK => Ok(()),
            s => Err(s),
        }
    })
}

fn check_out(msg_out: *mut funnelq_msg) -> Result<(), S> {
    if msg_out.is_null() {
        Err(S::FUNNELQ_INVALID)
    } else {
        Ok(())
    }
}

fn recv_one(rx: *const funnelq_receiver, msg_out: *mut funnelq_msg, wait: Wait) -> Result<(), S> {
    with_receiver(rx, |b| {
        check_out(msg_out)?;
        let mut claim = b.rx.claim().map_err(|e| e.status())?;
        let m = match wait {
            Wait::No => claim.try_recv().map_err(|e| e.status())?,
            Wait::Forever => claim.recv(None).map_err(|e| e.status())?,
            Wait::Ns(ns) => claim.recv(Some(timeout(ns))).map_err(|e| e.status())?,
        };
        out(msg_out, m.into_c())
    })
}

/// Receives the next message into `*msg_out`, waiting while the channel is
/// empty and open. Returns `FUNNELQ_OK`; `FUNNELQ_CLOSED` at end-of-stream
/// (closed and drained: S05, S07, S12); `FUNNELQ_BUSY` if another receive on
/// this receiver is running; `FUNNELQ_INVALID` (bad handle or NULL `msg_out`).
/// On anything but `FUNNELQ_OK`, `*msg_out` is untouched. Release the message
/// with `funnelq_msg_free` (a no-op for zero-copy messages).
///
/// # Safety
/// `msg_out` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_recv(
    rx: *const funnelq_receiver,
    msg_out: *mut funnelq_msg,
) -> funnelq_status {
    guard(|| recv_one(rx, msg_out, Wait::Forever))
}

/// As `funnelq_recv`, but never waits: `FUNNELQ_EMPTY` when the channel is
/// empty and open (S09).
///
/// # Safety
/// As `funnelq_recv`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_recv(
    rx: *const funnelq_receiver,
    msg_out: *mut funnelq_msg,
) -> funnelq_status {
    guard(|| recv_one(rx, msg_out, Wait::No))
}

/// As `funnelq_recv`, but waits at most `timeout_ns` nanoseconds, then returns
/// `FUNNELQ_TIMEOUT` (S09). A timeout too large to represent waits forever.
///
/// # Safety
/// As `funnelq_recv`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_recv_timeout(
    rx: *const funnelq_receiver,
    msg_out: *mut funnelq_msg,
    timeout_ns: u64,
) -> funnelq_status {
    guard(|| recv_one(rx, msg_out, Wait::Ns(timeout_ns)))
}

fn recv_batch(
    rx: *const funnelq_receiver,
    msgs_out: *mut funnelq_msg,
    max: usize,
    count_out: *mut usize,
    wait: Wait,
) -> Result<(), S> {
    with_receiver(rx, |b: &ReceiverBody| {
        if msgs_out.is_null() || count_out.is_null() || max == 0 {
            return Err(S::FUNNELQ_INVALID);
        }
        batch_len(max)?;
        let mut claim = b.rx.claim().map_err(|e| e.status())?;
        // SAFETY: `buf` is used only while a claim on `rx` is held (ours).
        let buf = unsafe { &mut *b.buf.get() };
        buf.clear();
        let r = match wait {
            Wait::No => claim.try_recv_batch(buf, max).map_err(|e| e.status()),
            Wait::Forever => claim.recv_batch(buf, max, None).map_err(|e| e.status()),
            Wait::Ns(ns) => claim
                .recv_batch(buf, max, Some(timeout(ns)))
                .map_err(|e| e.status()),
        };
        let n = buf.len();
        if n > max {
            // Never write past the caller's array, whatever happened above;
            // the messages go back to the front of the stream.
            claim.give_back(core::mem::take(buf));
            return Err(S::FUNNELQ_INTERNAL);
        }
        for (i, m) in buf.drain(..).enumerate() {
            // SAFETY: the caller guarantees msgs_out is writable for `max`
            // elements, and i < n <= max (checked above).
            unsafe { msgs_out.add(i).write(m.into_c()) };
        }
        out(count_out, n)?;
        r.map(drop)
    })
}

/// Receives up to `max` messages into `msgs_out[0..*count_out]`, in FIFO
/// order, waiting only for the first one (S18): `*count_out` is in
/// `1..=max` on `FUNNELQ_OK`. Returns `FUNNELQ_CLOSED` at end-of-stream
/// (`*count_out == 0`), `FUNNELQ_BUSY`, or `FUNNELQ_INVALID` (bad handle, NULL
/// pointers, `max` outside `1..=FUNNELQ_MAX_BATCH`). Release the messages
/// with `funnelq_msg_free_n`.
///
/// # Safety
/// `msgs_out` writable for `max` elements; `count_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_recv_batch(
    rx: *const funnelq_receiver,
    msgs_out: *mut funnelq_msg,
    max: usize,
    count_out: *mut usize,
) -> funnelq_status {
    guard(|| recv_batch(rx, msgs_out, max, count_out, Wait::Forever))
}

/// As `funnelq_recv_batch`, but never waits: `FUNNELQ_EMPTY` when empty and
/// open.
///
/// # Safety
/// As `funnelq_recv_batch`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_try_recv_batch(
    rx: *const funnelq_receiver,
    msgs_out: *mut funnelq_msg,
    max: usize,
    count_out: *mut usize,
) -> funnelq_status {
    guard(|| recv_batch(rx, msgs_out, max, count_out, Wait::No))
}

/// As `funnelq_recv_batch`, but waits at most `timeout_ns` nanoseconds for
/// the first message, then returns `FUNNELQ_TIMEOUT`.
///
/// # Safety
/// As `funnelq_recv_batch`.
#[no_mangle]
pub unsafe extern "C" fn funnelq_recv_batch_timeout(
    rx: *const funnelq_receiver,
    msgs_out: *mut funnelq_msg,
    max: usize,
    count_out: *mut usize,
    timeout_ns: u64,
) -> funnelq_status {
    guard(|| recv_batch(rx, msgs_out, max, count_out, Wait::Ns(timeout_ns)))
}
