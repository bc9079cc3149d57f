#!/usr/bin/env bash
# The NATS JetStream bridge (bridges/nats, crate funnelq-nats) against a real nats-server:
# starts one with JetStream on a free loopback port and a temporary store (stopped on exit),
# runs the crate's tests (round trips use that server; the fault tests start, freeze,
# restart and kill servers of their own), the CLI round trip, then the Python (nats-py)
# and Go (nats.go) forward examples over the funnelq bindings. About 2 minutes once built;
# the first run builds tokio and async-nats (a few minutes on 2 cores), the funnelq wheel
# and the C library.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
ROOT="$PWD"
step() { printf '\n==> %s\n' "$*"; }

bash ci/setup-nats.sh
export FUNNELQ_NATS_SERVER="$(command -v nats-server)"
# shellcheck source=../bridges/nats/scripts/nats-server.sh
source bridges/nats/scripts/nats-server.sh
started=$(date +%s)

step "funnelq-nats: build (tests, binary)"
cargo build -q -p funnelq-nats --tests --bins

step "funnelq-nats: tests (forward, ingest, faults) and doc tests"
timeout 300 cargo test -q -p funnelq-nats -- --test-threads 2

step "funnelq-nats CLI: 1000 lines forward, then ingest, same lines in order"
bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/funnelq-nats"
WORK="$NATS_DIR/work"
mkdir -p "$WORK"
seq 1 1000 >"$WORK/in.txt"
timeout 60 "$bin" forward --server "$FUNNELQ_NATS_URL" --subject cli.lines --stream CLI --window 32 <"$WORK/in.txt"
timeout 60 "$bin" ingest --server "$FUNNELQ_NATS_URL" --stream CLI --consumer cli --max 1000 >"$WORK/out.txt"
cmp "$WORK/in.txt" "$WORK/out.txt"
echo "cli round trip ok"
# A usage mistake exits 2 with a message that names the value and the bound.
set +e
msg=$("$bin" forward --subject s --window 0 --server "$FUNNELQ_NATS_URL" </dev/null 2>&1)
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "window 0 is out of range 1..=65536" <<<"$msg" || {
  echo "bad --window: rc $rc, message: $msg" >&2; exit 1; }

step "example: Python (nats-py) forward loop over the funnelq wheel"
PY=${PYTHON:-python3}
sources=(Cargo.toml Cargo.lock core/Cargo.toml core/src bindings-common
  bindings-python/Cargo.toml bindings-python/pyproject.toml bindings-python/src bindings-python/python)
# The wheel ci/test-python.sh installed (when it ran first and nothing it is made of changed
# since), else one built here into a virtual environment of this script's own, rebuilt only
# when its sources change. nats-py lives in a small environment of its own either way.
TEST_VPY=target/python-test-venv/bin/python
funnelq_site=""
if [ -x "$TEST_VPY" ] && mod=$("$TEST_VPY" -c 'import funnelq._funnelq as m; print(m.__file__)' 2>/dev/null) \
    && [ -z "$(find "${sources[@]}" -type f -newer "$mod" -print -quit 2>/dev/null)" ]; then
  funnelq_site=$("$TEST_VPY" -c 'import funnelq, os; print(os.path.dirname(os.path.dirname(funnelq.__file__)))')
  echo "using the funnelq wheel of ci/test-python.sh ($funnelq_site)"
else
  VENV=${FUNNELQ_NATS_PY_VENV:-target/nats-example-venv}
  stamp=$( {
    "$PY" --version
    rustc --version
    find "${sources[@]}" -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1)
  if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/funnelq-build-stamp" 2>/dev/null)" != "$stamp" ] \
      || ! "$VENV/bin/python" -c 'import funnelq' 2>/dev/null; then
    echo "building the funnelq wheel into $VENV"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ./bindings-python
    echo "$stamp" >"$VENV/funnelq-build-stamp"
  fi
  funnelq_site=$("$VENV/bin/python" -c 'import funnelq, os; print(os.path.dirname(os.path.dirname(funnelq.__file__)))')
fi
NATS_VENV=target/nats-py-venv
if ! "$NATS_VENV/bin/python" -c 'import nats' 2>/dev/null; then
  rm -rf "$NATS_VENV"
  "$PY" -m venv "$NATS_VENV"
  "$NATS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check 'nats-py==2.16.0'
fi
PYTHONPATH="$funnelq_site" timeout 120 "$NATS_VENV/bin/python" examples/nats/forward.py \
  --server "$FUNNELQ_NATS_URL" --producers 4 -n 5000

step "example: Go (nats.go) forward loop over the funnelq Go package"
# The C library in the prefix ci/test-c.sh uses (installed again: a no-op build when
# ci/test-c.sh has just run), named in CGO_* as there (Go's cache ignores pkg-config).
PREFIX="${TMPDIR:-/tmp}/funnelq-ci-prefix"
make -s -C bindings-c install PREFIX="$PREFIX"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export CGO_ENABLED=1 CGO_CFLAGS="-I$PREFIX/include" CGO_LDFLAGS="-L$PREFIX/lib -Wl,-rpath,$PREFIX/lib"
(
  cd examples/nats/go
  go vet ./...
  test -z "$(gofmt -l .)" || { echo "gofmt needed: $(gofmt -l .)" >&2; exit 1; }
  timeout 120 go run . -server "$FUNNELQ_NATS_URL" -producers 4 -n 5000
)

echo
echo "test-nats: all passed in $(($(date +%s) - started)) s"
