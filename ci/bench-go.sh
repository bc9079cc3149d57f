#!/usr/bin/env bash
# Go binding benchmark: funnelq (examples/go, through cgo) beside a buffered
# Go channel, P = 1, 2, 4 producer goroutines -> 1 consumer, capacity 1024.
# Writes $FUNNELQ_BENCH_OUT/go.json and prints the "## Go" section of
# docs/BENCHMARKS.md; diagnostics go to stderr. About 20 s once the library
# and the test binary are built.
#
#   bash ci/bench-go.sh
#   FUNNELQ_BENCH_GO_MESSAGES=50000 FUNNELQ_BENCH_GO_RUNS=3 bash ci/bench-go.sh   # quicker, noisier
set -euo pipefail
source "$(dirname "$0")/lib-c.sh"
bench_setup go 500000

# A fixed prefix (see install_prefix), as in ci/test-c.sh but not the same
# one: the two may run at once.
PREFIX="${TMPDIR:-/tmp}/funnelq-bench-prefix"
install_prefix "$PREFIX" >&2
export CGO_ENABLED=1

# -count repeats the whole set, so every round measures all implementations
# under the same load; the report takes the median per benchmark.
(cd examples/go && go test -count="$RUNS" -run '^$' -bench '^BenchmarkMPSC$' -benchtime "${MESSAGES}x" .) \
    >"$WORK/bench.txt" || { cat "$WORK/bench.txt" >&2; exit 1; }

version="$(pkg-config --modversion funnelq)"
environment="$(go version | cut -d' ' -f3), cgo with $(gcc --version | head -n 1 | sed 's/^gcc ([^)]*)/gcc/'), funnelq $version (libfunnelq.so, release), GOMAXPROCS $(nproc)"

python3 - "$WORK/bench.txt" "$OUT/go.json" "$environment" "$MESSAGES" "$RUNS" <<'EOF'
import re
import statistics
import sys

sys.path.insert(0, "ci")
from bench_report import producers_table, write_report

text, json_path, environment, messages, runs = sys.argv[1:]
CASE = "small messages, capacity 1024"
IMPLS = {  # sub-benchmark: (impl, role)
    "SendRecv": ("funnelq Send/Recv", "funnelq"),
    "Batch64": ("funnelq SendBatch/RecvBatch 64", "funnelq"),
    "Batch64Into": ("funnelq SendBatch/RecvBatchInto 64", "funnelq"),
    "GoChan": ("Go channel", "native"),
    "GoChanBatch64": ("Go channel of 64-message slices", "other"),
}
line = re.compile(r"^BenchmarkMPSC/P=(\d+)/(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op")
samples = {}
for row in open(text):
    m = line.match(row)
    if m:
        samples.setdefault((int(m[1]), m[2]), []).append(float(m[3]))
missing = [(p, name) for p in (1, 2, 4) for name in IMPLS if len(samples.get((p, name), [])) != int(runs)]
if missing:
    sys.stderr.write(open(text).read())
    sys.exit(f"bench-go: expected {runs} results for each of {missing}")
results = []
for p in (1, 2, 4):
    for name, (impl, role) in IMPLS.items():
        ns = statistics.median_low(samples[(p, name)])
        results.append({"case": CASE, "producers": p, "impl": impl, "role": role, "msgs_per_sec": round(1e9 / ns)})
report = {
    "language": "Go",
    "native": "Go channel",
    "command": "bash ci/bench-go.sh",
    "environment": environment,
    "plot_case": CASE,
    "results": results,
}
write_report(json_path, report)
print("## Go")
print()
print("Rerun alone: `bash ci/bench-go.sh` (after `ci/setup.sh`; it runs `go test -bench MPSC` in `examples/go`).")
print(f"Environment: {environment}.")
print(f"P producer goroutines -> 1 consumer, capacity 1024, 16-byte `[]byte` messages; {int(messages):,} messages")
print(f"per run (`-benchtime {messages}x`), median of {runs} runs (`-count {runs}`), messages per second.")
print()
print(producers_table(report, "Go channel"))
EOF
cat docs/bench-notes/go.md
