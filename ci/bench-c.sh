#!/usr/bin/env bash
# C library benchmark: funnelq beside a pthread mutex + condition variable
# ring (bindings-c/bench/), P = 1, 2, 4 producer threads -> 1 consumer,
# capacity 1024. Writes $FUNNELQ_BENCH_OUT/c.json and prints the "## C library"
# section of docs/BENCHMARKS.md; diagnostics go to stderr. About 15 s after
# the library is built.
#
#   bash ci/bench-c.sh
#   FUNNELQ_BENCH_C_MESSAGES=200000 FUNNELQ_BENCH_C_RUNS=3 bash ci/bench-c.sh   # quicker, noisier
set -euo pipefail
source "$(dirname "$0")/lib-c.sh"
bench_setup c 1000000

make -s -C bindings-c build >&2
# Static link, as an application embedding the library would ship it; the
# same build as the compile check in ci/test-c.sh.
build_c_bench bench "$WORK/bench"
"$WORK/bench" "$MESSAGES" "$RUNS" >"$WORK/results.tsv"
# The handle check's cost on the per-message path, on one thread.
build_c_bench handle_cost "$WORK/handle_cost"
"$WORK/handle_cost" >"$WORK/handle_cost.tsv"

version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)"
environment="$(gcc --version | head -n 1 | sed 's/^gcc ([^)]*)/gcc/') -O2, glibc $(getconf GNU_LIBC_VERSION | cut -d' ' -f2), funnelq $version (libfunnelq.a, release), $(rustc --version | cut -d' ' -f1-2)"

python3 - "$WORK/results.tsv" "$OUT/c.json" "$environment" "$MESSAGES" "$RUNS" "$WORK/handle_cost.tsv" <<'EOF'
import sys

sys.path.insert(0, "ci")
from bench_report import producers_table, write_report

tsv, json_path, environment, messages, runs, handle_tsv = sys.argv[1:]
handle = dict(line.rstrip("\n").split("\t") for line in open(handle_tsv) if line.strip())
results = []
for line in open(tsv):
    case, producers, impl, role, rate = line.rstrip("\n").split("\t")
    results.append({"case": case, "producers": int(producers), "impl": impl, "role": role,
                    "msgs_per_sec": round(float(rate))})
if not results:
    sys.exit("bench-c: the benchmark printed no results")
report = {
    "language": "C",
    "native": "pthread mutex+condvar ring",
    "command": "bash ci/bench-c.sh",
    "environment": environment,
    "plot_case": "small messages, capacity 1024",
    "results": results,
}
write_report(json_path, report)
print("## C library")
print()
print("Rerun alone: `bash ci/bench-c.sh` (after `ci/setup.sh`).")
print(f"Environment: {environment}.")
print("P producer threads -> 1 consumer (the main thread), capacity 1024; a message is a pointer and a")
print(f"length passed without a copy; {int(messages):,} messages per run, median of {runs} runs, messages per second.")
print()
print(producers_table(report, "native"))
print()
print("Handle check (`bench/handle_cost.c`, one thread, best of 15 rounds): a call that does little")
print(f"but enter its handle, `funnelq_len`, takes {handle['funnelq_len']} ns; one message through")
print(f"`funnelq_try_send` + `funnelq_try_recv` (two handle checks) takes {handle['funnelq_try_send+funnelq_try_recv']} ns.")
EOF
cat docs/bench-notes/c.md
