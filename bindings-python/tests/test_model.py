"""A model-based test of the Python surface (S01, S03, S05, S06, S09, S12, S18, S22):
hypothesis runs random sequences of sends, batches (lists, ranges, generators), receives,
timeouts, closes, clones and releases against a reference model (a deque of the messages in
flight) and checks every outcome and the queries after every step.

Short by default (it runs in ci/test-python.sh); ci/fuzz-python.sh runs it long with
FUNNELQ_MODEL_EXAMPLES.
"""

import collections
import os
import tempfile

import pytest

# Hypothesis keeps a cache beside the working directory unless told otherwise; a test run
# must not leave a .hypothesis directory in the repository.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "funnelq-hypothesis")
)

hypothesis = pytest.importorskip("hypothesis")
import hypothesis.database  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import funnelq  # noqa: E402

EXAMPLES = int(os.environ.get("FUNNELQ_MODEL_EXAMPLES", "60"))
# Where hypothesis keeps failing examples between runs: nowhere unless asked.
DATABASE = os.environ.get("FUNNELQ_MODEL_DB")

messages = st.one_of(st.integers(), st.text(max_size=4), st.none(), st.binary(max_size=4))
short_timeouts = st.sampled_from([0, 0.0, 1e-9, 0.0005])
batches = st.lists(messages, max_size=12)


