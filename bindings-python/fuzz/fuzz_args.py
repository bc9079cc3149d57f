"""Atheris fuzz target for the argument conversion of the funnelq Python binding (S14, S22).

Each input is a sequence of calls on one channel, with arguments drawn from the hostile
end: capacities (0, negative, 2**70, bools, floats, strings, `__index__` objects that lie or
raise), messages of every kind, batches (lists, tuples, huge ranges, generators that raise,
iterators, sets, strings, non-iterables), batch-receive `max` values and timeouts (NaN,
infinities, negative, 10**400, strings, objects whose `__float__` raises).

Every call must return or raise one of the documented exception types (or the caller's own
exception, from its own `__index__`, `__float__` or generator), never crash the process,
panic across the boundary (pyo3's PanicException), raise SystemError or OverflowError. The
harness also keeps a reference model (a deque of the messages in flight) and checks every
outcome against it: what went in, in which order, and what batch sends hand back.

    python fuzz/fuzz_args.py -max_total_time=20          # a short pass (ci/test-python.sh)
    python fuzz/fuzz_args.py -max_total_time=600 corpus/ # a long pass (ci/fuzz-python.sh)
    python fuzz/fuzz_args.py -runs=0 crash-<id>          # replay one input

The native module is not compiled with coverage instrumentation; the guidance comes from
the harness's own (instrumented) branches, which follow each call's outcome.
"""

import asyncio
import collections
import math
import operator
import os
import sys

import atheris

with atheris.instrument_imports():
    import funnelq


class Boom(Exception):
    """The caller's own exception: from a generator, `__index__` or `__float__`."""


DOCUMENTED = (
    funnelq.Full,
    funnelq.Empty,
    funnelq.Closed,
    funnelq.Timeout,
    funnelq.Busy,
    ValueError,
    TypeError,
    MemoryError,
    Boom,
)


