#!/usr/bin/env bash
# funnelq-wasm against MessagePort.postMessage, P = 1, 2, 4 producer workers → one
# consumer worker, in Node worker_threads and in headless Chromium web workers.
# Writes $FUNNELQ_BENCH_OUT/wasm-node.json and wasm-chromium.json (the schema of
# ci/bench_report.py) and prints the Markdown section of docs/BENCHMARKS.md.
# About 70 s after ci/setup.sh (plus a first build of wasm/pkg if it is missing).
#
#   bash ci/bench-wasm.sh
#   node wasm/bench/node-bench.mjs --quick    # one program alone, see its header
set -euo pipefail
# Resolved before the cd: a relative FUNNELQ_BENCH_OUT is relative to the caller.
out=$(realpath -m "${FUNNELQ_BENCH_OUT:-$(dirname "$0")/../target/bench}")
cd "$(dirname "$0")/.."
mkdir -p "$out"
# A failed run must not leave an earlier run's figures behind for the report.
rm -f "$out/wasm-node.json" "$out/wasm-chromium.json"
# Seconds each program may run (the last run in progress finishes): they run one after
# the other, as together they would share the 2 cores this is sized for, and must fit in
# 75 s with Node's and Chromium's start-up.
node_budget=27
chromium_budget=35

if [ ! -f wasm/pkg/funnelq_wasm_bg.wasm ]; then
  echo "bench-wasm: building wasm/pkg" >&2
  bash wasm/build.sh >&2
fi
if [ ! -d wasm/node_modules/playwright-core ]; then
  echo "bench-wasm: wasm/node_modules/playwright-core is missing: run ci/setup-wasm.sh" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "bench-wasm: Node worker_threads (~${node_budget} s)" >&2
timeout 120 node wasm/bench/node-bench.mjs --budget "$node_budget" --json "$out/wasm-node.json" >"$tmp/node.md"
echo "bench-wasm: headless Chromium (~${chromium_budget} s)" >&2
timeout 150 node wasm/bench/run-browser.mjs --budget "$chromium_budget" --json "$out/wasm-chromium.json" >"$tmp/chromium.md"

environment() {
  node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).environment)' "$1"
}

echo "## WebAssembly (funnelq-wasm)"
echo
echo "Rerun alone: \`bash ci/bench-wasm.sh\` (after \`ci/setup.sh\`; about a minute). Figures are"
echo "messages per second, each the median of several interleaved runs; the ratio columns divide"
echo "each funnelq form by postMessage (\`MessagePort.postMessage\`) in the same run."
echo
echo "### Node worker_threads"
echo
echo "$(environment "$out/wasm-node.json")."
cat "$tmp/node.md"
echo
echo "### Chromium web workers"
echo
echo "$(environment "$out/wasm-chromium.json")."
cat "$tmp/chromium.md"
echo
cat docs/bench-notes/wasm.md
