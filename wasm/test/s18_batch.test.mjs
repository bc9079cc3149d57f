// S18 batch: trySendBatch sends the longest prefix that fits; recvBatch returns 1..=max in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { codeOf, errorOf, spawn } from './harness.mjs';

test('s18_batch: trySendBatch prefix, FULL when none fits, tryRecvBatch up to max', () => {
  const [tx, rx] = channel(5);
  assert.equal(tx.trySendBatch([]), 0);
  assert.equal(tx.trySendBatch(['a', 'b', 'c']), 3);
  assert.equal(tx.trySendBatch(['d', 'e', 'f', 'g']), 2, 'prefix that fits');
  assert.equal(codeOf(() => tx.trySendBatch(['h'])), 'FULL');
  assert.deepEqual(rx.tryRecvBatch(2), ['a', 'b']);
  assert.deepEqual(rx.tryRecvBatch(10), ['c', 'd', 'e']);
  assert.equal(codeOf(() => rx.tryRecvBatch(10)), 'EMPTY');
  for (const max of [0, -1, 1.5, Number.NaN]) {
    const e = errorOf(() => rx.tryRecvBatch(max));
    assert.ok(e instanceof RangeError);
    assert.equal(e.code, 'INVALID');
  }
  tx.free();
  rx.free();
});

test('s18_batch: recvBatch in a worker waits for the first, returns 1..=max in FIFO order', async () => {
  const [tx, rx] = channel(64);
  const w = spawn('consume', { token: rx.token(), producers: 1, max: 7 });
  const p = spawn('produce', { token: tx.token(), producer: 0, n: 10_000, batch: 33 });
  tx.free();
  await p.done;
  const got = await w.done;
  assert.deepEqual(got, { total: 10_000, next: [10_000], errors: 0 });
});

test('s18_batch: sendBatch on a closed channel reports how many went in', () => {
  const [tx, rx] = channel(3);
  rx.close();
  const e = errorOf(() => tx.sendBatch(['a', 'b']));
  assert.equal(e.code, 'CLOSED');
  assert.equal(e.sent, 0);
  tx.free();
  rx.free();
});
