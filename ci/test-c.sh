#!/usr/bin/env bash
# C library and Go binding: header drift, Rust unit tests, C tests (plain,
# AddressSanitizer with leak detection, valgrind memcheck), a short fuzz pass
# on the C ABI, install into a temporary prefix, examples/c through
# pkg-config (and CMake), Go vet / test -race / bench smoke / demo against
# the installed library.
set -euo pipefail
source "$(dirname "$0")/lib-c.sh"
# Per-test results for the conformance table (ci/conformance.py).
RESULTS="${FUNNELQ_RESULTS:-$ROOT/target/conformance}"
mkdir -p "$RESULTS"
rm -f "$RESULTS/c.log" "$RESULTS/go.log"

step() { printf '\n==> %s\n' "$*"; }

# One fixed prefix for every run and checkout (see install_prefix).
PREFIX="${TMPDIR:-/tmp}/funnelq-ci-prefix"
make_work funnelq-c-test

step "header is up to date (cbindgen --verify)"
if ! out="$(make -s -C bindings-c verify-header 2>&1)"; then
    echo "$out" | grep -v '^WARN: Skip' >&2 || true
    echo "bindings-c/include/funnelq.h is stale: run 'make -C bindings-c header' and commit it" >&2
    exit 1
fi
echo "header ok"

step "header compiles as C99 and C++"
echo '#include "funnelq.h"' | gcc -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -Ibindings-c/include -x c -
echo '#include "funnelq.h"' | g++ -std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only -Ibindings-c/include -x c++ -

step "rust unit tests (funnelq-c)"
cargo test -q -p funnelq-c

step "C tests: plain (shared lib) and AddressSanitizer (static lib, leak detection on)"
make -s -C bindings-c test BUILD_DIR="$WORK/c-tests" 2>&1 | tee "$RESULTS/c.log"

if command -v valgrind >/dev/null; then
    step "C tests under valgrind memcheck (no errors, no definite leaks; a fifth of the stress load)"
    timeout 600 make -s -C bindings-c test-valgrind BUILD_DIR="$WORK/c-tests" 2>&1 | tee -a "$RESULTS/c.log"
else
    echo "valgrind not installed: memcheck pass skipped (ci/setup-c.sh installs it)" >&2
fi

step "benchmark programs compile (bindings-c/bench/*.c; not run here)"
for b in bench handle_cost; do
    build_c_bench "$b" "$WORK/fq-$b"
done

step "leak detection is live (a leaking canary must fail under ASan)"
# expect_leak CHECKER EXIT_CODE REPORT LOG COMMAND...: COMMAND (the canary
# under CHECKER) must exit with EXIT_CODE and write REPORT into LOG.
expect_leak() {
    local checker="$1" code="$2" report="$3" log="$4" rc
    shift 4
    set +e
    "$@" >"$log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -ne "$code" ] || ! grep -q "$report" "$log"; then
        echo "$checker did not report the canary's leak (rc=$rc): leak checks are not running" >&2
        cat "$log" >&2
        exit 1
    fi
}
gcc -std=c99 -fsanitize=address -Ibindings-c/include bindings-c/tests/canary/leak_canary.c \
    -o "$WORK/leak_canary" "${STATIC_LINK[@]}"
expect_leak LeakSanitizer 23 "detected memory leaks" "$WORK/canary.log" \
    env ASAN_OPTIONS=detect_leaks=1:exitcode=23 "$WORK/leak_canary"
echo "canary leak reported, as expected"
if command -v valgrind >/dev/null; then
    gcc -std=c99 -Ibindings-c/include bindings-c/tests/canary/leak_canary.c -o "$WORK/leak_canary_vg" \
        "${STATIC_LINK[@]}"
    expect_leak valgrind 42 "definitely lost" "$WORK/canary-vg.log" \
        valgrind -q --error-exitcode=42 --leak-check=full --errors-for-leak-kinds=definite "$WORK/leak_canary_vg"
    echo "canary leak reported by valgrind too"
fi

if [ -z "${FUNNELQ_NO_FUZZ:-}" ]; then
    step "fuzz the C ABI: a short pass (ci/fuzz-c.sh runs the long one)"
    FUNNELQ_FUZZ_SECONDS="${FUNNELQ_FUZZ_SECONDS:-25}" bash ci/fuzz-c.sh
fi

step "install into $PREFIX"
install_prefix "$PREFIX"
pkg-config --modversion funnelq

step "examples/c via pkg-config"
cc -std=c99 -O2 -Wall -Wextra -Werror examples/c/demo.c -o "$WORK/demo" $(pkg-config --cflags --libs funnelq) -pthread
"$WORK/demo"
cc -std=c99 -O2 examples/c/demo.c -o "$WORK/demo-static" -I"$PREFIX/include" "$PREFIX/lib/libfunnelq.a" \
    $(pkg-config --libs-only-l --static funnelq | sed 's/-lfunnelq//') -pthread
"$WORK/demo-static" >/dev/null && echo "static link ok"

if command -v cmake >/dev/null; then
    step "examples/c via CMake find_package(funnelq)"
    cmake -S examples/c -B "$WORK/cmake" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null
    cmake --build "$WORK/cmake" >/dev/null
    "$WORK/cmake/demo" >/dev/null && echo "cmake build ok"
fi

step "Go: vet, test -race, bench smoke, demo (examples/go)"
cd examples/go
export CGO_ENABLED=1
go vet ./...
test -z "$(gofmt -l .)" || { echo "gofmt needed: $(gofmt -l .)" >&2; exit 1; }
# -v names every test for the conformance table; the screen gets the verdicts
# (and the whole log if anything failed).
go test -race -count=1 -timeout 5m -v ./... >"$RESULTS/go.log" 2>&1 || { cat "$RESULTS/go.log" >&2; exit 1; }
grep -E '^(--- |ok )' "$RESULTS/go.log"
go test -count=1 -run '^$' -bench . -benchtime 20000x ./... | grep -E '^(Benchmark|ok)'
go run ./cmd/demo
echo
echo "test-c: all passed"
