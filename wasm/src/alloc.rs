//! The module's global allocator: lock-free, and fallible with a reserve.
//!
//! Why not the standard one: `std`'s wasm32 allocator (dlmalloc) guards the heap
//! with one spin lock. A web worker can be terminated at any instruction
//! (`worker.terminate()`), also while it holds that lock; every other thread —
//! the page's main thread included — would then spin on it for ever (S21). And
//! it aborts (a trap) when the 1 GiB memory is exhausted, where a message too
//! big for what is left must be a clean `RangeError` (S22).
//!
//! The design: segregated power-of-two size classes, 16 B to 1 GiB, each a
//! Treiber stack of free blocks whose head carries an ABA tag (one 64-bit
//! compare-exchange per allocation or free). A block's class follows from the
//! `Layout` Rust passes to both `alloc` and `dealloc`, so blocks carry no
//! header. An empty class splits a larger free block in halves (keeping one,
//! freeing the other halves to the classes below), or grows the memory
//! (`memory.grow`, at least 1 MiB at a time). Freed blocks are not coalesced:
//! memory in use is bounded by the high-water mark of each class (at most
//! twice the bytes requested), which is what a channel's steady traffic needs.
//!
//! No step waits for another thread: a thread terminated between two steps
//! leaks at most the blocks it held, and never stops another thread.
//!
//! Large requests (64 KiB and more: message copies, rings, batch buffers —
//! sizes a caller chooses) may only grow the memory while [`RESERVE_PAGES`]
//! stay growable afterwards; the small, fixed-size allocations the module makes
//! on its own may use that reserve. So a caller who fills the memory with
//! messages gets a `RangeError`, and the bookkeeping that follows still finds
//! memory. [`alloc_message`] applies the same rule to message copies of every
//! size.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Smallest class: 16-byte blocks (2^4).
const MIN_CLASS: u32 = 4;
/// One wasm page: 64 KiB (2^16).
const PAGE_CLASS: u32 = 16;
/// The least the memory grows by: 1 MiB (2^20), split for smaller classes.
const CHUNK_CLASS: u32 = 20;
/// Largest class: the whole 1 GiB memory (2^30).
const MAX_CLASS: u32 = 30;
/// Requests of this class and above are "large" (see the module docs).
const LARGE_CLASS: u32 = PAGE_CLASS;
/// The memory's maximum in pages (`--max-memory=1073741824` in build.sh).
const MAX_PAGES: usize = 1 << (MAX_CLASS - PAGE_CLASS);
/// Pages large requests leave growable: 8 MiB.
pub(crate) const RESERVE_PAGES: usize = 128;

const CLASSES: usize = (MAX_CLASS + 1) as usize;

/// Free-list heads: `(tag << 32) | address`; address 0 = empty.
static FREE: [AtomicU64; CLASSES] = [const { AtomicU64::new(0) }; CLASSES];

/// The class of `layout`: the power of two that holds its size and alignment.
/// `None` beyond [`MAX_CLASS`], or for an alignment above a page (blocks of a
/// page and more are page-aligned, smaller ones aligned to their size).
fn class_of(layout: Layout) -> Option<u32> {
    if layout.align() > 1 << PAGE_CLASS {
        return None;
    }
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    let class = usize::BITS - (size - 1).leading_zeros();
    (class <= MAX_CLASS).then_some(class)
}

fn pack(tag: u64, addr: usize) -> u64 {
    (tag << 32) | addr as u64
}

fn addr_of(head: u64) -> usize {
    (head & 0xffff_ffff) as usize
}

/// The link word at the start of a free block.
///
/// # Safety
///
/// `addr` is the address of a block of at least 16 bytes in linear memory.
unsafe fn link(addr: usize) -> &'static AtomicU32 {
    // SAFETY: the caller names a block in linear memory, which is never
    // unmapped, and blocks are at least 4-aligned; the word is only ever
    // accessed atomically by this module while the block is free.
    unsafe { &*(addr as *const AtomicU32) }
}

