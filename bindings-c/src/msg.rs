//! Messages: a pointer and a length, either handed over (zero copy) or copied
//! into memory that funnelq owns.

use crate::status::{funnelq_status, guard};
use core::ffi::c_void;
use core::mem::ManuallyDrop;
use core::ptr;
use std::alloc::{alloc, dealloc, Layout};
use std::sync::atomic::{fence, AtomicUsize, Ordering};

/// Flag in `funnelq_msg.flags`: the bytes at `ptr` were copied by a
/// `funnelq_send_copy*` call and are owned by funnelq; release them with
/// `funnelq_msg_free`. Without this flag `ptr` is the very pointer a
/// zero-copy `funnelq_send*` call handed over, and it now belongs to the
/// receiver.
pub const FUNNELQ_MSG_OWNED: u32 = 1;

/// One received message (and, as input, one item of `funnelq_send_batch`).
///
/// - `ptr`, `len`: for a zero-copy message, exactly what the sender passed
///   (any value, NULL included: funnelq never dereferences it). For a copied
///   message, a funnelq allocation of `len` bytes (NULL when `len` is 0).
/// - `flags`: `FUNNELQ_MSG_OWNED` for a copied message, 0 otherwise.
/// - `owner`: private to funnelq (the shared allocation of a copied batch,
///   or NULL); leave it as received. Ignored on input.
///
/// Calling `funnelq_msg_free` on every received message is always correct:
/// it frees copies and does nothing for zero-copy messages.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct funnelq_msg {
    /// The data pointer.
    pub ptr: *mut c_void,
    /// The length in bytes (zero-copy: whatever the sender passed).
    pub len: usize,
    /// `FUNNELQ_MSG_OWNED` or 0.
    pub flags: u32,
    /// Private to funnelq; leave it as received.
    pub owner: *mut c_void,
}

/// Called by funnelq for each zero-copy message that is still queued when the
/// channel goes away (receiver freed, then the last sender freed, or the other
/// way round), with the message's pointer and length and the `ctx` given to
/// `funnelq_channel_new_with_drop`. It runs on the thread whose free call
/// released the message, must not call back into funnelq on the same channel,
/// and must not unwind.
pub type funnelq_drop_fn =
    Option<unsafe extern "C" fn(ptr: *mut c_void, len: usize, ctx: *mut c_void)>;

/// The user's drop hook for zero-copy messages, stored in the channel group.
pub(crate) struct Hook {
    pub(crate) f: unsafe extern "C" fn(*mut c_void, usize, *mut c_void),
    pub(crate) ctx: *mut c_void,
}

// SAFETY: the hook is read-only after creation; the caller of
// funnelq_channel_new_with_drop promised `f` may be called from any thread
// with `ctx` (documented on funnelq_drop_fn and the constructor).
unsafe impl Send for Hook {}
// SAFETY: as above; sharing only allows calling `f`, which is thread-safe by contract.
unsafe impl Sync for Hook {}

/// Tag in `Msg::aux` for a funnelq-owned copy in its own allocation. With
/// bit 0 set and other bits too, `aux & !1` is a `*const Block` (a copied
/// batch shares one allocation). Any other non-zero value is a `*const Hook`
/// (at least 8-aligned, so bit 0 is clear).
const AUX_COPY: usize = 1;

/// Header of the one allocation that holds every payload of a copied batch;
/// the payloads follow it. Freed when the last of its messages is released.
#[repr(C)]
struct Block {
    refs: AtomicUsize,
    size: usize,
}

fn block_layout(payload: usize) -> Option<Layout> {
    let size = core::mem::size_of::<Block>().checked_add(payload)?;
    Layout::from_size_align(size, core::mem::align_of::<Block>()).ok()
}

/// Drops one reference to a block, freeing it with the last.
///
/// # Safety
/// `b` must come from `Msg::copy_batch` and the caller must own one reference.
unsafe fn block_release(b: *mut Block) {
    // SAFETY: forwarded contract.
    unsafe { block_release_n(b, 1) }
}

/// Drops `n` references to a block (none if `b` is null or `n` is 0),
/// freeing it with the last.
///
/// # Safety
/// If `n > 0`, `b` must come from `Msg::copy_batch` and the caller must own
/// `n` references.
unsafe fn block_release_n(b: *mut Block, n: usize) {
    if b.is_null() || n == 0 {
        return;
    }
    // SAFETY: the caller owns references, so the block is alive.
    let hdr = unsafe { &*b };
    // ORDERING: Release publishes this holder's reads of the payload before a
    // later holder frees it (the Arc pattern).
    if hdr.refs.fetch_sub(n, Ordering::Release) == n {
        // ORDERING: pairs with the Release decrements of all other holders.
        fence(Ordering::Acquire);
        let layout = block_layout(hdr.size).expect("layout was valid at allocation");
        // SAFETY: last reference; allocated with this layout in copy_batch.
        unsafe { dealloc(b.cast::<u8>(), layout) };
    }
}

