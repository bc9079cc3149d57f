#!/usr/bin/env bash
# Fuzzes the C interface (bindings-c/fuzz, target c_abi): random call
# sequences with live, stale, forged and wrong-kind handles and hostile
# sizes, checked against a model of every channel (see the target's docs).
# cargo-fuzz needs nightly flags: the stable toolchain runs them with
# RUSTC_BOOTSTRAP=1. AddressSanitizer when the toolchain has its runtime,
# else no sanitizer (the model's checks still run).
#
#   bash ci/fuzz-c.sh                            # the long pass: 10 minutes
#   FUNNELQ_FUZZ_SECONDS=25 bash ci/fuzz-c.sh    # the short pass ci/test-c.sh runs
#   FUNNELQ_FUZZ_RUNS=100000 bash ci/fuzz-c.sh   # a fixed number of executions instead
#
# The corpus is kept in $FUNNELQ_FUZZ_CORPUS (default target/fuzz-corpus/c_abi)
# so each run starts where the last one stopped; a crashing input is written
# to target/fuzz-artifacts/ and the script fails. Reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir bindings-c/fuzz c_abi <file>
set -euo pipefail
source "$(dirname "$0")/lib-c.sh"
CORPUS="${FUNNELQ_FUZZ_CORPUS:-$TARGET_DIR/fuzz-corpus/c_abi}"
ARTIFACTS="$TARGET_DIR/fuzz-artifacts/"
SECONDS_BUDGET="${FUNNELQ_FUZZ_SECONDS:-600}"
RUNS="${FUNNELQ_FUZZ_RUNS:-}"
mkdir -p "$CORPUS" "$ARTIFACTS"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-c: cargo-fuzz is not installed (bash ci/setup-c.sh installs it)" >&2
    exit 1
fi
export RUSTC_BOOTSTRAP=1
FUZZ=(cargo fuzz)
COMMON=(--fuzz-dir bindings-c/fuzz --target-dir "$TARGET_DIR/fuzz")

sanitizer=address
if ! "${FUZZ[@]}" build "${COMMON[@]}" -s address c_abi >"$TARGET_DIR/fuzz-build.log" 2>&1; then
    if grep -q "asan" "$TARGET_DIR/fuzz-build.log"; then
        echo "fuzz-c: no AddressSanitizer runtime in this toolchain: fuzzing without a sanitizer" >&2
        sanitizer=none
        "${FUZZ[@]}" build "${COMMON[@]}" -s none c_abi
    else
        cat "$TARGET_DIR/fuzz-build.log" >&2
        exit 1
    fi
fi

# Under ASan, a ring of funnelq_max_capacity() slots (32 GiB) must come back
# as FUNNELQ_NOMEM: ASan's allocator refuses it (max_allocation_size_mb) and
# libFuzzer's malloc limit sits above it. Without ASan the target never asks
# for it (a machine with that much memory would grant it).
if [ "$sanitizer" = address ]; then
    export FUNNELQ_FUZZ_HUGE=1
    export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:max_allocation_size_mb=4096:detect_leaks=1}"
fi
limit=(-max_total_time="$SECONDS_BUDGET")
[ -n "$RUNS" ] && limit=(-runs="$RUNS")
log="$TARGET_DIR/fuzz-c.log"
echo "fuzz-c: sanitizer $sanitizer, ${RUNS:+$RUNS runs}${RUNS:-$SECONDS_BUDGET s}, corpus $CORPUS ($(ls "$CORPUS" | wc -l) inputs)"
set +e
"${FUZZ[@]}" run "${COMMON[@]}" -s "$sanitizer" c_abi "$CORPUS" -- \
    "${limit[@]}" -malloc_limit_mb=65536 -rss_limit_mb=4096 -timeout=20 \
    -print_final_stats=1 -artifact_prefix="$ARTIFACTS" >"$log" 2>&1
rc=$?
set -e
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
new="$(sed -n 's/^stat::new_units_added: *//p' "$log")"
cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)"
if [ "$rc" -ne 0 ]; then
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" >&2 || tail -n 40 "$log" >&2
    echo "fuzz-c: FAILED after ${runs:-?} executions (log: $log)" >&2
    exit 1
fi
echo "fuzz-c: ${runs:-?} executions (${rate:-?}/s), ${new:-0} new inputs, ${cov:-cov: ?} edges, corpus $(ls "$CORPUS" | wc -l) inputs; no findings"
