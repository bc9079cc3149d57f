#!/usr/bin/env bash
# Installs what ci/test-wasm.sh needs on a fresh Debian 12 machine (idempotent, fast when done):
#   Debian rustc-web/cargo-web/rust-web-src (1.96, std sources for -Zbuild-std) + lld-22 (wasm-ld),
#   chromium (browser test), wasm-bindgen-cli at the Cargo.lock version, playwright-core,
#   typescript and binaryen (wasm-opt for wasm/build.sh) from npm (wasm/package-lock.json).
# --build-only: just what wasm/build.sh needs (no chromium, no npm packages: the module is
# then built unoptimised).
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=0
[ "${1:-}" != --build-only ] || build_only=1

# Package names checked with apt-cache on Debian 12 (bookworm).
missing() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
rust=$(missing rustc-web cargo-web rust-web-src lld-22)
browser=""
[ "$build_only" = 1 ] || browser=$(missing chromium)
if [ -n "$rust$browser" ]; then
  $sudo apt-get update
  # shellcheck disable=SC2086 # word splitting of the package lists is intended
  [ -z "$rust" ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $rust
  # shellcheck disable=SC2086
  [ -z "$browser" ] || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y $browser
fi

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$want" != "$have" ]; then
  # Not --locked: the registry index here can lag the CLI's own lockfile.
  CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo install wasm-bindgen-cli --version "$want"
fi

if [ "$build_only" = 1 ]; then
  echo "setup-wasm: build toolchain ok (wasm-bindgen $want, $(/usr/bin/rustc --version))"
  exit 0
fi
if [ ! -d wasm/node_modules/playwright-core ] || [ ! -d wasm/node_modules/typescript ] ||
  [ ! -d wasm/node_modules/binaryen ]; then
  (cd wasm && npm ci --no-audit --no-fund)
fi
echo "setup-wasm: ok (wasm-bindgen $want, $(/usr/bin/rustc --version), $(chromium --version 2>/dev/null | head -1))"