/// Pushes the free block at `addr` on `class`'s stack.
fn push(class: u32, addr: usize) {
    let head = &FREE[class as usize];
    // ORDERING: Relaxed first read; the CAS below publishes.
    let mut h = head.load(Ordering::Relaxed);
    loop {
        // SAFETY: `addr` is a block of this class that the caller owns.
        // ORDERING: Relaxed: the Release CAS below publishes this write.
        unsafe { link(addr) }.store(addr_of(h) as u32, Ordering::Relaxed);
        // ORDERING: Release publishes the link (and the block's last use) to
        // the Acquire in `pop`; failure: Relaxed, we only retry.
        match head.compare_exchange_weak(
            h,
            pack((h >> 32) + 1, addr),
            Ordering::Release,
            Ordering::Relaxed,
        ) {
            Ok(_) => return,
            Err(now) => h = now,
        }
    }
}

/// Pops a free block of `class`, if any.
fn pop(class: u32) -> Option<usize> {
    let head = &FREE[class as usize];
    // ORDERING: Acquire pairs with the Release CAS in `push`: the link word
    // of the head block is visible.
    let mut h = head.load(Ordering::Acquire);
    loop {
        let addr = addr_of(h);
        if addr == 0 {
            return None;
        }
        // SAFETY: `addr` was a free block when `h` was read. Another thread
        // may pop and reuse it meanwhile; the read then returns a stale value,
        // and the CAS fails because every push and pop changes the tag.
        // ORDERING: Relaxed: ordered after the Acquire load of `h`.
        let next = unsafe { link(addr) }.load(Ordering::Relaxed) as usize;
        // ORDERING: Acquire on success (the block's previous owner's writes
        // happen before ours); Acquire on failure to read the new head's link.
        match head.compare_exchange_weak(
            h,
            pack((h >> 32) + 1, next),
            Ordering::Acquire,
            Ordering::Acquire,
        ) {
            Ok(_) => return Some(addr),
            Err(now) => h = now,
        }
    }
}

/// Grows the memory by the pages of one block of `class` (at least a chunk);
/// returns the block's address and class. `keep_reserve`: fail rather than
/// leave fewer than [`RESERVE_PAGES`] growable.
fn grow(class: u32, keep_reserve: bool) -> Option<(usize, u32)> {
    let class = class.max(CHUNK_CLASS);
    let pages = 1usize << (class - PAGE_CLASS);
    if keep_reserve {
        let now = core::arch::wasm32::memory_size::<0>();
        if now + pages + RESERVE_PAGES > MAX_PAGES {
            return None;
        }
    }
    let old = core::arch::wasm32::memory_grow::<0>(pages);
    if old == usize::MAX {
        return None;
    }
    Some((old << PAGE_CLASS, class))
}

/// A block of `class`: popped, split off a larger free block, or grown.
fn take(class: u32, keep_reserve: bool) -> Option<usize> {
    if let Some(addr) = pop(class) {
        return Some(addr);
    }
    let (addr, mut have) = (class + 1..=CHUNK_CLASS.max(class))
        .find_map(|c| pop(c).map(|a| (a, c)))
        .or_else(|| grow(class, keep_reserve))
        .or_else(|| (class + 1..=MAX_CLASS).find_map(|c| pop(c).map(|a| (a, c))))?;
    // Keep the lower half, free the upper halves down to `class`.
    while have > class {
        have -= 1;
        push(have, addr + (1 << have));
    }
    Some(addr)
}

fn alloc_with(layout: Layout, keep_reserve: bool) -> *mut u8 {
    match class_of(layout) {
        Some(class) => take(class, keep_reserve).map_or(ptr::null_mut(), |a| a as *mut u8),
        None => ptr::null_mut(),
    }
}

/// Memory for a message copy of `layout`, or null if taking it would leave
/// less than the reserve growable (see the module docs).
pub(crate) fn alloc_message(layout: Layout) -> *mut u8 {
    alloc_with(layout, true)
}

/// The global allocator (see the module docs).
pub(crate) struct LockFree;

// SAFETY: blocks are disjoint (each address is on one free list or owned by
// one caller, handed over by compare-exchange), suitably aligned (`class_of`)
// and at least `layout.size()` bytes; `dealloc` returns a block to the class
// it was taken for, which the same `layout` names.
unsafe impl GlobalAlloc for LockFree {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let large = class_of(layout).is_some_and(|c| c >= LARGE_CLASS);
        alloc_with(layout, large)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            push(class, ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees a valid layout for `new_size`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class_of(new_layout) == class_of(layout) {
            return ptr; // the block already holds it
        }
        // SAFETY: forwarded from the caller.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and hold the bytes copied.
            unsafe {
                ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}
