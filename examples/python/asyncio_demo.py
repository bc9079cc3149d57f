"""An asyncio consumer fed by plain threads, and coroutine producers feeding it too.
The coroutine is woken by the channel (no polling); cancelling a receive loses nothing.

    python examples/python/asyncio_demo.py
"""

import asyncio
import threading
import time

import funnelq


def thread_producer(name, tx, n):
    with tx:
        for i in range(n):
            tx.send((name, i))  # waits while full, without blocking the event loop


async def coroutine_producer(name, tx, n):
    with tx:
        for i in range(n):
            await tx.send_async((name, i))


async def main(n=50_000):
    tx, rx = funnelq.channel(256)

    # cancelling an awaiting receive loses no message
    try:
        await asyncio.wait_for(rx.recv_async(), timeout=0.01)
    except asyncio.TimeoutError:
        print("recv_async cancelled by wait_for (nothing sent yet); the receiver stays usable")

    threads = [
        threading.Thread(target=thread_producer, args=(f"thread-{k}", tx.clone(), n))
        for k in range(2)
    ]
    task = asyncio.ensure_future(coroutine_producer("coroutine", tx.clone(), n))
    del tx  # end of stream when all three producers are done

    t0 = time.perf_counter()
    for t in threads:
        t.start()
    counts = {}
    async for name, i in rx:  # ends at end of stream
        assert i == counts.get(name, 0), "per-producer order"
        counts[name] = i + 1
    dt = time.perf_counter() - t0
    await task
    for t in threads:
        t.join()
    total = sum(counts.values())
    assert total == 3 * n, "every message exactly once"
    print(f"asyncio consumer fed by {sorted(counts)}: {total} received, in order per producer, "
          f"{total / dt / 1e6:.2f} M msg/s")


if __name__ == "__main__":
    print("== funnelq demo (Python, asyncio) ==")
    asyncio.run(main())
