// S01 capacity, S02 backpressure (capacity 1 and 2, senders blocked in workers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, MAX_CAPACITY } from '../pkg/index.js';
import { sleep, spawn, until } from './harness.mjs';

test('s01_capacity: C sends succeed, the C+1-th trySend returns false and enqueues nothing', () => {
  for (const cap of [1, 2, 7, 64]) {
    const [tx, rx] = channel(cap);
    assert.equal(tx.capacity, cap);
    assert.equal(rx.capacity, cap);
    for (let i = 0; i < cap; i++) assert.equal(tx.trySend(`m${i}`), true);
    assert.equal(tx.len, cap);
    assert.equal(tx.trySend('extra'), false);
    assert.equal(rx.len, cap);
    for (let i = 0; i < cap; i++) assert.equal(rx.tryRecv(), `m${i}`);
    assert.equal(rx.tryRecv(), undefined);
    tx.dispose();
    rx.dispose();
  }
  assert.equal(MAX_CAPACITY, 1 << 20);
  const [tx, rx] = channel(MAX_CAPACITY);
  assert.equal(tx.capacity, 1 << 20);
  tx.dispose();
  rx.dispose();
});

test('s02_backpressure: one recv frees exactly one slot for exactly one waiting sender', async () => {
  const [tx, rx] = channel(2);
  tx.trySend('a');
  tx.trySend('b');
  const counter = new SharedArrayBuffer(4);
  const done = new Int32Array(counter);
  const started = new SharedArrayBuffer(4);
  const workers = [0, 1, 2].map((i) => spawn('sendOne', { token: tx.share(), msg: `w${i}`, counter, started }));
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 3), 'workers started');
  await sleep(150);
  assert.equal(Atomics.load(done, 0), 0, 'senders wait while full');
  assert.equal(rx.len, 2);
  for (let freed = 1; freed <= 3; freed++) {
    rx.tryRecv();
    assert.ok(await until(() => Atomics.load(done, 0) >= freed), `sender ${freed} proceeds`);
    await sleep(100);
    assert.equal(Atomics.load(done, 0), freed, 'exactly one sender per freed slot');
    assert.equal(rx.len, 2);
  }
  const results = await Promise.all(workers.map((w) => w.done));
  assert.deepEqual(results.map((r) => r.outcome), ['ok', 'ok', 'ok']);
  const rest = [rx.tryRecv(), rx.tryRecv()].sort();
  assert.equal(rest.length, 2);
  assert.equal(rx.tryRecv(), undefined);
  tx.dispose();
  rx.dispose();
});

test('s02_backpressure: capacity 1 through a blocking sender in a worker', async () => {
  const [tx, rx] = channel(1);
  const p = spawn('produce', { token: tx.share(), producer: 0, n: 500 });
  tx.dispose();
  for (let i = 0; i < 500; i++) {
    const m = await rx.recv();
    assert.equal(m, `0:${i}`);
    assert.ok(rx.len <= 1);
  }
  await p.done;
  await assert.rejects(rx.recv(), { code: 'CLOSED' });
  rx.dispose();
});