class ChannelModel(RuleBasedStateMachine):
    @initialize(cap=st.integers(min_value=1, max_value=8))
    def make(self, cap):
        self.cap = cap
        self.tx, self.rx = funnelq.channel(cap)
        self.senders = [self.tx]
        self.model = collections.deque()
        self.closed = False
        self.counter = 0

    def fresh(self):
        """A message of its own identity, so that order and duplicates show."""
        self.counter += 1
        return ("m", self.counter)

    def free(self):
        return self.cap - len(self.model)

    def sender(self, i):
        return self.senders[i % len(self.senders)]

    def take(self, got):
        for m in got:
            assert self.model, f"received {m!r}, which was never sent"
            assert m == self.model.popleft(), "FIFO"

    # -- sends ---------------------------------------------------------------------------

    @rule(i=st.integers(0, 7))
    def try_send(self, i):
        m = self.fresh()
        try:
            self.sender(i).try_send(m)
        except funnelq.Full:
            assert not self.closed and self.free() == 0
        except funnelq.Closed:
            assert self.closed
        else:
            assert not self.closed and self.free() > 0
            self.model.append(m)

    @rule(i=st.integers(0, 7), timeout=short_timeouts)
    def send_with_timeout(self, i, timeout):
        m = self.fresh()
        try:
            self.sender(i).send(m, timeout=timeout)
        except funnelq.Timeout:
            assert not self.closed and self.free() == 0
        except funnelq.Closed:
            assert self.closed
        else:
            self.model.append(m)

    @rule(i=st.integers(0, 7), n=st.integers(0, 12), kind=st.sampled_from(["list", "gen", "range"]),
          timeout=short_timeouts)
    def send_batch(self, i, n, kind, timeout):
        items = [self.fresh() for _ in range(n)]
        arg = {"list": items, "gen": (x for x in items), "range": range(n)}[kind]
        if kind == "range":
            items = list(range(n))
        try:
            sent = self.sender(i).send_batch(arg, timeout=timeout)
        except (funnelq.Timeout, funnelq.Closed) as e:
            assert isinstance(e, funnelq.Closed) == self.closed
            assert e.sent == (0 if self.closed else min(n, self.free()))
            if kind == "gen":
                rest = list(arg)
                assert items[: e.sent] + e.unsent + rest == items, "nothing lost or doubled"
            else:
                assert e.unsent == []
            self.model.extend(items[: e.sent])
        else:
            # An empty batch is 0, even on a closed channel (nothing to refuse).
            assert sent == n <= self.free() and (n == 0 or not self.closed)
            self.model.extend(items)

    @rule(i=st.integers(0, 7), n=st.integers(0, 12), gen=st.booleans())
    def try_send_batch(self, i, n, gen):
        items = [self.fresh() for _ in range(n)]
        arg = (x for x in items) if gen else items
        try:
            sent = self.sender(i).try_send_batch(arg)
        except funnelq.Full as e:
            # On a full channel an iterator is not read at all (so an empty one is Full too).
            assert (n > 0 or gen) and self.free() == 0 and (e.sent, e.unsent) == (0, [])
            if gen:
                assert list(arg) == items, "the iterator was not read"
        except funnelq.Closed as e:
            assert self.closed and e.sent == 0
        else:
            assert sent == min(n, self.free()) and (n == 0 or not self.closed)
            if gen:
                assert list(arg) == items[sent:], "read only as far as there was room"
            self.model.extend(items[:sent])

    # -- receives ------------------------------------------------------------------------

    @rule()
    def try_recv(self):
        try:
            self.take([self.rx.try_recv()])
        except funnelq.Empty:
            assert not self.model and not self.closed
        except funnelq.Closed:
            assert not self.model and self.closed

    @rule(timeout=short_timeouts)
    def recv_with_timeout(self, timeout):
        try:
            self.take([self.rx.recv(timeout=timeout)])
        except funnelq.Timeout:
            assert not self.model and not self.closed
        except funnelq.Closed:
            assert not self.model and self.closed

    @rule(mx=st.integers(1, 10), timeout=short_timeouts, wait=st.booleans())
    def recv_batch(self, mx, timeout, wait):
        try:
            got = self.rx.recv_batch(mx, timeout=timeout) if wait else self.rx.try_recv_batch(mx)
        except (funnelq.Timeout, funnelq.Empty):
            assert not self.model and not self.closed
        except funnelq.Closed:
            assert not self.model and self.closed
        else:
            assert len(got) == min(mx, len(self.model)) >= 1
            self.take(got)

    @rule(mx=st.one_of(st.integers(max_value=0), st.integers(min_value=funnelq.MAX_BATCH + 1)))
    def recv_batch_bad_max(self, mx):
        with pytest.raises(ValueError, match=f"out of range 1..={funnelq.MAX_BATCH}"):
            self.rx.recv_batch(mx)

    # -- lifecycle -----------------------------------------------------------------------

    @rule(i=st.integers(0, 7), receiver=st.booleans())
    def close(self, i, receiver):
        closer = self.rx if receiver else self.sender(i)
        closer.close()
        self.closed = True

    @precondition(lambda self: len(self.senders) < 6)
    @rule(i=st.integers(0, 7))
    def clone(self, i):
        try:
            self.senders.append(self.sender(i).clone())
        except funnelq.Closed:
            assert self.closed, "only a released Sender cannot be cloned"

    @precondition(lambda self: len(self.senders) > 1)
    @rule(i=st.integers(0, 7))
    def release(self, i):
        tx = self.senders.pop(i % len(self.senders))
        with tx:
            pass

    @rule()
    def release_last(self):
        """Every sender released (S12): end of stream after what is queued."""
        for tx in self.senders:
            with tx:
                pass
        self.closed = True
        self.senders = [self.tx]  # released: its sends raise Closed

    @invariant()
    def queries(self):
        if not hasattr(self, "rx"):
            return
        assert len(self.rx) == len(self.model)
        assert self.rx.closed == self.closed
        assert self.rx.full() == (len(self.model) == self.cap)


def test_s01_s03_s05_s06_s09_s12_s18_s22_model():
    """Random sequences of every synchronous operation against the deque model."""
    run_state_machine_as_test(
        ChannelModel,
        settings=settings(
            max_examples=EXAMPLES,
            database=(
                hypothesis.database.DirectoryBasedExampleDatabase(DATABASE)
                if DATABASE
                else None
            ),
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
