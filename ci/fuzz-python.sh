#!/usr/bin/env bash
# The long fuzz and property runs of the Python binding (issue 12): atheris on the argument
# conversion (bindings-python/fuzz/fuzz_args.py: hostile capacities, batches, max values and
# timeouts checked against a reference model) with a corpus kept in target/fuzz-python/,
# then the hypothesis state machine (tests/test_model.py) with many more examples.
# ci/test-python.sh runs a short pass of both.
#
#   bash ci/fuzz-python.sh                 # 10 minutes of atheris, 2000 model examples
#   bash ci/fuzz-python.sh 60 500          # seconds of atheris, model examples
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_FUZZ=${1:-600}
EXAMPLES=${2:-2000}
PY=${PYTHON:-python3}
VENV=${FUNNELQ_PY_FUZZ_VENV:-target/python-fuzz-venv}
OUT=target/fuzz-python
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}

# Reinstall the wheel only when something it is made of changed (ci/lib-python.sh).
source ci/lib-python.sh
stamp=$(wheel_stamp "$PY")
VPY="$VENV/bin/python"
if [ ! -x "$VPY" ] || [ "$(cat "$VENV/funnelq-build-stamp" 2>/dev/null)" != "$stamp" ] \
    || ! "$VPY" -c 'import funnelq, atheris, hypothesis' 2>/dev/null; then
  echo "fuzz-python: building the funnelq wheel into $VENV" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VPY" -m pip install --quiet --disable-pip-version-check ./bindings-python 'pytest>=7' \
    'hypothesis>=6.100' 'atheris>=2.3'
  echo "$stamp" >"$VENV/funnelq-build-stamp"
fi

mkdir -p "$OUT/corpus"
echo "fuzz-python: atheris for ${SECONDS_FUZZ} s (corpus $OUT/corpus, findings $OUT/crash-*)"
status=0
FUNNELQ_FUZZ_STATS=${FUNNELQ_FUZZ_STATS:-200000} timeout $((SECONDS_FUZZ + 120)) \
  "$VPY" bindings-python/fuzz/fuzz_args.py -max_total_time="$SECONDS_FUZZ" -timeout=10 \
  -artifact_prefix="$OUT/" "$OUT/corpus" 2>"$OUT/long.log" || status=$?
grep -E '^Done [0-9]+ runs|^after [0-9]+ inputs' "$OUT/long.log" | tail -2 || true
if [ "$status" -ne 0 ]; then
  tail -60 "$OUT/long.log" >&2
  echo "fuzz-python: atheris found a problem (input saved under $OUT/)" >&2
  exit "$status"
fi

echo "fuzz-python: hypothesis model, $EXAMPLES examples"
FUNNELQ_MODEL_EXAMPLES="$EXAMPLES" FUNNELQ_MODEL_DB="$PWD/$OUT/hypothesis-db" \
  HYPOTHESIS_STORAGE_DIRECTORY="$PWD/$OUT/hypothesis" \
  timeout 3600 "$VPY" -m pytest -p no:cacheprovider -q bindings-python/tests/test_model.py
echo "fuzz-python: ok"
