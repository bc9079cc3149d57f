"""The funnelq-nats forward loop in Python: producer threads feed a funnelq
channel, and one asyncio task drains it into a NATS JetStream subject with a
bounded window of in-flight publish acks (nats-py).

    recv (await) + try_recv_batch -> js.publish tasks (Nats-Msg-Id each) -> window

When the window is full the loop waits for the oldest ack instead of
receiving, so the channel fills and the producers' send() waits (the GIL is
released meanwhile): the broker's pace reaches them. A publish whose ack
fails is sent again with the same Nats-Msg-Id, which the stream deduplicates.
At the end the program checks that the stream grew by exactly the number of
messages sent, and exits non-zero otherwise.

    python forward.py --server nats://127.0.0.1:4222 --producers 4 -n 10000
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import sys
import threading
import time
import uuid

import funnelq
import nats
from nats.js.errors import NotFoundError


class Stats:
    def __init__(self) -> None:
        self.stored = 0
        self.duplicates = 0
        self.retries = 0
        self.max_in_flight = 0

    def count(self, ack) -> None:
        if ack.duplicate:
            self.duplicates += 1
        else:
            self.stored += 1


async def publish_again(js, subject, payload, msg_id, stats, retry_for):
    """Publishes again with the same Nats-Msg-Id until acknowledged."""
    deadline = time.monotonic() + retry_for
    pause = 0.02
    while True:
        await asyncio.sleep(pause)
        pause = min(2 * pause, 1.0)
        stats.retries += 1
        try:
            ack = await js.publish(subject, payload, timeout=5, headers={"Nats-Msg-Id": msg_id})
        except Exception as err:  # timeouts, no responders while the server restarts
            if time.monotonic() >= deadline:
                raise RuntimeError(f"message {msg_id} not acknowledged after {retry_for} s") from err
            continue
        stats.count(ack)
        return


async def forward(rx, js, subject, window, batch, retry_for=30.0) -> Stats:
    """Drains rx into subject until end of stream, with at most `window`
    publishes awaiting their ack."""
    stats = Stats()
    prefix = uuid.uuid4().hex  # ids <prefix>-1, <prefix>-2, ...: unique per run
    seq = 0
    in_flight = collections.deque()  # (task, payload, msg_id), oldest first

    async def settle():
        task, payload, msg_id = in_flight.popleft()
        try:
            stats.count(await task)
        except Exception:
            await publish_again(js, subject, payload, msg_id, stats, retry_for)

    while True:
        while len(in_flight) >= window:
            await settle()
        room = min(batch, window - len(in_flight))
        try:
            if in_flight:
                items = rx.try_recv_batch(room)
            else:
                # Nothing in flight: wait for a message (without blocking the
                # event loop), then take what else is ready.
                items = [await rx.recv_async()]
                if room > 1:
                    try:
                        items += rx.try_recv_batch(room - 1)
                    except funnelq.Empty:
                        pass
        except funnelq.Empty:
            await settle()
            continue
        except funnelq.Closed:
            break
        for payload in items:
            seq += 1
            msg_id = f"{prefix}-{seq}"
            task = asyncio.ensure_future(
                js.publish(subject, payload, timeout=5, headers={"Nats-Msg-Id": msg_id})
            )
            in_flight.append((task, payload, msg_id))
        stats.max_in_flight = max(stats.max_in_flight, len(in_flight))
    # End of stream: wait for every outstanding ack.
    while in_flight:
        await settle()
    return stats


def produce(tx, p, n):
    with tx:  # closes this clone's handle when done: the last one ends the stream
        for i in range(n):
            tx.send(f"{p}:{i}".encode())


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    ap.add_argument("--subject", default="funnelq.example.python")
    ap.add_argument("--stream", default="FUNNELQ_EXAMPLE_PYTHON")
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("-n", type=int, default=10000, help="messages per producer")
    ap.add_argument("--window", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--capacity", type=int, default=1024)
    args = ap.parse_args()

    nc = await nats.connect(args.server, name="funnelq-example-python")
    js = nc.jetstream()
    try:
        await js.stream_info(args.stream)
    except NotFoundError:
        await js.add_stream(name=args.stream, subjects=[args.subject])
    before = (await js.stream_info(args.stream)).state.messages

    tx, rx = funnelq.channel(args.capacity)
    with tx:  # released here: the producers hold their own clones
        producers = [
            threading.Thread(target=produce, args=(tx.clone(), p, args.n))
            for p in range(args.producers)
        ]
    started = time.perf_counter()
    for t in producers:
        t.start()
    stats = await forward(rx, js, args.subject, args.window, args.batch)
    elapsed = time.perf_counter() - started
    for t in producers:
        t.join()
    await nc.flush()
    grew = (await js.stream_info(args.stream)).state.messages - before
    await nc.close()

    total = args.producers * args.n
    print(
        f"forwarded {total} messages in {elapsed:.2f} s ({total / elapsed:.0f} msg/s): "
        f"{stats.stored} stored, {stats.duplicates} duplicates, {stats.retries} retries, "
        f"at most {stats.max_in_flight} in flight"
    )
    if grew != total or stats.stored + stats.duplicates != total:
        print(f"forward: stream {args.stream} grew by {grew} messages, expected {total}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
