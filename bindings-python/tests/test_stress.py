"""Scenarios S03, S04, S08, S11, S15: many threads, every message counted."""

import threading
import time

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


def test_s15_bounded_memory():
    """Producers far outpace a slow consumer: len never exceeds capacity."""
    cap = 8
    tx, rx = funnelq.channel(cap)
    stop = threading.Event()

    def producer(tx):
        while not stop.is_set():
            try:
                tx.send(object(), timeout=0.05)
            except (funnelq.Timeout, funnelq.Closed):
                pass

    threads = [start_thread(producer, tx.clone()) for _ in range(4)]
    peak = 0
    for _ in range(200):
        peak = max(peak, len(rx))
        rx.recv(timeout=5)
        time.sleep(0.0005)
    stop.set()
    rx.close()
    for t in threads:
        t.join(5)
    assert peak <= cap
