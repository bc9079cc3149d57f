#!/usr/bin/env bash
# Builds funnelq-wasm (wasm/build.sh) and runs its tests: host unit tests, the typings
# check, the Node worker_threads suite (scenario ids in the test names), the headless
# Chromium suite and the browser example's smoke run. Run ci/setup-wasm.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Per-test results for the conformance table (ci/conformance.py).
results="${FUNNELQ_RESULTS:-$PWD/target/conformance}"
mkdir -p "$results"
rm -f "$results/wasm-node.xml" "$results/wasm-chromium.log"

cargo test -q -p funnelq-wasm
bash wasm/build.sh
wasm/node_modules/.bin/tsc -p wasm/test/types
# No --test-force-exit: it would end the run before the JUnit reporter writes
# its file. `timeout` bounds the run instead.
timeout 300 node --test --test-timeout=120000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$results/wasm-node.xml" wasm/test/*.test.mjs
timeout 240 node wasm/browser-test/run.mjs | tee "$results/wasm-chromium.log"
timeout 120 node examples/browser/smoke.mjs
