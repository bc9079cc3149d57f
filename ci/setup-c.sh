#!/usr/bin/env bash
# Installs what ci/test-c.sh needs (C toolchain with AddressSanitizer,
# pkg-config, make, cmake, valgrind, cbindgen, cargo-fuzz). Go and Rust are
# expected on the machine.
# Idempotent and fast when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

CBINDGEN_VERSION=0.29.4 # the header in bindings-c/include was generated with it

missing=()
command -v gcc >/dev/null || missing+=(gcc)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v cmake >/dev/null || missing+=(cmake)
command -v valgrind >/dev/null || missing+=(valgrind)
# AddressSanitizer runtime (libasan ships with gcc on Debian; check it links)
if command -v gcc >/dev/null; then
    if ! echo 'int main(void){return 0;}' | gcc -fsanitize=address -x c - -o /tmp/funnelq-asan-probe 2>/dev/null; then
        missing+=(gcc)
    fi
    rm -f /tmp/funnelq-asan-probe
fi
if ((${#missing[@]})); then
    echo "setup-c: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}" libc6-dev
fi

if ! cbindgen --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
    echo "setup-c: installing cbindgen $CBINDGEN_VERSION"
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked
fi

CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    echo "setup-c: installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

command -v go >/dev/null || { echo "setup-c: Go (>= 1.24) is required for examples/go" >&2; exit 1; }
echo "setup-c: ok ($(cbindgen --version), $(cargo fuzz --version), $(valgrind --version), $(go version | cut -d' ' -f3), $(gcc --version | head -n1))"
