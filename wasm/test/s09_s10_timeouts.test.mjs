// S09 empty + recv timeout, S10 send timeout (strict lower bound, loose upper bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from '../pkg/index.js';
import { codeOf, run, SLACK_MS } from './harness.mjs';

test('s09_empty: tryRecv is EMPTY; recv(200 ms) in a worker times out after >= 200 ms', async () => {
  const [tx, rx] = channel(4);
  assert.equal(codeOf(() => rx.tryRecv()), 'EMPTY');
  assert.equal(codeOf(() => rx.tryRecvBatch(4)), 'EMPTY');
  const token = rx.token();
  const r = await run('recvOne', { token, timeoutMs: 200, keep: true });
  assert.equal(r.outcome, 'TIMEOUT');
  assert.ok(r.ms >= 200, `timed out after ${r.ms} ms (< 200)`);
  assert.ok(r.ms < 200 + SLACK_MS, `timed out after ${r.ms} ms`);
  // A message that is there is returned at once, timeout or not.
  tx.trySend('here');
  const r2 = await run('recvOne', { token: r.back, timeoutMs: 5000 });
  assert.equal(r2.outcome, 'ok');
  assert.equal(r2.msg, 'here');
  assert.ok(r2.ms < SLACK_MS);
  tx.free();
});

test('s10_timeouts: send(m, 250 ms) on a full channel times out, nothing enqueued', async () => {
  const [tx, rx] = channel(1);
  tx.trySend('full');
  const r = await run('sendOne', { token: tx.token(), msg: 'late', timeoutMs: 250 });
  assert.equal(r.outcome, 'TIMEOUT');
  assert.ok(r.ms >= 250, `timed out after ${r.ms} ms (< 250)`);
  assert.ok(r.ms < 250 + SLACK_MS, `timed out after ${r.ms} ms`);
  assert.equal(rx.len(), 1);
  assert.equal(rx.tryRecv(), 'full');
  assert.equal(codeOf(() => rx.tryRecv()), 'EMPTY');
  // Zero timeout: an immediate answer.
  tx.trySend('full');
  const z = await run('sendOne', { token: tx.token(), msg: 'late', timeoutMs: 0 });
  assert.equal(z.outcome, 'TIMEOUT');
  assert.ok(z.ms < SLACK_MS);
  tx.free();
  rx.free();
});

test('s10_timeouts: a bad timeout is a RangeError (INVALID), nothing sent', () => {
  const [tx, rx] = channel(1);
  for (const t of [-1, Number.NaN, -Infinity]) {
    const e = (() => {
      try {
        tx.send('x', t);
      } catch (err) {
        return err;
      }
    })();
    assert.ok(e instanceof RangeError);
    assert.equal(e.code, 'INVALID');
    assert.equal(codeOf(() => rx.recv(t)), 'INVALID');
  }
  assert.equal(rx.len(), 0);
  tx.free();
  rx.free();
});
