// Tasks that tests run inside workers (each gets plain, structured-clonable args).
import { Receiver, Sender, canBlock, workerId } from '../pkg/index.js';

const enc = (p, i) => {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, p);
  v.setUint32(4, i);
  return b;
};

/** Sends `n` messages `producer:i` (string) or 8 bytes (`bytes`), blocking; frees the sender. */
export function produce({ token, producer, n, bytes = false, batch = 0 }) {
  const tx = Sender.fromToken(token);
  try {
    if (batch > 0) {
      for (let i = 0; i < n; i += batch) {
        const msgs = [];
        for (let j = i; j < Math.min(n, i + batch); j++) msgs.push(bytes ? enc(producer, j) : `${producer}:${j}`);
        tx.sendBatchSync(msgs);
      }
    } else if (bytes) {
      for (let i = 0; i < n; i++) tx.sendSync(enc(producer, i));
    } else {
      for (let i = 0; i < n; i++) tx.sendSync(`${producer}:${i}`);
    }
    return { sent: n };
  } finally {
    tx.dispose();
  }
}

/** Receives until end-of-stream with blocking recvBatch; checks per-producer order. */
export function consume({ token, producers, max = 256 }) {
  const rx = Receiver.fromToken(token);
  const next = new Array(producers).fill(0);
  let total = 0;
  let errors = 0;
  try {
    for (;;) {
      let batch;
      try {
        batch = rx.recvBatchSync(max);
      } catch (e) {
        if (e.code === 'CLOSED') break;
        throw e;
      }
      for (const m of batch) {
        let p;
        let i;
        if (typeof m === 'string') {
          const k = m.indexOf(':');
          p = Number(m.slice(0, k));
          i = Number(m.slice(k + 1));
        } else {
          const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
          p = v.getUint32(0);
          i = v.getUint32(4);
        }
        if (next[p] !== i) errors++;
        next[p] = i + 1;
        total++;
      }
    }
    return { total, next, errors };
  } finally {
    rx.dispose();
  }
}

/** Blocking send of one message; reports what happened and how long it took. */
export function sendOne({ token, msg, timeoutMs, counter, started }) {
  const tx = Sender.fromToken(token);
  if (started) Atomics.add(new Int32Array(started), 0, 1);
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    tx.sendSync(msg, { timeout: timeoutMs });
  } catch (e) {
    outcome = e.code ?? String(e);
  } finally {
    tx.dispose();
  }
  if (counter) {
    Atomics.add(new Int32Array(counter), 0, 1);
    Atomics.notify(new Int32Array(counter), 0);
  }
  return { outcome, ms: performance.now() - t0 };
}

/** Blocking receive of one message (optionally with a timeout). */
export function recvOne({ token, timeoutMs, keep = false, started }) {
  const rx = Receiver.fromToken(token);
  if (started) Atomics.store(new Int32Array(started), 0, 1);
  const t0 = performance.now();
  let outcome = 'ok';
  let msg;
  try {
    msg = rx.recvSync({ timeout: timeoutMs });
  } catch (e) {
    outcome = e.code ?? String(e);
  }
  const ms = performance.now() - t0;
  const back = keep ? rx.share() : null;
  if (!keep) rx.dispose();
  return { outcome, ms, msg, back };
}

/** Keeps sending with trySend/send until CLOSED; counts the sends that returned Ok. */
export function sendUntilClosed({ token, producer }) {
  const tx = Sender.fromToken(token);
  let ok = 0;
  try {
    for (;;) {
      try {
        tx.sendSync(`${producer}:${ok}`);
        ok++;
      } catch (e) {
        if (e.code === 'CLOSED') break;
        throw e;
      }
    }
    return { ok };
  } finally {
    tx.dispose();
  }
}

/** What a worker sees about itself. */
export function probe() {
  return { canBlock: canBlock() };
}

/** Redeems a token (for token tests across threads); returns the error code or 'ok'. */
export function redeem({ token, kind }) {
  try {
    const h = kind === 'sender' ? Sender.fromToken(token) : Receiver.fromToken(token);
    h.dispose();
    return 'ok';
  } catch (e) {
    return e.code ?? String(e);
  }
}

/**
 * S21: a producer that may be terminated at any moment. Publishes its workerId in
 * `ids[producer]` once ready, then sends `n` messages `producer:i` with the blocking
 * form, publishing `progress[producer] = i + 1` after each one that returned.
 */
export function s21Producer({ token, producer, n, ids, progress }) {
  const tx = Sender.fromToken(token);
  const p = new Int32Array(progress);
  Atomics.store(new Int32Array(ids), producer, workerId());
  for (let i = 0; i < n; i++) {
    tx.sendSync(`${producer}:${i}`);
    Atomics.store(p, producer, i + 1);
  }
  tx.dispose();
  return { sent: n };
}

/**
 * S21: a consumer that may be terminated: receives with recvBatchSync until end of
 * stream, publishing its workerId in `ids[slot]` and the count received in `got[0]`.
 */
export function s21Consumer({ token, slot, ids, got }) {
  const rx = Receiver.fromToken(token);
  const g = new Int32Array(got);
  Atomics.store(new Int32Array(ids), slot, workerId());
  for (;;) {
    let batch;
    try {
      batch = rx.recvBatchSync(16);
    } catch (e) {
      if (e.code === 'CLOSED') break;
      throw e;
    }
    Atomics.add(g, 0, batch.length);
  }
  rx.dispose();
  return { got: Atomics.load(g, 0) };
}
