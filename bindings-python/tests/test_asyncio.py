"""asyncio forms: thread producers with a coroutine consumer and the other way round;
cancellation loses and duplicates nothing (S16)."""

import asyncio
import threading
import time

import pytest

import funnelq
from conftest import start_thread


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def test_async_basic():
    async def main():
        tx, rx = funnelq.channel(2)
        await tx.send_async(1)
        await tx.send_async(2)
        assert await rx.recv_async() == 1
        assert await rx.recv_async() == 2
        tx.close()
        with pytest.raises(funnelq.Closed):
            await rx.recv_async()
        with pytest.raises(funnelq.Closed):
            await tx.send_async(3)

    run(main())


def test_async_threads_to_coroutine():
    """4 producer threads, one coroutine consumer with `async for` (woken, not polling)."""
    n = 20_000
    tx, rx = funnelq.channel(64)

    def producer(p, tx):
        with tx:
            for i in range(n):
                tx.send((p, i))

    senders = [tx.clone() for _ in range(4)]
    del tx  # the stream ends when the 4 producers leave their `with` blocks

    async def main():
        threads = [start_thread(producer, p, s) for p, s in enumerate(senders)]
        senders.clear()
        seen = [0] * 4
        async for p, i in rx:
            assert i == seen[p]
            seen[p] += 1
        for t in threads:
            t.join(5)
        return seen

    seen = run(main())
    assert seen == [n] * 4


def test_async_idle_consumer_is_woken():
    """A coroutine waiting on an empty channel wakes for a message sent by a thread later."""
    tx, rx = funnelq.channel(4)

    async def main():
        threading.Timer(0.2, tx.send, args=("late",)).start()
        t0 = time.monotonic()
        got = await rx.recv_async()
        return got, time.monotonic() - t0

    got, waited = run(main())
    assert got == "late" and 0.19 <= waited < 1.7


def test_async_coroutines_to_thread():
    """Coroutine producers (send_async waits while full), a plain thread consumer."""
    n = 5_000
    tx, rx = funnelq.channel(8)
    got = []
    consumer = start_thread(lambda: got.extend(rx))

    async def producer(p, tx):
        for i in range(n):
            await tx.send_async((p, i))

    async def main():
        senders = [tx.clone() for _ in range(3)]
        await asyncio.gather(*(producer(p, s) for p, s in enumerate(senders)))
        tx.close()

    run(main())
    consumer.join(10)
    assert len(got) == 3 * n
    for p in range(3):
        assert [i for q, i in got if q == p] == list(range(n))


def test_async_send_waits_for_thread_consumer():
    tx, rx = funnelq.channel(1)

    timer = threading.Timer(0.2, rx.recv)

    async def main():
        await tx.send_async(0)
        timer.start()
        t0 = time.monotonic()
        await tx.send_async(1)
        return time.monotonic() - t0

    waited = run(main())
    assert 0.19 <= waited < 1.7
    # The timer's recv() wakes this send from inside the call; it may not have returned
    # yet, and a receive beside it would be a second concurrent receive (Busy).
    timer.join(5)
    assert rx.recv(timeout=1) == 1


def test_s07_receiver_close_wakes_its_own_awaiting_receive():
    tx, rx = funnelq.channel(2)

    async def main():
        task = asyncio.ensure_future(rx.recv_async())
        await asyncio.sleep(0.05)
        assert not task.done()
        t0 = time.monotonic()
        assert rx.close() is True
        with pytest.raises(funnelq.Closed):
            await task
        return time.monotonic() - t0

    assert run(main()) < 2.0
    assert tx.closed


def test_s16_cancel_recv_loses_nothing():
    tx, rx = funnelq.channel(4)

    async def main():
        task = asyncio.ensure_future(rx.recv_async())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        tx.send("kept")
        assert rx.try_recv() == "kept", "receiver usable, message not lost"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(rx.recv_async(), 0.05)
        tx.send("kept2")
        assert await rx.recv_async() == "kept2"

    run(main())


