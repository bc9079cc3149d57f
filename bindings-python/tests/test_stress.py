"""Scenarios S03, S04, S08, S11, S15: many threads, every message counted, memory measured."""

import gc
import sys
import threading
import time
import tracemalloc

import pytest

import funnelq
from conftest import start_thread

PRODUCERS = 4
PER_PRODUCER = 100_000


@pytest.mark.parametrize("capacity, per_producer", [(1024, PER_PRODUCER), (16, 20_000)])
def test_s03_s04_fifo_exactly_once(capacity, per_producer):
    """4 producer threads x 100k objects (20k at capacity 16, where every few messages
    cost a GIL hand-off); per-producer sequence and totals checked."""
    tx, rx = funnelq.channel(capacity)

    def producer(p, tx):
        with tx:
            for i in range(per_producer):
                tx.send((p, i))

    threads = [start_thread(producer, p, tx.clone()) for p in range(PRODUCERS)]
    del tx  # the stream ends when the 4 clones are released
    next_seq = [0] * PRODUCERS
    count = 0
    for p, i in rx:
        assert i == next_seq[p], f"producer {p}: got {i}, expected {next_seq[p]}"
        next_seq[p] = i + 1
        count += 1
    for t in threads:
        t.join(10)
    assert count == PRODUCERS * per_producer
    assert next_seq == [per_producer] * PRODUCERS


def test_s04_exactly_once_batches():
    tx, rx = funnelq.channel(64)
    n = 20_000

    def producer(p, tx):
        with tx:
            for start in range(0, n, 100):
                tx.send_batch([(p, i) for i in range(start, start + 100)])

    threads = [start_thread(producer, p, tx.clone()) for p in range(PRODUCERS)]
    del tx
    seen = [0] * PRODUCERS
    while True:
        try:
            batch = rx.recv_batch(256, timeout=10)
        except funnelq.Closed:
            break
        assert 1 <= len(batch) <= 256
        for p, i in batch:
            assert i == seen[p]
            seen[p] += 1
    for t in threads:
        t.join(10)
    assert seen == [n] * PRODUCERS


def test_s08_close_race():
    """A send racing close(): either Ok and delivered, or Closed and not delivered."""
    for _ in range(20):
        tx, rx = funnelq.channel(64)
        ok = [[] for _ in range(PRODUCERS)]
        go = threading.Event()

        def producer(p, tx):
            go.wait()
            i = 0
            while True:
                try:
                    tx.send((p, i), timeout=5)
                except funnelq.Closed:
                    return
                ok[p].append(i)
                i += 1

        threads = [start_thread(producer, p, tx.clone()) for p in range(PRODUCERS)]
        received = [[] for _ in range(PRODUCERS)]

        def consumer():
            for p, i in rx:
                received[p].append(i)

        c = start_thread(consumer)
        go.set()
        time.sleep(0.01)
        tx.close()
        for t in threads:
            t.join(10)
        c.join(10)
        assert not c.is_alive()
        assert received == ok, "every Ok send delivered, no Closed send delivered"


def test_s11_no_lost_wakeup():
    """Capacity 1, 8 producers, a consumer that blocks on every message: bounded in time."""
    tx, rx = funnelq.channel(1)
    n = 1_000
    producers = 8

    def producer(p, tx):
        with tx:
            for i in range(n):
                tx.send(p * n + i)

    threads = [start_thread(producer, p, tx.clone()) for p in range(producers)]
    del tx
    t0 = time.monotonic()
    got = list(rx)
    for t in threads:
        t.join(10)
    assert sorted(got) == list(range(producers * n))
    assert time.monotonic() - t0 < 60


