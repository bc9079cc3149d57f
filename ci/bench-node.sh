#!/usr/bin/env bash
# The Node.js part of ci/bench.sh: builds the addon (a no-op when it is current),
# runs bindings-node/bench/bench.js (funnelq's sendSync and sendBatchSync beside
# parentPort.postMessage, P = 1, 2, 4 producer workers; ~40 s on 2 cores), writes
# $FUNNELQ_BENCH_OUT/node.json for ci/bench_report.py and prints the Markdown section
# of docs/BENCHMARKS.md. Assumes ci/setup.sh (or ci/setup-node.sh) ran.
#
#   bash ci/bench-node.sh                  # the figures ci/bench.sh records
#   bash ci/bench-node.sh --reps 5         # extra arguments go to bench.js
#   bash ci/bench-node.sh --quick          # a few seconds, for checking the plumbing
set -euo pipefail
cd "$(dirname "$0")/.."

out="${FUNNELQ_BENCH_OUT:-target/bench}"
mkdir -p "$out"
command="bash ci/bench-node.sh${*:+ $*}"

if [ ! -x bindings-node/node_modules/.bin/napi ]; then
  echo "bench-node: @napi-rs/cli is missing; run bash ci/setup-node.sh first" >&2
  exit 1
fi
echo "bench-node: building the addon (release)" >&2
# Everything the build prints goes to stderr: stdout is the Markdown section.
(cd bindings-node && npm run --silent build) >&2

# The timeout only catches a hang (a lost wake-up would leave the consumer waiting
# for ever); a normal run takes well under half of it.
table=$(timeout 180 node bindings-node/bench/bench.js --json "$out/node.json" --command "$command" "$@")

napi=$(awk '/^name = "napi"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
cat <<EOF
## Node.js (funnelq npm package)

Rerun alone: \`$command\` (after \`bash ci/setup.sh\`; it builds the addon with \`npm run build\`).
Node.js $(node --version), funnelq $(node -p 'require("./bindings-node/package.json").version') npm package,
napi-rs $napi addon built in release mode by $(rustc --version | cut -d' ' -f1-2).

P producer \`worker_threads\` send to one consumer on the main thread. Each producer sends the same
payload: the number 42, or a \`Buffer\` of 64 B or 4 KiB. The forms:

- \`funnelq sendSync\`: one \`tx.sendSync(m)\` per message into a channel of capacity 1024. The
  consumer calls \`await rx.recvBatch(4096)\` until it has every message. The same consumer serves
  the batch form.
- \`funnelq sendBatchSync(256)\`: the producer sends arrays of 256 messages.
- \`postMessage\` (the native alternative): one \`parentPort.postMessage(m)\` per message. It is
  unbounded. The consumer counts \`'message'\` events.
- \`postMessage, 1024 credits\`: the same, bounded like funnelq. At most 1024 messages are in
  flight per producer; the consumer returns credits every 256 messages through a
  \`SharedArrayBuffer\` counter and \`Atomics.notify\`.

Timing starts once every worker is up and waiting on a shared start flag. It stops when the
consumer holds the last message. Each timed run starts fresh workers, so a worker's JIT
warm-up falls inside it. The ratio columns divide the funnelq forms by \`postMessage\`.

$table

EOF
cat docs/bench-notes/node.md
