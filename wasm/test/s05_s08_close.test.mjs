// S05 close drains, S06 close rejects, S07 close wakes (across workers), S08 close race.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { codeOf, run, sleep, spawn, SLACK_MS, until } from './harness.mjs';

test('s05_close_drains: queued messages still arrive in order, then CLOSED for good', async () => {
  const [tx, rx] = channel(8);
  for (const m of ['a', 'b', 'c']) tx.trySend(m);
  assert.equal(tx.close(), true);
  assert.equal(tx.close(), false, 'idempotent');
  assert.equal(rx.closed, true);
  assert.equal(rx.tryRecv(), 'a');
  assert.deepEqual(rx.tryRecvBatch(10), ['b', 'c']);
  for (let i = 0; i < 3; i++) assert.equal(codeOf(() => rx.tryRecv()), 'CLOSED');
  await assert.rejects(rx.recv(), { code: 'CLOSED' });
  // A worker drains the rest of a closed channel with blocking recv.
  const [tx2, rx2] = channel(4);
  tx2.trySend('x');
  tx2.trySend('y');
  rx2.close();
  const token = rx2.share();
  const first = await run('recvOne', { token, keep: true });
  assert.equal(first.msg, 'x');
  const second = await run('recvOne', { token: first.back, keep: true });
  assert.equal(second.msg, 'y');
  const third = await run('recvOne', { token: second.back });
  assert.equal(third.outcome, 'CLOSED');
  for (const h of [tx, rx, tx2]) h.dispose();
});

test('s06_close_rejects: send and trySend get CLOSED even with room, nothing enqueued', async () => {
  const [tx, rx] = channel(4);
  rx.close();
  assert.equal(codeOf(() => tx.trySend('a')), 'CLOSED');
  assert.equal(codeOf(() => tx.sendSync('a')), 'CLOSED'); // Node main thread may block; closed returns at once
  await assert.rejects(tx.send('a'), { code: 'CLOSED' });
  assert.equal(codeOf(() => tx.trySendBatch(['a', 'b'])), 'CLOSED');
  const r = await run('sendOne', { token: tx.share(), msg: 'w' });
  assert.equal(r.outcome, 'CLOSED');
  assert.equal(rx.len, 0);
  assert.equal(codeOf(() => rx.tryRecv()), 'CLOSED');
  tx.dispose();
  rx.dispose();
});

test('s07_close_wakes: a receiver blocked in a worker wakes with CLOSED', async () => {
  const [tx, rx] = channel(4);
  const started = new SharedArrayBuffer(4);
  const w = spawn('recvOne', { token: rx.share(), started });
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 1), 'worker started');
  await sleep(150);
  const t0 = performance.now();
  tx.close();
  const r = await w.done;
  assert.equal(r.outcome, 'CLOSED');
  assert.ok(r.ms >= 100, `waited ${r.ms} ms before the close`);
  assert.ok(performance.now() - t0 < SLACK_MS, 'woke promptly');
  tx.dispose();
});

test('s07_close_wakes: senders blocked on a full channel in workers wake with CLOSED', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const started = new SharedArrayBuffer(4);
  const ws = [0, 1, 2].map((i) => spawn('sendOne', { token: tx.share(), msg: `w${i}`, started }));
  assert.ok(await until(() => Atomics.load(new Int32Array(started), 0) === 3), 'workers started');
  await sleep(150);
  rx.close();
  const rs = await Promise.all(ws.map((w) => w.done));
  assert.deepEqual(rs.map((r) => r.outcome), ['CLOSED', 'CLOSED', 'CLOSED']);
  assert.equal(rx.tryRecv(), 'full');
  assert.equal(codeOf(() => rx.tryRecv()), 'CLOSED');
  tx.dispose();
  rx.dispose();
});

test('s07_close_wakes: a pending recv() on the main thread settles with CLOSED', async () => {
  const [tx, rx] = channel(2);
  const p = rx.recv();
  await sleep(50);
  assert.equal(rx.close(), true); // wakes the pending receive
  await assert.rejects(p, { code: 'CLOSED' });
  assert.equal(tx.closed, true);
  assert.equal(codeOf(() => tx.trySend('late')), 'CLOSED');
  tx.dispose();
  rx.dispose();
});

test('s08_close_race: every Ok send is delivered exactly once, none after close', async () => {
  for (let round = 0; round < 3; round++) {
    const [tx, rx] = channel(16);
    const ws = [0, 1, 2, 3].map((p) => spawn('sendUntilClosed', { token: tx.share(), producer: p }));
    tx.dispose();
    const next = [0, 0, 0, 0];
    let received = 0;
    const deadline = performance.now() + 100 + round * 50;
    while (performance.now() < deadline) {
      const batch = await rx.recvBatch(64);
      for (const m of batch) {
        const [p, i] = m.split(':').map(Number);
        assert.equal(i, next[p]);
        next[p]++;
        received++;
      }
    }
    rx.close();
    const oks = (await Promise.all(ws.map((w) => w.done))).map((r) => r.ok);
    for (;;) {
      let m;
      try {
        m = rx.tryRecv();
      } catch (e) {
        assert.equal(e.code, 'CLOSED');
        break;
      }
      const [p, i] = m.split(':').map(Number);
      assert.equal(i, next[p]);
      next[p]++;
      received++;
    }
    assert.deepEqual(next, oks, 'each producer: Ok count == delivered count');
    assert.ok(received > 0);
    rx.dispose();
  }
});
