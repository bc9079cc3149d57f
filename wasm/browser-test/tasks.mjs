// Worker tasks for the browser suite: the shared Node/browser tasks, plus a few that
// only the browser needs (the main thread there cannot call the blocking forms, so
// every blocking-form check runs in a web worker).
import { Receiver, Sender } from '../pkg/index.js';

export * from '../test/tasks.mjs';

// A worker may block, so it sleeps with Atomics.wait (no event loop turn needed).
function sleepBlocking(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function outcomeOf(fn) {
  try {
    return { outcome: 'ok', value: fn() };
  } catch (e) {
    return { outcome: e.code ?? String(e), sent: e.sent, name: e.constructor?.name, message: e.message };
  }
}

/** Blocking sendBatch; reports the count or the error code and `err.sent`. */
export function sendBatchOne({ token, msgs, started }) {
  const tx = Sender.fromToken(token);
  if (started) Atomics.add(new Int32Array(started), 0, 1);
  const t0 = performance.now();
  try {
    const r = outcomeOf(() => tx.sendBatchSync(msgs));
    return { ...r, ms: performance.now() - t0 };
  } finally {
    tx.dispose();
  }
}

/** Sleeps `delayMs`, then sends `msgs` (blocking) and frees the sender. */
export function delayedSend({ token, msgs, delayMs }) {
  const tx = Sender.fromToken(token);
  try {
    sleepBlocking(delayMs);
    for (const m of msgs) tx.sendSync(m);
    return { sent: msgs.length };
  } finally {
    tx.dispose();
  }
}

/** The blocking forms with invalid timeouts: every one must be INVALID (a RangeError). */
export function badTimeouts({ txToken, rxToken }) {
  const tx = Sender.fromToken(txToken);
  const rx = Receiver.fromToken(rxToken);
  const out = [];
  try {
    for (const t of [-1, Number.NaN, -Infinity]) {
      for (const [what, fn] of [
        ['send', () => tx.sendSync('x', { timeout: t })],
        ['recv', () => rx.recvSync({ timeout: t })],
        ['recvBatch', () => rx.recvBatchSync(2, { timeout: t })],
      ]) {
        const r = outcomeOf(fn);
        out.push({ what, timeout: String(t), outcome: r.outcome, name: r.name });
      }
    }
    return { results: out, len: rx.len };
  } finally {
    tx.dispose();
    rx.dispose();
  }
}

/** Drains with the blocking iterator `for (const m of rx)` until end-of-stream. */
export function iterateSync({ token }) {
  const rx = Receiver.fromToken(token);
  const got = [];
  try {
    for (const m of rx) got.push(m);
    // The iterator stopped at end-of-stream, which keeps being reported.
    return { got, after: outcomeOf(() => rx.tryRecv()).outcome };
  } finally {
    rx.dispose();
  }
}

/** Redeems a token and calls close() on that handle; reports what close() returned. */
export function closeFrom({ token, kind }) {
  const h = kind === 'sender' ? Sender.fromToken(token) : Receiver.fromToken(token);
  try {
    return { closed: h.close() };
  } finally {
    h.dispose();
  }
}
