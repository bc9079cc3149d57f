"""funnelq: a bounded lock-free multi-producer single-consumer channel for Python objects.

    >>> import funnelq
    >>> tx, rx = funnelq.channel(1024)
    >>> tx.send("hello")          # waits while full (GIL released, Ctrl-C works)
    >>> rx.recv()
    'hello'
    >>> tx.close()
    >>> list(rx)                  # iteration stops at end of stream
    []

Any number of threads (and asyncio tasks: ``await tx.send_async(x)``,
``await rx.recv_async()``, ``async for x in rx``) send through ``tx`` and its
``clone()``s; one consumer receives through ``rx``. Objects travel by
reference (nothing is copied or pickled).

Exceptions: ``Full`` (a ``queue.Full``), ``Empty`` (a ``queue.Empty``),
``Closed`` (end of stream / refused send; a ``queue.ShutDown`` on 3.13+),
``Timeout`` (a ``TimeoutError``), ``Busy`` (a ``RuntimeError``: a second
concurrent receive on the one Receiver); ``ValueError``/``TypeError`` for a
bad capacity, ``max``, timeout or batch, ``MemoryError`` for a ring that
cannot be allocated.
"""

from ._funnelq import (
    MAX_BATCH,
    MAX_CAPACITY,
    Busy,
    Closed,
    Empty,
    Full,
    Receiver,
    Sender,
    Timeout,
    __version__,
    channel,
)

__all__ = [
    "MAX_BATCH",
    "MAX_CAPACITY",
    "Busy",
    "Closed",
    "Empty",
    "Full",
    "Receiver",
    "Sender",
    "Timeout",
    "__version__",
    "channel",
]
