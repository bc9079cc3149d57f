// S03 FIFO per producer, S04 exactly once, S11 no lost wake-up, S12 (end-of-stream
// when every sender is freed): producers and the consumer all in workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { spawn } from './harness.mjs';

async function stress({ producers, n, capacity, bytes = false, batch = 0, max = 256 }) {
  const [tx, rx] = channel(capacity);
  const consumer = spawn('consume', { token: rx.share(), producers, max });
  const ps = [];
  for (let p = 0; p < producers; p++) {
    ps.push(spawn('produce', { token: tx.share(), producer: p, n, bytes, batch }));
  }
  tx.dispose(); // only the workers' senders remain: the stream ends when they are freed (S12)
  const sent = await Promise.all(ps.map((w) => w.done));
  const got = await consumer.done;
  assert.deepEqual(sent.map((s) => s.sent), new Array(producers).fill(n));
  assert.equal(got.errors, 0, 'per-producer sequence (S03)');
  assert.equal(got.total, producers * n, 'exactly once (S04)');
  assert.deepEqual(got.next, new Array(producers).fill(n));
}

test('s04_exactly_once: 4 workers x 100k strings, consumer worker, capacity 1024', async () => {
  await stress({ producers: 4, n: 100_000, capacity: 1024 });
});

test('s03_fifo_per_producer: 4 workers x 100k Uint8Arrays, consumer worker, capacity 64', async () => {
  await stress({ producers: 4, n: 100_000, capacity: 64, bytes: true });
});

test('s11_no_lost_wakeup: capacity 1, 4 producers x 5k, consumer receiving one at a time', async () => {
  await stress({ producers: 4, n: 5_000, capacity: 1, max: 1 });
});

test('s18_batch: 4 producers sendBatch(100) x 20k, consumer recvBatch(64)', async () => {
  await stress({ producers: 4, n: 20_000, capacity: 256, batch: 100, max: 64 });
});
