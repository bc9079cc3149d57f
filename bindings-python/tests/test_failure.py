"""Scenario S21: a thread that dies, is stopped from outside or is interrupted while it sends,
receives or waits costs no other participant a message or its progress.

Interrupts are raised inside a funnelq call only between two waits, when nothing was taken
or sent. CPython may also raise one between two bytecodes, just after a call returned and
before its result is stored; these tests receive through C-level loops (`list.extend`),
where no bytecode runs between a receive and the append, so that every message is counted."""

import _thread
import ctypes
import functools
import itertools
import random
import signal
import threading
import time

import pytest

import funnelq
from conftest import start_thread


class Stop(Exception):
    """Raised in a thread from outside, as a supervisor stops a worker."""


def stop_thread(thread):
    """Raises Stop in `thread` (PyThreadState_SetAsyncExc)."""
    n = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(Stop)
    )
    assert n == 1, "the thread is alive"


class SigintHandler:
    """A SIGINT handler that raises KeyboardInterrupt only while armed (so that an interrupt
    landing in the test's own bookkeeping is dropped rather than raised there)."""

    def __init__(self):
        self.armed = False

    def __call__(self, signum, frame):
        if self.armed:
            raise KeyboardInterrupt

    def __enter__(self):
        self.old = signal.signal(signal.SIGINT, self)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self.old)
        return False


