"""funnelq from threads: send, try_send hitting Full, recv, close (drain, then end of
stream), and four producer threads feeding one consumer, with the rate.

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
        print("try_send: channel full at capacity", tx.capacity, "- 'c' was not enqueued")
    print("recv:", rx.recv())
    tx.send("c")
    tx.close()  # closes for everyone; what is queued can still be received
    try:
        tx.send("d")
    except funnelq.Closed:
        print("send after close: Closed")
    print("drained after close:", list(rx))  # iteration stops at end of stream
    try:
        rx.recv()
    except funnelq.Closed:
        print("recv after drain: Closed (end of stream)")


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
    print(f"{producers} producers -> 1 consumer: {total} messages in {dt:.3f} s "
          f"({total / dt:,.0f} msg/s), per producer {counts}")

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
    print(f"same with send_batch/recv_batch(256): {total} messages in {dt:.3f} s "
          f"({total / dt:,.0f} msg/s)")


if __name__ == "__main__":
    basics()
    producers_to_one_consumer()
