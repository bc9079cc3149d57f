// S22 hostile sizes: every caller-supplied length, count and size is checked before
// anything is allocated or copied; no input traps the module (a trap is a
// WebAssembly.RuntimeError), and the thread keeps working after many refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, MAX_BATCH, MAX_CAPACITY, MAX_MESSAGE_BYTES, Receiver, revokeToken, Sender } from '../pkg/index.js';
import { errorOf, shared, sleep } from './harness.mjs';

const bytes = () => shared.memory.buffer.byteLength;

/** `fn()` must fail with a documented error (never a trap); returns it. */
function refused(fn, type = RangeError) {
  const e = errorOf(fn);
  assert.ok(e, 'expected an error');
  assert.ok(!(e instanceof WebAssembly.RuntimeError), `trapped: ${e.message}`);
  assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
  assert.equal(e.code, 'INVALID');
  return e;
}

test('s22_hostile_batch_length: a batch of 1e9 is a RangeError, 3000 times, and the thread keeps working', () => {
  const [tx, rx] = channel(8);
  const huge = new Array(1e9);
  const before = bytes();
  for (let i = 0; i < 3000; i++) {
    const e = refused(() => tx.trySendBatch(huge));
    if (i === 0) assert.equal(e.message, 'batch of 1000000000 items is over the limit of 1048576');
    refused(() => tx.sendBatchSync(huge));
    refused(() => tx.sendBatch(huge)); // the Promise form throws at the call
  }
  assert.equal(bytes(), before, 'nothing was allocated for the refused batches');
  assert.equal(rx.len, 0);
  // Batches still work on this thread (the old failure: a table slot leak after ~1000 traps).
  assert.equal(tx.trySendBatch(['a', 'b', 3]), 3);
  assert.deepEqual(rx.tryRecvBatch(8), ['a', 'b', 3]);
  assert.equal(tx.sendBatchSync(['c']), 1);
  assert.deepEqual(rx.tryRecvBatch(8), ['c']);
  // A batch that is not an array, and one just over the limit.
  refused(() => tx.trySendBatch({ length: 5 }), TypeError);
  refused(() => tx.trySendBatch('abc'), TypeError);
  refused(() => tx.trySendBatch(new Array(1048577)));
  tx.dispose();
  rx.dispose();
});

test('s22_hostile_batch_length: recvBatch max over MAX_BATCH or not a whole number is a RangeError', () => {
  const [tx, rx] = channel(4);
  for (const max of [0, -1, 1.5, 1048577, 1e9, 2 ** 64, Number.NaN, Infinity]) {
    refused(() => rx.tryRecvBatch(max));
  }
  assert.match(refused(() => rx.tryRecvBatch(1e9)).message, /^max 1000000000 is out of range 1\.\.=1048576$/);
  tx.trySend('x');
  assert.equal(MAX_BATCH, 1048576);
  assert.deepEqual(rx.tryRecvBatch(MAX_BATCH), ['x'], 'max = MAX_BATCH is fine and allocates by what is ready');
  assert.ok(errorOf(() => rx.recvBatch(MAX_BATCH + 1)) instanceof RangeError);
  tx.dispose();
  rx.dispose();
});

test('s22_hostile_message_size: huge strings are measured, not copied, before the refusal', () => {
  const [tx, rx] = channel(4);
  const before = bytes();
  // Longer than the limit in UTF-16 units: refused at once.
  const long = 'x'.repeat(MAX_MESSAGE_BYTES + 1);
  assert.match(refused(() => tx.trySend(long)).message, /^message of at least 67108865 bytes/);
  // Within the limit in units, over it in UTF-8 bytes (3 per unit): counted exactly.
  const wide = '\u20ac'.repeat(30_000_000);
  assert.equal(refused(() => tx.trySend(wide)).message, 'message of 90000000 bytes is over the limit of 67108864');
  // The case: 805 MB of UTF-8 (268M units), if this engine can build it.
  let huge = null;
  try {
    huge = '\u20ac'.repeat(268_435_456);
  } catch {
    // the JS engine's own string limit
  }
  if (huge !== null) refused(() => tx.trySend(huge));
  huge = null;
  assert.equal(bytes(), before, 'the refused strings were never copied into the shared memory');
  assert.equal(rx.len, 0);
  // Exactly at the limit: accepted, byte for byte (a pair, a lone surrogate, ASCII).
  const atLimit = 'a'.repeat(MAX_MESSAGE_BYTES - 7) + '\u{1F600}\uD800';
  tx.trySend(atLimit);
  assert.equal(rx.tryRecv(), atLimit.slice(0, -1) + '\uFFFD');
  tx.dispose();
  rx.dispose();
});

