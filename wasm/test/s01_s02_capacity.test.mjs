// S01 capacity, S02 backpressure (capacity 1 and 2, senders blocked in workers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, maxCapacity } from '../pkg/index.js';
import { codeOf, sleep, spawn, until } from './harness.mjs';

test('s01_capacity: C sends succeed, the C+1-th trySend is FULL and enqueues nothing', () => {
  for (const cap of [1, 2, 7, 64]) {
    const [tx, rx] = channel(cap);
    assert.equal(tx.capacity(), cap);
    assert.equal(rx.capacity(), cap);
    for (let i = 0; i < cap; i++) tx.trySend(`m${i}`);
    assert.equal(tx.len(), cap);
    assert.equal(codeOf(() => tx.trySend('extra')), 'FULL');
    assert.equal(rx.len(), cap);
    for (let i = 0; i < cap; i++) assert.equal(rx.tryRecv(), `m${i}`);
    assert.equal(codeOf(() => rx.tryRecv()), 'EMPTY');
    tx.free();
    rx.free();
  }
  assert.equal(maxCapacity(), 1 << 20);
  const [tx, rx] = channel(maxCapacity());
  assert.equal(tx.capacity(), 1 << 20);
  tx.free();
  rx.free();
});

test('s02_backpressure: one recv frees exactly one slot for exactly one waiting sender', async () => {
  const [tx, rx] = channel(2);
  tx.trySend('a');
  tx.trySend('b');
  const counter = new SharedArrayBuffer(4);
  const done = new Int32Array(counter);
  const started = new SharedArrayBuffer(4);
  const workers = [0, 1, 2].map((i) => spawn('sendOne', { token: tx.token(), msg: `w${i}`, counter, started }));
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 3), 'workers started');
  await sleep(150);
  assert.equal(Atomics.load(done, 0), 0, 'senders wait while full');
  assert.equal(rx.len(), 2);
  for (let freed = 1; freed <= 3; freed++) {
    rx.tryRecv();
    assert.ok(await until(() => Atomics.load(done, 0) >= freed), `sender ${freed} proceeds`);
    await sleep(100);
    assert.equal(Atomics.load(done, 0), freed, 'exactly one sender per freed slot');
    assert.equal(rx.len(), 2);
  }
  const results = await Promise.all(workers.map((w) => w.done));
  assert.deepEqual(results.map((r) => r.outcome), ['ok', 'ok', 'ok']);
  const rest = [rx.tryRecv(), rx.tryRecv()].sort();
  assert.equal(rest.length, 2);
  assert.equal(codeOf(() => rx.tryRecv()), 'EMPTY');
  tx.free();
  rx.free();
});

test('s02_backpressure: capacity 1 through a blocking sender in a worker', async () => {
  const [tx, rx] = channel(1);
  const p = spawn('produce', { token: tx.token(), producer: 0, n: 500 });
  tx.free();
  for (let i = 0; i < 500; i++) {
    const m = await rx.recvAsync();
    assert.equal(m, `0:${i}`);
    assert.ok(rx.len() <= 1);
  }
  await p.done;
  await assert.rejects(rx.recvAsync(), { code: 'CLOSED' });
  rx.free();
});