def test_s16_cancel_send_not_enqueued():
    tx, rx = funnelq.channel(1)

    async def main():
        await tx.send_async("first")
        task = asyncio.ensure_future(tx.send_async("cancelled"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert rx.try_recv() == "first"
        with pytest.raises(funnelq.Empty):
            rx.try_recv()
        await tx.send_async("third")
        assert rx.try_recv() == "third"

    run(main())


async def _cancel_soon(awaitable, delay):
    """Run `awaitable` as a task, cancel it after `delay` unless done; return
    (completed, result). asyncio.wait does not cancel, so a result is never dropped."""
    task = asyncio.ensure_future(awaitable)
    await asyncio.wait({task}, timeout=delay)
    task.cancel()
    (outcome,) = await asyncio.gather(task, return_exceptions=True)
    if isinstance(outcome, asyncio.CancelledError):
        return False, None
    if isinstance(outcome, BaseException):
        raise outcome
    return True, outcome


def test_s16_cancellation_race_counts():
    """Receives cancelled at random moments while a thread sends: each message once."""
    n = 3_000
    tx, rx = funnelq.channel(4)

    def producer():
        for i in range(n):
            tx.send(i)
            if i % 50 == 0:
                time.sleep(0.001)
        tx.close()

    async def main():
        start_thread(producer)
        got = []
        while True:
            try:
                done, value = await _cancel_soon(rx.recv_async(), 0.0005)
            except funnelq.Closed:
                return got
            if done:
                got.append(value)

    got = run(main())
    assert got == list(range(n))


def test_s16_send_cancellation_race_counts():
    """Sends cancelled at random moments: delivered == reported as sent."""
    tx, rx = funnelq.channel(2)
    got = []
    stop = threading.Event()

    def consumer():
        while not stop.is_set() or len(rx):
            try:
                got.append(rx.recv(timeout=0.01))
            except (funnelq.Timeout, funnelq.Closed):
                pass
            time.sleep(0.0002)

    async def main():
        c = start_thread(consumer)
        sent = []
        for i in range(2_000):
            done, _ = await _cancel_soon(tx.send_async(i), 0.0005)
            if done:
                sent.append(i)
        stop.set()
        c.join(10)
        return sent

    sent = run(main())
    assert len(sent) > 0
    assert got == sent


def test_async_busy():
    tx, rx = funnelq.channel(1)

    async def main():
        task = asyncio.ensure_future(rx.recv_async())
        await asyncio.sleep(0.02)
        with pytest.raises(funnelq.Busy):
            rx.try_recv()
        with pytest.raises(funnelq.Busy):
            await rx.recv_async()
        await tx.send_async(5)
        assert await task == 5

    run(main())


def test_s18_async_batches():
    """send_batch_async / recv_batch_async: prefixes in order, the send waits for room
    without blocking the loop, end of stream, and the hostile-size checks of S22."""
    tx, rx = funnelq.channel(4)

    async def main():
        consumer_got = []

        async def consumer():
            while True:
                try:
                    batch = await rx.recv_batch_async(3)
                except funnelq.Closed:
                    return
                assert 1 <= len(batch) <= 3
                consumer_got.extend(batch)

        c = asyncio.ensure_future(consumer())
        assert await tx.send_batch_async(range(100)) == 100
        assert await tx.send_batch_async(x * 2 for x in range(10)) == 10
        assert await tx.send_batch_async([]) == 0
        tx.close()
        await c
        assert consumer_got == list(range(100)) + [x * 2 for x in range(10)]
        with pytest.raises(funnelq.Closed) as info:
            await tx.send_batch_async(iter([1, 2]))
        assert info.value.sent == 0 and info.value.unsent == [1, 2]
        with pytest.raises(TypeError):
            await tx.send_batch_async(5)
        with pytest.raises(ValueError, match=r"out of range 1\.\.=1048576"):
            await rx.recv_batch_async(2**70)
        with pytest.raises(TypeError):
            await rx.recv_batch_async(2.0)

    run(main())


def test_s16_cancel_send_batch_async_reports_progress():
    """A cancelled send_batch_async: the CancelledError says how many went in (`sent`) and
    hands back what it read from an iterator (`unsent`); nothing lost or sent twice."""
    tx, rx = funnelq.channel(4)
    items = list(range(10))

    async def main():
        it = iter(items)
        task = asyncio.ensure_future(tx.send_batch_async(it))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as info:
            await task
        e = info.value
        got = rx.try_recv_batch(100)
        assert e.sent == len(got) == 4
        assert got + e.unsent + list(it) == items
        # A list: sent says where to resume.
        task = asyncio.ensure_future(tx.send_batch_async(items))
        await asyncio.sleep(0.02)
        assert rx.try_recv_batch(2) == [0, 1]
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError) as info:
            await task
        assert info.value.sent == 6 and info.value.unsent == []
        assert rx.try_recv_batch(100) == items[2:6]

    run(main())


def test_s16_cancel_recv_batch_async_loses_nothing():
    """recv_batch_async cancelled at random moments while a thread sends: each message
    arrives exactly once, in order."""
    n = 3_000
    tx, rx = funnelq.channel(8)

    def producer():
        for start in range(0, n, 7):
            tx.send_batch(range(start, min(start + 7, n)))
            if start % 70 == 0:
                time.sleep(0.001)
        tx.close()

    async def main():
        start_thread(producer)
        got = []
        while True:
            try:
                done, value = await _cancel_soon(rx.recv_batch_async(5), 0.0005)
            except funnelq.Closed:
                return got
            if done:
                assert 1 <= len(value) <= 5
                got.extend(value)

    assert run(main()) == list(range(n))