class Counted:
    """A message that counts the live instances of its class (S15 measures memory in
    messages held: each is one object the channel or a producer keeps alive)."""

    __slots__ = ()
    lock = threading.Lock()
    live = 0

    def __init__(self):
        with Counted.lock:
            Counted.live += 1

    def __del__(self):
        with Counted.lock:
            Counted.live -= 1


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_s15_bounded_memory_under_hammering():
    """6 producers hammer a full channel of 64 with every send form while a slow consumer
    drains it. The messages alive at any moment stay within the capacity plus what each
    producer holds in hand (a batch of 8, and one read ahead), refused messages are freed
    at once (a leak of one per refused send would be thousands), and the process does not
    grow while the traffic goes on (a per-send leak in the binding or the core would)."""
    cap, producers, batch = 64, 6, 8
    assert Counted.live == 0
    tx, rx = funnelq.channel(cap)
    stop = threading.Event()
    ops = [0] * producers

    def producer(p, tx):
        n = 0
        while not stop.is_set():
            for call in (
                lambda: tx.try_send(Counted()),
                lambda: tx.send(Counted(), timeout=0.001),
                lambda: tx.send_batch([Counted() for _ in range(batch)], timeout=0.001),
                lambda: tx.try_send_batch(Counted() for _ in range(batch)),
                lambda: tx.send_batch((Counted() for _ in range(batch)), timeout=0.001),
            ):
                try:
                    call()
                except (funnelq.Full, funnelq.Timeout, funnelq.Closed):
                    pass
                n += 1
        ops[p] = n

    def consumer():
        while not stop.is_set():
            try:
                rx.recv_batch(4, timeout=0.05)
            except funnelq.Timeout:
                pass
            time.sleep(0.002)

    threads = [start_thread(producer, p, tx.clone()) for p in range(producers)]
    threads.append(start_thread(consumer))
    bound = cap + producers * (batch + 1) + 4
    peak = 0

    def sample(seconds):
        nonlocal peak
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            peak = max(peak, Counted.live)
            time.sleep(0.002)

    sample(0.5)  # warm-up: thread arenas, caches
    rss_before = rss_bytes()
    sample(1.5)
    rss_growth = rss_bytes() - rss_before
    stop.set()
    for t in threads:
        t.join(10)
    assert peak >= cap, "the channel was full (the test measured the case it means to)"
    assert peak <= bound, f"{peak} messages alive, bound {bound}"
    assert sum(ops) > 2_000
    assert rss_growth < 4 * 1024 * 1024, f"RSS grew {rss_growth} bytes over {sum(ops)} calls"
    del tx, rx
    gc.collect()
    assert Counted.live == 0, "every message was released: refused, received or queued"


def test_s15_bounded_memory_many_waiting_senders():
    """64 threads wait in send() on a full channel of 4: the channel holds exactly 4
    messages and each waiter its own one (nothing copied or queued beside the ring), and
    the Python heap grows by no more than the same 64 threads waiting on an Event."""
    waiters, cap = 64, 4
    assert Counted.live == 0

    def heap_with_waiters(block):
        gate = threading.Event()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            threads = [start_thread(block, gate) for _ in range(waiters)]
            time.sleep(0.3)
            grown = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
        return grown, gate, threads

    grown_event, gate, threads = heap_with_waiters(lambda gate: gate.wait())
    gate.set()
    for t in threads:
        t.join(5)

    tx, rx = funnelq.channel(cap)
    for _ in range(cap):
        tx.send(Counted())
    grown_send, _, threads = heap_with_waiters(lambda gate: tx.send(Counted()))
    assert Counted.live == cap + waiters, "the channel holds its capacity, each waiter one"
    assert len(rx) == cap
    extra = grown_send - grown_event
    assert extra < waiters * 1024, f"{extra} bytes of Python heap beyond {waiters} idle waiters"
    got = 0
    while got < cap + waiters:
        got += len(rx.recv_batch(16, timeout=5))
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads)
    assert Counted.live == 0


def test_s15_refused_sends_hand_back_without_leaking():
    """Refused sends of every form leave the caller's object exactly as referenced as
    before (the channel keeps nothing), and items handed back on an exception are the
    caller's again once the exception goes."""
    tx, rx = funnelq.channel(2)
    tx.send_batch(["a", "b"])
    o = object()
    base = sys.getrefcount(o)
    for _ in range(1_000):
        with pytest.raises(funnelq.Full):
            tx.try_send(o)
        with pytest.raises(funnelq.Full):
            tx.try_send_batch([o, o, o])
        with pytest.raises(funnelq.Full):
            tx.try_send_batch(iter([o, o]))
    for _ in range(20):
        with pytest.raises(funnelq.Timeout):
            tx.send(o, timeout=0)
        with pytest.raises(funnelq.Timeout):
            tx.send_batch([o] * 10, timeout=0)
        with pytest.raises(funnelq.Timeout) as info:
            tx.send_batch(iter([o] * 10), timeout=0)
        assert info.value.unsent == [o, o], "read ahead one chunk (the capacity), handed back"
    del info
    assert sys.getrefcount(o) == base
    rx.close()
    with pytest.raises(funnelq.Closed):
        tx.send_batch([o] * 5)
    assert sys.getrefcount(o) == base