class Index:
    """An int-like argument (has `__index__`), possibly lying or raising."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        if self.value is Boom:
            # A fresh exception each time: one instance raised again and again would grow
            # its traceback (and keep every frame it passed through alive).
            raise Boom("index")
        return self.value


class Floaty:
    """A timeout-like argument (has `__float__`), possibly raising."""

    def __init__(self, value):
        self.value = value

    def __float__(self):
        if self.value is Boom:
            raise Boom("float")
        return self.value


BIG_INTS = [
    0, 1, -1, 2, 3, 7, 8, 64, 1024, 2**16, 2**20, 2**20 + 1, 2**30, 2**30 + 1, 2**31,
    2**32, 2**62, 2**63 - 1, 2**63, 2**64, 2**70, 10**100, -(2**63), -(2**70), -(10**100),
]

# Capacities: invalid ones freely; valid ones small (a valid 2**30 would allocate 16 GiB,
# which tests/test_hostile.py checks once under an address-space limit).
CAPACITIES = [
    0, -1, -(2**70), 2**30 + 1, 2**31, 2**63, 2**64, 2**70, 10**100, True, False, 1.0, 2.5,
    float("nan"), "8", b"8", None, [8], Index(0), Index(-3), Index(2**70), Index("8"),
    Index(Boom), Floaty(8.0), 1, 2, 3, 4, 8, 16, 100,
]

# Timeouts that cannot wait long: invalid ones raise before anything happens.
SHORT_TIMEOUTS = [
    0, 0.0, -0.0, 1e-9, 5e-324, 0.0005, False, Floaty(0.0), Floaty(1e-4),
]
INVALID_TIMEOUTS = [
    -1, -1e-9, -math.inf, math.nan, -(10**400), -(2**70), "1", b"1", [], object(), 1j,
    Floaty(math.nan), Floaty(-1.0), Floaty(Boom),
]
# Valid and long: only where the call cannot wait (room to send, a message to receive).
LONG_TIMEOUTS = [None, math.inf, 10**400, 2**70, 1e300, sys.float_info.max, True, 3600]

MAXES = BIG_INTS + [True, False, 1.0, "3", None, [1], Index(5), Index(-1), Index(2**70),
                    Index(Boom), Index(1.5)]


def message(fdp):
    kind = fdp.ConsumeIntInRange(0, 7)
    if kind == 0:
        return fdp.ConsumeInt(8)
    if kind == 1:
        return fdp.ConsumeUnicode(8)
    if kind == 2:
        return None
    if kind == 3:
        return fdp.ConsumeBytes(8)
    if kind == 4:
        return object()
    if kind == 5:
        return [fdp.ConsumeInt(2)]
    if kind == 6:
        return Boom("a message")  # an exception object is a message like any other
    return fdp.ConsumeFloat()


class Batch:
    """A batch argument and what it yields, for the model."""

    def __init__(self, fdp):
        kind = fdp.ConsumeIntInRange(0, 12)
        n = fdp.ConsumeIntInRange(0, 40)
        items = [message(fdp) for _ in range(n)]
        self.items = items  # what the batch holds, in order (None: not known up front)
        self.yielded = None  # for iterators: what was read from them
        self.indexed = kind in (0, 1, 2, 3)
        self.valid = True
        self.raises_at = None
        if kind == 0:
            self.arg = items
        elif kind == 1:
            self.arg = tuple(items)
        elif kind == 2:
            size = fdp.PickValueInList([0, 1, 5, 100, 10**12, 2**62, 2**63 - 1])
            self.arg = range(size)
            self.items = None
        elif kind == 3:
            self.arg = range(fdp.PickValueInList([2**63, 2**64, 2**70]))
            self.indexed = False  # len() cannot measure it: iterated
            self.items = None
            self.yielded = []
            self.arg = self._record(iter(self.arg))
        elif kind in (4, 5):
            self.yielded = []
            if kind == 5:
                self.raises_at = fdp.ConsumeIntInRange(0, n)
            self.arg = self._record(iter(items))
        elif kind == 6:
            self.yielded = []
            self.arg = self._record(iter(items))  # a plain iterator, through a generator
        elif kind == 7:
            self.arg = "".join(str(i % 10) for i in range(n))
            self.items = list(self.arg)
            self.indexed = False
            self.yielded = []
            self.arg = self._record(iter(self.arg))
        elif kind == 8:
            self.arg = fdp.PickValueInList([5, None, object(), 1.5, True])
            self.valid = False
        elif kind == 9:
            self.arg = []
            self.items = []
        elif kind == 10:
            self.yielded = []
            self.arg = self._record(self._endless())
            self.items = None
        elif kind == 11:
            self.arg = {i: None for i in range(n)}.keys()
            self.items = list(range(n))
            self.indexed = False
            self.yielded = []
            self.arg = self._record(iter(self.arg))
        else:
            self.arg = [message(fdp) for _ in range(fdp.ConsumeIntInRange(100, 300))]
            self.items = self.arg
            self.indexed = True

    def _endless(self):
        i = 0
        while True:
            yield i
            i += 1

    def _record(self, it):
        for i, x in enumerate(it):
            if self.raises_at is not None and i == self.raises_at:
                raise Boom("the generator failed")
            self.yielded.append(x)
            yield x
        if self.raises_at is not None:
            raise Boom("the generator failed at its end")

    def prefix(self, n):
        """The first n items the batch gave."""
        if self.yielded is not None:
            return self.yielded[:n]
        if self.items is not None:
            return self.items[:n]
        return list(self.arg[:n])  # a range

    def length(self):
        """How many items it holds, if known and finite."""
        if self.raises_at is not None:
            return None
        if self.items is not None:
            return len(self.items)
        return None


class Harness:
    def __init__(self, fdp):
        self.fdp = fdp
        self.model = collections.deque()
        self.cap = None
        self.loop = LOOP

    def check_exception(self, e, call):
        if not isinstance(e, DOCUMENTED):
            raise AssertionError(f"{call}: undocumented {type(e).__name__}: {e!r}") from e
        if isinstance(e, (OverflowError, SystemError)):
            raise AssertionError(f"{call}: {type(e).__name__}") from e
        if isinstance(e, ValueError) and not str(e):
            raise AssertionError(f"{call}: ValueError without a message") from e

    def timeout(self, can_wait_long):
        fdp = self.fdp
        pool = fdp.ConsumeIntInRange(0, 2)
        if pool == 0:
            return fdp.PickValueInList(SHORT_TIMEOUTS), True
        if pool == 1:
            return fdp.PickValueInList(INVALID_TIMEOUTS), False
        if can_wait_long:
            return fdp.PickValueInList(LONG_TIMEOUTS), True
        return 0, True

    def run(self):
        fdp = self.fdp
        cap = fdp.PickValueInList(CAPACITIES) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(1, 64)
        try:
            tx, rx = funnelq.channel(cap)
        except BaseException as e:
            self.check_exception(e, f"channel({cap!r})")
            return
        assert isinstance(cap, (int, Index)) and not isinstance(cap, bool), cap
        self.cap = tx.capacity
        self.senders = [tx]
        self.rx = rx
        for _ in range(fdp.ConsumeIntInRange(1, 40)):
            if fdp.remaining_bytes() == 0:
                break
            op = fdp.ConsumeIntInRange(0, 15)
            try:
                self.step(op)
                STATS[(OPS[op], "ok")] += 1
            except AssertionError:
                raise
            except BaseException as e:
                self.check_exception(e, f"op {op}")
                STATS[(OPS[op], type(e).__name__)] += 1
            assert 0 <= len(rx) <= self.cap
            assert len(rx) == len(self.model), (len(rx), len(self.model))
        rx.close()
        for tx in self.senders:
            with tx:
                pass

    def closed(self):
        return self.rx.closed

    def free(self):
        return self.cap - len(self.model)

    def sender(self):
        return self.senders[self.fdp.ConsumeIntInRange(0, len(self.senders) - 1)]

    def expect_recv(self, got):
        for m in got:
            assert self.model, "received a message that was never sent"
            want = self.model.popleft()
            assert m is want or (m == want and type(m) is type(want)), (m, want)

    def batch_failed(self, b, e):
        """Books what a batch send that raised `e` put in, and checks what it handed back."""
        sent = getattr(e, "sent", None)
        if sent is None:
            # Nothing was read (a bad timeout or batch), or the generator's own error after
            # what it yielded went in.
            if isinstance(e, Boom) and b.yielded:
                self.model.extend(b.yielded)
            return
        self.model.extend(b.prefix(sent))
        if b.yielded is not None:
            assert e.unsent == b.yielded[sent:], "unsent is what was read and not sent"
        else:
            assert e.unsent == [], "a sequence keeps its unsent items"

    def step(self, op):
        fdp, rx = self.fdp, self.rx
        if op == 0:
            m = message(fdp)
            try:
                self.sender().try_send(m)
                self.model.append(m)
            except funnelq.Full:
                assert self.free() == 0 and not self.closed()
            except funnelq.Closed:
                assert self.closed()
        elif op == 1:
            m = message(fdp)
            t, valid = self.timeout(can_wait_long=self.free() > 0 or self.closed())
            try:
                self.sender().send(m, timeout=t)
                self.model.append(m)
            except funnelq.Timeout:
                assert valid and self.free() == 0
            except funnelq.Closed:
                assert self.closed()
        elif op in (2, 3):
            b = Batch(fdp)
            n = b.length()
            fits = n is not None and n <= self.free()
            t, _ = self.timeout(can_wait_long=fits or self.closed())
            try:
                sent = self.sender().send_batch(b.arg, timeout=t)
            except BaseException as e:
                self.batch_failed(b, e)
                raise
            self.model.extend(b.prefix(sent))
            if n is not None:
                assert sent == n, "send_batch returns only when everything went in"
        elif op == 4:
            b = Batch(fdp)
            try:
                sent = self.sender().try_send_batch(b.arg)
            except BaseException as e:
                self.batch_failed(b, e)
                if isinstance(e, funnelq.Full):
                    assert e.sent == 0 and self.free() == 0 and e.unsent == []
                raise
            self.model.extend(b.prefix(sent))
            if b.yielded is not None:
                assert len(b.yielded) == sent, "an iterator is read only as far as there is room"
        elif op == 5:
            try:
                self.expect_recv([rx.try_recv()])
            except funnelq.Empty:
                assert not self.model and not self.closed()
            except funnelq.Closed:
                assert not self.model and self.closed()
        elif op == 6:
            t, valid = self.timeout(can_wait_long=bool(self.model) or self.closed())
            try:
                self.expect_recv([rx.recv(timeout=t)])
            except funnelq.Timeout:
                assert valid and not self.model
            except funnelq.Closed:
                assert not self.model and self.closed()
        elif op in (7, 8):
            mx = fdp.PickValueInList(MAXES) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(-2, 70)
            t, valid = self.timeout(can_wait_long=bool(self.model) or self.closed())
            try:
                if op == 7:
                    got = rx.recv_batch(mx, timeout=t)
                else:
                    got = rx.try_recv_batch(mx)
            except (funnelq.Timeout, funnelq.Empty):
                assert not self.model
                return
            except funnelq.Closed:
                assert not self.model and self.closed()
                return
            limit = operator.index(mx)
            assert 1 <= len(got) <= limit, (len(got), mx)
            assert len(got) == min(limit, len(self.model)), "everything ready, up to max"
            self.expect_recv(got)
        elif op == 9:
            fdp.PickValueInList([self.sender(), rx]).close()
        elif op == 10:
            if len(self.senders) < 8:
                self.senders.append(self.sender().clone())
        elif op == 11:
            if len(self.senders) > 1 or fdp.ConsumeBool():
                i = fdp.ConsumeIntInRange(0, len(self.senders) - 1)
                with self.senders.pop(i):
                    pass
                if not self.senders:
                    assert self.closed(), "S12: every sender released"
                    self.senders.append(self._dead_sender())
        elif op == 12:
            repr(self.sender()), repr(rx), len(rx), rx.capacity, rx.closed
        elif op == 13:
            self.async_send_batch(Batch(fdp))
        elif op == 14:
            self.async_recv_batch(fdp.PickValueInList(MAXES))
        else:
            self.async_send(message(fdp))

    def _dead_sender(self):
        tx, _ = funnelq.channel(1)
        with tx:
            pass
        return tx  # released: every send raises Closed, as on this closed channel

    def _settle(self, coro):
        """Runs coro briefly; cancels it if it has not finished. Returns (done, result or
        exception)."""

        async def main():
            task = asyncio.ensure_future(coro)
            await asyncio.wait({task}, timeout=0.001)
            task.cancel()
            # `await task`, not gather(): gather makes a CancelledError of its own, without
            # the `sent`/`unsent` that the cancelled batch send put on the one it raised.
            try:
                return await task
            except BaseException as e:  # noqa: B036 - the outcome is what is checked
                return e

        outcome = self.loop.run_until_complete(main())
        return outcome

    def async_send(self, m):
        outcome = self._settle(self.sender().send_async(m))
        if outcome is None:
            self.model.append(m)
        elif isinstance(outcome, asyncio.CancelledError):
            assert self.free() == 0, "a send that could go in completes at once"
        elif isinstance(outcome, BaseException):
            raise outcome

    def async_send_batch(self, b):
        outcome = self._settle(self.sender().send_batch_async(b.arg))
        if isinstance(outcome, int):
            self.model.extend(b.prefix(outcome))
            return
        self.batch_failed(b, outcome)
        if isinstance(outcome, asyncio.CancelledError):
            assert hasattr(outcome, "sent"), "a cancelled batch send says how many went in"
            return
        raise outcome

    def async_recv_batch(self, mx):
        outcome = self._settle(self.rx.recv_batch_async(mx))
        if isinstance(outcome, list):
            assert 1 <= len(outcome) <= operator.index(mx)
            self.expect_recv(outcome)
        elif isinstance(outcome, asyncio.CancelledError):
            assert not self.model, "cancelled only while nothing was ready"
        elif isinstance(outcome, BaseException):
            raise outcome


LOOP = asyncio.new_event_loop()

OPS = [
    "try_send", "send", "send_batch", "send_batch", "try_send_batch", "try_recv", "recv",
    "recv_batch", "try_recv_batch", "close", "clone", "release", "queries",
    "send_batch_async", "recv_batch_async", "send_async",
]
STATS = collections.Counter()


STATS_EVERY = int(os.environ.get("FUNNELQ_FUZZ_STATS", "0"))
RUNS = [0]


def print_stats():
    """With FUNNELQ_FUZZ_STATS=N: every N inputs, how often each call ended in each way
    (libFuzzer exits without running atexit handlers)."""
    print(f"after {RUNS[0]} inputs:", file=sys.stderr)
    for (op, outcome), n in sorted(STATS.items()):
        print(f"  {op:18} {outcome:14} {n}", file=sys.stderr)

# Coverage guidance: instrument the harness's own code, which branches on every outcome
# (the native module and the stdlib are left alone).
for _cls in (Harness, Batch, Index, Floaty):
    for _name, _fn in list(vars(_cls).items()):
        if callable(_fn) and hasattr(_fn, "__code__"):
            setattr(_cls, _name, atheris.instrument_func(_fn))
message = atheris.instrument_func(message)


@atheris.instrument_func
def test_one_input(data):
    Harness(atheris.FuzzedDataProvider(data)).run()
    RUNS[0] += 1
    if STATS_EVERY and RUNS[0] % STATS_EVERY == 0:
        print_stats()


def main():
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
