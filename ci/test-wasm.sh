#!/usr/bin/env bash
# Builds funnelq-wasm (wasm/build.sh) and runs its tests: host unit tests, the typings
# check, the Node worker_threads suite (scenario ids in the test names), the headless
# Chromium suite and the browser example's smoke run. Run ci/setup-wasm.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test -q -p funnelq-wasm
bash wasm/build.sh
wasm/node_modules/.bin/tsc -p wasm/test/types
timeout 300 node --test --test-timeout=120000 --test-force-exit wasm/test/*.test.mjs
timeout 180 node wasm/browser-test/run.mjs
timeout 120 node examples/browser/smoke.mjs