def interrupter(stop, low, high, seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        time.sleep(rnd.uniform(low, high))
        _thread.interrupt_main()


class Gate:
    """Opens for 40 ms, closes for 80 ms, until stopped: producers that pass it before each
    batch leave the receiver quiet windows longer than a wait slice (50 ms), where it waits
    (and where interrupts land), between bursts where it receives."""

    def __init__(self):
        self.open = threading.Event()
        self.stopped = threading.Event()
        self.thread = start_thread(self._run)

    def _run(self):
        while not self.stopped.is_set():
            self.open.set()
            time.sleep(0.04)
            self.open.clear()
            time.sleep(0.08)
        self.open.set()

    def close(self):
        self.stopped.set()
        self.thread.join(5)


def bursty_producer(p, tx, per, seed, gate):
    """Sends (p, 0..per) in batches of 1 to 20, passing `gate` before each."""
    rnd = random.Random(seed)
    with tx:
        i = 0
        while i < per:
            gate.open.wait()
            n = rnd.randint(1, 20)
            tx.send_batch([(p, j) for j in range(i, min(i + n, per))])
            i += n
            time.sleep(rnd.choice([0.002, 0.005, 0.01]))


def assert_per_producer(received, producers, per):
    for p in range(producers):
        seq = [j for q, j in received if q == p]
        assert seq == list(range(per)), f"producer {p}: lost, duplicated or reordered"
    assert len(received) == producers * per


@pytest.mark.parametrize("form", ["iterate", "recv_batch"])
def test_s21_interrupted_receive_loses_nothing(form):
    """Ctrl-C lands in a receive again and again while producers send: each interrupted
    receive took nothing, the receiver stays usable (not Busy), and every message arrives
    exactly once, in order per producer."""
    producers, per = 3, 600
    tx, rx = funnelq.channel(8)
    gate = Gate()
    threads = [
        start_thread(bursty_producer, p, tx.clone(), per, p, gate) for p in range(producers)
    ]
    del tx
    stop = threading.Event()
    received = []
    interrupts = 0
    if form == "iterate":
        stream = lambda: rx  # noqa: E731
    else:
        stream = lambda: itertools.chain.from_iterable(  # noqa: E731
            iter(functools.partial(rx.recv_batch, 16), None)
        )
    with SigintHandler() as handler:
        ticker = start_thread(interrupter, stop, 0.002, 0.03, 7)
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                try:
                    handler.armed = True
                    received.extend(stream())
                    handler.armed = False
                    break
                except funnelq.Closed:  # recv_batch at end of stream
                    handler.armed = False
                    break
                except KeyboardInterrupt:
                    handler.armed = False
                    interrupts += 1
        finally:
            stop.set()
            ticker.join(5)
            gate.close()
    for t in threads:
        t.join(10)
    assert interrupts >= 3, f"only {interrupts} interrupts landed in a receive"
    assert_per_producer(received, producers, per)


def test_s21_interrupted_send_batch_reports_progress():
    """Ctrl-C lands in batch sends waiting on a slow consumer: the KeyboardInterrupt says
    exactly how many items went in (`sent`) and hands back what was read from an iterator
    (`unsent`); what the consumer got is exactly that, nothing lost or doubled."""
    tx, rx = funnelq.channel(16)
    got = []

    def consumer():
        while True:
            try:
                got.extend(rx.recv_batch(4, timeout=10))
            except funnelq.Closed:
                return
            time.sleep(0.003)

    c = start_thread(consumer)
    outcomes = []
    stop = threading.Event()
    with SigintHandler() as handler:
        ticker = start_thread(interrupter, stop, 0.005, 0.04, 11)
        try:
            for k in range(40):
                batch = [(k, i) for i in range(50)]
                source = batch if k % 2 == 0 else iter(batch)
                try:
                    handler.armed = True
                    tx.send_batch(source)
                    handler.armed = False
                    outcomes.append((k, batch, "all", None, source))
                except KeyboardInterrupt as e:
                    handler.armed = False
                    if hasattr(e, "sent"):
                        outcomes.append((k, batch, e.sent, e.unsent, source))
                    else:  # raised between bytecodes, outside the call
                        outcomes.append((k, batch, "unknown", None, source))
        finally:
            stop.set()
            ticker.join(5)
    tx.close()
    c.join(10)
    assert got == sorted(got), "one producer: its order is kept"
    inside = 0
    for k, batch, sent, unsent, source in outcomes:
        mine = [item for item in got if item[0] == k]
        if sent == "all":
            assert mine == batch
        elif sent == "unknown":
            assert mine in (batch, []), "outside a call: the batch went in whole or not at all"
        else:
            inside += 1
            assert mine == batch[:sent], f"batch {k}: sent={sent}, got {len(mine)}"
            if source is batch:
                assert unsent == []
            else:
                assert unsent + list(source) == batch[sent:], "unsent, then the iterator"
    assert inside >= 3, f"only {inside} interrupts landed inside send_batch"


def test_s21_thread_stopped_while_receiving_loses_nothing():
    """Consumer threads are stopped from outside (an asynchronous exception) while
    producers send; each ends within a second, and the next consumer carries on: every
    message is received exactly once, in order per producer."""
    producers, per = 3, 600
    tx, rx = funnelq.channel(8)
    gate = Gate()
    threads = [
        start_thread(bursty_producer, p, tx.clone(), per, 100 + p, gate)
        for p in range(producers)
    ]
    del tx
    parts = []
    done = threading.Event()
    latencies = []

    def consumer(part):
        try:
            part.extend(rx)  # no bytecode between a receive and its append
            done.set()
        except Stop:
            pass

    rnd = random.Random(5)
    deadline = time.monotonic() + 60
    while not done.is_set() and time.monotonic() < deadline:
        part = []
        parts.append(part)
        t = start_thread(consumer, part)
        time.sleep(rnd.uniform(0.01, 0.15))
        if done.is_set():
            break
        t0 = time.monotonic()
        stop_thread(t)
        t.join(2)
        assert not t.is_alive(), "a consumer stopped from outside ends"
        latencies.append(time.monotonic() - t0)
    gate.close()
    for t in threads:
        t.join(10)
    assert done.is_set()
    assert len(latencies) >= 3
    assert max(latencies) < 1.0, f"a stopped consumer took {max(latencies):.2f} s to end"
    assert_per_producer([m for part in parts for m in part], producers, per)


def test_s21_thread_stopped_while_sending():
    """Producers waiting on a full channel are stopped from outside: each ends within a
    second; a stopped send() enqueued nothing, a stopped send_batch() reports `sent` and
    `unsent` on the exception; the other producers are not held up and nothing is lost."""
    cap = 4
    tx, rx = funnelq.channel(cap)
    tx.send_batch(["pre"] * cap)
    outcome = {}

    def single(name):
        try:
            tx.send(name)
            outcome[name] = "sent"
        except Stop:
            outcome[name] = "stopped"

    def batch(name):
        items = iter([(name, i) for i in range(20)])
        try:
            tx.send_batch(items)
            outcome[name] = ("sent", 20)
        except Stop as e:
            outcome[name] = ("stopped", e.sent, e.unsent, list(items))

    a = start_thread(single, "a")
    b = start_thread(single, "b")
    c = start_thread(batch, "c")
    time.sleep(0.2)
    for t in (a, c):
        t0 = time.monotonic()
        stop_thread(t)
        t.join(2)
        assert not t.is_alive() and time.monotonic() - t0 < 1.0
    assert outcome == {
        "a": "stopped",
        "c": ("stopped", 0, [("c", i) for i in range(cap)], [("c", i) for i in range(cap, 20)]),
    }
    assert len(rx) == cap, "the stopped senders enqueued nothing"
    assert b.is_alive(), "the other waiting sender still waits"
    got = rx.recv_batch(cap + 1, timeout=5)
    b.join(5)
    got += rx.try_recv_batch(10)
    assert got == ["pre"] * cap + ["b"]
    assert outcome["b"] == "sent"


def test_s21_dead_threads_release_their_senders():
    """Producer threads that die of an exception part-way release their Senders with their
    frames: the receiver gets what they sent, then end of stream (S12), instead of
    waiting forever on senders that no longer exist."""
    errors = []
    old_hook = threading.excepthook
    # Record the death without keeping the traceback (which holds the frames, and so the
    # Sender, alive); the default hook prints it and drops it the same way.
    threading.excepthook = lambda args: errors.append(args.exc_type)
    try:
        tx, rx = funnelq.channel(4)

        def producer(p, tx):
            for i in range(25):
                tx.send((p, i))
            raise RuntimeError(f"producer {p} died")

        threads = [start_thread(producer, p, tx.clone()) for p in range(4)]
        del tx
        received = []
        c = start_thread(lambda: received.extend(rx))
        for t in threads:
            t.join(10)
        c.join(10)
        assert not c.is_alive(), "end of stream once every holder died"
    finally:
        threading.excepthook = old_hook
    assert errors == [RuntimeError] * 4
    assert_per_producer(received, 4, 25)


def test_s21_consumer_thread_dies_next_consumer_continues():
    """A consumer thread that dies mid-stream leaves the Receiver free: the next receive,
    from another thread, gets the next message; the dead one's messages were delivered."""
    tx, rx = funnelq.channel(8)
    sender = start_thread(lambda: (tx.send_batch(range(200)), tx.close()))
    first = []
    old_hook = threading.excepthook
    threading.excepthook = lambda args: None
    try:

        def dying_consumer():
            for x in rx:
                first.append(x)
                if len(first) == 57:
                    raise RuntimeError("consumer died")

        t = start_thread(dying_consumer)
        t.join(10)
    finally:
        threading.excepthook = old_hook
    rest = list(rx)
    sender.join(10)
    assert first + rest == list(range(200))
