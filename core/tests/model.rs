//! Model-based property tests (issue 12): random sequences of operations
//! run against the channel and against a plain `VecDeque` reference model,
//! checking the scenarios of SEMANTICS.md after every step.
//!
//! - `s01_s02_s05_s06_s07_s09_s10_s12_s13_s14_s16_s18_model_single_thread`:
//!   every form of send and receive (try, timeout, deadline, batch, one poll
//!   of each async form then cancelled), close from either side, clone and
//!   drop senders, drop the receiver. After each step: exact `len`,
//!   `is_closed`, FIFO, the outcome kind (Ok / Full / Closed / Empty /
//!   Timeout), messages handed back on error are the ones offered, end of
//!   stream only after the queue drained, timeouts never early, and every
//!   message not in the queue dropped exactly once (a counting `Drop`).
//! - `s03_s04_s08_s11_s16_s18_model_producers_and_consumer`: producer
//!   threads with random single/batch/try/timeout/async send forms against
//!   a consumer with random receive forms; exact per-producer accounting
//!   (every message once, in each producer's order).
//!
//! CI runs proptest's default number of cases (`PROPTEST_CASES`, 256 unless
//! set; the threaded property runs a quarter of it). The long pass:
//! `PROPTEST_CASES=20000 cargo test -p funnelq --release --test model`.

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use funnelq::{
    channel, Closer, Receiver, RecvError, RecvTimeoutError, SendError, SendTimeoutError, Sender,
    TryRecvError, TrySendError,
};
use proptest::prelude::*;

/// Loose upper bound on any timed wait (CI has 2 shared cores).
const SLACK: Duration = Duration::from_millis(2000);

/// A message that counts its drops (S13: nothing leaks, nothing is dropped
/// twice).
struct Msg {
    id: u64,
    drops: Arc<AtomicUsize>,
}

