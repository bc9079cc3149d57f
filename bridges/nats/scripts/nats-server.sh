# Sourced by ci/test-nats.sh and ci/bench-nats.sh (from the repository root): starts
# nats-server with JetStream on a free loopback port and a temporary store directory,
# exports FUNNELQ_NATS_URL, and stops the server (and removes the store) on exit.
NATS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/funnelq-nats.XXXXXX")"
NATS_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$NATS_DIR/store" >"$NATS_DIR/server.log" 2>&1 &
NATS_PID=$!
stop_nats() {
  kill -TERM "$NATS_PID" 2>/dev/null && wait "$NATS_PID" 2>/dev/null || true
  rm -rf "$NATS_DIR"
}
trap stop_nats EXIT
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; then break; fi
  kill -0 "$NATS_PID" 2>/dev/null || { cat "$NATS_DIR/server.log" >&2; echo "nats-server did not start" >&2; exit 1; }
  sleep 0.05
done
export FUNNELQ_NATS_URL="nats://127.0.0.1:$NATS_PORT"
echo "nats-server $(nats-server --version | cut -d' ' -f2) on $FUNNELQ_NATS_URL, store $NATS_DIR/store (pid $NATS_PID)"
