# Shared by ci/test-c.sh, ci/bench-c.sh, ci/bench-go.sh and ci/fuzz-c.sh:
# sourced, not run (`source "$(dirname "$0")/lib-c.sh"` after `set -euo
# pipefail`). It moves to the repository root and sets the cargo environment;
# the functions below are the one place for the steps those scripts share.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
ROOT="$PWD"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET_DIR"

# The static library and what it needs from the C runtime: an application
# embedding funnelq links this.
STATIC_LINK=("$TARGET_DIR/release/libfunnelq.a" -lpthread -ldl -lm -lrt -lutil)

# make_work NAME: a fresh temporary directory in $WORK, removed on exit.
make_work() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
}

# bench_setup LANG MESSAGES: the knobs of ci/bench-LANG.sh. OUT is where the
# report goes (FUNNELQ_BENCH_OUT); MESSAGES per run and RUNS (the median is
# reported) come from FUNNELQ_BENCH_<LANG>_MESSAGES and _RUNS, else MESSAGES
# and 9; plus a $WORK directory.
bench_setup() {
    local messages="FUNNELQ_BENCH_${1^^}_MESSAGES" runs="FUNNELQ_BENCH_${1^^}_RUNS"
    OUT="${FUNNELQ_BENCH_OUT:-$ROOT/target/bench}"
    MESSAGES="${!messages:-$2}"
    RUNS="${!runs:-9}"
    mkdir -p "$OUT"
    make_work "funnelq-bench-$1"
}

# build_c_bench NAME OUT: compiles bindings-c/bench/NAME.c against the static
# library, with the flags the benchmark is measured with (ci/bench-c.sh) and
# compile-checked with (ci/test-c.sh).
build_c_bench() {
    gcc -std=c99 -O2 -Wall -Wextra -Werror -Ibindings-c/include "bindings-c/bench/$1.c" \
        -o "$2" "${STATIC_LINK[@]}"
}

# install_prefix PREFIX: installs the library into a fresh PREFIX and points
# pkg-config and cgo at it. Use a fixed prefix per script, not a temporary
# one: Go's build cache keys on the CGO_* variables, not on what pkg-config
# printed, so a cached package must never name another run's (deleted)
# prefix; naming it in CGO_* as well makes the key change with the prefix.
install_prefix() {
    rm -rf "$1"
    make -s -C bindings-c install PREFIX="$1"
    export PKG_CONFIG_PATH="$1/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    export CGO_CFLAGS="-I$1/include"
    export CGO_LDFLAGS="-L$1/lib -Wl,-rpath,$1/lib"
}