/// A message inside the channel.
pub(crate) struct Msg {
    ptr: *mut c_void,
    len: usize,
    /// 0: zero copy, no hook; AUX_COPY: owned copy; else `*const Hook`.
    aux: usize,
}

// SAFETY: a Msg is either an owned byte buffer (plain memory, freed by whoever
// holds the Msg) or a pointer whose ownership the C caller transferred to the
// channel, and the hook pointer targets a `Hook` that is shared read-only and
// that the C caller promised may be called from any thread.
unsafe impl Send for Msg {}

impl Msg {
    /// A zero-copy message; `hook` (may be null) is called if it is dropped
    /// inside the channel.
    pub(crate) fn borrowed(ptr: *mut c_void, len: usize, hook: *const Hook) -> Msg {
        Msg {
            ptr,
            len,
            aux: hook as usize,
        }
    }

    /// Copies `len` bytes from `data` into a new funnelq allocation.
    ///
    /// # Safety
    /// `data` must be valid for reads of `len` bytes (it may be null when
    /// `len` is 0).
    pub(crate) unsafe fn copy(data: *const c_void, len: usize) -> Result<Msg, funnelq_status> {
        if len == 0 {
            return Ok(Msg {
                ptr: ptr::null_mut(),
                len: 0,
                aux: AUX_COPY,
            });
        }
        if data.is_null() {
            return Err(funnelq_status::FUNNELQ_INVALID);
        }
        let mut v: Vec<u8> = Vec::new();
        v.try_reserve_exact(len)
            .map_err(|_| funnelq_status::FUNNELQ_NOMEM)?;
        // SAFETY: the caller guarantees `data` is readable for `len` bytes.
        let src = unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) };
        v.extend_from_slice(src);
        let raw = Box::into_raw(v.into_boxed_slice());
        Ok(Msg {
            ptr: raw.cast::<c_void>(),
            len,
            aux: AUX_COPY,
        })
    }

    /// Copies `lens.len()` payloads laid out back to back at `data` into one
    /// shared allocation; one message each.
    ///
    /// # Safety
    /// `data` must be valid for reads of the sum of `lens` bytes (it may be
    /// null when that sum is 0).
    pub(crate) unsafe fn copy_batch(
        data: *const c_void,
        lens: &[usize],
    ) -> Result<Vec<Msg>, funnelq_status> {
        let mut total = 0usize;
        let mut nonempty = 0usize;
        for &l in lens {
            total = total
                .checked_add(l)
                .ok_or(funnelq_status::FUNNELQ_INVALID)?;
            nonempty += usize::from(l != 0);
        }
        if total != 0 && data.is_null() {
            return Err(funnelq_status::FUNNELQ_INVALID);
        }
        let mut out = Vec::new();
        out.try_reserve_exact(lens.len())
            .map_err(|_| funnelq_status::FUNNELQ_NOMEM)?;
        if total == 0 {
            out.extend(lens.iter().map(|_| Msg {
                ptr: ptr::null_mut(),
                len: 0,
                aux: AUX_COPY,
            }));
            return Ok(out);
        }
        let layout = block_layout(total).ok_or(funnelq_status::FUNNELQ_NOMEM)?;
        // SAFETY: the layout has a non-zero size (a header plus `total` > 0).
        let b = unsafe { alloc(layout) }.cast::<Block>();
        if b.is_null() {
            return Err(funnelq_status::FUNNELQ_NOMEM);
        }
        // SAFETY: b is a fresh allocation of the right size and alignment.
        unsafe {
            b.write(Block {
                refs: AtomicUsize::new(nonempty),
                size: total,
            })
        };
        // SAFETY: the payload area starts right after the header, inside the allocation.
        let payload = unsafe { b.cast::<u8>().add(core::mem::size_of::<Block>()) };
        // SAFETY: the caller guarantees `total` readable bytes at data; the
        // destination has `total` bytes; the two cannot overlap (fresh memory).
        unsafe { ptr::copy_nonoverlapping(data.cast::<u8>(), payload, total) };
        let mut at = 0usize;
        for &l in lens {
            if l == 0 {
                out.push(Msg {
                    ptr: ptr::null_mut(),
                    len: 0,
                    aux: AUX_COPY,
                });
            } else {
                // SAFETY: at + l <= total: inside the payload area.
                let p = unsafe { payload.add(at) };
                out.push(Msg {
                    ptr: p.cast(),
                    len: l,
                    aux: b as usize | AUX_COPY,
                });
                at += l;
            }
        }
        Ok(out)
    }

    /// Hands the message to C without running any drop logic.
    pub(crate) fn into_c(self) -> funnelq_msg {
        let m = ManuallyDrop::new(self);
        let owned = m.aux & AUX_COPY != 0;
        funnelq_msg {
            ptr: m.ptr,
            len: m.len,
            flags: if owned { FUNNELQ_MSG_OWNED } else { 0 },
            owner: if owned {
                (m.aux & !AUX_COPY) as *mut c_void
            } else {
                ptr::null_mut()
            },
        }
    }

    /// A message that a failed send handed back: a copy is freed, a zero-copy
    /// pointer silently goes back to the caller (no hook).
    pub(crate) fn give_back(self) {
        if self.aux & AUX_COPY != 0 {
            drop(self);
        } else {
            let _ = ManuallyDrop::new(self);
        }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        if self.aux == AUX_COPY {
            if self.len != 0 {
                // SAFETY: a copy's `ptr` came from `Box::<[u8]>::into_raw` with
                // exactly `len` bytes, and is released only here.
                drop(unsafe {
                    Box::from_raw(ptr::slice_from_raw_parts_mut(
                        self.ptr.cast::<u8>(),
                        self.len,
                    ))
                });
            }
        } else if self.aux & AUX_COPY != 0 {
            // SAFETY: an odd aux other than AUX_COPY is a Block this message
            // holds one reference to.
            unsafe { block_release((self.aux & !AUX_COPY) as *mut Block) };
        } else if self.aux != 0 {
            // SAFETY: a non-copy `aux` is a pointer to the channel group's Hook,
            // which every handle keeps alive (declared after the Sender/Receiver
            // in each handle body) for as long as the channel can hold messages.
            let hook = unsafe { &*(self.aux as *const Hook) };
            // SAFETY: the caller of funnelq_channel_new_with_drop promised the
            // hook may be called with any queued pointer, its length and ctx.
            unsafe { (hook.f)(self.ptr, self.len, hook.ctx) };
        }
    }
}

