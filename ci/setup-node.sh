#!/usr/bin/env bash
# Installs what the Node binding's build and tests need: Node >= 18 with npm (the
# machine image has Node 20), the Rust toolchain (rustup stable), and the npm dev
# dependencies of bindings-node (@napi-rs/cli) from package-lock.json.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-node: installing nodejs and npm from Debian" >&2
  apt-get update
  apt-get install -y nodejs npm
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "setup-node: node $(node --version) is too old (need >= 18)" >&2
  exit 1
fi
command -v cargo >/dev/null 2>&1 || { echo "setup-node: cargo (rustup stable) is required" >&2; exit 1; }

cd bindings-node
# Reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.funnelq-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  # Not `npm ci`: the registry reachable here lists only the host platform's optional
  # binaries of @napi-rs/cli's dependencies, so the lock file cannot name the others and
  # `npm ci` rejects it as out of sync. `npm install --no-save` installs exactly the
  # locked versions and never rewrites package-lock.json.
  npm install --no-save --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
npx --no-install napi --version >/dev/null
echo "setup-node: ok (node $(node --version), @napi-rs/cli $(npx --no-install napi --version 2>/dev/null | tail -1))"
