"""Scenario S22: hostile sizes. Every count, length and timeout a caller passes is checked
before anything is allocated; a batch is read as it is sent, never all at once; the errors
are the documented ValueError/TypeError/MemoryError, never an abort, an OverflowError or a
PanicException (a BaseException that `except Exception` misses)."""

import itertools
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc

import pytest

import funnelq
from conftest import SLACK, Elapsed, start_thread

HUGE = (10**12, 2**62, 2**63 - 1, 2**64, 2**70)


def python_heap_peak(fn):
    """Runs fn() and returns (result, peak bytes of Python heap it allocated)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn()
        return result, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("n", HUGE)
def test_s22_send_batch_huge_range(n):
    """range(10**12) aborted the interpreter (8 TB allocated up front); range(2**62) raised
    PanicException. Now the range is read as it is sent: the try form sends what fits and
    the waiting form waits for a consumer, in constant memory."""
    tx, rx = funnelq.channel(4)
    with Elapsed() as el:
        sent, peak = python_heap_peak(lambda: tx.try_send_batch(range(n)))
    assert sent == 4 and el.seconds < 1
    assert peak < 64 * 1024, f"try_send_batch(range({n})) allocated {peak} bytes"
    assert rx.try_recv_batch(10) == [0, 1, 2, 3]

    tx.send_batch(range(4))
    with pytest.raises(funnelq.Timeout) as info:
        tx.send_batch(range(n), timeout=0.05)
    assert info.value.sent == 0
    # A range is resumed by slicing (unsent is for iterators; a range that len() cannot
    # measure is iterated, and what was read comes back as unsent).
    assert info.value.unsent in ([], [0, 1, 2, 3])

    # With a consumer, a huge range streams through until the channel closes.
    rx.try_recv_batch(10)
    got = []

    def consumer():
        while len(got) < 10_000:
            got.extend(rx.recv_batch(1000, timeout=5))
        rx.close()

    t = start_thread(consumer)
    with pytest.raises(funnelq.Closed) as info:
        tx.send_batch(range(n))
    t.join(10)
    assert got[:10_000] == list(range(10_000))
    assert info.value.sent == len(got) + len(rx)


def test_s22_send_batch_generator_is_streamed():
    """A generator of a billion objects through a channel of 16: the objects alive at any
    time stay bounded by the capacity (the batch is read in chunks, never materialised)."""
    made = itertools.count()

    def objects():
        for i in range(10**9):
            next(made)
            yield [i]

    tx, rx = funnelq.channel(16)
    got = 0

    def consumer():
        nonlocal got
        while got < 50_000:
            got += len(rx.recv_batch(64, timeout=5))
        rx.close()

    t = start_thread(consumer)
    gen = objects()
    with pytest.raises(funnelq.Closed) as info:
        tx.send_batch(gen)
    t.join(10)
    read = next(made)  # how many the generator yielded
    assert info.value.sent == got + len(rx)
    assert read == info.value.sent + len(info.value.unsent)
    assert len(info.value.unsent) <= 16, "read ahead at most one chunk (the capacity)"
    assert next(gen) == [read], "the generator goes on after the last item read"


def test_s22_try_send_batch_reads_an_iterator_only_as_far_as_there_is_room():
    tx, rx = funnelq.channel(4)
    tx.send("queued")
    it = iter(range(100))
    assert tx.try_send_batch(it) == 3
    assert next(it) == 3, "the iterator was not read past what went in"
    with pytest.raises(funnelq.Full) as info:
        tx.try_send_batch(it)
    assert (info.value.sent, info.value.unsent) == (0, [])
    assert next(it) == 4
    assert rx.try_recv_batch(10) == ["queued", 0, 1, 2]
    # A sequence keeps what did not fit: the caller resumes with items[n:].
    items = list(range(10))
    n = tx.try_send_batch(items)
    assert n == 4 and rx.try_recv_batch(10) == items[:n]


def test_s22_batch_unsent_items_are_handed_back():
    """Items read from an iterator that did not go in are on the exception, in order:
    sent + unsent + what the iterator still holds is every item, each exactly once."""
    objs = [object() for _ in range(40)]
    tx, rx = funnelq.channel(8)
    it = iter(objs)
    with pytest.raises(funnelq.Timeout) as info:
        tx.send_batch(it, timeout=0.05)
    e = info.value
    got = rx.try_recv_batch(100)
    assert len(got) == e.sent == 8
    assert got + e.unsent + list(it) == objs
    rx.close()
    it = iter(objs)
    with pytest.raises(funnelq.Closed) as info:
        tx.send_batch(it)
    assert info.value.sent == 0
    assert info.value.unsent + list(it) == objs


def test_s22_batch_iterator_error_sends_what_was_read_first():
    """A generator that raises mid-batch: the items it yielded go in, then its own
    exception propagates unchanged."""

    class Boom(Exception):
        pass

    def gen():
        yield from range(5)
        raise Boom("generator failed")

    tx, rx = funnelq.channel(16)
    with pytest.raises(Boom, match="generator failed"):
        tx.send_batch(gen())
    assert rx.try_recv_batch(100) == [0, 1, 2, 3, 4]
    with pytest.raises(Boom):
        tx.try_send_batch(gen())
    assert rx.try_recv_batch(100) == [0, 1, 2, 3, 4]
    # A non-iterable is a TypeError before anything happens.
    for bad in (5, None, object()):
        with pytest.raises(TypeError):
            tx.send_batch(bad)
        with pytest.raises(TypeError):
            tx.try_send_batch(bad)
    assert len(rx) == 0


@pytest.mark.parametrize(
    "bad", [0, -1, -(2**70), funnelq.MAX_BATCH + 1, 2**63, 2**64, 2**70, 10**100, -(10**100)]
)
def test_s22_recv_batch_huge_max(bad):
    """recv_batch(2**70) raised OverflowError; now every out-of-range max is a ValueError
    naming the bound, for every batch receive, sync and async."""
    import asyncio

    tx, rx = funnelq.channel(4)
    tx.send(1)
    bound = rf"out of range 1\.\.={funnelq.MAX_BATCH}"
    with pytest.raises(ValueError, match=bound):
        rx.recv_batch(bad)
    with pytest.raises(ValueError, match=bound):
        rx.recv_batch(bad, timeout=0)
    with pytest.raises(ValueError, match=bound):
        rx.try_recv_batch(bad)
    with pytest.raises(ValueError, match=bound):
        asyncio.run(rx.recv_batch_async(bad))
    assert rx.recv_batch(funnelq.MAX_BATCH) == [1], "the bound itself is accepted"


def test_s22_recv_batch_max_wrong_type():
    tx, rx = funnelq.channel(4)
    tx.send(1)
    for bad in (True, False, 1.0, "3", None, [3]):
        with pytest.raises(TypeError, match="max must be an int"):
            rx.recv_batch(bad)
        with pytest.raises(TypeError, match="max must be an int"):
            rx.try_recv_batch(bad)

    class Index:
        def __index__(self):
            return 5

    assert rx.recv_batch(Index()) == [1], "anything with __index__ is an int"
    assert funnelq.channel(Index())[0].capacity == 5


def test_s22_bad_capacity():
    for bad in (0, -1, funnelq.MAX_CAPACITY + 1, 2**64, 2**70, -(2**70), 10**100):
        with pytest.raises(ValueError, match=r"capacity .* is out of range 1\.\.=1073741824"):
            funnelq.channel(bad)
    for bad in (True, 1.5, "8", None, b"8"):
        with pytest.raises(TypeError, match="capacity must be an int"):
            funnelq.channel(bad)


def test_s22_hostile_timeouts():
    tx, rx = funnelq.channel(1)
    for bad in (-1, -0.001, float("nan"), float("-inf"), -(10**400)):
        for call in (
            lambda: tx.send(1, timeout=bad),
            lambda: tx.send_batch([1], timeout=bad),
            lambda: tx.put(1, timeout=bad),
            lambda: rx.recv(timeout=bad),
            lambda: rx.recv_batch(1, timeout=bad),
            lambda: rx.get(timeout=bad),
        ):
            with pytest.raises(ValueError, match="timeout"):
                call()
    for bad in ("1", [], object(), 1j):
        with pytest.raises(TypeError, match="timeout must be a number"):
            rx.recv(timeout=bad)
        with pytest.raises(TypeError, match="timeout must be a number"):
            tx.send(1, timeout=bad)
    assert len(rx) == 0, "nothing was enqueued by a refused call"
    # Huge, infinite: wait forever (here the channel is ready, so they return at once).
    for forever in (float("inf"), 10**400, 1e300, sys.float_info.max):
        tx.send("x", timeout=forever)
        assert rx.recv(timeout=forever) == "x"
        assert tx.send_batch(["y"], timeout=forever) == 1
        assert rx.recv_batch(4, timeout=forever) == ["y"]


def test_s22_no_panic_reaches_python():
    """Every hostile call raises an ordinary Exception of a documented type (pyo3's
    PanicException is a BaseException, and SystemError means a broken binding)."""
    documented = (
        funnelq.Full,
        funnelq.Empty,
        funnelq.Closed,
        funnelq.Timeout,
        funnelq.Busy,
        ValueError,
        TypeError,
        MemoryError,
    )
    tx, rx = funnelq.channel(2)
    weird = [2**70, -(2**70), float("nan"), None, "x", object(), range(2**70), (1, 2), True]

    def waits_long(v):  # a valid timeout that would block this test on an empty channel
        return v is None or (isinstance(v, (int, float)) and v >= 1)

    calls = []
    for v in weird:
        calls += [
            lambda v=v: tx.send(v, timeout=v),
            lambda v=v: tx.send_batch(v, timeout=0),
            lambda v=v: tx.try_send_batch(v),
            lambda v=v: rx.recv_batch(v, timeout=0),
            lambda v=v: rx.try_recv_batch(v),
            lambda v=v: rx.recv(timeout=0 if waits_long(v) else v),
            lambda v=v: funnelq.channel(v),
        ]
    for call in calls:
        try:
            call()
        except documented:
            pass
        rx.try_recv_batch(16) if len(rx) else None


def test_s22_channel_out_of_memory():
    """A ring that cannot be allocated (2**30 slots, 16 GiB, under a 2 GiB address-space
    limit) is a MemoryError naming the size, not an abort; the process carries on."""
    code = textwrap.dedent(
        """
        import resource
        limit = 2 * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import funnelq
        try:
            funnelq.channel(funnelq.MAX_CAPACITY)
        except MemoryError as e:
            print("MemoryError:", e)
        else:
            print("allocated")
        tx, rx = funnelq.channel(8)
        tx.send("still fine")
        print(rx.recv())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("MemoryError:"), out.stdout
    assert "1073741824" in lines[0], "the message names the capacity"
    assert lines[1] == "still fine"
