"""Scenarios S01, S02, S05-S07, S09, S10, S12-S14, S18 and the queue.Queue aliases."""

import gc
import queue
import sys
import threading
import time
import weakref

import pytest

import funnelq
from conftest import SLACK, Elapsed, start_thread


class Obj:
    """A weak-referenceable payload."""

    def __init__(self, n=0):
        self.n = n


def test_s01_capacity():
    tx, rx = funnelq.channel(4)
    for i in range(4):
        tx.try_send(i)
    assert len(rx) == 4 and tx.qsize() == 4 and rx.full() and tx.full()
    with pytest.raises(funnelq.Full):
        tx.try_send(99)
    with pytest.raises(queue.Full):
        tx.put_nowait(99)
    assert len(rx) == 4
    assert tx.capacity == rx.capacity == tx.maxsize == rx.maxsize == 4
    assert [rx.try_recv() for _ in range(4)] == [0, 1, 2, 3]
    with pytest.raises(funnelq.Empty):
        rx.try_recv()


def test_s01_capacity_large():
    # MAX_CAPACITY itself is accepted too, but it allocates its 2**30 slots up front.
    assert funnelq.MAX_CAPACITY == 2**30
    tx, rx = funnelq.channel(2**16)
    assert tx.send_batch(range(2**16)) == 2**16
    with pytest.raises(funnelq.Full):
        tx.try_send(-1)
    assert rx.capacity == len(rx) == 2**16


def test_s02_backpressure():
    tx, rx = funnelq.channel(2)
    tx.send("a")
    tx.send("b")
    done = []

    def blocked_sender(name):
        tx.send(name)
        done.append(name)

    threads = [start_thread(blocked_sender, n) for n in ("c", "d")]
    time.sleep(0.2)
    assert done == [] and len(rx) == 2
    assert rx.recv() == "a"
    deadline = time.monotonic() + 5
    while len(done) < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)
    assert len(done) == 1, "one recv frees exactly one slot"
    assert len(rx) == 2
    assert rx.recv() == "b"
    for t in threads:
        t.join(5)
    assert sorted(done) == ["c", "d"]
    assert sorted([rx.recv(), rx.recv()]) == ["c", "d"]


def test_s05_close_drains():
    tx, rx = funnelq.channel(8)
    for i in range(5):
        tx.send(i)
    assert tx.close() is True
    assert tx.close() is False
    assert rx.closed and tx.closed
    assert [rx.recv() for _ in range(5)] == list(range(5))
    for _ in range(3):
        with pytest.raises(funnelq.Closed):
            rx.recv()
        with pytest.raises(funnelq.Closed):
            rx.try_recv()


def test_s05_close_drains_iteration():
    tx, rx = funnelq.channel(8)
    for i in range(5):
        tx.send(i)
    rx.close()
    assert list(rx) == [0, 1, 2, 3, 4]
    assert list(rx) == []


def test_s06_close_rejects():
    tx, rx = funnelq.channel(8)
    tx2 = tx.clone()
    rx.close()
    for send in (tx.send, tx.try_send, tx2.send, tx.put, tx.put_nowait):
        with pytest.raises(funnelq.Closed):
            send("x")
    assert len(rx) == 0


@pytest.mark.skipif(sys.version_info < (3, 13), reason="queue.ShutDown is 3.13+")
def test_s06_closed_is_queue_shutdown():
    import asyncio

    assert issubclass(funnelq.Closed, queue.ShutDown)
    assert issubclass(funnelq.Closed, asyncio.QueueShutDown)


def test_s07_close_wakes_receiver():
    tx, rx = funnelq.channel(1)
    got = []

    def consumer():
        try:
            rx.recv()
        except funnelq.Closed as e:
            got.append(e)

    t = start_thread(consumer)
    time.sleep(0.1)
    with Elapsed() as el:
        tx.close()
        t.join(5)
    assert len(got) == 1 and el.seconds < SLACK


def test_s07_receiver_close_wakes_its_own_waiting_receive():
    # close(), closed and len() on the Receiver work while another thread is
    # blocked in rx.recv() (the receiver is out of its slot then).
    tx, rx = funnelq.channel(2)
    got = []

    def consumer():
        try:
            rx.recv()
        except funnelq.Closed as e:
            got.append(e)

    t = start_thread(consumer)
    time.sleep(0.1)
    assert not rx.closed
    assert len(rx) == 0
    with Elapsed() as el:
        assert rx.close() is True
        t.join(5)
    assert len(got) == 1 and el.seconds < 0.04 + SLACK
    assert rx.closed and tx.closed
    with pytest.raises(funnelq.Closed):
        tx.try_send(1)


def test_s07_close_wakes_senders():
    tx, rx = funnelq.channel(1)
    tx.send(0)
    errors = []

    def producer():
        try:
            tx.send(1)
        except funnelq.Closed as e:
            errors.append(e)

    threads = [start_thread(producer) for _ in range(3)]
    time.sleep(0.1)
    rx.close()
    for t in threads:
        t.join(5)
    assert len(errors) == 3
    assert rx.recv() == 0
    with pytest.raises(funnelq.Closed):
        rx.recv()


