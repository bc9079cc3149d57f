#!/usr/bin/env bash
# Builds the funnelq wheel (maturin, pyo3 abi3) exactly as a user does —
# `pip install ./bindings-python` in a fresh virtual environment — then runs the pytest
# suite and the examples. Exits non-zero on any failure, including "no tests ran".
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${FUNNELQ_PY_VENV:-target/python-test-venv}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

rm -rf "$VENV"
"$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check ./bindings-python 'pytest>=7' 'mypy>=1.18'
"$VPY" -c 'import funnelq, sys; print("funnelq", funnelq.__version__, "on Python", sys.version.split()[0], "from", funnelq.__file__)'

# Run from the repository root so that bindings-python/python/ (sources without the
# native module) is not on sys.path: the installed wheel is what gets tested.
status=0
# Per-test results for the conformance table (ci/conformance.py).
RESULTS="${FUNNELQ_RESULTS:-$PWD/target/conformance}"
mkdir -p "$RESULTS"
rm -f "$RESULTS/python.xml"
timeout 600 "$VPY" -m pytest -p no:cacheprovider -q --junitxml="$RESULTS/python.xml" \
  bindings-python/tests || status=$?
if [ "$status" -eq 5 ]; then
  echo "test-python: pytest collected no tests" >&2
  exit 1
elif [ "$status" -ne 0 ]; then
  exit "$status"
fi

# The hand-written stubs must match the module (STYLE.md habit 7).
"$VPY" -m mypy.stubtest --ignore-disjoint-bases funnelq

for demo in examples/python/threads_demo.py examples/python/asyncio_demo.py; do
  echo "== $demo"
  timeout 120 "$VPY" "$demo"
done
echo "test-python: ok"
