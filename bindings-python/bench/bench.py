"""Throughput of funnelq beside queue.Queue, queue.SimpleQueue, multiprocessing.Queue and asyncio.Queue.

    python bindings-python/bench/bench.py                 # ~30 s; prints Markdown tables
    python bindings-python/bench/bench.py --budget 8      # a quick look
    python bindings-python/bench/bench.py --json out.json # also the figures for ci/bench_report.py

P producers move small ints to one consumer; every figure is messages per second, the median
of --repeat runs. Threads throughout, except multiprocessing.Queue, whose producers are
processes (what it exists for). queue.SimpleQueue (unbounded), multiprocessing.Queue and the
batch form are measured at capacity 1024 only. The asyncio table (one producer) is printed
but kept out of --json, whose every case is measured against queue.Queue.

Time, not message counts, is what the knobs set: a short pilot run of each row measures its
rate and sizes its message count so that one run lasts about
budget / (rows x repeat) seconds. Slow peers therefore move fewer messages in the same time,
which is fair because only rates are compared. The runs of all rows are interleaved
(round 1 of every row, then round 2, ...) so that a burst of load from elsewhere on the
machine lands on all of them alike rather than on one row. Past --deadline no run starts and
an unfinished round is dropped; the table says how many runs each median is over.

A benchmark, not a test: numbers depend on the machine and its load.
"""

import argparse
import asyncio
import json
import multiprocessing
import platform
import queue
import statistics
import sys
import threading
import time

import funnelq

BATCH = 256
CAPACITIES = (1024, 16)
# Which comparisons exist is fixed here; which are run is filtered by the command line.
CASE = "small messages, capacity {}"
# queue.Queue has no batch form: the batch case divides by its one-at-a-time figure from the
# capacity-1024 case, and is a case of its own so that the plotted case (per message) is
# not drawn on an axis stretched to batch rates.
BATCH_CASE = f"batches of {BATCH}, capacity 1024"
FQ = "funnelq send/recv"
FQ_BATCH = f"funnelq send_batch/recv_batch({BATCH})"
QQ = "queue.Queue"
SQ = "queue.SimpleQueue"
MPQ = "multiprocessing.Queue"
ASYNC_CASE = "asyncio, capacity 1024, 1 producer"


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


# ---- multiprocessing.Queue: producer processes -----------------------------------------
def _mp_producer(q, start, n):
    start.wait()
    q_produce(q, n)


def run_processes(producers, total, cap):
    # Process start-up stays outside the timed part (the barrier), as thread start-up does
    # in run_threads: what is measured is the queue, not fork or spawn.
    ctx = multiprocessing.get_context()
    per = total // producers
    q = ctx.Queue(cap)
    start = ctx.Barrier(producers + 1)
    procs = [ctx.Process(target=_mp_producer, args=(q, start, per), daemon=True)
             for _ in range(producers)]
    for p in procs:
        p.start()
    start.wait(timeout=120)
    t0 = time.perf_counter()
    q_consume(q, per * producers)
    dt = time.perf_counter() - t0
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"multiprocessing.Queue producer exited with {p.exitcode}")
    q.close()
    q.join_thread()
    return per * producers / dt


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
    del cap

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


# ---- the plan ------------------------------------------------------------------------------
class Row:
    """One measured cell: run(n) moves about n messages and returns messages per second."""

    def __init__(self, case, impl, role, producers, run):
        self.case, self.impl, self.role, self.producers, self.run = case, impl, role, producers, run
        self.messages = 0
        self.rates = []

    def median(self):
        return statistics.median(self.rates)