def test_s09_empty():
    tx, rx = funnelq.channel(1)
    with pytest.raises(funnelq.Empty):
        rx.try_recv()
    with pytest.raises(queue.Empty):
        rx.get_nowait()
    with pytest.raises(queue.Empty):
        rx.get(block=False)
    for d in (0.05, 0.3):
        with Elapsed() as el, pytest.raises(funnelq.Timeout):
            rx.recv(timeout=d)
        assert d <= el.seconds < d + SLACK
        with Elapsed() as el, pytest.raises(TimeoutError):
            rx.recv_batch(10, timeout=d)
        assert d <= el.seconds < d + SLACK
    with Elapsed() as el, pytest.raises(queue.Empty):
        rx.get(timeout=0.1)
    assert 0.1 <= el.seconds < 0.1 + SLACK
    with pytest.raises(funnelq.Timeout):
        rx.recv(timeout=0)


def test_s10_timeouts():
    tx, rx = funnelq.channel(1)
    tx.send("only")
    for d in (0.05, 0.3):
        with Elapsed() as el, pytest.raises(funnelq.Timeout):
            tx.send("late", timeout=d)
        assert d <= el.seconds < d + SLACK
    with Elapsed() as el, pytest.raises(queue.Full):
        tx.put("late", timeout=0.1)
    assert 0.1 <= el.seconds < 0.1 + SLACK
    with pytest.raises(funnelq.Timeout) as info:
        tx.send_batch(["a", "b"], timeout=0.05)
    assert info.value.sent == 0
    assert len(rx) == 1 and rx.recv() == "only"
    with pytest.raises(funnelq.Empty):
        rx.try_recv()


def test_s10_timeout_then_success():
    tx, rx = funnelq.channel(1)
    tx.send(1)
    threading.Timer(0.1, rx.recv).start()
    with Elapsed() as el:
        tx.send(2, timeout=5)
    assert 0.09 <= el.seconds < 0.1 + SLACK
    assert rx.recv(timeout=1) == 2


def test_s10_bad_timeouts():
    tx, rx = funnelq.channel(1)
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError):
            rx.recv(timeout=bad)
        with pytest.raises(ValueError):
            tx.send(1, timeout=bad)
    tx.send("x", timeout=float("inf"))
    assert rx.recv(timeout=float("inf")) == "x"


def test_s12_senders_gone():
    tx, rx = funnelq.channel(4)
    tx2 = tx.clone()
    tx.send(1)
    tx2.send(2)
    del tx
    gc.collect()
    assert not rx.closed or len(rx) == 2
    with tx2:
        tx2.send(3)
    # every Sender released (one by refcount, one by `with`): end of stream after draining
    assert rx.recv(timeout=1) == 1
    assert rx.recv(timeout=1) == 2
    assert rx.recv(timeout=1) == 3
    with pytest.raises(funnelq.Closed):
        rx.recv(timeout=1)
    with pytest.raises(funnelq.Closed):
        tx2.send(4)


def test_s12_senders_gone_wakes_receiver():
    tx, rx = funnelq.channel(4)
    result = []

    def consumer():
        result.extend(rx)

    t = start_thread(consumer)
    tx.send("a")
    time.sleep(0.1)
    del tx
    t.join(5)
    assert not t.is_alive() and result == ["a"]


def test_s13_receiver_gone():
    tx, rx = funnelq.channel(8)
    objs = [Obj(i) for i in range(5)]
    refs = [weakref.ref(o) for o in objs]
    payload = object()
    base = sys.getrefcount(payload)
    for o in objs:
        tx.send(o)
    tx.send(payload)
    assert sys.getrefcount(payload) == base + 1
    del objs, o
    assert all(r() is not None for r in refs)
    del rx
    gc.collect()
    assert all(r() is None for r in refs), "queued objects are released"
    assert sys.getrefcount(payload) == base
    with pytest.raises(funnelq.Closed):
        tx.send(Obj())
    with pytest.raises(funnelq.Closed):
        tx.try_send(Obj())
    assert tx.closed


def test_s13_receiver_with_block_releases():
    tx, rx = funnelq.channel(8)
    o = Obj()
    r = weakref.ref(o)
    with rx:
        tx.send(o)
        del o
    assert r() is None
    assert rx.closed and tx.closed
    with pytest.raises(funnelq.Closed):
        rx.try_recv()
    with pytest.raises(funnelq.Closed):
        tx.send(1)


def test_s13_refused_send_releases_message():
    tx, rx = funnelq.channel(1)
    tx.send(0)
    o = Obj()
    base = sys.getrefcount(o)
    for _ in range(100):
        with pytest.raises(funnelq.Full):
            tx.try_send(o)
    with pytest.raises(funnelq.Timeout):
        tx.send(o, timeout=0.01)
    rx.close()
    with pytest.raises(funnelq.Closed):
        tx.send(o)
    assert sys.getrefcount(o) == base


