#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine that has rustup's
# stable Rust, Go, Python 3.11 and Node 20. Idempotent and quick when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Debian rustc-web toolchain with its library sources: -Zbuild-std for
# the bare-metal no_std check and for wasm32 with atomics
# (see ../shared/TOOLCHAIN.md; rustup cannot download targets here).
if ! { [ -x /usr/bin/rustc ] && dpkg -s rust-web-src >/dev/null 2>&1; }; then
  apt-get update -qq
  apt-get install -y -qq rustc-web cargo-web rust-web-src >/dev/null
fi

# Each binding installs its own tools.
for script in ci/setup-*.sh; do
  [ -e "$script" ] || continue
  echo "--- $script"
  bash "$script"
done
