#!/usr/bin/env bash
# Sets up and runs the demo of every language that has one: each shows
# send, try_send hitting Full, recv and close (drain, then end of stream),
# with producers feeding one consumer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >/dev/null

printf '\n##### Rust\n'
cargo run --release -q -p funnelq-example

for script in ci/demo-*.sh; do
  [ -e "$script" ] || continue
  bash "$script"
done
