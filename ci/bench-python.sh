#!/usr/bin/env bash
# Python's part of ci/bench.sh: installs the release wheel into a virtual environment of its
# own, runs bindings-python/bench/bench.py for about a minute, writes
# $FUNNELQ_BENCH_OUT/python.json (the schema of ci/bench_report.py) and prints the Markdown
# section of docs/BENCHMARKS.md: this run's figures, then docs/bench-notes/python.md.
# Diagnostics go to stderr. Run ci/setup.sh (or ci/setup-python.sh) first.
#
#   bash ci/bench-python.sh                  # ~65 s once the wheel is built
#   bash ci/bench-python.sh --budget 10      # extra arguments go to bench.py (--help)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# Not ci/test-python.sh's venv: that script deletes and recreates its own on every run, so a
# test run beside a benchmark run would pull the module out from under it.
VENV=${FUNNELQ_PY_BENCH_VENV:-target/python-bench-venv}
OUT=${FUNNELQ_BENCH_OUT:-target/bench}
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
mkdir -p "$OUT"

# Reinstall the wheel only when something it is made of changed (ci/lib-python.sh).
source ci/lib-python.sh
stamp=$(wheel_stamp "$PY")
VPY="$VENV/bin/python"
if [ ! -x "$VPY" ] || [ "$(cat "$VENV/funnelq-build-stamp" 2>/dev/null)" != "$stamp" ] \
    || ! "$VPY" -c 'import funnelq' 2>/dev/null; then
  echo "bench-python: building the funnelq wheel into $VENV" >&2
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VPY" -m pip install --quiet --disable-pip-version-check ./bindings-python >&2
  echo "$stamp" >"$VENV/funnelq-build-stamp"
fi

command="bash ci/bench-python.sh${*:+ $*}"
json="$OUT/python.json"
rm -f "$json"
table=$(mktemp)
trap 'rm -f "$table"' EXIT
# 45 s of measured runs plus pilots and thread/process start-up make about 60 s. No run
# starts after --deadline (an unfinished round is dropped), so a machine busier than usual
# costs rounds, not the 75 s that ci/bench.sh allows each language.
# Run from the repository root so that the installed wheel, not bindings-python/python/
# (sources without the native module), is what gets imported.
"$VPY" bindings-python/bench/bench.py --budget 45 --repeat 5 --deadline 62 \
  --json "$json" --command "$command" "$@" >"$table"

environment=$("$VPY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["environment"])' "$json")
echo "## Python (funnelq wheel)"
echo
echo "\`$command\` (after \`ci/setup-python.sh\`; installs the release wheel into"
echo "\`$VENV\` with \`pip install ./bindings-python\`), $environment."
echo "Small ints from P producer threads to one consumer thread; each figure is the median of"
echo "the runs named below, interleaved across all rows so that load from elsewhere hits every"
echo "column alike."
echo
cat "$table"
cat docs/bench-notes/python.md
