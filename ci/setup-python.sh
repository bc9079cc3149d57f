#!/usr/bin/env bash
# Installs what ci/test-python.sh needs on a fresh Debian machine: a Python 3.9+ with venv
# and pip, and a C linker for cargo. Rust (rustup stable) is assumed present. maturin,
# pytest, mypy, hypothesis and atheris (a manylinux wheel with libFuzzer inside: no clang
# needed) are installed by ci/test-python.sh into its own fresh virtual environment.
# Idempotent and fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
need_apt=()
if ! command -v "$PY" >/dev/null 2>&1; then
  need_apt+=(python3 python3-venv python3-pip)
elif ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  # Debian splits venv/ensurepip out of python3 (python3-venv / python3.X-venv).
  ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  need_apt+=(python3-venv "python${ver}-venv" python3-pip)
fi
command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)

if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # pythonX.Y-venv may not exist under that name on every release: install what exists.
  for pkg in "${need_apt[@]}"; do
    apt-get install -y -qq "$pkg" >/dev/null || echo "setup-python: $pkg not available, skipped"
  done
fi

"$PY" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' \
  || { echo "setup-python: Python 3.9+ required" >&2; exit 1; }
"$PY" -c 'import venv, ensurepip' || { echo "setup-python: python venv/ensurepip missing" >&2; exit 1; }
command -v cargo >/dev/null || { echo "setup-python: cargo (rustup stable) missing" >&2; exit 1; }
echo "setup-python: $("$PY" --version), $(cargo --version) ready"
