#!/usr/bin/env bash
# Runs every binding's tests (all of ci/test.sh, as CI does) and writes the
# conformance table, a row per scenario S01–S18 and a column per binding, to
# docs/CONFORMANCE.md. Exits non-zero if an applicable cell fails or has no test.
#
#   ci/conformance.sh            # run everything (~5 min once set up), write the table
#   ci/conformance.sh --no-run   # rebuild the table from the last run's results
set -euo pipefail
cd "$(dirname "$0")/.."

export FUNNELQ_RESULTS="${FUNNELQ_RESULTS:-$PWD/target/conformance}"
if [ "${1:-}" = "--no-run" ]; then
  exec python3 ci/conformance.py --write
fi
FUNNELQ_CONFORMANCE=write exec bash ci/test.sh
