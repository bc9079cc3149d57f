#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, the house-rule check,
# the core's tests, doc tests, loom models and no_std builds, the examples,
# then each binding's test script. Works on a fresh machine (sets up first).
set -euo pipefail
cd "$(dirname "$0")/.."

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
cargo test -p funnelq --release

step "core: benchmark harness smoke run"
cargo test -p funnelq --release --benches

step "core: loom models"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
  cargo test -p funnelq --test loom --release

step "core: no_std builds for thumbv7em-none-eabihf (core only, and with alloc)"
for features in "" "--features alloc"; do
  # shellcheck disable=SC2086
  RUSTFLAGS="-D warnings" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    /usr/bin/cargo build -p funnelq --no-default-features $features \
    --target thumbv7em-none-eabihf -Zbuild-std=core,alloc --target-dir target/nostd
done

step "example: rust"
cargo run --release -q -p funnelq-example

for script in ci/test-*.sh; do
  [ -e "$script" ] || continue
  step "$script"
  bash "$script"
done

step "all tests passed"