impl Drop for Msg {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

fn ids(items: &[Msg]) -> Vec<u64> {
    items.iter().map(|m| m.id).collect()
}

#[derive(Clone, Debug)]
enum Op {
    TrySend(usize),
    SendTimeout(usize, u8),
    SendDeadline(usize, u8),
    TrySendBatch(usize, u8),
    SendBatchTimeout(usize, u8, u8),
    SendBatchDeadline(usize, u8, u8),
    SendAsyncPollOnce(usize),
    SendBatchAsyncPollOnce(usize, u8),
    TryRecv,
    RecvTimeout(u8),
    RecvDeadline(u8),
    TryRecvBatch(u8),
    RecvBatchTimeout(u8, u8),
    RecvBatchDeadline(u8, u8),
    RecvAsyncPollOnce,
    RecvBatchAsyncPollOnce(u8),
    CloseSender(usize),
    CloseReceiver,
    CloseCloser,
    CloneSender(usize),
    DropSender(usize),
    DropReceiver,
}

fn op() -> impl Strategy<Value = Op> {
    let who = 0usize..4;
    let ms = 0u8..=1;
    let n = 0u8..=5;
    prop_oneof![
        6 => who.clone().prop_map(Op::TrySend),
        3 => (who.clone(), ms.clone()).prop_map(|(i, d)| Op::SendTimeout(i, d)),
        2 => (who.clone(), ms.clone()).prop_map(|(i, d)| Op::SendDeadline(i, d)),
        4 => (who.clone(), n.clone()).prop_map(|(i, k)| Op::TrySendBatch(i, k)),
        3 => (who.clone(), n.clone(), ms.clone()).prop_map(|(i, k, d)| Op::SendBatchTimeout(i, k, d)),
        2 => (who.clone(), n.clone(), ms.clone()).prop_map(|(i, k, d)| Op::SendBatchDeadline(i, k, d)),
        2 => who.clone().prop_map(Op::SendAsyncPollOnce),
        2 => (who.clone(), n.clone()).prop_map(|(i, k)| Op::SendBatchAsyncPollOnce(i, k)),
        6 => Just(Op::TryRecv),
        3 => ms.clone().prop_map(Op::RecvTimeout),
        2 => ms.clone().prop_map(Op::RecvDeadline),
        4 => n.clone().prop_map(Op::TryRecvBatch),
        3 => (n.clone(), ms.clone()).prop_map(|(k, d)| Op::RecvBatchTimeout(k, d)),
        2 => (n.clone(), ms.clone()).prop_map(|(k, d)| Op::RecvBatchDeadline(k, d)),
        2 => Just(Op::RecvAsyncPollOnce),
        2 => n.clone().prop_map(Op::RecvBatchAsyncPollOnce),
        1 => who.clone().prop_map(Op::CloseSender),
        1 => Just(Op::CloseReceiver),
        1 => Just(Op::CloseCloser),
        2 => who.clone().prop_map(Op::CloneSender),
        2 => who.prop_map(Op::DropSender),
        1 => Just(Op::DropReceiver),
    ]
}

/// Polls `fut` once with a waker that does nothing, then drops it.
fn poll_once<F: std::future::Future>(fut: F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut fut = std::pin::pin!(fut);
    fut.as_mut().poll(&mut cx)
}

/// Runs `f` and checks the time it took against a timed outcome: never
/// earlier than `d` when it timed out, never much later than `d`.
fn timed<R>(d: Duration, f: impl FnOnce() -> R, timed_out: impl Fn(&R) -> bool) -> R {
    let t = Instant::now();
    let r = f();
    let took = t.elapsed();
    if timed_out(&r) {
        assert!(
            took >= d,
            "timed out after {took:?}, before {d:?} (S09, S10)"
        );
    }
    assert!(took < d + SLACK, "took {took:?} for a wait of {d:?}");
    r
}

/// The channel and its reference model side by side.
struct Harness {
    cap: usize,
    senders: Vec<Sender<Msg>>,
    rx: Option<Receiver<Msg>>,
    closer: Closer<Msg>,
    /// The ids queued, oldest first.
    model: VecDeque<u64>,
    closed: bool,
    next_id: u64,
    created: usize,
    drops: Arc<AtomicUsize>,
}

impl Harness {
    fn new(cap: usize) -> Self {
        let (tx, rx) = channel(cap);
        let closer = rx.closer();
        Harness {
            cap,
            senders: vec![tx],
            rx: Some(rx),
            closer,
            model: VecDeque::new(),
            closed: false,
            next_id: 0,
            created: 0,
            drops: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn msg(&mut self) -> Msg {
        self.next_id += 1;
        self.created += 1;
        Msg {
            id: self.next_id,
            drops: self.drops.clone(),
        }
    }

    fn msgs(&mut self, n: u8) -> Vec<Msg> {
        (0..n).map(|_| self.msg()).collect()
    }

    fn free(&self) -> usize {
        self.cap - self.model.len()
    }

    fn sender(&self, i: usize) -> Option<&Sender<Msg>> {
        if self.senders.is_empty() {
            None
        } else {
            Some(&self.senders[i % self.senders.len()])
        }
    }

    /// How many of a batch of `n` fit now (the model's prefix length).
    fn batch_fit(&self, n: usize) -> usize {
        self.free().min(n)
    }

    /// What a receive of up to `max` would take from the model.
    fn take(&mut self, max: usize) -> Vec<u64> {
        let k = max.min(self.model.len());
        self.model.drain(..k).collect()
    }

    /// Checks a batch receive of up to `max` against the model (S18): it
    /// returned `r` and appended the messages `got`. With `max` 0 it must
    /// return `ready(0)`; with nothing queued, `when_empty(closed)`; else
    /// `ready(n)` with the first `n = min(max, queued)` messages, in order.
    /// Nothing is appended but those.
    fn check_batch<R: PartialEq + std::fmt::Debug>(
        &mut self,
        max: u8,
        r: R,
        got: Vec<u64>,
        ready: impl Fn(usize) -> R,
        when_empty: impl Fn(bool) -> R,
    ) {
        let (expect, want) = if max == 0 {
            (ready(0), Vec::new())
        } else if self.model.is_empty() {
            (when_empty(self.closed), Vec::new())
        } else {
            let want = self.take(max.into());
            (ready(want.len()), want)
        };
        assert_eq!(r, expect, "S18: up to max that are ready");
        assert_eq!(got, want, "S18: FIFO");
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::TrySend(i) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                let m = self.msg();
                let id = m.id;
                match tx.try_send(m) {
                    Ok(()) => {
                        assert!(!self.closed && self.free() > 0, "S01/S06: accepted");
                        self.model.push_back(id);
                    }
                    Err(TrySendError::Full(m)) => {
                        assert!(!self.closed && self.free() == 0, "Full with room");
                        assert_eq!(m.id, id, "S01: the message is handed back");
                    }
                    Err(TrySendError::Closed(m)) => {
                        assert!(self.closed, "Closed while open");
                        assert_eq!(m.id, id, "S06: the message is handed back");
                    }
                    Err(_) => unreachable!(),
                }
            }
            Op::SendTimeout(i, ms) | Op::SendDeadline(i, ms) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                let m = self.msg();
                let id = m.id;
                let d = Duration::from_millis(ms.into());
                let deadline = matches!(op, Op::SendDeadline(..));
                let r = timed(
                    d,
                    || {
                        if deadline {
                            tx.send_deadline(m, Instant::now() + d)
                        } else {
                            tx.send_timeout(m, d)
                        }
                    },
                    |r| matches!(r, Err(SendTimeoutError::Timeout(_))),
                );
                match r {
                    Ok(()) => {
                        assert!(!self.closed && self.free() > 0);
                        self.model.push_back(id);
                    }
                    Err(SendTimeoutError::Timeout(m)) => {
                        assert!(!self.closed && self.free() == 0, "S10: Timeout with room");
                        assert_eq!(m.id, id, "S10: handed back");
                    }
                    Err(SendTimeoutError::Closed(m)) => {
                        assert!(self.closed);
                        assert_eq!(m.id, id);
                    }
                    Err(_) => unreachable!(),
                }
            }
            Op::TrySendBatch(i, n) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                let mut items = self.msgs(n);
                let offered = ids(&items);
                let r = tx.try_send_batch(&mut items);
                let n = usize::from(n);
                if n == 0 {
                    assert_eq!(r, Ok(0));
                } else if self.closed {
                    assert_eq!(r, Err(TrySendError::Closed(())), "S06");
                    assert_eq!(ids(&items), offered, "refused batches stay whole");
                } else if self.free() == 0 {
                    assert_eq!(r, Err(TrySendError::Full(())), "S01");
                    assert_eq!(ids(&items), offered);
                } else {
                    let k = self.batch_fit(n);
                    assert_eq!(r, Ok(k), "S18: the longest prefix that fits");
                    assert_eq!(ids(&items), offered[k..], "S18: the suffix stays");
                    self.model.extend(&offered[..k]);
                }
            }
            Op::SendBatchTimeout(i, n, ms) | Op::SendBatchDeadline(i, n, ms) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                let mut items = self.msgs(n);
                let offered = ids(&items);
                let d = Duration::from_millis(ms.into());
                let deadline = matches!(op, Op::SendBatchDeadline(..));
                let r = timed(
                    d,
                    || {
                        if deadline {
                            tx.send_batch_deadline(&mut items, Instant::now() + d)
                        } else {
                            tx.send_batch_timeout(&mut items, d)
                        }
                    },
                    |r| matches!(r, Err(SendTimeoutError::Timeout(()))),
                );
                let n = usize::from(n);
                if n == 0 {
                    assert_eq!(r, Ok(0));
                } else if self.closed {
                    assert_eq!(r, Err(SendTimeoutError::Closed(())));
                    assert_eq!(ids(&items), offered);
                } else {
                    let k = self.batch_fit(n);
                    if k == n {
                        assert_eq!(r, Ok(n), "S18: all sent");
                    } else {
                        assert_eq!(r, Err(SendTimeoutError::Timeout(())), "S10");
                    }
                    assert_eq!(ids(&items), offered[k..], "S18: the unsent suffix");
                    self.model.extend(&offered[..k]);
                }
            }
            Op::SendAsyncPollOnce(i) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                let m = self.msg();
                let id = m.id;
                match poll_once(tx.send_async(m)) {
                    Poll::Ready(Ok(())) => {
                        assert!(!self.closed && self.free() > 0);
                        self.model.push_back(id);
                    }
                    Poll::Ready(Err(SendError(m))) => {
                        assert!(self.closed);
                        assert_eq!(m.id, id);
                    }
                    // Cancelled while pending: not enqueued, and the
                    // message was dropped with the future (S16).
                    Poll::Pending => assert!(!self.closed && self.free() == 0),
                }
            }
            Op::SendBatchAsyncPollOnce(i, n) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                let mut items = self.msgs(n);
                let offered = ids(&items);
                let r = poll_once(tx.send_batch_async(&mut items));
                let n = usize::from(n);
                if n == 0 {
                    assert_eq!(r, Poll::Ready(Ok(0)));
                } else if self.closed {
                    assert_eq!(r, Poll::Ready(Err(SendError(()))));
                    assert_eq!(ids(&items), offered);
                } else {
                    let k = self.batch_fit(n);
                    if k == n {
                        assert_eq!(r, Poll::Ready(Ok(n)));
                    } else {
                        assert_eq!(r, Poll::Pending);
                    }
                    // Cancelled or done: `items` holds exactly the unsent (S16).
                    assert_eq!(ids(&items), offered[k..]);
                    self.model.extend(&offered[..k]);
                }
            }
            Op::TryRecv => {
                let Some(rx) = self.rx.as_mut() else { return };
                let r = rx.try_recv().map(|m| m.id);
                let expect = match self.model.pop_front() {
                    Some(id) => Ok(id),
                    None if self.closed => Err(TryRecvError::Closed),
                    None => Err(TryRecvError::Empty),
                };
                assert_eq!(r, expect, "S03/S05/S09");
            }
            Op::RecvTimeout(ms) | Op::RecvDeadline(ms) => {
                let Some(rx) = self.rx.as_mut() else { return };
                let d = Duration::from_millis(ms.into());
                let deadline = matches!(op, Op::RecvDeadline(..));
                let r = timed(
                    d,
                    || {
                        if deadline {
                            rx.recv_deadline(Instant::now() + d)
                        } else {
                            rx.recv_timeout(d)
                        }
                    },
                    |r| matches!(r, Err(RecvTimeoutError::Timeout)),
                )
                .map(|m| m.id);
                let expect = match self.model.pop_front() {
                    Some(id) => Ok(id),
                    None if self.closed => Err(RecvTimeoutError::Closed),
                    None => Err(RecvTimeoutError::Timeout),
                };
                assert_eq!(r, expect, "S05/S09");
            }
            Op::TryRecvBatch(max) => {
                let Some(rx) = self.rx.as_mut() else { return };
                let mut buf = Vec::new();
                let r = rx.try_recv_batch(&mut buf, max.into());
                let got = ids(&buf);
                drop(buf);
                self.check_batch(max, r, got, Ok, |closed| {
                    Err(if closed {
                        TryRecvError::Closed
                    } else {
                        TryRecvError::Empty
                    })
                });
            }
            Op::RecvBatchTimeout(max, ms) | Op::RecvBatchDeadline(max, ms) => {
                let Some(rx) = self.rx.as_mut() else { return };
                let d = Duration::from_millis(ms.into());
                let deadline = matches!(op, Op::RecvBatchDeadline(..));
                let mut buf = Vec::new();
                let r = timed(
                    d,
                    || {
                        if deadline {
                            rx.recv_batch_deadline(&mut buf, max.into(), Instant::now() + d)
                        } else {
                            rx.recv_batch_timeout(&mut buf, max.into(), d)
                        }
                    },
                    |r| matches!(r, Err(RecvTimeoutError::Timeout)),
                );
                let got = ids(&buf);
                drop(buf);
                self.check_batch(max, r, got, Ok, |closed| {
                    Err(if closed {
                        RecvTimeoutError::Closed
                    } else {
                        RecvTimeoutError::Timeout
                    })
                });
            }
            Op::RecvAsyncPollOnce => {
                let Some(rx) = self.rx.as_mut() else { return };
                let r = poll_once(rx.recv_async()).map(|r| r.map(|m| m.id));
                let expect = match self.model.pop_front() {
                    Some(id) => Poll::Ready(Ok(id)),
                    None if self.closed => Poll::Ready(Err(RecvError)),
                    // Cancelled while pending: nothing taken (S16).
                    None => Poll::Pending,
                };
                assert_eq!(r, expect);
            }
            Op::RecvBatchAsyncPollOnce(max) => {
                let Some(rx) = self.rx.as_mut() else { return };
                let mut buf = Vec::new();
                let r = poll_once(rx.recv_batch_async(&mut buf, max.into()));
                let got = ids(&buf);
                drop(buf);
                // Pending when empty and open: cancelled, nothing taken (S16).
                self.check_batch(
                    max,
                    r,
                    got,
                    |n| Poll::Ready(Ok(n)),
                    |closed| {
                        if closed {
                            Poll::Ready(Err(RecvError))
                        } else {
                            Poll::Pending
                        }
                    },
                );
            }
            Op::CloseSender(i) => {
                let Some(tx) = self.sender(i) else { return };
                assert_eq!(tx.close(), !self.closed, "close is idempotent");
                self.closed = true;
            }
            Op::CloseReceiver => {
                let Some(rx) = self.rx.as_ref() else { return };
                assert_eq!(rx.close(), !self.closed);
                self.closed = true;
            }
            Op::CloseCloser => {
                assert_eq!(self.closer.close(), !self.closed);
                self.closed = true;
            }
            Op::CloneSender(i) => {
                let Some(tx) = self.sender(i).cloned() else {
                    return;
                };
                self.senders.push(tx);
            }
            Op::DropSender(i) => {
                if self.senders.is_empty() {
                    return;
                }
                let i = i % self.senders.len();
                drop(self.senders.swap_remove(i));
                if self.senders.is_empty() {
                    // S12: the last sender gone closes the channel.
                    self.closed = true;
                }
            }
            Op::DropReceiver => {
                if let Some(rx) = self.rx.take() {
                    let before = self.drops.load(SeqCst);
                    drop(rx);
                    // S13: queued messages are released at once.
                    assert_eq!(self.drops.load(SeqCst) - before, self.model.len());
                    self.model.clear();
                    self.closed = true;
                }
            }
        }
    }

    /// The invariants that hold between any two steps.
    fn check(&self) {
        assert_eq!(self.closer.len(), self.model.len(), "exact len");
        assert_eq!(self.closer.is_closed(), self.closed, "is_closed");
        assert_eq!(self.closer.capacity(), self.cap, "capacity");
        assert!(self.closer.len() <= self.cap, "S01/S15: len <= capacity");
        if self.senders.is_empty() || self.rx.is_none() {
            assert!(self.closed, "S12/S13: closed once a side is gone");
        }
        // Every message made so far is either queued (alive) or was dropped
        // exactly once: no loss into nowhere, no leak, no double drop.
        let alive = self.created - self.drops.load(SeqCst);
        assert_eq!(alive, self.model.len(), "S04/S13: drop accounting");
    }
}

