// S09/S10 on a thread that may not block (async forms with a timeout) and S16
// cancellation: a timed-out recv() loses no message, a timed-out send()
// enqueues nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel, setCanBlockForTesting } from '../pkg/index.js';
import { run, sleep, SLACK_MS } from './harness.mjs';

test('s09_empty: recv({ timeout: 150 }) on the main thread rejects TIMEOUT after >= 150 ms', async () => {
  setCanBlockForTesting(false);
  try {
    const [tx, rx] = channel(2);
    const t0 = performance.now();
    await assert.rejects(rx.recv({ timeout: 150 }), { code: 'TIMEOUT' });
    const ms = performance.now() - t0;
    assert.ok(ms >= 150, `timed out after ${ms} ms`);
    assert.ok(ms < 150 + SLACK_MS, `timed out after ${ms} ms`);
    await assert.rejects(rx.recvBatch(4, { timeout: 50 }), { code: 'TIMEOUT' });
    // The receiver is back in place after a timeout.
    tx.trySend('now');
    assert.equal(await rx.recv({ timeout: 1000 }), 'now');
    tx.dispose();
    rx.dispose();
  } finally {
    setCanBlockForTesting(true);
  }
});

test('s16_cancellation: a timed-out recv() loses no message sent afterwards', async () => {
  const [tx, rx] = channel(4);
  for (let i = 0; i < 20; i++) {
    const p = rx.recv({ timeout: 5 });
    const late = run('sendOne', { token: tx.share(), msg: `m${i}` });
    let got;
    try {
      got = await p;
    } catch (e) {
      assert.equal(e.code, 'TIMEOUT');
    }
    await late;
    if (got === undefined) got = await rx.recv({ timeout: SLACK_MS });
    assert.equal(got, `m${i}`, 'received exactly once, by the timed-out or the next receive');
    assert.equal(rx.tryRecv(), undefined);
  }
  tx.dispose();
  rx.dispose();
});

test('s16_cancellation: a timed-out send() on a full channel enqueued nothing', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const t0 = performance.now();
  await assert.rejects(tx.send('never', { timeout: 120 }), { code: 'TIMEOUT' });
  const ms = performance.now() - t0;
  assert.ok(ms >= 120 && ms < 120 + SLACK_MS, `timed out after ${ms} ms`);
  assert.equal(rx.tryRecv(), 'full');
  await sleep(20);
  assert.equal(rx.tryRecv(), undefined, 'the timed-out message never arrives');
  // With room, send() with a timeout just sends.
  await tx.send('fits', { timeout: 1000 });
  assert.equal(rx.tryRecv(), 'fits');
  tx.dispose();
  rx.dispose();
});
