#!/usr/bin/env bash
# Sets up, then runs the demo of every language in turn. Each shows send,
# try_send hitting Full, recv and close (drain, then end of stream), with
# producers feeding one consumer, and prints what happened and the rate.
# The first run installs toolchains and builds everything (several minutes);
# later runs take about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

banner() { printf '\n##### %s\n\n' "$*"; }

echo "setting up (quiet; see ci/setup.sh) ..."
bash ci/setup.sh >/dev/null

banner "Rust (examples/rust)"
cargo run --release -q -p funnelq-example

banner "C (examples/c, linked through pkg-config)"
prefix="$root/target/demo-prefix"
make -s -C bindings-c install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
cc -std=c99 -O2 examples/c/demo.c -o target/demo-c $(pkg-config --cflags --libs funnelq) -pthread
target/demo-c

banner "Go (examples/go, through cgo)"
(cd examples/go && CGO_ENABLED=1 go run ./cmd/demo)

banner "Python (examples/python)"
venv=target/demo-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ./bindings-python
"$venv/bin/python" examples/python/threads_demo.py
echo
"$venv/bin/python" examples/python/asyncio_demo.py

banner "Node.js (examples/node: worker_threads producers, main-thread consumer)"
(cd bindings-node && npm run -s build >/dev/null)
(cd examples/node && node demo.js)

banner "Browser (examples/browser: web workers + WebAssembly, run in headless Chromium)"
bash wasm/build.sh >/dev/null
node examples/browser/smoke.mjs
echo
echo "To watch it live: node examples/browser/serve.mjs, then open the printed address."
