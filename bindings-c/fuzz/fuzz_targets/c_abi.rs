//! Fuzz target on the funnelq C interface (issue 12, S14, S22): random call
//! sequences over a pool of handle values that holds live handles, freed
//! (stale) ones, handles of the other kind, integers cast to pointers and
//! live or stale handles with one bit flipped; random batch counts, receive
//! maxima, copy lengths and capacities, out of range ones included.
//!
//! A model of every channel predicts each call's status and result, and the
//! target checks them:
//! - a value is acted on only if it is, right now, the value of a live
//!   handle of the kind the function takes; anything else is
//!   `FUNNELQ_INVALID` and changes nothing anywhere (every channel's length
//!   and closed flag are compared with the model after every call);
//! - messages come out of the channel they went into, in order, with their
//!   pointer, length and (for copies) bytes;
//! - sizes beyond the limits are refused before anything is read or written
//!   (the buffers passed are small: AddressSanitizer reports any access past
//!   them), and a ring the memory cannot hold is `FUNNELQ_NOMEM`;
//! - zero-copy messages still queued when a channel goes away reach its drop
//!   function exactly once.
//!
//! Calls that would wait are made only when the model says they will not
//! (one thread). Run: `bash ci/fuzz-c.sh` (see there for the options).
#![no_main]

