#!/usr/bin/env bash
# Runs the core's unit tests and a subset of its scenario tests under Miri
# (undefined behaviour, Stacked Borrows on the intrusive waiter list, data
# races), when this machine has a toolchain with Miri and its rust-src.
# Otherwise it prints one line saying so and exits 0: rustup here cannot
# download components (../shared/TOOLCHAIN.md), and Debian does not package
# Miri.
#
# FUNNELQ_MIRI_TOOLCHAIN=<name> picks the toolchain (default: try `nightly`,
# then the default one); MIRIFLAGS passes through (e.g. -Zmiri-tree-borrows).
set -euo pipefail
cd "$(dirname "$0")/.."

# Never let rustup try to download anything while probing (it hangs here).
export RUSTUP_AUTO_INSTALL=0

probe() {
  # $1: a `+toolchain` argument, or empty for the default toolchain.
  local tc="$1" sysroot
  timeout 30 cargo $tc miri --version >/dev/null 2>&1 || return 1
  sysroot=$(timeout 30 rustc $tc --print sysroot 2>/dev/null) || return 1
  # `cargo miri setup` builds a sysroot from rust-src; without it, it would
  # ask rustup for the component.
  [ -d "$sysroot/lib/rustlib/src/rust/library/std" ] || return 1
}

toolchain=""
found=0
candidates=()
if [ -n "${FUNNELQ_MIRI_TOOLCHAIN:-}" ]; then
  candidates=("+$FUNNELQ_MIRI_TOOLCHAIN")
else
  candidates=("+nightly" "")
fi
for tc in "${candidates[@]}"; do
  if probe "$tc"; then
    toolchain="$tc"
    found=1
    break
  fi
done
if [ "$found" != 1 ]; then
  tried=$(printf '%s ' "${candidates[@]}" | sed 's/^ /default /; s/  / default /; s/ $//')
  echo "test-core-miri: Miri is not available on this toolchain (no miri component with rust-src; tried: ${tried:-default}): skipped"
  exit 0
fi

echo "test-core-miri: $(cargo $toolchain miri --version)"
# A separate target dir: Miri's artefacts do not mix with normal builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/miri"
# Miri has no `membarrier` (the core then uses the SeqCst handshake, see
# core/src/loom/handshake.rs); the clock is Miri's virtual one.
export MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-strict-provenance"
timeout 600 cargo $toolchain miri setup
# Unit tests: the layout arithmetic and the S21 dead-record wake-up (the
# waiter list's raw pointers, a thread sleeping on a futex).
timeout 1200 cargo $toolchain miri test -p funnelq --lib
# Scenarios that exercise the ring, close, drain, batches and the futures'
# waiter records without long sleeps or huge allocations (s22 asks the
# allocator for a petabyte, which Miri reports as exhaustion, not null).
timeout 1800 cargo $toolchain miri test -p funnelq --test scenarios -- \
  s01_capacity s03_fifo_per_producer_single_thread s05_ s06_ \
  s13_receiver_dropped s13_panicking_destructor s14_ \
  s16_dropped s16_woken s07_s16_send_batch_async \
  s18_batches_prefix_and_order len_is_a_snapshot
timeout 1200 cargo $toolchain miri test -p funnelq --test static_channel
echo "test-core-miri: passed"