def plan(producer_counts, with_mp, with_async):
    rows = []
    for cap in CAPACITIES:
        case = CASE.format(cap)
        for p in producer_counts:
            def threads(make, produce, consume, p=p):
                return lambda n: run_threads(p, n, make, produce, consume)

            rows.append(Row(case, FQ, "funnelq", p, threads(fq_make(cap), fq_produce, fq_consume)))
            if cap == 1024:
                rows.append(Row(case, FQ_BATCH, "funnelq", p,
                                threads(fq_make(cap), fq_produce_batch, fq_consume_batch)))
            rows.append(Row(case, QQ, "native", p,
                            threads(q_make(lambda cap=cap: queue.Queue(cap)), q_produce, q_consume)))
            if cap == 1024:
                rows.append(Row(case, SQ, "other", p,
                                threads(q_make(queue.SimpleQueue), q_produce, q_consume)))
                if with_mp:
                    rows.append(Row(case, MPQ, "other", p,
                                    lambda n, p=p, cap=cap: run_processes(p, n, cap)))
    if with_async:
        for impl, role, fn in (
            ("funnelq send_async/recv_async, coroutine -> coroutine", "funnelq", async_fq_coroutines),
            ("asyncio.Queue, coroutine -> coroutine", "native", async_aq_coroutines),
            ("funnelq send/recv_async, thread -> coroutine", "funnelq", async_fq_thread_to_coroutine),
            ("asyncio.Queue + call_soon_threadsafe, thread -> coroutine", "native",
             async_aq_thread_to_coroutine),
        ):
            rows.append(Row(ASYNC_CASE, impl, role, 1, lambda n, fn=fn: fn(1024, n)))
    return rows


def calibrate(row, seconds):
    """Size row.messages so that one run lasts about `seconds` (the pilot doubles as warm-up)."""
    n = 2000
    while True:
        rate = row.run(n)
        # Grow the pilot until its timed part is long enough to say something about the
        # steady rate (a few thousand messages can pass within one scheduler tick).
        if n / rate >= min(0.05, seconds / 4) or n >= 10_000_000:
            break
        n *= 4
    unit = BATCH * row.producers
    row.messages = max(unit, int(rate * seconds) // unit * unit)


def measure(rows, budget, repeat, deadline, log):
    """Run `repeat` interleaved rounds; return how many were completed.

    No run starts past `deadline` seconds once one round is complete: the unfinished round is
    dropped so that every median is over the same number of runs.
    """
    began = time.perf_counter()
    per_run = budget / (len(rows) * repeat)
    for row in rows:
        calibrate(row, per_run)
    log(f"calibrated {len(rows)} rows in {time.perf_counter() - began:.1f} s, "
        f"~{per_run:.2f} s a run")
    for r in range(repeat):
        t0 = time.perf_counter()
        for row in rows:
            if r > 0 and time.perf_counter() - began > deadline:
                log(f"--deadline {deadline:g} s reached: round {r + 1} dropped, medians over {r} runs")
                for done in rows:
                    del done.rates[r:]
                return r
            row.rates.append(row.run(row.messages))
        log(f"round {r + 1}/{repeat}: {time.perf_counter() - t0:.1f} s")
    return repeat


# ---- output ------------------------------------------------------------------------------
def fmt(v):
    return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.0f} k"