test('s22_hostile_message_size: a full memory is a RangeError, and small messages still flow', () => {
  const [tx, rx] = channel(64);
  const big = new Uint8Array(MAX_MESSAGE_BYTES);
  let sent = 0;
  let e = null;
  for (let i = 0; i < 64 && e === null; i++) {
    e = errorOf(() => tx.trySend(big));
    if (e === null) sent++;
  }
  assert.ok(e, 'the 1 GiB memory cannot hold 64 messages of 64 MiB');
  assert.ok(!(e instanceof WebAssembly.RuntimeError), `trapped: ${e.message}`);
  assert.ok(e instanceof RangeError);
  assert.match(e.message, /^message of 67108864 bytes does not fit in the free wasm memory/);
  assert.ok(sent >= 8, `only ${sent} messages of 64 MiB fitted`);
  assert.equal(rx.len, sent, 'the refused message was not enqueued');
  // The module keeps working while the memory is full.
  const [t2, r2] = channel(16);
  for (let i = 0; i < 1000; i++) {
    t2.trySend(`small ${i}`);
    assert.equal(r2.tryRecv(), `small ${i}`);
  }
  t2.dispose();
  r2.dispose();
  // Receiving frees the blocks; the next big message fits again.
  for (let i = 0; i < sent; i++) assert.equal(rx.tryRecv().length, MAX_MESSAGE_BYTES);
  tx.trySend(big);
  assert.equal(rx.tryRecv().length, MAX_MESSAGE_BYTES);
  tx.dispose();
  rx.dispose();
});

test('s22_hostile_arguments: random arguments to every call never trap', async () => {
  const [tx, rx] = channel(4);
  const token = tx.share();
  const values = [
    undefined, null, true, 0, -0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, Number.NaN,
    Infinity, -Infinity, 5n, '', 'x', '\uD800', {}, [], [1, 'a'], new Array(5), new Array(2 ** 32 - 1),
    new Uint8Array(3), new Uint16Array(2), new ArrayBuffer(8), new DataView(new ArrayBuffer(2)),
    Symbol('s'), () => 1, { length: 1e12 }, { timeout: -1 }, { timeout: 'x' }, { signal: 1 },
    new Proxy({}, { get() { throw new Error('proxy'); } }), token,
  ];
  let seed = 22;
  const pick = () => values[(seed = (seed * 1103515245 + 12345) >>> 0) % values.length];
  const calls = [
    (a) => tx.trySend(a), (a) => tx.trySendBatch(a), (a) => tx.sendSync(a, { timeout: 0 }),
    (a) => tx.sendBatchSync(a, { timeout: 0 }), (a) => rx.tryRecvBatch(a), (a) => rx.recvSync({ timeout: 0 }),
    (a) => rx.recvBatchSync(a, { timeout: 0 }), (a) => channel(a), (a) => Sender.fromToken(a),
    (a) => Receiver.fromToken(a), (a) => tx.send(a, pick()), (a) => rx.recvBatch(a, { timeout: 0 }),
    (a) => tx.sendBatch(a, pick()), (a) => rx.recv(a), (a) => revokeToken(a), (a) => tx.sendSync('x', a),
  ];
  for (let i = 0; i < 5000; i++) {
    const call = calls[i % calls.length];
    let r;
    try {
      r = call(pick());
    } catch (e) {
      assert.ok(!(e instanceof WebAssembly.RuntimeError), `call ${i % calls.length} trapped: ${e.message}`);
      continue;
    }
    if (r instanceof Promise) r.catch(() => {});
    else if (Array.isArray(r) && r[0] instanceof Sender) {
      r[0].dispose();
      r[1].dispose();
    } else if (r instanceof Sender || r instanceof Receiver) r.dispose();
    try {
      while (rx.len > 0) rx.tryRecv();
    } catch (e) {
      assert.equal(e.code, 'BUSY'); // a recvBatchAsync is still pending
    }
  }
  await sleep(50);
  tx.dispose();
  rx.dispose();
  const [t2, r2] = channel(1);
  assert.equal(t2.trySend('still works'), true);
  assert.equal(r2.tryRecv(), 'still works');
  t2.dispose();
  r2.dispose();
});

test('s22_hostile_capacity: rings until the memory is full are RangeErrors, then it recovers', () => {
  const kept = [];
  let e = null;
  for (let i = 0; i < 200 && e === null; i++) {
    e = errorOf(() => kept.push(channel(MAX_CAPACITY)));
  }
  assert.ok(e, 'the 1 GiB memory cannot hold 200 rings of 1048576 slots');
  assert.ok(!(e instanceof WebAssembly.RuntimeError), `trapped: ${e.message}`);
  assert.ok(e instanceof RangeError, `${e.constructor.name}: ${e.message}`);
  assert.equal(e.code, 'INVALID');
  assert.match(e.message, /^cannot allocate a ring of 1048576 slots/);
  assert.ok(kept.length >= 4, `only ${kept.length} rings fitted`);
  // Small allocations still work meanwhile (the reserve), and freed rings are reused.
  const [t, r] = kept[0];
  assert.equal(t.trySend('still works'), true);
  assert.equal(r.tryRecv(), 'still works');
  for (const [tx, rx] of kept) {
    tx.dispose();
    rx.dispose();
  }
  const [tx, rx] = channel(MAX_CAPACITY);
  tx.dispose();
  rx.dispose();
});