/// Releases one received message: frees the bytes of a copied message
/// (`FUNNELQ_MSG_OWNED`) and does nothing for a zero-copy one (its pointer
/// is the receiver's to manage). Then zeroes `*msg`, so calling it twice is
/// harmless. `msg` must come from a
/// funnelq receive (or be zeroed). Returns `FUNNELQ_INVALID` if `msg` is NULL.
///
/// # Safety
/// `msg` must be NULL or point to a `funnelq_msg` filled by a funnelq receive
/// and not released since (other than by this function).
#[no_mangle]
pub unsafe extern "C" fn funnelq_msg_free(msg: *mut funnelq_msg) -> funnelq_status {
    // SAFETY: forwarded contract: msg is null or points to one valid funnelq_msg.
    unsafe { funnelq_msg_free_n(msg, 1) }
}

/// Releases `count` received messages stored contiguously at `msgs` (the
/// output of `funnelq_recv_batch`), as `funnelq_msg_free` does for each.
/// Returns `FUNNELQ_INVALID` if `msgs` is NULL and `count` is not 0.
///
/// # Safety
/// `msgs` must point to `count` `funnelq_msg` values filled by funnelq
/// receives (or zeroed).
#[no_mangle]
pub unsafe extern "C" fn funnelq_msg_free_n(
    msgs: *mut funnelq_msg,
    count: usize,
) -> funnelq_status {
    guard(|| {
        if count == 0 {
            return Ok(());
        }
        if msgs.is_null() {
            return Err(funnelq_status::FUNNELQ_INVALID);
        }
        // SAFETY: the caller guarantees `count` valid, exclusively ours messages.
        let all = unsafe { core::slice::from_raw_parts_mut(msgs, count) };
        // Messages of one copied batch usually arrive together: release a
        // run of them with one reference-count update.
        let mut run: (*mut Block, usize) = (ptr::null_mut(), 0);
        for m in all {
            if m.flags & FUNNELQ_MSG_OWNED != 0 {
                if !m.owner.is_null() {
                    let b = m.owner.cast::<Block>();
                    if b != run.0 {
                        // SAFETY: the run's messages hold run.1 references to run.0.
                        unsafe { block_release_n(run.0, run.1) };
                        run = (b, 0);
                    }
                    run.1 += 1;
                } else {
                    drop(Msg {
                        ptr: m.ptr,
                        len: m.len,
                        aux: AUX_COPY,
                    });
                }
            }
            *m = funnelq_msg {
                ptr: ptr::null_mut(),
                len: 0,
                flags: 0,
                owner: ptr::null_mut(),
            };
        }
        // SAFETY: as above, for the last run.
        unsafe { block_release_n(run.0, run.1) };
        Ok(())
    })
}
