# Sourced by the Python scripts that keep a venv with the funnelq wheel installed.
# wheel_stamp: a hash of everything the wheel is made of (and the interpreter and
# compiler), so a script reinstalls the wheel only when one of them changed: pip would
# rebuild (and re-fetch maturin) on every run otherwise.
wheel_stamp() {
  local py=$1
  local sources=(Cargo.toml Cargo.lock core/Cargo.toml core/src bindings-common
    bindings-python/Cargo.toml bindings-python/pyproject.toml bindings-python/src bindings-python/python)
  {
    "$py" --version
    rustc --version
    find "${sources[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}
