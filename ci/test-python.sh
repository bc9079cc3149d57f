#!/usr/bin/env bash
# Builds the funnelq wheel (maturin, pyo3 abi3) exactly as a user does —
# `pip install ./bindings-python` in a fresh virtual environment — then runs the pytest
# suite (with a short hypothesis model run), the stub check, a short atheris pass on the
# argument conversion (~20 s; the long one is ci/fuzz-python.sh) and the examples. Exits
# non-zero on any failure, including "no tests ran".
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${FUNNELQ_PY_VENV:-target/python-test-venv}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

rm -rf "$VENV"
"$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
"$VPY" -m pip install --quiet --disable-pip-version-check ./bindings-python 'pytest>=7' 'mypy>=1.18' \
  'hypothesis>=6.100'
# atheris ships manylinux wheels (libFuzzer inside, no clang needed); where it cannot be
# installed the fuzz pass is skipped with a note, and the hypothesis model still runs.
fuzz=yes
"$VPY" -m pip install --quiet --disable-pip-version-check 'atheris>=2.3' \
  || { fuzz=no; echo "test-python: atheris not installable here: short fuzz pass skipped"; }
"$VPY" -c 'import funnelq, sys; print("funnelq", funnelq.__version__, "on Python", sys.version.split()[0], "from", funnelq.__file__)'

# Run from the repository root so that bindings-python/python/ (sources without the
# native module) is not on sys.path: the installed wheel is what gets tested.
status=0
# Per-test results for the conformance table (ci/conformance.py).
RESULTS="${FUNNELQ_RESULTS:-$PWD/target/conformance}"
mkdir -p "$RESULTS"
rm -f "$RESULTS/python.xml"
export HYPOTHESIS_STORAGE_DIRECTORY="$PWD/target/hypothesis"
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

# A short fuzz pass on the argument conversion (S14, S22): hostile capacities, batches,
# max values and timeouts against a reference model. A finding leaves its input in
# target/fuzz-python/ and fails the run.
if [ "$fuzz" = yes ]; then
  mkdir -p target/fuzz-python
  timeout 120 "$VPY" bindings-python/fuzz/fuzz_args.py -max_total_time=20 -seed=20250101 \
    -timeout=10 -artifact_prefix=target/fuzz-python/ 2>target/fuzz-python/short.log \
    || { tail -40 target/fuzz-python/short.log >&2; exit 1; }
  grep -E '^Done [0-9]+ runs' target/fuzz-python/short.log | sed 's/^/test-python: atheris: /' || true
fi

for demo in examples/python/threads_demo.py examples/python/asyncio_demo.py; do
  echo "== $demo"
  timeout 120 "$VPY" "$demo"
done
echo "test-python: ok"
