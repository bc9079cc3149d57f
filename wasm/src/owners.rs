//! Who holds which handle, so that a terminated worker's handles can be released (S21).
//!
//! A `Sender` or `Receiver` JS object belongs to the thread that made it. When a
//! worker is terminated from outside (`worker.terminate()`), nothing runs there
//! again: its handles would never be dropped, so its senders would keep the channel
//! open for ever (S12) and its receiver would leave senders waiting on a full channel
//! (S13). So each handle is also recorded in the shared memory under the id of the
//! thread holding it ([`thread_id`]), and [`release_thread`] — `releaseWorker(id)`
//! in JS, called once the worker has stopped — drops what that worker still held,
//! including a handle it was using when it stopped (a receive's claim is undone).
//!
//! Each thread has a record: a list of slots that only the owning thread fills and
//! empties, and that the releaser empties once the owner has stopped. A slot changes
//! by one atomic store (the owner filling it) or swap (either side emptying it), so
//! whoever swaps the pointer out owns that reference, and a thread stopped at any
//! instruction leaves each slot either holding its handle or empty. Records are
//! never freed (a few hundred bytes per thread); nothing here waits or locks.

use core::cell::{Cell, UnsafeCell};
use core::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use funnelq_binding::GuardedReceiver;
use wasm_bindgen::JsValue;

use crate::error;
use crate::message::Msg;

/// A channel handle a JS object holds.
pub(crate) enum Handle {
    Sender(funnelq::Sender<Msg>),
    Receiver(Arc<GuardedReceiver<Msg>>),
}

impl Handle {
    /// Drops the handle as a stopped thread's: a receive it had claimed is undone
    /// first (its thread will never finish it), and a receiver closes the channel
    /// even if a dead future still holds a reference to it.
    fn release(self) {
        if let Handle::Receiver(g) = self {
            g.close();
            // SAFETY: `release_thread`'s contract: the owner thread has stopped, so
            // the claim it may hold (a receive it was in) is never used again.
            unsafe { g.force_unclaim() };
            let _ = g.release();
        }
    }
}

/// One handle, shared by its JS object and its thread's record.
pub(crate) struct Held {
    handle: UnsafeCell<Option<Handle>>,
    /// Promise operations of the owner that still use the handle.
    pending: Cell<u32>,
    /// `dispose()` was called: the handle goes when `pending` reaches 0.
    disposed: Cell<bool>,
}

// SAFETY: the fields are only touched by the owner thread — the one that made
// the JS object — and, once that thread has stopped for good, by the one
// thread that swapped this record's pointer out of the owner's slot in
// `release_thread` (see the module docs). The handles inside are Send + Sync.
unsafe impl Sync for Held {}
// SAFETY: as above.
unsafe impl Send for Held {}

impl Held {
    /// The handle, unless it was disposed or released.
    fn get(&self) -> Option<&Handle> {
        if self.disposed.get() {
            return None;
        }
        // SAFETY: owner thread only (see `Sync`); the handle is only taken out
        // by `take`, on this thread, when no operation borrows it (`pending` is 0),
        // or by the releaser after this thread stopped.
        unsafe { (*self.handle.get()).as_ref() }
    }

    /// Takes the handle out (owner thread).
    fn take(&self) -> Option<Handle> {
        // SAFETY: as in `get`.
        unsafe { (*self.handle.get()).take() }
    }

    /// The sender, or `INVALID` once disposed.
    pub(crate) fn sender(&self) -> Result<&funnelq::Sender<Msg>, JsValue> {
        match self.get() {
            Some(Handle::Sender(tx)) => Ok(tx),
            _ => Err(error::disposed("sender")),
        }
    }

    /// The guarded receiver, or `INVALID` once disposed or moved into a token.
    pub(crate) fn receiver(&self) -> Result<&Arc<GuardedReceiver<Msg>>, JsValue> {
        match self.get() {
            Some(Handle::Receiver(g)) => Ok(g),
            _ => Err(error::disposed("receiver")),
        }
    }
}

/// A Promise operation's hold on a handle: `dispose()` meanwhile defers dropping
/// the handle until the last such hold ends.
pub(crate) struct Pending(Arc<Held>);

impl Pending {
    pub(crate) fn held(&self) -> &Held {
        &self.0
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Once this thread's handles were released, they are the releaser's.
        let Ok(_call) = enter() else { return };
        let held = &self.0;
        held.pending.set(held.pending.get() - 1);
        if held.pending.get() == 0 && held.disposed.get() {
            drop(held.take());
        }
    }
}

const SLOTS: usize = 32;

/// A thread's handle slots, newest chunk first.
struct Chunk {
    slots: [AtomicPtr<Held>; SLOTS],
    next: *const Chunk,
}

/// A thread's record (never freed).
struct Thread {
    id: u32,
    /// The next older record in [`THREADS`].
    next: *const Thread,
    chunks: AtomicPtr<Chunk>,
    /// Set by the worker once it holds its lifetime lock (`navigator.locks`).
    locked: AtomicBool,
    /// `Date.now()` when the thread registered, as `f64` bits.
    started: AtomicU64,
    /// `releaseWorker` began for it: its calls refuse from now on.
    released: AtomicBool,
    /// Calls of the thread into this module in progress (see [`enter`]).
    busy: AtomicU32,
}

