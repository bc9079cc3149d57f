#!/usr/bin/env bash
# The NATS bridge's part of the benchmarks: starts nats-server (JetStream, loopback, a
# temporary store), runs bridges/nats/examples/bench.rs in release, writes
# $FUNNELQ_BENCH_OUT/nats.json (the schema of ci/bench_report.py) and prints the Markdown
# section of docs/BENCHMARKS.md: this run's figures, then docs/bench-notes/nats.md.
# Diagnostics go to stderr. About 1 minute once built (the first run builds the crate in
# release, a few minutes on 2 cores).
#
#   bash ci/bench-nats.sh                       # everything
#   bash ci/bench-nats.sh --repeat 3            # extra arguments go to the bench program
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
OUT=${FUNNELQ_BENCH_OUT:-target/bench}
mkdir -p "$OUT"

bash ci/setup-nats.sh >&2
# shellcheck source=../bridges/nats/scripts/nats-server.sh
source bridges/nats/scripts/nats-server.sh >&2

command="bash ci/bench-nats.sh${*:+ $*}"
cargo build -q --release -p funnelq-nats --example bench >&2
table=$(mktemp)
trap 'rm -f "$table"; stop_nats' EXIT
"${CARGO_TARGET_DIR:-target}/release/examples/bench" --server "$FUNNELQ_NATS_URL" \
  --json "$OUT/nats.json" --command "$command" "$@" >"$table"

environment=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["environment"])' "$OUT/nats.json")
echo "## NATS JetStream bridge (funnelq-nats)"
echo
echo "\`$command\` (after \`ci/setup-nats.sh\`): $environment; the server runs on the same"
echo "2-core machine as the benchmark, so every figure includes its CPU time."
echo
cat "$table"
echo
cat docs/bench-notes/nats.md
