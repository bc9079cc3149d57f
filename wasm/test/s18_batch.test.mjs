// S18 batch: trySendBatch sends the longest prefix that fits; recvBatch returns 1..=max in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { codeOf, errorOf, spawn } from './harness.mjs';

test('s18_batch: trySendBatch prefix, 0 when none fits, tryRecvBatch up to max', () => {
  const [tx, rx] = channel(5);
  assert.equal(tx.trySendBatch([]), 0);
  assert.equal(tx.trySendBatch(['a', 'b', 'c']), 3);
  assert.equal(tx.trySendBatch(['d', 'e', 'f', 'g']), 2, 'prefix that fits');
  assert.equal(tx.trySendBatch(['h']), 0);
  assert.deepEqual(rx.tryRecvBatch(2), ['a', 'b']);
  assert.deepEqual(rx.tryRecvBatch(10), ['c', 'd', 'e']);
  assert.deepEqual(rx.tryRecvBatch(10), []);
  for (const max of [0, -1, 1.5, Number.NaN]) {
    const e = errorOf(() => rx.tryRecvBatch(max));
    assert.ok(e instanceof RangeError);
    assert.equal(e.code, 'INVALID');
  }
  tx.dispose();
  rx.dispose();
});

test('s18_batch: recvBatch in a worker waits for the first, returns 1..=max in FIFO order', async () => {
  const [tx, rx] = channel(64);
  const w = spawn('consume', { token: rx.share(), producers: 1, max: 7 });
  const p = spawn('produce', { token: tx.share(), producer: 0, n: 10_000, batch: 33 });
  tx.dispose();
  await p.done;
  const got = await w.done;
  assert.deepEqual(got, { total: 10_000, next: [10_000], errors: 0 });
});

test('s18_batch: sendBatch on a closed channel reports how many went in', () => {
  const [tx, rx] = channel(3);
  rx.close();
  const e = errorOf(() => tx.sendBatchSync(['a', 'b']));
  assert.equal(e.code, 'CLOSED');
  assert.equal(e.sent, 0);
  tx.dispose();
  rx.dispose();
});

test('s18_batch: sendBatch (Promise) waits for room, in order; a timeout reports err.sent', async () => {
  const [tx, rx] = channel(2);
  const all = ['a', 'b', 'c', 'd', 'e'];
  const p = tx.sendBatch(all);
  const got = [];
  while (got.length < all.length) got.push(...(await rx.recvBatch(8)));
  assert.equal(await p, 5);
  assert.deepEqual(got, all);
  // A timeout part-way: a prefix went in, err.sent says how long.
  const t = tx.sendBatch(['x', 'y', 'z'], { timeout: 50 });
  await assert.rejects(t, (e) => e.code === 'TIMEOUT' && e.sent === 2);
  assert.deepEqual(rx.tryRecvBatch(8), ['x', 'y']);
  // The blocking form, with a timeout.
  tx.trySend('full');
  tx.trySend('full');
  const e = errorOf(() => tx.sendBatchSync(['q'], { timeout: 20 }));
  assert.equal(e.code, 'TIMEOUT');
  assert.equal(e.sent, 0);
  assert.equal(tx.sendBatchSync([]), 0);
  tx.dispose();
  rx.dispose();
});

test('s03_fifo_per_producer: overlapping Promise sends of one sender keep their order', async () => {
  for (let round = 0; round < 50; round++) {
    const [tx, rx] = channel(1);
    tx.trySend('first');
    const a = tx.send('a'); // waits: full
    assert.equal(tx.trySend('overtake?'), false, 'a try form does not overtake a pending send');
    assert.equal(codeOf(() => tx.sendSync('blocks')), 'BUSY', 'a blocking form would wait on this thread');
    assert.equal(rx.tryRecv(), 'first');
    const b = tx.send('b'); // called after a slot freed, still after 'a'
    const got = [];
    while (got.length < 2) got.push(await rx.recv());
    await Promise.all([a, b]);
    assert.deepEqual(got, ['a', 'b']);
    tx.dispose();
    rx.dispose();
  }
});
