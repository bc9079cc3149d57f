//! The receiver handle: free, and the receive family (one receive at a time).

use crate::handle::{
    deadline, funnelq_receiver, out, receiver, ReceiverBody, Tagged, DEAD_TAG, RECEIVER_TAG,
};
use crate::msg::{funnelq_msg, Msg};
use crate::status::{funnelq_status, guard, ToStatus};
use std::sync::atomic::Ordering;

use funnelq_status as S;

/// Exclusive use of the receiver for one call; a second concurrent receive
/// gets FUNNELQ_BUSY instead of racing on `&mut Receiver`.
struct Claim<'a>(&'a ReceiverBody);

impl<'a> Claim<'a> {
    fn take(body: &'a ReceiverBody) -> Result<Self, S> {
        // ORDERING: Acquire pairs with the Release in Drop of the previous
        // claim, so its writes to `rx`/`buf` happen-before ours.
        if body.busy.swap(true, Ordering::Acquire) {
            return Err(S::FUNNELQ_BUSY);
        }
        Ok(Claim(body))
    }

    fn rx(&mut self) -> &mut fq::Receiver<Msg> {
        // SAFETY: `busy` is held by this claim, so no other reference to `rx` exists.
        unsafe { &mut *self.0.rx.get() }
    }

    fn rx_and_buf(&mut self) -> (&mut fq::Receiver<Msg>, &mut Vec<Msg>) {
        // SAFETY: as in `rx`; `buf` is guarded by the same flag.
        unsafe { (&mut *self.0.rx.get(), &mut *self.0.buf.get()) }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        // ORDERING: Release publishes our use of `rx`/`buf` to the next claim.
        self.0.busy.store(false, Ordering::Release);
    }
}

/// Frees the receiver handle. This closes the channel: senders get
/// `FUNNELQ_CLOSED` from then on (S13), and every message still queued is
/// released right away or, for messages still being sent, when the last
/// sender handle is freed: copies are freed, zero-copy pointers are passed to
/// the drop function of `funnelq_channel_new_with_drop` (if any).
///
/// Returns `FUNNELQ_OK`; `FUNNELQ_BUSY` if a receive on this handle is
/// running in another thread (nothing freed: close the channel, let the
/// receive return, then free); `FUNNELQ_INVALID` for NULL, a non-receiver or
/// (best effort) an already freed handle.
///
/// # Safety
/// `rx` must be NULL or point to readable memory, ideally a live receiver handle.
#[no_mangle]
pub unsafe extern "C" fn funnelq_receiver_free(rx: *mut funnelq_receiver) -> funnelq_status {
    guard(|| {
        let body = receiver(rx)?;
        let claim = Claim::take(body)?;
        // SAFETY: `receiver` checked that rx is a live, aligned Tagged<ReceiverBody>.
        let tagged = unsafe { &*rx.cast::<Tagged<ReceiverBody>>() };
        // ORDERING: AcqRel on success: one winner among racing frees, ordered
        // after the handle's earlier uses; Acquire on failure pairs with the
        // winner's CAS.
        tagged
            .tag
            .compare_exchange(RECEIVER_TAG, DEAD_TAG, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| S::FUNNELQ_INVALID)?;
        core::mem::forget(claim);
        // SAFETY: we won the tag and hold the busy flag: we own the box made by
        // Box::into_raw and nobody else uses it.
        drop(unsafe { Box::from_raw(rx.cast::<Tagged<ReceiverBody>>()) });
        Ok(())
    })
}

fn check_out(msg_out: *mut funnelq_msg) -> Result<(), S> {
    if msg_out.is_null() {
        Err(S::FUNNELQ_INVALID)
    } else {
        Ok(())
    }
}

/// Receives the next message into `*msg_out`, waiting while the channel is
/// empty and open. Returns `FUNNELQ_OK`; `FUNNELQ_CLOSED` at end-of-stream
/// (closed and drained: S05, S07, S12); `FUNNELQ_BUSY` if another receive on
/// this receiver is running; `FUNNELQ_INVALID` (bad handle or NULL `msg_out`).
/// On anything but `FUNNELQ_OK`, `*msg_out` is untouched. Release the message
/// with `funnelq_msg_free` (a no-op for zero-copy messages).
///
/// # Safety
/// `rx` must be NULL or point to readable memory; `msg_out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn funnelq_recv(
    rx: *const funnelq_receiver,
    msg_out: *mut funnelq_msg,
) -> funnelq_status {
    guard(|| {
        let body = receiver(rx)?;
        check_out(msg_out)?;
        let mut claim = Claim::take(body)?;
        let m = claim.rx().recv().map_err(|e| e.status())?;
        out(msg_out, m.into_c())
    })
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
    guard(|| {
        let body = receiver(rx)?;
        check_out(msg_out)?;
        let mut claim = Claim::take(body)?;
        let m = claim.rx().try_recv().map_err(|e| e.status())?;
        out(msg_out, m.into_c())
    })
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
    guard(|| {
        let body = receiver(rx)?;
        check_out(msg_out)?;
        let mut claim = Claim::take(body)?;
        let m = match deadline(timeout_ns) {
            Some(d) => claim.rx().recv_deadline(d).map_err(|e| e.status())?,
            None => claim.rx().recv().map_err(|e| e.status())?,
        };
        out(msg_out, m.into_c())
    })
}

enum Wait {
    Forever,
    No,
    Ns(u64),
}

fn recv_batch(
    rx: *const funnelq_receiver,
    msgs_out: *mut funnelq_msg,
    max: usize,
    count_out: *mut usize,
    wait: Wait,
) -> Result<(), S> {
    let body = receiver(rx)?;
    if msgs_out.is_null() || count_out.is_null() || max == 0 {
        return Err(S::FUNNELQ_INVALID);
    }
    let mut claim = Claim::take(body)?;
    let (rx, buf) = claim.rx_and_buf();
    buf.clear();
    let r = match wait {
        Wait::No => rx.try_recv_batch(buf, max).map_err(|e| e.status()),
        Wait::Ns(ns) => match deadline(ns) {
            Some(d) => rx
                .recv_batch_timeout(
                    buf,
                    max,
                    d.saturating_duration_since(std::time::Instant::now()),
                )
                .map_err(|e| e.status()),
            None => rx.recv_batch(buf, max).map_err(|e| e.status()),
        },
        Wait::Forever => rx.recv_batch(buf, max).map_err(|e| e.status()),
    };
    let n = buf.len().min(max);
    for (i, m) in buf.drain(..n).enumerate() {
        // SAFETY: the caller guarantees msgs_out is writable for `max`
        // elements, and i < n <= max.
        unsafe { msgs_out.add(i).write(m.into_c()) };
    }
    out(count_out, n)?;
    r.map(|_| ())
}

/// Receives up to `max` messages into `msgs_out[0..*count_out]`, in FIFO
/// order, waiting only for the first one (S18): `*count_out` is in
/// `1..=max` on `FUNNELQ_OK`. Returns `FUNNELQ_CLOSED` at end-of-stream
/// (`*count_out == 0`), `FUNNELQ_BUSY`, or `FUNNELQ_INVALID` (bad handle, NULL
/// pointers, `max == 0`). Release the messages with `funnelq_msg_free_n`.
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
