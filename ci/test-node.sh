#!/usr/bin/env bash
# Builds the Node addon (napi build --release), checks that the committed generated
# files (index.js loader, index.d.ts types) did not drift, runs the node:test suite,
# the example, and an `npm pack` + install smoke test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup-node.sh
root=$PWD
# Per-test results for the conformance table (ci/conformance.py).
results="${FUNNELQ_RESULTS:-$root/target/conformance}"
mkdir -p "$results"
rm -f "$results/node.xml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd bindings-node
cp index.js index.d.ts "$tmp/"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
npm run --silent build
drift=0
for f in index.js index.d.ts; do
  if ! diff -u "$tmp/$f" "$f"; then
    echo "test-node: bindings-node/$f is not what 'npm run build' generates; commit the regenerated file" >&2
    drift=1
  fi
done
[ "$drift" -eq 0 ]

# The committed types compile against a usage file (strict).
npx --no-install tsc -p __test__/tsconfig.json

# The suite: S01-S18 scenario tests, 4 workers x 100k stress, event-loop liveness.
node --expose-gc --test --test-timeout=120000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$results/node.xml" __test__/

# The example must run.
(cd "$root/examples/node" && timeout 120 node demo.js)

# npm pack gives a tarball that installs into another project.
npm pack --silent --pack-destination "$tmp" >/dev/null
mkdir -p "$tmp/consumer"
(
  cd "$tmp/consumer"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --offline "$tmp"/funnelq-*.tgz >/dev/null
  node -e "
    const { channel } = require('funnelq');
    const [tx, rx] = channel(2);
    tx.trySend('packed'); tx.close();
    if (rx.tryRecv() !== 'packed') process.exit(1);
    console.log('test-node: npm pack tarball installs and works');
  "
)
