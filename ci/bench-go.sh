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
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="${FUNNELQ_BENCH_OUT:-$ROOT/target/bench}"
MESSAGES="${FUNNELQ_BENCH_GO_MESSAGES:-500000}"
RUNS="${FUNNELQ_BENCH_GO_RUNS:-9}"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/funnelq-bench-go.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A fixed prefix, as in ci/test-c.sh but not the same one (the two may run
# at once): Go's build cache keys on the CGO_* variables below, not on what
# pkg-config printed, so the prefix they name must be the one installed now.
PREFIX="${TMPDIR:-/tmp}/funnelq-bench-prefix"
rm -rf "$PREFIX"
make -s -C bindings-c install PREFIX="$PREFIX" >&2
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export CGO_CFLAGS="-I$PREFIX/include"
export CGO_LDFLAGS="-L$PREFIX/lib -Wl,-rpath,$PREFIX/lib"
export CGO_ENABLED=1

# -count repeats the whole set, so every round measures all implementations
# under the same load; the report takes the median per benchmark.
(cd examples/go && go test -count="$RUNS" -run '^$' -bench '^BenchmarkMPSC$' -benchtime "${MESSAGES}x" .) \
    >"$WORK/bench.txt" || { cat "$WORK/bench.txt" >&2; exit 1; }

version="$(pkg-config --modversion funnelq)"
environment="$(go version | cut -d' ' -f3), cgo with $(gcc --version | head -n 1 | sed 's/^gcc ([^)]*)/gcc/'), funnelq $version (libfunnelq.so, release), GOMAXPROCS $(nproc)"

python3 - "$WORK/bench.txt" "$OUT/go.json" "$environment" "$MESSAGES" "$RUNS" docs/bench-notes/go.md <<'EOF'
import json
import re
import statistics
import sys

text, json_path, environment, messages, runs, notes = sys.argv[1:]
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
with open(json_path, "w") as f:
    json.dump(report, f, indent=1)
    f.write("\n")

impls = [impl for impl, _ in IMPLS.values()]
funnelq = [impl for impl, role in IMPLS.values() if role == "funnelq"]
rate = {(r["producers"], r["impl"]): r["msgs_per_sec"] for r in results}
print("## Go")
print()
print("Rerun alone: `bash ci/bench-go.sh` (after `ci/setup.sh`; it runs `go test -bench MPSC` in `examples/go`).")
print(f"Environment: {environment}.")
print(f"P producer goroutines -> 1 consumer, capacity 1024, 16-byte `[]byte` messages; {int(messages):,} messages")
print(f"per run (`-benchtime {messages}x`), median of {runs} runs (`-count {runs}`), messages per second.")
print()
print(f"**{CASE}**")
print()
print("| producers | " + " | ".join(impls) + " | " + " | ".join(f"{i} ÷ Go channel" for i in funnelq) + " |")
print("|---:|" + "---:|" * (len(impls) + len(funnelq)))
for p in (1, 2, 4):
    cells = [f"{rate[(p, i)]:,}" for i in impls]
    cells += [f"{rate[(p, i)] / rate[(p, 'Go channel')]:.2f}x" for i in funnelq]
    print(f"| {p} | " + " | ".join(cells) + " |")
print()
# The notes' own title gives way to the heading above; their sections sit under it.
lines = open(notes).read().splitlines()
if lines and lines[0].startswith("# "):
    lines = lines[1:]
print("\n".join("#" + l if l.startswith("## ") else l for l in lines).strip())
EOF
