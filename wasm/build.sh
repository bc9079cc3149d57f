#!/usr/bin/env bash
# Builds the npm package `funnelq-wasm` into wasm/pkg/:
#   wasm32-unknown-unknown with atomics + shared, imported memory (-Zbuild-std),
#   wasm-bindgen --target web, optional wasm-opt, hand-written setup module + types.
#
# Toolchain (first that works, or force with FUNNELQ_WASM_TOOLCHAIN=debian|nightly):
#   debian  - Debian's rustc-web/cargo-web/rust-web-src (/usr/bin/cargo), with
#             RUSTC_BOOTSTRAP=1 to unlock -Zbuild-std on a stable compiler;
#   nightly - `cargo +nightly` from rustup with the rust-src component.
# Missing pieces are installed with ci/setup-wasm.sh --build-only (apt-get, cargo install;
# FUNNELQ_WASM_NO_SETUP=1 to only report them). wasm-opt -O2 (binaryen, a pinned npm dev
# dependency in wasm/) runs when present; FUNNELQ_WASM_OPT=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=wasm/pkg
export CARGO_TARGET_DIR="$root/target/wasm"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

flags="-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--import-memory -C link-arg=--max-memory=1073741824 \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

have_debian() {
  [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ] &&
    [ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]
}
have_nightly() {
  # Never let rustup try to download a toolchain while probing.
  command -v rustup >/dev/null &&
    RUSTUP_AUTO_INSTALL=0 timeout 20 rustup run nightly rustc --version >/dev/null 2>&1 &&
    [ -d "$(RUSTUP_AUTO_INSTALL=0 rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]
}

toolchain="${FUNNELQ_WASM_TOOLCHAIN:-}"
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "${FUNNELQ_WASM_NO_SETUP:-0}" != 1 ] && [ -z "$toolchain" ] &&
  { ! have_debian && ! have_nightly || [ "$want" != "$have" ]; }; then
  echo "build.sh: toolchain or wasm-bindgen $want missing: running ci/setup-wasm.sh --build-only" \
    "(FUNNELQ_WASM_NO_SETUP=1 to skip)"
  bash ci/setup-wasm.sh --build-only
fi
if [ -z "$toolchain" ]; then
  if have_debian; then toolchain=debian
  elif have_nightly; then toolchain=nightly
  else
    echo "build.sh: no toolchain for wasm32 threads: run ci/setup-wasm.sh" >&2
    echo "  (Debian: apt-get install rustc-web cargo-web rust-web-src lld-22;" >&2
    echo "   or rustup: rustup toolchain install nightly -c rust-src)" >&2
    exit 1
  fi
fi

case "$toolchain" in
  debian)
    # Debian's rustc has no bundled rust-lld: link with lld's wasm-ld.
    if ! command -v rust-lld >/dev/null; then
      for ld in wasm-ld-22 wasm-ld-21 wasm-ld-20 wasm-ld-19 wasm-ld; do
        if command -v "$ld" >/dev/null; then
          export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$ld"; break
        fi
      done
    fi
    echo "build.sh: toolchain: Debian $(/usr/bin/rustc --version) (RUSTC_BOOTSTRAP=1, -Zbuild-std)"
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 RUSTFLAGS="$flags" \
      /usr/bin/cargo build --release -p funnelq-wasm --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort
    ;;
  nightly)
    echo "build.sh: toolchain: rustup $(rustup run nightly rustc --version) (-Zbuild-std)"
    RUSTFLAGS="$flags" cargo +nightly build --release -p funnelq-wasm \
      --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
    ;;
  *) echo "build.sh: FUNNELQ_WASM_TOOLCHAIN must be debian or nightly" >&2; exit 1 ;;
esac
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/funnelq_wasm.wasm"

# The CLI must be exactly the wasm-bindgen version in Cargo.lock.
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$want" != "$have" ]; then
  echo "build.sh: wasm-bindgen CLI ${have:-missing}, Cargo.lock wants $want:" >&2
  echo "  cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi

rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" --out-name funnelq_wasm "$wasm"
# wasm-opt: binaryen from wasm/node_modules (a pinned dev dependency: npm ci in wasm/,
# as ci/setup-wasm.sh does), else one on PATH. An old binaryen cannot read every
# opcode rustc emits (Debian 12's wasm-opt 108 stops at table.fill): then say so and
# ship the module unoptimised. FUNNELQ_WASM_OPT=0 skips the step.
optimised=""
if [ "${FUNNELQ_WASM_OPT:-1}" != 0 ]; then
  opt="$root/wasm/node_modules/.bin/wasm-opt"
  [ -x "$opt" ] || opt=$(command -v wasm-opt || true)
  if [ -z "$opt" ]; then
    echo "build.sh: no wasm-opt (run npm ci in wasm/): the module is not optimised" >&2
  elif "$opt" -O2 --enable-threads --enable-bulk-memory --enable-mutable-globals \
    --enable-sign-ext --enable-nontrapping-float-to-int \
    "$out/funnelq_wasm_bg.wasm" -o "$out/funnelq_wasm_bg.wasm.opt"; then
    mv "$out/funnelq_wasm_bg.wasm.opt" "$out/funnelq_wasm_bg.wasm"
    optimised=", optimised by $("$opt" --version)"
  else
    rm -f "$out/funnelq_wasm_bg.wasm.opt"
    echo "build.sh: $("$opt" --version) could not optimise the module (above): it ships unoptimised" >&2
  fi
fi
cp wasm/npm/package.json wasm/npm/index.js wasm/npm/index.d.ts wasm/README.md "$out/"
rm -f "$out/.gitignore"
version=$(awk '/^\[workspace.package\]/ { p = 1 } p && /^version *=/ { gsub(/"/, "", $3); print $3; exit }' Cargo.toml)
sed -i "s/\"0.0.0-dev\"/\"${version:-0.0.0-dev}\"/" "$out/package.json"
echo "build.sh: built $out ($(wc -c < "$out/funnelq_wasm_bg.wasm") bytes of wasm${optimised:-, not optimised})"
