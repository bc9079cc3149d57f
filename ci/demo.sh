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

# Runs a build step silently; shows its output only if it fails.
quiet() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    cat "$log"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

echo "setting up (see ci/setup.sh) ..."
quiet bash ci/setup.sh

banner "Rust (examples/rust)"
quiet cargo build --release -q -p funnelq-example
target/release/funnelq-example

banner "C (examples/c, linked through pkg-config)"
prefix="$root/target/demo-prefix"
quiet make -s -C bindings-c install PREFIX="$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# Go's build cache does not key on pkg-config's output: name the prefix here
# too, so that Go never links against another run's library.
export CGO_CFLAGS="-I$prefix/include" CGO_LDFLAGS="-L$prefix/lib -Wl,-rpath,$prefix/lib"
# shellcheck disable=SC2046
cc -std=c99 -O2 examples/c/demo.c -o target/demo-c $(pkg-config --cflags --libs funnelq) -pthread
target/demo-c

banner "Go (examples/go, through cgo)"
(cd examples/go && CGO_ENABLED=1 go run ./cmd/demo)

banner "Python (examples/python)"
venv=target/demo-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
quiet "$venv/bin/python" -m pip install --disable-pip-version-check ./bindings-python
"$venv/bin/python" examples/python/threads_demo.py
echo
"$venv/bin/python" examples/python/asyncio_demo.py

banner "Node.js (examples/node: worker_threads producers, main-thread consumer)"
quiet bash -c 'cd bindings-node && npm run -s build'
(cd examples/node && node demo.js)

banner "Browser (examples/browser: web workers + WebAssembly, run in headless Chromium)"
quiet bash wasm/build.sh
node examples/browser/smoke.mjs
echo
echo "To watch it live: node examples/browser/serve.mjs, then open the printed address."
