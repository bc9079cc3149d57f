#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, the house-rule check,
# the core's tests, doc tests, loom models and no_std builds, the examples,
# then each binding's test script, and last the conformance table
# (docs/CONFORMANCE.md must match what this run's tests produced).
# Works on a fresh machine (sets up first).
set -euo pipefail
cd "$(dirname "$0")/.."

# Every test script leaves its per-test results here for ci/conformance.py.
export FUNNELQ_RESULTS="${FUNNELQ_RESULTS:-$PWD/target/conformance}"
rm -rf "$FUNNELQ_RESULTS"
mkdir -p "$FUNNELQ_RESULTS"

step() { printf '\n=== %s\n' "$*"; }

step "setup"
bash ci/setup.sh

step "format"
cargo fmt --all --check

step "clippy (workspace, all targets, -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

step "house rules: // SAFETY:, // ORDERING:, the loom facade"
python3 ci/check_comments.py

step "core: unit, scenario, stress and doc tests (release)"
cargo test -p funnelq --release 2>&1 | tee "$FUNNELQ_RESULTS/rust-tests.log"

step "bindings-common (funnelq-binding): unit and doc tests"
cargo test -p funnelq-binding --release

step "core: benchmark harness smoke run"
cargo test -p funnelq --release --benches

step "core: loom models"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p funnelq --test loom --release 2>&1 | tee "$FUNNELQ_RESULTS/rust-loom.log"

step "core: no_std builds for thumbv7em-none-eabihf (core only, and with alloc)"
for features in "" "--features alloc"; do
  # shellcheck disable=SC2086
  RUSTFLAGS="-D warnings" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build -p funnelq --no-default-features $features \
    --target thumbv7em-none-eabihf -Zbuild-std=core,alloc --target-dir target/nostd
done

step "example: rust"
cargo run --release -q -p funnelq-example

# Each binding's script runs even when an earlier one failed, so that the
# conformance table shows every binding's cells.
failed=()
# The NATS bridge's Python example reuses the wheel that test-python.sh built: last.
for script in $(ls ci/test-*.sh | grep -v test-nats.sh) ci/test-nats.sh; do
  [ -e "$script" ] || continue
  step "$script"
  bash "$script" || failed+=("$script")
done

# After test-node.sh and test-wasm.sh built both packages' types.
step "one JavaScript surface: funnelq and funnelq-wasm declare the same names"
node ci/js_surface.mjs || failed+=("ci/js_surface.mjs")

# --check in CI; ci/conformance.sh asks for --write.
step "conformance table (docs/CONFORMANCE.md)"
mode="${FUNNELQ_CONFORMANCE:-check}"
python3 ci/conformance.py "--$mode" || failed+=("ci/conformance.py --$mode")

if [ "${#failed[@]}" -gt 0 ]; then
  step "FAILED: ${failed[*]}"
  exit 1
fi
step "all tests passed"
