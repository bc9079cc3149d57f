"""Throughput of funnelq beside queue.Queue, queue.SimpleQueue and asyncio.Queue.

    python bench/bench.py            # ~30 s on 2 cores; prints a Markdown table
    python bench/bench.py --messages 50000 --repeat 1   # quicker

Every run moves small objects (ints) from P producer threads to one consumer thread
(or coroutine) and reports messages per second (best of --repeat runs). queue.SimpleQueue is
unbounded, so it has no capacity column of its own: it is run once per producer count.
A benchmark, not a test: numbers depend on the machine and its load.
"""

import argparse
import asyncio
import platform
import queue
import sys
import threading
import time

import funnelq

BATCH = 256


def run_threads(producers, total, make, produce, consume):
    """Start `producers` threads running produce(handle, count), consume in this thread."""
    per = total // producers
    handles, consumer_end = make(producers)
    start = threading.Barrier(producers + 1)

    def body(h):
        start.wait()
        produce(h, per)

    threads = [threading.Thread(target=body, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    got = consume(consumer_end, per * producers)
    dt = time.perf_counter() - t0
    for t in threads:
        t.join()
    assert got == per * producers, (got, per * producers)
    return got / dt


# ---- funnelq, one message at a time ---------------------------------------------------
def fq_make(cap):
    def make(producers):
        tx, rx = funnelq.channel(cap)
        return [tx.clone() for _ in range(producers)], rx

    return make


def fq_produce(tx, n):
    send = tx.send
    for i in range(n):
        send(i)


def fq_consume(rx, n):
    recv = rx.recv
    for _ in range(n):
        recv()
    return n


# ---- funnelq, batches ------------------------------------------------------------------
def fq_produce_batch(tx, n):
    send_batch = tx.send_batch
    chunk = list(range(BATCH))
    for _ in range(n // BATCH):
        send_batch(chunk)
    send_batch(range(n % BATCH))


def fq_consume_batch(rx, n):
    recv_batch = rx.recv_batch
    got = 0
    while got < n:
        got += len(recv_batch(BATCH))
    return got


# ---- stdlib queues -----------------------------------------------------------------------
def q_make(factory):
    def make(producers):
        q = factory()
        return [q] * producers, q

    return make


def q_produce(q, n):
    put = q.put
    for i in range(n):
        put(i)


def q_consume(q, n):
    get = q.get
    for _ in range(n):
        get()
    return n


# ---- asyncio -------------------------------------------------------------------------------
def async_fq_coroutines(cap, total):
    async def main():
        tx, rx = funnelq.channel(cap)

        async def producer():
            send = tx.send_async
            for i in range(total):
                await send(i)

        async def consumer():
            recv = rx.recv_async
            for _ in range(total):
                await recv()

        t0 = time.perf_counter()
        await asyncio.gather(producer(), consumer())
        return total / (time.perf_counter() - t0)

    return asyncio.run(main())


def async_aq_coroutines(cap, total):
    async def main():
        q = asyncio.Queue(cap)

        async def producer():
            put = q.put
            for i in range(total):
                await put(i)

        async def consumer():
            get = q.get
            for _ in range(total):
                await get()

        t0 = time.perf_counter()
        await asyncio.gather(producer(), consumer())
        return total / (time.perf_counter() - t0)

    return asyncio.run(main())


def async_fq_thread_to_coroutine(cap, total):
    async def main():
        tx, rx = funnelq.channel(cap)
        t = threading.Thread(target=fq_produce, args=(tx, total))
        t0 = time.perf_counter()
        t.start()
        recv = rx.recv_async
        for _ in range(total):
            await recv()
        dt = time.perf_counter() - t0
        t.join()
        return total / dt

    return asyncio.run(main())


def async_aq_thread_to_coroutine(cap, total):
    # asyncio.Queue is not thread-safe: a thread must hand each item to the loop with
    # call_soon_threadsafe, and then the queue cannot push back (unbounded in practice).
    async def main():
        loop = asyncio.get_running_loop()
        q = asyncio.Queue()

        def producer():
            call = loop.call_soon_threadsafe
            put = q.put_nowait
            for i in range(total):
                call(put, i)

        t = threading.Thread(target=producer)
        t0 = time.perf_counter()
        t.start()
        get = q.get
        for _ in range(total):
            await get()
        dt = time.perf_counter() - t0
        t.join()
        return total / dt

    return asyncio.run(main())


def best(repeat, fn, *args):
    return max(fn(*args) for _ in range(repeat))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=200_000, help="messages per run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per row (best is kept)")
    args = ap.parse_args()
    n, rep = args.messages, args.repeat
    print(f"Python {platform.python_version()} ({sys.implementation.name}), funnelq "
          f"{funnelq.__version__}, {n} small ints per run, best of {rep}\n")
    print("| form | producers | capacity | funnelq msg/s | queue.Queue msg/s | "
          "queue.SimpleQueue msg/s | funnelq / Queue | funnelq / SimpleQueue |")
    print("|---|---|---|---|---|---|---|---|")
    simple = {}
    for producers in (1, 2, 4):
        simple[producers] = best(rep, run_threads, producers, n,
                                 q_make(queue.SimpleQueue), q_produce, q_consume)
    for cap in (1024, 16):
        for producers in (1, 2, 4):
            fq = best(rep, run_threads, producers, n, fq_make(cap), fq_produce, fq_consume)
            qq = best(rep, run_threads, producers, n,
                      q_make(lambda: queue.Queue(cap)), q_produce, q_consume)
            sq = simple[producers]
            print(f"| threads, send/recv | {producers} | {cap} | {fq:,.0f} | {qq:,.0f} | "
                  f"{sq:,.0f} | {fq / qq:.1f}x | {fq / sq:.2f}x |", flush=True)
    for cap in (1024, 16):
        for producers in (1, 2, 4):
            fq = best(rep, run_threads, producers, n, fq_make(cap),
                      fq_produce_batch, fq_consume_batch)
            qq = best(rep, run_threads, producers, n,
                      q_make(lambda: queue.Queue(cap)), q_produce, q_consume)
            sq = simple[producers]
            print(f"| threads, send_batch/recv_batch({BATCH}) | {producers} | {cap} | "
                  f"{fq:,.0f} | {qq:,.0f} | {sq:,.0f} | {fq / qq:.1f}x | {fq / sq:.2f}x |",
                  flush=True)
    print("\n| async form | capacity | funnelq msg/s | asyncio.Queue msg/s | ratio |")
    print("|---|---|---|---|---|")
    for cap in (1024, 16):
        fq = best(rep, async_fq_coroutines, cap, n // 2)
        aq = best(rep, async_aq_coroutines, cap, n // 2)
        print(f"| coroutine -> coroutine (one loop) | {cap} | {fq:,.0f} | {aq:,.0f} | "
              f"{fq / aq:.2f}x |", flush=True)
    fq = best(rep, async_fq_thread_to_coroutine, 1024, n // 2)
    aq = best(rep, async_aq_thread_to_coroutine, 1024, n // 2)
    print(f"| thread -> coroutine (asyncio.Queue: call_soon_threadsafe, unbounded) | 1024 | "
          f"{fq:,.0f} | {aq:,.0f} | {fq / aq:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