/// Every thread record, newest first (push-only).
static THREADS: AtomicPtr<Thread> = AtomicPtr::new(ptr::null_mut());
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

thread_local! {
    static ME: Cell<*const Thread> = const { Cell::new(ptr::null()) };
}

fn me() -> &'static Thread {
    let p = ME.with(Cell::get);
    if !p.is_null() {
        // SAFETY: records are leaked boxes, never freed.
        return unsafe { &*p };
    }
    // ORDERING: Relaxed: ids only need to be unique.
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let rec: &'static mut Thread = Box::leak(Box::new(Thread {
        id,
        next: ptr::null(),
        chunks: AtomicPtr::new(ptr::null_mut()),
        locked: AtomicBool::new(false),
        started: AtomicU64::new(js_sys::Date::now().to_bits()),
        released: AtomicBool::new(false),
        busy: AtomicU32::new(0),
    }));
    // ORDERING: Relaxed first read; the Release CAS publishes the record.
    let mut head = THREADS.load(Ordering::Relaxed);
    loop {
        rec.next = head;
        // ORDERING: Release publishes the record's fields to `find`'s Acquire;
        // failure: Relaxed, we only retry.
        match THREADS.compare_exchange_weak(head, rec, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
    ME.with(|c| c.set(rec));
    rec
}

fn find(id: u32) -> Option<&'static Thread> {
    // ORDERING: Acquire pairs with the Release CAS in `me`.
    let mut p = THREADS.load(Ordering::Acquire).cast_const();
    while !p.is_null() {
        // SAFETY: records are leaked boxes, published complete by `me`.
        let t = unsafe { &*p };
        if t.id == id {
            return Some(t);
        }
        p = t.next;
    }
    None
}

/// A random id of this memory (drawn once), for names that must not collide
/// with another page's memory (the workers' lifetime locks).
pub(crate) fn memory_domain() -> u32 {
    static DOMAIN: AtomicU32 = AtomicU32::new(0);
    // ORDERING: Relaxed: a plain value; the CAS decides the one draw that wins.
    let d = DOMAIN.load(Ordering::Relaxed);
    if d != 0 {
        return d;
    }
    let fresh = (crate::env::random_u64() as u32) | 1;
    // ORDERING: Relaxed, as above.
    match DOMAIN.compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => fresh,
        Err(won) => won,
    }
}

