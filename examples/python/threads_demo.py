"""funnelq from threads: send, try_send hitting Full, recv, a send that waits for a free
slot (backpressure), close (drain, then end of stream), and four producer threads feeding
one consumer, with the rate.

    python examples/python/threads_demo.py
"""

import threading
import time

import funnelq


def basics():
    tx, rx = funnelq.channel(2)
    tx.send("a")  # waits while full (GIL released, Ctrl-C works)
    tx.send("b")
    try:
        tx.try_send("c")  # never waits
    except funnelq.Full:  # a queue.Full too
        print(f"try_send('c') -> Full: capacity {tx.capacity} reached, nothing enqueued")

    # backpressure: a send on the full channel waits until recv frees a slot
    waited = []

    def send_timed():
        t0 = time.perf_counter()
        tx.send("c")
        waited.append(time.perf_counter() - t0)

    waiter = threading.Thread(target=send_timed)
    waiter.start()
    time.sleep(0.05)
    print(f"recv() -> {rx.recv()!r}")
    waiter.join()
    print(f"send('c') waited {waited[0] * 1e3:.0f} ms for that slot (backpressure)")

    tx.close()  # closes for everyone; what is queued can still be received
    try:
        tx.send("d")
    except funnelq.Closed:
        print("close(); send('d') -> Closed")
    print("drained after close:", list(rx))  # iteration stops at end of stream
    try:
        rx.recv()
    except funnelq.Closed:
        print("recv() -> Closed (end of stream)")


def producers_to_one_consumer(producers=4, per_producer=100_000, capacity=1024):
    tx, rx = funnelq.channel(capacity)

    def produce(p, tx):
        with tx:  # leaving the block releases this Sender
            for i in range(per_producer):
                tx.send((p, i))

    threads = [
        threading.Thread(target=produce, args=(p, tx.clone())) for p in range(producers)
    ]
    del tx  # the stream ends once every producer has released its Sender
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    counts = [0] * producers
    for p, i in rx:
        assert i == counts[p], "per-producer order"
        counts[p] += 1
    dt = time.perf_counter() - t0
    for t in threads:
        t.join()
    total = sum(counts)
    assert counts == [per_producer] * producers, "every message exactly once"
    print(f"{producers} producers x {per_producer} messages through capacity {capacity}: "
          f"{total} received, in order per producer {counts}, {total / dt / 1e6:.1f} M msg/s")

    # the batch forms move many objects per call
    tx, rx = funnelq.channel(capacity)
    items = list(range(256))

    def produce_batches(tx):
        with tx:
            for _ in range(per_producer // 256):
                tx.send_batch(items)

    threads = [threading.Thread(target=produce_batches, args=(tx.clone(),)) for _ in range(producers)]
    del tx
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    total = 0
    while True:
        try:
            total += len(rx.recv_batch(256))
        except funnelq.Closed:
            break
    dt = time.perf_counter() - t0
    for t in threads:
        t.join()
    print(f"same with send_batch/recv_batch(256): {total} received, {total / dt / 1e6:.1f} M msg/s")


if __name__ == "__main__":
    print("== funnelq demo (Python, threads) ==")
    basics()
    producers_to_one_consumer()