def markdown(rows, rounds):
    cells = {(r.case, r.producers, r.impl): r.median() for r in rows}
    impls = [FQ, FQ_BATCH, QQ, SQ, MPQ]
    present = [i for i in impls if any(k[2] == i for k in cells)]
    runs = "1 run" if rounds == 1 else f"median of {rounds} runs"
    procs = "; multiprocessing.Queue: producer processes" if MPQ in present else ""
    out = [f"Messages per second, {runs} (producer threads{procs}); the last two columns "
           "divide by queue.Queue.", ""]
    out.append("| capacity | producers | " + " | ".join(present) + f" | send/recv ÷ {QQ} | batch ÷ {QQ} |")
    out.append("|---|---:|" + "---:|" * (len(present) + 2))
    for cap in CAPACITIES:
        case = CASE.format(cap)
        for p in sorted({r.producers for r in rows if r.case == case}):
            vals = [cells.get((case, p, i)) for i in present]
            native = cells[(case, p, QQ)]
            ratios = [f"{cells[(case, p, i)] / native:.2f}×" if (case, p, i) in cells else "—"
                      for i in (FQ, FQ_BATCH)]
            out.append(f"| {cap} | {p} | " + " | ".join(fmt(v) if v else "—" for v in vals)
                       + " | " + " | ".join(ratios) + " |")
    async_rows = [r for r in rows if r.case == ASYNC_CASE]
    if async_rows:
        out += ["", "asyncio (one producer, capacity 1024; not in the cross-language table, whose "
                "native peer is queue.Queue):", "",
                "| form | funnelq | asyncio.Queue | funnelq ÷ asyncio.Queue |", "|---|---:|---:|---:|"]
        for (fq, aq), label in (((0, 1), "coroutine → coroutine, one loop"),
                                ((2, 3), "thread → coroutine (asyncio.Queue: call_soon_threadsafe, unbounded)")):
            a, b = async_rows[fq].median(), async_rows[aq].median()
            out.append(f"| {label} | {fmt(a)} | {fmt(b)} | {a / b:.2f}× |")
    return "\n".join(out)


def environment():
    gil = ""
    if hasattr(sys, "_is_gil_enabled"):
        gil = ", GIL enabled" if sys._is_gil_enabled() else ", free-threaded"
    native = getattr(funnelq, "_funnelq", None)
    kind = "abi3 wheel" if native and ".abi3." in getattr(native, "__file__", "") else "wheel"
    return (f"{platform.python_implementation()} {platform.python_version()}{gil}, "
            f"funnelq {funnelq.__version__} {kind}")


def record(case, producers, impl, role, rate):
    return {"case": case, "producers": producers, "impl": impl, "role": role,
            "msgs_per_sec": round(rate)}


def report(rows, command, plot_case):
    results = []
    for r in rows:
        if r.case == ASYNC_CASE:
            continue
        if r.impl == FQ_BATCH:
            results.append(record(BATCH_CASE, r.producers, r.impl, r.role, r.median()))
        else:
            results.append(record(r.case, r.producers, r.impl, r.role, r.median()))
        if r.impl == QQ and r.case == CASE.format(1024) and any(
                b.impl == FQ_BATCH and b.producers == r.producers for b in rows):
            results.append(record(BATCH_CASE, r.producers, QQ, "native", r.median()))
    return {
        "language": "Python",
        "native": QQ,
        "command": command,
        "environment": environment(),
        "plot_case": plot_case,
        "results": results,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=30.0,
                    help="seconds of measured runs in total, shared equally by all rows (default 30)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per row; the median is kept (default 5)")
    ap.add_argument("--deadline", type=float, default=None,
                    help="start no run past this many seconds; an unfinished round is dropped "
                         "(default: 1.5 x budget)")
    ap.add_argument("--producers", default="1,2,4", help="producer counts (default 1,2,4)")
    ap.add_argument("--no-multiprocessing", action="store_true", help="leave out multiprocessing.Queue")
    ap.add_argument("--no-async", action="store_true", help="leave out the asyncio table")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON (ci/bench_report.py schema)")
    ap.add_argument("--command", default="python bindings-python/bench/bench.py",
                    help="how to rerun this, for the JSON (default: this script)")
    args = ap.parse_args()
    if args.budget <= 0 or args.repeat < 1:
        ap.error("--budget must be positive and --repeat at least 1")
    producers = [int(p) for p in args.producers.split(",")]

    def log(msg):
        print(f"bench.py: {msg}", file=sys.stderr, flush=True)

    rows = plan(producers, not args.no_multiprocessing, not args.no_async)
    deadline = args.deadline if args.deadline is not None else 1.5 * args.budget
    log(f"{environment()}; {len(rows)} rows x {args.repeat} runs in ~{args.budget:g} s")
    rounds = measure(rows, args.budget, args.repeat, deadline, log)
    print(markdown(rows, rounds), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report(rows, args.command, CASE.format(1024)), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