def test_s14_bad_input():
    for bad in (0, -1, 2**30 + 1, 2**70, -(2**70)):
        with pytest.raises(ValueError, match=r"out of range 1\.\.=1073741824"):
            funnelq.channel(bad)
    for bad in (1.5, "8", None, True):
        with pytest.raises(TypeError):
            funnelq.channel(bad)
    tx, rx = funnelq.channel(1)
    for bad in (0, -1, -(2**70), 2**70):
        with pytest.raises(ValueError, match=r"out of range 1\.\.=1048576"):
            rx.recv_batch(bad)
    with pytest.raises(ValueError, match="out of range"):
        rx.try_recv_batch(-5)
    with pytest.raises(TypeError):
        tx.send_batch(5)
    with pytest.raises(TypeError):
        tx.send()


def test_s14_busy_second_receiver():
    tx, rx = funnelq.channel(1)
    started = threading.Event()
    got = []

    def consumer():
        started.set()
        got.append(rx.recv(timeout=5))

    t = start_thread(consumer)
    started.wait()
    time.sleep(0.1)
    for call in (rx.recv, rx.try_recv, lambda: rx.recv_batch(4), rx.get_nowait):
        with pytest.raises(funnelq.Busy):
            call()
        with pytest.raises(RuntimeError):
            call()
    tx.send("x")
    t.join(5)
    assert got == ["x"]
    tx.send("y")
    assert rx.try_recv() == "y", "the receiver is usable again"


def test_s18_batch():
    tx, rx = funnelq.channel(8)
    assert tx.send_batch(range(5)) == 5
    assert tx.try_send_batch(range(5, 20)) == 3, "longest prefix that fits"
    with pytest.raises(funnelq.Full):
        tx.try_send_batch([99])
    assert tx.try_send_batch([]) == 0
    assert rx.recv_batch(3) == [0, 1, 2]
    assert rx.try_recv_batch(100) == [3, 4, 5, 6, 7]
    with pytest.raises(funnelq.Empty):
        rx.try_recv_batch(4)


def test_s18_batch_waits_and_closes():
    tx, rx = funnelq.channel(4)
    got = []

    def consumer():
        for batch in iter(lambda: rx.recv_batch(3, timeout=5), None):
            got.extend(batch)
            if got[-1] == 999:
                break

    t = start_thread(consumer)
    assert tx.send_batch(range(1000)) == 1000
    t.join(10)
    assert got == list(range(1000))
    tx.send_batch(range(4))
    tx.close()
    with pytest.raises(funnelq.Closed) as info:
        tx.send_batch(range(3))
    assert info.value.sent == 0
    assert rx.recv_batch(10) == [0, 1, 2, 3]
    with pytest.raises(funnelq.Closed):
        rx.recv_batch(10)


def test_s18_batch_closed_midway_reports_prefix():
    tx, rx = funnelq.channel(2)
    threading.Timer(0.2, rx.close).start()
    with pytest.raises(funnelq.Closed) as info:
        tx.send_batch(range(10))
    assert info.value.sent == 2
    assert rx.recv_batch(10) == [0, 1]


def test_queue_aliases():
    tx, rx = funnelq.channel(3)
    assert tx.empty() and rx.empty() and not rx.full()
    tx.put(1)
    tx.put(2, block=True, timeout=1)
    tx.put_nowait(3)
    with pytest.raises(queue.Full):
        tx.put(4, block=False)
    assert tx.full() and rx.qsize() == 3
    assert rx.get() == 1
    assert rx.get(True, 1) == 2
    assert rx.get_nowait() == 3
    with pytest.raises(queue.Empty):
        rx.get(block=False)


def test_exceptions_hierarchy():
    assert issubclass(funnelq.Full, queue.Full)
    assert issubclass(funnelq.Empty, queue.Empty)
    assert issubclass(funnelq.Timeout, TimeoutError)
    assert issubclass(funnelq.Busy, RuntimeError)
    assert issubclass(funnelq.Closed, Exception)
    for e in (funnelq.Full, funnelq.Empty, funnelq.Closed, funnelq.Timeout, funnelq.Busy):
        assert e.__module__ == "funnelq" and e.__doc__
    assert str(funnelq.Full("channel is full")) == "channel is full"


def test_misc_surface():
    tx, rx = funnelq.channel(5)
    assert bool(tx) and bool(rx), "empty channels are not falsy"
    assert "capacity=5" in repr(tx) and "capacity=5" in repr(rx)
    import copy

    tx3 = copy.copy(tx)
    tx3.send(1)
    assert len(tx) == 1
    assert funnelq.__version__
    for name in funnelq.__all__:
        assert getattr(funnelq, name) is not None
    for obj in (funnelq.channel, funnelq.Sender, funnelq.Receiver, funnelq.Sender.send,
                funnelq.Receiver.recv, funnelq.Receiver.recv_async, funnelq.Sender.send_async):
        assert obj.__doc__ and len(obj.__doc__) > 20, obj


def test_s05_none_is_a_message():
    """None travels like any object; only end of stream stops iteration."""
    tx, rx = funnelq.channel(4)
    for m in (None, 0, None):
        tx.send(m)
    tx.close()
    assert list(rx) == [None, 0, None]