use core::ffi::c_void;
use core::ptr;
use funnelq_c_fuzz::*;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use funnelq_status as S;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Cap {
    Small(u8),
    Zero,
    OverMax(u32),
    /// In range but beyond memory: `FUNNELQ_NOMEM` (only where the script
    /// says the allocator refuses it, FUNNELQ_FUZZ_HUGE=1).
    Huge,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Count {
    Small(u8),
    Over(u32),
    Huge(u64),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Wait {
    Block,
    Try,
    Timeout0,
}

impl Count {
    /// The count a batch call is made with, and the length of the buffer
    /// behind it: a count over the limit gets one element (it must be
    /// refused before anything is read).
    fn sizes(self) -> (usize, usize) {
        match self {
            Count::Small(n) => (usize::from(n) % 40, usize::from(n) % 40),
            Count::Over(x) => (FUNNELQ_MAX_BATCH + 1 + x as usize, 1),
            Count::Huge(x) => (
                usize::try_from(x)
                    .unwrap_or(usize::MAX)
                    .max(FUNNELQ_MAX_BATCH + 1),
                1,
            ),
        }
    }
}

impl Wait {
    /// The `funnelq_send_copy` form for this way of waiting.
    ///
    /// # Safety
    /// As `funnelq_send_copy`: `d` readable for `len` bytes.
    unsafe fn send_copy(self, tx: *const funnelq_sender, d: *const c_void, len: usize) -> S {
        // SAFETY: forwarded from our caller.
        unsafe {
            match self {
                Wait::Block => funnelq_send_copy(tx, d, len),
                Wait::Try => funnelq_try_send_copy(tx, d, len),
                Wait::Timeout0 => funnelq_send_copy_timeout(tx, d, len, 0),
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    New {
        cap: Cap,
        with_drop: bool,
    },
    Clone {
        h: u8,
    },
    FreeSender {
        h: u8,
    },
    FreeReceiver {
        h: u8,
    },
    Send {
        h: u8,
        how: Wait,
        len: u16,
    },
    SendCopy {
        h: u8,
        how: Wait,
        len: u8,
    },
    SendHugeCopy {
        h: u8,
        how: Wait,
        extra: u32,
    },
    SendBatch {
        h: u8,
        how: Wait,
        count: Count,
        copy: bool,
    },
    Recv {
        h: u8,
        how: Wait,
    },
    RecvBatch {
        h: u8,
        how: Wait,
        max: Count,
        big: bool,
    },
    Close {
        h: u8,
    },
    Len {
        h: u8,
    },
    Capacity {
        h: u8,
    },
    IsClosed {
        h: u8,
    },
    Forge {
        value: u64,
    },
    Derive {
        h: u8,
        bit: u8,
    },
    NullOut {
        h: u8,
        which: u8,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Sender,
    Receiver,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expect {
    ptr: usize,
    len: usize,
    bytes: Option<Vec<u8>>, // Some: a copy with these bytes
}

struct Chan {
    cap: usize,
    queue: VecDeque<Expect>,
    closed: bool,
    senders: usize,
    receiver: bool,
    with_drop: bool,
    drops_expected: u64,
    drops: Box<AtomicU64>,
}

#[derive(Default)]
struct Model {
    chans: Vec<Option<Chan>>,
    /// Live handle value -> (kind, channel).
    live: HashMap<usize, (Kind, usize)>,
    /// Values to pick arguments from: live, stale, forged.
    pool: Vec<usize>,
    seq: usize,
}

unsafe extern "C" fn count_drop(_ptr: *mut c_void, _len: usize, ctx: *mut c_void) {
    // SAFETY: ctx is the model channel's counter, alive until the channel's
    // last handle is freed (checked in `retire`).
    unsafe { &*ctx.cast::<AtomicU64>() }.fetch_add(1, Ordering::Relaxed);
}

fn huge_allowed() -> bool {
    static HUGE: OnceLock<bool> = OnceLock::new();
    *HUGE.get_or_init(|| std::env::var("FUNNELQ_FUZZ_HUGE").is_ok_and(|v| v == "1"))
}

fn check(what: &str, got: S, want: S) {
    assert_eq!(got, want, "{what}: got {got:?}, want {want:?}");
}

impl Model {
    fn pick(&self, i: u8) -> usize {
        if self.pool.is_empty() {
            0 // NULL
        } else {
            self.pool[i as usize % self.pool.len()]
        }
    }

    fn live_of(&self, v: usize, kind: Kind) -> Option<usize> {
        match self.live.get(&v) {
            Some(&(k, c)) if k == kind => Some(c),
            _ => None,
        }
    }

    fn any_of(&self, v: usize) -> Option<usize> {
        self.live.get(&v).map(|&(_, c)| c)
    }

    fn chan(&mut self, c: usize) -> &mut Chan {
        self.chans[c]
            .as_mut()
            .expect("a live handle's channel exists")
    }

    fn add_handle(&mut self, v: usize, kind: Kind, c: usize) {
        assert!(
            !self.live.contains_key(&v),
            "handle value {v:#x} handed out twice"
        );
        self.live.insert(v, (kind, c));
        self.pool.push(v);
    }

    fn next_token(&mut self) -> usize {
        self.seq += 1;
        // Never NULL, distinct per message of this run.
        (self.seq << 4) | 0xA
    }

    /// Forgets a channel whose last handle went, after checking its drops.
    fn retire_if_gone(&mut self, c: usize) {
        let ch = self.chans[c].as_ref().expect("channel");
        if ch.senders == 0 && !ch.receiver {
            assert_eq!(
                ch.drops.load(Ordering::Relaxed),
                ch.drops_expected,
                "drop function calls"
            );
            self.chans[c] = None;
        }
    }

    /// Every live channel's length and closed flag, as the library sees them.
    fn check_all(&self) {
        let mut seen = std::collections::HashSet::new();
        for (&v, &(_, c)) in &self.live {
            if !seen.insert(c) {
                continue;
            }
            let ch = self.chans[c].as_ref().expect("channel");
            let mut n = usize::MAX;
            // SAFETY: the C interface checks its handle; `n` is writable.
            check(
                "len",
                unsafe { funnelq_len(v as *const c_void, &mut n) },
                S::FUNNELQ_OK,
            );
            assert_eq!(n, ch.queue.len(), "channel {c} length");
            let mut closed = false;
            // SAFETY: as above.
            check(
                "is_closed",
                unsafe { funnelq_is_closed(v as *const c_void, &mut closed) },
                S::FUNNELQ_OK,
            );
            assert_eq!(closed, ch.closed, "channel {c} closed flag");
        }
    }

    fn new_channel(&mut self, cap: Cap, with_drop: bool) {
        let (cap, want) = match cap {
            Cap::Small(c) => (usize::from(c) % 64 + 1, S::FUNNELQ_OK),
            Cap::Zero => (0, S::FUNNELQ_INVALID),
            Cap::OverMax(x) => (funnelq_max_capacity() + 1 + x as usize, S::FUNNELQ_INVALID),
            Cap::Huge if huge_allowed() => (funnelq_max_capacity(), S::FUNNELQ_NOMEM),
            Cap::Huge => (usize::MAX, S::FUNNELQ_INVALID),
        };
        let drops = Box::new(AtomicU64::new(0));
        let ctx = &*drops as *const AtomicU64 as *mut c_void;
        let (mut tx, mut rx) = (ptr::null_mut(), ptr::null_mut());
        let hook: funnelq_drop_fn = if with_drop { Some(count_drop) } else { None };
        // SAFETY: the out-pointers are writable; the hook may run on any
        // thread with ctx, which outlives the channel (retire_if_gone).
        let st = unsafe { funnelq_channel_new_with_drop(cap, hook, ctx, &mut tx, &mut rx) };
        check("channel_new", st, want);
        if st != S::FUNNELQ_OK {
            assert!(
                tx.is_null() && rx.is_null(),
                "out-pointers written on failure"
            );
            return;
        }
        let c = self.chans.len();
        self.chans.push(Some(Chan {
            cap,
            queue: VecDeque::new(),
            closed: false,
            senders: 1,
            receiver: true,
            with_drop,
            drops_expected: 0,
            drops,
        }));
        self.add_handle(tx as usize, Kind::Sender, c);
        self.add_handle(rx as usize, Kind::Receiver, c);
    }

    fn clone_sender(&mut self, v: usize) {
        let mut out = ptr::null_mut();
        // SAFETY: any handle value; `out` is writable.
        let st = unsafe { funnelq_sender_clone(v as *const funnelq_sender, &mut out) };
        match self.live_of(v, Kind::Sender) {
            Some(c) => {
                check("clone", st, S::FUNNELQ_OK);
                self.chan(c).senders += 1;
                self.add_handle(out as usize, Kind::Sender, c);
            }
            None => {
                check("clone", st, S::FUNNELQ_INVALID);
                assert!(out.is_null());
            }
        }
    }

    fn free_sender(&mut self, v: usize) {
        // SAFETY: any handle value.
        let st = unsafe { funnelq_sender_free(v as *mut funnelq_sender) };
        if let Some(c) = self.freed("sender_free", v, Kind::Sender, st) {
            let ch = self.chan(c);
            ch.senders -= 1;
            if ch.senders == 0 {
                ch.closed = true; // S12
            }
            self.retire_if_gone(c);
        }
    }

    fn free_receiver(&mut self, v: usize) {
        // SAFETY: any handle value.
        let st = unsafe { funnelq_receiver_free(v as *mut funnelq_receiver) };
        if let Some(c) = self.freed("receiver_free", v, Kind::Receiver, st) {
            let ch = self.chan(c);
            ch.closed = true; // S13: queued messages are released
            ch.receiver = false;
            let zero_copy = ch.queue.iter().filter(|e| e.bytes.is_none()).count() as u64;
            if ch.with_drop {
                ch.drops_expected += zero_copy;
            }
            ch.queue.clear();
            self.retire_if_gone(c);
        }
    }

    /// Checks the status `st` of freeing handle `v` of `kind` with `what`:
    /// `FUNNELQ_OK` for a live handle, which then leaves the live set, and its
    /// channel is returned; `FUNNELQ_INVALID` for anything else.
    fn freed(&mut self, what: &str, v: usize, kind: Kind, st: S) -> Option<usize> {
        let c = self.live_of(v, kind);
        match c {
            Some(_) => {
                check(what, st, S::FUNNELQ_OK);
                self.live.remove(&v);
            }
            None => check(what, st, S::FUNNELQ_INVALID),
        }
        c
    }

    /// The status a send of `n` messages (1 for single sends) gets, and how
    /// many go in; `None` if it would wait.
    fn send_outcome(
        &mut self,
        c: Option<usize>,
        how: Wait,
        n: usize,
        batch: bool,
    ) -> Option<(S, usize)> {
        let Some(c) = c else {
            return Some((S::FUNNELQ_INVALID, 0));
        };
        let ch = self.chan(c);
        if n == 0 {
            // An empty batch does nothing and reports it, closed or not
            // (documented: FUNNELQ_OK with 0 sent).
            return Some((S::FUNNELQ_OK, 0));
        }
        if ch.closed {
            return Some((S::FUNNELQ_CLOSED, 0));
        }
        let room = ch.cap - ch.queue.len();
        Some(match how {
            Wait::Block if n > room => return None,
            Wait::Block => (S::FUNNELQ_OK, n),
            Wait::Try if room == 0 => (S::FUNNELQ_FULL, 0),
            Wait::Try if batch => (S::FUNNELQ_OK, n.min(room)),
            Wait::Try => (S::FUNNELQ_OK, 1),
            Wait::Timeout0 if n > room => (S::FUNNELQ_TIMEOUT, room),
            Wait::Timeout0 => (S::FUNNELQ_OK, n),
        })
    }

    fn send(&mut self, v: usize, how: Wait, len: usize) {
        let c = self.live_of(v, Kind::Sender);
        let Some((want, sent)) = self.send_outcome(c, how, 1, false) else {
            return;
        };
        let token = self.next_token();
        let tx = v as *const funnelq_sender;
        let p = token as *mut c_void;
        // SAFETY: any handle value; funnelq never dereferences `p`.
        let st = unsafe {
            match how {
                Wait::Block => funnelq_send(tx, p, len),
                Wait::Try => funnelq_try_send(tx, p, len),
                Wait::Timeout0 => funnelq_send_timeout(tx, p, len, 0),
            }
        };
        check("send", st, want);
        if sent == 1 {
            self.chan(c.unwrap()).queue.push_back(Expect {
                ptr: token,
                len,
                bytes: None,
            });
        }
    }

    fn send_copy(&mut self, v: usize, how: Wait, len: usize) {
        let c = self.live_of(v, Kind::Sender);
        let Some((want, sent)) = self.send_outcome(c, how, 1, false) else {
            return;
        };
        let token = self.next_token();
        let bytes: Vec<u8> = (0..len).map(|i| (token + i) as u8).collect();
        let tx = v as *const funnelq_sender;
        let d = bytes.as_ptr().cast::<c_void>();
        // SAFETY: `d` is readable for `len` bytes.
        let st = unsafe { how.send_copy(tx, d, len) };
        check("send_copy", st, want);
        if sent == 1 {
            self.chan(c.unwrap()).queue.push_back(Expect {
                ptr: 0,
                len,
                bytes: Some(bytes),
            });
        }
    }

    /// A copy longer than any allocation: refused before `data` is read
    /// (it is one byte long).
    fn send_huge_copy(&mut self, v: usize, how: Wait, extra: u32) {
        let len = (isize::MAX as usize).saturating_add(1 + extra as usize);
        let c = self.live_of(v, Kind::Sender);
        let want = match c {
            None => S::FUNNELQ_INVALID,
            Some(_) => S::FUNNELQ_NOMEM,
        };
        let one = [7u8];
        let tx = v as *const funnelq_sender;
        let d = one.as_ptr().cast::<c_void>();
        // SAFETY: the library must refuse `len` before reading; if it read,
        // AddressSanitizer would report it (the finding we look for).
        let st = unsafe { how.send_copy(tx, d, len) };
        check("send_copy (huge)", st, want);
    }

    fn send_batch(&mut self, v: usize, how: Wait, count: Count, copy: bool) {
        let c = self.live_of(v, Kind::Sender);
        let (count, buffer) = count.sizes();
        let (want, sent) = if count > FUNNELQ_MAX_BATCH {
            (S::FUNNELQ_INVALID, 0)
        } else {
            match self.send_outcome(c, how, count, true) {
                Some(o) => o,
                None => return,
            }
        };
        let tx = v as *const funnelq_sender;
        let mut sent_out = usize::MAX;
        let mut expects = Vec::new();
        let st = if copy {
            let mut data = Vec::new();
            let mut lens = Vec::new();
            for i in 0..buffer {
                let token = self.next_token();
                let len = (token >> 4) % 5 + i % 3;
                let bytes: Vec<u8> = (0..len).map(|k| (token + k) as u8).collect();
                data.extend_from_slice(&bytes);
                lens.push(len);
                expects.push(Expect {
                    ptr: 0,
                    len,
                    bytes: Some(bytes),
                });
            }
            let (d, l) = (data.as_ptr().cast::<c_void>(), lens.as_ptr());
            // SAFETY: `lens` has `buffer` elements and `data` their sum; a
            // `count` above `buffer` is over the limit and must be refused
            // before either is read (ASan watches).
            unsafe {
                match how {
                    Wait::Block => funnelq_send_copy_batch(tx, d, l, count, &mut sent_out),
                    Wait::Try => funnelq_try_send_copy_batch(tx, d, l, count, &mut sent_out),
                    Wait::Timeout0 => {
                        funnelq_send_copy_batch_timeout(tx, d, l, count, &mut sent_out, 0)
                    }
                }
            }
        } else {
            let mut items = Vec::new();
            for i in 0..buffer {
                let token = self.next_token();
                items.push(funnelq_msg {
                    ptr: token as *mut c_void,
                    len: i,
                    flags: 0,
                    owner: ptr::null_mut(),
                });
                expects.push(Expect {
                    ptr: token,
                    len: i,
                    bytes: None,
                });
            }
            let it = items.as_ptr();
            // SAFETY: as above, for `items`.
            unsafe {
                match how {
                    Wait::Block => funnelq_send_batch(tx, it, count, &mut sent_out),
                    Wait::Try => funnelq_try_send_batch(tx, it, count, &mut sent_out),
                    Wait::Timeout0 => funnelq_send_batch_timeout(tx, it, count, &mut sent_out, 0),
                }
            }
        };
        check("send_batch", st, want);
        // A live handle reports what went in (0 for a refused count); an
        // invalid handle leaves `sent_out` alone.
        if c.is_some() {
            assert_eq!(sent_out, sent, "send_batch sent count");
        }
        if let Some(c) = c {
            let q = &mut self.chan(c).queue;
            q.extend(expects.into_iter().take(sent));
        }
    }

    fn check_msg(m: &funnelq_msg, e: &Expect) {
        assert_eq!(m.len, e.len, "message length");
        match &e.bytes {
            None => {
                assert_eq!(
                    m.ptr as usize, e.ptr,
                    "zero-copy pointer (wrong channel or order)"
                );
                assert_eq!(m.flags, 0);
            }
            Some(b) => {
                assert_eq!(m.flags, FUNNELQ_MSG_OWNED);
                if !b.is_empty() {
                    // SAFETY: a copied message holds `len` readable bytes.
                    let got = unsafe { std::slice::from_raw_parts(m.ptr.cast::<u8>(), m.len) };
                    assert_eq!(got, &b[..], "copied bytes");
                }
            }
        }
    }

    /// The status of a receive and how many messages it takes; `None` if it
    /// would wait.
    fn recv_outcome(&mut self, c: Option<usize>, how: Wait, max: usize) -> Option<(S, usize)> {
        let Some(c) = c else {
            return Some((S::FUNNELQ_INVALID, 0));
        };
        let ch = self.chan(c);
        if !ch.queue.is_empty() {
            return Some((S::FUNNELQ_OK, max.min(ch.queue.len())));
        }
        Some(match (ch.closed, how) {
            (true, _) => (S::FUNNELQ_CLOSED, 0),
            (false, Wait::Block) => return None,
            (false, Wait::Try) => (S::FUNNELQ_EMPTY, 0),
            (false, Wait::Timeout0) => (S::FUNNELQ_TIMEOUT, 0),
        })
    }

    fn recv(&mut self, v: usize, how: Wait) {
        let c = self.live_of(v, Kind::Receiver);
        let Some((want, n)) = self.recv_outcome(c, how, 1) else {
            return;
        };
        let rx = v as *const funnelq_receiver;
        let mut m = funnelq_msg {
            ptr: ptr::null_mut(),
            len: 0,
            flags: 0,
            owner: ptr::null_mut(),
        };
        // SAFETY: any handle value; `m` is writable.
        let st = unsafe {
            match how {
                Wait::Block => funnelq_recv(rx, &mut m),
                Wait::Try => funnelq_try_recv(rx, &mut m),
                Wait::Timeout0 => funnelq_recv_timeout(rx, &mut m, 0),
            }
        };
        check("recv", st, want);
        if n == 1 {
            let e = self.chan(c.unwrap()).queue.pop_front().unwrap();
            Self::check_msg(&m, &e);
            // SAFETY: `m` came from a receive.
            check(
                "msg_free",
                unsafe { funnelq_msg_free(&mut m) },
                S::FUNNELQ_OK,
            );
        } else {
            assert!(m.ptr.is_null() && m.len == 0, "msg_out written on {st:?}");
        }
    }

    fn recv_batch(&mut self, v: usize, how: Wait, max: Count, big: bool) {
        let c = self.live_of(v, Kind::Receiver);
        let (max, buffer) = match max {
            Count::Small(0) if big => (FUNNELQ_MAX_BATCH, FUNNELQ_MAX_BATCH),
            max => max.sizes(),
        };
        let (want, n) = if c.is_some() && (max == 0 || max > FUNNELQ_MAX_BATCH) {
            (S::FUNNELQ_INVALID, 0)
        } else {
            match self.recv_outcome(c, how, max) {
                Some(o) => o,
                None => return,
            }
        };
        let empty = funnelq_msg {
            ptr: ptr::null_mut(),
            len: 0,
            flags: 0,
            owner: ptr::null_mut(),
        };
        let mut out = vec![empty; buffer.max(1)];
        let mut count = usize::MAX;
        let rx = v as *const funnelq_receiver;
        // SAFETY: `out` has room for `buffer` messages; a `max` above it is
        // over the limit and must be refused before anything is written.
        let st = unsafe {
            match how {
                Wait::Block => funnelq_recv_batch(rx, out.as_mut_ptr(), max, &mut count),
                Wait::Try => funnelq_try_recv_batch(rx, out.as_mut_ptr(), max, &mut count),
                Wait::Timeout0 => {
                    funnelq_recv_batch_timeout(rx, out.as_mut_ptr(), max, &mut count, 0)
                }
            }
        };
        check("recv_batch", st, want);
        if want == S::FUNNELQ_INVALID {
            return;
        }
        assert_eq!(count, n, "recv_batch count");
        for m in &out[..n] {
            let e = self.chan(c.unwrap()).queue.pop_front().unwrap();
            Self::check_msg(m, &e);
        }
        // SAFETY: the first `n` came from this receive.
        check(
            "msg_free_n",
            unsafe { funnelq_msg_free_n(out.as_mut_ptr(), n) },
            S::FUNNELQ_OK,
        );
    }

    fn query(&mut self, op: Op) {
        let v = match op {
            Op::Close { h } | Op::Len { h } | Op::Capacity { h } | Op::IsClosed { h } => {
                self.pick(h)
            }
            _ => unreachable!(),
        };
        let c = self.any_of(v);
        let want = if c.is_some() {
            S::FUNNELQ_OK
        } else {
            S::FUNNELQ_INVALID
        };
        let h = v as *const c_void;
        let mut n = usize::MAX;
        let mut b = false;
        // SAFETY: any handle value; the out-pointers are writable.
        let st = unsafe {
            match op {
                Op::Close { .. } => funnelq_close(h),
                Op::Len { .. } => funnelq_len(h, &mut n),
                Op::Capacity { .. } => funnelq_capacity(h, &mut n),
                _ => funnelq_is_closed(h, &mut b),
            }
        };
        check("query", st, want);
        if let Some(c) = c {
            let ch = self.chan(c);
            match op {
                Op::Close { .. } => ch.closed = true,
                Op::Len { .. } => assert_eq!(n, ch.queue.len()),
                Op::Capacity { .. } => assert_eq!(n, ch.cap),
                _ => assert_eq!(b, ch.closed),
            }
        } else {
            assert!(
                n == usize::MAX && !b,
                "out-pointer written on an invalid handle"
            );
        }
    }

    /// Calls with a null out-pointer: refused, nothing consumed or sent.
    fn null_out(&mut self, v: usize, which: u8) {
        let st = match which % 6 {
            // SAFETY (all arms): any handle value; the null out-pointers are
            // the point; the other pointers are valid.
            0 => unsafe { funnelq_recv(v as *const funnelq_receiver, ptr::null_mut()) },
            1 => unsafe { funnelq_try_recv(v as *const funnelq_receiver, ptr::null_mut()) },
            2 => {
                let mut out = [funnelq_msg {
                    ptr: ptr::null_mut(),
                    len: 0,
                    flags: 0,
                    owner: ptr::null_mut(),
                }; 2];
                // SAFETY: as above.
                unsafe {
                    funnelq_try_recv_batch(
                        v as *const funnelq_receiver,
                        out.as_mut_ptr(),
                        2,
                        ptr::null_mut(),
                    )
                }
            }
            3 => {
                let items = [funnelq_msg {
                    ptr: 1 as *mut c_void,
                    len: 1,
                    flags: 0,
                    owner: ptr::null_mut(),
                }];
                // SAFETY: as above.
                unsafe {
                    funnelq_try_send_batch(
                        v as *const funnelq_sender,
                        items.as_ptr(),
                        1,
                        ptr::null_mut(),
                    )
                }
            }
            // SAFETY: as above.
            4 => unsafe { funnelq_len(v as *const c_void, ptr::null_mut()) },
            _ => {
                let mut rx = ptr::null_mut();
                // SAFETY: as above.
                let st = unsafe { funnelq_channel_new(4, ptr::null_mut(), &mut rx) };
                assert!(rx.is_null());
                st
            }
        };
        check("null out-pointer", st, S::FUNNELQ_INVALID);
    }

    fn run(&mut self, op: Op) {
        match op {
            Op::New { cap, with_drop } => self.new_channel(cap, with_drop),
            Op::Clone { h } => self.clone_sender(self.pick(h)),
            Op::FreeSender { h } => self.free_sender(self.pick(h)),
            Op::FreeReceiver { h } => self.free_receiver(self.pick(h)),
            Op::Send { h, how, len } => self.send(self.pick(h), how, usize::from(len)),
            Op::SendCopy { h, how, len } => self.send_copy(self.pick(h), how, usize::from(len)),
            Op::SendHugeCopy { h, how, extra } => self.send_huge_copy(self.pick(h), how, extra),
            Op::SendBatch {
                h,
                how,
                count,
                copy,
            } => self.send_batch(self.pick(h), how, count, copy),
            Op::Recv { h, how } => self.recv(self.pick(h), how),
            Op::RecvBatch { h, how, max, big } => self.recv_batch(self.pick(h), how, max, big),
            Op::Close { .. } | Op::Len { .. } | Op::Capacity { .. } | Op::IsClosed { .. } => {
                self.query(op)
            }
            Op::Forge { value } => self.pool.push(value as usize),
            Op::Derive { h, bit } => {
                let v = self.pick(h) ^ (1usize << (bit as u32 % usize::BITS));
                self.pool.push(v);
            }
            Op::NullOut { h, which } => self.null_out(self.pick(h), which),
        }
        self.check_all();
    }

    /// Frees every live handle (senders first, then receivers, or the other
    /// way round) and checks every channel's drops.
    fn finish(&mut self, receivers_first: bool) {
        let mut handles: Vec<(usize, Kind)> =
            self.live.iter().map(|(&v, &(k, _))| (v, k)).collect();
        handles.sort_by_key(|&(v, k)| ((k == Kind::Sender) == receivers_first, v));
        for (v, k) in handles {
            match k {
                Kind::Sender => self.free_sender(v),
                Kind::Receiver => self.free_receiver(v),
            }
        }
        assert!(self.live.is_empty());
        assert!(
            self.chans.iter().all(Option::is_none),
            "a channel outlived its handles"
        );
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let mut model = Model::default();
    // A few values that are never handles, always in the pool.
    model
        .pool
        .extend([0usize, 1, 8, usize::MAX, 1 << 63, (1 << 63) | (1 << 62)]);
    for op in ops.iter().take(400) {
        model.run(*op);
    }
    model.finish(ops.len() % 2 == 0);
});
