#!/usr/bin/env bash
# Installs what ci/test-nats.sh and ci/bench-nats.sh need beyond Rust, Go and Python:
# nats-server (Debian's package, 2.9, JetStream built in). The scripts start their own
# server on a free loopback port with a temporary store, so the service the package
# registers is not used. Idempotent and fast when the server is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null 2>&1; then
  echo "setup-nats: installing nats-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nats-server >/dev/null
fi
command -v go >/dev/null || { echo "setup-nats: Go is required for examples/nats/go" >&2; exit 1; }
echo "setup-nats: ok ($(nats-server --version))"