/// A call of this thread into the module, counted while it runs (see [`enter`]).
pub(crate) struct Call(&'static Thread);

impl Drop for Call {
    fn drop(&mut self) {
        // SeqCst: the Dekker half of `enter`, read by `busy`.
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Starts a call that touches this thread's handles. Refused once
/// `releaseWorker` began for this thread: a worker that `terminate()` is
/// stopping may still run for a moment after the host let go of its lock, and
/// must not touch what is being released. The releaser sets `released` and then
/// waits for `busy` to drop to 0 (or presumes a call that never ends died).
pub(crate) fn enter() -> Result<Call, JsValue> {
    let t = me();
    // SeqCst: with the SeqCst load below and the releaser's SeqCst store then
    // load of `busy`, either it sees this call or this call sees the release.
    t.busy.fetch_add(1, Ordering::SeqCst);
    let call = Call(t);
    // SeqCst: see above.
    if t.released.load(Ordering::SeqCst) {
        return Err(error::invalid(
            "this worker's handles were released (releaseWorker) and cannot be used",
        ));
    }
    Ok(call)
}

/// Polls `fut` only inside a [`Call`] (each poll is a call into the module):
/// once the thread's handles were released it ends with the refusal instead.
pub(crate) async fn guarded<T>(
    fut: impl core::future::Future<Output = Result<T, JsValue>>,
) -> Result<T, JsValue> {
    let mut fut = core::pin::pin!(fut);
    core::future::poll_fn(|cx| match enter() {
        Ok(_call) => fut.as_mut().poll(cx),
        Err(e) => core::task::Poll::Ready(Err(e)),
    })
    .await
}

/// Begins `releaseWorker(id)`: the thread's calls refuse from now on; its
/// calls in progress (see [`busy`]) are left to end first.
pub(crate) fn release_begin(id: u32) -> Result<(), &'static str> {
    if id == thread_id() {
        return Err("a thread cannot release its own handles: dispose() them");
    }
    let rec = find(id).ok_or("no worker with this id ever used funnelq here")?;
    // SeqCst: see `enter`.
    rec.released.store(true, Ordering::SeqCst);
    Ok(())
}

/// Calls of thread `id` in progress (0 for an unknown id).
pub(crate) fn busy(id: u32) -> u32 {
    // SeqCst: see `enter`.
    find(id).map_or(0, |t| t.busy.load(Ordering::SeqCst))
}

/// This thread's id (unique within the memory; assigned on first use).
pub(crate) fn thread_id() -> u32 {
    me().id
}

/// Records that this worker holds its lifetime lock (see `releaseWorker` in JS).
pub(crate) fn mark_locked() {
    // ORDERING: Release: read with Acquire by `thread_state`.
    me().locked.store(true, Ordering::Release);
}

/// `(known, holds its lifetime lock, Date.now() when it registered)` of a thread.
pub(crate) fn thread_state(id: u32) -> (bool, bool, f64) {
    match find(id) {
        None => (false, false, 0.0),
        Some(t) => (
            true,
            // ORDERING: Acquire pairs with `mark_locked`.
            t.locked.load(Ordering::Acquire),
            // ORDERING: Relaxed: written once before the record was published.
            f64::from_bits(t.started.load(Ordering::Relaxed)),
        ),
    }
}

/// A handle held by a JS object of this thread, and its slot in the record.
pub(crate) struct Owned {
    held: Arc<Held>,
    slot: &'static AtomicPtr<Held>,
}

impl Owned {
    /// Records `handle` as this thread's.
    pub(crate) fn new(handle: Handle) -> Owned {
        let held = Arc::new(Held {
            handle: UnsafeCell::new(Some(handle)),
            pending: Cell::new(0),
            disposed: Cell::new(false),
        });
        let slot = free_slot(me());
        // ORDERING: Release publishes the `Held` to the releaser's swap.
        slot.store(Arc::into_raw(held.clone()).cast_mut(), Ordering::Release);
        Owned { held, slot }
    }

    pub(crate) fn held(&self) -> &Held {
        &self.held
    }

    /// Starts a Promise operation on the handle (see [`Pending`]).
    pub(crate) fn pending(&self) -> Pending {
        self.held.pending.set(self.held.pending.get() + 1);
        Pending(self.held.clone())
    }

    /// `dispose()`: the handle becomes unusable now and is dropped now, or when
    /// the last pending Promise operation ends.
    pub(crate) fn dispose(&self) {
        self.held.disposed.set(true);
        if self.held.pending.get() == 0 {
            drop(self.held.take());
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // Once this thread's handles were released, they are the releaser's.
        let Ok(_call) = enter() else { return };
        // ORDERING: AcqRel: the swap decides who owns the slot's reference
        // (this thread or a releaser); Acquire sees a releaser's work.
        let p = self.slot.swap(ptr::null_mut(), Ordering::AcqRel);
        if !p.is_null() {
            // SAFETY: the slot held one reference from `Arc::into_raw`, and the
            // swap gave it to us alone.
            drop(unsafe { Arc::from_raw(p) });
        }
        self.dispose();
    }
}

/// An empty slot of `rec` (owner thread only: only it fills slots).
fn free_slot(rec: &'static Thread) -> &'static AtomicPtr<Held> {
    // ORDERING: Acquire: chunks are published with Release below.
    let mut c = rec.chunks.load(Ordering::Acquire).cast_const();
    while !c.is_null() {
        // SAFETY: chunks are leaked boxes, never freed.
        let chunk = unsafe { &*c };
        // ORDERING: Relaxed: only this thread fills slots; an empty one stays empty.
        if let Some(s) = chunk
            .slots
            .iter()
            .find(|s| s.load(Ordering::Relaxed).is_null())
        {
            return s;
        }
        c = chunk.next;
    }
    let chunk: &'static Chunk = Box::leak(Box::new(Chunk {
        slots: [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS],
        // ORDERING: Relaxed: only this thread adds chunks.
        next: rec.chunks.load(Ordering::Relaxed).cast_const(),
    }));
    // ORDERING: Release publishes the chunk to the releaser's Acquire.
    rec.chunks
        .store(ptr::from_ref(chunk).cast_mut(), Ordering::Release);
    &chunk.slots[0]
}

/// Drops every handle thread `id` still holds (see the module docs); how many.
/// `Err` for an unknown id, or for the calling thread's own id.
///
/// # Safety
///
/// Thread `id` is stopping for good (a terminated worker), [`release_begin`]
/// ran for it, and it is inside no call ([`busy`] is 0), or the call it is in
/// will never end (it died inside it): nothing it held is in use.
pub(crate) unsafe fn release_thread(id: u32) -> Result<usize, &'static str> {
    release_begin(id)?;
    let rec = find(id).ok_or("no worker with this id ever used funnelq here")?;
    let mut n = 0;
    // ORDERING: Acquire pairs with `free_slot`'s Release.
    let mut c = rec.chunks.load(Ordering::Acquire).cast_const();
    while !c.is_null() {
        // SAFETY: chunks are leaked boxes, never freed.
        let chunk = unsafe { &*c };
        for slot in &chunk.slots {
            // ORDERING: AcqRel, as in `Owned::drop`.
            let p = slot.swap(ptr::null_mut(), Ordering::AcqRel);
            if p.is_null() {
                continue;
            }
            // SAFETY: the slot's reference, given to us alone by the swap.
            let held = unsafe { Arc::from_raw(p) };
            // The owner has stopped (the contract), so nothing else touches it.
            if let Some(h) = held.take() {
                h.release();
                n += 1;
            }
        }
        c = chunk.next;
    }
    Ok(n)
}