fn config(divisor: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: (base.cases / divisor).max(16),
        ..base
    }
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn s01_s02_s05_s06_s07_s09_s10_s12_s13_s14_s16_s18_model_single_thread(
        cap in 1usize..=6,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let mut h = Harness::new(cap);
        h.check();
        for op in &ops {
            h.step(op);
            h.check();
        }
        // Drain what is left: FIFO to the end, then end of stream once closed.
        drop(std::mem::take(&mut h.senders));
        if let Some(mut rx) = h.rx.take() {
            let rest: Vec<u64> = rx.iter().map(|m| m.id).collect();
            prop_assert_eq!(rest, Vec::from(std::mem::take(&mut h.model)));
            prop_assert_eq!(rx.try_recv().map(|m| m.id), Err(TryRecvError::Closed));
        }
        prop_assert_eq!(h.drops.load(SeqCst), h.created, "every message dropped once");
    }
}

/// How a producer sends its next messages.
#[derive(Clone, Debug)]
enum SendForm {
    Send,
    TrySend,
    SendTimeout(u8),
    Batch(u8),
    TryBatch(u8),
    BatchTimeout(u8, u8),
    BatchAsync(u8),
    SendAsync,
}

/// How the consumer receives.
#[derive(Clone, Debug)]
enum RecvForm {
    Recv,
    TryRecv,
    RecvTimeout(u8),
    Batch(u8),
    TryBatch(u8),
    BatchTimeout(u8, u8),
    BatchAsync(u8),
    RecvAsync,
}

