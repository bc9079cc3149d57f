"""Shared helpers. Timing bounds: the lower bound is strict, the upper bound loose
(+1.5 s) because these machines have 2 shared cores."""

import threading
import time

import pytest

SLACK = 1.5


class Elapsed:
    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.start
        return False


@pytest.fixture
def elapsed():
    return Elapsed


def start_thread(target, *args):
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t