fn send_form() -> impl Strategy<Value = SendForm> {
    prop_oneof![
        Just(SendForm::Send),
        Just(SendForm::TrySend),
        (0u8..=2).prop_map(SendForm::SendTimeout),
        (1u8..=9).prop_map(SendForm::Batch),
        (1u8..=9).prop_map(SendForm::TryBatch),
        ((1u8..=9), (0u8..=2)).prop_map(|(k, d)| SendForm::BatchTimeout(k, d)),
        (1u8..=9).prop_map(SendForm::BatchAsync),
        Just(SendForm::SendAsync),
    ]
}

fn recv_form() -> impl Strategy<Value = RecvForm> {
    prop_oneof![
        Just(RecvForm::Recv),
        Just(RecvForm::TryRecv),
        (0u8..=2).prop_map(RecvForm::RecvTimeout),
        (1u8..=9).prop_map(RecvForm::Batch),
        (1u8..=9).prop_map(RecvForm::TryBatch),
        ((1u8..=9), (0u8..=2)).prop_map(|(k, d)| RecvForm::BatchTimeout(k, d)),
        (1u8..=9).prop_map(RecvForm::BatchAsync),
        Just(RecvForm::RecvAsync),
    ]
}

type Item = (usize, u32);

/// Sends `p`'s messages `0..n` in order, cycling through `plan`. Messages
/// handed back (Full, Timeout) are offered again, first, so the order holds.
fn produce(tx: Sender<Item>, p: usize, n: u32, plan: &[SendForm]) {
    let mut next = 0u32;
    let mut form = plan.iter().cycle();
    let ms = |d: u8| Duration::from_millis(d.into());
    while next < n {
        let f = form.next().unwrap();
        let batch =
            |k: u8| -> Vec<Item> { (next..n.min(next + u32::from(k))).map(|i| (p, i)).collect() };
        match *f {
            SendForm::Send => {
                tx.send((p, next)).unwrap();
                next += 1;
            }
            SendForm::TrySend => match tx.try_send((p, next)) {
                Ok(()) => next += 1,
                Err(TrySendError::Full(m)) => {
                    assert_eq!(m, (p, next), "handed back");
                    thread::yield_now();
                }
                Err(e) => panic!("closed while a sender lives: {e}"),
            },
            SendForm::SendTimeout(d) => match tx.send_timeout((p, next), ms(d)) {
                Ok(()) => next += 1,
                Err(SendTimeoutError::Timeout(m)) => assert_eq!(m, (p, next)),
                Err(e) => panic!("{e}"),
            },
            SendForm::Batch(k) => {
                let mut items = batch(k);
                let len = items.len();
                assert_eq!(tx.send_batch(&mut items), Ok(len));
                next += len as u32;
            }
            SendForm::TryBatch(k) => {
                let mut items = batch(k);
                let offered = items.clone();
                match tx.try_send_batch(&mut items) {
                    Ok(sent) => {
                        assert_eq!(items, offered[sent..], "S18: the suffix stays");
                        next += sent as u32;
                    }
                    Err(TrySendError::Full(())) => {
                        assert_eq!(items, offered);
                        thread::yield_now();
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            SendForm::BatchTimeout(k, d) => {
                let mut items = batch(k);
                let offered = items.clone();
                match tx.send_batch_timeout(&mut items, ms(d)) {
                    Ok(sent) => {
                        assert_eq!(sent, offered.len());
                        assert!(items.is_empty());
                    }
                    Err(SendTimeoutError::Timeout(())) => {
                        assert_eq!(items, offered[offered.len() - items.len()..]);
                    }
                    Err(e) => panic!("{e}"),
                }
                next += (offered.len() - items.len()) as u32;
            }
            SendForm::BatchAsync(k) => {
                let mut items = batch(k);
                let len = items.len();
                assert_eq!(common::block_on(tx.send_batch_async(&mut items)), Ok(len));
                next += len as u32;
            }
            SendForm::SendAsync => {
                common::block_on(tx.send_async((p, next))).unwrap();
                next += 1;
            }
        }
    }
}

/// Receives until end of stream, cycling through `plan`; returns what came,
/// in order.
fn consume(rx: &mut Receiver<Item>, plan: &[RecvForm]) -> Vec<Item> {
    let mut got = Vec::new();
    let ms = |d: u8| Duration::from_millis(d.into());
    for f in plan.iter().cycle() {
        let before = got.len();
        let end = match *f {
            RecvForm::Recv => rx.recv().map(|m| got.push(m)).is_err(),
            RecvForm::TryRecv => match rx.try_recv() {
                Ok(m) => {
                    got.push(m);
                    false
                }
                Err(TryRecvError::Empty) => {
                    thread::yield_now();
                    false
                }
                Err(_) => true,
            },
            RecvForm::RecvTimeout(d) => match rx.recv_timeout(ms(d)) {
                Ok(m) => {
                    got.push(m);
                    false
                }
                Err(e) => e.is_closed(),
            },
            RecvForm::Batch(k) => rx.recv_batch(&mut got, k.into()).is_err(),
            RecvForm::TryBatch(k) => match rx.try_recv_batch(&mut got, k.into()) {
                Ok(_) => false,
                Err(TryRecvError::Empty) => {
                    thread::yield_now();
                    false
                }
                Err(_) => true,
            },
            RecvForm::BatchTimeout(k, d) => {
                match rx.recv_batch_timeout(&mut got, k.into(), ms(d)) {
                    Ok(_) => false,
                    Err(e) => e.is_closed(),
                }
            }
            RecvForm::BatchAsync(k) => {
                common::block_on(rx.recv_batch_async(&mut got, k.into())).is_err()
            }
            RecvForm::RecvAsync => common::block_on(rx.recv_async())
                .map(|m| got.push(m))
                .is_err(),
        };
        let max = match *f {
            RecvForm::Batch(k)
            | RecvForm::TryBatch(k)
            | RecvForm::BatchTimeout(k, _)
            | RecvForm::BatchAsync(k) => usize::from(k),
            _ => 1,
        };
        assert!(got.len() - before <= max, "S18: at most max per batch");
        if end {
            assert_eq!(got.len(), before, "end of stream carries no message");
            break;
        }
    }
    got
}

proptest! {
    #![proptest_config(config(4))]

    #[test]
    fn s03_s04_s08_s11_s16_s18_model_producers_and_consumer(
        cap in 1usize..=8,
        producers in prop::collection::vec(
            ((1u32..=150), prop::collection::vec(send_form(), 1..8)),
            1..=4,
        ),
        consumer in prop::collection::vec(recv_form(), 1..8),
    ) {
        let (tx, mut rx) = channel::<Item>(cap);
        let handles: Vec<_> = producers
            .iter()
            .cloned()
            .enumerate()
            .map(|(p, (n, plan))| {
                let tx = tx.clone();
                thread::spawn(move || produce(tx, p, n, &plan))
            })
            .collect();
        drop(tx);
        let got = consume(&mut rx, &consumer);
        for h in handles {
            h.join().unwrap();
        }
        // S04: each producer's messages exactly once; S03: in its order.
        let mut next = vec![0u32; producers.len()];
        for &(p, i) in &got {
            prop_assert_eq!(i, next[p], "producer {} out of order or duplicated", p);
            next[p] += 1;
        }
        let want: Vec<u32> = producers.iter().map(|(n, _)| *n).collect();
        prop_assert_eq!(next, want, "every message received once");
        prop_assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }
}
